/* SPDX-License-Identifier: MIT */
/*
 * stress/stress.c - host threads as CPUs hammering the whole library.
 *
 *   stress [-t THREADS] [-n OPS] [-s SEED] [-k EVERY] [-q]
 *
 * THREADS host threads (default 2 x cores, at most 64) each run OPS random
 * operations (default 20000). Thread i owns CPU i (the machine has
 * max(4, THREADS) CPUs) and the tasks it created: it forks, clones threads,
 * vforks, execs and exits them, switches its CPU between them and its
 * kernel thread (lazy TLB borrowing), and lets the kernel thread adopt an
 * address space with kthread_use_mm. Every thread publishes one of its
 * address spaces in a slot, held by a mmgrab; the others pin it safely
 * (take the slot's lock, mmgrab, let go of the lock, mmget_not_zero) and
 * then mmap/munmap/mprotect/mremap/madvise/brk/mlock it, or take and drop
 * users and references, while its owner may exit or exec. Swapoff walks
 * (try_to_unuse, and step by step) run among them; with the page layer,
 * faults and reads/writes through mmk_access_vm / mmk_copy_*_user too.
 *
 * Every EVERY operations (default 2000) all threads meet at a barrier and
 * one of them checks every invariant (mmk_check_all); at the end
 * everything exits and mmk_shutdown() must report 0 objects left. Prints
 * ops/s; exit status 0 only with no violation, no warning and no leak.
 */
#include <mmkit/mmkit.h>
#if defined(__has_include)
#if __has_include(<mmkit/page.h>)
#include <mmkit/page.h>
#define STRESS_PAGES 1
#endif
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64
#define MAX_OWN 24

struct slot {
	pthread_mutex_t mu;
	struct mm_struct *mm; /* held by one mmgrab of the owner */
};

struct worker {
	int id;
	pthread_t th;
	unsigned seed;
	struct task_struct *own[MAX_OWN];
	int nown;
	struct task_struct *kthread;
	long ops, counts[20];
};

static struct slot slots[MAX_THREADS];
static struct worker workers[MAX_THREADS];
static int nthreads;
static long nops = 20000, every = 2000;
static pthread_barrier_t barrier;
static MMK_ATOMIC(long) violations, warnings, checks;
static bool quiet, use_pages;

static const char *const op_names[20] = {
	"fork", "thread", "vfork", "exec", "exit", "schedule", "kthread_use_mm", "mmap", "munmap",
	"mprotect", "mremap", "madvise", "brk", "mlock", "swapoff", "refs", "access", "republish",
	"walk-step", "fault",
};

static void warn_hook(void *priv, const char *msg)
{
	(void)priv;
	atomic_fetch_add(&warnings, 1);
	fprintf(stderr, "stress: warning: %s\n", msg);
}

static unsigned rnd(struct worker *w)
{
	w->seed ^= w->seed << 13;
	w->seed ^= w->seed >> 17;
	w->seed ^= w->seed << 5;
	return w->seed;
}

static void die(const char *what, long v)
{
	fprintf(stderr, "stress: %s (%ld)\n", what, v);
	exit(1);
}

/* ---- the thread's own tasks ---------------------------------------------- */
static void own_add(struct worker *w, struct task_struct *t)
{
	if (w->nown < MAX_OWN)
		w->own[w->nown++] = t;
	else if (do_exit(t) != 0)
		die("do_exit of a surplus task failed", 0);
}

static void own_del(struct worker *w, int i)
{
	w->own[i] = w->own[--w->nown];
}

/* a process (not a thread) of ours, or NULL */
static struct task_struct *own_process(struct worker *w)
{
	if (!w->nown)
		return NULL;
	return w->own[rnd(w) % (unsigned)w->nown];
}

/* tasks in @t's thread group other than @t die in exec's de_thread: forget them */
static void forget_group(struct worker *w, struct task_struct *t)
{
	for (int i = 0; i < w->nown;) {
		if (w->own[i] != t && w->own[i]->tgid == t->tgid)
			own_del(w, i);
		else
			i++;
	}
}

