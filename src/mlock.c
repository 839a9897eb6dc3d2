// SPDX-License-Identifier: MIT
/*
 * src/mlock.c - locking memory (mm/mlock.c): mlock, mlock2, munlock,
 * mlockall, munlockall. VM_LOCKED VMAs count in mm->locked_vm; the limit
 * is RLIMIT_MEMLOCK unless the process has CAP_IPC_LOCK. Locking
 * populates the range (populate_vma_page_range) once the flags are set.
 */
#include "vma.h"

#ifndef MCL_CURRENT
#define MCL_CURRENT 1
#endif
#ifndef MCL_FUTURE
#define MCL_FUTURE 2
#endif

/* VMAs mlock leaves alone (and does not count): VM_SPECIAL and
 * droppable ones */
static bool vma_supports_mlock(const struct vm_area_struct *vma)
{
	return !(vma->vm_flags & (VM_SPECIAL | VM_DROPPABLE));
}

/*
 * mlock_fixup - [start, end) of @vma gets @newflags (VM_LOCKED_MASK
 * changed): merge or split, then adjust locked_vm by the pages that
 * changed from unlocked to locked or back. *@pvma: the VMA covering it.
 */
static int mlock_fixup(struct mm_struct *mm, struct vm_area_struct *vma,
		       struct vm_area_struct **pvma, unsigned long start, unsigned long end,
		       unsigned long newflags)
{
	unsigned long oldflags = vma->vm_flags;
	long nr_pages;

	*pvma = vma;
	if (newflags == oldflags || !vma_supports_mlock(vma))
		return 0;
	vma = vma_modify_flags(mm, vma, start, end, newflags);
	if (IS_ERR(vma))
		return (int)PTR_ERR(vma);
	*pvma = vma;

	nr_pages = (long)((end - start) >> PAGE_SHIFT);
	if (!(newflags & VM_LOCKED))
		nr_pages = -nr_pages;
	else if (oldflags & VM_LOCKED)
		nr_pages = 0;
	mm->locked_vm += (unsigned long)nr_pages;
	vma->vm_flags = newflags;
	/* the page layer marks the present pages mlocked (mlock_vma_pages_range) */
	return 0;
}

/* apply_vma_lock_flags: the range must be mapped without holes */
static int apply_vma_lock_flags(struct mm_struct *mm, unsigned long start, unsigned long len,
				unsigned long flags)
{
	unsigned long nstart, end, tmp;
	struct vm_area_struct *vma;

	end = start + len;
	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	vma = vma_lookup(mm, start);
	if (!vma)
		return -ENOMEM;

	nstart = start;
	tmp = vma->vm_start;
	while (vma && vma->vm_start < end) {
		unsigned long newflags;
		int error;

		if (vma->vm_start != tmp)
			return -ENOMEM;
		newflags = (vma->vm_flags & ~VM_LOCKED_MASK) | flags;
		tmp = vma->vm_end < end ? vma->vm_end : end;
		error = mlock_fixup(mm, vma, &vma, nstart, tmp, newflags);
		if (error)
			return error;
		tmp = vma->vm_end;
		nstart = tmp;
		vma = vma->vm_next;
	}
	if (tmp < end)
		return -ENOMEM;
	return 0;
}

/* count_mm_mlocked_page_nr: pages of [start, start+len) already locked */
static unsigned long count_mm_mlocked_page_nr(struct mm_struct *mm, unsigned long start,
					      unsigned long len)
{
	unsigned long end = ~0UL - len < start ? ~0UL : start + len;
	unsigned long count = 0;
	struct vm_area_struct *vma;

	for (vma = find_vma(mm, start); vma && vma->vm_start < end; vma = vma->vm_next) {
		unsigned long s, e;

		if (!(vma->vm_flags & VM_LOCKED))
			continue;
		s = vma->vm_start > start ? vma->vm_start : start;
		e = vma->vm_end < end ? vma->vm_end : end;
		count += e - s;
	}
	return count >> PAGE_SHIFT;
}

/* populate errors as POSIX wants them from mlock */
static long mlock_posix_error_return(long retval)
{
	if (retval == -EFAULT)
		return -ENOMEM;
	if (retval == -ENOMEM)
		return -EAGAIN;
	return retval;
}

