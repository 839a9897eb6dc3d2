// SPDX-License-Identifier: MIT
/*
 * src/mmap.c - mapping, unmapping and the heap (mm/mmap.c), the free-area
 * search over the augmented VMA tree, populating (mm/gup.c's
 * populate_vma_page_range), fork's dup_mmap and exit_mmap.
 *
 * The page layer (include/mmkit/page.h) is called where the kernel touches
 * page tables: unmap_region for every VMA unmapped (vma.c), copy_page_range
 * in dup_mmap, exit_mmap_pages in exit_mmap, mmk_populate_range when
 * populating; change_protection (mprotect.c), move_page_tables
 * (mremap.c), zap_page_range_single / madvise_free_range (madvise.c).
 *
 * Error order follows the kernel: sys_mmap (arch/x86/kernel/sys_x86_64.c
 * and ksys_mmap_pgoff), then do_mmap, __get_unmapped_area, mmap_region.
 */
#include "vma.h"

/* ---- tunables (/proc/sys/vm) ------------------------------------------- */
int sysctl_max_map_count = 65530;
unsigned long mmap_min_addr = 4096;
unsigned long stack_guard_gap = 256UL << PAGE_SHIFT;

/* ---- accounting -------------------------------------------------------- */

/* vm_stat_account: total_vm always, then one of exec, stack or data */
void vm_stat_account(struct mm_struct *mm, unsigned long flags, long npages)
{
	mm->total_vm += (unsigned long)npages;
	if (is_exec_mapping(flags))
		mm->exec_vm += (unsigned long)npages;
	else if (is_stack_mapping(flags))
		mm->stack_vm += (unsigned long)npages;
	else if (is_data_mapping(flags))
		mm->data_vm += (unsigned long)npages;
}

/* may_expand_vm: RLIMIT_AS for everything, RLIMIT_DATA for data */
bool may_expand_vm(struct mm_struct *mm, unsigned long flags, unsigned long npages)
{
	if (mm->total_vm + npages > mm->rlim[MMK_RLIMIT_AS] >> PAGE_SHIFT)
		return false;
	if (is_data_mapping(flags) && mm->data_vm + npages > mm->rlim[MMK_RLIMIT_DATA] >> PAGE_SHIFT)
		return false;
	return true;
}

/* can_do_mlock: a non-zero RLIMIT_MEMLOCK, or CAP_IPC_LOCK */
bool can_do_mlock(struct mm_struct *mm)
{
	return mm->rlim[MMK_RLIMIT_MEMLOCK] != 0 || mm->cap_ipc_lock;
}

/* mlock_future_ok: would @bytes more locked memory stay within the limit */
bool mlock_future_ok(struct mm_struct *mm, unsigned long flags, unsigned long bytes)
{
	unsigned long locked, limit;

	if (!(flags & VM_LOCKED) || mm->cap_ipc_lock)
		return true;
	locked = (bytes >> PAGE_SHIFT) + mm->locked_vm;
	limit = mm->rlim[MMK_RLIMIT_MEMLOCK] >> PAGE_SHIFT;
	return locked <= limit;
}

/* ---- the free-area search (vm_unmapped_area) --------------------------- */

static inline struct vm_area_struct *node_vma(struct rb_node *n)
{
	return n ? rb_entry(n, struct vm_area_struct, vm_rb) : NULL;
}

static inline unsigned long gap_start_of(const struct vm_area_struct *vma)
{
	return vma->vm_prev ? vma->vm_prev->vm_end : 0;
}

/* does the gap below @vma, clipped to [low, high), hold @length bytes */
static bool gap_fits(const struct vm_area_struct *vma, unsigned long low, unsigned long high,
		     unsigned long length)
{
	unsigned long s = gap_start_of(vma), e = vma->vm_start;

	if (s < low)
		s = low;
	if (e > high)
		e = high;
	return e > s && e - s >= length;
}

/*
 * The highest VMA whose gap below it fits, in the subtree at @node.
 * A subtree is entered only if its largest gap is big enough and its
 * addresses can still lie inside [low, high): gaps right of a node start
 * at or above its vm_end, gaps left of it end below its gap's start.
 * The caller guarantees low + length <= high.
 */
static struct vm_area_struct *gap_search_highest(struct rb_node *node, unsigned long low,
						 unsigned long high, unsigned long length)
{
	struct vm_area_struct *vma = node_vma(node), *found;

	if (!vma || vma->rb_subtree_gap < length)
		return NULL;
	if (vma->vm_end <= high - length) {
		found = gap_search_highest(node->rb_right, low, high, length);
		if (found)
			return found;
	}
	if (gap_fits(vma, low, high, length))
		return vma;
	if (gap_start_of(vma) >= low + length)
		return gap_search_highest(node->rb_left, low, high, length);
	return NULL;
}

