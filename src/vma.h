/* SPDX-License-Identifier: MIT */
/*
 * src/vma.h - the VMA engine's internal interface (the kernel's mm/vma.h):
 * the sorted list + augmented red-black tree of an mm, merging and
 * splitting, and the helpers the address-space system calls share.
 *
 * Every function here expects mm->mmap_sem held for writing (the __
 * variants of the system calls are the same operations without taking
 * the lock).
 */
#ifndef MMKIT_VMA_H
#define MMKIT_VMA_H

#include "internal.h"
#include <mmkit/page.h>

/* the user-space end of @mm (TASK_SIZE) */
#define MMK_TASK_SIZE(mm) ((mm)->task_size)

/*
 * x86 memory protection keys (this machine has PKU): a mapping whose
 * protection is exactly PROT_EXEC gets the mm's execute-only pkey
 * (execute_only_pkey(): the first key allocated, 1), kept in the
 * VM_PKEY_BIT* flags. The key denies data reads (get_user_pages fails on
 * it) and, being a flag, keeps such VMAs from merging or sharing an
 * anon_vma with others.
 */
#define VM_PKEY_BIT0 (1UL << 32)
#define VM_PKEY_BIT1 (1UL << 33)
#define VM_PKEY_BIT2 (1UL << 34)
#define VM_PKEY_BIT3 (1UL << 35)
#define VM_PKEY_MASK (VM_PKEY_BIT0 | VM_PKEY_BIT1 | VM_PKEY_BIT2 | VM_PKEY_BIT3)
#define VM_PKEY_EXEC_ONLY VM_PKEY_BIT0 /* pkey 1 */

/* MAP_DROPPABLE memory (6.11+, 64-bit): its pages may be dropped under
 * memory pressure; never locked, copied on fork or dumped. smaps "dp". */
#define VM_DROPPABLE (1UL << 40) /* VM_HIGH_ARCH_8 */
#ifndef MAP_DROPPABLE
#define MAP_DROPPABLE 0x08
#endif

/* ---- small predicates (include/linux/mm.h) ---- */

/* where a VMA's gap before it really starts: a stack keeps a guard gap
 * below itself (vm_start_gap in 4.x/6.x) */
static inline unsigned long vm_start_gap(const struct vm_area_struct *vma)
{
	unsigned long start = vma->vm_start;

	if (vma->vm_flags & VM_GROWSDOWN) {
		start -= stack_guard_gap;
		if (start > vma->vm_start)
			start = 0;
	}
	return start;
}

/* x86 has no VM_GROWSUP: the end gap is the end */
static inline unsigned long vm_end_gap(const struct vm_area_struct *vma)
{
	return vma->vm_end;
}

/* no vm_ops: neither a file, nor shmem, nor a special mapping */
static inline bool vma_is_anonymous(const struct vm_area_struct *vma)
{
	return !vma->vm_file && !vma->vm_special;
}

static inline bool vma_is_accessible(const struct vm_area_struct *vma)
{
	return vma->vm_flags & VM_ACCESS_FLAGS;
}

static inline bool is_exec_mapping(unsigned long flags)
{
	return (flags & (VM_EXEC | VM_WRITE | VM_STACK)) == VM_EXEC;
}

static inline bool is_stack_mapping(unsigned long flags)
{
	return (flags & VM_STACK) == VM_STACK;
}

static inline bool is_data_mapping(unsigned long flags)
{
	return (flags & (VM_WRITE | VM_SHARED | VM_STACK)) == VM_WRITE;
}

/* the pgoff @addr inside @vma corresponds to */
static inline unsigned long vma_pgoff_offset(const struct vm_area_struct *vma, unsigned long addr)
{
	return vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
}

/* ---- the store (vma.c) ---- */

/* link @vma (range, flags, file, anon_vma set up by the caller) into @mm
 * after @prev (NULL: first); map_count++. No merging, no accounting. */
void vma_link_after(struct mm_struct *mm, struct vm_area_struct *vma, struct vm_area_struct *prev);
/* take @vma out of list and tree; map_count--. The VMA is not freed. */
void vma_unlink(struct mm_struct *mm, struct vm_area_struct *vma);
/* change @vma's bounds in place (order with the neighbours must hold) */
void vma_set_range(struct vm_area_struct *vma, unsigned long start, unsigned long end,
		   unsigned long pgoff);
/* find_vma and its predecessor in one descent */
struct vm_area_struct *find_vma_links(struct mm_struct *mm, unsigned long addr,
				      struct vm_area_struct **pprev);
/* the last VMA, or NULL */
struct vm_area_struct *vma_last(struct mm_struct *mm);
/* the VMA containing @addr, or NULL */
struct vm_area_struct *vma_lookup(struct mm_struct *mm, unsigned long addr);

/*
 * insert_vm_struct - link a VMA the caller built (vm_area_alloc(mm), range,
 * flags, file reference, special mapping). -ENOMEM if it overlaps an
 * existing VMA. An anonymous VMA gets vm_pgoff = vm_start >> PAGE_SHIFT.
 * As in the kernel, it never merges and does not account: the caller
 * calls vm_stat_account() (and adds locked_vm for VM_LOCKED).
 */
int insert_vm_struct(struct mm_struct *mm, struct vm_area_struct *vma);

/* free a VMA that is no longer linked: fput its file, drop its anon_vma */
void remove_vma(struct vm_area_struct *vma);

/* split @vma at @addr: new_below puts the new VMA below @addr. split_vma
 * fails -ENOMEM at map_count >= sysctl_max_map_count, __split_vma only on
 * allocation failure. */
