/* SPDX-License-Identifier: MIT */
/*
 * src/swap_internal.h - what swapfile.c, swap_state.c and vmscan.c share
 * (the kernel's mm/swap.h). Include after mmkit/page.h with
 * MMKIT_PAGE_INTERNAL defined.
 */
#ifndef MMKIT_SWAP_INTERNAL_H
#define MMKIT_SWAP_INTERNAL_H

#include <mmkit/swap.h>

/* swapfile.c: slots. Entries are PTE values (swp_entry_to_pte(0, off)). */
unsigned long get_swap_slot(void);      /* an offset with count 1, 0 = none */
bool swap_duplicate(pte_t entry);       /* count + 1 (reports a bad entry) */
bool swap_get_ref(pte_t entry);         /* count + 1 if the slot is in use */
void swap_writepage(pte_t entry, struct page *page);
void swap_readpage(pte_t entry, struct page *page);
bool swap_area_writable(void);
unsigned long swap_area_pages(void);  /* header included; 0 when off */
long swap_map_compare(const unsigned int *refs, unsigned long pages);
void swap_mmlist_join(struct mm_struct *mm, struct mm_struct *after);
extern MMK_ATOMIC(unsigned long) mmk_nr_swapouts, mmk_nr_swapins, mmk_nr_reclaimed;

/* swap_state.c: map the slot's page back at @ptep if it still holds @orig */
#define SWAPIN_WRITE 1 /* a write fault: the PTE is made dirty */
#define SWAPIN_UNUSE 2 /* swapoff: mapped old and write-protected, as unuse_pte */
int swapin_pte(struct vm_area_struct *vma, unsigned long addr, pte_t *ptep, pte_t orig, int mode);

#endif
