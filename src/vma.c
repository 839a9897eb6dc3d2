// SPDX-License-Identifier: MIT
/*
 * src/vma.c - the VMA store of an mm and the merge/split engine
 * (the kernel's mm/vma.c, with the 4.x mm_rb tree in place of the maple
 * tree, as the seed's 2.4 descriptor has it).
 *
 * Invariants of an mm's address space (checked by validate_mm()):
 *  - mm->mmap is a doubly-linked list (vm_next / vm_prev) of the VMAs in
 *    address order; each VMA is non-empty, page aligned, and ends at or
 *    before the next one starts (no overlap).
 *  - mm->mm_rb holds exactly the same VMAs keyed by vm_start; its in-order
 *    walk is the list.
 *  - every node's rb_subtree_gap is the largest gap in its subtree, where
 *    the gap of a VMA is vm_start - prev->vm_end, or vm_start for the first
 *    VMA: the free space as the maple tree of 6.x kernels records it. The
 *    stack guard gap (vm_start_gap) is applied by the free-area search on
 *    top of it, as 6.x does (see unmapped_area_topdown in mmap.c): 4.x
 *    folded it into the stored gap, which places mappings differently
 *    when another VMA sits inside a stack's guard gap.
 *  - mm->highest_vm_end is vm_end_gap() of the last VMA, 0 for none.
 *  - mm->map_count is the number of VMAs.
 *  - mm->mmap_cache is NULL or a VMA of this mm; it is reset whenever a
 *    VMA is removed or its bounds change.
 *  - total_vm, data_vm, exec_vm, stack_vm are what vm_stat_account() of
 *    every VMA adds up to; locked_vm is the pages of the VM_LOCKED VMAs.
 *  - a VMA with an anon_vma has anon_vma_chain_len >= 1 and holds one
 *    reference on it; file-backed VMAs hold one reference on their file.
 *
 * All functions here run with mm->mmap_sem held for writing, except the
 * lookups (find_vma & co.), which need it held for reading.
 */
#include "vma.h"
#include <limits.h>
#include <sys/mman.h>
#include <stdlib.h>

/* ---- VMA objects (kernel/fork.c: vm_area_alloc & co.) ---------------- */

struct vm_area_struct *vm_area_alloc(struct mm_struct *mm)
{
	struct vm_area_struct *vma = kmem_cache_zalloc(vm_area_cachep, GFP_KERNEL);

	if (!vma)
		return NULL;
	vma->vm_mm = mm;
	RB_CLEAR_NODE(&vma->vm_rb);
	return vma;
}

/*
 * vm_area_dup - a copy of @orig, not linked anywhere. As in the kernel the
 * copy shares @orig's file and anon_vma pointers without taking references:
 * the caller either takes them (get_file, anon_vma_clone / anon_vma_fork)
 * or clears the pointers before freeing the copy.
 */
struct vm_area_struct *vm_area_dup(struct vm_area_struct *orig)
{
	struct vm_area_struct *vma = kmem_cache_alloc(vm_area_cachep, GFP_KERNEL);

	if (!vma)
		return NULL;
	*vma = *orig;
	vma->vm_next = vma->vm_prev = NULL;
	vma->vm_rb.rb_left = vma->vm_rb.rb_right = NULL;
	RB_CLEAR_NODE(&vma->vm_rb);
	vma->rb_subtree_gap = 0;
	return vma;
}

void vm_area_free(struct vm_area_struct *vma)
{
	kmem_cache_free(vm_area_cachep, vma);
}

/* remove_vma: the end of an unlinked VMA (mm/vma.c) */
void remove_vma(struct vm_area_struct *vma)
{
	if (vma->vm_file) {
		fput(vma->vm_file);
		vma->vm_file = NULL;
	}
	unlink_anon_vmas(vma);
	vm_area_free(vma);
}

/* ---- the augmented tree ------------------------------------------------ */

static inline struct vm_area_struct *rb_vma(struct rb_node *n)
{
	return n ? rb_entry(n, struct vm_area_struct, vm_rb) : NULL;
}

/* the free gap right below @vma */
static unsigned long vma_compute_gap(const struct vm_area_struct *vma)
{
	return vma->vm_start - (vma->vm_prev ? vma->vm_prev->vm_end : 0);
}

/* the largest gap in @vma's subtree, from its children's stored values */
static unsigned long vma_compute_subtree_gap(const struct vm_area_struct *vma)
{
	unsigned long max = vma_compute_gap(vma);
	const struct vm_area_struct *child;

	child = rb_vma(vma->vm_rb.rb_left);
	if (child && child->rb_subtree_gap > max)
		max = child->rb_subtree_gap;
	child = rb_vma(vma->vm_rb.rb_right);
	if (child && child->rb_subtree_gap > max)
		max = child->rb_subtree_gap;
	return max;
}

static void vma_gap_propagate(struct rb_node *node, struct rb_node *stop)
{
	while (node != stop) {
		struct vm_area_struct *vma = rb_vma(node);
		unsigned long gap = vma_compute_subtree_gap(vma);

		if (vma->rb_subtree_gap == gap)
			break;
		vma->rb_subtree_gap = gap;
		node = rb_parent(node);
	}
}

static void vma_gap_copy(struct rb_node *old, struct rb_node *new_node)
{
	rb_vma(new_node)->rb_subtree_gap = rb_vma(old)->rb_subtree_gap;
}

static void vma_gap_rotate(struct rb_node *old, struct rb_node *new_node)
{
	struct vm_area_struct *o = rb_vma(old);

	rb_vma(new_node)->rb_subtree_gap = o->rb_subtree_gap;
	o->rb_subtree_gap = vma_compute_subtree_gap(o);
}

