/* SPDX-License-Identifier: MIT */
/*
 * src/pgtable.c - page tables in frames (arch/x86/mm/pgtable.c, the table
 * allocation and freeing parts of mm/memory.c).
 *
 * mm->pgd is a frame. x86-64 walks 4 levels (PGD -> PUD -> PMD -> PTE,
 * the P4D folded into the PGD) or 5 (PGD -> P4D -> PUD -> PMD -> PTE);
 * each level indexes 9 bits of the address. A non-leaf entry holds the
 * child table's frame and _PAGE_TABLE. Tables are allocated on demand and
 * installed under mm->page_table_lock (a racing installer's table is freed
 * again); PUD, PMD and PTE tables add 4096 to mm->pgtables_bytes as the
 * kernel's mm_inc_nr_{puds,pmds,ptes} do; the PGD and P4D tables do not
 * count. Tables are freed only with mmap_sem held for writing
 * (free_pgtables at munmap and exit), so a walker holding it for reading
 * may follow entries without the lock.
 */
#define MMKIT_PAGE_INTERNAL
#include "internal.h"
#include <mmkit/page.h>

#define PTRS_PER_TABLE 512
#define LEVEL_SHIFT(levels) ((levels) == 5 ? 48 : 39)

/*
 * The page layer's per-mm state (mm->mmk_priv). It comes from pgd_cachep,
 * one object per mm, so that the checker's "one pgd_cache object per live
 * mm" rule holds while the PGD itself is a frame.
 */
struct mm_pgstate {
	int levels;
};

int mm_pgtable_levels(const struct mm_struct *mm)
{
	const struct mm_pgstate *st = mm->mmk_priv;

	return st && st->levels == 5 ? 5 : 4;
}

static inline int top_shift(const struct mm_struct *mm)
{
	const struct mm_pgstate *st = mm->mmk_priv;

	return likely(!st || st->levels != 5) ? LEVEL_SHIFT(4) : LEVEL_SHIFT(5);
}

/* a table whose entries index with @shift: counted when PUD level or lower */
static inline bool table_counted(int shift) { return shift <= 30; }

static struct page *pgtable_alloc(void)
{
	struct page *p = alloc_page(__GFP_ZERO);

	if (p) {
		SetPageFlag(p, PG_pgtable);
		mmk_count_pgtable(1, false);
	}
	return p;
}

static void pgtable_free(struct page *p)
{
	ClearPageFlag(p, PG_pgtable);
	mmk_count_pgtable(-1, false);
	put_page(p);
}

int mm_alloc_pgd(struct mm_struct *mm)
{
	struct mm_pgstate *st = kmem_cache_alloc(pgd_cachep, GFP_KERNEL);
	struct page *p;
	pgd_t *pgd;

	if (!st)
		return -ENOMEM;
	p = alloc_page(__GFP_ZERO);
	if (!p) {
		kmem_cache_free(pgd_cachep, st);
		return -ENOMEM;
	}
	SetPageFlag(p, PG_pgtable);
	mmk_count_pgtable(1, true);
	pgd = page_address(p);
	/* user half empty, kernel half (entries 256..511) shared with init_mm */
	memcpy(pgd + 256, init_mm.pgd + 256, PAGE_SIZE / 2);
	st->levels = (mmk_five_level || mm->task_size > TASK_SIZE_47) ? 5 : 4;
	mm->mmk_priv = st;
	mm->pgd = pgd;
	return 0;
}

static void free_table_tree(struct mm_struct *mm, pte_t *tbl, int shift, bool *leaf_left);

void mm_free_pgd(struct mm_struct *mm)
{
	if (mm->pgd && mm->pgd != init_mm.pgd) {
		bool leaf_left = false;
		pte_t *pgd = (pte_t *)mm->pgd;
		int shift = top_shift(mm);

		/* exit_mmap freed every table; anything left is a bug, freed anyway */
		for (int i = 0; i < 256; i++) {
			pte_t e = pgd[i];

			if (!e)
				continue;
			free_table_tree(mm, pfn_to_virt(pte_pfn(e)), shift - 9, &leaf_left);
			if (table_counted(shift - 9))
				atomic_long_add(-(long)PAGE_SIZE, &mm->pgtables_bytes);
			pgtable_free(pte_page(e));
			pgd[i] = 0;
			mmk_warn("BUG: mm %lu freed with page tables left", mm->mmk_id);
		}
		if (leaf_left)
			mmk_warn("BUG: mm %lu freed with pages still mapped", mm->mmk_id);
		ClearPageFlag(virt_to_page(mm->pgd), PG_pgtable);
		mmk_count_pgtable(-1, true);
		put_page(virt_to_page(mm->pgd));
	}
	if (mm->mmk_priv)
		kmem_cache_free(pgd_cachep, mm->mmk_priv);
	mm->mmk_priv = NULL;
	mm->pgd = NULL;
}

