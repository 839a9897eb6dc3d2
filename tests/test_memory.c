/* SPDX-License-Identifier: MIT */
/*
 * tests/test_memory.c - the page layer: frames, page tables, faults and the
 * RSS counters (zero page, anonymous write, file read, private COW of a
 * file, shmem, permissions, stack growth, munmap/DONTNEED freeing,
 * mprotect, mremap, populate, out of memory, fault injection, the access
 * API and get_user_pages).
 */
#include <mmkit/mmkit.h>
#include <mmkit/page.h>
#include "harness.h"
#include "internal.h"
#include "vma.h"
#include <fcntl.h>
#include <sys/stat.h>

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
	if (mm) {
		CHECK_EQ(validate_mm(mm), 0);
		mmput(mm);
	}
	CHECK_EQ(mmk_shutdown(), 0); /* frees simulated RAM too: every frame must be free */
	CHECK_EQ(atomic_load(&mmk_warnings), 0);
}

static void map_fixed(struct mm_struct *mm, unsigned long addr, unsigned long len, unsigned long prot,
		      unsigned long flags, struct file *f, unsigned long off)
{
	CHECK_EQ(sys_mmap(mm, addr, len, prot, flags | MAP_FIXED, f, off), (long)addr);
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

/* a temporary file of @len bytes: byte i is (i * 7 + i / 4096) & 0xff */
static char tmpl[64];
static const char *make_file(size_t len)
{
	int fd;
	char *buf = malloc(len);

	snprintf(tmpl, sizeof(tmpl), "/tmp/mmk_mem_XXXXXX");
	fd = mkstemp(tmpl);
	CHECK(fd >= 0);
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)((i * 7 + i / 4096) & 0xff);
	CHECK_EQ(write(fd, buf, len), (long)len);
	close(fd);
	free(buf);
	return tmpl;
}
static char file_byte(size_t i) { return (char)((i * 7 + i / 4096) & 0xff); }

/* present PTEs in [a, b) that map real frames (not the zero page) */
static long count_mapped(struct mm_struct *mm, unsigned long a, unsigned long b)
{
	long n = 0;

	for (unsigned long x = a; x < b; x += PAGE_SIZE) {
		pte_t e = mmk_read_pte(mm, x);
		if (pte_present(e) && pte_pfn(e) != mmk_zero_pfn())
			n++;
	}
	return n;
}

TEST(zero_page_read)
{
	struct mm_struct *mm = setup();
	unsigned long used0 = mmk_mem_used();

	map_fixed(mm, AT(0), PG(4), RW, ANON, NULL, 0);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(rd(mm, AT(i) + 17), 0);
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 0);
	CHECK_EQ(mm->rss, 0);
	pte_t e = mmk_read_pte(mm, AT(1));
	CHECK(pte_present(e));
	CHECK(!pte_write(e));
	CHECK_EQ(pte_pfn(e), mmk_zero_pfn());
	CHECK_EQ(page_mapcount(mmk_zero_page()), 0);
	CHECK_EQ(mmk_mem_used(), used0);
	/* tables: PUD, PMD and PTE (the PGD is not counted) */
	CHECK_EQ(atomic_long_read(&mm->pgtables_bytes), 3 * 4096);
	/* a read-only VMA can't have been given an anon_vma */
	CHECK(find_vma(mm, AT(0))->anon_vma == NULL);
	finish(mm);
}

