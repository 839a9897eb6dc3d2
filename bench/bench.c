/* SPDX-License-Identifier: MIT */
/*
 * bench/bench.c - mmkit against the Linux kernel on the same machine, in one
 * run. Every figure is a ratio against an anchor measured in the same run:
 * the same operation on this kernel, or the simplest structure that does
 * the job (a sorted array, raw atomics, glibc malloc).
 *
 * Each benchmark runs a warm-up, then several repetitions; the median is
 * kept. Single-threaded figures are CPU time of the measuring thread
 * (CLOCK_THREAD_CPUTIME_ID: user + system, so a system call or a page fault
 * of this kernel is counted in full, and time lost to other processes on a
 * busy machine is not); fork_exit adds the CPU time of the reaped child;
 * the multi-threaded figure is wall time. docs/performance.md has the
 * method and the figures.
 *
 * Output: a table on stdout, build/bench.json (an array of objects
 * {"name", "unit", "mmkit", "anchor", "anchor_name"}), the memory figures
 * in build/bench-memory.json and three plots, build/bench-*.svg.
 *
 *   build/bench/bench [-o FILE] [-q] [--no-plots] [NAME...]
 *
 * BENCH_VERBOSE=1 prints every repetition of mmkit's side to stderr (the
 * machine's noise shows there: fork_exit moves between ~7 and ~12 ms from
 * one second to the next on a shared VM, with identical work).
 */
#include <mmkit/mmkit.h>
#include <mmkit/page.h>
#include "vma.h"
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REPS 7
#define MAX_REPS 15 /* the noisiest rows take more */

static double clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}
static double now_ns(void) { return clock_ns(CLOCK_MONOTONIC); }
static double cpu_ns(void) { return clock_ns(CLOCK_THREAD_CPUTIME_ID); }

static double children_cpu_ns(void)
{
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median_of(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(v[0]), cmp_double);
	return v[n / 2];
}

/* median of @reps runs of fn (which returns its own per-op cost) after a warm-up */
static double median_n(double (*fn)(long), long n, int reps)
{
	double v[MAX_REPS];
	if (reps > MAX_REPS)
		reps = MAX_REPS;
	fn(n / 10 + 1);
	for (int i = 0; i < reps; i++)
		v[i] = fn(n);
	return median_of(v, reps);
}

/*
 * mmkit and its anchor, repetitions interleaved (mmkit, anchor, mmkit, ...)
 * so that a noisy stretch of a shared machine hits both sides alike; each
 * side gets its own warm-up and its own median. @anchor may be NULL.
 */
static void median_pair(double (*m)(long), long nm, double (*a)(long), long na, int reps,
			double *mres, double *ares)
{
	double vm[MAX_REPS], va[MAX_REPS];
	if (reps > MAX_REPS)
		reps = MAX_REPS;
	m(nm / 10 + 1);
	if (a)
		a(na / 10 + 1);
	for (int i = 0; i < reps; i++) {
		vm[i] = m(nm);
		if (a)
			va[i] = a(na);
		if (getenv("BENCH_VERBOSE"))
			fprintf(stderr, "  rep %d: mmkit %.1f, anchor %.1f\n", i, vm[i], a ? va[i] : 0.0);
	}
	*mres = median_of(vm, reps);
	if (a)
		*ares = median_of(va, reps);
}

static volatile unsigned long sink;

static void die(const char *what, long err)
{
	fprintf(stderr, "bench: %s failed (%ld)\n", what, err);
	exit(1);
}

static struct mm_struct *bench_mm(void)
{
	struct mm_struct *mm = mm_alloc();
	if (!mm)
		die("mm_alloc", -ENOMEM);
	arch_pick_mmap_layout(mm);
	return mm;
}

/* ---- mmap_munmap_4k ---------------------------------------------------- */

static double mmk_mmap_munmap_in(struct mm_struct *mm, long n)
{
	double t0 = cpu_ns();
	for (long i = 0; i < n; i++) {
		long a = sys_mmap(mm, 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
		sys_munmap(mm, (unsigned long)a, 4096);
	}
	return (cpu_ns() - t0) / (double)n;
}

static double mmk_mmap_munmap(long n)
{
	struct mm_struct *mm = bench_mm();
	double t = mmk_mmap_munmap_in(mm, n);
	mmput(mm);
	return t;
}

static double linux_mmap_munmap(long n)
{
	double t0 = cpu_ns();
	for (long i = 0; i < n; i++) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		munmap(p, 4096);
	}
	return (cpu_ns() - t0) / (double)n;
}

