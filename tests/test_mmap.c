// SPDX-License-Identifier: MIT
/*
 * tests/test_mmap.c - the address-space system calls against what Linux
 * 6.18 on x86-64 does (checked on this machine with `setarch -R`):
 * placement, every errno path, brk, mlock accounting, madvise, mremap.
 * Drawings: pages from BASE (0x100000000), one letter per VMA.
 */
#include "vma_helpers.h"

#define TOP 0x7ffff7fff000UL /* mmap_base of a fresh mm, 8 MiB stack limit */

/* ---- placement --------------------------------------------------------- */

TEST(layout)
{
	struct mm_struct *mm = setup_mm();

	CHECK_EQ(mm->mmap_base, TOP);
	CHECK_EQ(mm->mmap_legacy_base, 0x2aaaaaaab000UL);
	CHECK_EQ(mm->task_size, 0x7ffffffff000UL);
	CHECK_EQ(mm->legacy_layout, 0);
	/* a 1 GiB stack limit moves the base down by limit + guard gap */
	mm->rlim[MMK_RLIMIT_STACK] = 1UL << 30;
	arch_pick_mmap_layout(mm);
	CHECK_EQ(mm->mmap_base, 0x7ffffffff000UL - (1UL << 30) - (1UL << 20));
	/* unlimited: still top-down, the gap clamped to 5/6 of the window */
	mm->rlim[MMK_RLIMIT_STACK] = MMK_RLIM_INFINITY;
	arch_pick_mmap_layout(mm);
	CHECK_EQ(mm->legacy_layout, 0);
	CHECK_EQ(mm->mmap_base, PAGE_ALIGN(0x7ffffffff000UL - (0x7ffffffff000UL / 6) * 5));
	sysctl_legacy_va_layout = 1;
	arch_pick_mmap_layout(mm);
	CHECK_EQ(mm->legacy_layout, 1);
	CHECK_EQ(mm->mmap_base, 0x2aaaaaaab000UL);
	sysctl_legacy_va_layout = 0;
	teardown_mm(mm);
}

/* top-down from 0x7ffff7fff000; consecutive anonymous mappings merge */
TEST(topdown)
{
	struct mm_struct *mm = setup_mm();

	CHECK_EQ(sys_mmap(mm, 0, 4096, RW, ANON, NULL, 0), 0x7ffff7ffe000L);
	CHECK_EQ(sys_mmap(mm, 0, 4096, RW, ANON, NULL, 0), 0x7ffff7ffd000L);
	CHECK_EQ(mm->map_count, 1);
	/* a length that is not page aligned is rounded up */
	CHECK_EQ(sys_mmap(mm, 0, 5000, PROT_READ, ANON, NULL, 0), 0x7ffff7ffb000L);
	CHECK_EQ(mm->map_count, 2);
	/* 2 MiB multiples without a hint are aligned for huge pages, and an
	 * already aligned candidate moves up by 2 MiB (seen on this machine) */
	CHECK_EQ(sys_mmap(mm, 0, 2UL << 20, RW, ANON, NULL, 0), 0x7ffff7c00000L);
	CHECK_EQ(sys_mmap(mm, 0, 4UL << 20, RW, ANON, NULL, 0), 0x7ffff7800000L);
	/* shared anonymous memory too; 3 MiB is not a multiple: no alignment */
	CHECK_EQ(sys_mmap(mm, 0, 2UL << 20, RW, MAP_SHARED | MAP_ANONYMOUS, NULL, 0),
		 0x7ffff7600000L);
	CHECK_EQ(sys_mmap(mm, 0, 3UL << 20, RW, ANON, NULL, 0), 0x7ffff7300000L);
	/* the 2 MiB mapping merged with the 4 MiB one below it */
	CHECK_EQ(vma_lookup(mm, 0x7ffff7800000UL)->vm_end, 0x7ffff7e00000UL);
	/* a free hint is taken as is, an occupied one is not: the highest
	 * free gap is the one the alignment left below 0x7ffff7ffb000 */
	CHECK_EQ(sys_mmap(mm, 0x10000000, 4096, RW, ANON, NULL, 0), 0x10000000L);
	CHECK_EQ(sys_mmap(mm, 0x10000000, 4096, PROT_READ, ANON, NULL, 0), 0x7ffff7ffa000L);
	/* a hint below mmap_min_addr is raised to it; one below a page is none */
	CHECK_EQ(sys_mmap(mm, 0x10, 4096, RW, ANON, NULL, 0), 0x7ffff7ff9000L);
	mmap_min_addr = 0x10000;
	CHECK_EQ(sys_mmap(mm, 0x2000, 4096, RW, ANON, NULL, 0), 0x10000L);
	mmap_min_addr = 4096;
	/* MAP_32BIT: bottom-up in 1-2 GiB */
	CHECK_EQ(sys_mmap(mm, 0, 4096, RW, ANON | 0x40, NULL, 0), 0x40000000L);
	CHECK_EQ(validate_mm(mm), 0);
	teardown_mm(mm);
}

/* the legacy layout: bottom-up from TASK_UNMAPPED_BASE */
TEST(bottomup)
{
	struct mm_struct *mm;

	sysctl_legacy_va_layout = 1;
	mm = setup_mm();
	CHECK_EQ(sys_mmap(mm, 0, 4096, RW, ANON, NULL, 0), 0x2aaaaaaab000L);
	CHECK_EQ(sys_mmap(mm, 0, 4096, PROT_READ, ANON, NULL, 0), 0x2aaaaaaac000L);
	CHECK_EQ(sys_mmap(mm, 0, 2UL << 20, RW, ANON, NULL, 0), 0x2aaaaac00000L);
	sysctl_legacy_va_layout = 0;
	teardown_mm(mm);
}

/* with 5-level paging, only hints above 47 bits get addresses there */
TEST(five_level)
{
	struct mm_struct *mm;

	mmk_five_level = 1;
	mm = setup_mm();
	CHECK_EQ(mm->task_size, (1UL << 56) - PAGE_SIZE);
	CHECK_EQ(sys_mmap(mm, 0, 4096, RW, ANON, NULL, 0), 0x7ffff7ffe000L);
	CHECK_EQ(sys_mmap(mm, 1UL << 50, 4096, RW, ANON, NULL, 0), (long)(1UL << 50));
	/* a hint above the window that is taken: search the whole space */
	CHECK_EQ(sys_mmap(mm, 1UL << 50, 4096, PROT_READ, ANON, NULL, 0),
		 (long)(TOP + ((1UL << 56) - PAGE_SIZE) - ((1UL << 47) - PAGE_SIZE) - PAGE_SIZE));
	mmk_five_level = 0;
	teardown_mm(mm);
	mm = setup_mm();
	/* 4-level: the same hint does not fit, the search stays below */
	CHECK_EQ(sys_mmap(mm, 1UL << 50, 4096, RW, ANON, NULL, 0), 0x7ffff7ffe000L);
	teardown_mm(mm);
}

