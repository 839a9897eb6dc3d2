/* SPDX-License-Identifier: MIT */
/*
 * mmkit/types.h - the small kernel vocabulary every other header uses:
 * list_head, container_of, ERR_PTR, page constants, atomics and locks.
 *
 * The names follow include/linux/{list,err,types,spinlock,rwsem}.h so that
 * mmkit's code can be read beside the kernel's; the implementations are
 * mmkit's own, built on C11 atomics and POSIX threads.
 */
#ifndef MMKIT_TYPES_H
#define MMKIT_TYPES_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <errno.h>

#ifdef __cplusplus
#include <atomic>
#define MMK_ATOMIC(t) std::atomic<t>
#else
#include <stdatomic.h>
#define MMK_ATOMIC(t) _Atomic(t)
#endif

/* ---- pages ------------------------------------------------------------ */
#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define PAGE_ALIGN(x) (((unsigned long)(x) + PAGE_SIZE - 1) & PAGE_MASK)
#define PAGE_ALIGNED(x) ((((unsigned long)(x)) & (PAGE_SIZE - 1)) == 0)
#define PMD_SIZE (1UL << 21)

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* ---- container_of / errors ------------------------------------------- */
#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif

#define MAX_ERRNO 4095
#define IS_ERR_VALUE(x) ((unsigned long)(x) >= (unsigned long)-MAX_ERRNO)
static inline void *ERR_PTR(long error) { return (void *)error; }
static inline long PTR_ERR(const void *ptr) { return (long)ptr; }
static inline bool IS_ERR(const void *ptr) { return IS_ERR_VALUE((unsigned long)ptr); }
static inline bool IS_ERR_OR_NULL(const void *ptr) { return !ptr || IS_ERR(ptr); }

/* ---- doubly linked circular list (include/linux/list.h) -------------- */
struct list_head {
	struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name) { &(name), &(name) }
static inline void INIT_LIST_HEAD(struct list_head *l) { l->next = l; l->prev = l; }
static inline void __list_add(struct list_head *n, struct list_head *prev, struct list_head *next)
{
	next->prev = n;
	n->next = next;
	n->prev = prev;
	prev->next = n;
}
/* add @n right after @head */
static inline void list_add(struct list_head *n, struct list_head *head) { __list_add(n, head, head->next); }
/* add @n right before @head (at the tail of the list @head heads) */
static inline void list_add_tail(struct list_head *n, struct list_head *head) { __list_add(n, head->prev, head); }
static inline void list_del_init(struct list_head *e)
{
	e->next->prev = e->prev;
	e->prev->next = e->next;
	INIT_LIST_HEAD(e);
}
static inline bool list_empty(const struct list_head *h) { return h->next == h; }
static inline bool list_is_singular(const struct list_head *h) { return !list_empty(h) && h->next == h->prev; }
#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_for_each(pos, head) for (pos = (head)->next; pos != (head); pos = pos->next)
#define list_for_each_safe(pos, n, head) \
	for (pos = (head)->next, n = pos->next; pos != (head); pos = n, n = pos->next)

/* ---- atomics (include/linux/atomic.h names) ---------------------------- */
typedef struct { MMK_ATOMIC(int) counter; } atomic_t;
typedef struct { MMK_ATOMIC(long) counter; } atomic_long_t;
#define ATOMIC_INIT(i) { (i) }

static inline int atomic_read(const atomic_t *v) { return atomic_load_explicit((MMK_ATOMIC(int) *)&v->counter, memory_order_relaxed); }
static inline void atomic_set(atomic_t *v, int i) { atomic_store_explicit(&v->counter, i, memory_order_relaxed); }
static inline void atomic_inc(atomic_t *v) { atomic_fetch_add_explicit(&v->counter, 1, memory_order_relaxed); }
/* returns the new value; full ordering, as the kernel's value-returning ops */
static inline int atomic_inc_return(atomic_t *v) { return atomic_fetch_add(&v->counter, 1) + 1; }
static inline int atomic_dec_return(atomic_t *v) { return atomic_fetch_sub(&v->counter, 1) - 1; }
static inline bool atomic_dec_and_test(atomic_t *v) { return atomic_dec_return(v) == 0; }
/* increment unless the value is @u; returns true if it incremented */
static inline bool atomic_add_unless(atomic_t *v, int a, int u)
{
	int c = atomic_load_explicit(&v->counter, memory_order_relaxed);
	do {
		if (c == u)
			return false;
	} while (!atomic_compare_exchange_weak(&v->counter, &c, c + a));
	return true;
}
static inline bool atomic_inc_not_zero(atomic_t *v) { return atomic_add_unless(v, 1, 0); }