/* ---- mprotect_split_merge ---------------------------------------------- */
static double mmk_mprotect(long n)
{
	struct mm_struct *mm = bench_mm();
	unsigned long a = (unsigned long)sys_mmap(mm, 0, 64 * 4096, PROT_READ | PROT_WRITE,
						  MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	double t0 = cpu_ns();
	for (long i = 0; i < n; i++) {
		sys_mprotect(mm, a + 32 * 4096, 4096, PROT_READ);
		sys_mprotect(mm, a + 32 * 4096, 4096, PROT_READ | PROT_WRITE);
	}
	double t = (cpu_ns() - t0) / (double)n;
	mmput(mm);
	return t;
}

static double linux_mprotect(long n)
{
	char *p = mmap(NULL, 64 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t0 = cpu_ns();
	for (long i = 0; i < n; i++) {
		mprotect(p + 32 * 4096, 4096, PROT_READ);
		mprotect(p + 32 * 4096, 4096, PROT_READ | PROT_WRITE);
	}
	double t = (cpu_ns() - t0) / (double)n;
	munmap(p, 64 * 4096);
	return t;
}

/* ---- anon_write_fault / cow_write_fault --------------------------------- */
#define FAULT_BYTES (256UL << 20)
#define FAULT_PAGES (FAULT_BYTES >> PAGE_SHIFT)

/* the user writes one byte to each page: fault + store, as the CPU does */
static double mmk_touch_all(struct mm_struct *mm, unsigned long a, unsigned long pages)
{
	char b = 1;
	double t0 = cpu_ns();
	for (unsigned long i = 0; i < pages; i++)
		if (mmk_copy_to_user(mm, a + (i << PAGE_SHIFT), &b, 1))
			die("mmk_copy_to_user", (long)i);
	return (cpu_ns() - t0) / (double)pages;
}

static double mmk_anon_fault(long n)
{
	unsigned long pages = (unsigned long)n;
	struct mm_struct *mm = bench_mm();
	long a = sys_mmap(mm, 0, pages << PAGE_SHIFT, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	if (a < 0)
		die("sys_mmap", a);
	double t = mmk_touch_all(mm, (unsigned long)a, pages);
	mmput(mm);
	return t;
}

static double linux_anon_fault(long n)
{
	unsigned long pages = (unsigned long)n;
	char *p = mmap(NULL, pages << PAGE_SHIFT, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap", -errno);
	madvise(p, pages << PAGE_SHIFT, MADV_NOHUGEPAGE);
	double t0 = cpu_ns();
	for (unsigned long i = 0; i < pages; i++)
		((volatile char *)p)[i << PAGE_SHIFT] = 1;
	double t = (cpu_ns() - t0) / (double)pages;
	munmap(p, pages << PAGE_SHIFT);
	return t;
}

static struct task_struct *cow_parent;
static unsigned long cow_addr;

static double mmk_cow_fault(long n)
{
	unsigned long pages = (unsigned long)n;
	if (!cow_parent) {
		cow_parent = mmk_spawn("cow");
		long a = sys_mmap(cow_parent->mm, 0, FAULT_BYTES, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, NULL, 0);
		if (a < 0)
			die("sys_mmap populate", a);
		cow_addr = (unsigned long)a;
	}
	struct task_struct *child = kernel_clone(cow_parent, 0, "cow-child");
	if (IS_ERR(child))
		die("kernel_clone", PTR_ERR(child));
	double t = mmk_touch_all(cow_parent->mm, cow_addr, pages);
	do_exit(child);
	return t;
}

static char *lcow;
static double linux_cow_fault(long n)
{
	unsigned long pages = (unsigned long)n;
	int fds[2];
	if (!lcow) {
		lcow = mmap(NULL, FAULT_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		madvise(lcow, FAULT_BYTES, MADV_NOHUGEPAGE);
		for (unsigned long i = 0; i < FAULT_PAGES; i++)
			lcow[i << PAGE_SHIFT] = 1;
	}
	if (pipe(fds))
		die("pipe", -errno);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(fds[1]);
		while (read(fds[0], &c, 1) < 0)
			;
		_exit(0);
	}
	close(fds[0]);
	double t0 = cpu_ns();
	for (unsigned long i = 0; i < pages; i++)
		((volatile char *)lcow)[i << PAGE_SHIFT] = 2;
	double t = (cpu_ns() - t0) / (double)pages;
	close(fds[1]);
	waitpid(pid, NULL, 0);
	return t;
}

/* ---- fork_exit ------------------------------------------------------------ */
/* 10,000 VMAs and 256 MiB resident: 5,536 VMAs of 7 pages and 4,464 of 6,
 * alternately read-write and read-write-exec so that no two merge */
#define FORK_VMAS 10000
static unsigned long fork_vma_pages(int i) { return i < 5536 ? 7 : 6; }

static struct task_struct *fork_parent;
static double mmk_fork_exit(long n)
{
	if (!fork_parent) {
		fork_parent = mmk_spawn("forker");
		unsigned long a = 0x100000000UL;
		for (int i = 0; i < FORK_VMAS; i++) {
			unsigned long len = fork_vma_pages(i) << PAGE_SHIFT;
			long r = sys_mmap(fork_parent->mm, a, len,
					  PROT_READ | PROT_WRITE | (i & 1 ? PROT_EXEC : 0),
					  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_POPULATE, NULL, 0);
			if (r != (long)a)
				die("sys_mmap fork set-up", r);
			a += len;
		}
	}
	double t0 = cpu_ns();
	for (long i = 0; i < n; i++) {
		struct task_struct *c = kernel_clone(fork_parent, 0, "child");
		if (IS_ERR(c))
			die("kernel_clone", PTR_ERR(c));
		do_exit(c);
	}
	return (cpu_ns() - t0) / (double)n / 1000.0;
}

/*
 * The kernel's: measured in a small helper process, so that this process's
 * own mappings (simulated RAM, slabs) are not part of what fork copies.
 * The helper is started before the simulated RAM is mapped and stays, so
 * that its repetitions alternate with mmkit's like every other anchor's:
 * it runs one repetition of @n forks each time it is asked through a pipe
 * and answers with the CPU time per fork + exit + wait, its own and its
 * children's.
 */
static struct {
	pid_t pid;
	int cmd, res; /* our ends of the two pipes */
} fork_helper = { -1, -1, -1 };

static void fork_helper_serve(int cmd, int res)
{
	char *a = (char *)0x100000000UL;
	long n;

	for (int i = 0; i < FORK_VMAS; i++) {
		size_t len = fork_vma_pages(i) << PAGE_SHIFT;
		if (mmap(a, len, PROT_READ | PROT_WRITE | (i & 1 ? PROT_EXEC : 0),
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_POPULATE, -1, 0) != a)
			_exit(1);
		madvise(a, len, MADV_NOHUGEPAGE);
		a += len;
	}
	while (read(cmd, &n, sizeof(n)) == sizeof(n) && n > 0) {
		double c0 = children_cpu_ns(), t0 = cpu_ns();
		for (long i = 0; i < n; i++) {
			pid_t p = fork();
			if (p == 0)
				_exit(0);
			waitpid(p, NULL, 0);
		}
		double t = (cpu_ns() - t0 + children_cpu_ns() - c0) / (double)n / 1000.0;
		if (write(res, &t, sizeof(t)) != sizeof(t))
			_exit(1);
	}
	_exit(0);
}

static void fork_helper_start(void)
{
	int cmd[2], res[2];

	if (pipe(cmd))
		die("pipe", -errno);
	if (pipe(res))
		die("pipe", -errno);
	fork_helper.pid = fork();
	if (fork_helper.pid < 0)
		die("fork", -errno);
	if (fork_helper.pid == 0) {
		close(cmd[1]);
		close(res[0]);
		fork_helper_serve(cmd[0], res[1]);
	}
	close(cmd[0]);
	close(res[1]);
	fork_helper.cmd = cmd[1];
	fork_helper.res = res[0];
}

static void fork_helper_stop(void)
{
	if (fork_helper.pid <= 0)
		return;
	close(fork_helper.cmd);
	close(fork_helper.res);
	waitpid(fork_helper.pid, NULL, 0);
	fork_helper.pid = -1;
}

static double linux_fork_exit(long n)
{
	double t;

	if (write(fork_helper.cmd, &n, sizeof(n)) != sizeof(n) ||
	    read(fork_helper.res, &t, sizeof(t)) != sizeof(t))
		die("the fork helper", -EPIPE);
	return t;
}

/* ---- find_vma_1m ---------------------------------------------------------- */
#define NVMAS 1000000L
#define NLOOKUPS 4096
#define VBASE 0x100000000UL
static struct mm_struct *big_mm;
static long big_n;
static unsigned long *starts;
static unsigned long lookups[NLOOKUPS];

/* big_mm with @n VMAs (grown, never shrunk: the sizes are asked in order) */
static void build_big(long n)
{
	if (!big_mm) {
		big_mm = bench_mm();
		starts = malloc(NVMAS * sizeof(*starts));
		if (!starts)
			die("malloc", -ENOMEM);
	}
	if (n > sysctl_max_map_count)
		sysctl_max_map_count = (int)(2 * n);
	for (long i = big_n; i < n; i++) {
		unsigned long a = VBASE + (unsigned long)i * 2 * 4096;
		long r = sys_mmap(big_mm, a, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
		if (r != (long)a)
			die("building the VMAs", r);
		starts[i] = a;
	}
	if (n > big_n)
		big_n = n;
	unsigned s = 12345;
	for (int i = 0; i < NLOOKUPS; i++) {
		s = s * 1103515245 + 12345;
		lookups[i] = VBASE + ((unsigned long)s % (unsigned long)(big_n * 2)) * 4096 + 100;
	}
}

static inline unsigned long lookup_addr(long i)
{
	return lookups[i & (NLOOKUPS - 1)] + (unsigned long)i * 7919 % 4096;
}

static double mmk_find_vma(long n)
{
	double t0 = cpu_ns();
	unsigned long acc = 0;
	for (long i = 0; i < n; i++) {
		struct vm_area_struct *v = find_vma(big_mm, lookup_addr(i));
		acc += v ? v->vm_start : 0;
	}
	sink = acc;
	return (cpu_ns() - t0) / (double)n;
}

/* the red-black tree descent alone (no lookup cache, no index) */
static double mmk_rb_descent(long n)
{
	double t0 = cpu_ns();
	unsigned long acc = 0;
	for (long i = 0; i < n; i++) {
		struct vm_area_struct *prev;
		struct vm_area_struct *v = find_vma_links(big_mm, lookup_addr(i), &prev);
		acc += v ? v->vm_start : 0;
	}
	sink = acc;
	return (cpu_ns() - t0) / (double)n;
}

static double array_find(long n)
{
	double t0 = cpu_ns();
	unsigned long acc = 0;
	for (long i = 0; i < n; i++) {
		unsigned long addr = lookup_addr(i);
		/* first range with end > addr */
		long lo = 0, hi = big_n;
		while (lo < hi) {
			long mid = (lo + hi) / 2;
			if (starts[mid] + 4096 > addr)
				hi = mid;
			else
				lo = mid + 1;
		}
		acc += lo < big_n ? starts[lo] : 0;
	}
	sink = acc;
	return (cpu_ns() - t0) / (double)n;
}

/* ---- mmget_mmput_2threads ------------------------------------------------- */
static struct mm_struct *shared_mm;
/* on a cache line of its own, as mm_users is in its mm */
static MMK_ATOMIC(long) raw_counter __attribute__((aligned(64)));
static char raw_pad[64] __attribute__((unused));
static long pair_iters;

/* each thread's own CPU time for its @pair_iters pairs (slot by start order) */
static double thread_cpu[64];
static MMK_ATOMIC(int) thread_slot;

static void *getput_thread(void *arg)
{
	int me = atomic_fetch_add(&thread_slot, 1);
	double t0 = cpu_ns();
	struct mm_struct *mm = shared_mm;
	long n = pair_iters;
	(void)arg;
	for (long i = 0; i < n; i++) {
		mmget(mm);
		mmput(mm);
	}
	thread_cpu[me] = cpu_ns() - t0;
	return NULL;
}

static void *raw_thread(void *arg)
{
	int me = atomic_fetch_add(&thread_slot, 1);
	double t0 = cpu_ns();
	long n = pair_iters;
	(void)arg;
	for (long i = 0; i < n; i++) {
		atomic_fetch_add(&raw_counter, 1);
		atomic_fetch_sub(&raw_counter, 1);
	}
	thread_cpu[me] = cpu_ns() - t0;
	return NULL;
}

/*
 * @nthreads threads doing @n pairs each: the mean of the threads' CPU time
 * per pair (with every thread on its own core this is the wall time per
 * pair; on a busy machine it leaves out the time a thread waited for a
 * core, and with it the lucky stretches where it ran alone). *@wall gets
 * the wall time per pair, if asked.
 */
static double n_threads_wall(void *(*fn)(void *), long n, int nthreads, double *wall)
{
	pthread_t t[64];
	double sum = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	pair_iters = n;
	atomic_store(&thread_slot, 0);
	double t0 = now_ns();
	for (int i = 0; i < nthreads; i++) {
		/* thread i on CPU i mod cores: the threads of a pair run on
		 * different cores, as the contended case means them to */
		pthread_attr_t attr;
		cpu_set_t set;
		pthread_attr_init(&attr);
		CPU_ZERO(&set);
		CPU_SET((int)(i % (ncpu > 0 ? ncpu : 1)), &set);
		pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		if (pthread_create(&t[i], &attr, fn, NULL))
			pthread_create(&t[i], NULL, fn, NULL);
		pthread_attr_destroy(&attr);
	}
	for (int i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	if (wall)
		*wall = (now_ns() - t0) / (double)n;
	for (int i = 0; i < nthreads; i++)
		sum += thread_cpu[i];
	return sum / nthreads / (double)n;
}
static double n_threads(void *(*fn)(void *), long n, int nthreads) { return n_threads_wall(fn, n, nthreads, NULL); }

static double mmk_getput(long n)
{
	shared_mm = bench_mm();
	double t = n_threads(getput_thread, n, 2);
	mmput(shared_mm);
	return t;
}

static double raw_atomics(long n) { return n_threads(raw_thread, n, 2); }

/* ---- slab_alloc_free -------------------------------------------------------- */
static double mmk_slab(long n)
{
	double t0 = cpu_ns();
	for (long i = 0; i < n; i++) {
		void *p = kmem_cache_alloc(vm_area_cachep, GFP_KERNEL);
		sink += (unsigned long)p;
		kmem_cache_free(vm_area_cachep, p);
	}
	return (cpu_ns() - t0) / (double)n;
}

static double glibc_malloc(long n)
{
	double t0 = cpu_ns();
	for (long i = 0; i < n; i++) {
		void *p = malloc(sizeof(struct vm_area_struct));
		sink += (unsigned long)p;
		free(p);
	}
	return (cpu_ns() - t0) / (double)n;
}

/* ---- replay_syscalls ------------------------------------------------------- */
/*
 * Records tests/replay_prog.c (randomized mmap/munmap/mprotect/mremap/
 * madvise/brk/mlock) with strace when it can, else writes a synthetic
 * trace; times `mmkit replay` of it in process (mmk_replay_file: parse +
 * model), per system call in the trace. The anchor is the real program's
 * own CPU time (its whole run, exec included) per system call; "none"
 * (the same figure) for a synthetic trace. Runs in a child process before
 * the simulated machine boots, since mmk_replay boots its own.
 */
#define REPLAY_DIR "build/bench"
#define REPLAY_PROG REPLAY_DIR "/replay_prog"
#define REPLAY_TRACE REPLAY_DIR "/replay.trace"
#define REPLAY_ARG1 "7"
#define REPLAY_ARG2 "20000"
#define REPLAY_ARG3 "0"
#define REPLAY_ARGS " " REPLAY_ARG1 " " REPLAY_ARG2 " " REPLAY_ARG3

static long count_syscalls(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	long n = 0;
	ssize_t len;
	if (!f)
		return -1;
	while ((len = getline(&line, &cap, f)) > 0) {
		struct strace_event ev;
		char err[128];
		if (line[len - 1] == '\n')
			line[len - 1] = 0;
		if (strace_parse_line(line, &ev, err, sizeof(err)))
			continue;
		if (ev.type == STRACE_CALL || ev.type == STRACE_RESUMED)
			n++;
		strace_event_free(&ev);
	}
	free(line);
	fclose(f);
	return n;
}

static int write_synthetic_trace(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "4242  execve(\"/bin/true\", [\"true\"], 0x7ffc0 /* 1 var */) = 0\n");
	unsigned long a = 0x100000000UL;
	for (int i = 0; i < 20000; i++) {
		unsigned long x = a + (unsigned long)(i % 64) * 0x10000;
		fprintf(f, "4242  mmap(0x%lx, 16384, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) = 0x%lx\n", x, x);
		fprintf(f, "4242  mprotect(0x%lx, 4096, PROT_READ) = 0\n", x + 4096);
		fprintf(f, "4242  munmap(0x%lx, 16384) = 0\n", x);
	}
	fprintf(f, "4242  exit_group(0) = ?\n4242  +++ exited with 0 +++\n");
	return fclose(f);
}

static bool have_cmd(const char *cmd)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "command -v %s >/dev/null 2>&1", cmd);
	return system(buf) == 0;
}

struct replay_result { double mmk, anchor; long syscalls; int real; };

/* the CPU time of one run of the recorded program (no shell in between) */
static double replay_prog_cpu(void)
{
	double c0 = children_cpu_ns();
	pid_t pid = fork();

	if (pid < 0)
		die("fork", -errno);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(REPLAY_PROG, REPLAY_PROG, REPLAY_ARG1, REPLAY_ARG2, REPLAY_ARG3, (char *)NULL);
		_exit(127);
	}
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("running the replay program", -1);
	return children_cpu_ns() - c0;
}

static void replay_measure(struct replay_result *res)
{
	res->real = 0;
	mkdir("build", 0777);
	mkdir(REPLAY_DIR, 0777);
	if (access(REPLAY_PROG, X_OK) != 0)
		(void)!system("${CC:-cc} -O2 -o " REPLAY_PROG " tests/replay_prog.c >/dev/null 2>&1");
	if (access(REPLAY_PROG, X_OK) == 0 && have_cmd("strace") &&
	    system("strace -f -o " REPLAY_TRACE " " REPLAY_PROG REPLAY_ARGS " >/dev/null 2>&1") == 0 &&
	    count_syscalls(REPLAY_TRACE) > 1000)
		res->real = 1;
	else if (write_synthetic_trace(REPLAY_TRACE))
		die("writing a synthetic trace", -errno);
	res->syscalls = count_syscalls(REPLAY_TRACE);

	FILE *null = fopen("/dev/null", "w");
	struct mmk_replay_opts o = { .initial_aslr = -1, .out = null, .err = null };
	double v[MAX_REPS], va[MAX_REPS];
	int reps = 5;
	/* mmkit's replay and the real run alternate, as every other anchor */
	for (int r = -1; r < reps; r++) {
		double t0 = cpu_ns();
		int rc = mmk_replay_file(REPLAY_TRACE, &o);
		double t = (cpu_ns() - t0) / (double)res->syscalls;
		if (rc == 2)
			die("mmk_replay_file (malformed trace)", rc);
		if (r >= 0)
			v[r] = t;
		if (res->real && r >= 0)
			va[r] = replay_prog_cpu() / (double)res->syscalls;
	}
	fclose(null);
	res->mmk = median_of(v, reps);
	res->anchor = res->real ? median_of(va, reps) : res->mmk;
}

static struct replay_result replay_in_child(void)
{
	struct replay_result res = { -1, -1, 0, 0 };
	int fds[2];
	if (pipe(fds))
		return res;
	fflush(NULL);
	pid_t p = fork();
	if (p == 0) {
		close(fds[0]);
		replay_measure(&res);
		if (write(fds[1], &res, sizeof(res)) != sizeof(res))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &res, sizeof(res)) != sizeof(res))
		res.mmk = res.anchor = -1;
	close(fds[0]);
	waitpid(p, NULL, 0);
	return res;
}

/* ---- plots ------------------------------------------------------------------ */
/* the little arithmetic the plots need, without libm */
static double m_floor(double x) { double t = (double)(long)x; return t > x ? t - 1 : t; }
static double m_ceil(double x) { double t = (double)(long)x; return t < x ? t + 1 : t; }
static double d_min(double a, double b) { return a < b ? a : b; }
static double d_max(double a, double b) { return a > b ? a : b; }
static double m_log10(double x)
{
	int e = 0;
	while (x >= 2) { x /= 2; e++; }
	while (x < 1) { x *= 2; e--; }
	/* ln(x) = 2 atanh((x - 1) / (x + 1)) for x in [1, 2) */
	double z = (x - 1) / (x + 1), z2 = z * z, term = z, ln = 0;
	for (int k = 1; k < 40; k += 2) {
		ln += term / k;
		term *= z2;
	}
	return (2 * ln + e * 0.69314718055994531) / 2.30258509299404568;
}
static double m_pow10(double e)
{
	double r = 1;
	long k = (long)(e < 0 ? -e + 0.5 : e + 0.5);
	while (k--)
		r *= 10;
	return e < 0 ? 1 / r : r;
}
struct series {
	const char *name, *color;
	int n;
	double x[16], y[16];
};

static double nice_up(double v)
{
	double p = m_pow10(m_floor(m_log10(v)));
	for (double m = 1; m <= 10; m *= 2) /* 1, 2, 4, 8, 16 */
		if (m * p >= v)
			return m * p;
	return 10 * p;
}

/* a line chart; log10 x axis when @logx; y axis linear from 0 (or log10 when @logy) */
static void svg_plot(const char *path, const char *title, const char *xlabel, const char *ylabel,
		     bool logx, bool logy, const struct series *s, int ns)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		return;
	}
	const double W = 720, H = 440, L = 80, R = 200, T = 50, B = 60;
	double xmin = 1e300, xmax = -1e300, ymin = 1e300, ymax = -1e300;
	for (int i = 0; i < ns; i++)
		for (int k = 0; k < s[i].n; k++) {
			double x = logx ? m_log10(s[i].x[k]) : s[i].x[k], y = s[i].y[k];
			xmin = d_min(xmin, x), xmax = d_max(xmax, x);
			ymin = d_min(ymin, y), ymax = d_max(ymax, y);
		}
	if (logy) {
		ymin = m_floor(m_log10(d_max(ymin, 1e-3)));
		ymax = m_ceil(m_log10(ymax));
		if (ymax <= ymin)
			ymax = ymin + 1;
	} else {
		ymin = 0;
		ymax = nice_up(ymax > 0 ? ymax : 1);
	}
	if (logx) {
		xmin = m_floor(xmin);
		xmax = m_ceil(xmax);
	}
	if (xmax <= xmin)
		xmax = xmin + 1;
