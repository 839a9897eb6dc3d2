/* SPDX-License-Identifier: MIT */
/*
 * tests/test_rss_kdiff.c - the page layer against the running kernel.
 *
 * For each seed a sequence of operations is generated: anonymous, private
 * file, shared file (read only) and shared anonymous mappings placed in
 * slots of a scratch region (slots apart, so VMAs never merge), reads and
 * writes of single bytes, MADV_POPULATE_READ/WRITE, MADV_DONTNEED and
 * munmap. A child process with transparent huge pages disabled performs
 * them for real and sends back what /proc/self/smaps says of every VMA in
 * the region; mmkit performs the same sequence on its own address space.
 * Every VMA's bounds, Rss and Anonymous must be equal.
 *
 * The file is written just before on tmpfs (/dev/shm), so the kernel has it
 * in its page cache whole, in small pages: fault-around then maps the same
 * pages mmkit's does.
 */
#include <mmkit/mmkit.h>
#include <mmkit/page.h>
#include "harness.h"
#include "internal.h"
#include "vma.h"
#include <fcntl.h>
#include <sys/prctl.h>

#ifndef PR_SET_THP_DISABLE
#define PR_SET_THP_DISABLE 41
#endif

#define NSLOT 6
#define SLOT_PAGES 64
#define SLOT_STRIDE 96 /* pages: a gap of 32 between slots */
#define NOPS 60
#define FILE_BYTES (40 * 4096 + 123)
#define FILE_PAGES 41

enum kind { K_ANON, K_FILE_PRIV_RO, K_FILE_PRIV_RW, K_FILE_SHARED_RO, K_SHMEM, NKIND };
enum optype { OP_MAP, OP_UNMAP, OP_READ, OP_WRITE, OP_POP_READ, OP_POP_WRITE, OP_DONTNEED };

struct op {
	int type, slot, kind;
	unsigned long a, b;  /* page range inside the slot: [a, b), or a page in a */
	unsigned long pgoff; /* OP_MAP of a file */
};

struct slot_state {
	bool mapped;
	int kind;
	unsigned long npages, pgoff;
};

struct vma_rec {
	unsigned long start, end, rss_kb, anon_kb;
};

static unsigned rng_state;
static unsigned rnd(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state % n;
}

/* the pages of a mapping that can be touched (a file mapping ends at EOF) */
static unsigned long touchable(const struct slot_state *s)
{
	if (s->kind == K_ANON || s->kind == K_SHMEM)
		return s->npages;
	if (s->pgoff >= FILE_PAGES)
		return 0;
	return s->npages < FILE_PAGES - s->pgoff ? s->npages : FILE_PAGES - s->pgoff;
}

static bool writable(int kind) { return kind == K_ANON || kind == K_FILE_PRIV_RW || kind == K_SHMEM; }

static int gen_ops(unsigned seed, struct op *ops)
{
	struct slot_state st[NSLOT] = { { 0 } };
	int n = 0;

	rng_state = seed * 2654435761u + 12345;
	while (n < NOPS) {
		struct op o = { 0 };
		struct slot_state *s;

		o.slot = (int)rnd(NSLOT);
		s = &st[o.slot];
		if (!s->mapped || rnd(12) == 0) {
			o.type = OP_MAP;
			o.kind = (int)rnd(NKIND);
			o.a = 0;
			o.b = 1 + rnd(SLOT_PAGES);
			o.pgoff = (o.kind == K_ANON || o.kind == K_SHMEM) ? 0 : rnd(20);
			s->mapped = true;
			s->kind = o.kind;
			s->npages = o.b;
			s->pgoff = o.pgoff;
			ops[n++] = o;
			continue;
		}
		unsigned long t = touchable(s);
		if (!t)
			continue;
		switch (rnd(10)) {
		case 0:
			o.type = OP_UNMAP;
			s->mapped = false;
			break;
		case 1: case 2: case 3:
			o.type = OP_READ;
			o.a = rnd((unsigned)t);
			break;
		case 4: case 5: case 6:
			if (!writable(s->kind))
				continue;
			o.type = OP_WRITE;
			o.a = rnd((unsigned)t);
			break;
		case 7:
			o.type = OP_POP_READ;
			break;
		case 8:
			if (!writable(s->kind))
				continue;
			o.type = OP_POP_WRITE;
			break;
		default:
			o.type = OP_DONTNEED;
			break;
		}
		if (o.type == OP_POP_READ || o.type == OP_POP_WRITE || o.type == OP_DONTNEED) {
			o.a = rnd((unsigned)t);
			o.b = o.a + 1 + rnd((unsigned)(t - o.a));
		}
		ops[n++] = o;
	}
	return n;
}

