/* SPDX-License-Identifier: MIT */
/*
 * tests/test_swap.c - swap: round trips keep every byte, copy-on-write
 * across swap, swapoff (pins, owners exiting mid-walk, -ENOMEM with tiny
 * RAM), allocation failures in turn, the modern mmlist rule, reclaim, and
 * the counters (MM_SWAPENTS, VmSwap, smaps Swap/SwapPss) at every step.
 */
#include <mmkit/mmkit.h>
#include <mmkit/page.h>
#include <mmkit/swap.h>
#include "harness.h"
#include "internal.h"
#include <pthread.h>

#define PG(n) ((unsigned long)(n) * PAGE_SIZE)
#define BASE 0x100000000UL
#define AT(n) (BASE + PG(n))
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW (PROT_READ | PROT_WRITE)
#define RSS(mm, t) atomic_long_read(&(mm)->rss_stat[t])

static struct mm_struct *new_mm(void)
{
	struct mm_struct *mm = mm_alloc();

	CHECK(mm != NULL);
	arch_pick_mmap_layout(mm);
	return mm;
}

static struct mm_struct *setup(unsigned long swap_pages)
{
	memset(&mmk_hooks, 0, sizeof(mmk_hooks));
	CHECK_EQ(mmk_boot(2), 0);
	if (swap_pages)
		CHECK_EQ(mmk_swapon(swap_pages), 0);
	return new_mm();
}

static void finish(struct mm_struct *mm)
{
	if (mm)
		mmput(mm);
	CHECK_EQ(mmk_check_all(NULL), 0);
	CHECK_EQ(mmk_swap_check(), 0);
	CHECK_EQ(mmk_swap_shutdown(), 0);
	CHECK_EQ(mmk_shutdown(), 0);
	CHECK_EQ(atomic_load(&mmk_warnings), 0);
}

static unsigned char pat(unsigned long page, unsigned long i, int salt)
{
	return (unsigned char)(page * 131 + i * 7 + (unsigned long)salt * 29 + (i >> 8));
}

static void fill(struct mm_struct *mm, unsigned long first, unsigned long n, int salt)
{
	unsigned char buf[PAGE_SIZE];

	for (unsigned long p = first; p < first + n; p++) {
		for (unsigned long i = 0; i < PAGE_SIZE; i++)
			buf[i] = pat(p, i, salt);
		CHECK_EQ(mmk_copy_to_user(mm, AT(p), buf, PAGE_SIZE), 0);
	}
}

static void verify(struct mm_struct *mm, unsigned long first, unsigned long n, int salt)
{
	unsigned char buf[PAGE_SIZE];

	for (unsigned long p = first; p < first + n; p++) {
		CHECK_EQ(mmk_copy_from_user(mm, buf, AT(p), PAGE_SIZE), 0);
		for (unsigned long i = 0; i < PAGE_SIZE; i++)
			if (buf[i] != pat(p, i, salt)) {
				fprintf(stderr, "page %lu byte %lu: %#x, want %#x\n", p, i, buf[i], pat(p, i, salt));
				CHECK(0);
			}
	}
}

/* the PTEs of [first, first+n) agree with the counters: returns swap PTEs */
static long count_ptes(struct mm_struct *mm, unsigned long first, unsigned long n, long *present)
{
	long swp = 0, pres = 0;

	for (unsigned long p = first; p < first + n; p++) {
		pte_t e = mmk_read_pte(mm, AT(p));

		if (is_swap_pte(e)) {
			swp++;
			CHECK(mmk_swap_count(e) >= 1);
		} else if (pte_present(e) && pte_pfn(e) != 0) {
			pres++;
		}
	}
	if (present)
		*present = pres;
	return swp;
}

static void check_consistent(struct mm_struct *mm, unsigned long first, unsigned long n)
{
	long pres, swp = count_ptes(mm, first, n, &pres);

	CHECK_EQ(RSS(mm, MM_SWAPENTS), swp);
	CHECK_EQ(RSS(mm, MM_ANONPAGES), pres);
	CHECK_EQ(mmk_swap_check(), 0);
}

static struct mmk_swapinfo swapinfo(void)
{
	struct mmk_swapinfo si;

	mmk_swap_info(&si);
	return si;
}

/* the value of a "Label:  N kB" line of @text */
static long kb_field(const char *text, const char *label)
{
	const char *p = strstr(text, label);
	long v = -1;

	if (p && sscanf(p + strlen(label), " %ld kB", &v) == 1)
		return v;
	return -1;
}