/* ---- slots: others' address spaces, pinned safely ----------------------- */
static void publish(struct worker *w, struct mm_struct *mm)
{
	struct slot *s = &slots[w->id];
	if (mm)
		mmgrab(mm);
	pthread_mutex_lock(&s->mu);
	struct mm_struct *old = s->mm;
	s->mm = mm;
	pthread_mutex_unlock(&s->mu);
	if (old)
		mmdrop(old);
}

/* an mm with a grab held (the caller mmdrops), or NULL */
static struct mm_struct *grab_slot(int i)
{
	struct slot *s = &slots[i];
	pthread_mutex_lock(&s->mu);
	struct mm_struct *mm = s->mm;
	if (mm)
		mmgrab(mm);
	pthread_mutex_unlock(&s->mu);
	return mm;
}

/* an address space with a user reference (the caller mmputs): one of ours,
 * or someone else's through its slot; *grabbed says whether to mmdrop too */
static struct mm_struct *pin_some_mm(struct worker *w, bool *grabbed)
{
	*grabbed = false;
	if (rnd(w) % 2) {
		struct task_struct *t = own_process(w);
		return t ? get_task_mm(t) : NULL;
	}
	struct mm_struct *mm = grab_slot((int)(rnd(w) % (unsigned)nthreads));
	if (!mm)
		return NULL;
	if (!mmget_not_zero(mm)) {
		mmdrop(mm);
		return NULL;
	}
	*grabbed = true;
	return mm;
}

static void unpin(struct mm_struct *mm, bool grabbed)
{
	mmput(mm);
	if (grabbed)
		mmdrop(mm);
}

/* ---- address-space calls -------------------------------------------------- */
#define WIN 0x300000000UL

static unsigned long pick_addr(struct worker *w, struct mm_struct *mm)
{
	unsigned x = rnd(w);
	if (x % 3 == 0) {
		/* somewhere mapped: read the list under mmap_sem */
		unsigned long a = 0;
		down_read(&mm->mmap_sem);
		int n = mm->map_count ? (int)((x >> 2) % (unsigned)mm->map_count) : 0;
		for (struct vm_area_struct *v = mm->mmap; v; v = v->vm_next)
			if (n-- == 0) {
				a = v->vm_start + ((x >> 8) % 4) * PAGE_SIZE;
				break;
			}
		up_read(&mm->mmap_sem);
		if (a)
			return a & PAGE_MASK;
	}
	return WIN + (unsigned long)((x >> 2) % 256) * PAGE_SIZE;
}

static void as_op(struct worker *w, struct mm_struct *mm, int op)
{
	unsigned x = rnd(w);
	unsigned long len = ((x % 8) + 1) * PAGE_SIZE, a = pick_addr(w, mm);
	static const unsigned long prots[] = { PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC };
	long r;
	switch (op) {
	case 7:
		r = sys_mmap(mm, (x >> 4) % 2 ? a : 0, len, prots[(x >> 5) % 4] | ((x >> 7) % 2 ? PROT_WRITE : 0),
			     ((x >> 8) % 4 ? MAP_PRIVATE : MAP_SHARED) | MAP_ANONYMOUS | ((x >> 10) % 3 == 0 ? MAP_FIXED : 0),
			     NULL, 0);
		if (r < 0 && r > -4096 && r != -ENOMEM && r != -EEXIST && r != -EPERM)
			die("mmap failed", r);
		break;
	case 8:
		r = sys_munmap(mm, a, len);
		if (r != 0 && r != -ENOMEM)
			die("munmap failed", r);
		break;
	case 9:
		r = sys_mprotect(mm, a, len, prots[(x >> 5) % 4]);
		if (r != 0 && r != -ENOMEM)
			die("mprotect failed", r);
		break;
	case 10:
		r = sys_mremap(mm, a, len, ((x >> 5) % 8 + 1) * PAGE_SIZE, (x >> 9) % 2 ? MREMAP_MAYMOVE : 0, 0);
		if (r < 0 && r > -4096 && r != -ENOMEM && r != -EFAULT && r != -EINVAL && r != -EAGAIN)
			die("mremap failed", r);
		break;
	case 11: {
		static const int adv[] = { MADV_DONTFORK, MADV_DOFORK, MADV_WIPEONFORK, MADV_KEEPONFORK,
					   MADV_DONTNEED, MADV_RANDOM, MADV_NORMAL, MADV_WILLNEED };
		r = sys_madvise(mm, a, len, adv[(x >> 5) % 8]);
		if (r != 0 && r != -ENOMEM && r != -EINVAL && r != -EAGAIN)
			die("madvise failed", r);
		break;
	}
	case 12: {
		down_read(&mm->mmap_sem); /* brk is guarded by mmap_sem */
		unsigned long brk = mm->brk;
		up_read(&mm->mmap_sem);
		(void)sys_brk(mm, (x >> 5) % 2 ? brk + PAGE_SIZE : brk - PAGE_SIZE);
		break;
	}
	case 13:
		if ((x >> 5) % 4 == 0)
			r = sys_munlockall(mm);
		else if ((x >> 5) % 2)
			r = sys_mlock(mm, a, len);
		else
			r = sys_munlock(mm, a, len);
		if (r != 0 && r != -ENOMEM && r != -EAGAIN && r != -EPERM)
			die("mlock failed", r);
		break;
#ifdef STRESS_PAGES
	case 16: {
		char buf[64];
		memset(buf, (int)x, sizeof(buf));
		if ((x >> 5) % 2)
			(void)mmk_access_vm(mm, a + (x >> 8) % PAGE_SIZE, buf, sizeof(buf), (x >> 6) % 2);
		else if ((x >> 6) % 2)
			(void)mmk_copy_to_user(mm, a, buf, sizeof(buf));
		else
			(void)mmk_copy_from_user(mm, buf, a, sizeof(buf));
		break;
	}
	case 19:
		(void)mmk_fault(mm, a, (x >> 5) % 2);
		break;
#endif
	}
}

