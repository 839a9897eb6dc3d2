// SPDX-License-Identifier: MIT
/*
 * tests/test_vma.c - the VMA store, merging, splitting, anon_vma rules,
 * fork (dup_mmap) and allocation failures, in the manner of the kernel's
 * tools/testing/vma: each test draws the address space it builds.
 *
 * Drawings are pages from BASE (0x100000000): one letter per VMA in
 * address order ("AAB" = a 2-page VMA then a 1-page one), ' ' a hole.
 */
#include "vma_helpers.h"

/* find_vma & co. on
 *   0123456789
 *   AA  BBB  C
 */
TEST(find_vma)
{
	struct mm_struct *mm = setup_mm();
	struct vm_area_struct *a, *b, *c, *prev;

	map_at(mm, 0, 2, RW);
	map_at(mm, 4, 7, PROT_READ);
	map_at(mm, 9, 10, RW);
	CHECK_STR(draw(mm), "AA  BBB  C");
	a = vma_at(mm, 0);
	b = vma_at(mm, 4);
	c = vma_at(mm, 9);
	CHECK(a && b && c);
	CHECK(find_vma(mm, AT(2)) == b);
	CHECK(find_vma(mm, AT(1)) == a);
	CHECK(find_vma(mm, AT(7)) == c);
	CHECK(find_vma(mm, AT(10)) == NULL);
	CHECK(find_vma(mm, 0) != NULL); /* the first VMA above 0 */
	CHECK(find_vma_prev(mm, AT(3), &prev) == b && prev == a);
	CHECK(find_vma_prev(mm, AT(5), &prev) == b && prev == a);
	CHECK(find_vma_prev(mm, AT(10), &prev) == NULL && prev == c);
	CHECK(find_vma_intersection(mm, AT(2), AT(4)) == NULL);
	CHECK(find_vma_intersection(mm, AT(2), AT(5)) == b);
	CHECK(find_vma_intersection(mm, AT(7), AT(9)) == NULL);
	CHECK(mm->highest_vm_end == c->vm_end);
	CHECK_EQ(mm->map_count, 3);
	teardown_mm(mm);
}

/* new ranges merge with the previous VMA, the next one, or both:
 *   0123456789
 *   AAA        map 0-3
 *   AAAAA      map 3-5: extends A
 *   AAAAA  BB  map 7-9
 *   AAAAA BBB  map 6-7: extends B downwards
 *   AAAAAAAAA  map 5-6: A swallows B
 */
TEST(merge_new_range)
{
	struct mm_struct *mm = setup_mm();
	struct vm_area_struct *a;

	map_at(mm, 0, 3, RW);
	a = vma_at(mm, 0);
	map_at(mm, 3, 5, RW);
	CHECK_STR(draw(mm), "AAAAA");
	CHECK(vma_at(mm, 4) == a);
	map_at(mm, 7, 9, RW);
	map_at(mm, 6, 7, RW);
	CHECK_STR(draw(mm), "AAAAA BBB");
	CHECK_EQ(vma_at(mm, 6)->vm_pgoff, AT(6) >> PAGE_SHIFT);
	map_at(mm, 5, 6, RW);
	CHECK_STR(draw(mm), "AAAAAAAAA");
	CHECK(vma_at(mm, 8) == a);
	CHECK_EQ(mm->total_vm, 9 + 0UL);
	CHECK_EQ(mm->data_vm, 9 + 0UL);
	teardown_mm(mm);
}

/* what does not merge:
 *   0123456789
 *   AABBCC       A rw, B r (different flags), C rw
 *   AABBCC DD    D shared anonymous next to nothing
 *   AABBCCDEE    D' shared anonymous right after C: its own shmem file
 */
TEST(merge_refused)
{
	struct mm_struct *mm = setup_mm();

	map_at(mm, 0, 2, RW);
	map_at(mm, 2, 4, PROT_READ);
	map_at(mm, 4, 6, RW);
	CHECK_STR(draw(mm), "AABBCC");
	CHECK_EQ(sys_mmap(mm, AT(6), PG(1), RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, NULL, 0),
		 (long)AT(6));
	CHECK_EQ(sys_mmap(mm, AT(7), PG(2), RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, NULL, 0),
		 (long)AT(7));
	CHECK_STR(draw(mm), "AABBCCDEE");
	CHECK(vma_at(mm, 6)->vm_file != vma_at(mm, 7)->vm_file);
	CHECK_EQ(validate_mm(mm), 0);
	teardown_mm(mm);
}

