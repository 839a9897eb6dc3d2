/* SPDX-License-Identifier: MIT */
/*
 * tests/test_model.c - random sequences of mmap/munmap/mprotect/mremap/
 * madvise/brk/mlock/fork cross-checked after every call against the simple
 * reference model of fuzz/model.h: the mapped ranges and their attributes
 * equal the model's, calls the model says must fail fail with its errno,
 * validate_mm passes, the checker is happy and nothing leaks.
 * A few fixed seeds run fast in `make test`; MMK_MODEL_SEEDS=N and
 * MMK_MODEL_OPS=N run more (fuzz/fuzz_api.c drives the same model).
 */
#include <mmkit/mmkit.h>
#if defined(__has_include)
#if __has_include(<mmkit/page.h>)
#include <mmkit/page.h>
#define MODEL_PAGES 1
#endif
#endif
#include "harness.h"
#define MODEL_FAIL(...) do { fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); exit(1); } while (0)
#include "../fuzz/model.h"

static unsigned xs_next(void *priv)
{
	unsigned *s = priv;
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void run_seed(unsigned seed, long nops, bool pages)
{
	memset(&mmk_hooks, 0, sizeof(mmk_hooks));
#ifdef MODEL_PAGES
	CHECK_EQ(mmk_mem_init(4UL << 20), 0); /* small simulated RAM: a boot costs less */
#endif
	CHECK_EQ(mmk_boot(4), 0);
	struct mdriver d = { 0 };
	d.task = mmk_spawn("model");
	CHECK(!IS_ERR(d.task));
	struct mm_struct *mm = d.task->mm;
	/* an exec'd process's heap: empty, at a fixed place; no mlock limit */
	mm->start_brk = mm->brk = 0x10000000UL;
	mm->cap_ipc_lock = true;
	d.pages = pages;
	unsigned state = seed * 2654435761u + 1;
	struct msource src = { xs_next, &state };
	for (long i = 0; i < nops; i++)
		mdrv_random_op(&d, &src);
	CHECK_EQ(mmk_check_all(NULL), 0);
	fprintf(stderr, "seed %u: %lu calls, %lu refused as the model required, %lu allowed failures, %d ranges at the end"
		"%s%lu%s%lu%s\n", seed, d.ops, d.must_fail_checked, d.failed_ok, d.m.n,
		pages ? ", " : "", pages ? d.copies : 0, pages ? " user copies, " : "", pages ? d.bytes_checked : 0,
		pages ? " bytes checked" : "");
	mpg_free(&d);
	CHECK_EQ(do_exit(d.task), 0);
	model_free(&d.m);
	model_free(&d.scratch);
	CHECK_EQ(mmk_shutdown(), 0);
	CHECK_EQ(atomic_load(&mmk_warnings), 0);
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);
	return v ? atol(v) : def;
}

TEST(fixed_seeds)
{
	long seeds = env_long("MMK_MODEL_SEEDS", 6), ops = env_long("MMK_MODEL_OPS", 2000);
	for (long s = 1; s <= seeds; s++)
		run_seed((unsigned)s, ops, false);
}

/* the same with reads and writes through the page layer, checked against
 * a byte map: contents follow mremap, vanish with munmap/MADV_DONTNEED,
 * are copied by fork (zero with MADV_WIPEONFORK) and copied on write */
TEST(page_contents)
{
#ifdef MODEL_PAGES
	long seeds = env_long("MMK_MODEL_SEEDS", 6), ops = env_long("MMK_MODEL_OPS", 2000);
	for (long s = 1; s <= seeds; s++)
		run_seed((unsigned)(1000 + s), ops, true);
#else
	SKIP("no page layer (include/mmkit/page.h)");
#endif
}

/* the model's own sanity: a hand-written sequence with known answers */
TEST(model_known_answers)
{
	memset(&mmk_hooks, 0, sizeof(mmk_hooks));
	CHECK_EQ(mmk_boot(4), 0);
	struct mdriver d = { 0 };
	d.task = mmk_spawn("model");
	d.task->mm->start_brk = d.task->mm->brk = 0x10000000UL;
	unsigned long b = MWIN_BASE;
	CHECK_EQ(mdrv_mmap(&d, b, 8 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED), (long)b);
	CHECK_EQ(mdrv_mprotect(&d, b + PAGE_SIZE, PAGE_SIZE, PROT_READ), 0);
	CHECK_EQ(d.m.n, 3);
	CHECK_EQ(mdrv_munmap(&d, b + 2 * PAGE_SIZE, PAGE_SIZE), 0);
	CHECK_EQ(mdrv_mprotect(&d, b, 4 * PAGE_SIZE, PROT_NONE), -ENOMEM); /* hole: first two pages changed */
	CHECK_EQ(d.m.r[0].attr, 0);
	CHECK_EQ(mdrv_mprotect(&d, b + 2 * PAGE_SIZE, PAGE_SIZE, PROT_READ), -ENOMEM);
	CHECK_EQ(mdrv_mprotect(&d, b + 1, PAGE_SIZE, PROT_READ), -EINVAL);
	CHECK_EQ(mdrv_mmap(&d, b, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE), -EEXIST);
	CHECK_EQ(mdrv_madvise(&d, b, 8 * PAGE_SIZE, MADV_DONTFORK), -ENOMEM);
	mdrv_fork_check(&d);
	CHECK_EQ(mdrv_madvise(&d, b, 2 * PAGE_SIZE, MADV_DOFORK), 0);
	mdrv_fork_check(&d);
	CHECK_EQ(mdrv_mremap(&d, b + 3 * PAGE_SIZE, PAGE_SIZE, 2 * PAGE_SIZE, 0, 0), -ENOMEM); /* next page mapped */
	CHECK_EQ(mdrv_mremap(&d, b + 2 * PAGE_SIZE, PAGE_SIZE, PAGE_SIZE, 0, 0), -EFAULT);
	CHECK_EQ(mdrv_mremap(&d, b + 3 * PAGE_SIZE, 0x10, 2 * PAGE_SIZE, MREMAP_FIXED, b), -EINVAL);
	CHECK_EQ(mdrv_munmap(&d, b, 0), -EINVAL);
	CHECK_EQ(mdrv_brk(&d, 0x10000000UL + 3 * PAGE_SIZE), 0x10000000UL + 3 * PAGE_SIZE);
	CHECK_EQ(mdrv_brk(&d, 0x10000000UL + PAGE_SIZE), 0x10000000UL + PAGE_SIZE);
	CHECK_EQ(mmk_check_all(NULL), 0);
	model_free(&d.m);
	model_free(&d.scratch);
	CHECK_EQ(mmk_shutdown(), 0);
}

#define TESTS(X) X(model_known_answers) X(fixed_seeds) X(page_contents)
TEST_MAIN("model", TESTS)
