/* SPDX-License-Identifier: MIT */
/*
 * mmkit/page.h - the page layer: simulated physical memory (frames, a buddy
 * allocator), x86-64 page tables stored in frames, page faults, the page
 * cache, and the calls that reach into an address space's memory
 * (access_process_vm, copy_{from,to}_user, get_user_pages).
 *
 * See docs/pages.md for the design, the counters and the locking rules.
 *
 *   - Physical memory is a block of host memory (256 MiB by default) cut
 *     into 4 KiB frames; every frame has a struct page. It is created on
 *     first use (thread-safe) and released by mmk_mem_shutdown().
 *   - mm->pgd is a frame; lower tables are frames allocated on demand and
 *     counted in mm->pgtables_bytes (PUD, PMD and PTE tables, 4096 each,
 *     as the kernel counts them: neither the PGD nor a P4D table).
 *   - Faults run under mmap_sem (read is enough); page tables change under
 *     mm->page_table_lock; reference and map counts are atomic.
 */
#ifndef MMKIT_PAGE_H
#define MMKIT_PAGE_H

#include <mmkit/mm_types.h>
#include <mmkit/slab.h>

/* ---- physical memory (src/page_alloc.c) -------------------------------- */

#define MMK_MEM_DEFAULT_BYTES (256UL << 20)
#define MAX_ORDER 10 /* orders 0..10: blocks of 1..1024 frames */

/*
 * mmk_mem_init - the size of simulated RAM (rounded down to whole frames,
 * at least 8). May be called before or after mmk_boot(); the memory itself
 * is created at first use. -EBUSY while frames are in use (other than the
 * page cache, which is dropped), -EINVAL for a size below 8 frames.
 */
int mmk_mem_init(unsigned long bytes);
/*
 * mmk_mem_shutdown - drop the page cache and give simulated RAM back to the
 * host. Returns the frames still in use (0 = clean); each leak is reported
 * with mmk_warn() and the memory is then kept, still working, so that
 * stale pointers into it stay harmless. mmk_shutdown() calls it once every
 * mm is gone and before the slab caches go; library users need not.
 */
long mmk_mem_shutdown(void);

struct mmk_meminfo {
	unsigned long total;     /* frames of RAM */
	unsigned long free;      /* in the buddy lists and the per-thread lists */
	unsigned long used;      /* total - free - reserved */
	unsigned long reserved;  /* the shared zero page */
	unsigned long pagecache; /* frames holding page-cache (file, shmem) pages */
	unsigned long pgtables;  /* frames holding page tables (PGDs included) */
	unsigned long pgds;      /* of which top-level tables (one per live mm) */
};
void mmk_mem_info(struct mmk_meminfo *info);
/* commit all of RAM in the host now (MADV_POPULATE_WRITE), so that no
 * fault later pays for the host's own first touch (benchmarks). 0 or -errno */
int mmk_mem_prefault(void);
/* keep RAM out of the host's fork() children (MADV_DONTFORK), or put it
 * back (false): a host fork then neither copies RAM's page tables nor
 * write-protects it, so the next write to a frame does not take a host
 * copy-on-write fault. A child must not touch simulated RAM. 0 or -errno */
int mmk_mem_dontfork(bool on);
/* frames in use that are neither page cache nor page tables (anonymous pages) */
unsigned long mmk_mem_used(void);
/* echo 1 > /proc/sys/vm/drop_caches: free unmapped clean page-cache pages;
 * returns the frames freed */
long mmk_drop_caches(void);

/* page flags (bit numbers) */
enum pageflags {
	PG_locked,
	PG_referenced,
	PG_uptodate,
	PG_dirty,
	PG_lru,
	PG_buddy,      /* the head of a free block in the buddy lists */
	PG_anon,       /* page->mapping is an anon_vma */
	PG_swapbacked, /* anonymous or shmem (cleared by MADV_FREE: lazy free) */
	PG_zero,       /* the shared zero page */
	PG_reserved,
	PG_pgtable,    /* holds a page table */
	PG_pagecache,  /* in the page cache: page->mapping is a struct mmk_inode */
	PG_shmem,      /* a page-cache page of shared memory */
	PG_pcp,        /* on a per-thread free list */
	PG_anon_exclusive, /* anonymous and owned by one mapping: a write may reuse it */
};

