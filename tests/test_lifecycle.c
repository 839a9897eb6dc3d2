/* SPDX-License-Identifier: MIT */
/*
 * tests/test_lifecycle.c - the memory descriptor's two counters, tasks, the
 * lazy-TLB switch, kthread_use_mm, mmlist and swapoff's walk, misuse, and
 * every allocation failing in turn.
 */
#include <mmkit/mmkit.h>
#include <pthread.h>
#include "harness.h"

static int warns;
static char lastwarn[512];
static void quiet_warn(void *priv, const char *msg)
{
	(void)priv;
	warns++;
	snprintf(lastwarn, sizeof(lastwarn), "%s", msg);
}

static long live(struct kmem_cache *c);
extern struct kmem_cache *mm_cachep, *task_struct_cachep, *vm_area_cachep;

static long live(struct kmem_cache *c)
{
	struct slabinfo si;
	CHECK(kmem_cache_info(c, &si) == 0);
	return (long)si.active_objs;
}

static void boot(void)
{
	memset(&mmk_hooks, 0, sizeof(mmk_hooks));
	CHECK_EQ(mmk_boot(4), 0);
	CHECK_EQ(mmk_check_all(NULL), 0);
}

static void shutdown_clean(void)
{
	CHECK_EQ(mmk_check_all(NULL), 0);
	CHECK_EQ(mmk_shutdown(), 0);
}

TEST(boot_init_mm)
{
	boot();
	/* static users 2, count 1; each idle task borrows it at cpu_init */
	CHECK_EQ(mm_users(&init_mm), 2);
	CHECK_EQ(mm_count(&init_mm), 1 + 4);
	CHECK_EQ(mmlist_nr, 0);
	for (int cpu = 0; cpu < 4; cpu++)
		CHECK(cpu_rq(cpu)->curr->active_mm == &init_mm);
	shutdown_clean();
	CHECK_EQ(mmk_boot(0), -EINVAL);
}

TEST(alloc_put_drop)
{
	boot();
	struct mm_struct *mm = mm_alloc();
	CHECK(mm);
	CHECK_EQ(mm_users(mm), 1);
	CHECK_EQ(mm_count(mm), 1);
	CHECK_EQ(mmlist_nr, 1); /* seed rule: on the list from birth */
	CHECK(init_mm.mmlist.next == &mm->mmlist);
	CHECK_EQ(live(mm_cachep), 1);
	mmgrab(mm);
	CHECK_EQ(mm_count(mm), 2);
	mmput(mm); /* last user: __mmput; the struct survives the grab */
	CHECK_EQ(mm_users(mm), 0);
	CHECK_EQ(mm_count(mm), 1);
	CHECK_EQ(mmlist_nr, 0);
	CHECK(!mmget_not_zero(mm));
	CHECK_EQ(live(mm_cachep), 1);
	mmdrop(mm);
	CHECK_EQ(live(mm_cachep), 0);
	shutdown_clean();
}

TEST(users_hold_one_count)
{
	boot();
	struct mm_struct *mm = mm_alloc();
	for (int i = 0; i < 10; i++)
		mmget(mm);
	CHECK_EQ(mm_users(mm), 11);
	CHECK_EQ(mm_count(mm), 1); /* all users together: one reference */
	CHECK(mmget_not_zero(mm));
	for (int i = 0; i < 12; i++)
		mmput(mm);
	CHECK_EQ(live(mm_cachep), 0);
	shutdown_clean();
}

TEST(misuse_is_reported_not_corrupting)
{
	boot();
	mmk_hooks.warn = quiet_warn;
	struct mm_struct *mm = mm_alloc();
	mmgrab(mm);
	mmput(mm);
	CHECK_EQ(warns, 0);
	mmput(mm); /* below zero */
	CHECK_EQ(warns, 1);
	CHECK(strstr(lastwarn, "below zero"));
	CHECK_EQ(mm_users(mm), 0);
	mmget(mm); /* a get after the end */
	CHECK_EQ(warns, 2);
	CHECK_EQ(mm_users(mm), 0);
	CHECK_EQ(mm_count(mm), 1);
	mmdrop(mm);
	CHECK_EQ(live(mm_cachep), 0);
	shutdown_clean();
}