/* ---- mmap errors, in the kernel's order -------------------------------- */

TEST(mmap_errors)
{
	struct mm_struct *mm = setup_mm();
	struct file *ro = mmk_file_open("/etc/passwd", FMODE_READ);
	struct file *wo = mmk_file_create("/tmp/wo", 8, 1, 42, 8192, FMODE_WRITE);
	struct file *nx = mmk_file_create("/mnt/nx", 8, 1, 43, 8192, FMODE_READ);
	struct file *dir = mmk_file_open("/tmp", FMODE_READ);
	int saved = sysctl_max_map_count;

	CHECK(!IS_ERR(ro) && !IS_ERR(wo) && !IS_ERR(nx) && !IS_ERR(dir));
	nx->noexec = true;
	CHECK(dir->is_dir);
	CHECK_EQ(PTR_ERR(mmk_file_open("/nonexistent/x", FMODE_READ)), -ENOENT);

	CHECK_EQ(sys_mmap(mm, 0, 4096, RW, ANON, NULL, 1), -EINVAL);        /* unaligned offset */
	CHECK_EQ(sys_mmap(mm, 0, 4096, PROT_READ, MAP_PRIVATE, NULL, 0), -EBADF);
	CHECK_EQ(sys_mmap(mm, 0, 0, RW, ANON, NULL, 0), -EINVAL);           /* len 0 */
	CHECK_EQ(sys_mmap(mm, 0, -4096UL, RW, ANON, NULL, 0), -ENOMEM);      /* aligns to 0 */
	CHECK_EQ(sys_mmap(mm, 0, 8192, PROT_READ, MAP_PRIVATE, ro, -4096UL), -EOVERFLOW);
	CHECK_EQ(sys_mmap(mm, 0, -8192UL, RW, ANON, NULL, 0), -ENOMEM);      /* > TASK_SIZE */
	CHECK_EQ(sys_mmap(mm, AT(0) + 8, 4096, RW, ANON | MAP_FIXED, NULL, 0), -EINVAL);
	CHECK_EQ(sys_mmap(mm, 0x7ffffffff000UL, 8192, RW, ANON | MAP_FIXED, NULL, 0), -ENOMEM);
	CHECK_EQ(sys_mmap(mm, 0, 4096, RW, ANON | MAP_FIXED, NULL, 0), -EPERM); /* < mmap_min_addr */
	CHECK_EQ(sys_mmap(mm, 0, 4096, RW, MAP_ANONYMOUS, NULL, 0), -EINVAL); /* no type */
	CHECK_EQ(sys_mmap(mm, 0, 4096, RW, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, NULL, 0), -EINVAL);
	CHECK_EQ(sys_mmap(mm, 0, 4096, PROT_READ, MAP_SHARED_VALIDATE | 0x800000, ro, 0), -EOPNOTSUPP);
	CHECK_EQ(sys_mmap(mm, AT(50), 4096, PROT_READ, MAP_SHARED_VALIDATE | MAP_FIXED_NOREPLACE, ro, 0),
		 -EOPNOTSUPP); /* NOREPLACE is no legacy flag: so on this kernel */
	CHECK(sys_mmap(mm, 0, 4096, PROT_READ, MAP_SHARED | 0x800000, ro, 0) > 0); /* ignored */
	CHECK_EQ(sys_mmap(mm, 0, 4096, RW, MAP_SHARED, ro, 0), -EACCES);    /* write, not opened so */
	CHECK_EQ(sys_mmap(mm, 0, 4096, PROT_READ, MAP_PRIVATE, wo, 0), -EACCES); /* not readable */
	CHECK_EQ(sys_mmap(mm, 0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, nx, 0), -EPERM);
	CHECK(sys_mmap(mm, 0, 4096, PROT_READ, MAP_PRIVATE, nx, 0) > 0);
	CHECK_EQ(sys_mmap(mm, 0, 4096, PROT_READ, MAP_PRIVATE, dir, 0), -ENODEV);
	CHECK_EQ(sys_mmap(mm, 0, 4096, PROT_READ, MAP_PRIVATE | MAP_GROWSDOWN, ro, 0), -EINVAL);
	CHECK_EQ(sys_mmap(mm, 0, 4096, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN, NULL, 0), -EINVAL);
	CHECK_EQ(sys_mmap(mm, 0, 4096, PROT_READ, 0, ro, 0), -EINVAL);      /* no type, file */
	CHECK_EQ(sys_mmap(mm, 0, 2UL << 20, RW, ANON | MAP_HUGETLB, NULL, 0), -ENOMEM);
	/* the map count */
	sysctl_max_map_count = mm->map_count - 1;
	CHECK_EQ(sys_mmap(mm, 0, 4096, RW, ANON, NULL, 0), -ENOMEM);
	sysctl_max_map_count = saved;
	CHECK_EQ(validate_mm(mm), 0);
	fput(ro);
	fput(wo);
	fput(nx);
	fput(dir);
	teardown_mm(mm);
}

TEST(mmap_rlimits)
{
	struct mm_struct *mm = setup_mm();

	/* RLIMIT_AS: everything counts */
	mm->rlim[MMK_RLIMIT_AS] = PG(16);
	CHECK(sys_mmap(mm, 0, PG(10), PROT_READ, ANON, NULL, 0) > 0);
	CHECK_EQ(sys_mmap(mm, 0, PG(7), PROT_READ, ANON, NULL, 0), -ENOMEM);
	CHECK(sys_mmap(mm, 0, PG(6), PROT_READ, MAP_SHARED | MAP_ANONYMOUS, NULL, 0) > 0);
	mm->rlim[MMK_RLIMIT_AS] = MMK_RLIM_INFINITY;
	/* RLIMIT_DATA: private writable only */
	mm->rlim[MMK_RLIMIT_DATA] = PG(4);
	CHECK_EQ(sys_mmap(mm, 0, PG(8), RW, ANON, NULL, 0), -ENOMEM);
	CHECK(sys_mmap(mm, 0, PG(8), RW, MAP_SHARED | MAP_ANONYMOUS, NULL, 0) > 0);
	CHECK(sys_mmap(mm, 0, PG(8), PROT_READ, ANON, NULL, 0) > 0);
	CHECK(sys_mmap(mm, 0, PG(4), RW, ANON, NULL, 0) > 0);
	/* mprotect into data is refused too */
	map_at(mm, 0, 1, PROT_READ);
	CHECK_EQ(sys_mprotect(mm, AT(0), PG(1), RW), -ENOMEM);
	mm->rlim[MMK_RLIMIT_DATA] = MMK_RLIM_INFINITY;
	CHECK_EQ(sys_mprotect(mm, AT(0), PG(1), RW), 0);
	teardown_mm(mm);
}

