/* SPDX-License-Identifier: MIT */
/*
 * tests/test_cow.c - copy-on-write across fork: each side sees only its own
 * writes; a page stays shared until written; reference and map counts at
 * each step; RSS across fork, exit and MADV_DONTNEED; VM_WIPEONFORK and
 * VM_DONTCOPY; reuse of a page mapped once.
 */
#include <mmkit/mmkit.h>
#include <mmkit/page.h>
#include "harness.h"
#include "internal.h"
#include "vma.h"

#define PG(n) ((unsigned long)(n) * PAGE_SIZE)
#define BASE 0x100000000UL
#define AT(n) (BASE + PG(n))
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW (PROT_READ | PROT_WRITE)
#define RSS(mm, t) atomic_long_read(&(mm)->rss_stat[t])

static struct mm_struct *setup(void)
{
	struct mm_struct *mm;

	CHECK_EQ(mmk_boot(2), 0);
	mm = mm_alloc();
	CHECK(mm != NULL);
	arch_pick_mmap_layout(mm);
	return mm;
}

static void finish(struct mm_struct *mm)
{
	if (mm)
		mmput(mm);
	CHECK_EQ(mmk_shutdown(), 0); /* frees simulated RAM too: every frame must be free */
	CHECK_EQ(atomic_load(&mmk_warnings), 0);
}

static char rd(struct mm_struct *mm, unsigned long addr)
{
	char c = 0x55;

	CHECK_EQ(mmk_copy_from_user(mm, &c, addr, 1), 0);
	return c;
}

static void wr(struct mm_struct *mm, unsigned long addr, char c)
{
	CHECK_EQ(mmk_copy_to_user(mm, addr, &c, 1), 0);
}

static struct page *pg(struct mm_struct *mm, unsigned long addr)
{
	struct page *p = mmk_follow_page(mm, addr);

	CHECK(p != NULL);
	return p;
}

static struct mm_struct *fork_mm(struct mm_struct *mm)
{
	struct mm_struct *child = dup_mm(NULL, mm);

	CHECK(child != NULL);
	return child;
}

TEST(each_side_sees_its_own_writes)
{
	struct mm_struct *mm = setup();

	CHECK_EQ(sys_mmap(mm, AT(0), PG(1), RW, ANON | MAP_FIXED, NULL, 0), (long)AT(0));
	wr(mm, AT(0), 'p');
	struct page *old = pg(mm, AT(0));
	CHECK_EQ(page_count(old), 1);
	CHECK_EQ(page_mapcount(old), 1);

	struct mm_struct *child = fork_mm(mm);
	/* shared, write-protected on both sides */
	CHECK(pg(child, AT(0)) == old);
	CHECK_EQ(page_count(old), 2);
	CHECK_EQ(page_mapcount(old), 2);
	CHECK(!pte_write(mmk_read_pte(mm, AT(0))));
	CHECK(!pte_write(mmk_read_pte(child, AT(0))));
	CHECK_EQ(RSS(child, MM_ANONPAGES), 1);
	CHECK_EQ(child->hiwater_rss, 1);
	CHECK_EQ(mmk_mem_used(), 1);

	wr(child, AT(0), 'c');
	struct page *cp = pg(child, AT(0));
	CHECK(cp != old);
	CHECK_EQ(rd(child, AT(0)), 'c');
	CHECK_EQ(rd(mm, AT(0)), 'p');
	CHECK_EQ(page_count(old), 1);
	CHECK_EQ(page_mapcount(old), 1);
	CHECK_EQ(page_count(cp), 1);
	CHECK_EQ(RSS(child, MM_ANONPAGES), 1); /* COW of anonymous memory: no change */
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 1);
	CHECK_EQ(mmk_mem_used(), 2);

	/* the parent's page is now mapped once: its write reuses it */
	wr(mm, AT(0), 'P');
	CHECK(pg(mm, AT(0)) == old);
	CHECK_EQ(mmk_mem_used(), 2);
	CHECK_EQ(rd(child, AT(0)), 'c');
	mmput(child);
	CHECK_EQ(mmk_mem_used(), 1);
	finish(mm);
}

