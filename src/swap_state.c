/* SPDX-License-Identifier: MIT */
/*
 * src/swap_state.c - swap-in (mm/memory.c: do_swap_page; mm/swapfile.c:
 * unuse_pte; mm/swap_state.c).
 *
 * mmkit keeps no long-lived swap cache: a swap-out pass holds its pages in
 * a cache of its own only while it runs (see vmscan.c), so a swap-in always
 * reads the slot into a fresh frame - the kernel's path for synchronous
 * devices that skip the swap cache. The new page is therefore certainly
 * exclusive: it gets PG_anon_exclusive and, on a fault, a writable PTE if
 * the VMA allows writing (dirty only for a write fault); swapoff maps it
 * old and write-protected as unuse_pte does (the next write reuses it).
 * Two PTEs naming one slot (after fork) each get their own copy.
 *
 *   1. take a reader's reference on the slot (fails: the entry is stale,
 *      the PTE changed under us - retry; or a bad entry - SIGBUS)
 *   2. allocate a frame (VM_FAULT_OOM if none), copy the slot into it
 *   3. under page_table_lock: if the PTE still holds the entry, map the
 *      page, MM_ANONPAGES + 1, MM_SWAPENTS - 1, drop the PTE's reference
 *      on the slot (the slot is free when the count reaches 0)
 *   4. drop the reader's reference
 */
#define MMKIT_PAGE_INTERNAL
#include "vma.h"
#include <mmkit/page.h>
#include "swap_internal.h"

static pte_t swapin_mk_pte(unsigned long pfn, unsigned long vm_flags, int mode)
{
	pte_t e = (pfn << PAGE_SHIFT) | _PAGE_USER;

	e |= (vm_flags & VM_ACCESS_FLAGS) ? _PAGE_PRESENT : _PAGE_PROTNONE;
	if (!(mode & SWAPIN_UNUSE)) {
		e |= _PAGE_ACCESSED;
		if (vm_flags & VM_WRITE)
			e |= _PAGE_RW;
		if ((mode & SWAPIN_WRITE) && (vm_flags & VM_WRITE))
			e |= _PAGE_DIRTY;
	}
	if (!(vm_flags & VM_EXEC))
		e |= _PAGE_NX;
	return e;
}

int swapin_pte(struct vm_area_struct *vma, unsigned long addr, pte_t *ptep, pte_t orig, int mode)
{
	struct mm_struct *mm = vma->vm_mm;
	struct page *page;
	int err = 0;

	addr &= PAGE_MASK;
	if (!swap_get_ref(orig)) {
		if (__atomic_load_n(ptep, __ATOMIC_ACQUIRE) != orig)
			return 0; /* someone else dealt with it: retry the access */
		mmk_warn("do_swap_page: bad swap entry %#lx at %#lx in mm %lu",
			 (unsigned long)orig, addr, mm->mmk_id);
		return VM_FAULT_SIGBUS;
	}
	/* the PTE's store (after the slot was written) happens before our read */
	if (__atomic_load_n(ptep, __ATOMIC_ACQUIRE) != orig) {
		swap_free(orig);
		return 0;
	}
	if (unlikely(!__atomic_load_n(&vma->anon_vma, __ATOMIC_ACQUIRE))) {
		spin_lock(&mm->page_table_lock);
		if (!vma->anon_vma)
			err = anon_vma_prepare(vma);
		spin_unlock(&mm->page_table_lock);
		if (err) {
			swap_free(orig);
			return VM_FAULT_OOM;
		}
	}
	page = alloc_page(0);
	if (!page) {
		swap_free(orig);
		return VM_FAULT_OOM;
	}
	swap_readpage(orig, page);
	page->mapping = vma->anon_vma;
	page->index = vma_pgoff_offset(vma, addr);
	atomic_store_explicit(&page->flags,
			      (1UL << PG_anon) | (1UL << PG_swapbacked) | (1UL << PG_uptodate) |
				      (1UL << PG_anon_exclusive),
			      memory_order_relaxed);
	atomic_store_explicit(&page->_mapcount, 1, memory_order_relaxed);

	spin_lock(&mm->page_table_lock);
	if (pte_get(ptep) != orig) {
		spin_unlock(&mm->page_table_lock);
		atomic_store(&page->_mapcount, 0);
		put_page(page);
		swap_free(orig);
		return 0;
	}
	pte_set(ptep, swapin_mk_pte(page_to_pfn(page), vma->vm_flags, mode));
	add_mm_counter(mm, MM_ANONPAGES, 1);
	add_mm_counter(mm, MM_SWAPENTS, -1);
	swap_free(orig); /* the PTE's reference */
	spin_unlock(&mm->page_table_lock);
	swap_free(orig); /* ours */
	return VM_FAULT_MAJOR;
}

int do_swap_page(struct vm_area_struct *vma, unsigned long addr, pte_t *ptep, pte_t orig,
		 unsigned int flags)
{
	return swapin_pte(vma, addr, ptep, orig, (flags & FAULT_FLAG_WRITE) ? SWAPIN_WRITE : 0);
}