/* the mirror image: the lowest fitting gap */
static struct vm_area_struct *gap_search_lowest(struct rb_node *node, unsigned long low,
						unsigned long high, unsigned long length)
{
	struct vm_area_struct *vma = node_vma(node), *found;

	if (!vma || vma->rb_subtree_gap < length)
		return NULL;
	if (gap_start_of(vma) >= low + length) {
		found = gap_search_lowest(node->rb_left, low, high, length);
		if (found)
			return found;
	}
	if (gap_fits(vma, low, high, length))
		return vma;
	if (vma->vm_end <= high - length)
		return gap_search_lowest(node->rb_right, low, high, length);
	return NULL;
}

/*
 * unmapped_area_topdown - the highest free range of @length below
 * high_limit. As in 6.x: take the highest gap that fits; if the VMA above
 * it is a stack whose guard gap reaches into it, everything from the
 * guard gap's start up is out of bounds: search again below it.
 */
static unsigned long unmapped_area_topdown(struct mm_struct *mm,
					   const struct vm_unmapped_area_info *info)
{
	unsigned long length = info->length + info->align_mask;
	unsigned long low = info->low_limit, high = info->high_limit, gap_end, addr;
	struct vm_area_struct *vma, *next;

	if (length < info->length)
		return -ENOMEM;
	if (low < mmap_min_addr)
		low = mmap_min_addr;
	for (;;) {
		if (high < length || high - length < low)
			return -ENOMEM;
		if (mm->highest_vm_end <= high - length) {
			/* the space above the last VMA */
			gap_end = high;
			next = NULL;
		} else {
			vma = gap_search_highest(mm->mm_rb.rb_node, low, high, length);
			if (!vma)
				return -ENOMEM;
			gap_end = vma->vm_start < high ? vma->vm_start : high;
			next = vma;
		}
		if (next && (next->vm_flags & VM_GROWSDOWN) && vm_start_gap(next) < gap_end) {
			high = vm_start_gap(next);
			continue;
		}
		break;
	}
	addr = gap_end - info->length;
	addr -= (addr - info->align_offset) & info->align_mask;
	return addr;
}

/* unmapped_area - the lowest free range of @length above low_limit; a
 * stack's guard gap right above the range moves the search past it */
static unsigned long unmapped_area(struct mm_struct *mm, const struct vm_unmapped_area_info *info)
{
	unsigned long length = info->length + info->align_mask;
	unsigned long low = info->low_limit, high = info->high_limit, gap_start;
	struct vm_area_struct *vma;

	if (length < info->length)
		return -ENOMEM;
	if (low < mmap_min_addr)
		low = mmap_min_addr;
	for (;;) {
		if (high < length || high - length < low)
			return -ENOMEM;
		vma = gap_search_lowest(mm->mm_rb.rb_node, low, high, length);
		if (vma) {
			gap_start = gap_start_of(vma);
		} else {
			gap_start = mm->highest_vm_end;
			if (gap_start < low)
				gap_start = low;
			if (gap_start > high - length)
				return -ENOMEM;
		}
		if (gap_start < low)
			gap_start = low;
		gap_start += (info->align_offset - gap_start) & info->align_mask;
		if (vma && (vma->vm_flags & VM_GROWSDOWN) &&
		    vm_start_gap(vma) < gap_start + length - 1) {
			low = vma->vm_end;
			continue;
		}
		return gap_start;
	}
}

unsigned long vm_unmapped_area(struct mm_struct *mm, const struct vm_unmapped_area_info *info)
{
	if (info->flags & VM_UNMAPPED_AREA_TOPDOWN)
		return unmapped_area_topdown(mm, info);
	return unmapped_area(mm, info);
}

/* ---- get_unmapped_area -------------------------------------------------- */

static unsigned long mm_get_unmapped_area(struct mm_struct *mm, unsigned long addr,
					  unsigned long len, unsigned long pgoff,
					  unsigned long flags)
{
	if (mm->legacy_layout)
		return arch_get_unmapped_area(mm, addr, len, pgoff, flags);
	return arch_get_unmapped_area_topdown(mm, addr, len, pgoff, flags);
}

/*
 * thp_get_unmapped_area (mm/huge_memory.c): ask for PMD_SIZE more than
 * needed and place the mapping on a 2 MiB boundary inside that. Top-down,
 * an already aligned area moves up by PMD_SIZE (the kernel's rule, seen
 * on this machine: a fresh 2 MiB mapping below 0x7ffff7a00000 lands at
 * 0x7ffff7a00000 - 2 MiB... + 2 MiB). Falls back to the plain search.
 */
