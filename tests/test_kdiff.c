/* SPDX-License-Identifier: MIT */
/*
 * tests/test_kdiff.c - the address-space operations against the running
 * kernel (differential testing; see tests/kdiff.h and docs/kernel-quirks.md).
 *
 * A child process runs a seeded random sequence of mmap/munmap/mprotect/
 * mremap/madvise/mlock/brk for real and records every return value and
 * /proc/self/maps after every operation; the model replays the sequence on
 * an mm seeded from the child's first maps and must agree on every return
 * value and every maps text.
 *
 *   test_kdiff                      the suite
 *   test_kdiff --kdiff-dump S [N]   the kernel side of seed S: ops and maps
 *   test_kdiff --kdiff-run S [N]    compare seed S, print the report
 *   test_kdiff --kdiff-min S [N]    compare, and delta-debug a disagreement
 *   test_kdiff --kdiff-targeted     the hand-written sequences, kernel side
 */
#include "harness.h"
#include "kdiff.h"

#define KD_NOPS 200
static const unsigned long kd_fixed_seeds[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
						11, 12, 13, 14, 15, 16, 17, 18, 19, 20 };

/* run the kernel side or skip/fail the test */
#define KD_RUN(seed, nops, ops, run)                                            \
	do {                                                                    \
		if (kd_run_child((seed), (nops), (ops), (run)) != 0) {          \
			if (kd_env_problem(run))                                \
				SKIP(kd_env_problem(run));                      \
			fprintf(stderr, "kernel side failed: %s\n", (run)->err); \
			CHECK(!"the kernel child failed");                      \
		}                                                               \
	} while (0)

/* ---- the comparison itself ------------------------------------------- */

static const char kd_sample[] =
	"555555554000-555555556000 r--p 00000000 fe:00 247134                     /usr/bin/cat\n"
	"555555560000-555555581000 rw-p 00000000 00:00 0                          [heap]\n"
	"7ffff7d50000-7ffff7d72000 rw-p 00000000 00:00 0 \n"
	"7ffff7fb8000-7ffff7fbf000 rw-s 00000000 00:01 1031                       /dev/zero (deleted)\n"
	"7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";

static char *kd_replace(const char *text, const char *from, const char *to)
{
	const char *p = strstr(text, from);
	CHECK(p != NULL);
	size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
	char *out = malloc(n);
	snprintf(out, n, "%.*s%s%s", (int)(p - text), text, to, p + strlen(from));
	return out;
}

static int kd_compare_quiet(const char *a, const char *b, char *diff, size_t n)
{
	FILE *f = fmemopen(diff, n, "w");
	CHECK(f != NULL);
	int r = kd_compare_maps(a, b, f);
	fclose(f);
	diff[n - 1] = 0;
	return r;
}

