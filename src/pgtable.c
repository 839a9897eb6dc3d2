/* SPDX-License-Identifier: MIT */
/*
 * src/pgtable.c - the page global directory (arch/x86/mm/pgtable.c).
 * A new mm gets a zeroed page for its top-level table; the kernel half of
 * init_mm's table is shared by every process (pgd_ctor copies it).
 */
#include "internal.h"

int mm_alloc_pgd(struct mm_struct *mm)
{
	pgd_t *pgd = kmem_cache_alloc(pgd_cachep, GFP_KERNEL);
	if (!pgd)
		return -ENOMEM;
	/* user half empty, kernel half (entries 256..511) shared with init_mm */
	memset(pgd, 0, PAGE_SIZE / 2);
	memcpy(pgd + 256, init_mm.pgd + 256, PAGE_SIZE / 2);
	mm->pgd = pgd;
	return 0;
}

void mm_free_pgd(struct mm_struct *mm)
{
	if (mm->pgd && mm->pgd != init_mm.pgd)
		kmem_cache_free(pgd_cachep, mm->pgd);
	mm->pgd = NULL;
}