static inline long atomic_long_read(const atomic_long_t *v) { return atomic_load_explicit((MMK_ATOMIC(long) *)&v->counter, memory_order_relaxed); }
static inline void atomic_long_set(atomic_long_t *v, long i) { atomic_store_explicit(&v->counter, i, memory_order_relaxed); }
static inline void atomic_long_add(long i, atomic_long_t *v) { atomic_fetch_add_explicit(&v->counter, i, memory_order_relaxed); }
static inline long atomic_long_add_return(long i, atomic_long_t *v) { return atomic_fetch_add(&v->counter, i) + i; }

/* ---- locks ------------------------------------------------------------ */
/*
 * spinlock_t and struct rw_semaphore are futex-based locks (slow paths in
 * src/spinlock.c and src/rwsem.c). User space cannot disable preemption,
 * so a waiter spins only briefly and then sleeps in the host kernel, but
 * the uncontended path is one locked instruction to take a lock and one to
 * release it, inline, as the kernel's own locks: a page fault takes three.
 *
 * spinlock_t.val: 0 unlocked, 1 locked, 2 locked and a waiter may sleep.
 * rw_semaphore.count: the number of readers in the low bits, RWSEM_WRITER
 * while a writer holds it, RWSEM_WAITERS while somebody may sleep on it.
 * Readers enter whenever no writer holds the lock (reader preference, as a
 * default POSIX rwlock, so a reader may nest inside its own read lock).
 */
#define RWSEM_WRITER 0x40000000u
#define RWSEM_WAITERS 0x80000000u
#define RWSEM_READER_MASK 0x3fffffffu

void __mmk_spin_lock_slowpath(MMK_ATOMIC(unsigned int) *val);
void __mmk_futex_wake(MMK_ATOMIC(unsigned int) *val, int nr);
void __mmk_rwsem_down_read_slowpath(MMK_ATOMIC(unsigned int) *count);
void __mmk_rwsem_down_write_slowpath(MMK_ATOMIC(unsigned int) *count);
void __mmk_rwsem_wake(MMK_ATOMIC(unsigned int) *count);

static inline void arch_spin_lock(MMK_ATOMIC(unsigned int) *val)
{
	unsigned int unlocked = 0;

	if (unlikely(!atomic_compare_exchange_strong_explicit(val, &unlocked, 1, memory_order_acquire,
							      memory_order_relaxed)))
		__mmk_spin_lock_slowpath(val);
}
static inline void arch_spin_unlock(MMK_ATOMIC(unsigned int) *val)
{
	if (unlikely(atomic_exchange_explicit(val, 0, memory_order_release) == 2))
		__mmk_futex_wake(val, 1);
}
/* the kernel's __down_read & co.: the raw operations, no lock validation */
static inline void __down_read_raw(MMK_ATOMIC(unsigned int) *count)
{
	unsigned int c = atomic_load_explicit(count, memory_order_relaxed);

	if (unlikely((c & RWSEM_WRITER) ||
		     !atomic_compare_exchange_weak_explicit(count, &c, c + 1, memory_order_acquire,
							    memory_order_relaxed)))
		__mmk_rwsem_down_read_slowpath(count);
}
static inline void __up_read_raw(MMK_ATOMIC(unsigned int) *count)
{
	unsigned int c = atomic_fetch_sub_explicit(count, 1, memory_order_release);

	/* the last reader out wakes whoever sleeps */
	if (unlikely((c & (RWSEM_WAITERS | RWSEM_READER_MASK)) == (RWSEM_WAITERS | 1)))
		__mmk_rwsem_wake(count);
}
static inline void __down_write_raw(MMK_ATOMIC(unsigned int) *count)
{
	unsigned int unlocked = 0;

	if (unlikely(!atomic_compare_exchange_strong_explicit(count, &unlocked, RWSEM_WRITER,
							      memory_order_acquire, memory_order_relaxed)))
		__mmk_rwsem_down_write_slowpath(count);
}
static inline bool __down_write_trylock_raw(MMK_ATOMIC(unsigned int) *count)
{
	unsigned int c = atomic_load_explicit(count, memory_order_relaxed);

	while (!(c & (RWSEM_WRITER | RWSEM_READER_MASK)))
		if (atomic_compare_exchange_weak_explicit(count, &c, c | RWSEM_WRITER, memory_order_acquire,
							  memory_order_relaxed))
			return true;
	return false;
}
static inline void __up_write_raw(MMK_ATOMIC(unsigned int) *count)
{
	/* no reader can be in: the whole word goes back to 0, waiters woken */
	if (unlikely(atomic_exchange_explicit(count, 0, memory_order_release) & RWSEM_WAITERS))
		__mmk_rwsem_wake(count);
}