TEST(shared_until_written)
{
	struct mm_struct *mm = setup();

	CHECK_EQ(sys_mmap(mm, AT(0), PG(4), RW, ANON | MAP_FIXED, NULL, 0), (long)AT(0));
	for (int i = 0; i < 4; i++)
		wr(mm, AT(i), (char)('0' + i));
	struct mm_struct *child = fork_mm(mm);
	wr(child, AT(0), 'x');
	CHECK(pg(child, AT(0)) != pg(mm, AT(0)));
	for (int i = 1; i < 4; i++) {
		CHECK(pg(child, AT(i)) == pg(mm, AT(i)));
		CHECK_EQ(page_mapcount(pg(mm, AT(i))), 2);
		CHECK_EQ(rd(child, AT(i)), (char)('0' + i));
	}
	/* reading does not break the sharing */
	CHECK(pg(child, AT(1)) == pg(mm, AT(1)));
	CHECK_EQ(mmk_mem_used(), 5);
	/* a grandchild shares with both */
	struct mm_struct *gc = fork_mm(child);
	CHECK_EQ(page_mapcount(pg(mm, AT(2))), 3);
	CHECK_EQ(page_mapcount(pg(child, AT(0))), 2);
	wr(gc, AT(2), 'g');
	CHECK_EQ(page_mapcount(pg(mm, AT(2))), 2);
	CHECK_EQ(rd(mm, AT(2)), '2');
	CHECK_EQ(rd(child, AT(2)), '2');
	CHECK_EQ(rd(gc, AT(2)), 'g');
	mmput(gc);
	mmput(child);
	CHECK_EQ(page_mapcount(pg(mm, AT(2))), 1);
	CHECK_EQ(mmk_mem_used(), 4);
	finish(mm);
}

TEST(rss_across_fork_exit_dontneed)
{
	struct mm_struct *mm = setup();

	CHECK_EQ(sys_mmap(mm, AT(0), PG(10), RW, ANON | MAP_FIXED, NULL, 0), (long)AT(0));
	CHECK_EQ(sys_mmap(mm, AT(20), PG(4), RW, ANON | MAP_FIXED, NULL, 0), (long)AT(20));
	for (int i = 0; i < 10; i++)
		wr(mm, AT(i), 1);
	rd(mm, AT(20)); /* zero page only: no anon_vma, nothing to copy */
	struct mm_struct *child = fork_mm(mm);
	CHECK_EQ(RSS(child, MM_ANONPAGES), 10);
	CHECK_EQ(child->rss, 10);
	CHECK(!pte_present(mmk_read_pte(child, AT(20))));
	CHECK_EQ(sys_madvise(child, AT(0), PG(5), MADV_DONTNEED), 0);
	CHECK_EQ(RSS(child, MM_ANONPAGES), 5);
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 10);
	CHECK_EQ(page_mapcount(pg(mm, AT(0))), 1);
	CHECK_EQ(page_mapcount(pg(mm, AT(7))), 2);
	CHECK_EQ(child->hiwater_rss, 10);
	mmput(child);
	for (int i = 0; i < 10; i++) {
		CHECK_EQ(page_mapcount(pg(mm, AT(i))), 1);
		CHECK_EQ(page_count(pg(mm, AT(i))), 1);
	}
	CHECK_EQ(mmk_mem_used(), 10);
	/* after the child exits every write is a reuse */
	for (int i = 0; i < 10; i++) {
		struct page *p = pg(mm, AT(i));
		wr(mm, AT(i), 2);
		CHECK(pg(mm, AT(i)) == p);
	}
	CHECK_EQ(mmk_mem_used(), 10);
	finish(mm);
}

TEST(wipeonfork_and_dontfork)
{
	struct mm_struct *mm = setup();

	CHECK_EQ(sys_mmap(mm, AT(0), PG(2), RW, ANON | MAP_FIXED, NULL, 0), (long)AT(0));
	CHECK_EQ(sys_mmap(mm, AT(4), PG(2), RW, ANON | MAP_FIXED, NULL, 0), (long)AT(4));
	wr(mm, AT(0), 'w');
	wr(mm, AT(4), 'd');
	CHECK_EQ(sys_madvise(mm, AT(0), PG(2), MADV_WIPEONFORK), 0);
	CHECK_EQ(sys_madvise(mm, AT(4), PG(2), MADV_DONTFORK), 0);
	struct mm_struct *child = fork_mm(mm);
	CHECK_EQ(RSS(child, MM_ANONPAGES), 0);
	CHECK_EQ(rd(child, AT(0)), 0); /* wiped: fresh zero memory */
	CHECK(find_vma(child, AT(4)) == NULL || find_vma(child, AT(4))->vm_start > AT(5));
	CHECK_EQ(mmk_fault(child, AT(4), false), -EFAULT);
	CHECK_EQ(rd(mm, AT(0)), 'w');
	CHECK_EQ(page_mapcount(pg(mm, AT(0))), 1);
	CHECK(pte_write(mmk_read_pte(mm, AT(0)))); /* not write-protected: not shared */
	mmput(child);
	finish(mm);
}

