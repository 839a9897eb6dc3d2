/* SPDX-License-Identifier: MIT */
/*
 * src/lockdep.c - the lock validator (kernel/locking/lockdep.c in miniature).
 *
 * Lock ordering in mmkit (outermost first), as found by reading the code
 * and checked by this validator under tests/test_lockdep.c's workload:
 *
 *   rq->lock                      (mmk_schedule; finish_task_switch runs
 *                                  under it: mmdrop -> free_mm, put_task_struct,
 *                                  and mmput_async_flush -> __mmput)
 *     mm->mmap_sem                (the sys_* calls, exit_mm, exec_mmap,
 *                                  exit_mmap, show_maps, dup_mmap's parent,
 *                                  faults, user copies, get_user_pages)
 *       mm->mmap_sem/1            (dup_mmap: the child's, taken nested under
 *                                  the parent's - SINGLE_DEPTH_NESTING)
 *         mm->page_table_lock     (the page layer: page tables, rss counters;
 *                                  copy_page_range takes the parent's and the
 *                                  child's one after the other, never nested)
 *           pcp[i].lock           (page_alloc.c: the per-CPU free lists;
 *                                  mmk_mem_info takes all of them, nested)
 *             zone.lock           (page_alloc.c: the buddy free lists)
 *       tasklist_lock             (task_lock in exit_mm/exec_mmap/kthread_use_mm,
 *                                  the task list, put_task_struct)
 *         mmk_mm_list_lock        (registry of live mms: mm_init, free_mm,
 *                                  mmk_check_all under tasklist_lock)
 *     mmlist_lock                 (swapoff's walk, mmlist_add_after, __mmput)
 *     async_lock                  (mmput_async's queue; "src/fork.c:LINE" in
 *                                  reports: a static lock is named by its line)
 *     parent->vfork_wait.lock     (a raw pthread mutex: mm_release takes
 *       tasklist_lock               tasklist_lock under it; not validated)
 *   raw pthread mutexes, innermost, not validated: the slab allocator's
 *     kmalloc_lock -> slab_mutex -> cachep->list_lock -> pagemap_lock;
 *     filemap.c's cache_lock, page_alloc.c's mem_lock, failslab's fail_lock
 *     (a leaf). Every lock above may allocate or free, so every lock above
 *     nests outside them. They can be annotated with lockdep_acquire /
 *     lockdep_release (mmkit/lockdep.h) by their owners.
 *
 * Differences from the kernel worth knowing: in Linux rq->lock is a leaf
 * (finish_task_switch drops the lazy mm after the runqueue lock is released,
 * and __mmput of mmput_async runs from a workqueue); mmkit runs both under
 * rq->lock, which makes rq->lock the outermost lock here. Taking rq->lock
 * (mmk_schedule) while holding mmap_sem would therefore be an inversion.
 *
 * Design. A class is a struct lock_class_key (one static key per
 * spin_lock_init/init_rwsem call site, see mmkit/types.h) plus a subclass,
 * or, for a statically initialised lock, the lock's own address. Each
 * thread keeps the stack of locks it holds. Taking lock L of class B while
 * holding locks of classes A1..An adds edges Ai -> B to one global graph;
 * before an edge is added, a search from B looks for a path back to Ai: if
 * there is one, the two orders together can deadlock, and the inversion is
 * reported (once per pair) instead of recorded. Taking a second lock of a
 * class already held, from a dynamic key, is read as nesting (class/1, /2..);
 * taking the very same lock again is reported as recursive locking.
 * Reports go through mmk_warn().
 *
 * The validator's own state is guarded by a raw pthread mutex (graph_lock),
 * never by the locks it validates; the fast path (an edge already known)
 * reads the edge bitmap with relaxed atomics and takes no lock.
 */
#include "internal.h"
#include <mmkit/lockdep.h>
#include <stdarg.h>
#include <stdlib.h>

#ifdef MMK_LOCKDEP

#define MAX_CLASSES 512
#define MAX_DEPTH 48
#define MAX_EDGE_INFO 4096
#define WORDS (MAX_CLASSES / 64)

struct lock_class {
	const void *base;      /* the key, or the static lock's address */
	int subclass;
	char name[96];
};

struct edge_info {
	unsigned short from, to;
	const char *from_file, *to_file;
	int from_line, to_line;
};

