/* SPDX-License-Identifier: MIT */
/*
 * mmkit/lockdep.h - a lock validator in miniature (the kernel's lockdep).
 *
 * Built with -DMMK_LOCKDEP, every spin_lock / spin_unlock / down_read /
 * up_read / down_write / up_write of mmkit/types.h reports to src/lockdep.c:
 *
 *   - each host thread keeps a stack of the locks it holds;
 *   - a global graph records "class B was taken while class A was held"
 *     (A -> B); a new edge that closes a cycle is an order inversion, a
 *     possible deadlock, and is reported through mmk_warn() with the two
 *     orders and where each was first seen;
 *   - releasing a lock the thread does not hold, taking a lock the thread
 *     already holds, and a thread that ends (or a process that exits) with
 *     locks held are reported too.
 *
 * Lock classes are not lock addresses (every mm has its own
 * page_table_lock): spin_lock_init() and init_rwsem() are macros that give
 * each call site a static struct lock_class_key, as the kernel does; a
 * statically initialised lock (__SPIN_LOCK_UNLOCKED, __RWSEM_INITIALIZER) is
 * its own class, keyed by its address. Taking a second lock of a class one
 * already holds (dup_mmap's two mmap_sems) is read as single-depth nesting
 * (the kernel's down_write_nested(..., SINGLE_DEPTH_NESTING)): the second
 * lock is class "NAME/1". The allowed order is written at the top of
 * src/lockdep.c.
 *
 * Without -DMMK_LOCKDEP the lock functions are exactly the plain pthread
 * wrappers and none of this is called; the functions below still exist
 * (lockdep_enabled() returns false, the others do nothing).
 */
#ifndef MMKIT_LOCKDEP_H
#define MMKIT_LOCKDEP_H

#include <stdbool.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct lock_class_key;
struct lockdep_map;

/* true in a -DMMK_LOCKDEP build of the library */
bool lockdep_enabled(void);

/* reports (inversions, bad unlocks, recursive locking, locks held at
 * thread exit) since boot or the last lockdep_reset() */
unsigned long lockdep_reports(void);

/* the number of locks the calling thread holds */
int lockdep_depth(void);

/* report (through mmk_warn) if the calling thread holds any lock; @where
 * names the place ("end of test"). Returns the number held. */
int lockdep_assert_none_held(const char *where);

/* forget every class and edge (tests); the caller holds no lock */
void lockdep_reset(void);

/* the classes and edges seen so far, one "A -> B" per line */
void lockdep_print_graph(FILE *out);

struct lockdep_stats {
	unsigned long classes;      /* lock classes registered */
	unsigned long edges;        /* distinct A -> B dependencies */
	unsigned long acquisitions; /* lock operations validated */
	unsigned long nested;       /* same-class nesting read as NAME/1 */
	unsigned long reports;
};
void lockdep_get_stats(struct lockdep_stats *st);

/*
 * Annotating locks that are not spinlock_t / rw_semaphore (a raw pthread
 * mutex, say): call lockdep_acquire after taking it and lockdep_release
 * before dropping it. @key names the class (a static object per class);
 * @instance tells instances apart (the lock's address).
 */
void lockdep_acquire(const struct lock_class_key *key, const char *name, const void *instance,
		     bool read, const char *file, int line);
void lockdep_release(const void *instance, const char *file, int line);

#ifdef __cplusplus
}
#endif

#endif /* MMKIT_LOCKDEP_H */