TEST(compare_detects_mismatch)
{
	char diff[8192];
	/* equal texts agree */
	CHECK_EQ(kd_compare_quiet(kd_sample, kd_sample, diff, sizeof diff), 0);
	/* a changed permission is a mismatch, and the diff names both lines */
	char *alt = kd_replace(kd_sample, "7ffff7d50000-7ffff7d72000 rw-p", "7ffff7d50000-7ffff7d72000 r--p");
	CHECK_EQ(kd_compare_quiet(kd_sample, alt, diff, sizeof diff), 1);
	CHECK(strstr(diff, "--- kernel") != NULL);
	CHECK(strstr(diff, "-7ffff7d50000-7ffff7d72000 rw-p") != NULL);
	CHECK(strstr(diff, "+7ffff7d50000-7ffff7d72000 r--p") != NULL);
	free(alt);
	/* a missing line */
	alt = kd_replace(kd_sample, "7ffff7d50000-7ffff7d72000 rw-p 00000000 00:00 0 \n", "");
	CHECK_EQ(kd_compare_quiet(kd_sample, alt, diff, sizeof diff), 1);
	CHECK(strstr(diff, "-7ffff7d50000-7ffff7d72000") != NULL);
	free(alt);
	/* an extra line, and a split VMA */
	alt = kd_replace(kd_sample, "7ffff7d50000-7ffff7d72000 rw-p 00000000 00:00 0 \n",
			 "7ffff7d50000-7ffff7d60000 rw-p 00000000 00:00 0 \n7ffff7d60000-7ffff7d72000 rw-p 00000000 00:00 0 \n");
	CHECK_EQ(kd_compare_quiet(kd_sample, alt, diff, sizeof diff), 1);
	free(alt);
	/* a different end of the stack is a mismatch ... */
	alt = kd_replace(kd_sample, "7ffffffde000-7ffffffff000", "7ffffffde000-7fffffffe000");
	CHECK_EQ(kd_compare_quiet(kd_sample, alt, diff, sizeof diff), 1);
	free(alt);
	/* ... a different start is not (the real stack grows by faults) */
	alt = kd_replace(kd_sample, "7ffffffde000-7ffffffff000", "7ffffffdd000-7ffffffff000");
	CHECK_EQ(kd_compare_quiet(kd_sample, alt, diff, sizeof diff), 0);
	free(alt);
	/* the shmem inode of shared anonymous memory is masked, its padding too */
	alt = kd_replace(kd_sample, "00:01 1031                       /dev/zero", "00:01 7                          /dev/zero");
	CHECK_EQ(kd_compare_quiet(kd_sample, alt, diff, sizeof diff), 0);
	free(alt);
	/* but not its offset */
	alt = kd_replace(kd_sample, "rw-s 00000000 00:01 1031", "rw-s 00001000 00:01 1031");
	CHECK_EQ(kd_compare_quiet(kd_sample, alt, diff, sizeof diff), 1);
	free(alt);
	/* a changed padding of a file line is a mismatch */
	alt = kd_replace(kd_sample, "247134                     /usr/bin/cat", "247134 /usr/bin/cat");
	CHECK_EQ(kd_compare_quiet(kd_sample, alt, diff, sizeof diff), 1);
	free(alt);
	/* and the real thing: our own maps against itself with one flag flipped */
	char self[65536];
	int fd = open("/proc/self/maps", O_RDONLY);
	CHECK(fd >= 0);
	ssize_t n = read(fd, self, sizeof self - 1);
	close(fd);
	CHECK(n > 0);
	self[n] = 0;
	CHECK_EQ(kd_compare_quiet(self, self, diff, sizeof diff), 0);
	char *p = strstr(self, "r-xp");
	CHECK(p != NULL);
	char *copy = strdup(self);
	copy[p - self + 2] = '-';
	CHECK_EQ(kd_compare_quiet(self, copy, diff, sizeof diff), 1);
	free(copy);
}

/* the replay must notice a kernel log that was tampered with */
TEST(replay_detects_mismatch)
{
	struct kd_run run;
	struct kd_result res;
	KD_RUN(3, 60, NULL, &run);
	/* a return value the model cannot produce */
	int victim = -1;
	for (int i = 0; i < run.nops; i++)
		if (run.ops[i].ret == 0) {
			victim = i;
			break;
		}
	CHECK(victim >= 0);
	int rc0 = kd_replay(&run, victim, NULL, &res);
	if (rc0 != 0) {
		kd_replay(&run, victim, stderr, &res);
		SKIP("the model disagrees with the kernel before the tampered step (see test 'seeds')");
	}
	run.ops[victim].ret = -EHWPOISON;
	CHECK_EQ(kd_replay(&run, victim + 1, NULL, &res), 1);
	CHECK_EQ(res.step, victim + 1);
	CHECK_STR(res.what, "ret");
	run.ops[victim].ret = 0;
	/* a maps text with one line dropped */
	char *m = run.maps[victim + 1];
	char *nl = strchr(m, '\n');
	CHECK(nl != NULL);
	memmove(m, nl + 1, strlen(nl + 1) + 1);
	CHECK_EQ(kd_replay(&run, victim + 1, NULL, &res), 1);
	CHECK_EQ(res.step, victim + 1);
	CHECK_STR(res.what, "maps");
	kd_run_free(&run);
	kd_file_cleanup();
}

/* ---- the kernel side alone ------------------------------------------- */

static int kd_maps_covers(const char *maps, unsigned long s, unsigned long e)
{
	static struct kd_range r[KD_CHILD_RANGES];
	int n = kd_maps_ranges(maps, strlen(maps), r, KD_CHILD_RANGES);
	unsigned long at = s;
	for (int i = 0; i < n && at < e; i++)
		if (r[i].start <= at && r[i].end > at)
			at = r[i].end;
	return at >= e;
}

static int kd_maps_touches(const char *maps, unsigned long s, unsigned long e)
{
	static struct kd_range r[KD_CHILD_RANGES];
	int n = kd_maps_ranges(maps, strlen(maps), r, KD_CHILD_RANGES);
	return kd_overlaps(s, e, r, n);
}