static const struct rb_augment_callbacks vma_gap_callbacks = {
	.propagate = vma_gap_propagate,
	.copy = vma_gap_copy,
	.rotate = vma_gap_rotate,
};

/*
 * vma_gap_update - @vma's own gap changed: fix the subtree values up to
 * the root. Going up, a parent is only recomputed when it can change: a
 * child's value that grew beyond the parent's becomes the parent's; one
 * that shrank matters only if it was the parent's maximum.
 */
static void vma_gap_update(struct vm_area_struct *vma)
{
	struct vm_area_struct *v = vma;
	unsigned long old = v->rb_subtree_gap, new = vma_compute_subtree_gap(v);

	while (new != old) {
		struct rb_node *parent = rb_parent(&v->vm_rb);
		struct vm_area_struct *p;
		unsigned long pold;

		v->rb_subtree_gap = new;
		if (!parent)
			return;
		p = rb_vma(parent);
		pold = p->rb_subtree_gap;
		if (new > old) {
			if (new <= pold)
				return;
			old = pold;
			/* new is above everything else under the parent */
		} else {
			if (old < pold)
				return;
			old = pold;
			new = vma_compute_subtree_gap(p);
		}
		v = p;
	}
}

static inline void mmap_cache_reset(struct mm_struct *mm)
{
	__atomic_store_n(&mm->mmap_cache, NULL, __ATOMIC_RELAXED);
}

/*
 * The find_vma index of a large address space. A red-black tree of a
 * million VMAs is some 20 levels of pointers, each a cache and TLB miss;
 * the VMAs' ends in one array are a search over 8 MiB of contiguous
 * memory, several times faster. The array is a static B-tree (an
 * "S-tree"): nodes of VMA_INDEX_B ends, two cache lines, laid out as the
 * implicit (B+1)-ary tree of a heap (node k's children are k(B+1)+1 ..
 * k(B+1)+B+1, the in-order walk is address order), so a search of a
 * million VMAs reads five nodes, where a binary search reads twenty ends
 * and misses the cache for most of the last ten. A parallel array maps
 * each slot to its VMA. So an mm of at least
 * VMA_INDEX_MIN VMAs that has seen as many lookups as it has VMAs since
 * its last change (the index then costs at most one more list walk per
 * tree walk already done) gets a snapshot of its (vm_end, vma) pairs,
 * built by a lookup under mmap_sem for reading and published with
 * a compare-and-swap (concurrent builders: the loser frees its copy).
 * Every change of the VMA set or of a VMA's bounds (vma_link_after,
 * vma_unlink, vma_set_range, exit_mmap through vma_index_drop) runs under
 * mmap_sem for writing and throws the snapshot away. The tree stays the
 * truth; the index is plain malloc memory (its absence is never an error,
 * and it stays out of the fault injector's count).
 *
 * struct mm_struct has no field for it: the snapshots live in a small
 * table keyed by the mm (open addressing, linear probing, tombstones),
 * which holds an entry exactly while its mm has >= VMA_INDEX_MIN VMAs and
 * was looked up; smaller mms never probe it. Entries are created under
 * vma_index_lock and read without it.
 */
#define VMA_INDEX_MIN 4096
#define VMA_INDEX_SLOTS 256
#define VMA_INDEX_TOMB ((struct mm_struct *)1)

/*
 * end[]: nb nodes of VMA_INDEX_B ends each, in the tree's order; the slots
 * after the last VMA hold ULONG_MAX. vma[i] is the VMA whose end is
 * end[i] (NULL for those). end[] starts on a cache line.
 */
#define VMA_INDEX_B 16
#define VMA_INDEX_HDR 64
struct vma_index {
	long n, nb;
	size_t mapped; /* bytes of its own host mapping, or 0 (malloc) */
	unsigned long *end;
	struct vm_area_struct **vma;
};
struct vma_index_slot {
	MMK_ATOMIC(struct mm_struct *) mm;
	MMK_ATOMIC(struct vma_index *) index;
	MMK_ATOMIC(long) lookups; /* tree walks since the last change */
} __attribute__((aligned(64)));

static struct vma_index_slot vma_index_table[VMA_INDEX_SLOTS];
static pthread_mutex_t vma_index_lock = PTHREAD_MUTEX_INITIALIZER;
/* live entries; at half the table no more are made (probes stay short and
 * a lookup of an mm left out never takes the lock) */
static MMK_ATOMIC(int) vma_index_nr;

static inline unsigned int vma_index_hash(const struct mm_struct *mm)
{
	return (unsigned int)(((uintptr_t)mm >> 6) * 0x9e3779b97f4a7c15ULL >> 56) & (VMA_INDEX_SLOTS - 1);
}

static struct vma_index_slot *vma_index_slot(const struct mm_struct *mm)
{
	unsigned int h = vma_index_hash(mm);

	for (unsigned int i = 0; i < VMA_INDEX_SLOTS; i++) {
		struct vma_index_slot *e = &vma_index_table[(h + i) & (VMA_INDEX_SLOTS - 1)];
		struct mm_struct *m = atomic_load_explicit(&e->mm, memory_order_acquire);

		if (m == mm)
			return e;
		if (!m)
			return NULL;
	}
	return NULL;
}

/* the mm's entry, made if needed; NULL when the table is full */
static struct vma_index_slot *vma_index_slot_get(struct mm_struct *mm)
{
	struct vma_index_slot *e = vma_index_slot(mm), *free_slot = NULL;
	unsigned int h;