pte_t *pte_alloc_walk(struct mm_struct *mm, unsigned long addr)
{
	pte_t *tbl = (pte_t *)mm->pgd;

	for (int shift = top_shift(mm); shift > PAGE_SHIFT; shift -= 9) {
		pte_t *slot = &tbl[(addr >> shift) & (PTRS_PER_TABLE - 1)];
		pte_t e = pte_get(slot);

		if (unlikely(!e)) {
			struct page *np = pgtable_alloc();

			if (!np)
				return NULL;
			spin_lock(&mm->page_table_lock);
			e = pte_get(slot);
			if (!e) {
				e = (page_to_pfn(np) << PAGE_SHIFT) | _PAGE_TABLE;
				pte_set(slot, e);
				if (table_counted(shift - 9))
					atomic_long_add((long)PAGE_SIZE, &mm->pgtables_bytes);
				np = NULL;
			}
			spin_unlock(&mm->page_table_lock);
			if (np)
				pgtable_free(np);
		}
		tbl = pfn_to_virt(pte_pfn(e));
	}
	return &tbl[(addr >> PAGE_SHIFT) & (PTRS_PER_TABLE - 1)];
}

pte_t *pte_lookup(struct mm_struct *mm, unsigned long addr)
{
	pte_t *tbl = (pte_t *)mm->pgd;

	if (!tbl)
		return NULL;
	for (int shift = top_shift(mm); shift > PAGE_SHIFT; shift -= 9) {
		pte_t e = pte_get(&tbl[(addr >> shift) & (PTRS_PER_TABLE - 1)]);

		if (!e)
			return NULL;
		tbl = pfn_to_virt(pte_pfn(e));
	}
	return &tbl[(addr >> PAGE_SHIFT) & (PTRS_PER_TABLE - 1)];
}

pte_t mmk_read_pte(struct mm_struct *mm, unsigned long addr)
{
	pte_t *p = pte_lookup(mm, addr);

	return p ? pte_get(p) : 0;
}

struct page *mmk_follow_page(struct mm_struct *mm, unsigned long addr)
{
	pte_t e = mmk_read_pte(mm, addr);

	return pte_present(e) ? pte_page(e) : NULL;
}

/* ---- walking a range ------------------------------------------------------ */

static void walk_level(struct mm_struct *mm, pte_t *tbl, int shift, unsigned long start,
		       unsigned long end, void (*fn)(pte_t *, unsigned long, void *), void *arg)
{
	unsigned long size = 1UL << shift;
	unsigned long addr = start;

	while (addr < end) {
		unsigned long next = (addr & ~(size - 1)) + size;
		pte_t *slot = &tbl[(addr >> shift) & (PTRS_PER_TABLE - 1)];

		if (next > end || next == 0)
			next = end;
		if (shift == PAGE_SHIFT) {
			fn(slot, addr, arg);
		} else {
			pte_t e = pte_get(slot);

			if (e)
				walk_level(mm, pfn_to_virt(pte_pfn(e)), shift - 9, addr, next, fn, arg);
		}
		addr = next;
	}
}

void walk_pte_range(struct mm_struct *mm, unsigned long start, unsigned long end,
		    void (*fn)(pte_t *ptep, unsigned long addr, void *arg), void *arg)
{
	if (!mm->pgd || start >= end)
		return;
	walk_level(mm, (pte_t *)mm->pgd, top_shift(mm), start, end, fn, arg);
}

/* one call per PTE table: the slot of @start's entry and the entries up to
 * the table's end or @end; empty upper-level entries are skipped whole */
