/* SPDX-License-Identifier: MIT */
/*
 * src/rbtree.c - intrusive red-black trees (the API of the kernel's
 * lib/rbtree.c, written afresh for mmkit).
 *
 * The rules every tree obeys between calls:
 *
 *   R1  each node is red or black (bit 0 of __rb_parent_color, 1 = black);
 *   R2  the root is black;
 *   R3  a red node never has a red child;
 *   R4  counting black nodes on the way from any node down to any NULL
 *       below it gives the same number, the node's "black height".
 *
 * R3 and R4 together mean the longest root-to-NULL path is at most twice
 * the shortest, so a tree of n nodes is at most 2*log2(n+1) deep and every
 * walk below costs O(log n). Nothing here recurses or allocates.
 *
 * Pictures: a node is drawn with its name, lower case for a red node and
 * upper case for a black one; a node whose colour does not matter (or is
 * unchanged) is in brackets, e.g. (p). Subtrees hanging off the drawn nodes
 * are left out unless they move.
 *
 * Augmentation: some trees cache a value per node summarising the node's
 * whole subtree (mmkit's VMA tree keeps the largest free gap). A rotation
 * changes which nodes sit under which, so every rotation tells the caller
 * through augment->rotate(old, new), where @new has just taken @old's place
 * at the top of the same set of nodes. The erase path moves nodes around
 * before rebalancing and fixes the cached values with copy and propagate.
 * The plain rb_insert_color/rb_erase share the very same code with a set of
 * callbacks that do nothing; the workers are always inlined, so those empty
 * calls vanish from the plain versions.
 */
#include <mmkit/rbtree.h>

#define RBK_INLINE static inline __attribute__((always_inline))

/* ---- colour and parent, both packed in __rb_parent_color ---------------- */

RBK_INLINE bool node_is_black(const struct rb_node *n)
{
	return (n->__rb_parent_color & 1UL) != 0;
}

/* NULL children count as black */
RBK_INLINE bool node_is_red_nonnull(const struct rb_node *n)
{
	return n && !node_is_black(n);
}

RBK_INLINE void node_paint(struct rb_node *n, unsigned long colour)
{
	n->__rb_parent_color = (n->__rb_parent_color & ~1UL) | colour;
}

/* change the parent, keep the colour */
RBK_INLINE void node_set_parent(struct rb_node *n, struct rb_node *p)
{
	n->__rb_parent_color = (unsigned long)p | (n->__rb_parent_color & 1UL);
}

/* make whatever pointed down at @old (a parent's link or the root) point at
 * @repl instead; @parent is @old's parent */
RBK_INLINE void relink_child(struct rb_node *old, struct rb_node *repl,
			     struct rb_node *parent, struct rb_root *root)
{
	if (!parent)
		root->rb_node = repl;
	else if (parent->rb_left == old)
		parent->rb_left = repl;
	else
		parent->rb_right = repl;
}

/* ---- rotations ----------------------------------------------------------- */

/*
 * Left rotation around @x: its right child y climbs into x's place, x
 * becomes y's left child, and y's former left subtree b moves across to be
 * x's right subtree. In-order (a x b y c) is unchanged. Colours are not
 * touched here; the callers repaint.
 *
 *        (x)                 (y)
 *        / \                 / \
 *       a  (y)     ==>     (x)  c
 *          / \             / \
 *         b   c           a   b
 *
 * Afterwards y covers exactly the nodes x used to cover, so the augmented
 * value moves with augment->rotate(x, y): y inherits x's old value and x's
 * is recomputed from its new children.
 */
RBK_INLINE void rotate_left(struct rb_node *x, struct rb_root *root,
			    const struct rb_augment_callbacks *augment)
{
	struct rb_node *y = x->rb_right;
	struct rb_node *b = y->rb_left;
	struct rb_node *up = rb_parent(x);

	x->rb_right = b;
	if (b)
		node_set_parent(b, x);
	y->rb_left = x;
	node_set_parent(y, up);
	relink_child(x, y, up, root);
	node_set_parent(x, y);
	augment->rotate(x, y);
}