#ifndef MMK_LOCKDEP
typedef struct { MMK_ATOMIC(unsigned int) val; } spinlock_t;
#define __SPIN_LOCK_UNLOCKED { 0 }
static inline void spin_lock_init(spinlock_t *l) { atomic_init(&l->val, 0); }
static inline void spin_lock(spinlock_t *l) { arch_spin_lock(&l->val); }
static inline void spin_unlock(spinlock_t *l) { arch_spin_unlock(&l->val); }
static inline void spin_lock_destroy(spinlock_t *l) { (void)l; }

/* struct rw_semaphore: mmap_sem / mmap_lock */
struct rw_semaphore { MMK_ATOMIC(unsigned int) count; };
#define __RWSEM_INITIALIZER { 0 }
static inline void init_rwsem(struct rw_semaphore *s) { atomic_init(&s->count, 0); }
static inline void down_read(struct rw_semaphore *s) { __down_read_raw(&s->count); }
static inline void up_read(struct rw_semaphore *s) { __up_read_raw(&s->count); }
static inline void down_write(struct rw_semaphore *s) { __down_write_raw(&s->count); }
static inline void up_write(struct rw_semaphore *s) { __up_write_raw(&s->count); }
static inline void destroy_rwsem(struct rw_semaphore *s) { (void)s; }
#define down_read_nested(s, subclass) down_read(s)
#define down_write_nested(s, subclass) down_write(s)
#define spin_lock_nested(l, subclass) spin_lock(l)

#else /* MMK_LOCKDEP: the same locks, each operation reported to src/lockdep.c */
/*
 * The lock validator's hooks (see mmkit/lockdep.h). A lock's class is
 * the static key of the spin_lock_init()/init_rwsem() call site that
 * initialised it, or, for a statically initialised lock (key NULL), the
 * lock itself. Acquisitions are validated before the thread blocks, so an
 * inversion is reported even when it then deadlocks.
 */
#define MMK_LOCKDEP_SUBCLASSES 8
struct lock_class_key {
	MMK_ATOMIC(unsigned long) id[MMK_LOCKDEP_SUBCLASSES]; /* cached class, per subclass */
};
struct lockdep_map {
	const struct lock_class_key *key; /* NULL: a static lock, its own class */
	const char *name;                 /* "&mm->mmap_sem", or "src/fork.c:32" */
	MMK_ATOMIC(unsigned long) class_cache;
};
#define __MMK_STR2(x) #x
#define __MMK_STR(x) __MMK_STR2(x)
#define __MMK_LOCKDEP_MAP_STATIC { NULL, __FILE__ ":" __MMK_STR(__LINE__), 0 }

void __mmk_lockdep_init(struct lockdep_map *map, struct lock_class_key *key, const char *name);
void __mmk_lockdep_acquire(struct lockdep_map *map, const void *lock, int read, int subclass,
			   const char *file, int line);
/* false when the thread does not hold @lock (reported; the caller must not unlock) */
bool __mmk_lockdep_release(struct lockdep_map *map, const void *lock, const char *file, int line);
void __mmk_lockdep_destroy(struct lockdep_map *map, const void *lock, const char *file, int line);