static long status_kb(struct mm_struct *mm, const char *label)
{
	struct seq_file m;
	long v;

	seq_init(&m);
	CHECK_EQ(proc_pid_status_vm(&m, mm), 0);
	v = kb_field(m.buf, label);
	seq_release(&m);
	return v;
}

static long smaps_kb(struct mm_struct *mm, const char *label)
{
	struct seq_file m;
	long v;

	seq_init(&m);
	CHECK_EQ(show_smaps_rollup(&m, mm), 0);
	v = kb_field(m.buf, label);
	seq_release(&m);
	return v;
}

/* ---- round trips ---------------------------------------------------------- */

TEST(roundtrip_keeps_every_byte)
{
	struct mm_struct *mm = setup(64);
	unsigned long used0;

	CHECK_EQ(swapinfo().total, 63);
	CHECK_EQ(sys_mmap(mm, AT(0), PG(16), RW, ANON | MAP_FIXED, NULL, 0), (long)AT(0));
	fill(mm, 0, 16, 1);
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 16);
	CHECK_EQ(RSS(mm, MM_SWAPENTS), 0);
	CHECK_EQ(status_kb(mm, "VmSwap:"), 0);
	used0 = mmk_mem_used();

	CHECK_EQ(mmk_swapout_mm(mm), 16);
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 0);
	CHECK_EQ(RSS(mm, MM_SWAPENTS), 16);
	CHECK_EQ(mm->rss, 0);
	CHECK_EQ(swapinfo().used, 16);
	CHECK_EQ(swapinfo().free, 63 - 16);
	CHECK_EQ(mmk_mem_used(), used0 - 16);
	CHECK_EQ(status_kb(mm, "VmSwap:"), 64);
	CHECK_EQ(status_kb(mm, "VmRSS:"), 0);
	CHECK_EQ(smaps_kb(mm, "Swap:"), 64);
	CHECK_EQ(smaps_kb(mm, "SwapPss:"), 64);
	check_consistent(mm, 0, 16);
	/* the checker sees a counter that disagrees with the PTEs */
	atomic_long_add(1, &mm->rss_stat[MM_SWAPENTS]);
	CHECK_EQ(mmk_swap_check(), 1);
	atomic_long_add(-1, &mm->rss_stat[MM_SWAPENTS]);
	atomic_store(&mmk_warnings, 0);
	/* nothing left to swap */
	CHECK_EQ(mmk_swapout_mm(mm), 0);

	/* half back through access_vm, page by page, counters at each step */
	for (unsigned long p = 0; p < 8; p++) {
		unsigned char c;

		CHECK_EQ(mmk_access_vm(mm, AT(p) + 5, &c, 1, false), 1);
		CHECK_EQ(c, pat(p, 5, 1));
		CHECK_EQ(RSS(mm, MM_ANONPAGES), (long)p + 1);
		CHECK_EQ(RSS(mm, MM_SWAPENTS), 16 - (long)p - 1);
		CHECK_EQ(swapinfo().used, 16 - p - 1);
		CHECK_EQ(status_kb(mm, "VmSwap:"), 4 * (16 - (long)p - 1));
	}
	/* a page swapped in by a read is exclusive: writable at once */
	CHECK(pte_write(mmk_read_pte(mm, AT(0))));
	verify(mm, 0, 16, 1);
	CHECK_EQ(RSS(mm, MM_SWAPENTS), 0);
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 16);
	CHECK_EQ(swapinfo().used, 0);
	CHECK_EQ(mmk_mem_used(), used0);
	CHECK(swapinfo().swapouts >= 16 && swapinfo().swapins >= 16);

	/* again: out, write some pages back in, out, read */
	CHECK_EQ(mmk_swapout_mm(mm), 16);
	fill(mm, 4, 4, 2);
	CHECK_EQ(RSS(mm, MM_SWAPENTS), 12);
	CHECK_EQ(mmk_swapout_mm(mm), 4);
	verify(mm, 0, 4, 1);
	verify(mm, 4, 4, 2);
	verify(mm, 8, 8, 1);
	check_consistent(mm, 0, 16);
	finish(mm);
}