/*
 * Right rotation around @y, the mirror image:
 *
 *          (y)             (x)
 *          / \             / \
 *        (x)  c    ==>    a  (y)
 *        / \                 / \
 *       a   b               b   c
 */
RBK_INLINE void rotate_right(struct rb_node *y, struct rb_root *root,
			     const struct rb_augment_callbacks *augment)
{
	struct rb_node *x = y->rb_left;
	struct rb_node *b = x->rb_right;
	struct rb_node *up = rb_parent(y);

	y->rb_left = b;
	if (b)
		node_set_parent(b, y);
	x->rb_right = y;
	node_set_parent(x, up);
	relink_child(y, x, up, root);
	node_set_parent(y, x);
	augment->rotate(y, x);
}

/* ---- callbacks that do nothing, for the plain (unaugmented) tree ---------- */

static inline void noaug_propagate(struct rb_node *node, struct rb_node *stop) {}
static inline void noaug_copy(struct rb_node *old, struct rb_node *new_node) {}
static inline void noaug_rotate(struct rb_node *old, struct rb_node *new_node) {}

static const struct rb_augment_callbacks noaug_callbacks = {
	.propagate = noaug_propagate,
	.copy = noaug_copy,
	.rotate = noaug_rotate,
};

/* ---- insertion ------------------------------------------------------------ */

/*
 * @node was just linked in as a leaf by rb_link_node, which leaves it red
 * (colour bit 0). A red leaf keeps R4; the only rule that can break is R3,
 * when the parent is red too. Each turn of the loop looks at the red node
 * n with its red parent p; the grandparent G exists (a red p is never the
 * root) and is black (R3 held before). The uncle u is G's other child.
 * Pictures show p as G's left child; the right-hand cases are mirrored.
 */
RBK_INLINE void insert_fixup(struct rb_node *n, struct rb_root *root,
			     const struct rb_augment_callbacks *augment)
{
	for (;;) {
		struct rb_node *p = rb_parent(n);

		if (!p) {
			/*
			 * n is the root: paint it black (R2). This also
			 * ends the climb of the recolouring case below, one
			 * black level taller overall.
			 */
			node_paint(n, RB_BLACK);
			return;
		}
		if (node_is_black(p))
			return; /* a red child under a black parent: all fine */

		struct rb_node *g = rb_parent(p);
		if (p == g->rb_left) {
			struct rb_node *u = g->rb_right;

			if (node_is_red_nonnull(u)) {
				/*
				 * Red uncle: push G's black down to both
				 * children and make G red. Black heights
				 * below G are unchanged, but G may now clash
				 * with its own red parent, so carry on from G.
				 *
				 *         G                g
				 *        / \              / \
				 *       p   u    ==>     P   U
				 *      /                /
				 *     n                n
				 */
				node_paint(p, RB_BLACK);
				node_paint(u, RB_BLACK);
				node_paint(g, RB_RED);
				n = g;
				continue;
			}
			if (n == p->rb_right) {
				/*
				 * Black (or no) uncle, n on the inside: a
				 * left rotation at p turns it into the
				 * outside shape handled next, with the roles
				 * of n and p swapped.
				 *
				 *         G                G
				 *        / \              / \
				 *       p   U    ==>     n   U
				 *        \              /
				 *         n            p
				 */
				rotate_left(p, root, augment);
				n = p;
				p = rb_parent(n);
			}
			/*
			 * Black uncle, n on the outside: rotate right at G
			 * and swap the colours of p and G. p is now a black
			 * top with two red children; every path still passes
			 * exactly one black among {old G, p}. Done.
			 *
			 *         G                P
			 *        / \              / \
			 *       p   U    ==>     n   g
			 *      /                      \
			 *     n                        U
			 */
			rotate_right(g, root, augment);
			node_paint(p, RB_BLACK);
			node_paint(g, RB_RED);
			return;
		} else {
			struct rb_node *u = g->rb_left;

			if (node_is_red_nonnull(u)) {
				/*
				 *       G                  g
				 *      / \                / \
				 *     u   p      ==>     U   P
				 *          \                  \
				 *           n                  n
				 */
				node_paint(p, RB_BLACK);
				node_paint(u, RB_BLACK);
				node_paint(g, RB_RED);
				n = g;
				continue;
			}
			if (n == p->rb_left) {
				/*
				 *       G                  G
				 *      / \                / \
				 *     U   p      ==>     U   n
				 *        /                    \
				 *       n                      p
				 */
				rotate_right(p, root, augment);
				n = p;
				p = rb_parent(n);
			}
			/*
			 *       G                  P
			 *      / \                / \
			 *     U   p      ==>     g   n
			 *          \            /
			 *           n          U
			 */
			rotate_left(g, root, augment);
			node_paint(p, RB_BLACK);
			node_paint(g, RB_RED);
			return;
		}
	}
}