struct page {
	union {
		struct {
			MMK_ATOMIC(int) _refcount; /* 0 = free */
			MMK_ATOMIC(int) _mapcount; /* PTEs mapping it (0 = unmapped; the kernel biases by -1) */
		};
		/* both counts as one word: fork maps a page (+1 each) and unmap
		 * drops it (-1 each) with one locked instruction instead of two */
		MMK_ATOMIC(uint64_t) _refmap;
	};
	MMK_ATOMIC(unsigned long) flags;
	void *mapping;                 /* anon_vma (PG_anon) or struct mmk_inode (PG_pagecache) */
	unsigned long index;           /* page offset in the file, or linear index for anon */
	struct list_head lru;          /* buddy / per-thread free lists; page-cache LRU */
	struct page *hnext;            /* page-cache hash chain */
	unsigned int order;            /* buddy block order while PG_buddy */
};

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define PAGE_REFMAP_REF 1ULL           /* _refcount: the low half of _refmap */
#define PAGE_REFMAP_MAP (1ULL << 32)
#else
#define PAGE_REFMAP_REF (1ULL << 32)
#define PAGE_REFMAP_MAP 1ULL
#endif
#define PAGE_REFMAP_BOTH (PAGE_REFMAP_REF | PAGE_REFMAP_MAP)
/* the _refcount part of a _refmap value */
static inline unsigned int refmap_refcount(uint64_t v)
{
	return (unsigned int)(PAGE_REFMAP_REF == 1 ? v : v >> 32);
}

static inline bool PageFlag(const struct page *p, int bit)
{
	return (atomic_load_explicit((MMK_ATOMIC(unsigned long) *)&p->flags, memory_order_relaxed) >> bit) & 1;
}
static inline void SetPageFlag(struct page *p, int bit) { atomic_fetch_or(&p->flags, 1UL << bit); }
static inline void ClearPageFlag(struct page *p, int bit) { atomic_fetch_and(&p->flags, ~(1UL << bit)); }
#define PageAnon(p) PageFlag(p, PG_anon)
#define PageDirty(p) PageFlag(p, PG_dirty)
#define PageZero(p) PageFlag(p, PG_zero)

static inline int page_count(const struct page *p)
{
	return atomic_load_explicit((MMK_ATOMIC(int) *)&p->_refcount, memory_order_relaxed);
}
static inline int page_mapcount(const struct page *p)
{
	return atomic_load_explicit((MMK_ATOMIC(int) *)&p->_mapcount, memory_order_relaxed);
}

/* every allocation asks should_fail_alloc("page") first; NULL = out of memory.
 * __GFP_ZERO zeroes the frames. The block comes back with refcount 1. */
struct page *alloc_pages(gfp_t gfp, unsigned int order);
static inline struct page *alloc_page(gfp_t gfp) { return alloc_pages(gfp, 0); }
void __free_pages(struct page *page, unsigned int order);
void get_page(struct page *page);
void put_page(struct page *page);          /* frees at refcount 0 */
unsigned long page_to_pfn(const struct page *page);
struct page *pfn_to_page(unsigned long pfn);
void *page_address(const struct page *page);
struct page *virt_to_page(const void *addr); /* a host address inside RAM */
struct page *mmk_zero_page(void);          /* the shared zero page */
unsigned long mmk_zero_pfn(void);

/* ---- page tables (src/pgtable.c) --------------------------------------- */

/* x86-64 entry bits (arch/x86/include/asm/pgtable_types.h) */
#define _PAGE_PRESENT 0x001UL
#define _PAGE_RW 0x002UL
#define _PAGE_USER 0x004UL
#define _PAGE_PWT 0x008UL
#define _PAGE_PCD 0x010UL
#define _PAGE_ACCESSED 0x020UL
#define _PAGE_DIRTY 0x040UL
#define _PAGE_PSE 0x080UL
#define _PAGE_GLOBAL 0x100UL
#define _PAGE_PROTNONE _PAGE_GLOBAL /* only when not present: a PROT_NONE page */
#define _PAGE_NX (1UL << 63)
#define PTE_PFN_MASK 0x000ffffffffff000UL
#define _PAGE_TABLE (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY)

typedef unsigned long pte_t; /* an entry of any level */

