/* SPDX-License-Identifier: MIT */
/*
 * src/init-mm.c - init_mm (mm/init-mm.c): the kernel's own address space.
 *
 * It heads mmlist, is never freed, and starts with mm_users 2 and
 * mm_count 1 as the kernel's static initialiser sets them. Each CPU's idle
 * task borrows it at boot (cpu_init's mmgrab), so its mm_count is
 * 1 + nr_cpus until the CPUs first run user tasks and give it back.
 */
#include "internal.h"

static pgd_t swapper_pg_dir[PAGE_SIZE / sizeof(pgd_t)] __attribute__((aligned(4096)));

struct mm_struct init_mm;

void mmk_init_mm_reset(void)
{
	memset(&init_mm, 0, sizeof(init_mm));
	init_mm.mm_rb = RB_ROOT;
	init_mm.pgd = swapper_pg_dir;
	atomic_set(&init_mm.mm_users, 2);
	atomic_set(&init_mm.mm_count, 1);
	init_rwsem(&init_mm.mmap_sem);
	spin_lock_init(&init_mm.page_table_lock);
	INIT_LIST_HEAD(&init_mm.mmlist);
	INIT_LIST_HEAD(&init_mm.mmk_all);
	INIT_LIST_HEAD(&init_mm.mmk_async);
	init_mm.task_size = TASK_SIZE_47;
	init_mm.mmk_id = 0;
	for (int i = 0; i < MMK_RLIM_NLIMITS; i++)
		init_mm.rlim[i] = MMK_RLIM_INFINITY;
}