void rb_insert_color(struct rb_node *node, struct rb_root *root)
{
	insert_fixup(node, root, &noaug_callbacks);
}

void rb_insert_augmented(struct rb_node *node, struct rb_root *root,
			 const struct rb_augment_callbacks *augment)
{
	insert_fixup(node, root, augment);
}

/* ---- erasure: restoring the black height ----------------------------------- */

/*
 * A black node has just left the tree from under @parent: the subtree now
 * hanging at one child slot of parent (that slot may be NULL) is one black
 * short of its sibling subtree. Call that short subtree x. If x's top node
 * is red, painting it black repays the debt at once; otherwise the debt is
 * either settled locally with rotations or pushed one level up.
 *
 * Because x is one black short, its sibling s has black height >= 1 and so
 * is never NULL. That is also what makes "x == parent->rb_left" a safe test
 * when x is NULL: the other slot holds s.
 *
 * Pictures show x as the left child of p; the mirror cases follow. A name
 * in brackets is of either colour; x carries the missing black.
 */
RBK_INLINE void erase_fixup(struct rb_node *x, struct rb_node *parent,
			    struct rb_root *root,
			    const struct rb_augment_callbacks *augment)
{
	while (x != root->rb_node && !node_is_red_nonnull(x)) {
		struct rb_node *s;

		if (x == parent->rb_left) {
			s = parent->rb_right;
			if (!node_is_black(s)) {
				/*
				 * Red sibling: then p is black. Rotate left at
				 * p and swap their colours; the black counts do
				 * not change, and x now has a black sibling
				 * (s's old near child SL), which one of the cases
				 * below handles.
				 *
				 *       P                    S
				 *      / \                  / \
				 *     x   s       ==>      p   SR
				 *        / \              / \
				 *      SL   SR           x   SL
				 */
				rotate_left(parent, root, augment);
				node_paint(s, RB_BLACK);
				node_paint(parent, RB_RED);
				s = parent->rb_right;
			}
			if (!node_is_red_nonnull(s->rb_left) &&
			    !node_is_red_nonnull(s->rb_right)) {
				/*
				 * Black sibling with two black children:
				 * paint s red, so both sides of p are one
				 * black short. If p is red, painting it black
				 * (after the loop) settles everything;
				 * otherwise p becomes the short subtree and
				 * we climb.
				 *
				 *      (p)                 (p)  <- new x
				 *      / \                 / \
				 *     x   S       ==>     x   s
				 *        / \                 / \
				 *      SL   SR             SL   SR
				 */
				node_paint(s, RB_RED);
				x = parent;
				parent = rb_parent(x);
				continue;
			}
			if (!node_is_red_nonnull(s->rb_right)) {
				/*
				 * Black sibling, its far child black and its
				 * near child red: rotate right at s and swap
				 * colours, which gives x a black sibling with
				 * a red far child, the last case.
				 *
				 *      (p)                 (p)
				 *      / \                 / \
				 *     x   S       ==>     x   SL
				 *        / \                    \
				 *      sl   SR                   s
				 *                                 \
				 *                                  SR
				 */
				struct rb_node *sl = s->rb_left;

				rotate_right(s, root, augment);
				node_paint(sl, RB_BLACK);
				node_paint(s, RB_RED);
				s = sl;
			}
			/*
			 * Black sibling with a red far child: rotate left at
			 * p. s takes p's place and colour, p turns black and
			 * gives x its missing black, the far child turns
			 * black to make up for s having moved up. Done.
			 *
			 *      (p)                 (s)
			 *      / \                 / \
			 *     x   S       ==>     P   SR
			 *        / \             / \
			 *     (sl)  sr          x  (sl)
			 */
			rotate_left(parent, root, augment);
			node_paint(s, parent->__rb_parent_color & 1UL);
			node_paint(parent, RB_BLACK);
			node_paint(s->rb_right, RB_BLACK);
			return;
		} else {
			s = parent->rb_left;
			if (!node_is_black(s)) {
				/*
				 *       P                    S
				 *      / \                  / \
				 *     s   x       ==>     SL   p
				 *    / \                      / \
				 *  SL   SR                  SR   x
				 */
				rotate_right(parent, root, augment);
				node_paint(s, RB_BLACK);
				node_paint(parent, RB_RED);
				s = parent->rb_left;
			}
			if (!node_is_red_nonnull(s->rb_left) &&
			    !node_is_red_nonnull(s->rb_right)) {
				/*
				 *      (p)                 (p)  <- new x
				 *      / \                 / \
				 *     S   x       ==>     s   x
				 *    / \                 / \
				 *  SL   SR             SL   SR
				 */
				node_paint(s, RB_RED);
				x = parent;
				parent = rb_parent(x);
				continue;
			}
			if (!node_is_red_nonnull(s->rb_left)) {
				/*
				 *      (p)                 (p)
				 *      / \                 / \
				 *     S   x       ==>    SR   x
				 *    / \                 /
				 *  SL   sr              s
				 *                      /
				 *                    SL
				 */
				struct rb_node *sr = s->rb_right;

				rotate_left(s, root, augment);
				node_paint(sr, RB_BLACK);
				node_paint(s, RB_RED);
				s = sr;
			}
			/*
			 *      (p)                 (s)
			 *      / \                 / \
			 *     S   x       ==>    SL   P
			 *    / \                     / \
			 *  sl  (sr)               (sr)  x
			 */
			rotate_right(parent, root, augment);
			node_paint(s, parent->__rb_parent_color & 1UL);
			node_paint(parent, RB_BLACK);
			node_paint(s->rb_left, RB_BLACK);
			return;
		}
	}
	/* x is red (absorbs the black) or x is the root (the whole tree just
	 * got one black shorter, which is allowed) */
	if (x)
		node_paint(x, RB_BLACK);
}