TEST(check_mm_bad_rss)
{
	boot();
	mmk_hooks.warn = quiet_warn;
	struct mm_struct *mm = mm_alloc();
	atomic_long_set(&mm->rss_stat[MM_ANONPAGES], 3);
	mmput(mm);
	CHECK_EQ(warns, 1);
	CHECK(strstr(lastwarn, "Bad rss-counter state"));
	CHECK(strstr(lastwarn, "MM_ANONPAGES"));
	shutdown_clean();
}

TEST(threads_fork_exit)
{
	boot();
	struct task_struct *a = mmk_spawn("a");
	CHECK(!IS_ERR(a));
	struct mm_struct *mm = a->mm;
	struct task_struct *b = kernel_clone(a, CLONE_VM | CLONE_SIGHAND | CLONE_THREAD, "b");
	CHECK(!IS_ERR(b));
	CHECK(b->mm == mm && b->tgid == a->tgid);
	CHECK_EQ(mm_users(mm), 2);
	CHECK_EQ(mm_count(mm), 1);
	struct task_struct *c = kernel_clone(a, 0, "c");
	CHECK(!IS_ERR(c));
	CHECK(c->mm != mm);
	CHECK_EQ(mm_users(c->mm), 1);
	CHECK_EQ(mmlist_nr, 2);
	CHECK(mm->mmlist.next == &c->mm->mmlist); /* 2.4's copy_mm: right after the parent */
	CHECK_EQ(mmk_check_all(NULL), 0);
	/* bad flag combinations */
	CHECK_EQ(PTR_ERR(kernel_clone(a, CLONE_THREAD, "x")), -EINVAL);
	CHECK_EQ(PTR_ERR(kernel_clone(a, CLONE_SIGHAND, "x")), -EINVAL);
	CHECK_EQ(do_exit(a), 0);
	CHECK_EQ(mm_users(mm), 1);
	CHECK(mm->owner == b); /* mm_update_next_owner */
	CHECK_EQ(do_exit(b), 0);
	CHECK_EQ(live(mm_cachep), 1);
	CHECK_EQ(do_exit(c), 0);
	CHECK_EQ(live(mm_cachep), 0);
	shutdown_clean();
}

TEST(context_switch_four_cases)
{
	boot();
	struct task_struct *a = mmk_spawn("a"), *b = mmk_spawn("b");
	struct task_struct *k1 = kthread_create("k1"), *k2 = kthread_create("k2");
	struct mm_struct *ma = a->mm, *mb = b->mm;
	CHECK_EQ(mmk_schedule(0, a), 0);           /* kernel(idle) -> user: init_mm dropped */
	CHECK_EQ(mm_count(&init_mm), 4);
	CHECK(ma->cpu_vm_mask & 1);
	CHECK_EQ(mmk_schedule(0, k1), 0);          /* user -> kernel: grab */
	CHECK_EQ(mm_count(ma), 2);
	CHECK(k1->active_mm == ma);
	CHECK_EQ(mmk_schedule(0, k2), 0);          /* kernel -> kernel: hand over */
	CHECK_EQ(mm_count(ma), 2);
	CHECK(k2->active_mm == ma && k1->active_mm == NULL);
	CHECK_EQ(mmk_schedule(0, b), 0);           /* kernel -> user: drop */
	CHECK_EQ(mm_count(ma), 1);
	CHECK(k2->active_mm == NULL);
	CHECK_EQ(mmk_schedule(0, a), 0);           /* user -> user */
	CHECK_EQ(mm_count(ma), 1);
	CHECK_EQ(mm_count(mb), 1);
	CHECK(!(mb->cpu_vm_mask & 1));
	CHECK_EQ(mmk_schedule(1, a), -EBUSY);
	CHECK_EQ(mmk_check_all(NULL), 0);
	shutdown_clean();
}

TEST(exit_on_cpu_keeps_lazy)
{
	boot();
	struct task_struct *a = mmk_spawn("a"), *b = mmk_spawn("b");
	struct mm_struct *ma = a->mm;
	mmk_schedule(0, a);
	CHECK_EQ(do_exit(a), 0);
	/* still current: holds ma lazily, the address space is gone */
	CHECK_EQ(mm_users(ma), 0);
	CHECK_EQ(mm_count(ma), 1);
	CHECK(a->active_mm == ma && a->mm == NULL);
	CHECK_EQ(do_exit(a), -EINVAL);
	CHECK_EQ(mmk_check_all(NULL), 0);
	CHECK_EQ(live(mm_cachep), 2);
	mmk_schedule(0, b); /* dead -> user: dropped, the dead task freed */
	CHECK_EQ(live(mm_cachep), 1);
	CHECK_EQ(live(task_struct_cachep), 4 + 1);
	shutdown_clean();
}

