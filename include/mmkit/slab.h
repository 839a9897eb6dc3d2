/* SPDX-License-Identifier: MIT */
/*
 * mmkit/slab.h - slab caches (the interface of include/linux/slab.h).
 *
 * The seeds: mm_alloc() takes a memory descriptor from the mm_cachep slab
 * cache with kmem_cache_alloc(); free_mm() gives it back with
 * kmem_cache_free(). Objects are carved from page-multiple chunks (slabs);
 * each slab keeps a freelist; a cache keeps full, partial and free slab
 * lists, and a per-CPU array of recently freed objects for the fast path
 * (a host thread plays a CPU). Thread-safe.
 *
 * Freed objects are poisoned: under AddressSanitizer their memory is made
 * inaccessible so a use-after-free is reported; otherwise with SLAB_POISON
 * they are filled with POISON_FREE and checked on reuse.
 */
#ifndef MMKIT_SLAB_H
#define MMKIT_SLAB_H

#include <stdio.h>
#include <mmkit/types.h>

typedef unsigned int gfp_t;
#define GFP_KERNEL 0u
#define __GFP_ZERO 0x100u

/* cache flags */
#define SLAB_HWCACHE_ALIGN 0x00002000UL /* align objects on cache lines */
#define SLAB_POISON 0x00000800UL        /* poison freed objects, check on reuse */
#define SLAB_PANIC 0x00040000UL         /* creation failure is fatal */

#define POISON_FREE 0x6b

struct kmem_cache;

/* kmalloc(0) returns this: not NULL, but not memory either */
#define ZERO_SIZE_PTR ((void *)16)
#define ZERO_OR_NULL_PTR(x) ((uintptr_t)(x) <= (uintptr_t)ZERO_SIZE_PTR)

struct kmem_cache *kmem_cache_create(const char *name, size_t size, size_t align,
				     unsigned long flags, void (*ctor)(void *));
void *kmem_cache_alloc(struct kmem_cache *cachep, gfp_t flags);
void *kmem_cache_zalloc(struct kmem_cache *cachep, gfp_t flags);
void kmem_cache_free(struct kmem_cache *cachep, void *objp);
/*
 * kmem_cache_destroy - free the cache. Live objects are a bug in the caller:
 * each is reported ("kmem_cache_destroy NAME: Slab cache still has objects")
 * and the count is returned; 0 when the cache was empty.
 */
long kmem_cache_destroy(struct kmem_cache *cachep);
/* give free slabs and the per-CPU arrays back; returns pages released */
long kmem_cache_shrink(struct kmem_cache *cachep);

/* kmalloc-style helpers for variable-sized objects (size classes) */
void *kmalloc(size_t size, gfp_t flags);
void *kzalloc(size_t size, gfp_t flags);
void kfree(const void *p);
char *kstrdup(const char *s, gfp_t flags);

struct slabinfo {
	const char *name;
	unsigned long active_objs; /* handed out and not yet freed */
	unsigned long num_objs;    /* capacity of all slabs */
	unsigned long objsize;     /* bytes per object including alignment */
	unsigned long objperslab;
	unsigned long pagesperslab;
	unsigned long active_slabs; /* slabs with at least one object in use */
	unsigned long num_slabs;
	unsigned long total_allocs, total_frees;
};
int kmem_cache_info(const struct kmem_cache *cachep, struct slabinfo *info);
const char *kmem_cache_name(const struct kmem_cache *cachep);
/* call @fn for every existing cache, in creation order */
void kmem_cache_for_each(void (*fn)(struct kmem_cache *, void *), void *arg);
/* /proc/slabinfo, version 2.1 format */
void slabinfo_show(FILE *out);

/* ---- fault injection (mm/failslab.c, lib/fault-inject.c) ------------- */
/*
 * Every allocation in mmkit (slab objects, kmalloc, later page frames,
 * page-table pages and swap slots) is one attempt, counted and possibly
 * failed by should_fail_alloc() (the slab allocator keeps the same books
 * inline, see src/failslab.c).
 * fail_after(n): the n-th allocation from now fails (0 = the very next),
 * once, and injection switches itself off; fail_after(-1) switches it off.
 * fail_alloc_count() counts allocation attempts since boot (for tests that
 * run an operation with n = 0, 1, 2, ... until it no longer fails).
 */
void fail_after(long n);
bool should_fail_alloc(const char *site);
unsigned long fail_alloc_count(void);
bool fail_injected(void); /* did the armed failure fire? */

#endif /* MMKIT_SLAB_H */
