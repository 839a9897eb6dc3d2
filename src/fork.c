/* SPDX-License-Identifier: MIT */
/*
 * src/fork.c - the memory descriptor's life (kernel/fork.c).
 *
 *   mm_alloc()  a descriptor from mm_cachep, mm_users = mm_count = 1
 *   mmget()     +1 user of the address space     mmput()   -1; at 0 __mmput()
 *   mmgrab()    +1 reference to the struct       mmdrop()  -1; at 0 __mmdrop()
 *
 * Invariants (checked by mmk_check_all in debug.c):
 *   - mm_count >= 1 while mm_users > 0: all users together hold exactly one
 *     mm_count reference, given up by __mmput() through mmdrop();
 *   - once mm_users reached 0 it never rises again (mmget_not_zero refuses,
 *     mmget reports misuse): the address space is gone;
 *   - a descriptor is on init_mm.mmlist only while it has users, and
 *     mmlist_nr is the list's length (init_mm not counted);
 *   - every live descriptor is on mmk_mm_list, for the checker.
 *
 * Misuse (a put below zero, a get or grab after the end) is reported with
 * mmk_warn() and refused, never turned into silent corruption.
 */
#include "internal.h"
#include <stdarg.h>
#include <sys/resource.h>

struct kmem_cache *mm_cachep;
struct kmem_cache *vm_area_cachep;
struct kmem_cache *task_struct_cachep;
struct kmem_cache *anon_vma_cachep;
struct kmem_cache *filp_cachep;
struct kmem_cache *pgd_cachep;

spinlock_t mmlist_lock = __SPIN_LOCK_UNLOCKED;
int mmlist_nr;
int sysctl_mmlist_policy = MMLIST_SEED;

spinlock_t mmk_mm_list_lock = __SPIN_LOCK_UNLOCKED;
struct list_head mmk_mm_list = LIST_HEAD_INIT(mmk_mm_list);
static MMK_ATOMIC(unsigned long) next_mm_id = 1;
static MMK_ATOMIC(unsigned long) next_ctx_id = 1;

void proc_caches_init(void)
{
	mm_cachep = kmem_cache_create("mm_struct", sizeof(struct mm_struct), 0,
				      SLAB_HWCACHE_ALIGN | SLAB_PANIC, NULL);
	vm_area_cachep = kmem_cache_create("vm_area_struct", sizeof(struct vm_area_struct), 0,
					   SLAB_PANIC, NULL);
	task_struct_cachep = kmem_cache_create("task_struct", sizeof(struct task_struct), 0,
					       SLAB_HWCACHE_ALIGN | SLAB_PANIC, NULL);
	anon_vma_cachep = kmem_cache_create("anon_vma", sizeof(struct anon_vma), 0, SLAB_PANIC, NULL);
	filp_cachep = kmem_cache_create("filp", sizeof(struct file), 0, SLAB_HWCACHE_ALIGN | SLAB_PANIC, NULL);
	pgd_cachep = kmem_cache_create("pgd_cache", PAGE_SIZE, PAGE_SIZE, SLAB_PANIC, NULL);
	next_mm_id = 1;
}

long proc_caches_destroy(void)
{
	struct kmem_cache **caches[] = { &pgd_cachep, &filp_cachep, &anon_vma_cachep,
					 &task_struct_cachep, &vm_area_cachep, &mm_cachep };
	long leaked = 0;
	for (size_t i = 0; i < sizeof(caches) / sizeof(caches[0]); i++) {
		if (*caches[i])
			leaked += kmem_cache_destroy(*caches[i]);
		*caches[i] = NULL;
	}
	return leaked;
}

int mm_users(const struct mm_struct *mm) { return atomic_read(&mm->mm_users); }
int mm_count(const struct mm_struct *mm) { return atomic_read(&mm->mm_count); }

/* ---- mmlist ------------------------------------------------------------ */

void mmlist_add_after(struct mm_struct *mm, struct mm_struct *after)
{
	spin_lock(&mmlist_lock);
	if (list_empty(&mm->mmlist)) {
		list_add(&mm->mmlist, &after->mmlist);
		mmlist_nr++;
	}
	spin_unlock(&mmlist_lock);
}

/* modern rule at fork: the child follows its parent only if the parent is listed */
static void mmlist_add_after_if_listed(struct mm_struct *mm, struct mm_struct *after)
{
	spin_lock(&mmlist_lock);
	if (list_empty(&mm->mmlist) && !list_empty(&after->mmlist)) {
		list_add(&mm->mmlist, &after->mmlist);
		mmlist_nr++;
	}
	spin_unlock(&mmlist_lock);
}

