// SPDX-License-Identifier: MIT
/*
 * src/mremap.c - resizing and moving a mapping (mm/mremap.c, the
 * vma_remap_struct version of 6.x): shrink in place, grow in place when the
 * space after the VMA is free, else move (MREMAP_MAYMOVE), to a chosen
 * address (MREMAP_FIXED) or keeping the old range mapped but empty
 * (MREMAP_DONTUNMAP).
 */
#include "vma.h"

enum remap_type { MREMAP_NO_RESIZE, MREMAP_SHRINK, MREMAP_EXPAND };

struct vma_remap {
	unsigned long addr, old_len, new_len, flags, new_addr, delta;
	struct vm_area_struct *vma;
	enum remap_type remap_type;
	bool populate_expand; /* a locked VMA grows: populate the new part */
};

static bool vrm_implies_new_addr(const struct vma_remap *vrm)
{
	return vrm->flags & (MREMAP_FIXED | MREMAP_DONTUNMAP);
}

/* check_mremap_params: what can be refused before taking the lock (the
 * lengths are page aligned already) */
static long check_mremap_params(struct mm_struct *mm, const struct vma_remap *vrm)
{
	unsigned long task_size = MMK_TASK_SIZE(mm);

	if (vrm->flags & ~(unsigned long)(MREMAP_FIXED | MREMAP_MAYMOVE | MREMAP_DONTUNMAP))
		return -EINVAL;
	if (vrm->addr & ~PAGE_MASK)
		return -EINVAL;
	/* old_len 0 is the "duplicate a shared mapping" special case; a zero
	 * new_len is nonsense */
	if (!vrm->new_len)
		return -EINVAL;
	if (vrm->new_len > task_size)
		return -EINVAL;
	if (!vrm_implies_new_addr(vrm))
		return 0;
	if (vrm->new_addr > task_size - vrm->new_len)
		return -EINVAL;
	if (vrm->new_addr & ~PAGE_MASK)
		return -EINVAL;
	if (!(vrm->flags & MREMAP_MAYMOVE))
		return -EINVAL;
	if ((vrm->flags & MREMAP_DONTUNMAP) && vrm->old_len != vrm->new_len)
		return -EINVAL;
	/* the source and target ranges may not overlap */
	if (vrm->addr + vrm->old_len > vrm->new_addr && vrm->new_addr + vrm->new_len > vrm->addr)
		return -EINVAL;
	return 0;
}

/*
 * The map_count headroom a remap needs (__check_map_count_against_split):
 * the copy may add a VMA and unmapping the source may split one (+2);
 * before that, a shrink or the MREMAP_FIXED unmap of the target may each
 * split one more (+2).
 */
static bool map_count_headroom(struct mm_struct *mm, bool before_unmaps)
{
	int map_count = mm->map_count + (before_unmaps ? 2 : 0);

	return map_count + 2 <= sysctl_max_map_count;
}

/*
 * check_prep_vma - can [addr, addr+old_len) of vrm->vma become new_len
 * long (or move)? Sets the remap type; only growing or moving is checked
 * further: the range must lie inside the VMA (a shrink only needs its
 * kept part to), and the growth must fit the limits.
 */
static long check_prep_vma(struct mm_struct *mm, struct vma_remap *vrm)
{
	struct vm_area_struct *vma = vrm->vma;
	unsigned long old_len, new_len, pgoff;

	if (!vma)
		return -EFAULT;
	vrm->delta = vrm->old_len > vrm->new_len ? vrm->old_len - vrm->new_len
						 : vrm->new_len - vrm->old_len;
	vrm->remap_type = !vrm->delta ? MREMAP_NO_RESIZE :
			  vrm->old_len > vrm->new_len ? MREMAP_SHRINK : MREMAP_EXPAND;
	if (!vrm_implies_new_addr(vrm))
		vrm->new_addr = vrm->addr;
	if (vrm->remap_type != MREMAP_EXPAND && !vrm_implies_new_addr(vrm))
		return 0;

	old_len = vrm->old_len;
	new_len = vrm->new_len;
	if (!old_len && !(vma->vm_flags & (VM_SHARED | VM_MAYSHARE)))
		return -EINVAL; /* "duplicating" a private mapping makes no sense */
	if ((vrm->flags & MREMAP_DONTUNMAP) && (vma->vm_flags & (VM_DONTEXPAND | VM_PFNMAP)))
		return -EINVAL;
	if (vrm->remap_type == MREMAP_SHRINK)
		old_len = new_len;
	/* the range may not run past the end of its VMA */
	if (old_len > vma->vm_end - vrm->addr)
		return -EFAULT;
	if (new_len == old_len)
		return 0;
	if (vma->vm_flags & VM_LOCKED)
		vrm->populate_expand = true;
	pgoff = vma_pgoff_offset(vma, vrm->addr);
	if (pgoff + (new_len >> PAGE_SHIFT) < pgoff)
		return -EINVAL;
	if (vma->vm_flags & (VM_DONTEXPAND | VM_PFNMAP))
		return -EFAULT;
	if (!mlock_future_ok(mm, vma->vm_flags & VM_LOCKED, vrm->delta))
		return -EAGAIN;
	if (!may_expand_vm(mm, vma->vm_flags, vrm->delta >> PAGE_SHIFT))
		return -ENOMEM;
	return 0;
}

