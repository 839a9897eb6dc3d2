/* SPDX-License-Identifier: MIT */
/*
 * src/sched.c - CPUs and the lazy-TLB context switch (kernel/sched/core.c),
 * with CONFIG_MMU_LAZY_TLB_REFCOUNT=y as on x86.
 *
 * A kernel thread has no mm of its own; when a CPU switches to one, it keeps
 * the previous task's address space loaded (lazy TLB) and the kernel thread
 * holds it in active_mm with a mm_count reference - never a mm_users one,
 * because it never touches user memory. Four cases:
 *
 *   prev    next    what happens to the counters
 *   user -> kernel  next borrows prev->active_mm: mmgrab_lazy_tlb
 *   kernel-> kernel next takes over prev's borrowed reference: no change
 *   kernel-> user   the borrowed mm is dropped after the switch
 *                   (rq->prev_mm, mmdrop_lazy_tlb in finish_task_switch)
 *   user -> user    switch_mm only
 *
 * "user" here means "has an mm": a task that has exited has none, so its
 * last borrowed reference leaves through the kernel -> * cases. A dead task
 * is freed when its CPU switches away from it.
 */
#include "internal.h"
#include <mmkit/page.h>

int nr_cpu_ids;
static struct rq runqueues[MMK_MAX_CPUS];
static bool booted;

void mmk_init_mm_reset(void);

struct rq *cpu_rq(int cpu)
{
	if (cpu < 0 || cpu >= nr_cpu_ids)
		return NULL;
	return &runqueues[cpu];
}

/* switch_mm: load @next's page tables on @cpu (x86: CR3 + mm_cpumask) */
static void switch_mm(struct mm_struct *prev, struct mm_struct *next, int cpu)
{
	if (prev == next)
		return;
	mmk_trace("switch_mm", next);
	if (prev)
		atomic_fetch_and((MMK_ATOMIC(unsigned long) *)&prev->cpu_vm_mask, ~(1UL << cpu));
	atomic_fetch_or((MMK_ATOMIC(unsigned long) *)&next->cpu_vm_mask, 1UL << cpu);
}

static void finish_task_switch(struct rq *rq, struct task_struct *prev)
{
	struct mm_struct *mm = rq->prev_mm;

	rq->prev_mm = NULL;
	if (mm) {
		mmk_trace("finish_task_switch", mm);
		mmdrop_lazy_tlb(mm);
	}
	if (prev->state == TASK_DEAD)
		put_task_struct(prev);
	mmput_async_flush(); /* a kworker would run queued __mmput now */
}

void context_switch(struct rq *rq, struct task_struct *prev, struct task_struct *next)
{
	if (!next->mm) {
		/* to a kernel thread: keep prev's address space loaded */
		next->active_mm = prev->active_mm;
		if (prev->mm)
			mmgrab_lazy_tlb(prev->active_mm);     /* user -> kernel */
		else
			prev->active_mm = NULL;               /* kernel -> kernel: hand over */
	} else {
		switch_mm(prev->active_mm, next->mm, rq->cpu);
		if (!prev->mm) {                              /* kernel -> user */
			rq->prev_mm = prev->active_mm;
			prev->active_mm = NULL;
		}
	}
	prev->on_cpu = -1;
	next->on_cpu = rq->cpu;
	rq->curr = next;
	rq->nr_switches++;
	finish_task_switch(rq, prev);
}

int mmk_schedule(int cpu, struct task_struct *next)
{
	struct rq *rq = cpu_rq(cpu);
	int ret = 0;

	if (!rq || !next)
		return -EINVAL;
	spin_lock(&rq->lock);
	if (rq->curr == next)
		goto out;
	if (next->on_cpu >= 0) {
		ret = -EBUSY;
		goto out;
	}
	if (next->state != TASK_RUNNING) {
		ret = -EINVAL;
		goto out;
	}
	context_switch(rq, rq->curr, next);
out:
	spin_unlock(&rq->lock);
	return ret;
}

int mmk_boot(int nr_cpus)
{
	if (booted)
		return -EBUSY;
	if (nr_cpus < 1 || nr_cpus > MMK_MAX_CPUS)
		return -EINVAL;
	mmk_init_mm_reset();
	mmlist_nr = 0;
	mmk_reset_pids();
	proc_caches_init();
	nr_cpu_ids = nr_cpus;
	for (int cpu = 0; cpu < nr_cpus; cpu++) {
		struct rq *rq = &runqueues[cpu];
		char name[32];
		memset(rq, 0, sizeof(*rq));
		spin_lock_init(&rq->lock);
		rq->cpu = cpu;
		snprintf(name, sizeof(name), "swapper/%d", cpu);
		rq->idle = mmk_alloc_task(name, 0);
		if (!rq->idle) {
			nr_cpu_ids = cpu;
			mmk_shutdown();
			return -ENOMEM;
		}
		rq->idle->flags = PF_KTHREAD | PF_IDLE;
		mmk_link_task(rq->idle);
		/* cpu_init(): each CPU's idle task borrows init_mm */
		mmgrab(&init_mm);
		rq->idle->active_mm = &init_mm;
		rq->idle->on_cpu = cpu;
		rq->curr = rq->idle;
		switch_mm(NULL, &init_mm, cpu);
	}
	booted = true;
	return 0;
}

static void report_leaked_mm(struct mm_struct *mm, void *arg)
{
	long *n = arg;
	mmk_warn("mmk_shutdown: mm%lu still alive (mm_users %d, mm_count %d)", mm->mmk_id,
		 atomic_read(&mm->mm_users), atomic_read(&mm->mm_count));
	(*n)++;
}

long mmk_shutdown(void)
{
	long leaked = 0;

	if (!booted && !mm_cachep)
		return 0;
	/* every CPU back to its idle task */
	for (int cpu = 0; cpu < nr_cpu_ids; cpu++)
		mmk_schedule(cpu, runqueues[cpu].idle);
	/* every task still alive exits */
	for (;;) {
		struct task_struct *victim = NULL;
		struct list_head *pos;
		spin_lock(&tasklist_lock);
		list_for_each(pos, &mmk_tasks) {
			struct task_struct *t = list_entry(pos, struct task_struct, tasks);
			if (!(t->flags & PF_IDLE)) {
				victim = t;
				break;
			}
		}
		spin_unlock(&tasklist_lock);
		if (!victim)
			break;
		if (victim->state == TASK_VFORK)
			mmk_vfork_abort(victim);
		if (victim->state == TASK_DEAD)
			put_task_struct(victim); /* cannot happen: dead tasks are freed off-CPU */
		else
			do_exit(victim);
	}
	mmput_async_flush();
	/* the idle tasks give init_mm (or whatever they borrow) back */
	for (int cpu = 0; cpu < nr_cpu_ids; cpu++) {
		struct task_struct *idle = runqueues[cpu].idle;
		if (idle->active_mm)
			mmdrop_lazy_tlb(idle->active_mm);
		idle->active_mm = NULL;
		put_task_struct(idle);
		runqueues[cpu].idle = runqueues[cpu].curr = NULL;
	}
	mmk_for_each_mm(report_leaked_mm, &leaked);
	INIT_LIST_HEAD(&mmk_mm_list); /* the caches below take any leftovers with them */
	leaked += mmk_swap_shutdown(); /* the swap area: every slot must be free */
	leaked += mmk_mem_shutdown();  /* simulated RAM: every frame must be free */
	leaked += proc_caches_destroy();
	nr_cpu_ids = 0;
	booted = false;
	return leaked;
}
