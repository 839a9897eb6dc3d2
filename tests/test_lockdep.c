/* SPDX-License-Identifier: MIT */
/*
 * tests/test_lockdep.c - the lock validator (src/lockdep.c): deliberate
 * inversions, bad unlocks, recursive locking and locks held at thread exit
 * are reported; classes come from init sites, not addresses; and the real
 * library under a multi-threaded workload (fork, threads, exec, exit,
 * mmap/munmap/mprotect/mremap/madvise/brk, show_maps, the scheduler, kernel
 * threads, swapoff walks, mmput_async, the checker) reports nothing.
 * Needs a -DMMK_LOCKDEP build (`make lockdep`); SKIPs otherwise.
 */
#include <mmkit/mmkit.h>
#include <mmkit/lockdep.h>
#include <pthread.h>
#if defined(__has_include)
#if __has_include(<mmkit/page.h>)
#include <mmkit/page.h>
#define LOCKDEP_PAGES 1
#endif
#endif
#include "harness.h"

/* the deliberate inversions below are real lock-order inversions: under
 * ThreadSanitizer its own deadlock detector would flag them too */
#if defined(__SANITIZE_THREAD__)
#define LOCKDEP_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LOCKDEP_TSAN 1
#endif
#endif
#ifdef LOCKDEP_TSAN
const char *__tsan_default_options(void);
const char *__tsan_default_options(void) { return "detect_deadlocks=0"; }
#endif

static MMK_ATOMIC(int) nwarn;
static char lastwarn[1024];
static pthread_mutex_t warn_mu = PTHREAD_MUTEX_INITIALIZER;

static void capture_warn(void *priv, const char *msg)
{
	(void)priv;
	pthread_mutex_lock(&warn_mu);
	atomic_fetch_add(&nwarn, 1);
	snprintf(lastwarn, sizeof(lastwarn), "%s", msg);
	fprintf(stderr, "warn: %s\n", msg);
	pthread_mutex_unlock(&warn_mu);
}

static void setup(void)
{
#ifndef MMK_LOCKDEP
	SKIP("needs a -DMMK_LOCKDEP build (make lockdep)");
#endif
	CHECK(lockdep_enabled());
	memset(&mmk_hooks, 0, sizeof(mmk_hooks));
	mmk_hooks.warn = capture_warn;
	lockdep_reset();
	atomic_store(&nwarn, 0);
}

#ifdef MMK_LOCKDEP
static spinlock_t lock_a, lock_b;
static struct rw_semaphore sem_c;

static void init_abc(void)
{
	spin_lock_init(&lock_a);
	spin_lock_init(&lock_b);
	init_rwsem(&sem_c);
}
#endif

TEST(inversion_ab_ba_reported)
{
	setup();
#ifdef MMK_LOCKDEP
	init_abc();
	spin_lock(&lock_a);
	spin_lock(&lock_b);
	spin_unlock(&lock_b);
	spin_unlock(&lock_a);
	CHECK_EQ(atomic_load(&nwarn), 0);
	spin_lock(&lock_b);
	spin_lock(&lock_a); /* B -> A: closes the cycle */
	spin_unlock(&lock_a);
	spin_unlock(&lock_b);
	CHECK_EQ(atomic_load(&nwarn), 1);
	CHECK(strstr(lastwarn, "circular locking dependency"));
	CHECK(strstr(lastwarn, "lock_a") && strstr(lastwarn, "lock_b"));
	/* reported once per pair */
	spin_lock(&lock_b);
	spin_lock(&lock_a);
	spin_unlock(&lock_a);
	spin_unlock(&lock_b);
	CHECK_EQ(atomic_load(&nwarn), 1);
	CHECK_EQ(lockdep_reports(), 1);
#endif
}