TEST(kernel_side_sane)
{
	struct kd_run a, b;
	KD_RUN(7, KD_NOPS, NULL, &a);
	CHECK_EQ(a.nops, KD_NOPS);
	CHECK(a.info.personality & ADDR_NO_RANDOMIZE);
	CHECK(strstr(a.maps[0], "[stack]") != NULL);
	CHECK(!kd_maps_touches(a.maps[0], KD_WIN_BASE, KD_WIN_END));
	int fixed_ok = 0, unmapped = 0, errors = 0;
	for (int i = 0; i < a.nops; i++) {
		const struct kd_op *op = &a.ops[i];
		const char *after = a.maps[i + 1];
		CHECK(after != NULL);
		if (op->ret < 0 && op->ret > -4096)
			errors++;
		if (op->kind == KD_MMAP && op->ret >= 0 && op->ret < -4096L)
			CHECK(0);
		if (op->kind == KD_MMAP && !(op->ret < 0 && op->ret > -4096)) {
			CHECK(kd_maps_covers(after, (unsigned long)op->ret, (unsigned long)op->ret + PAGE_ALIGN(op->a[1])));
			if (op->a[3] & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
				CHECK_EQ(op->ret, (long)op->a[0]);
				fixed_ok++;
			}
		}
		if (op->kind == KD_MUNMAP && op->ret == 0 && op->a[1]) {
			CHECK(!kd_maps_touches(after, op->a[0], op->a[0] + PAGE_ALIGN(op->a[1])));
			unmapped++;
		}
		/* mapping ops never touch what the child had at the start, except the stack */
		if (op->kind == KD_MMAP && (op->a[3] & MAP_FIXED) && op->ret == (long)op->a[0])
			CHECK(!kd_maps_touches(a.maps[0], op->a[0], op->a[0] + PAGE_ALIGN(op->a[1])));
	}
	CHECK(fixed_ok > 5);
	CHECK(unmapped > 5);
	CHECK(errors > 5 && errors < a.nops);
	/* the same seed gives the same run: the kernel side is deterministic */
	CHECK_EQ(kd_run_child(7, KD_NOPS, NULL, &b), 0);
	CHECK_EQ(b.nops, a.nops);
	for (int i = 0; i < a.nops; i++) {
		CHECK(memcmp(&a.ops[i], &b.ops[i], sizeof a.ops[i]) == 0);
		if (kd_compare_maps(a.maps[i + 1], b.maps[i + 1], stderr))
			CHECK(!"two runs of one seed differ");
	}
	kd_run_free(&b);
	/* explicit ops: the same sequence given as a list replays the same */
	CHECK_EQ(kd_run_child(0, a.nops, a.ops, &b), 0);
	for (int i = 0; i < a.nops; i++) {
		CHECK_EQ(b.ops[i].ret, a.ops[i].ret);
		CHECK_EQ(kd_compare_maps(a.maps[i + 1], b.maps[i + 1], stderr), 0);
	}
	kd_run_free(&b);
	kd_run_free(&a);
	kd_file_cleanup();
}

/* ---- the model against the kernel ------------------------------------ */

TEST(import_roundtrip)
{
	struct kd_run run;
	struct kd_result res;
	KD_RUN(1, 0, NULL, &run);
	int rc = kd_replay(&run, 0, stderr, &res);
	CHECK_EQ(rc, 0);
	/* mmk_import_maps guesses the flags a maps line does not show; for a
	 * plain process the guesses must match the kernel's VmFlags (under ASan
	 * its MAP_NORESERVE shadow needs the smaps correction) */
#if !defined(__SANITIZE_ADDRESS__)
	if (res.hidden_fixed) {
		kd_verbose = 1;
		kd_replay(&run, 0, stderr, &res);
	}
	CHECK_EQ(res.hidden_fixed, 0);
#endif
	kd_run_free(&run);
	kd_file_cleanup();
}