	if (e)
		return e;
	if (atomic_load_explicit(&vma_index_nr, memory_order_relaxed) >= VMA_INDEX_SLOTS / 2)
		return NULL;
	pthread_mutex_lock(&vma_index_lock);
	h = vma_index_hash(mm);
	for (unsigned int i = 0; i < VMA_INDEX_SLOTS; i++) {
		struct vma_index_slot *s = &vma_index_table[(h + i) & (VMA_INDEX_SLOTS - 1)];
		struct mm_struct *m = atomic_load_explicit(&s->mm, memory_order_relaxed);

		if (m == mm) {
			e = s;
			break;
		}
		if (m == VMA_INDEX_TOMB && !free_slot)
			free_slot = s;
		if (!m) {
			if (!free_slot)
				free_slot = s;
			break;
		}
	}
	if (!e && free_slot && atomic_load_explicit(&vma_index_nr, memory_order_relaxed) < VMA_INDEX_SLOTS / 2) {
		atomic_fetch_add_explicit(&vma_index_nr, 1, memory_order_relaxed);
		e = free_slot;
		atomic_store_explicit(&e->index, NULL, memory_order_relaxed);
		atomic_store_explicit(&e->lookups, 0, memory_order_relaxed);
		atomic_store_explicit(&e->mm, mm, memory_order_release);
	}
	pthread_mutex_unlock(&vma_index_lock);
	return e;
}

/* mmap_sem held for writing: the VMAs of @mm changed */
/*
 * An index of a million VMAs is 16 MiB: it gets a host mapping of its own,
 * aligned and advised for huge pages, so that a search does not also pay
 * a TLB miss at every level (the sorted array it competes with fits the
 * TLB at 8 MiB). Small ones come from malloc.
 */
#define VMA_INDEX_MAP_MIN (2UL << 20)

static struct vma_index *vma_index_alloc(long n)
{
	long nb = (n + VMA_INDEX_B - 1) / VMA_INDEX_B;
	size_t bytes = VMA_INDEX_HDR + 2 * (size_t)nb * VMA_INDEX_B * sizeof(unsigned long);
	struct vma_index *idx;

	if (bytes >= VMA_INDEX_MAP_MIN) {
		size_t len = (bytes + VMA_INDEX_MAP_MIN - 1) & ~(VMA_INDEX_MAP_MIN - 1);

		idx = mmk_host_map_aligned(len, VMA_INDEX_MAP_MIN, true);
		if (!idx)
			return NULL;
		idx->mapped = len;
	} else {
		idx = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
		if (!idx)
			return NULL;
		idx->mapped = 0;
	}
	idx->n = n;
	idx->nb = nb;
	idx->end = (unsigned long *)((char *)idx + VMA_INDEX_HDR);
	idx->vma = (struct vm_area_struct **)(idx->end + nb * VMA_INDEX_B);
	return idx;
}

static void vma_index_free(struct vma_index *idx)
{
	if (idx && idx->mapped)
		munmap(idx, idx->mapped);
	else
		free(idx);
}

static void vma_index_changed(struct mm_struct *mm)
{
	struct vma_index_slot *e;
	struct vma_index *idx;

	/* an entry exists only while map_count >= VMA_INDEX_MIN; an unlink
	 * may just have brought it one below */
	if (likely(mm->map_count + 1 < VMA_INDEX_MIN))
		return;
	e = vma_index_slot(mm);
	if (!e)
		return;
	idx = atomic_load_explicit(&e->index, memory_order_relaxed);
	if (idx) {
		atomic_store_explicit(&e->index, NULL, memory_order_relaxed);
		vma_index_free(idx);
	}
	atomic_store_explicit(&e->lookups, 0, memory_order_relaxed);
	if (mm->map_count < VMA_INDEX_MIN) {
		pthread_mutex_lock(&vma_index_lock);
		atomic_store_explicit(&e->mm, VMA_INDEX_TOMB, memory_order_release);
		atomic_fetch_sub_explicit(&vma_index_nr, 1, memory_order_relaxed);
		pthread_mutex_unlock(&vma_index_lock);
	}
}

/* exit_mmap (mmap_sem held for writing): @mm is about to lose every VMA */
void vma_index_drop(struct mm_struct *mm);
void vma_index_drop(struct mm_struct *mm)
{
	int count = mm->map_count;

	mm->map_count = 0;
	vma_index_changed(mm);
	mm->map_count = count;
}

/* the child of node @k between its ends i-1 and i (i = 0..B) */
static inline long vma_index_child(long k, unsigned int i)
{
	return k * (VMA_INDEX_B + 1) + i + 1;
}

/* fill node @k's subtree in order from the list at *@vp (NULL: padding) */
static void vma_index_fill(struct vma_index *idx, long k, struct vm_area_struct **vp)
{
	if (k >= idx->nb)
		return;
	for (unsigned int i = 0; i < VMA_INDEX_B; i++) {
		long slot = k * VMA_INDEX_B + i;

		vma_index_fill(idx, vma_index_child(k, i), vp);
		idx->vma[slot] = *vp;
		idx->end[slot] = *vp ? (*vp)->vm_end : ULONG_MAX;
		if (*vp)
			*vp = (*vp)->vm_next;
	}
	vma_index_fill(idx, vma_index_child(k, VMA_INDEX_B), vp);
}

static struct vma_index *vma_index_build(struct mm_struct *mm, struct vma_index_slot *e)
{
	long n = mm->map_count, i;
	struct vma_index *idx = vma_index_alloc(n), *old = NULL;
	struct vm_area_struct *v = mm->mmap;