#define PX(x) (L + ((logx ? m_log10(x) : (x)) - xmin) / (xmax - xmin) * (W - L - R))
#define PY(y) (H - B - ((logy ? m_log10(y) : (y)) - ymin) / (ymax - ymin) * (H - T - B))
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		   "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n", W, H, W, H);
	fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	fprintf(f, "<text x=\"%.0f\" y=\"28\" font-size=\"15\" font-weight=\"bold\">%s</text>\n", L, title);
	/* grid and ticks */
	int nyt = logy ? (int)(ymax - ymin) : 5;
	for (int i = 0; i <= nyt; i++) {
		double yv = logy ? m_pow10(ymin + i) : ymin + (ymax - ymin) * i / nyt;
		double py = PY(yv);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", L, py, W - R, py);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", L - 6, py + 4, yv);
	}
	if (logx) {
		for (double e = xmin; e <= xmax + 1e-9; e++) {
			double px = L + (e - xmin) / (xmax - xmin) * (W - L - R);
			fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", px, T, px, H - B);
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n", px, H - B + 18, m_pow10(e));
		}
	} else {
		for (double xv = m_ceil(xmin); xv <= xmax + 1e-9; xv++) {
			double px = PX(xv);
			fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", px, T, px, H - B);
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n", px, H - B + 18, xv);
		}
	}
	fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#333\"/>\n",
		L, T, W - L - R, H - T - B);
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">%s</text>\n", L + (W - L - R) / 2, H - 18, xlabel);
	fprintf(f, "<text transform=\"translate(18 %.0f) rotate(-90)\" text-anchor=\"middle\">%s</text>\n",
		T + (H - T - B) / 2, ylabel);
	for (int i = 0; i < ns; i++) {
		fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", s[i].color);
		for (int k = 0; k < s[i].n; k++)
			fprintf(f, "%.1f,%.1f ", PX(s[i].x[k]), PY(s[i].y[k]));
		fprintf(f, "\"/>\n");
		for (int k = 0; k < s[i].n; k++)
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>%s: %g, %.4g</title></circle>\n",
				PX(s[i].x[k]), PY(s[i].y[k]), s[i].color, s[i].name, s[i].x[k], s[i].y[k]);
		double ly = T + 10 + i * 20;
		fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"%s\" stroke-width=\"3\"/>\n",
			W - R + 12, ly, W - R + 36, ly, s[i].color);
		fprintf(f, "<text x=\"%.0f\" y=\"%.0f\">%s</text>\n", W - R + 42, ly + 4, s[i].name);
	}
	fprintf(f, "</svg>\n");
	fclose(f);