/* a special mapping never merges:
 *   0123
 *   AB       A [vdso]-like special, B anonymous r-x right after it
 */
TEST(special_never_merges)
{
	static const struct vm_special_mapping vdso = { "[vdso]" };
	struct mm_struct *mm = setup_mm();

	CHECK_EQ(install_special_mapping(mm, AT(0), PG(1), VM_READ | VM_EXEC | VM_MAYREAD | VM_MAYEXEC,
					 &vdso), 0);
	CHECK_EQ(install_special_mapping(mm, AT(0), PG(1), VM_READ, &vdso), -ENOMEM);
	map_at(mm, 1, 2, PROT_READ | PROT_EXEC);
	CHECK_STR(draw(mm), "AB");
	CHECK(vma_at(mm, 0)->vm_special == &vdso);
	CHECK(vma_at(mm, 0)->vm_flags & VM_DONTEXPAND);
	CHECK_EQ(mm->exec_vm, 2UL);
	/* mlock leaves it alone */
	CHECK_EQ(sys_mlock(mm, AT(0), PG(2)), 0);
	CHECK(!(vma_at(mm, 0)->vm_flags & VM_LOCKED));
	CHECK(vma_at(mm, 1)->vm_flags & VM_LOCKED);
	CHECK_EQ(mm->locked_vm, 1UL);
	teardown_mm(mm);
}

/* existing ranges merge through mprotect ("modify"):
 *   0123456789
 *   AAAAAAAAA      rw
 *   AABBBCCCC      mprotect 2-5 r: split at both ends
 *   AAAAACCCC      mprotect 2-5 rw: merges back... all three
 *   AAAAAAAAA
 *   AAAABBBBB      mprotect 4-9 r: one split (the end is the VMA's end)
 *   AAAAAABBB      mprotect 4-6 rw: merge left, B shrinks
 *   AAAAAABBC      mprotect 8-9 rw: split
 *   AAAAAAAAA      mprotect 6-8 rw: merge both
 */
TEST(merge_existing_mprotect)
{
	struct mm_struct *mm = setup_mm();

	map_at(mm, 0, 9, RW);
	CHECK_EQ(sys_mprotect(mm, AT(2), PG(3), PROT_READ), 0);
	CHECK_STR(draw(mm), "AABBBCCCC");
	CHECK_EQ(mm->map_count, 3);
	CHECK_EQ(validate_mm(mm), 0);
	CHECK_EQ(sys_mprotect(mm, AT(2), PG(3), RW), 0);
	CHECK_STR(draw(mm), "AAAAAAAAA");
	CHECK_EQ(mm->map_count, 1);
	CHECK_EQ(validate_mm(mm), 0);
	CHECK_EQ(sys_mprotect(mm, AT(4), PG(5), PROT_READ), 0);
	CHECK_STR(draw(mm), "AAAABBBBB");
	CHECK_EQ(mm->data_vm, 4UL);
	CHECK_EQ(sys_mprotect(mm, AT(4), PG(2), RW), 0);
	CHECK_STR(draw(mm), "AAAAAABBB");
	CHECK_EQ(vma_at(mm, 6)->vm_start, AT(6));
	CHECK_EQ(vma_at(mm, 6)->vm_pgoff, AT(6) >> PAGE_SHIFT);
	CHECK_EQ(sys_mprotect(mm, AT(8), PG(1), RW), 0);
	CHECK_STR(draw(mm), "AAAAAABBC");
	CHECK_EQ(sys_mprotect(mm, AT(6), PG(2), RW), 0);
	CHECK_STR(draw(mm), "AAAAAAAAA");
	CHECK_EQ(mm->data_vm, 9UL);
	CHECK_EQ(mm->total_vm, 9UL);
	teardown_mm(mm);
}

/* merge right through mprotect:
 *   012345
 *   AAABBB   A rw, B r
 *   AABBBB   mprotect 2-3 r: B grows down, A shrinks
 */