long __sys_mlock(struct mm_struct *mm, unsigned long start, unsigned long len, unsigned long flags)
{
	unsigned long locked, lock_limit;
	long error = -ENOMEM;

	if (!can_do_mlock(mm))
		return -EPERM;
	len = PAGE_ALIGN(len + (start & ~PAGE_MASK));
	start &= PAGE_MASK;
	lock_limit = mm->rlim[MMK_RLIMIT_MEMLOCK] >> PAGE_SHIFT;
	locked = len >> PAGE_SHIFT;

	down_write(&mm->mmap_sem);
	locked += mm->locked_vm;
	/* what is locked already in the range does not count twice */
	if (locked > lock_limit && !mm->cap_ipc_lock)
		locked -= count_mm_mlocked_page_nr(mm, start, len);
	if (locked <= lock_limit || mm->cap_ipc_lock)
		error = apply_vma_lock_flags(mm, start, len, flags);
	if (error) {
		up_write(&mm->mmap_sem);
		return error;
	}
	error = __mm_populate(mm, start, len, 0);
	up_write(&mm->mmap_sem);
	return error ? mlock_posix_error_return(error) : 0;
}

long sys_mlock(struct mm_struct *mm, unsigned long start, unsigned long len)
{
	return __sys_mlock(mm, start, len, VM_LOCKED);
}

long sys_mlock2(struct mm_struct *mm, unsigned long start, unsigned long len, int flags)
{
	unsigned long vm_flags = VM_LOCKED;

	if (flags & ~MLOCK_ONFAULT)
		return -EINVAL;
	if (flags & MLOCK_ONFAULT)
		vm_flags |= VM_LOCKONFAULT;
	return __sys_mlock(mm, start, len, vm_flags);
}

long sys_munlock(struct mm_struct *mm, unsigned long start, unsigned long len)
{
	long ret;

	len = PAGE_ALIGN(len + (start & ~PAGE_MASK));
	start &= PAGE_MASK;
	down_write(&mm->mmap_sem);
	ret = apply_vma_lock_flags(mm, start, len, 0);
	up_write(&mm->mmap_sem);
	return ret;
}

/* apply_mlockall_flags: MCL_FUTURE goes into def_flags; MCL_CURRENT
 * changes every VMA, ignoring failures */
static void apply_mlockall_flags(struct mm_struct *mm, int flags)
{
	unsigned long to_add = 0;
	struct vm_area_struct *vma, *next;

	mm->def_flags &= ~VM_LOCKED_MASK;
	if (flags & MCL_FUTURE) {
		mm->def_flags |= VM_LOCKED;
		if (flags & MCL_ONFAULT)
			mm->def_flags |= VM_LOCKONFAULT;
		if (!(flags & MCL_CURRENT))
			return;
	}
	if (flags & MCL_CURRENT) {
		to_add |= VM_LOCKED;
		if (flags & MCL_ONFAULT)
			to_add |= VM_LOCKONFAULT;
	}
	for (vma = mm->mmap; vma; vma = next) {
		unsigned long newflags = (vma->vm_flags & ~VM_LOCKED_MASK) | to_add;
		struct vm_area_struct *done = vma;

		next = vma->vm_next;
		if (mlock_fixup(mm, vma, &done, vma->vm_start, vma->vm_end, newflags) == 0)
			next = done->vm_next;
	}
}

long sys_mlockall(struct mm_struct *mm, int flags)
{
	unsigned long lock_limit;
	long ret = -ENOMEM;

	if (!flags || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || flags == MCL_ONFAULT)
		return -EINVAL;
	if (!can_do_mlock(mm))
		return -EPERM;
	lock_limit = mm->rlim[MMK_RLIMIT_MEMLOCK] >> PAGE_SHIFT;

	down_write(&mm->mmap_sem);
	if (!(flags & MCL_CURRENT) || mm->total_vm <= lock_limit || mm->cap_ipc_lock) {
		apply_mlockall_flags(mm, flags);
		ret = 0;
	}
	if (!ret && (flags & MCL_CURRENT))
		mm_populate(mm, 0, MMK_TASK_SIZE(mm));
	up_write(&mm->mmap_sem);
	return ret;
}

long sys_munlockall(struct mm_struct *mm)
{
	down_write(&mm->mmap_sem);
	apply_mlockall_flags(mm, 0);
	up_write(&mm->mmap_sem);
	return 0;
}
