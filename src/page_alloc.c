/* SPDX-License-Identifier: MIT */
/*
 * src/page_alloc.c - simulated physical memory (mm/page_alloc.c).
 *
 * RAM is one block of host memory, mapped on first use, cut into 4 KiB
 * frames; mem_map[] holds a struct page per frame. Free frames live in a
 * buddy allocator (free lists of orders 0..MAX_ORDER, one zone lock) with
 * per-thread-slot lists of single frames in front of it (the kernel's
 * per-CPU pagesets: a host thread takes a slot the first time it
 * allocates). Out of memory is an ordinary outcome: NULL, after one
 * attempt to reclaim unmapped page cache.
 *
 * Invariants:
 *  - a frame is free exactly when its refcount is 0; a free block's head
 *    has PG_buddy and its order, or PG_pcp when it sits on a slot list;
 *  - nr_free (buddy) + the slot counts = free frames;
 *  - the zero page is reserved: never freed, never counted as used.
 */
#define MMKIT_PAGE_INTERNAL
#include "internal.h"
#include <mmkit/page.h>
#include <mmkit/swap.h>
#include <stdlib.h>
#include <sys/mman.h>


#define NR_PCP_SLOTS 16
#define PCP_HIGH 64
#define PCP_BATCH 16
#define PCP_BATCH_ORDER 4 /* 1 << PCP_BATCH_ORDER == PCP_BATCH */

struct pcp_slot {
	spinlock_t lock;
	struct list_head list;
	unsigned long count;
} __attribute__((aligned(64)));

struct zone {
	spinlock_t lock;
	struct list_head free_area[MAX_ORDER + 1];
	unsigned long nr_free_area[MAX_ORDER + 1];
	unsigned long nr_free; /* frames in the buddy lists */
};

static unsigned long mem_bytes = MMK_MEM_DEFAULT_BYTES;
static char *mem_base;               /* frame 0 */
static size_t mem_map_len;           /* bytes mapped for RAM */
static void *ram_start;              /* where that mapping starts */
static struct page *mem_map;
static unsigned long nr_frames;
static MMK_ATOMIC(int) mem_ready;
static pthread_mutex_t mem_lock = PTHREAD_MUTEX_INITIALIZER;
static struct zone zone;
static struct pcp_slot pcp[NR_PCP_SLOTS];
static struct page *zero_page;
static MMK_ATOMIC(long) nr_pgtable_frames;
static MMK_ATOMIC(long) nr_pgd_frames;
static MMK_ATOMIC(unsigned int) next_slot;
static __thread int my_slot = -1;

char *mmk_mem_base;           /* for the inline conversions in pgtable.c/memory.c */
struct page *mmk_mem_map;

static void mem_setup(void);

static inline void mem_ensure(void)
{
	if (likely(atomic_load_explicit(&mem_ready, memory_order_acquire)))
		return;
	pthread_mutex_lock(&mem_lock);
	if (!atomic_load_explicit(&mem_ready, memory_order_relaxed))
		mem_setup();
	pthread_mutex_unlock(&mem_lock);
}

unsigned long page_to_pfn(const struct page *page) { return (unsigned long)(page - mem_map); }
struct page *pfn_to_page(unsigned long pfn) { mem_ensure(); return pfn < nr_frames ? &mem_map[pfn] : NULL; }
void *page_address(const struct page *page) { return mem_base + (page_to_pfn(page) << PAGE_SHIFT); }
struct page *virt_to_page(const void *addr)
{
	return &mem_map[((const char *)addr - mem_base) >> PAGE_SHIFT];
}

/* ---- the buddy allocator (zone->lock held) ------------------------------ */

static void buddy_add(struct page *p, unsigned int order)
{
	p->order = order;
	atomic_store_explicit(&p->flags, 1UL << PG_buddy, memory_order_relaxed);
	list_add(&p->lru, &zone.free_area[order]);
	zone.nr_free_area[order]++;
}

static void buddy_del(struct page *p, unsigned int order)
{
	list_del_init(&p->lru);
	ClearPageFlag(p, PG_buddy);
	zone.nr_free_area[order]--;
}