static void mmlist_del(struct mm_struct *mm)
{
	/* the kernel peeks without the lock first; a node's links change when
	 * its neighbours come and go, so mmkit always takes the lock */
	spin_lock(&mmlist_lock);
	if (!list_empty(&mm->mmlist)) {
		list_del_init(&mm->mmlist);
		mmlist_nr--;
	}
	spin_unlock(&mmlist_lock);
}

/* ---- allocation -------------------------------------------------------- */

static void mm_init_rlimits(struct mm_struct *mm)
{
	/* this machine's defaults: ulimit -v/-d unlimited, -s 8 MiB, -l 8 MiB */
	mm->rlim[MMK_RLIMIT_AS] = MMK_RLIM_INFINITY;
	mm->rlim[MMK_RLIMIT_DATA] = MMK_RLIM_INFINITY;
	mm->rlim[MMK_RLIMIT_STACK] = 8UL << 20;
	mm->rlim[MMK_RLIMIT_MEMLOCK] = 8UL << 20;
}

static void init_new_context(struct mm_struct *mm)
{
	mm->context.ctx_id = atomic_fetch_add(&next_ctx_id, 1);
	mm->context.ldt = NULL;
	atomic_long_set(&mm->context.tlb_gen, 0);
}

/* destroy_context: whatever arch state survived exit_mmap */
static void destroy_context(struct mm_struct *mm)
{
	kfree(mm->context.ldt);
	mm->context.ldt = NULL;
}

/*
 * mm_init - a blank address space in @mm (whose memory may hold a copy of
 * the parent's descriptor, see dup_mm). Only the address-space fields and
 * the counters are reset; limits, layout and bounds stay as copied.
 */
static struct mm_struct *mm_init(struct mm_struct *mm, struct task_struct *p)
{
	mm->mmap = NULL;
	mm->mm_rb = RB_ROOT;
	mm->mmap_cache = NULL;
	mm->highest_vm_end = 0;
	atomic_set(&mm->mm_users, 1);
	atomic_set(&mm->mm_count, 1);
	init_rwsem(&mm->mmap_sem);
	spin_lock_init(&mm->page_table_lock);
	INIT_LIST_HEAD(&mm->mmlist);
	INIT_LIST_HEAD(&mm->mmk_all);
	INIT_LIST_HEAD(&mm->mmk_async);
	mm->map_count = 0;
	mm->locked_vm = 0;
	mm->pinned_vm = 0;
	mm->rss = 0;
	for (int i = 0; i < NR_MM_COUNTERS; i++)
		atomic_long_set(&mm->rss_stat[i], 0);
	atomic_long_set(&mm->pgtables_bytes, 0);
	mm->cpu_vm_mask = 0;
	mm->swap_address = 0;
	mm->owner = p;
	mm->exe_file = NULL;
	mm->mmk_priv = NULL;
	mm->pgd = NULL;

	if (mm_alloc_pgd(mm))
		goto fail_nopgd;
	init_new_context(mm);

	mm->mmk_id = atomic_fetch_add(&next_mm_id, 1);
	spin_lock(&mmk_mm_list_lock);
	list_add_tail(&mm->mmk_all, &mmk_mm_list);
	spin_unlock(&mmk_mm_list_lock);
	return mm;

fail_nopgd:
	destroy_rwsem(&mm->mmap_sem);
	spin_lock_destroy(&mm->page_table_lock);
	kmem_cache_free(mm_cachep, mm);
	return NULL;
}

/* mm_alloc - a new, empty memory descriptor; both counters 1 */
struct mm_struct *mm_alloc(void)
{
	struct mm_struct *mm = kmem_cache_alloc(mm_cachep, GFP_KERNEL);
	if (!mm)
		return NULL;
	memset(mm, 0, sizeof(*mm));
	mm->flags = 1UL << MMF_DUMPABLE;
	mm->dumpable = 1;
	mm_init_rlimits(mm);
	mm->task_size = TASK_SIZE_47;
	if (!mm_init(mm, NULL))
		return NULL;
	/* the kernel leaves the layout to exec (setup_new_exec); a library user
	 * gets the default x86-64 layout at once, exec picks it again */
	arch_pick_mmap_layout(mm);
	mmk_trace("mm_alloc", mm);
	/* the seeds' rule: every address space is on swapoff's list from birth
	 * (2.4's exec_mmap put a fresh mm right after init_mm) */
	if (sysctl_mmlist_policy == MMLIST_SEED)
		mmlist_add_after(mm, &init_mm);
	return mm;
}

