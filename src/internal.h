/* SPDX-License-Identifier: MIT */
/*
 * src/internal.h - what mmkit's source files share and library users do not
 * see (the kernel's mm/internal.h). Names with a __ prefix are the raw
 * variants whose caller already holds the lock.
 */
#ifndef MMKIT_INTERNAL_H
#define MMKIT_INTERNAL_H

#include <mmkit/mmkit.h>
#include <errno.h>
#include <string.h>
#include <stdio.h>

/* slab caches, created by proc_caches_init() at boot (kernel/fork.c) */
extern struct kmem_cache *mm_cachep;
extern struct kmem_cache *vm_area_cachep;
extern struct kmem_cache *task_struct_cachep;
extern struct kmem_cache *anon_vma_cachep;
extern struct kmem_cache *filp_cachep;
extern struct kmem_cache *pgd_cachep;

void proc_caches_init(void);
long proc_caches_destroy(void); /* objects still live */

/* tracing: calls mmk_hooks.trace if set */
void mmk_trace(const char *func, struct mm_struct *mm);

/* assertions in the manner of mimalloc's tiers:
 *  mmk_assert          always on: a broken invariant of the caller's use
 *  mmk_assert_internal on in debug/test builds: mmkit's own invariants */
#define mmk_assert(cond) \
	do { if (!(cond)) mmk_warn("%s:%d: assertion failed: %s", __FILE__, __LINE__, #cond); } while (0)
#ifndef NDEBUG
#define mmk_assert_internal(cond) mmk_assert(cond)
#else
#define mmk_assert_internal(cond) ((void)0)
#endif

/* ---- VMAs (vma.c, mmap.c, rmap.c) ---- */
struct vm_area_struct *vm_area_alloc(struct mm_struct *mm);
struct vm_area_struct *vm_area_dup(struct vm_area_struct *orig);
void vm_area_free(struct vm_area_struct *vma);
void vm_stat_account(struct mm_struct *mm, unsigned long flags, long npages);
int anon_vma_prepare(struct vm_area_struct *vma);
int anon_vma_fork(struct vm_area_struct *vma, struct vm_area_struct *pvma);
void unlink_anon_vmas(struct vm_area_struct *vma);

/* ---- page directory (the page layer replaces these later) ---- */
int mm_alloc_pgd(struct mm_struct *mm);
void mm_free_pgd(struct mm_struct *mm);

/* ---- tasks and deferred work (fork.c) ---- */
struct task_struct *mmk_alloc_task(const char *comm, int pid); /* pid < 0: next pid */
void mmk_reset_pids(void);
void mmk_link_task(struct task_struct *tsk);
void mmk_vfork_abort(struct task_struct *parent);
void mmput_async_flush(void);

/* ---- registry of live mms (fork.c) ---- */
extern spinlock_t mmk_mm_list_lock;
extern struct list_head mmk_mm_list;

/* ---- host memory (slab.c) ---- */
/* @len bytes aligned to @align, advised for huge pages when @huge; NULL
 * when the host says no; munmap(p, len) gives it back */
void *mmk_host_map_aligned(size_t len, size_t align, bool huge);

/* ---- the locks' contended side (spinlock.c, rwsem.c) ---- */
/* sleep while *val == expect; returns at once when it differs */
void __mmk_futex_wait(MMK_ATOMIC(unsigned int) *val, unsigned int expect);
/* spin briefly while *val has one of the @busy bits; true once it has none */
bool __mmk_spin_until_clear(MMK_ATOMIC(unsigned int) *val, unsigned int busy);

#endif