static inline bool pte_none(pte_t e) { return e == 0; }
/* present for the MMU, or a PROT_NONE page (still mapped, still counted) */
static inline bool pte_present(pte_t e) { return (e & (_PAGE_PRESENT | _PAGE_PROTNONE)) != 0; }
static inline bool pte_write(pte_t e) { return (e & _PAGE_RW) != 0; }
static inline bool pte_dirty(pte_t e) { return (e & _PAGE_DIRTY) != 0; }
static inline bool pte_young(pte_t e) { return (e & _PAGE_ACCESSED) != 0; }
static inline unsigned long pte_pfn(pte_t e) { return (e & PTE_PFN_MASK) >> PAGE_SHIFT; }

/*
 * Swap entries (format fixed now, used later): a non-present, non-PROT_NONE
 * entry; type in bits 58..62, offset in bits 9..57. Never zero.
 */
#define SWP_TYPE_SHIFT 58
#define SWP_OFFSET_SHIFT 9
#define SWP_OFFSET_MASK ((1UL << (SWP_TYPE_SHIFT - SWP_OFFSET_SHIFT)) - 1)
static inline pte_t swp_entry_to_pte(unsigned int type, unsigned long offset)
{
	return ((unsigned long)(type & 31) << SWP_TYPE_SHIFT) |
	       ((offset & SWP_OFFSET_MASK) << SWP_OFFSET_SHIFT) | (1UL << 1 /* never 0 */);
}
static inline bool is_swap_pte(pte_t e) { return !pte_none(e) && !pte_present(e); }
static inline unsigned int swp_type(pte_t e) { return (unsigned int)((e >> SWP_TYPE_SHIFT) & 31); }
static inline unsigned long swp_offset(pte_t e) { return (e >> SWP_OFFSET_SHIFT) & SWP_OFFSET_MASK; }

/* 4 or 5 (mmk_five_level, or a 56-bit task_size, when the mm was created) */
int mm_pgtable_levels(const struct mm_struct *mm);
/* the leaf entry mapping @addr, 0 if none (no table, or an empty entry) */
pte_t mmk_read_pte(struct mm_struct *mm, unsigned long addr);
/* the page mapped at @addr (the zero page included), NULL if none */
struct page *mmk_follow_page(struct mm_struct *mm, unsigned long addr);

/* ---- faults (src/memory.c) --------------------------------------------- */

/* vm_fault_t bits (include/linux/mm_types.h) */
#define VM_FAULT_OOM 0x000001
#define VM_FAULT_SIGBUS 0x000002
#define VM_FAULT_MAJOR 0x000004
#define VM_FAULT_SIGSEGV 0x000040
#define VM_FAULT_NOPAGE 0x000100
#define VM_FAULT_ERROR (VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV)

/* fault flags (include/linux/mm_types.h) */
#define FAULT_FLAG_WRITE 0x01
#define FAULT_FLAG_USER 0x40
#define FAULT_FLAG_REMOTE 0x80
#define FAULT_FLAG_INSTRUCTION 0x100

/* fault_around_bytes: a read fault on a file maps up to this much around it */
extern unsigned long fault_around_bytes; /* 65536 */

/*
 * handle_mm_fault - resolve a fault at @addr inside @vma (caller holds
 * mmap_sem, read or write, and has checked the access, as the kernel's
 * callers do). Returns 0 or VM_FAULT_* bits.
 */
int handle_mm_fault(struct vm_area_struct *vma, unsigned long addr, unsigned int flags);
/*
 * mmk_fault - what the CPU's page-fault handler does for a user access:
 * mmap_sem for reading, find_vma, stack expansion (with the guard gap),
 * access check (read, or write), handle_mm_fault. 0, -EFAULT (no VMA, no
 * permission, beyond end of file: SIGSEGV/SIGBUS), -ENOMEM (out of memory).
 */
int mmk_fault(struct mm_struct *mm, unsigned long addr, bool write);
/* expand_stack: grow a VM_GROWSDOWN VMA down to @addr (mmap_sem held for
 * writing). 0 or -ENOMEM (guard gap, rlimit, map count). */
int mmk_expand_stack(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long addr);

/* ---- the memory-access API (src/uaccess.c, src/gup.c) ------------------ */

/*
 * mmk_access_vm - access_process_vm: the debugger's (ptrace, /proc/PID/mem)
 * view, with FOLL_FORCE: unreadable-but-VM_MAYREAD memory can be read, a
 * private read-only mapping can be written (the write lands in a COW copy;
 * the mapping stays read-only). Shared read-only mappings cannot be written.
 * Returns the bytes done (0 if none; never an error code).
 */