TEST(anon_write_and_free)
{
	struct mm_struct *mm = setup();
	unsigned long used0 = mmk_mem_used();

	map_fixed(mm, AT(0), PG(64), RW, ANON, NULL, 0);
	for (int i = 0; i < 64; i++)
		wr(mm, AT(i) + i, (char)(i + 1));
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 64);
	CHECK_EQ(mm->rss, 64);
	CHECK_EQ(mmk_mem_used(), used0 + 64);
	for (int i = 0; i < 64; i++)
		CHECK_EQ(rd(mm, AT(i) + i), (char)(i + 1));
	pte_t e = mmk_read_pte(mm, AT(3));
	CHECK(pte_write(e) && pte_dirty(e) && pte_young(e) && (e & _PAGE_NX) && (e & _PAGE_USER));
	struct page *p = mmk_follow_page(mm, AT(3));
	CHECK(PageAnon(p));
	CHECK_EQ(page_count(p), 1);
	CHECK_EQ(page_mapcount(p), 1);
	CHECK(find_vma(mm, AT(0))->anon_vma != NULL);
	/* DONTNEED half: those frames go back, reading them gives zeroes */
	CHECK_EQ(sys_madvise(mm, AT(0), PG(32), MADV_DONTNEED), 0);
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 32);
	CHECK_EQ(mmk_mem_used(), used0 + 32);
	CHECK_EQ(rd(mm, AT(5) + 5), 0);
	CHECK_EQ(rd(mm, AT(40) + 40), 41);
	/* the high-water mark saw 64 before the drop */
	CHECK_EQ(mm->hiwater_rss, 64);
	/* munmap frees the rest and the page tables */
	CHECK_EQ(sys_munmap(mm, AT(0), PG(64)), 0);
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 0);
	CHECK_EQ(mm->rss, 0);
	CHECK_EQ(mmk_mem_used(), used0);
	CHECK_EQ(atomic_long_read(&mm->pgtables_bytes), 0);
	finish(mm);
}

TEST(pgtables_shared_with_neighbour)
{
	struct mm_struct *mm = setup();

	map_fixed(mm, AT(0), PG(2), RW, ANON, NULL, 0);
	map_fixed(mm, AT(4), PG(2), RW, ANON, NULL, 0);
	wr(mm, AT(0), 1);
	wr(mm, AT(4), 1);
	CHECK_EQ(atomic_long_read(&mm->pgtables_bytes), 3 * 4096);
	/* the PTE table still serves the other VMA: it stays */
	CHECK_EQ(sys_munmap(mm, AT(0), PG(2)), 0);
	CHECK_EQ(atomic_long_read(&mm->pgtables_bytes), 3 * 4096);
	CHECK_EQ(rd(mm, AT(4)), 1);
	CHECK_EQ(sys_munmap(mm, AT(4), PG(2)), 0);
	CHECK_EQ(atomic_long_read(&mm->pgtables_bytes), 0);
	/* far apart: a second PMD-level subtree */
	map_fixed(mm, AT(0), PG(1), RW, ANON, NULL, 0);
	map_fixed(mm, BASE + (1UL << 30), PG(1), RW, ANON, NULL, 0);
	wr(mm, AT(0), 1);
	wr(mm, BASE + (1UL << 30), 1);
	CHECK_EQ(atomic_long_read(&mm->pgtables_bytes), 5 * 4096); /* 1 PUD, 2 PMD, 2 PTE */
	finish(mm);
}

TEST(file_read_real_bytes)
{
	size_t len = 3 * 4096 + 1000;
	const char *path = make_file(len);
	struct mm_struct *mm = setup();
	struct file *f = mmk_file_open(path, FMODE_READ);

	CHECK(!IS_ERR(f));
	map_fixed(mm, AT(0), PG(8), PROT_READ, MAP_PRIVATE, f, 0);
	fput(f);
	CHECK_EQ(rd(mm, AT(0)), file_byte(0));
	/* fault-around mapped the whole file (4 pages, the window clipped at EOF) */
	CHECK_EQ(RSS(mm, MM_FILEPAGES), 4);
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 0);
	char buf[4096 * 3 + 1000];
	CHECK_EQ(mmk_copy_from_user(mm, buf, AT(0), len), 0);
	for (size_t i = 0; i < len; i++)
		if (buf[i] != file_byte(i)) {
			fprintf(stderr, "byte %zu differs\n", i);
			CHECK(0);
		}
	/* the rest of the last page is zero; beyond it is SIGBUS (-EFAULT) */
	CHECK_EQ(rd(mm, AT(3) + 2000), 0);
	CHECK_EQ(mmk_fault(mm, AT(4), false), -EFAULT);
	struct page *p = mmk_follow_page(mm, AT(1));
	CHECK(!PageAnon(p));
	CHECK_EQ(page_mapcount(p), 1);
	CHECK_EQ(page_count(p), 2); /* the cache and the mapping */
	/* a second mm shares the page-cache page */
	struct mm_struct *mm2 = mm_alloc();
	f = mmk_file_open(path, FMODE_READ);
	map_fixed(mm2, AT(0), PG(4), PROT_READ, MAP_SHARED, f, 0);
	fput(f);
	CHECK_EQ(rd(mm2, AT(1) + 5), file_byte(4096 + 5));
	CHECK(mmk_follow_page(mm2, AT(1)) == p);
	CHECK_EQ(page_mapcount(p), 2);
	mmput(mm2);
	CHECK_EQ(page_mapcount(p), 1);
	unlink(path);
	finish(mm);
}