#undef PX
#undef PY
}

static struct mm_struct *plot_mm;
static double plot_mmap_fn(long n) { return mmk_mmap_munmap_in(plot_mm, n); }

/* the kernel with @nvmas extra one-page VMAs in this process (in a helper
 * process; the kernel's limit is vm.max_map_count) */
static double linux_mmap_with(long nvmas)
{
	int fds[2];
	double res = -1;
	if (pipe(fds))
		return -1;
	pid_t p = fork();
	if (p == 0) {
		close(fds[0]);
		for (long i = 0; i < nvmas; i++) {
			char *a = (char *)(VBASE + (unsigned long)i * 2 * 4096);
			if (mmap(a, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) != a)
				_exit(1);
		}
		double m = median_n(linux_mmap_munmap, 20000, 5);
		if (write(fds[1], &m, sizeof(m)) != sizeof(m))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &res, sizeof(res)) != sizeof(res))
		res = -1;
	close(fds[0]);
	waitpid(p, NULL, 0);
	return res;
}

static void plot_vma_scaling(void)
{
	static const long sizes[] = { 10, 100, 1000, 10000, 100000, 1000000 };
	const int nsz = (int)(sizeof(sizes) / sizeof(sizes[0]));
	struct series mm_s[2] = { { "mmkit mmap+munmap", "#c0392b", 0, {0}, {0} },
				  { "Linux mmap+munmap", "#2c3e50", 0, {0}, {0} } };
	struct series fv[3] = { { "mmkit find_vma", "#c0392b", 0, {0}, {0} },
				{ "rb-tree descent", "#e67e22", 0, {0}, {0} },
				{ "sorted array", "#2c3e50", 0, {0}, {0} } };
	long maxmap = 65530;
	FILE *mc = fopen("/proc/sys/vm/max_map_count", "r");
	if (mc) {
		if (fscanf(mc, "%ld", &maxmap) != 1)
			maxmap = 65530;
		fclose(mc);
	}
	for (int i = 0; i < nsz; i++) {
		long n = sizes[i];
		build_big(n);
		plot_mm = big_mm;
		mm_s[0].x[mm_s[0].n] = (double)n;
		mm_s[0].y[mm_s[0].n++] = median_n(plot_mmap_fn, 50000, 5);
		if (n < maxmap - 1000) {
			double l = linux_mmap_with(n);
			if (l > 0) {
				mm_s[1].x[mm_s[1].n] = (double)n;
				mm_s[1].y[mm_s[1].n++] = l;
			}
		}
		long lk = 400000;
		/* find_vma: the first lookups after a change walk the tree;
		 * warm-up included, as in find_vma_1m */
		fv[0].x[fv[0].n] = (double)n;
		fv[0].y[fv[0].n++] = median_n(mmk_find_vma, lk, 5);
		fv[1].x[fv[1].n] = (double)n;
		fv[1].y[fv[1].n++] = median_n(mmk_rb_descent, lk, 5);
		fv[2].x[fv[2].n] = (double)n;
		fv[2].y[fv[2].n++] = median_n(array_find, lk, 5);
	}
	svg_plot("build/bench-mmap-scaling.svg", "mmap + munmap of 4 KiB vs. VMAs in the address space",
		 "VMAs already mapped (log scale)", "ns per mmap+munmap pair", true, false, mm_s, 2);
	svg_plot("build/bench-find-vma-scaling.svg", "find_vma: random lookups vs. VMAs",
		 "VMAs (log scale)", "ns per lookup (log scale)", true, true, fv, 3);
}

