/* SPDX-License-Identifier: MIT */
/*
 * src/debug.c - misuse reports, tracing, and the global invariant checker
 * (the kernel's VM_BUG_ON_MM / check_mm / validate_mm, gathered in one place).
 *
 * Who holds which reference (the checker demands exactly this when told
 * about outside holders):
 *   mm_users = tasks whose mm it is (not kernel threads inside kthread_use_mm)
 *            + outside users (swapoff's pin, get_task_mm callers)
 *            + 2 for init_mm (its static initial value)
 *   mm_count = 1 if mm_users > 0 (all users together)
 *            + kernel threads inside kthread_use_mm of it
 *            + tasks borrowing it lazily (active_mm == it, mm != it)
 *            + outside grabs
 *            + 1 for init_mm (static)
 */
#include "internal.h"
#include <stdarg.h>

/* read by every mmget/mmput: a cache line of its own, away from the locks */
struct mmk_hooks mmk_hooks __attribute__((aligned(64)));
MMK_ATOMIC(unsigned long) mmk_warnings;

void mmk_warn(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	atomic_fetch_add(&mmk_warnings, 1);
	if (mmk_hooks.warn)
		mmk_hooks.warn(mmk_hooks.priv, msg);
	else
		fprintf(stderr, "mmkit: %s\n", msg);
}

void mmk_trace(const char *func, struct mm_struct *mm)
{
	if (mmk_hooks.trace)
		mmk_hooks.trace(mmk_hooks.priv, func, mm);
}

void mmk_for_each_mm(void (*fn)(struct mm_struct *, void *), void *arg)
{
	struct list_head *pos, *n;
	/* the callback may not free mms; snapshot-safe iteration anyway */
	spin_lock(&mmk_mm_list_lock);
	list_for_each_safe(pos, n, &mmk_mm_list) fn(list_entry(pos, struct mm_struct, mmk_all), arg);
	spin_unlock(&mmk_mm_list_lock);
}

struct refs {
	long users, count;
};

static void count_task_refs(struct mm_struct *mm, struct refs *r)
{
	struct list_head *pos;
	r->users = r->count = 0;
	list_for_each(pos, &mmk_tasks) {
		struct task_struct *t = list_entry(pos, struct task_struct, tasks);
		if (t->mm == mm) {
			if (t->flags & PF_KTHREAD)
				r->count++;
			else
				r->users++;
		}
		if (t->active_mm == mm && t->mm != mm)
			r->count++;
	}
}

struct check_ctx {
	const struct mmk_extern_refs *ext;
	int bad;
	long nr_mms;
	long nr_vmas;
};

static void check_one_mm(struct mm_struct *mm, struct check_ctx *c)
{
	struct refs r;
	long users = atomic_read(&mm->mm_users), count = atomic_read(&mm->mm_count);
	long want_users, want_count;
	bool is_init = (mm == &init_mm);

	count_task_refs(mm, &r);
	want_users = r.users + (is_init ? 2 : 0);
	want_count = r.count + (is_init ? 1 : 0);
	if (c->ext) {
		want_users += c->ext->users(c->ext->priv, mm);
		want_count += c->ext->count(c->ext->priv, mm);
	}
	if (!is_init && users > 0)
		want_count += 1;
	if (users < 0 || count < 0) {
		mmk_warn("check: mm%lu has a negative counter (users %ld, count %ld)", mm->mmk_id, users, count);
		c->bad++;
	}
	if (c->ext ? users != want_users : users < want_users) {
		mmk_warn("check: mm%lu mm_users is %ld, its holders add up to %ld", mm->mmk_id, users, want_users);
		c->bad++;
	}
	if (c->ext ? count != want_count : count < want_count) {
		mmk_warn("check: mm%lu mm_count is %ld, its holders add up to %ld", mm->mmk_id, count, want_count);
		c->bad++;
	}
	if (!is_init && count < 1) {
		mmk_warn("check: mm%lu is alive with mm_count %ld", mm->mmk_id, count);
		c->bad++;
	}
	/* mmput_async queued the teardown: the next context switch runs it, and
	 * until then the mm keeps its VMAs and its place on mmlist (the kernel's
	 * work item is as late) */
	bool torn_down = !is_init && users == 0 && list_empty(&mm->mmk_async);

	if (torn_down && (mm->mmap || mm->map_count)) {
		mmk_warn("check: mm%lu has no users but still %d VMAs", mm->mmk_id, mm->map_count);
		c->bad++;
	}
	if (torn_down && !list_empty(&mm->mmlist)) {
		mmk_warn("check: mm%lu has no users but is still on mmlist", mm->mmk_id);
		c->bad++;
	}
	if (!is_init && users > 0 && sysctl_mmlist_policy == MMLIST_SEED && list_empty(&mm->mmlist)) {
		mmk_warn("check: mm%lu has users but is not on mmlist (seed policy)", mm->mmk_id);
		c->bad++;
	}
	if (users > 0 && validate_mm(mm) != 0) {
		mmk_warn("check: mm%lu fails validate_mm", mm->mmk_id);
		c->bad++;
	}
	c->nr_vmas += mm->map_count;
	if (!is_init)
		c->nr_mms++;
}

