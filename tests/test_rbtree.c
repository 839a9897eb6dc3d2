/* SPDX-License-Identifier: MIT */
/*
 * tests/test_rbtree.c - the red-black tree against a sorted-array model.
 *
 * Every tree here holds "struct item"s keyed by a long. Random runs use
 * fixed seeds, so a failure reproduces; after each step (or every few
 * steps for big runs) the tree is checked with rb_validate and by walking
 * it both ways against the model. The augmented runs keep, per node, the
 * size of its subtree and the largest "weight" in it, and check both by
 * brute force.
 */
#include <mmkit/rbtree.h>

#include <limits.h>
#include <stdint.h>

#include "harness.h"

struct item {
	struct rb_node rb;
	long key;
	long weight;     /* arbitrary, unrelated to key order */
	long sub_max;    /* augmented: largest weight in the subtree */
	long sub_size;   /* augmented: nodes in the subtree */
	bool in_tree;
};

#define ITEM(n) rb_entry(n, struct item, rb)

/* ---- a small fixed-seed generator (xorshift64*) ---- */
static uint64_t rng_state;
static void rng_seed(uint64_t s) { rng_state = s * 0x9E3779B97F4A7C15ULL + 1; }
static uint64_t rng_next(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545F4914F6CDD1DULL;
}
static long rng_below(long n) { return (long)(rng_next() % (uint64_t)n); }

/* ---- the model: a sorted array of keys ---- */
struct model {
	long *keys;
	long n;
};

