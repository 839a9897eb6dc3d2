/* SPDX-License-Identifier: MIT */
/*
 * src/exit.c - a task lets go of its address space (kernel/exit.c).
 *
 * exit_mm() turns the exiting task into a lazy user of its mm before it
 * drops its user reference: the CPU it runs on still has the page tables
 * loaded, so the task keeps the struct (mm_count, via mmgrab_lazy_tlb) in
 * active_mm while giving up the address space (mm_users, via mmput). The
 * scheduler drops that last borrowed reference when the CPU switches away.
 */
#include "internal.h"

/* mm_update_next_owner: the mm's owner is leaving; hand it to a task that
 * still uses the mm, or to nobody */
static void mm_update_next_owner(struct mm_struct *mm, struct task_struct *leaving)
{
	struct list_head *pos;
	spin_lock(&tasklist_lock);
	if (mm->owner != leaving) {
		spin_unlock(&tasklist_lock);
		return;
	}
	mm->owner = NULL;
	list_for_each(pos, &mmk_tasks) {
		struct task_struct *t = list_entry(pos, struct task_struct, tasks);
		if (t != leaving && t->mm == mm && !(t->flags & PF_KTHREAD) && t->state != TASK_DEAD) {
			mm->owner = t;
			break;
		}
	}
	spin_unlock(&tasklist_lock);
}

void exit_mm(struct task_struct *tsk)
{
	struct mm_struct *mm = tsk->mm;

	mm_release(tsk, mm);
	if (!mm)
		return;
	mmk_trace("exit_mm", mm);
	down_read(&mm->mmap_sem);
	mmgrab_lazy_tlb(mm);
	if (mm != tsk->active_mm)
		mmk_warn("exit_mm: task %d: mm != active_mm", tsk->pid);
	spin_lock(&tasklist_lock); /* task_lock: mm_update_next_owner reads ->mm */
	tsk->mm = NULL;
	spin_unlock(&tasklist_lock);
	up_read(&mm->mmap_sem);
	mm_update_next_owner(mm, tsk);
	mmput(mm);
}

int do_exit(struct task_struct *tsk)
{
	if (tsk->state == TASK_DEAD || (tsk->flags & PF_IDLE))
		return -EINVAL;
	if (tsk->state == TASK_VFORK)
		return -EBUSY; /* asleep in vfork until its child lets go */
	spin_lock(&tasklist_lock);
	tsk->flags |= PF_EXITING;
	spin_unlock(&tasklist_lock);
	if (tsk->flags & PF_KTHREAD && tsk->mm) {
		/* a kernel thread that exits inside kthread_use_mm gives it back */
		kthread_unuse_mm(tsk, tsk->mm);
	}
	exit_mm(tsk);
	spin_lock(&tasklist_lock);
	tsk->state = TASK_DEAD;
	spin_unlock(&tasklist_lock);
	if (tsk->on_cpu < 0) {
		/* not on a CPU: as if it ran on an idle CPU and was switched
		 * out - the borrowed reference goes at once */
		if (tsk->active_mm)
			mmdrop_lazy_tlb(tsk->active_mm);
		tsk->active_mm = NULL;
		put_task_struct(tsk);
	}
	return 0;
}
