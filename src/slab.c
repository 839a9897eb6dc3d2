/* SPDX-License-Identifier: MIT */
/*
 * src/slab.c - the slab allocator (mm/slab.c's design: per-CPU array
 * caches in front of per-cache slab lists; mm/slab_common.c's interface,
 * kmalloc size classes and /proc/slabinfo).
 *
 * Layout. A slab is a chunk of 2^order pages obtained with mmap and aligned
 * to its own size. The struct slab header sits at the start of the chunk,
 * followed by one state byte per object, the freelist (a stack of 16-bit
 * object indices), then the objects at s_mem, c->size bytes apart. The
 * allocator never stores anything inside an object, so a constructor's
 * state survives free/alloc, poison covers the whole object and
 * AddressSanitizer can keep every free object unaddressable.
 *
 * Finding the slab of a pointer: masking with the chunk size. A pointer
 * coming from a caller (kmem_cache_free, kfree) is first looked up in
 * slab_pagemap, a two-level table from page number to the cache owning
 * the slab there (or to a large kmalloc area) - the role struct page's
 * slab_cache plays in the kernel - so a foreign pointer is reported
 * instead of being dereferenced. Then it must be the start of an object
 * (a multiply and a rotate, obj_offset_index) whose state byte says it
 * is in a caller's hands.
 *
 * Per-CPU arrays. A thread plays a CPU: on first use it claims one of
 * SLAB_NR_CPUS slots exclusively (released when it exits); a thread that
 * finds all slots taken works directly on the slab lists. Each cache has
 * one struct array_cache per slot, a LIFO stack of free objects refilled
 * from and flushed to the slabs batchcount objects at a time.
 *
 * Per-CPU locking. On this host a locked instruction costs as much as
 * glibc's whole malloc+free, so the owner of a slot does not take a lock:
 * it marks itself busy with a plain store and then checks ac->gate (fast
 * paths) or ac->lock (slow paths). Anyone else touching the array (shrink,
 * destroy) takes ac->lock, shuts ac->gate, issues
 * membarrier(PRIVATE_EXPEDITED) - which orders the owner's store before
 * its check on every CPU - and then waits for busy to drop. This is
 * Dekker's algorithm with the owner's fence moved to the rare side. Where
 * membarrier is unavailable (or MMKIT_SLAB_LOCKED=1), the owner takes
 * ac->lock too: its gates stay shut and the fast paths fall through to the
 * slow ones.
 *
 * Fast paths. kmem_cache_alloc and kmem_cache_free are straight-line code
 * with no call and no locked instruction: the pop or push is allowed by
 * one compare of the array's avail with its gate, which is shut (0) for
 * everything unusual - no slot or no array yet (slab_no_array), a lock
 * holder, a debug cache - so that one test replaces a test per case. Fault
 * injection costs one test of the countdown: successful allocations are
 * counted for fail_alloc_count() by the allocation counts kept anyway (see
 * slab_fail_armed).
 *
 * Invariants (c = a cache, s = one of its slabs):
 *  - s is on exactly one of c->slabs_full (nr_free == 0), c->slabs_partial
 *    (0 < nr_free < num) or c->slabs_free (nr_free == num); c->nr_slabs
 *    counts all three, c->nr_free_slabs the last. All under c->list_lock.
 *  - An object is in exactly one place: s->free_idx[0..nr_free), one
 *    array_cache's entry[0..avail), or the caller's hands. Its state byte
 *    is OBJ_FREE exactly in the first case. In a debug cache (SLAB_POISON,
 *    or every cache under ASan) it is OBJ_CACHED in the second and
 *    OBJ_LIVE in the third; other caches do not pay for that on the fast
 *    path and leave it OBJ_LIVE in both.
 *  - Hence a double free is caught when it happens in a debug cache, or
 *    when the object already went back to its slab; otherwise (object
 *    still in an array) when the array is flushed and the second copy
 *    finds the object OBJ_FREE - never at the cost of the slab's books.
 *  - Under ASan an object is poisoned exactly when it is not OBJ_LIVE.
 *    Without ASan, with SLAB_POISON (and no ctor), a free object is filled
 *    with POISON_FREE.
 *  - active_objs (objects in callers' hands; those sitting in arrays are
 *    free) == c->nr_inuse (objects off the slab freelists) - the sum of
 *    the arrays' avail. total_allocs is counted per array by its holder
 *    (single writer) in the same word as avail, and per cache for the
 *    direct path; total_frees == total_allocs - active_objs. Every
 *    allocation counted there is one fault-injection attempt, and no other
 *    count holds it (slab_counted_attempts).
 *  - ac->gate == ac->gate_open (limit, or 0 in a debug cache) unless
 *    someone else holds ac->lock; then 0. c->cpu_array[i] is a real array
 *    or slab_no_array, whose gate is always 0.
 *  - Empty slabs kept: at most SLAB_FREE_LIMIT, or as many as the cache
 *    has slabs in use, whichever is more; more are unmapped, oldest
 *    first (see put_object).
 *  - Lock order: slab_mutex -> ac ownership (busy or ac->lock) ->
 *    c->list_lock -> pagemap_lock.
 */
#include <mmkit/slab.h>
#include <mmkit/debug.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#if defined(__SANITIZE_ADDRESS__)
#define SLAB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLAB_ASAN 1
#endif
#endif
#ifdef SLAB_ASAN
#include <sanitizer/asan_interface.h>
#define slab_poison(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define slab_unpoison(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define slab_poison(p, n) ((void)(p), (void)(n))
#define slab_unpoison(p, n) ((void)(p), (void)(n))
#endif

#ifndef likely
#endif

#ifndef __NR_membarrier
#define __NR_membarrier 324
#endif
#define SLAB_MEMBARRIER_QUERY 0
#define SLAB_MEMBARRIER_PRIVATE_EXPEDITED (1 << 3)
#define SLAB_MEMBARRIER_REGISTER_PRIVATE_EXPEDITED (1 << 4)

#define SLAB_NR_CPUS 64
#define AC_MAX 64
#define AC_SHIFT 8
#define AC_AVAIL_MASK ((1UL << AC_SHIFT) - 1)
#define SLAB_MAX_ORDER 10	/* 4 MiB slabs at most */
#define SLAB_ARENA_BYTES (2UL << 20) /* a host region of the slab arena */
#define SLAB_FREE_LIMIT 2	/* empty slabs kept per cache */
#define SLAB_MINALIGN sizeof(void *)

enum { OBJ_FREE = 0, OBJ_CACHED = 1, OBJ_LIVE = 2 };

#ifdef SLAB_ASAN
#define SLAB_DEBUG_ALWAYS 1
#else
#define SLAB_DEBUG_ALWAYS 0
#endif

struct slab {
	struct list_head slab_list;
	struct kmem_cache *cache;
	char *s_mem;			/* first object */
	unsigned int nr_free;		/* valid entries of free_idx[] */
	uint16_t *free_idx;		/* stack of free object indices */
	MMK_ATOMIC(unsigned char) state[]; /* one per object: OBJ_* */
};

struct array_cache {
	MMK_ATOMIC(int) busy;		/* the owner is inside */
	/*
	 * The owner's fast paths go ahead only while avail - 1 < gate (pop)
	 * or avail < gate (push). gate is gate_open (limit) normally and 0
	 * while someone else holds lock, or forever in a debug cache, whose
	 * objects need the slow path's bookkeeping, and in locked mode, where
	 * the owner must take lock: one compare covers "empty", "full",
	 * "locked", "debug" and "locked mode".
	 */
	MMK_ATOMIC(unsigned int) gate;
	/*
	 * (allocations << AC_SHIFT) | avail: one word, so that the fast path
	 * counts its allocation with the store that pops. Written by the
	 * holder only; kmem_cache_info reads it with a relaxed load.
	 */
	MMK_ATOMIC(unsigned long) stock;
	MMK_ATOMIC(int) lock;		/* held by someone else (or everyone, locked mode) */
	unsigned int gate_open;		/* gate when nobody else holds lock */
	unsigned int limit, batchcount;
	void *entry[AC_MAX];		/* free objects, entry[avail - 1] the hottest */
};