static unsigned long thp_get_unmapped_area(struct mm_struct *mm, unsigned long addr,
					   unsigned long len, unsigned long pgoff,
					   unsigned long flags)
{
	unsigned long off = pgoff << PAGE_SHIFT, size = PMD_SIZE;
	unsigned long off_end = off + len, off_align = (off + size - 1) & ~(size - 1);
	unsigned long len_pad, ret, off_sub;

	if (off_end <= off_align || off_end - off_align < size)
		goto fallback;
	len_pad = len + size;
	if (len_pad < len || off + len_pad < off)
		goto fallback;
	ret = mm_get_unmapped_area(mm, addr, len_pad, off >> PAGE_SHIFT, flags);
	if (IS_ERR_VALUE(ret))
		goto fallback;
	if (ret == addr)
		return addr;
	off_sub = (off - ret) & (size - 1);
	if (!mm->legacy_layout && !off_sub)
		return ret + size;
	return ret + off_sub;
fallback:
	return mm_get_unmapped_area(mm, addr, len, pgoff, flags);
}

/* __get_unmapped_area (mm/mmap.c): pick or check the address */
unsigned long get_unmapped_area(struct mm_struct *mm, struct file *file, unsigned long addr,
				unsigned long len, unsigned long pgoff, unsigned long flags)
{
	if (len > MMK_TASK_SIZE(mm))
		return -ENOMEM;
	/* anonymous memory (shmem included) has no offset to align to */
	if (!file)
		pgoff = 0;
	if (file && !file->shmem) {
		/* regular filesystems (ext4, xfs, ...) use
		 * thp_get_unmapped_area as their f_op->get_unmapped_area */
		addr = thp_get_unmapped_area(mm, addr, len, pgoff, flags);
	} else if (!file && !(flags & MAP_SHARED) && !addr && !(len & (PMD_SIZE - 1))) {
		/* larger private anonymous mappings are THP-aligned */
		addr = thp_get_unmapped_area(mm, addr, len, pgoff, flags);
	} else {
		/* shared anonymous memory and shmem files go through
		 * shmem_get_unmapped_area, which aligns only when shmem huge
		 * pages are enabled (this machine: shmem_enabled=never) */
		addr = mm_get_unmapped_area(mm, addr, len, pgoff, flags);
	}
	if (IS_ERR_VALUE(addr))
		return addr;
	if (addr > MMK_TASK_SIZE(mm) - len)
		return -ENOMEM;
	if (addr & ~PAGE_MASK)
		return -EINVAL;
	/* security_mmap_addr: below mmap_min_addr needs CAP_SYS_RAWIO */
	if (addr < mmap_min_addr)
		return -EPERM;
	return addr;
}

/* ---- do_mmap ------------------------------------------------------------ */

#ifndef MAP_DENYWRITE
#define MAP_DENYWRITE 0x0800
#endif
#ifndef MAP_EXECUTABLE
#define MAP_EXECUTABLE 0x1000
#endif
#ifndef MAP_32BIT
#define MAP_32BIT 0x40
#endif
#ifndef MAP_HUGETLB
#define MAP_HUGETLB 0x40000
#endif
#ifndef MAP_NONBLOCK
#define MAP_NONBLOCK 0x10000
#endif

/* the flags MAP_SHARED always accepted; MAP_SHARED_VALIDATE refuses others */
#define LEGACY_MAP_MASK                                                                       \
	(MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE | MAP_EXECUTABLE | \
	 MAP_UNINITIALIZED | MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE |       \
	 MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_32BIT)

static unsigned long round_hint_to_min(unsigned long hint)
{
	hint &= PAGE_MASK;
	if (hint && hint < mmap_min_addr)
		return PAGE_ALIGN(mmap_min_addr);
	return hint;
}

static unsigned long calc_vm_prot_bits(unsigned long prot)
{
	return (prot & PROT_READ ? VM_READ : 0) | (prot & PROT_WRITE ? VM_WRITE : 0) |
	       (prot & PROT_EXEC ? VM_EXEC : 0);
}

/* calc_vm_flag_bits: MAP_STACK asks for no huge pages (CONFIG_TRANSPARENT_HUGEPAGE) */
static unsigned long calc_vm_flag_bits(unsigned long flags)
{
	return (flags & MAP_GROWSDOWN ? VM_GROWSDOWN : 0) | (flags & MAP_LOCKED ? VM_LOCKED : 0) |
	       (flags & MAP_SYNC ? VM_SYNC : 0) | (flags & MAP_STACK ? VM_NOHUGEPAGE : 0);
}

