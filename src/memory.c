/* SPDX-License-Identifier: MIT */
/*
 * src/memory.c - page faults and what the VMA engine asks of the page
 * tables (mm/memory.c, mm/mprotect.c, mm/mremap.c, fs/proc/task_mmu.c).
 *
 * Faults (handle_mm_fault), caller holding mmap_sem for reading or writing:
 *   empty PTE, anonymous VMA:  read  -> the shared zero page, counted nowhere
 *                              write -> a zeroed frame, MM_ANONPAGES + 1
 *   empty PTE, file or shmem:  read  -> fault-around, then the page-cache page
 *                                       (MM_FILEPAGES or MM_SHMEMPAGES + 1 each)
 *                              write, private -> a copy (MM_ANONPAGES + 1)
 *                              write, shared  -> the page-cache page, dirty
 *   present, write-protected:  shared -> made writable and dirty
 *                              anonymous, exclusive or referenced once -> reused
 *                              else -> copied (wp_page_copy): a file page
 *                              replaced gives MM_FILEPAGES - 1, MM_ANONPAGES + 1;
 *                              the zero page replaced MM_ANONPAGES + 1
 * Page tables change under mm->page_table_lock: a fault allocates its frame
 * first, then takes the lock and installs only if the PTE is still what it
 * saw (else it frees what it allocated and reports success: the access is
 * retried). Counters are atomic; mm->rss follows file + anon + shmem.
 */
#define MMKIT_PAGE_INTERNAL
#include "vma.h"
#include <mmkit/page.h>
#include <stdlib.h>

unsigned long fault_around_bytes = 65536;

/* ---- counters --------------------------------------------------------------- */

void add_mm_counter(struct mm_struct *mm, int member, long value)
{
	if (!value)
		return;
	atomic_long_add(value, &mm->rss_stat[member]);
	if (member != MM_SWAPENTS)
		__atomic_add_fetch(&mm->rss, (unsigned long)value, __ATOMIC_RELAXED);
}

unsigned long get_mm_rss(struct mm_struct *mm)
{
	long v = atomic_long_read(&mm->rss_stat[MM_FILEPAGES]) +
		 atomic_long_read(&mm->rss_stat[MM_ANONPAGES]) +
		 atomic_long_read(&mm->rss_stat[MM_SHMEMPAGES]);

	return v > 0 ? (unsigned long)v : 0;
}

/* the kernel raises hiwater_rss lazily: just before RSS goes down */
void update_hiwater_rss(struct mm_struct *mm)
{
	unsigned long rss = get_mm_rss(mm);
	unsigned long old = __atomic_load_n(&mm->hiwater_rss, __ATOMIC_RELAXED);

	while (old < rss &&
	       !__atomic_compare_exchange_n(&mm->hiwater_rss, &old, rss, true, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED))
		;
}

static inline int counter_of(const struct page *page)
{
	unsigned long f = atomic_load_explicit((MMK_ATOMIC(unsigned long) *)&page->flags,
					       memory_order_relaxed);

	if (f & (1UL << PG_anon))
		return MM_ANONPAGES;
	return (f & (1UL << PG_shmem)) ? MM_SHMEMPAGES : MM_FILEPAGES;
}

int mm_counter_of(const struct page *page)
{
	return counter_of(page);
}

/* ---- PTE construction --------------------------------------------------------- */

static inline bool is_cow_mapping(unsigned long flags)
{
	return (flags & (VM_SHARED | VM_MAYWRITE)) == VM_MAYWRITE;
}

/* the entry for @pfn under @vm_flags (vm_page_prot), young */
static inline pte_t mk_pte(unsigned long pfn, unsigned long vm_flags, bool writable, bool dirty)
{
	pte_t e = (pfn << PAGE_SHIFT) | _PAGE_USER | _PAGE_ACCESSED;

	e |= (vm_flags & VM_ACCESS_FLAGS) ? _PAGE_PRESENT : _PAGE_PROTNONE;
	if (writable && (vm_flags & VM_WRITE))
		e |= _PAGE_RW;
	if (dirty)
		e |= _PAGE_DIRTY;
	if (!(vm_flags & VM_EXEC))
		e |= _PAGE_NX;
	return e;
}

static inline bool is_zero_pte(pte_t e) { return pte_pfn(e) == 0; }

/* page_to_pfn / page_address without a call (the fault path) */
static inline unsigned long pfn_of(const struct page *page)
{
	return (unsigned long)(page - mmk_mem_map);
}