TEST(private_file_cow)
{
	size_t len = 2 * 4096;
	const char *path = make_file(len);
	struct mm_struct *mm = setup();
	struct file *f = mmk_file_open(path, FMODE_READ);

	map_fixed(mm, AT(0), PG(2), RW, MAP_PRIVATE, f, 0);
	fput(f);
	CHECK_EQ(rd(mm, AT(0) + 1), file_byte(1));
	CHECK_EQ(RSS(mm, MM_FILEPAGES), 2);
	/* write to a mapped file page: a private copy replaces it */
	wr(mm, AT(0) + 1, 'X');
	CHECK_EQ(RSS(mm, MM_FILEPAGES), 1);
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 1);
	CHECK_EQ(mm->rss, 2);
	CHECK_EQ(rd(mm, AT(0) + 1), 'X');
	CHECK_EQ(rd(mm, AT(0) + 2), file_byte(2));
	CHECK(PageAnon(mmk_follow_page(mm, AT(0))));
	/* the file and its page cache are untouched */
	int fd = open(path, O_RDONLY);
	char c;
	CHECK_EQ(pread(fd, &c, 1, 1), 1);
	close(fd);
	CHECK_EQ(c, file_byte(1));
	struct mm_struct *mm2 = mm_alloc();
	f = mmk_file_open(path, FMODE_READ);
	map_fixed(mm2, AT(0), PG(2), PROT_READ, MAP_PRIVATE, f, 0);
	fput(f);
	CHECK_EQ(rd(mm2, AT(0) + 1), file_byte(1));
	mmput(mm2);
	/* a write fault on a page never read: do_cow_fault, no file count */
	CHECK_EQ(sys_madvise(mm, AT(0), PG(2), MADV_DONTNEED), 0);
	CHECK_EQ(mm->rss, 0);
	wr(mm, AT(1) + 3, 'Y');
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 1);
	CHECK_EQ(RSS(mm, MM_FILEPAGES), 0);
	CHECK_EQ(rd(mm, AT(1) + 4), file_byte(4096 + 4));
	unlink(path);
	finish(mm);
}

TEST(shmem_shared_anonymous)
{
	struct mm_struct *mm = setup();
	unsigned long used0 = mmk_mem_used();
	struct mmk_meminfo mi;

	map_fixed(mm, AT(0), PG(4), RW, MAP_SHARED | MAP_ANONYMOUS, NULL, 0);
	CHECK_EQ(rd(mm, AT(2)), 0);
	CHECK_EQ(RSS(mm, MM_SHMEMPAGES), 1); /* shmem allocates even for a read */
	wr(mm, AT(0), 'S');
	CHECK_EQ(RSS(mm, MM_SHMEMPAGES), 2);
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 0);
	/* a child sees the same memory, and writes go both ways */
	struct mm_struct *child = dup_mm(NULL, mm);
	CHECK(child != NULL);
	CHECK_EQ(RSS(child, MM_SHMEMPAGES), 0); /* no anon_vma: not copied at fork */
	CHECK_EQ(rd(child, AT(0)), 'S');
	wr(child, AT(3), 'C');
	CHECK_EQ(rd(mm, AT(3)), 'C');
	/* DONTNEED only unmaps: the data stays in the shmem file */
	CHECK_EQ(sys_madvise(mm, AT(0), PG(4), MADV_DONTNEED), 0);
	CHECK_EQ(RSS(mm, MM_SHMEMPAGES), 0);
	CHECK_EQ(rd(mm, AT(0)), 'S');
	mmput(child);
	mmk_mem_info(&mi);
	CHECK_EQ(mi.pagecache, 3);
	CHECK_EQ(sys_munmap(mm, AT(0), PG(4)), 0);
	mmk_mem_info(&mi);
	CHECK_EQ(mi.pagecache, 0); /* the last mapping went: the pages too */
	CHECK_EQ(mmk_mem_used(), used0);
	finish(mm);
}