/* free_mm - back to the slab cache */
static void free_mm(struct mm_struct *mm)
{
	mmk_trace("free_mm", mm);
	if (mmk_hooks.mm_freed)
		mmk_hooks.mm_freed(mmk_hooks.priv, mm);
	spin_lock(&mmk_mm_list_lock);
	list_del_init(&mm->mmk_all);
	spin_unlock(&mmk_mm_list_lock);
	destroy_rwsem(&mm->mmap_sem);
	spin_lock_destroy(&mm->page_table_lock);
	kmem_cache_free(mm_cachep, mm);
}

static const char *const resident_page_types[NR_MM_COUNTERS] = {
	"MM_FILEPAGES", "MM_ANONPAGES", "MM_SWAPENTS", "MM_SHMEMPAGES",
};

/* check_mm - what must be zero when the struct goes */
static void check_mm(struct mm_struct *mm)
{
	for (int i = 0; i < NR_MM_COUNTERS; i++) {
		long x = atomic_long_read(&mm->rss_stat[i]);
		if (x)
			mmk_warn("BUG: Bad rss-counter state mm:%p type:%s val:%ld",
				 (void *)mm, resident_page_types[i], x);
	}
	if (atomic_long_read(&mm->pgtables_bytes))
		mmk_warn("BUG: non-zero pgtables_bytes on freeing mm: %ld",
			 atomic_long_read(&mm->pgtables_bytes));
	if (mm->map_count || mm->mmap)
		mmk_warn("BUG: mm %lu freed with %d VMAs", mm->mmk_id, mm->map_count);
}

/* __mmdrop - the last reference to the struct is gone */
static void __mmdrop(struct mm_struct *mm)
{
	mmk_trace("__mmdrop", mm);
	if (mm == &init_mm) {
		mmk_warn("BUG: __mmdrop of init_mm");
		atomic_set(&mm->mm_count, 1);
		return;
	}
	mm_free_pgd(mm);
	destroy_context(mm);
	check_mm(mm);
	free_mm(mm);
}

/* the hot reference counts test the trace hook in line: no call when unset */
#define mmk_trace_fast(func, mm) \
	do { if (unlikely(mmk_hooks.trace != NULL)) mmk_trace(func, mm); } while (0)

void mmgrab(struct mm_struct *mm)
{
	mmk_trace_fast("mmgrab", mm);
	/* a plain increment, as the kernel's; a grab needs a reference already,
	 * so an old value of 0 means the struct was being freed: undo, report */
	if (atomic_fetch_add_explicit(&mm->mm_count.counter, 1, memory_order_relaxed) <= 0) {
		atomic_fetch_sub(&mm->mm_count.counter, 1);
		mmk_warn("mmgrab: mm %p has mm_count 0 (freed)", (void *)mm);
	}
}

void mmdrop(struct mm_struct *mm)
{
	int old;
	mmk_trace_fast("mmdrop", mm);
	old = atomic_fetch_sub(&mm->mm_count.counter, 1);
	if (old == 1) {
		__mmdrop(mm);
	} else if (old <= 0) {
		atomic_fetch_add(&mm->mm_count.counter, 1);
		mmk_warn("mmdrop: mm_count of mm %p would go below zero", (void *)mm);
	}
}

/* CONFIG_MMU_LAZY_TLB_REFCOUNT=y (x86): lazy users are real references */
void mmgrab_lazy_tlb(struct mm_struct *mm) { mmgrab(mm); }
void mmdrop_lazy_tlb(struct mm_struct *mm) { mmdrop(mm); }

/*
 * mmget and mmput are the hot pair (every access_process_vm, every
 * get_task_mm): the fast path is the test of the trace hook and one locked
 * instruction; tracing and misuse reports are out of line and reached by
 * tail calls, so that the fast path saves no register.
 */
/* the out-of-line halves of mmget (the fast path is inline in mmkit/mm.h) */
void __mmget_misuse(struct mm_struct *mm)
{
	/* only a holder of a user reference may take another one: an old value
	 * of 0 meant the address space is already being torn down: undo */
	atomic_fetch_sub(&mm->mm_users.counter, 1);
	mmk_warn("mmget: mm %p has no users left (address space torn down)", (void *)mm);
}

