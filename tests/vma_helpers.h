/* SPDX-License-Identifier: MIT */
/* tests/vma_helpers.h - shared set-up and drawing helpers for the
 * address-space tests (test_vma.c, test_mmap.c) */
#ifndef MMK_TEST_VMA_HELPERS_H
#define MMK_TEST_VMA_HELPERS_H

#include "harness.h"
#include "internal.h"
#include "vma.h"

#define PG(n) ((unsigned long)(n) * PAGE_SIZE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW (PROT_READ | PROT_WRITE)
/* a base far from everything a fresh mm has: page n of the drawings */
#define BASE 0x100000000UL
#define AT(n) (BASE + PG(n))

static inline struct mm_struct *setup_mm(void)
{
	struct mm_struct *mm;

	CHECK_EQ(mmk_boot(4), 0);
	mm = mm_alloc();
	CHECK(mm != NULL);
	arch_pick_mmap_layout(mm);
	return mm;
}

static inline void teardown_mm(struct mm_struct *mm)
{
	CHECK_EQ(validate_mm(mm), 0);
	mmput(mm);
	CHECK_EQ(mmk_shutdown(), 0);
}

/* map anonymous pages [a, b) of the drawing at BASE */
static inline void map_at(struct mm_struct *mm, unsigned long a, unsigned long b, unsigned long prot)
{
	long r = sys_mmap(mm, AT(a), PG(b - a), prot, ANON | MAP_FIXED, NULL, 0);
	CHECK_EQ(r, (long)AT(a));
	CHECK_EQ(validate_mm(mm), 0);
}

/*
 * draw - the VMAs inside the drawing window (64 pages from BASE), one
 * letter per page: VMAs get 'A', 'B', ... in address order, holes ' ';
 * the trailing holes are cut. "AAB  C" = a 2-page VMA, a 1-page VMA, a
 * 2-page hole, a 1-page VMA.
 */
static inline const char *draw(struct mm_struct *mm)
{
	static char buf[65];
	struct vm_area_struct *vma;
	char letter = 'A';
	int i, last = -1;

	memset(buf, ' ', 64);
	buf[64] = 0;
	for (vma = find_vma(mm, BASE); vma && vma->vm_start < AT(64); vma = vma->vm_next) {
		for (unsigned long a = vma->vm_start; a < vma->vm_end && a < AT(64); a += PAGE_SIZE) {
			if (a < BASE)
				continue;
			i = (int)((a - BASE) >> PAGE_SHIFT);
			buf[i] = letter;
			if (i > last)
				last = i;
		}
		letter++;
	}
	buf[last + 1] = 0;
	return buf;
}

static inline struct vm_area_struct *vma_at(struct mm_struct *mm, unsigned long page)
{
	return vma_lookup(mm, AT(page));
}

#endif
