/* SPDX-License-Identifier: MIT */
/*
 * tests/replay_prog.c - a small, seeded, randomized address-space workout
 * for tests/replay.sh: mmap (anonymous private and shared, fixed, hinted,
 * NOREPLACE, file-backed from its own executable), munmap, mprotect,
 * mremap (grow, shrink, move, fixed, DONTUNMAP), madvise, brk, mlock,
 * and every few steps it copies /proc/self/maps to standard output - and
 * nothing else goes there. It never touches the memory it maps (page faults
 * do not show in strace, so the replay cannot see them), uses no stdio and
 * no malloc (they would map and fault behind the trace's back).
 *
 *   replay_prog [SEED [STEPS [EVERY]]]    defaults 1, 300, 30
 *   replay_prog threads                   threads that map and read their
 *                                          maps, then one of them execs cat
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#define MADV_KEEPONFORK 19
#endif
#ifndef MADV_COLD
#define MADV_COLD 20
#define MADV_PAGEOUT 21
#endif
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif

#define PG 4096UL
#define ARENA 0x100000000UL     /* 4 GiB: far from the binary, the heap and the mmap area */
#define ARENA_PAGES 1024UL
#define NSPAN 128

static unsigned long long rng_state;
static unsigned long rnd(unsigned long n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return n ? (unsigned long)(rng_state % n) : 0;
}

/* spans this program mapped at some time: every operation stays inside them */
static struct span { unsigned long addr, len; } spans[NSPAN];
static int nspan;

static void add_span(unsigned long addr, unsigned long len)
{
	if ((long)addr < 0 && (long)addr > -4096)
		return;
	if (nspan < NSPAN) {
		spans[nspan].addr = addr;
		spans[nspan].len = len;
		nspan++;
	} else {
		spans[rnd(NSPAN)] = (struct span){ addr, len };
	}
}

/* a page-aligned subrange of a random span */
static int pick(unsigned long *addr, unsigned long *len)
{
	struct span *s;
	unsigned long pages, first, n;
	if (!nspan)
		return 0;
	s = &spans[rnd((unsigned long)nspan)];
	pages = s->len / PG;
	first = rnd(pages);
	n = 1 + rnd(pages - first);
	*addr = s->addr + first * PG;
	*len = n * PG;
	return 1;
}

static char mapsbuf[1 << 20];

static void dump_maps(void)
{
	int fd = open("/proc/self/maps", O_RDONLY);
	size_t len = 0;
	ssize_t r;
	if (fd < 0)
		_exit(3);
	while ((r = read(fd, mapsbuf + len, sizeof(mapsbuf) - 1 - len)) > 0)
		len += (size_t)r;
	close(fd);
	mapsbuf[len] = 0;
	for (size_t off = 0; off < len;) {
		r = write(1, mapsbuf + off, len - off);
		if (r <= 0)
			_exit(4);
		off += (size_t)r;
	}
}

/*
 * fence - put a one-page shared anonymous guard right below and right above
 * every private anonymous mapping that exists before the workout (the
 * loader's and libc's data, TLS and bss). Those have been written to, so in
 * the kernel they have an anon_vma that the replay cannot know about; a new
 * mapping that merged with one of them would later split, move and merge
 * differently in the model. Shared anonymous memory never merges with
 * private memory, nor with another shared mapping.
 */