	if (!idx)
		return NULL;
	/* the list in address order fills the tree in order */
	vma_index_fill(idx, 0, &v);
	/* map_count and the list disagree (VMAs left over, or fewer slots
	 * filled than map_count): leave it to the tree */
	for (i = 0; i < idx->nb * VMA_INDEX_B; i++)
		n -= idx->vma[i] != NULL;
	if (v || n) {
		vma_index_free(idx);
		return NULL;
	}
	if (!atomic_compare_exchange_strong_explicit(&e->index, &old, idx, memory_order_acq_rel,
						     memory_order_acquire)) {
		vma_index_free(idx);
		idx = old;
	}
	return idx;
}

/*
 * The first VMA with end > @addr. In each node, the ends <= @addr are
 * counted (the node is sorted, so the count is the position of the first
 * end above @addr); that end, if any, is the best answer so far, and the
 * search goes down to the child just left of it. The last answer found is
 * the smallest end above @addr; a padding slot answers NULL.
 */
static inline struct vm_area_struct *vma_index_find(const struct vma_index *idx, unsigned long addr)
{
	const unsigned long *end = idx->end;
	long k = 0, best = -1;

	while (k < idx->nb) {
		const unsigned long *node = end + k * VMA_INDEX_B;
		unsigned int i = 0;

		for (unsigned int j = 0; j < VMA_INDEX_B; j++)
			i += node[j] <= addr;
		if (i < VMA_INDEX_B)
			best = k * VMA_INDEX_B + i;
		k = vma_index_child(k, i);
	}
	return best >= 0 ? idx->vma[best] : NULL;
}

/* find_vma through the index; false when the tree must answer */
static bool find_vma_indexed(struct mm_struct *mm, unsigned long addr, struct vm_area_struct **pvma)
{
	struct vma_index_slot *e = vma_index_slot_get(mm);
	struct vma_index *idx;

	if (!e)
		return false;
	idx = atomic_load_explicit(&e->index, memory_order_acquire);
	if (!idx) {
		if (atomic_fetch_add_explicit(&e->lookups, 1, memory_order_relaxed) + 1 < mm->map_count)
			return false;
		idx = vma_index_build(mm, e);
		if (!idx)
			return false;
	}
	*pvma = vma_index_find(idx, addr);
	return true;
}

/* walk node @k's subtree in order against the list at *@vp; -1 at the
 * first slot that differs (*@pos counts the slots that agreed) */
static int vma_index_check(const struct vma_index *idx, long k, struct vm_area_struct **vp, long *pos)
{
	if (k >= idx->nb)
		return 0;
	for (unsigned int i = 0; i <= VMA_INDEX_B; i++) {
		long slot = k * VMA_INDEX_B + i;

		if (vma_index_check(idx, vma_index_child(k, i), vp, pos))
			return -1;
		if (i == VMA_INDEX_B)
			break;
		if (idx->vma[slot] != *vp || idx->end[slot] != (*vp ? (*vp)->vm_end : ULONG_MAX))
			return -1;
		if (*vp) {
			*vp = (*vp)->vm_next;
			(*pos)++;
		}
	}
	return 0;
}

/* validate_mm's part: the index, if any, is the list */
static int vma_index_validate(struct mm_struct *mm)
{
	struct vma_index_slot *e = mm->map_count >= VMA_INDEX_MIN ? vma_index_slot(mm) : NULL;
	struct vma_index *idx = e ? atomic_load_explicit(&e->index, memory_order_acquire) : NULL;
	struct vm_area_struct *v;
	long i = 0;

	if (!idx)
		return 0;
	v = mm->mmap;
	if (vma_index_check(idx, 0, &v, &i) || v) {
		mmk_warn("validate_mm %p: the find_vma index differs from the VMA list at entry %ld",
			 (void *)mm, i);
		return -1;
	}
	return 0;
}

/*
 * vma_link_after - put @vma right after @prev (the first VMA if NULL).
 * In a binary search tree two in-order neighbours are always linked so
 * that either @prev has no right child or its successor has no left child:
 * the new node goes into that empty slot, no search needed.
 */
void vma_link_after(struct mm_struct *mm, struct vm_area_struct *vma, struct vm_area_struct *prev)
{
	struct vm_area_struct *next = prev ? prev->vm_next : mm->mmap;
	struct rb_node *parent = NULL, **link = &mm->mm_rb.rb_node;

	vma->vm_mm = mm;
	vma->vm_prev = prev;
	vma->vm_next = next;
	if (prev)
		prev->vm_next = vma;
	else
		mm->mmap = vma;
	if (next) {
		next->vm_prev = vma;
		vma_gap_update(next);
	} else {
		mm->highest_vm_end = vm_end_gap(vma);
	}

	if (prev && !prev->vm_rb.rb_right) {
		parent = &prev->vm_rb;
		link = &prev->vm_rb.rb_right;
	} else if (next) {
		parent = &next->vm_rb;
		link = &next->vm_rb.rb_left;
	}
	rb_link_node(&vma->vm_rb, parent, link);
	vma->rb_subtree_gap = 0;
	vma_gap_update(vma);
	rb_insert_augmented(&vma->vm_rb, &mm->mm_rb, &vma_gap_callbacks);
	mm->map_count++;
	vma_index_changed(mm);
}