TEST(munmap_and_exit_free_slots)
{
	struct mm_struct *mm = setup(64);

	CHECK_EQ(sys_mmap(mm, AT(0), PG(8), RW, ANON | MAP_FIXED, NULL, 0), (long)AT(0));
	fill(mm, 0, 8, 3);
	CHECK_EQ(mmk_swapout_mm(mm), 8);
	CHECK_EQ(sys_munmap(mm, AT(2), PG(2)), 0);
	CHECK_EQ(RSS(mm, MM_SWAPENTS), 6);
	CHECK_EQ(swapinfo().used, 6);
	CHECK_EQ(sys_madvise(mm, AT(4), PG(1), MADV_DONTNEED), 0);
	CHECK_EQ(RSS(mm, MM_SWAPENTS), 5);
	CHECK_EQ(swapinfo().used, 5);
	/* the page dropped by MADV_DONTNEED reads back as zero */
	unsigned char c = 1;
	CHECK_EQ(mmk_copy_from_user(mm, &c, AT(4), 1), 0);
	CHECK_EQ(c, 0);
	verify(mm, 5, 3, 3);
	/* exit with swap entries: mmput frees them (check_mm stays quiet) */
	mmput(mm);
	CHECK_EQ(swapinfo().used, 0);
	finish(NULL);
}

TEST(zero_page_pinned_locked_and_lazyfree)
{
	struct mm_struct *mm = setup(64);
	struct page *pin = NULL;
	unsigned char c;

	CHECK_EQ(sys_mmap(mm, AT(0), PG(4), RW, ANON | MAP_FIXED, NULL, 0), (long)AT(0));
	CHECK_EQ(sys_mmap(mm, AT(8), PG(2), RW, ANON | MAP_FIXED | MAP_LOCKED, NULL, 0), (long)AT(8));
	fill(mm, 0, 2, 4);
	CHECK_EQ(mmk_copy_from_user(mm, &c, AT(2), 1), 0); /* the zero page */
	fill(mm, 3, 1, 4);
	CHECK_EQ(mmk_get_user_pages(mm, AT(3), 1, true, &pin), 1);
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 5); /* pages 0, 1, 3 and the locked two */
	/* only pages 0 and 1: page 2 maps the zero page, 3 is pinned, 8-9 locked */
	CHECK_EQ(mmk_swapout_mm(mm), 2);
	CHECK(!is_swap_pte(mmk_read_pte(mm, AT(3))));
	CHECK(!is_swap_pte(mmk_read_pte(mm, AT(8))));
	mmk_put_page(pin);
	CHECK_EQ(mmk_swapout_mm(mm), 1);
	verify(mm, 0, 2, 4);
	verify(mm, 3, 1, 4);

	/* MADV_FREE: a clean lazily-freeable page is dropped, not written */
	unsigned long outs = swapinfo().swapouts;
	CHECK_EQ(sys_madvise(mm, AT(0), PG(1), MADV_FREE), 0);
	CHECK_EQ(mmk_swapout_mm(mm), 2); /* pages 1 and 3 written, page 0 dropped */
	CHECK_EQ(swapinfo().swapouts, outs + 2);
	CHECK_EQ(RSS(mm, MM_SWAPENTS), 2);
	CHECK_EQ(mmk_read_pte(mm, AT(0)), 0);
	CHECK_EQ(mmk_copy_from_user(mm, &c, AT(0), 1), 0);
	CHECK_EQ(c, 0);
	verify(mm, 1, 1, 4);
	verify(mm, 3, 1, 4);
	check_consistent(mm, 0, 10);
	finish(mm);
}

/* ---- copy-on-write across swap ---------------------------------------------- */

