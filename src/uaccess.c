/* SPDX-License-Identifier: MIT */
/*
 * src/uaccess.c - reaching into an address space's memory from outside:
 *
 *   mmk_access_vm        access_process_vm (ptrace, /proc/PID/mem): with
 *                        FOLL_FORCE, returns the bytes done.
 *   mmk_copy_from_user   the process's own access, as the CPU checks it
 *   mmk_copy_to_user     (no force; a stack grows): 0, or -EFAULT when any
 *                        byte could not be copied. The *_rem variants return
 *                        the bytes not copied, as the kernel's do.
 *
 * Each page is looked up (and faulted in) under mmap_sem for reading and
 * held by a reference while the bytes move; the PTE gets the accessed bit,
 * and the dirty bit for a write, as the MMU would set them.
 */
#define MMKIT_PAGE_INTERNAL
#include "vma.h"
#include <mmkit/page.h>

static void copy_page_bytes(struct page *page, unsigned long off, void *buf, size_t n, bool write)
{
	char *kaddr = (char *)lowmem_page_address(page) + off;

	if (write)
		memcpy(kaddr, buf, n);
	else
		memcpy(buf, kaddr, n);
}

long mmk_access_vm(struct mm_struct *mm, unsigned long addr, void *buf, size_t len, bool write)
{
	struct vm_area_struct *vma = NULL;
	char *p = buf;
	size_t done = 0;

	if (!mmget_not_zero(mm))
		return 0;
	down_read(&mm->mmap_sem);
	while (done < len) {
		unsigned long a = addr + done, off = a & ~PAGE_MASK;
		size_t n = PAGE_SIZE - off;
		struct page *page;
		int err = 0;

		if (n > len - done)
			n = len - done;
		if (a < addr)
			break; /* wrapped */
		if (!vma || a >= vma->vm_end || a < vma->vm_start) {
			vma = vma_lookup(mm, a);
			if (!vma || mmk_check_vma_flags(vma, write, true))
				break;
		}
		page = mmk_follow_or_fault(vma, a & PAGE_MASK, write, true, &err);
		if (!page)
			break;
		/* a forced write never lands in the shared zero page */
		if (!(write && PageZero(page)))
			copy_page_bytes(page, off, p + done, n, write);
		put_page(page);
		if (write && PageZero(page))
			break;
		done += n;
	}
	up_read(&mm->mmap_sem);
	mmput(mm);
	return (long)done;
}

/* the user's own access: per page, fault through mmk_fault (which grows
 * stacks and checks the access as the CPU would) until the PTE allows it */
static size_t user_copy(struct mm_struct *mm, unsigned long addr, void *buf, size_t len, bool write)
{
	char *p = buf;
	size_t done = 0;

	while (done < len) {
		unsigned long a = addr + done, off = a & ~PAGE_MASK;
		size_t n = PAGE_SIZE - off;
		struct vm_area_struct *vma;
		struct page *page = NULL;
		int err = 0;

		if (n > len - done)
			n = len - done;
		if (a < addr || a >= mm->task_size)
			break;
		down_read(&mm->mmap_sem);
		vma = vma_lookup(mm, a);
		if (vma && vma_is_accessible(vma) && (!write || (vma->vm_flags & VM_WRITE)))
			page = mmk_follow_or_fault(vma, a & PAGE_MASK, write, false, &err);
		up_read(&mm->mmap_sem);
		if (!page) {
			/* no VMA (maybe a stack to grow) or a failed fault */
			if (vma || mmk_fault(mm, a, write))
				break;
			continue;
		}
		copy_page_bytes(page, off, p + done, n, write);
		put_page(page);
		done += n;
	}
	return len - done;
}

size_t mmk_copy_from_user_rem(struct mm_struct *mm, void *dst, unsigned long src, size_t len)
{
	return user_copy(mm, src, dst, len, false);
}

size_t mmk_copy_to_user_rem(struct mm_struct *mm, unsigned long dst, const void *src, size_t len)
{
	return user_copy(mm, dst, (void *)(uintptr_t)src, len, true);
}

long mmk_copy_from_user(struct mm_struct *mm, void *dst, unsigned long src, size_t len)
{
	return mmk_copy_from_user_rem(mm, dst, src, len) ? -EFAULT : 0;
}

long mmk_copy_to_user(struct mm_struct *mm, unsigned long dst, const void *src, size_t len)
{
	return mmk_copy_to_user_rem(mm, dst, src, len) ? -EFAULT : 0;
}