void __mmget_traced(struct mm_struct *mm)
{
	mmk_trace("mmget", mm);
	if (atomic_fetch_add_explicit(&mm->mm_users.counter, 1, memory_order_relaxed) <= 0)
		__mmget_misuse(mm);
}

bool mmget_not_zero(struct mm_struct *mm)
{
	mmk_trace("mmget_not_zero", mm);
	return atomic_inc_not_zero(&mm->mm_users);
}

/* arch_exit_mmap: x86 unmaps the LDT here */
static void arch_exit_mmap(struct mm_struct *mm)
{
	kfree(mm->context.ldt);
	mm->context.ldt = NULL;
}

static void set_mm_exe_file(struct mm_struct *mm, struct file *f)
{
	struct file *old = mm->exe_file;
	if (f)
		get_file(f);
	mm->exe_file = f;
	if (old)
		fput(old);
}

/* __mmput - the last user is gone: tear the address space down */
static void __mmput(struct mm_struct *mm)
{
	mmk_trace("__mmput", mm);
	/* uprobe_clear_state, exit_aio, ksm_exit, khugepaged_exit: not modelled */
	arch_exit_mmap(mm);
	exit_mmap(mm);
	set_mm_exe_file(mm, NULL);
	mmlist_del(mm);
	mmdrop(mm); /* the users' one mm_count reference */
}

static void __attribute__((noinline, cold)) mmput_misuse(struct mm_struct *mm)
{
	mmk_warn("mmput: mm_users of mm %p would go below zero", (void *)mm);
}

/* the new value of mm_users, or -1 (reported, undone) for a put below zero */
static int mmput_dec(struct mm_struct *mm)
{
	int old = atomic_fetch_sub(&mm->mm_users.counter, 1);
	if (old <= 0) {
		atomic_fetch_add(&mm->mm_users.counter, 1);
		mmput_misuse(mm);
		return -1;
	}
	return old - 1;
}

/* the out-of-line halves of mmput: @old is what mm_users held before the
 * decrement; 1 means this was the last user, 0 or less a put too many */
void __mmput_last(struct mm_struct *mm, int old)
{
	if (old == 1) {
		__mmput(mm);
		return;
	}
	atomic_fetch_add(&mm->mm_users.counter, 1);
	mmput_misuse(mm);
}

void __mmput_traced(struct mm_struct *mm)
{
	int old;
	mmk_trace("mmput", mm);
	old = atomic_fetch_sub(&mm->mm_users.counter, 1);
	if (old <= 1)
		__mmput_last(mm, old);
}

/*
 * mmput_async - for callers that must not sleep in __mmput: the kernel
 * queues the teardown on a workqueue; mmkit runs queued teardowns at the
 * next context switch (mmput_async_flush, called from the scheduler).
 */
static spinlock_t async_lock = __SPIN_LOCK_UNLOCKED;
static struct list_head async_list = LIST_HEAD_INIT(async_list);

void mmput_async(struct mm_struct *mm)
{
	mmk_trace("mmput_async", mm);
	if (mmput_dec(mm) != 0)
		return;
	spin_lock(&async_lock);
	list_add_tail(&mm->mmk_async, &async_list);
	spin_unlock(&async_lock);
}

void mmput_async_flush(void)
{
	for (;;) {
		struct mm_struct *mm = NULL;
		spin_lock(&async_lock);
		if (!list_empty(&async_list)) {
			mm = list_entry(async_list.next, struct mm_struct, mmk_async);
			list_del_init(&mm->mmk_async);
		}
		spin_unlock(&async_lock);
		if (!mm)
			return;
		__mmput(mm);
	}
}

/* ---- fork -------------------------------------------------------------- */

/*
 * dup_mm - a copy of @oldmm's address space for a child (no CLONE_VM).
 * The descriptor is copied whole, then mm_init() makes its address space
 * blank and dup_mmap() copies the VMAs.
 */
struct mm_struct *dup_mm(struct task_struct *tsk, struct mm_struct *oldmm)
{
	struct mm_struct *mm = kmem_cache_alloc(mm_cachep, GFP_KERNEL);
	int err;

	if (!mm)
		return NULL;
	unsigned long def_flags;