/* the VMA grew or a copy appeared: account it (vrm_stat_account) */
static void vrm_stat_account(struct mm_struct *mm, struct vma_remap *vrm, unsigned long bytes)
{
	unsigned long pages = bytes >> PAGE_SHIFT;

	vm_stat_account(mm, vrm->vma->vm_flags, (long)pages);
	if (vrm->vma->vm_flags & VM_LOCKED)
		mm->locked_vm += pages;
}

/* vrm_set_new_addr - where the moved VMA goes: new_addr fixed, as a hint
 * (DONTUNMAP alone), or anywhere */
static long vrm_set_new_addr(struct mm_struct *mm, struct vma_remap *vrm)
{
	struct vm_area_struct *vma = vrm->vma;
	unsigned long map_flags = 0, res;

	if (vrm->flags & MREMAP_FIXED)
		map_flags |= MAP_FIXED;
	if (vma->vm_flags & VM_MAYSHARE)
		map_flags |= MAP_SHARED;
	res = get_unmapped_area(mm, vma->vm_file, vrm_implies_new_addr(vrm) ? vrm->new_addr : 0,
				vrm->new_len, vma_pgoff_offset(vma, vrm->addr), map_flags);
	if (IS_ERR_VALUE(res))
		return (long)res;
	vrm->new_addr = res;
	return 0;
}

/*
 * copy_vma - a VMA like *@vmap for [addr, addr+len) at offset @pgoff:
 * merged into a neighbour if possible, else a new VMA. An anonymous VMA
 * that never faulted takes the pgoff of its new address, so that it can
 * merge there; if that merge swallowed the source itself, *@vmap is
 * updated to the VMA that now holds it.
 */
static struct vm_area_struct *copy_vma(struct mm_struct *mm, struct vm_area_struct **vmap,
				       unsigned long addr, unsigned long len, unsigned long pgoff)
{
	struct vm_area_struct *vma = *vmap, *new_vma, *prev, *next;
	unsigned long vma_start = vma->vm_start;

	if (vma_is_anonymous(vma) && !vma->anon_vma)
		pgoff = addr >> PAGE_SHIFT;
	next = find_vma(mm, addr);
	prev = next ? next->vm_prev : vma_last(mm);
	if (next && next->vm_start < addr + len)
		return NULL; /* the caller unmapped the target: cannot happen */

	new_vma = vma_merge_new_range(mm, prev, next, addr, addr + len, vma->vm_flags, vma->vm_file,
				      pgoff, vma->anon_vma, vma, false);
	if (new_vma) {
		if (vma_start >= new_vma->vm_start && vma_start < new_vma->vm_end)
			*vmap = new_vma;
		return new_vma;
	}
	new_vma = vm_area_dup(vma);
	if (!new_vma)
		return NULL;
	new_vma->vm_start = addr;
	new_vma->vm_end = addr + len;
	new_vma->vm_pgoff = pgoff;
	new_vma->anon_vma = NULL;
	new_vma->anon_vma_chain_len = 0;
	anon_vma_clone(new_vma, vma);
	if (new_vma->vm_file)
		get_file(new_vma->vm_file);
	vma_link_after(mm, new_vma, prev);
	return new_vma;
}

/* dontunmap_complete: the old VMA stays, unlocked, and without its
 * anon_vma if all of it moved */
static void dontunmap_complete(struct mm_struct *mm, struct vma_remap *vrm,
			       struct vm_area_struct *new_vma)
{
	struct vm_area_struct *vma = vrm->vma;
	unsigned long start = vrm->addr, end = vrm->addr + vrm->old_len;