/*
 * The array of a CPU slot that has none yet, and of the pseudo-slot of
 * threads without a slot (SLOT_NONE_IDX): its gate is always shut, so the
 * fast paths need no NULL or slot test and land in the slow path. Never
 * locked or drained; cpu_ac() hides it from everything but the fast paths.
 */
static struct array_cache slab_no_array __attribute__((aligned(64)));

struct kmem_cache {
	/*
	 * Read by the fast paths, first cache line. Validating a pointer
	 * (see obj_offset_index): s = p & slab_base_mask, off = p - s -
	 * s_mem_off, idx = ror(off * obj_inv, obj_shift) < num.
	 */
	unsigned long slab_base_mask;	/* ~(slab_bytes - 1): a pointer's slab */
	unsigned long s_mem_off;	/* first object's offset in the slab */
	uint64_t obj_inv;		/* inverse of size's odd factor mod 2^64 */
	unsigned long num;		/* objects per slab */
	unsigned int obj_shift;		/* size's power-of-two factor: ctz(size) */
	unsigned int object_size;	/* as requested */
	bool debug;			/* exact object states, poison (see above) */

	unsigned int size;		/* stride: object_size rounded up to align */
	unsigned int align;
	unsigned long slab_bytes;	/* PAGE_SIZE << order */
	unsigned long flags;
	void (*ctor)(void *);
	unsigned int limit, batchcount;
	char *name;
	struct list_head list;		/* on slab_caches */
	/* per slot, then SLOT_NONE_IDX; &slab_no_array where there is none */
	MMK_ATOMIC(struct array_cache *) cpu_array[SLAB_NR_CPUS + 1];

	/* the "node": slab lists */
	pthread_mutex_t list_lock;
	struct list_head slabs_full, slabs_partial, slabs_free;
	unsigned long nr_slabs, nr_free_slabs;
	unsigned long nr_inuse;		/* objects off the slab freelists */
	/* allocations that bypassed the arrays */
	MMK_ATOMIC(unsigned long) direct_allocs;
};

static pthread_mutex_t slab_mutex = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static struct list_head slab_caches = LIST_HEAD_INIT(slab_caches);

/* ------------------------------------------------------------------ */
/*
 * pagemap: page number -> the owning cache | PM_SLAB, or a large area |
 * PM_LARGE, or 0. The tag makes a valid entry differ from every value a
 * lookup can be compared with by mistake: kmem_cache_free(c, p) checks
 * entry == c + PM_SLAB, which fails for a page of no slab (0) and for a
 * NULL c (2 is never stored) without testing either. Caches come from
 * calloc and large areas from mmap, so the two low bits are free.
 */

#define PM_LEAF_BITS 18
#define PM_ROOT_SHIFT (PAGE_SHIFT + PM_LEAF_BITS)
#define PM_ROOT_BITS (47 - PM_ROOT_SHIFT)
#define PM_LEAF_MASK ((1UL << PM_LEAF_BITS) - 1)
#define PM_LARGE 1UL
#define PM_SLAB 2UL
#define PM_TAGS (PM_LARGE | PM_SLAB)

static MMK_ATOMIC(MMK_ATOMIC(uintptr_t) *) slab_pagemap[1UL << PM_ROOT_BITS];
static pthread_mutex_t pagemap_lock = PTHREAD_MUTEX_INITIALIZER;

static inline __attribute__((always_inline)) uintptr_t pagemap_get(const void *p)
{
	uintptr_t root = (uintptr_t)p >> PM_ROOT_SHIFT;
	MMK_ATOMIC(uintptr_t) *leaf;

	/* beyond the 47-bit user address space (or not canonical) */
	if (unlikely(root >= (1UL << PM_ROOT_BITS)))
		return 0;
	leaf = atomic_load_explicit(&slab_pagemap[root], memory_order_acquire);
	if (unlikely(!leaf))
		return 0;
	return atomic_load_explicit(&leaf[((uintptr_t)p >> PAGE_SHIFT) & PM_LEAF_MASK], memory_order_acquire);
}

/* map every page of [start, start+len) to @val; fails only without memory */
static int pagemap_set(void *start, unsigned long len, uintptr_t val)
{
	uintptr_t pfn = (uintptr_t)start >> PAGE_SHIFT;
	uintptr_t end = ((uintptr_t)start + len) >> PAGE_SHIFT;

	if (((uintptr_t)start + len) >> 47)
		return -ENOMEM;
	for (; pfn < end; pfn++) {
		MMK_ATOMIC(MMK_ATOMIC(uintptr_t) *) *root = &slab_pagemap[pfn >> PM_LEAF_BITS];
		MMK_ATOMIC(uintptr_t) *leaf = atomic_load_explicit(root, memory_order_acquire);

		if (!leaf) {
			if (!val)
				continue;
			pthread_mutex_lock(&pagemap_lock);
			leaf = atomic_load_explicit(root, memory_order_acquire);
			if (!leaf) {
				void *m = mmap(NULL, sizeof(*leaf) << PM_LEAF_BITS, PROT_READ | PROT_WRITE,
					       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
				if (m == MAP_FAILED) {
					pthread_mutex_unlock(&pagemap_lock);
					return -ENOMEM;
				}
				leaf = m;
				atomic_store_explicit(root, leaf, memory_order_release);
			}
			pthread_mutex_unlock(&pagemap_lock);
		}
		atomic_store_explicit(&leaf[pfn & PM_LEAF_MASK], val, memory_order_release);
	}
	return 0;
}

/*
 * Host memory of @len bytes aligned to @align (a power of two, at least a
 * page), advised for huge pages when @huge; NULL when the host says no.
 * Give it back with munmap(p, len).
 */
void *mmk_host_map_aligned(size_t len, size_t align, bool huge)
{
	char *m, *p;

	if (align == PAGE_SIZE) {
		m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		p = m == MAP_FAILED ? NULL : m;
	} else {
		m = mmap(NULL, len + align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return NULL;
		p = (char *)(((uintptr_t)m + align - 1) & ~(uintptr_t)(align - 1));
		if (p > m)
			munmap(m, (size_t)(p - m));
		if (m + len + align > p + len)
			munmap(p + len, (size_t)(m + len + align - (p + len)));
	}
	if (p && huge)
		madvise(p, len, MADV_HUGEPAGE);
	return p;
}

/* a chunk of @bytes (a power-of-two number of pages) aligned to @bytes,
 * straight from the host */
static void *host_chunk_alloc(unsigned long bytes)
{
	return mmk_host_map_aligned(bytes, bytes, bytes >= SLAB_ARENA_BYTES);
}

#ifndef SLAB_ASAN
/*
 * The slab arena: small chunks (up to SLAB_ARENA_MAX_ORDER) are carved from
 * 2 MiB host regions that may be backed by huge pages, and a freed chunk
 * waits on a free list of its order for the next slab instead of going
 * back to the host - the page allocator under the kernel's slab, in
 * miniature. A mapping per slab cost a host mmap, a host fault per page
 * and a munmap (a TLB shootdown) each time, and spread a million VMAs
 * over 32,000 separate 4 KiB host pages, a TLB miss at every VMA visited
 * (find_vma_1m's lookups were two to three times slower at times). An
 * AddressSanitizer build keeps a mapping per slab, so that a stray access
 * to a released slab still faults.
 */
#define SLAB_ARENA_MAX_ORDER 4 /* 64 KiB */
static pthread_mutex_t arena_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char *next, *end;                          /* the region being carved */
	void *free[SLAB_ARENA_MAX_ORDER + 1];      /* freed chunks, linked through their first word */
} arena;

/* the largest aligned chunk at the carving point goes to its free list */
static void arena_spill(void)
{
	unsigned int o = SLAB_ARENA_MAX_ORDER;

	while ((PAGE_SIZE << o) > (size_t)(arena.end - arena.next) ||
	       ((uintptr_t)arena.next & ((PAGE_SIZE << o) - 1)))
		o--;
	*(void **)arena.next = arena.free[o];
	arena.free[o] = arena.next;
	arena.next += PAGE_SIZE << o;
}

static void *chunk_alloc(unsigned long bytes)
{
	unsigned int order = 0;
	void *p;

	while ((PAGE_SIZE << order) < bytes)
		order++;
	if (order > SLAB_ARENA_MAX_ORDER)
		return host_chunk_alloc(bytes);
	pthread_mutex_lock(&arena_lock);
	p = arena.free[order];
	if (p) {
		arena.free[order] = *(void **)p;
	} else {
		/* a chunk is aligned to its size: the pages skipped to get
		 * there, or what is left of a region too small for it, go to
		 * the free lists of the largest orders they fit */
		while (arena.next && arena.next < arena.end &&
		       (((uintptr_t)arena.next & (bytes - 1)) || (size_t)(arena.end - arena.next) < bytes))
			arena_spill();
		if (!arena.next || arena.next == arena.end) {
			arena.next = host_chunk_alloc(SLAB_ARENA_BYTES);
			arena.end = arena.next ? arena.next + SLAB_ARENA_BYTES : NULL;
		}
		p = arena.next;
		if (p)
			arena.next += bytes;
	}
	pthread_mutex_unlock(&arena_lock);
	return p;
}

static void chunk_free(void *p, unsigned long bytes)
{
	unsigned int order = 0;

	pagemap_set(p, bytes, 0);
	while ((PAGE_SIZE << order) < bytes)
		order++;
	if (order > SLAB_ARENA_MAX_ORDER) {
		munmap(p, bytes);
		return;
	}
	pthread_mutex_lock(&arena_lock);
	*(void **)p = arena.free[order];
	arena.free[order] = p;
	pthread_mutex_unlock(&arena_lock);
}
#else
static void *chunk_alloc(unsigned long bytes)
{
	return host_chunk_alloc(bytes);
}

static void chunk_free(void *p, unsigned long bytes)
{
	pagemap_set(p, bytes, 0);
	/* the shadow outlives the mapping: leave it clean for the next user */
	slab_unpoison(p, bytes);
	munmap(p, bytes);
}
#endif

/* ------------------------------------------------------------------ */
/* CPU slots and the asymmetric fence                                  */

static MMK_ATOMIC(uint64_t) slot_claimed;
static MMK_ATOMIC(unsigned int) slot_rr;
/*
 * Owners run lock-free (membarrier works). Written once, in slab_once,
 * before the first array exists; every reader reached an array first.
 */
static bool slab_asym;
static pthread_once_t slab_once = PTHREAD_ONCE_INIT;
static pthread_key_t slot_key;

#define SLOT_UNSET (-2)
#define SLOT_NONE (-1)
#define SLOT_NONE_IDX SLAB_NR_CPUS	/* cpu_array[] of threads without a fast slot */
static __thread int slab_cpu __attribute__((tls_model("initial-exec"))) = SLOT_UNSET;
/* where cpu_array[@cpu] sits in a struct kmem_cache */
#define CPU_ARRAY_OFF(cpu) (offsetof(struct kmem_cache, cpu_array) + \
			    (cpu) * sizeof(MMK_ATOMIC(struct array_cache *)))