	/* the parent's threads may change its limits and flags meanwhile
	 * (mlockall under mmap_sem): copy under the lock */
	down_read(&oldmm->mmap_sem);
	memcpy(mm, oldmm, sizeof(*mm));
	/* mlockall(MCL_FUTURE) is not inherited: only VM_NOHUGEPAGE survives */
	def_flags = oldmm->def_flags & VM_NOHUGEPAGE;
	up_read(&oldmm->mmap_sem);
	if (!mm_init(mm, tsk))
		return NULL;
	mmk_trace("dup_mm", mm);
	mm->def_flags = def_flags;
	if (oldmm->exe_file) {
		get_file(oldmm->exe_file);
		mm->exe_file = oldmm->exe_file;
	}

	if (sysctl_mmlist_policy == MMLIST_SEED)
		mmlist_add_after(mm, oldmm); /* 2.4's copy_mm: right after the parent */
	else
		mmlist_add_after_if_listed(mm, oldmm);

	err = dup_mmap(mm, oldmm);
	if (err)
		goto free_pt;

	mm->hiwater_rss = (unsigned long)(atomic_long_read(&mm->rss_stat[MM_FILEPAGES]) +
					  atomic_long_read(&mm->rss_stat[MM_ANONPAGES]) +
					  atomic_long_read(&mm->rss_stat[MM_SHMEMPAGES]));
	mm->hiwater_vm = mm->total_vm;
	return mm;

free_pt:
	/* the half-built copy is torn down like any other */
	mm->owner = NULL;
	mmput(mm);
	return NULL;
}

/* ---- tasks -------------------------------------------------------------- */
struct list_head mmk_tasks = LIST_HEAD_INIT(mmk_tasks);
spinlock_t tasklist_lock = __SPIN_LOCK_UNLOCKED;
static MMK_ATOMIC(int) next_pid = 1;

struct task_struct *mmk_alloc_task(const char *comm, int pid)
{
	struct task_struct *tsk = kmem_cache_zalloc(task_struct_cachep, GFP_KERNEL);
	if (!tsk)
		return NULL;
	tsk->pid = pid >= 0 ? pid : atomic_fetch_add(&next_pid, 1);
	tsk->tgid = tsk->pid;
	snprintf(tsk->comm, sizeof(tsk->comm), "%s", comm ? comm : "");
	tsk->on_cpu = -1;
	tsk->state = TASK_RUNNING;
	pthread_mutex_init(&tsk->vfork_wait.lock, NULL);
	pthread_cond_init(&tsk->vfork_wait.cond, NULL);
	INIT_LIST_HEAD(&tsk->tasks);
	return tsk;
}

/* the task becomes visible to everyone once it is fully set up, as
 * copy_process attaches a child to the task list last */
void mmk_link_task(struct task_struct *tsk)
{
	spin_lock(&tasklist_lock);
	list_add_tail(&tsk->tasks, &mmk_tasks);
	spin_unlock(&tasklist_lock);
}

void put_task_struct(struct task_struct *tsk)
{
	if (mmk_hooks.task_freed)
		mmk_hooks.task_freed(mmk_hooks.priv, tsk);
	spin_lock(&tasklist_lock);
	if (!list_empty(&tsk->tasks))
		list_del_init(&tsk->tasks);
	spin_unlock(&tasklist_lock);
	pthread_mutex_destroy(&tsk->vfork_wait.lock);
	pthread_cond_destroy(&tsk->vfork_wait.cond);
	kmem_cache_free(task_struct_cachep, tsk);
}

void mmk_reset_pids(void) { next_pid = 1; }

struct task_struct *mmk_spawn(const char *comm)
{
	struct task_struct *tsk = mmk_alloc_task(comm, -1);
	struct mm_struct *mm;

	if (!tsk)
		return ERR_PTR(-ENOMEM);
	mm = mm_alloc();
	if (!mm) {
		put_task_struct(tsk);
		return ERR_PTR(-ENOMEM);
	}
	arch_pick_mmap_layout(mm);
	mm->owner = tsk;
	tsk->mm = tsk->active_mm = mm;
	mmk_link_task(tsk);
	return tsk;
}

struct task_struct *kthread_create(const char *comm)
{
	struct task_struct *tsk = mmk_alloc_task(comm, -1);
	if (!tsk)
		return ERR_PTR(-ENOMEM);
	tsk->flags |= PF_KTHREAD;
	mmk_link_task(tsk);
	return tsk;
}

/*
 * copy_mm - the child's address space: none for a kernel thread's child,
 * the parent's own with CLONE_VM (one more user), else a copy.
 */