struct held_lock {
	const void *instance;
	const void *base;
	unsigned long class_id;
	int subclass;
	int read;
	const char *file;
	int line;
};

static pthread_mutex_t graph_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lock_class classes[MAX_CLASSES]; /* [0] unused */
static MMK_ATOMIC(unsigned long) nr_classes = 1;
static MMK_ATOMIC(unsigned long) generation = 1; /* bumped by lockdep_reset */
static MMK_ATOMIC(uint64_t) edges[MAX_CLASSES][WORDS];
static uint64_t reported_pairs[MAX_CLASSES][WORDS]; /* under graph_lock */
static struct edge_info edge_info[MAX_EDGE_INFO];
static unsigned long nr_edge_info;
static MMK_ATOMIC(unsigned long) nr_edges, nr_acquisitions, nr_nested, nr_reports;
static MMK_ATOMIC(int) disabled; /* after an internal overflow, as debug_locks_off() */

static __thread struct held_lock held[MAX_DEPTH];
static __thread int depth;
static __thread bool thread_registered;
static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;

bool lockdep_enabled(void) { return true; }

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...)
{
	char msg[480];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	atomic_fetch_add(&nr_reports, 1);
	mmk_warn("lockdep: %s", msg);
}

static const char *short_file(const char *f)
{
	const char *s = f ? strrchr(f, '/') : NULL;
	return s ? s + 1 : (f ? f : "?");
}

static void held_list(char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = 0;
	for (int i = 0; i < depth && n < len; i++) {
		int w = snprintf(buf + n, len - n, "%s%s (%s:%d)", i ? ", " : "",
				 classes[held[i].class_id].name, short_file(held[i].file), held[i].line);
		if (w < 0)
			break;
		n += (size_t)w;
	}
}

/* ---- thread exit with locks held ---------------------------------------- */
static void thread_exit_check(void *arg)
{
	(void)arg;
	if (depth > 0) {
		char buf[320];
		held_list(buf, sizeof(buf));
		report("thread exiting with %d lock%s held: %s", depth, depth > 1 ? "s" : "", buf);
		depth = 0;
	}
}

static void process_exit_check(void)
{
	/* the thread calling exit() (the end of a test) */
	thread_exit_check(NULL);
}

static void make_exit_key(void)
{
	pthread_key_create(&exit_key, thread_exit_check);
	atexit(process_exit_check);
}

static void register_thread(void)
{
	pthread_once(&exit_once, make_exit_key);
	pthread_setspecific(exit_key, (void *)1);
	thread_registered = true;
}

/* ---- classes -------------------------------------------------------------- */
static void strip_name(char *dst, size_t len, const char *name, int subclass)
{
	if (name && name[0] == '&')
		name++;
	if (subclass)
		snprintf(dst, len, "%s/%d", name ? name : "?", subclass);
	else
		snprintf(dst, len, "%s", name ? name : "?");
}

/* names for the statically initialised globals (their initialiser only
 * knows "file:line") */
static const char *static_name(const void *lock)
{
	if (lock == &mmlist_lock)
		return "mmlist_lock";
	if (lock == &tasklist_lock)
		return "tasklist_lock";
	if (lock == &mmk_mm_list_lock)
		return "mmk_mm_list_lock";
	return NULL;
}

/* under graph_lock: find or add the class (base, subclass) */
static unsigned long lookup_class_locked(const void *base, int subclass, const char *name)
{
	unsigned long n = atomic_load(&nr_classes);
	for (unsigned long i = 1; i < n; i++)
		if (classes[i].base == base && classes[i].subclass == subclass)
			return i;
	if (n >= MAX_CLASSES) {
		if (!atomic_exchange(&disabled, 1))
			report("BUG: MAX_CLASSES (%d) too low; turning the validator off", MAX_CLASSES);
		return 0;
	}
	classes[n].base = base;
	classes[n].subclass = subclass;
	strip_name(classes[n].name, sizeof(classes[n].name), name, subclass);
	atomic_store(&nr_classes, n + 1);
	return n;
}

/* a cached id is (generation << 16) | id */
static unsigned long cache_get(MMK_ATOMIC(unsigned long) *c)
{
	unsigned long v = atomic_load_explicit(c, memory_order_acquire);
	if (v && (v >> 16) == atomic_load_explicit(&generation, memory_order_relaxed))
		return v & 0xffff;
	return 0;
}