static struct page *__rmqueue(unsigned int order)
{
	for (unsigned int o = order; o <= MAX_ORDER; o++) {
		struct page *p;

		if (list_empty(&zone.free_area[o]))
			continue;
		p = list_entry(zone.free_area[o].next, struct page, lru);
		buddy_del(p, o);
		/* split: the upper halves go back, smallest last */
		while (o > order) {
			o--;
			buddy_add(p + (1UL << o), o);
		}
		zone.nr_free -= 1UL << order;
		return p;
	}
	return NULL;
}

static void __free_one(struct page *p, unsigned int order)
{
	unsigned long pfn = page_to_pfn(p);

	zone.nr_free += 1UL << order;
	while (order < MAX_ORDER) {
		unsigned long bpfn = pfn ^ (1UL << order);
		struct page *b;

		if (bpfn + (1UL << order) > nr_frames)
			break;
		b = &mem_map[bpfn];
		if (!PageFlag(b, PG_buddy) || b->order != order)
			break;
		buddy_del(b, order);
		pfn &= ~(1UL << order);
		order++;
	}
	buddy_add(&mem_map[pfn], order);
}

/* ---- setup and teardown -------------------------------------------------- */

/* mmk_mem_dontfork(): RAM stays out of the host's fork() children */
static MMK_ATOMIC(bool) mem_dontfork;

static void mem_setup(void)
{
	unsigned long n = mem_bytes >> PAGE_SHIFT;
	size_t len = n << PAGE_SHIFT;
	void *ram;

	/* align RAM on 2 MiB so the host can back it with huge pages */
	ram = mmap(NULL, len + PMD_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED) {
		mmk_warn("page_alloc: cannot map %lu bytes of RAM", (unsigned long)len);
		abort();
	}
	mem_base = (char *)(((uintptr_t)ram + PMD_SIZE - 1) & ~(uintptr_t)(PMD_SIZE - 1));
	mem_map_len = len + PMD_SIZE;
#ifdef MADV_HUGEPAGE
	madvise(mem_base, len, MADV_HUGEPAGE);
#endif
	if (atomic_load(&mem_dontfork))
		madvise(mem_base, len, MADV_DONTFORK);
	mem_map = calloc(n, sizeof(struct page));
	if (!mem_map) {
		mmk_warn("page_alloc: no host memory for mem_map");
		abort();
	}
	ram_start = ram;
	nr_frames = n;
	spin_lock_init(&zone.lock);
	zone.nr_free = 0;
	for (int o = 0; o <= MAX_ORDER; o++) {
		INIT_LIST_HEAD(&zone.free_area[o]);
		zone.nr_free_area[o] = 0;
	}
	for (int i = 0; i < NR_PCP_SLOTS; i++) {
		spin_lock_init(&pcp[i].lock);
		INIT_LIST_HEAD(&pcp[i].list);
		pcp[i].count = 0;
	}
	for (unsigned long i = 0; i < n; i++)
		INIT_LIST_HEAD(&mem_map[i].lru);
	/* frame 0 is the zero page; the rest go to the buddy lists, largest
	 * aligned blocks first, low addresses handed out first */
	zero_page = &mem_map[0];
	atomic_store(&zero_page->_refcount, 1);
	atomic_store(&zero_page->flags, (1UL << PG_zero) | (1UL << PG_reserved) | (1UL << PG_uptodate));
	for (unsigned long pfn = n; pfn-- > 1;)
		__free_one(&mem_map[pfn], 0);
	mmk_mem_base = mem_base;
	mmk_mem_map = mem_map;
	atomic_store(&nr_pgtable_frames, 0);
	atomic_store(&nr_pgd_frames, 0);
	filemap_init(n);
	atomic_store_explicit(&mem_ready, 1, memory_order_release);
}

static unsigned long count_free_locked(void)
{
	unsigned long f = zone.nr_free;

	for (int i = 0; i < NR_PCP_SLOTS; i++)
		f += pcp[i].count;
	return f;
}

