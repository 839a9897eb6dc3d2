/* SPDX-License-Identifier: MIT */
/*
 * src/rwsem.c - the contended side of struct rw_semaphore (mmap_sem); the
 * fast paths are inline in mmkit/types.h (the kernel's
 * kernel/locking/rwsem.c, much reduced).
 *
 * The word (rw_semaphore.count): readers in RWSEM_READER_MASK, RWSEM_WRITER
 * while a writer holds the lock, RWSEM_WAITERS while somebody may be asleep
 * on the word.
 *
 * Policy:
 *  - readers enter whenever no writer holds the lock, even with writers
 *    waiting (the default of a POSIX rwlock; the kernel instead queues
 *    readers behind a waiting writer, and so forbids nested read locks);
 *  - a waiter spins briefly, then sets RWSEM_WAITERS and sleeps on the
 *    word with a futex; a change of the word wakes it at once;
 *  - the last reader out, or the writer, clears RWSEM_WAITERS and wakes
 *    every sleeper: they retry, and those that still cannot enter set the
 *    bit again before they sleep, so no wake-up is lost (a sleeper only
 *    sleeps while the word still shows the bit it set).
 */
#include "internal.h"
#include <limits.h>

/* the word is @c, which blocks us: note a waiter and sleep */
static void rwsem_sleep(MMK_ATOMIC(unsigned int) *count, unsigned int c)
{
	if (!(c & RWSEM_WAITERS) &&
	    !atomic_compare_exchange_strong_explicit(count, &c, c | RWSEM_WAITERS, memory_order_relaxed,
						     memory_order_relaxed))
		return; /* the word moved: look again */
	__mmk_futex_wait(count, c | RWSEM_WAITERS);
}

void __mmk_rwsem_down_read_slowpath(MMK_ATOMIC(unsigned int) *count)
{
	bool spun = false;

	for (;;) {
		unsigned int c = atomic_load_explicit(count, memory_order_relaxed);

		if (!(c & RWSEM_WRITER)) {
			if (atomic_compare_exchange_weak_explicit(count, &c, c + 1, memory_order_acquire,
								  memory_order_relaxed))
				return;
			continue;
		}
		if (!spun) {
			spun = true;
			if (__mmk_spin_until_clear(count, RWSEM_WRITER))
				continue;
		}
		rwsem_sleep(count, c);
	}
}

void __mmk_rwsem_down_write_slowpath(MMK_ATOMIC(unsigned int) *count)
{
	bool spun = false;

	for (;;) {
		unsigned int c = atomic_load_explicit(count, memory_order_relaxed);

		if (!(c & (RWSEM_WRITER | RWSEM_READER_MASK))) {
			/* RWSEM_WAITERS stays: the others still sleep */
			if (atomic_compare_exchange_weak_explicit(count, &c, c | RWSEM_WRITER,
								  memory_order_acquire, memory_order_relaxed))
				return;
			continue;
		}
		if (!spun) {
			spun = true;
			if (__mmk_spin_until_clear(count, RWSEM_WRITER | RWSEM_READER_MASK))
				continue;
		}
		rwsem_sleep(count, c);
	}
}

void __mmk_rwsem_wake(MMK_ATOMIC(unsigned int) *count)
{
	atomic_fetch_and_explicit(count, ~RWSEM_WAITERS, memory_order_relaxed);
	__mmk_futex_wake(count, INT_MAX);
}