long mmk_access_vm(struct mm_struct *mm, unsigned long addr, void *buf, size_t len, bool write);
/*
 * mmk_copy_from_user / mmk_copy_to_user - the user's own access, honoring
 * the VMA's permissions exactly as the CPU would (no FOLL_FORCE): 0 when
 * every byte was copied, -EFAULT otherwise (the bytes before the faulting
 * page have been copied, as copy_*_user leaves them). Stacks grow.
 */
long mmk_copy_from_user(struct mm_struct *mm, void *dst, unsigned long src, size_t len);
long mmk_copy_to_user(struct mm_struct *mm, unsigned long dst, const void *src, size_t len);
/* the same with the number of bytes not copied (the kernel's return value) */
size_t mmk_copy_from_user_rem(struct mm_struct *mm, void *dst, unsigned long src, size_t len);
size_t mmk_copy_to_user_rem(struct mm_struct *mm, unsigned long dst, const void *src, size_t len);

/*
 * mmk_get_user_pages - pin @nr_pages pages from @start (get_user_pages,
 * without FOLL_FORCE): each page gets a reference the caller drops with
 * mmk_put_page(). Faults them in (breaking COW for @write). Returns the
 * number pinned, or -EFAULT/-ENOMEM if not even the first could be.
 * A read pin of never-written anonymous memory gives the zero page.
 */
long mmk_get_user_pages(struct mm_struct *mm, unsigned long start, unsigned long nr_pages,
			bool write, struct page **pages);
void mmk_put_page(struct page *page);
void *mmk_page_address(struct page *page);

/* ---- the page cache (src/filemap.c) ------------------------------------ */
struct mmk_inode;
/* the page at @pgoff of @file with a reference for the caller: filled
 * from the real file by pread (zero beyond EOF). NULL on -ENOMEM. */
struct page *filemap_get_page(struct file *file, unsigned long pgoff);
/* the cached page or NULL (a reference when found); no I/O */
struct page *filemap_find_page(struct file *file, unsigned long pgoff);
bool page_is_shmem(const struct page *page);

/* ---- hooks the VMA engine calls (mmap_sem held for writing) ------------ */

/* unmap_vmas/zap_page_range: drop the pages of [start, end) of @vma */
void zap_page_range(struct vm_area_struct *vma, unsigned long start, unsigned long end);
/* MADV_DONTNEED: update_hiwater_rss + zap */
void zap_page_range_single(struct vm_area_struct *vma, unsigned long start, unsigned long end);
/* MADV_FREE: clean private anonymous pages become lazily freeable */
void madvise_free_range(struct vm_area_struct *vma, unsigned long start, unsigned long end);
/* free_pgtables: free the tables covering only [floor, ceiling) (ceiling 0 = top)
 * that intersect [start, end) */
void free_pgtables(struct mm_struct *mm, unsigned long start, unsigned long end,
		   unsigned long floor, unsigned long ceiling);
/* munmap of one VMA that was just unlinked from @mm: zap it, free the page
 * tables no other VMA needs, and drop shmem pages when it was the last
 * mapping of its file. Calls update_hiwater_rss. */
void unmap_region(struct mm_struct *mm, struct vm_area_struct *vma);
/* exit_mmap: every page and every table below the PGD */
void exit_mmap_pages(struct mm_struct *mm);
/* fork: copy @src's PTEs into @dst (same range, @dst in the child) */
int copy_page_range(struct vm_area_struct *dst, struct vm_area_struct *src);
/* mprotect: rewrite the PTEs of [start, end) for @vma's (new) vm_flags */
void change_protection(struct vm_area_struct *vma, unsigned long start, unsigned long end);
/* mremap: move the PTEs of [old_addr, old_addr+len) of @vma to @new_addr in
 * @new_vma. Returns bytes moved (len, or less when a table could not be
 * allocated: the rest stays at the old address). */
unsigned long move_page_tables(struct vm_area_struct *vma, unsigned long old_addr,
			       struct vm_area_struct *new_vma, unsigned long new_addr,
			       unsigned long len);
/* populate_vma_page_range's worker: fault [start, end) in; pages done or
 * -EFAULT/-ENOMEM (no more than the pages before the failure) */
long mmk_populate_range(struct vm_area_struct *vma, unsigned long start, unsigned long end,
			bool write);
void update_hiwater_rss(struct mm_struct *mm);
unsigned long get_mm_rss(struct mm_struct *mm);

