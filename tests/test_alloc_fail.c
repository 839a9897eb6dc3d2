/* SPDX-License-Identifier: MIT */
/*
 * tests/test_alloc_fail.c - allocation failure everywhere.
 *
 * Every public operation runs on a fresh machine with fail_after(k) for
 * k = 0, 1, 2, ... until the armed failure no longer fires. Each failure
 * must return the kernel's errno (-ENOMEM; madvise's split failure is
 * -EAGAIN; brk returns the old break), leave every invariant intact
 * (mmk_check_all, validate_mm), leave the address space as it was where
 * Linux guarantees it (the /proc maps text for a new mapping; the
 * coalesced ranges and attributes where Linux may leave a harmless split
 * behind: munmap, MAP_FIXED over a mapping, mprotect, madvise, mlock,
 * mremap), keep the slab caches' live objects as they were, and leak
 * nothing (mmk_shutdown() == 0). The totals are printed:
 *   alloc_fail: N operations, M allocation points failed and survived
 */
#include <mmkit/mmkit.h>
#if defined(__has_include)
#if __has_include(<mmkit/page.h>)
#include <mmkit/page.h>
#define AF_PAGES 1
#endif
#endif
#include "harness.h"
#define MODEL_FAIL(...) do { fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); exit(1); } while (0)
#include "../fuzz/model.h"

#define BASE_A 0x10000000UL  /* anon private, 16 pages, faulted (anon_vma) */
#define BASE_B 0x20000000UL  /* a file, 8 pages */
#define BASE_C 0x30000000UL  /* shared anonymous, 4 pages */
#define BASE_D 0x40000000UL  /* anon, 8 pages, MADV_DONTFORK in the middle */
#define HEAP 0x05000000UL

struct ctx {
	struct task_struct *p;
	struct mm_struct *mm;
	struct file *file;
	void *obj; /* what a successful op created, for cleanup */
	long ret;
};

static int warns;
static void count_warn(void *priv, const char *msg)
{
	(void)priv;
	warns++;
	fprintf(stderr, "warn: %s\n", msg);
}

static void setup_process(struct ctx *c)
{
	c->p = mmk_spawn("p");
	CHECK(!IS_ERR(c->p));
	c->mm = c->p->mm;
	struct mm_struct *mm = c->mm;
	mm->start_brk = mm->brk = HEAP;
	CHECK_EQ(sys_mmap(mm, BASE_A, 16 * PAGE_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_POPULATE, NULL, 0), (long)BASE_A);
	c->file = mmk_file_create("/usr/lib/libfake.so", 8, 1, 4242, 1 << 20, FMODE_READ);
	CHECK(!IS_ERR(c->file));
	CHECK_EQ(sys_mmap(mm, BASE_B, 8 * PAGE_SIZE, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED, c->file, 0),
		 (long)BASE_B);
	CHECK_EQ(sys_mmap(mm, BASE_C, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED,
			  NULL, 0), (long)BASE_C);
	CHECK_EQ(sys_mmap(mm, BASE_D, 8 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
			  NULL, 0), (long)BASE_D);
	CHECK_EQ(sys_madvise(mm, BASE_D + 2 * PAGE_SIZE, 2 * PAGE_SIZE, MADV_DONTFORK), 0);
	CHECK_EQ(sys_brk(mm, HEAP + 3 * PAGE_SIZE), HEAP + 3 * PAGE_SIZE);
}

static void teardown_process(struct ctx *c)
{
	if (c->p && c->p->state != TASK_DEAD)
		do_exit(c->p);
	if (c->file && !IS_ERR(c->file))
		fput(c->file);
}

/* how the address space must look after a failure */
enum keep { KEEP_NOTHING, KEEP_TEXT, KEEP_RANGES };

