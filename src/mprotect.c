// SPDX-License-Identifier: MIT
/*
 * src/mprotect.c - changing the protection of a range (mm/mprotect.c).
 *
 * VMA by VMA from the start: each part gets the new access bits (checked
 * against its VM_MAY* bits), merging with a neighbour or splitting off. A
 * hole stops the walk with -ENOMEM, the VMAs before it keep their change.
 */
#include "vma.h"

#ifndef PROT_SEM
#define PROT_SEM 0x8
#endif

/*
 * mprotect_fixup - give [start, end) of @vma the flags @newflags.
 * Making private memory writable charges it (VM_ACCOUNT) and must fit
 * RLIMIT_DATA if it was not data before; an unfaulted anonymous VMA made
 * read-only gives its charge back. *@pvma gets the VMA covering the range.
 */
static int mprotect_fixup(struct mm_struct *mm, struct vm_area_struct *vma,
			  struct vm_area_struct **pvma, unsigned long start, unsigned long end,
			  unsigned long newflags)
{
	unsigned long oldflags = vma->vm_flags;
	long nrpages = (long)((end - start) >> PAGE_SHIFT);

	*pvma = vma;
	if (newflags == oldflags)
		return 0;

	if (newflags & VM_WRITE) {
		if (!may_expand_vm(mm, newflags, (unsigned long)nrpages) &&
		    may_expand_vm(mm, oldflags, (unsigned long)nrpages))
			return -ENOMEM;
		if (!(oldflags & (VM_ACCOUNT | VM_WRITE | VM_HUGETLB | VM_SHARED | VM_NORESERVE)))
			newflags |= VM_ACCOUNT;
	} else if ((oldflags & VM_ACCOUNT) && vma_is_anonymous(vma) && !vma->anon_vma) {
		newflags &= ~VM_ACCOUNT;
	}

	vma = vma_modify_flags(mm, vma, start, end, newflags);
	if (IS_ERR(vma))
		return (int)PTR_ERR(vma);
	*pvma = vma;
	vma->vm_flags = newflags;
	/* no page table below the PGD (pgtables_bytes counts them all): no
	 * PTE to rewrite, and the walk with page_table_lock is skipped */
	if (atomic_long_read(&mm->pgtables_bytes))
		change_protection(vma, start, end);

	/* a locked private VMA turning writable: break COW now, as the
	 * kernel does, instead of at the first write */
	if ((oldflags & (VM_WRITE | VM_SHARED | VM_LOCKED)) == VM_LOCKED && (newflags & VM_WRITE))
		populate_vma_page_range(vma, start, end);

	vm_stat_account(mm, oldflags, -nrpages);
	vm_stat_account(mm, newflags, nrpages);
	return 0;
}

/*
 * arch_override_mprotect_pkey (arch/x86/mm/pkeys.c): PROT_EXEC alone takes
 * the execute-only key; leaving it for anything else goes back to key 0;
 * otherwise the VMA keeps its key.
 */
static unsigned long arch_override_mprotect_pkey(const struct vm_area_struct *vma,
						 unsigned long prot)
{
	if (prot == PROT_EXEC)
		return VM_PKEY_EXEC_ONLY;
	if ((vma->vm_flags & VM_ACCESS_FLAGS) == VM_EXEC &&
	    (vma->vm_flags & VM_PKEY_MASK) == VM_PKEY_EXEC_ONLY)
		return 0;
	return vma->vm_flags & VM_PKEY_MASK;
}

static long do_mprotect(struct mm_struct *mm, unsigned long start, unsigned long len,
			unsigned long prot)
{
	const unsigned long grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
	unsigned long end, nstart, tmp;
	struct vm_area_struct *vma;
	long error;

	prot &= ~(PROT_GROWSDOWN | PROT_GROWSUP);
	if (grows == (PROT_GROWSDOWN | PROT_GROWSUP)) /* can't be both */
		return -EINVAL;
	if (start & ~PAGE_MASK)
		return -EINVAL;
	if (!len)
		return 0;
	len = PAGE_ALIGN(len);
	end = start + len;
	if (end <= start)
		return -ENOMEM;
	/* arch_validate_prot: only read, write, exec and PROT_SEM */
	if (prot & ~(unsigned long)(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM))
		return -EINVAL;

	down_write(&mm->mmap_sem);
	error = -ENOMEM;
	vma = find_vma_intersection(mm, start, end);
	if (!vma)
		goto out;
	if (grows & PROT_GROWSDOWN) {
		if (vma->vm_start >= end)
			goto out;
		start = vma->vm_start;
		error = -EINVAL;
		if (!(vma->vm_flags & VM_GROWSDOWN))
			goto out;
	} else {
		if (vma->vm_start > start)
			goto out;
		if (grows & PROT_GROWSUP) {
			/* x86 has no VM_GROWSUP VMA */
			error = -EINVAL;
			goto out;
		}
	}

	nstart = start;
	tmp = vma->vm_start;
	error = 0;
	while (vma && vma->vm_start < end) {
		unsigned long newflags;

		if (vma->vm_start != tmp) {
			error = -ENOMEM;
			break;
		}
		newflags = (prot & PROT_READ ? VM_READ : 0) | (prot & PROT_WRITE ? VM_WRITE : 0) |
			   (prot & PROT_EXEC ? VM_EXEC : 0);
		newflags |= arch_override_mprotect_pkey(vma, prot);
		newflags |= vma->vm_flags & ~(VM_ACCESS_FLAGS | VM_PKEY_MASK);
		/* newflags >> 4 puts the VM_MAY* bits over the VM_* bits */
		if ((newflags & ~(newflags >> 4)) & VM_ACCESS_FLAGS) {
			error = -EACCES;
			break;
		}
		tmp = vma->vm_end < end ? vma->vm_end : end;
		error = mprotect_fixup(mm, vma, &vma, nstart, tmp, newflags);
		if (error)
			break;
		tmp = vma->vm_end;
		nstart = tmp;
		vma = vma->vm_next;
	}
	if (!error && tmp < end)
		error = -ENOMEM;
out:
	up_write(&mm->mmap_sem);
	return error;
}

long sys_mprotect(struct mm_struct *mm, unsigned long start, unsigned long len, unsigned long prot)
{
	return do_mprotect(mm, start, len, prot);
}