/* ---- erasure: unlinking ----------------------------------------------------- */

/*
 * Take @node out of the tree. First the shape: the node is replaced by
 * at most one child (if it has fewer than two) or by its in-order
 * successor (if it has two). Then, if a black node effectively vanished
 * from some path, erase_fixup repairs R4.
 *
 * Augmented values are put right before any rebalancing rotation runs:
 * when the successor moves into node's place it first takes over node's
 * cached value (copy), since it now heads the same set of nodes minus
 * node; the nodes between the successor's old place and its new one are
 * recomputed (propagate up to the successor), and finally everything from
 * the lowest changed node up to the root is recomputed (propagate to NULL).
 * From then on the tree is a correct augmented tree and each rotation in
 * erase_fixup keeps it so through augment->rotate.
 */
RBK_INLINE void erase_node(struct rb_node *node, struct rb_root *root,
			   const struct rb_augment_callbacks *augment)
{
	struct rb_node *left = node->rb_left;
	struct rb_node *right = node->rb_right;
	unsigned long node_pc = node->__rb_parent_color;
	struct rb_node *up = rb_parent(node);
	struct rb_node *fix_parent; /* whose emptied slot may be a black short */
	struct rb_node *recompute;  /* lowest node whose subtree changed */
	bool lost_black;

	if (!left || !right) {
		/*
		 * Zero or one child. A lone child c must be red (R4: the
		 * empty side has no black, so c's side has none either) and
		 * node then black (R3); c takes node's place and colour, so
		 * no path loses a black:
		 *
		 *       (up)              (up)
		 *        |                 |
		 *        N       ==>       C
		 *       /
		 *      c
		 *
		 * With no child at all, removing a red leaf costs nothing;
		 * removing a black leaf leaves its slot in up one black short.
		 */
		struct rb_node *c = left ? left : right;

		relink_child(node, c, up, root);
		if (c) {
			c->__rb_parent_color = node_pc;
			lost_black = false;
		} else {
			lost_black = (node_pc & 1UL) != 0;
		}
		fix_parent = up;
		recompute = up;
	} else {
		/*
		 * Two children: the successor s (leftmost node of the right
		 * subtree, which has no left child) takes node's place,
		 * colour and cached value; s's own right child c (red if
		 * present, by the argument above) moves into s's old slot.
		 * What may lose a black is s's old position.
		 */
		struct rb_node *s = right;
		struct rb_node *c;

		if (!s->rb_left) {
			/*
			 * s is node's right child:
			 *
			 *      (n)              (s)
			 *      / \              / \
			 *    (l) (s)    ==>   (l) (c)
			 *          \
			 *          (c)
			 *
			 * c stays where it is; the short slot, if any, is
			 * s's right one.
			 */
			c = s->rb_right;
			fix_parent = s;
			augment->copy(node, s);
		} else {
			/*
			 * s is deeper down, the left child of some sp:
			 *
			 *      (n)              (s)
			 *      / \              / \
			 *    (l) (r)    ==>   (l) (r)
			 *        /                /
			 *      ...              ...
			 *      /                /
			 *    (sp)             (sp)
			 *    /                /
			 *  (s)              (c)
			 *    \
			 *    (c)
			 */
			struct rb_node *sp;

			do {
				sp = s;
				s = s->rb_left;
			} while (s->rb_left);
			c = s->rb_right;
			sp->rb_left = c;
			s->rb_right = right;
			node_set_parent(right, s);
			fix_parent = sp;
			augment->copy(node, s);
			augment->propagate(sp, s);
		}

		s->rb_left = left;
		node_set_parent(left, s);
		relink_child(node, s, up, root);

		if (c) {
			/* c is red: painting it black keeps the count */
			c->__rb_parent_color = (unsigned long)fix_parent | RB_BLACK;
			lost_black = false;
		} else {
			lost_black = node_is_black(s);
		}
		s->__rb_parent_color = node_pc;
		recompute = s;
	}

	augment->propagate(recompute, NULL);
	if (lost_black)
		erase_fixup(NULL, fix_parent, root, augment);
}