struct afop {
	const char *name;
	enum keep keep;
	long want;              /* the errno a failure returns (0: see check_fail) */
	bool needs_process;
	long (*run)(struct ctx *);
	/* extra set-up, before the failure is armed (may be NULL) */
	void (*prep)(struct ctx *);
	/* after success: undo what run created (may be NULL) */
	void (*undo)(struct ctx *);
	/* a failure: @ret is what run returned */
	bool (*failed)(struct ctx *, long ret);
	/* MAP_FIXED over a mapping: Linux 6.12+ restores the old VMAs when it
	 * fails before clearing them (vms_abort_munmap_vmas), and leaves the
	 * gap [gap_start, gap_end) when it fails later ("the old mapping may
	 * be gone", mmap(2)) */
	unsigned long gap_start, gap_end;
};

/* ---- the operations ---------------------------------------------------- */
static long op_mm_alloc(struct ctx *c) { c->obj = mm_alloc(); return c->obj ? 0 : -ENOMEM; }
static void undo_mm_alloc(struct ctx *c) { mmput(c->obj); }

static long op_spawn(struct ctx *c)
{
	struct task_struct *t = mmk_spawn("s");
	c->obj = IS_ERR(t) ? NULL : t;
	return IS_ERR(t) ? PTR_ERR(t) : 0;
}
static void undo_task(struct ctx *c) { CHECK_EQ(do_exit(c->obj), 0); }

static long clone_with(struct ctx *c, unsigned long flags)
{
	struct task_struct *t = kernel_clone(c->p, flags, "child");
	c->obj = IS_ERR(t) ? NULL : t;
	return IS_ERR(t) ? PTR_ERR(t) : 0;
}
static long op_fork(struct ctx *c) { return clone_with(c, 0); }
static long op_thread(struct ctx *c) { return clone_with(c, CLONE_VM | CLONE_SIGHAND | CLONE_THREAD); }
static long op_vfork(struct ctx *c) { return clone_with(c, CLONE_VM | CLONE_VFORK); }
static void undo_fork(struct ctx *c)
{
	struct task_struct *t = c->obj;
	if (t->mm && t->mm != c->mm)
		CHECK_EQ(validate_mm(t->mm), 0);
	CHECK_EQ(do_exit(t), 0);
}

static long op_exec(struct ctx *c) { return mmk_exec(c->p); }
static long op_exit(struct ctx *c)
{
	long r = do_exit(c->p);
	c->p = NULL; /* freed: it was on no CPU */
	return r;
}