TEST(permission_faults)
{
	struct mm_struct *mm = setup();
	char c = 1;

	map_fixed(mm, AT(0), PG(1), PROT_READ, ANON, NULL, 0);
	map_fixed(mm, AT(2), PG(1), PROT_NONE, ANON, NULL, 0);
	map_fixed(mm, AT(4), PG(1), RW, ANON, NULL, 0);
	CHECK_EQ(mmk_fault(mm, AT(0), true), -EFAULT);
	CHECK_EQ(mmk_copy_to_user(mm, AT(0), &c, 1), -EFAULT);
	CHECK_EQ(mmk_fault(mm, AT(0), false), 0);
	CHECK_EQ(mmk_fault(mm, AT(2), false), -EFAULT);
	CHECK_EQ(mmk_copy_from_user(mm, &c, AT(2), 1), -EFAULT);
	CHECK_EQ(mmk_fault(mm, AT(1), false), -EFAULT); /* nothing mapped */
	CHECK_EQ(mmk_fault(mm, 0, false), -EFAULT);
	/* a copy that runs into a hole copies what it can */
	char buf[2 * 4096];
	memset(buf, 'a', sizeof(buf));
	CHECK_EQ(mmk_copy_to_user_rem(mm, AT(5) - 100, buf, 200), 100);
	CHECK_EQ(rd(mm, AT(5) - 1), 'a');
	/* mprotect read-only: the PTE loses write, a write faults -EFAULT */
	wr(mm, AT(4), 'w');
	CHECK_EQ(sys_mprotect(mm, AT(4), PG(1), PROT_READ), 0);
	CHECK(!pte_write(mmk_read_pte(mm, AT(4))));
	CHECK_EQ(mmk_fault(mm, AT(4), true), -EFAULT);
	CHECK_EQ(rd(mm, AT(4)), 'w');
	/* back to writable: an exclusive anonymous page is writable at once */
	CHECK_EQ(sys_mprotect(mm, AT(4), PG(1), RW), 0);
	CHECK(pte_write(mmk_read_pte(mm, AT(4))));
	/* PROT_NONE keeps the page (and the count) but not the access */
	CHECK_EQ(sys_mprotect(mm, AT(4), PG(1), PROT_NONE), 0);
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 1);
	CHECK(!(mmk_read_pte(mm, AT(4)) & _PAGE_PRESENT));
	CHECK_EQ(mmk_copy_from_user(mm, &c, AT(4), 1), -EFAULT);
	/* the debugger still reads it (FOLL_FORCE) */
	CHECK_EQ(mmk_access_vm(mm, AT(4), &c, 1, false), 1);
	CHECK_EQ(c, 'w');
	finish(mm);
}

TEST(stack_growth_guard_gap)
{
	struct mm_struct *mm = setup();
	unsigned long top = 0x7f0000000000UL, gap = stack_guard_gap;
	struct vm_area_struct *vma;

	map_fixed(mm, top - PG(1), PG(1), RW, ANON | MAP_GROWSDOWN, NULL, 0);
	wr(mm, top - PG(3) + 8, 'g');
	vma = find_vma(mm, top - PG(1));
	CHECK_EQ(vma->vm_start, top - PG(3));
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 1);
	CHECK_EQ(mm->stack_vm, 3);
	/* a mapping below: growing within the guard gap of it fails */
	unsigned long below_end = top - PG(3) - gap - PG(2);
	map_fixed(mm, below_end - PG(1), PG(1), RW, ANON, NULL, 0);
	CHECK_EQ(mmk_fault(mm, below_end + gap - PG(1), true), -EFAULT);
	CHECK_EQ(mmk_fault(mm, below_end + gap, true), 0);
	CHECK_EQ(find_vma(mm, top - PG(1))->vm_start, below_end + gap);
	/* GUP does not grow stacks */
	CHECK_EQ(mmk_get_user_pages(mm, below_end + gap - PG(1), 1, false, NULL), -EFAULT);
	CHECK_EQ(validate_mm(mm), 0);
	finish(mm);
}