static unsigned long class_of(struct lockdep_map *map, const void *lock, int subclass, const void **basep)
{
	const void *base = map->key ? (const void *)map->key : lock;
	MMK_ATOMIC(unsigned long) *cache = NULL;
	unsigned long id;

	*basep = base;
	if (map->key && subclass < MMK_LOCKDEP_SUBCLASSES)
		cache = (MMK_ATOMIC(unsigned long) *)&map->key->id[subclass];
	else if (!map->key && subclass == 0)
		cache = &map->class_cache;
	if (cache && (id = cache_get(cache)) != 0)
		return id;
	pthread_mutex_lock(&graph_lock);
	const char *name = map->key ? map->name : static_name(lock);
	if (!name)
		name = map->name;
	if (!map->key && !map->name) {
		/* zeroed memory used as a lock: neither initialised nor static */
		pthread_mutex_unlock(&graph_lock);
		report("BUG: lock %p used without spin_lock_init/init_rwsem", lock);
		pthread_mutex_lock(&graph_lock);
		name = "uninitialised";
	}
	id = lookup_class_locked(base, subclass, name);
	if (cache && id)
		atomic_store_explicit(cache, (atomic_load(&generation) << 16) | id, memory_order_release);
	pthread_mutex_unlock(&graph_lock);
	return id;
}

void __mmk_lockdep_init(struct lockdep_map *map, struct lock_class_key *key, const char *name)
{
	map->key = key;
	map->name = name;
	atomic_store_explicit(&map->class_cache, 0, memory_order_relaxed);
}

/* ---- the graph ------------------------------------------------------------- */
static inline bool has_edge(unsigned long a, unsigned long b)
{
	return atomic_load_explicit(&edges[a][b / 64], memory_order_relaxed) & (1ULL << (b % 64));
}

/* under graph_lock: a path from @from to @to? fills @path (class ids, from..to) */
static int find_path(unsigned long from, unsigned long to, unsigned short *path, int maxlen)
{
	static unsigned short prev[MAX_CLASSES];
	static unsigned short queue[MAX_CLASSES];
	static uint64_t seen[WORDS];
	unsigned long n = atomic_load(&nr_classes);
	int qh = 0, qt = 0;

	memset(seen, 0, sizeof(seen));
	queue[qt++] = (unsigned short)from;
	seen[from / 64] |= 1ULL << (from % 64);
	prev[from] = 0;
	while (qh < qt) {
		unsigned long c = queue[qh++];
		if (c == to) {
			int len = 0;
			unsigned short tmp[MAX_CLASSES];
			for (unsigned long x = to; ; x = prev[x]) {
				tmp[len++] = (unsigned short)x;
				if (x == from)
					break;
			}
			int out = 0;
			for (int i = len - 1; i >= 0 && out < maxlen; i--)
				path[out++] = tmp[i];
			return out;
		}
		for (unsigned long w = 0; w < WORDS; w++) {
			uint64_t bits = atomic_load_explicit(&edges[c][w], memory_order_relaxed);
			while (bits) {
				unsigned long d = w * 64 + (unsigned long)__builtin_ctzll(bits);
				bits &= bits - 1;
				if (d >= n || (seen[d / 64] & (1ULL << (d % 64))))
					continue;
				seen[d / 64] |= 1ULL << (d % 64);
				prev[d] = (unsigned short)c;
				queue[qt++] = (unsigned short)d;
			}
		}
	}
	return 0;
}

static const struct edge_info *find_edge_info(unsigned long a, unsigned long b)
{
	for (unsigned long i = 0; i < nr_edge_info; i++)
		if (edge_info[i].from == a && edge_info[i].to == b)
			return &edge_info[i];
	return NULL;
}