TEST(cow_across_swap)
{
	struct mm_struct *mm = setup(64);

	CHECK_EQ(sys_mmap(mm, AT(0), PG(8), RW, ANON | MAP_FIXED, NULL, 0), (long)AT(0));
	fill(mm, 0, 8, 5);
	unsigned long used0 = mmk_mem_used();
	struct mm_struct *child = dup_mm(NULL, mm);
	CHECK(child);
	CHECK_EQ(RSS(child, MM_ANONPAGES), 8);

	/* both in one pass: every PTE of a page gets the same slot, the frame goes */
	CHECK_EQ(mmk_swapout_all(), 16);
	CHECK_EQ(RSS(mm, MM_SWAPENTS), 8);
	CHECK_EQ(RSS(child, MM_SWAPENTS), 8);
	CHECK_EQ(RSS(child, MM_ANONPAGES), 0);
	CHECK_EQ(mmk_mem_used(), used0 - 8);
	CHECK_EQ(mmk_swap_count(mmk_read_pte(mm, AT(3))), 2);
	CHECK_EQ(mmk_read_pte(mm, AT(3)), mmk_read_pte(child, AT(3)));
	CHECK_EQ(swapinfo().used, 8);
	CHECK_EQ(smaps_kb(mm, "Swap:"), 32);
	CHECK_EQ(smaps_kb(mm, "SwapPss:"), 16);
	CHECK_EQ(status_kb(child, "VmSwap:"), 32);

	/* each side reads its own bytes; writes stay private */
	verify(mm, 0, 8, 5);
	CHECK_EQ(swapinfo().used, 8); /* the child still holds every slot */
	CHECK_EQ(smaps_kb(child, "SwapPss:"), 32);
	fill(mm, 2, 1, 7);
	verify(child, 2, 1, 5);
	fill(child, 3, 1, 8);
	verify(mm, 3, 1, 5);
	verify(mm, 2, 1, 7);
	verify(child, 0, 3, 5);
	verify(child, 4, 4, 5);
	CHECK_EQ(swapinfo().used, 0);
	check_consistent(mm, 0, 8);
	check_consistent(child, 0, 8);

	/* only the parent: shared pages stay, mapped by the child */
	struct mm_struct *c2 = dup_mm(NULL, mm);
	CHECK(c2);
	used0 = mmk_mem_used();
	CHECK_EQ(mmk_swapout_mm(mm), 8);
	CHECK_EQ(RSS(mm, MM_SWAPENTS), 8);
	CHECK_EQ(RSS(c2, MM_ANONPAGES), 8);
	CHECK_EQ(mmk_mem_used(), used0);
	CHECK_EQ(page_mapcount(mmk_follow_page(c2, AT(0))), 1);
	/* c2 writes a page it now maps alone (reused in place): the parent's
	 * slot keeps the old bytes */
	fill(c2, 0, 1, 6);
	CHECK_EQ(mmk_mem_used(), used0);
	verify(mm, 0, 1, 5);
	verify(c2, 0, 1, 6);
	/* a later pass meets the page through c2 and gives it a slot of its own */
	CHECK_EQ(mmk_swapout_all(), 1 + 8 + 8); /* the parent's page 0 (read back), both children's */
	verify(c2, 0, 1, 6);
	verify(c2, 1, 1, 5);
	verify(mm, 0, 2, 5);
	verify(mm, 2, 1, 7);
	verify(mm, 3, 5, 5);
	check_consistent(mm, 0, 8);
	check_consistent(c2, 0, 8);
	mmput(c2);
	mmput(child);
	finish(mm);
}

TEST(fork_copies_swap_entries)
{
	struct mm_struct *mm = setup(64);

	CHECK_EQ(sys_mmap(mm, AT(0), PG(4), RW, ANON | MAP_FIXED, NULL, 0), (long)AT(0));
	fill(mm, 0, 4, 9);
	CHECK_EQ(mmk_swapout_mm(mm), 4);
	struct mm_struct *child = dup_mm(NULL, mm);
	CHECK(child);
	CHECK_EQ(RSS(child, MM_SWAPENTS), 4);
	CHECK_EQ(RSS(child, MM_ANONPAGES), 0);
	CHECK_EQ(mmk_swap_count(mmk_read_pte(child, AT(1))), 2);
	CHECK_EQ(mmk_swap_check(), 0);
	CHECK_EQ(swapinfo().used, 4);
	CHECK_EQ(status_kb(child, "VmSwap:"), 16);
	verify(child, 0, 4, 9);
	CHECK_EQ(swapinfo().used, 4); /* the parent still holds them */
	mmput(child);
	CHECK_EQ(swapinfo().used, 4);
	verify(mm, 0, 4, 9);
	CHECK_EQ(swapinfo().used, 0);
	finish(mm);
}

/* ---- the modern mmlist rule ---------------------------------------------------- */

