/* SPDX-License-Identifier: MIT */
/*
 * mmkit/swap.h - swap: one swap area backed by host memory, swap-out of
 * anonymous pages (on request and under memory pressure), swap-in on
 * fault, and swapoff's walk over mmlist (mm/swapfile.c, mm/swap_state.c,
 * mm/vmscan.c). See docs/swap.md.
 *
 * The walk pins each mm with mm_users (mmget_not_zero), never mm_count:
 * an mm on mmlist stays there until __mmput runs, and __mmput cannot run
 * while the walk holds a user reference, so the walk's cursor (the pinned
 * mm's list node) stays valid when mmlist_lock is dropped for the slow
 * per-mm work. A mm_count pin would keep the struct but not its place.
 *
 * Counters: swap-out -MM_ANONPAGES +MM_SWAPENTS per PTE, swap-in
 * +MM_ANONPAGES -MM_SWAPENTS, fork +MM_SWAPENTS in the child per copied
 * entry, unmap/exit -MM_SWAPENTS. A slot's use count (swap_map) is the
 * number of PTEs holding its entry (plus short-lived readers).
 */
#ifndef MMKIT_SWAP_H
#define MMKIT_SWAP_H

#include <mmkit/mm_types.h>
#include <mmkit/page.h>

/* ---- the swap area (src/swapfile.c) ------------------------------------ */

/*
 * mmk_swapon - turn on the swap area: @pages pages of host memory, of
 * which the first is the header (as a swap file's), so @pages - 1 slots.
 * 0, -EBUSY (already on), -EINVAL (fewer than 2 pages or too many),
 * -ENOMEM (no host memory, or should_fail_alloc("swapon")).
 */
int mmk_swapon(unsigned long pages);
/*
 * mmk_swapoff - sys_swapoff: stop allocating from the area, bring every
 * swapped page back (try_to_unuse), then free the area. -EINVAL when no
 * area is on; -ENOMEM when RAM cannot hold the pages (the area stays on,
 * writable again, every PTE either still a valid swap entry or mapping its
 * page back: consistent); -EBUSY if entries remain that no listed mm holds.
 */
int mmk_swapoff(void);

struct mmk_swapinfo {
	bool on;
	unsigned long total;   /* slots (pages) in the area: SwapTotal */
	unsigned long used;    /* slots with a non-zero use count */
	unsigned long free;    /* total - used: SwapFree */
	unsigned long swapouts;   /* pages written to a slot since boot (pswpout) */
	unsigned long swapins;    /* pages read back from a slot (pswpin) */
	unsigned long reclaimed;  /* frames freed by swap-out passes */
};
void mmk_swap_info(struct mmk_swapinfo *info);
/* use count of the slot @pte names (0 when free, -1 when not a valid entry) */
int mmk_swap_count(pte_t pte);

/*
 * mmk_swap_check - the invariants, for a quiescent system: every swap PTE
 * of every live mm names a slot of the area; each mm's MM_SWAPENTS equals
 * its swap PTEs; each slot's use count equals the PTEs naming it (no swap
 * cache outlives a pass); under MMLIST_MODERN an mm with swap entries is
 * on mmlist. Returns the violations, each reported with mmk_warn.
 */
long mmk_swap_check(void);

/*
 * mmk_swap_shutdown - for mmk_shutdown(), after every task has exited:
 * turn the area off without swapping in (nothing should be left). Returns
 * the slots still in use (each reported with mmk_warn); 0 = clean.
 */
long mmk_swap_shutdown(void);

/* ---- swap-out (src/vmscan.c) ------------------------------------------- */

/*
 * mmk_swapout_mm - swap out every anonymous page of @mm that can go
 * (present, anonymous, not in a VM_LOCKED VMA, not pinned by
 * get_user_pages), young or not. A page other mms also map is unmapped
 * here only; its frame is freed once the last PTE is gone. The caller
 * holds a reference (mm_users) and not @mm's mmap_sem. Returns the PTEs
 * turned into swap entries, or -EINVAL (no swap area), -ENOMEM (no slot
 * could be had for the first page).
 */
long mmk_swapout_mm(struct mm_struct *mm);
/* mmk_swapout_all - the same for every address space the scanner walks
 * (init_mm.mmlist under MMLIST_SEED, every live mm under MMLIST_MODERN) */
long mmk_swapout_all(void);
/*
 * mmk_swap_reclaim - direct reclaim (try_to_free_pages): swap out up to
 * @nr_frames frames, 2.4-style: walk the list, each mm from its
 * swap_address cursor, sparing young PTEs (their accessed bit is cleared:
 * a second chance). Never sleeps on a lock the caller may hold (mmap_sem
 * and the pass lock are only tried). Returns frames freed. Meant for
 * alloc_pages() after filemap_reclaim() found nothing.
 */
long mmk_swap_reclaim(long nr_frames);

/* ---- swapoff's walk (src/swapfile.c) ----------------------------------- */

struct unuse_walk {
	struct mm_struct *prev; /* pinned by mm_users; put when the walk moves on */
	struct list_head *pos;  /* cursor in init_mm.mmlist */
	bool done;
};

/*
 * try_to_unuse - the whole walk, calling mmk_hooks.unuse_mm for each
 * pinned mm; with a swap area on (and being turned off) each mm's swap
 * entries are swapped back in too (mmk_unuse_mm), and walks repeat until
 * no slot is in use. 0, or -ENOMEM / -EBUSY (see mmk_swapoff).
 */
int try_to_unuse(void);
/* unuse_mm: swap in every entry of @mm's VMAs that have an anon_vma
 * (takes mmap_sem for reading). 0 or -ENOMEM. The caller pins @mm. */
int mmk_unuse_mm(struct mm_struct *mm);

/* the same walk one mm at a time, so that tasks can exit in between:
 * start pins init_mm; next moves to the next live mm on the list, pins it,
 * puts the previous one, and returns it (NULL at the end, with nothing
 * pinned); end stops early and puts what is pinned. */
void unuse_walk_start(struct unuse_walk *w);
struct mm_struct *unuse_walk_next(struct unuse_walk *w);
void unuse_walk_end(struct unuse_walk *w);

/* ---- for the page layer (src/memory.c), page_table_lock held where noted */

/* do_swap_page: the fault on swap entry @orig at @ptep (mmap_sem held);
 * 0, VM_FAULT_MAJOR (read from the slot), VM_FAULT_OOM or VM_FAULT_SIGBUS */
int do_swap_page(struct vm_area_struct *vma, unsigned long addr, pte_t *ptep, pte_t orig,
		 unsigned int flags);
/* zap: a PTE holding @entry is gone (free_swap_and_cache) */
void swap_free(pte_t entry);
/* fork: @dst_mm's PTE copies @entry from @src_mm (copy_nonpresent_pte:
 * swap_duplicate, and under MMLIST_MODERN the child joins mmlist right
 * after its parent) */
void swap_copy_entry(struct mm_struct *dst_mm, struct mm_struct *src_mm, pte_t entry);
/* smaps: SwapPss of one entry, << MMK_PSS_SHIFT (PAGE_SIZE / use count) */
uint64_t swap_pss_of(pte_t entry);

#endif /* MMKIT_SWAP_H */