TEST(mremap_keeps_bytes)
{
	struct mm_struct *mm = setup();

	map_fixed(mm, AT(0), PG(8), RW, ANON, NULL, 0);
	for (int i = 0; i < 8; i++)
		wr(mm, AT(i) + 100, (char)('a' + i));
	long long bytes = atomic_long_read(&mm->pgtables_bytes);
	long r = sys_mremap(mm, AT(0), PG(8), PG(16), MREMAP_MAYMOVE | MREMAP_FIXED, AT(1024));
	CHECK_EQ(r, (long)AT(1024));
	for (int i = 0; i < 8; i++)
		CHECK_EQ(rd(mm, AT(1024 + i) + 100), (char)('a' + i));
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 8);
	CHECK_EQ(mmk_fault(mm, AT(0), false), -EFAULT);
	CHECK_EQ(rd(mm, AT(1024 + 12)), 0);
	CHECK_EQ(count_mapped(mm, AT(1024), AT(1040)), 8);
	CHECK(atomic_long_read(&mm->pgtables_bytes) >= bytes);
	/* shrink in place: the tail's pages go */
	CHECK_EQ(sys_mremap(mm, AT(1024), PG(16), PG(4), 0, 0), (long)AT(1024));
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 4);
	CHECK_EQ(mmk_mem_used(), 4);
	finish(mm);
}

TEST(populate_and_mlock)
{
	struct mm_struct *mm = setup();

	CHECK_EQ(sys_mmap(mm, AT(0), PG(8), RW, ANON | MAP_FIXED | MAP_POPULATE, NULL, 0), (long)AT(0));
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 8);
	/* a read-only private mapping is populated with the zero page */
	CHECK_EQ(sys_mmap(mm, AT(16), PG(8), PROT_READ, ANON | MAP_FIXED | MAP_POPULATE, NULL, 0), (long)AT(16));
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 8);
	CHECK(pte_present(mmk_read_pte(mm, AT(20))));
	map_fixed(mm, AT(32), PG(8), RW, ANON, NULL, 0);
	CHECK_EQ(sys_madvise(mm, AT(32), PG(4), MADV_POPULATE_READ), 0);
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 8);
	CHECK_EQ(sys_madvise(mm, AT(32), PG(4), MADV_POPULATE_WRITE), 0);
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 12);
	CHECK_EQ(sys_mlock(mm, AT(32), PG(8)), 0);
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 16);
	CHECK_EQ(sys_madvise(mm, AT(16), PG(1), MADV_POPULATE_WRITE), -EINVAL);
	finish(mm);
}

TEST(out_of_memory)
{
	CHECK_EQ(mmk_mem_init(64 * PAGE_SIZE), 0);
	struct mm_struct *mm = setup();
	struct mmk_meminfo mi;
	long ok = 0;
	int r = 0;

	map_fixed(mm, AT(0), PG(200), RW, ANON, NULL, 0);
	for (int i = 0; i < 200; i++) {
		r = mmk_fault(mm, AT(i), true);
		if (r)
			break;
		ok++;
	}
	CHECK_EQ(r, -ENOMEM);
	CHECK(ok > 40 && ok < 64);
	CHECK_EQ(RSS(mm, MM_ANONPAGES), ok);
	CHECK_EQ(count_mapped(mm, AT(0), AT(200)), ok);
	mmk_mem_info(&mi);
	CHECK_EQ(mi.free, 0);
	/* the user's copy reports it as a fault */
	char c = 1;
	CHECK_EQ(mmk_copy_to_user(mm, AT(199), &c, 1), -EFAULT);
	/* MAP_POPULATE past the end of memory is not an error */
	CHECK_EQ(sys_mmap(mm, AT(400), PG(8), RW, ANON | MAP_FIXED | MAP_POPULATE, NULL, 0), (long)AT(400));
	/* freeing makes room again */
	CHECK_EQ(sys_munmap(mm, AT(0), PG(200)), 0);
	CHECK_EQ(mmk_fault(mm, AT(400), true), 0);
	CHECK_EQ(sys_munmap(mm, AT(400), PG(8)), 0);
	CHECK_EQ(mmk_mem_used(), 0);
	/* a fork that runs out of memory leaves nothing behind */
	map_fixed(mm, AT(0), PG(30), RW, ANON, NULL, 0);
	for (int i = 0; i < 30; i++)
		CHECK_EQ(mmk_fault(mm, AT(i), true), 0);
	struct mm_struct *hog = mm_alloc();
	map_fixed(hog, AT(0), PG(64), RW, ANON, NULL, 0);
	for (int i = 0; i < 64 && !mmk_fault(hog, AT(i), true); i++)
		;
	CHECK(dup_mm(NULL, mm) == NULL);
	mmput(hog);
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 30);
	for (int i = 0; i < 30; i++)
		CHECK_EQ(mmk_fault(mm, AT(i), true), 0); /* still writable in place */
	CHECK_EQ(mmk_mem_used(), 30);
	finish(mm);
}