/* @h is held, class @to is being taken at file:line */
static void add_edge(const struct held_lock *h, unsigned long to, const char *file, int line)
{
	unsigned long from = h->class_id;
	char msg[480];
	bool bad = false;

	pthread_mutex_lock(&graph_lock);
	if (has_edge(from, to) || (reported_pairs[from][to / 64] & (1ULL << (to % 64)))) {
		pthread_mutex_unlock(&graph_lock);
		return;
	}
	unsigned short path[16];
	int len = find_path(to, from, path, 16);
	if (len > 0) {
		/* the opposite order is known: to -> ... -> from */
		size_t n = 0;
		reported_pairs[from][to / 64] |= 1ULL << (to % 64);
		n += (size_t)snprintf(msg + n, sizeof(msg) - n,
				      "possible circular locking dependency: taking %s (%s:%d) while holding %s (%s:%d); "
				      "the opposite order was seen:",
				      classes[to].name, short_file(file), line, classes[from].name,
				      short_file(h->file), h->line);
		for (int i = 0; i + 1 < len && n < sizeof(msg); i++) {
			const struct edge_info *e = find_edge_info(path[i], path[i + 1]);
			n += (size_t)snprintf(msg + n, sizeof(msg) - n, " %s (%s:%d) -> %s (%s:%d)%s",
					      classes[path[i]].name, e ? short_file(e->from_file) : "?",
					      e ? e->from_line : 0, classes[path[i + 1]].name,
					      e ? short_file(e->to_file) : "?", e ? e->to_line : 0,
					      i + 2 < len ? ";" : "");
		}
		bad = true;
	} else {
		atomic_fetch_or_explicit(&edges[from][to / 64], 1ULL << (to % 64), memory_order_relaxed);
		atomic_fetch_add(&nr_edges, 1);
		if (nr_edge_info < MAX_EDGE_INFO) {
			struct edge_info *e = &edge_info[nr_edge_info++];
			e->from = (unsigned short)from;
			e->to = (unsigned short)to;
			e->from_file = h->file;
			e->from_line = h->line;
			e->to_file = file;
			e->to_line = line;
		}
	}
	pthread_mutex_unlock(&graph_lock);
	if (bad)
		report("%s", msg);
}

/* ---- acquire / release ------------------------------------------------------- */
void __mmk_lockdep_acquire(struct lockdep_map *map, const void *lock, int read, int subclass,
			   const char *file, int line)
{
	const void *base;
	unsigned long id;

	if (atomic_load_explicit(&disabled, memory_order_relaxed))
		return;
	if (!thread_registered)
		register_thread();
	atomic_fetch_add_explicit(&nr_acquisitions, 1, memory_order_relaxed);
	if (subclass < 0 || subclass >= MMK_LOCKDEP_SUBCLASSES)
		subclass = 0;

	/* the same lock again, or a second lock of a class already held */
	base = map->key ? (const void *)map->key : lock;
	int same_class = 0;
	for (int i = 0; i < depth; i++) {
		if (held[i].instance == lock) {
			char buf[320];
			held_list(buf, sizeof(buf));
			report("possible recursive locking: %s at %s:%d, already held since %s:%d (held: %s)",
			       classes[held[i].class_id].name, short_file(file), line,
			       short_file(held[i].file), held[i].line, buf);
			break;
		}
		if (held[i].base == base && held[i].subclass >= same_class)
			same_class = held[i].subclass + 1;
	}
	if (same_class && subclass < same_class) {
		if (!map->key) {
			/* a static lock is its own class: cannot be another instance */
			same_class = 0;
		} else {
			atomic_fetch_add_explicit(&nr_nested, 1, memory_order_relaxed);
			subclass = same_class < MMK_LOCKDEP_SUBCLASSES ? same_class : MMK_LOCKDEP_SUBCLASSES - 1;
		}
	}
	id = class_of(map, lock, subclass, &base);
	if (!id)
		return;
	for (int i = 0; i < depth; i++)
		if (held[i].class_id != id && !has_edge(held[i].class_id, id))
			add_edge(&held[i], id, file, line);
	if (depth >= MAX_DEPTH) {
		if (!atomic_exchange(&disabled, 1))
			report("BUG: MAX_DEPTH (%d) too low; turning the validator off", MAX_DEPTH);
		return;
	}
	held[depth++] = (struct held_lock){ .instance = lock, .base = base, .class_id = id,
					     .subclass = subclass, .read = read, .file = file, .line = line };
}

bool __mmk_lockdep_release(struct lockdep_map *map, const void *lock, const char *file, int line)
{
	(void)map;
	if (atomic_load_explicit(&disabled, memory_order_relaxed))
		return true;
	for (int i = depth - 1; i >= 0; i--) {
		if (held[i].instance == lock) {
			memmove(&held[i], &held[i + 1], (size_t)(depth - i - 1) * sizeof(held[0]));
			depth--;
			return true;
		}
	}
	char buf[320];
	held_list(buf, sizeof(buf));
	report("bad unlock balance: releasing %s (%p) at %s:%d, which this thread does not hold (held: %s)",
	       map->name ? map->name : "?", lock, short_file(file), line, depth ? buf : "none");
	return false;
}