/*
 * CPU_ARRAY_OFF(slab_cpu), or that of SLOT_NONE_IDX (whose array is
 * slab_no_array) while the thread has no slot: the fast paths find their
 * array with it - one load, no test. A slot owner in locked mode gets its
 * own array too (whose gate stays shut), so that its fast path's busy
 * stores go to a line of its own rather than to slab_no_array's.
 */
static __thread unsigned long slab_fast_off __attribute__((tls_model("initial-exec"))) =
	CPU_ARRAY_OFF(SLOT_NONE_IDX);

static long slab_membarrier_call(int cmd)
{
	return syscall(__NR_membarrier, cmd, 0, 0);
}

static void slot_release(void *arg);

static void slab_global_init(void)
{
	const char *env = getenv("MMKIT_SLAB_LOCKED");
	long cmds = slab_membarrier_call(SLAB_MEMBARRIER_QUERY);

	pthread_key_create(&slot_key, slot_release);
	if (env && *env && strcmp(env, "0") != 0)
		return;
	if (cmds > 0 && (cmds & SLAB_MEMBARRIER_PRIVATE_EXPEDITED) &&
	    slab_membarrier_call(SLAB_MEMBARRIER_REGISTER_PRIVATE_EXPEDITED) == 0 &&
	    slab_membarrier_call(SLAB_MEMBARRIER_PRIVATE_EXPEDITED) == 0)
		slab_asym = true;
}

/* a full barrier on every CPU running one of our threads */
static void slab_sync_owners(void)
{
	if (!slab_asym)
		return;
	if (slab_membarrier_call(SLAB_MEMBARRIER_PRIVATE_EXPEDITED) == 0)
		return;
	/* a child after fork may have to register again */
	if (slab_membarrier_call(SLAB_MEMBARRIER_REGISTER_PRIVATE_EXPEDITED) == 0 &&
	    slab_membarrier_call(SLAB_MEMBARRIER_PRIVATE_EXPEDITED) == 0)
		return;
	/* owners rely on it: without it the arrays cannot be drained safely */
	fprintf(stderr, "mmkit: slab: membarrier failed (errno %d)\n", errno);
	abort();
}

static int __attribute__((noinline)) slot_claim(void)
{
	unsigned int start;

	if (slab_cpu == SLOT_NONE)
		return SLOT_NONE;
	pthread_once(&slab_once, slab_global_init);
	start = atomic_fetch_add(&slot_rr, 1);
	for (unsigned int i = 0; i < SLAB_NR_CPUS; i++) {
		unsigned int cpu = (start + i) % SLAB_NR_CPUS;
		uint64_t old = atomic_load(&slot_claimed);
		while (!(old & (1ULL << cpu))) {
			if (atomic_compare_exchange_weak(&slot_claimed, &old, old | (1ULL << cpu))) {
				slab_cpu = (int)cpu;
				slab_fast_off = CPU_ARRAY_OFF(cpu);
				pthread_setspecific(slot_key, (void *)(uintptr_t)(cpu + 1));
				return (int)cpu;
			}
		}
	}
	slab_cpu = SLOT_NONE;
	return SLOT_NONE;
}

static inline __attribute__((always_inline)) int slab_this_cpu(void)
{
	int cpu = slab_cpu;

	if (likely(cpu >= 0))
		return cpu;
	return slot_claim();
}

/* the owner enters its own array; false: someone else holds it */
static inline __attribute__((always_inline)) bool ac_enter(struct array_cache *ac)
{
	if (likely(slab_asym)) {
		atomic_store_explicit(&ac->busy, 1, memory_order_relaxed);
		atomic_signal_fence(memory_order_seq_cst);
		if (likely(!atomic_load_explicit(&ac->lock, memory_order_acquire)))
			return true;
		atomic_store_explicit(&ac->busy, 0, memory_order_release);
		return false;
	}
	while (atomic_exchange_explicit(&ac->lock, 1, memory_order_acquire))
		sched_yield();
	return true;
}

static inline __attribute__((always_inline)) void ac_exit(struct array_cache *ac)
{
	if (likely(slab_asym))
		atomic_store_explicit(&ac->busy, 0, memory_order_release);
	else
		atomic_store_explicit(&ac->lock, 0, memory_order_release);
}

/*
 * someone other than the owner: take the lock and shut the gate, which
 * keeps the owner's fast paths out; slab_sync_owners() makes both visible
 * to an owner that has not yet marked itself busy
 */
static void ac_lock(struct array_cache *ac)
{
	while (atomic_exchange_explicit(&ac->lock, 1, memory_order_acquire))
		sched_yield();
	atomic_store_explicit(&ac->gate, 0, memory_order_relaxed);
}

/* after ac_lock() and slab_sync_owners(): wait for the owner to leave */
static void ac_wait_owner(struct array_cache *ac)
{
	while (atomic_load_explicit(&ac->busy, memory_order_acquire))
		sched_yield();
}

static void ac_unlock(struct array_cache *ac)
{
	atomic_store_explicit(&ac->gate, ac->gate_open, memory_order_release);
	atomic_store_explicit(&ac->lock, 0, memory_order_release);
}

/* the array of this thread's fast slot, slab_no_array if none */
static inline __attribute__((always_inline)) struct array_cache *fast_ac(struct kmem_cache *c)
{
	return atomic_load_explicit((MMK_ATOMIC(struct array_cache *) *)(void *)((char *)c + slab_fast_off),
				    memory_order_relaxed);
}