/* ---- one random operation ---------------------------------------------- */
static void one_op(struct worker *w)
{
	int cpu = w->id;
	int op = (int)(rnd(w) % 30);
	if (op >= 20) /* the address-space calls twice as often */
		op = 7 + (op - 20) % 7;
	struct task_struct *p = own_process(w);

	if (!use_pages && (op == 16 || op == 19))
		op = 7;
	switch (op) {
	case 0: /* fork */
		if (p && p->mm && !(p->flags & PF_KTHREAD)) {
			struct task_struct *c = kernel_clone(p, 0, "fork");
			if (IS_ERR(c))
				die("fork failed", PTR_ERR(c));
			own_add(w, c);
		}
		break;
	case 1: /* a thread */
		if (p && p->mm) {
			struct task_struct *c = kernel_clone(p, CLONE_VM | CLONE_SIGHAND | CLONE_THREAD, "thr");
			if (IS_ERR(c))
				die("clone failed", PTR_ERR(c));
			own_add(w, c);
		}
		break;
	case 2: /* vfork, then the child execs or exits */
		if (p && p->mm) {
			struct task_struct *c = kernel_clone(p, CLONE_VM | CLONE_VFORK, "vfork");
			if (IS_ERR(c))
				die("vfork failed", PTR_ERR(c));
			if (rnd(w) % 2) {
				if (mmk_exec(c) != 0)
					die("exec after vfork failed", 0);
				own_add(w, c);
			} else if (do_exit(c) != 0) {
				die("exit after vfork failed", 0);
			}
			if (p->state != TASK_RUNNING)
				die("vfork parent still waits", p->state);
		}
		break;
	case 3: /* exec */
		if (p) {
			forget_group(w, p);
			int r = mmk_exec(p);
			if (r)
				die("exec failed", r);
		}
		break;
	case 4: /* exit (keep one process) */
		if (p && w->nown > 1) {
			for (int i = 0; i < w->nown; i++)
				if (w->own[i] == p) {
					own_del(w, i);
					break;
				}
			if (do_exit(p) != 0)
				die("exit failed", 0);
		}
		break;
	case 5: { /* our CPU runs one of ours, our kernel thread, or idle */
		unsigned x = rnd(w) % 4;
		struct task_struct *next = x == 0 ? cpu_rq(cpu)->idle : x == 1 ? w->kthread : p;
		if (next && next->state == TASK_RUNNING) {
			int r = mmk_schedule(cpu, next);
			if (r && r != -EBUSY)
				die("schedule failed", r);
		}
		break;
	}
	case 6: /* the kernel thread, current here, adopts an address space */
		if (w->kthread->on_cpu == cpu && !w->kthread->mm) {
			bool grabbed;
			struct mm_struct *mm = pin_some_mm(w, &grabbed);
			if (mm) {
				kthread_use_mm(w->kthread, mm);
				as_op(w, mm, 7 + (int)(rnd(w) % 3));
				kthread_unuse_mm(w->kthread, mm);
				unpin(mm, grabbed);
			}
		}
		break;
	case 14:
		if (try_to_unuse() != 0)
			die("try_to_unuse failed", 0);
		break;
	case 15: { /* references to someone's mm */
		struct mm_struct *mm = grab_slot((int)(rnd(w) % (unsigned)nthreads));
		if (mm) {
			if (mmget_not_zero(mm)) {
				mmget(mm);
				mmput(mm);
				mmput(mm);
			}
			mmgrab(mm);
			mmdrop(mm);
			mmdrop(mm);
		}
		break;
	}
	case 17: /* publish another of our address spaces */
		if (p && p->mm && !(p->flags & PF_KTHREAD))
			publish(w, p->mm);
		break;
	case 18: { /* swapoff one step at a time */
		struct unuse_walk uw;
		unuse_walk_start(&uw);
		for (int i = 0; i < 3 && unuse_walk_next(&uw); i++)
			;
		unuse_walk_end(&uw);
		break;
	}
	default: { /* address-space calls on ours or others' */
		bool grabbed;
		struct mm_struct *mm = pin_some_mm(w, &grabbed);
		if (mm) {
			as_op(w, mm, op);
			unpin(mm, grabbed);
		}
		break;
	}
	}
	/* never without a process */
	if (!w->nown) {
		struct task_struct *t = mmk_spawn("respawn");
		if (IS_ERR(t))
			die("spawn failed", PTR_ERR(t));
		own_add(w, t);
	}
	w->counts[op]++;
	w->ops++;
}

