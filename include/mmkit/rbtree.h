/* SPDX-License-Identifier: MIT */
/*
 * mmkit/rbtree.h - intrusive red-black trees, with augmentation.
 *
 * The interface of include/linux/rbtree.h and rbtree_augmented.h: the node
 * lives inside the caller's structure, the caller walks down the tree to
 * find the link where a new node goes (rb_link_node), then asks the tree to
 * rebalance (rb_insert_color). An augmented tree keeps a per-node value
 * computed from the node's subtree (mmkit's VMA tree keeps the largest free
 * gap below each node); the callbacks recompute it along rotations.
 *
 * Invariants (checked by rb_validate):
 *   1. every node is red or black;  2. the root is black;
 *   3. a red node has no red child;
 *   4. every path from a node to its leaves has the same number of black nodes.
 */
#ifndef MMKIT_RBTREE_H
#define MMKIT_RBTREE_H

#include <mmkit/types.h>

struct rb_node {
	unsigned long __rb_parent_color; /* parent pointer | colour in bit 0 (1 = black) */
	struct rb_node *rb_right;
	struct rb_node *rb_left;
} __attribute__((aligned(sizeof(long))));

struct rb_root {
	struct rb_node *rb_node;
};

#define RB_ROOT (struct rb_root){ NULL }
#define RB_RED 0
#define RB_BLACK 1
#define rb_parent(r) ((struct rb_node *)((r)->__rb_parent_color & ~3UL))
#define rb_entry(ptr, type, member) container_of(ptr, type, member)
#define RB_EMPTY_ROOT(root) ((root)->rb_node == NULL)
/* a node not in any tree points at itself */
#define RB_EMPTY_NODE(node) ((node)->__rb_parent_color == (unsigned long)(node))
#define RB_CLEAR_NODE(node) ((node)->__rb_parent_color = (unsigned long)(node))

static inline void rb_link_node(struct rb_node *node, struct rb_node *parent, struct rb_node **rb_link)
{
	node->__rb_parent_color = (unsigned long)parent;
	node->rb_left = node->rb_right = NULL;
	*rb_link = node;
}

void rb_insert_color(struct rb_node *node, struct rb_root *root);
void rb_erase(struct rb_node *node, struct rb_root *root);
/* put @victim's replacement @new in the same place; no rebalancing */
void rb_replace_node(struct rb_node *victim, struct rb_node *new_node, struct rb_root *root);

struct rb_node *rb_first(const struct rb_root *root);
struct rb_node *rb_last(const struct rb_root *root);
struct rb_node *rb_next(const struct rb_node *node);
struct rb_node *rb_prev(const struct rb_node *node);

/* ---- augmented trees (include/linux/rbtree_augmented.h) ---- */
struct rb_augment_callbacks {
	/* recompute the augmented value from @node up to (not including) @stop */
	void (*propagate)(struct rb_node *node, struct rb_node *stop);
	/* @new takes @old's place: copy the augmented value */
	void (*copy)(struct rb_node *old, struct rb_node *new_node);
	/* @old was rotated below @new: @new gets @old's value, @old is recomputed */
	void (*rotate)(struct rb_node *old, struct rb_node *new_node);
};

/* the caller must have set the node's augmented value and propagated it
 * up the path to the root before calling this */
void rb_insert_augmented(struct rb_node *node, struct rb_root *root, const struct rb_augment_callbacks *augment);
void rb_erase_augmented(struct rb_node *node, struct rb_root *root, const struct rb_augment_callbacks *augment);

/*
 * rb_validate - check invariants 1-4 and that parent pointers agree with
 * child pointers. Returns the black height (>= 0) or -1 on a violation.
 */
int rb_validate(const struct rb_root *root);

#endif /* MMKIT_RBTREE_H */