static void plot_threads(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int maxt = (int)(ncpu > 0 ? 2 * ncpu : 4);
	if (maxt > 16)
		maxt = 16;
	struct series s[2] = { { "mmget+mmput", "#c0392b", 0, {0}, {0} },
			       { "raw atomic inc+dec", "#2c3e50", 0, {0}, {0} } };
	shared_mm = bench_mm();
	for (int t = 1; t <= maxt; t++) {
		double v[2][5];
		long n = 1000000;
		for (int r = 0; r < 5; r++) {
			/* throughput: wall time, all threads together */
			n_threads_wall(getput_thread, n, t, &v[0][r]);
			n_threads_wall(raw_thread, n, t, &v[1][r]);
		}
		for (int k = 0; k < 2; k++) {
			/* pairs per microsecond, all threads together */
			s[k].x[s[k].n] = t;
			s[k].y[s[k].n++] = 1000.0 * t / median_of(v[k], 5);
		}
	}
	mmput(shared_mm);
	shared_mm = NULL;
	svg_plot("build/bench-mmget-threads.svg", "mmget+mmput throughput on one mm vs. threads",
		 "threads", "pairs per microsecond (all threads)", false, false, s, 2);
}

/* ---- memory ------------------------------------------------------------------ */
static void memory_report(FILE *j, bool quiet)
{
	struct slabinfo si;
	double per_vma = (double)sizeof(struct vm_area_struct);
	double slab_obj = per_vma;
	if (kmem_cache_info(vm_area_cachep, &si) == 0 && si.objperslab)
		slab_obj = (double)si.pagesperslab * PAGE_SIZE / (double)si.objperslab;
	double index = 2 * sizeof(unsigned long); /* the find_vma index, when built (vma.c) */
	double per_page = 8.0 + sizeof(struct page) + 8.0 / 512 * 1; /* PTE + struct page + PMD entry share */
	if (!quiet) {
		printf("\nmemory                 mmkit                                    Linux (x86-64)\n");
		printf("bytes per VMA          %5.0f (struct %zu, slab slot %.0f; +%.0f while the\n"
		       "                       find_vma index is built)                   ~200 (vm_area_struct in its slab)\n",
		       slab_obj, sizeof(struct vm_area_struct), slab_obj, index);
		printf("bytes per mapped page  %5.1f (PTE 8 + struct page %zu + upper tables)   ~72 (PTE 8 + struct page 64)\n",
		       per_page, sizeof(struct page));
	}
	fprintf(j, "{\"vma_struct_bytes\": %zu, \"vma_slab_bytes\": %.1f, \"vma_index_bytes\": %.0f, "
		   "\"linux_vma_bytes\": 200, \"pte_bytes\": 8, \"struct_page_bytes\": %zu, "
		   "\"page_bytes\": %.2f, \"linux_page_bytes\": 72}\n",
		sizeof(struct vm_area_struct), slab_obj, index, sizeof(struct page), per_page);
}

