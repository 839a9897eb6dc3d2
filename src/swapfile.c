/* SPDX-License-Identifier: MIT */
/*
 * src/swapfile.c - the swap area and swapoff (mm/swapfile.c).
 *
 * One swap area (type 0), backed by host memory: slot 0 is the header, as
 * in a swap file, so swapon(N) gives N - 1 slots. swap_map[] holds each
 * slot's use count: the PTEs holding its entry, plus a reference for every
 * page a swap-out pass keeps in its short-lived swap cache (the kernel's
 * SWAP_HAS_CACHE), plus short-lived readers (swap-in holds one while it
 * copies the slot out). A slot is free at count 0. Counts are ints: no
 * continuation pages are needed.
 *
 * Locks: swap_lock (innermost: nothing is taken under it) guards the map,
 * inuse and the allocation cursor; swapon_mutex serializes swapon/swapoff.
 * Slot bytes are written by the one swap-out that allocated the slot,
 * before any PTE names it, and read by holders of a reference, so they
 * need no lock. The area's memory stays while any slot is in use.
 *
 * swapoff's walk starts at init_mm and follows init_mm.mmlist. It cannot
 * hold mmlist_lock while it works on an mm (that work sleeps), so it pins
 * the mm it stands on with mm_users:
 *   - mmget_not_zero() skips an mm whose last user is already gone (its
 *     __mmput is running or about to, and will unlink it);
 *   - while pinned, __mmput cannot run, so the mm stays on mmlist and its
 *     node is a valid place to resume from after the lock is retaken;
 *   - the previous mm is put only after the lock is dropped, because that
 *     mmput may be the last one and __mmput takes mmlist_lock itself.
 * Pinning mm_count instead would keep the memory but not the place in the
 * list - which is why the seeds say try_to_unuse raises mm_users.
 */
#define MMKIT_PAGE_INTERNAL
#include "internal.h"
#include "swap_internal.h"
#include <sys/mman.h>

struct swap_area {
	bool on;
	bool writeok;          /* SWP_WRITEOK: slots may be allocated */
	unsigned long pages;   /* header included */
	unsigned int *map;     /* swap_map: use count per slot */
	char *data;            /* pages * PAGE_SIZE bytes */
	unsigned long inuse;   /* slots with a non-zero count */
	unsigned long cursor;  /* next slot to try (cluster_next) */
};

static struct swap_area si;
static spinlock_t swap_lock = __SPIN_LOCK_UNLOCKED;
static pthread_mutex_t swapon_mutex = PTHREAD_MUTEX_INITIALIZER;
MMK_ATOMIC(unsigned long) mmk_nr_swapouts, mmk_nr_swapins, mmk_nr_reclaimed;

/* ---- slots ----------------------------------------------------------------- */

/* the offset of a well-formed entry of the area, else 0 (swap_lock held) */
static unsigned long __entry_offset(pte_t entry)
{
	unsigned long off;

	if (!is_swap_pte(entry) || swp_type(entry) != 0 || !si.on)
		return 0;
	off = swp_offset(entry);
	return off > 0 && off < si.pages ? off : 0;
}

unsigned long get_swap_slot(void)
{
	unsigned long off = 0;

	if (should_fail_alloc("swap"))
		return 0;
	spin_lock(&swap_lock);
	if (si.on && si.writeok && si.inuse < si.pages - 1) {
		unsigned long n = si.pages - 1, o = si.cursor;

		for (unsigned long i = 0; i < n; i++, o++) {
			if (o >= si.pages)
				o = 1;
			if (!si.map[o]) {
				off = o;
				break;
			}
		}
		if (off) {
			si.map[off] = 1;
			si.inuse++;
			si.cursor = off + 1;
		}
	}
	spin_unlock(&swap_lock);
	return off;
}

static void __slot_put(unsigned long off)
{
	if (--si.map[off] == 0)
		si.inuse--;
}

