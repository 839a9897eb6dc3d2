/* SPDX-License-Identifier: MIT */
/*
 * tests/test_slab.c - the slab allocator through its public interface
 * (mmkit/slab.h): caches, per-CPU arrays, statistics, kmalloc classes,
 * poisoning, misuse reports, fault injection and threads.
 */
#include <mmkit/slab.h>
#include <mmkit/debug.h>
#include <errno.h>
#include <stdint.h>
#include <pthread.h>
#include "harness.h"

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifdef TEST_ASAN
#include <sanitizer/asan_interface.h>
#endif

/* ---- capture mmk_warn() reports ---- */
static char warn_log[64][512];
static int warn_count;

static void warn_capture(void *priv, const char *msg)
{
	if (warn_count < 64)
		snprintf(warn_log[warn_count], sizeof(warn_log[0]), "%s", msg);
	warn_count++;
}

static void capture_warnings(void)
{
	warn_count = 0;
	mmk_hooks.warn = warn_capture;
}

static bool warned(const char *needle)
{
	for (int i = 0; i < warn_count && i < 64; i++)
		if (strstr(warn_log[i], needle))
			return true;
	return false;
}

static struct slabinfo info_of(struct kmem_cache *c)
{
	struct slabinfo si;
	CHECK_EQ(kmem_cache_info(c, &si), 0);
	return si;
}

struct find_ctx {
	const char *name;
	struct kmem_cache *found;
};

static void find_cb(struct kmem_cache *c, void *arg)
{
	struct find_ctx *f = arg;
	if (strcmp(kmem_cache_name(c), f->name) == 0)
		f->found = c;
}

static struct kmem_cache *find_cache(const char *name)
{
	struct find_ctx f = { name, NULL };
	kmem_cache_for_each(find_cb, &f);
	return f.found;
}

static unsigned long long rng_state = 88172645463325252ULL;
static unsigned long rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned long)rng_state;
}

/* ------------------------------------------------------------------ */

TEST(basic)
{
	struct kmem_cache *c = kmem_cache_create("test_basic", 200, 0, 0, NULL);
	CHECK(c != NULL);
	CHECK_STR(kmem_cache_name(c), "test_basic");
	struct slabinfo si = info_of(c);
	CHECK_EQ(si.active_objs, 0);
	CHECK_EQ(si.num_slabs, 0);
	CHECK_EQ(si.objsize, 200);
	CHECK(si.objperslab >= 8);
	CHECK(si.pagesperslab >= 1);
	CHECK(si.objperslab * si.objsize <= si.pagesperslab * PAGE_SIZE);

	char *p = kmem_cache_alloc(c, GFP_KERNEL);
	CHECK(p != NULL);
	memset(p, 0x5a, 200);
	si = info_of(c);
	CHECK_EQ(si.active_objs, 1);
	CHECK_EQ(si.total_allocs, 1);
	CHECK_EQ(si.total_frees, 0);
	CHECK_EQ(si.num_slabs, 1);
	CHECK_EQ(si.active_slabs, 1);
	CHECK_EQ(si.num_objs, si.objperslab);

	kmem_cache_free(c, p);
	si = info_of(c);
	CHECK_EQ(si.active_objs, 0);
	CHECK_EQ(si.total_frees, 1);

	/* LIFO: the object just freed comes back first */
	char *q = kmem_cache_alloc(c, GFP_KERNEL);
	CHECK(q == p);
	kmem_cache_free(c, q);
	kmem_cache_free(c, NULL);
	CHECK_EQ(kmem_cache_destroy(c), 0);
	CHECK(find_cache("test_basic") == NULL);
}

TEST(distinct_aligned)
{
	enum { N = 1000 };
	static void *objs[N];
	struct kmem_cache *hw = kmem_cache_create("test_hwalign", 100, 0, SLAB_HWCACHE_ALIGN, NULL);
	struct kmem_cache *a256 = kmem_cache_create("test_align256", 40, 256, 0, NULL);
	struct kmem_cache *odd = kmem_cache_create("test_odd", 13, 0, 0, NULL);
	CHECK(hw && a256 && odd);
	CHECK_EQ(info_of(hw).objsize, 128);
	CHECK_EQ(info_of(a256).objsize, 256);
	CHECK_EQ(info_of(odd).objsize, 16); /* at least pointer-aligned */

	struct { struct kmem_cache *c; unsigned long align, sz; } t[] = { { hw, 64, 100 }, { a256, 256, 40 }, { odd, 8, 13 } };
	for (unsigned k = 0; k < 3; k++) {
		unsigned long sz = t[k].sz; /* the slack up to objsize is a redzone under ASan */
		for (int i = 0; i < N; i++) {
			objs[i] = kmem_cache_alloc(t[k].c, GFP_KERNEL);
			CHECK(objs[i] != NULL);
			CHECK_EQ((uintptr_t)objs[i] % t[k].align, 0);
			memset(objs[i], i & 0xff, sz);
		}
		/* no overlap: every object still holds its own pattern */
		for (int i = 0; i < N; i++)
			for (unsigned long b = 0; b < sz; b++)
				CHECK_EQ(((unsigned char *)objs[i])[b], i & 0xff);
		for (int i = 0; i < N; i++)
			kmem_cache_free(t[k].c, objs[i]);
		CHECK_EQ(info_of(t[k].c).active_objs, 0);
		CHECK_EQ(kmem_cache_destroy(t[k].c), 0);
	}
}