int copy_mm(unsigned long clone_flags, struct task_struct *tsk, struct task_struct *parent)
{
	struct mm_struct *mm, *oldmm;

	tsk->mm = NULL;
	tsk->active_mm = NULL;
	oldmm = parent->mm;
	if (!oldmm || (parent->flags & PF_KTHREAD))
		return 0;
	if (clone_flags & CLONE_VM) {
		mmget(oldmm);
		mm = oldmm;
	} else {
		mm = dup_mm(tsk, oldmm);
		if (!mm)
			return -ENOMEM;
	}
	tsk->mm = mm;
	tsk->active_mm = mm;
	return 0;
}

struct task_struct *kernel_clone(struct task_struct *parent, unsigned long clone_flags,
				 const char *comm)
{
	struct task_struct *p;
	int err;

	if (!parent || parent->state != TASK_RUNNING)
		return ERR_PTR(-EINVAL);
	/* copy_process: threads share signal handlers, which need a shared mm */
	if ((clone_flags & CLONE_THREAD) && !(clone_flags & CLONE_SIGHAND))
		return ERR_PTR(-EINVAL);
	if ((clone_flags & CLONE_SIGHAND) && !(clone_flags & CLONE_VM))
		return ERR_PTR(-EINVAL);

	p = mmk_alloc_task(comm ? comm : parent->comm, -1);
	if (!p)
		return ERR_PTR(-ENOMEM);
	p->flags = parent->flags & PF_KTHREAD;
	p->real_parent = parent;
	if (clone_flags & CLONE_THREAD)
		p->tgid = parent->tgid;
	err = copy_mm(clone_flags, p, parent);
	if (err) {
		put_task_struct(p);
		return ERR_PTR(err);
	}
	if (clone_flags & CLONE_VFORK) {
		/* the parent sleeps until the child lets go of the mm */
		pthread_mutex_lock(&parent->vfork_wait.lock);
		parent->vfork_wait.done = false;
		pthread_mutex_unlock(&parent->vfork_wait.lock);
		p->vfork_done = &parent->vfork_wait;
		spin_lock(&tasklist_lock);
		parent->state = TASK_VFORK;
		spin_unlock(&tasklist_lock);
		mmk_link_task(p);
		if (parent->on_cpu >= 0)
			mmk_schedule(parent->on_cpu, cpu_rq(parent->on_cpu)->idle);
	} else {
		mmk_link_task(p);
	}
	return p;
}

struct mm_struct *get_task_mm(struct task_struct *task)
{
	struct mm_struct *mm;

	/* task_lock: exit_mm clears ->mm under it before it puts its user
	 * reference, so an mm seen here still has that reference behind it */
	spin_lock(&tasklist_lock);
	mm = task->mm;
	if (mm) {
		if (task->flags & PF_KTHREAD)
			mm = NULL; /* a borrowed mm is not the task's to give */
		else
			mmget(mm);
	}
	spin_unlock(&tasklist_lock);
	return mm;
}

/* mm_release - the task lets go of @mm (exit or exec): wake a vfork parent */
void mm_release(struct task_struct *tsk, struct mm_struct *mm)
{
	struct vfork_done *vd = tsk->vfork_done;
	if (!vd)
		return;
	mmk_trace("mm_release", mm);
	tsk->vfork_done = NULL;
	pthread_mutex_lock(&vd->lock);
	vd->done = true;
	spin_lock(&tasklist_lock);
	if (tsk->real_parent && tsk->real_parent->state == TASK_VFORK)
		tsk->real_parent->state = TASK_RUNNING;
	spin_unlock(&tasklist_lock);
	pthread_cond_broadcast(&vd->cond);
	pthread_mutex_unlock(&vd->lock);
}

/* a vfork parent killed while it waits (wait_for_vfork_done's killable
 * path): its children forget where it waits, and it runs again */
void mmk_vfork_abort(struct task_struct *parent)
{
	struct list_head *pos;
	spin_lock(&tasklist_lock);
	list_for_each(pos, &mmk_tasks) {
		struct task_struct *t = list_entry(pos, struct task_struct, tasks);
		if (t->vfork_done == &parent->vfork_wait)
			t->vfork_done = NULL;
	}
	if (parent->state == TASK_VFORK)
		parent->state = TASK_RUNNING;
	spin_unlock(&tasklist_lock);
}

void wait_for_vfork_done(struct task_struct *parent)
{
	pthread_mutex_lock(&parent->vfork_wait.lock);
	while (!parent->vfork_wait.done)
		pthread_cond_wait(&parent->vfork_wait.cond, &parent->vfork_wait.lock);
	pthread_mutex_unlock(&parent->vfork_wait.lock);
}