void vma_unlink(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct *prev = vma->vm_prev, *next = vma->vm_next;

	/* the gaps are consistent here, as the augmented erase requires */
	rb_erase_augmented(&vma->vm_rb, &mm->mm_rb, &vma_gap_callbacks);
	RB_CLEAR_NODE(&vma->vm_rb);
	if (prev)
		prev->vm_next = next;
	else
		mm->mmap = next;
	if (next) {
		next->vm_prev = prev;
		vma_gap_update(next);
	} else {
		mm->highest_vm_end = prev ? vm_end_gap(prev) : 0;
	}
	vma->vm_next = vma->vm_prev = NULL;
	mm->map_count--;
	mmap_cache_reset(mm);
	vma_index_changed(mm);
}

void vma_set_range(struct vm_area_struct *vma, unsigned long start, unsigned long end,
		   unsigned long pgoff)
{
	struct mm_struct *mm = vma->vm_mm;
	bool start_moved = start != vma->vm_start, end_moved = end != vma->vm_end;

	vma->vm_start = start;
	vma->vm_end = end;
	vma->vm_pgoff = pgoff;
	/* a VMA's gap depends on its start; its end is the next one's gap */
	if (start_moved)
		vma_gap_update(vma);
	if (end_moved) {
		if (vma->vm_next)
			vma_gap_update(vma->vm_next);
		else
			mm->highest_vm_end = vm_end_gap(vma);
	}
	mmap_cache_reset(mm);
	vma_index_changed(mm);
}

/* ---- lookups ----------------------------------------------------------- */

/* find_vma - the first VMA with vm_end > @addr (mm/mmap.c) */
struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma = __atomic_load_n(&mm->mmap_cache, __ATOMIC_RELAXED);
	struct rb_node *node;

	if (vma && vma->vm_start <= addr && vma->vm_end > addr)
		return vma;
	if (unlikely(mm->map_count >= VMA_INDEX_MIN) && find_vma_indexed(mm, addr, &vma))
		goto found;
	vma = NULL;
	node = mm->mm_rb.rb_node;
	while (node) {
		struct vm_area_struct *v = rb_vma(node);

		if (v->vm_end > addr) {
			vma = v;
			if (v->vm_start <= addr)
				break;
			node = node->rb_left;
		} else {
			node = node->rb_right;
		}
	}
found:
	if (vma)
		__atomic_store_n(&mm->mmap_cache, vma, __ATOMIC_RELAXED);
	return vma;
}

/*
 * find_vma_links - one descent for both neighbours of @addr: returns the
 * first VMA ending above @addr (as find_vma) and sets *@pprev to the VMA
 * before it (the last one ending at or below @addr).
 */
struct vm_area_struct *find_vma_links(struct mm_struct *mm, unsigned long addr,
				      struct vm_area_struct **pprev)
{
	struct rb_node *node = mm->mm_rb.rb_node;
	struct vm_area_struct *vma = NULL, *prev = NULL;

	while (node) {
		struct vm_area_struct *v = rb_vma(node);

		if (v->vm_end > addr) {
			vma = v;
			if (v->vm_start <= addr)
				break;
			node = node->rb_left;
		} else {
			prev = v;
			node = node->rb_right;
		}
	}
	*pprev = vma ? vma->vm_prev : prev;
	return vma;
}

struct vm_area_struct *vma_last(struct mm_struct *mm)
{
	return rb_vma(rb_last(&mm->mm_rb));
}

struct vm_area_struct *find_vma_prev(struct mm_struct *mm, unsigned long addr,
				     struct vm_area_struct **pprev)
{
	struct vm_area_struct *vma = find_vma(mm, addr);

	*pprev = vma ? vma->vm_prev : vma_last(mm);
	return vma;
}

struct vm_area_struct *find_vma_intersection(struct mm_struct *mm, unsigned long start,
					     unsigned long end)
{
	struct vm_area_struct *vma = find_vma(mm, start);

	if (vma && end <= vma->vm_start)
		vma = NULL;
	return vma;
}

struct vm_area_struct *vma_lookup(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma = find_vma(mm, addr);

	if (vma && addr < vma->vm_start)
		vma = NULL;
	return vma;
}

/* ---- insert_vm_struct (mm/vma.c) --------------------------------------- */

int insert_vm_struct(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct *next;

	if (find_vma_intersection(mm, vma->vm_start, vma->vm_end))
		return -ENOMEM;
	if (vma_is_anonymous(vma)) {
		mmk_assert_internal(!vma->anon_vma);
		vma->vm_pgoff = vma->vm_start >> PAGE_SHIFT;
	}
	next = find_vma(mm, vma->vm_start);
	vma_link_after(mm, vma, next ? next->vm_prev : vma_last(mm));
	return 0;
}

/* ---- splitting (mm/vma.c: __split_vma, split_vma) ---------------------- */

int __split_vma(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long addr, int new_below)
{
	struct vm_area_struct *new;

	mmk_assert_internal(addr > vma->vm_start && addr < vma->vm_end);
	new = vm_area_dup(vma);
	if (!new)
		return -ENOMEM;
	if (new_below) {
		new->vm_end = addr;
	} else {
		new->vm_start = addr;
		new->vm_pgoff = vma_pgoff_offset(vma, addr);
	}
	/* the copy shares the anon_vma and the file: take the references */
	new->anon_vma = NULL;
	new->anon_vma_chain_len = 0;
	if (vma->anon_vma)
		anon_vma_clone(new, vma);
	if (new->vm_file)
		get_file(new->vm_file);

	/* shrink first so that the two never overlap in the tree */
	if (new_below) {
		vma_set_range(vma, addr, vma->vm_end, vma_pgoff_offset(vma, addr));
		vma_link_after(mm, new, vma->vm_prev);
	} else {
		vma_set_range(vma, vma->vm_start, addr, vma->vm_pgoff);
		vma_link_after(mm, new, vma);
	}
	return 0;
}