TEST(merge_existing_right)
{
	struct mm_struct *mm = setup_mm();
	struct vm_area_struct *b;

	map_at(mm, 0, 3, RW);
	map_at(mm, 3, 6, PROT_READ);
	b = vma_at(mm, 3);
	CHECK_EQ(sys_mprotect(mm, AT(2), PG(1), PROT_READ), 0);
	CHECK_STR(draw(mm), "AABBBB");
	CHECK(vma_at(mm, 2) == b);
	CHECK_EQ(b->vm_pgoff, AT(2) >> PAGE_SHIFT);
	teardown_mm(mm);
}

/* splits at max_map_count:
 *   0123456789
 *   AAAAAAAAA     map_count = limit
 *   mprotect 3-5 needs two splits: -ENOMEM, nothing changed
 *   mprotect 0-2 needs one split: -ENOMEM too (split_vma checks >=)
 *   munmap 3-5 would split both ends: -ENOMEM
 *   munmap 0-2 splits once and removes one: allowed
 */
TEST(split_at_max_map_count)
{
	struct mm_struct *mm = setup_mm();
	int saved = sysctl_max_map_count;

	map_at(mm, 0, 9, RW);
	sysctl_max_map_count = mm->map_count;
	CHECK_EQ(sys_mprotect(mm, AT(3), PG(2), PROT_READ), -ENOMEM);
	CHECK_STR(draw(mm), "AAAAAAAAA");
	CHECK_EQ(sys_mprotect(mm, AT(0), PG(2), PROT_READ), -ENOMEM);
	CHECK_STR(draw(mm), "AAAAAAAAA");
	CHECK_EQ(sys_madvise(mm, AT(3), PG(2), MADV_DONTFORK), -EAGAIN);
	CHECK_EQ(sys_mlock(mm, AT(3), PG(2)), -ENOMEM);
	CHECK_EQ(mm->locked_vm, 0UL);
	CHECK_EQ(sys_munmap(mm, AT(3), PG(2)), -ENOMEM);
	CHECK_STR(draw(mm), "AAAAAAAAA");
	CHECK_EQ(sys_munmap(mm, AT(0), PG(2)), 0);
	CHECK_STR(draw(mm), "  AAAAAAA");
	CHECK_EQ(validate_mm(mm), 0);
	/* mmap refuses only above the limit: map_count == limit still maps */
	CHECK_EQ(sys_mmap(mm, AT(20), PG(1), PROT_READ, ANON | MAP_FIXED, NULL, 0), (long)AT(20));
	CHECK_EQ(mm->map_count, sysctl_max_map_count + 1);
	CHECK_EQ(sys_mmap(mm, AT(22), PG(1), PROT_READ, ANON | MAP_FIXED, NULL, 0), -ENOMEM);
	/* with one more allowed, a split works */
	sysctl_max_map_count = mm->map_count + 1;
	CHECK_EQ(sys_mprotect(mm, AT(2), PG(1), PROT_READ), 0);
	CHECK_EQ(validate_mm(mm), 0);
	sysctl_max_map_count = saved;
	teardown_mm(mm);
}

/* anon_vma: a write fault (MADV_POPULATE_WRITE) prepares one; the
 * neighbour that then faults reuses it (find_mergeable_anon_vma: flags
 * equal but for the access bits), so mprotect can merge them again:
 *   012345
 *   AAABBB   A rw faulted, B rwx
 *   AAABBB   B faults: shares A's anon_vma
 *   AAAAAA   mprotect B rw: merges
 * A VMA differing in more than access bits (VM_ACCOUNT: a read-only
 * private mapping is not charged) gets its own anon_vma.
 */