/* file_mmap_ok: the last byte mapped must be a valid file offset */
static bool file_mmap_ok(unsigned long pgoff, unsigned long len)
{
	unsigned long maxsize = (unsigned long)INT64_MAX; /* MAX_LFS_FILESIZE */

	if (len > maxsize)
		return false;
	maxsize -= len;
	return pgoff <= maxsize >> PAGE_SHIFT;
}

/* accountable_mapping: private writable memory is charged (VM_ACCOUNT) */
static bool accountable_mapping(unsigned long vm_flags)
{
	return (vm_flags & (VM_NORESERVE | VM_SHARED | VM_WRITE)) == VM_WRITE;
}

/*
 * mmap_region - map [addr, addr+len) (__mmap_region in mm/vma.c). Anything
 * there is unmapped first; when the new mapping then cannot be made, the
 * old one stays unmapped, as in the kernel (its page tables are gone).
 */
static unsigned long mmap_region(struct mm_struct *mm, struct file *file, unsigned long addr,
				 unsigned long len, unsigned long vm_flags, unsigned long pgoff)
{
	unsigned long end = addr + len, pglen = len >> PAGE_SHIFT, nr_pages = 0;
	struct vm_area_struct *vma, *prev, *next = NULL, *v;
	int err;

	vma = find_vma_links(mm, addr, &prev);
	if (vma && vma->vm_start >= end) {
		next = vma;
		vma = NULL;
	}
	if (vma) {
		/* MAP_FIXED over existing mappings: make them whole VMAs */
		err = vms_gather_munmap_vmas(mm, vma, addr, end);
		if (err)
			return (unsigned long)err;
		for (v = vma; v && v->vm_start < end; v = v->vm_next) {
			nr_pages += vma_pages(v);
			next = v->vm_next;
		}
		prev = vma->vm_prev;
	}

	if (!may_expand_vm(mm, vm_flags, pglen - nr_pages))
		return -ENOMEM;
	if (accountable_mapping(vm_flags))
		vm_flags |= VM_ACCOUNT;

	if (vma)
		vms_complete_munmap_vmas(mm, vma, end);

	vma = NULL;
	if ((prev && prev->vm_end == addr) || (next && next->vm_start == end))
		vma = vma_merge_new_range(mm, prev, next, addr, end, vm_flags, file, pgoff, NULL,
					  NULL, false);
	if (!vma) {
		vma = vm_area_alloc(mm);
		if (!vma)
			return -ENOMEM;
		vma->vm_start = addr;
		vma->vm_end = end;
		vma->vm_pgoff = pgoff;
		vma->vm_flags = vm_flags;
		if (file) {
			get_file(file);
			vma->vm_file = file;
		} else if (vm_flags & VM_SHARED) {
			/* shmem_zero_setup: shared anonymous memory is a file */
			vma->vm_file = shmem_zero_file((long long)len);
			if (!vma->vm_file) {
				vm_area_free(vma);
				return -ENOMEM;
			}
		}
		vma_link_after(mm, vma, prev);
	}

	/* __mmap_complete */
	vm_stat_account(mm, vma->vm_flags, (long)pglen);
	if (vma->vm_flags & VM_LOCKED) {
		/* what mlock would not lock is not locked by MAP_LOCKED or
		 * mlockall(MCL_FUTURE) either */
		if (vma->vm_flags & (VM_SPECIAL | VM_DROPPABLE))
			vma->vm_flags &= ~VM_LOCKED_MASK;
		else
			mm->locked_vm += pglen;
	}
	/* the kernel marks new mappings VM_SOFTDIRTY only with
	 * CONFIG_MEM_SOFT_DIRTY, which this machine's kernel lacks */
	return addr;
}

