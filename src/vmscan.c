/* SPDX-License-Identifier: MIT */
/*
 * src/vmscan.c - swap-out: the seeds' (2.4) page-out scanner
 * (mm/vmscan.c: swap_out, swap_out_mm, swap_out_vma, try_to_swap_out).
 *
 * mmkit's anon_vma keeps no list of the VMAs that map its pages, so there
 * is no reverse map to unmap a page from every PTE at once (the modern
 * try_to_unmap). Instead the scanner walks address spaces, as 2.4 did:
 *
 *   swap_out        walk the list of address spaces (init_mm.mmlist under
 *                   MMLIST_SEED - every mm is on it from birth, as in 2.4;
 *                   every live mm under MMLIST_MODERN, where mmlist only
 *                   holds mms that already have swap entries and the
 *                   kernel finds pages through the LRU instead), pinning
 *                   each mm with mm_users exactly as swapoff's walk does;
 *   swap_out_mm     mmap_sem for writing (faults stay out while the PTEs
 *                   change), resume at mm->swap_address, VMA by VMA;
 *   swap_out_vma    skip VM_LOCKED, VM_IO/VM_PFNMAP and VMAs without an
 *                   anon_vma; page_table_lock over the PTE walk;
 *   try_to_swap_out one PTE: a present anonymous page that nothing pins
 *                   (page_count = mapcount, + 1 if this pass caches it)
 *                   gets a slot, its bytes are written there, the PTE
 *                   becomes the swap entry: MM_ANONPAGES - 1,
 *                   MM_SWAPENTS + 1, the page loses a map and a reference.
 *
 * A page several mms map (fork) is unmapped one PTE at a time as the scan
 * meets them. The pass keeps such pages in its own swap cache (pfn ->
 * slot, holding a page reference and a slot reference, like SWAP_HAS_CACHE)
 * so that every PTE of the page gets the same slot; because of that extra
 * reference a mapper that writes the page meanwhile copies it instead of
 * reusing it, so the slot's bytes stay right. When the pass ends it drops
 * its references: a page no PTE maps any more is freed then.
 *
 * The first swap entry of an mm puts it on init_mm.mmlist under the modern
 * rule (double-checked under mmlist_lock, with page_table_lock held, as
 * try_to_unmap_one does). MADV_FREE'd pages that are still clean are
 * dropped instead of written (MM_ANONPAGES - 1 only).
 *
 * Reclaim (mmk_swap_reclaim) is 2.4's kswapd/try_to_free_pages flavour: it
 * resumes at each mm's swap_address, gives young PTEs a second chance
 * (clears the accessed bit, moves on), takes the pass lock and each
 * mmap_sem only if free (the allocating thread may hold one of them) and
 * puts its pins with mmput_async (it must not run an __mmput from inside
 * the allocator).
 */
#define MMKIT_PAGE_INTERNAL
#include "vma.h"
#include <mmkit/page.h>
#include "swap_internal.h"
#include <limits.h>
#include <stdlib.h>

static pthread_mutex_t swapout_mutex = PTHREAD_MUTEX_INITIALIZER;
/* 2.4's swap_mm: where reclaim goes on (the mm's id; under swapout_mutex) */
static unsigned long swap_mm_id;
static bool swap_mm_done; /* that mm was scanned to its end: start after it */

/* ---- the pass and its swap cache ---------------------------------------------- */

struct pcache_ent {
	unsigned long pfn1; /* pfn + 1; 0 = empty */
	pte_t entry;
};

struct swap_pass {
	bool all;       /* explicit: every page, young or not */
	bool reclaim;   /* from the allocator: never block */
	long want;      /* frames wanted */
	long unmapped;  /* PTEs turned into swap entries */
	long released;  /* pages whose last PTE this pass removed */
	long freed;     /* frames freed */
	bool full;      /* no slot (or no memory for the cache): stop */
	struct pcache_ent *tab;
	size_t cap, n;
};

static size_t pcache_slot(const struct swap_pass *p, unsigned long pfn)
{
	size_t i = (size_t)(pfn * 0x9E3779B97F4A7C15UL) & (p->cap - 1);

	while (p->tab[i].pfn1 && p->tab[i].pfn1 != pfn + 1)
		i = (i + 1) & (p->cap - 1);
	return i;
}

static pte_t pcache_lookup(const struct swap_pass *p, unsigned long pfn)
{
	size_t i;

	if (!p->n)
		return 0;
	i = pcache_slot(p, pfn);
	return p->tab[i].pfn1 ? p->tab[i].entry : 0;
}