/* anon_vma_prepare under the page-table lock: faults race under mmap_sem read */
static int fault_anon_vma_prepare(struct vm_area_struct *vma)
{
	int ret = 0;

	if (likely(__atomic_load_n(&vma->anon_vma, __ATOMIC_ACQUIRE)))
		return 0;
	spin_lock(&vma->vm_mm->page_table_lock);
	if (!vma->anon_vma)
		ret = anon_vma_prepare(vma);
	spin_unlock(&vma->vm_mm->page_table_lock);
	return ret;
}

static void page_set_anon(struct page *page, struct vm_area_struct *vma, unsigned long addr)
{
	page->mapping = vma->anon_vma;
	page->index = vma_pgoff_offset(vma, addr);
	atomic_store_explicit(&page->flags,
			      (1UL << PG_anon) | (1UL << PG_swapbacked) | (1UL << PG_uptodate) |
				      (1UL << PG_anon_exclusive),
			      memory_order_relaxed);
	atomic_store_explicit(&page->_mapcount, 1, memory_order_relaxed);
}

/* ---- anonymous memory ---------------------------------------------------------- */

static int do_anonymous_page(struct vm_area_struct *vma, unsigned long addr, pte_t *ptep, bool write)
{
	struct mm_struct *mm = vma->vm_mm;
	struct page *page;
	pte_t e;

	if (!write) {
		e = mk_pte(0, vma->vm_flags, false, false);
		spin_lock(&mm->page_table_lock);
		if (pte_none(pte_get(ptep)))
			pte_set(ptep, e);
		spin_unlock(&mm->page_table_lock);
		return 0;
	}
	if (fault_anon_vma_prepare(vma))
		return VM_FAULT_OOM;
	page = alloc_page(__GFP_ZERO);
	if (!page)
		return VM_FAULT_OOM;
	page_set_anon(page, vma, addr);
	/* the kernel dirties the PTE only when the VMA is writable */
	e = mk_pte(pfn_of(page), vma->vm_flags, true, (vma->vm_flags & VM_WRITE) != 0);
	spin_lock(&mm->page_table_lock);
	if (!pte_none(pte_get(ptep))) {
		spin_unlock(&mm->page_table_lock);
		atomic_store(&page->_mapcount, 0);
		put_page(page);
		return 0;
	}
	pte_set(ptep, e);
	add_mm_counter(mm, MM_ANONPAGES, 1);
	spin_unlock(&mm->page_table_lock);
	return 0;
}

/* ---- file and shmem ---------------------------------------------------------------- */

static unsigned long file_pages(const struct file *f)
{
	return f->i_size > 0 ? (unsigned long)((f->i_size + (long long)PAGE_SIZE - 1) >> PAGE_SHIFT) : 0;
}

/* map the page-cache @page (its reference goes to the mapping) if the PTE is
 * still empty; 1 if mapped, 0 if someone was first (the reference dropped) */
static int map_file_page(struct vm_area_struct *vma, pte_t *ptep, struct page *page, pte_t e)
{
	struct mm_struct *mm = vma->vm_mm;

	spin_lock(&mm->page_table_lock);
	if (!pte_none(pte_get(ptep))) {
		spin_unlock(&mm->page_table_lock);
		put_page(page);
		return 0;
	}
	atomic_fetch_add(&page->_mapcount, 1);
	pte_set(ptep, e);
	add_mm_counter(mm, mm_counter_of(page), 1);
	spin_unlock(&mm->page_table_lock);
	return 1;
}

/* a read fault maps shared writable shmem writable (no write notification);
 * a regular file's shared mapping stays read-only until written */
static bool read_fault_writable(const struct vm_area_struct *vma)
{
	return (vma->vm_flags & (VM_SHARED | VM_WRITE)) == (VM_SHARED | VM_WRITE) && vma->vm_file->shmem;
}

/*
 * do_fault_around - map the pages around @addr that the page cache holds:
 * a window of fault_around_bytes starting at @addr aligned down on that size
 * (or at the VMA's start if later), clipped to the VMA, to the PTE table and
 * to the end of the file; PTEs already set stay. A
 * regular file is taken to be in the page cache whole (the window is read
 * in, as read-ahead would have), shmem only has what was touched.
 */