TEST(file_pages_across_fork)
{
	char path[] = "/tmp/mmk_cow_XXXXXX";
	int fd = mkstemp(path);
	char buf[8192];

	CHECK(fd >= 0);
	memset(buf, 'F', sizeof(buf));
	CHECK_EQ(write(fd, buf, sizeof(buf)), (long)sizeof(buf));
	close(fd);
	struct mm_struct *mm = setup();
	struct file *f = mmk_file_open(path, FMODE_READ);
	CHECK_EQ(sys_mmap(mm, AT(0), PG(2), RW, MAP_PRIVATE | MAP_FIXED, f, 0), (long)AT(0));
	fput(f);
	rd(mm, AT(0));
	wr(mm, AT(1), 'a'); /* gives the VMA an anon_vma: the PTEs are copied at fork */
	CHECK_EQ(RSS(mm, MM_FILEPAGES), 1);
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 1);
	struct mm_struct *child = fork_mm(mm);
	CHECK_EQ(RSS(child, MM_FILEPAGES), 1);
	CHECK_EQ(RSS(child, MM_ANONPAGES), 1);
	struct page *fp = pg(mm, AT(0));
	CHECK_EQ(page_mapcount(fp), 2);
	CHECK_EQ(page_count(fp), 3); /* cache + two mappings */
	wr(child, AT(0), 'c');
	CHECK_EQ(RSS(child, MM_FILEPAGES), 0);
	CHECK_EQ(RSS(child, MM_ANONPAGES), 2);
	CHECK_EQ(rd(mm, AT(0)), 'F');
	CHECK_EQ(rd(child, AT(1)), 'a');
	CHECK_EQ(page_mapcount(fp), 1);
	mmput(child);
	unlink(path);
	finish(mm);
}

TEST(cow_of_zero_page_and_exclusive_reuse)
{
	struct mm_struct *mm = setup();

	CHECK_EQ(sys_mmap(mm, AT(0), PG(1), RW, ANON | MAP_FIXED, NULL, 0), (long)AT(0));
	CHECK_EQ(rd(mm, AT(0)), 0);
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 0);
	wr(mm, AT(0), 'z'); /* wp_page_copy from the zero page */
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 1);
	CHECK(!PageZero(pg(mm, AT(0))));
	CHECK(PageFlag(pg(mm, AT(0)), PG_anon_exclusive));
	/* fork, the child goes away: the page is no longer exclusive but
	 * referenced once, so the write reuses it */
	struct mm_struct *child = fork_mm(mm);
	CHECK(!PageFlag(pg(mm, AT(0)), PG_anon_exclusive));
	mmput(child);
	struct page *p = pg(mm, AT(0));
	wr(mm, AT(0), 'Z');
	CHECK(pg(mm, AT(0)) == p);
	CHECK(PageFlag(p, PG_anon_exclusive));
	/* a pin (get_user_pages) keeps a shared page from being reused */
	child = fork_mm(mm);
	mmput(child);
	struct page *pin;
	CHECK_EQ(mmk_get_user_pages(mm, AT(0), 1, false, &pin), 1);
	wr(mm, AT(0), 'q');
	CHECK(pg(mm, AT(0)) != pin);
	mmk_put_page(pin);
	CHECK_EQ(mmk_mem_used(), 1);
	finish(mm);
}

TEST(mprotect_keeps_cow_read_only)
{
	struct mm_struct *mm = setup();

	CHECK_EQ(sys_mmap(mm, AT(0), PG(2), RW, ANON | MAP_FIXED, NULL, 0), (long)AT(0));
	wr(mm, AT(0), 1);
	wr(mm, AT(1), 1);
	struct mm_struct *child = fork_mm(mm);
	CHECK_EQ(sys_mprotect(mm, AT(0), PG(2), PROT_READ), 0);
	CHECK_EQ(sys_mprotect(mm, AT(0), PG(2), RW), 0);
	/* still shared with the child: must stay write-protected */
	CHECK(!pte_write(mmk_read_pte(mm, AT(0))));
	wr(mm, AT(0), 2);
	CHECK_EQ(rd(child, AT(0)), 1);
	CHECK_EQ(rd(mm, AT(0)), 2);
	mmput(child);
	finish(mm);
}

TEST(fork_under_fault_injection)
{
	for (long n = 0; n < 100; n++) {
		struct mm_struct *mm = setup();
		CHECK_EQ(sys_mmap(mm, AT(0), PG(600), RW, ANON | MAP_FIXED, NULL, 0), (long)AT(0));
		for (int i = 0; i < 600; i += 7)
			wr(mm, AT(i), (char)i);
		fail_after(n);
		struct mm_struct *child = dup_mm(NULL, mm);
		bool fired = fail_injected();
		fail_after(-1);
		if (child) {
			CHECK_EQ(RSS(child, MM_ANONPAGES), RSS(mm, MM_ANONPAGES));
			mmput(child);
		}
		CHECK_EQ(mmk_mem_used(), (unsigned long)RSS(mm, MM_ANONPAGES));
		for (int i = 0; i < 600; i += 7)
			CHECK_EQ(rd(mm, AT(i)), (char)i);
		finish(mm);
		if (!fired)
			break;
	}
}

#define TESTS(X) X(each_side_sees_its_own_writes) X(shared_until_written) \
	X(rss_across_fork_exit_dontneed) X(wipeonfork_and_dontfork) X(file_pages_across_fork) \
	X(cow_of_zero_page_and_exclusive_reuse) X(mprotect_keeps_cow_read_only) X(fork_under_fault_injection)
TEST_MAIN("cow", TESTS)