/* room for one more entry; false on -ENOMEM */
static bool pcache_reserve(struct swap_pass *p)
{
	struct pcache_ent *old = p->tab, *tab;
	size_t ocap = p->cap, cap;

	if ((p->n + 1) * 2 <= p->cap)
		return true;
	cap = ocap ? ocap * 2 : 64;
	tab = kzalloc(cap * sizeof(*tab), GFP_KERNEL);
	if (!tab)
		return false;
	p->tab = tab;
	p->cap = cap;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].pfn1)
			p->tab[pcache_slot(p, old[i].pfn1 - 1)] = old[i];
	kfree(old);
	return true;
}

static void pcache_insert(struct swap_pass *p, unsigned long pfn, pte_t entry)
{
	size_t i = pcache_slot(p, pfn);

	p->tab[i].pfn1 = pfn + 1;
	p->tab[i].entry = entry;
	p->n++;
}

/* the pass ends: its references go; pages nobody maps are freed */
static void pass_end(struct swap_pass *p)
{
	for (size_t i = 0; i < p->cap; i++) {
		struct page *page;

		if (!p->tab[i].pfn1)
			continue;
		page = pfn_to_page(p->tab[i].pfn1 - 1);
		if (page_count(page) == 1)
			p->freed++;
		swap_free(p->tab[i].entry);
		put_page(page);
	}
	kfree(p->tab);
	p->tab = NULL;
	p->cap = p->n = 0;
	atomic_fetch_add_explicit(&mmk_nr_reclaimed, (unsigned long)p->freed, memory_order_relaxed);
}

/* ---- one PTE ---------------------------------------------------------------------- */

struct scan_ctx {
	struct swap_pass *pass;
	struct mm_struct *mm;
	long rss_anon, rss_swap;
	unsigned long next;  /* where this mm's scan resumes */
	bool stop;
	bool joined;
};

static void try_to_swap_out(pte_t *ptep, unsigned long addr, void *arg)
{
	struct scan_ctx *c = arg;
	struct swap_pass *p = c->pass;
	pte_t e, entry;
	struct page *page;
	unsigned long pfn;
	int expect;

	if (c->stop)
		return;
	c->next = addr + PAGE_SIZE;
	e = pte_get(ptep);
	if (!pte_present(e) || pte_pfn(e) == 0)
		return; /* empty, a swap entry, or the zero page */
	pfn = pte_pfn(e);
	page = pte_page(e);
	if (!PageAnon(page) || PageZero(page))
		return;
	if (!p->all && pte_young(e)) {
		/* 2.4: "don't look at this pte if it's been accessed recently" */
		pte_set(ptep, e & ~_PAGE_ACCESSED);
		return;
	}
	if (!PageFlag(page, PG_swapbacked)) {
		/* MADV_FREE: a clean lazily-freeable page is simply dropped */
		if (!pte_dirty(e) && !PageDirty(page) && page_mapcount(page) == 1 &&
		    page_count(page) == 1) {
			pte_set(ptep, 0);
			c->rss_anon--;
			atomic_store(&page->_mapcount, 0);
			put_page(page);
			p->released++;
			p->freed++;
			if (p->released >= p->want)
				c->stop = true;
			return;
		}
		SetPageFlag(page, PG_swapbacked); /* written again: keep it */
	}
	entry = pcache_lookup(p, pfn);
	expect = page_mapcount(page) + (entry ? 1 : 0);
	if (page_count(page) != expect)
		return; /* pinned (get_user_pages): it cannot go now */
	if (entry) {
		if (!swap_duplicate(entry))
			return;
	} else {
		unsigned long off;

		if (!pcache_reserve(p)) {
			p->full = c->stop = true;
			return;
		}
		off = get_swap_slot();
		if (!off) {
			p->full = c->stop = true;
			return;
		}
		entry = swp_entry_to_pte(0, off);
		swap_writepage(entry, page);
		/* the cache's references: the page and one more on the slot */
		get_page(page);
		swap_duplicate(entry);
		pcache_insert(p, pfn, entry);
	}
	if (!c->joined) {
		if (sysctl_mmlist_policy == MMLIST_MODERN)
			swap_mmlist_join(c->mm, &init_mm);
		c->joined = true;
	}
	pte_set(ptep, entry);
	c->rss_anon--;
	c->rss_swap++;
	if (atomic_fetch_sub(&page->_mapcount, 1) == 1)
		p->released++;
	put_page(page);
	p->unmapped++;
	if (p->released >= p->want)
		c->stop = true;
}

/* ---- one mm ----------------------------------------------------------------------- */

static bool scan_lock(struct mm_struct *mm, bool try)
{
	if (try)
		return __down_write_trylock(&mm->mmap_sem);
	down_write(&mm->mmap_sem);
	return true;
}

static void scan_unlock(struct mm_struct *mm, bool try)
{
	if (try)
		__up_write(&mm->mmap_sem);
	else
		up_write(&mm->mmap_sem);
}