TEST(modern_mmlist_rule)
{
	memset(&mmk_hooks, 0, sizeof(mmk_hooks));
	CHECK_EQ(mmk_boot(2), 0);
	sysctl_mmlist_policy = MMLIST_MODERN;
	CHECK_EQ(mmk_swapon(64), 0);
	struct mm_struct *a = new_mm(), *b = new_mm();
	CHECK_EQ(mmlist_nr, 0);
	CHECK_EQ(sys_mmap(a, AT(0), PG(2), RW, ANON | MAP_FIXED, NULL, 0), (long)AT(0));
	CHECK_EQ(sys_mmap(b, AT(0), PG(2), RW, ANON | MAP_FIXED, NULL, 0), (long)AT(0));
	fill(a, 0, 2, 1);
	fill(b, 0, 2, 2);
	/* a fork before any swap entry: nobody listed */
	struct mm_struct *c0 = dup_mm(NULL, a);
	CHECK_EQ(mmlist_nr, 0);
	/* the first swap entry lists the mm, right after init_mm */
	CHECK_EQ(mmk_swapout_mm(a), 2);
	CHECK_EQ(mmlist_nr, 1);
	CHECK(init_mm.mmlist.next == &a->mmlist);
	CHECK(list_empty(&b->mmlist));
	CHECK_EQ(mmk_swapout_mm(a), 0);
	CHECK_EQ(mmlist_nr, 1);
	/* a child copying swap entries follows its parent */
	struct mm_struct *c1 = dup_mm(NULL, a);
	CHECK_EQ(mmlist_nr, 2);
	CHECK(a->mmlist.next == &c1->mmlist);
	/* the scanner sees every live mm under the modern rule */
	CHECK_EQ(mmk_swapout_all(), 2 + 2 + 0);
	CHECK_EQ(mmlist_nr, 4);
	CHECK(!list_empty(&b->mmlist) && !list_empty(&c0->mmlist));
	CHECK_EQ(mmk_swap_check(), 0);
	verify(c0, 0, 2, 1);
	verify(c1, 0, 2, 1);
	verify(b, 0, 2, 2);
	CHECK_EQ(mmk_swapoff(), 0);
	verify(a, 0, 2, 1);
	CHECK_EQ(swapinfo().on, 0);
	mmput(c0);
	mmput(c1);
	mmput(b);
	CHECK_EQ(mmlist_nr, 1);
	mmput(a);
	CHECK_EQ(mmlist_nr, 0);
	finish(NULL);
}

/* ---- swapoff -------------------------------------------------------------------- */

TEST(swapoff_brings_everything_back)
{
	struct mm_struct *mm = setup(128);
	struct mm_struct *b = new_mm();

	CHECK_EQ(mmk_swapoff(), 0);
	CHECK_EQ(mmk_swapoff(), -EINVAL);
	CHECK_EQ(mmk_swapout_mm(mm), -EINVAL);
	CHECK_EQ(mmk_swapon(128), 0);
	CHECK_EQ(mmk_swapon(128), -EBUSY);
	CHECK_EQ(sys_mmap(mm, AT(0), PG(20), RW, ANON | MAP_FIXED, NULL, 0), (long)AT(0));
	CHECK_EQ(sys_mmap(b, AT(0), PG(10), PROT_READ, ANON | MAP_FIXED, NULL, 0), (long)AT(0));
	fill(mm, 0, 20, 1);
	CHECK_EQ(mmk_access_vm(b, AT(0), "xyz", 3, true), 3); /* a forced write: a COW page */
	struct mm_struct *c = dup_mm(NULL, mm);
	CHECK(c);
	fill(c, 10, 5, 2);
	CHECK_EQ(mmk_swapout_all(), 20 + 20 + 1);
	CHECK_EQ(mmk_swapoff(), 0);
	CHECK_EQ(swapinfo().on, 0);
	CHECK_EQ(RSS(mm, MM_SWAPENTS) + RSS(c, MM_SWAPENTS) + RSS(b, MM_SWAPENTS), 0);
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 20);
	CHECK_EQ(RSS(c, MM_ANONPAGES), 20);
	/* swapoff maps the pages back old and write-protected (unuse_pte);
	 * the next write reuses the exclusive page */
	pte_t e = mmk_read_pte(mm, AT(0));
	CHECK(pte_present(e) && !pte_write(e) && !pte_young(e));
	verify(mm, 0, 20, 1);
	verify(c, 0, 10, 1);
	verify(c, 10, 5, 2);
	char xyz[3];
	CHECK_EQ(mmk_access_vm(b, AT(0), xyz, 3, false), 3);
	CHECK(!memcmp(xyz, "xyz", 3));
	unsigned long used = mmk_mem_used();
	fill(mm, 0, 20, 3);
	CHECK_EQ(mmk_mem_used(), used); /* reused, not copied */
	mmput(b);
	mmput(c);
	finish(mm);
}

static struct task_struct *victim;
static int visited;

static void exit_victim_hook(void *priv, struct mm_struct *mm)
{
	visited++;
	if (victim && victim->mm == mm) {
		do_exit(victim);
		victim = NULL;
		/* the walk's pin keeps the address space: its pages still come back */
		CHECK_EQ(mm_users(mm), 1);
		CHECK_EQ(RSS(mm, MM_SWAPENTS), 4);
	}
}