TEST(anon_vma_prepare_and_reuse)
{
	struct mm_struct *mm = setup_mm();
	struct vm_area_struct *a, *b;

	map_at(mm, 0, 3, RW);
	map_at(mm, 3, 6, RW | PROT_EXEC);
	map_at(mm, 8, 10, PROT_READ);
	a = vma_at(mm, 0);
	CHECK(a->anon_vma == NULL);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(3), MADV_POPULATE_WRITE), 0);
	CHECK(a->anon_vma != NULL);
	CHECK_EQ(a->anon_vma_chain_len, 1);
	/* a read fault does not prepare */
	CHECK_EQ(sys_madvise(mm, AT(3), PG(3), MADV_POPULATE_READ), 0);
	b = vma_at(mm, 3);
	CHECK(b->anon_vma == NULL);
	CHECK_EQ(sys_madvise(mm, AT(3), PG(3), MADV_POPULATE_WRITE), 0);
	CHECK(b->anon_vma == a->anon_vma); /* reused from the neighbour */
	CHECK_EQ(atomic_read(&a->anon_vma->refcount), 2);
	CHECK_EQ(sys_mprotect(mm, AT(3), PG(3), RW), 0);
	CHECK_STR(draw(mm), "AAAAAA  BB");
	CHECK_EQ(atomic_read(&vma_at(mm, 0)->anon_vma->refcount), 1);
	/* read-only private: not charged, so not compatible with A */
	map_at(mm, 6, 8, PROT_READ);
	CHECK_EQ(anon_vma_prepare(vma_at(mm, 6)), 0);
	CHECK(vma_at(mm, 6)->anon_vma != vma_at(mm, 0)->anon_vma);
	CHECK(vma_at(mm, 6)->anon_vma != NULL);
	/* ...but the read-only one at 8 can share it */
	CHECK_EQ(anon_vma_prepare(vma_at(mm, 8)), 0);
	CHECK(vma_at(mm, 8)->anon_vma == vma_at(mm, 6)->anon_vma);
	CHECK_STR(draw(mm), "AAAAAABBBB");
	teardown_mm(mm);
}

/* a faulted VMA merges with an unfaulted neighbour (it adopts the
 * anon_vma) but two VMAs with different anon_vmas never merge:
 *   0123456
 *   AAA BBB   both faulted, separately
 *   AAACBBB   map 3-4: merges with A only (3-way needs prev/next agree)
 */
TEST(anon_vma_three_way)
{
	struct mm_struct *mm = setup_mm();

	map_at(mm, 0, 3, RW);
	map_at(mm, 4, 7, RW);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(3), MADV_POPULATE_WRITE), 0);
	CHECK_EQ(sys_madvise(mm, AT(4), PG(3), MADV_POPULATE_WRITE), 0);
	CHECK(vma_at(mm, 0)->anon_vma != vma_at(mm, 4)->anon_vma);
	map_at(mm, 3, 4, RW);
	CHECK_STR(draw(mm), "AAAABBB");
	CHECK(vma_at(mm, 3)->anon_vma == vma_at(mm, 0)->anon_vma);
	teardown_mm(mm);
}

static struct mm_struct *fork_mm(struct mm_struct *parent, int *err)
{
	struct mm_struct *child = mm_alloc();

	CHECK(child != NULL);
	memcpy(child->rlim, parent->rlim, sizeof(child->rlim));
	arch_pick_mmap_layout(child);
	*err = dup_mmap(child, parent);
	return child;
}

/* after fork the child's VMA has inherited anon_vmas (chain 2): it does
 * not absorb an unfaulted neighbour, while the parent's still does.
 *   012345
 *   AAA        faulted, forked
 *   AAABB      child: map 3-5 -> stays two VMAs
 *   AAAAA      parent: map 3-5 -> merges
 */
TEST(fork_blocks_merge)
{
	struct mm_struct *mm = setup_mm(), *child;
	int err;

	map_at(mm, 0, 3, RW);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(3), MADV_POPULATE_WRITE), 0);
	child = fork_mm(mm, &err);
	CHECK_EQ(err, 0);
	CHECK_EQ(validate_mm(child), 0);
	CHECK_EQ(vma_at(child, 0)->anon_vma_chain_len, 2);
	CHECK(vma_at(child, 0)->anon_vma->parent == vma_at(mm, 0)->anon_vma);
	CHECK(vma_at(child, 0)->anon_vma->root == vma_at(mm, 0)->anon_vma);
	CHECK_EQ(sys_mmap(child, AT(3), PG(2), RW, ANON | MAP_FIXED, NULL, 0), (long)AT(3));
	CHECK_STR(draw(child), "AAABB");
	map_at(mm, 3, 5, RW);
	CHECK_STR(draw(mm), "AAAAA");
	/* the child's copy keeps the parent's anon_vma alive */
	CHECK_EQ(sys_munmap(mm, AT(0), PG(5)), 0);
	CHECK(vma_at(child, 0)->anon_vma->parent != NULL);
	CHECK_EQ(validate_mm(child), 0);
	mmput(child);
	teardown_mm(mm);
}