/* the array of @cpu, or NULL while it has none */
static inline __attribute__((always_inline)) struct array_cache *cpu_ac(struct kmem_cache *c, int cpu,
									   memory_order mo)
{
	struct array_cache *ac = atomic_load_explicit(&c->cpu_array[cpu], mo);

	return ac == &slab_no_array ? NULL : ac;
}

/*
 * Fault injection (failslab.c). Every kmem_cache_alloc/kmalloc is one
 * attempt, counted exactly once: an allocation that succeeds is counted
 * by the count the slab allocator keeps anyway (an array's stock, or
 * direct_allocs), which fail_alloc_count() adds up through
 * slab_counted_attempts(); one that does not - injected, or out of
 * memory - is counted by failslab.c (fail_tick_uncounted() for the
 * former, fail_count_attempt() for the latter). So the fast path only
 * tests whether injection is armed: one load, no counting of its own.
 */
extern MMK_ATOMIC(long) mmk_fail_countdown __attribute__((visibility("hidden")));
bool fail_tick_uncounted(const char *site) __attribute__((visibility("hidden")));
void fail_count_attempt(void) __attribute__((visibility("hidden")));
unsigned long slab_counted_attempts(void) __attribute__((visibility("hidden")));

static inline __attribute__((always_inline)) bool slab_fail_armed(void)
{
	return atomic_load_explicit(&mmk_fail_countdown, memory_order_relaxed) >= 0;
}

/* the allocations destroyed caches had counted (under slab_mutex) */
static unsigned long slab_retired_allocs;

/* ------------------------------------------------------------------ */
/* objects and slabs                                                   */

static inline __attribute__((always_inline)) struct slab *obj_slab(const struct kmem_cache *c, const void *obj)
{
	return (struct slab *)((uintptr_t)obj & c->slab_base_mask);
}

/*
 * The index of the object starting at byte @off of the object area, or a
 * number >= c->num when no object starts there - one multiply, one rotate,
 * one compare and no divide. With size = 2^k * d (d odd; k >= 3 since
 * objects are pointer-aligned) and inv = d^-1 mod 2^64: when size divides
 * off, off * inv = 2^k * (off / size) exactly and rotating right by k
 * gives off / size. When 2^k does not divide off, its low k bits (those of
 * off times an odd number) are not all zero and rotate to the top; when d
 * does not divide off / 2^k, the product's upper 64 - k bits exceed
 * (2^(64-k) - 1) / d (the divisibility test by multiplication, Granlund
 * and Montgomery 1994). Either way the result is far above num. An off
 * inside the header wraps to nearly 2^64 and, if size divides it, yields
 * a quotient far above num too. A power-of-two size has inv = 1: the same
 * code, no branch.
 */
static inline __attribute__((always_inline)) unsigned long obj_offset_index(const struct kmem_cache *c,
									   unsigned long off)
{
	uint64_t x = off * c->obj_inv;
	unsigned int k = c->obj_shift;

	return (unsigned long)((x >> k) | (x << (-k & 63)));
}

/* the index of a pointer known to be the start of one of s's objects */
static inline __attribute__((always_inline)) unsigned int obj_index(const struct kmem_cache *c, const struct slab *s, const void *obj)
{
	return (unsigned int)obj_offset_index(c, (unsigned long)((const char *)obj - s->s_mem));
}

static inline __attribute__((always_inline)) void *index_obj(const struct kmem_cache *c, const struct slab *s, unsigned int idx)
{
	return s->s_mem + (size_t)idx * c->size;
}

/* a new slab with every object free (constructed, poisoned); list_lock not held */
static struct slab *cache_grow(struct kmem_cache *c)
{
	struct slab *s = chunk_alloc(c->slab_bytes);

	if (!s)
		return NULL;
	INIT_LIST_HEAD(&s->slab_list);
	s->cache = c;
	s->s_mem = (char *)s + c->s_mem_off;
	s->nr_free = c->num;
	s->free_idx = (uint16_t *)(void *)((uintptr_t)&s->state[c->num + 1] & ~(uintptr_t)1);
	/* pop order 0, 1, 2, ...: index i sits at stack depth num-1-i */
	for (unsigned int i = 0; i < c->num; i++) {
		s->free_idx[i] = (uint16_t)(c->num - 1 - i);
		atomic_init(&s->state[i], OBJ_FREE);
	}
	for (unsigned int i = 0; i < c->num; i++) {
		void *obj = index_obj(c, s, i);
		if (c->ctor)
			c->ctor(obj);
#ifndef SLAB_ASAN
		else if (c->flags & SLAB_POISON)
			memset(obj, POISON_FREE, c->size);
#endif
		slab_poison(obj, c->size);
	}
	if (pagemap_set(s, c->slab_bytes, (uintptr_t)c | PM_SLAB) != 0) {
		chunk_free(s, c->slab_bytes);
		return NULL;
	}
	return s;
}

/* list_lock held */
static void add_new_slab(struct kmem_cache *c, struct slab *s)
{
	list_add(&s->slab_list, &c->slabs_free);
	c->nr_slabs++;
	c->nr_free_slabs++;
}

/*
 * Move up to @want free objects from the slab lists to @dst (the lowest
 * index of the most used slab first). list_lock held.
 */
static unsigned int take_objects(struct kmem_cache *c, void **dst, unsigned int want)
{
	unsigned int got = 0;

	while (got < want) {
		struct slab *s;

		if (!list_empty(&c->slabs_partial)) {
			s = list_entry(c->slabs_partial.next, struct slab, slab_list);
		} else if (!list_empty(&c->slabs_free)) {
			s = list_entry(c->slabs_free.next, struct slab, slab_list);
			c->nr_free_slabs--;
		} else {
			break;
		}
		while (s->nr_free && got < want) {
			unsigned int idx = s->free_idx[--s->nr_free];
			atomic_store_explicit(&s->state[idx], c->debug ? OBJ_CACHED : OBJ_LIVE,
					      memory_order_relaxed);
			dst[got++] = index_obj(c, s, idx);
		}
		list_del_init(&s->slab_list);
		list_add(&s->slab_list, s->nr_free ? &c->slabs_partial : &c->slabs_full);
	}
	c->nr_inuse += got;
	return got;
}

/*
 * Give one free object back to its slab. An empty slab beyond the
 * SLAB_FREE_LIMIT goes to @release (to be unmapped after the lock is
 * dropped). list_lock held.
 */
static void put_object(struct kmem_cache *c, void *obj, struct list_head *release)
{
	struct slab *s = obj_slab(c, obj);
	unsigned int idx = obj_index(c, s, obj);

	if (unlikely(atomic_load_explicit(&s->state[idx], memory_order_relaxed) == OBJ_FREE ||
		     s->nr_free >= c->num)) {
		/* the second copy of a double-freed object: drop it */
		mmk_warn("kmem_cache_free %s: double free of object %p (found when flushing a per-CPU array)",
			 c->name, obj);
		return;
	}
	atomic_store_explicit(&s->state[idx], OBJ_FREE, memory_order_relaxed);
	s->free_idx[s->nr_free++] = (uint16_t)idx;
	c->nr_inuse--;
	if (s->nr_free == c->num) {
		list_del_init(&s->slab_list);
		c->nr_free_slabs++;
		list_add(&s->slab_list, &c->slabs_free);
		/*
		 * Unmapping a slab is a host munmap (a system call and a TLB
		 * shootdown), and mapping one again a host fault per page: a
		 * cache that swings (a fork of a 10,000-VMA process, then its
		 * exit) keeps up to as many empty slabs as it has in use, for
		 * the next swing; an idle cache shrinks to SLAB_FREE_LIMIT.
		 * The oldest empty slabs go first. kmem_cache_shrink gives
		 * back every empty slab.
		 */
		while (c->nr_free_slabs > SLAB_FREE_LIMIT &&
		       c->nr_free_slabs > c->nr_slabs - c->nr_free_slabs) {
			struct slab *old = list_entry(c->slabs_free.prev, struct slab, slab_list);

			list_del_init(&old->slab_list);
			c->nr_free_slabs--;
			c->nr_slabs--;
			list_add(&old->slab_list, release);
		}
	} else if (s->nr_free == 1) {
		list_del_init(&s->slab_list);
		list_add(&s->slab_list, &c->slabs_partial);
	}
}