/* ---- table --------------------------------------------------------------------- */
struct bench {
	const char *name, *unit;
	double (*mmk)(long);
	double (*anchor)(long);
	const char *anchor_name;
	long n_mmk, n_anchor;
	int reps;
};

static double find_vma_1m(long n) { build_big(NVMAS); return mmk_find_vma(n); }
static double array_find_1m(long n) { build_big(NVMAS); return array_find(n); }

enum { B_REPLAY, B_FORK, B_COW, B_ANON, B_MMAP, B_MPROT, B_SLAB, B_GETPUT, B_FIND, NB };
static const struct bench benches[NB] = {
	[B_REPLAY] = { "replay_syscalls", "ns per syscall", NULL, NULL, "linux", 0, 0, 5 },
	[B_FORK] = { "fork_exit", "us", mmk_fork_exit, linux_fork_exit, "linux", 20, 20, REPS },
	[B_COW] = { "cow_write_fault", "ns per page", mmk_cow_fault, linux_cow_fault, "linux", FAULT_PAGES, FAULT_PAGES, 5 },
	[B_ANON] = { "anon_write_fault", "ns per page", mmk_anon_fault, linux_anon_fault, "linux", FAULT_PAGES, FAULT_PAGES, 5 },
	[B_MMAP] = { "mmap_munmap_4k", "ns per pair", mmk_mmap_munmap, linux_mmap_munmap, "linux", 1000000, 50000, 9 },
	[B_MPROT] = { "mprotect_split_merge", "ns per pair", mmk_mprotect, linux_mprotect, "linux", 1000000, 50000, 9 },
	[B_SLAB] = { "slab_alloc_free", "ns per pair", mmk_slab, glibc_malloc, "glibc-malloc", 5000000, 5000000, REPS },
	[B_GETPUT] = { "mmget_mmput_2threads", "ns per pair", mmk_getput, raw_atomics, "atomic", 1000000, 1000000, MAX_REPS },
	[B_FIND] = { "find_vma_1m", "ns per lookup", find_vma_1m, array_find_1m, "sorted-array", 1000000, 1000000, REPS },
};
/* the order of the table and of build/bench.json */
static const int order[NB] = { B_MMAP, B_MPROT, B_ANON, B_COW, B_FORK, B_FIND, B_GETPUT, B_SLAB, B_REPLAY };