void __mmk_lockdep_destroy(struct lockdep_map *map, const void *lock, const char *file, int line)
{
	for (int i = 0; i < depth; i++) {
		if (held[i].instance == lock) {
			report("held lock freed: %s destroyed at %s:%d while held since %s:%d",
			       classes[held[i].class_id].name, short_file(file), line,
			       short_file(held[i].file), held[i].line);
			memmove(&held[i], &held[i + 1], (size_t)(depth - i - 1) * sizeof(held[0]));
			depth--;
			break;
		}
	}
	(void)map;
}

void lockdep_acquire(const struct lock_class_key *key, const char *name, const void *instance,
		     bool read, const char *file, int line)
{
	struct lockdep_map map = { .key = key, .name = name };
	__mmk_lockdep_acquire(&map, instance, read, 0, file, line);
}

void lockdep_release(const void *instance, const char *file, int line)
{
	struct lockdep_map map = { .name = "annotated lock" };
	__mmk_lockdep_release(&map, instance, file, line);
}

/* ---- queries ------------------------------------------------------------------- */
unsigned long lockdep_reports(void) { return atomic_load(&nr_reports); }
int lockdep_depth(void) { return depth; }

int lockdep_assert_none_held(const char *where)
{
	int n = depth;
	if (n) {
		char buf[320];
		held_list(buf, sizeof(buf));
		report("%s: %d lock%s still held: %s", where ? where : "check", n, n > 1 ? "s" : "", buf);
	}
	return n;
}

void lockdep_reset(void)
{
	pthread_mutex_lock(&graph_lock);
	memset((void *)edges, 0, sizeof(edges));
	memset(reported_pairs, 0, sizeof(reported_pairs));
	memset(classes, 0, sizeof(classes));
	nr_edge_info = 0;
	atomic_store(&nr_classes, 1);
	atomic_fetch_add(&generation, 1);
	atomic_store(&nr_edges, 0);
	atomic_store(&nr_acquisitions, 0);
	atomic_store(&nr_nested, 0);
	atomic_store(&nr_reports, 0);
	atomic_store(&disabled, 0);
	pthread_mutex_unlock(&graph_lock);
	depth = 0;
}

void lockdep_print_graph(FILE *out)
{
	pthread_mutex_lock(&graph_lock);
	unsigned long n = atomic_load(&nr_classes);
	for (unsigned long a = 1; a < n; a++)
		for (unsigned long b = 1; b < n; b++)
			if (has_edge(a, b)) {
				const struct edge_info *e = find_edge_info(a, b);
				fprintf(out, "%s -> %s", classes[a].name, classes[b].name);
				if (e)
					fprintf(out, "   (%s:%d -> %s:%d)", short_file(e->from_file), e->from_line,
						short_file(e->to_file), e->to_line);
				fputc('\n', out);
			}
	pthread_mutex_unlock(&graph_lock);
}

void lockdep_get_stats(struct lockdep_stats *st)
{
	st->classes = atomic_load(&nr_classes) - 1;
	st->edges = atomic_load(&nr_edges);
	st->acquisitions = atomic_load(&nr_acquisitions);
	st->nested = atomic_load(&nr_nested);
	st->reports = atomic_load(&nr_reports);
}

#else /* !MMK_LOCKDEP: the API exists, nothing is validated */

bool lockdep_enabled(void) { return false; }
unsigned long lockdep_reports(void) { return 0; }
int lockdep_depth(void) { return 0; }
int lockdep_assert_none_held(const char *where) { (void)where; return 0; }
void lockdep_reset(void) {}
void lockdep_print_graph(FILE *out) { (void)out; }
void lockdep_get_stats(struct lockdep_stats *st) { memset(st, 0, sizeof(*st)); }
void lockdep_acquire(const struct lock_class_key *key, const char *name, const void *instance,
		     bool read, const char *file, int line)
{
	(void)key; (void)name; (void)instance; (void)read; (void)file; (void)line;
}
void lockdep_release(const void *instance, const char *file, int line)
{
	(void)instance; (void)file; (void)line;
}

#endif /* MMK_LOCKDEP */