/* fork copies and skips:
 *   0123456789
 *   AABBCCDDEE   A plain, B DONTCOPY, C WIPEONFORK (faulted), D locked, E r-x
 *   AA  CCDDEE   the child
 */
TEST(fork_copies)
{
	struct mm_struct *mm = setup_mm(), *child;
	int err;

	map_at(mm, 0, 2, RW);
	map_at(mm, 2, 4, RW);
	map_at(mm, 4, 6, RW);
	map_at(mm, 6, 8, RW);
	map_at(mm, 8, 10, PROT_READ | PROT_EXEC);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(8), MADV_POPULATE_WRITE), 0);
	CHECK_EQ(sys_madvise(mm, AT(2), PG(2), MADV_DONTFORK), 0);
	CHECK_EQ(sys_madvise(mm, AT(4), PG(2), MADV_WIPEONFORK), 0);
	CHECK_EQ(sys_mlock(mm, AT(6), PG(2)), 0);
	CHECK_STR(draw(mm), "AABBCCDDEE");
	CHECK_EQ(mm->locked_vm, 2UL);
	child = fork_mm(mm, &err);
	CHECK_EQ(err, 0);
	CHECK_STR(draw(child), "AA  BBCCDD");
	CHECK_EQ(child->total_vm, mm->total_vm - 2);
	CHECK_EQ(child->data_vm, mm->data_vm - 2);
	CHECK_EQ(child->exec_vm, mm->exec_vm);
	CHECK_EQ(child->locked_vm, 0UL);
	CHECK(vma_at(child, 4)->anon_vma == NULL);
	CHECK(vma_at(child, 4)->vm_flags & VM_WIPEONFORK);
	CHECK(!(vma_at(child, 6)->vm_flags & VM_LOCKED));
	CHECK(vma_at(child, 0)->anon_vma != vma_at(mm, 0)->anon_vma);
	CHECK_EQ(validate_mm(child), 0);
	mmput(child);
	teardown_mm(mm);
}

/* mremap into and out of faulted neighbours:
 *   0123456789
 *   AAA   B        A faulted, B unfaulted at 6
 *   AAAB           move B to 3: never faulted -> pgoff reset -> merges into A
 *   AAA    BB      mremap 2-4... A's tail (faulted, shares A's anon_vma) moved away
 */
TEST(mremap_merges)
{
	struct mm_struct *mm = setup_mm();
	long r;

	map_at(mm, 0, 3, RW);
	CHECK_EQ(sys_madvise(mm, AT(0), PG(3), MADV_POPULATE_WRITE), 0);
	map_at(mm, 6, 7, RW);
	r = sys_mremap(mm, AT(6), PG(1), PG(1), MREMAP_MAYMOVE | MREMAP_FIXED, AT(3));
	CHECK_EQ(r, (long)AT(3));
	CHECK_STR(draw(mm), "AAAA");
	CHECK_EQ(mm->map_count, 1);
	CHECK_EQ(validate_mm(mm), 0);
	/* moving the faulted tail out keeps its anon_vma (and pgoff) */
	r = sys_mremap(mm, AT(2), PG(2), PG(2), MREMAP_MAYMOVE | MREMAP_FIXED, AT(7));
	CHECK_EQ(r, (long)AT(7));
	CHECK_STR(draw(mm), "AA     BB");
	CHECK(vma_at(mm, 7)->anon_vma == vma_at(mm, 0)->anon_vma);
	CHECK_EQ(vma_at(mm, 7)->vm_pgoff, AT(2) >> PAGE_SHIFT);
	/* and moving it back merges again (pgoff continuous, same anon_vma) */
	r = sys_mremap(mm, AT(7), PG(2), PG(2), MREMAP_MAYMOVE | MREMAP_FIXED, AT(2));
	CHECK_EQ(r, (long)AT(2));
	CHECK_STR(draw(mm), "AAAA");
	CHECK_EQ(mm->total_vm, 4UL);
	teardown_mm(mm);
}

/* MAP_FIXED_NOREPLACE against every overlap shape:
 *   0123456789
 *     AAAA       existing 2-6
 *   xx           0-2 free: ok
 *    xx          1-3 overlaps the start: -EEXIST
 *      xx        inside: -EEXIST
 *         xx     5-7 overlaps the end: -EEXIST
 *   xxxxxxxx     covers it: -EEXIST
 *         xx     6-8 touching: ok
 */