/* every allocation a fault makes fails in turn: counters and frames stay consistent */
static void fail_each(int kind)
{
	size_t len = 5 * 4096;
	const char *path = make_file(len);
	unsigned long n;

	for (n = 0; n < 200; n++) {
		struct mm_struct *mm = setup();
		struct file *f = mmk_file_open(path, FMODE_READ);
		int r;

		if (kind == 0)
			map_fixed(mm, AT(0), PG(4), RW, ANON, NULL, 0);
		else
			map_fixed(mm, AT(0), PG(4), RW, kind == 1 ? MAP_PRIVATE : MAP_SHARED | MAP_ANONYMOUS,
				  kind == 1 ? f : NULL, 0);
		fput(f);
		if (kind == 1)
			CHECK_EQ(mmk_fault(mm, AT(2), false), 0); /* file page mapped first */
		fail_after((long)n);
		r = mmk_fault(mm, AT(2), true);
		bool fired = fail_injected();
		fail_after(-1);
		CHECK(r == 0 || r == -ENOMEM);
		CHECK_EQ(r != 0, fired && r != 0);
		/* the counters say what the page tables hold */
		long mapped = 0;
		for (unsigned long a = AT(0); a < AT(4); a += PAGE_SIZE) {
			pte_t e = mmk_read_pte(mm, a);
			if (pte_present(e) && pte_pfn(e) != mmk_zero_pfn())
				mapped++;
		}
		CHECK_EQ(mapped, (long)mm->rss);
		CHECK_EQ((long)mm->rss, RSS(mm, MM_ANONPAGES) + RSS(mm, MM_FILEPAGES) + RSS(mm, MM_SHMEMPAGES));
		if (r == 0) {
			CHECK(pte_write(mmk_read_pte(mm, AT(2))));
			CHECK_EQ(rd(mm, AT(2) + 1), kind == 1 ? file_byte(2 * 4096 + 1) : 0);
		}
		finish(mm); /* leaks nothing, warns nothing */
		if (!fired)
			break;
	}
	CHECK(n >= 2 && n < 200);
	unlink(path);
}

TEST(fail_each_allocation_anon) { fail_each(0); }
TEST(fail_each_allocation_file_cow) { fail_each(1); }
TEST(fail_each_allocation_shmem) { fail_each(2); }

TEST(access_vm_force)
{
	struct mm_struct *mm = setup();
	const char *path = make_file(4096);
	struct file *f = mmk_file_open(path, FMODE_READ);
	char buf[16] = "debugger";

	map_fixed(mm, AT(0), PG(2), PROT_READ, ANON, NULL, 0);
	map_fixed(mm, AT(4), PG(1), PROT_READ, MAP_SHARED, f, 0);
	map_fixed(mm, AT(6), PG(1), PROT_READ, MAP_PRIVATE, f, 0);
	fput(f);
	/* the user can't write a read-only mapping, the debugger can (COW) */
	CHECK_EQ(mmk_copy_to_user(mm, AT(0), buf, 8), -EFAULT);
	CHECK_EQ(mmk_access_vm(mm, AT(0) + 4090, buf, 8, true), 8); /* spans two pages */
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 2);
	CHECK(!pte_write(mmk_read_pte(mm, AT(0))));
	char back[8];
	CHECK_EQ(mmk_copy_from_user(mm, back, AT(0) + 4090, 8), 0);
	CHECK(memcmp(back, "debugger", 8) == 0);
	/* a shared read-only file mapping can't be written, even by force */
	CHECK_EQ(mmk_access_vm(mm, AT(4), buf, 8, true), 0);
	/* a private one can: the file stays as it was */
	CHECK_EQ(mmk_access_vm(mm, AT(6), buf, 8, true), 8);
	CHECK_EQ(rd(mm, AT(4)), file_byte(0));
	CHECK_EQ(rd(mm, AT(6)), 'd');
	/* a hole stops the access */
	CHECK_EQ(mmk_access_vm(mm, AT(1) + 4092, back, 8, false), 4);
	unlink(path);
	finish(mm);
}