static void do_fault_around(struct vm_area_struct *vma, unsigned long addr)
{
	unsigned long nr = fault_around_bytes >> PAGE_SHIFT;
	unsigned long from, to, tbl_start, eof = file_pages(vma->vm_file);
	struct file *file = vma->vm_file;
	pte_t *base;

	if (nr <= 1)
		return;
	/* the start is aligned down and clamped to the VMA; the window then
	 * runs fault_around_bytes from there (do_fault_around's from_pte/to_pte) */
	from = addr & ~((nr << PAGE_SHIFT) - 1);
	tbl_start = addr & ~(PMD_SIZE - 1);
	if (from < vma->vm_start)
		from = vma->vm_start;
	if (from < tbl_start)
		from = tbl_start;
	to = from + (nr << PAGE_SHIFT);
	if (to > vma->vm_end)
		to = vma->vm_end;
	if (to > tbl_start + PMD_SIZE)
		to = tbl_start + PMD_SIZE;
	base = pte_lookup(vma->vm_mm, addr);
	if (!base)
		return;
	base -= (addr - tbl_start) >> PAGE_SHIFT;
	for (unsigned long a = from; a < to; a += PAGE_SIZE) {
		pte_t *ptep = base + ((a - tbl_start) >> PAGE_SHIFT);
		unsigned long pgoff = vma_pgoff_offset(vma, a);
		struct page *page;

		if (pgoff >= eof)
			break;
		if (!pte_none(pte_get(ptep)))
			continue;
		if (file->shmem || (vma->vm_flags & VM_RAND_READ))
			page = filemap_find_page(file, pgoff);
		else
			page = filemap_get_page(file, pgoff);
		if (!page)
			continue;
		map_file_page(vma, ptep, page,
			      mk_pte(page_to_pfn(page), vma->vm_flags, read_fault_writable(vma), false));
	}
}

static int do_read_fault(struct vm_area_struct *vma, unsigned long addr, pte_t *ptep)
{
	struct page *page;

	do_fault_around(vma, addr);
	if (!pte_none(pte_get(ptep)))
		return 0;
	page = filemap_get_page(vma->vm_file, vma_pgoff_offset(vma, addr));
	if (!page)
		return VM_FAULT_OOM;
	map_file_page(vma, ptep, page,
		      mk_pte(page_to_pfn(page), vma->vm_flags, read_fault_writable(vma), false));
	return 0;
}

static int do_cow_fault(struct vm_area_struct *vma, unsigned long addr, pte_t *ptep)
{
	struct mm_struct *mm = vma->vm_mm;
	struct page *page, *src;

	if (fault_anon_vma_prepare(vma))
		return VM_FAULT_OOM;
	page = alloc_page(0);
	if (!page)
		return VM_FAULT_OOM;
	src = filemap_get_page(vma->vm_file, vma_pgoff_offset(vma, addr));
	if (!src) {
		put_page(page);
		return VM_FAULT_OOM;
	}
	mmk_copy_frame(page_address(page), page_address(src));
	put_page(src);
	page_set_anon(page, vma, addr);
	spin_lock(&mm->page_table_lock);
	if (!pte_none(pte_get(ptep))) {
		spin_unlock(&mm->page_table_lock);
		atomic_store(&page->_mapcount, 0);
		put_page(page);
		return 0;
	}
	pte_set(ptep, mk_pte(page_to_pfn(page), vma->vm_flags, true, true));
	add_mm_counter(mm, MM_ANONPAGES, 1);
	spin_unlock(&mm->page_table_lock);
	return 0;
}

static int do_shared_fault(struct vm_area_struct *vma, unsigned long addr, pte_t *ptep)
{
	struct page *page = filemap_get_page(vma->vm_file, vma_pgoff_offset(vma, addr));

	if (!page)
		return VM_FAULT_OOM;
	SetPageFlag(page, PG_dirty);
	map_file_page(vma, ptep, page, mk_pte(page_to_pfn(page), vma->vm_flags, true, true));
	return 0;
}

static int do_fault(struct vm_area_struct *vma, unsigned long addr, pte_t *ptep, bool write)
{
	if (vma_pgoff_offset(vma, addr) >= file_pages(vma->vm_file))
		return VM_FAULT_SIGBUS;
	if (!write)
		return do_read_fault(vma, addr, ptep);
	if (!(vma->vm_flags & VM_SHARED))
		return do_cow_fault(vma, addr, ptep);
	return do_shared_fault(vma, addr, ptep);
}

/* ---- write-protect faults ------------------------------------------------------------ */

/* wp_page_copy: @old (NULL for the zero page) mapped by @orig gets a private copy */
static int wp_page_copy(struct vm_area_struct *vma, unsigned long addr, pte_t *ptep, pte_t orig,
			struct page *old)
{
	struct mm_struct *mm = vma->vm_mm;
	struct page *page;