int split_vma(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long addr, int new_below)
{
	if (mm->map_count >= sysctl_max_map_count)
		return -ENOMEM;
	return __split_vma(mm, vma, addr, new_below);
}

/* ---- merging (mm/vma.c) ------------------------------------------------ */

/* flags (VM_SOFTDIRTY aside), file and special mapping agree */
static bool is_mergeable_vma(const struct vm_area_struct *vma, unsigned long vm_flags,
			     const struct file *file, const struct vm_special_mapping *special)
{
	if ((vma->vm_flags ^ vm_flags) & ~VM_SOFTDIRTY)
		return false;
	if (vma->vm_file != file)
		return false;
	if (vma->vm_special != special)
		return false;
	return true;
}

/* a VMA whose anon_vma chain is longer than one inherited anon_vmas from a
 * fork: it must not absorb a neighbour (vma_had_uncowed_parents) */
static bool vma_had_uncowed_parents(const struct vm_area_struct *vma)
{
	return vma && vma->anon_vma && vma->anon_vma_chain_len != 1;
}

/* is_mergeable_anon_vma: @tgt would end up with @src's anon state */
static bool is_mergeable_anon_vma(const struct vm_area_struct *tgt,
				  const struct vm_area_struct *src, const struct anon_vma *src_anon)
{
	if (!tgt->anon_vma && src_anon)
		return !vma_had_uncowed_parents(src);
	if (tgt->anon_vma && !src_anon)
		return !vma_had_uncowed_parents(tgt);
	return tgt->anon_vma == src_anon;
}

/* the proposed range's attributes, as the kernel's vma_merge_struct */
struct merge_desc {
	unsigned long start, end, pgoff, vm_flags;
	struct file *file;
	const struct vm_special_mapping *special;
	struct anon_vma *anon_vma;
	struct vm_area_struct *src; /* the existing VMA being changed, or NULL */
};

/* can_vma_merge_after: the range can extend @prev upwards */
static bool can_merge_left(const struct vm_area_struct *prev, const struct merge_desc *d)
{
	return prev && prev->vm_end == d->start &&
	       is_mergeable_vma(prev, d->vm_flags, d->file, d->special) &&
	       is_mergeable_anon_vma(prev, d->src, d->anon_vma) &&
	       prev->vm_pgoff + vma_pages(prev) == d->pgoff;
}

/* can_vma_merge_before: the range can extend @next downwards; with a left
 * merge too, prev and next must also agree with each other */
static bool can_merge_right(const struct vm_area_struct *prev, const struct vm_area_struct *next,
			    const struct merge_desc *d, bool left)
{
	if (!next || next->vm_start != d->end ||
	    !is_mergeable_vma(next, d->vm_flags, d->file, d->special) ||
	    !is_mergeable_anon_vma(next, d->src, d->anon_vma) ||
	    next->vm_pgoff != d->pgoff + ((d->end - d->start) >> PAGE_SHIFT))
		return false;
	if (!left)
		return true;
	return !prev->anon_vma || !next->anon_vma || prev->anon_vma == next->anon_vma;
}

/* dup_anon_vma: the surviving @dst takes @src's anon_vma if it has none */
static void dup_anon_vma(struct vm_area_struct *dst, struct vm_area_struct *src)
{
	if (src && src->anon_vma && !dst->anon_vma)
		anon_vma_clone(dst, src);
}

static void unlink_and_remove(struct mm_struct *mm, struct vm_area_struct *vma)
{
	vma_unlink(mm, vma);
	remove_vma(vma);
}

struct vm_area_struct *vma_merge_new_range(struct mm_struct *mm, struct vm_area_struct *prev,
					   struct vm_area_struct *next, unsigned long start,
					   unsigned long end, unsigned long vm_flags,
					   struct file *file, unsigned long pgoff,
					   struct anon_vma *anon_vma,
					   struct vm_area_struct *copied_from, bool just_expand)
{
	struct merge_desc d = {
		.start = start, .end = end, .pgoff = pgoff, .vm_flags = vm_flags,
		.file = file, .special = NULL, .anon_vma = anon_vma, .src = NULL,
	};
	bool left, right;

	if (copied_from)
		d.special = copied_from->vm_special;
	if (vm_flags & VM_SPECIAL)
		return NULL;
	left = can_merge_left(prev, &d);
	right = !just_expand && can_merge_right(prev, next, &d, left);
	if (!left && !right)
		return NULL;

	if (left && right) {
		/*   prev    range    next
		 * |-------|*******|-------|   ->  prev covers all three */
		unsigned long new_end = next->vm_end;

		dup_anon_vma(prev, next);
		dup_anon_vma(prev, copied_from);
		unlink_and_remove(mm, next);
		vma_set_range(prev, prev->vm_start, new_end, prev->vm_pgoff);
		return prev;
	}
	if (left) {
		dup_anon_vma(prev, copied_from);
		vma_set_range(prev, prev->vm_start, end, prev->vm_pgoff);
		return prev;
	}
	dup_anon_vma(next, copied_from);
	vma_set_range(next, start, next->vm_end, pgoff);
	return next;
}

/*
 * vma_merge_existing_range - [start, end) of @middle is to get @newflags:
 * can a neighbour absorb it? Only a range touching an end of @middle can
 * merge; prev and next are middle's list neighbours.
 */