TEST(get_user_pages_pins)
{
	struct mm_struct *mm = setup();
	struct page *pages[4];

	map_fixed(mm, AT(0), PG(4), RW, ANON, NULL, 0);
	CHECK_EQ(mmk_get_user_pages(mm, AT(0), 4, true, pages), 4);
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 4);
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(page_count(pages[i]), 2);
		memset(mmk_page_address(pages[i]), 'a' + i, 16);
	}
	CHECK_EQ(rd(mm, AT(2) + 3), 'c');
	/* unmapped while pinned: the frame lives until the pin goes */
	unsigned long used = mmk_mem_used();
	CHECK_EQ(sys_munmap(mm, AT(0), PG(4)), 0);
	CHECK_EQ(mmk_mem_used(), used);
	CHECK_EQ(page_count(pages[0]), 1);
	for (int i = 0; i < 4; i++)
		mmk_put_page(pages[i]);
	CHECK_EQ(mmk_mem_used(), 0);
	/* a read pin of untouched memory is the zero page; no write to read-only */
	map_fixed(mm, AT(8), PG(1), PROT_READ, ANON, NULL, 0);
	CHECK_EQ(mmk_get_user_pages(mm, AT(8), 1, false, pages), 1);
	CHECK(PageZero(pages[0]));
	mmk_put_page(pages[0]);
	CHECK_EQ(mmk_get_user_pages(mm, AT(8), 1, true, pages), -EFAULT);
	CHECK_EQ(mmk_get_user_pages(mm, AT(9), 1, false, pages), -EFAULT);
	finish(mm);
}

TEST(five_level_tables)
{
	mmk_five_level = 1;
	struct mm_struct *mm = setup();

	CHECK_EQ(mm_pgtable_levels(mm), 5);
	map_fixed(mm, AT(0), PG(1), RW, ANON, NULL, 0);
	wr(mm, AT(0), 5);
	/* P4D not counted: PUD + PMD + PTE */
	CHECK_EQ(atomic_long_read(&mm->pgtables_bytes), 3 * 4096);
	struct mmk_meminfo mi;
	mmk_mem_info(&mi);
	CHECK_EQ(mi.pgtables, 5); /* PGD, P4D, PUD, PMD, PTE */
	CHECK_EQ(rd(mm, AT(0)), 5);
	finish(mm);
	mmk_five_level = 0;
}

static char *show(int (*fn)(struct seq_file *, struct mm_struct *), struct mm_struct *mm)
{
	struct seq_file m;
	char *s;

	seq_init(&m);
	fn(&m, mm);
	s = strdup(m.buf ? m.buf : "");
	seq_release(&m);
	return s;
}

static long field(const char *text, const char *label)
{
	const char *p = strstr(text, label);

	CHECK(p != NULL);
	return atol(p + strlen(label));
}

TEST(smaps_and_status)
{
	struct mm_struct *mm = setup();

	map_fixed(mm, AT(0), PG(8), RW, ANON, NULL, 0);
	for (int i = 0; i < 5; i++)
		wr(mm, AT(i), 1);
	rd(mm, AT(6));
	CHECK_EQ(sys_madvise(mm, AT(0), PG(1), MADV_DONTNEED), 0);
	char *s = show(show_smaps, mm);
	CHECK_EQ(field(s, "\nRss:"), 16);
	CHECK_EQ(field(s, "\nPss:"), 16);
	CHECK_EQ(field(s, "\nPrivate_Dirty:"), 16);
	CHECK_EQ(field(s, "\nAnonymous:"), 16);
	CHECK_EQ(field(s, "\nReferenced:"), 16);
	CHECK_EQ(field(s, "\nShared_Dirty:"), 0);
	free(s);
	s = show(proc_pid_status_vm, mm);
	CHECK_EQ(field(s, "VmRSS:"), 16);
	CHECK_EQ(field(s, "RssAnon:"), 16);
	CHECK_EQ(field(s, "VmHWM:"), 20);
	CHECK_EQ(field(s, "VmPTE:"), 12);
	free(s);
	/* after fork the pages are shared: Pss halves */
	struct mm_struct *child = dup_mm(NULL, mm);
	s = show(show_smaps, child);
	CHECK_EQ(field(s, "\nRss:"), 16);
	CHECK_EQ(field(s, "\nPss:"), 8);
	CHECK_EQ(field(s, "\nShared_Dirty:"), 16);
	CHECK_EQ(field(s, "\nReferenced:"), 0); /* the child's PTEs are old */
	free(s);
	mmput(child);
	CHECK_EQ(sys_mlock(mm, AT(0), PG(8)), 0);
	s = show(show_smaps, mm);
	CHECK_EQ(field(s, "\nRss:"), 32);
	CHECK_EQ(field(s, "\nLocked:"), 32);
	free(s);
	finish(mm);
}