void rb_erase(struct rb_node *node, struct rb_root *root)
{
	erase_node(node, root, &noaug_callbacks);
}

void rb_erase_augmented(struct rb_node *node, struct rb_root *root,
			const struct rb_augment_callbacks *augment)
{
	erase_node(node, root, augment);
}

/* ---- replacing a node in place ------------------------------------------------ */

void rb_replace_node(struct rb_node *victim, struct rb_node *new_node,
		     struct rb_root *root)
{
	struct rb_node *up = rb_parent(victim);

	/* same colour, parent and children; the caller guarantees the key
	 * sorts the same, so no rebalancing is needed */
	*new_node = *victim;
	if (victim->rb_left)
		node_set_parent(victim->rb_left, new_node);
	if (victim->rb_right)
		node_set_parent(victim->rb_right, new_node);
	relink_child(victim, new_node, up, root);
}

/* ---- in-order walking ----------------------------------------------------------- */

struct rb_node *rb_first(const struct rb_root *root)
{
	struct rb_node *n = root->rb_node;

	if (!n)
		return NULL;
	while (n->rb_left)
		n = n->rb_left;
	return n;
}

struct rb_node *rb_last(const struct rb_root *root)
{
	struct rb_node *n = root->rb_node;

	if (!n)
		return NULL;
	while (n->rb_right)
		n = n->rb_right;
	return n;
}