TEST(many_random_order)
{
	enum { N = 20000 };
	static void *objs[N];
	struct kmem_cache *c = kmem_cache_create("test_many", 48, 0, 0, NULL);
	CHECK(c);
	for (int i = 0; i < N; i++) {
		objs[i] = kmem_cache_alloc(c, GFP_KERNEL);
		CHECK(objs[i]);
		*(int *)objs[i] = i;
	}
	struct slabinfo si = info_of(c);
	CHECK_EQ(si.active_objs, N);
	CHECK(si.num_slabs > 10);
	CHECK(si.num_objs >= N);
	CHECK_EQ(si.num_objs, si.num_slabs * si.objperslab);
	CHECK_EQ(si.active_slabs, si.num_slabs);
	for (int i = N - 1; i > 0; i--) { /* shuffle */
		int j = (int)(rnd() % (unsigned long)(i + 1));
		void *t = objs[i]; objs[i] = objs[j]; objs[j] = t;
	}
	for (int i = 0; i < N; i++) {
		CHECK(*(int *)objs[i] >= 0 && *(int *)objs[i] < N);
		kmem_cache_free(c, objs[i]);
		if (i == N / 2)
			CHECK_EQ(info_of(c).active_objs, N - N / 2 - 1);
	}
	si = info_of(c);
	CHECK_EQ(si.active_objs, 0);
	CHECK_EQ(si.total_allocs, N);
	CHECK_EQ(si.total_frees, N);
	/* empty slabs are released beyond a small reserve, or beyond as many
	 * as are still in use (here: those holding the per-CPU array's
	 * objects)... */
	CHECK(si.num_slabs - si.active_slabs <= (si.active_slabs > 2 ? si.active_slabs : 2));
	/* ...and everything goes once the per-CPU array is drained */
	kmem_cache_shrink(c);
	si = info_of(c);
	CHECK_EQ(si.num_slabs, 0);
	CHECK_EQ(si.num_objs, 0);
	CHECK_EQ(kmem_cache_destroy(c), 0);
}

/*
 * A cache that swings - a fork of a big process fills it, the child's exit
 * empties half of it - keeps the emptied slabs for the next swing instead
 * of unmapping them and mapping them again (host system calls and faults),
 * up to as many as it has in use; once idle it shrinks to the reserve.
 */
TEST(empty_slabs_kept_for_the_next_swing)
{
	enum { N = 6000 };
	static void *parent[N], *child[N];
	struct kmem_cache *c = kmem_cache_create("test_swing", 128, 0, 0, NULL);
	struct slabinfo si;
	unsigned long slabs;

	CHECK(c);
	for (int i = 0; i < N; i++) {
		parent[i] = kmem_cache_alloc(c, GFP_KERNEL);
		CHECK(parent[i]);
	}
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < N; i++) {
			child[i] = kmem_cache_alloc(c, GFP_KERNEL);
			CHECK(child[i]);
		}
		si = info_of(c);
		if (round == 0)
			slabs = si.num_slabs;
		/* the second and third swings reuse the kept slabs (the
		 * per-CPU array's objects may pin a few more) */
		CHECK(si.num_slabs >= slabs && si.num_slabs <= slabs + 4);
		for (int i = 0; i < N; i++)
			kmem_cache_free(c, child[i]);
		si = info_of(c);
		/* nearly all of the child's slabs stay, none beyond the parent's */
		CHECK(si.num_slabs - si.active_slabs >= slabs / 2 - 8);
		CHECK(si.num_slabs - si.active_slabs <= si.active_slabs);
	}
	for (int i = 0; i < N; i++)
		kmem_cache_free(c, parent[i]);
	kmem_cache_shrink(c);
	si = info_of(c);
	CHECK_EQ(si.num_slabs, 0);
	CHECK_EQ(kmem_cache_destroy(c), 0);
}

TEST(percpu_drain)
{
	enum { N = 40 };
	void *objs[N];
	struct kmem_cache *c = kmem_cache_create("test_drain", 64, 0, 0, NULL);
	CHECK(c);
	for (int i = 0; i < N; i++)
		CHECK((objs[i] = kmem_cache_alloc(c, GFP_KERNEL)) != NULL);
	for (int i = 0; i < N; i++)
		kmem_cache_free(c, objs[i]);
	/* freed objects wait in this thread's array: free, yet slabs busy */
	struct slabinfo si = info_of(c);
	CHECK_EQ(si.active_objs, 0);
	CHECK_EQ(si.num_slabs, 1);
	CHECK_EQ(si.active_slabs, 1);
	long pages = kmem_cache_shrink(c);
	CHECK_EQ(pages, (long)si.pagesperslab);
	si = info_of(c);
	CHECK_EQ(si.num_slabs, 0);
	CHECK_EQ(si.active_slabs, 0);
	/* destroy drains too: objects sitting in arrays are not leaks */
	for (int i = 0; i < N; i++)
		CHECK((objs[i] = kmem_cache_alloc(c, GFP_KERNEL)) != NULL);
	for (int i = 0; i < N; i++)
		kmem_cache_free(c, objs[i]);
	capture_warnings();
	CHECK_EQ(kmem_cache_destroy(c), 0);
	CHECK_EQ(warn_count, 0);
}