/* shared anonymous memory is a shmem file; files keep references */
TEST(mmap_files)
{
	struct mm_struct *mm = setup_mm();
	struct file *f = mmk_file_open("/etc/passwd", FMODE_READ);
	struct vm_area_struct *vma;
	long a;

	CHECK(!IS_ERR(f));
	CHECK_STR(f->f_path, "/etc/passwd");
	a = sys_mmap(mm, 0, PG(2), RW, MAP_SHARED | MAP_ANONYMOUS, NULL, PG(5));
	vma = vma_lookup(mm, (unsigned long)a);
	CHECK(vma && vma->vm_file && vma->vm_file->shmem);
	CHECK_STR(vma->vm_file->f_path, "/dev/zero (deleted)");
	CHECK_EQ(vma->vm_file->dev_major, 0u);
	CHECK_EQ(vma->vm_file->dev_minor, 1u);
	CHECK(vma->vm_file->i_ino > 1024);
	CHECK_EQ(vma->vm_pgoff, 0UL);
	CHECK_EQ(vma->vm_flags & (VM_SHARED | VM_MAYSHARE), VM_SHARED | VM_MAYSHARE);
	CHECK_EQ(mm->data_vm, 0UL);

	a = sys_mmap(mm, 0, PG(2), PROT_READ, MAP_PRIVATE, f, PG(1));
	vma = vma_lookup(mm, (unsigned long)a);
	CHECK(vma->vm_file == f);
	CHECK_EQ(vma->vm_pgoff, 1UL);
	CHECK_EQ(atomic_read(&f->f_count), 2);
	/* a split takes another reference */
	CHECK_EQ(sys_mprotect(mm, (unsigned long)a, PG(1), PROT_NONE), 0);
	CHECK_EQ(atomic_read(&f->f_count), 3);
	CHECK_EQ(vma_lookup(mm, (unsigned long)a + PG(1))->vm_pgoff, 2UL);
	/* read-only file, MAP_SHARED: VM_MAYSHARE without VM_SHARED/VM_MAYWRITE */
	a = sys_mmap(mm, 0, PG(1), PROT_READ, MAP_SHARED, f, 0);
	vma = vma_lookup(mm, (unsigned long)a);
	CHECK_EQ(vma->vm_flags & (VM_SHARED | VM_MAYSHARE | VM_MAYWRITE), VM_MAYSHARE);
	CHECK_EQ(sys_mprotect(mm, (unsigned long)a, PG(1), RW), -EACCES);
	CHECK_EQ(sys_mprotect(mm, (unsigned long)a, PG(1), PROT_READ | PROT_EXEC), 0);
	CHECK_EQ(mm->exec_vm, 1UL);
	fput(f);
	teardown_mm(mm);
}

/* accounting classes and the high-water mark */
TEST(accounting)
{
	struct mm_struct *mm = setup_mm();

	map_at(mm, 0, 4, RW);                       /* data */
	map_at(mm, 5, 7, PROT_READ | PROT_EXEC);    /* exec */
	map_at(mm, 8, 9, PROT_READ);                /* none */
	CHECK_EQ(sys_mmap(mm, AT(12), PG(3), RW, ANON | MAP_FIXED | MAP_GROWSDOWN, NULL, 0),
		 (long)AT(12)); /* stack */
	CHECK_EQ(mm->total_vm, 10UL);
	CHECK_EQ(mm->data_vm, 4UL);
	CHECK_EQ(mm->exec_vm, 2UL);
	CHECK_EQ(mm->stack_vm, 3UL);
	CHECK(vma_at(mm, 0)->vm_flags & VM_ACCOUNT);
	CHECK(!(vma_at(mm, 0)->vm_flags & VM_SOFTDIRTY)); /* no CONFIG_MEM_SOFT_DIRTY */
	CHECK(!(vma_at(mm, 8)->vm_flags & VM_ACCOUNT));
	CHECK_EQ(sys_munmap(mm, AT(0), PG(4)), 0);
	CHECK_EQ(mm->hiwater_vm, 10UL);
	CHECK_EQ(mm->total_vm, 6UL);
	/* MAP_NORESERVE: not charged */
	CHECK_EQ(sys_mmap(mm, AT(20), PG(1), RW, ANON | MAP_FIXED | MAP_NORESERVE, NULL, 0), (long)AT(20));
	CHECK_EQ(vma_at(mm, 20)->vm_flags & (VM_ACCOUNT | VM_NORESERVE), VM_NORESERVE);
	/* MAP_STACK: no huge pages */
	CHECK_EQ(sys_mmap(mm, AT(22), PG(1), RW, ANON | MAP_FIXED | MAP_STACK, NULL, 0), (long)AT(22));
	CHECK(vma_at(mm, 22)->vm_flags & VM_NOHUGEPAGE);
	teardown_mm(mm);
}

/* ---- munmap ------------------------------------------------------------ */

TEST(munmap)
{
	struct mm_struct *mm = setup_mm();

	map_at(mm, 0, 8, RW);
	CHECK_EQ(sys_munmap(mm, AT(0) + 1, PG(1)), -EINVAL);
	CHECK_EQ(sys_munmap(mm, AT(0), 0), -EINVAL);
	CHECK_EQ(sys_munmap(mm, 0x800000000000UL, PG(1)), -EINVAL);
	CHECK_EQ(sys_munmap(mm, AT(0), -PG(1)), -EINVAL);
	CHECK_EQ(sys_munmap(mm, AT(20), PG(4)), 0);            /* nothing there */
	CHECK_EQ(sys_munmap(mm, AT(2), 1), 0);                 /* len rounds up */
	CHECK_STR(draw(mm), "AA BBBBB");
	CHECK_EQ(sys_munmap(mm, AT(1), PG(6)), 0);             /* across a hole */
	CHECK_STR(draw(mm), "A      B");
	CHECK_EQ(mm->total_vm, 2UL);
	teardown_mm(mm);
}

/* ---- mprotect ---------------------------------------------------------- */

/*   0123456789
 *   AAAA  BBBB   mprotect 2-8 r: -ENOMEM at the hole, 2-4 changed
 */