TEST(swapoff_while_owners_exit)
{
	memset(&mmk_hooks, 0, sizeof(mmk_hooks));
	CHECK_EQ(mmk_boot(2), 0);
	CHECK_EQ(mmk_swapon(64), 0);
	struct task_struct *t[4];
	for (int i = 0; i < 4; i++) {
		t[i] = mmk_spawn("p");
		CHECK(!IS_ERR(t[i]));
		CHECK_EQ(sys_mmap(t[i]->mm, AT(0), PG(4), RW, ANON | MAP_FIXED, NULL, 0), (long)AT(0));
		fill(t[i]->mm, 0, 4, i);
	}
	CHECK_EQ(mmk_swapout_all(), 16);
	CHECK_EQ(swapinfo().used, 16);

	/* stepwise: the owner exits while the walk stands on its mm */
	struct unuse_walk w;
	struct mm_struct *mm;
	unuse_walk_start(&w);
	mm = unuse_walk_next(&w);
	CHECK(mm);
	struct task_struct *owner = NULL;
	for (int i = 0; i < 4; i++)
		if (t[i] && t[i]->mm == mm)
			owner = t[i];
	CHECK(owner);
	for (int i = 0; i < 4; i++)
		if (t[i] == owner)
			t[i] = NULL;
	long live0 = 0;
	CHECK_EQ(mm_users(mm), 2);
	do_exit(owner);
	CHECK_EQ(mm_users(mm), 1);
	CHECK(!list_empty(&mm->mmlist));
	CHECK_EQ(RSS(mm, MM_SWAPENTS), 4); /* the address space is still there */
	CHECK_EQ(mmk_unuse_mm(mm), 0);
	CHECK_EQ(RSS(mm, MM_SWAPENTS), 0);
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 4);
	CHECK_EQ(swapinfo().used, 12);
	live0 = mmlist_nr;
	/* moving on puts the last user: the address space goes */
	struct mm_struct *next = unuse_walk_next(&w);
	CHECK(next && next != mm);
	CHECK_EQ(mmlist_nr, live0 - 1);
	unuse_walk_end(&w);
	CHECK_EQ(swapinfo().used, 12);

	/* the whole swapoff, an owner exiting from the hook mid-walk */
	for (int i = 0; i < 4; i++)
		if (t[i] && !victim)
			victim = t[i], t[i] = NULL;
	mmk_hooks.unuse_mm = exit_victim_hook;
	CHECK_EQ(mmk_swapoff(), 0);
	CHECK_EQ(visited, 3);
	CHECK(victim == NULL);
	CHECK_EQ(swapinfo().on, 0);
	for (int i = 0; i < 4; i++)
		if (t[i]) {
			CHECK_EQ(RSS(t[i]->mm, MM_SWAPENTS), 0);
			verify(t[i]->mm, 0, 4, i);
		}
	mmk_hooks.unuse_mm = NULL;
	finish(NULL);
}

TEST(swapoff_enomem_with_tiny_ram)
{
	CHECK_EQ(mmk_mem_init(PG(96)), 0);
	struct mm_struct *mm = setup(256);
	unsigned long filled = 0;

	CHECK_EQ(sys_mmap(mm, AT(0), PG(40), RW, ANON | MAP_FIXED, NULL, 0), (long)AT(0));
	CHECK_EQ(sys_mmap(mm, AT(64), PG(200), RW, ANON | MAP_FIXED, NULL, 0), (long)AT(64));
	fill(mm, 0, 40, 1);
	CHECK_EQ(mmk_swapout_mm(mm), 40);
	/* fill RAM with other pages until it is full */
	while (filled < 200 && mmk_fault(mm, AT(64 + filled), true) == 0)
		filled++;
	CHECK(filled < 200);
	CHECK_EQ(mmk_fault(mm, AT(64 + filled), true), -ENOMEM);
	/* swap-in on fault fails cleanly too */
	unsigned char c;
	CHECK_EQ(mmk_copy_from_user(mm, &c, AT(0), 1), -EFAULT);
	long swp = RSS(mm, MM_SWAPENTS);
	CHECK_EQ(swp, 40);

	CHECK_EQ(mmk_swapoff(), -ENOMEM);
	/* consistent: the area is on and usable, each PTE a page or an entry */
	struct mmk_swapinfo si = swapinfo();
	CHECK(si.on);
	CHECK_EQ(si.used, RSS(mm, MM_SWAPENTS));
	check_consistent(mm, 0, 264);
	CHECK_EQ(RSS(mm, MM_ANONPAGES) + RSS(mm, MM_SWAPENTS), 40 + (long)filled);
	CHECK_EQ(mmk_check_all(NULL), 0);
	/* it stays usable: swap out some of the filler, then read everything */
	CHECK(mmk_swapout_mm(mm) > 0);
	CHECK_EQ(sys_munmap(mm, AT(64), PG(200)), 0);
	verify(mm, 0, 40, 1);
	CHECK_EQ(mmk_swapout_mm(mm), 40);
	CHECK_EQ(mmk_swapoff(), 0);
	verify(mm, 0, 40, 1);
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 40);
	finish(mm);
}