	if (fault_anon_vma_prepare(vma))
		return VM_FAULT_OOM;
	page = alloc_page(old ? 0 : __GFP_ZERO);
	if (!page)
		return VM_FAULT_OOM;
	if (old)
		mmk_copy_frame(page_address(page), page_address(old));
	page_set_anon(page, vma, addr);
	spin_lock(&mm->page_table_lock);
	if (pte_get(ptep) != orig) {
		spin_unlock(&mm->page_table_lock);
		atomic_store(&page->_mapcount, 0);
		put_page(page);
		return 0;
	}
	if (!old) {
		add_mm_counter(mm, MM_ANONPAGES, 1);
	} else if (!PageAnon(old)) {
		add_mm_counter(mm, mm_counter_of(old), -1);
		add_mm_counter(mm, MM_ANONPAGES, 1);
	}
	pte_set(ptep, mk_pte(page_to_pfn(page), vma->vm_flags, true, true));
	if (old)
		atomic_fetch_sub(&old->_mapcount, 1);
	spin_unlock(&mm->page_table_lock);
	if (old)
		put_page(old);
	return 0;
}

/* set bits in a PTE that must still be @orig; false if it changed */
static bool pte_upgrade(struct mm_struct *mm, pte_t *ptep, pte_t orig, pte_t bits)
{
	bool ok;

	spin_lock(&mm->page_table_lock);
	ok = pte_get(ptep) == orig;
	if (ok)
		pte_set(ptep, orig | bits);
	spin_unlock(&mm->page_table_lock);
	return ok;
}

static int do_wp_page(struct vm_area_struct *vma, unsigned long addr, pte_t *ptep, pte_t orig)
{
	struct page *page = is_zero_pte(orig) ? NULL : pte_page(orig);
	pte_t wbits = _PAGE_DIRTY | _PAGE_ACCESSED | ((vma->vm_flags & VM_WRITE) ? _PAGE_RW : 0);

	if (vma->vm_flags & VM_SHARED) {
		/* wp_page_shared: the first write to a shared page */
		if (page) {
			SetPageFlag(page, PG_dirty);
			pte_upgrade(vma->vm_mm, ptep, orig, wbits);
			return 0;
		}
	} else if (page && PageAnon(page)) {
		/* reuse when nobody else can see the page (wp_can_reuse_anon_folio) */
		if (PageFlag(page, PG_anon_exclusive) || page_count(page) == 1) {
			spin_lock(&vma->vm_mm->page_table_lock);
			if (pte_get(ptep) == orig && (PageFlag(page, PG_anon_exclusive) || page_count(page) == 1)) {
				SetPageFlag(page, PG_anon_exclusive);
				pte_set(ptep, orig | wbits);
				spin_unlock(&vma->vm_mm->page_table_lock);
				return 0;
			}
			spin_unlock(&vma->vm_mm->page_table_lock);
			if (pte_get(ptep) != orig)
				return 0;
		}
	}
	return wp_page_copy(vma, addr, ptep, orig, page);
}

/*
 * special_mapping_fault ([vdso], [vvar]): the kernel maps its own pages,
 * counted as file pages. mmkit keeps zero-filled stand-ins in the page
 * cache of a made-up inode per special mapping; they are shared by every
 * mm that maps it and never written through (a write copies, as for any
 * private file page).
 */
static int do_special_fault(struct vm_area_struct *vma, unsigned long addr, pte_t *ptep)
{
	struct file f = { .dev_major = ~0u, .dev_minor = ~0u,
			  .i_ino = (unsigned long)(uintptr_t)vma->vm_special,
			  .i_size = 1LL << 40 };
	struct page *page = filemap_get_page(&f, vma_pgoff_offset(vma, addr));

	if (!page)
		return VM_FAULT_OOM;
	map_file_page(vma, ptep, page, mk_pte(page_to_pfn(page), vma->vm_flags, false, false));
	return 0;
}

int __handle_mm_fault(struct vm_area_struct *vma, unsigned long addr, unsigned int flags, pte_t *ptep)
{
	bool write = flags & FAULT_FLAG_WRITE;
	pte_t e;

	addr &= PAGE_MASK;
	if (vma->vm_flags & (VM_IO | VM_PFNMAP))
		return VM_FAULT_SIGBUS;
	if (!ptep)
		ptep = pte_alloc_walk(vma->vm_mm, addr);
	if (!ptep)
		return VM_FAULT_OOM;
	e = pte_get(ptep);
	if (pte_none(e)) {
		if (vma->vm_file)
			return do_fault(vma, addr, ptep, write);
		if (vma->vm_special)
			return do_special_fault(vma, addr, ptep);
		return do_anonymous_page(vma, addr, ptep, write);
	}
	if (!pte_present(e))
		return do_swap_page(vma, addr, ptep, e, flags); /* a swap entry */
	if (write && !pte_write(e))
		return do_wp_page(vma, addr, ptep, e);
	/* a spurious fault: the access just sets the accessed/dirty bits */
	pte_upgrade(vma->vm_mm, ptep, e, _PAGE_ACCESSED | (write ? _PAGE_DIRTY : 0));
	return 0;
}

int handle_mm_fault(struct vm_area_struct *vma, unsigned long addr, unsigned int flags)
{
	return __handle_mm_fault(vma, addr, flags, NULL);
}

