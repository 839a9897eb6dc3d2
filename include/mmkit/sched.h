/* SPDX-License-Identifier: MIT */
/*
 * mmkit/sched.h - tasks, CPUs and the lazy-TLB context switch
 * (include/linux/sched.h, kernel/fork.c, kernel/exit.c, fs/exec.c,
 * kernel/sched/core.c, kernel/kthread.c).
 *
 * A task's `mm` is the address space it owns (NULL for a kernel thread);
 * its `active_mm` is the address space loaded while it runs. A kernel
 * thread borrows the previous task's active_mm (lazy TLB) and holds a
 * mm_count reference on it, never a mm_users one.
 *
 * The kernel acts on `current`; mmkit's calls name the task. A task that
 * is not current on a CPU acts as if it ran on an otherwise idle CPU.
 */
#ifndef MMKIT_SCHED_H
#define MMKIT_SCHED_H

#include <mmkit/mm_types.h>

#define TASK_COMM_LEN 16
#define MMK_MAX_CPUS 64

/* task->flags */
#define PF_EXITING 0x00000004u
#define PF_KTHREAD 0x00200000u
#define PF_IDLE 0x00000002u

/* clone flags (include/uapi/linux/sched.h) */
#ifndef CLONE_VM
#define CLONE_VM 0x00000100
#endif
#ifndef CLONE_FS
#define CLONE_FS 0x00000200
#endif
#ifndef CLONE_FILES
#define CLONE_FILES 0x00000400
#endif
#ifndef CLONE_SIGHAND
#define CLONE_SIGHAND 0x00000800
#endif
#ifndef CLONE_VFORK
#define CLONE_VFORK 0x00004000
#endif
#ifndef CLONE_THREAD
#define CLONE_THREAD 0x00010000
#endif

enum task_state {
	TASK_RUNNING = 0,   /* runnable (may or may not be current on a CPU) */
	TASK_VFORK = 1,     /* a vfork parent waiting for its child's mm_release */
	TASK_DEAD = 2,      /* exited; freed when no CPU holds it */
};

struct vfork_done {        /* struct completion, for the vfork parent */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
};

struct task_struct {
	int pid;
	int tgid;                     /* thread group: the leader's pid */
	char comm[TASK_COMM_LEN];
	unsigned int flags;           /* PF_* */
	enum task_state state;
	struct mm_struct *mm;         /* owned address space, NULL for kernel threads */
	struct mm_struct *active_mm;  /* loaded address space */
	int on_cpu;                   /* CPU it is current on, or -1 */
	struct task_struct *real_parent;
	struct vfork_done *vfork_done; /* set in a vfork child: points at its parent's vfork_wait */
	struct vfork_done vfork_wait;  /* where this task waits after vfork (the kernel keeps it on the parent's stack) */
	struct list_head tasks;       /* all tasks */
	void *mmk_priv;               /* for the library user */
};

/* a CPU's runqueue, reduced to what the mm lifecycle needs */
struct rq {
	int cpu;
	struct task_struct *curr;
	struct task_struct *idle;     /* swapper/N: PF_KTHREAD|PF_IDLE, active_mm starts as init_mm */
	struct mm_struct *prev_mm;    /* dropped by finish_task_switch */
	unsigned long nr_switches;
	spinlock_t lock;
};

extern int nr_cpu_ids;
extern struct list_head mmk_tasks; /* every task, alive or dead-but-current */
extern spinlock_t tasklist_lock;
struct rq *cpu_rq(int cpu);

/*
 * mmk_boot - create the slab caches, init_mm and @nr_cpus idle tasks
 * (1..MMK_MAX_CPUS). mmk_shutdown - switch every CPU to its idle task, free
 * every task and the caches; returns the number of objects still live
 * (0 = nothing leaked), reporting each.
 */
int mmk_boot(int nr_cpus);
long mmk_shutdown(void);

/* tasks (kernel/fork.c) */
struct task_struct *mmk_spawn(const char *comm);  /* a new process with a new, empty mm */
struct task_struct *kernel_clone(struct task_struct *parent, unsigned long clone_flags,
				 const char *comm); /* ERR_PTR(-errno) on failure */
struct task_struct *kthread_create(const char *comm);
int copy_mm(unsigned long clone_flags, struct task_struct *tsk, struct task_struct *parent);
struct mm_struct *dup_mm(struct task_struct *tsk, struct mm_struct *oldmm);
struct mm_struct *get_task_mm(struct task_struct *task); /* mmget, or NULL for kthreads */
void mm_release(struct task_struct *tsk, struct mm_struct *mm); /* completes vfork_done */
/* block until a vfork child released its parent's mm (threads calling the library) */
void wait_for_vfork_done(struct task_struct *parent);

/* exit (kernel/exit.c) and exec (fs/exec.c) */
void exit_mm(struct task_struct *tsk);
/* 0; -EINVAL for an idle task or one that died but is still current on a
 * CPU; -EBUSY for a vfork parent asleep. A task that is not current on a
 * CPU is freed at once: the caller must not use the pointer afterwards. */
int do_exit(struct task_struct *tsk);
int exec_mmap(struct task_struct *tsk, struct mm_struct *mm);
/* the end of an exec: de_thread (the other threads exit), then exec_mmap(@mm) */
int mmk_exec_mm(struct task_struct *tsk, struct mm_struct *mm);
/* exec with a fresh empty address space (mm_alloc + arch_pick_mmap_layout) */
int mmk_exec(struct task_struct *tsk);

/* the scheduler (kernel/sched/core.c): make @next current on @cpu.
 * -EBUSY if @next is current on another CPU, -EINVAL if it is dead or
 * waiting in vfork. */
int mmk_schedule(int cpu, struct task_struct *next);
void context_switch(struct rq *rq, struct task_struct *prev, struct task_struct *next);

/* kernel threads (kernel/kthread.c) */
void kthread_use_mm(struct task_struct *tsk, struct mm_struct *mm);
void kthread_unuse_mm(struct task_struct *tsk, struct mm_struct *mm);

void put_task_struct(struct task_struct *tsk);

#endif /* MMKIT_SCHED_H */