static unsigned long release_slabs(struct kmem_cache *c, struct list_head *release)
{
	struct list_head *pos, *n;
	unsigned long pages = 0;

	list_for_each_safe(pos, n, release) {
		struct slab *s = list_entry(pos, struct slab, slab_list);
		list_del_init(&s->slab_list);
		chunk_free(s, c->slab_bytes);
		pages += c->slab_bytes / PAGE_SIZE;
	}
	return pages;
}

static void put_objects(struct kmem_cache *c, void **objs, unsigned int n)
{
	struct list_head release = LIST_HEAD_INIT(release);

	pthread_mutex_lock(&c->list_lock);
	for (unsigned int i = 0; i < n; i++)
		put_object(c, objs[i], &release);
	pthread_mutex_unlock(&c->list_lock);
	release_slabs(c, &release);
}

/* fill @dst with up to @want objects, growing the cache if needed */
static unsigned int get_objects(struct kmem_cache *c, void **dst, unsigned int want)
{
	for (;;) {
		unsigned int got;
		struct slab *s;

		pthread_mutex_lock(&c->list_lock);
		got = take_objects(c, dst, want);
		pthread_mutex_unlock(&c->list_lock);
		if (got)
			return got;
		s = cache_grow(c);
		if (!s)
			return 0;
		pthread_mutex_lock(&c->list_lock);
		add_new_slab(c, s);
		pthread_mutex_unlock(&c->list_lock);
	}
}

/* ------------------------------------------------------------------ */
/* the array caches                                                    */

static inline __attribute__((always_inline)) unsigned int ac_avail(struct array_cache *ac)
{
	return (unsigned int)(atomic_load_explicit(&ac->stock, memory_order_relaxed) & AC_AVAIL_MASK);
}

/* the holder sets avail, keeping the allocation count; +@allocs of them */
static inline __attribute__((always_inline)) void ac_set_avail(struct array_cache *ac, unsigned int avail,
								unsigned long allocs)
{
	unsigned long w = atomic_load_explicit(&ac->stock, memory_order_relaxed);

	w = ((w & ~AC_AVAIL_MASK) + (allocs << AC_SHIFT)) | avail;
	atomic_store_explicit(&ac->stock, w, memory_order_relaxed);
}

/* empty array: take a batch from the slabs; returns the new avail */
static unsigned int cache_alloc_refill(struct kmem_cache *c, struct array_cache *ac)
{
	unsigned int got = get_objects(c, ac->entry, ac->batchcount);

	/* reverse, so that pops hand out ascending addresses */
	for (unsigned int i = 0; i < got / 2; i++) {
		void *t = ac->entry[i];
		ac->entry[i] = ac->entry[got - 1 - i];
		ac->entry[got - 1 - i] = t;
	}
	return got;
}

/* full array: the oldest batchcount objects go back; returns the new avail */
static unsigned int cache_flusharray(struct kmem_cache *c, struct array_cache *ac, unsigned int avail)
{
	unsigned int n = ac->batchcount;

	put_objects(c, ac->entry, n);
	memmove(ac->entry, ac->entry + n, (avail - n) * sizeof(void *));
	return avail - n;
}

static void __attribute__((noinline)) *alloc_direct(struct kmem_cache *c)
{
	void *obj;

	if (!get_objects(c, &obj, 1))
		return NULL;
	atomic_fetch_add_explicit(&c->direct_allocs, 1, memory_order_relaxed);
	return obj;
}

static void __attribute__((noinline)) free_direct(struct kmem_cache *c, void *obj)
{
	put_objects(c, &obj, 1);
}

/* the owner's first use of this cache: make its array */
static struct array_cache *alloc_arraycache(struct kmem_cache *c, int cpu)
{
	struct array_cache *ac = aligned_alloc(64, (sizeof(*ac) + 63) & ~(size_t)63);

	if (!ac)
		return NULL;
	memset(ac, 0, sizeof(*ac));
	ac->limit = c->limit;
	ac->batchcount = c->batchcount;
	/*
	 * A debug cache's objects always take the slow paths, and so does an
	 * owner that must take ac->lock (slab_asym is set before any slot is
	 * claimed, hence before any array exists).
	 */
	ac->gate_open = c->debug || !slab_asym ? 0 : c->limit;
	atomic_init(&ac->gate, ac->gate_open);
	atomic_store_explicit(&c->cpu_array[cpu], ac, memory_order_release);
	return ac;
}

#ifndef SLAB_ASAN
static void __attribute__((noinline)) check_poison(struct kmem_cache *c, void *obj)
{
	const unsigned char *p = obj;

	for (unsigned int i = 0; i < c->size; i++) {
		if (p[i] != POISON_FREE) {
			mmk_warn("%s: object %p was written after free (offset %u holds 0x%02x, not 0x%02x)",
				 c->name, obj, i, p[i], POISON_FREE);
			return;
		}
	}
}
#endif

/*
 * The debugging and zeroing part of handing an object out. @req: the
 * bytes asked for (kmalloc), 0 for the cache's object_size.
 */
static void *__attribute__((noinline)) slab_post_alloc_debug(struct kmem_cache *c, void *obj, gfp_t flags,
							      size_t req)
{
	if (!req)
		req = c->object_size;
	if (c->debug) {
		struct slab *s = obj_slab(c, obj);
		atomic_store_explicit(&s->state[obj_index(c, s, obj)], OBJ_LIVE, memory_order_relaxed);
		slab_unpoison(obj, req);
#ifndef SLAB_ASAN
		if (c->flags & SLAB_POISON)
			check_poison(c, obj);
#endif
	}
	if (flags & __GFP_ZERO)
		memset(obj, 0, req);
	return obj;
}

/* the object now belongs to the caller: mark, unpoison, check, zero */
static inline __attribute__((always_inline)) void *slab_post_alloc(struct kmem_cache *c, void *obj,
								   gfp_t flags, size_t req)
{
	if (unlikely(SLAB_DEBUG_ALWAYS | c->debug | (flags & __GFP_ZERO)))
		return slab_post_alloc_debug(c, obj, flags, req);
	return obj;
}

/* everything but the owner's lock-free pop: first use, refill, locked mode, debug */
static void *__attribute__((noinline)) slab_alloc_slow(struct kmem_cache *c, gfp_t flags, size_t req)
{
	int cpu = slab_this_cpu();
	struct array_cache *ac;
	void *obj;

	if (cpu < 0) {
		obj = alloc_direct(c);
	} else {
		ac = cpu_ac(c, cpu, memory_order_relaxed);
		if (!ac)
			ac = alloc_arraycache(c, cpu);
		if (ac && ac_enter(ac)) {
			unsigned int avail = ac_avail(ac);
			if (!avail)
				avail = cache_alloc_refill(c, ac);
			obj = avail ? ac->entry[--avail] : NULL;
			ac_set_avail(ac, avail, obj != NULL);
			ac_exit(ac);
		} else {
			obj = alloc_direct(c);
		}
	}
	if (unlikely(!obj)) {
		/* no allocation counts this attempt: failslab.c does */
		fail_count_attempt();
		return NULL;
	}
	return slab_post_alloc(c, obj, flags, req);
}

/*
 * The fast path: the slot owner pops from its array without a locked
 * instruction (see "Per-CPU locking" above). A closed gate - no slot, no
 * array yet, an empty array, someone else holding it, a debug cache -
 * sends it to the slow path, all with the one compare.
 */
static inline __attribute__((always_inline)) void *slab_alloc(struct kmem_cache *c, gfp_t flags, size_t req)
{
	struct array_cache *ac = fast_ac(c);
	unsigned long w, avail;
	unsigned int gate;
	void *obj;

	atomic_store_explicit(&ac->busy, 1, memory_order_relaxed);
	atomic_signal_fence(memory_order_seq_cst);
	gate = atomic_load_explicit(&ac->gate, memory_order_acquire);
	/* one fewer available, one more allocation */
	w = atomic_load_explicit(&ac->stock, memory_order_relaxed) + (1UL << AC_SHIFT) - 1;
	/* the new avail; AC_AVAIL_MASK (>= any gate) when the array was empty */
	avail = w & AC_AVAIL_MASK;
	if (unlikely(avail >= gate))
		goto slow_busy;
	obj = ac->entry[avail];
	atomic_store_explicit(&ac->stock, w, memory_order_relaxed);
	atomic_store_explicit(&ac->busy, 0, memory_order_release);
	/* not a debug cache (the gate is shut for those): only zeroing is left */
	if (unlikely(flags & __GFP_ZERO))
		return slab_post_alloc_debug(c, obj, flags, req);
	return obj;

slow_busy:
	atomic_store_explicit(&ac->busy, 0, memory_order_release);
	return slab_alloc_slow(c, flags, req);
}