/* ---- allocation failures in turn --------------------------------------------------- */

TEST(swapout_failing_in_turn)
{
	struct mm_struct *mm = setup(64);
	int fired = 0;

	CHECK_EQ(sys_mmap(mm, AT(0), PG(12), RW, ANON | MAP_FIXED, NULL, 0), (long)AT(0));
	fill(mm, 0, 12, 4);
	for (long n = 0;; n++) {
		fail_after(n);
		long r = mmk_swapout_mm(mm);
		bool injected = fail_injected();
		fail_after(-1);
		check_consistent(mm, 0, 12);
		CHECK_EQ(swapinfo().used, RSS(mm, MM_SWAPENTS));
		if (!injected) {
			CHECK(r >= 0);
			break;
		}
		fired++;
		CHECK(r == -ENOMEM || r >= 0);
		/* bring everything back for the next round */
		verify(mm, 0, 12, 4);
		CHECK_EQ(swapinfo().used, 0);
	}
	CHECK(fired > 0);
	CHECK_EQ(RSS(mm, MM_SWAPENTS), 12);
	verify(mm, 0, 12, 4);
	finish(mm);
}

TEST(swapin_failing_in_turn)
{
	struct mm_struct *mm = setup(64);
	static unsigned char buf[PG(6)];
	int fired = 0;

	CHECK_EQ(sys_mmap(mm, AT(0), PG(6), RW, ANON | MAP_FIXED, NULL, 0), (long)AT(0));
	fill(mm, 0, 6, 5);
	for (long n = 0;; n++) {
		CHECK(mmk_swapout_mm(mm) >= 0);
		CHECK_EQ(RSS(mm, MM_SWAPENTS), 6);
		fail_after(n);
		long r = mmk_copy_from_user(mm, buf, AT(0), PG(6));
		bool injected = fail_injected();
		fail_after(-1);
		check_consistent(mm, 0, 6);
		CHECK_EQ(swapinfo().used, RSS(mm, MM_SWAPENTS));
		if (!injected) {
			CHECK_EQ(r, 0);
			break;
		}
		fired++;
		verify(mm, 0, 6, 5);
	}
	CHECK(fired > 0);
	for (unsigned long i = 0; i < PG(6); i++)
		CHECK_EQ(buf[i], pat(i / PAGE_SIZE, i % PAGE_SIZE, 5));
	/* swapoff with failures in turn: -ENOMEM, then success; never a leak */
	CHECK(mmk_swapout_mm(mm) > 0);
	for (long n = 0;; n++) {
		fail_after(n);
		int r = mmk_swapoff();
		bool injected = fail_injected();
		fail_after(-1);
		if (!r)
			break;
		CHECK(injected);
		CHECK_EQ(r, -ENOMEM);
		check_consistent(mm, 0, 6);
		CHECK_EQ(swapinfo().used, RSS(mm, MM_SWAPENTS));
	}
	verify(mm, 0, 6, 5);
	finish(mm);
}

/* ---- reclaim under pressure ------------------------------------------------------- */

TEST(reclaim_second_chance_and_cursor)
{
	struct mm_struct *mm = setup(64);

	CHECK_EQ(mmk_swap_reclaim(4), 0 * 0); /* nothing there yet */
	CHECK_EQ(sys_mmap(mm, AT(0), PG(16), RW, ANON | MAP_FIXED, NULL, 0), (long)AT(0));
	fill(mm, 0, 16, 6);
	/* every PTE is young: the first round ages, the second takes */
	CHECK_EQ(mmk_swap_reclaim(4), 4);
	CHECK_EQ(RSS(mm, MM_SWAPENTS), 4);
	CHECK_EQ(mm->swap_address, AT(4));
	CHECK(is_swap_pte(mmk_read_pte(mm, AT(0))) && is_swap_pte(mmk_read_pte(mm, AT(3))));
	/* the next call resumes at the cursor; those PTEs are old already */
	CHECK_EQ(mmk_swap_reclaim(4), 4);
	CHECK(is_swap_pte(mmk_read_pte(mm, AT(4))) && is_swap_pte(mmk_read_pte(mm, AT(7))));
	/* touch page 8: it gets a second chance */
	verify(mm, 8, 1, 6);
	CHECK_EQ(mmk_swap_reclaim(1), 1);
	CHECK(!is_swap_pte(mmk_read_pte(mm, AT(8))));
	CHECK(is_swap_pte(mmk_read_pte(mm, AT(9))));
	CHECK_EQ(swapinfo().reclaimed, 9);
	verify(mm, 0, 16, 6);
	finish(mm);
}

