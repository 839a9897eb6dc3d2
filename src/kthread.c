/* SPDX-License-Identifier: MIT */
/*
 * src/kthread.c - a kernel thread adopts a user address space
 * (kernel/kthread.c: kthread_use_mm / kthread_unuse_mm).
 *
 * kthread_use_mm() takes its own mm_count reference even when @mm is
 * already the thread's lazily borrowed active_mm: the two references are
 * not the same - the lazy one belongs to the CPU's TLB state and is
 * dropped as the borrow ends here, the new one belongs to tsk->mm.
 * The thread never takes a mm_users reference: the caller must keep the
 * address space alive (it holds a user reference of its own).
 */
#include "internal.h"

void kthread_use_mm(struct task_struct *tsk, struct mm_struct *mm)
{
	struct mm_struct *active_mm;

	if (!(tsk->flags & PF_KTHREAD) || tsk->mm) {
		mmk_warn("kthread_use_mm: task %d is not a kernel thread without an mm", tsk->pid);
		return;
	}
	mmk_trace("kthread_use_mm", mm);
	mmgrab(mm);
	spin_lock(&tasklist_lock); /* task_lock */
	active_mm = tsk->active_mm;
	tsk->active_mm = mm;
	tsk->mm = mm;
	spin_unlock(&tasklist_lock);
	if (tsk->on_cpu >= 0) {
		if (active_mm && active_mm != mm)
			atomic_fetch_and((MMK_ATOMIC(unsigned long) *)&active_mm->cpu_vm_mask,
					 ~(1UL << tsk->on_cpu));
		atomic_fetch_or((MMK_ATOMIC(unsigned long) *)&mm->cpu_vm_mask, 1UL << tsk->on_cpu);
	}
	if (active_mm)
		mmdrop_lazy_tlb(active_mm);
}

void kthread_unuse_mm(struct task_struct *tsk, struct mm_struct *mm)
{
	if (!(tsk->flags & PF_KTHREAD) || tsk->mm != mm) {
		mmk_warn("kthread_unuse_mm: task %d does not use that mm", tsk->pid);
		return;
	}
	mmk_trace("kthread_unuse_mm", mm);
	spin_lock(&tasklist_lock);
	tsk->mm = NULL;
	spin_unlock(&tasklist_lock);
	/* active_mm stays @mm, now as a lazy borrow */
	mmgrab_lazy_tlb(mm);
	mmdrop(mm);
}