TEST(three_lock_cycle_reported)
{
	setup();
#ifdef MMK_LOCKDEP
	init_abc();
	spin_lock(&lock_a); down_write(&sem_c); up_write(&sem_c); spin_unlock(&lock_a); /* A -> C */
	down_read(&sem_c); spin_lock(&lock_b); spin_unlock(&lock_b); up_read(&sem_c);   /* C -> B */
	CHECK_EQ(atomic_load(&nwarn), 0);
	spin_lock(&lock_b); spin_lock(&lock_a); spin_unlock(&lock_a); spin_unlock(&lock_b); /* B -> A */
	CHECK_EQ(atomic_load(&nwarn), 1);
	CHECK(strstr(lastwarn, "sem_c"));
#endif
}

TEST(classes_by_init_site_not_address)
{
	setup();
#ifdef MMK_LOCKDEP
	/* two mms: their page_table_locks share a class (one init site) */
	CHECK_EQ(mmk_boot(2), 0);
	struct mm_struct *m1 = mm_alloc(), *m2 = mm_alloc();
	CHECK(m1 && m2);
	init_abc();
	spin_lock(&m1->page_table_lock);
	spin_lock(&lock_a);
	spin_unlock(&lock_a);
	spin_unlock(&m1->page_table_lock);
	CHECK_EQ(atomic_load(&nwarn), 0);
	spin_lock(&lock_a);
	spin_lock(&m2->page_table_lock); /* another instance, the same class */
	spin_unlock(&m2->page_table_lock);
	spin_unlock(&lock_a);
	CHECK_EQ(atomic_load(&nwarn), 1);
	CHECK(strstr(lastwarn, "page_table_lock"));
	/* the real order is mmap_sem -> tasklist_lock: the opposite is reported */
	down_read(&m1->mmap_sem);
	spin_lock(&tasklist_lock);
	spin_unlock(&tasklist_lock);
	up_read(&m1->mmap_sem);
	CHECK_EQ(atomic_load(&nwarn), 1);
	spin_lock(&tasklist_lock);
	down_read(&m2->mmap_sem);
	up_read(&m2->mmap_sem);
	spin_unlock(&tasklist_lock);
	CHECK_EQ(atomic_load(&nwarn), 2);
	CHECK(strstr(lastwarn, "mmap_sem") && strstr(lastwarn, "tasklist_lock"));
	mmput(m1);
	mmput(m2);
	CHECK_EQ(mmk_shutdown(), 0);
#endif
}

TEST(bad_unlock_reported)
{
	setup();
#ifdef MMK_LOCKDEP
	init_abc();
	spin_unlock(&lock_a); /* not held: reported, and not unlocked */
	CHECK_EQ(atomic_load(&nwarn), 1);
	CHECK(strstr(lastwarn, "bad unlock balance"));
	up_read(&sem_c);
	CHECK_EQ(atomic_load(&nwarn), 2);
	/* the lock still works */
	spin_lock(&lock_a);
	spin_unlock(&lock_a);
	CHECK_EQ(atomic_load(&nwarn), 2);
#endif
}

TEST(recursive_read_reported)
{
	setup();
#ifdef MMK_LOCKDEP
	init_abc();
	down_read(&sem_c);
	down_read(&sem_c); /* a writer queued in between would deadlock */
	CHECK_EQ(atomic_load(&nwarn), 1);
	CHECK(strstr(lastwarn, "recursive locking"));
	up_read(&sem_c);
	up_read(&sem_c);
	CHECK_EQ(lockdep_depth(), 0);
	CHECK_EQ(atomic_load(&nwarn), 1);
#endif
}

#ifdef MMK_LOCKDEP
static void *hold_and_exit(void *arg)
{
	spin_lock((spinlock_t *)arg);
	return NULL; /* the thread ends with the lock held */
}
#endif