static void __attribute__((noinline, cold)) slab_free_report(struct kmem_cache *c, const void *obj,
							     const char *who, uintptr_t e)
{
	struct kmem_cache *owner = (e & PM_SLAB) ? (struct kmem_cache *)(e & ~PM_TAGS) : NULL;
	const char *name = c ? c->name : "";
	const char *sep = c ? " " : "";

	if (!owner)
		mmk_warn("%s%s%s: %p is not an object of any slab cache", who, sep, name, obj);
	else if (c && owner != c)
		mmk_warn("%s %s: object %p belongs to cache %s", who, name, obj, owner->name);
	else
		mmk_warn("%s%s%s: %p is not the start of an object of %s", who, sep, name, obj, owner->name);
}

static void __attribute__((noinline, cold)) slab_double_free(struct kmem_cache *c, const void *obj,
							     const char *who)
{
	mmk_warn("%s %s: double free of object %p", who, c->name, obj);
}

/* an object goes back into the array of this thread's slot, or to its slab */
static void __attribute__((noinline)) slab_free_slow(struct kmem_cache *c, void *obj)
{
	struct array_cache *ac;
	unsigned int avail;
	int cpu;

	if (SLAB_DEBUG_ALWAYS || c->debug) {
		/* a debug cache's object: exact state, poison */
		struct slab *s = obj_slab(c, obj);
		atomic_store_explicit(&s->state[obj_index(c, s, obj)], OBJ_CACHED, memory_order_relaxed);
#ifndef SLAB_ASAN
		if (c->flags & SLAB_POISON)
			memset(obj, POISON_FREE, c->size);
#endif
		slab_poison(obj, c->size);
	}
	cpu = slab_this_cpu();
	if (cpu < 0) {
		free_direct(c, obj);
		return;
	}
	ac = cpu_ac(c, cpu, memory_order_relaxed);
	if (!ac)
		ac = alloc_arraycache(c, cpu);
	if (!ac || !ac_enter(ac)) {
		free_direct(c, obj);
		return;
	}
	avail = ac_avail(ac);
	if (avail >= ac->limit)
		avail = cache_flusharray(c, ac, avail);
	ac->entry[avail] = obj;
	ac_set_avail(ac, avail + 1, 0);
	ac_exit(ac);
}

/* the fast path of a validated object: as slab_alloc(), a push */
static inline __attribute__((always_inline)) void slab_free(struct kmem_cache *c, void *obj)
{
	struct array_cache *ac = fast_ac(c);
	unsigned long w, avail;
	unsigned int gate;

	atomic_store_explicit(&ac->busy, 1, memory_order_relaxed);
	atomic_signal_fence(memory_order_seq_cst);
	gate = atomic_load_explicit(&ac->gate, memory_order_acquire);
	w = atomic_load_explicit(&ac->stock, memory_order_relaxed);
	avail = w & AC_AVAIL_MASK;
	if (unlikely(avail >= gate))
		goto slow_busy;
	ac->entry[avail] = obj;
	atomic_store_explicit(&ac->stock, w + 1, memory_order_relaxed);
	atomic_store_explicit(&ac->busy, 0, memory_order_release);
	return;

slow_busy:
	atomic_store_explicit(&ac->busy, 0, memory_order_release);
	slab_free_slow(c, obj);
}

/*
 * Free @obj, whose page belongs to @c (pagemap entry @e): it must be the
 * start of one of c's objects, handed out and not yet freed - else report
 * (@any: the caller named no cache, as kfree).
 */
static inline __attribute__((always_inline)) void slab_free_checked(struct kmem_cache *c, void *obj,
								    uintptr_t e, const char *who, bool any)
{
	struct slab *s = obj_slab(c, obj);
	/* inside the header, the offset wraps and the index is far too big */
	unsigned long idx = obj_offset_index(c, (uintptr_t)obj - (uintptr_t)s - c->s_mem_off);

	if (unlikely(idx >= c->num)) {
		slab_free_report(any ? NULL : c, obj, who, e);
		return;
	}
	if (unlikely(atomic_load_explicit(&s->state[idx], memory_order_relaxed) != OBJ_LIVE)) {
		slab_double_free(c, obj, who);
		return;
	}
	slab_free(c, obj);
}

/* ------------------------------------------------------------------ */
/* draining                                                            */

/* flush every array of @c to the slabs; the caller holds no cache lock */
static void drain_cpu_caches(struct kmem_cache *c)
{
	struct array_cache *acs[SLAB_NR_CPUS];
	int n = 0;

	for (int i = 0; i < SLAB_NR_CPUS; i++) {
		struct array_cache *ac = cpu_ac(c, i, memory_order_acquire);
		if (ac) {
			ac_lock(ac);
			acs[n++] = ac;
		}
	}
	if (!n)
		return;
	slab_sync_owners();
	for (int i = 0; i < n; i++) {
		ac_wait_owner(acs[i]);
		put_objects(c, acs[i]->entry, ac_avail(acs[i]));
		ac_set_avail(acs[i], 0, 0);
		ac_unlock(acs[i]);
	}
}

/* thread exit: the owner gives back its arrays and its slot */
static void slot_release(void *arg)
{
	int cpu = (int)(uintptr_t)arg - 1;
	struct list_head *pos;

	pthread_mutex_lock(&slab_mutex);
	list_for_each(pos, &slab_caches) {
		struct kmem_cache *c = list_entry(pos, struct kmem_cache, list);
		struct array_cache *ac = cpu_ac(c, cpu, memory_order_relaxed);
		if (ac && ac_enter(ac)) {
			put_objects(c, ac->entry, ac_avail(ac));
			ac_set_avail(ac, 0, 0);
			ac_exit(ac);
		}
	}
	pthread_mutex_unlock(&slab_mutex);
	slab_cpu = SLOT_NONE;
	slab_fast_off = CPU_ARRAY_OFF(SLOT_NONE_IDX);
	atomic_fetch_and(&slot_claimed, ~(1ULL << cpu));
}

/* ------------------------------------------------------------------ */
/* caches                                                              */

static unsigned int calculate_alignment(unsigned long flags, size_t align, size_t size)
{
	if (flags & SLAB_HWCACHE_ALIGN) {
		/* as the kernel: small objects share a line instead of padding */
		size_t ralign = 64;
		while (size <= ralign / 2)
			ralign /= 2;
		if (align < ralign)
			align = ralign;
	}
	if (align < SLAB_MINALIGN)
		align = SLAB_MINALIGN;
	return (unsigned int)align;
}

/* header bytes before the first object of a slab with @num objects */
static size_t slab_mgmt_size(unsigned int num, unsigned int align)
{
	size_t h = sizeof(struct slab) + (size_t)num * (sizeof(uint16_t) + 1) + 1;
	return (h + align - 1) & ~(size_t)(align - 1);
}

/* obj_shift and obj_inv for obj_offset_index() */
static void set_obj_inverse(struct kmem_cache *c)
{
	uint64_t d, inv;

	c->obj_shift = (unsigned int)__builtin_ctz(c->size);
	d = c->size >> c->obj_shift;
	/* Newton's iteration: d * d == 1 mod 8, each step doubles the bits */
	inv = d;
	for (int i = 0; i < 5; i++)
		inv *= 2 - d * inv;
	c->obj_inv = inv;
}

/*
 * Pick the slab order: the smallest one that holds enough objects (16 up
 * to order 2, then 8) while wasting at most 1/8 of the slab; the largest
 * order takes whatever fits.
 */