static int map_flags(int kind)
{
	switch (kind) {
	case K_ANON: return MAP_PRIVATE | MAP_ANONYMOUS;
	case K_SHMEM: return MAP_SHARED | MAP_ANONYMOUS;
	case K_FILE_SHARED_RO: return MAP_SHARED;
	default: return MAP_PRIVATE;
	}
}

static int map_prot(int kind)
{
	return writable(kind) ? PROT_READ | PROT_WRITE : PROT_READ;
}

#define SLOT_ADDR(base, i) ((base) + (unsigned long)(i) * SLOT_STRIDE * PAGE_SIZE)

/* ---- the kernel side (in a child) ---- */

static int parse_smaps(unsigned long lo, unsigned long hi, struct vma_rec *out, int max)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	int n = -1;
	bool in = false;

	if (!f)
		return -1;
	n = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e, v;

		if (sscanf(line, "%lx-%lx ", &s, &e) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = s >= lo && e <= hi && n < max;
			if (in) {
				out[n].start = s;
				out[n].end = e;
				out[n].rss_kb = out[n].anon_kb = 0;
				n++;
			}
		} else if (in && sscanf(line, "Rss: %lu kB", &v) == 1) {
			out[n - 1].rss_kb = v;
		} else if (in && sscanf(line, "Anonymous: %lu kB", &v) == 1) {
			out[n - 1].anon_kb = v;
		}
	}
	fclose(f);
	return n;
}

