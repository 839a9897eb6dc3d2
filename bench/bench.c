/* SPDX-License-Identifier: MIT */
/*
 * bench/bench.c - mmkit against the Linux kernel on the same machine, in one
 * run. Every figure is a ratio against an anchor measured in the same run:
 * the same operation on this kernel, or the simplest structure that does
 * the job (a sorted array, raw atomics, glibc malloc).
 *
 * Each benchmark runs a warm-up, then REPS repetitions; the median is kept.
 * Output: a table on stdout and build/bench.json (an array of objects
 * {"name", "unit", "mmkit", "anchor", "anchor_name"}).
 *
 *   build/bench/bench [-o FILE] [-q] [NAME...]
 */
#include <mmkit/mmkit.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern struct kmem_cache *vm_area_cachep;

#define REPS 7

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* median of REPS runs of fn (which returns its own per-op cost) after a warm-up */
static double median(double (*fn)(long), long n)
{
	double v[REPS];
	fn(n / 10 + 1);
	for (int i = 0; i < REPS; i++)
		v[i] = fn(n);
	qsort(v, REPS, sizeof(v[0]), cmp_double);
	return v[REPS / 2];
}

static volatile unsigned long sink;

/* ---- mmap_munmap_4k ---------------------------------------------------- */
static struct mm_struct *bench_mm(void)
{
	struct mm_struct *mm = mm_alloc();
	if (!mm) {
		fprintf(stderr, "bench: mm_alloc failed\n");
		exit(1);
	}
	arch_pick_mmap_layout(mm);
	return mm;
}

static double mmk_mmap_munmap(long n)
{
	struct mm_struct *mm = bench_mm();
	double t0 = now_ns();
	for (long i = 0; i < n; i++) {
		long a = sys_mmap(mm, 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
		sys_munmap(mm, (unsigned long)a, 4096);
	}
	double t = (now_ns() - t0) / (double)n;
	mmput(mm);
	return t;
}

static double linux_mmap_munmap(long n)
{
	double t0 = now_ns();
	for (long i = 0; i < n; i++) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		munmap(p, 4096);
	}
	return (now_ns() - t0) / (double)n;
}