unsigned long do_mmap(struct mm_struct *mm, struct file *file, unsigned long addr,
		      unsigned long len, unsigned long prot, unsigned long flags,
		      unsigned long vm_flags, unsigned long pgoff, unsigned long *populate)
{
	*populate = 0;
	if (!len)
		return -EINVAL;
	if (flags & MAP_FIXED_NOREPLACE)
		flags |= MAP_FIXED;
	if (!(flags & MAP_FIXED))
		addr = round_hint_to_min(addr);
	len = PAGE_ALIGN(len);
	if (!len)
		return -ENOMEM;
	if (pgoff + (len >> PAGE_SHIFT) < pgoff)
		return -EOVERFLOW;
	if (mm->map_count > sysctl_max_map_count)
		return -ENOMEM;

	vm_flags |= calc_vm_prot_bits(prot) | calc_vm_flag_bits(flags) | mm->def_flags |
		    VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
	/* PROT_EXEC alone: the execute-only protection key */
	if (prot == PROT_EXEC)
		vm_flags |= VM_PKEY_EXEC_ONLY;

	addr = get_unmapped_area(mm, file, addr, len, pgoff, flags);
	if (IS_ERR_VALUE(addr))
		return addr;

	if ((flags & MAP_FIXED_NOREPLACE) && find_vma_intersection(mm, addr, addr + len))
		return -EEXIST;
	if ((flags & MAP_LOCKED) && !can_do_mlock(mm))
		return -EPERM;
	if (!mlock_future_ok(mm, vm_flags, len))
		return -EAGAIN;

	if (file) {
		if (!file_mmap_ok(pgoff, len))
			return -EOVERFLOW;
		switch (flags & MAP_TYPE) {
		case MAP_SHARED:
			/* unknown flags are ignored with plain MAP_SHARED */
			flags &= LEGACY_MAP_MASK;
			__attribute__((fallthrough));
		case MAP_SHARED_VALIDATE:
			if (flags & ~LEGACY_MAP_MASK)
				return -EOPNOTSUPP;
			if ((prot & PROT_WRITE) && !(file->f_mode & FMODE_WRITE))
				return -EACCES;
			vm_flags |= VM_SHARED | VM_MAYSHARE;
			if (!(file->f_mode & FMODE_WRITE))
				vm_flags &= ~(VM_MAYWRITE | VM_SHARED);
			__attribute__((fallthrough));
		case MAP_PRIVATE:
			if (!(file->f_mode & FMODE_READ))
				return -EACCES;
			if (file->noexec) {
				if (vm_flags & VM_EXEC)
					return -EPERM;
				vm_flags &= ~VM_MAYEXEC;
			}
			/* a directory has no ->mmap */
			if (file->is_dir)
				return -ENODEV;
			if (vm_flags & VM_GROWSDOWN)
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	} else {
		switch (flags & MAP_TYPE) {
		case MAP_SHARED:
			if (vm_flags & VM_GROWSDOWN)
				return -EINVAL;
			pgoff = 0;
			vm_flags |= VM_SHARED | VM_MAYSHARE;
			break;
		case MAP_DROPPABLE:
			/* a locked, stack or hugetlb area makes no sense to drop */
			if (flags & (MAP_LOCKED | MAP_HUGETLB))
				return -EINVAL;
			if (vm_flags & VM_GROWSDOWN)
				return -EINVAL;
			/* nothing to reserve; nothing to keep across fork or dump */
			vm_flags |= VM_DROPPABLE | VM_NORESERVE | VM_WIPEONFORK | VM_DONTDUMP;
			__attribute__((fallthrough));
		case MAP_PRIVATE:
			/* anon_vma merging wants pgoff to follow the address */
			pgoff = addr >> PAGE_SHIFT;
			break;
		default:
			return -EINVAL;
		}
	}

	/* honoured: overcommit is not OVERCOMMIT_NEVER */
	if (flags & MAP_NORESERVE)
		vm_flags |= VM_NORESERVE;

	addr = mmap_region(mm, file, addr, len, vm_flags, pgoff);
	if (!IS_ERR_VALUE(addr) &&
	    ((vm_flags & VM_LOCKED) || (flags & (MAP_POPULATE | MAP_NONBLOCK)) == MAP_POPULATE))
		*populate = len;
	return addr;
}

long sys_mmap(struct mm_struct *mm, unsigned long addr, unsigned long len, unsigned long prot,
	      unsigned long flags, struct file *file, unsigned long off)
{
	unsigned long ret, populate;

	if (off & ~PAGE_MASK)
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS)) {
		if (!file)
			return -EBADF;
		/* no file here is on hugetlbfs */
		if (flags & MAP_HUGETLB)
			return -EINVAL;
	} else {
		file = NULL;
		/* anonymous huge pages come from the hugetlb pool: it is empty
		 * (vm.nr_hugepages = 0), so the reservation fails */
		if (flags & MAP_HUGETLB)
			return -ENOMEM;
	}

	down_write(&mm->mmap_sem);
	ret = do_mmap(mm, file, addr, len, prot, flags, 0, off >> PAGE_SHIFT, &populate);
	if (populate)
		mm_populate(mm, ret, populate);
	up_write(&mm->mmap_sem);
	return (long)ret;
}