static long model_find(const struct model *m, long key, bool *found)
{
	long lo = 0, hi = m->n;
	while (lo < hi) {
		long mid = lo + (hi - lo) / 2;
		if (m->keys[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < m->n && m->keys[lo] == key;
	return lo;
}

static void model_insert(struct model *m, long key)
{
	bool found;
	long at = model_find(m, key, &found);
	CHECK(!found);
	memmove(&m->keys[at + 1], &m->keys[at], (size_t)(m->n - at) * sizeof(long));
	m->keys[at] = key;
	m->n++;
}

static void model_erase(struct model *m, long key)
{
	bool found;
	long at = model_find(m, key, &found);
	CHECK(found);
	memmove(&m->keys[at], &m->keys[at + 1], (size_t)(m->n - at - 1) * sizeof(long));
	m->n--;
}

/* ---- plain keyed tree ---- */
static bool tree_insert(struct rb_root *root, struct item *it)
{
	struct rb_node **link = &root->rb_node, *parent = NULL;

	while (*link) {
		struct item *cur = ITEM(*link);
		parent = *link;
		if (it->key < cur->key)
			link = &(*link)->rb_left;
		else if (it->key > cur->key)
			link = &(*link)->rb_right;
		else
			return false;
	}
	rb_link_node(&it->rb, parent, link);
	rb_insert_color(&it->rb, root);
	it->in_tree = true;
	return true;
}

static struct item *tree_find(const struct rb_root *root, long key)
{
	struct rb_node *n = root->rb_node;
	while (n) {
		struct item *cur = ITEM(n);
		if (key < cur->key)
			n = n->rb_left;
		else if (key > cur->key)
			n = n->rb_right;
		else
			return cur;
	}
	return NULL;
}

static void tree_erase(struct rb_root *root, struct item *it)
{
	rb_erase(&it->rb, root);
	RB_CLEAR_NODE(&it->rb);
	it->in_tree = false;
}

/* walk forward and backward; both must match the model exactly */
static void check_against_model(const struct rb_root *root, const struct model *m)
{
	long i = 0;
	struct rb_node *n;

	CHECK(rb_validate(root) >= 0);
	for (n = rb_first(root); n; n = rb_next(n)) {
		CHECK(i < m->n);
		CHECK_EQ(ITEM(n)->key, m->keys[i]);
		i++;
	}
	CHECK_EQ(i, m->n);
	for (n = rb_last(root); n; n = rb_prev(n)) {
		i--;
		CHECK(i >= 0);
		CHECK_EQ(ITEM(n)->key, m->keys[i]);
	}
	CHECK_EQ(i, 0);
	CHECK_EQ(RB_EMPTY_ROOT(root), m->n == 0);
}

/*
 * Random inserts and erases of keys in [0, keyspace), one item per key.
 * Inserts are a bit likelier than erases, so the tree fills up to an
 * equilibrium around keyspace * 0.55 / 1 and then churns.
 */
static void random_run(uint64_t seed, long keyspace, long ops, long check_every)
{
	struct item *items = calloc((size_t)keyspace, sizeof(*items));
	struct model m = { calloc((size_t)keyspace, sizeof(long)), 0 };
	struct rb_root root = RB_ROOT;

	CHECK(items && m.keys);
	rng_seed(seed);
	for (long k = 0; k < keyspace; k++) {
		items[k].key = k;
		RB_CLEAR_NODE(&items[k].rb);
	}
	for (long op = 0; op < ops; op++) {
		long k = rng_below(keyspace);
		struct item *it = &items[k];

		if (!it->in_tree) {
			CHECK(tree_find(&root, k) == NULL);
			CHECK(tree_insert(&root, it));
			model_insert(&m, k);
		} else {
			CHECK(tree_find(&root, k) == it);
			tree_erase(&root, it);
			model_erase(&m, k);
			CHECK(RB_EMPTY_NODE(&it->rb));
		}
		if (check_every <= 1 || op % check_every == 0)
			check_against_model(&root, &m);
	}
	check_against_model(&root, &m);
	/* drain in random order */
	while (m.n) {
		long k = m.keys[rng_below(m.n)];
		tree_erase(&root, &items[k]);
		model_erase(&m, k);
		if (check_every <= 1 || m.n % check_every == 0)
			check_against_model(&root, &m);
	}
	CHECK(RB_EMPTY_ROOT(&root));
	CHECK_EQ(rb_validate(&root), 0);
	free(items);
	free(m.keys);
}

TEST(empty)
{
	struct rb_root root = RB_ROOT;
	struct item a = { .key = 1 };

	CHECK(RB_EMPTY_ROOT(&root));
	CHECK(rb_first(&root) == NULL);
	CHECK(rb_last(&root) == NULL);
	CHECK_EQ(rb_validate(&root), 0);
	RB_CLEAR_NODE(&a.rb);
	CHECK(RB_EMPTY_NODE(&a.rb));
	CHECK(rb_next(&a.rb) == NULL);
	CHECK(rb_prev(&a.rb) == NULL);

	CHECK(tree_insert(&root, &a));
	CHECK(!RB_EMPTY_NODE(&a.rb));
	CHECK_EQ(rb_validate(&root), 1);
	CHECK(rb_first(&root) == &a.rb && rb_last(&root) == &a.rb);
	CHECK(rb_next(&a.rb) == NULL && rb_prev(&a.rb) == NULL);
	tree_erase(&root, &a);
	CHECK(RB_EMPTY_ROOT(&root));
}

TEST(random_small)
{
	/* tiny key space: lots of erases of roots and near-empty trees */
	for (uint64_t seed = 1; seed <= 8; seed++)
		random_run(seed, 16, 5000, 1);
	for (uint64_t seed = 11; seed <= 13; seed++)
		random_run(seed, 100, 20000, 1);
}

TEST(random_medium)
{
	random_run(42, 1000, 40000, 1);
	random_run(43, 5000, 60000, 97);
}

TEST(random_large)
{
	random_run(7, 20000, 150000, 4999);
}

/* sequential inserts (the worst case for an unbalanced tree), walks both ways */
TEST(walk)
{
	enum { N = 1000 };
	struct item *items = calloc(N, sizeof(*items));
	struct rb_root root = RB_ROOT;
	struct rb_node *n;
	long i;

	CHECK(items);
	for (i = 0; i < N; i++) {
		items[i].key = i * 10;
		CHECK(tree_insert(&root, &items[i]));
		CHECK(rb_validate(&root) >= 0);
	}
	CHECK(rb_first(&root) == &items[0].rb);
	CHECK(rb_last(&root) == &items[N - 1].rb);
	CHECK(rb_prev(rb_first(&root)) == NULL);
	CHECK(rb_next(rb_last(&root)) == NULL);
	for (i = 0, n = rb_first(&root); n; n = rb_next(n), i++)
		CHECK(n == &items[i].rb);
	CHECK_EQ(i, N);
	for (n = rb_last(&root); n; n = rb_prev(n))
		CHECK(n == &items[--i].rb);
	CHECK_EQ(i, 0);
	/* next/prev are inverse of each other everywhere */
	for (i = 0; i < N; i++) {
		if (i + 1 < N)
			CHECK(rb_prev(rb_next(&items[i].rb)) == &items[i].rb);
		if (i > 0)
			CHECK(rb_next(rb_prev(&items[i].rb)) == &items[i].rb);
	}
	/* a duplicate key is refused by our insert and leaves the tree as is */
	struct item dup = { .key = 500 };
	CHECK(!tree_insert(&root, &dup));
	CHECK(rb_validate(&root) >= 0);

	/* descending inserts into a second tree */
	struct rb_root root2 = RB_ROOT;
	struct item *more = calloc(N, sizeof(*more));
	CHECK(more);
	for (i = N - 1; i >= 0; i--) {
		more[i].key = i;
		CHECK(tree_insert(&root2, &more[i]));
		CHECK(rb_validate(&root2) >= 0);
	}
	for (i = 0, n = rb_first(&root2); n; n = rb_next(n), i++)
		CHECK_EQ(ITEM(n)->key, i);
	CHECK_EQ(i, N);
	free(items);
	free(more);
}

TEST(replace_node)
{
	enum { N = 257 };
	struct item *a = calloc(N, sizeof(*a)), *b = calloc(N, sizeof(*b));
	struct rb_root root = RB_ROOT;
	struct model m = { calloc(N, sizeof(long)), 0 };
	long i;

	CHECK(a && b && m.keys);
	for (i = 0; i < N; i++) {
		a[i].key = b[i].key = i;
		CHECK(tree_insert(&root, &a[i]));
		model_insert(&m, i);
	}
	/* the root first, then a leaf, then everything else */
	struct item *r = ITEM(root.rb_node);
	int bh = rb_validate(&root);
	rb_replace_node(&r->rb, &b[r->key].rb, &root);
	CHECK(root.rb_node == &b[r->key].rb);
	CHECK(rb_parent(root.rb_node) == NULL);
	CHECK_EQ(rb_validate(&root), bh);
	check_against_model(&root, &m);

	struct item *leaf = ITEM(rb_first(&root));
	CHECK(leaf->rb.rb_left == NULL);
	rb_replace_node(&leaf->rb, &b[leaf->key].rb, &root);
	CHECK(rb_first(&root) == &b[leaf->key].rb);
	CHECK_EQ(rb_validate(&root), bh);

	for (i = 0; i < N; i++) {
		struct item *cur = tree_find(&root, i);
		if (cur == &a[i])
			rb_replace_node(&a[i].rb, &b[i].rb, &root);
	}
	CHECK_EQ(rb_validate(&root), bh);
	check_against_model(&root, &m);
	for (i = 0; i < N; i++)
		CHECK(tree_find(&root, i) == &b[i]);
	/* the replacements are ordinary members: erase them all */
	rng_seed(5);
	while (m.n) {
		long k = m.keys[rng_below(m.n)];
		tree_erase(&root, &b[k]);
		model_erase(&m, k);
		check_against_model(&root, &m);
	}
	free(a);
	free(b);
	free(m.keys);
}

/*
 * Every shape of erase: for each tree size 1..80 built in several orders,
 * erase every key once (each from a fresh tree), classifying what kind of
 * node it was. All kinds must have been seen.
 */
enum { K_ROOT, K_LEAF, K_ONE_CHILD, K_TWO_SUCC_RIGHT, K_TWO_SUCC_DEEP, K_NKINDS };

static void classify(const struct rb_node *n, long *seen)
{
	if (!rb_parent(n))
		seen[K_ROOT]++;
	if (!n->rb_left && !n->rb_right)
		seen[K_LEAF]++;
	else if (!n->rb_left || !n->rb_right)
		seen[K_ONE_CHILD]++;
	else if (!n->rb_right->rb_left)
		seen[K_TWO_SUCC_RIGHT]++;
	else
		seen[K_TWO_SUCC_DEEP]++;
}

static void build(struct rb_root *root, struct item *items, long n, int order)
{
	*root = RB_ROOT;
	for (long i = 0; i < n; i++) {
		items[i].key = i;
		items[i].in_tree = false;
	}
	for (long j = 0; j < n; j++) {
		long i = order == 0 ? j : order == 1 ? n - 1 - j
			: order == 2 ? (j * 7919) % n : (j % 2 ? j / 2 : n - 1 - j / 2);
		if (items[i].in_tree) /* 7919 not coprime with n: fall back */
			for (i = 0; items[i].in_tree; i++)
				;
		CHECK(tree_insert(root, &items[i]));
	}
}

TEST(erase_shapes)
{
	enum { MAXN = 80 };
	struct item items[MAXN];
	struct model m = { calloc(MAXN, sizeof(long)), 0 };
	long seen[K_NKINDS] = { 0 };
	struct rb_root root;

	CHECK(m.keys);
	for (long n = 1; n <= MAXN; n++) {
		for (int order = 0; order < 4; order++) {
			for (long victim = 0; victim < n; victim++) {
				build(&root, items, n, order);
				m.n = 0;
				for (long i = 0; i < n; i++)
					model_insert(&m, i);
				classify(&items[victim].rb, seen);
				tree_erase(&root, &items[victim]);
				model_erase(&m, victim);
				check_against_model(&root, &m);
				/* and then empty it root first, every time */
				while (root.rb_node) {
					struct item *top = ITEM(root.rb_node);
					tree_erase(&root, top);
					model_erase(&m, top->key);
					check_against_model(&root, &m);
				}
			}
		}
	}
	for (int k = 0; k < K_NKINDS; k++)
		CHECK(seen[k] > 0);
	free(m.keys);
}

/* ---- augmented tree: subtree size and largest weight ---- */
static long aug_size(const struct rb_node *n) { return n ? ITEM(n)->sub_size : 0; }
static long aug_max(const struct rb_node *n) { return n ? ITEM(n)->sub_max : LONG_MIN; }

static void aug_compute(struct item *it, long *size, long *max)
{
	long mx = it->weight;
	if (aug_max(it->rb.rb_left) > mx)
		mx = aug_max(it->rb.rb_left);
	if (aug_max(it->rb.rb_right) > mx)
		mx = aug_max(it->rb.rb_right);
	*max = mx;
	*size = 1 + aug_size(it->rb.rb_left) + aug_size(it->rb.rb_right);
}

static long propagate_calls, copy_calls, rotate_calls;

/* stops early once a node's values come out unchanged, as callers may */
static void aug_propagate(struct rb_node *rb, struct rb_node *stop)
{
	propagate_calls++;
	while (rb != stop) {
		struct item *it = ITEM(rb);
		long size, max;
		aug_compute(it, &size, &max);
		if (size == it->sub_size && max == it->sub_max)
			break;
		it->sub_size = size;
		it->sub_max = max;
		rb = rb_parent(rb);
	}
}

static void aug_copy(struct rb_node *old, struct rb_node *new_node)
{
	copy_calls++;
	ITEM(new_node)->sub_size = ITEM(old)->sub_size;
	ITEM(new_node)->sub_max = ITEM(old)->sub_max;
}

static void aug_rotate(struct rb_node *old, struct rb_node *new_node)
{
	rotate_calls++;
	ITEM(new_node)->sub_size = ITEM(old)->sub_size;
	ITEM(new_node)->sub_max = ITEM(old)->sub_max;
	aug_compute(ITEM(old), &ITEM(old)->sub_size, &ITEM(old)->sub_max);
}

static const struct rb_augment_callbacks aug_cb = {
	.propagate = aug_propagate, .copy = aug_copy, .rotate = aug_rotate,
};

static bool aug_insert(struct rb_root *root, struct item *it)
{
	struct rb_node **link = &root->rb_node, *parent = NULL;

	/* refuse duplicates before touching any cached value */
	if (tree_find(root, it->key))
		return false;
	/* the new node will be below every node on the way down */
	while (*link) {
		struct item *cur = ITEM(*link);
		parent = *link;
		cur->sub_size++;
		if (it->weight > cur->sub_max)
			cur->sub_max = it->weight;
		link = it->key < cur->key ? &(*link)->rb_left : &(*link)->rb_right;
	}
	it->sub_size = 1;
	it->sub_max = it->weight;
	rb_link_node(&it->rb, parent, link);
	rb_insert_augmented(&it->rb, root, &aug_cb);
	it->in_tree = true;
	return true;
}

static void aug_erase(struct rb_root *root, struct item *it)
{
	rb_erase_augmented(&it->rb, root, &aug_cb);
	RB_CLEAR_NODE(&it->rb);
	it->in_tree = false;
}

/* brute force: every node's cached values against a fresh recount,
 * bottom-up in post-order without recursion */
static void aug_check_all(const struct rb_root *root)
{
	struct rb_node *n = rb_first(root);

	/* in-order visit works too: recompute each from its children, which
	 * must already hold correct values if the tree is right, then compare
	 * against a direct count through an explicit walk of the subtree */
	for (; n; n = rb_next(n)) {
		struct item *it = ITEM(n);
		long size, max;
		aug_compute(it, &size, &max);
		CHECK_EQ(it->sub_size, size);
		CHECK_EQ(it->sub_max, max);
	}
	/* and the root's totals from a plain scan */
	if (root->rb_node) {
		long count = 0, mx = LONG_MIN;
		for (n = rb_first(root); n; n = rb_next(n)) {
			count++;
			if (ITEM(n)->weight > mx)
				mx = ITEM(n)->weight;
		}
		CHECK_EQ(ITEM(root->rb_node)->sub_size, count);
		CHECK_EQ(ITEM(root->rb_node)->sub_max, mx);
	}
}

/* the k-th smallest key (0-based) using subtree sizes */
static struct item *aug_select(const struct rb_root *root, long k)
{
	struct rb_node *n = root->rb_node;
	while (n) {
		long left = aug_size(n->rb_left);
		if (k < left) {
			n = n->rb_left;
		} else if (k == left) {
			return ITEM(n);
		} else {
			k -= left + 1;
			n = n->rb_right;
		}
	}
	return NULL;
}

static void aug_random_run(uint64_t seed, long keyspace, long ops, long check_every)
{
	struct item *items = calloc((size_t)keyspace, sizeof(*items));
	struct model m = { calloc((size_t)keyspace, sizeof(long)), 0 };
	struct rb_root root = RB_ROOT;

	CHECK(items && m.keys);
	rng_seed(seed);
	for (long k = 0; k < keyspace; k++) {
		items[k].key = k;
		RB_CLEAR_NODE(&items[k].rb);
	}
	for (long op = 0; op < ops; op++) {
		long k = rng_below(keyspace);
		struct item *it = &items[k];

		if (!it->in_tree) {
			it->weight = rng_below(1000000);
			CHECK(aug_insert(&root, it));
			model_insert(&m, k);
		} else {
			aug_erase(&root, it);
			model_erase(&m, k);
		}
		if (check_every <= 1 || op % check_every == 0) {
			check_against_model(&root, &m);
			aug_check_all(&root);
			if (m.n) {
				long j = rng_below(m.n);
				CHECK_EQ(aug_select(&root, j)->key, m.keys[j]);
			}
		}
	}
	while (m.n) {
		long k = m.keys[rng_below(m.n)];
		aug_erase(&root, &items[k]);
		model_erase(&m, k);
		if (check_every <= 1 || m.n % check_every == 0) {
			check_against_model(&root, &m);
			aug_check_all(&root);
		}
	}
	CHECK(RB_EMPTY_ROOT(&root));
	free(items);
	free(m.keys);
}

TEST(augmented_random)
{
	for (uint64_t seed = 1; seed <= 6; seed++)
		aug_random_run(seed, 20, 4000, 1);
	aug_random_run(100, 600, 30000, 1);
	aug_random_run(101, 20000, 100000, 1009);
	CHECK(propagate_calls > 0 && copy_calls > 0 && rotate_calls > 0);
}

TEST(augmented_erase_shapes)
{
	enum { MAXN = 48 };
	struct item items[MAXN];
	long seen[K_NKINDS] = { 0 };

	rng_seed(77);
	for (long n = 1; n <= MAXN; n++) {
		for (long victim = 0; victim < n; victim++) {
			struct rb_root root = RB_ROOT;
			for (long i = 0; i < n; i++) {
				items[i].key = i;
				items[i].in_tree = false;
			}
			/* insert in a scrambled order with random weights */
			for (long j = 0; j < n; j++) {
				long i = (j * 31 + victim) % n;
				while (items[i].in_tree)
					i = (i + 1) % n;
				items[i].weight = rng_below(100);
				CHECK(aug_insert(&root, &items[i]));
			}
			aug_check_all(&root);
			classify(&items[victim].rb, seen);
			aug_erase(&root, &items[victim]);
			CHECK(rb_validate(&root) >= 0);
			aug_check_all(&root);
			/* the heaviest node, then the root, then the rest */
			while (root.rb_node) {
				struct item *heavy = NULL;
				for (struct rb_node *p = rb_first(&root); p && !heavy; p = rb_next(p))
					if (ITEM(p)->weight == ITEM(root.rb_node)->sub_max)
						heavy = ITEM(p);
				CHECK(heavy);
				aug_erase(&root, heavy);
				CHECK(rb_validate(&root) >= 0);
				aug_check_all(&root);
				if (root.rb_node) {
					aug_erase(&root, ITEM(root.rb_node));
					CHECK(rb_validate(&root) >= 0);
					aug_check_all(&root);
				}
			}
		}
	}
	for (int k = 0; k < K_NKINDS; k++)
		CHECK(seen[k] > 0);
}

/* ---- a million nodes ---- */
static long tree_depth(const struct rb_root *root)
{
	/* deepest node: climb from every node that has a NULL child */
	long deepest = 0;
	for (struct rb_node *n = rb_first(root); n; n = rb_next(n)) {
		if (n->rb_left && n->rb_right)
			continue;
		long d = 0;
		for (struct rb_node *p = n; p; p = rb_parent(p))
			d++;
		if (d > deepest)
			deepest = d;
	}
	return deepest;
}

/* h <= 2*log2(n+1)  <=>  2^h <= (n+1)^2, in integers (no libm) */
static bool within_2log2(long h, long n)
{
	unsigned long long sq = (unsigned long long)(n + 1) * (unsigned long long)(n + 1);
	return h < 64 && (1ULL << h) <= sq;
}

static void check_balance(const struct rb_root *root, long n)
{
	int bh = rb_validate(root);

	CHECK(bh >= 0);
	CHECK(within_2log2(bh, n));
	CHECK(within_2log2(tree_depth(root), n));
	/* and the textbook bound for black height alone: 2^bh - 1 <= n */
	CHECK((1ULL << bh) - 1 <= (unsigned long long)n);
}

TEST(million)
{
	enum { N = 1000000 };
	struct item *items = calloc(N, sizeof(*items));
	long *perm = calloc(N, sizeof(long));
	struct rb_root root = RB_ROOT;
	long i, count;

	CHECK(items && perm);
	for (i = 0; i < N; i++)
		perm[i] = i;
	rng_seed(1000000);
	for (i = N - 1; i > 0; i--) {
		long j = rng_below(i + 1), t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	/* random order */
	for (i = 0; i < N; i++) {
		items[perm[i]].key = perm[i];
		CHECK(tree_insert(&root, &items[perm[i]]));
	}
	check_balance(&root, N);
	count = 0;
	for (struct rb_node *n = rb_first(&root); n; n = rb_next(n))
		CHECK_EQ(ITEM(n)->key, count++);
	CHECK_EQ(count, N);
	/* erase every other key in random order */
	for (i = 0; i < N; i++)
		if (perm[i] % 2)
			tree_erase(&root, &items[perm[i]]);
	check_balance(&root, N / 2);
	count = 0;
	for (struct rb_node *n = rb_last(&root); n; n = rb_prev(n), count++)
		CHECK_EQ(ITEM(n)->key, N - 2 - 2 * count);
	CHECK_EQ(count, N / 2);
	for (i = 0; i < N; i++)
		if (perm[i] % 2 == 0)
			tree_erase(&root, &items[perm[i]]);
	CHECK(RB_EMPTY_ROOT(&root));

	/* ascending order: a plain BST would be a list a million deep */
	for (i = 0; i < N; i++) {
		items[i].key = i;
		CHECK(tree_insert(&root, &items[i]));
	}
	check_balance(&root, N);
	/* erase from the front, always the leftmost */
	for (i = 0; i < N; i++) {
		CHECK(rb_first(&root) == &items[i].rb);
		tree_erase(&root, &items[i]);
		if (i % 100000 == 0)
			check_balance(&root, N - i - 1);
	}
	CHECK(RB_EMPTY_ROOT(&root));
	free(items);
	free(perm);
}

/* rb_validate itself must catch broken trees */
TEST(validate_detects)
{
	struct item it[3];
	struct rb_root root = RB_ROOT;

	memset(it, 0, sizeof(it));
	for (int i = 0; i < 3; i++) {
		it[i].key = i;
		CHECK(tree_insert(&root, &it[i]));
	}
	/* 1 is the black root with red 0 and 2 */
	CHECK(root.rb_node == &it[1].rb);
	CHECK_EQ(rb_validate(&root), 1);

	/* red root */
	it[1].rb.__rb_parent_color &= ~1UL;
	CHECK_EQ(rb_validate(&root), -1);
	it[1].rb.__rb_parent_color |= RB_BLACK;

	/* unequal black heights */
	it[0].rb.__rb_parent_color |= RB_BLACK;
	CHECK_EQ(rb_validate(&root), -1);
	/* both black: fine again, height 2 */
	it[2].rb.__rb_parent_color |= RB_BLACK;
	CHECK_EQ(rb_validate(&root), 2);
	it[0].rb.__rb_parent_color &= ~1UL;
	it[2].rb.__rb_parent_color &= ~1UL;
	CHECK_EQ(rb_validate(&root), 1);

	/* red under red */
	struct item x = { .key = 3 };
	CHECK(tree_insert(&root, &x)); /* recolours: 0 and 2 black, 3 red */
	CHECK_EQ(rb_validate(&root), 2);
	x.rb.__rb_parent_color &= ~1UL;
	it[2].rb.__rb_parent_color &= ~1UL;
	CHECK_EQ(rb_validate(&root), -1);
	it[2].rb.__rb_parent_color |= RB_BLACK;
	CHECK_EQ(rb_validate(&root), 2);

	/* wrong parent pointer */
	unsigned long saved = x.rb.__rb_parent_color;
	x.rb.__rb_parent_color = (unsigned long)&it[0].rb | (saved & 1UL);
	CHECK_EQ(rb_validate(&root), -1);
	x.rb.__rb_parent_color = saved;
	CHECK_EQ(rb_validate(&root), 2);

	/* root with a parent */
	saved = it[1].rb.__rb_parent_color;
	it[1].rb.__rb_parent_color = (unsigned long)&it[0].rb | RB_BLACK;
	CHECK_EQ(rb_validate(&root), -1);
	it[1].rb.__rb_parent_color = saved;

	/* a cycle: a child pointing back up at the root */
	x.rb.rb_left = &it[1].rb;
	CHECK_EQ(rb_validate(&root), -1);
	x.rb.rb_left = NULL;
	CHECK_EQ(rb_validate(&root), 2);
}

#define TESTS(X) X(empty) X(random_small) X(random_medium) X(random_large) X(walk) \
	X(replace_node) X(erase_shapes) X(augmented_random) X(augmented_erase_shapes) \
	X(million) X(validate_detects)
TEST_MAIN("rbtree", TESTS)