TEST(mprotect_errors)
{
	struct mm_struct *mm = setup_mm();

	map_at(mm, 0, 4, RW);
	map_at(mm, 6, 10, RW);
	CHECK_EQ(sys_mprotect(mm, AT(0) + 1, PG(1), PROT_READ), -EINVAL);
	CHECK_EQ(sys_mprotect(mm, AT(0) + 1, 0, PROT_READ), -EINVAL);
	CHECK_EQ(sys_mprotect(mm, AT(0), 0, 0x10), 0);          /* len 0 first */
	CHECK_EQ(sys_mprotect(mm, AT(0), -PG(1), PROT_READ), -ENOMEM);
	CHECK_EQ(sys_mprotect(mm, AT(0), PG(1), 0x10), -EINVAL); /* unknown bit */
	CHECK_EQ(sys_mprotect(mm, AT(0), PG(1), 0x8), 0);        /* PROT_SEM */
	CHECK_EQ(sys_mprotect(mm, AT(0), PG(1), PROT_GROWSDOWN | PROT_GROWSUP | PROT_READ), -EINVAL);
	CHECK_EQ(sys_mprotect(mm, AT(0), PG(1), PROT_GROWSDOWN | PROT_READ), -EINVAL);
	CHECK_EQ(sys_mprotect(mm, AT(0), PG(1), PROT_GROWSUP | PROT_READ), -EINVAL);
	CHECK_EQ(sys_mprotect(mm, AT(4), PG(1), PROT_READ), -ENOMEM); /* hole at start */
	CHECK_EQ(sys_mprotect(mm, AT(2), PG(6), PROT_READ), -ENOMEM);
	CHECK_STR(draw(mm), "ABCC  DDDD");
	CHECK(!(vma_at(mm, 3)->vm_flags & VM_WRITE));
	CHECK(vma_at(mm, 6)->vm_flags & VM_WRITE);
	CHECK_EQ(mm->data_vm, 5UL);
	CHECK_EQ(validate_mm(mm), 0);
	teardown_mm(mm);
}

/* PROT_GROWSDOWN extends the change down to the start of a stack VMA */
TEST(mprotect_growsdown)
{
	struct mm_struct *mm = setup_mm();

	CHECK_EQ(sys_mmap(mm, AT(0), PG(4), RW, ANON | MAP_FIXED | MAP_GROWSDOWN, NULL, 0), (long)AT(0));
	CHECK_EQ(sys_mprotect(mm, AT(2), PG(1), PROT_READ | PROT_GROWSDOWN), 0);
	CHECK_STR(draw(mm), "AAAB");
	CHECK(!(vma_at(mm, 0)->vm_flags & VM_WRITE));
	CHECK(vma_at(mm, 3)->vm_flags & VM_WRITE);
	CHECK_EQ(mm->stack_vm, 4UL);
	teardown_mm(mm);
}

/* ---- brk --------------------------------------------------------------- */

TEST(brk)
{
	struct mm_struct *mm = setup_mm();
	const unsigned long s = 0x555555559000UL;
	struct vm_area_struct *heap;

	mm->start_brk = mm->brk = s;
	CHECK_EQ(sys_brk(mm, 0), s);                   /* the query */
	CHECK_EQ(sys_brk(mm, s - 1), s);               /* below start_brk */
	CHECK_EQ(sys_brk(mm, s + 0x100), s + 0x100);   /* grows a page */
	heap = vma_lookup(mm, s);
	CHECK(heap && heap->vm_end == s + PG(1));
	CHECK_EQ(heap->vm_flags & (VM_READ | VM_WRITE | VM_EXEC | VM_ACCOUNT),
		 VM_READ | VM_WRITE | VM_ACCOUNT);
	CHECK_EQ(sys_brk(mm, s + 0x200), s + 0x200);   /* same page: only brk moves */
	CHECK_EQ(mm->map_count, 1);
	CHECK_EQ(sys_brk(mm, s + PG(33)), s + PG(33)); /* expands in place */
	CHECK(vma_lookup(mm, s) == heap && heap->vm_end == s + PG(33));
	CHECK_EQ(mm->data_vm, 33UL);
	CHECK_EQ(sys_brk(mm, s + PG(1)), s + PG(1));   /* shrink */
	heap = vma_lookup(mm, s); /* the split kept the lower part in a new VMA */
	CHECK_EQ(heap->vm_end, s + PG(1));
	CHECK_EQ(mm->total_vm, 1UL);
	/* RLIMIT_DATA: unchanged */
	mm->rlim[MMK_RLIMIT_DATA] = PG(16);
	CHECK_EQ(sys_brk(mm, s + PG(17)), s + PG(1));
	CHECK_EQ(sys_brk(mm, s + PG(16)), s + PG(16));
	mm->rlim[MMK_RLIMIT_DATA] = MMK_RLIM_INFINITY;
	/* a mapping above: the heap must stay a page below it */
	CHECK_EQ(sys_mmap(mm, s + PG(32), PG(1), RW, ANON | MAP_FIXED, NULL, 0), (long)(s + PG(32)));
	CHECK_EQ(sys_brk(mm, s + PG(31) + 1), s + PG(16));
	CHECK_EQ(sys_brk(mm, s + PG(31)), s + PG(31));
	/* a stack above: its guard gap counts */
	CHECK_EQ(sys_munmap(mm, s + PG(32), PG(1)), 0);
	CHECK_EQ(sys_brk(mm, s + PG(1)), s + PG(1));
	CHECK_EQ(sys_mmap(mm, s + PG(300), PG(1), RW, ANON | MAP_FIXED | MAP_GROWSDOWN, NULL, 0),
		 (long)(s + PG(300)));
	CHECK_EQ(sys_brk(mm, s + PG(100)), s + PG(1));
	CHECK_EQ(sys_brk(mm, s + PG(300) - stack_guard_gap - PG(1)), s + PG(300) - stack_guard_gap - PG(1));
	/* shrinking into a foreign VMA's place fails: nothing to unmap */
	CHECK_EQ(validate_mm(mm), 0);
	/* after mlockall(MCL_FUTURE) the heap grows locked */
	CHECK_EQ(sys_brk(mm, s + PG(1)), s + PG(1));
	CHECK_EQ(sys_mlockall(mm, 2 /* MCL_FUTURE */), 0);
	CHECK_EQ(sys_brk(mm, s + PG(3)), s + PG(3));
	CHECK_EQ(mm->locked_vm, 2UL);
	CHECK_EQ(sys_munlockall(mm), 0);
	teardown_mm(mm);
}

/* ---- mlock ------------------------------------------------------------- */

