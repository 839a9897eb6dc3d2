// SPDX-License-Identifier: MIT
/*
 * src/arch_mmap.c - the x86-64 address-space layout (arch/x86/mm/mmap.c)
 * and its free-area policy (arch/x86/kernel/sys_x86_64.c).
 *
 * Layout: user space ends at TASK_SIZE (47-bit: 0x7ffffffff000; 56-bit
 * with mmk_five_level). The top-down layout puts mmap_base below the stack
 * with room for RLIMIT_STACK plus the guard gap (at least 128 MiB, at most
 * 5/6 of the 47-bit window); the legacy layout grows up from
 * TASK_UNMAPPED_BASE. Addresses above the 47-bit window are only handed
 * out to callers whose hint lies above it. mmkit never randomises (the
 * machine's `setarch -R`), so the bases are fixed.
 */
#include "vma.h"

int sysctl_legacy_va_layout;
int mmk_five_level;

#define SIZE_128M (128UL << 20)

static unsigned long task_size_max(void)
{
	return mmk_five_level ? TASK_SIZE_56 : TASK_SIZE_47;
}

/* task_size_64bit: the 47-bit window, or everything */
static unsigned long task_size_64bit(int full_addr_space)
{
	return full_addr_space ? task_size_max() : DEFAULT_MAP_WINDOW;
}

/* mmap_is_legacy: personality ADDR_COMPAT_LAYOUT (not modelled) or the
 * sysctl. Current x86 no longer looks at an unlimited RLIMIT_STACK: such
 * a process stays top-down with the gap clamped to its maximum (checked
 * on this machine with `ulimit -s unlimited`). */
static int mmap_is_legacy(void)
{
	return sysctl_legacy_va_layout;
}

/* mmap_base: below the stack, leaving RLIMIT_STACK + stack_guard_gap */
static unsigned long mmap_base(unsigned long task_size, unsigned long rlim_stack)
{
	unsigned long gap = rlim_stack;
	unsigned long pad = stack_guard_gap; /* + stack_maxrandom_size(): 0 */
	unsigned long gap_min = SIZE_128M, gap_max = (task_size / 6) * 5;

	if (gap + pad > gap) /* values close to RLIM_INFINITY overflow */
		gap += pad;
	if (gap < gap_min)
		gap = gap_min;
	else if (gap > gap_max)
		gap = gap_max;
	return PAGE_ALIGN(task_size - gap);
}

void arch_pick_mmap_layout(struct mm_struct *mm)
{
	unsigned long window = task_size_64bit(0);

	mm->task_size = task_size_max();
	mm->legacy_layout = mmap_is_legacy();
	mm->mmap_legacy_base = TASK_UNMAPPED_BASE_47; /* __TASK_UNMAPPED_BASE(window) */
	if (mm->legacy_layout)
		mm->mmap_base = mm->mmap_legacy_base;
	else
		mm->mmap_base = mmap_base(window, mm->rlim[MMK_RLIMIT_STACK]);
}

/* get_mmap_base: the base of the layout in use (or the legacy one) */
static unsigned long get_mmap_base(struct mm_struct *mm, int is_legacy)
{
	return is_legacy ? mm->mmap_legacy_base : mm->mmap_base;
}

/*
 * mmap_address_hint_valid - a hint is used only if the whole mapping fits
 * below TASK_SIZE and stays on one side of the 47-bit window boundary.
 */
static bool mmap_address_hint_valid(struct mm_struct *mm, unsigned long addr, unsigned long len)
{
	if (MMK_TASK_SIZE(mm) - len < addr)
		return false;
	return (addr > DEFAULT_MAP_WINDOW) == (addr + len > DEFAULT_MAP_WINDOW);
}

/* find_start_end: the bottom-up search range */
static void find_start_end(struct mm_struct *mm, unsigned long addr, unsigned long flags,
			   unsigned long *begin, unsigned long *end)
{
	if (flags & MAP_32BIT) {
		/* the first 2 GiB minus the first 1 GiB, for old JITs */
		*begin = 0x40000000UL;
		*end = 0x80000000UL;
		return;
	}
	*begin = get_mmap_base(mm, 1);
	*end = task_size_64bit(addr > DEFAULT_MAP_WINDOW);
}

/* arch_get_unmapped_area - the bottom-up (legacy) policy */
unsigned long arch_get_unmapped_area(struct mm_struct *mm, unsigned long addr, unsigned long len,
				     unsigned long pgoff, unsigned long flags)
{
	struct vm_unmapped_area_info info = { 0 };
	unsigned long begin, end;

	if (flags & MAP_FIXED)
		return addr;
	find_start_end(mm, addr, flags, &begin, &end);
	if (len > end)
		return -ENOMEM;
	if (addr) {
		struct vm_area_struct *vma;

		addr = PAGE_ALIGN(addr);
		vma = find_vma(mm, addr);
		if (end - len >= addr && (!vma || addr + len <= vm_start_gap(vma)))
			return addr;
	}
	info.length = len;
	info.low_limit = begin;
	info.high_limit = end;
	info.align_offset = pgoff << PAGE_SHIFT;
	return vm_unmapped_area(mm, &info);
}

/* arch_get_unmapped_area_topdown - the default policy: the hint if it
 * fits, else the highest gap below mmap_base, else bottom-up */
unsigned long arch_get_unmapped_area_topdown(struct mm_struct *mm, unsigned long addr0,
					     unsigned long len, unsigned long pgoff,
					     unsigned long flags)
{
	struct vm_unmapped_area_info info = { 0 };
	unsigned long addr = addr0;

	if (len > MMK_TASK_SIZE(mm))
		return -ENOMEM;
	if (flags & MAP_FIXED)
		return addr;
	if (flags & MAP_32BIT)
		goto bottomup;
	if (addr) {
		struct vm_area_struct *vma;

		addr &= PAGE_MASK;
		if (mmap_address_hint_valid(mm, addr, len)) {
			vma = find_vma(mm, addr);
			if (!vma || addr + len <= vm_start_gap(vma))
				return addr;
		}
	}

	info.flags = VM_UNMAPPED_AREA_TOPDOWN;
	info.length = len;
	info.low_limit = PAGE_SIZE;
	info.high_limit = get_mmap_base(mm, 0);
	/* a hint above the 47-bit window opens the rest of a 5-level space */
	if (addr > DEFAULT_MAP_WINDOW)
		info.high_limit += task_size_max() - DEFAULT_MAP_WINDOW;
	info.align_offset = pgoff << PAGE_SHIFT;
	addr = vm_unmapped_area(mm, &info);
	if (!(addr & ~PAGE_MASK))
		return addr;
bottomup:
	/* a failed mmap would likely kill the program: try bottom-up */
	return arch_get_unmapped_area(mm, addr0, len, pgoff, flags);
}
