/* SPDX-License-Identifier: MIT */
/*
 * src/failslab.c - fault injection for allocations (the kernel's
 * mm/failslab.c on top of lib/fault-inject.c, reduced to one knob).
 *
 * Policy:
 *  - Every allocation entry point (the page and swap-slot allocators, large
 *    kmallocs) calls should_fail_alloc() exactly once per attempt, before
 *    it changes anything, and returns NULL when told to fail.
 *  - The slab allocator (kmem_cache_alloc, kmalloc of a size class) counts
 *    its successful allocations itself, in counters it keeps for
 *    /proc/slabinfo anyway, so that its fast path costs one test of the
 *    countdown. While armed it calls fail_tick_uncounted() once per
 *    attempt (which counts only the attempt it fails), and
 *    fail_count_attempt() for an attempt that fails for want of memory.
 *  - fail_after(n) arms a countdown: the n-th attempt from now (0 = the very
 *    next one) fails, once; then injection disarms itself. fail_after(-1)
 *    disarms. Arming clears fail_injected().
 *
 * Invariants:
 *  - mmk_fail_countdown < 0 means disarmed; >= 0 is the number of attempts
 *    still allowed to succeed before one fails. Only a successful
 *    compare-and-swap moves it, so under concurrency exactly one attempt
 *    fires per arming.
 *  - fail_alloc_count() == attempts since start: the sum of the per-thread
 *    counters of live threads, plus fail_retired (counters of threads that
 *    exited), plus slab_counted_attempts() (slab.c). Each per-thread
 *    counter has a single writer (its thread), so counting needs no locked
 *    instruction; readers use relaxed loads.
 *  - A thread's fail_attempts is 0 until the thread is registered on
 *    fail_threads, then 1 + its attempts (so one load tells both).
 *  - mmk_fail_countdown is shared with src/slab.c, whose fast path reads it.
 */
#include <mmkit/slab.h>
#include <pthread.h>

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

#define FAIL_HIDDEN __attribute__((visibility("hidden")))

MMK_ATOMIC(long) mmk_fail_countdown FAIL_HIDDEN = -1;
static __thread MMK_ATOMIC(unsigned long) fail_attempts __attribute__((tls_model("initial-exec")));
/* shared with slab.c (see the policy above) */
bool fail_tick_uncounted(const char *site) FAIL_HIDDEN;
void fail_count_attempt(void) FAIL_HIDDEN;
unsigned long slab_counted_attempts(void) FAIL_HIDDEN;
static MMK_ATOMIC(bool) fail_fired;
static MMK_ATOMIC(const char *) fail_site; /* where the last failure fired */

/* a live thread's entry on fail_threads */
struct fail_counter {
	MMK_ATOMIC(unsigned long) *attempts; /* its fail_attempts */
	struct list_head link;
};

static __thread struct fail_counter fail_tls __attribute__((tls_model("initial-exec")));
static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;
static struct list_head fail_threads = LIST_HEAD_INIT(fail_threads);
static unsigned long fail_retired; /* under fail_lock */
static pthread_key_t fail_key;
static pthread_once_t fail_key_once = PTHREAD_ONCE_INIT;

/* thread exit: fold this thread's count into the retired total */
static void fail_thread_exit(void *arg)
{
	struct fail_counter *fc = arg;

	pthread_mutex_lock(&fail_lock);
	fail_retired += atomic_load_explicit(fc->attempts, memory_order_relaxed) - 1;
	list_del_init(&fc->link);
	/* a later attempt by this thread (another destructor) registers anew */
	atomic_store_explicit(fc->attempts, 0, memory_order_relaxed);
	pthread_mutex_unlock(&fail_lock);
}

static void fail_key_init(void)
{
	pthread_key_create(&fail_key, fail_thread_exit);
}

static void __attribute__((noinline)) fail_register(void)
{
	struct fail_counter *fc = &fail_tls;

	pthread_once(&fail_key_once, fail_key_init);
	fc->attempts = &fail_attempts;
	pthread_mutex_lock(&fail_lock);
	atomic_store_explicit(&fail_attempts, 1, memory_order_relaxed);
	list_add_tail(&fc->link, &fail_threads);
	pthread_mutex_unlock(&fail_lock);
	pthread_setspecific(fail_key, fc);
}

void fail_after(long n)
{
	atomic_store(&fail_fired, false);
	atomic_store(&mmk_fail_countdown, n < 0 ? -1 : n);
}

static bool __attribute__((noinline)) fail_countdown_tick(const char *site)
{
	long n = atomic_load_explicit(&mmk_fail_countdown, memory_order_relaxed);

	while (n >= 0) {
		long next = n == 0 ? -1 : n - 1;
		if (atomic_compare_exchange_weak(&mmk_fail_countdown, &n, next)) {
			if (n != 0)
				return false;
			atomic_store(&fail_site, site);
			atomic_store(&fail_fired, true);
			return true;
		}
	}
	return false;
}

/* one more attempt by this thread */
void fail_count_attempt(void)
{
	if (unlikely(!atomic_load_explicit(&fail_attempts, memory_order_relaxed)))
		fail_register();
	/* single writer: a plain increment made of two relaxed accesses */
	atomic_store_explicit(&fail_attempts,
			      atomic_load_explicit(&fail_attempts, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

bool should_fail_alloc(const char *site)
{
	fail_count_attempt();
	if (likely(atomic_load_explicit(&mmk_fail_countdown, memory_order_relaxed) < 0))
		return false;
	return fail_countdown_tick(site);
}

/* should_fail_alloc() for an attempt the caller counts if it goes ahead */
bool fail_tick_uncounted(const char *site)
{
	if (atomic_load_explicit(&mmk_fail_countdown, memory_order_relaxed) < 0 ||
	    !fail_countdown_tick(site))
		return false;
	fail_count_attempt();
	return true;
}

unsigned long fail_alloc_count(void)
{
	struct list_head *pos;
	unsigned long sum;

	pthread_mutex_lock(&fail_lock);
	sum = fail_retired;
	list_for_each(pos, &fail_threads) {
		struct fail_counter *fc = list_entry(pos, struct fail_counter, link);
		sum += atomic_load_explicit(fc->attempts, memory_order_relaxed) - 1;
	}
	pthread_mutex_unlock(&fail_lock);
	return sum + slab_counted_attempts();
}

bool fail_injected(void)
{
	return atomic_load(&fail_fired);
}