static void *drain_thread(void *arg)
{
	struct kmem_cache *c = arg;
	void *objs[10];
	for (int i = 0; i < 10; i++)
		CHECK((objs[i] = kmem_cache_alloc(c, GFP_KERNEL)) != NULL);
	for (int i = 0; i < 10; i++)
		kmem_cache_free(c, objs[i]);
	return NULL;
}

TEST(thread_exit_flushes)
{
	struct kmem_cache *c = kmem_cache_create("test_exit", 64, 0, 0, NULL);
	pthread_t t;
	CHECK(c);
	CHECK_EQ(pthread_create(&t, NULL, drain_thread, c), 0);
	CHECK_EQ(pthread_join(t, NULL), 0);
	/* the dead thread's array went back to the slabs: one empty slab kept */
	struct slabinfo si = info_of(c);
	CHECK_EQ(si.active_objs, 0);
	CHECK_EQ(si.active_slabs, 0);
	CHECK_EQ(kmem_cache_destroy(c), 0);
}

TEST(destroy_with_live_objects)
{
	void *objs[5];
	struct kmem_cache *c = kmem_cache_create("test_leaky", 32, 0, 0, NULL);
	CHECK(c);
	for (int i = 0; i < 5; i++)
		CHECK((objs[i] = kmem_cache_alloc(c, GFP_KERNEL)) != NULL);
	kmem_cache_free(c, objs[1]);
	kmem_cache_free(c, objs[3]);
	capture_warnings();
	unsigned long before = atomic_load(&mmk_warnings);
	CHECK_EQ(kmem_cache_destroy(c), 3);
	CHECK_EQ(warn_count, 3);
	CHECK_EQ(atomic_load(&mmk_warnings) - before, 3);
	for (int i = 0; i < 3; i++)
		CHECK(strncmp(warn_log[i], "kmem_cache_destroy test_leaky: Slab cache still has objects",
			      strlen("kmem_cache_destroy test_leaky: Slab cache still has objects")) == 0);
	char addr[32];
	snprintf(addr, sizeof(addr), "%p", objs[0]);
	CHECK(warned(addr));
	snprintf(addr, sizeof(addr), "%p", objs[4]);
	CHECK(warned(addr));
	snprintf(addr, sizeof(addr), "%p", objs[1]);
	CHECK(!warned(addr));
	CHECK(find_cache("test_leaky") == NULL);
}

struct ctor_obj {
	unsigned magic;
	unsigned uses;
	char payload[56];
};
static int ctor_calls;
static void ctor_fn(void *p)
{
	struct ctor_obj *o = p;
	ctor_calls++;
	o->magic = 0xC0FFEE;
	o->uses = 0;
}

TEST(ctor_semantics)
{
	for (int poison = 0; poison < 2; poison++) {
		ctor_calls = 0;
		struct kmem_cache *c = kmem_cache_create("test_ctor", sizeof(struct ctor_obj), 0,
							 poison ? SLAB_POISON : 0, ctor_fn);
		CHECK(c);
		CHECK_EQ(ctor_calls, 0);
		struct ctor_obj *o = kmem_cache_alloc(c, GFP_KERNEL);
		CHECK(o);
		/* the ctor ran once per object as the slab was carved */
		CHECK_EQ(ctor_calls, (int)info_of(c).objperslab);
		CHECK_EQ(o->magic, 0xC0FFEE);
		CHECK_EQ(o->uses, 0);
		o->uses = 7; /* state the caller leaves behind, as the kernel allows */
		kmem_cache_free(c, o);
		struct ctor_obj *o2 = kmem_cache_alloc(c, GFP_KERNEL);
		CHECK(o2 == o);
		/* constructed state survives free/alloc: no poison, no re-ctor */
		CHECK_EQ(o2->magic, 0xC0FFEE);
		CHECK_EQ(o2->uses, 7);
		CHECK_EQ(ctor_calls, (int)info_of(c).objperslab);
		kmem_cache_free(c, o2);
		CHECK_EQ(kmem_cache_destroy(c), 0);
	}
}

struct class_ctx {
	int n;
	char names[32][32];
};
static void collect_kmalloc(struct kmem_cache *c, void *arg)
{
	struct class_ctx *cc = arg;
	if (strncmp(kmem_cache_name(c), "kmalloc-", 8) == 0 && cc->n < 32)
		snprintf(cc->names[cc->n++], 32, "%s", kmem_cache_name(c));
}