struct rb_node *rb_next(const struct rb_node *node)
{
	const struct rb_node *up;

	if (RB_EMPTY_NODE(node))
		return NULL;
	/* anything to the right? its leftmost node is next */
	if (node->rb_right) {
		const struct rb_node *n = node->rb_right;

		while (n->rb_left)
			n = n->rb_left;
		return (struct rb_node *)n;
	}
	/* else climb while we come up from a right child; the first
	 * ancestor reached from its left side is next */
	while ((up = rb_parent(node)) && node == up->rb_right)
		node = up;
	return (struct rb_node *)up;
}

struct rb_node *rb_prev(const struct rb_node *node)
{
	const struct rb_node *up;

	if (RB_EMPTY_NODE(node))
		return NULL;
	if (node->rb_left) {
		const struct rb_node *n = node->rb_left;

		while (n->rb_right)
			n = n->rb_right;
		return (struct rb_node *)n;
	}
	while ((up = rb_parent(node)) && node == up->rb_left)
		node = up;
	return (struct rb_node *)up;
}

/* ---- validation --------------------------------------------------------------------- */

/*
 * A valid tree's black height is below 64 on any machine with 64-bit
 * pointers (a black height of h needs at least 2^h - 1 nodes), and its depth
 * is at most twice that; a depth-first walk with an explicit stack never
 * holds more than about depth + 1 entries. A deeper tree is invalid anyway,
 * so overflowing this fixed stack simply reports a violation.
 */
#define RB_VALIDATE_STACK 256

int rb_validate(const struct rb_root *root)
{
	struct frame {
		const struct rb_node *n;
		int blacks; /* black nodes from the root down to n, inclusive */
	} stack[RB_VALIDATE_STACK];
	int top = 0;
	int height = -1; /* black height seen at the first NULL reached */
	const struct rb_node *r = root->rb_node;

	if (!r)
		return 0;
	if (rb_parent(r) != NULL || !node_is_black(r))
		return -1;
	stack[top++] = (struct frame){ r, 1 };

	while (top > 0) {
		struct frame f = stack[--top];
		const struct rb_node *n = f.n;
		const struct rb_node *kids[2] = { n->rb_left, n->rb_right };

		/* bit 1 is unused and must stay clear (R1: exactly one colour bit) */
		if (n->__rb_parent_color & 2UL)
			return -1;
		if (kids[0] && kids[0] == kids[1])
			return -1;
		for (int i = 0; i < 2; i++) {
			const struct rb_node *k = kids[i];

			if (!k) {
				if (height < 0)
					height = f.blacks;
				else if (height != f.blacks)
					return -1; /* R4 */
				continue;
			}
			if (rb_parent(k) != n)
				return -1; /* child and parent pointers disagree */
			if (!node_is_black(n) && !node_is_black(k))
				return -1; /* R3 */
			if (top == RB_VALIDATE_STACK)
				return -1; /* far deeper than any valid tree */
			stack[top++] = (struct frame){ k, f.blacks + (node_is_black(k) ? 1 : 0) };
		}
	}
	return height;
}
