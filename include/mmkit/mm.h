/* SPDX-License-Identifier: MIT */
/*
 * mmkit/mm.h - the memory descriptor's lifecycle and the address-space
 * operations (include/linux/sched/mm.h, include/linux/mm.h).
 *
 * Reference counting, as the seeds tell it:
 *   mm_users  counts users of the address space (threads sharing it, and
 *             pinners such as swapoff's try_to_unuse). mmget()/mmput().
 *             When it drops to 0, __mmput() tears the address space down
 *             (VMAs, page tables) and gives up the users' one mm_count.
 *   mm_count  counts references to the struct itself (lazy-TLB borrowers,
 *             kernel threads in kthread_use_mm, the users as one unit).
 *             mmgrab()/mmdrop(). When it drops to 0, __mmdrop() frees the
 *             page directory and the context, check_mm()s the counters, and
 *             free_mm() returns the descriptor to mm_cachep.
 *
 * All syscall-level calls (sys_*) take the mm explicitly (the kernel uses
 * current->mm), take mmap_sem themselves, and return what the system call
 * returns: an address or 0 on success, a negative errno on failure.
 */
#ifndef MMKIT_MM_H
#define MMKIT_MM_H

#include <sys/mman.h>
#include <mmkit/mm_types.h>
#include <mmkit/debug.h>

/* ---- lifecycle (kernel/fork.c) ---------------------------------------- */
extern struct mm_struct init_mm;
extern spinlock_t mmlist_lock; /* guards every mm's mmlist */
extern int mmlist_nr;          /* mms on init_mm.mmlist, init_mm not counted */

struct mm_struct *mm_alloc(void);               /* users = count = 1; NULL on -ENOMEM */
static inline void mmget(struct mm_struct *mm);
bool mmget_not_zero(struct mm_struct *mm);
static inline void mmput(struct mm_struct *mm);
void mmput_async(struct mm_struct *mm);         /* deferred __mmput; see fork.c */
void mmgrab(struct mm_struct *mm);
void mmdrop(struct mm_struct *mm);
void mmgrab_lazy_tlb(struct mm_struct *mm);     /* CONFIG_MMU_LAZY_TLB_REFCOUNT=y: mmgrab */
void mmdrop_lazy_tlb(struct mm_struct *mm);
int mm_users(const struct mm_struct *mm);       /* atomic_read(&mm->mm_users) */
int mm_count(const struct mm_struct *mm);

/*
 * mmget / mmput are the hot pair (every get_task_mm, every /proc read):
 * inline, one locked instruction each when nobody traces. The rest is out
 * of line in src/fork.c: the teardown when the last user goes, misuse
 * reports (a get after the end, a put too many: undone, never corrupting),
 * and the traced variants.
 */
void __mmget_misuse(struct mm_struct *mm);
void __mmget_traced(struct mm_struct *mm);
void __mmput_last(struct mm_struct *mm, int old);
void __mmput_traced(struct mm_struct *mm);

static inline void mmget(struct mm_struct *mm)
{
	if (unlikely(mmk_hooks.trace != NULL)) {
		__mmget_traced(mm);
		return;
	}
	if (unlikely(atomic_fetch_add_explicit(&mm->mm_users.counter, 1, memory_order_relaxed) <= 0))
		__mmget_misuse(mm);
}

static inline void mmput(struct mm_struct *mm)
{
	int old;
	if (unlikely(mmk_hooks.trace != NULL)) {
		__mmput_traced(mm);
		return;
	}
	old = atomic_fetch_sub(&mm->mm_users.counter, 1);
	if (unlikely(old <= 1))
		__mmput_last(mm, old);
}

/* mmlist policy: the seeds' (2.4) rule puts every mm on init_mm.mmlist
 * when it is created; the modern rule adds an mm when it first holds a
 * swap entry, and fork puts the child right after its parent. */
enum mmlist_policy { MMLIST_SEED = 0, MMLIST_MODERN = 1 };
extern int sysctl_mmlist_policy;
void mmlist_add_after(struct mm_struct *mm, struct mm_struct *after); /* takes mmlist_lock */

/* ---- tunables (/proc/sys/vm) ------------------------------------------- */
extern int sysctl_max_map_count;       /* 65530 */
extern unsigned long mmap_min_addr;    /* 4096 */
extern unsigned long stack_guard_gap;  /* 256 pages */
extern int sysctl_legacy_va_layout;    /* 0: top-down */
extern int mmk_five_level;             /* 0: 47-bit user space; 1: 56-bit */