/* ---- the user's fault --------------------------------------------------------------------- */

int mmk_expand_stack(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long addr)
{
	struct vm_area_struct *prev = vma->vm_prev;
	unsigned long grow, size;

	addr &= PAGE_MASK;
	if (!(vma->vm_flags & VM_GROWSDOWN))
		return -EFAULT;
	if (addr >= vma->vm_start)
		return 0;
	if (addr < mmap_min_addr)
		return -EPERM;
	/* the guard gap: an accessible VMA below must stay stack_guard_gap away */
	if (prev) {
		if (prev->vm_end > addr)
			return -ENOMEM;
		if (!(prev->vm_flags & VM_GROWSDOWN) && vma_is_accessible(prev) &&
		    addr - prev->vm_end < stack_guard_gap)
			return -ENOMEM;
	}
	grow = (vma->vm_start - addr) >> PAGE_SHIFT;
	size = vma->vm_end - addr;
	/* acct_stack_growth */
	if (!may_expand_vm(mm, vma->vm_flags, grow))
		return -ENOMEM;
	if (size > mm->rlim[MMK_RLIMIT_STACK])
		return -ENOMEM;
	if (!mlock_future_ok(mm, vma->vm_flags, grow << PAGE_SHIFT))
		return -ENOMEM;
	if (anon_vma_prepare(vma))
		return -ENOMEM;
	if (vma->vm_flags & VM_LOCKED)
		mm->locked_vm += grow;
	vm_stat_account(mm, vma->vm_flags, (long)grow);
	vma_set_range(vma, addr, vma->vm_end, vma->vm_pgoff - grow);
	return 0;
}

static int fault_errno(int ret)
{
	if (ret & VM_FAULT_OOM)
		return -ENOMEM;
	if (ret & VM_FAULT_ERROR)
		return -EFAULT;
	return 0;
}

/* x86's access_error: writes need VM_WRITE, reads any access bit */
static bool access_ok_vma(const struct vm_area_struct *vma, bool write)
{
	if (write)
		return vma->vm_flags & VM_WRITE;
	return vma_is_accessible(vma);
}

int mmk_fault(struct mm_struct *mm, unsigned long addr, bool write)
{
	struct vm_area_struct *vma;
	int ret;

	down_read(&mm->mmap_sem);
	vma = find_vma(mm, addr);
	if (unlikely(vma && vma->vm_start > addr && (vma->vm_flags & VM_GROWSDOWN))) {
		/* lock_mm_and_find_vma: expanding needs the lock for writing */
		up_read(&mm->mmap_sem);
		down_write(&mm->mmap_sem);
		vma = find_vma(mm, addr);
		if (vma && vma->vm_start > addr && mmk_expand_stack(mm, vma, addr))
			vma = NULL;
		up_write(&mm->mmap_sem);
		down_read(&mm->mmap_sem);
		vma = find_vma(mm, addr);
	}
	if (!vma || vma->vm_start > addr || !access_ok_vma(vma, write)) {
		up_read(&mm->mmap_sem);
		return -EFAULT;
	}
	ret = handle_mm_fault(vma, addr, (write ? FAULT_FLAG_WRITE : 0) | FAULT_FLAG_USER);
	up_read(&mm->mmap_sem);
	return fault_errno(ret);
}

/* ---- populate (get_user_pages for mlock, MAP_POPULATE, MADV_POPULATE_*) ------------------ */

long mmk_populate_range(struct vm_area_struct *vma, unsigned long start, unsigned long end,
			bool write)
{
	long done = 0;

	for (unsigned long a = start; a < end; a += PAGE_SIZE, done++) {
		pte_t *ptep = pte_lookup(vma->vm_mm, a);
		pte_t e = ptep ? pte_get(ptep) : 0;
		int ret;

		if (pte_present(e) && (!write || pte_write(e) ||
				       (!is_zero_pte(e) && PageAnon(pte_page(e)) &&
					PageFlag(pte_page(e), PG_anon_exclusive))))
			continue;
		ret = handle_mm_fault(vma, a, write ? FAULT_FLAG_WRITE : 0);
		if (ret & VM_FAULT_ERROR)
			return done ? done : fault_errno(ret);
	}
	return done;
}

/* ---- zapping ------------------------------------------------------------------------------ */

struct zap_ctx {
	struct mm_struct *mm;
};

#define ZAP_BATCH 64

/* zap_pte_range: the entries of one PTE table, under one lock; the rss
 * deltas are summed here and added once, the pages freed in batches */
