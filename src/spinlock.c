/* SPDX-License-Identifier: MIT */
/*
 * src/spinlock.c - the contended side of spinlock_t (the kernel's
 * kernel/locking/qspinlock.c has this role; the fast paths are inline in
 * mmkit/types.h).
 *
 * Policy: a critical section under a spinlock is short, so a waiter first
 * spins, re-reading the word, for about as long as a page fault holds a
 * page table lock. A host thread cannot keep the holder from being
 * preempted, though, so after that the waiter sleeps on the word with a
 * futex instead of burning the CPU its holder may need.
 *
 * The word (spinlock_t.val): 0 unlocked, 1 locked, 2 locked and somebody
 * may be asleep. A sleeper always sets 2 before it sleeps, and the unlock
 * that finds 2 wakes one sleeper, which takes the lock as 2 again (it
 * cannot know whether others sleep) - U. Drepper, "Futexes Are Tricky",
 * mutex 2.
 */
#include "internal.h"
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SPIN_TRIES 100

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* sleep while *val == expect (returns at once otherwise, or on a wake-up) */
void __mmk_futex_wait(MMK_ATOMIC(unsigned int) *val, unsigned int expect)
{
	syscall(SYS_futex, (unsigned int *)val, FUTEX_WAIT_PRIVATE, expect, NULL, NULL, 0);
}

void __mmk_futex_wake(MMK_ATOMIC(unsigned int) *val, int nr)
{
	syscall(SYS_futex, (unsigned int *)val, FUTEX_WAKE_PRIVATE, nr, NULL, NULL, 0);
}

/* spin while the word holds @busy bits; true when it no longer does */
bool __mmk_spin_until_clear(MMK_ATOMIC(unsigned int) *val, unsigned int busy)
{
	for (int i = 0; i < SPIN_TRIES; i++) {
		if (!(atomic_load_explicit(val, memory_order_relaxed) & busy))
			return true;
		cpu_relax();
	}
	return false;
}

void __mmk_spin_lock_slowpath(MMK_ATOMIC(unsigned int) *val)
{
	unsigned int c;

	if (__mmk_spin_until_clear(val, ~0u)) {
		c = 0;
		if (atomic_compare_exchange_strong_explicit(val, &c, 1, memory_order_acquire,
							    memory_order_relaxed))
			return;
	}
	while (atomic_exchange_explicit(val, 2, memory_order_acquire) != 0)
		__mmk_futex_wait(val, 2);
}