static struct vm_area_struct *vma_merge_existing_range(struct mm_struct *mm,
						       struct vm_area_struct *middle,
						       unsigned long start, unsigned long end,
						       unsigned long newflags)
{
	bool left_side = start == middle->vm_start, right_side = end == middle->vm_end;
	struct vm_area_struct *prev = left_side ? middle->vm_prev : NULL;
	struct vm_area_struct *next = right_side ? middle->vm_next : NULL;
	struct merge_desc d = {
		.start = start, .end = end, .pgoff = vma_pgoff_offset(middle, start),
		.vm_flags = newflags, .file = middle->vm_file, .special = middle->vm_special,
		.anon_vma = middle->anon_vma, .src = middle,
	};
	bool left, right;

	if ((newflags & VM_SPECIAL) || (!left_side && !right_side))
		return NULL;
	left = can_merge_left(prev, &d);
	right = can_merge_right(prev, next, &d, left);
	if (!left && !right)
		return NULL;

	if (left && right) {
		/*   prev  middle  next
		 * |-----|*******|-----|  ->  prev covers all three */
		unsigned long new_end = next->vm_end;

		dup_anon_vma(prev, next->anon_vma ? next : middle);
		unlink_and_remove(mm, middle);
		unlink_and_remove(mm, next);
		vma_set_range(prev, prev->vm_start, new_end, prev->vm_pgoff);
		return prev;
	}
	if (left) {
		/*   prev  middle          prev  middle
		 * |-----|****---|   or  |-----|*******|  : prev grows to end */
		dup_anon_vma(prev, middle);
		if (right_side)
			unlink_and_remove(mm, middle);
		else
			vma_set_range(middle, end, middle->vm_end, vma_pgoff_offset(middle, end));
		vma_set_range(prev, prev->vm_start, end, prev->vm_pgoff);
		return prev;
	}
	/*  middle  next          middle  next
	 * |---****|-----|   or  |*******|-----|  : next grows down to start */
	dup_anon_vma(next, middle);
	if (left_side)
		unlink_and_remove(mm, middle);
	else
		vma_set_range(middle, middle->vm_start, start, middle->vm_pgoff);
	vma_set_range(next, start, next->vm_end, d.pgoff);
	return next;
}

struct vm_area_struct *vma_modify_flags(struct mm_struct *mm, struct vm_area_struct *vma,
					unsigned long start, unsigned long end,
					unsigned long newflags)
{
	struct vm_area_struct *merged;
	int err;

	merged = vma_merge_existing_range(mm, vma, start, end, newflags);
	if (merged)
		return merged;
	if (vma->vm_start < start) {
		err = split_vma(mm, vma, start, 1);
		if (err)
			return ERR_PTR(err);
	}
	if (vma->vm_end > end) {
		err = split_vma(mm, vma, end, 0);
		if (err)
			return ERR_PTR(err);
	}
	return vma;
}

/* ---- munmap (mm/vma.c: do_vmi_munmap, do_vmi_align_munmap) ------------- */

/*
 * vms_gather_munmap_vmas - make [start, end) whole VMAs, beginning at
 * @vma (the first VMA ending above @start). The only map_count refusal is
 * for one VMA split at both ends at the limit: map_count may go one above
 * it for a moment, as the unmap brings it down again. On failure the
 * splits already made stay, as in the kernel.
 */
int vms_gather_munmap_vmas(struct mm_struct *mm, struct vm_area_struct *vma,
			   unsigned long start, unsigned long end)
{
	struct vm_area_struct *v;
	int err;

	if (start > vma->vm_start) {
		if (end < vma->vm_end && mm->map_count >= sysctl_max_map_count)
			return -ENOMEM;
		err = __split_vma(mm, vma, start, 1);
		if (err)
			return err;
	}
	for (v = vma; v && v->vm_start < end; v = v->vm_next) {
		if (v->vm_end > end)
			return __split_vma(mm, v, end, 0);
	}
	return 0;
}

/* vms_complete_munmap_vmas - unlink, unaccount and free the whole VMAs
 * from @vma up to @end */
void vms_complete_munmap_vmas(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long end)
{
	/* the high-water mark sees total_vm before it goes down */
	update_hiwater_vm(mm);
	while (vma && vma->vm_start < end) {
		struct vm_area_struct *next = vma->vm_next;
		long pages = (long)vma_pages(vma);

		if (vma->vm_flags & VM_LOCKED)
			mm->locked_vm -= (unsigned long)pages;
		vm_stat_account(mm, vma->vm_flags, -pages);
		vma_unlink(mm, vma);
		/* the pages, the page tables only it needed, shmem pages; an
		 * anonymous VMA of an mm without a page table below the PGD
		 * (pgtables_bytes counts them all) has none of the three */
		if (vma->vm_file || atomic_long_read(&mm->pgtables_bytes))
			unmap_region(mm, vma);
		else
			update_hiwater_rss(mm);
		remove_vma(vma);
		vma = next;
	}
}

int do_vmi_align_munmap(struct mm_struct *mm, struct vm_area_struct *vma,
			unsigned long start, unsigned long end)
{
	int err = vms_gather_munmap_vmas(mm, vma, start, end);

	if (err)
		return err;
	vms_complete_munmap_vmas(mm, vma, end);
	return 0;
}

int do_munmap(struct mm_struct *mm, unsigned long start, size_t len)
{
	unsigned long end;
	struct vm_area_struct *vma;

	if ((start & ~PAGE_MASK) || start > MMK_TASK_SIZE(mm) || len > MMK_TASK_SIZE(mm) - start)
		return -EINVAL;
	end = start + PAGE_ALIGN(len);
	if (end == start)
		return -EINVAL;
	vma = find_vma_intersection(mm, start, end);
	if (!vma)
		return 0;
	return do_vmi_align_munmap(mm, vma, start, end);
}