static long peak_mms, peak_vmas;
static void count_mm(struct mm_struct *mm, void *arg)
{
	long *c = arg;
	c[0]++;
	c[1] += mm->map_count;
}

static void quiescent_check(const char *when)
{
	long c[2] = { 0, 0 };
	mmk_for_each_mm(count_mm, c);
	if (c[1] > peak_vmas) {
		peak_vmas = c[1];
		peak_mms = c[0];
	}
	int bad = mmk_check_all(NULL);
	atomic_fetch_add(&checks, 1);
	if (bad) {
		atomic_fetch_add(&violations, bad);
		fprintf(stderr, "stress: %d invariant violations %s\n", bad, when);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	for (long i = 0; i < nops; i++) {
		one_op(w);
		if (every && (i + 1) % every == 0) {
			int r = pthread_barrier_wait(&barrier);
			if (r == PTHREAD_BARRIER_SERIAL_THREAD)
				quiescent_check("at a barrier");
			pthread_barrier_wait(&barrier);
		}
	}
	/* the end: let go of everything */
	publish(w, NULL);
	if (mmk_schedule(w->id, cpu_rq(w->id)->idle) != 0)
		die("schedule to idle failed", 0);
	while (w->nown) {
		struct task_struct *t = w->own[w->nown - 1];
		w->nown--;
		if (t->state == TASK_RUNNING && do_exit(t) != 0)
			die("final exit failed", 0);
	}
	if (do_exit(w->kthread) != 0)
		die("kthread exit failed", 0);
	return NULL;
}

#ifdef STRESS_PAGES
/* is the page layer wired in (fork copies pages, exit frees them)? */
static bool page_layer_ready(void)
{
	unsigned long w0 = atomic_load(&mmk_warnings);
	struct mmk_hooks saved = mmk_hooks;
	mmk_hooks.warn = NULL;
	bool ok = false;
	FILE *null = fopen("/dev/null", "w");
	FILE *err = stderr;
	if (null)
		stderr = null;
	if (mmk_boot(4) == 0) {
		struct task_struct *p = mmk_spawn("probe");
		long a = sys_mmap(p->mm, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
		char in[4] = "abc", out[4] = "";
		if (a > 0 && mmk_copy_to_user(p->mm, (unsigned long)a, in, 4) == 0) {
			struct task_struct *c = kernel_clone(p, 0, "probe");
			ok = !IS_ERR(c) && mmk_copy_from_user(c->mm, out, (unsigned long)a, 4) == 0 && !strcmp(out, "abc");
			if (!IS_ERR(c))
				do_exit(c);
		}
		do_exit(p);
		ok = mmk_shutdown() == 0 && ok && atomic_load(&mmk_warnings) == w0;
	}
	stderr = err;
	if (null)
		fclose(null);
	mmk_hooks = saved;
	return ok;
}
#endif

int main(int argc, char **argv)
{
	long ncores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned seed = 1;
	int opt;
	bool pages_off = false;
	nthreads = (int)(ncores > 0 ? 2 * ncores : 4);
	while ((opt = getopt(argc, argv, "t:n:s:k:qPh")) != -1) {
		switch (opt) {
		case 't': nthreads = atoi(optarg); break;
		case 'n': nops = atol(optarg); break;
		case 's': seed = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'k': every = atol(optarg); break;
		case 'q': quiet = true; break;
		case 'P': pages_off = true; break;
		default:
			fprintf(stderr, "usage: stress [-t THREADS] [-n OPS per thread] [-s SEED] [-k CHECK_EVERY] [-q] [-P no page ops]\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (nthreads < 1 || nthreads > MAX_THREADS) {
		fprintf(stderr, "stress: 1..%d threads\n", MAX_THREADS);
		return 2;
	}
#ifdef STRESS_PAGES
	use_pages = !pages_off && page_layer_ready();
	if (!pages_off && !use_pages && !quiet)
		fprintf(stderr, "stress: page layer not wired into fork/exit yet: no page operations\n");
#else
	(void)pages_off;
#endif
	memset(&mmk_hooks, 0, sizeof(mmk_hooks));
	mmk_hooks.warn = warn_hook;
	int cpus = nthreads < 4 ? 4 : nthreads;
	if (mmk_boot(cpus) != 0)
		die("boot failed", cpus);
	pthread_barrier_init(&barrier, NULL, (unsigned)nthreads);
	for (int i = 0; i < nthreads; i++) {
		struct worker *w = &workers[i];
		w->id = i;
		w->seed = seed * 2654435761u + (unsigned)i * 40503u + 1;
		pthread_mutex_init(&slots[i].mu, NULL);
		w->kthread = kthread_create("kstress");
		if (IS_ERR(w->kthread))
			die("kthread_create failed", 0);
		for (int k = 0; k < 2; k++) {
			struct task_struct *t = mmk_spawn("stress");
			if (IS_ERR(t))
				die("spawn failed", 0);
			t->mm->start_brk = t->mm->brk = 0x10000000UL;
			own_add(w, t);
		}
		publish(w, w->own[0]->mm);
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&workers[i].th, NULL, worker_main, &workers[i]) != 0)
			die("pthread_create failed", i);
	for (int i = 0; i < nthreads; i++)
		pthread_join(workers[i].th, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

	quiescent_check("at the end");
	long total = 0, counts[20] = { 0 };
	for (int i = 0; i < nthreads; i++) {
		total += workers[i].ops;
		for (int k = 0; k < 20; k++)
			counts[k] += workers[i].counts[k];
	}
	long leaked = mmk_shutdown();
	pthread_barrier_destroy(&barrier);
	if (!quiet) {
		fprintf(stderr, "stress: at most %ld VMAs in %ld mms at a check\n", peak_vmas, peak_mms);
		fprintf(stderr, "stress: per operation:");
		for (int k = 0; k < 20; k++)
			if (counts[k])
				fprintf(stderr, " %s %ld", op_names[k], counts[k]);
		fputc('\n', stderr);
	}
	printf("stress: %d threads, %ld ops in %.2f s: %.0f ops/s; %ld invariant checks, %ld violations, "
	       "%ld warnings, %ld objects leaked%s\n",
	       nthreads, total, secs, secs > 0 ? (double)total / secs : 0.0, (long)atomic_load(&checks),
	       (long)atomic_load(&violations), (long)atomic_load(&warnings), leaked,
	       use_pages ? " (with page faults/access)" : "");
	return (atomic_load(&violations) || atomic_load(&warnings) || leaked) ? 1 : 0;
}