TEST(exec_replaces_mm)
{
	boot();
	struct task_struct *a = mmk_spawn("a");
	struct task_struct *t = kernel_clone(a, CLONE_VM | CLONE_SIGHAND | CLONE_THREAD, "t");
	struct mm_struct *old = a->mm;
	CHECK_EQ(mm_users(old), 2);
	CHECK_EQ(mmk_exec(a), 0);
	/* de_thread killed t; the old mm lost both users */
	CHECK(a->mm != old && a->active_mm == a->mm);
	CHECK_EQ(live(mm_cachep), 1);
	(void)t;
	/* a kernel thread that execs drops its lazy active_mm */
	struct task_struct *k = kthread_create("k");
	mmk_schedule(1, a);
	mmk_schedule(1, k);
	CHECK_EQ(mm_count(a->mm), 2);
	CHECK_EQ(mmk_exec(k), 0);
	CHECK_EQ(mm_count(a->mm), 1);
	CHECK(!(k->flags & PF_KTHREAD));
	CHECK_EQ(mmk_check_all(NULL), 0);
	shutdown_clean();
}

TEST(kthread_use_mm_counts)
{
	boot();
	struct task_struct *a = mmk_spawn("a"), *k = kthread_create("k");
	struct mm_struct *mm = a->mm;
	mmk_schedule(0, a);
	mmk_schedule(0, k);
	CHECK_EQ(mm_count(mm), 2);
	kthread_use_mm(k, mm); /* grab (+1) even though already active_mm; lazy dropped (-1) */
	CHECK_EQ(mm_count(mm), 2);
	CHECK_EQ(mm_users(mm), 1);
	CHECK(k->mm == mm);
	kthread_unuse_mm(k, mm);
	CHECK_EQ(mm_count(mm), 2);
	CHECK(k->mm == NULL && k->active_mm == mm);
	CHECK_EQ(mmk_check_all(NULL), 0);
	shutdown_clean();
}

static void *vfork_waiter(void *arg)
{
	wait_for_vfork_done(arg);
	return NULL;
}

TEST(vfork_parent_waits)
{
	boot();
	struct task_struct *p = mmk_spawn("p");
	struct task_struct *c = kernel_clone(p, CLONE_VM | CLONE_VFORK, "c");
	CHECK(!IS_ERR(c));
	CHECK_EQ(p->state, TASK_VFORK);
	CHECK_EQ(mm_users(p->mm), 2);
	CHECK_EQ(do_exit(p), -EBUSY);
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, vfork_waiter, p), 0);
	CHECK_EQ(mmk_exec(c), 0); /* mm_release wakes the parent */
	pthread_join(th, NULL);
	CHECK_EQ(p->state, TASK_RUNNING);
	CHECK_EQ(mm_users(p->mm), 1);
	shutdown_clean();
}

static int visited;
static struct task_struct *victim;
static void unuse_hook(void *priv, struct mm_struct *mm)
{
	(void)priv;
	visited++;
	CHECK(mm_users(mm) >= 1);
	/* the owner exits while the walk holds its pin */
	if (victim && victim->mm == mm) {
		do_exit(victim);
		victim = NULL;
		CHECK_EQ(mm_users(mm), 1);
		CHECK(!list_empty(&mm->mmlist)); /* still on the list: the walk can go on */
	}
}

TEST(try_to_unuse_pins_users)
{
	boot();
	struct task_struct *t[5];
	for (int i = 0; i < 5; i++)
		t[i] = mmk_spawn("p");
	victim = t[2];
	mmk_hooks.unuse_mm = unuse_hook;
	CHECK_EQ(try_to_unuse(), 0);
	CHECK_EQ(visited, 5);
	CHECK_EQ(mmlist_nr, 4);
	CHECK_EQ(mm_users(&init_mm), 2);
	CHECK_EQ(live(mm_cachep), 4);
	/* an mm whose users are gone (but whose struct is grabbed) is skipped */
	struct mm_struct *mm = t[0]->mm;
	mmgrab(mm);
	do_exit(t[0]);
	visited = 0;
	CHECK_EQ(try_to_unuse(), 0);
	CHECK_EQ(visited, 3);
	mmdrop(mm);
	shutdown_clean();
}