static void zap_table(pte_t *ptep, unsigned long addr, unsigned long nr, void *arg)
{
	struct zap_ctx *z = arg;
	struct mm_struct *mm = z->mm;
	long rss[NR_MM_COUNTERS] = { 0 };
	struct page *batch[ZAP_BATCH];
	unsigned int nb = 0;

	spin_lock(&mm->page_table_lock);
	for (unsigned long i = 0; i < nr; i++) {
		pte_t e = pte_get(&ptep[i]);
		struct page *page;

		if (pte_none(e))
			continue;
		pte_set(&ptep[i], 0);
		if (!pte_present(e)) {
			rss[MM_SWAPENTS]--;
			swap_free(e); /* free_swap_and_cache */
			continue;
		}
		if (is_zero_pte(e))
			continue;
		page = pte_page(e);
		if (pte_dirty(e) && !PageAnon(page))
			SetPageFlag(page, PG_dirty);
		rss[counter_of(page)]--;
		if (unlikely(page->order)) {
			/* a frame of a larger block: put_page frees the block */
			atomic_fetch_sub(&page->_mapcount, 1);
			put_page(page);
			continue;
		}
		/* page_remove_rmap + put_page in one locked instruction; the
		 * last reference frees the page with the batch */
		if (refmap_refcount(atomic_fetch_sub(&page->_refmap, PAGE_REFMAP_BOTH)) == 1) {
			batch[nb++] = page;
			if (nb == ZAP_BATCH) {
				mmk_free_unref_pages(batch, nb);
				nb = 0;
			}
		}
	}
	mmk_free_unref_pages(batch, nb);
	for (int i = 0; i < NR_MM_COUNTERS; i++)
		if (rss[i])
			add_mm_counter(mm, i, rss[i]);
	spin_unlock(&mm->page_table_lock);
}

void zap_page_range(struct vm_area_struct *vma, unsigned long start, unsigned long end)
{
	struct zap_ctx z = { vma->vm_mm };

	if (start < vma->vm_start)
		start = vma->vm_start;
	if (end > vma->vm_end)
		end = vma->vm_end;
	walk_pte_tables(vma->vm_mm, start, end, zap_table, &z);
}

void zap_page_range_single(struct vm_area_struct *vma, unsigned long start, unsigned long end)
{
	update_hiwater_rss(vma->vm_mm);
	zap_page_range(vma, start, end);
}

static void lazyfree_one(pte_t *ptep, unsigned long addr, void *arg)
{
	pte_t e = pte_get(ptep);
	struct page *page;

	if (!pte_present(e) || is_zero_pte(e))
		return;
	page = pte_page(e);
	/* only pages this mapping alone owns become lazily freeable */
	if (!PageAnon(page) || page_mapcount(page) != 1 || page_count(page) != 1)
		return;
	pte_set(ptep, e & ~(_PAGE_DIRTY | _PAGE_ACCESSED));
	ClearPageFlag(page, PG_dirty);
	ClearPageFlag(page, PG_swapbacked);
}

void madvise_free_range(struct vm_area_struct *vma, unsigned long start, unsigned long end)
{
	struct mm_struct *mm = vma->vm_mm;

	spin_lock(&mm->page_table_lock);
	walk_pte_range(mm, start, end, lazyfree_one, NULL);
	spin_unlock(&mm->page_table_lock);
}

void unmap_region(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct *prev = NULL, *next;

	update_hiwater_rss(mm);
	zap_page_range(vma, vma->vm_start, vma->vm_end);
	next = find_vma_prev(mm, vma->vm_start, &prev);
	free_pgtables(mm, vma->vm_start, vma->vm_end, prev ? prev->vm_end : 0,
		      next ? next->vm_start : 0);
	if (vma->vm_file && vma->vm_file->shmem)
		filemap_file_unmapped(vma->vm_file, 1);
}

static int cmp_file_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(struct file *const *)a, y = (uintptr_t)*(struct file *const *)b;

	return (x > y) - (x < y);
}

/* the VMAs of @mm that map @file */
static long file_refs(struct mm_struct *mm, struct file *file)
{
	long refs = 0;

	for (struct vm_area_struct *v = mm->mmap; v; v = v->vm_next)
		refs += v->vm_file == file;
	return refs;
}

/*
 * The shared-memory files @mm maps lose its references: each file's page
 * cache goes when these were the last (filemap_file_unmapped, once per
 * file with its count). Sorting the files makes that one pass; without
 * memory for the array, each file is counted with a walk of the list.
 */