TEST(fixed_noreplace)
{
	struct mm_struct *mm = setup_mm();
	const unsigned long f = ANON | MAP_FIXED_NOREPLACE;

	map_at(mm, 2, 6, PROT_READ);
	CHECK_EQ(sys_mmap(mm, AT(1), PG(2), RW, f, NULL, 0), -EEXIST);
	CHECK_EQ(sys_mmap(mm, AT(3), PG(2), RW, f, NULL, 0), -EEXIST);
	CHECK_EQ(sys_mmap(mm, AT(5), PG(2), RW, f, NULL, 0), -EEXIST);
	CHECK_EQ(sys_mmap(mm, AT(0), PG(8), RW, f, NULL, 0), -EEXIST);
	CHECK_STR(draw(mm), "  AAAA");
	CHECK_EQ(sys_mmap(mm, AT(0), PG(2), RW, f, NULL, 0), (long)AT(0));
	CHECK_EQ(sys_mmap(mm, AT(6), PG(2), RW, f, NULL, 0), (long)AT(6));
	CHECK_STR(draw(mm), "AABBBBCC");
	/* NOREPLACE is FIXED: an unaligned address is -EINVAL */
	CHECK_EQ(sys_mmap(mm, AT(10) + 1, PG(1), RW, f, NULL, 0), -EINVAL);
	/* and MAP_FIXED replaces */
	CHECK_EQ(sys_mmap(mm, AT(3), PG(2), RW, ANON | MAP_FIXED, NULL, 0), (long)AT(3));
	CHECK_STR(draw(mm), "AABCCDEE");
	CHECK_EQ(mm->total_vm, 8UL);
	teardown_mm(mm);
}

/* the stack guard gap: free-area search keeps stack_guard_gap below a
 * VM_GROWSDOWN VMA free, and a hint inside the gap is refused */
TEST(guard_gap)
{
	struct mm_struct *mm = setup_mm();
	unsigned long top = mm->mmap_base;
	long s, a;

	s = sys_mmap(mm, 0, PG(4), RW, ANON | MAP_GROWSDOWN, NULL, 0);
	CHECK_EQ(s, (long)(top - PG(4)));
	CHECK(vma_lookup(mm, (unsigned long)s)->vm_flags & VM_GROWSDOWN);
	CHECK_EQ(mm->stack_vm, 4UL);
	a = sys_mmap(mm, 0, PG(1), RW, ANON, NULL, 0);
	CHECK_EQ(a, (long)((unsigned long)s - stack_guard_gap - PG(1)));
	/* a hint in the gap is not taken */
	a = sys_mmap(mm, (unsigned long)s - PG(2), PG(1), RW, ANON, NULL, 0);
	CHECK(a != (long)((unsigned long)s - PG(2)));
	CHECK((unsigned long)a + PG(1) <= (unsigned long)s - stack_guard_gap);
	/* MAP_FIXED may go there */
	a = sys_mmap(mm, (unsigned long)s - PG(2), PG(1), RW, ANON | MAP_FIXED, NULL, 0);
	CHECK_EQ(a, (long)((unsigned long)s - PG(2)));
	CHECK_EQ(validate_mm(mm), 0);
	/* 6.x: once a stack's guard gap cuts the highest gap, the search goes
	 * on below the guard gap's start, even past free space that lies
	 * under another VMA inside the guard gap */
	a = sys_mmap(mm, 0, PG(1), RW, ANON, NULL, 0);
	CHECK((unsigned long)a + PG(1) <= (unsigned long)s - stack_guard_gap);
	teardown_mm(mm);
}

/* validate_mm notices what is wrong */
TEST(validate_detects)
{
	struct mm_struct *mm = setup_mm();
	unsigned long saved;

	map_at(mm, 0, 2, RW);
	map_at(mm, 4, 6, PROT_READ);
	mm->map_count++;
	CHECK_EQ(validate_mm(mm), -1);
	mm->map_count--;
	saved = mm->total_vm;
	mm->total_vm = 1;
	CHECK_EQ(validate_mm(mm), -1);
	mm->total_vm = saved;
	vma_at(mm, 4)->rb_subtree_gap++;
	CHECK_EQ(validate_mm(mm), -1);
	vma_at(mm, 4)->rb_subtree_gap--;
	CHECK_EQ(validate_mm(mm), 0);
	teardown_mm(mm);
}