long sys_munmap(struct mm_struct *mm, unsigned long addr, unsigned long len)
{
	long ret;

	down_write(&mm->mmap_sem);
	ret = do_munmap(mm, addr, len);
	up_write(&mm->mmap_sem);
	return ret;
}

/* ---- populating (mm/gup.c) ---------------------------------------------- */

/*
 * fault_in_vma - fault [start, end) of @vma in, writing if @write; returns
 * the pages done. The VMA-level rules come first: a write fault on private
 * memory gives it an anon_vma (the kernel prepares it before it even reads
 * the file page), and a file page at or beyond the end of the file is
 * SIGBUS, which get_user_pages reports as -EFAULT once the pages before it
 * are done. The pages themselves come from the page layer
 * (mmk_populate_range: handle_mm_fault page by page).
 */
static long fault_in_vma(struct vm_area_struct *vma, unsigned long start, unsigned long end,
			 bool write)
{
	unsigned long nr = (end - start) >> PAGE_SHIFT;
	long done;

	if (write && !(vma->vm_flags & VM_SHARED) && anon_vma_prepare(vma))
		return -ENOMEM;
	if (vma->vm_file) {
		unsigned long size = vma->vm_file->i_size > 0 ? (unsigned long)vma->vm_file->i_size : 0;
		unsigned long eof = (size + PAGE_SIZE - 1) >> PAGE_SHIFT;
		unsigned long pg = vma_pgoff_offset(vma, start);

		if (pg >= eof)
			return -EFAULT;
		if (nr > eof - pg)
			nr = eof - pg;
	}
	/* the page layer's faults (handle_mm_fault per page) */
	done = mmk_populate_range(vma, start, start + (nr << PAGE_SHIFT), write);
	if (done < 0)
		return done;
	return done < (long)nr ? (done ? done : -ENOMEM) : (long)nr;
}