static void walk_tables_level(pte_t *tbl, int shift, unsigned long start, unsigned long end,
			      void (*fn)(pte_t *, unsigned long, unsigned long, void *), void *arg)
{
	unsigned long size = 1UL << shift;
	unsigned long addr = start;

	while (addr < end) {
		unsigned long next = (addr & ~(size - 1)) + size;
		pte_t e = pte_get(&tbl[(addr >> shift) & (PTRS_PER_TABLE - 1)]);

		if (next > end || next == 0)
			next = end;
		if (e) {
			pte_t *child = pfn_to_virt(pte_pfn(e));

			if (shift == PAGE_SHIFT + 9)
				fn(&child[(addr >> PAGE_SHIFT) & (PTRS_PER_TABLE - 1)], addr,
				   (next - addr) >> PAGE_SHIFT, arg);
			else
				walk_tables_level(child, shift - 9, addr, next, fn, arg);
		}
		addr = next;
	}
}

void walk_pte_tables(struct mm_struct *mm, unsigned long start, unsigned long end,
		     void (*fn)(pte_t *ptep, unsigned long addr, unsigned long nr, void *arg),
		     void *arg)
{
	if (!mm->pgd || start >= end)
		return;
	/* the usual case of a small VMA: one table, one lookup */
	if (((start ^ (end - 1)) >> (PAGE_SHIFT + 9)) == 0) {
		pte_t *p = pte_lookup(mm, start);

		if (p)
			fn(p, start, (end - start) >> PAGE_SHIFT, arg);
		return;
	}
	walk_tables_level((pte_t *)mm->pgd, top_shift(mm), start, end, fn, arg);
}

/* ---- freeing tables (free_pgtables / free_pgd_range) ------------------------ */

/* free every table below @tbl (indexed with @shift); leaves must be empty */
static void free_table_tree(struct mm_struct *mm, pte_t *tbl, int shift, bool *leaf_left)
{
	for (int i = 0; i < PTRS_PER_TABLE; i++) {
		pte_t e = tbl[i];

		if (!e)
			continue;
		if (shift == PAGE_SHIFT) {
			*leaf_left = true;
			continue;
		}
		free_table_tree(mm, pfn_to_virt(pte_pfn(e)), shift - 9, leaf_left);
		if (table_counted(shift - 9))
			atomic_long_add(-(long)PAGE_SIZE, &mm->pgtables_bytes);
		pgtable_free(pte_page(e));
		pte_set(&tbl[i], 0);
	}
}

struct free_range {
	unsigned long start, end;  /* what was unmapped: [start, end) */
	unsigned long floor, ceil; /* tables must lie inside [floor, ceil]; ceil inclusive */
};

static void free_level(struct mm_struct *mm, pte_t *tbl, int shift, const struct free_range *r)
{
	unsigned long size = 1UL << shift;
	unsigned long addr = r->start;

	while (addr < r->end) {
		unsigned long base = addr & ~(size - 1);
		unsigned long next = base + size;
		pte_t *slot = &tbl[(addr >> shift) & (PTRS_PER_TABLE - 1)];
		pte_t e = pte_get(slot);

		if (e) {
			int cshift = shift - 9;
			pte_t *child = pfn_to_virt(pte_pfn(e));

			if (base >= r->floor && base + size - 1 <= r->ceil) {
				bool leaf_left = false;

				/* the whole table serves no other VMA */
				if (cshift > PAGE_SHIFT)
					free_table_tree(mm, child, cshift, &leaf_left);
				else
					for (int i = 0; i < PTRS_PER_TABLE; i++)
						leaf_left |= child[i] != 0;
				if (leaf_left) {
					mmk_warn("BUG: free_pgtables: pages left at %#lx", base);
				} else {
					spin_lock(&mm->page_table_lock);
					pte_set(slot, 0);
					spin_unlock(&mm->page_table_lock);
					if (table_counted(cshift))
						atomic_long_add(-(long)PAGE_SIZE, &mm->pgtables_bytes);
					pgtable_free(pte_page(e));
				}
			} else if (cshift > PAGE_SHIFT) {
				struct free_range sub = *r;

				sub.start = addr;
				sub.end = next < r->end && next ? next : r->end;
				free_level(mm, child, cshift, &sub);
			}
		}
		if (next == 0)
			break;
		addr = next;
	}
}

void free_pgtables(struct mm_struct *mm, unsigned long start, unsigned long end,
		   unsigned long floor, unsigned long ceiling)
{
	struct free_range r = { start, end, floor, ceiling ? ceiling - 1 : ~0UL };

	if (!mm->pgd || mm->pgd == init_mm.pgd || start >= end)
		return;
	/* the top level: the PGD itself stays (freed with the mm) */
	free_level(mm, (pte_t *)mm->pgd, top_shift(mm), &r);
}
