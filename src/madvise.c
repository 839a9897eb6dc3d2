// SPDX-License-Identifier: MIT
/*
 * src/madvise.c - advice about a range (mm/madvise.c).
 *
 * Flag advice (NORMAL/RANDOM/SEQUENTIAL, DONTFORK/DOFORK, WIPEONFORK/
 * KEEPONFORK, DONTDUMP/DODUMP, HUGEPAGE/NOHUGEPAGE, MERGEABLE/UNMERGEABLE)
 * changes the VMAs' flags through the merge-or-split path; page advice
 * checks the VMA, then DONTNEED zaps and FREE marks pages lazily free in
 * the page layer (COLD, PAGEOUT, WILLNEED, REMOVE have no page-level effect
 * modelled yet); POPULATE_(READ|WRITE) fault the range
 * in. The walk applies the advice to every mapped part of the range and
 * reports a hole with -ENOMEM at the end.
 */
#include "vma.h"

#ifndef MADV_REMOVE
#define MADV_REMOVE 9
#endif
#ifndef MADV_DONTFORK
#define MADV_DONTFORK 10
#endif
#ifndef MADV_DOFORK
#define MADV_DOFORK 11
#endif
#ifndef MADV_MERGEABLE
#define MADV_MERGEABLE 12
#endif
#ifndef MADV_UNMERGEABLE
#define MADV_UNMERGEABLE 13
#endif
#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE 14
#endif
#ifndef MADV_NOHUGEPAGE
#define MADV_NOHUGEPAGE 15
#endif
#ifndef MADV_DONTDUMP
#define MADV_DONTDUMP 16
#endif
#ifndef MADV_DODUMP
#define MADV_DODUMP 17
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24
#endif
#ifndef MADV_HWPOISON
#define MADV_HWPOISON 100
#endif
#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE 101
#endif

static bool madvise_behavior_valid(int behavior)
{
	switch (behavior) {
	case MADV_DOFORK:
	case MADV_DONTFORK:
	case MADV_NORMAL:
	case MADV_SEQUENTIAL:
	case MADV_RANDOM:
	case MADV_REMOVE:
	case MADV_WILLNEED:
	case MADV_DONTNEED:
	case MADV_DONTNEED_LOCKED:
	case MADV_FREE:
	case MADV_COLD:
	case MADV_PAGEOUT:
	case MADV_POPULATE_READ:
	case MADV_POPULATE_WRITE:
	case MADV_MERGEABLE:
	case MADV_UNMERGEABLE:
	case MADV_HUGEPAGE:
	case MADV_NOHUGEPAGE:
	case MADV_DONTDUMP:
	case MADV_DODUMP:
	case MADV_WIPEONFORK:
	case MADV_KEEPONFORK:
	case MADV_HWPOISON:
	case MADV_SOFT_OFFLINE:
		return true;
	default:
		return false;
	}
}

/* the VMA part [start, end) gets @new_flags (madvise_update_vma) */
static int madvise_update_vma(struct mm_struct *mm, struct vm_area_struct **pvma,
			      unsigned long start, unsigned long end, unsigned long new_flags)
{
	struct vm_area_struct *vma = *pvma;

	if (new_flags == vma->vm_flags)
		return 0;
	vma = vma_modify_flags(mm, vma, start, end, new_flags);
	if (IS_ERR(vma))
		return (int)PTR_ERR(vma);
	*pvma = vma;
	vma->vm_flags = new_flags;
	return 0;
}

/* ksm_madvise: only private, ordinary memory can be merged by KSM */
static void ksm_madvise(const struct vm_area_struct *vma, int advice, unsigned long *vm_flags)
{
	if (advice == MADV_MERGEABLE) {
		if (*vm_flags & (VM_MERGEABLE | VM_SHARED | VM_MAYSHARE | VM_PFNMAP | VM_IO |
				 VM_DONTEXPAND | VM_HUGETLB | VM_MIXEDMAP | VM_DROPPABLE))
			return;
		*vm_flags |= VM_MERGEABLE;
	} else {
		/* the page layer unmerges KSM pages here */
		*vm_flags &= ~VM_MERGEABLE;
	}
}