static int calculate_sizes(struct kmem_cache *c)
{
	for (unsigned int order = 0; order <= SLAB_MAX_ORDER; order++) {
		unsigned long bytes = PAGE_SIZE << order;
		unsigned long num = (bytes - sizeof(struct slab)) / (c->size + 3);
		size_t waste;

		if (num > UINT16_MAX)
			num = UINT16_MAX;
		while (num && slab_mgmt_size((unsigned int)num, c->align) + num * c->size > bytes)
			num--;
		if (!num)
			continue;
		waste = bytes - slab_mgmt_size((unsigned int)num, c->align) - num * c->size;
		if ((num >= (order < 3 ? 16u : 8u) && waste * 8 <= bytes) || order == SLAB_MAX_ORDER) {
			c->num = num;
			c->slab_bytes = bytes;
			c->slab_base_mask = ~(bytes - 1);
			c->s_mem_off = slab_mgmt_size((unsigned int)num, c->align);
			set_obj_inverse(c);
			return 0;
		}
	}
	return -EINVAL;
}

/* per-CPU array tuning, as the kernel's enable_cpucache: smaller for big objects */
static void set_tunables(struct kmem_cache *c)
{
	if (c->size <= 256)
		c->limit = 64;
	else if (c->size <= 1024)
		c->limit = 32;
	else if (c->size <= 4096)
		c->limit = 16;
	else
		c->limit = 8;
	c->batchcount = c->limit / 2;
}

struct kmem_cache *kmem_cache_create(const char *name, size_t size, size_t align,
				     unsigned long flags, void (*ctor)(void *))
{
	struct kmem_cache *c = NULL;

	if (!name || !size || size > (PAGE_SIZE << SLAB_MAX_ORDER) / 2 ||
	    (align & (align - 1)) || align > (PAGE_SIZE << 4))
		goto fail;
	c = calloc(1, sizeof(*c));
	if (!c)
		goto fail;
	c->name = strdup(name);
	if (!c->name)
		goto fail;
	for (int i = 0; i <= SLAB_NR_CPUS; i++)
		atomic_init(&c->cpu_array[i], &slab_no_array);
	/* poison would destroy the constructed state: a ctor turns it off */
	c->flags = ctor ? flags & ~SLAB_POISON : flags;
	c->ctor = ctor;
	c->debug = SLAB_DEBUG_ALWAYS || (c->flags & SLAB_POISON);
	c->object_size = (unsigned int)size;
	c->align = calculate_alignment(flags, align, size);
	c->size = (unsigned int)((size + c->align - 1) & ~(size_t)(c->align - 1));
	if (calculate_sizes(c) != 0)
		goto fail;
	set_tunables(c);
	pthread_mutex_init(&c->list_lock, NULL);
	INIT_LIST_HEAD(&c->slabs_full);
	INIT_LIST_HEAD(&c->slabs_partial);
	INIT_LIST_HEAD(&c->slabs_free);

	pthread_mutex_lock(&slab_mutex);
	list_add_tail(&c->list, &slab_caches);
	pthread_mutex_unlock(&slab_mutex);
	return c;

fail:
	if (c)
		free(c->name);
	free(c);
	if (flags & SLAB_PANIC) {
		fprintf(stderr, "mmkit: kmem_cache_create(%s) failed\n", name ? name : "(null)");
		abort();
	}
	return NULL;
}

/* armed fault injection */
static void *__attribute__((noinline)) kmem_cache_alloc_checked(struct kmem_cache *cachep, gfp_t flags)
{
	if (fail_tick_uncounted("kmem_cache_alloc"))
		return NULL;
	return slab_alloc(cachep, flags, 0);
}

void *kmem_cache_alloc(struct kmem_cache *cachep, gfp_t flags)
{
	if (unlikely(slab_fail_armed()))
		return kmem_cache_alloc_checked(cachep, flags);
	return slab_alloc(cachep, flags, 0);
}

void *kmem_cache_zalloc(struct kmem_cache *cachep, gfp_t flags)
{
	return kmem_cache_alloc(cachep, flags | __GFP_ZERO);
}

/* kmem_cache_free() of a pointer whose page is not one of cachep's slabs */
static void __attribute__((noinline, cold)) kmem_cache_free_foreign(struct kmem_cache *cachep, void *objp,
								    uintptr_t e)
{
	if (!objp)
		return;
	/* no cache named: any slab cache will do, as for kfree */
	if (!cachep && (e & PM_SLAB))
		slab_free_checked((struct kmem_cache *)(e & ~PM_TAGS), objp, e, "kmem_cache_free", true);
	else
		slab_free_report(cachep, objp, "kmem_cache_free", e);
}

void kmem_cache_free(struct kmem_cache *cachep, void *objp)
{
	uintptr_t e = pagemap_get(objp);

	/* also false for a NULL objp (page 0 is no slab's) and a NULL cachep */
	if (unlikely(e != (uintptr_t)cachep + PM_SLAB)) {
		kmem_cache_free_foreign(cachep, objp, e);
		return;
	}
	slab_free_checked(cachep, objp, e, "kmem_cache_free", false);
}

/* allocations ever made from @c; *@cached: objects in its arrays now */
static unsigned long cache_allocs(struct kmem_cache *c, unsigned long *cached)
{
	unsigned long allocs = atomic_load_explicit(&c->direct_allocs, memory_order_relaxed);

	*cached = 0;
	for (int i = 0; i < SLAB_NR_CPUS; i++) {
		struct array_cache *ac = cpu_ac(c, i, memory_order_acquire);
		if (ac) {
			unsigned long w = atomic_load_explicit(&ac->stock, memory_order_relaxed);
			allocs += w >> AC_SHIFT;
			*cached += w & AC_AVAIL_MASK;
		}
	}
	return allocs;
}

/* the attempts the caches counted for failslab.c: all their allocations */
unsigned long slab_counted_attempts(void)
{
	struct list_head *pos;
	unsigned long sum, cached;

	pthread_mutex_lock(&slab_mutex);
	sum = slab_retired_allocs;
	list_for_each(pos, &slab_caches)
		sum += cache_allocs(list_entry(pos, struct kmem_cache, list), &cached);
	pthread_mutex_unlock(&slab_mutex);
	return sum;
}

long kmem_cache_shrink(struct kmem_cache *cachep)
{
	struct list_head release = LIST_HEAD_INIT(release);
	struct list_head *pos, *n;

	if (!cachep)
		return 0;
	drain_cpu_caches(cachep);
	pthread_mutex_lock(&cachep->list_lock);
	list_for_each_safe(pos, n, &cachep->slabs_free) {
		list_del_init(pos);
		list_add(pos, &release);
	}
	cachep->nr_slabs -= cachep->nr_free_slabs;
	cachep->nr_free_slabs = 0;
	pthread_mutex_unlock(&cachep->list_lock);
	return (long)release_slabs(cachep, &release);
}

/* report the live objects of one slab list; returns how many */
static long report_live(struct kmem_cache *c, struct list_head *head)
{
	struct list_head *pos;
	long live = 0;

	list_for_each(pos, head) {
		struct slab *s = list_entry(pos, struct slab, slab_list);
		for (unsigned int i = 0; i < c->num; i++) {
			if (atomic_load_explicit(&s->state[i], memory_order_relaxed) == OBJ_LIVE) {
				mmk_warn("kmem_cache_destroy %s: Slab cache still has objects: %p (slab %p, index %u)",
					 c->name, index_obj(c, s, i), (void *)s, i);
				live++;
			}
		}
	}
	return live;
}

long kmem_cache_destroy(struct kmem_cache *cachep)
{
	struct list_head release = LIST_HEAD_INIT(release);
	struct list_head *lists[3];
	unsigned long cached;
	long live;

	if (!cachep)
		return 0;
	pthread_mutex_lock(&slab_mutex);
	list_del_init(&cachep->list);
	/* fail_alloc_count() keeps counting the cache's allocations */
	slab_retired_allocs += cache_allocs(cachep, &cached);
	pthread_mutex_unlock(&slab_mutex);

	drain_cpu_caches(cachep);
	pthread_mutex_lock(&cachep->list_lock);
	live = report_live(cachep, &cachep->slabs_partial) + report_live(cachep, &cachep->slabs_full);
	lists[0] = &cachep->slabs_full;
	lists[1] = &cachep->slabs_partial;
	lists[2] = &cachep->slabs_free;
	for (int l = 0; l < 3; l++) {
		while (!list_empty(lists[l])) {
			struct list_head *e = lists[l]->next;
			list_del_init(e);
			list_add(e, &release);
		}
	}
	pthread_mutex_unlock(&cachep->list_lock);
	release_slabs(cachep, &release);

	for (int i = 0; i < SLAB_NR_CPUS; i++)
		free(cpu_ac(cachep, i, memory_order_relaxed));
	pthread_mutex_destroy(&cachep->list_lock);
	free(cachep->name);
	free(cachep);
	return live;
}

