/* SPDX-License-Identifier: MIT */
/*
 * mmkit/mm_types.h - the memory descriptor and its memory regions
 * (include/linux/mm_types.h).
 *
 * struct mm_struct carries every field of the 2.4 descriptor the seeds walk
 * through (mmap, mm_rb, mmap_cache, pgd, mm_users, mm_count, map_count,
 * mmap_sem, page_table_lock, mmlist, the code/data/brk/stack/arg/env
 * bounds, rss, total_vm, locked_vm, def_flags, cpu_vm_mask, swap_address,
 * dumpable, context) and what later kernels added that mmkit models
 * (per-type RSS counters, high-water marks, data/exec/stack_vm,
 * pgtables_bytes, mmap_base, owner, ...). docs/mm_struct.md maps each.
 */
#ifndef MMKIT_MM_TYPES_H
#define MMKIT_MM_TYPES_H

#include <mmkit/types.h>
#include <mmkit/rbtree.h>

struct task_struct;
struct mm_struct;

/* ---- files (struct file + the inode facts /proc shows) ----------------- */
#define FMODE_READ 0x1u
#define FMODE_WRITE 0x2u

struct file {
	atomic_t f_count;
	unsigned int f_mode;     /* FMODE_READ | FMODE_WRITE */
	char *f_path;            /* as /proc/PID/maps prints it */
	unsigned int dev_major, dev_minor;
	unsigned long i_ino;
	long long i_size;
	bool noexec;             /* on a noexec mount: PROT_EXEC gives -EPERM */
	bool shmem;              /* backs a shared anonymous mapping ("/dev/zero (deleted)") */
	bool is_dir;             /* no mmap method (a directory, FIFO or socket): -ENODEV */
};

/* ---- anon_vma (mm/rmap.c), reduced to what merging needs --------------- */
struct anon_vma {
	atomic_t refcount;       /* VMAs (and children) that point here */
	struct anon_vma *root;   /* root of this fork family */
	struct anon_vma *parent; /* the anon_vma it was forked from */
	unsigned long id;        /* serial number, for display */
};

/* ---- vm_flags (include/linux/mm.h) ------------------------------------ */
#define VM_NONE 0x00000000UL
#define VM_READ 0x00000001UL
#define VM_WRITE 0x00000002UL
#define VM_EXEC 0x00000004UL
#define VM_SHARED 0x00000008UL
#define VM_MAYREAD 0x00000010UL
#define VM_MAYWRITE 0x00000020UL
#define VM_MAYEXEC 0x00000040UL
#define VM_MAYSHARE 0x00000080UL
#define VM_GROWSDOWN 0x00000100UL
#define VM_UFFD_MISSING 0x00000200UL
#define VM_PFNMAP 0x00000400UL
#define VM_UFFD_WP 0x00001000UL
#define VM_LOCKED 0x00002000UL
#define VM_IO 0x00004000UL
#define VM_SEQ_READ 0x00008000UL
#define VM_RAND_READ 0x00010000UL
#define VM_DONTCOPY 0x00020000UL
#define VM_DONTEXPAND 0x00040000UL
#define VM_LOCKONFAULT 0x00080000UL
#define VM_ACCOUNT 0x00100000UL
#define VM_NORESERVE 0x00200000UL
#define VM_HUGETLB 0x00400000UL
#define VM_SYNC 0x00800000UL
#define VM_ARCH_1 0x01000000UL
#define VM_WIPEONFORK 0x02000000UL
#define VM_DONTDUMP 0x04000000UL
#define VM_SOFTDIRTY 0x08000000UL
#define VM_MIXEDMAP 0x10000000UL
#define VM_HUGEPAGE 0x20000000UL
#define VM_NOHUGEPAGE 0x40000000UL
#define VM_MERGEABLE 0x80000000UL

#define VM_STACK VM_GROWSDOWN
#define VM_STACK_INCOMPLETE_SETUP (VM_RAND_READ | VM_SEQ_READ)
#define VM_DATA_DEFAULT_FLAGS (VM_READ | VM_WRITE | VM_EXEC | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)
#define VM_STACK_DEFAULT_FLAGS (VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC) /* x86-64, NX */
#define VM_STACK_FLAGS (VM_STACK | VM_STACK_DEFAULT_FLAGS | VM_ACCOUNT)
#define VM_SPECIAL (VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP)
#define VM_LOCKED_MASK (VM_LOCKED | VM_LOCKONFAULT)
#define VM_ACCESS_FLAGS (VM_READ | VM_WRITE | VM_EXEC)

/* ---- struct vm_area_struct -------------------------------------------- */
struct vm_special_mapping {
	const char *name; /* "[vdso]", "[vvar]", "[vvar_vclock]" */
};

struct vm_area_struct {
	unsigned long vm_start;  /* first address inside */
	unsigned long vm_end;    /* first address after */

	/* the seed's sorted list of regions, per mm */
	struct vm_area_struct *vm_next, *vm_prev;

	/* the red-black tree, augmented: rb_subtree_gap is the largest free
	 * gap (before a VMA, down to the previous VMA's end) in this subtree */
	struct rb_node vm_rb;
	unsigned long rb_subtree_gap;