	/*
	 * The kernel clears VM_LOCKED on the whole old VMA but leaves
	 * locked_vm alone, so that locked_vm then overcounts; mmkit keeps
	 * locked_vm equal to the VM_LOCKED pages.
	 */
	if (vma->vm_flags & VM_LOCKED)
		mm->locked_vm -= vma_pages(vma);
	vma->vm_flags &= ~VM_LOCKED_MASK;
	if (new_vma != vma && start == vma->vm_start && end == vma->vm_end)
		unlink_anon_vmas(vma);
}

/* move_vma - copy the VMA to new_addr, then unmap the old range */
static long move_vma(struct mm_struct *mm, struct vma_remap *vrm)
{
	struct vm_area_struct *new_vma;
	unsigned long hiwater_vm, moved;
	long err = 0;

	/* the copy may add a VMA, unmapping the source may split one */
	if (!map_count_headroom(mm, false))
		return -ENOMEM;
	new_vma = copy_vma(mm, &vrm->vma, vrm->new_addr, vrm->new_len,
			   vma_pgoff_offset(vrm->vma, vrm->addr));
	if (!new_vma)
		return -ENOMEM;
	moved = move_page_tables(vrm->vma, vrm->addr, new_vma, vrm->new_addr, vrm->old_len);
	if (moved < vrm->old_len) {
		/* no memory for a page table: move back what moved, then unmap
		 * the new range instead of the old (copy_vma_and_data) */
		err = -ENOMEM;
		move_page_tables(new_vma, vrm->new_addr, vrm->vma, vrm->addr, moved);
		vrm->vma = new_vma;
		vrm->old_len = vrm->new_len;
		vrm->addr = vrm->new_addr;
	}

	/* total_vm is briefly too high: keep the high-water mark out of it */
	hiwater_vm = mm->hiwater_vm;
	vrm_stat_account(mm, vrm, vrm->new_len);
	if (!err && (vrm->flags & MREMAP_DONTUNMAP)) {
		dontunmap_complete(mm, vrm, new_vma);
	} else {
		/* on failure (no memory to split) both copies stay, as in the
		 * kernel */
		(void)do_munmap(mm, vrm->addr, vrm->old_len);
	}
	vrm->vma = NULL;
	mm->hiwater_vm = hiwater_vm;
	return err ? err : (long)vrm->new_addr;
}

/* vma_expandable: the space after the VMA is free and inside TASK_SIZE */
static bool vma_expandable(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long delta)
{
	unsigned long end = vma->vm_end + delta;

	if (end < vma->vm_end)
		return false;
	if (find_vma_intersection(mm, vma->vm_end, end))
		return false;
	if (get_unmapped_area(mm, NULL, vma->vm_start, end - vma->vm_start, 0, MAP_FIXED) &
	    ~PAGE_MASK)
		return false;
	return true;
}