long populate_vma_page_range(struct vm_area_struct *vma, unsigned long start, unsigned long end)
{
	/* VM_LOCKONFAULT has never faulted anything in here */
	if (vma->vm_flags & VM_LOCKONFAULT)
		return (long)((end - start) >> PAGE_SHIFT);
	/* FOLL_FORCE is only given to accessible VMAs: PROT_NONE fails */
	if (!vma_is_accessible(vma))
		return -EFAULT;
	/* the execute-only protection key denies the data read that
	 * get_user_pages does, FOLL_FORCE or not */
	if (vma->vm_flags & VM_PKEY_EXEC_ONLY)
		return -EFAULT;
	/* writable private memory is touched with a write fault (breaking
	 * COW), everything else with a read fault */
	return fault_in_vma(vma, start, end, (vma->vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE);
}

/* faultin_page_range for MADV_POPULATE_(READ|WRITE): no FOLL_FORCE; a hole
 * is -ENOMEM, an incompatible VMA -EINVAL (after the part before it) */
long faultin_page_range(struct mm_struct *mm, unsigned long start, unsigned long end, bool write)
{
	while (start < end) {
		struct vm_area_struct *vma = vma_lookup(mm, start);
		unsigned long stop;
		long ret;

		if (!vma)
			return -ENOMEM;
		if (vma->vm_flags & (VM_IO | VM_PFNMAP))
			return -EINVAL;
		if (write ? !(vma->vm_flags & VM_WRITE) : !(vma->vm_flags & VM_READ))
			return -EINVAL;
		stop = end < vma->vm_end ? end : vma->vm_end;
		ret = fault_in_vma(vma, start, stop, write);
		if (ret < 0)
			return ret;
		start += (unsigned long)ret << PAGE_SHIFT;
	}
	return 0;
}

int __mm_populate(struct mm_struct *mm, unsigned long start, unsigned long len, int ignore_errors)
{
	unsigned long end = start + len, nstart, nend;
	struct vm_area_struct *vma = NULL;
	long ret = 0;

	for (nstart = start; nstart < end; nstart = nend) {
		if (!vma || nstart >= vma->vm_end)
			vma = find_vma_intersection(mm, nstart, end);
		if (!vma)
			break;
		nend = end < vma->vm_end ? end : vma->vm_end;
		if (vma->vm_flags & (VM_IO | VM_PFNMAP))
			continue;
		if (nstart < vma->vm_start)
			nstart = vma->vm_start;
		ret = populate_vma_page_range(vma, nstart, nend);
		if (ret < 0) {
			if (ignore_errors) {
				ret = 0;
				continue;
			}
			break;
		}
		nend = nstart + ((unsigned long)ret << PAGE_SHIFT);
		ret = 0;
	}
	return (int)ret;
}

/* ---- brk ---------------------------------------------------------------- */

/* the heap's flags: VM_DATA_DEFAULT_FLAGS of x86-64 with NX (no VM_EXEC) */
#define BRK_VM_FLAGS (VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)

/* check_brk_limits: the new part must be placeable and lockable */
static int check_brk_limits(struct mm_struct *mm, unsigned long addr, unsigned long len)
{
	unsigned long mapped = get_unmapped_area(mm, NULL, addr, len, 0, MAP_FIXED);

	if (IS_ERR_VALUE(mapped))
		return (int)mapped;
	return mlock_future_ok(mm, mm->def_flags, len) ? 0 : -EAGAIN;
}

/* do_brk_flags: grow the heap over [addr, addr+len), extending @brkvma
 * when it ends at @addr and can take it */
static int do_brk_flags(struct mm_struct *mm, struct vm_area_struct *brkvma, unsigned long addr,
			unsigned long len)
{
	unsigned long flags = BRK_VM_FLAGS | VM_ACCOUNT | mm->def_flags;
	struct vm_area_struct *vma = NULL, *next;

	if (!may_expand_vm(mm, flags, len >> PAGE_SHIFT))
		return -ENOMEM;
	if (mm->map_count > sysctl_max_map_count)
		return -ENOMEM;
	if (brkvma && brkvma->vm_end == addr)
		vma = vma_merge_new_range(mm, brkvma, NULL, addr, addr + len, flags, NULL,
					  addr >> PAGE_SHIFT, NULL, NULL, true);
	if (!vma) {
		vma = vm_area_alloc(mm);
		if (!vma)
			return -ENOMEM;
		vma->vm_start = addr;
		vma->vm_end = addr + len;
		vma->vm_pgoff = addr >> PAGE_SHIFT;
		vma->vm_flags = flags;
		find_vma_links(mm, addr, &next);
		vma_link_after(mm, vma, next);
	}
	mm->total_vm += len >> PAGE_SHIFT;
	mm->data_vm += len >> PAGE_SHIFT;
	if (flags & VM_LOCKED)
		mm->locked_vm += len >> PAGE_SHIFT;
	return 0;
}

/* check_data_rlimit: heap plus initialised data within RLIMIT_DATA */
static bool brk_over_rlimit(struct mm_struct *mm, unsigned long brk)
{
	unsigned long rlim = mm->rlim[MMK_RLIMIT_DATA];

	if (rlim == MMK_RLIM_INFINITY)
		return false;
	return (brk - mm->start_brk) + (mm->end_data - mm->start_data) > rlim;
}

unsigned long sys_brk(struct mm_struct *mm, unsigned long brk)
{
	unsigned long newbrk, oldbrk, origbrk;
	struct vm_area_struct *brkvma, *next;
	bool populate = false;

	down_write(&mm->mmap_sem);
	origbrk = mm->brk;
	if (brk < mm->start_brk)
		goto out;
	if (brk_over_rlimit(mm, brk))
		goto out;

	newbrk = PAGE_ALIGN(brk);
	oldbrk = PAGE_ALIGN(mm->brk);
	if (oldbrk == newbrk) {
		mm->brk = brk;
		goto success;
	}

	if (brk <= mm->brk) {
		/* shrinking is always allowed, if the heap VMA is there */
		brkvma = find_vma_intersection(mm, newbrk, oldbrk);
		if (!brkvma || brkvma->vm_start >= oldbrk)
			goto out;
		mm->brk = brk;
		if (do_vmi_align_munmap(mm, brkvma, newbrk > brkvma->vm_start ? newbrk : brkvma->vm_start,
					oldbrk))
			goto out;
		goto success;
	}

	if (check_brk_limits(mm, oldbrk, newbrk - oldbrk))
		goto out;
	/* keep a page and the next VMA's guard gap free above the heap */
	next = find_vma(mm, oldbrk);
	if (next && newbrk + PAGE_SIZE > vm_start_gap(next))
		goto out;
	/* the heap VMA: the one below oldbrk, if it is above start_brk */
	brkvma = next ? next->vm_prev : vma_last(mm);
	if (brkvma && brkvma->vm_end <= mm->start_brk)
		brkvma = NULL;
	if (do_brk_flags(mm, brkvma, oldbrk, newbrk - oldbrk) < 0)
		goto out;
	mm->brk = brk;
	if (mm->def_flags & VM_LOCKED)
		populate = true;
success:
	if (populate)
		mm_populate(mm, oldbrk, newbrk - oldbrk);
	up_write(&mm->mmap_sem);
	return brk;
out:
	mm->brk = origbrk;
	up_write(&mm->mmap_sem);
	return origbrk;
}

/* ---- special mappings (mm/vma.c: __install_special_mapping) ------------- */

int install_special_mapping(struct mm_struct *mm, unsigned long addr, unsigned long len,
			    unsigned long vm_flags, const struct vm_special_mapping *spec)
{
	struct vm_area_struct *vma;
	int ret;

	if (!len || (addr & ~PAGE_MASK) || (len & ~PAGE_MASK) || addr + len < addr)
		return -EINVAL;
	down_write(&mm->mmap_sem);
	vma = vm_area_alloc(mm);
	if (!vma) {
		ret = -ENOMEM;
		goto out;
	}
	vma->vm_start = addr;
	vma->vm_end = addr + len;
	vma->vm_pgoff = 0;
	vma->vm_flags = (vm_flags | mm->def_flags | VM_DONTEXPAND) & ~VM_LOCKED_MASK;
	vma->vm_special = spec;
	ret = insert_vm_struct(mm, vma);
	if (ret) {
		vm_area_free(vma);
		goto out;
	}
	vm_stat_account(mm, vma->vm_flags, (long)(len >> PAGE_SHIFT));
out:
	up_write(&mm->mmap_sem);
	return ret;
}

/* ---- fork and exit ------------------------------------------------------ */

/*
 * dup_mmap - copy @oldmm's VMAs into the new @mm (kernel/fork.c, now
 * mm/mmap.c). VM_DONTCOPY VMAs are skipped and unaccounted; a
 * VM_WIPEONFORK VMA starts with no anon_vma; every other VMA with an
 * anon_vma gets a forked one; mlock does not inherit. On -ENOMEM the VMAs
 * copied so far stay in @mm for exit_mmap to tear down.
 */
int dup_mmap(struct mm_struct *mm, struct mm_struct *oldmm)
{
	struct vm_area_struct *mpnt, *tmp, *prev = NULL;
	int retval = 0;

	down_write(&oldmm->mmap_sem);
	down_write(&mm->mmap_sem);
	mm->total_vm = oldmm->total_vm;
	mm->data_vm = oldmm->data_vm;
	mm->exec_vm = oldmm->exec_vm;
	mm->stack_vm = oldmm->stack_vm;
	mm->locked_vm = 0;

	for (mpnt = oldmm->mmap; mpnt; mpnt = mpnt->vm_next) {
		if (mpnt->vm_flags & VM_DONTCOPY) {
			vm_stat_account(mm, mpnt->vm_flags, -(long)vma_pages(mpnt));
			continue;
		}
		tmp = vm_area_dup(mpnt);
		if (!tmp) {
			retval = -ENOMEM;
			break;
		}
		tmp->vm_mm = mm;
		if (tmp->vm_flags & VM_WIPEONFORK) {
			/* a clean slate: the first fault prepares an anon_vma */
			tmp->anon_vma = NULL;
			tmp->anon_vma_chain_len = 0;
		} else if (anon_vma_fork(tmp, mpnt)) {
			vm_area_free(tmp);
			retval = -ENOMEM;
			break;
		}
		tmp->vm_flags &= ~VM_LOCKED_MASK;
		if (tmp->vm_file)
			get_file(tmp->vm_file);
		vma_link_after(mm, tmp, prev);
		prev = tmp;
		/* the child starts with the parent's pages (COW for private
		 * ones), except where the VMA is to be wiped */
		if (!(tmp->vm_flags & VM_WIPEONFORK)) {
			retval = copy_page_range(tmp, mpnt);
			if (retval)
				break;
		}
	}
	up_write(&mm->mmap_sem);
	up_write(&oldmm->mmap_sem);
	return retval;
}

/* vma.c: forget the find_vma index of @mm (it is losing every VMA) */
void vma_index_drop(struct mm_struct *mm);

/* exit_mmap - the last user is gone: every VMA goes, the mm is empty */
void exit_mmap(struct mm_struct *mm)
{
	struct vm_area_struct *vma, *next;

	down_write(&mm->mmap_sem);
	vma_index_drop(mm);
	/* every page and every page table goes first */
	exit_mmap_pages(mm);
	for (vma = mm->mmap; vma; vma = next) {
		next = vma->vm_next;
		remove_vma(vma);
	}
	mm->mmap = NULL;
	mm->mm_rb = RB_ROOT;
	__atomic_store_n(&mm->mmap_cache, NULL, __ATOMIC_RELAXED);
	mm->map_count = 0;
	mm->highest_vm_end = 0;
	mm->total_vm = mm->data_vm = mm->exec_vm = mm->stack_vm = 0;
	mm->locked_vm = 0;
	up_write(&mm->mmap_sem);
}
