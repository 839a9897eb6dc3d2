/* SPDX-License-Identifier: MIT */
/*
 * src/exec.c - exec replaces a task's address space (fs/exec.c).
 *
 * exec_mmap() installs the new mm as both mm and active_mm. The old one
 * loses a user (mmput); a kernel thread that execs had only a borrowed
 * active_mm, which loses its lazy reference instead (mmdrop_lazy_tlb).
 * Before that, de_thread() makes the exec'ing task the only one in its
 * thread group: the other threads exit and give up their users.
 */
#include "internal.h"

int exec_mmap(struct task_struct *tsk, struct mm_struct *mm)
{
	struct mm_struct *old_mm = tsk->mm;
	struct mm_struct *active_mm;

	mmk_trace("exec_mmap", mm);
	/* exec_mm_release: a vfork parent may run again */
	mm_release(tsk, old_mm);
	if (old_mm)
		down_read(&old_mm->mmap_sem);
	spin_lock(&tasklist_lock); /* task_lock */
	active_mm = tsk->active_mm;
	tsk->active_mm = mm;
	tsk->mm = mm;
	tsk->flags &= ~PF_KTHREAD; /* a kernel thread that execs becomes a user process */
	mm->owner = tsk;
	spin_unlock(&tasklist_lock);
	if (tsk->on_cpu >= 0) {
		/* activate_mm: load the new tables on the task's CPU */
		if (active_mm)
			atomic_fetch_and((MMK_ATOMIC(unsigned long) *)&active_mm->cpu_vm_mask,
					 ~(1UL << tsk->on_cpu));
		atomic_fetch_or((MMK_ATOMIC(unsigned long) *)&mm->cpu_vm_mask, 1UL << tsk->on_cpu);
	}
	if (old_mm) {
		up_read(&old_mm->mmap_sem);
		if (active_mm != old_mm)
			mmk_warn("exec_mmap: task %d: active_mm != mm", tsk->pid);
		spin_lock(&tasklist_lock);
		if (old_mm->owner == tsk)
			old_mm->owner = NULL;
		spin_unlock(&tasklist_lock);
		mmput(old_mm);
		return 0;
	}
	if (active_mm)
		mmdrop_lazy_tlb(active_mm);
	return 0;
}

/* de_thread: the other threads of the group die */
static void de_thread(struct task_struct *tsk)
{
	for (;;) {
		struct task_struct *victim = NULL;
		struct list_head *pos;
		spin_lock(&tasklist_lock);
		list_for_each(pos, &mmk_tasks) {
			struct task_struct *t = list_entry(pos, struct task_struct, tasks);
			if (t != tsk && t->tgid == tsk->tgid && t->state == TASK_RUNNING &&
			    !(t->flags & PF_EXITING)) {
				victim = t;
				break;
			}
		}
		spin_unlock(&tasklist_lock);
		if (!victim)
			return;
		do_exit(victim);
	}
}

/* the point of no return of an exec: the new mm, fully built, replaces the old */
int mmk_exec_mm(struct task_struct *tsk, struct mm_struct *mm)
{
	de_thread(tsk);
	return exec_mmap(tsk, mm);
}

int mmk_exec(struct task_struct *tsk)
{
	struct mm_struct *mm, *old = tsk->mm;

	if (tsk->state != TASK_RUNNING || (tsk->flags & PF_IDLE))
		return -EINVAL;
	mm = mm_alloc();
	if (!mm)
		return -ENOMEM;
	if (old) {
		/* the new image keeps the process's limits and inheritable flags
		 * (read under the old mm's lock: mlockall/munlockall write them) */
		down_read(&old->mmap_sem);
		memcpy(mm->rlim, old->rlim, sizeof(mm->rlim));
		mm->cap_ipc_lock = old->cap_ipc_lock;
		mm->def_flags = old->def_flags & VM_NOHUGEPAGE;
		up_read(&old->mmap_sem);
	}
	arch_pick_mmap_layout(mm);
	return mmk_exec_mm(tsk, mm);
}
