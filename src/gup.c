/* SPDX-License-Identifier: MIT */
/*
 * src/gup.c - get_user_pages (mm/gup.c): find the page behind a user
 * address, faulting it in when the page tables do not give the access
 * asked for, and take a reference on it.
 *
 * check_vma_flags decides whether an access may touch a VMA at all:
 *   VM_IO / VM_PFNMAP: never;
 *   write: VM_WRITE, or with FOLL_FORCE a private (COW) mapping that may
 *          be written (VM_MAYWRITE): the write lands in a private copy;
 *   read:  VM_READ, or with FOLL_FORCE VM_MAYREAD.
 * A forced write follows a read-only PTE when it maps an anonymous page
 * owned by this mapping alone (can_follow_write_pte). GUP does not grow
 * stacks (since 6.5); the user's own accesses (uaccess.c) do.
 *
 * A PTE that already allows the access and already carries the accessed
 * (and for a write the dirty) bit is followed without page_table_lock, as
 * gup_fast and the MMU do: take a reference unless the page's count is
 * already 0 (a freed page), then read the PTE again; if it still holds
 * the same value, the page was mapped there when the reference was taken
 * (an unmap clears the PTE before it drops its reference, and both
 * reference changes are locked instructions on the same word), else the
 * reference goes back and the locked path decides.
 */
#define MMKIT_PAGE_INTERNAL
#include "vma.h"
#include <mmkit/page.h>

int mmk_check_vma_flags(const struct vm_area_struct *vma, bool write, bool force)
{
	unsigned long f = vma->vm_flags;

	if (f & (VM_IO | VM_PFNMAP))
		return -EFAULT;
	if (write) {
		if (!(f & VM_WRITE)) {
			if (!force)
				return -EFAULT;
			if ((f & (VM_SHARED | VM_MAYWRITE)) != VM_MAYWRITE)
				return -EFAULT;
		}
	} else if (!(f & VM_READ)) {
		if (!force || !(f & VM_MAYREAD))
			return -EFAULT;
	}
	return 0;
}

/* may the access use this PTE as it is? */
static bool pte_allows(const struct vm_area_struct *vma, pte_t e, bool write, bool force)
{
	struct page *page;

	if (!pte_present(e))
		return false;
	if (!(e & _PAGE_PRESENT) && !force)
		return false; /* PROT_NONE */
	if (!write || pte_write(e))
		return true;
	if (!force || (vma->vm_flags & (VM_SHARED | VM_MAYSHARE)) || pte_pfn(e) == 0)
		return false;
	page = pte_page(e);
	return PageAnon(page) && PageFlag(page, PG_anon_exclusive);
}

/* get_page unless the count is 0 (page_ref_add_unless / folio_try_get) */
static bool page_try_get(struct page *page)
{
	int c = atomic_load_explicit(&page->_refcount, memory_order_relaxed);

	do {
		if (c <= 0)
			return false;
	} while (!atomic_compare_exchange_weak(&page->_refcount, &c, c + 1));
	return true;
}

/* the lockless follow (see the top); NULL: take the lock and look again */
static struct page *follow_pte_fast(pte_t *ptep, bool write)
{
	pte_t want = _PAGE_ACCESSED | (write ? _PAGE_DIRTY : 0);
	pte_t e = pte_get(ptep);
	struct page *page;

	/* as pte_access_permitted: present, not PROT_NONE, writable for a
	 * write (a forced write through a read-only PTE, or a PROT_NONE
	 * read, is decided under the lock: fork may be sharing the page) */
	if ((e & want) != want || !pte_present(e) || !(e & _PAGE_PRESENT) || (write && !pte_write(e)))
		return NULL;
	page = pte_page(e);
	if (PageZero(page))
		return page; /* never freed: get_page and put_page skip it */
	if (!page_try_get(page))
		return NULL;
	if (pte_get(ptep) != e) {
		put_page(page);
		return NULL;
	}
	return page;
}

struct page *mmk_follow_or_fault(struct vm_area_struct *vma, unsigned long addr, bool write,
				 bool force, int *err)
{
	struct mm_struct *mm = vma->vm_mm;

	pte_t *ptep = NULL;

	for (int tries = 0; tries < 8; tries++) {
		int ret;

		/* a table, once there, stays while mmap_sem is held */
		if (!ptep)
			ptep = pte_lookup(mm, addr);

		/* an empty PTE needs a fault: no lock to find that out (a PTE
		 * that appears meanwhile makes the fault a no-op) */
		if (ptep && !pte_none(pte_get(ptep))) {
			struct page *page = follow_pte_fast(ptep, write);

			if (!page) {
				spin_lock(&mm->page_table_lock);
				pte_t e = pte_get(ptep);
				if (pte_allows(vma, e, write, force)) {
					page = pte_page(e);
					get_page(page);
					pte_set(ptep, e | _PAGE_ACCESSED | (write ? _PAGE_DIRTY : 0));
				}
				spin_unlock(&mm->page_table_lock);
			}
			if (page) {
				if (write && !PageAnon(page) && !PageZero(page))
					SetPageFlag(page, PG_dirty);
				return page;
			}
		}
		ret = __handle_mm_fault(vma, addr, (write ? FAULT_FLAG_WRITE : 0) |
						   (force ? FAULT_FLAG_REMOTE : FAULT_FLAG_USER), ptep);
		if (ret & VM_FAULT_OOM) {
			*err = -ENOMEM;
			return NULL;
		}
		if (ret & VM_FAULT_ERROR) {
			*err = -EFAULT;
			return NULL;
		}
	}
	*err = -EFAULT;
	return NULL;
}

long mmk_get_user_pages(struct mm_struct *mm, unsigned long start, unsigned long nr_pages,
			bool write, struct page **pages)
{
	struct vm_area_struct *vma = NULL;
	unsigned long i;
	int err = 0;

	start &= PAGE_MASK;
	down_read(&mm->mmap_sem);
	for (i = 0; i < nr_pages; i++) {
		unsigned long addr = start + (i << PAGE_SHIFT);
		struct page *page;

		if (!vma || addr >= vma->vm_end) {
			vma = vma_lookup(mm, addr);
			if (!vma || mmk_check_vma_flags(vma, write, false)) {
				err = -EFAULT;
				break;
			}
		}
		page = mmk_follow_or_fault(vma, addr, write, false, &err);
		if (!page)
			break;
		if (pages)
			pages[i] = page;
		else
			put_page(page);
	}
	up_read(&mm->mmap_sem);
	return i ? (long)i : err;
}

void mmk_put_page(struct page *page)
{
	put_page(page);
}

void *mmk_page_address(struct page *page)
{
	return page_address(page);
}