TEST(mlock)
{
	struct mm_struct *mm = setup_mm();

	map_at(mm, 0, 8, RW);
	CHECK_EQ(sys_mlock(mm, AT(2) + 5, PG(1)), 0);  /* start rounds down, len up */
	CHECK_STR(draw(mm), "AABBCCCC");
	CHECK_EQ(mm->locked_vm, 2UL);
	CHECK(vma_at(mm, 2)->anon_vma != NULL);        /* populated with write faults */
	CHECK_EQ(sys_mlock(mm, AT(0), PG(8)), 0);      /* overlapping: counted once */
	CHECK_STR(draw(mm), "AAAAAAAA");
	CHECK_EQ(mm->locked_vm, 8UL);
	CHECK_EQ(sys_munlock(mm, AT(0), PG(4)), 0);
	CHECK_EQ(mm->locked_vm, 4UL);
	CHECK_EQ(sys_mlock(mm, AT(20), PG(1)), -ENOMEM); /* hole */
	CHECK_EQ(sys_munlock(mm, AT(20), PG(1)), -ENOMEM);
	CHECK_EQ(sys_mlock2(mm, AT(0), PG(1), 2), -EINVAL);
	CHECK_EQ(sys_mlock2(mm, AT(0), PG(1), MLOCK_ONFAULT), 0);
	CHECK_EQ(vma_at(mm, 0)->vm_flags & VM_LOCKED_MASK, VM_LOCKED | VM_LOCKONFAULT);
	CHECK_EQ(mm->locked_vm, 5UL);
	/* RLIMIT_MEMLOCK (8 MiB = 2048 pages) */
	CHECK_EQ(sys_mmap(mm, AT(100), PG(3000), RW, ANON | MAP_FIXED, NULL, 0), (long)AT(100));
	CHECK_EQ(sys_mlock(mm, AT(100), PG(3000)), -ENOMEM);
	CHECK_EQ(sys_mmap(mm, AT(4000), PG(3000), RW, ANON | MAP_FIXED | MAP_LOCKED, NULL, 0), -EAGAIN);
	mm->cap_ipc_lock = true;
	CHECK_EQ(sys_mlock(mm, AT(100), PG(3000)), 0);
	CHECK_EQ(mm->locked_vm, 3005UL);
	mm->cap_ipc_lock = false;
	CHECK_EQ(sys_munlock(mm, AT(100), PG(3000)), 0);
	/* a zero limit: not even allowed to try */
	mm->rlim[MMK_RLIMIT_MEMLOCK] = 0;
	CHECK_EQ(sys_mlock(mm, AT(0), PG(1)), -EPERM);
	CHECK_EQ(sys_mmap(mm, AT(40), PG(1), RW, ANON | MAP_FIXED | MAP_LOCKED, NULL, 0), -EPERM);
	CHECK_EQ(sys_mlockall(mm, 1), -EPERM);
	mm->rlim[MMK_RLIMIT_MEMLOCK] = 8UL << 20;
	/* PROT_NONE: locked, but populating fails: -ENOMEM (as on this machine) */
	map_at(mm, 50, 52, PROT_NONE);
	CHECK_EQ(sys_mlock(mm, AT(50), PG(2)), -ENOMEM);
	CHECK(vma_at(mm, 50)->vm_flags & VM_LOCKED);
	/* MAP_LOCKED counts */
	CHECK_EQ(sys_mmap(mm, AT(60), PG(2), RW, ANON | MAP_FIXED | MAP_LOCKED, NULL, 0), (long)AT(60));
	CHECK(vma_at(mm, 60)->anon_vma != NULL);
	CHECK_EQ(mm->locked_vm, 9UL);
	CHECK_EQ(validate_mm(mm), 0);
	teardown_mm(mm);
}

TEST(mlockall)
{
	struct mm_struct *mm = setup_mm();

	map_at(mm, 0, 2, RW);
	map_at(mm, 3, 5, PROT_READ);
	CHECK_EQ(sys_mlockall(mm, 0), -EINVAL);
	CHECK_EQ(sys_mlockall(mm, MCL_ONFAULT), -EINVAL);
	CHECK_EQ(sys_mlockall(mm, 8), -EINVAL);
	CHECK_EQ(sys_mlockall(mm, 1 | 2), 0);
	CHECK_EQ(mm->locked_vm, 4UL);
	CHECK(mm->def_flags & VM_LOCKED);
	map_at(mm, 6, 7, RW);
	CHECK(vma_at(mm, 6)->vm_flags & VM_LOCKED);
	CHECK_EQ(mm->locked_vm, 5UL);
	CHECK_EQ(sys_munlockall(mm), 0);
	CHECK_EQ(mm->locked_vm, 0UL);
	CHECK(!(mm->def_flags & VM_LOCKED));
	/* MCL_CURRENT over the limit */
	mm->rlim[MMK_RLIMIT_MEMLOCK] = PG(2);
	CHECK_EQ(sys_mlockall(mm, 1), -ENOMEM);
	CHECK_EQ(sys_mlockall(mm, 2), 0);               /* future only: fine */
	CHECK_EQ(sys_mmap(mm, AT(10), PG(3), RW, ANON | MAP_FIXED, NULL, 0), -EAGAIN);
	CHECK_EQ(sys_munlockall(mm), 0);
	teardown_mm(mm);
}

/* ---- madvise ----------------------------------------------------------- */

/*   0123456789
 *   AAAA  BBBB   DONTFORK 2-8: both parts flagged, then -ENOMEM
 */