static struct mm_struct *thr_mm;
static void *thr_fn(void *arg)
{
	long id = (long)arg;

	for (int round = 0; round < 50; round++)
		for (int i = 0; i < 64; i++) {
			char c = (char)id;
			/* all threads on the same pages, and each on its own */
			CHECK_EQ(mmk_copy_to_user(thr_mm, AT(i) + (unsigned long)id, &c, 1), 0);
			CHECK_EQ(mmk_copy_to_user(thr_mm, AT(256 + id * 64 + i), &c, 1), 0);
		}
	return NULL;
}

TEST(concurrent_faults)
{
	struct mm_struct *mm = setup();
	pthread_t t[4];

	thr_mm = mm;
	map_fixed(mm, AT(0), PG(1024), RW, ANON, NULL, 0);
	/* the VMA's anon_vma first: rmap.c publishes it with a plain store */
	wr(mm, AT(1000), 1);
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, thr_fn, (void *)i);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ(RSS(mm, MM_ANONPAGES), 1 + 64 + 4 * 64);
	CHECK_EQ(count_mapped(mm, AT(0), AT(1024)), 1 + 64 + 4 * 64);
	for (int i = 0; i < 64; i++)
		for (int id = 0; id < 4; id++)
			CHECK_EQ(rd(mm, AT(i) + (unsigned long)id), (char)id);
	CHECK_EQ(mmk_mem_used(), 1 + 64 + 4 * 64);
	finish(mm);
}

TEST(drop_caches_and_reclaim)
{
	const char *path = make_file(40 * 4096);
	CHECK_EQ(mmk_mem_init(48 * PAGE_SIZE), 0);
	struct mm_struct *mm = setup();
	struct file *f = mmk_file_open(path, FMODE_READ);
	struct mmk_meminfo mi;

	map_fixed(mm, AT(0), PG(40), PROT_READ, MAP_PRIVATE, f, 0);
	fput(f);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(40), MADV_POPULATE_READ), 0);
	CHECK_EQ(RSS(mm, MM_FILEPAGES), 40);
	CHECK_EQ(sys_munmap(mm, AT(0), PG(40)), 0);
	mmk_mem_info(&mi);
	CHECK_EQ(mi.pagecache, 40); /* cached after the unmap */
	/* anonymous memory needs the frames: reclaim takes the clean cache */
	map_fixed(mm, AT(100), PG(40), RW, ANON, NULL, 0);
	for (int i = 0; i < 40; i++)
		CHECK_EQ(mmk_fault(mm, AT(100 + i), true), 0);
	mmk_mem_info(&mi);
	CHECK(mi.pagecache < 40);
	CHECK(mmk_drop_caches() >= 0);
	mmk_mem_info(&mi);
	CHECK_EQ(mi.pagecache, 0);
	unlink(path);
	finish(mm);
}

#define TESTS(X) X(zero_page_read) X(anon_write_and_free) X(pgtables_shared_with_neighbour) \
	X(file_read_real_bytes) X(private_file_cow) X(shmem_shared_anonymous) X(permission_faults) \
	X(stack_growth_guard_gap) X(mremap_keeps_bytes) X(populate_and_mlock) X(out_of_memory) \
	X(fail_each_allocation_anon) X(fail_each_allocation_file_cow) X(fail_each_allocation_shmem) \
	X(access_vm_force) X(get_user_pages_pins) X(five_level_tables) X(smaps_and_status) \
	X(concurrent_faults) X(drop_caches_and_reclaim)
TEST_MAIN("memory", TESTS)