static void fence(unsigned long brk0)
{
	unsigned long lo[64], hi[64];
	int n = 0;
	char *p = mapsbuf, *end;

	/* mapsbuf holds the first dump */
	for (; *p && n < 64; p = end + 1) {
		unsigned long a, b;
		char perms[5];
		end = strchr(p, '\n');
		if (!end)
			break;
		*end = 0;
		a = strtoul(p, &p, 16);
		b = strtoul(p + 1, &p, 16);
		memcpy(perms, p + 1, 4);
		perms[4] = 0;
		/* "... 00:00 0 " and nothing after: private anonymous, unnamed */
		if (perms[3] == 'p' && strstr(p, " 00:00 0 ") && end[-1] == ' ' && end[-2] == '0') {
			lo[n] = a;
			hi[n] = b;
			n++;
		}
	}
	for (int i = 0; i < n; i++) {
		mmap((void *)(lo[i] - PG), PG, PROT_NONE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (hi[i] != brk0) /* the bss: the break grows from there */
			mmap((void *)hi[i], PG, PROT_NONE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	}
}

static const int prots[] = { PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC,
			     PROT_READ | PROT_WRITE | PROT_EXEC, PROT_WRITE };
static const int advices[] = { MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED,
			       MADV_DONTNEED, MADV_DONTFORK, MADV_DOFORK, MADV_DONTDUMP, MADV_DODUMP,
			       MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_WIPEONFORK, MADV_KEEPONFORK,
			       MADV_COLD, MADV_PAGEOUT, MADV_FREE };

/* ---- threads: each maps, protects and dumps under a lock (so that the
 * order of the dumps on stdout is the order of the reads in the trace) */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg)
{
	long id = (long)arg;
	void *p;
	pthread_mutex_lock(&lock);
	p = mmap(NULL, (unsigned long)(id + 1) << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED)
		mprotect((char *)p + PG, PG, PROT_NONE);
	{
		int fd = open("/proc/thread-self/maps", O_RDONLY);
		ssize_t r;
		size_t len = 0;
		while (fd >= 0 && (r = read(fd, mapsbuf + len, sizeof(mapsbuf) - 1 - len)) > 0)
			len += (size_t)r;
		if (fd >= 0)
			close(fd);
		for (size_t off = 0; off < len;) {
			r = write(1, mapsbuf + off, len - off);
			if (r <= 0)
				_exit(4);
			off += (size_t)r;
		}
	}
	if (id == 9) { /* a thread that is not the leader execs */
		char *av[] = { "cat", "/proc/self/maps", NULL };
		execv("/bin/cat", av);
		_exit(5);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

static int threads(void)
{
	pthread_t t[3];
	/* one thread at a time: two threads' address-space calls that overlap in
	 * time reach the kernel in an order the trace cannot show */
	for (long i = 0; i < 3; i++) {
		if (pthread_create(&t[i], NULL, worker, (void *)i))
			return 1;
		pthread_join(t[i], NULL);
	}
	dump_maps();
	if (pthread_create(&t[0], NULL, worker, (void *)9L))
		return 1;
	pthread_join(t[0], NULL); /* never returns: the exec replaces us */
	return 1;
}

static int workout(int argc, char **argv)
{
	unsigned long seed = argc > 1 ? strtoul(argv[1], NULL, 0) : 1;
	long steps = argc > 2 ? strtol(argv[2], NULL, 0) : 300;
	long every = argc > 3 ? strtol(argv[3], NULL, 0) : 30;
	unsigned long brk0, cur;
	off_t fsize;
	int fd;

	rng_state = 0x9e3779b97f4a7c15ULL ^ (seed * 0x100000001b3ULL);
	rnd(1);
	fd = strchr(argv[0], '/') ? open(argv[0], O_RDONLY) : -1;
	fsize = fd >= 0 ? lseek(fd, 0, SEEK_END) : 0;
	brk0 = cur = (unsigned long)syscall(SYS_brk, 0);
	dump_maps();
	fence(brk0);
	for (long i = 1; i <= steps; i++) {
		unsigned long addr, len, len2;
		void *p;
		int prot = prots[rnd(sizeof(prots) / sizeof(prots[0]))];
		switch (rnd(20)) {
		case 0: case 1: case 2: /* anonymous, anywhere */
			len = (rnd(8) == 0 ? 512 * (1 + rnd(2)) : 1 + rnd(32)) * PG;
			p = mmap(NULL, len, prot, (rnd(4) ? MAP_PRIVATE : MAP_SHARED) | MAP_ANONYMOUS |
				 (rnd(4) ? 0 : MAP_NORESERVE), -1, 0);
			if (p != MAP_FAILED)
				add_span((unsigned long)p, len);
			break;
		case 3: case 4: /* fixed, in the arena */
			addr = ARENA + rnd(ARENA_PAGES) * PG;
			len = (1 + rnd(16)) * PG;
			p = mmap((void *)addr, len, prot, (rnd(5) ? MAP_PRIVATE : MAP_SHARED) | MAP_ANONYMOUS |
				 (rnd(3) ? MAP_FIXED : MAP_FIXED_NOREPLACE), -1, 0);
			if (p != MAP_FAILED)
				add_span((unsigned long)p, len);
			break;
		case 5: /* a hint in the arena */
			addr = ARENA + rnd(ARENA_PAGES) * PG;
			len = (1 + rnd(16)) * PG;
			p = mmap((void *)addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p != MAP_FAILED)
				add_span((unsigned long)p, len);
			break;
		case 6: /* the executable's own pages */
			if (fd < 0 || fsize < (off_t)PG)
				break;
			len = (1 + rnd(3)) * PG;
			p = mmap(NULL, len, rnd(2) ? PROT_READ : PROT_READ | PROT_WRITE, MAP_PRIVATE, fd,
				 (off_t)(rnd((unsigned long)fsize / PG) * PG));
			if (p != MAP_FAILED)
				add_span((unsigned long)p, len);
			break;
		case 7: case 8:
			if (pick(&addr, &len))
				munmap((void *)addr, len);
			break;
		case 9: case 10: case 11:
			if (pick(&addr, &len))
				mprotect((void *)addr, len, prot);
			break;
		case 12: case 13:
			if (!pick(&addr, &len))
				break;
			len2 = (1 + rnd(24)) * PG;
			switch (rnd(5)) {
			/* the fifth argument always: the kernel reads it for
			 * MREMAP_DONTUNMAP too, strace shows it only with MREMAP_FIXED */
			case 0:
				p = mremap((void *)addr, len, len2, 0, NULL);
				break;
			case 1: case 2:
				p = mremap((void *)addr, len, len2, MREMAP_MAYMOVE, NULL);
				break;
			case 3:
				p = mremap((void *)addr, len, len2, MREMAP_MAYMOVE | MREMAP_FIXED,
					   (void *)(ARENA + rnd(ARENA_PAGES) * PG));
				break;
			default:
				p = mremap((void *)addr, len, len, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
				len2 = len;
			}
			if (p != MAP_FAILED)
				add_span((unsigned long)p, len2);
			break;
		case 14: case 15: case 16:
			if (pick(&addr, &len))
				madvise((void *)addr, len, advices[rnd(sizeof(advices) / sizeof(advices[0]))]);
			break;
		case 17: case 18: { /* the break, up and down, never below where it started */
			long delta = (long)rnd(13) - 4;
			unsigned long want = cur + (unsigned long)(delta * (long)PG) + rnd(2) * 123;
			if (want < brk0)
				want = brk0;
			cur = (unsigned long)syscall(SYS_brk, want);
			break;
		}
		default: /* small locked ranges */
			if (!pick(&addr, &len))
				break;
			if (len > 8 * PG)
				len = 8 * PG;
			switch (rnd(3)) {
			case 0: mlock((void *)addr, len); break;
			case 1: syscall(SYS_mlock2, addr, len, MLOCK_ONFAULT); break;
			default: munlock((void *)addr, len);
			}
		}
		if (every > 0 && i % every == 0)
			dump_maps();
	}
	dump_maps();
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "threads"))
		return threads();
	return workout(argc, argv);
}