/* swap_duplicate: one more holder of a slot in use; false (and a report) if not */
bool swap_duplicate(pte_t entry)
{
	unsigned long off;
	bool ok;

	spin_lock(&swap_lock);
	off = __entry_offset(entry);
	ok = off && si.map[off];
	if (ok)
		si.map[off]++;
	spin_unlock(&swap_lock);
	if (!ok)
		mmk_warn("swap_duplicate: bad swap entry %#lx", (unsigned long)entry);
	return ok;
}

/* a reader's reference, taken only while the slot is still in use */
bool swap_get_ref(pte_t entry)
{
	unsigned long off;
	bool ok;

	spin_lock(&swap_lock);
	off = __entry_offset(entry);
	ok = off && si.map[off];
	if (ok)
		si.map[off]++;
	spin_unlock(&swap_lock);
	return ok;
}

void swap_free(pte_t entry)
{
	unsigned long off;
	bool ok;

	spin_lock(&swap_lock);
	off = __entry_offset(entry);
	ok = off && si.map[off];
	if (ok)
		__slot_put(off);
	spin_unlock(&swap_lock);
	if (!ok)
		mmk_warn("swap_free: bad swap entry %#lx", (unsigned long)entry);
}

int mmk_swap_count(pte_t entry)
{
	unsigned long off;
	int n;

	spin_lock(&swap_lock);
	off = __entry_offset(entry);
	n = off ? (int)si.map[off] : -1;
	spin_unlock(&swap_lock);
	return n;
}

uint64_t swap_pss_of(pte_t entry)
{
	int n = mmk_swap_count(entry);
	uint64_t pss = (uint64_t)PAGE_SIZE << MMK_PSS_SHIFT;

	return n >= 2 ? pss / (uint64_t)n : pss;
}

/* the slot's bytes: the slot is held by the caller */
void swap_writepage(pte_t entry, struct page *page)
{
	memcpy(si.data + (swp_offset(entry) << PAGE_SHIFT), page_address(page), PAGE_SIZE);
	atomic_fetch_add_explicit(&mmk_nr_swapouts, 1, memory_order_relaxed);
}

void swap_readpage(pte_t entry, struct page *page)
{
	memcpy(page_address(page), si.data + (swp_offset(entry) << PAGE_SHIFT), PAGE_SIZE);
	atomic_fetch_add_explicit(&mmk_nr_swapins, 1, memory_order_relaxed);
}

bool swap_area_writable(void)
{
	bool w;

	spin_lock(&swap_lock);
	w = si.on && si.writeok;
	spin_unlock(&swap_lock);
	return w;
}

static unsigned long swap_inuse(bool *on)
{
	unsigned long n;

	spin_lock(&swap_lock);
	n = si.inuse;
	if (on)
		*on = si.on;
	spin_unlock(&swap_lock);
	return n;
}

unsigned long swap_area_pages(void)
{
	unsigned long n;

	spin_lock(&swap_lock);
	n = si.on ? si.pages : 0;
	spin_unlock(&swap_lock);
	return n;
}

/* the checker's count of PTEs per slot against swap_map; mismatches */
long swap_map_compare(const unsigned int *refs, unsigned long pages)
{
	long bad = 0;
	unsigned long inuse = 0;

	spin_lock(&swap_lock);
	if (si.on && si.pages == pages) {
		for (unsigned long off = 1; off < pages; off++) {
			inuse += si.map[off] != 0;
			if (si.map[off] != refs[off]) {
				if (bad < 8)
					mmk_warn("swap check: slot %lu count %u, %u PTEs hold it", off,
						 si.map[off], refs[off]);
				bad++;
			}
		}
		if (inuse != si.inuse) {
			mmk_warn("swap check: %lu slots in use, inuse says %lu", inuse, si.inuse);
			bad++;
		}
	}
	spin_unlock(&swap_lock);
	return bad;
}