	struct mm_struct *vm_mm;
	unsigned long vm_flags;
	unsigned long vm_pgoff;  /* offset in PAGE_SIZE units (file) or addr >> PAGE_SHIFT (anon) */
	struct file *vm_file;

	/* reverse-map anchor. anon_vma_chain_len stands for the length of the
	 * kernel's anon_vma_chain list: 1 for a VMA that got its anon_vma by a
	 * fault, 1 + parent's for a VMA that inherited it through fork. */
	struct anon_vma *anon_vma;
	int anon_vma_chain_len;

	const struct vm_special_mapping *vm_special; /* [vdso] etc. */
	unsigned long mmk_pages;  /* reserved for the page layer */
};

static inline unsigned long vma_pages(const struct vm_area_struct *vma)
{
	return (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
}

/* ---- struct mm_struct ------------------------------------------------- */
enum {
	MM_FILEPAGES,  /* resident file-mapped pages */
	MM_ANONPAGES,  /* resident anonymous pages */
	MM_SWAPENTS,   /* anonymous swap entries */
	MM_SHMEMPAGES, /* resident shared memory pages */
	NR_MM_COUNTERS
};

typedef struct {
	unsigned long ctx_id;    /* unique per address space (x86 ctx_id) */
	void *ldt;               /* local descriptor table, if one was set */
	atomic_long_t tlb_gen;   /* bumped by every TLB flush of this mm */
} mm_context_t;

typedef unsigned long pgd_t; /* an entry of the top-level page table */

/* the rlimits mmkit's address space honours; RLIM_INFINITY = ~0UL */
enum { MMK_RLIMIT_AS, MMK_RLIMIT_DATA, MMK_RLIMIT_STACK, MMK_RLIMIT_MEMLOCK, MMK_RLIM_NLIMITS };
#define MMK_RLIM_INFINITY (~0UL)

#define MMF_DUMPABLE 0
#define MMF_HAS_UPROBES 1

struct mm_struct {
	/* ---- the address space (seed) ---- */
	struct vm_area_struct *mmap;       /* sorted list of VMAs */
	struct rb_root mm_rb;              /* the same VMAs in a red-black tree */
	struct vm_area_struct *mmap_cache; /* last find_vma() result */
	pgd_t *pgd;                        /* page global directory */

	/* ---- the two counters (seed) ---- */
	atomic_t mm_users; /* users of the address space: threads, pinners */
	atomic_t mm_count; /* references to this struct; all users count as 1 */

	int map_count;                  /* number of VMAs */
	struct rw_semaphore mmap_sem;   /* mmap_lock in modern kernels */
	spinlock_t page_table_lock;     /* page tables and counters */
	struct list_head mmlist;        /* swapoff's list, headed by init_mm */

	unsigned long start_code, end_code, start_data, end_data;
	unsigned long start_brk, brk, start_stack;
	unsigned long arg_start, arg_end, env_start, env_end;

	unsigned long rss;       /* seed: resident pages; kept = file + anon + shmem */
	unsigned long total_vm;  /* pages mapped */
	unsigned long locked_vm; /* pages with VM_LOCKED */
	unsigned long def_flags; /* added to every new VMA (VM_LOCKED after mlockall(MCL_FUTURE)) */
	unsigned long cpu_vm_mask; /* CPUs this mm is loaded on (mm_cpumask) */
	unsigned long swap_address; /* the seed's page-out scanner cursor */
	unsigned dumpable : 1;
	mm_context_t context;

	/* ---- added by later kernels ---- */
	atomic_long_t rss_stat[NR_MM_COUNTERS];
	unsigned long hiwater_rss; /* high-water RSS, updated lazily */
	unsigned long hiwater_vm;  /* high-water total_vm */
	unsigned long pinned_vm;
	unsigned long data_vm;  /* VM_WRITE & ~VM_SHARED & ~VM_STACK */
	unsigned long exec_vm;  /* VM_EXEC & ~VM_WRITE & ~VM_STACK */
	unsigned long stack_vm; /* VM_STACK */
	atomic_long_t pgtables_bytes;
	unsigned long mmap_base;        /* top of the top-down mmap area */
	unsigned long mmap_legacy_base; /* bottom-up base */
	unsigned long task_size;        /* end of user space */
	unsigned long highest_vm_end;   /* vm_end of the last VMA */
	struct task_struct *owner;      /* the task that owns it (for memcg) */
	unsigned long flags;            /* MMF_* */
	struct file *exe_file;          /* /proc/PID/exe */
	unsigned long saved_auxv_at_base;
	int legacy_layout;              /* bottom-up mmap layout */

	/* mmkit: the limits of the owning process, kept with its address
	 * space so that the library can be used without tasks */
	unsigned long rlim[MMK_RLIM_NLIMITS];
	bool cap_ipc_lock;

	/* mmkit bookkeeping */
	unsigned long mmk_id;          /* 0 = init_mm, then 1, 2, ... in creation order */
	struct list_head mmk_all;      /* every live mm, for the invariant checker */
	struct list_head mmk_async;    /* queued by mmput_async */
	void *mmk_priv;                /* the page layer's per-mm state */
};

#endif /* MMKIT_MM_TYPES_H */
