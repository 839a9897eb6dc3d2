/* SPDX-License-Identifier: MIT */
/*
 * bench/vma_index_check.c - the find_vma index of large address spaces
 * (src/vma.c) against the red-black tree: random mmap / munmap / mprotect
 * on an mm of a few hundred to ~10,000 VMAs, crossing VMA_INDEX_MIN both ways,
 * with bursts of lookups long enough to build the index in between;
 * every find_vma answer is compared with the tree's (find_vma_links) and
 * validate_mm() checks the index against the list. Exit status 0 = pass.
 *
 *   cc -std=c11 -D_GNU_SOURCE -Iinclude -Isrc -pthread \
 *      bench/vma_index_check.c build/libmmkit.a -o build/vma_index_check
 */
#include <mmkit/mmkit.h>
#include "vma.h"
#include <stdio.h>
#include <stdlib.h>

static unsigned long long rng = 88172645463325252ULL;
static unsigned long rnd(unsigned long n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned long)(rng % n);
}

#define BASE 0x100000000UL
#define SPAN 30000UL /* pages */

int main(void)
{
	long bad = 0, lookups = 0;
	if (mmk_boot(2))
		return 1;
	struct mm_struct *mm = mm_alloc();
	arch_pick_mmap_layout(mm);
	for (unsigned long i = 0; i < 10000; i += 2)
		sys_mmap(mm, BASE + i * 4096, 4096, PROT_READ | (i & 2 ? PROT_WRITE : 0),
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
	for (int round = 0; round < 60; round++) {
		int changes = (int)rnd(round % 3 == 0 ? (round >= 40 ? 5000 : 1500) : 40);
		for (int k = 0; k < changes; k++) {
			unsigned long a = BASE + rnd(SPAN) * 4096, len = (1 + rnd(4)) * 4096;
			/* rounds 20..39 shrink the address space, the others grow it */
			bool shrink = round >= 20 && round < 40;
			switch (rnd(3)) {
			case 0:
				if (shrink || rnd(4) == 0)
					sys_munmap(mm, a, len * (shrink ? 6 : 1));
				break;
			case 1:
				if (!shrink || rnd(4) == 0)
					sys_mmap(mm, a, len, PROT_READ | (rnd(2) ? PROT_WRITE : 0),
						 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
				break;
			default:
				sys_mprotect(mm, a, len, rnd(2) ? PROT_READ : PROT_READ | PROT_WRITE);
			}
		}
		long n = mm->map_count * 2 + (long)rnd(1000);
		for (long i = 0; i < n; i++, lookups++) {
			unsigned long addr = BASE - 8192 + rnd((SPAN + 4) * 4096);
			struct vm_area_struct *prev, *t = find_vma_links(mm, addr, &prev);
			struct vm_area_struct *v = find_vma(mm, addr);
			if (v != t) {
				if (bad++ < 5)
					fprintf(stderr, "round %d: find_vma(%#lx) = %p, tree says %p\n", round, addr,
						(void *)v, (void *)t);
			}
		}
		if (getenv("VIC_VERBOSE"))
			fprintf(stderr, "round %d: %d VMAs\n", round, mm->map_count);
		if (validate_mm(mm)) {
			fprintf(stderr, "round %d: validate_mm failed\n", round);
			bad++;
		}
	}
	mmput(mm);
	long leaked = mmk_shutdown();
	printf("%s vma.index_against_tree: %ld lookups, %ld wrong, %ld leaked\n",
	       bad || leaked ? "FAIL" : "PASS", lookups, bad, leaked);
	return bad || leaked;
}