void mmk_swap_info(struct mmk_swapinfo *info)
{
	memset(info, 0, sizeof(*info));
	spin_lock(&swap_lock);
	info->on = si.on;
	if (si.on) {
		info->total = si.pages - 1;
		info->used = si.inuse;
		info->free = info->total - info->used;
	}
	spin_unlock(&swap_lock);
	info->swapouts = atomic_load_explicit(&mmk_nr_swapouts, memory_order_relaxed);
	info->swapins = atomic_load_explicit(&mmk_nr_swapins, memory_order_relaxed);
	info->reclaimed = atomic_load_explicit(&mmk_nr_reclaimed, memory_order_relaxed);
}

/* ---- swapon / swapoff ---------------------------------------------------------- */

int mmk_swapon(unsigned long pages)
{
	unsigned int *map;
	void *data;

	if (pages < 2 || pages > SWP_OFFSET_MASK || pages > (1UL << 36) / PAGE_SIZE)
		return -EINVAL;
	pthread_mutex_lock(&swapon_mutex);
	if (si.on) {
		pthread_mutex_unlock(&swapon_mutex);
		return -EBUSY;
	}
	map = kzalloc(pages * sizeof(*map), GFP_KERNEL);
	if (!map) {
		pthread_mutex_unlock(&swapon_mutex);
		return -ENOMEM;
	}
	data = mmap(NULL, pages << PAGE_SHIFT, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (data == MAP_FAILED) {
		kfree(map);
		pthread_mutex_unlock(&swapon_mutex);
		return -ENOMEM;
	}
	spin_lock(&swap_lock);
	si.map = map;
	si.data = data;
	si.pages = pages;
	si.inuse = 0;
	si.cursor = 1;
	si.writeok = true;
	si.on = true;
	spin_unlock(&swap_lock);
	pthread_mutex_unlock(&swapon_mutex);
	return 0;
}

/* the area goes (swapon_mutex held, nothing in use or leaking on purpose) */
static void swap_area_free(void)
{
	unsigned int *map;
	char *data;
	unsigned long pages;

	spin_lock(&swap_lock);
	map = si.map;
	data = si.data;
	pages = si.pages;
	si.on = false;
	si.writeok = false;
	si.map = NULL;
	si.data = NULL;
	si.pages = 0;
	si.inuse = 0;
	spin_unlock(&swap_lock);
	kfree(map);
	if (data)
		munmap(data, pages << PAGE_SHIFT);
}

int mmk_swapoff(void)
{
	int err;

	pthread_mutex_lock(&swapon_mutex);
	spin_lock(&swap_lock);
	if (!si.on) {
		spin_unlock(&swap_lock);
		pthread_mutex_unlock(&swapon_mutex);
		return -EINVAL;
	}
	si.writeok = false; /* no new slots while the pages come back */
	spin_unlock(&swap_lock);
	err = try_to_unuse();
	if (err) {
		/* reinsert_swap_info: the area is usable again */
		spin_lock(&swap_lock);
		si.writeok = true;
		spin_unlock(&swap_lock);
	} else {
		swap_area_free();
	}
	pthread_mutex_unlock(&swapon_mutex);
	return err;
}

long mmk_swap_shutdown(void)
{
	long leaked;

	pthread_mutex_lock(&swapon_mutex);
	leaked = si.on ? (long)swap_inuse(NULL) : 0;
	if (leaked)
		mmk_warn("mmk_swap_shutdown: %ld swap slots still in use", leaked);
	if (si.on)
		swap_area_free();
	pthread_mutex_unlock(&swapon_mutex);
	return leaked;
}

/* ---- the walk ------------------------------------------------------------------- */

void unuse_walk_start(struct unuse_walk *w)
{
	w->prev = &init_mm;
	mmget(&init_mm);
	w->pos = &init_mm.mmlist;
	w->done = false;
}

struct mm_struct *unuse_walk_next(struct unuse_walk *w)
{
	struct mm_struct *mm = NULL;
	struct list_head *p;

	if (w->done)
		return NULL;
	spin_lock(&mmlist_lock);
	for (p = w->pos->next; p != &init_mm.mmlist; p = p->next) {
		struct mm_struct *cand = list_entry(p, struct mm_struct, mmlist);
		if (mmget_not_zero(cand)) {
			mm = cand;
			break;
		}
	}
	spin_unlock(&mmlist_lock);
	mmput(w->prev);
	if (!mm) {
		w->prev = NULL;
		w->pos = NULL;
		w->done = true;
		return NULL;
	}
	w->prev = mm;
	w->pos = &mm->mmlist;
	mmk_trace("try_to_unuse", mm);
	return mm;
}

void unuse_walk_end(struct unuse_walk *w)
{
	if (!w->done && w->prev)
		mmput(w->prev);
	w->prev = NULL;
	w->pos = NULL;
	w->done = true;
}

/* ---- unuse_mm: every swap entry of one mm back in memory ------------------------ */

struct unuse_ctx {
	struct vm_area_struct *vma;
	int err;
};

static void unuse_pte(pte_t *ptep, unsigned long addr, void *arg)
{
	struct unuse_ctx *c = arg;
	pte_t e;
	int ret;

	if (c->err)
		return;
	e = pte_get(ptep);
	if (!is_swap_pte(e) || swp_type(e) != 0)
		return;
	ret = swapin_pte(c->vma, addr, ptep, e, SWAPIN_UNUSE);
	if (ret & VM_FAULT_OOM)
		c->err = -ENOMEM;
}

int mmk_unuse_mm(struct mm_struct *mm)
{
	struct vm_area_struct *vma;
	int err = 0;

	if (mm == &init_mm || !swap_inuse(NULL))
		return 0;
	down_read(&mm->mmap_sem);
	for (vma = mm->mmap; vma && !err; vma = vma->vm_next) {
		struct unuse_ctx c = { vma, 0 };

		if (!vma->anon_vma)
			continue;
		walk_pte_range(mm, vma->vm_start, vma->vm_end, unuse_pte, &c);
		err = c.err;
	}
	up_read(&mm->mmap_sem);
	return err;
}

/* unuse_mm: the observers' hook, then the real work when an area is on */
static int unuse_mm(struct mm_struct *mm)
{
	if (mmk_hooks.unuse_mm)
		mmk_hooks.unuse_mm(mmk_hooks.priv, mm);
	return mmk_unuse_mm(mm);
}

int try_to_unuse(void)
{
	unsigned long before, left;
	int stuck = 0;
	bool on;

	for (;;) {
		struct unuse_walk w;
		struct mm_struct *mm;

		before = swap_inuse(NULL);
		unuse_walk_start(&w);
		while ((mm = unuse_walk_next(&w)) != NULL) {
			int err = unuse_mm(mm);

			if (err) {
				unuse_walk_end(&w);
				return err;
			}
		}
		left = swap_inuse(&on);
		if (!on || !left)
			return 0;
		/* entries may move behind the walk (fork, mremap): walk again,
		 * but give up when walks stop making progress */
		if (left >= before && ++stuck >= 3) {
			mmk_warn("try_to_unuse: %lu swap slots held by no listed mm", left);
			return -EBUSY;
		}
	}
}

/* ---- fork ------------------------------------------------------------------------- */

void swap_copy_entry(struct mm_struct *dst_mm, struct mm_struct *src_mm, pte_t entry)
{
	swap_duplicate(entry);
	/* copy_nonpresent_pte: the child must be on swapoff's list too, right
	 * after its parent so that a running walk still meets it */
	if (sysctl_mmlist_policy == MMLIST_MODERN)
		swap_mmlist_join(dst_mm, src_mm);
}

/* an mm holding swap entries joins init_mm.mmlist (after @after when that
 * is listed, else after init_mm); double-checked under mmlist_lock */
void swap_mmlist_join(struct mm_struct *mm, struct mm_struct *after)
{
	spin_lock(&mmlist_lock);
	if (list_empty(&mm->mmlist)) {
		if (!after || (after != &init_mm && list_empty(&after->mmlist)))
			after = &init_mm;
		list_add(&mm->mmlist, &after->mmlist);
		mmlist_nr++;
	}
	spin_unlock(&mmlist_lock);
}