/* smaps: what the page tables of @vma map (smap_gather_stats) */
struct mmk_page_stats {
	unsigned long resident, shared_clean, shared_dirty, private_clean, private_dirty;
	unsigned long referenced, anonymous, lazyfree, swap;
	uint64_t pss, pss_anon, pss_file, pss_shmem, pss_dirty, pss_locked; /* << 12 fixed point */
	uint64_t swap_pss; /* << 12: each entry's PAGE_SIZE / slot use count */
};
#define MMK_PSS_SHIFT 12
void mmk_smaps_vma(struct vm_area_struct *vma, struct mmk_page_stats *st);

/* ---- the page layer's own internals (src/page_alloc.c, pgtable.c, memory.c,
 * gup.c, uaccess.c, filemap.c define MMKIT_PAGE_INTERNAL) ----------------- */
#ifdef MMKIT_PAGE_INTERNAL
extern char *mmk_mem_base;
extern struct page *mmk_mem_map;
static inline void *pfn_to_virt(unsigned long pfn) { return mmk_mem_base + (pfn << PAGE_SHIFT); }
static inline struct page *pte_page(pte_t e) { return &mmk_mem_map[pte_pfn(e)]; }
/* acquire: a table published by pte_set (release) is seen zeroed */
static inline pte_t pte_get(const pte_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void pte_set(pte_t *p, pte_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
void mmk_count_pgtable(long delta, bool pgd);
/* zero / copy whole frames */
void mmk_clear_frames(void *dst, size_t bytes);
void mmk_copy_frame(void *dst, const void *src);
/* the PTE slot for @addr, allocating the tables on the way; NULL = -ENOMEM */
pte_t *pte_alloc_walk(struct mm_struct *mm, unsigned long addr);
/* handle_mm_fault when the caller has already walked to the PTE slot of
 * @addr (NULL: walk, allocating tables); mmap_sem held keeps the table */
int __handle_mm_fault(struct vm_area_struct *vma, unsigned long addr, unsigned int flags, pte_t *ptep);
/* page_address without the call: RAM is one block, mem_map one array */
static inline void *lowmem_page_address(const struct page *page)
{
	return mmk_mem_base + ((unsigned long)(page - mmk_mem_map) << PAGE_SHIFT);
}
/* the PTE slot for @addr if its table exists, else NULL */
pte_t *pte_lookup(struct mm_struct *mm, unsigned long addr);
/* call @fn for each PTE slot of an existing table in [start, end) */
void walk_pte_range(struct mm_struct *mm, unsigned long start, unsigned long end,
		    void (*fn)(pte_t *ptep, unsigned long addr, void *arg), void *arg);
/* call @fn once per existing PTE table meeting [start, end): @ptep is the
 * slot of @addr, and the @nr entries from it lie in that table */
void walk_pte_tables(struct mm_struct *mm, unsigned long start, unsigned long end,
		     void (*fn)(pte_t *ptep, unsigned long addr, unsigned long nr, void *arg),
		     void *arg);
/* put_page for @nr pages at once (one per-CPU list lock for the lot) */
void mmk_put_pages(struct page **pages, unsigned int nr);
/* free order-0 pages whose refcount the caller brought to 0 (one lock) */
void mmk_free_unref_pages(struct page **pages, unsigned int nr);
void add_mm_counter(struct mm_struct *mm, int member, long value);
int mm_counter_of(const struct page *page); /* MM_ANONPAGES / MM_FILEPAGES / MM_SHMEMPAGES */
/* filemap.c */
long filemap_reclaim(long want);
long filemap_drop_all(void);
void filemap_init(unsigned long nr_frames);
void filemap_fini(void);
unsigned long filemap_nr_pages(void);
void filemap_file_unmapped(struct file *file, long refs_going);
/* gup.c: the page mapped at @addr, faulted in if needed, with a reference and
 * the accessed (and for @write dirty) bit set; NULL with *err = -EFAULT or
 * -ENOMEM. @force: FOLL_FORCE rules. mmap_sem held for reading. */
struct page *mmk_follow_or_fault(struct vm_area_struct *vma, unsigned long addr, bool write,
				 bool force, int *err);
/* check_vma_flags: may this access touch @vma at all (0 or -EFAULT) */
int mmk_check_vma_flags(const struct vm_area_struct *vma, bool write, bool force);
#endif

#endif /* MMKIT_PAGE_H */