static long expand_vma(struct mm_struct *mm, struct vma_remap *vrm)
{
	struct vm_area_struct *vma = vrm->vma;
	long err;

	if (vma->vm_end - vrm->addr == vrm->old_len && vma_expandable(mm, vma, vrm->delta)) {
		/* vma_merge_extend: grow in place, maybe meeting the next VMA */
		vma = vma_merge_new_range(mm, vma, vma->vm_next, vma->vm_end, vma->vm_end + vrm->delta,
					  vma->vm_flags, vma->vm_file,
					  vma_pgoff_offset(vma, vma->vm_end), vma->anon_vma, NULL,
					  false);
		if (!vma)
			return -ENOMEM;
		vrm->vma = vma;
		vrm_stat_account(mm, vrm, vrm->delta);
		return (long)vrm->addr;
	}
	if (!(vrm->flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	err = vrm_set_new_addr(mm, vrm);
	if (err)
		return err;
	return move_vma(mm, vrm);
}

/* mremap_to - move to new_addr (MREMAP_FIXED: whatever is there goes) or
 * to the hint (MREMAP_DONTUNMAP alone) */
static long mremap_to(struct mm_struct *mm, struct vma_remap *vrm)
{
	long err;

	if (vrm->flags & MREMAP_FIXED) {
		err = do_munmap(mm, vrm->new_addr, vrm->new_len);
		vrm->vma = NULL;
		if (err)
			return err;
		/* the unmap may have split the source's VMA */
		vrm->vma = vma_lookup(mm, vrm->addr);
		if (!vrm->vma)
			return -EFAULT;
	}
	if (vrm->remap_type == MREMAP_SHRINK) {
		err = do_munmap(mm, vrm->addr + vrm->new_len, vrm->delta);
		vrm->vma = NULL;
		if (err)
			return err;
		vrm->vma = vma_lookup(mm, vrm->addr);
		if (!vrm->vma)
			return -EFAULT;
		vrm->old_len = vrm->new_len;
	}
	/* DONTUNMAP keeps the source: the copy is all growth */
	if ((vrm->flags & MREMAP_DONTUNMAP) &&
	    !may_expand_vm(mm, vrm->vma->vm_flags, vrm->old_len >> PAGE_SHIFT))
		return -ENOMEM;
	err = vrm_set_new_addr(mm, vrm);
	if (err)
		return err;
	return move_vma(mm, vrm);
}

static long mremap_at(struct mm_struct *mm, struct vma_remap *vrm)
{
	long err;

	switch (vrm->remap_type) {
	case MREMAP_NO_RESIZE:
		return (long)vrm->addr;
	case MREMAP_SHRINK:
		/* shrinking is unmapping the tail, always in place */
		err = do_munmap(mm, vrm->addr + vrm->new_len, vrm->delta);
		return err ? err : (long)vrm->addr;
	case MREMAP_EXPAND:
		break;
	}
	return expand_vma(mm, vrm);
}

/*
 * remap_move - MREMAP_FIXED with old_len == new_len moves every VMA in
 * [addr, addr+old_len), keeping the holes between them; the range must
 * start on a mapping. Each piece moves on its own: a failure leaves the
 * pieces already moved where they went. Returns the first piece's address.
 */
static long remap_move(struct mm_struct *mm, struct vma_remap *vrm)
{
	unsigned long start = vrm->addr, end = vrm->addr + vrm->old_len, cur = start;
	unsigned long target = vrm->new_addr, last_end = 0;
	const unsigned long flags = vrm->flags;
	long res = -EFAULT;
	bool seen = false;

	for (;;) {
		struct vm_area_struct *vma = find_vma(mm, cur);
		unsigned long a, len, offset;
		long r;

		if (!vma || vma->vm_start >= end || cur >= end)
			break;
		a = vma->vm_start > cur ? vma->vm_start : cur;
		len = (end < vma->vm_end ? end : vma->vm_end) - a;
		/* no hole at the start */
		if (!seen && start < vma->vm_start)
			return -EFAULT;
		offset = seen ? vma->vm_start - last_end : 0;
		last_end = vma->vm_end;

		*vrm = (struct vma_remap){ .addr = a, .old_len = len, .new_len = len,
					   .flags = flags, .new_addr = target + offset, .vma = vma };
		r = check_prep_vma(mm, vrm);
		if (!r)
			r = mremap_to(mm, vrm);
		if (IS_ERR_VALUE((unsigned long)r))
			return r;
		if (!seen)
			res = r;
		seen = true;
		target = (unsigned long)r + len;
		cur = a + len;
	}
	return res;
}

long sys_mremap(struct mm_struct *mm, unsigned long addr, unsigned long old_len,
		unsigned long new_len, unsigned long flags, unsigned long new_addr)
{
	struct vma_remap vrm = {
		.addr = addr, .old_len = PAGE_ALIGN(old_len), .new_len = PAGE_ALIGN(new_len),
		.flags = flags, .new_addr = new_addr,
	};
	long res;

	res = check_mremap_params(mm, &vrm);
	if (res)
		return res;

	down_write(&mm->mmap_sem);
	if (!map_count_headroom(mm, true)) {
		res = -ENOMEM;
		goto out;
	}
	if ((flags & MREMAP_FIXED) && vrm.old_len == vrm.new_len) {
		res = remap_move(mm, &vrm);
	} else {
		vrm.vma = vma_lookup(mm, vrm.addr);
		res = check_prep_vma(mm, &vrm);
		if (res)
			goto out;
		res = vrm_implies_new_addr(&vrm) ? mremap_to(mm, &vrm) : mremap_at(mm, &vrm);
	}
	/* a locked mapping that grew is populated, as mlock promises */
	if (!IS_ERR_VALUE((unsigned long)res) && vrm.populate_expand)
		mm_populate(mm, vrm.new_addr + vrm.old_len, vrm.delta);
out:
	up_write(&mm->mmap_sem);
	return res;
}