static long swapped(struct mm_struct *mm) { return RSS(mm, MM_SWAPENTS); }

TEST(reclaim_goes_round_the_list)
{
	struct mm_struct *a = setup(64), *b = new_mm();

	CHECK_EQ(sys_mmap(a, AT(0), PG(8), RW, ANON | MAP_FIXED, NULL, 0), (long)AT(0));
	CHECK_EQ(sys_mmap(b, AT(0), PG(8), RW, ANON | MAP_FIXED, NULL, 0), (long)AT(0));
	fill(a, 0, 8, 1);
	fill(b, 0, 8, 2);
	/* the first call ages both and takes 4 from the mm it meets first */
	CHECK_EQ(mmk_swap_reclaim(4), 4);
	struct mm_struct *first = swapped(a) ? a : b, *second = first == a ? b : a;
	CHECK_EQ(swapped(first), 4);
	CHECK_EQ(swapped(second), 0);
	/* it goes on where it stopped */
	CHECK_EQ(mmk_swap_reclaim(4), 4);
	CHECK_EQ(swapped(first), 8);
	/* that mm is done: the next one */
	CHECK_EQ(mmk_swap_reclaim(2), 2);
	CHECK_EQ(swapped(second), 2);
	CHECK_EQ(first->swap_address, 0);
	/* an mm whose mmap_sem is taken (maybe by the allocating thread) is passed over */
	down_read(&second->mmap_sem);
	CHECK_EQ(mmk_swap_reclaim(2), 0);
	up_read(&second->mmap_sem);
	CHECK_EQ(mmk_swap_reclaim(6), 6);
	CHECK_EQ(swapped(second), 8);
	CHECK_EQ(mmk_swap_reclaim(1), 0);
	verify(a, 0, 8, 1);
	verify(b, 0, 8, 2);
	mmput(b);
	finish(a);
}

/* ---- concurrency (TSan) ------------------------------------------------------------- */

struct worker {
	struct mm_struct *mm;
	int salt;
	MMK_ATOMIC(int) *stop;
};

static void *worker_fn(void *arg)
{
	struct worker *w = arg;

	while (!atomic_load(w->stop)) {
		verify(w->mm, 0, 4, w->salt);
		fill(w->mm, 0, 2, w->salt);
	}
	return NULL;
}

TEST(concurrent_faults_and_swapout)
{
	struct mm_struct *mm = setup(256);
	struct mm_struct *other = new_mm();
	MMK_ATOMIC(int) stop = 0;
	pthread_t th[2];
	struct worker w[2] = { { mm, 1, &stop }, { other, 2, &stop } };

	for (int i = 0; i < 2; i++) {
		CHECK_EQ(sys_mmap(w[i].mm, AT(0), PG(4), RW, ANON | MAP_FIXED, NULL, 0), (long)AT(0));
		fill(w[i].mm, 0, 4, w[i].salt);
	}
	struct mm_struct *child = dup_mm(NULL, mm);
	CHECK(child);
	for (int i = 0; i < 2; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, worker_fn, &w[i]), 0);
	for (int i = 0; i < 200; i++) {
		CHECK(mmk_swapout_all() >= 0);
		mmk_swap_reclaim(2);
		verify(child, 0, 4, 1);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(mmk_swap_check(), 0);
	CHECK_EQ(mmk_swapoff(), 0);
	verify(mm, 0, 4, 1);
	verify(other, 0, 4, 2);
	verify(child, 0, 4, 1);
	mmput(child);
	mmput(other);
	finish(mm);
}

#define TESTS(X)                               \
	X(roundtrip_keeps_every_byte)          \
	X(munmap_and_exit_free_slots)          \
	X(zero_page_pinned_locked_and_lazyfree) \
	X(cow_across_swap)                     \
	X(fork_copies_swap_entries)            \
	X(modern_mmlist_rule)                  \
	X(swapoff_brings_everything_back)      \
	X(swapoff_while_owners_exit)           \
	X(swapoff_enomem_with_tiny_ram)        \
	X(swapout_failing_in_turn)             \
	X(swapin_failing_in_turn)              \
	X(reclaim_second_chance_and_cursor)    \
	X(reclaim_goes_round_the_list)         \
	X(concurrent_faults_and_swapout)
TEST_MAIN("swap", TESTS)