TEST(seeds)
{
	int failed = 0, first = 1;
	char cls[256];
	struct kd_run probe;
	KD_RUN(1, 0, NULL, &probe);
	kd_run_free(&probe);
	for (size_t i = 0; i < sizeof kd_fixed_seeds / sizeof kd_fixed_seeds[0]; i++) {
		struct kd_result res;
		int rc = kd_check_seed(kd_fixed_seeds[i], KD_NOPS, first ? stderr : NULL, &res, cls, sizeof cls);
		if (rc != 0) {
			if (!first)
				fprintf(stderr, "kdiff: seed %lu: %s at step %d: %s\n", kd_fixed_seeds[i], cls, res.step, res.op);
			first = 0;
			failed++;
		}
	}
	kd_file_cleanup();
	if (failed)
		fprintf(stderr, "kdiff: %d of %zu seeds disagree\n", failed,
			sizeof kd_fixed_seeds / sizeof kd_fixed_seeds[0]);
	CHECK_EQ(failed, 0);
}

/* ---- hand-written sequences (each one a quirk in docs/kernel-quirks.md) ---- */

#define W KD_WIN_BASE
#define P PAGE_SIZE
#define RW (PROT_READ | PROT_WRITE)
#define PA (MAP_PRIVATE | MAP_ANONYMOUS)
#define OP_MMAP(addr, len, prot, flags) { KD_MMAP, 0, { (addr), (len), (prot), (flags), 0 }, 0 }
#define OP_FMMAP(addr, len, prot, flags, fd, off) { KD_MMAP, (fd), { (addr), (len), (prot), (flags), (off) }, 0 }
#define OP(kind, a0, a1, a2, a3, a4) { (kind), 0, { (a0), (a1), (a2), (a3), (a4) }, 0 }
#define OP_BRK_REL(d) { KD_BRK, 1, { (d), 0, 0, 0, 0 }, 0 }

struct kd_seq {
	const char *name;
	int n;
	struct kd_op ops[16];
};