TEST(madvise)
{
	struct mm_struct *mm = setup_mm();
	long s;

	map_at(mm, 0, 4, RW);
	map_at(mm, 6, 10, RW);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(1), 99), -EINVAL);
	CHECK_EQ(sys_madvise(mm, AT(0) + 1, 0, MADV_NORMAL), -EINVAL);
	CHECK_EQ(sys_madvise(mm, AT(0), 0, MADV_NORMAL), 0);
	CHECK_EQ(sys_madvise(mm, AT(0), -1UL, MADV_NORMAL), -EINVAL);
	CHECK_EQ(sys_madvise(mm, AT(0), -PG(2), MADV_NORMAL), -EINVAL);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(1), 100), -EPERM); /* MADV_HWPOISON */
	CHECK_EQ(sys_madvise(mm, AT(20), PG(1), MADV_DONTNEED), -ENOMEM);
	CHECK_EQ(sys_madvise(mm, AT(2), PG(6), MADV_DONTFORK), -ENOMEM);
	CHECK_STR(draw(mm), "AABB  CCDD");
	CHECK(vma_at(mm, 2)->vm_flags & VM_DONTCOPY);
	CHECK(vma_at(mm, 7)->vm_flags & VM_DONTCOPY);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(10), MADV_DOFORK), -ENOMEM);
	CHECK_STR(draw(mm), "AAAA  BBBB");
	CHECK_EQ(sys_madvise(mm, AT(0), PG(1), MADV_SEQUENTIAL), 0);
	CHECK(vma_at(mm, 0)->vm_flags & VM_SEQ_READ);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(1), MADV_RANDOM), 0);
	CHECK_EQ(vma_at(mm, 0)->vm_flags & (VM_SEQ_READ | VM_RAND_READ), VM_RAND_READ);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(1), MADV_NORMAL), 0);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(4), MADV_HUGEPAGE), 0);
	CHECK_EQ(vma_at(mm, 0)->vm_flags & (VM_HUGEPAGE | VM_NOHUGEPAGE), VM_HUGEPAGE);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(4), MADV_NOHUGEPAGE), 0);
	CHECK_EQ(vma_at(mm, 0)->vm_flags & (VM_HUGEPAGE | VM_NOHUGEPAGE), VM_NOHUGEPAGE);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(4), MADV_DONTDUMP), 0);
	CHECK(vma_at(mm, 0)->vm_flags & VM_DONTDUMP);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(4), MADV_DODUMP), 0);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(4), MADV_MERGEABLE), 0);
	CHECK(vma_at(mm, 0)->vm_flags & VM_MERGEABLE);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(4), MADV_UNMERGEABLE), 0);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(4), MADV_WIPEONFORK), 0);
	CHECK(vma_at(mm, 0)->vm_flags & VM_WIPEONFORK);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(4), MADV_KEEPONFORK), 0);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(4), MADV_WILLNEED), 0);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(4), MADV_FREE), 0);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(4), MADV_DONTNEED), 0);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(4), MADV_COLD), 0);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(4), MADV_PAGEOUT), 0);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(4), 9 /* MADV_REMOVE */), -EINVAL);
	/* locked memory */
	CHECK_EQ(sys_mlock(mm, AT(0), PG(1)), 0);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(1), MADV_DONTNEED), -EINVAL);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(1), 24 /* MADV_DONTNEED_LOCKED */), 0);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(1), MADV_COLD), -EINVAL);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(1), MADV_PAGEOUT), -EINVAL);
	/* shared anonymous: no WIPEONFORK, no FREE; REMOVE punches a hole */
	s = sys_mmap(mm, 0, PG(2), RW, MAP_SHARED | MAP_ANONYMOUS, NULL, 0);
	CHECK_EQ(sys_madvise(mm, (unsigned long)s, PG(2), MADV_WIPEONFORK), -EINVAL);
	CHECK_EQ(sys_madvise(mm, (unsigned long)s, PG(2), MADV_FREE), -EINVAL);
	CHECK_EQ(sys_madvise(mm, (unsigned long)s, PG(2), 9 /* MADV_REMOVE */), 0);
	CHECK_EQ(sys_madvise(mm, (unsigned long)s, PG(2), MADV_KEEPONFORK), 0);
	CHECK_EQ(validate_mm(mm), 0);
	teardown_mm(mm);
}

/* MADV_POPULATE_(READ|WRITE): holes -ENOMEM, incompatible VMAs -EINVAL */
TEST(madvise_populate)
{
	struct mm_struct *mm = setup_mm();

	map_at(mm, 0, 4, RW);
	map_at(mm, 6, 8, PROT_NONE);
	map_at(mm, 8, 10, PROT_READ);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(6), MADV_POPULATE_READ), -ENOMEM);
	CHECK_EQ(sys_madvise(mm, AT(6), PG(2), MADV_POPULATE_READ), -EINVAL);
	CHECK_EQ(sys_madvise(mm, AT(8), PG(2), MADV_POPULATE_WRITE), -EINVAL);
	CHECK_EQ(sys_madvise(mm, AT(8), PG(2), MADV_POPULATE_READ), 0);
	CHECK(vma_at(mm, 8)->anon_vma == NULL);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(6), MADV_POPULATE_WRITE), -ENOMEM);
	CHECK(vma_at(mm, 0)->anon_vma != NULL); /* the part before the hole */
	teardown_mm(mm);
}

/* ---- mremap ------------------------------------------------------------ */

TEST(mremap_errors)
{
	struct mm_struct *mm = setup_mm();
	int saved = sysctl_max_map_count;

	map_at(mm, 0, 4, RW);
	map_at(mm, 6, 8, RW);
	CHECK_EQ(sys_mremap(mm, AT(0), PG(1), PG(1), 8, 0), -EINVAL);
	CHECK_EQ(sys_mremap(mm, AT(0) + 1, PG(1), PG(1), 0, 0), -EINVAL);
	CHECK_EQ(sys_mremap(mm, AT(0), PG(1), 0, 0, 0), -EINVAL);
	CHECK_EQ(sys_mremap(mm, AT(0), PG(1), PG(1), MREMAP_FIXED, AT(20)), -EINVAL);
	CHECK_EQ(sys_mremap(mm, AT(0), PG(1), PG(1), MREMAP_FIXED | MREMAP_MAYMOVE, AT(20) + 1), -EINVAL);
	CHECK_EQ(sys_mremap(mm, AT(0), PG(1), PG(2), MREMAP_DONTUNMAP | MREMAP_MAYMOVE, AT(20)), -EINVAL);
	CHECK_EQ(sys_mremap(mm, AT(0), PG(2), PG(2), MREMAP_FIXED | MREMAP_MAYMOVE, AT(1)), -EINVAL);
	CHECK_EQ(sys_mremap(mm, AT(4), PG(1), PG(2), 0, 0), -EFAULT);     /* hole */
	CHECK_EQ(sys_mremap(mm, AT(2), PG(4), PG(6), 0, 0), -EFAULT);     /* past the VMA */
	CHECK_EQ(sys_mremap(mm, AT(2), PG(2), PG(5), 0, 0), -ENOMEM);     /* B is in the way */
	CHECK_EQ(sys_mremap(mm, AT(0), 0, PG(1), MREMAP_MAYMOVE, 0), -EINVAL); /* private dup */
	/* worst case: two splits unmapping, two more moving */
	sysctl_max_map_count = mm->map_count + 3;
	CHECK_EQ(sys_mremap(mm, AT(0), PG(1), PG(1), MREMAP_FIXED | MREMAP_MAYMOVE, AT(20)), -ENOMEM);
	CHECK_EQ(sys_mremap(mm, AT(2), PG(2), PG(1), 0, 0), -ENOMEM);
	sysctl_max_map_count = saved;
	/* the same size is a no-op, even past the VMA */
	CHECK_EQ(sys_mremap(mm, AT(2), PG(9), PG(9), 0, 0), (long)AT(2));
	CHECK_STR(draw(mm), "AAAA  BB");
	teardown_mm(mm);
}

