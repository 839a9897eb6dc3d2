/* SPDX-License-Identifier: MIT */
/*
 * tests/test_stress.c - host threads as CPUs: several threads take and drop
 * users and references of shared mms (mmget_not_zero/mmput, mmgrab/mmdrop)
 * while the mms' owners fork, clone threads and exit on other threads, and
 * a swapoff walk runs over mmlist. Afterwards nothing may be leaked and
 * every invariant must hold. Run under ASan+UBSan by `make test` and under
 * ThreadSanitizer by `make tsan`. MMK_STRESS_ITERS scales it.
 */
#include <mmkit/mmkit.h>
#include <pthread.h>
#include "harness.h"

#define NPROC 8
#define NOWNERS 4
#define NHAMMER 4

static struct task_struct *procs[NPROC];
static struct mm_struct *mms[NPROC];
static MMK_ATOMIC(int) stop;
static MMK_ATOMIC(long) gets_ok, gets_failed, ops;
static MMK_ATOMIC(int) warnings;
static long iters = 50000;

static void count_warn(void *priv, const char *msg)
{
	(void)priv;
	atomic_fetch_add(&warnings, 1);
	fprintf(stderr, "warning: %s\n", msg);
}

static unsigned rnd(unsigned *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void *hammer(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u + 1;
	while (!atomic_load(&stop)) {
		struct mm_struct *mm = mms[rnd(&seed) % NPROC];
		switch (rnd(&seed) % 3) {
		case 0:
			if (mmget_not_zero(mm)) {
				atomic_fetch_add(&gets_ok, 1);
				/* an address-space user may look at the VMAs */
				down_read(&mm->mmap_sem);
				(void)find_vma(mm, 0x10000);
				up_read(&mm->mmap_sem);
				mmput(mm);
			} else {
				atomic_fetch_add(&gets_failed, 1);
			}
			break;
		case 1:
			mmgrab(mm);
			mmdrop(mm);
			break;
		case 2:
			if (mmget_not_zero(mm)) {
				mmget(mm);
				mmput(mm);
				mmput(mm);
			}
			break;
		}
		atomic_fetch_add(&ops, 1);
	}
	return NULL;
}

static void *owner(void *arg)
{
	int id = (int)(uintptr_t)arg;
	unsigned seed = (unsigned)id * 7919u + 3;
	for (long i = 0; i < iters / 10; i++) {
		struct task_struct *p = procs[id * 2 + (int)(rnd(&seed) % 2)];
		if (!p)
			continue;
		if (rnd(&seed) % 2) {
			struct task_struct *t = kernel_clone(p, CLONE_VM | CLONE_SIGHAND | CLONE_THREAD, "t");
			CHECK(!IS_ERR(t));
			CHECK_EQ(do_exit(t), 0);
		} else {
			struct task_struct *c = kernel_clone(p, 0, "c");
			CHECK(!IS_ERR(c));
			if (rnd(&seed) % 4 == 0)
				CHECK_EQ(mmk_exec(c), 0);
			CHECK_EQ(do_exit(c), 0);
		}
		atomic_fetch_add(&ops, 1);
	}
	/* the owners exit while the hammers still run */
	for (int k = 0; k < 2; k++) {
		CHECK_EQ(do_exit(procs[id * 2 + k]), 0);
	}
	return NULL;
}

static void *swapoff_thread(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		CHECK_EQ(try_to_unuse(), 0);
		atomic_fetch_add(&ops, 1);
	}
	return NULL;
}

TEST(hammer_counters_while_owners_exit)
{
	if (getenv("MMK_STRESS_ITERS"))
		iters = atol(getenv("MMK_STRESS_ITERS"));
	memset(&mmk_hooks, 0, sizeof(mmk_hooks));
	mmk_hooks.warn = count_warn;
	CHECK_EQ(mmk_boot(4), 0);
	for (int i = 0; i < NPROC; i++) {
		procs[i] = mmk_spawn("p");
		CHECK(!IS_ERR(procs[i]));
		mms[i] = procs[i]->mm;
		mmgrab(mms[i]); /* the hammers' pointers stay valid: the struct is held */
	}
	pthread_t h[NHAMMER], o[NOWNERS], sw;
	for (int i = 0; i < NHAMMER; i++)
		CHECK_EQ(pthread_create(&h[i], NULL, hammer, (void *)(uintptr_t)(i + 1)), 0);
	CHECK_EQ(pthread_create(&sw, NULL, swapoff_thread, NULL), 0);
	for (int i = 0; i < NOWNERS; i++)
		CHECK_EQ(pthread_create(&o[i], NULL, owner, (void *)(uintptr_t)i), 0);
	for (int i = 0; i < NOWNERS; i++)
		pthread_join(o[i], NULL);
	/* let the hammers see the dead address spaces a while */
	while (atomic_load(&gets_failed) < 1000)
		sched_yield();
	atomic_store(&stop, 1);
	for (int i = 0; i < NHAMMER; i++)
		pthread_join(h[i], NULL);
	pthread_join(sw, NULL);

	for (int i = 0; i < NPROC; i++) {
		CHECK_EQ(mm_users(mms[i]), 0);
		CHECK_EQ(mm_count(mms[i]), 1);
	}
	CHECK_EQ(mmlist_nr, 0);
	CHECK_EQ(mmk_check_all(NULL), NPROC * 0 + 0);
	for (int i = 0; i < NPROC; i++)
		mmdrop(mms[i]);
	CHECK_EQ(atomic_load(&warnings), 0);
	CHECK_EQ(mmk_shutdown(), 0);
	fprintf(stderr, "ops %ld, gets ok %ld, refused %ld\n", (long)ops, (long)gets_ok, (long)gets_failed);
	CHECK(atomic_load(&gets_ok) > 0);
}

#define TESTS(X) X(hammer_counters_while_owners_exit)
TEST_MAIN("stress", TESTS)