int __split_vma(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long addr, int new_below);
int split_vma(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long addr, int new_below);

/*
 * vma_merge_new_range - the range [start, end) (not mapped yet) with these
 * attributes: extend @prev and/or @next over it if they are compatible
 * (vma_merge_new_range in mm/vma.c). @copied_from: the VMA mremap copies
 * (its anon_vma goes to the target). Returns the VMA that now covers the
 * range, or NULL if no merge was possible.
 */
struct vm_area_struct *vma_merge_new_range(struct mm_struct *mm, struct vm_area_struct *prev,
					   struct vm_area_struct *next, unsigned long start,
					   unsigned long end, unsigned long vm_flags,
					   struct file *file, unsigned long pgoff,
					   struct anon_vma *anon_vma,
					   struct vm_area_struct *copied_from, bool just_expand);

/*
 * vma_modify_flags - give [start, end) of @vma the flags @newflags: merge
 * with a list neighbour of @vma when the result is compatible, else split @vma so that
 * exactly the range is one VMA. Returns that VMA (its flags still old:
 * the caller sets them) or ERR_PTR(-ENOMEM).
 */
struct vm_area_struct *vma_modify_flags(struct mm_struct *mm, struct vm_area_struct *vma,
					unsigned long start, unsigned long end,
					unsigned long newflags);

/* munmap with mmap_sem held (do_vmi_munmap). 0 or -EINVAL/-ENOMEM */
int do_munmap(struct mm_struct *mm, unsigned long start, size_t len);
/* the two halves of an unmap: split the ends (may fail), then remove */
int vms_gather_munmap_vmas(struct mm_struct *mm, struct vm_area_struct *vma,
			   unsigned long start, unsigned long end);
void vms_complete_munmap_vmas(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long end);
/* unmap [start, end) that starts inside or before @vma (do_vmi_align_munmap) */
int do_vmi_align_munmap(struct mm_struct *mm, struct vm_area_struct *vma,
			unsigned long start, unsigned long end);

/* ---- mmap.c ---- */
bool may_expand_vm(struct mm_struct *mm, unsigned long flags, unsigned long npages);
bool mlock_future_ok(struct mm_struct *mm, unsigned long flags, unsigned long bytes);
bool can_do_mlock(struct mm_struct *mm);
static inline void update_hiwater_vm(struct mm_struct *mm)
{
	if (mm->hiwater_vm < mm->total_vm)
		mm->hiwater_vm = mm->total_vm;
}
unsigned long get_unmapped_area(struct mm_struct *mm, struct file *file, unsigned long addr,
				unsigned long len, unsigned long pgoff, unsigned long flags);
unsigned long do_mmap(struct mm_struct *mm, struct file *file, unsigned long addr,
		      unsigned long len, unsigned long prot, unsigned long flags,
		      unsigned long vm_flags, unsigned long pgoff, unsigned long *populate);
/*
 * populate_vma_page_range - fault in [start, end) of @vma as mlock and
 * MAP_POPULATE do (mm/gup.c): writable private memory with write faults,
 * the rest with read faults; PROT_NONE and execute-only VMAs fail with
 * -EFAULT, pages past the end of a file too. Returns the pages done (the
 * faults themselves: fault_in_vma() in mmap.c, then the page layer).
 */
long populate_vma_page_range(struct vm_area_struct *vma, unsigned long start, unsigned long end);
/* MADV_POPULATE_(READ|WRITE): fault the range in without FOLL_FORCE */
long faultin_page_range(struct mm_struct *mm, unsigned long start, unsigned long end, bool write);
/* __mm_populate: every VMA in [start, start+len) */
int __mm_populate(struct mm_struct *mm, unsigned long start, unsigned long len, int ignore_errors);
static inline void mm_populate(struct mm_struct *mm, unsigned long addr, unsigned long len)
{
	(void)__mm_populate(mm, addr, len, 1);
}

/* ---- arch_mmap.c (arch/x86/mm/mmap.c, arch/x86/kernel/sys_x86_64.c) ---- */
unsigned long arch_get_unmapped_area(struct mm_struct *mm, unsigned long addr, unsigned long len,
				     unsigned long pgoff, unsigned long flags);
unsigned long arch_get_unmapped_area_topdown(struct mm_struct *mm, unsigned long addr,
					     unsigned long len, unsigned long pgoff,
					     unsigned long flags);

struct vm_unmapped_area_info {
#define VM_UNMAPPED_AREA_TOPDOWN 1
	unsigned long flags;
	unsigned long length;
	unsigned long low_limit;
	unsigned long high_limit;
	unsigned long align_mask;
	unsigned long align_offset;
};
/* the free-area search over the augmented tree (mm/mmap.c) */
unsigned long vm_unmapped_area(struct mm_struct *mm, const struct vm_unmapped_area_info *info);

/* ---- rmap.c ---- */
/* @dst shares @src's anon_vma (anon_vma_clone): a reference, same chain */
int anon_vma_clone(struct vm_area_struct *dst, struct vm_area_struct *src);
void get_anon_vma(struct anon_vma *anon_vma);
void put_anon_vma(struct anon_vma *anon_vma);

/* ---- file.c ---- */
/* the shmem file behind a shared anonymous mapping: "/dev/zero (deleted)" */
struct file *shmem_zero_file(long long size);

/* ---- mlock.c ---- */
long __sys_mlock(struct mm_struct *mm, unsigned long start, unsigned long len, unsigned long flags);

#endif /* MMKIT_VMA_H */