static void exit_mmap_shmem(struct mm_struct *mm)
{
	struct vm_area_struct *vma;
	struct file **files;
	long n = 0, i = 0, j;

	for (vma = mm->mmap; vma; vma = vma->vm_next)
		n += vma->vm_file && vma->vm_file->shmem;
	if (!n)
		return;
	files = malloc((size_t)n * sizeof(*files));
	for (vma = mm->mmap; vma; vma = vma->vm_next) {
		if (!vma->vm_file || !vma->vm_file->shmem)
			continue;
		if (files)
			files[i++] = vma->vm_file;
		else
			filemap_file_unmapped(vma->vm_file, file_refs(mm, vma->vm_file));
	}
	if (!files)
		return;
	qsort(files, (size_t)n, sizeof(*files), cmp_file_ptr);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && files[j] == files[i]; j++)
			;
		/* every VMA of a shared-memory file is one of these */
		filemap_file_unmapped(files[i], j - i);
	}
	free(files);
}

void exit_mmap_pages(struct mm_struct *mm)
{
	struct vm_area_struct *vma;

	for (vma = mm->mmap; vma; vma = vma->vm_next)
		zap_page_range(vma, vma->vm_start, vma->vm_end);
	/* the user half of the PGD: entries 0..255 */
	free_pgtables(mm, 0, mm_pgtable_levels(mm) == 5 ? 1UL << 56 : 1UL << 47, 0, 0);
	exit_mmap_shmem(mm);
}

/* ---- fork ------------------------------------------------------------------------------------ */

struct copy_ctx {
	struct vm_area_struct *dst, *src;
	long rss[NR_MM_COUNTERS];
	int err;
};

#define PTES_PER_TABLE 512

/*
 * copy_pte_range: one PTE table of the parent. The child's table is found
 * (or made) once; the parent's entries are read, referenced and
 * write-protected under the parent's lock, then stored under the child's
 * (the two locks one after the other, never nested). Swap entries are
 * duplicated with no lock held (swap_copy_entry takes mmlist_lock).
 */
static void copy_table(pte_t *sptep, unsigned long addr, unsigned long nr, void *arg)
{
	struct copy_ctx *c = arg;
	struct mm_struct *dst_mm = c->dst->vm_mm, *src_mm = c->src->vm_mm;
	unsigned long flags = c->src->vm_flags;
	bool cow = is_cow_mapping(flags);
	pte_t clear = _PAGE_ACCESSED | ((flags & VM_SHARED) ? _PAGE_DIRTY : 0);
	pte_t out[PTES_PER_TABLE], *dptep;
	unsigned long first = 0, i;
	bool swaps = false;

	if (c->err)
		return;
	while (first < nr && pte_none(pte_get(&sptep[first])))
		first++;
	if (first == nr)
		return;
	dptep = pte_alloc_walk(dst_mm, addr + (first << PAGE_SHIFT));
	if (!dptep) {
		c->err = -ENOMEM;
		return;
	}
	dptep -= first;
	spin_lock(&src_mm->page_table_lock);
	for (i = first; i < nr; i++) {
		pte_t e = pte_get(&sptep[i]);

		out[i] = e;
		if (pte_none(e))
			continue;
		if (!pte_present(e)) {
			swaps = true;
			continue;
		}
		if (!is_zero_pte(e)) {
			struct page *page = pte_page(e);

			/* get_page + page_dup_rmap in one locked instruction */
			atomic_fetch_add_explicit(&page->_refmap, PAGE_REFMAP_BOTH, memory_order_relaxed);
			if (PageAnon(page) && PageFlag(page, PG_anon_exclusive))
				ClearPageFlag(page, PG_anon_exclusive);
			c->rss[counter_of(page)]++;
			/* a private mapping: both sides lose write access until they copy */
			if (cow && pte_write(e)) {
				e &= ~_PAGE_RW;
				pte_set(&sptep[i], e);
			}
		}
		out[i] = e & ~clear;
	}
	spin_unlock(&src_mm->page_table_lock);
	if (swaps) {
		for (i = first; i < nr; i++) {
			if (is_swap_pte(out[i])) {
				swap_copy_entry(dst_mm, src_mm, out[i]); /* swap_duplicate, mmlist */
				c->rss[MM_SWAPENTS]++;
			}
		}
	}
	spin_lock(&dst_mm->page_table_lock);
	for (i = first; i < nr; i++)
		if (!pte_none(out[i]))
			pte_set(&dptep[i], out[i]);
	spin_unlock(&dst_mm->page_table_lock);
}

int copy_page_range(struct vm_area_struct *dst, struct vm_area_struct *src)
{
	struct copy_ctx c = { .dst = dst, .src = src };

	/* vma_needs_copy: without anonymous pages the child faults on demand */
	if (!(src->vm_flags & (VM_PFNMAP | VM_MIXEDMAP)) && !src->anon_vma)
		return 0;
	walk_pte_tables(src->vm_mm, src->vm_start, src->vm_end, copy_table, &c);
	for (int i = 0; i < NR_MM_COUNTERS; i++)
		if (c.rss[i])
			add_mm_counter(dst->vm_mm, i, c.rss[i]);
	return c.err;
}