/* ---- mprotect_split_merge ---------------------------------------------- */
static double mmk_mprotect(long n)
{
	struct mm_struct *mm = bench_mm();
	unsigned long a = (unsigned long)sys_mmap(mm, 0, 64 * 4096, PROT_READ | PROT_WRITE,
						  MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	double t0 = now_ns();
	for (long i = 0; i < n; i++) {
		sys_mprotect(mm, a + 32 * 4096, 4096, PROT_READ);
		sys_mprotect(mm, a + 32 * 4096, 4096, PROT_READ | PROT_WRITE);
	}
	double t = (now_ns() - t0) / (double)n;
	mmput(mm);
	return t;
}

static double linux_mprotect(long n)
{
	char *p = mmap(NULL, 64 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t0 = now_ns();
	for (long i = 0; i < n; i++) {
		mprotect(p + 32 * 4096, 4096, PROT_READ);
		mprotect(p + 32 * 4096, 4096, PROT_READ | PROT_WRITE);
	}
	double t = (now_ns() - t0) / (double)n;
	munmap(p, 64 * 4096);
	return t;
}

/* ---- find_vma_1m --------------------------------------------------------- */
#define NVMAS 1000000L
static struct mm_struct *big_mm;
static unsigned long *starts;
static unsigned long *lookups;
#define NLOOKUPS 4096

static void build_big(void)
{
	if (big_mm)
		return;
	sysctl_max_map_count = 2 * NVMAS;
	big_mm = bench_mm();
	starts = malloc(NVMAS * sizeof(*starts));
	lookups = malloc(NLOOKUPS * sizeof(*lookups));
	unsigned long base = 0x100000000UL;
	for (long i = 0; i < NVMAS; i++) {
		/* one page mapped, one page hole: nothing merges */
		unsigned long a = base + (unsigned long)i * 2 * 4096;
		long r = sys_mmap(big_mm, a, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
		if (r != (long)a) {
			fprintf(stderr, "bench: building 1M VMAs failed at %ld (%ld)\n", i, r);
			exit(1);
		}
		starts[i] = a;
	}
	unsigned s = 12345;
	for (int i = 0; i < NLOOKUPS; i++) {
		s = s * 1103515245 + 12345;
		lookups[i] = base + ((unsigned long)s % (NVMAS * 2)) * 4096 + 100;
	}
}

static double mmk_find_vma(long n)
{
	build_big();
	double t0 = now_ns();
	unsigned long acc = 0;
	for (long i = 0; i < n; i++) {
		struct vm_area_struct *v = find_vma(big_mm, lookups[i & (NLOOKUPS - 1)] + (unsigned long)i * 7919 % 4096);
		acc += v ? v->vm_start : 0;
	}
	sink = acc;
	return (now_ns() - t0) / (double)n;
}

static double array_find(long n)
{
	build_big();
	double t0 = now_ns();
	unsigned long acc = 0;
	for (long i = 0; i < n; i++) {
		unsigned long addr = lookups[i & (NLOOKUPS - 1)] + (unsigned long)i * 7919 % 4096;
		/* first range with end > addr */
		long lo = 0, hi = NVMAS;
		while (lo < hi) {
			long mid = (lo + hi) / 2;
			if (starts[mid] + 4096 > addr)
				hi = mid;
			else
				lo = mid + 1;
		}
		acc += lo < NVMAS ? starts[lo] : 0;
	}
	sink = acc;
	return (now_ns() - t0) / (double)n;
}

/* ---- mmget_mmput_2threads ------------------------------------------------- */
static struct mm_struct *shared_mm;
static MMK_ATOMIC(long) raw_counter;
static long pair_iters;

static void *getput_thread(void *arg)
{
	(void)arg;
	for (long i = 0; i < pair_iters; i++) {
		mmget(shared_mm);
		mmput(shared_mm);
	}
	return NULL;
}

static void *raw_thread(void *arg)
{
	(void)arg;
	for (long i = 0; i < pair_iters; i++) {
		atomic_fetch_add(&raw_counter, 1);
		atomic_fetch_sub(&raw_counter, 1);
	}
	return NULL;
}

static double two_threads(void *(*fn)(void *), long n)
{
	pthread_t a, b;
	pair_iters = n;
	double t0 = now_ns();
	pthread_create(&a, NULL, fn, NULL);
	pthread_create(&b, NULL, fn, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	return (now_ns() - t0) / (double)n;
}

static double mmk_getput(long n)
{
	shared_mm = bench_mm();
	double t = two_threads(getput_thread, n);
	mmput(shared_mm);
	return t;
}

static double raw_atomics(long n) { return two_threads(raw_thread, n); }

/* ---- slab_alloc_free -------------------------------------------------------- */
static double mmk_slab(long n)
{
	double t0 = now_ns();
	for (long i = 0; i < n; i++) {
		void *p = kmem_cache_alloc(vm_area_cachep, GFP_KERNEL);
		sink += (unsigned long)p;
		kmem_cache_free(vm_area_cachep, p);
	}
	return (now_ns() - t0) / (double)n;
}

static double glibc_malloc(long n)
{
	double t0 = now_ns();
	for (long i = 0; i < n; i++) {
		void *p = malloc(sizeof(struct vm_area_struct));
		sink += (unsigned long)p;
		free(p);
	}
	return (now_ns() - t0) / (double)n;
}

/* ---- table --------------------------------------------------------------------- */
struct bench {
	const char *name, *unit;
	double (*mmk)(long);
	double (*anchor)(long);
	const char *anchor_name;
	long n_mmk, n_anchor;
	double scale; /* ns -> unit */
};

static const struct bench benches[] = {
	{ "mmap_munmap_4k", "ns per pair", mmk_mmap_munmap, linux_mmap_munmap, "linux", 200000, 100000, 1 },
	{ "mprotect_split_merge", "ns per pair", mmk_mprotect, linux_mprotect, "linux", 200000, 50000, 1 },
	{ "find_vma_1m", "ns per lookup", mmk_find_vma, array_find, "sorted-array", 2000000, 2000000, 1 },
	{ "mmget_mmput_2threads", "ns per pair", mmk_getput, raw_atomics, "atomic", 2000000, 2000000, 1 },
	{ "slab_alloc_free", "ns per pair", mmk_slab, glibc_malloc, "glibc-malloc", 5000000, 5000000, 1 },
};

int main(int argc, char **argv)
{
	const char *out = "build/bench.json";
	bool quiet = false;
	int nsel = 0;
	const char *sel[32];
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "-q"))
			quiet = true;
		else if (nsel < 32)
			sel[nsel++] = argv[i];
	}
	if (mmk_boot(4)) {
		fprintf(stderr, "bench: boot failed\n");
		return 1;
	}
	FILE *j = fopen(out, "w");
	if (!j) {
		perror(out);
		return 1;
	}
	fprintf(j, "[\n");
	if (!quiet)
		printf("%-22s %-14s %12s %12s  %-13s %8s\n", "benchmark", "unit", "mmkit", "anchor", "anchor name", "ratio");
	bool first = true;
	for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++) {
		const struct bench *b = &benches[i];
		bool want = nsel == 0;
		for (int k = 0; k < nsel; k++)
			want |= !strcmp(sel[k], b->name);
		if (!want)
			continue;
		double m = median(b->mmk, b->n_mmk) * b->scale;
		double a = median(b->anchor, b->n_anchor) * b->scale;
		if (!quiet)
			printf("%-22s %-14s %12.1f %12.1f  %-13s %7.2fx\n", b->name, b->unit, m, a, b->anchor_name, a / m);
		fprintf(j, "%s  {\"name\": \"%s\", \"unit\": \"%s\", \"mmkit\": %.3f, \"anchor\": %.3f, \"anchor_name\": \"%s\"}",
			first ? "" : ",\n", b->name, b->unit, m, a, b->anchor_name);
		first = false;
		fflush(stdout);
	}
	fprintf(j, "\n]\n");
	fclose(j);
	if (big_mm)
		mmput(big_mm);
	free(starts);
	free(lookups);
	long leaked = mmk_shutdown();
	if (leaked) {
		fprintf(stderr, "bench: %ld objects leaked\n", leaked);
		return 1;
	}
	if (!quiet)
		printf("wrote %s (ratio = anchor / mmkit: above 1 means mmkit is faster)\n", out);
	return 0;
}