static void drain_pcp(void)
{
	for (int i = 0; i < NR_PCP_SLOTS; i++) {
		spin_lock(&pcp[i].lock);
		spin_lock(&zone.lock);
		while (!list_empty(&pcp[i].list)) {
			struct page *p = list_entry(pcp[i].list.next, struct page, lru);

			list_del_init(&p->lru);
			ClearPageFlag(p, PG_pcp);
			__free_one(p, 0);
		}
		pcp[i].count = 0;
		spin_unlock(&zone.lock);
		spin_unlock(&pcp[i].lock);
	}
}

long mmk_mem_shutdown(void)
{
	long leaked;

	pthread_mutex_lock(&mem_lock);
	if (!atomic_load(&mem_ready)) {
		pthread_mutex_unlock(&mem_lock);
		return 0;
	}
	filemap_drop_all();
	drain_pcp();
	leaked = (long)(nr_frames - 1 - zone.nr_free);
	if (leaked) {
		unsigned long shown = 0;

		mmk_warn("mmk_mem_shutdown: %ld frames still in use", leaked);
		for (unsigned long pfn = 1; pfn < nr_frames && shown < 8; pfn++) {
			struct page *p = &mem_map[pfn];

			if (page_count(p) && !PageFlag(p, PG_buddy) && !PageFlag(p, PG_pcp)) {
				mmk_warn("  pfn %lu: refcount %d mapcount %d flags %#lx", pfn, page_count(p),
					 page_mapcount(p), (unsigned long)atomic_load(&p->flags));
				shown++;
			}
		}
		/* keep the memory, and keep it working: whatever still points
		 * into it stays valid, and a later shutdown may find it clean */
		pthread_mutex_unlock(&mem_lock);
		return leaked;
	}
	filemap_fini();
	munmap(ram_start, mem_map_len);
	free(mem_map);
	mem_map = NULL;
	mem_base = NULL;
	mmk_mem_base = NULL;
	mmk_mem_map = NULL;
	nr_frames = 0;
	zero_page = NULL;
	atomic_store(&mem_ready, 0);
	pthread_mutex_unlock(&mem_lock);
	return leaked;
}

int mmk_mem_init(unsigned long bytes)
{
	int ret = 0;

	if ((bytes >> PAGE_SHIFT) < 8)
		return -EINVAL;
	if (atomic_load(&mem_ready)) {
		struct mmk_meminfo mi;

		mmk_mem_info(&mi);
		if (mi.used - mi.pagecache)
			return -EBUSY;
		if (mmk_mem_shutdown())
			ret = -EBUSY;
	}
	pthread_mutex_lock(&mem_lock);
	if (!ret)
		mem_bytes = bytes & PAGE_MASK;
	pthread_mutex_unlock(&mem_lock);
	return ret;
}

void mmk_mem_info(struct mmk_meminfo *info)
{
	mem_ensure();
	for (int i = 0; i < NR_PCP_SLOTS; i++)
		spin_lock(&pcp[i].lock);
	spin_lock(&zone.lock);
	info->total = nr_frames;
	info->free = count_free_locked();
	spin_unlock(&zone.lock);
	for (int i = NR_PCP_SLOTS; i-- > 0;)
		spin_unlock(&pcp[i].lock);
	info->reserved = 1;
	info->used = info->total - info->free - info->reserved;
	info->pagecache = filemap_nr_pages();
	info->pgtables = (unsigned long)atomic_load(&nr_pgtable_frames);
	info->pgds = (unsigned long)atomic_load(&nr_pgd_frames);
}

unsigned long mmk_mem_used(void)
{
	struct mmk_meminfo mi;

	mmk_mem_info(&mi);
	return mi.used - mi.pagecache - mi.pgtables;
}

int mmk_mem_prefault(void)
{
	mem_ensure();
#ifdef MADV_POPULATE_WRITE
	if (madvise(mem_base, nr_frames << PAGE_SHIFT, MADV_POPULATE_WRITE) == 0)
		return 0;
#endif
	/* a host before Linux 5.14: nothing done, frames fault in as used */
	return -errno;
}