static void swap_out_mm(struct mm_struct *mm, struct swap_pass *p)
{
	struct scan_ctx c = { .pass = p, .mm = mm };
	struct vm_area_struct *vma;
	unsigned long start;

	if (mm == &init_mm || !scan_lock(mm, p->reclaim))
		return;
	start = p->all ? 0 : mm->swap_address;
	update_hiwater_rss(mm); /* before RSS goes down */
	for (vma = find_vma(mm, start); vma && !c.stop; vma = vma->vm_next) {
		unsigned long from = start > vma->vm_start ? start : vma->vm_start;

		if (!vma->anon_vma || (vma->vm_flags & (VM_LOCKED_MASK | VM_IO | VM_PFNMAP | VM_HUGETLB)))
			continue;
		c.rss_anon = c.rss_swap = 0;
		spin_lock(&mm->page_table_lock);
		walk_pte_range(mm, from, vma->vm_end, try_to_swap_out, &c);
		add_mm_counter(mm, MM_ANONPAGES, c.rss_anon);
		add_mm_counter(mm, MM_SWAPENTS, c.rss_swap);
		spin_unlock(&mm->page_table_lock);
	}
	/* 2.4: the next scan of this mm resumes here; at the end, from 0 */
	mm->swap_address = c.stop && c.next < mm->task_size ? c.next : 0;
	scan_unlock(mm, p->reclaim);
}

/* ---- the list --------------------------------------------------------------------- */

static struct list_head *scan_head(bool seed) { return seed ? &init_mm.mmlist : &mmk_mm_list; }
static spinlock_t *scan_lock_of(bool seed) { return seed ? &mmlist_lock : &mmk_mm_list_lock; }

static struct mm_struct *scan_entry(struct list_head *l, bool seed)
{
	return seed ? list_entry(l, struct mm_struct, mmlist) : list_entry(l, struct mm_struct, mmk_all);
}

/*
 * The next live mm after @pos on the scanner's list, pinned (mm_users);
 * NULL at the end. Under MMLIST_SEED the list is init_mm.mmlist, else the
 * registry of every live mm (mmk_mm_list, in creation order). A non-zero
 * *@skip_to passes over every mm until the one with that id (and that one
 * too when @skip_it), then clears itself.
 */
static struct mm_struct *scan_next(struct list_head **pos, bool seed, unsigned long *skip_to,
				   bool skip_it)
{
	struct list_head *head = scan_head(seed);
	struct mm_struct *mm = NULL;
	struct list_head *l;

	spin_lock(scan_lock_of(seed));
	for (l = (*pos)->next; l != head; l = l->next) {
		struct mm_struct *cand = scan_entry(l, seed);

		if (cand == &init_mm)
			continue;
		if (*skip_to) {
			if (cand->mmk_id != *skip_to)
				continue;
			*skip_to = 0;
			if (skip_it)
				continue;
		}
		if (mmget_not_zero(cand)) {
			mm = cand;
			*pos = l;
			break;
		}
	}
	spin_unlock(scan_lock_of(seed));
	return mm;
}

static long scan_list_len(bool seed)
{
	struct list_head *l;
	long n = 0;

	spin_lock(scan_lock_of(seed));
	list_for_each(l, scan_head(seed))
		n++;
	spin_unlock(scan_lock_of(seed));
	return n;
}

static void scan_put(struct mm_struct *mm, bool reclaim)
{
	if (reclaim)
		mmput_async(mm);
	else
		mmput(mm);
}

/* explicit passes: every mm once, from the head of the list */
static void swap_out(struct swap_pass *p)
{
	bool seed = sysctl_mmlist_policy == MMLIST_SEED;
	struct list_head *pos = scan_head(seed);
	struct mm_struct *mm, *prev = NULL;
	unsigned long none = 0;

	while (!p->full && (mm = scan_next(&pos, seed, &none, false)) != NULL) {
		if (prev)
			scan_put(prev, p->reclaim);
		prev = mm;
		swap_out_mm(mm, p);
	}
	if (prev)
		scan_put(prev, p->reclaim);
}

/*
 * reclaim: 2.4's swap_out loop. Start at swap_mm (the mm the last reclaim
 * stopped in, or the one after it when that mm was scanned to its end),
 * go round the list - wrapping at its end - for at most twice its length
 * (a first visit may only age young PTEs), until enough frames are freed.
 */