/* many VMAs: alternate protections so nothing merges, then look every
 * one up and tear half of them down */
TEST(many_vmas)
{
	struct mm_struct *mm = setup_mm();
	const int n = 20000;
	unsigned long base = 0x200000000UL;

	CHECK_EQ(sys_mmap(mm, base, PG(n), RW, ANON | MAP_FIXED, NULL, 0), (long)base);
	for (int i = 0; i < n; i += 2)
		CHECK_EQ(sys_mprotect(mm, base + PG(i), PG(1), PROT_READ), 0);
	CHECK_EQ(mm->map_count, n);
	CHECK_EQ(validate_mm(mm), 0);
	for (int i = 0; i < n; i++) {
		struct vm_area_struct *v = find_vma(mm, base + PG(i));
		CHECK(v && v->vm_start == base + PG(i));
	}
	for (int i = 0; i < n; i += 4)
		CHECK_EQ(sys_munmap(mm, base + PG(i), PG(1)), 0);
	CHECK_EQ(validate_mm(mm), 0);
	/* the top-down search still finds the lowest holes when asked to */
	for (int i = 0; i < 100; i++)
		CHECK(sys_mmap(mm, 0, PG(1), RW, ANON, NULL, 0) > 0);
	CHECK_EQ(validate_mm(mm), 0);
	teardown_mm(mm);
}

/* ---- every allocation failing in turn ---------------------------------- */

struct counters {
	unsigned long total, data, exec, stack, locked;
	int map_count;
};

static struct counters snap(struct mm_struct *mm)
{
	struct counters c = { mm->total_vm, mm->data_vm, mm->exec_vm, mm->stack_vm,
			      mm->locked_vm, mm->map_count };
	return c;
}

static void same_counters(struct counters a, struct counters b)
{
	CHECK_EQ(a.total, b.total);
	CHECK_EQ(a.data, b.data);
	CHECK_EQ(a.exec, b.exec);
	CHECK_EQ(a.stack, b.stack);
	CHECK_EQ(a.locked, b.locked);
}

/* mmap of shared anonymous memory (VMA + shmem file) failing at each
 * allocation leaves nothing mapped and nothing leaked */