static void kernel_run(int wfd, const struct op *ops, int nops, const char *path, unsigned long *base_out)
{
	size_t region = (size_t)NSLOT * SLOT_STRIDE * PAGE_SIZE;
	struct vma_rec recs[64];
	char *base;
	int fd, n;
	long rcs[NOPS];

	prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
	base = mmap(NULL, region, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		_exit(3);
	munmap(base, region);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		_exit(3);
	for (int i = 0; i < nops; i++) {
		const struct op *o = &ops[i];
		char *slot = (char *)SLOT_ADDR((unsigned long)base, o->slot);
		long rc = 0;

		switch (o->type) {
		case OP_MAP: {
			bool anon = o->kind == K_ANON || o->kind == K_SHMEM;
			void *r = mmap(slot, o->b * PAGE_SIZE, map_prot(o->kind), map_flags(o->kind) | MAP_FIXED,
				       anon ? -1 : fd, (off_t)(o->pgoff * PAGE_SIZE));
			rc = r == MAP_FAILED ? -errno : 0;
			break;
		}
		case OP_UNMAP:
			rc = munmap(slot, SLOT_PAGES * PAGE_SIZE) ? -errno : 0;
			break;
		case OP_READ:
			rc = *(volatile char *)(slot + o->a * PAGE_SIZE + 5);
			rc = 0;
			break;
		case OP_WRITE:
			*(volatile char *)(slot + o->a * PAGE_SIZE + 7) = (char)i;
			break;
		case OP_POP_READ:
		case OP_POP_WRITE:
		case OP_DONTNEED:
			rc = madvise(slot + o->a * PAGE_SIZE, (o->b - o->a) * PAGE_SIZE,
				     o->type == OP_POP_READ ? MADV_POPULATE_READ :
				     o->type == OP_POP_WRITE ? MADV_POPULATE_WRITE : MADV_DONTNEED) ? -errno : 0;
			break;
		}
		rcs[i] = rc;
	}
	n = parse_smaps((unsigned long)base, (unsigned long)base + region, recs, 64);
	*base_out = (unsigned long)base;
	if (write(wfd, base_out, sizeof(*base_out)) < 0 || write(wfd, &n, sizeof(n)) < 0 ||
	    write(wfd, rcs, sizeof(rcs)) < 0 ||
	    (n > 0 && write(wfd, recs, (size_t)n * sizeof(recs[0])) < 0))
		_exit(4);
	_exit(0);
}

/* ---- mmkit's side ---- */

static int mmkit_run(unsigned long base, const struct op *ops, int nops, const char *path,
		     struct vma_rec *recs, int max, long *rcs)
{
	size_t region = (size_t)NSLOT * SLOT_STRIDE * PAGE_SIZE;
	struct mm_struct *mm = mm_alloc();
	struct file *f = mmk_file_open(path, FMODE_READ);
	int n = 0;

	CHECK(mm != NULL);
	CHECK(!IS_ERR(f));
	arch_pick_mmap_layout(mm);
	for (int i = 0; i < nops; i++) {
		const struct op *o = &ops[i];
		unsigned long slot = SLOT_ADDR(base, o->slot);
		long rc = 0;
		char c = (char)i;

		switch (o->type) {
		case OP_MAP: {
			bool anon = o->kind == K_ANON || o->kind == K_SHMEM;
			rc = sys_mmap(mm, slot, o->b * PAGE_SIZE, (unsigned long)map_prot(o->kind),
				      (unsigned long)map_flags(o->kind) | MAP_FIXED, anon ? NULL : f,
				      o->pgoff * PAGE_SIZE);
			rc = rc < 0 ? rc : 0;
			break;
		}
		case OP_UNMAP:
			rc = sys_munmap(mm, slot, SLOT_PAGES * PAGE_SIZE);
			break;
		case OP_READ:
			CHECK_EQ(mmk_copy_from_user(mm, &c, slot + o->a * PAGE_SIZE + 5, 1), 0);
			break;
		case OP_WRITE:
			CHECK_EQ(mmk_copy_to_user(mm, slot + o->a * PAGE_SIZE + 7, &c, 1), 0);
			break;
		case OP_POP_READ:
		case OP_POP_WRITE:
		case OP_DONTNEED:
			rc = sys_madvise(mm, slot + o->a * PAGE_SIZE, (o->b - o->a) * PAGE_SIZE,
					 o->type == OP_POP_READ ? MADV_POPULATE_READ :
					 o->type == OP_POP_WRITE ? MADV_POPULATE_WRITE : MADV_DONTNEED);
			break;
		}
		rcs[i] = rc;
	}
	for (struct vm_area_struct *v = mm->mmap; v && n < max; v = v->vm_next) {
		struct mmk_page_stats st = { 0 };

		if (v->vm_start < base || v->vm_end > base + region)
			continue;
		mmk_smaps_vma(v, &st);
		recs[n].start = v->vm_start;
		recs[n].end = v->vm_end;
		recs[n].rss_kb = st.resident >> 10;
		recs[n].anon_kb = st.anonymous >> 10;
		n++;
	}
	fput(f);
	CHECK_EQ(validate_mm(mm), 0);
	mmput(mm);
	return n;
}

static const char *op_name(int t)
{
	static const char *const names[] = { "map", "unmap", "read", "write", "populate_read",
					     "populate_write", "dontneed" };
	return names[t];
}

static void dump_ops(const struct op *ops, int n)
{
	for (int i = 0; i < n; i++)
		fprintf(stderr, "  %2d %-14s slot %d kind %d [%lu,%lu) pgoff %lu\n", i, op_name(ops[i].type),
			ops[i].slot, ops[i].kind, ops[i].a, ops[i].b, ops[i].pgoff);
}

static bool run_seed(unsigned seed, const char *path)
{
	struct op ops[NOPS];
	struct vma_rec krec[64], mrec[64];
	long krc[NOPS], mrc[NOPS];
	int nops = gen_ops(seed, ops), kn, mn, pfd[2], st;
	unsigned long base = 0;
	bool ok = true;
	pid_t pid;

	CHECK_EQ(pipe(pfd), 0);
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		kernel_run(pfd[1], ops, nops, path, &base);
	}
	close(pfd[1]);
	CHECK_EQ(read(pfd[0], &base, sizeof(base)), (long)sizeof(base));
	CHECK_EQ(read(pfd[0], &kn, sizeof(kn)), (long)sizeof(kn));
	CHECK_EQ(read(pfd[0], krc, sizeof(krc)), (long)sizeof(krc));
	if (kn < 0) {
		waitpid(pid, &st, 0);
		SKIP("/proc/self/smaps is not readable here");
	}
	if (kn > 0)
		CHECK_EQ(read(pfd[0], krec, (size_t)kn * sizeof(krec[0])), (long)((size_t)kn * sizeof(krec[0])));
	close(pfd[0]);
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	mn = mmkit_run(base, ops, nops, path, mrec, 64, mrc);
	for (int i = 0; i < nops; i++)
		if (krc[i] != mrc[i]) {
			fprintf(stderr, "seed %u op %d (%s): kernel rc %ld, mmkit %ld\n", seed, i,
				op_name(ops[i].type), krc[i], mrc[i]);
			ok = false;
		}
	if (kn != mn) {
		fprintf(stderr, "seed %u: kernel has %d VMAs, mmkit %d\n", seed, kn, mn);
		ok = false;
	}
	for (int i = 0; i < kn && i < mn; i++) {
		if (krec[i].start != mrec[i].start || krec[i].end != mrec[i].end ||
		    krec[i].rss_kb != mrec[i].rss_kb || krec[i].anon_kb != mrec[i].anon_kb) {
			fprintf(stderr,
				"seed %u VMA %d: kernel %#lx-%#lx Rss %lu Anonymous %lu; mmkit %#lx-%#lx Rss %lu Anonymous %lu\n",
				seed, i, krec[i].start, krec[i].end, krec[i].rss_kb, krec[i].anon_kb,
				mrec[i].start, mrec[i].end, mrec[i].rss_kb, mrec[i].anon_kb);
			ok = false;
		}
	}
	if (!ok)
		dump_ops(ops, nops);
	return ok;
}