/* ---- mprotect -------------------------------------------------------------------------------- */

static void change_one(pte_t *ptep, unsigned long addr, void *arg)
{
	struct vm_area_struct *vma = arg;
	unsigned long flags = vma->vm_flags;
	pte_t e = pte_get(ptep), n;
	bool writable = false;

	if (!pte_present(e))
		return;
	if ((flags & VM_WRITE) && !is_zero_pte(e)) {
		struct page *page = pte_page(e);

		if (flags & VM_SHARED)
			writable = (vma->vm_file && vma->vm_file->shmem) || pte_dirty(e);
		else
			writable = PageAnon(page) && PageFlag(page, PG_anon_exclusive);
	}
	n = mk_pte(pte_pfn(e), flags, writable, pte_dirty(e));
	if (!pte_young(e))
		n &= ~_PAGE_ACCESSED;
	pte_set(ptep, n);
}

void change_protection(struct vm_area_struct *vma, unsigned long start, unsigned long end)
{
	struct mm_struct *mm = vma->vm_mm;

	spin_lock(&mm->page_table_lock);
	walk_pte_range(mm, start, end, change_one, vma);
	spin_unlock(&mm->page_table_lock);
}

/* ---- mremap ------------------------------------------------------------------------------------ */

unsigned long move_page_tables(struct vm_area_struct *vma, unsigned long old_addr,
			       struct vm_area_struct *new_vma, unsigned long new_addr,
			       unsigned long len)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long off;

	for (off = 0; off < len; off += PAGE_SIZE) {
		pte_t *optep = pte_lookup(mm, old_addr + off), *nptep, e;

		if (!optep || pte_none(pte_get(optep)))
			continue;
		nptep = pte_alloc_walk(mm, new_addr + off);
		if (!nptep)
			break;
		spin_lock(&mm->page_table_lock);
		e = pte_get(optep);
		pte_set(optep, 0);
		pte_set(nptep, e);
		spin_unlock(&mm->page_table_lock);
	}
	return off;
}

/* ---- smaps ------------------------------------------------------------------------------------- */

struct smaps_ctx {
	struct mmk_page_stats *st;
	bool locked;
};

static void smaps_one(pte_t *ptep, unsigned long addr, void *arg)
{
	struct smaps_ctx *c = arg;
	struct mmk_page_stats *st = c->st;
	pte_t e = pte_get(ptep);
	struct page *page;
	bool dirty, priv;
	uint64_t pss = (uint64_t)PAGE_SIZE << MMK_PSS_SHIFT;
	int mapcount;

	if (pte_none(e))
		return;
	if (!pte_present(e)) {
		st->swap += PAGE_SIZE;
		st->swap_pss += swap_pss_of(e);
		return;
	}
	if (is_zero_pte(e))
		return; /* vm_normal_page: the zero page is nobody's */
	page = pte_page(e);
	st->resident += PAGE_SIZE;
	dirty = pte_dirty(e) || PageDirty(page);
	if (PageAnon(page)) {
		st->anonymous += PAGE_SIZE;
		if (!PageFlag(page, PG_swapbacked) && !dirty)
			st->lazyfree += PAGE_SIZE;
	}
	if (pte_young(e) || PageFlag(page, PG_referenced))
		st->referenced += PAGE_SIZE;
	mapcount = page_mapcount(page);
	if (page_count(page) == 1) {
		priv = true;
	} else {
		priv = mapcount < 2;
		if (mapcount >= 2)
			pss /= (uint64_t)mapcount;
	}
	st->pss += pss;
	if (PageAnon(page))
		st->pss_anon += pss;
	else if (PageFlag(page, PG_shmem))
		st->pss_shmem += pss;
	else
		st->pss_file += pss;
	if (c->locked)
		st->pss_locked += pss;
	if (dirty) {
		st->pss_dirty += pss;
		if (priv)
			st->private_dirty += PAGE_SIZE;
		else
			st->shared_dirty += PAGE_SIZE;
	} else if (priv) {
		st->private_clean += PAGE_SIZE;
	} else {
		st->shared_clean += PAGE_SIZE;
	}
}

void mmk_smaps_vma(struct vm_area_struct *vma, struct mmk_page_stats *st)
{
	struct smaps_ctx c = { st, (vma->vm_flags & VM_LOCKED) != 0 };

	if (!vma->vm_mm || !vma->vm_mm->pgd)
		return; /* the gate area */
	walk_pte_range(vma->vm_mm, vma->vm_start, vma->vm_end, smaps_one, &c);
}