TEST(kmalloc_classes)
{
	static const struct { size_t req; const char *cls; unsigned long objsize; } t[] = {
		{ 1, "kmalloc-8", 8 },       { 8, "kmalloc-8", 8 },       { 9, "kmalloc-16", 16 },
		{ 17, "kmalloc-32", 32 },    { 33, "kmalloc-64", 64 },    { 65, "kmalloc-96", 96 },
		{ 96, "kmalloc-96", 96 },    { 97, "kmalloc-128", 128 },  { 129, "kmalloc-192", 192 },
		{ 200, "kmalloc-256", 256 }, { 256, "kmalloc-256", 256 }, { 257, "kmalloc-512", 512 },
		{ 1000, "kmalloc-1024", 1024 }, { 2048, "kmalloc-2048", 2048 },
		{ 4000, "kmalloc-4096", 4096 }, { 8192, "kmalloc-8192", 8192 },
	};
	kfree(NULL);
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *p = kmalloc(t[i].req, GFP_KERNEL);
		CHECK(p != NULL);
		memset(p, 0x33, t[i].req);
		struct kmem_cache *c = find_cache(t[i].cls);
		CHECK(c != NULL);
		struct slabinfo si = info_of(c);
		CHECK_EQ(si.objsize, t[i].objsize);
		CHECK(si.active_objs >= 1);
		if ((t[i].objsize & (t[i].objsize - 1)) == 0) /* natural alignment */
			CHECK_EQ((uintptr_t)p % t[i].objsize, 0);
		unsigned long before = si.active_objs;
		kfree(p);
		CHECK_EQ(info_of(c).active_objs, before - 1);
	}
	/* every class exists, in creation order */
	struct class_ctx cc = { 0 };
	kmem_cache_for_each(collect_kmalloc, &cc);
	CHECK_EQ(cc.n, 13);
	CHECK_STR(cc.names[0], "kmalloc-8");
	CHECK_STR(cc.names[12], "kmalloc-8192");

	/* beyond the classes: straight from mmap */
	size_t big = 100000;
	unsigned char *b = kmalloc(big, GFP_KERNEL);
	CHECK(b);
	memset(b, 0x77, big);
	CHECK_EQ(b[big - 1], 0x77);
	kfree(b);
	unsigned char *z = kzalloc(3 * big, GFP_KERNEL);
	CHECK(z);
	for (size_t i = 0; i < 3 * big; i += 4096)
		CHECK_EQ(z[i], 0);
	kfree(z);

	char *s = kstrdup("mm_struct", GFP_KERNEL);
	CHECK(s);
	CHECK_STR(s, "mm_struct");
	kfree(s);
	CHECK(kstrdup(NULL, GFP_KERNEL) == NULL);

	/* kfree of an object from a dedicated cache returns it there */
	struct kmem_cache *c = kmem_cache_create("test_kfree_any", 80, 0, 0, NULL);
	void *o = kmem_cache_alloc(c, GFP_KERNEL);
	kfree(o);
	CHECK_EQ(info_of(c).active_objs, 0);
	CHECK_EQ(kmem_cache_destroy(c), 0);
}

TEST(kzalloc_zeroes)
{
	for (int round = 0; round < 2; round++) {
		unsigned char *p = kmalloc(200, GFP_KERNEL);
		CHECK(p);
		memset(p, 0xff, 200);
		kfree(p);
		unsigned char *q = kzalloc(200, GFP_KERNEL);
		CHECK(q == p); /* the dirty object is the one reused */
		for (int i = 0; i < 200; i++)
			CHECK_EQ(q[i], 0);
		kfree(q);
	}
	struct kmem_cache *c = kmem_cache_create("test_zalloc", 120, 0, 0, NULL);
	unsigned char *o = kmem_cache_alloc(c, GFP_KERNEL);
	memset(o, 0xee, 120);
	kmem_cache_free(c, o);
	o = kmem_cache_zalloc(c, GFP_KERNEL);
	for (int i = 0; i < 120; i++)
		CHECK_EQ(o[i], 0);
	o[0] = 1;
	kmem_cache_free(c, o);
	o = kmem_cache_alloc(c, __GFP_ZERO);
	CHECK_EQ(o[0], 0);
	kmem_cache_free(c, o);
	CHECK_EQ(kmem_cache_destroy(c), 0);
}