static char path[64];

static void make_file(void)
{
	char *buf = malloc(FILE_BYTES);
	int fd;

	/* tmpfs keeps small folios (shmem THP "never" here), so the kernel's
	 * fault-around maps exactly its 16-page window; ext4 may cache the
	 * file in large folios, which fault-around maps whole */
	snprintf(path, sizeof(path), "%s/mmk_rss_kdiff_XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	fd = mkstemp(path);
	CHECK(fd >= 0);
	for (int i = 0; i < FILE_BYTES; i++)
		buf[i] = (char)(i * 13);
	CHECK_EQ(write(fd, buf, FILE_BYTES), FILE_BYTES);
	fsync(fd);
	close(fd);
	free(buf);
	/* read it once so every page is in the kernel's page cache */
	fd = open(path, O_RDONLY);
	buf = malloc(FILE_BYTES);
	CHECK_EQ(read(fd, buf, FILE_BYTES), FILE_BYTES);
	close(fd);
	free(buf);
}

TEST(seeded_sequences)
{
	const char *env = getenv("MMK_RSS_KDIFF_SEEDS");
	unsigned seeds = env ? (unsigned)atoi(env) : 40, bad = 0;

	if (access("/proc/self/smaps", R_OK) != 0)
		SKIP("/proc/self/smaps is not available");
	make_file();
	CHECK_EQ(mmk_boot(2), 0);
	for (unsigned s = 1; s <= seeds; s++)
		if (!run_seed(s, path))
			bad++;
	unlink(path);
	CHECK_EQ(mmk_mem_shutdown(), 0);
	CHECK_EQ(mmk_shutdown(), 0);
	CHECK_EQ(bad, 0);
}

#define TESTS(X) X(seeded_sequences)
TEST_MAIN("rss_kdiff", TESTS)