/* ---- validate_mm (mm/vma.c) -------------------------------------------- */

int validate_mm(struct mm_struct *mm)
{
	struct vm_area_struct *vma, *prev = NULL, *cache;
	struct rb_node *node = rb_first(&mm->mm_rb);
	unsigned long total = 0, data = 0, exec = 0, stack = 0, locked = 0;
	int bug = 0, count = 0;

	if (vma_index_validate(mm) < 0)
		bug = 1;
	if (rb_validate(&mm->mm_rb) < 0) {
		mmk_warn("validate_mm %p: the red-black tree is broken", (void *)mm);
		bug = 1;
	}
	for (vma = mm->mmap; vma; prev = vma, vma = vma->vm_next) {
		unsigned long pages = vma_pages(vma);

		count++;
		if (count > mm->map_count + 1000000) {
			mmk_warn("validate_mm %p: the VMA list does not end", (void *)mm);
			return -1;
		}
		if (vma->vm_start >= vma->vm_end || (vma->vm_start & ~PAGE_MASK) ||
		    (vma->vm_end & ~PAGE_MASK)) {
			mmk_warn("validate_mm %p: bad VMA %#lx-%#lx", (void *)mm, vma->vm_start, vma->vm_end);
			bug = 1;
		}
		if (vma->vm_mm != mm) {
			mmk_warn("validate_mm %p: VMA %#lx-%#lx belongs to mm %p", (void *)mm,
				 vma->vm_start, vma->vm_end, (void *)vma->vm_mm);
			bug = 1;
		}
		if (vma->vm_prev != prev) {
			mmk_warn("validate_mm %p: VMA %#lx-%#lx has a wrong vm_prev", (void *)mm,
				 vma->vm_start, vma->vm_end);
			bug = 1;
		}
		if (prev && prev->vm_end > vma->vm_start) {
			mmk_warn("validate_mm %p: VMAs %#lx-%#lx and %#lx-%#lx overlap or are unsorted",
				 (void *)mm, prev->vm_start, prev->vm_end, vma->vm_start, vma->vm_end);
			bug = 1;
		}
		if (node != &vma->vm_rb) {
			mmk_warn("validate_mm %p: tree and list differ at VMA %#lx-%#lx", (void *)mm,
				 vma->vm_start, vma->vm_end);
			bug = 1;
		}
		if (node)
			node = rb_next(node);
		if (vma->rb_subtree_gap != vma_compute_subtree_gap(vma)) {
			mmk_warn("validate_mm %p: VMA %#lx-%#lx rb_subtree_gap %#lx, should be %#lx",
				 (void *)mm, vma->vm_start, vma->vm_end, vma->rb_subtree_gap,
				 vma_compute_subtree_gap(vma));
			bug = 1;
		}
		if (vma->anon_vma && (vma->anon_vma_chain_len < 1 ||
				      atomic_read(&vma->anon_vma->refcount) < 1)) {
			mmk_warn("validate_mm %p: VMA %#lx-%#lx has a bad anon_vma chain", (void *)mm,
				 vma->vm_start, vma->vm_end);
			bug = 1;
		}
		if (vma->vm_file && atomic_read(&vma->vm_file->f_count) < 1) {
			mmk_warn("validate_mm %p: VMA %#lx-%#lx maps a released file", (void *)mm,
				 vma->vm_start, vma->vm_end);
			bug = 1;
		}
		total += pages;
		if (is_exec_mapping(vma->vm_flags))
			exec += pages;
		else if (is_stack_mapping(vma->vm_flags))
			stack += pages;
		else if (is_data_mapping(vma->vm_flags))
			data += pages;
		if (vma->vm_flags & VM_LOCKED)
			locked += pages;
	}
	if (node) {
		mmk_warn("validate_mm %p: the tree has more VMAs than the list", (void *)mm);
		bug = 1;
	}
	if (count != mm->map_count) {
		mmk_warn("validate_mm %p: map_count %d, but %d VMAs", (void *)mm, mm->map_count, count);
		bug = 1;
	}
	if (mm->highest_vm_end != (prev ? vm_end_gap(prev) : 0)) {
		mmk_warn("validate_mm %p: highest_vm_end %#lx, should be %#lx", (void *)mm,
			 mm->highest_vm_end, prev ? vm_end_gap(prev) : 0);
		bug = 1;
	}
	cache = __atomic_load_n(&mm->mmap_cache, __ATOMIC_RELAXED);
	if (cache) {
		struct rb_node *n = mm->mm_rb.rb_node;

		while (n && rb_vma(n) != cache)
			n = cache->vm_start < rb_vma(n)->vm_start ? n->rb_left : n->rb_right;
		if (!n) {
			mmk_warn("validate_mm %p: mmap_cache %p is not a VMA of this mm", (void *)mm,
				 (void *)cache);
			bug = 1;
		}
	}
	if (mm->total_vm != total || mm->data_vm != data || mm->exec_vm != exec ||
	    mm->stack_vm != stack) {
		mmk_warn("validate_mm %p: total/data/exec/stack_vm %lu/%lu/%lu/%lu, the VMAs add up to %lu/%lu/%lu/%lu",
			 (void *)mm, mm->total_vm, mm->data_vm, mm->exec_vm, mm->stack_vm, total, data,
			 exec, stack);
		bug = 1;
	}
	if (mm->locked_vm != locked) {
		mmk_warn("validate_mm %p: locked_vm %lu, the VM_LOCKED VMAs add up to %lu", (void *)mm,
			 mm->locked_vm, locked);
		bug = 1;
	}
	return bug ? -1 : 0;
}