static void swap_out_reclaim(struct swap_pass *p)
{
	bool seed = sysctl_mmlist_policy == MMLIST_SEED;
	struct list_head *pos = scan_head(seed);
	struct mm_struct *mm, *prev = NULL;
	unsigned long skip = swap_mm_id;
	long visits = 0, limit = 2 * scan_list_len(seed) + 1;
	int wraps = 0;

	while (!p->full && p->released < p->want && visits < limit) {
		mm = scan_next(&pos, seed, &skip, swap_mm_done);
		if (!mm) {
			/* the end of the list (or swap_mm is gone): round again */
			skip = 0;
			if (++wraps > 2)
				break;
			pos = scan_head(seed);
			continue;
		}
		if (prev)
			scan_put(prev, true);
		prev = mm;
		visits++;
		swap_out_mm(mm, p);
		swap_mm_id = mm->mmk_id;
		swap_mm_done = mm->swap_address == 0;
	}
	if (prev)
		scan_put(prev, true);
}

/* ---- the entry points ---------------------------------------------------------------- */

static long pass_result(struct swap_pass *p)
{
	if (!p->unmapped && p->full && !p->freed)
		return -ENOMEM;
	return p->unmapped;
}

long mmk_swapout_mm(struct mm_struct *mm)
{
	struct swap_pass p = { .all = true, .want = LONG_MAX };

	if (!swap_area_writable())
		return -EINVAL;
	if (mm == &init_mm || !mmget_not_zero(mm))
		return 0;
	pthread_mutex_lock(&swapout_mutex);
	swap_out_mm(mm, &p);
	pass_end(&p);
	pthread_mutex_unlock(&swapout_mutex);
	mmput(mm);
	return pass_result(&p);
}

long mmk_swapout_all(void)
{
	struct swap_pass p = { .all = true, .want = LONG_MAX };

	if (!swap_area_writable())
		return -EINVAL;
	pthread_mutex_lock(&swapout_mutex);
	swap_out(&p);
	pass_end(&p);
	pthread_mutex_unlock(&swapout_mutex);
	return pass_result(&p);
}

long mmk_swap_reclaim(long nr_frames)
{
	struct swap_pass p = { .reclaim = true, .want = nr_frames };

	if (nr_frames <= 0 || !swap_area_writable())
		return 0;
	if (pthread_mutex_trylock(&swapout_mutex))
		return 0; /* someone else is reclaiming (maybe this very thread) */
	swap_out_reclaim(&p);
	pass_end(&p);
	pthread_mutex_unlock(&swapout_mutex);
	return p.freed;
}

/* ---- the checker ---------------------------------------------------------------------- */

struct check_ctx {
	unsigned int *refs;
	unsigned long pages;
	long swp;
	long bad;
};

static void check_pte(pte_t *ptep, unsigned long addr, void *arg)
{
	struct check_ctx *c = arg;
	pte_t e = pte_get(ptep);
	unsigned long off;

	if (!is_swap_pte(e))
		return;
	c->swp++;
	off = swp_offset(e);
	if (swp_type(e) != 0 || off == 0 || off >= c->pages) {
		mmk_warn("swap check: bad swap entry %#lx at %#lx", (unsigned long)e, addr);
		c->bad++;
		return;
	}
	c->refs[off]++;
}

long mmk_swap_check(void)
{
	struct check_ctx c = { 0 };
	struct list_head *pos = &mmk_mm_list;
	struct mm_struct *mm, *prev = NULL;
	unsigned long none = 0;
	long bad = 0;

	c.pages = swap_area_pages();
	if (!c.pages)
		return 0;
	c.refs = calloc(c.pages, sizeof(*c.refs));
	if (!c.refs)
		return 0;
	pthread_mutex_lock(&swapout_mutex); /* no pass holds cache references */
	while ((mm = scan_next(&pos, false, &none, false)) != NULL) {
		struct vm_area_struct *vma;

		if (prev)
			mmput(prev);
		prev = mm;
		c.swp = 0;
		down_read(&mm->mmap_sem);
		for (vma = mm->mmap; vma; vma = vma->vm_next)
			walk_pte_range(mm, vma->vm_start, vma->vm_end, check_pte, &c);
		if (c.swp != atomic_long_read(&mm->rss_stat[MM_SWAPENTS])) {
			mmk_warn("swap check: mm %lu has %ld swap PTEs, MM_SWAPENTS %ld", mm->mmk_id,
				 c.swp, atomic_long_read(&mm->rss_stat[MM_SWAPENTS]));
			c.bad++;
		}
		if (sysctl_mmlist_policy == MMLIST_MODERN && c.swp) {
			spin_lock(&mmlist_lock);
			if (list_empty(&mm->mmlist)) {
				mmk_warn("swap check: mm %lu holds swap entries but is not on mmlist",
					 mm->mmk_id);
				c.bad++;
			}
			spin_unlock(&mmlist_lock);
		}
		up_read(&mm->mmap_sem);
	}
	if (prev)
		mmput(prev);
	bad = c.bad + swap_map_compare(c.refs, c.pages);
	pthread_mutex_unlock(&swapout_mutex);
	free(c.refs);
	return bad;
}