TEST(fault_injection_basics)
{
	struct kmem_cache *c = kmem_cache_create("test_fail", 64, 0, 0, NULL);
	CHECK(c);
	void *keep = kmem_cache_alloc(c, GFP_KERNEL);
	struct slabinfo before = info_of(c);

	unsigned long n0 = fail_alloc_count();
	CHECK(!should_fail_alloc("test"));
	CHECK_EQ(fail_alloc_count(), n0 + 1);

	fail_after(0);
	CHECK(!fail_injected());
	CHECK(kmem_cache_alloc(c, GFP_KERNEL) == NULL);
	CHECK(fail_injected());
	struct slabinfo after = info_of(c);
	CHECK_EQ(after.active_objs, before.active_objs);
	CHECK_EQ(after.total_allocs, before.total_allocs);
	CHECK_EQ(after.num_slabs, before.num_slabs);
	/* it fired once and disarmed */
	void *p = kmem_cache_alloc(c, GFP_KERNEL);
	CHECK(p);
	kmem_cache_free(c, p);

	fail_after(2);
	CHECK(!fail_injected());
	void *a = kmalloc(10, GFP_KERNEL), *b = kmem_cache_alloc(c, GFP_KERNEL);
	CHECK(a && b);
	CHECK(!fail_injected());
	CHECK(kzalloc(10, GFP_KERNEL) == NULL);
	CHECK(fail_injected());
	kfree(a);
	kmem_cache_free(c, b);

	fail_after(0);
	fail_after(-1);
	CHECK(!fail_injected());
	p = kmem_cache_alloc(c, GFP_KERNEL);
	CHECK(p);
	CHECK(!fail_injected());
	kmem_cache_free(c, p);

	unsigned long n1 = fail_alloc_count();
	p = kstrdup("x", GFP_KERNEL);
	CHECK_EQ(fail_alloc_count(), n1 + 1); /* one attempt per allocation */
	kfree(p);

	kmem_cache_free(c, keep);
	CHECK_EQ(kmem_cache_destroy(c), 0);
}

/* an operation that allocates N objects from two sources, all or nothing */
#define OP_N 24
struct op_state {
	struct kmem_cache *c;
	void *objs[OP_N];
};

static int op_alloc_all(struct op_state *st)
{
	int i;
	for (i = 0; i < OP_N; i++) {
		st->objs[i] = (i % 3 == 2) ? kmalloc(64 + (size_t)i * 40, GFP_KERNEL)
					   : kmem_cache_alloc(st->c, GFP_KERNEL);
		if (!st->objs[i])
			goto unwind;
	}
	return 0;
unwind:
	while (i--) {
		if (i % 3 == 2)
			kfree(st->objs[i]);
		else
			kmem_cache_free(st->c, st->objs[i]);
	}
	return -ENOMEM;
}

static unsigned long kmalloc_active(void)
{
	unsigned long sum = 0;
	static const char *names[] = { "kmalloc-64", "kmalloc-96", "kmalloc-128", "kmalloc-192",
				       "kmalloc-256", "kmalloc-512", "kmalloc-1024" };
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct kmem_cache *c = find_cache(names[i]);
		if (c)
			sum += info_of(c).active_objs;
	}
	return sum;
}

TEST(fault_injection_every_step)
{
	struct op_state st = { .c = kmem_cache_create("test_failstep", 72, 0, 0, NULL) };
	CHECK(st.c);
	kfree(kmalloc(1, GFP_KERNEL)); /* make the size classes exist */
	unsigned long cache0 = info_of(st.c).active_objs, km0 = kmalloc_active();
	int k;
	for (k = 0;; k++) {
		unsigned long attempts = fail_alloc_count();
		fail_after(k);
		int r = op_alloc_all(&st);
		if (r == 0) {
			CHECK(!fail_injected());
			break;
		}
		CHECK_EQ(r, -ENOMEM);
		CHECK(fail_injected());
		CHECK_EQ(fail_alloc_count() - attempts, k + 1);
		/* nothing leaked by the failed run */
		CHECK_EQ(info_of(st.c).active_objs, cache0);
		CHECK_EQ(kmalloc_active(), km0);
		CHECK(k < 1000);
	}
	fail_after(-1);
	CHECK_EQ(k, OP_N);
	CHECK_EQ(info_of(st.c).active_objs, cache0 + 2 * OP_N / 3);
	for (int i = 0; i < OP_N; i++) {
		if (i % 3 == 2)
			kfree(st.objs[i]);
		else
			kmem_cache_free(st.c, st.objs[i]);
	}
	CHECK_EQ(kmem_cache_destroy(st.c), 0);
	CHECK_EQ(kmalloc_active(), km0);
}

TEST(poison_write_after_free)
{
#ifdef TEST_ASAN
	SKIP("AddressSanitizer replaces SLAB_POISON");
#else
	struct kmem_cache *c = kmem_cache_create("test_poison", 64, 0, SLAB_POISON, NULL);
	CHECK(c);
	capture_warnings();
	unsigned char *p = kmem_cache_alloc(c, GFP_KERNEL);
	CHECK(p);
	CHECK_EQ(warn_count, 0); /* freshly carved objects carry intact poison */
	memset(p, 0, 64);
	kmem_cache_free(c, p);
	for (int i = 0; i < 64; i++)
		CHECK_EQ(p[i], POISON_FREE);
	p[10] = 0x42; /* the bug */
	unsigned char *q = kmem_cache_alloc(c, GFP_KERNEL);
	CHECK(q == p);
	CHECK_EQ(warn_count, 1);
	CHECK(warned("test_poison"));
	CHECK(warned("written after free"));
	/* a clean cycle stays quiet */
	kmem_cache_free(c, q);
	q = kmem_cache_alloc(c, GFP_KERNEL);
	CHECK_EQ(warn_count, 1);
	kmem_cache_free(c, q);
	CHECK_EQ(kmem_cache_destroy(c), 0);
#endif
}