static const struct kd_seq kd_seqs[] = {
	{ "anon_vma: a faulted prev and a faulted next do not merge through a new middle", 5, {
		OP_MMAP(W, 2 * P, RW, PA | MAP_FIXED),
		OP(KD_MADVISE, W, 2 * P, MADV_POPULATE_WRITE, 0, 0),
		OP_MMAP(W + 3 * P, 2 * P, RW, PA | MAP_FIXED),
		OP(KD_MADVISE, W + 3 * P, 2 * P, MADV_POPULATE_WRITE, 0, 0),
		OP_MMAP(W + 2 * P, P, RW, PA | MAP_FIXED) } },
	{ "anon_vma: unfaulted neighbours merge three ways", 3, {
		OP_MMAP(W, 2 * P, RW, PA | MAP_FIXED),
		OP_MMAP(W + 3 * P, 2 * P, RW, PA | MAP_FIXED),
		OP_MMAP(W + 2 * P, P, RW, PA | MAP_FIXED) } },
	{ "MADV_POPULATE_READ maps the zero page, no anon_vma: the halves merge back", 4, {
		OP_MMAP(W, 4 * P, RW, PA | MAP_FIXED),
		OP(KD_MPROTECT, W + 2 * P, 2 * P, PROT_READ, 0, 0),
		OP(KD_MADVISE, W, 4 * P, MADV_POPULATE_READ, 0, 0),
		OP(KD_MPROTECT, W + 2 * P, 2 * P, RW, 0, 0) } },
	{ "halves of one faulted VMA share its anon_vma: they merge back", 4, {
		OP_MMAP(W, 4 * P, RW, PA | MAP_FIXED),
		OP(KD_MADVISE, W, 4 * P, MADV_POPULATE_WRITE, 0, 0),
		OP(KD_MPROTECT, W + 2 * P, 2 * P, PROT_READ, 0, 0),
		OP(KD_MPROTECT, W + 2 * P, 2 * P, RW, 0, 0) } },
	{ "a VMA faulted next to a faulted neighbour differing only in access flags reuses its anon_vma", 4, {
		OP_MMAP(W, 4 * P, RW, PA | MAP_FIXED),
		OP(KD_MPROTECT, W + 2 * P, 2 * P, RW | PROT_EXEC, 0, 0),
		OP(KD_MADVISE, W, 4 * P, MADV_POPULATE_WRITE, 0, 0),
		OP(KD_MPROTECT, W + 2 * P, 2 * P, RW, 0, 0) } },
	{ "a VMA faulted next to a neighbour with other flags gets its own anon_vma: no merge later", 4, {
		OP_MMAP(W, 4 * P, RW, PA | MAP_FIXED),
		OP(KD_MADVISE, W + 2 * P, 2 * P, MADV_RANDOM, 0, 0),
		OP(KD_MADVISE, W, 4 * P, MADV_POPULATE_WRITE, 0, 0),
		OP(KD_MADVISE, W + 2 * P, 2 * P, MADV_NORMAL, 0, 0) } },
	{ "mremap of an unfaulted VMA resets its pgoff so it merges at the new place", 3, {
		OP_MMAP(W, 2 * P, RW, PA | MAP_FIXED),
		OP(KD_MREMAP, W, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, W + 10 * P),
		OP_MMAP(W + 12 * P, P, RW, PA | MAP_FIXED) } },
	{ "mremap of a faulted VMA keeps its pgoff: no merge at the new place", 4, {
		OP_MMAP(W, 2 * P, RW, PA | MAP_FIXED),
		OP(KD_MADVISE, W, 2 * P, MADV_POPULATE_WRITE, 0, 0),
		OP(KD_MREMAP, W, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, W + 10 * P),
		OP_MMAP(W + 12 * P, P, RW, PA | MAP_FIXED) } },
	{ "MAP_STACK sets VM_NOHUGEPAGE: no merge with a plain neighbour", 2, {
		OP_MMAP(W, P, RW, PA | MAP_FIXED | MAP_STACK),
		OP_MMAP(W + P, P, RW, PA | MAP_FIXED) } },
	{ "a hint below mmap_min_addr is raised to the effective minimum", 1, {
		OP_MMAP(P, P, PROT_READ, PA) } },
	{ "no-hint anonymous 2 MiB mappings are THP-aligned", 2, {
		OP_MMAP(0, 2UL << 20, RW, PA),
		OP_MMAP(0, P, RW, PA) } },
	{ "a hint inside a MAP_GROWSDOWN VMA's guard gap is not honoured", 2, {
		OP_MMAP(W + 512 * P, 4 * P, RW, PA | MAP_FIXED | MAP_GROWSDOWN),
		OP_MMAP(W + 400 * P, 4 * P, RW, PA) } },
	{ "mprotect over a hole: -ENOMEM, the part before the hole changed", 3, {
		OP_MMAP(W, P, RW, PA | MAP_FIXED),
		OP_MMAP(W + 2 * P, P, RW, PA | MAP_FIXED),
		OP(KD_MPROTECT, W, 3 * P, PROT_READ, 0, 0) } },
	{ "madvise over a hole: applied to every VMA, then -ENOMEM", 3, {
		OP_MMAP(W, P, RW, PA | MAP_FIXED),
		OP_MMAP(W + 2 * P, P, RW, PA | MAP_FIXED),
		OP(KD_MADVISE, W, 3 * P, MADV_DONTFORK, 0, 0) } },
	{ "mremap shrink across VMAs", 3, {
		OP_MMAP(W, 4 * P, RW, PA | MAP_FIXED),
		OP_MMAP(W + 5 * P, 2 * P, RW, PA | MAP_FIXED),
		OP(KD_MREMAP, W, 8 * P, 2 * P, 0, 0) } },
	{ "mremap grow in place up to the next VMA", 4, {
		OP_MMAP(W, 2 * P, RW, PA | MAP_FIXED),
		OP_MMAP(W + 4 * P, 2 * P, PROT_READ, PA | MAP_FIXED),
		OP(KD_MREMAP, W, 2 * P, 4 * P, 0, 0),
		OP(KD_MREMAP, W, 4 * P, 5 * P, 0, 0) } },
	{ "MREMAP_DONTUNMAP leaves the old VMA", 2, {
		OP_MMAP(W, 2 * P, RW, PA | MAP_FIXED),
		OP(KD_MREMAP, W, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP | MREMAP_FIXED, W + 8 * P) } },
	{ "brk grows, shrinks, stays put below start_brk, and returns the unaligned break", 6, {
		OP_BRK_REL(3 * P),
		OP_BRK_REL(3 * P + 100),
		OP_BRK_REL(P),
		OP_BRK_REL(0),
		OP_BRK_REL((uint64_t)-(long)P),
		OP_BRK_REL(2 * P) } },
	{ "shared file mapping of a read-only open: no PROT_WRITE, not even by mprotect", 3, {
		OP_FMMAP(W, 2 * P, PROT_READ, MAP_SHARED | MAP_FIXED, KD_FD_RO, 0),
		OP_FMMAP(W + 4 * P, 2 * P, RW, MAP_SHARED | MAP_FIXED, KD_FD_RO, 0),
		OP(KD_MPROTECT, W, 2 * P, RW, 0, 0) } },
	{ "file mappings merge only when the offsets continue and the struct file is the same", 4, {
		OP_FMMAP(W, 2 * P, PROT_READ, MAP_PRIVATE | MAP_FIXED, KD_FD_RO, 0),
		OP_FMMAP(W + 2 * P, 2 * P, PROT_READ, MAP_PRIVATE | MAP_FIXED, KD_FD_RO, 2 * P),
		OP_FMMAP(W + 4 * P, 2 * P, PROT_READ, MAP_PRIVATE | MAP_FIXED, KD_FD_RW, 4 * P),
		OP_FMMAP(W + 6 * P, 2 * P, PROT_READ, MAP_PRIVATE | MAP_FIXED, KD_FD_RW, 9 * P) } },
	{ "mlock of a writable private mapping write-faults it: it gets an anon_vma", 6, {
		OP_MMAP(W, 2 * P, RW, PA | MAP_FIXED),
		OP(KD_MLOCK, W, 2 * P, 0, 0, 0),
		OP(KD_MUNLOCK, W, 2 * P, 0, 0, 0),
		OP_MMAP(W + 3 * P, 2 * P, RW, PA | MAP_FIXED),
		OP(KD_MADVISE, W + 3 * P, 2 * P, MADV_POPULATE_WRITE, 0, 0),
		OP_MMAP(W + 2 * P, P, RW, PA | MAP_FIXED) } },
	{ "mlock2(MLOCK_ONFAULT) does not fault: no anon_vma, three-way merge", 6, {
		OP_MMAP(W, 2 * P, RW, PA | MAP_FIXED),
		OP(KD_MLOCK2, W, 2 * P, MLOCK_ONFAULT, 0, 0),
		OP(KD_MUNLOCK, W, 2 * P, 0, 0, 0),
		OP_MMAP(W + 3 * P, 2 * P, RW, PA | MAP_FIXED),
		OP(KD_MADVISE, W + 3 * P, 2 * P, MADV_POPULATE_WRITE, 0, 0),
		OP_MMAP(W + 2 * P, P, RW, PA | MAP_FIXED) } },
	{ "MAP_POPULATE of a writable private mapping write-faults it", 4, {
		OP_MMAP(W, 2 * P, RW, PA | MAP_FIXED | MAP_POPULATE),
		OP_MMAP(W + 3 * P, 2 * P, RW, PA | MAP_FIXED),
		OP(KD_MADVISE, W + 3 * P, 2 * P, MADV_POPULATE_WRITE, 0, 0),
		OP_MMAP(W + 2 * P, P, RW, PA | MAP_FIXED) } },
	{ "brk never extends the bss: the heap is a VMA of its own", 2, {
		OP_BRK_REL(2 * P),
		OP(KD_MADVISE, 0, 0, MADV_NORMAL, 0, 0) } },
	{ "mremap(old_len 0) duplicates a shared mapping, refuses a private one", 4, {
		OP_MMAP(W, 2 * P, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED),
		OP(KD_MREMAP, W, 0, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, W + 8 * P),
		OP_MMAP(W + 16 * P, 2 * P, RW, PA | MAP_FIXED),
		OP(KD_MREMAP, W + 16 * P, 0, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, W + 24 * P) } },
	{ "a failing mremap(MREMAP_FIXED) leaves the destination mapped (checks come first)", 3, {
		OP_MMAP(W, 2 * P, RW, PA | MAP_FIXED),
		OP_MMAP(W + 8 * P, 2 * P, PROT_READ, PA | MAP_FIXED),
		OP(KD_MREMAP, W, 4 * P, 5 * P, MREMAP_MAYMOVE | MREMAP_FIXED, W + 8 * P) } },
	{ "mremap(MREMAP_FIXED, old_len == new_len) moves several VMAs and the holes between them; without FIXED it is a no-op", 5, {
		OP_MMAP(W, P, RW, PA | MAP_FIXED),
		OP_MMAP(W + 2 * P, P, PROT_READ, PA | MAP_FIXED),
		OP(KD_MREMAP, W, 4 * P, 4 * P, MREMAP_MAYMOVE | MREMAP_FIXED, W + 8 * P),
		OP(KD_MREMAP, W + 8 * P, 4 * P, 4 * P, MREMAP_MAYMOVE, 0),
		OP(KD_MREMAP, W + 9 * P, 3 * P, 3 * P, MREMAP_MAYMOVE | MREMAP_FIXED, W + 16 * P) } },
	{ "the multi-VMA move works with MREMAP_DONTUNMAP too, and refuses resizing", 4, {
		OP_MMAP(W, P, RW, PA | MAP_FIXED),
		OP_MMAP(W + 2 * P, P, PROT_READ, PA | MAP_FIXED),
		OP(KD_MREMAP, W, 3 * P, 3 * P, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, W + 8 * P),
		OP(KD_MREMAP, W, 3 * P, 4 * P, MREMAP_MAYMOVE | MREMAP_FIXED, W + 16 * P) } },
	{ "mremap shrink with MREMAP_FIXED unmaps the tail, then moves", 3, {
		OP_MMAP(W, 2 * P, RW, PA | MAP_FIXED),
		OP_MMAP(W + 3 * P, 2 * P, RW, PA | MAP_FIXED),
		OP(KD_MREMAP, W, 6 * P, P, MREMAP_MAYMOVE | MREMAP_FIXED, W + 16 * P) } },
	{ "MADV_WIPEONFORK only on private anonymous memory", 3, {
		OP_FMMAP(W, 2 * P, PROT_READ, MAP_PRIVATE | MAP_FIXED, KD_FD_RO, 0),
		OP(KD_MADVISE, W, 2 * P, MADV_WIPEONFORK, 0, 0),
		OP(KD_MADVISE, W, 2 * P, MADV_DONTNEED, 0, 0) } },
};