const char *kmem_cache_name(const struct kmem_cache *cachep)
{
	return cachep ? cachep->name : NULL;
}

int kmem_cache_info(const struct kmem_cache *cachep, struct slabinfo *info)
{
	struct kmem_cache *c = (struct kmem_cache *)cachep;
	unsigned long allocs, cached = 0, inuse;

	if (!c || !info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	allocs = cache_allocs(c, &cached);
	pthread_mutex_lock(&c->list_lock);
	inuse = c->nr_inuse;
	info->num_slabs = c->nr_slabs;
	info->active_slabs = c->nr_slabs - c->nr_free_slabs;
	pthread_mutex_unlock(&c->list_lock);
	info->name = c->name;
	/* racing threads can make the snapshot momentarily inconsistent */
	info->active_objs = inuse > cached ? inuse - cached : 0;
	info->total_allocs = allocs;
	info->total_frees = allocs > info->active_objs ? allocs - info->active_objs : 0;
	info->objsize = c->size;
	info->objperslab = c->num;
	info->pagesperslab = c->slab_bytes / PAGE_SIZE;
	info->num_objs = info->num_slabs * c->num;
	return 0;
}

void kmem_cache_for_each(void (*fn)(struct kmem_cache *, void *), void *arg)
{
	struct list_head *pos, *n;

	pthread_mutex_lock(&slab_mutex);
	list_for_each_safe(pos, n, &slab_caches) fn(list_entry(pos, struct kmem_cache, list), arg);
	pthread_mutex_unlock(&slab_mutex);
}

static void cache_show(struct kmem_cache *c, void *arg)
{
	FILE *out = arg;
	struct slabinfo si;

	kmem_cache_info(c, &si);
	fprintf(out, "%-17s %6lu %6lu %6lu %4lu %4lu", si.name, si.active_objs, si.num_objs, si.objsize,
		si.objperslab, si.pagesperslab);
	fprintf(out, " : tunables %4u %4u %4u", c->limit, c->batchcount, 0u);
	fprintf(out, " : slabdata %6lu %6lu %6lu\n", si.active_slabs, si.num_slabs, 0UL);
}

void slabinfo_show(FILE *out)
{
	pthread_mutex_lock(&slab_mutex);
	fputs("slabinfo - version: 2.1\n", out);
	fputs("# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab>"
	      " : tunables <limit> <batchcount> <sharedfactor>"
	      " : slabdata <active_slabs> <num_slabs> <sharedavail>\n", out);
	kmem_cache_for_each(cache_show, out);
	pthread_mutex_unlock(&slab_mutex);
}

/* ------------------------------------------------------------------ */
/* kmalloc                                                             */

#define KMALLOC_NR_CACHES 13
#define KMALLOC_MAX_CACHE_SIZE 8192UL

static const unsigned int kmalloc_sizes[KMALLOC_NR_CACHES] = {
	8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192,
};
/* (size - 1) / 8 -> class, for sizes up to 192 */
static const unsigned char kmalloc_small_index[24] = {
	0, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 6,
};
static MMK_ATOMIC(struct kmem_cache *) kmalloc_caches[KMALLOC_NR_CACHES];
static pthread_mutex_t kmalloc_lock = PTHREAD_MUTEX_INITIALIZER;

static inline __attribute__((always_inline)) unsigned int kmalloc_index(size_t size)
{
	if (size <= 192)
		return kmalloc_small_index[(size - 1) / 8];
	/* 193..256 -> 7, 257..512 -> 8, ..., 4097..8192 -> 12 */
	return (unsigned int)(63 - __builtin_clzl(size - 1));
}

/* first use: create every size class, in order (as the kernel does at boot) */
static struct kmem_cache *__attribute__((noinline)) kmalloc_caches_init(unsigned int idx)
{
	pthread_mutex_lock(&kmalloc_lock);
	for (unsigned int i = 0; i < KMALLOC_NR_CACHES; i++) {
		char name[32];
		unsigned int sz = kmalloc_sizes[i];

		if (atomic_load_explicit(&kmalloc_caches[i], memory_order_relaxed))
			continue;
		snprintf(name, sizeof(name), "kmalloc-%u", sz);
		/* power-of-two classes are naturally aligned, as the kernel's */
		atomic_store_explicit(&kmalloc_caches[i],
				      kmem_cache_create(name, sz, (sz & (sz - 1)) ? 0 : sz, 0, NULL),
				      memory_order_release);
	}
	pthread_mutex_unlock(&kmalloc_lock);
	return atomic_load_explicit(&kmalloc_caches[idx], memory_order_acquire);
}

/* large allocations: mmap, a header page in front, pages mapped to it */
struct kmalloc_large_hdr {
	size_t map_len;
	void *ptr;
};

static void *kmalloc_large(size_t size, gfp_t flags)
{
	size_t len = PAGE_SIZE + PAGE_ALIGN(size);
	struct kmalloc_large_hdr *h;
	char *m;

	if (size > ((size_t)1 << 46))
		return NULL;
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	h = (struct kmalloc_large_hdr *)m;
	h->map_len = len;
	h->ptr = m + PAGE_SIZE;
	if (pagemap_set(h->ptr, len - PAGE_SIZE, (uintptr_t)h | PM_LARGE) != 0) {
		munmap(m, len);
		return NULL;
	}
	/* fresh anonymous memory is already zero: __GFP_ZERO costs nothing */
	return h->ptr;
}

/* anything but a size class that exists, or injection armed */
static void *__attribute__((noinline)) kmalloc_slow(size_t size, gfp_t flags)
{
	struct kmem_cache *c;
	unsigned int idx;

	if (!size)
		return ZERO_SIZE_PTR;
	if (size > KMALLOC_MAX_CACHE_SIZE) {
		/* no cache counts these: failslab.c does */
		if (should_fail_alloc("kmalloc"))
			return NULL;
		return kmalloc_large(size, flags);
	}
	if (fail_tick_uncounted("kmalloc"))
		return NULL;
	idx = kmalloc_index(size);
	c = atomic_load_explicit(&kmalloc_caches[idx], memory_order_acquire);
	if (!c && !(c = kmalloc_caches_init(idx))) {
		fail_count_attempt();
		return NULL;
	}
	return slab_alloc(c, flags, size);
}

void *kmalloc(size_t size, gfp_t flags)
{
	struct kmem_cache *c;

	if (unlikely(size - 1 >= KMALLOC_MAX_CACHE_SIZE || slab_fail_armed()))
		return kmalloc_slow(size, flags);
	c = atomic_load_explicit(&kmalloc_caches[kmalloc_index(size)], memory_order_acquire);
	if (unlikely(!c))
		return kmalloc_slow(size, flags);
	return slab_alloc(c, flags, size);
}

void *kzalloc(size_t size, gfp_t flags)
{
	return kmalloc(size, flags | __GFP_ZERO);
}

static void __attribute__((noinline)) kfree_large(const void *p, uintptr_t e)
{
	struct kmalloc_large_hdr *h = (struct kmalloc_large_hdr *)(e & ~PM_LARGE);

	if (h->ptr != p) {
		mmk_warn("kfree: %p is inside a large allocation at %p", p, h->ptr);
		return;
	}
	pagemap_set(h->ptr, h->map_len - PAGE_SIZE, 0);
	munmap(h, h->map_len);
}

void kfree(const void *p)
{
	uintptr_t e;

	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return;
	e = pagemap_get(p);
	if (likely(e & PM_SLAB)) {
		slab_free_checked((struct kmem_cache *)(e & ~PM_TAGS), (void *)p, e, "kfree", true);
		return;
	}
	if (e & PM_LARGE)
		kfree_large(p, e);
	else
		slab_free_report(NULL, p, "kfree", e);
}

char *kstrdup(const char *s, gfp_t flags)
{
	size_t len;
	char *p;

	if (!s)
		return NULL;
	len = strlen(s) + 1;
	p = kmalloc(len, flags & ~__GFP_ZERO);
	if (p)
		memcpy(p, s, len);
	return p;
}