/*   0123456789
 *   AAAA  BB
 *   AA    BB     shrink A to 2
 *   AAAAA BB     grow A to 5 in place
 *   AAAAA BBB    grow B in place (nothing after it)
 *   ...          grow A to 6 in place is blocked (B at 6): moves
 */
TEST(mremap_resize)
{
	struct mm_struct *mm = setup_mm();
	long r;

	map_at(mm, 0, 4, RW);
	map_at(mm, 6, 8, RW);
	CHECK_EQ(sys_mremap(mm, AT(0), PG(4), PG(2), 0, 0), (long)AT(0));
	CHECK_STR(draw(mm), "AA    BB");
	CHECK_EQ(sys_mremap(mm, AT(0), PG(2), PG(5), 0, 0), (long)AT(0));
	CHECK_STR(draw(mm), "AAAAA BB");
	CHECK_EQ(mm->total_vm, 7UL);
	CHECK_EQ(sys_mremap(mm, AT(6), PG(2), PG(3), 0, 0), (long)AT(6));
	CHECK_STR(draw(mm), "AAAAA BBB");
	/* growing into the neighbour's start merges them */
	CHECK_EQ(sys_mremap(mm, AT(0), PG(5), PG(6), 0, 0), (long)AT(0));
	CHECK_STR(draw(mm), "AAAAAAAAA");
	CHECK_EQ(mm->map_count, 1);
	/* no room and no MAYMOVE */
	map_at(mm, 10, 11, PROT_READ);
	CHECK_EQ(sys_mremap(mm, AT(0), PG(9), PG(12), 0, 0), -ENOMEM);
	r = sys_mremap(mm, AT(0), PG(9), PG(12), MREMAP_MAYMOVE, 0);
	CHECK(r > 0 && r != (long)AT(0));
	CHECK_STR(draw(mm), "          A");
	CHECK_EQ(mm->total_vm, 13UL);
	CHECK_EQ(vma_lookup(mm, (unsigned long)r)->vm_end, (unsigned long)r + PG(12));
	/* the never-faulted VMA's pgoff follows its new address */
	CHECK_EQ(vma_lookup(mm, (unsigned long)r)->vm_pgoff, (unsigned long)r >> PAGE_SHIFT);
	/* a locked mapping stays counted */
	CHECK_EQ(sys_mlock(mm, (unsigned long)r, PG(12)), 0);
	r = sys_mremap(mm, (unsigned long)r, PG(12), PG(14), MREMAP_MAYMOVE | MREMAP_FIXED, AT(20));
	CHECK_EQ(r, (long)AT(20));
	CHECK_EQ(mm->locked_vm, 14UL);
	/* moves restore the high-water mark they raised (last set: 6 pages,
	 * by the first shrink) */
	CHECK_EQ(mm->hiwater_vm, 6UL);
	CHECK_EQ(validate_mm(mm), 0);
	teardown_mm(mm);
}

/*   0123456789
 *   AAAA             faulted, then DONTUNMAP-moved to 6
 *   AAAA  BBBB       A stays mapped, without its anon_vma and charge
 */
TEST(mremap_dontunmap)
{
	struct mm_struct *mm = setup_mm();
	long r;

	map_at(mm, 0, 4, RW);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(4), MADV_POPULATE_WRITE), 0);
	r = sys_mremap(mm, AT(0), PG(4), PG(4), MREMAP_MAYMOVE | MREMAP_DONTUNMAP, AT(6));
	CHECK_EQ(r, (long)AT(6)); /* the address is a hint */
	CHECK_STR(draw(mm), "AAAA  BBBB");
	CHECK(vma_at(mm, 0)->anon_vma == NULL);
	CHECK(vma_at(mm, 0)->vm_flags & VM_ACCOUNT);
	CHECK(vma_at(mm, 6)->anon_vma != NULL);
	CHECK_EQ(mm->total_vm, 8UL);
	/* shared memory: old_len 0 duplicates the mapping */
	r = sys_mmap(mm, AT(20), PG(2), RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
	CHECK_EQ(r, (long)AT(20));
	r = sys_mremap(mm, AT(20), 0, PG(2), MREMAP_MAYMOVE | MREMAP_FIXED, AT(30));
	CHECK_EQ(r, (long)AT(30));
	CHECK(vma_at(mm, 30)->vm_file == vma_at(mm, 20)->vm_file);
	CHECK_EQ(atomic_read(&vma_at(mm, 20)->vm_file->f_count), 2);
	CHECK_EQ(mm->total_vm, 12UL);
	teardown_mm(mm);
}


/* MREMAP_FIXED with old_len == new_len moves every VMA in the range and
 * keeps the holes (6.17+):
 *   0123456789ab
 *   A B            A rw, B r
 *           A B    moved to 8 in one call
 */
TEST(mremap_multi_vma)
{
	struct mm_struct *mm = setup_mm();

	map_at(mm, 0, 1, RW);
	map_at(mm, 2, 3, PROT_READ);
	CHECK_EQ(sys_mremap(mm, AT(0), PG(4), PG(4), MREMAP_MAYMOVE | MREMAP_FIXED, AT(8)), (long)AT(8));
	CHECK_STR(draw(mm), "        A B");
	CHECK(vma_at(mm, 10)->vm_flags & VM_READ);
	CHECK(!(vma_at(mm, 10)->vm_flags & VM_WRITE));
	/* without FIXED the same size is a no-op */
	CHECK_EQ(sys_mremap(mm, AT(8), PG(4), PG(4), MREMAP_MAYMOVE, 0), (long)AT(8));
	/* the range may not start in a hole */
	CHECK_EQ(sys_mremap(mm, AT(9), PG(3), PG(3), MREMAP_MAYMOVE | MREMAP_FIXED, AT(20)), -EFAULT);
	/* resizing is one VMA only: the range runs past A */
	CHECK_EQ(sys_mremap(mm, AT(8), PG(3), PG(4), MREMAP_MAYMOVE | MREMAP_FIXED, AT(20)), -EFAULT);
	CHECK_STR(draw(mm), "        A B");
	CHECK_EQ(mm->total_vm, 2UL);
	teardown_mm(mm);
}