TEST(asan_use_after_free)
{
#ifndef TEST_ASAN
	SKIP("not built with AddressSanitizer");
#else
	struct kmem_cache *c = kmem_cache_create("test_asan", 100, 0, 0, NULL);
	CHECK(c);
	char *p = kmem_cache_alloc(c, GFP_KERNEL);
	char *p2 = kmem_cache_alloc(c, GFP_KERNEL);
	CHECK(!__asan_address_is_poisoned(p));
	CHECK(!__asan_address_is_poisoned(p + 99));
	CHECK(__asan_address_is_poisoned(p + 100)); /* the slack is a redzone */
	CHECK(__asan_address_is_poisoned(p2 + 200)); /* never-allocated neighbour */
	kmem_cache_free(c, p);
	/* freed into the per-CPU array: poisoned all the same */
	CHECK(__asan_address_is_poisoned(p));
	CHECK(__asan_address_is_poisoned(p + 50));
	char *q = kmem_cache_alloc(c, GFP_KERNEL);
	CHECK(q == p);
	CHECK(!__asan_address_is_poisoned(q));
	kmem_cache_free(c, q);
	kmem_cache_free(c, p2);
	kmem_cache_shrink(c);
	/* kmalloc: precise to the requested size */
	char *k = kmalloc(200, GFP_KERNEL);
	CHECK(!__asan_address_is_poisoned(k + 199));
	CHECK(__asan_address_is_poisoned(k + 200));
	kfree(k);
	CHECK(__asan_address_is_poisoned(k));
	CHECK_EQ(kmem_cache_destroy(c), 0);
#endif
}

TEST(misuse_reported)
{
	struct kmem_cache *c = kmem_cache_create("test_misuse", 64, 0, 0, NULL);
	struct kmem_cache *other = kmem_cache_create("test_other", 64, 0, 0, NULL);
	CHECK(c && other);
	capture_warnings();
	char *p = kmem_cache_alloc(c, GFP_KERNEL);
	kmem_cache_free(c, p);
	kmem_cache_free(c, p); /* double free (object in the per-CPU array) */
	/* caught at once in a debug cache, else when the array is flushed */
	kmem_cache_shrink(c);
	CHECK_EQ(warn_count, 1);
	CHECK_EQ(info_of(c).active_objs, 0);
	CHECK_EQ(info_of(c).total_frees, info_of(c).total_allocs);
	CHECK(warned("double free"));

	int local;
	kmem_cache_free(c, &local);
	CHECK_EQ(warn_count, 2);
	void *m = malloc(64);
	kmem_cache_free(c, m);
	kfree(m);
	free(m);
	CHECK_EQ(warn_count, 4);
	CHECK(warned("not an object"));

	char *o = kmem_cache_alloc(other, GFP_KERNEL);
	kmem_cache_free(c, o); /* wrong cache */
	CHECK_EQ(warn_count, 5);
	CHECK(warned("belongs to cache test_other"));
	kmem_cache_free(other, o + 8); /* interior pointer */
	CHECK_EQ(warn_count, 6);
	kmem_cache_free(other, o);

	/* double free after the object went back to its slab */
	char *objs[200];
	for (int i = 0; i < 200; i++)
		objs[i] = kmem_cache_alloc(c, GFP_KERNEL);
	for (int i = 0; i < 200; i++)
		kmem_cache_free(c, objs[i]);
	kmem_cache_shrink(c);
	for (int i = 0; i < 200; i++)
		objs[i] = kmem_cache_alloc(c, GFP_KERNEL);
	kmem_cache_free(c, objs[5]);
	kmem_cache_shrink(c);
	kmem_cache_free(c, objs[5]);
	CHECK_EQ(warn_count, 7);

	/* the allocator is intact: distinct objects, balanced books */
	void *x = kmem_cache_alloc(c, GFP_KERNEL), *y = kmem_cache_alloc(c, GFP_KERNEL);
	CHECK(x && y && x != y);
	for (int i = 0; i < 200; i++)
		if (i != 5)
			kmem_cache_free(c, objs[i]);
	kmem_cache_free(c, x);
	kmem_cache_free(c, y);
	CHECK_EQ(info_of(c).active_objs, 0);
	CHECK_EQ(kmem_cache_destroy(c), 0);
	CHECK_EQ(kmem_cache_destroy(other), 0);
	CHECK_EQ(warn_count, 7);
}

/* ---- threads: allocate here, free over there ---- */
#define NTHREADS 4
#define MT_TOTAL 100000
#define MB_CAP 4096

struct mailbox {
	pthread_mutex_t lock;
	int n;
	void *objs[MB_CAP];
};
static struct mailbox mbox[NTHREADS];
static struct kmem_cache *mt_cache;
static MMK_ATOMIC(long) mt_freed;