/* x86-64 address-space constants */
#define TASK_SIZE_47 ((1UL << 47) - PAGE_SIZE)   /* 0x7ffffffff000 */
#define TASK_SIZE_56 ((1UL << 56) - PAGE_SIZE)
#define DEFAULT_MAP_WINDOW TASK_SIZE_47
#define STACK_TOP_47 TASK_SIZE_47
#define TASK_UNMAPPED_BASE_47 (PAGE_ALIGN(TASK_SIZE_47 / 3)) /* 0x2aaaaaaab000 */

/* ---- VMAs (mm/vma.c, mm/mmap.c) --------------------------------------- */
struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr);
struct vm_area_struct *find_vma_prev(struct mm_struct *mm, unsigned long addr,
				     struct vm_area_struct **pprev);
struct vm_area_struct *find_vma_intersection(struct mm_struct *mm, unsigned long start,
					     unsigned long end);
/* arch_pick_mmap_layout: task_size, mmap_base, legacy base from rlimits */
void arch_pick_mmap_layout(struct mm_struct *mm);
int dup_mmap(struct mm_struct *mm, struct mm_struct *oldmm); /* 0 or -ENOMEM */
void exit_mmap(struct mm_struct *mm);
/* validate_mm: list/tree/cache/gaps/map_count/accounting agree. 0 or -1 (and prints) */
int validate_mm(struct mm_struct *mm);

/* insert a special mapping ([vdso], [vvar]) at a fixed address */
int install_special_mapping(struct mm_struct *mm, unsigned long addr, unsigned long len,
			    unsigned long vm_flags, const struct vm_special_mapping *spec);

/* ---- files ------------------------------------------------------------ */
/* a file as open(path, O_RDONLY or O_RDWR) would give it: stats the real file */
struct file *mmk_file_open(const char *path, unsigned int f_mode); /* ERR_PTR(-errno) */
/* a file the library user describes (emulators: guest files) */
struct file *mmk_file_create(const char *path, unsigned int dev_major, unsigned int dev_minor,
			     unsigned long ino, long long size, unsigned int f_mode);
void get_file(struct file *f);
void fput(struct file *f);

/* ---- system calls ----------------------------------------------------- */
long sys_mmap(struct mm_struct *mm, unsigned long addr, unsigned long len, unsigned long prot,
	      unsigned long flags, struct file *file, unsigned long off);
long sys_munmap(struct mm_struct *mm, unsigned long addr, unsigned long len);
long sys_mprotect(struct mm_struct *mm, unsigned long start, unsigned long len, unsigned long prot);
long sys_mremap(struct mm_struct *mm, unsigned long addr, unsigned long old_len,
		unsigned long new_len, unsigned long flags, unsigned long new_addr);
unsigned long sys_brk(struct mm_struct *mm, unsigned long brk);
long sys_madvise(struct mm_struct *mm, unsigned long start, unsigned long len, int advice);
long sys_mlock(struct mm_struct *mm, unsigned long start, unsigned long len);
long sys_mlock2(struct mm_struct *mm, unsigned long start, unsigned long len, int flags);
long sys_munlock(struct mm_struct *mm, unsigned long start, unsigned long len);
long sys_mlockall(struct mm_struct *mm, int flags);
long sys_munlockall(struct mm_struct *mm);

/* constants older libc headers may lack (Linux values) */
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif
#ifndef MAP_UNINITIALIZED
#define MAP_UNINITIALIZED 0x4000000
#endif
#ifndef MREMAP_MAYMOVE
#define MREMAP_MAYMOVE 1
#endif
#ifndef MREMAP_FIXED
#define MREMAP_FIXED 2
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#ifndef MADV_FREE
#define MADV_FREE 8
#endif
#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif
#ifndef MADV_KEEPONFORK
#define MADV_KEEPONFORK 19
#endif
#ifndef MADV_COLD
#define MADV_COLD 20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 0x01
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif
#ifndef PROT_GROWSDOWN
#define PROT_GROWSDOWN 0x01000000
#endif
#ifndef PROT_GROWSUP
#define PROT_GROWSUP 0x02000000
#endif

#endif /* MMKIT_MM_H */