int mmk_mem_dontfork(bool on)
{
	atomic_store(&mem_dontfork, on);
	mem_ensure();
	if (madvise(mem_base, nr_frames << PAGE_SHIFT, on ? MADV_DONTFORK : MADV_DOFORK))
		return -errno;
	return 0;
}

long mmk_drop_caches(void)
{
	mem_ensure();
	return filemap_reclaim(-1);
}

struct page *mmk_zero_page(void)
{
	mem_ensure();
	return zero_page;
}

unsigned long mmk_zero_pfn(void)
{
	mem_ensure();
	return 0;
}

/* page-table frames (pgtable.c) keep these counts for mmk_mem_info */
void mmk_count_pgtable(long delta, bool pgd)
{
	atomic_fetch_add(&nr_pgtable_frames, delta);
	if (pgd)
		atomic_fetch_add(&nr_pgd_frames, delta);
}

/* ---- allocation ----------------------------------------------------------- */

static struct pcp_slot *this_slot(void)
{
	if (unlikely(my_slot < 0))
		my_slot = (int)(atomic_fetch_add(&next_slot, 1) % NR_PCP_SLOTS);
	return &pcp[my_slot];
}

static struct page *rmqueue_pcp(void)
{
	struct pcp_slot *s = this_slot();
	struct page *p = NULL;

	spin_lock(&s->lock);
	if (list_empty(&s->list)) {
		struct page *blk;

		spin_lock(&zone.lock);
		/* rmqueue_bulk: one block of PCP_BATCH frames when there is one
		 * (one buddy operation instead of PCP_BATCH), handed out in
		 * ascending order */
		blk = __rmqueue(PCP_BATCH_ORDER);
		if (blk) {
			for (int i = 0; i < PCP_BATCH; i++) {
				SetPageFlag(&blk[i], PG_pcp);
				list_add_tail(&blk[i].lru, &s->list);
			}
			s->count += PCP_BATCH;
		}
		for (int i = 0; i < PCP_BATCH && !blk; i++) {
			struct page *q = __rmqueue(0);

			if (!q)
				break;
			SetPageFlag(q, PG_pcp);
			list_add_tail(&q->lru, &s->list);
			s->count++;
		}
		spin_unlock(&zone.lock);
	}
	if (!list_empty(&s->list)) {
		p = list_entry(s->list.next, struct page, lru);
		list_del_init(&p->lru);
		s->count--;
		ClearPageFlag(p, PG_pcp);
	}
	spin_unlock(&s->lock);
	if (!p) {
		/* other slots may hold the last free frames */
		for (int i = 0; i < NR_PCP_SLOTS && !p; i++) {
			if (&pcp[i] == s)
				continue;
			spin_lock(&pcp[i].lock);
			if (!list_empty(&pcp[i].list)) {
				p = list_entry(pcp[i].list.next, struct page, lru);
				list_del_init(&p->lru);
				pcp[i].count--;
				ClearPageFlag(p, PG_pcp);
			}
			spin_unlock(&pcp[i].lock);
		}
	}
	return p;
}

static struct page *get_page_from_freelist(unsigned int order)
{
	struct page *p;

	if (order == 0)
		return rmqueue_pcp();
	spin_lock(&zone.lock);
	p = __rmqueue(order);
	spin_unlock(&zone.lock);
	if (!p) {
		drain_pcp();
		spin_lock(&zone.lock);
		p = __rmqueue(order);
		spin_unlock(&zone.lock);
	}
	return p;
}

/* zeroing and copying whole frames: rep stosb/movsb through libc, as the
 * kernel's clear_page/copy_page (non-temporal stores were tried: no faster
 * for large working sets, much slower for small ones) */
void mmk_clear_frames(void *dst, size_t bytes)
{
	memset(dst, 0, bytes);
}

void mmk_copy_frame(void *dst, const void *src)
{
	memcpy(dst, src, PAGE_SIZE);
}