static void *mt_worker(void *arg)
{
	int me = (int)(intptr_t)arg, next = (me + 1) % NTHREADS;
	int quota = MT_TOTAL / NTHREADS;
	void *got[MB_CAP];

	while (quota > 0 || atomic_load(&mt_freed) < MT_TOTAL) {
		if (quota > 0) {
			void *batch[16];
			int n = quota < 16 ? quota : 16;
			for (int i = 0; i < n; i++) {
				batch[i] = (i & 1) ? kmem_cache_alloc(mt_cache, GFP_KERNEL) : kmalloc(40, GFP_KERNEL);
				CHECK(batch[i]);
				memset(batch[i], me, 40);
			}
			pthread_mutex_lock(&mbox[next].lock);
			if (mbox[next].n + n <= MB_CAP) {
				memcpy(&mbox[next].objs[mbox[next].n], batch, (size_t)n * sizeof(void *));
				mbox[next].n += n;
				quota -= n;
				n = 0;
			}
			pthread_mutex_unlock(&mbox[next].lock);
			for (int i = 0; i < n; i++) /* mailbox full: free them here */
				((i & 1) ? kmem_cache_free(mt_cache, batch[i]) : kfree(batch[i]));
			if (n) {
				quota -= n;
				atomic_fetch_add(&mt_freed, n);
			}
		}
		pthread_mutex_lock(&mbox[me].lock);
		int k = mbox[me].n;
		memcpy(got, mbox[me].objs, (size_t)k * sizeof(void *));
		mbox[me].n = 0;
		pthread_mutex_unlock(&mbox[me].lock);
		for (int i = 0; i < k; i++) {
			CHECK_EQ(((unsigned char *)got[i])[39], (me + NTHREADS - 1) % NTHREADS);
			kfree(got[i]); /* kfree works for both sources */
		}
		atomic_fetch_add(&mt_freed, k);
		if (quota <= 0 && k == 0)
			sched_yield();
	}
	return NULL;
}

TEST(threads_cross_free)
{
	pthread_t t[NTHREADS];
	mt_cache = kmem_cache_create("test_threads", 40, 0, 0, NULL);
	CHECK(mt_cache);
	kfree(kmalloc(1, GFP_KERNEL));
	struct kmem_cache *k64 = find_cache("kmalloc-64");
	CHECK(k64);
	struct slabinfo k0 = info_of(k64);
	for (int i = 0; i < NTHREADS; i++) {
		pthread_mutex_init(&mbox[i].lock, NULL);
		mbox[i].n = 0;
	}
	for (int i = 0; i < NTHREADS; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, mt_worker, (void *)(intptr_t)i), 0);
	/* meanwhile, shrink and read statistics under the workers' feet */
	for (int i = 0; i < 50; i++) {
		kmem_cache_shrink(mt_cache);
		struct slabinfo si = info_of(mt_cache);
		CHECK(si.num_objs >= si.active_objs || si.active_objs > MT_TOTAL);
		usleep(200);
	}
	for (int i = 0; i < NTHREADS; i++)
		CHECK_EQ(pthread_join(t[i], NULL), 0);
	CHECK_EQ(atomic_load(&mt_freed), MT_TOTAL);
	struct slabinfo si = info_of(mt_cache), k1 = info_of(k64);
	CHECK_EQ(si.active_objs, 0);
	CHECK_EQ(si.total_allocs, si.total_frees);
	CHECK_EQ(si.total_allocs + (k1.total_allocs - k0.total_allocs), MT_TOTAL);
	CHECK_EQ(k1.active_objs, k0.active_objs);
	CHECK_EQ(kmem_cache_destroy(mt_cache), 0);
}

/* more threads than CPU slots: the rest work on the slab lists directly */
#define MANY_THREADS 80
static pthread_barrier_t many_barrier;
static struct kmem_cache *many_cache;

static void *many_worker(void *arg)
{
	void *objs[50];
	pthread_barrier_wait(&many_barrier); /* all alive at once */
	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < 50; i++) {
			objs[i] = kmem_cache_alloc(many_cache, GFP_KERNEL);
			CHECK(objs[i]);
			*(long *)objs[i] = (long)(intptr_t)arg;
		}
		for (int i = 0; i < 50; i++) {
			CHECK_EQ(*(long *)objs[i], (long)(intptr_t)arg);
			kmem_cache_free(many_cache, objs[i]);
		}
	}
	pthread_barrier_wait(&many_barrier);
	return NULL;
}

TEST(more_threads_than_slots)
{
	pthread_t t[MANY_THREADS];
	many_cache = kmem_cache_create("test_many_threads", 24, 0, 0, NULL);
	CHECK(many_cache);
	pthread_barrier_init(&many_barrier, NULL, MANY_THREADS);
	for (int i = 0; i < MANY_THREADS; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, many_worker, (void *)(intptr_t)i), 0);
	for (int i = 0; i < MANY_THREADS; i++)
		CHECK_EQ(pthread_join(t[i], NULL), 0);
	struct slabinfo si = info_of(many_cache);
	CHECK_EQ(si.active_objs, 0);
	CHECK_EQ(si.total_allocs, MANY_THREADS * 20 * 50);
	CHECK_EQ(si.total_frees, MANY_THREADS * 20 * 50);
	CHECK_EQ(kmem_cache_destroy(many_cache), 0);
	pthread_barrier_destroy(&many_barrier);
}