/* faulting beyond the end of a file is SIGBUS: populating stops there */
TEST(populate_past_eof)
{
	struct mm_struct *mm = setup_mm();
	struct file *f = mmk_file_create("/data/two-pages", 8, 1, 77, PG(2), FMODE_READ | FMODE_WRITE);

	CHECK(!IS_ERR(f));
	CHECK_EQ(sys_mmap(mm, AT(0), PG(4), RW, MAP_PRIVATE | MAP_FIXED, f, 0), (long)AT(0));
	CHECK_EQ(sys_madvise(mm, AT(0), PG(2), MADV_POPULATE_READ), 0);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(4), MADV_POPULATE_READ), -EFAULT);
	/* the write fault prepared the anon_vma before it found no page */
	CHECK_EQ(sys_madvise(mm, AT(2), PG(2), MADV_POPULATE_WRITE), -EFAULT);
	CHECK(vma_at(mm, 0)->anon_vma != NULL);
	/* mlock: locked, then populating fails: -ENOMEM */
	CHECK_EQ(sys_mlock(mm, AT(0), PG(4)), -ENOMEM);
	CHECK_EQ(mm->locked_vm, 4UL);
	/* MAP_POPULATE ignores it */
	CHECK_EQ(sys_mmap(mm, AT(8), PG(4), PROT_READ, MAP_SHARED | MAP_FIXED | MAP_POPULATE, f, 0),
		 (long)AT(8));
	fput(f);
	teardown_mm(mm);
}

/* PROT_EXEC alone takes the execute-only protection key (x86 PKU) */
TEST(exec_only_pkey)
{
	struct mm_struct *mm = setup_mm();

	map_at(mm, 0, 2, PROT_EXEC);
	CHECK(vma_at(mm, 0)->vm_flags & VM_PKEY_EXEC_ONLY);
	CHECK_EQ(sys_mlock(mm, AT(0), PG(2)), -ENOMEM); /* no data reads */
	CHECK_EQ(sys_munlock(mm, AT(0), PG(2)), 0);
	map_at(mm, 2, 4, PROT_READ | PROT_EXEC);
	CHECK_STR(draw(mm), "AABB");
	CHECK_EQ(sys_mprotect(mm, AT(0), PG(2), PROT_READ | PROT_EXEC), 0);
	CHECK(!(vma_at(mm, 0)->vm_flags & VM_PKEY_MASK));
	CHECK_STR(draw(mm), "AAAA");
	CHECK_EQ(sys_mprotect(mm, AT(3), PG(1), PROT_EXEC), 0);
	CHECK_STR(draw(mm), "AAAB");
	CHECK(vma_at(mm, 3)->vm_flags & VM_PKEY_EXEC_ONLY);
	teardown_mm(mm);
}

/* regular files go through thp_get_unmapped_area, shared anonymous memory
 * through shmem (no huge pages here: no alignment) */
TEST(placement_alignment)
{
	struct mm_struct *mm = setup_mm();
	struct file *f = mmk_file_create("/data/big", 8, 1, 78, 16UL << 20, FMODE_READ);

	CHECK_EQ(sys_mmap(mm, 0, 3UL << 20, PROT_READ, MAP_PRIVATE, f, 0), 0x7ffff7c00000L);
	/* less than 2 MiB of the file past a 2 MiB boundary: plain */
	CHECK_EQ(sys_mmap(mm, 0, 3UL << 20, PROT_READ, MAP_PRIVATE, f, PG(1)), 0x7ffff7900000L);
	CHECK_EQ(sys_mmap(mm, 0, PG(1), PROT_READ, MAP_PRIVATE, f, 0), 0x7ffff7ffe000L);
	/* an offset with 2 MiB after the boundary: the file's phase is kept
	 * (6 MiB searched below 0x7ffff7900000, then moved up to the phase) */
	CHECK_EQ(sys_mmap(mm, 0, 4UL << 20, PROT_READ, MAP_PRIVATE, f, PG(1)), 0x7ffff7401000L);
	/* no room above for 2 MiB: plain, right below, unaligned */
	CHECK_EQ(sys_mmap(mm, 0, 2UL << 20, RW, MAP_SHARED | MAP_ANONYMOUS, NULL, 0), 0x7ffff7201000L);
	fput(f);
	teardown_mm(mm);
}

/* MAP_DROPPABLE: anonymous only, never locked, wiped on fork, not dumped */
TEST(droppable)
{
	struct mm_struct *mm = setup_mm();
	struct file *f = mmk_file_open("/etc/passwd", FMODE_READ);
	const unsigned long D = MAP_DROPPABLE | MAP_ANONYMOUS;

	CHECK_EQ(sys_mmap(mm, AT(0), PG(2), RW, D | MAP_FIXED, NULL, 0), (long)AT(0));
	CHECK_EQ(vma_at(mm, 0)->vm_flags & (VM_DROPPABLE | VM_NORESERVE | VM_WIPEONFORK | VM_DONTDUMP),
		 VM_DROPPABLE | VM_NORESERVE | VM_WIPEONFORK | VM_DONTDUMP);
	CHECK_EQ(sys_mmap(mm, 0, PG(2), RW, D | MAP_LOCKED, NULL, 0), -EINVAL);
	CHECK_EQ(sys_mmap(mm, 0, PG(2), RW, D | MAP_GROWSDOWN, NULL, 0), -EINVAL);
	CHECK_EQ(sys_mmap(mm, 0, PG(2), PROT_READ, MAP_DROPPABLE, f, 0), -EINVAL);
	CHECK_EQ(sys_mlock(mm, AT(0), PG(2)), 0);
	CHECK_EQ(mm->locked_vm, 0UL);
	CHECK(!(vma_at(mm, 0)->vm_flags & VM_LOCKED));
	CHECK_EQ(sys_madvise(mm, AT(0), PG(1), MADV_KEEPONFORK), -EINVAL);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(1), MADV_DODUMP), -EINVAL);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(1), 12 /* MADV_MERGEABLE */), 0);
	CHECK(!(vma_at(mm, 0)->vm_flags & VM_MERGEABLE));
	fput(f);
	teardown_mm(mm);
}

#define TESTS(X)               \
	X(layout)              \
	X(topdown)             \
	X(bottomup)            \
	X(five_level)          \
	X(mmap_errors)         \
	X(mmap_rlimits)        \
	X(mmap_files)          \
	X(accounting)          \
	X(munmap)              \
	X(mprotect_errors)     \
	X(mprotect_growsdown)  \
	X(brk)                 \
	X(mlock)               \
	X(mlockall)            \
	X(madvise)             \
	X(madvise_populate)    \
	X(mremap_errors)       \
	X(mremap_resize)       \
	X(mremap_dontunmap)    \
	X(mremap_multi_vma)    \
	X(populate_past_eof)   \
	X(exec_only_pkey)      \
	X(placement_alignment) \
	X(droppable)
TEST_MAIN("mmap", TESTS)