TEST(thread_exit_with_lock_held_reported)
{
	setup();
#ifdef MMK_LOCKDEP
	init_abc();
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, hold_and_exit, &lock_b), 0);
	pthread_join(th, NULL);
	CHECK_EQ(atomic_load(&nwarn), 1);
	CHECK(strstr(lastwarn, "thread exiting with 1 lock held") && strstr(lastwarn, "lock_b"));
	/* and at the end of a test */
	spin_lock(&lock_a);
	CHECK_EQ(lockdep_assert_none_held("end of test"), 1);
	CHECK_EQ(atomic_load(&nwarn), 2);
	CHECK(strstr(lastwarn, "end of test"));
	spin_unlock(&lock_a);
	CHECK_EQ(lockdep_assert_none_held("end of test"), 0);
#endif
}

TEST(nesting_is_single_depth)
{
	setup();
#ifdef MMK_LOCKDEP
	CHECK_EQ(mmk_boot(2), 0);
	struct mm_struct *m1 = mm_alloc(), *m2 = mm_alloc();
	down_write(&m1->mmap_sem);
	down_write(&m2->mmap_sem); /* as dup_mmap: read as mmap_sem/1 */
	up_write(&m2->mmap_sem);
	up_write(&m1->mmap_sem);
	struct lockdep_stats st;
	lockdep_get_stats(&st);
	CHECK_EQ(st.nested, 1);
	CHECK_EQ(atomic_load(&nwarn), 0);
	mmput(m1);
	mmput(m2);
	CHECK_EQ(mmk_shutdown(), 0);
	CHECK_EQ(atomic_load(&nwarn), 0);
#endif
}

/* ---- the real library under a workload ---------------------------------- */
#ifdef MMK_LOCKDEP
#define WL_THREADS 3
static struct task_struct *wl_proc[WL_THREADS];
static struct task_struct *wl_kthread[WL_THREADS];