TEST(mmlist_modern_policy)
{
	boot();
	sysctl_mmlist_policy = MMLIST_MODERN;
	struct task_struct *a = mmk_spawn("a");
	CHECK_EQ(mmlist_nr, 0);
	struct task_struct *c = kernel_clone(a, 0, "c");
	CHECK_EQ(mmlist_nr, 0); /* the parent is not listed: neither is the child */
	mmlist_add_after(a->mm, &init_mm);   /* as when it gets its first swap entry */
	struct task_struct *d = kernel_clone(a, 0, "d");
	CHECK_EQ(mmlist_nr, 2);
	CHECK(a->mm->mmlist.next == &d->mm->mmlist);
	CHECK_EQ(mmk_check_all(NULL), 0);
	do_exit(d);
	do_exit(a);
	do_exit(c);
	CHECK_EQ(mmlist_nr, 0);
	sysctl_mmlist_policy = MMLIST_SEED;
	shutdown_clean();
}

TEST(mmput_async_defers)
{
	boot();
	struct mm_struct *mm = mm_alloc();
	struct task_struct *a = mmk_spawn("a");
	mmput_async(mm);
	CHECK_EQ(live(mm_cachep), 2); /* queued, not yet torn down */
	mmk_schedule(0, a);           /* the "kworker" runs at the switch */
	CHECK_EQ(live(mm_cachep), 1);
	shutdown_clean();
}

/* every allocation failing in turn: nothing leaks, state stays valid */
TEST(alloc_failure_fork_exec_spawn)
{
	boot();
	struct task_struct *a = mmk_spawn("a");
	long base_mm = live(mm_cachep), base_task = live(task_struct_cachep);
	int failures = 0;
	for (long k = 0;; k++) {
		fail_after(k);
		struct task_struct *c = kernel_clone(a, 0, "c");
		bool fired = fail_injected();
		fail_after(-1);
		CHECK_EQ(mmk_check_all(NULL), 0);
		if (!IS_ERR(c)) {
			CHECK(!fired);
			CHECK_EQ(do_exit(c), 0);
			break;
		}
		failures++;
		CHECK_EQ(PTR_ERR(c), -ENOMEM);
		CHECK_EQ(live(mm_cachep), base_mm);
		CHECK_EQ(live(task_struct_cachep), base_task);
		CHECK_EQ(mmlist_nr, 1);
		CHECK(k < 100);
	}
	CHECK(failures >= 3); /* task, mm, pgd at least */
	for (long k = 0;; k++) {
		fail_after(k);
		int r = mmk_exec(a);
		fail_after(-1);
		CHECK_EQ(mmk_check_all(NULL), 0);
		if (r == 0)
			break;
		CHECK_EQ(r, -ENOMEM);
		CHECK_EQ(live(mm_cachep), base_mm);
		CHECK(k < 100);
	}
	for (long k = 0;; k++) {
		fail_after(k);
		struct task_struct *p = mmk_spawn("p");
		fail_after(-1);
		if (!IS_ERR(p))
			break;
		CHECK_EQ(live(mm_cachep), base_mm);
		CHECK_EQ(live(task_struct_cachep), base_task);
		CHECK(k < 100);
	}
	shutdown_clean();
}

#define TESTS(X)                          \
	X(boot_init_mm)                   \
	X(alloc_put_drop)                 \
	X(users_hold_one_count)           \
	X(misuse_is_reported_not_corrupting) \
	X(check_mm_bad_rss)               \
	X(threads_fork_exit)              \
	X(context_switch_four_cases)      \
	X(exit_on_cpu_keeps_lazy)         \
	X(exec_replaces_mm)               \
	X(kthread_use_mm_counts)          \
	X(vfork_parent_waits)             \
	X(try_to_unuse_pins_users)        \
	X(mmlist_modern_policy)           \
	X(mmput_async_defers)             \
	X(alloc_failure_fork_exec_spawn)
TEST_MAIN("lifecycle", TESTS)