static int check_tasks(void)
{
	int bad = 0;
	struct list_head *pos;
	long on_cpus = 0;

	list_for_each(pos, &mmk_tasks) {
		struct task_struct *t = list_entry(pos, struct task_struct, tasks);
		if (t->mm && t->active_mm != t->mm) {
			mmk_warn("check: task %d (%s): mm and active_mm differ", t->pid, t->comm);
			bad++;
		}
		if (t->on_cpu >= 0) {
			struct rq *rq = cpu_rq(t->on_cpu);
			on_cpus++;
			if (!rq || rq->curr != t) {
				mmk_warn("check: task %d (%s) thinks it is on CPU %d", t->pid, t->comm, t->on_cpu);
				bad++;
			}
			if (!t->active_mm) {
				mmk_warn("check: task %d (%s) runs with no active_mm", t->pid, t->comm);
				bad++;
			}
		} else {
			if (t->state == TASK_DEAD) {
				mmk_warn("check: dead task %d (%s) not freed", t->pid, t->comm);
				bad++;
			}
			if (!t->mm && t->active_mm) {
				mmk_warn("check: task %d (%s) off-CPU still borrows an mm", t->pid, t->comm);
				bad++;
			}
		}
		if (t->state == TASK_DEAD && t->mm) {
			mmk_warn("check: dead task %d (%s) still owns an mm", t->pid, t->comm);
			bad++;
		}
	}
	for (int cpu = 0; cpu < nr_cpu_ids; cpu++) {
		struct rq *rq = cpu_rq(cpu);
		if (!rq->curr || rq->curr->on_cpu != cpu) {
			mmk_warn("check: CPU %d: current task does not agree", cpu);
			bad++;
		}
		if (rq->prev_mm) {
			mmk_warn("check: CPU %d: prev_mm left over", cpu);
			bad++;
		}
	}
	if (on_cpus != nr_cpu_ids) {
		mmk_warn("check: %ld tasks on %d CPUs", on_cpus, nr_cpu_ids);
		bad++;
	}
	return bad;
}

static int check_mmlist(void)
{
	int n = 0, bad = 0;
	struct list_head *pos;
	spin_lock(&mmlist_lock);
	list_for_each(pos, &init_mm.mmlist) {
		struct mm_struct *mm = list_entry(pos, struct mm_struct, mmlist);
		if (list_empty(&mm->mmk_all)) {
			mmk_warn("check: mmlist holds an mm that is not alive");
			bad++;
			break;
		}
		if (++n > 10000000)
			break;
	}
	if (n != mmlist_nr) {
		mmk_warn("check: mmlist_nr is %d, the list holds %d", mmlist_nr, n);
		bad++;
	}
	spin_unlock(&mmlist_lock);
	return bad;
}

static long cache_active(struct kmem_cache *c)
{
	struct slabinfo si;
	if (!c || kmem_cache_info(c, &si) != 0)
		return -1;
	return (long)si.active_objs;
}

int mmk_check_all(const struct mmk_extern_refs *ext)
{
	struct check_ctx c = { .ext = ext };
	struct list_head *pos;
	long ntasks = 0;

	spin_lock(&tasklist_lock);
	check_one_mm(&init_mm, &c);
	spin_lock(&mmk_mm_list_lock);
	list_for_each(pos, &mmk_mm_list) check_one_mm(list_entry(pos, struct mm_struct, mmk_all), &c);
	spin_unlock(&mmk_mm_list_lock);
	c.bad += check_tasks();
	list_for_each(pos, &mmk_tasks) ntasks++;
	spin_unlock(&tasklist_lock);
	c.bad += check_mmlist();

	/* slab accounting: every live object is reachable, nothing else is live */
	if (cache_active(mm_cachep) != c.nr_mms) {
		mmk_warn("check: mm_cachep has %ld live objects, %ld mms are alive",
			 cache_active(mm_cachep), c.nr_mms);
		c.bad++;
	}
	if (cache_active(task_struct_cachep) != ntasks) {
		mmk_warn("check: task_struct_cachep has %ld live objects, %ld tasks exist",
			 cache_active(task_struct_cachep), ntasks);
		c.bad++;
	}
	if (cache_active(vm_area_cachep) != c.nr_vmas) {
		mmk_warn("check: vm_area_cachep has %ld live objects, the mms hold %ld VMAs",
			 cache_active(vm_area_cachep), c.nr_vmas);
		c.bad++;
	}
	if (cache_active(pgd_cachep) != c.nr_mms) {
		mmk_warn("check: pgd_cache has %ld live objects for %ld mms", cache_active(pgd_cachep), c.nr_mms);
		c.bad++;
	}
	return c.bad;
}