typedef struct { MMK_ATOMIC(unsigned int) val; struct lockdep_map dep_map; } spinlock_t;
#define __SPIN_LOCK_UNLOCKED { 0, __MMK_LOCKDEP_MAP_STATIC }
static inline void __mmk_spin_lock_init(spinlock_t *l, struct lock_class_key *key, const char *name)
{
	atomic_init(&l->val, 0);
	__mmk_lockdep_init(&l->dep_map, key, name);
}
#define spin_lock_init(l)                                          \
	do {                                                       \
		static struct lock_class_key __mmk_key;            \
		__mmk_spin_lock_init((l), &__mmk_key, #l);         \
	} while (0)
static inline void __mmk_spin_lock(spinlock_t *l, int subclass, const char *file, int line)
{
	__mmk_lockdep_acquire(&l->dep_map, l, 0, subclass, file, line);
	arch_spin_lock(&l->val);
}
static inline void __mmk_spin_unlock(spinlock_t *l, const char *file, int line)
{
	if (__mmk_lockdep_release(&l->dep_map, l, file, line))
		arch_spin_unlock(&l->val);
}
static inline void __mmk_spin_lock_destroy(spinlock_t *l, const char *file, int line)
{
	__mmk_lockdep_destroy(&l->dep_map, l, file, line);
}
#define spin_lock(l) __mmk_spin_lock((l), 0, __FILE__, __LINE__)
#define spin_lock_nested(l, subclass) __mmk_spin_lock((l), (subclass), __FILE__, __LINE__)
#define spin_unlock(l) __mmk_spin_unlock((l), __FILE__, __LINE__)
#define spin_lock_destroy(l) __mmk_spin_lock_destroy((l), __FILE__, __LINE__)

struct rw_semaphore { MMK_ATOMIC(unsigned int) count; struct lockdep_map dep_map; };
#define __RWSEM_INITIALIZER { 0, __MMK_LOCKDEP_MAP_STATIC }
static inline void __mmk_init_rwsem(struct rw_semaphore *s, struct lock_class_key *key, const char *name)
{
	atomic_init(&s->count, 0);
	__mmk_lockdep_init(&s->dep_map, key, name);
}
#define init_rwsem(s)                                              \
	do {                                                       \
		static struct lock_class_key __mmk_key;            \
		__mmk_init_rwsem((s), &__mmk_key, #s);             \
	} while (0)
static inline void __mmk_down_read(struct rw_semaphore *s, int subclass, const char *file, int line)
{
	__mmk_lockdep_acquire(&s->dep_map, s, 1, subclass, file, line);
	__down_read_raw(&s->count);
}
static inline void __mmk_down_write(struct rw_semaphore *s, int subclass, const char *file, int line)
{
	__mmk_lockdep_acquire(&s->dep_map, s, 0, subclass, file, line);
	__down_write_raw(&s->count);
}
static inline void __mmk_up(struct rw_semaphore *s, const char *file, int line)
{
	if (!__mmk_lockdep_release(&s->dep_map, s, file, line))
		return;
	if (atomic_load_explicit(&s->count, memory_order_relaxed) & RWSEM_WRITER)
		__up_write_raw(&s->count);
	else
		__up_read_raw(&s->count);
}
static inline void __mmk_destroy_rwsem(struct rw_semaphore *s, const char *file, int line)
{
	__mmk_lockdep_destroy(&s->dep_map, s, file, line);
}
#define down_read(s) __mmk_down_read((s), 0, __FILE__, __LINE__)
#define down_read_nested(s, subclass) __mmk_down_read((s), (subclass), __FILE__, __LINE__)
#define down_write(s) __mmk_down_write((s), 0, __FILE__, __LINE__)
#define down_write_nested(s, subclass) __mmk_down_write((s), (subclass), __FILE__, __LINE__)
#define up_read(s) __mmk_up((s), __FILE__, __LINE__)
#define up_write(s) __mmk_up((s), __FILE__, __LINE__)
#define destroy_rwsem(s) __mmk_destroy_rwsem((s), __FILE__, __LINE__)
#endif /* MMK_LOCKDEP */
/* a try-lock can't deadlock: the validator is not told (as the scanner uses it) */
static inline bool __down_write_trylock(struct rw_semaphore *s) { return __down_write_trylock_raw(&s->count); }
static inline void __up_write(struct rw_semaphore *s) { __up_write_raw(&s->count); }
#define SINGLE_DEPTH_NESTING 1

#endif /* MMKIT_TYPES_H */
