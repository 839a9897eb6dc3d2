// SPDX-License-Identifier: MIT
/*
 * src/rmap.c - anon_vma, the anchor of anonymous reverse mapping
 * (mm/rmap.c), reduced to what merging and fork need.
 *
 * mmkit keeps no anon_vma_chain objects: a VMA points at one anon_vma and
 * remembers how long its chain would be (anon_vma_chain_len): 1 for a VMA
 * that got its anon_vma by a fault, the parent VMA's length + 1 for a VMA
 * forked from one. An anon_vma's refcount counts the VMAs pointing at it
 * and the anon_vmas forked from it (their ->parent); it is freed when that
 * reaches zero, and then drops its own reference on its parent.
 */
#include "vma.h"

static MMK_ATOMIC(unsigned long) anon_vma_serial;

static struct anon_vma *anon_vma_alloc(void)
{
	struct anon_vma *anon_vma = kmem_cache_alloc(anon_vma_cachep, GFP_KERNEL);

	if (!anon_vma)
		return NULL;
	atomic_set(&anon_vma->refcount, 1);
	anon_vma->root = anon_vma;
	anon_vma->parent = NULL;
	anon_vma->id = atomic_fetch_add(&anon_vma_serial, 1) + 1;
	return anon_vma;
}

void get_anon_vma(struct anon_vma *anon_vma)
{
	atomic_inc(&anon_vma->refcount);
}

void put_anon_vma(struct anon_vma *anon_vma)
{
	/* a chain of parents may go with it: walk up instead of recursing */
	while (anon_vma && atomic_dec_and_test(&anon_vma->refcount)) {
		struct anon_vma *parent = anon_vma->parent;

		kmem_cache_free(anon_vma_cachep, anon_vma);
		anon_vma = parent;
	}
}

/* anon_vma_compatible: could @a and @b (a right below b) be one VMA as far
 * as their anonymous pages go (flags may differ in the access bits) */
static bool anon_vma_compatible(const struct vm_area_struct *a, const struct vm_area_struct *b)
{
	return a->vm_end == b->vm_start && a->vm_file == b->vm_file &&
	       !((a->vm_flags ^ b->vm_flags) & ~(VM_ACCESS_FLAGS | VM_SOFTDIRTY)) &&
	       b->vm_pgoff == a->vm_pgoff + ((b->vm_start - a->vm_start) >> PAGE_SHIFT);
}

/* reusable_anon_vma: @old's anon_vma, if it is its own (singular chain) */
static struct anon_vma *reusable_anon_vma(const struct vm_area_struct *old,
					  const struct vm_area_struct *a,
					  const struct vm_area_struct *b)
{
	if (anon_vma_compatible(a, b) && old->anon_vma && old->anon_vma_chain_len == 1)
		return old->anon_vma;
	return NULL;
}

/*
 * find_mergeable_anon_vma - share a touching neighbour's anon_vma so that
 * a later mprotect can merge the two again: the next VMA first, then the
 * previous one.
 */
static struct anon_vma *find_mergeable_anon_vma(struct vm_area_struct *vma)
{
	struct anon_vma *anon_vma = NULL;

	if (vma->vm_next)
		anon_vma = reusable_anon_vma(vma->vm_next, vma, vma->vm_next);
	if (!anon_vma && vma->vm_prev)
		anon_vma = reusable_anon_vma(vma->vm_prev, vma->vm_prev, vma);
	return anon_vma;
}

/*
 * anon_vma_prepare - the first write fault on a private VMA gives it an
 * anon_vma (__anon_vma_prepare): a neighbour's when find_mergeable_anon_vma
 * finds one, else a new one. 0 or -ENOMEM.
 */
int anon_vma_prepare(struct vm_area_struct *vma)
{
	struct anon_vma *anon_vma;

	/* a fault calls this under page_table_lock (memory.c) and looks at the
	 * pointer without it first: publish it with release semantics */
	if (__atomic_load_n(&vma->anon_vma, __ATOMIC_ACQUIRE))
		return 0;
	anon_vma = find_mergeable_anon_vma(vma);
	if (anon_vma) {
		get_anon_vma(anon_vma);
	} else {
		anon_vma = anon_vma_alloc();
		if (!anon_vma)
			return -ENOMEM;
	}
	vma->anon_vma_chain_len = 1;
	__atomic_store_n(&vma->anon_vma, anon_vma, __ATOMIC_RELEASE);
	return 0;
}

/* anon_vma_clone: @dst (a split-off part, a merge target, an mremap copy)
 * links to everything @src is linked to */
int anon_vma_clone(struct vm_area_struct *dst, struct vm_area_struct *src)
{
	if (!src->anon_vma)
		return 0;
	get_anon_vma(src->anon_vma);
	dst->anon_vma = src->anon_vma;
	dst->anon_vma_chain_len = src->anon_vma_chain_len;
	return 0;
}

/*
 * anon_vma_fork - the child's copy @vma of @pvma gets its own anon_vma,
 * forked from the parent's, and a chain one longer than the parent's.
 * On -ENOMEM @vma is left without an anon_vma.
 */
int anon_vma_fork(struct vm_area_struct *vma, struct vm_area_struct *pvma)
{
	struct anon_vma *anon_vma;

	/* the copy only borrowed the parent's pointer */
	vma->anon_vma = NULL;
	vma->anon_vma_chain_len = 0;
	if (!pvma->anon_vma)
		return 0;
	anon_vma = anon_vma_alloc();
	if (!anon_vma)
		return -ENOMEM;
	anon_vma->parent = pvma->anon_vma;
	anon_vma->root = pvma->anon_vma->root;
	get_anon_vma(pvma->anon_vma);
	vma->anon_vma = anon_vma;
	vma->anon_vma_chain_len = pvma->anon_vma_chain_len + 1;
	return 0;
}

/* unlink_anon_vmas - @vma lets go of its anon_vma (unmap, exit, merge) */
void unlink_anon_vmas(struct vm_area_struct *vma)
{
	struct anon_vma *anon_vma = vma->anon_vma;

	vma->anon_vma = NULL;
	vma->anon_vma_chain_len = 0;
	if (anon_vma)
		put_anon_vma(anon_vma);
}