static int kd_run_seq(const struct kd_seq *sq, struct kd_run *run)
{
	return kd_run_child(0, sq->n, sq->ops, run);
}

TEST(targeted)
{
	int failed = 0;
	struct kd_run probe;
	KD_RUN(1, 0, NULL, &probe);
	kd_run_free(&probe);
	for (size_t i = 0; i < sizeof kd_seqs / sizeof kd_seqs[0]; i++) {
		struct kd_run run;
		struct kd_result res;
		if (kd_run_seq(&kd_seqs[i], &run) != 0) {
			fprintf(stderr, "kdiff: '%s': kernel side failed: %s\n", kd_seqs[i].name, run.err);
			failed++;
			kd_run_free(&run);
			continue;
		}
		for (int k = 0; k < run.nops; k++)
			CHECK(run.ops[k].ret != KD_SKIPPED);
		if (kd_replay(&run, -1, failed ? NULL : stderr, &res) != 0) {
			fprintf(stderr, "kdiff: targeted '%s' disagrees (%s at step %d: %s)\n", kd_seqs[i].name,
				res.what, res.step, res.op);
			failed++;
		}
		kd_run_free(&run);
	}
	kd_file_cleanup();
	CHECK_EQ(failed, 0);
}

/* print the kernel's answers to the hand-written sequences */
static int kd_targeted_main(void)
{
	for (size_t i = 0; i < sizeof kd_seqs / sizeof kd_seqs[0]; i++) {
		struct kd_run run;
		char ob[512], rb[64];
		printf("### %s\n", kd_seqs[i].name);
		if (kd_run_seq(&kd_seqs[i], &run) != 0) {
			printf("kernel side failed: %s\n", run.err);
			kd_run_free(&run);
			continue;
		}
		for (int k = 0; k < run.nops; k++) {
			kd_fmt_op(ob, sizeof ob, &run.ops[k]);
			kd_fmt_ret(rb, sizeof rb, (long)run.ops[k].ret);
			printf("%s = %s\n", ob, rb);
		}
		/* the lines that changed from the first snapshot */
		kd_compare_maps_labels(run.maps[0], run.maps[run.nops], stdout, "before", "after");
		kd_run_free(&run);
	}
	kd_file_cleanup();
	return 0;
}

#define TESTS(X)                      \
	X(compare_detects_mismatch)   \
	X(kernel_side_sane)           \
	X(import_roundtrip)           \
	X(replay_detects_mismatch)    \
	X(targeted)                   \
	X(seeds)

int main(int argc, char **argv)
{
	int r = kd_tool_main(argc, argv);
	if (r >= 0)
		return r;
	if (argc > 1 && strcmp(argv[1], "--kdiff-targeted") == 0)
		return kd_targeted_main();
	static const struct mmk_test tests_[] = { TESTS(MMK_TEST_ENTRY) };
	return mmk_test_main("kdiff", tests_, (int)(sizeof(tests_) / sizeof(tests_[0])), argc, argv);
}