static long op_mmap_anon(struct ctx *c)
{
	return sys_mmap(c->mm, 0, 5 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
}
static long op_mmap_anon_populate(struct ctx *c)
{
	return sys_mmap(c->mm, 0x60000000UL, 5 * PAGE_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_FIXED_NOREPLACE, NULL, 0);
}
static long op_mmap_file(struct ctx *c)
{
	return sys_mmap(c->mm, 0, 3 * PAGE_SIZE, PROT_READ, MAP_PRIVATE, c->file, PAGE_SIZE);
}
static long op_mmap_shared(struct ctx *c)
{
	return sys_mmap(c->mm, 0, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, NULL, 0);
}
static long op_mmap_fixed_over(struct ctx *c)
{
	/* the middle of A and into nothing: two splits, a new VMA */
	return sys_mmap(c->mm, BASE_A + 4 * PAGE_SIZE, 4 * PAGE_SIZE, PROT_READ,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
}
static long op_mmap_fixed_over_file(struct ctx *c)
{
	return sys_mmap(c->mm, BASE_B + PAGE_SIZE, 2 * PAGE_SIZE, PROT_READ,
			MAP_PRIVATE | MAP_FIXED, c->file, 0);
}
static long op_munmap_split(struct ctx *c) { return sys_munmap(c->mm, BASE_A + 4 * PAGE_SIZE, 2 * PAGE_SIZE); }
static long op_munmap_many(struct ctx *c) { return sys_munmap(c->mm, BASE_A + 15 * PAGE_SIZE, BASE_D - BASE_A); }
static long op_mprotect_split(struct ctx *c) { return sys_mprotect(c->mm, BASE_A + 4 * PAGE_SIZE, 2 * PAGE_SIZE, PROT_READ); }
static long op_mprotect_file(struct ctx *c) { return sys_mprotect(c->mm, BASE_B + PAGE_SIZE, PAGE_SIZE, PROT_READ); }
static long op_mremap_grow(struct ctx *c)
{
	return sys_mremap(c->mm, BASE_C, 4 * PAGE_SIZE, 6 * PAGE_SIZE, 0, 0);
}
static long op_mremap_move(struct ctx *c)
{
	/* A cannot grow in place (B is not in the way, but make it move) */
	return sys_mremap(c->mm, BASE_A + 2 * PAGE_SIZE, 4 * PAGE_SIZE, 6 * PAGE_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED,
			  0x70000000UL);
}
static long op_mremap_shrink(struct ctx *c) { return sys_mremap(c->mm, BASE_A, 16 * PAGE_SIZE, 7 * PAGE_SIZE, 0, 0); }
static long op_mremap_dontunmap(struct ctx *c)
{
	return sys_mremap(c->mm, BASE_A + PAGE_SIZE, 2 * PAGE_SIZE, 2 * PAGE_SIZE,
			  MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
}
static long op_brk_grow(struct ctx *c) { return (long)sys_brk(c->mm, HEAP + 9 * PAGE_SIZE); }
static long op_brk_first(struct ctx *c)
{
	c->mm->start_brk = c->mm->brk = 0x08000000UL;
	return (long)sys_brk(c->mm, 0x08000000UL + 2 * PAGE_SIZE);
}
static long op_brk_shrink(struct ctx *c) { return (long)sys_brk(c->mm, HEAP + PAGE_SIZE + 17); }
static long op_madvise_split(struct ctx *c) { return sys_madvise(c->mm, BASE_A + 3 * PAGE_SIZE, 3 * PAGE_SIZE, MADV_DONTFORK); }
static long op_madvise_wipe(struct ctx *c) { return sys_madvise(c->mm, BASE_D + PAGE_SIZE, PAGE_SIZE, MADV_WIPEONFORK); }
/* over several VMAs Linux changes them in order and stops at the failure:
 * no promise about the state, only that it is valid */
static long op_madvise_multi(struct ctx *c) { return sys_madvise(c->mm, BASE_D, 5 * PAGE_SIZE, MADV_WIPEONFORK); }
static long op_mprotect_multi(struct ctx *c) { return sys_mprotect(c->mm, BASE_D + PAGE_SIZE, 5 * PAGE_SIZE, PROT_READ); }
static long op_mlock(struct ctx *c) { return sys_mlock(c->mm, BASE_A + 5 * PAGE_SIZE, 3 * PAGE_SIZE); }
static long op_mlockall(struct ctx *c) { return sys_mlockall(c->mm, MCL_CURRENT | MCL_FUTURE); }
static void prep_locked(struct ctx *c) { CHECK_EQ(sys_mlock(c->mm, BASE_A, 16 * PAGE_SIZE), 0); }
static long op_munlock(struct ctx *c) { return sys_munlock(c->mm, BASE_A + 5 * PAGE_SIZE, 3 * PAGE_SIZE); }
static long op_special(struct ctx *c)
{
	static const struct vm_special_mapping vdso = { "[vdso]" };
	return install_special_mapping(c->mm, 0x7ffff7fc1000UL, 2 * PAGE_SIZE, VM_READ | VM_EXEC | VM_MAYREAD | VM_MAYEXEC,
				       &vdso);
}

static const char import_text[] =
	"555555554000-555555556000 r--p 00000000 08:01 1234 /usr/bin/cat\n"
	"555555556000-55555555a000 r-xp 00002000 08:01 1234 /usr/bin/cat\n"
	"55555555a000-55555555c000 r--p 00006000 08:01 1234 /usr/bin/cat\n"
	"55555555c000-55555555d000 rw-p 00008000 08:01 1234 /usr/bin/cat\n"
	"55555555d000-55555557e000 rw-p 00000000 00:00 0 [heap]\n"
	"7ffff7d80000-7ffff7da8000 r--p 00000000 08:01 5678 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7ffff7da8000-7ffff7f3d000 r-xp 00028000 08:01 5678 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7ffff7fc1000-7ffff7fc5000 r--p 00000000 00:00 0 [vvar]\n"
	"7ffff7fc5000-7ffff7fc7000 r-xp 00000000 00:00 0 [vdso]\n"
	"7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0 [stack]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]\n";
static long op_import(struct ctx *c)
{
	char err[256];
	struct mm_struct *mm = mm_alloc();
	if (!mm)
		return -ENOMEM; /* outside the op proper: counts the same */
	long r = mmk_import_maps(mm, import_text, "maps", err, sizeof(err));
	if (r == 0) {
		CHECK_EQ(validate_mm(mm), 0);
		CHECK_EQ(mm->map_count, 10);
	} else {
		CHECK_EQ(validate_mm(mm), 0);
	}
	mmput(mm);
	return r;
}

static void undo_munmap_address(struct ctx *c) { (void)c; }

#ifdef AF_PAGES
/* ---- the page layer: faults, user copies, fork with pages ---------------- */
static const char pattern[] = "the quick brown fox jumps over the lazy dog";
static void prep_pages(struct ctx *c)
{
	/* contents in A (faulted), C (shared) and D's first VMA */
	CHECK_EQ(mmk_copy_to_user(c->mm, BASE_A + 100, pattern, sizeof(pattern)), 0);
	CHECK_EQ(mmk_copy_to_user(c->mm, BASE_A + 9 * PAGE_SIZE - 10, pattern, sizeof(pattern)), 0);
	CHECK_EQ(mmk_copy_to_user(c->mm, BASE_C + 5, pattern, sizeof(pattern)), 0);
	CHECK_EQ(mmk_copy_to_user(c->mm, BASE_D + 7, pattern, sizeof(pattern)), 0);
}
/* the contents are still there */
static void check_pages(struct ctx *c)
{
	static const unsigned long at[] = { BASE_A + 100, BASE_A + 9 * PAGE_SIZE - 10, BASE_C + 5, BASE_D + 7 };
	for (unsigned i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		char buf[sizeof(pattern)];
		CHECK_EQ(mmk_copy_from_user(c->mm, buf, at[i], sizeof(buf)), 0);
		CHECK(!memcmp(buf, pattern, sizeof(buf)));
	}
}
static long op_fault_anon(struct ctx *c) { return mmk_fault(c->mm, BASE_D + 5 * PAGE_SIZE, true); }
static long op_fault_read(struct ctx *c) { return mmk_fault(c->mm, BASE_D + 6 * PAGE_SIZE, false); }
static void prep_cow(struct ctx *c)
{
	prep_pages(c);
	struct task_struct *t = kernel_clone(c->p, 0, "cow");
	CHECK(!IS_ERR(t));
	c->obj = t;
}
static long op_fault_cow(struct ctx *c)
{
	/* the child writes to a page it shares with its parent: a copy */
	struct task_struct *t = c->obj;
	long r = mmk_copy_to_user(t->mm, BASE_A + 100, "X", 1);
	char buf[sizeof(pattern)];
	CHECK_EQ(mmk_copy_from_user(c->mm, buf, BASE_A + 100, sizeof(buf)), 0);
	CHECK(!memcmp(buf, pattern, sizeof(buf))); /* the parent never sees it */
	return r;
}
static long op_copy_to_user(struct ctx *c)
{
	return mmk_copy_to_user(c->mm, BASE_D + 5 * PAGE_SIZE - 20, pattern, sizeof(pattern));
}
static long op_access_vm(struct ctx *c)
{
	/* a forced write into a read-only private file mapping: COW */
	long n = mmk_access_vm(c->mm, BASE_B + 10, (void *)pattern, sizeof(pattern), true);
	return n == (long)sizeof(pattern) ? 0 : -ENOMEM;
}
static long op_fork_pages(struct ctx *c)
{
	long r = clone_with(c, 0);
	if (r == 0) {
		char buf[sizeof(pattern)];
		struct task_struct *t = c->obj;
		CHECK_EQ(mmk_copy_from_user(t->mm, buf, BASE_A + 100, sizeof(buf)), 0);
		CHECK(!memcmp(buf, pattern, sizeof(buf)));
	}
	return r;
}
static bool failed_fault(struct ctx *c, long ret) { (void)c; return ret == -ENOMEM || ret == -EFAULT; }
#endif

static bool failed_err(struct ctx *c, long ret) { (void)c; return ret == -ENOMEM; }
static bool failed_eagain(struct ctx *c, long ret) { (void)c; return ret == -EAGAIN; }
static bool failed_brk(struct ctx *c, long ret) { return (unsigned long)ret == c->mm->brk && c->mm->brk != 0; }

#define OP(n, k, fn, undo, failed, proc) { n, k, 0, proc, fn, NULL, undo, failed, 0, 0 },
#define OPPREP(n, k, prep, fn, failed) { n, k, 0, true, fn, prep, NULL, failed, 0, 0 },
#define OPGAP(n, k, fn, failed, s, e) { n, k, 0, true, fn, NULL, NULL, failed, s, e },
static const struct afop ops[] = {
	OP("mm_alloc", KEEP_NOTHING, op_mm_alloc, undo_mm_alloc, failed_err, false)
	OP("mmk_spawn", KEEP_NOTHING, op_spawn, undo_task, failed_err, false)
	OP("kernel_clone fork", KEEP_TEXT, op_fork, undo_fork, failed_err, true)
	OP("kernel_clone thread", KEEP_TEXT, op_thread, undo_fork, failed_err, true)
	OP("kernel_clone vfork", KEEP_TEXT, op_vfork, undo_fork, failed_err, true)
	OP("mmk_exec", KEEP_TEXT, op_exec, NULL, failed_err, true)
	OP("do_exit", KEEP_NOTHING, op_exit, NULL, failed_err, true)
	OP("sys_mmap anon", KEEP_TEXT, op_mmap_anon, undo_munmap_address, failed_err, true)
	OP("sys_mmap anon MAP_POPULATE", KEEP_TEXT, op_mmap_anon_populate, NULL, failed_err, true)
	OP("sys_mmap file", KEEP_TEXT, op_mmap_file, NULL, failed_err, true)
	OP("sys_mmap shared anon", KEEP_TEXT, op_mmap_shared, NULL, failed_err, true)
	OPGAP("sys_mmap MAP_FIXED over anon", KEEP_RANGES, op_mmap_fixed_over, failed_err,
	      BASE_A + 4 * PAGE_SIZE, BASE_A + 8 * PAGE_SIZE)
	OPGAP("sys_mmap MAP_FIXED over file", KEEP_RANGES, op_mmap_fixed_over_file, failed_err,
	      BASE_B + PAGE_SIZE, BASE_B + 3 * PAGE_SIZE)
	OP("sys_munmap split", KEEP_RANGES, op_munmap_split, NULL, failed_err, true)
	OP("sys_munmap many", KEEP_RANGES, op_munmap_many, NULL, failed_err, true)
	OP("sys_mprotect split", KEEP_RANGES, op_mprotect_split, NULL, failed_err, true)
	OP("sys_mprotect file split", KEEP_RANGES, op_mprotect_file, NULL, failed_err, true)
	OP("sys_mremap grow", KEEP_RANGES, op_mremap_grow, NULL, failed_err, true)
	OP("sys_mremap move", KEEP_RANGES, op_mremap_move, NULL, failed_err, true)
	OP("sys_mremap shrink", KEEP_RANGES, op_mremap_shrink, NULL, failed_err, true)
	OP("sys_mremap dontunmap", KEEP_RANGES, op_mremap_dontunmap, NULL, failed_err, true)
	OP("sys_brk grow", KEEP_RANGES, op_brk_grow, NULL, failed_brk, true)
	OP("sys_brk first", KEEP_RANGES, op_brk_first, NULL, failed_brk, true)
	OP("sys_brk shrink", KEEP_RANGES, op_brk_shrink, NULL, failed_brk, true)
	OP("sys_madvise split", KEEP_RANGES, op_madvise_split, NULL, failed_eagain, true)
	OP("sys_madvise wipeonfork", KEEP_RANGES, op_madvise_wipe, NULL, failed_eagain, true)
	OP("sys_madvise over 3 VMAs", KEEP_NOTHING, op_madvise_multi, NULL, failed_eagain, true)
	OP("sys_mprotect over 3 VMAs", KEEP_NOTHING, op_mprotect_multi, NULL, failed_err, true)
	OP("sys_mlock split", KEEP_RANGES, op_mlock, NULL, failed_err, true)
	OPPREP("sys_munlock split", KEEP_RANGES, prep_locked, op_munlock, failed_err)
	OP("sys_mlockall", KEEP_NOTHING, op_mlockall, NULL, failed_err, true)
	OP("install_special_mapping", KEEP_TEXT, op_special, NULL, failed_err, true)
	OP("mmk_import_maps", KEEP_NOTHING, op_import, NULL, failed_err, false)
#ifdef AF_PAGES
	OPPREP("mmk_fault write (anon)", KEEP_TEXT, prep_pages, op_fault_anon, failed_fault)
	OPPREP("mmk_fault read (zero page)", KEEP_TEXT, prep_pages, op_fault_read, failed_fault)
	OPPREP("COW fault in a fork child", KEEP_TEXT, prep_cow, op_fault_cow, failed_fault)
	OPPREP("mmk_copy_to_user (2 pages)", KEEP_TEXT, prep_pages, op_copy_to_user, failed_fault)
	OPPREP("mmk_access_vm COW write", KEEP_TEXT, prep_pages, op_access_vm, failed_fault)
	OPPREP("kernel_clone fork with pages", KEEP_TEXT, prep_pages, op_fork_pages, failed_err)
#endif
};
#define NOPS ((int)(sizeof(ops) / sizeof(ops[0])))

/* ---- the driver ---------------------------------------------------------- */
struct cache_counts {
	int n;
	char name[32][32];
	long live[32];
	unsigned long allocs[32];
};
static void count_one(struct kmem_cache *k, void *arg)
{
	struct cache_counts *cc = arg;
	struct slabinfo si;
	if (cc->n >= 32 || kmem_cache_info(k, &si) != 0)
		return;
	snprintf(cc->name[cc->n], sizeof(cc->name[0]), "%s", si.name);
	cc->allocs[cc->n] = si.total_allocs;
	cc->live[cc->n++] = (long)si.active_objs;
}
static void cache_counts(struct cache_counts *cc)
{
	cc->n = 0;
	kmem_cache_for_each(count_one, cc);
}

static char *maps_text(struct mm_struct *mm)
{
	struct seq_file m;
	seq_init(&m);
	show_maps(&m, mm);
	char *s = strdup(m.buf ? m.buf : "");
	seq_release(&m);
	return s;
}

static long total_points, total_absorbed, total_attempts;

/* which kind of object each failure point would have allocated: the cache
 * whose allocation count the run with one more success (k + 1) has over the
 * run failing at k; "page or other" when no slab cache moved (page frames,
 * page tables, kmalloc before its caches exist) */
#define MAX_KINDS 48
static char kinds[MAX_KINDS][32];
static long kind_hits[MAX_KINDS];
static int nkinds;
static void count_kind(const char *name)
{
	for (int i = 0; i < nkinds; i++)
		if (!strcmp(kinds[i], name)) {
			kind_hits[i]++;
			return;
		}
	if (nkinds < MAX_KINDS) {
		snprintf(kinds[nkinds], sizeof(kinds[0]), "%s", name);
		kind_hits[nkinds++] = 1;
	}
}

static void run_op(const struct afop *op)
{
	long points = 0, absorbed = 0, gaps = 0;
	struct cache_counts prev_after;
	unsigned long prev_cc0_allocs[32] = { 0 };
	bool have_prev = false, prev_failed = false;
	for (long k = 0;; k++) {
		struct ctx c = { 0 };
		warns = 0;
		memset(&mmk_hooks, 0, sizeof(mmk_hooks));
		mmk_hooks.warn = count_warn;
#ifdef AF_PAGES
		CHECK_EQ(mmk_mem_init(4UL << 20), 0); /* small simulated RAM: a boot costs less */
#endif
		CHECK_EQ(mmk_boot(4), 0);
		if (op->needs_process)
			setup_process(&c);
		if (op->prep)
			op->prep(&c);
		struct model before = { 0 }, after = { 0 };
		char *text = NULL;
		if (c.mm) {
			model_from_mm(&before, c.mm);
			text = maps_text(c.mm);
		}
		struct cache_counts cc0, cc1;
		cache_counts(&cc0);
		unsigned long attempts0 = fail_alloc_count();

		fail_after(k);
		long r = op->run(&c);
		bool fired = fail_injected();
		fail_after(-1);
		unsigned long attempts = fail_alloc_count() - attempts0;
		struct cache_counts after_op;
		cache_counts(&after_op);
		if (have_prev && prev_failed) {
			/* run k-1 failed at its (k-1)th allocation; this run got past
			 * it: the cache that allocated one more names its kind */
			const char *kind = "page or other";
			for (int i = 0; i < after_op.n && i < prev_after.n; i++)
				if (!strcmp(after_op.name[i], prev_after.name[i]) &&
				    after_op.allocs[i] - cc0.allocs[i] > prev_after.allocs[i] - prev_cc0_allocs[i]) {
					kind = after_op.name[i];
					break;
				}
			count_kind(kind);
		}
		prev_after = after_op;
		memcpy(prev_cc0_allocs, cc0.allocs, sizeof(prev_cc0_allocs));
		have_prev = true;

		if (mmk_check_all(NULL) != 0) {
			fprintf(stderr, "%s, failure %ld (fired %d, ret %ld): mmk_check_all failed\n", op->name, k, fired, r);
			exit(1);
		}
		bool failed = fired && op->failed(&c, r);
		prev_failed = fired;
		if (!fired || !failed) {
			/* success (or a failure the operation absorbed, as
			 * MAP_POPULATE's faults are allowed to fail) */
			if (fired) {
				absorbed++;
				if (getenv("MMK_AF_VERBOSE"))
					fprintf(stderr, "  %s: failure %ld absorbed, returned %ld\n", op->name, k, r);
			}
			if (!failed && (r < 0 && r > -4096) && op->failed != failed_brk) {
				fprintf(stderr, "%s: k=%ld fired=%d: returned %ld\n", op->name, k, fired, r);
				exit(1);
			}
			if (op->undo && c.obj)
				op->undo(&c);
			else if (!op->undo && c.obj && op->needs_process && op->prep)
				undo_fork(&c); /* a child the operation created */
		} else {
			points++;
			if (op->keep != KEEP_NOTHING && c.mm && c.p && c.p->state != TASK_DEAD && c.p->mm == c.mm) {
				CHECK_EQ(validate_mm(c.mm), 0);
				model_from_mm(&after, c.mm);
				if (op->gap_end && !model_equal(&before, &after)) {
					model_unmap(&before, op->gap_start, op->gap_end);
					gaps++;
				}
				if (!model_equal(&before, &after)) {
					model_print(stderr, "before", &before);
					model_print(stderr, "after", &after);
					fprintf(stderr, "%s: failure %ld (ret %ld) changed the address space\n", op->name, k, r);
					exit(1);
				}
				char *t2 = maps_text(c.mm);
				if (op->keep == KEEP_TEXT && strcmp(text, t2) != 0) {
					fprintf(stderr, "%s: failure %ld (ret %ld) changed the maps text:\n--- before\n%s--- after\n%s",
						op->name, k, r, text, t2);
					exit(1);
				}
				free(t2);
#ifdef AF_PAGES
				if (op->prep == prep_pages || op->prep == prep_cow)
					check_pages(&c);
#endif
				cache_counts(&cc1);
				for (int i = 0; i < cc0.n && i < cc1.n; i++) {
					if (op->keep == KEEP_RANGES && !strcmp(cc0.name[i], "vm_area_struct"))
						continue; /* a split may stay behind */
#ifdef AF_PAGES
					/* a failed fault keeps the anon_vma and page tables it
					 * prepared (do_anonymous_page's oom path) */
					if ((op->prep == prep_pages || op->prep == prep_cow) &&
					    (!strcmp(cc0.name[i], "anon_vma") || strstr(cc0.name[i], "pgtable") ||
					     strstr(cc0.name[i], "pte")))
						continue;
#endif
					if (cc0.live[i] != cc1.live[i]) {
						fprintf(stderr, "%s: failure %ld: cache %s had %ld live objects, now %ld\n",
							op->name, k, cc0.name[i], cc0.live[i], cc1.live[i]);
						exit(1);
					}
				}
			}
		}
		free(text);
		model_free(&before);
		model_free(&after);
		teardown_process(&c);
		long leaked = mmk_shutdown();
		if (leaked || warns) {
			fprintf(stderr, "%s: k=%ld (fired %d, ret %ld): %ld objects leaked, %d warnings\n", op->name, k,
				fired, r, leaked, warns);
			exit(1);
		}
		if (!fired) {
			total_attempts += (long)attempts;
			break;
		}
		if (k > 500) {
			fprintf(stderr, "%s: still failing after %ld allocations\n", op->name, k);
			exit(1);
		}
	}
	fprintf(stderr, "  %-32s %3ld allocation points failed and survived%s%s\n", op->name, points,
		absorbed ? " (some absorbed)" : "", gaps ? " (some left the MAP_FIXED gap)" : "");
	total_points += points;
	total_absorbed += absorbed;
}

TEST(every_operation)
{
	for (int i = 0; i < NOPS; i++)
		run_op(&ops[i]);
	fprintf(stderr, "alloc_fail: %d operations, %ld allocation points failed and survived, "
		"%ld more absorbed, %ld allocations on the success paths\n",
		NOPS, total_points, total_absorbed, total_attempts);
	fprintf(stderr, "alloc_fail: the failed allocations by kind:");
	for (int i = 0; i < nkinds; i++)
		fprintf(stderr, " %s %ld%s", kinds[i], kind_hits[i], i + 1 < nkinds ? "," : "\n");
	CHECK(total_points > 50);
}

/* a failure in the middle of a long life: the process keeps working */
TEST(failures_then_work)
{
	memset(&mmk_hooks, 0, sizeof(mmk_hooks));
	CHECK_EQ(mmk_boot(4), 0);
	struct ctx c = { 0 };
	setup_process(&c);
	for (long k = 0; k < 40; k++) {
		fail_after(k % 7);
		struct task_struct *t = kernel_clone(c.p, 0, "x");
		long a = sys_mmap(c.mm, 0, PAGE_SIZE * (unsigned long)(k % 5 + 1), PROT_READ,
				  MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
		sys_mprotect(c.mm, BASE_A + (unsigned long)(k % 14) * PAGE_SIZE, PAGE_SIZE, PROT_READ);
		fail_after(-1);
		CHECK_EQ(mmk_check_all(NULL), 0);
		if (!IS_ERR(t))
			CHECK_EQ(do_exit(t), 0);
		if (a > 0)
			CHECK_EQ(sys_munmap(c.mm, (unsigned long)a, PAGE_SIZE), 0);
	}
	teardown_process(&c);
	CHECK_EQ(mmk_shutdown(), 0);
}

#define TESTS(X) X(every_operation) X(failures_then_work)
TEST_MAIN("alloc_fail", TESTS)