int main(int argc, char **argv)
{
	const char *out = "build/bench.json";
	bool quiet = false, plots = true;
	int nsel = 0;
	const char *sel[32];
	double mres[NB], ares[NB];
	const char *aname[NB];
	bool done[NB] = { false };
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "-q"))
			quiet = true;
		else if (!strcmp(argv[i], "--no-plots"))
			plots = false;
		else if (nsel < 32)
			sel[nsel++] = argv[i];
	}
	if (nsel)
		plots = false;
	bool want[NB];
	for (int b = 0; b < NB; b++) {
		want[b] = nsel == 0;
		for (int k = 0; k < nsel; k++)
			want[b] |= !strcmp(sel[k], benches[b].name);
		aname[b] = benches[b].anchor_name;
	}
	mkdir("build", 0777);
	/* the page benchmarks need 256 MiB twice over (COW), plus tables */
	mmk_mem_init(768UL << 20);

	/* first, while this process is small: the replay (it boots its own
	 * simulated machine, in a child) and the kernel's fork */
	if (want[B_REPLAY]) {
		if (!quiet)
			fprintf(stderr, "bench: recording and replaying a trace...\n");
		struct replay_result r = replay_in_child();
		mres[B_REPLAY] = r.mmk;
		ares[B_REPLAY] = r.anchor;
		aname[B_REPLAY] = r.real ? "linux" : "none";
		done[B_REPLAY] = r.mmk > 0;
		if (!quiet)
			fprintf(stderr, "bench: replay: %ld syscalls in the %s trace\n", r.syscalls,
				r.real ? "recorded" : "synthetic");
	}

	if (want[B_FORK])
		fork_helper_start();
	/* the simulated machine's RAM exists before it boots, as real RAM does:
	 * fault the host's backing in now (after the helpers are forked), not
	 * inside the timed loops */
	mmk_mem_prefault();
	/* the kernel's COW anchor forks this process: RAM stays out of it */
	mmk_mem_dontfork(true);
	if (mmk_boot(4)) {
		fprintf(stderr, "bench: boot failed\n");
		return 1;
	}
	for (int b = 0; b < NB; b++) {
		const struct bench *x = &benches[b];
		if (!want[b] || b == B_REPLAY || b == B_FIND)
			continue;
		if (!quiet)
			fprintf(stderr, "bench: %s...\n", x->name);
		median_pair(x->mmk, x->n_mmk, x->anchor, x->n_anchor, x->reps, &mres[b],
			    x->anchor ? &ares[b] : NULL);
		done[b] = true;
		if (b == B_FORK)
			fork_helper_stop();
		if (b == B_FORK && fork_parent) {
			do_exit(fork_parent);
			fork_parent = NULL;
		}
		if (b == B_COW) {
			if (cow_parent)
				do_exit(cow_parent);
			cow_parent = NULL;
			if (lcow)
				munmap(lcow, FAULT_BYTES);
			lcow = NULL;
		}
	}
	if (plots) {
		if (!quiet)
			fprintf(stderr, "bench: plots (1 to 2x cores threads; 10 to 1,000,000 VMAs)...\n");
		plot_threads();
		plot_vma_scaling();
	}
	if (want[B_FIND]) {
		if (!quiet)
			fprintf(stderr, "bench: find_vma_1m...\n");
		median_pair(benches[B_FIND].mmk, benches[B_FIND].n_mmk, benches[B_FIND].anchor,
			    benches[B_FIND].n_anchor, benches[B_FIND].reps, &mres[B_FIND], &ares[B_FIND]);
		done[B_FIND] = true;
	}

	FILE *j = fopen(out, "w");
	if (!j) {
		perror(out);
		return 1;
	}
	fprintf(j, "[\n");
	if (!quiet)
		printf("%-22s %-15s %12s %12s  %-13s %8s\n", "benchmark", "unit", "mmkit", "anchor", "anchor name", "ratio");
	bool first = true;
	for (int i = 0; i < NB; i++) {
		int b = order[i];
		if (!done[b])
			continue;
		if (!quiet)
			printf("%-22s %-15s %12.1f %12.1f  %-13s %7.2fx\n", benches[b].name,
			       !strcmp(benches[b].unit, "us") ? "\xc2\xb5s" : benches[b].unit, mres[b], ares[b],
			       aname[b], ares[b] / mres[b]);
		fprintf(j, "%s  {\"name\": \"%s\", \"unit\": \"%s\", \"mmkit\": %.3f, \"anchor\": %.3f, \"anchor_name\": \"%s\"}",
			first ? "" : ",\n", benches[b].name,
			!strcmp(benches[b].unit, "us") ? "\xc2\xb5s" : benches[b].unit, mres[b], ares[b], aname[b]);
		first = false;
	}
	fprintf(j, "\n]\n");
	fclose(j);

	FILE *mj = fopen("build/bench-memory.json", "w");
	if (mj) {
		memory_report(mj, quiet);
		fclose(mj);
	}
	if (big_mm)
		mmput(big_mm);
	free(starts);
	long leaked = mmk_shutdown();
	long frames = mmk_mem_shutdown();
	if (leaked || frames) {
		fprintf(stderr, "bench: %ld objects and %ld frames leaked\n", leaked, frames);
		return 1;
	}
	if (!quiet)
		printf("wrote %s, build/bench-memory.json%s (ratio = anchor / mmkit: above 1 means mmkit is faster)\n",
		       out, plots ? ", build/bench-*.svg" : "");
	return 0;
}