struct page *alloc_pages(gfp_t gfp, unsigned int order)
{
	struct page *p;

	if (order > MAX_ORDER)
		return NULL;
	mem_ensure();
	if (should_fail_alloc("page"))
		return NULL;
	p = get_page_from_freelist(order);
	if (unlikely(!p)) {
		/* direct reclaim: clean page cache nobody maps */
		if (filemap_reclaim((long)(1UL << order) + PCP_BATCH) > 0)
			p = get_page_from_freelist(order);
		/* then anonymous memory goes to swap, if an area is on */
		if (!p && mmk_swap_reclaim((long)(1UL << order) + PCP_BATCH) > 0)
			p = get_page_from_freelist(order);
		if (!p)
			return NULL;
	}
	atomic_store_explicit(&p->_refcount, 1, memory_order_relaxed);
	atomic_store_explicit(&p->_mapcount, 0, memory_order_relaxed);
	atomic_store_explicit(&p->flags, 0, memory_order_relaxed);
	p->mapping = NULL;
	p->index = 0;
	p->order = order;
	if (gfp & __GFP_ZERO)
		mmk_clear_frames(page_address(p), PAGE_SIZE << order);
	return p;
}

static void free_pages_prepare(struct page *p)
{
	if (page_mapcount(p))
		mmk_warn("BUG: freeing pfn %lu with mapcount %d", page_to_pfn(p), page_mapcount(p));
	p->mapping = NULL;
	atomic_store_explicit(&p->flags, 0, memory_order_relaxed);
}

void __free_pages(struct page *p, unsigned int order)
{
	if (PageZero(p))
		return;
	if (atomic_fetch_sub(&p->_refcount, 1) != 1)
		return;
	if (order == 0) {
		mmk_free_unref_pages(&p, 1);
		return;
	}
	free_pages_prepare(p);
	spin_lock(&zone.lock);
	__free_one(p, order);
	spin_unlock(&zone.lock);
}

/* order-0 frames whose last reference is gone onto this thread's list under
 * one lock, the overflow to the buddy lists (free_unref_folios) */
void mmk_free_unref_pages(struct page **pages, unsigned int nr)
{
	struct pcp_slot *s;

	if (!nr)
		return;
	for (unsigned int i = 0; i < nr; i++)
		free_pages_prepare(pages[i]);
	s = this_slot();
	spin_lock(&s->lock);
	for (unsigned int i = 0; i < nr; i++) {
		SetPageFlag(pages[i], PG_pcp);
		list_add(&pages[i]->lru, &s->list);
	}
	s->count += nr;
	if (s->count > PCP_HIGH) {
		spin_lock(&zone.lock);
		while (s->count > PCP_HIGH) {
			for (int i = 0; i < PCP_BATCH; i++) {
				struct page *q = list_entry(s->list.prev, struct page, lru);

				list_del_init(&q->lru);
				ClearPageFlag(q, PG_pcp);
				__free_one(q, 0);
				s->count--;
			}
		}
		spin_unlock(&zone.lock);
	}
	spin_unlock(&s->lock);
}

/* put_page of a batch (zap): the last references of order-0 pages are freed
 * together */
void mmk_put_pages(struct page **pages, unsigned int nr)
{
	struct page *freed[64];

	while (nr) {
		unsigned int n = nr < 64 ? nr : 64, nf = 0;

		for (unsigned int i = 0; i < n; i++) {
			struct page *p = pages[i];

			if (PageZero(p))
				continue;
			if (p->order) {
				__free_pages(p, p->order);
				continue;
			}
			if (atomic_fetch_sub(&p->_refcount, 1) == 1)
				freed[nf++] = p;
		}
		pages += n;
		nr -= n;
		mmk_free_unref_pages(freed, nf);
	}
}

void get_page(struct page *page)
{
	if (PageZero(page))
		return;
	atomic_fetch_add_explicit(&page->_refcount, 1, memory_order_relaxed);
}

void put_page(struct page *page)
{
	__free_pages(page, page->order);
}