static unsigned rnd(unsigned *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void *workload(void *arg)
{
	int id = (int)(uintptr_t)arg;
	unsigned seed = 0x9e3779b9u * (unsigned)(id + 1);
	struct task_struct *p = wl_proc[id];
	for (int i = 0; i < 400; i++) {
		struct mm_struct *mm = p->mm;
		unsigned long len = ((rnd(&seed) % 8) + 1) * PAGE_SIZE;
		long a;
		switch (rnd(&seed) % 14) {
		case 0: {
			struct task_struct *c = kernel_clone(p, 0, "child");
			CHECK(!IS_ERR(c));
			if (rnd(&seed) % 2)
				CHECK_EQ(mmk_exec(c), 0);
			CHECK_EQ(do_exit(c), 0);
			break;
		}
		case 1: {
			struct task_struct *t = kernel_clone(p, CLONE_VM | CLONE_SIGHAND | CLONE_THREAD, "thr");
			CHECK(!IS_ERR(t));
			CHECK_EQ(do_exit(t), 0);
			break;
		}
		case 2:
			a = sys_mmap(mm, 0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
			CHECK(a > 0);
			if (rnd(&seed) % 2)
				sys_mprotect(mm, (unsigned long)a, PAGE_SIZE, PROT_READ);
			if (rnd(&seed) % 2)
				sys_madvise(mm, (unsigned long)a, PAGE_SIZE, MADV_DONTFORK);
			if (rnd(&seed) % 2)
				sys_mremap(mm, (unsigned long)a, len, len * 2, MREMAP_MAYMOVE, 0);
			else
				sys_munmap(mm, (unsigned long)a + PAGE_SIZE, PAGE_SIZE);
			break;
		case 3:
			sys_brk(mm, mm->brk + PAGE_SIZE);
			break;
		case 4:
			CHECK_EQ(try_to_unuse(), 0);
			break;
		case 5: {
			/* this thread owns CPU id: run the process, then a kernel thread borrows */
			CHECK_EQ(mmk_schedule(id, p), 0);
			CHECK_EQ(mmk_schedule(id, wl_kthread[id]), 0);
			break;
		}
		case 6:
			CHECK_EQ(mmk_schedule(id, cpu_rq(id)->idle), 0);
			break;
		case 7: {
			struct mm_struct *m = get_task_mm(p);
			CHECK(m);
			if (wl_kthread[id]->on_cpu >= 0) { /* kthread_use_mm runs as current */
				kthread_use_mm(wl_kthread[id], m);
				kthread_unuse_mm(wl_kthread[id], m);
			}
			mmput(m);
			break;
		}
		case 8: {
			struct seq_file m;
			seq_init(&m);
			show_maps(&m, mm);
			show_smaps(&m, mm);
			seq_release(&m);
			break;
		}
		case 9: {
			struct mm_struct *m = mm_alloc();
			CHECK(m);
			mmput_async(m);
			break;
		}
		case 10:
			sys_mlock(mm, mm->mmap ? mm->mmap->vm_start : 0, PAGE_SIZE);
			sys_munlockall(mm);
			break;
		case 11: {
			struct task_struct *c = kernel_clone(p, CLONE_VM | CLONE_VFORK, "vf");
			CHECK(!IS_ERR(c));
			CHECK_EQ(do_exit(c), 0);
			break;
		}
		case 12: {
			struct unuse_walk w;
			unuse_walk_start(&w);
			if (unuse_walk_next(&w))
				(void)unuse_walk_next(&w);
			unuse_walk_end(&w);
			break;
		}
		case 13: {
#ifdef LOCKDEP_PAGES
			/* the page layer: faults, user copies, page tables */
			unsigned long at = mm->mmap ? mm->mmap->vm_start : 0;
			char buf[32] = "lockdep";
			if (at) {
				(void)mmk_copy_to_user(mm, at, buf, sizeof(buf));
				(void)mmk_copy_from_user(mm, buf, at, sizeof(buf));
				(void)mmk_fault(mm, at + PAGE_SIZE, true);
				(void)mmk_access_vm(mm, at, buf, 8, false);
			}
#endif
			(void)mm_users(mm);
			break;
		}
		}
		CHECK_EQ(lockdep_depth(), 0);
	}
	return NULL;
}
#endif

TEST(real_library_reports_nothing)
{
	setup();
#ifdef MMK_LOCKDEP
	CHECK_EQ(mmk_boot(WL_THREADS + 1), 0);
	for (int i = 0; i < WL_THREADS; i++) {
		wl_proc[i] = mmk_spawn("wl");
		CHECK(!IS_ERR(wl_proc[i]));
		wl_kthread[i] = kthread_create("kwl");
		CHECK(!IS_ERR(wl_kthread[i]));
		CHECK(sys_mmap(wl_proc[i]->mm, 0, 16 * PAGE_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0) > 0);
	}
	pthread_t th[WL_THREADS];
	for (int i = 0; i < WL_THREADS; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, workload, (void *)(uintptr_t)i), 0);
	for (int i = 0; i < WL_THREADS; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(mmk_check_all(NULL), 0);
	for (int i = 0; i < WL_THREADS; i++)
		CHECK_EQ(do_exit(wl_proc[i]), 0);
	CHECK_EQ(mmk_shutdown(), 0);
	struct lockdep_stats st;
	lockdep_get_stats(&st);
	fprintf(stderr, "lockdep: %lu classes, %lu edges, %lu acquisitions, %lu nested, %lu reports\n",
		st.classes, st.edges, st.acquisitions, st.nested, st.reports);
	lockdep_print_graph(stderr);
	CHECK_EQ(st.reports, 0);
	CHECK_EQ(atomic_load(&nwarn), 0);
	CHECK(st.edges >= 3);
	CHECK(st.nested >= 1); /* dup_mmap */
	CHECK_EQ(lockdep_assert_none_held("end of workload"), 0);
#endif
}

#define TESTS(X)                             \
	X(inversion_ab_ba_reported)          \
	X(three_lock_cycle_reported)         \
	X(classes_by_init_site_not_address)  \
	X(bad_unlock_reported)               \
	X(recursive_read_reported)           \
	X(thread_exit_with_lock_held_reported) \
	X(nesting_is_single_depth)           \
	X(real_library_reports_nothing)
TEST_MAIN("lockdep", TESTS)