TEST(fail_mmap)
{
	for (long k = 0;; k++) {
		struct mm_struct *mm = setup_mm();
		struct counters before;
		long r;

		map_at(mm, 0, 2, RW);
		before = snap(mm);
		fail_after(k);
		r = sys_mmap(mm, AT(4), PG(2), RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
		fail_after(-1);
		CHECK_EQ(validate_mm(mm), 0);
		if (r == (long)AT(4)) {
			CHECK_STR(draw(mm), "AA  BB");
			teardown_mm(mm);
			break;
		}
		CHECK_EQ(r, -ENOMEM);
		CHECK_STR(draw(mm), "AA");
		same_counters(before, snap(mm));
		teardown_mm(mm);
		CHECK(k < 50);
	}
}

/* munmap splitting a VMA, mprotect splitting it twice: at each failure
 * the range is unchanged (splits done before the failure may stay) */
TEST(fail_split)
{
	for (long k = 0;; k++) {
		struct mm_struct *mm = setup_mm();
		struct counters before;
		long r;

		map_at(mm, 0, 9, RW);
		before = snap(mm);
		fail_after(k);
		r = sys_mprotect(mm, AT(3), PG(3), PROT_READ);
		fail_after(-1);
		CHECK_EQ(validate_mm(mm), 0);
		if (r == 0) {
			CHECK_STR(draw(mm), "AAABBBCCC");
			teardown_mm(mm);
			break;
		}
		CHECK_EQ(r, -ENOMEM);
		same_counters(before, snap(mm));
		for (int i = 0; i < 9; i++)
			CHECK(vma_at(mm, i)->vm_flags & VM_WRITE);
		teardown_mm(mm);
		CHECK(k < 50);
	}
	for (long k = 0;; k++) {
		struct mm_struct *mm = setup_mm();
		struct counters before;
		long r;

		map_at(mm, 0, 9, RW);
		before = snap(mm);
		fail_after(k);
		r = sys_munmap(mm, AT(3), PG(3));
		fail_after(-1);
		CHECK_EQ(validate_mm(mm), 0);
		if (r == 0) {
			CHECK_STR(draw(mm), "AAA   BBB");
			teardown_mm(mm);
			break;
		}
		CHECK_EQ(r, -ENOMEM);
		same_counters(before, snap(mm));
		CHECK_EQ(mm->total_vm, 9UL);
		teardown_mm(mm);
		CHECK(k < 50);
	}
}

/* mremap moving part of a faulted VMA: a failure before the copy leaves
 * everything as it was */
TEST(fail_mremap)
{
	for (long k = 0;; k++) {
		struct mm_struct *mm = setup_mm();
		struct counters before;
		long r;

		bool fired;

		map_at(mm, 0, 6, RW);
		CHECK_EQ(sys_madvise(mm, AT(0), PG(6), MADV_POPULATE_WRITE), 0);
		before = snap(mm);
		fail_after(k);
		r = sys_mremap(mm, AT(2), PG(2), PG(3), MREMAP_MAYMOVE | MREMAP_FIXED, AT(10));
		fired = fail_injected();
		fail_after(-1);
		CHECK_EQ(validate_mm(mm), 0);
		if (r == (long)AT(10) && fired) {
			/* the copy was made but the old range could not be split
			 * off: the kernel keeps both and reports success (a split
			 * made before the failure stays) */
			CHECK(!strcmp(draw(mm), "AAAAAA    BBB") || !strcmp(draw(mm), "AABBBB    CCC"));
			CHECK_EQ(mm->total_vm, 9UL);
			teardown_mm(mm);
			continue;
		}
		if (r == (long)AT(10)) {
			CHECK_STR(draw(mm), "AA  BB    CCC");
			CHECK_EQ(mm->total_vm, 7UL);
			teardown_mm(mm);
			break;
		}
		CHECK_EQ(r, -ENOMEM);
		same_counters(before, snap(mm));
		teardown_mm(mm);
		CHECK(k < 50);
	}
}

/* dup_mmap failing at each allocation: the half-built child is torn
 * down by mmput, the parent is untouched, nothing leaks */
TEST(fail_dup_mmap)
{
	for (long k = 0;; k++) {
		struct mm_struct *mm = setup_mm(), *child;
		struct counters before;
		int err;

		map_at(mm, 0, 2, RW);
		map_at(mm, 3, 5, PROT_READ);
		map_at(mm, 6, 8, RW);
		CHECK_EQ(sys_madvise(mm, AT(0), PG(8), MADV_POPULATE_WRITE), -ENOMEM);
		CHECK_EQ(sys_mmap(mm, AT(10), PG(2), RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, NULL, 0),
			 (long)AT(10));
		before = snap(mm);
		child = mm_alloc();
		CHECK(child != NULL);
		arch_pick_mmap_layout(child);
		fail_after(k);
		err = dup_mmap(child, mm);
		fail_after(-1);
		CHECK_EQ(validate_mm(mm), 0);
		same_counters(before, snap(mm));
		if (!err) {
			CHECK_EQ(validate_mm(child), 0);
			CHECK_STR(draw(child), "AA BB CC  DD");
			mmput(child);
			teardown_mm(mm);
			break;
		}
		CHECK_EQ(err, -ENOMEM);
		mmput(child);
		teardown_mm(mm);
		CHECK(k < 50);
	}
}

#define TESTS(X)                      \
	X(find_vma)                   \
	X(merge_new_range)            \
	X(merge_refused)              \
	X(special_never_merges)       \
	X(merge_existing_mprotect)    \
	X(merge_existing_right)       \
	X(split_at_max_map_count)     \
	X(anon_vma_prepare_and_reuse) \
	X(anon_vma_three_way)         \
	X(fork_blocks_merge)          \
	X(fork_copies)                \
	X(mremap_merges)              \
	X(fixed_noreplace)            \
	X(guard_gap)                  \
	X(validate_detects)           \
	X(many_vmas)                  \
	X(fail_mmap)                  \
	X(fail_split)                 \
	X(fail_mremap)                \
	X(fail_dup_mmap)
TEST_MAIN("vma", TESTS)