/* madvise_vma_behavior - one VMA part; may replace *pvma (merge/split) */
static int madvise_vma_behavior(struct mm_struct *mm, struct vm_area_struct **pvma,
				unsigned long start, unsigned long end, int behavior)
{
	struct vm_area_struct *vma = *pvma;
	unsigned long new_flags = vma->vm_flags;
	int error;

	switch (behavior) {
	case MADV_REMOVE:
		/* punch a hole in a shared writable file mapping */
		if (vma->vm_flags & VM_LOCKED)
			return -EINVAL;
		if (!vma->vm_file)
			return -EINVAL;
		if ((vma->vm_flags & (VM_SHARED | VM_MAYWRITE)) != (VM_SHARED | VM_MAYWRITE))
			return -EACCES;
		return 0;
	case MADV_WILLNEED:
		/* read-ahead / swap-in: the page layer's business */
		return 0;
	case MADV_COLD:
	case MADV_PAGEOUT:
		/* can_madv_lru_vma */
		if (vma->vm_flags & (VM_LOCKED | VM_PFNMAP | VM_HUGETLB))
			return -EINVAL;
		return 0;
	case MADV_FREE:
	case MADV_DONTNEED:
	case MADV_DONTNEED_LOCKED:
		if (vma->vm_flags & (VM_PFNMAP | (behavior == MADV_DONTNEED_LOCKED ? 0 : VM_LOCKED)))
			return -EINVAL;
		/* lazy free exists for anonymous memory only */
		if (behavior == MADV_FREE) {
			if (!vma_is_anonymous(vma))
				return -EINVAL;
			madvise_free_range(vma, start, end);
			return 0;
		}
		zap_page_range_single(vma, start, end);
		return 0;
	case MADV_NORMAL:
		new_flags &= ~(VM_RAND_READ | VM_SEQ_READ);
		break;
	case MADV_SEQUENTIAL:
		new_flags = (new_flags & ~VM_RAND_READ) | VM_SEQ_READ;
		break;
	case MADV_RANDOM:
		new_flags = (new_flags & ~VM_SEQ_READ) | VM_RAND_READ;
		break;
	case MADV_DONTFORK:
		new_flags |= VM_DONTCOPY;
		break;
	case MADV_DOFORK:
		if (new_flags & VM_IO)
			return -EINVAL;
		new_flags &= ~VM_DONTCOPY;
		break;
	case MADV_WIPEONFORK:
		/* private anonymous memory only */
		if (vma->vm_file || (new_flags & VM_SHARED))
			return -EINVAL;
		new_flags |= VM_WIPEONFORK;
		break;
	case MADV_KEEPONFORK:
		if (new_flags & VM_DROPPABLE)
			return -EINVAL;
		new_flags &= ~VM_WIPEONFORK;
		break;
	case MADV_DONTDUMP:
		new_flags |= VM_DONTDUMP;
		break;
	case MADV_DODUMP:
		if ((!(new_flags & VM_HUGETLB) && (new_flags & VM_SPECIAL)) ||
		    (new_flags & VM_DROPPABLE))
			return -EINVAL;
		new_flags &= ~VM_DONTDUMP;
		break;
	case MADV_MERGEABLE:
	case MADV_UNMERGEABLE:
		ksm_madvise(vma, behavior, &new_flags);
		break;
	case MADV_HUGEPAGE:
		new_flags = (new_flags & ~VM_NOHUGEPAGE) | VM_HUGEPAGE;
		break;
	case MADV_NOHUGEPAGE:
		new_flags = (new_flags & ~VM_HUGEPAGE) | VM_NOHUGEPAGE;
		break;
	}
	error = madvise_update_vma(mm, pvma, start, end, new_flags);
	/* out of kernel memory is "try again" for madvise */
	if (error == -ENOMEM)
		error = -EAGAIN;
	return error;
}

/* madvise_walk_vmas - every mapped part of [start, end); holes give
 * -ENOMEM once the rest is done */
static long madvise_walk_vmas(struct mm_struct *mm, unsigned long start, unsigned long end,
			      int behavior)
{
	struct vm_area_struct *vma = find_vma(mm, start);
	long unmapped_error = 0;

	for (;;) {
		unsigned long tmp;
		int error;

		if (!vma)
			return -ENOMEM;
		if (start < vma->vm_start) {
			unmapped_error = -ENOMEM;
			start = vma->vm_start;
			if (start >= end)
				break;
		}
		tmp = vma->vm_end < end ? vma->vm_end : end;
		error = madvise_vma_behavior(mm, &vma, start, tmp, behavior);
		if (error)
			return error;
		if (tmp < vma->vm_end)
			tmp = vma->vm_end;
		if (tmp >= end)
			break;
		vma = vma->vm_next;
		start = tmp;
	}
	return unmapped_error;
}

long sys_madvise(struct mm_struct *mm, unsigned long start, unsigned long len_in, int behavior)
{
	unsigned long len, end;
	long error;

	if (!madvise_behavior_valid(behavior))
		return -EINVAL;
	if (start & ~PAGE_MASK)
		return -EINVAL;
	len = PAGE_ALIGN(len_in);
	/* a small negative length rounds up to zero */
	if (len_in && !len)
		return -EINVAL;
	end = start + len;
	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	/* memory-failure injection needs CAP_SYS_ADMIN */
	if (behavior == MADV_HWPOISON || behavior == MADV_SOFT_OFFLINE)
		return -EPERM;

	down_write(&mm->mmap_sem);
	if (behavior == MADV_POPULATE_READ || behavior == MADV_POPULATE_WRITE)
		error = faultin_page_range(mm, start, end, behavior == MADV_POPULATE_WRITE);
	else
		error = madvise_walk_vmas(mm, start, end, behavior);
	up_write(&mm->mmap_sem);
	return error;
}