/* ---- /proc/slabinfo ---- */
static void show_with(struct kmem_cache *c, char **buf, size_t *len)
{
	FILE *f = open_memstream(buf, len);
	CHECK(f);
	slabinfo_show(f);
	fclose(f);
	(void)c;
}

TEST(slabinfo_format)
{
	struct kmem_cache *c = kmem_cache_create("test_info", 200, 0, 0, NULL);
	void *objs[30];
	for (int i = 0; i < 30; i++)
		objs[i] = kmem_cache_alloc(c, GFP_KERNEL);
	char *buf;
	size_t len;
	show_with(c, &buf, &len);

	char *save, *line = strtok_r(buf, "\n", &save);
	CHECK_STR(line, "slabinfo - version: 2.1");
	line = strtok_r(NULL, "\n", &save);
	CHECK_STR(line, "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab>"
			" : tunables <limit> <batchcount> <sharedfactor>"
			" : slabdata <active_slabs> <num_slabs> <sharedavail>");
	int lines = 0, found = 0;
	while ((line = strtok_r(NULL, "\n", &save))) {
		char name[64];
		unsigned long a, n, sz, per, pages, as, ns, sh;
		unsigned lim, batch, shared;
		int end = 0;
		int r = sscanf(line, "%63s %lu %lu %lu %lu %lu : tunables %u %u %u : slabdata %lu %lu %lu%n",
			       name, &a, &n, &sz, &per, &pages, &lim, &batch, &shared, &as, &ns, &sh, &end);
		CHECK_EQ(r, 12);
		CHECK_EQ(line[end], '\0');
		CHECK(a <= n);
		CHECK(as <= ns);
		CHECK_EQ(n, ns * per);
		lines++;
		if (strcmp(name, "test_info") == 0) {
			struct slabinfo si = info_of(c);
			found = 1;
			CHECK_EQ(a, 30);
			CHECK_EQ(sz, 200);
			CHECK_EQ(per, si.objperslab);
			CHECK_EQ(pages, si.pagesperslab);
			CHECK_EQ(ns, si.num_slabs);
			/* the kernel's column layout */
			char want[256];
			snprintf(want, sizeof(want), "%-17s %6lu %6lu %6lu %4lu %4lu : tunables %4u %4u %4u : slabdata %6lu %6lu %6lu",
				 "test_info", si.active_objs, si.num_objs, si.objsize, si.objperslab,
				 si.pagesperslab, lim, batch, shared, si.active_slabs, si.num_slabs, 0UL);
			CHECK_STR(line, want);
		}
	}
	CHECK(found);
	CHECK(lines >= 1);
	free(buf);
	for (int i = 0; i < 30; i++)
		kmem_cache_free(c, objs[i]);
	CHECK_EQ(kmem_cache_destroy(c), 0);
}

static void order_cb(struct kmem_cache *c, void *arg)
{
	char *s = arg;
	const char *n = kmem_cache_name(c);
	if (strncmp(n, "test_order_", 11) == 0)
		strcat(s, n + 11);
}

TEST(for_each_creation_order)
{
	struct kmem_cache *a = kmem_cache_create("test_order_a", 16, 0, 0, NULL);
	struct kmem_cache *b = kmem_cache_create("test_order_b", 16, 0, 0, NULL);
	struct kmem_cache *c = kmem_cache_create("test_order_c", 16, 0, 0, NULL);
	char s[8] = "";
	kmem_cache_for_each(order_cb, s);
	CHECK_STR(s, "abc");
	kmem_cache_destroy(b);
	s[0] = 0;
	kmem_cache_for_each(order_cb, s);
	CHECK_STR(s, "ac");
	kmem_cache_destroy(a);
	kmem_cache_destroy(c);
	CHECK(kmem_cache_create(NULL, 16, 0, 0, NULL) == NULL);
	CHECK(kmem_cache_create("test_bad", 0, 0, 0, NULL) == NULL);
	CHECK(kmem_cache_create("test_bad", 16, 3, 0, NULL) == NULL);
}

#define TESTS(X)                          \
	X(basic)                          \
	X(distinct_aligned)               \
	X(many_random_order)              \
	X(empty_slabs_kept_for_the_next_swing) \
	X(percpu_drain)                   \
	X(thread_exit_flushes)            \
	X(destroy_with_live_objects)      \
	X(ctor_semantics)                 \
	X(kmalloc_classes)                \
	X(kzalloc_zeroes)                 \
	X(fault_injection_basics)         \
	X(fault_injection_every_step)     \
	X(poison_write_after_free)        \
	X(asan_use_after_free)            \
	X(misuse_reported)                \
	X(threads_cross_free)             \
	X(more_threads_than_slots)        \
	X(slabinfo_format)                \
	X(for_each_creation_order)
TEST_MAIN("slab", TESTS)
