/* SPDX-License-Identifier: MIT */
/*
 * tests/kdiff.h - differential testing of mmkit's address-space operations
 * against the running kernel ("the running kernel is the oracle").
 *
 * Kernel side: a child process (fork + exec of /proc/self/exe with
 * "--kdiff-child ...", personality ADDR_NO_RANDOMIZE, PR_SET_THP_DISABLE)
 * performs a seeded random sequence of mmap/munmap/mprotect/mremap/
 * madvise/mlock/brk FOR REAL with raw syscalls and reads /proc/self/maps
 * after every operation with raw open/read/close into a static buffer (no
 * stdio, no malloc: nothing that could change its own address space). Each
 * operation, its raw return value (or -errno) and each maps text go to the
 * parent through a pipe with raw write().
 *
 * Model side: the parent seeds an mm from the child's first maps text
 * (mmk_import_maps), sets brk and rlimits from what the child reported,
 * replays every operation with sys_mmap/sys_munmap/... and compares every
 * return value and, after every operation, the whole show_maps text.
 * [stack] lines are compared by end address only (the real stack grows by
 * faults); the inode of "/dev/zero (deleted)" lines is masked.
 *
 * Safety of the child: operations only touch a scratch window
 * (KD_WIN_BASE, 16 MiB, free in plain and ASan processes) and what the
 * child mapped itself; every operation is checked against the VMAs of the
 * child's first snapshot ("vital" ranges) before it runs.
 *
 * Header-only (static functions) so that tests/test_kdiff.c and
 * tests/kdiff_soak.c share it. x86-64 Linux only.
 */
#ifndef MMK_TESTS_KDIFF_H
#define MMK_TESTS_KDIFF_H

#include <mmkit/mmkit.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifndef MAP_32BIT
#define MAP_32BIT 0x40
#endif
#ifndef MAP_STACK
#define MAP_STACK 0x20000
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24
#endif
#ifndef MADV_REMOVE
#define MADV_REMOVE 9
#endif
#ifndef PROT_SEM
#define PROT_SEM 0x8
#endif
#ifndef PR_SET_THP_DISABLE
#define PR_SET_THP_DISABLE 41
#endif

extern char **environ;

/* ======================================================================
 * configuration
 * ====================================================================== */
#define KD_WIN_BASE 0x200000000000UL   /* free in plain and ASan (HighMem) processes */
#define KD_WIN_PAGES 4096UL            /* 16 MiB */
#define KD_WIN_END (KD_WIN_BASE + KD_WIN_PAGES * PAGE_SIZE)
#define KD_HOT_PAGES 128UL             /* most targets fall in the first 512 KiB */
#define KD_FILE_SIZE (12 * 4096 + 100) /* the test file: 12 pages and a bit */
#define KD_TASK_SIZE 0x7ffffffff000UL
#define KD_MAX_OPS 4096
#define KD_SKIPPED (-100000L)          /* an explicit op the child refused as unsafe */

enum kd_kind {
	KD_MMAP = 1, KD_MUNMAP, KD_MPROTECT, KD_MREMAP, KD_MADVISE,
	KD_MLOCK, KD_MLOCK2, KD_MUNLOCK, KD_MLOCKALL, KD_MUNLOCKALL, KD_BRK,
	KD_NKINDS
};

/* mmap file selector (a[5] would be the fd) */
enum { KD_FD_NONE = 0, KD_FD_RO = 1, KD_FD_RW = 2, KD_FD_BAD = 3 };

struct kd_op {
	int32_t kind;
	int32_t fdsel;     /* KD_MMAP only */
	uint64_t a[5];     /* arguments in syscall order (mmap: addr len prot flags off) */
	int64_t ret;       /* the kernel's raw return (address, 0, or -errno) */
};

struct kd_info {
	uint64_t start_brk_probe; /* brk(0) at start */
	uint64_t rlim[MMK_RLIM_NLIMITS];
	uint32_t cap_ipc_lock;
	uint32_t personality;
	uint64_t seed;
	int32_t nops;
	int32_t pad;
	uint64_t mmap_min_addr;   /* the effective one: a low hint is raised to it */
};

/* pipe records */
#define KD_MAGIC 0x4b445231u /* "KDR1" */
enum { KD_R_INFO = 1, KD_R_MAPS, KD_R_OP, KD_R_END, KD_R_ERR, KD_R_SMAPS };
struct kd_rec_hdr {
	uint32_t magic, type, len, pad;
};

/* ======================================================================
 * raw system calls (no libc wrapper behaviour, no errno)
 * ====================================================================== */
static __attribute__((unused)) inline long kd_sys6(long n, long a, long b, long c, long d, long e, long f)
{
#if defined(__x86_64__)
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
#else
	long r = syscall(n, a, b, c, d, e, f);
	return r == -1 ? -errno : r;
#endif
}
#define kd_sys(n, a, b, c) kd_sys6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)

/* ======================================================================
 * small helpers: rng, names
 * ====================================================================== */
struct kd_rng { uint64_t s; };
static inline uint64_t kd_next(struct kd_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}
static __attribute__((unused)) inline unsigned long kd_rnd(struct kd_rng *r, unsigned long n) { return n ? (unsigned long)(kd_next(r) % n) : 0; }
static __attribute__((unused)) inline int kd_pct(struct kd_rng *r, int p) { return kd_rnd(r, 100) < (unsigned long)p; }

static __attribute__((unused)) const char *kd_kind_name(int k)
{
	static const char *const n[] = { "?", "mmap", "munmap", "mprotect", "mremap", "madvise",
					  "mlock", "mlock2", "munlock", "mlockall", "munlockall", "brk" };
	return (k > 0 && k < KD_NKINDS) ? n[k] : "?";
}

static __attribute__((unused)) const char *kd_errname(long e)
{
	switch (e) {
	case -EPERM: return "EPERM";
	case -ENOENT: return "ENOENT";
	case -EBADF: return "EBADF";
	case -EAGAIN: return "EAGAIN";
	case -ENOMEM: return "ENOMEM";
	case -EACCES: return "EACCES";
	case -EFAULT: return "EFAULT";
	case -EBUSY: return "EBUSY";
	case -EEXIST: return "EEXIST";
	case -ENODEV: return "ENODEV";
	case -EINVAL: return "EINVAL";
	case -EFBIG: return "EFBIG";
	case -EOVERFLOW: return "EOVERFLOW";
	case -EOPNOTSUPP: return "EOPNOTSUPP";
	case -ENOSYS: return "ENOSYS";
	case -EHWPOISON: return "EHWPOISON";
	default: return NULL;
	}
}

/* "0x7ffff7fc0000", "0", "-ENOMEM" */
static __attribute__((unused)) void kd_fmt_ret(char *buf, size_t n, long r)
{
	const char *e = (r < 0 && r > -4096) ? kd_errname(r) : NULL;
	if (r == KD_SKIPPED)
		snprintf(buf, n, "(skipped)");
	else if (e)
		snprintf(buf, n, "-%s", e);
	else if (r < 0 && r > -4096)
		snprintf(buf, n, "%ld", r);
	else if (r >= 0 && r < 4096)
		snprintf(buf, n, "%ld", r);
	else
		snprintf(buf, n, "%#lx", (unsigned long)r);
}

struct kd_flagname { unsigned long v; const char *n; };

static __attribute__((unused)) void kd_fmt_flags(char *buf, size_t n, unsigned long v, const struct kd_flagname *t, const char *zero)
{
	size_t len = 0;
	buf[0] = 0;
	for (; t->n; t++) {
		if (t->v && (v & t->v) == t->v) {
			len += (size_t)snprintf(buf + len, len < n ? n - len : 0, "%s%s", len ? "|" : "", t->n);
			v &= ~t->v;
		}
	}
	if (v)
		len += (size_t)snprintf(buf + len, len < n ? n - len : 0, "%s%#lx", len ? "|" : "", v);
	if (!len)
		snprintf(buf, n, "%s", zero);
}

static const struct kd_flagname kd_prot_names[] = {
	{ PROT_READ, "PROT_READ" }, { PROT_WRITE, "PROT_WRITE" }, { PROT_EXEC, "PROT_EXEC" },
	{ PROT_GROWSDOWN, "PROT_GROWSDOWN" }, { PROT_GROWSUP, "PROT_GROWSUP" }, { 0, NULL } };
static const struct kd_flagname kd_map_names[] = {
	{ MAP_SHARED_VALIDATE, "MAP_SHARED_VALIDATE" }, { MAP_SHARED, "MAP_SHARED" },
	{ MAP_PRIVATE, "MAP_PRIVATE" }, { MAP_ANONYMOUS, "MAP_ANONYMOUS" }, { MAP_FIXED, "MAP_FIXED" },
	{ MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE" }, { MAP_GROWSDOWN, "MAP_GROWSDOWN" },
	{ MAP_POPULATE, "MAP_POPULATE" }, { MAP_LOCKED, "MAP_LOCKED" }, { MAP_NORESERVE, "MAP_NORESERVE" },
	{ MAP_STACK, "MAP_STACK" }, { MAP_32BIT, "MAP_32BIT" }, { MAP_SYNC, "MAP_SYNC" }, { 0, NULL } };
static const struct kd_flagname kd_mremap_names[] = {
	{ MREMAP_MAYMOVE, "MREMAP_MAYMOVE" }, { MREMAP_FIXED, "MREMAP_FIXED" },
	{ MREMAP_DONTUNMAP, "MREMAP_DONTUNMAP" }, { 0, NULL } };
static const struct kd_flagname kd_mcl_names[] = {
	{ MCL_CURRENT, "MCL_CURRENT" }, { MCL_FUTURE, "MCL_FUTURE" }, { MCL_ONFAULT, "MCL_ONFAULT" }, { 0, NULL } };

static __attribute__((unused)) const char *kd_advice_name(long a)
{
	switch (a) {
	case MADV_NORMAL: return "MADV_NORMAL";
	case MADV_RANDOM: return "MADV_RANDOM";
	case MADV_SEQUENTIAL: return "MADV_SEQUENTIAL";
	case MADV_WILLNEED: return "MADV_WILLNEED";
	case MADV_DONTNEED: return "MADV_DONTNEED";
	case MADV_FREE: return "MADV_FREE";
	case MADV_REMOVE: return "MADV_REMOVE";
	case MADV_DONTFORK: return "MADV_DONTFORK";
	case MADV_DOFORK: return "MADV_DOFORK";
	case MADV_HUGEPAGE: return "MADV_HUGEPAGE";
	case MADV_NOHUGEPAGE: return "MADV_NOHUGEPAGE";
	case MADV_DONTDUMP: return "MADV_DONTDUMP";
	case MADV_DODUMP: return "MADV_DODUMP";
	case MADV_WIPEONFORK: return "MADV_WIPEONFORK";
	case MADV_KEEPONFORK: return "MADV_KEEPONFORK";
	case MADV_COLD: return "MADV_COLD";
	case MADV_PAGEOUT: return "MADV_PAGEOUT";
	case MADV_POPULATE_READ: return "MADV_POPULATE_READ";
	case MADV_POPULATE_WRITE: return "MADV_POPULATE_WRITE";
	case MADV_DONTNEED_LOCKED: return "MADV_DONTNEED_LOCKED";
	default: return NULL;
	}
}

/* one operation as a C call, e.g. "mmap(0x200000000000, 0x2000, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)" */
static __attribute__((unused)) void kd_fmt_op(char *buf, size_t n, const struct kd_op *op)
{
	char f1[160], f2[64];
	const uint64_t *a = op->a;
	switch (op->kind) {
	case KD_MMAP: {
		static const char *const fdn[] = { "-1", "fd_ro", "fd_rw", "fd_bad" };
		kd_fmt_flags(f1, sizeof f1, a[3], kd_map_names, "0");
		kd_fmt_flags(f2, sizeof f2, a[2], kd_prot_names, "PROT_NONE");
		snprintf(buf, n, "mmap(%#lx, %#lx, %s, %s, %s, %#lx)", (unsigned long)a[0], (unsigned long)a[1], f2, f1,
			 fdn[op->fdsel & 3], (unsigned long)a[4]);
		break;
	}
	case KD_MUNMAP:
		snprintf(buf, n, "munmap(%#lx, %#lx)", (unsigned long)a[0], (unsigned long)a[1]);
		break;
	case KD_MPROTECT:
		kd_fmt_flags(f2, sizeof f2, a[2], kd_prot_names, "PROT_NONE");
		snprintf(buf, n, "mprotect(%#lx, %#lx, %s)", (unsigned long)a[0], (unsigned long)a[1], f2);
		break;
	case KD_MREMAP:
		kd_fmt_flags(f1, sizeof f1, a[3], kd_mremap_names, "0");
		snprintf(buf, n, "mremap(%#lx, %#lx, %#lx, %s, %#lx)", (unsigned long)a[0], (unsigned long)a[1],
			 (unsigned long)a[2], f1, (unsigned long)a[4]);
		break;
	case KD_MADVISE: {
		const char *an = kd_advice_name((long)a[2]);
		if (an)
			snprintf(buf, n, "madvise(%#lx, %#lx, %s)", (unsigned long)a[0], (unsigned long)a[1], an);
		else
			snprintf(buf, n, "madvise(%#lx, %#lx, %ld)", (unsigned long)a[0], (unsigned long)a[1], (long)a[2]);
		break;
	}
	case KD_MLOCK:
		snprintf(buf, n, "mlock(%#lx, %#lx)", (unsigned long)a[0], (unsigned long)a[1]);
		break;
	case KD_MLOCK2:
		snprintf(buf, n, "mlock2(%#lx, %#lx, %s)", (unsigned long)a[0], (unsigned long)a[1],
			 a[2] == MLOCK_ONFAULT ? "MLOCK_ONFAULT" : a[2] == 0 ? "0" : "bad");
		if (a[2] != MLOCK_ONFAULT && a[2] != 0)
			snprintf(buf, n, "mlock2(%#lx, %#lx, %#lx)", (unsigned long)a[0], (unsigned long)a[1], (unsigned long)a[2]);
		break;
	case KD_MUNLOCK:
		snprintf(buf, n, "munlock(%#lx, %#lx)", (unsigned long)a[0], (unsigned long)a[1]);
		break;
	case KD_MLOCKALL:
		kd_fmt_flags(f1, sizeof f1, a[0], kd_mcl_names, "0");
		snprintf(buf, n, "mlockall(%s)", f1);
		break;
	case KD_MUNLOCKALL:
		snprintf(buf, n, "munlockall()");
		break;
	case KD_BRK:
		snprintf(buf, n, "brk(%#lx)", (unsigned long)a[0]);
		break;
	default:
		snprintf(buf, n, "op%d(?)", op->kind);
	}
}

/* ======================================================================
 * parsing maps lines (no allocation: used by the child too)
 * ====================================================================== */
struct kd_range { unsigned long start, end; };

static __attribute__((unused)) inline int kd_hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* parse "start-end" at p; returns the pointer after end, or NULL */
static __attribute__((unused)) const char *kd_parse_range(const char *p, const char *lim, unsigned long *s, unsigned long *e)
{
	unsigned long v = 0;
	int d, nd = 0;
	while (p < lim && (d = kd_hexval(*p)) >= 0) { v = v * 16 + (unsigned long)d; p++; nd++; }
	if (!nd || p >= lim || *p != '-')
		return NULL;
	*s = v;
	p++;
	v = 0; nd = 0;
	while (p < lim && (d = kd_hexval(*p)) >= 0) { v = v * 16 + (unsigned long)d; p++; nd++; }
	if (!nd)
		return NULL;
	*e = v;
	return p;
}

/* the VMAs of a maps text; returns how many (at most max) */
static __attribute__((unused)) int kd_maps_ranges(const char *text, size_t len, struct kd_range *out, int max)
{
	const char *p = text, *lim = text + len;
	int n = 0;
	while (p < lim && n < max) {
		const char *nl = memchr(p, '\n', (size_t)(lim - p));
		const char *eol = nl ? nl : lim;
		unsigned long s, e;
		if (kd_parse_range(p, eol, &s, &e) && s < e && s < KD_TASK_SIZE) {
			out[n].start = s;
			out[n].end = e;
			n++;
		}
		p = nl ? nl + 1 : lim;
	}
	return n;
}

static __attribute__((unused)) inline int kd_overlaps(unsigned long s, unsigned long e, const struct kd_range *r, int n)
{
	for (int i = 0; i < n; i++)
		if (s < r[i].end && r[i].start < e)
			return 1;
	return 0;
}

/* ======================================================================
 * the kernel child
 * ====================================================================== */
#define KD_CHILD_MAPS_MAX (4u << 20)
#define KD_CHILD_RANGES 8192

struct kd_child {
	int out;                 /* the pipe to the parent */
	int fd_ro, fd_rw;
	unsigned long start_brk, init_brk, cur_brk;
	struct kd_range vital[KD_CHILD_RANGES];
	int nvital;
	struct kd_range mine[KD_CHILD_RANGES]; /* VMAs of the latest snapshot that are not vital */
	int nmine;
	size_t maps_len;
	unsigned kinds;          /* bit per enum kd_kind allowed (KDIFF_OPS) */
	unsigned long mmap_min;  /* the effective mmap_min_addr */
};

static char kd_child_maps[KD_CHILD_MAPS_MAX];
static struct kd_child kd_cs;
static struct kd_op kd_child_ops[KD_MAX_OPS];

static __attribute__((unused)) void kd_child_write(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		long r = kd_sys(SYS_write, fd, p, len);
		if (r == -EINTR)
			continue;
		if (r <= 0)
			kd_sys(SYS_exit_group, 99, 0, 0);
		p += r;
		len -= (size_t)r;
	}
}

static __attribute__((unused)) void kd_child_emit(int type, const void *payload, size_t len)
{
	struct kd_rec_hdr h = { KD_MAGIC, (uint32_t)type, (uint32_t)len, 0 };
	kd_child_write(kd_cs.out, &h, sizeof h);
	if (len)
		kd_child_write(kd_cs.out, payload, len);
}

static __attribute__((unused)) void kd_child_die(const char *msg)
{
	kd_child_emit(KD_R_ERR, msg, strlen(msg));
	kd_sys(SYS_exit_group, 98, 0, 0);
}

static __attribute__((unused)) void kd_child_snapshot_file(const char *path)
{
	long fd = kd_sys(SYS_open, path, O_RDONLY | O_CLOEXEC, 0);
	size_t len = 0;
	if (fd < 0)
		kd_child_die("open /proc/self/maps (or smaps) failed");
	for (;;) {
		long r = kd_sys(SYS_read, fd, kd_child_maps + len, KD_CHILD_MAPS_MAX - 1 - len);
		if (r == -EINTR)
			continue;
		if (r < 0)
			kd_child_die("read /proc/self/maps (or smaps) failed");
		if (r == 0)
			break;
		len += (size_t)r;
		if (len >= KD_CHILD_MAPS_MAX - 1)
			kd_child_die("maps too large");
	}
	kd_sys(SYS_close, fd, 0, 0);
	kd_cs.maps_len = len;
}

static __attribute__((unused)) void kd_child_snapshot(void)
{
	kd_child_snapshot_file("/proc/self/maps");
}

/* the "mine" list: VMAs of the current snapshot not overlapping a vital range */
static __attribute__((unused)) void kd_child_update_mine(void)
{
	static struct kd_range all[KD_CHILD_RANGES];
	int n = kd_maps_ranges(kd_child_maps, kd_cs.maps_len, all, KD_CHILD_RANGES);
	kd_cs.nmine = 0;
	for (int i = 0; i < n; i++)
		if (!kd_overlaps(all[i].start, all[i].end, kd_cs.vital, kd_cs.nvital))
			kd_cs.mine[kd_cs.nmine++] = all[i];
}

static __attribute__((unused)) inline int kd_child_range_ok(unsigned long s, unsigned long e)
{
	if (e < s || e > KD_TASK_SIZE)
		return 0;
	return !kd_overlaps(s, e, kd_cs.vital, kd_cs.nvital);
}

/*
 * Is it safe for the child to run @op? Unsafe means: it could change a
 * mapping the child did not create (its code, libraries, stack, heap,
 * ASan's shadow). Forms the kernel rejects before acting are safe.
 */
static __attribute__((unused)) int kd_op_safe(const struct kd_op *op)
{
	const uint64_t *a = op->a;
	unsigned long len;
	switch (op->kind) {
	case KD_MMAP:
		if (!(a[3] & MAP_FIXED) || (a[3] & MAP_FIXED_NOREPLACE))
			return 1; /* the kernel picks free space (or fails) */
		if ((a[0] & ~PAGE_MASK) || !a[1])
			return 1;
		len = PAGE_ALIGN(a[1]);
		if (!len)
			return 1;
		return kd_child_range_ok(a[0], a[0] + len);
	case KD_MUNMAP:
		if ((a[0] & ~PAGE_MASK) || a[0] > KD_TASK_SIZE || a[1] > KD_TASK_SIZE - a[0])
			return 1;
		len = PAGE_ALIGN(a[1]);
		if (!len)
			return 1;
		return kd_child_range_ok(a[0], a[0] + len);
	case KD_MPROTECT:
		if ((a[0] & ~PAGE_MASK) || !a[1])
			return 1;
		len = PAGE_ALIGN(a[1]);
		if (!len || a[0] + len <= a[0])
			return 1;
		if (a[2] & ~(unsigned long)(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN | PROT_GROWSUP | PROT_SEM))
			return 1;
		return kd_child_range_ok(a[0], a[0] + len);
	case KD_MREMAP:
		if ((a[0] & ~PAGE_MASK) || (a[3] & ~(unsigned long)(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)))
			return 1;
		if (!PAGE_ALIGN(a[2]))
			return 1;
		if (!kd_child_range_ok(a[0], a[0] + PAGE_ALIGN(a[1])))
			return 0;
		if (a[3] & MREMAP_FIXED)
			return kd_child_range_ok(a[4] & PAGE_MASK, (a[4] & PAGE_MASK) + PAGE_ALIGN(a[2]));
		return 1;
	case KD_MADVISE:
		if (a[0] & ~PAGE_MASK)
			return 1;
		if (!kd_advice_name((long)a[2]))
			return 1;
		len = PAGE_ALIGN(a[1]);
		if (a[1] && !len)
			return 1;
		if (a[0] + len < a[0])
			return 1;
		return kd_child_range_ok(a[0], a[0] + len);
	case KD_MLOCK:
	case KD_MLOCK2:
	case KD_MUNLOCK: {
		if (op->kind == KD_MLOCK2 && (a[2] & ~(unsigned long)MLOCK_ONFAULT))
			return 1;
		unsigned long s = a[0] & PAGE_MASK;
		unsigned long e = PAGE_ALIGN(a[0] + a[1]);
		if (e < s)
			return 0;
		return kd_child_range_ok(s, e);
	}
	case KD_MLOCKALL:
		return !(a[0] & MCL_CURRENT);
	case KD_MUNLOCKALL:
		return 1;
	case KD_BRK:
		if (a[0] < kd_cs.start_brk)
			return 1;
		if (a[0] < kd_cs.init_brk)
			return 0;
		/* growing is refused by the kernel when it would hit a mapping */
		return 1;
	}
	return 0;
}

/*
 * Can the model know the outcome of @op from the address space alone? A
 * fixed address below the effective mmap_min_addr is decided by
 * capabilities and the LSM (root may map at 0xd000 with MAP_FIXED while a
 * hint there is raised to 0x10000): leave those out.
 */
static __attribute__((unused)) int kd_op_knowable(const struct kd_op *op)
{
	const uint64_t *a = op->a;
	unsigned long min = kd_cs.mmap_min ? kd_cs.mmap_min : 0x10000;
	if (op->kind == KD_MMAP && (a[3] & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && a[0] < min)
		return 0;
	if (op->kind == KD_MREMAP && (a[3] & MREMAP_FIXED) && a[4] < min)
		return 0;
	return 1;
}

static __attribute__((unused)) long kd_child_exec(const struct kd_op *op)
{
	const uint64_t *a = op->a;
	switch (op->kind) {
	case KD_MMAP: {
		long fd = -1;
		if (!(a[3] & MAP_ANONYMOUS)) {
			fd = op->fdsel == KD_FD_RO ? kd_cs.fd_ro : op->fdsel == KD_FD_RW ? kd_cs.fd_rw : 1000;
		}
		return kd_sys6(SYS_mmap, (long)a[0], (long)a[1], (long)a[2], (long)a[3], fd, (long)a[4]);
	}
	case KD_MUNMAP: return kd_sys(SYS_munmap, a[0], a[1], 0);
	case KD_MPROTECT: return kd_sys(SYS_mprotect, a[0], a[1], a[2]);
	case KD_MREMAP: return kd_sys6(SYS_mremap, (long)a[0], (long)a[1], (long)a[2], (long)a[3], (long)a[4], 0);
	case KD_MADVISE: return kd_sys(SYS_madvise, a[0], a[1], a[2]);
	case KD_MLOCK: return kd_sys(SYS_mlock, a[0], a[1], 0);
	case KD_MLOCK2: return kd_sys(SYS_mlock2, a[0], a[1], a[2]);
	case KD_MUNLOCK: return kd_sys(SYS_munlock, a[0], a[1], 0);
	case KD_MLOCKALL: return kd_sys(SYS_mlockall, a[0], 0, 0);
	case KD_MUNLOCKALL: return kd_sys(SYS_munlockall, 0, 0, 0);
	case KD_BRK: return kd_sys(SYS_brk, a[0], 0, 0);
	}
	return -ENOSYS;
}

/* a target range: in the scratch window, or around one of the child's own VMAs */
static __attribute__((unused)) void kd_pick(struct kd_rng *r, unsigned long *start, unsigned long *npages)
{
	unsigned long s, n;
	if (kd_cs.nmine && kd_pct(r, 60)) {
		const struct kd_range *v = &kd_cs.mine[kd_rnd(r, (unsigned long)kd_cs.nmine)];
		unsigned long vp = (v->end - v->start) >> PAGE_SHIFT, k;
		switch (kd_rnd(r, 7)) {
		case 0: s = v->start; n = vp; break;                                   /* whole */
		case 1: s = v->start; n = 1 + kd_rnd(r, vp); break;                    /* head */
		case 2: k = kd_rnd(r, vp); s = v->start + k * PAGE_SIZE; n = vp - k; break; /* tail */
		case 3: k = kd_rnd(r, vp); s = v->start + k * PAGE_SIZE; n = 1 + kd_rnd(r, vp - k); break;
		case 4: k = 1 + kd_rnd(r, 4); s = v->start - k * PAGE_SIZE; n = k + vp + kd_rnd(r, 4); break; /* spanning */
		case 5: s = v->end; n = 1 + kd_rnd(r, 8); break;                       /* just after */
		default: k = 1 + kd_rnd(r, 8); s = v->start - k * PAGE_SIZE; n = k; break; /* just before */
		}
		if (n > 1024)
			n = 1 + kd_rnd(r, 1024);
	} else if (kd_pct(r, 6)) {
		/* wide: across many VMAs of the hot part of the window */
		s = KD_WIN_BASE + kd_rnd(r, 16) * PAGE_SIZE;
		n = 64 + kd_rnd(r, 448);
	} else {
		unsigned long p = kd_pct(r, 90) ? kd_rnd(r, KD_HOT_PAGES) : kd_rnd(r, KD_WIN_PAGES - 200);
		s = KD_WIN_BASE + p * PAGE_SIZE;
		n = kd_pct(r, 85) ? 1 + kd_rnd(r, 16) : 1 + kd_rnd(r, 96);
	}
	/* in the window, keep the last page of the window free */
	if (s >= KD_WIN_BASE && s < KD_WIN_END && s + n * PAGE_SIZE > KD_WIN_END - PAGE_SIZE)
		n = (KD_WIN_END - PAGE_SIZE - s) >> PAGE_SHIFT;
	if (!n)
		n = 1;
	*start = s;
	*npages = n;
}

static __attribute__((unused)) unsigned long kd_pick_prot(struct kd_rng *r)
{
	static const unsigned long t[] = { PROT_READ, PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE,
					   PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC, PROT_NONE,
					   PROT_READ | PROT_WRITE | PROT_EXEC, PROT_WRITE, PROT_EXEC };
	return t[kd_rnd(r, sizeof t / sizeof t[0])];
}

static __attribute__((unused)) void kd_gen_mmap(struct kd_rng *r, struct kd_op *op)
{
	unsigned long s, n, flags, len, off = 0;
	kd_pick(r, &s, &n);
	int k = (int)kd_rnd(r, 100);
	int anon = k < 55 || k >= 99;
	int shared = anon ? (k >= 40 && k < 55) : kd_pct(r, 50);
	op->kind = KD_MMAP;
	op->fdsel = anon ? KD_FD_NONE : (kd_pct(r, 50) ? KD_FD_RO : KD_FD_RW);
	flags = (shared ? MAP_SHARED : MAP_PRIVATE) | (anon ? MAP_ANONYMOUS : 0);
	k = (int)kd_rnd(r, 100);
	if (k < 45)
		flags |= MAP_FIXED;
	else if (k < 60)
		flags |= MAP_FIXED_NOREPLACE;
	else if (k >= 80)
		s = 0; /* no hint: lands top-down below the libraries */
	if (k >= 60 && k < 63)
		s = PAGE_SIZE * (1 + kd_rnd(r, 4)); /* a low hint */
	else if (k >= 63 && k < 68)
		s = 0x7ffff8000000UL + kd_rnd(r, 0x7000) * PAGE_SIZE; /* between mmap_base and the stack */
	if (k >= 60 && k < 80 && kd_pct(r, 5))
		s += 1 + kd_rnd(r, PAGE_SIZE - 1); /* an unaligned hint is rounded down */
	if (kd_pct(r, 8)) flags |= MAP_POPULATE;
	if (kd_pct(r, 4)) flags |= MAP_LOCKED;
	if (kd_pct(r, 8)) flags |= MAP_NORESERVE;
	if (anon && kd_pct(r, 6)) flags |= MAP_GROWSDOWN;
	if (!anon && kd_pct(r, 1)) flags |= MAP_GROWSDOWN; /* -EINVAL */
	if (kd_pct(r, 4)) flags |= MAP_STACK;
	if (!s && kd_pct(r, 3)) flags |= MAP_32BIT;
	len = n * PAGE_SIZE;
	if (kd_pct(r, 5))
		len -= 1 + kd_rnd(r, PAGE_SIZE - 1);
	if (kd_pct(r, 2))
		len = 0;
	if (anon && !s && kd_pct(r, 5))
		len = PMD_SIZE * (1 + kd_rnd(r, 2)); /* THP-aligned placement */
	if (!anon) {
		off = kd_rnd(r, 16) * PAGE_SIZE;
		if (kd_pct(r, 2)) off += 1 + kd_rnd(r, PAGE_SIZE - 1);   /* -EINVAL */
		if (kd_pct(r, 2)) off = ~0UL & PAGE_MASK;                 /* -EOVERFLOW */
		if (kd_pct(r, 2) && !(off & ~PAGE_MASK)) op->fdsel = KD_FD_BAD;
	}
	if (kd_pct(r, 2)) flags &= ~(unsigned long)(MAP_SHARED | MAP_PRIVATE); /* no type: -EINVAL */
	/* MAP_SHARED_VALIDATE: -EINVAL for anonymous memory, -EOPNOTSUPP with a flag
	 * outside LEGACY_MAP_MASK (MAP_FIXED_NOREPLACE is one). Not MAP_SYNC: whether
	 * it fails at validation or in f_op->mmap depends on the file system. */
	if (shared && kd_pct(r, 4))
		flags |= MAP_SHARED_VALIDATE;
	if ((flags & MAP_FIXED) && kd_pct(r, 2))
		s += 1 + kd_rnd(r, PAGE_SIZE - 1); /* unaligned fixed: -EINVAL */
	op->a[0] = s;
	op->a[1] = len;
	op->a[2] = kd_pick_prot(r);
	op->a[3] = flags;
	op->a[4] = off;
}

static __attribute__((unused)) void kd_gen(struct kd_rng *r, struct kd_op *op)
{
	unsigned long s, n;
	int nwin = 0;
	memset(op, 0, sizeof *op);
	for (int i = 0; i < kd_cs.nmine; i++)
		nwin += kd_cs.mine[i].start >= KD_WIN_BASE && kd_cs.mine[i].start < KD_WIN_END;
	int k = (int)kd_rnd(r, 100);
	if (nwin < 4 && kd_rnd(r, 100) < 40)
		k = 0; /* an empty window makes dull tests: map more */
	if (k < 26) {
		kd_gen_mmap(r, op);
	} else if (k < 38) {
		kd_pick(r, &s, &n);
		op->kind = KD_MUNMAP;
		op->a[0] = s;
		op->a[1] = n * PAGE_SIZE;
		if (kd_pct(r, 4)) op->a[1] -= 1 + kd_rnd(r, PAGE_SIZE - 1);
		if (kd_pct(r, 2)) op->a[0] += 1 + kd_rnd(r, PAGE_SIZE - 1);
		if (kd_pct(r, 2)) op->a[1] = 0;
		if (kd_pct(r, 1)) op->a[1] = ~0UL - kd_rnd(r, 3 * PAGE_SIZE);
	} else if (k < 53) {
		kd_pick(r, &s, &n);
		op->kind = KD_MPROTECT;
		op->a[0] = s;
		op->a[1] = n * PAGE_SIZE;
		op->a[2] = kd_pick_prot(r);
		if (kd_pct(r, 5)) op->a[2] |= PROT_GROWSDOWN;
		if (kd_pct(r, 1)) op->a[2] |= PROT_GROWSUP;
		if (kd_pct(r, 2)) op->a[2] |= 0x10;
		if (kd_pct(r, 4)) op->a[1] -= 1 + kd_rnd(r, PAGE_SIZE - 1);
		if (kd_pct(r, 2)) op->a[0] += 1 + kd_rnd(r, PAGE_SIZE - 1);
		if (kd_pct(r, 2)) op->a[1] = 0;
		if (kd_pct(r, 1)) op->a[1] = ~0UL - kd_rnd(r, 3 * PAGE_SIZE);
	} else if (k < 65) {
		unsigned long nn, flags;
		kd_pick(r, &s, &n);
		op->kind = KD_MREMAP;
		int j = (int)kd_rnd(r, 100);
		if (j < 30 && n > 1) nn = 1 + kd_rnd(r, n - 1);
		else if (j < 65) nn = n + 1 + kd_rnd(r, 16);
		else if (j < 80) nn = n;
		else nn = 1 + kd_rnd(r, 32);
		j = (int)kd_rnd(r, 100);
		if (j < 25) flags = 0;
		else if (j < 55) flags = MREMAP_MAYMOVE;
		else if (j < 72) flags = MREMAP_MAYMOVE | MREMAP_FIXED;
		else if (j < 86) { flags = MREMAP_MAYMOVE | MREMAP_DONTUNMAP; if (kd_pct(r, 85)) nn = n; }
		else if (j < 89) flags = MREMAP_FIXED;
		else if (j < 91) flags = MREMAP_DONTUNMAP;
		else if (j < 93) flags = 8;
		else if (j < 96) { flags = MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP; nn = n; }
		else flags = MREMAP_MAYMOVE;
		op->a[0] = s;
		op->a[1] = n * PAGE_SIZE;
		op->a[2] = nn * PAGE_SIZE;
		op->a[3] = flags;
		if ((flags & MREMAP_FIXED) || ((flags & MREMAP_DONTUNMAP) && kd_pct(r, 50))) {
			/* a target; with DONTUNMAP alone it is a hint */
			unsigned long p = kd_pct(r, 80) ? kd_rnd(r, KD_HOT_PAGES) : kd_rnd(r, KD_WIN_PAGES - 200);
			op->a[4] = KD_WIN_BASE + p * PAGE_SIZE;
			if (kd_pct(r, 2)) op->a[4] += 1 + kd_rnd(r, PAGE_SIZE - 1);
		}
		/* keep growth in the window inside the window */
		if (s >= KD_WIN_BASE && s < KD_WIN_END && s + op->a[2] > KD_WIN_END - PAGE_SIZE)
			op->a[2] = op->a[1];
		if (op->a[4] && op->a[4] + op->a[2] > KD_WIN_END - PAGE_SIZE)
			op->a[4] = KD_WIN_BASE;
		if (kd_pct(r, 2)) op->a[2] = 0;
		if (kd_pct(r, 2)) op->a[0] += 1 + kd_rnd(r, PAGE_SIZE - 1);
		if (kd_pct(r, 2)) op->a[1] = 0;
		if (kd_pct(r, 3)) op->a[1] -= kd_rnd(r, PAGE_SIZE - 1); /* unaligned lengths round up */
	} else if (k < 86) {
		static const int adv[] = {
			MADV_POPULATE_WRITE, MADV_POPULATE_WRITE, MADV_POPULATE_WRITE, MADV_POPULATE_WRITE,
			MADV_POPULATE_WRITE, MADV_POPULATE_WRITE, MADV_POPULATE_READ, MADV_DONTNEED,
			MADV_DONTNEED, MADV_FREE, MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED,
			MADV_DONTFORK, MADV_DOFORK, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_DONTDUMP,
			MADV_DODUMP, MADV_WIPEONFORK, MADV_KEEPONFORK, MADV_COLD, MADV_PAGEOUT, MADV_REMOVE,
			MADV_DONTNEED_LOCKED, 99, -1 };
		kd_pick(r, &s, &n);
		op->kind = KD_MADVISE;
		op->a[0] = s;
		op->a[1] = n * PAGE_SIZE;
		op->a[2] = (uint64_t)(long)adv[kd_rnd(r, sizeof adv / sizeof adv[0])];
		if (kd_pct(r, 4)) op->a[1] -= 1 + kd_rnd(r, PAGE_SIZE - 1);
		if (kd_pct(r, 2)) op->a[0] += 1 + kd_rnd(r, PAGE_SIZE - 1);
		if (kd_pct(r, 2)) op->a[1] = 0;
		if (kd_pct(r, 1)) op->a[1] = ~0UL - kd_rnd(r, 3 * PAGE_SIZE);
	} else if (k < 94) {
		kd_pick(r, &s, &n);
		int j = (int)kd_rnd(r, 100);
		op->a[0] = s;
		op->a[1] = n * PAGE_SIZE;
		if (kd_pct(r, 5)) { op->a[0] += 1 + kd_rnd(r, PAGE_SIZE - 1); }
		if (kd_pct(r, 3)) op->a[1] = 0;
		if (j < 45) op->kind = KD_MLOCK;
		else if (j < 60) { op->kind = KD_MLOCK2; op->a[2] = MLOCK_ONFAULT; }
		else if (j < 63) { op->kind = KD_MLOCK2; op->a[2] = 2; }
		else if (j < 97) op->kind = KD_MUNLOCK;
		else if (j < 98) {
			op->kind = KD_MLOCKALL;
			memset(op->a, 0, sizeof op->a);
			op->a[0] = MCL_FUTURE | (kd_pct(r, 50) ? MCL_ONFAULT : 0);
			if (kd_pct(r, 10)) op->a[0] = MCL_ONFAULT; /* -EINVAL */
		} else {
			op->kind = KD_MUNLOCKALL;
			memset(op->a, 0, sizeof op->a);
		}
	} else {
		unsigned long cur = kd_cs.cur_brk, t;
		int j = (int)kd_rnd(r, 100);
		op->kind = KD_BRK;
		if (j < 10) t = 0;
		else if (j < 15) t = kd_cs.start_brk - PAGE_SIZE * (1 + kd_rnd(r, 4));
		else if (j < 65) t = cur + kd_rnd(r, 24) * PAGE_SIZE + (kd_pct(r, 30) ? kd_rnd(r, PAGE_SIZE) : 0);
		else {
			unsigned long d = kd_rnd(r, 24) * PAGE_SIZE + (kd_pct(r, 30) ? kd_rnd(r, PAGE_SIZE) : 0);
			t = cur > kd_cs.init_brk + d ? cur - d : kd_cs.init_brk;
		}
		op->a[0] = t;
	}
}

static __attribute__((unused)) unsigned long kd_parse_ul(const char *s)
{
	unsigned long v = 0;
	int base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) { base = 16; s += 2; }
	for (; *s; s++) {
		int d = base == 16 ? kd_hexval(*s) : (*s >= '0' && *s <= '9' ? *s - '0' : -1);
		if (d < 0) break;
		v = v * (unsigned long)base + (unsigned long)d;
	}
	return v;
}

/*
 * argv: --kdiff-child SEED NOPS OUTFD PATH [OPSFD]
 * With OPSFD, NOPS kd_ops are read from it and run as given; else NOPS
 * operations are drawn from SEED.
 */
static __attribute__((unused)) int kd_child_main(int argc, char **argv)
{
	struct kd_info info;
	struct kd_rng rng;
	if (argc < 6)
		return 97;
	memset(&info, 0, sizeof info);
	info.seed = kd_parse_ul(argv[2]);
	info.nops = (int32_t)kd_parse_ul(argv[3]);
	kd_cs.out = (int)kd_parse_ul(argv[4]);
	if (info.nops > KD_MAX_OPS)
		info.nops = KD_MAX_OPS;
	int explicit_ops = argc > 6;
	if (explicit_ops) {
		int ofd = (int)kd_parse_ul(argv[6]);
		size_t want = (size_t)info.nops * sizeof(struct kd_op), got = 0;
		while (got < want) {
			long r = kd_sys(SYS_read, ofd, (char *)kd_child_ops + got, want - got);
			if (r <= 0)
				kd_child_die("short read of ops");
			got += (size_t)r;
		}
		kd_sys(SYS_close, ofd, 0, 0);
	}
	/* a hashed start: splitmix64 streams of seeds k and k+1 must not be shifts of each other */
	rng.s = info.seed ^ 0x5bd1e9955bd1e995ULL;
	rng.s = kd_next(&rng) ^ (info.seed << 32);
	rng.s = kd_next(&rng);
	/* KDIFF_OPS=mmap,munmap,... limits the kinds drawn (default: all) */
	kd_cs.kinds = ~0u;
	{
		const char *ks = getenv("KDIFF_OPS");
		if (ks && *ks) {
			kd_cs.kinds = 1u << KD_BRK; /* the fallback op */
			for (int k = 1; k < KD_NKINDS; k++) {
				const char *nm = kd_kind_name(k), *p = ks;
				size_t ln = strlen(nm);
				while ((p = strstr(p, nm)) != NULL) {
					if ((p == ks || p[-1] == ',') && (p[ln] == ',' || p[ln] == 0))
						kd_cs.kinds |= 1u << k;
					p += ln;
				}
			}
		}
	}
	info.personality = (uint32_t)kd_sys(SYS_personality, 0xffffffffUL, 0, 0);
	if (!(info.personality & ADDR_NO_RANDOMIZE))
		kd_child_die("ADDR_NO_RANDOMIZE is not set");
	kd_cs.fd_ro = (int)kd_sys(SYS_open, argv[5], O_RDONLY | O_CLOEXEC, 0);
	kd_cs.fd_rw = (int)kd_sys(SYS_open, argv[5], O_RDWR | O_CLOEXEC, 0);
	if (kd_cs.fd_ro < 0 || kd_cs.fd_rw < 0)
		kd_child_die("cannot open the test file");
	static const int res[MMK_RLIM_NLIMITS] = { RLIMIT_AS, RLIMIT_DATA, RLIMIT_STACK, RLIMIT_MEMLOCK };
	for (int i = 0; i < MMK_RLIM_NLIMITS; i++) {
		struct rlimit rl;
		if (kd_sys6(SYS_prlimit64, 0, res[i], 0, (long)&rl, 0, 0) != 0)
			kd_child_die("prlimit64 failed");
		info.rlim[i] = rl.rlim_cur == RLIM_INFINITY ? MMK_RLIM_INFINITY : rl.rlim_cur;
	}
	{
		struct { uint32_t version; int pid; } hdr = { 0x20080522, 0 };
		struct { uint32_t effective, permitted, inheritable; } data[2];
		memset(data, 0, sizeof data);
		if (kd_sys(SYS_capget, &hdr, data, 0) == 0)
			info.cap_ipc_lock = (data[0].effective >> 14) & 1;
	}
	{
		/* the effective mmap_min_addr is max(vm.mmap_min_addr, CONFIG_LSM_MMAP_MIN_ADDR):
		 * a hint below it is raised to it (round_hint_to_min) */
		long a = kd_sys6(SYS_mmap, PAGE_SIZE, PAGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (a > 0 && a < (1L << 30))
			info.mmap_min_addr = (uint64_t)a;
		kd_cs.mmap_min = (unsigned long)info.mmap_min_addr;
		if (a > 0)
			kd_sys(SYS_munmap, a, PAGE_SIZE, 0);
	}
	kd_cs.start_brk = kd_cs.init_brk = kd_cs.cur_brk = (unsigned long)kd_sys(SYS_brk, 0, 0, 0);
	info.start_brk_probe = kd_cs.start_brk;

	/* the first snapshot: everything in it is vital, except the window */
	kd_child_snapshot();
	kd_cs.nvital = kd_maps_ranges(kd_child_maps, kd_cs.maps_len, kd_cs.vital, KD_CHILD_RANGES - 2);
	if (kd_overlaps(KD_WIN_BASE, KD_WIN_END, kd_cs.vital, kd_cs.nvital))
		kd_child_die("the scratch window is not free");
	for (int i = 0; i < kd_cs.nvital; i++) { /* room for the stack to grow */
		if (kd_cs.vital[i].end == 0x7ffffffff000UL || kd_cs.vital[i].end == KD_TASK_SIZE) {
			unsigned long lo = kd_cs.vital[i].start - (16UL << 20);
			kd_cs.vital[kd_cs.nvital].start = lo;
			kd_cs.vital[kd_cs.nvital].end = kd_cs.vital[i].start;
			kd_cs.nvital++;
			break;
		}
	}
	kd_child_emit(KD_R_INFO, &info, sizeof info);
	kd_child_emit(KD_R_MAPS, kd_child_maps, kd_cs.maps_len);
	/* the first smaps too: its VmFlags say what the maps text cannot
	 * (VM_NORESERVE, VM_ACCOUNT, ...) about the VMAs the model imports */
	kd_child_snapshot_file("/proc/self/smaps");
	kd_child_emit(KD_R_SMAPS, kd_child_maps, kd_cs.maps_len);
	kd_child_snapshot();
	kd_child_update_mine();

	for (int i = 0; i < info.nops; i++) {
		struct kd_op op;
		if (explicit_ops) {
			op = kd_child_ops[i];
			if (op.kind == KD_BRK && op.fdsel == 1) { /* relative to start_brk (targeted tests) */
				op.a[0] += kd_cs.start_brk;
				op.fdsel = 0;
			}
			if (!kd_op_safe(&op)) {
				op.ret = KD_SKIPPED;
				kd_child_emit(KD_R_OP, &op, sizeof op);
				kd_child_emit(KD_R_MAPS, kd_child_maps, kd_cs.maps_len);
				continue;
			}
		} else {
			int tries = 0;
			do {
				kd_gen(&rng, &op);
			} while ((!kd_op_safe(&op) || !kd_op_knowable(&op) || !(kd_cs.kinds & (1u << op.kind))) &&
				 ++tries < 200);
			if (tries >= 200) {
				memset(&op, 0, sizeof op);
				op.kind = KD_BRK;
			}
		}
		op.ret = kd_child_exec(&op);
		if (op.kind == KD_BRK)
			kd_cs.cur_brk = (unsigned long)op.ret;
		kd_child_emit(KD_R_OP, &op, sizeof op);
		kd_child_snapshot();
		kd_child_emit(KD_R_MAPS, kd_child_maps, kd_cs.maps_len);
		kd_child_update_mine();
	}
	kd_child_emit(KD_R_END, NULL, 0);
	kd_sys(SYS_exit_group, 0, 0, 0);
	return 0;
}

/* ======================================================================
 * the parent: run a child, collect its log
 * ====================================================================== */
struct kd_run {
	struct kd_info info;
	int nops;              /* operations recorded */
	struct kd_op *ops;     /* [nops] */
	char **maps;           /* [nops + 1]: maps[0] is the first snapshot, maps[i] after ops[i-1] */
	char err[256];         /* empty when the child ran to the end */
	char *raw;
	char *smaps0;          /* /proc/self/smaps at the first snapshot */
};

static __attribute__((unused)) void kd_run_free(struct kd_run *run)
{
	if (run->maps)
		for (int i = 0; i <= run->nops; i++)
			free(run->maps[i]);
	free(run->maps);
	free(run->ops);
	free(run->raw);
	free(run->smaps0);
	memset(run, 0, sizeof *run);
}

static char kd_file_path[256];
static int kd_file_owner; /* the pid that created it: forked children must not unlink it */

static __attribute__((unused)) void kd_file_cleanup(void)
{
	if (kd_file_path[0] && kd_file_owner == (int)getpid())
		unlink(kd_file_path);
	kd_file_path[0] = 0;
}

/* the test file both sides map: KD_FILE_SIZE bytes */
static __attribute__((unused)) const char *kd_file_setup(void)
{
	if (kd_file_path[0])
		return kd_file_path;
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(kd_file_path, sizeof kd_file_path, "%s/kdiff-%d.dat", dir, (int)getpid());
	kd_file_owner = (int)getpid();
	int fd = open(kd_file_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		kd_file_path[0] = 0;
		return NULL;
	}
	char buf[KD_FILE_SIZE];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (char)('a' + i % 26);
	if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) {
		close(fd);
		unlink(kd_file_path);
		kd_file_path[0] = 0;
		return NULL;
	}
	close(fd);
	static int registered;
	if (!registered++)
		atexit(kd_file_cleanup); /* a failing test exits through CHECK */
	return kd_file_path;
}

/*
 * Run the kernel side: seed @seed, @nops operations (or the @nops given
 * in @ops). Returns 0 and fills @run, or -1 with run->err set.
 */
static __attribute__((unused)) int kd_run_child(unsigned long seed, int nops, const struct kd_op *ops, struct kd_run *run)
{
	int p[2], q[2] = { -1, -1 };
	const char *path = kd_file_setup();
	memset(run, 0, sizeof *run);
	if (!path) {
		snprintf(run->err, sizeof run->err, "cannot create the test file");
		return -1;
	}
	if (nops > KD_MAX_OPS)
		nops = KD_MAX_OPS;
	if (pipe(p) != 0 || (ops && pipe(q) != 0)) {
		snprintf(run->err, sizeof run->err, "pipe: %s", strerror(errno));
		return -1;
	}
	/* everything the child needs is built before fork (no malloc after it) */
	char a_seed[32], a_nops[32], a_fd[32], a_ofd[32];
	char *cargv[8];
	snprintf(a_seed, sizeof a_seed, "%lu", seed);
	snprintf(a_nops, sizeof a_nops, "%d", nops);
	snprintf(a_fd, sizeof a_fd, "%d", p[1]);
	snprintf(a_ofd, sizeof a_ofd, "%d", q[0]);
	cargv[0] = (char *)"kdiff-child";
	cargv[1] = (char *)"--kdiff-child";
	cargv[2] = a_seed;
	cargv[3] = a_nops;
	cargv[4] = a_fd;
	cargv[5] = (char *)path;
	cargv[6] = ops ? a_ofd : NULL;
	cargv[7] = NULL;
	/* environment: ours, with ASan told not to map fake stacks lazily */
	size_t ne = 0, j = 0;
	while (environ[ne])
		ne++;
	char **envp = calloc(ne + 2, sizeof *envp);
	char asan[1024];
	const char *old = getenv("ASAN_OPTIONS");
	snprintf(asan, sizeof asan, "ASAN_OPTIONS=%s%sdetect_stack_use_after_return=0:detect_leaks=0",
		 old ? old : "", old && *old ? ":" : "");
	for (size_t i = 0; i < ne && envp; i++)
		if (strncmp(environ[i], "ASAN_OPTIONS=", 13) != 0)
			envp[j++] = environ[i];
	if (envp) {
		envp[j++] = asan;
		envp[j] = NULL;
	}
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		free(envp);
		snprintf(run->err, sizeof run->err, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		if (ops)
			close(q[1]);
		int pers = personality(0xffffffff);
		if (pers == -1 || !(pers & ADDR_NO_RANDOMIZE))
			personality((unsigned long)(pers == -1 ? 0 : pers) | ADDR_NO_RANDOMIZE);
		prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0); /* inherited across exec */
		execve("/proc/self/exe", cargv, envp ? envp : environ);
		_exit(96);
	}
	free(envp);
	close(p[1]);
	if (ops) {
		close(q[0]);
		size_t want = (size_t)nops * sizeof *ops, done = 0;
		while (done < want) {
			ssize_t w = write(q[1], (const char *)ops + done, want - done);
			if (w <= 0)
				break;
			done += (size_t)w;
		}
		close(q[1]);
	}
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (len == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
		}
		if (!buf)
			abort();
		ssize_t r = read(p[0], buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(p[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	run->raw = buf;
	run->ops = calloc((size_t)nops + 1, sizeof *run->ops);
	run->maps = calloc((size_t)nops + 2, sizeof *run->maps);
	int nmaps = 0, ended = 0;
	size_t off = 0;
	while (off + sizeof(struct kd_rec_hdr) <= len) {
		struct kd_rec_hdr h;
		memcpy(&h, buf + off, sizeof h);
		off += sizeof h;
		if (h.magic != KD_MAGIC || off + h.len > len) {
			snprintf(run->err, sizeof run->err, "corrupt record stream");
			break;
		}
		const char *pl = buf + off;
		off += h.len;
		if (h.type == KD_R_INFO && h.len == sizeof run->info) {
			memcpy(&run->info, pl, sizeof run->info);
		} else if (h.type == KD_R_MAPS) {
			if (nmaps > nops)
				break;
			char *t = malloc(h.len + 1);
			memcpy(t, pl, h.len);
			t[h.len] = 0;
			run->maps[nmaps++] = t;
		} else if (h.type == KD_R_SMAPS) {
			free(run->smaps0);
			run->smaps0 = malloc(h.len + 1);
			memcpy(run->smaps0, pl, h.len);
			run->smaps0[h.len] = 0;
		} else if (h.type == KD_R_OP && h.len == sizeof(struct kd_op)) {
			if (run->nops < nops)
				memcpy(&run->ops[run->nops++], pl, sizeof(struct kd_op));
		} else if (h.type == KD_R_END) {
			ended = 1;
		} else if (h.type == KD_R_ERR) {
			snprintf(run->err, sizeof run->err, "child: %.*s", (int)h.len, pl);
		}
	}
	/* keep only complete steps: op i needs maps[i+1] */
	if (nmaps == 0) {
		if (!run->err[0])
			snprintf(run->err, sizeof run->err, "no maps from the child");
	} else if (run->nops > nmaps - 1) {
		run->nops = nmaps - 1;
	}
	for (int i = nmaps; i > run->nops + 1; i--) {
		free(run->maps[i - 1]);
		run->maps[i - 1] = NULL;
	}
	if (!run->err[0] && (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !ended)) {
		if (WIFSIGNALED(st))
			snprintf(run->err, sizeof run->err, "kernel child killed by signal %d after %d ops",
				 WTERMSIG(st), run->nops);
		else
			snprintf(run->err, sizeof run->err, "kernel child exited %d after %d ops%s",
				 WIFEXITED(st) ? WEXITSTATUS(st) : -1, run->nops, ended ? "" : " (no end record)");
	}
	return run->err[0] ? -1 : 0;
}

/*
 * Why the kernel side cannot run here (a sandbox that forbids
 * personality(ADDR_NO_RANDOMIZE), no /proc, a layout without a free
 * scratch window, not x86-64), or NULL: such runs are skipped, not failed.
 */
static __attribute__((unused)) const char *kd_env_problem(const struct kd_run *run)
{
#if !defined(__x86_64__)
	(void)run;
	return "the differential test knows x86-64 only";
#else
	static const char *const env[] = { "ADDR_NO_RANDOMIZE", "/proc/self/maps", "scratch window",
					   "cannot open the test file", "cannot create the test file",
					   "kernel child exited 96" };
	for (size_t i = 0; i < sizeof env / sizeof env[0]; i++)
		if (strstr(run->err, env[i]))
			return run->err;
	return NULL;
#endif
}

/* print the recorded operations and maps (the debug dump) */
static __attribute__((unused)) void kd_run_dump(FILE *out, const struct kd_run *run, int with_maps)
{
	char ob[512], rb[64];
	fprintf(out, "# seed %lu: %d ops, start_brk %#lx, rlimits AS %#lx DATA %#lx STACK %#lx MEMLOCK %#lx, "
		     "CAP_IPC_LOCK %u, personality %#x, mmap_min_addr %#lx\n",
		(unsigned long)run->info.seed, run->nops, (unsigned long)run->info.start_brk_probe,
		(unsigned long)run->info.rlim[0], (unsigned long)run->info.rlim[1], (unsigned long)run->info.rlim[2],
		(unsigned long)run->info.rlim[3], run->info.cap_ipc_lock, run->info.personality,
		(unsigned long)run->info.mmap_min_addr);
	if (run->maps && run->maps[0])
		fprintf(out, "## initial maps\n%s", run->maps[0]);
	for (int i = 0; i < run->nops; i++) {
		kd_fmt_op(ob, sizeof ob, &run->ops[i]);
		kd_fmt_ret(rb, sizeof rb, (long)run->ops[i].ret);
		fprintf(out, "## %d: %s = %s\n", i + 1, ob, rb);
		if (with_maps && run->maps[i + 1])
			fprintf(out, "%s", run->maps[i + 1]);
	}
	if (run->err[0])
		fprintf(out, "## error: %s\n", run->err);
}

/* ======================================================================
 * comparing maps texts
 * ====================================================================== */

/*
 * One line, normalized: a [stack] line keeps only its end address (the
 * real stack grows by faults); a "/dev/zero (deleted)" line has its inode
 * masked (and the padding that depends on it). Writes to @out (NUL-ended).
 */
static __attribute__((unused)) void kd_norm_line(const char *line, size_t len, char *out, size_t outsz)
{
	size_t n = len < outsz - 1 ? len : outsz - 1;
	const char *name = NULL;
	memcpy(out, line, n);
	out[n] = 0;
	/* the name, if any, starts after the inode field */
	const char *p = out;
	int field = 0;
	while (*p && field < 5) {
		while (*p == ' ') p++;
		if (!*p) break;
		field++;
		while (*p && *p != ' ') p++;
	}
	while (*p == ' ') p++;
	if (*p)
		name = p;
	if (name && strcmp(name, "[stack]") == 0) {
		const char *dash = strchr(out, '-');
		if (dash) {
			char tmp[512];
			snprintf(tmp, sizeof tmp, "*%s", dash);
			snprintf(out, outsz, "%s", tmp);
		}
	} else if (name && strcmp(name, "/dev/zero (deleted)") == 0) {
		/* addr perms offset dev inode */
		char f[5][64];
		if (sscanf(out, "%63s %63s %63s %63s %63s", f[0], f[1], f[2], f[3], f[4]) == 5)
			snprintf(out, outsz, "%s %s %s %s * /dev/zero (deleted)", f[0], f[1], f[2], f[3]);
	}
}

struct kd_lines {
	char **v;
	int n;
};

static __attribute__((unused)) void kd_lines_split(const char *text, struct kd_lines *L)
{
	int cap = 64;
	L->v = malloc(sizeof(char *) * (size_t)cap);
	L->n = 0;
	const char *p = text;
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char buf[1024];
		kd_norm_line(p, len, buf, sizeof buf);
		if (L->n == cap) {
			cap *= 2;
			L->v = realloc(L->v, sizeof(char *) * (size_t)cap);
		}
		L->v[L->n++] = strdup(buf);
		p = nl ? nl + 1 : NULL;
	}
}

static __attribute__((unused)) void kd_lines_free(struct kd_lines *L)
{
	for (int i = 0; i < L->n; i++)
		free(L->v[i]);
	free(L->v);
	L->v = NULL;
	L->n = 0;
}

/*
 * kd_compare_maps - compare the kernel's and the model's maps texts after
 * normalization. 0 if equal; else 1, and a unified-style diff ("--- kernel",
 * "+++ model", hunks with 2 lines of context) is printed to @out if given.
 */
static __attribute__((unused)) int kd_compare_maps_labels(const char *kernel, const char *model, FILE *out,
							   const char *la, const char *lb)
{
	struct kd_lines A, B;
	int differ = 0;
	kd_lines_split(kernel ? kernel : "", &A);
	kd_lines_split(model ? model : "", &B);
	if (A.n != B.n)
		differ = 1;
	for (int i = 0; !differ && i < A.n; i++)
		if (strcmp(A.v[i], B.v[i]) != 0)
			differ = 1;
	if (!differ || !out) {
		kd_lines_free(&A);
		kd_lines_free(&B);
		return differ;
	}
	/* LCS table, then walk it into an edit script */
	int n = A.n, m = B.n;
	int *L = calloc((size_t)(n + 1) * (size_t)(m + 1), sizeof(int));
#define KD_LCS(i, j) L[(size_t)(i) * (size_t)(m + 1) + (size_t)(j)]
	for (int i = n - 1; i >= 0; i--)
		for (int j = m - 1; j >= 0; j--)
			KD_LCS(i, j) = strcmp(A.v[i], B.v[j]) == 0 ? KD_LCS(i + 1, j + 1) + 1
				: (KD_LCS(i + 1, j) > KD_LCS(i, j + 1) ? KD_LCS(i + 1, j) : KD_LCS(i, j + 1));
	/* the script: ' ', '-', '+' with the line */
	int cap = n + m + 1, ne = 0;
	char *kind = malloc((size_t)cap);
	const char **text = malloc(sizeof(char *) * (size_t)cap);
	int i = 0, j = 0;
	while (i < n || j < m) {
		if (i < n && j < m && strcmp(A.v[i], B.v[j]) == 0) {
			kind[ne] = ' '; text[ne++] = A.v[i]; i++; j++;
		} else if (j < m && (i == n || KD_LCS(i, j + 1) >= KD_LCS(i + 1, j))) {
			kind[ne] = '+'; text[ne++] = B.v[j]; j++;
		} else {
			kind[ne] = '-'; text[ne++] = A.v[i]; i++;
		}
	}
#undef KD_LCS
	fprintf(out, "--- %s\n+++ %s\n", la, lb);
	int last_printed = -1;
	for (int k = 0; k < ne; k++) {
		if (kind[k] == ' ')
			continue;
		int from = k - 2 < 0 ? 0 : k - 2;
		if (from <= last_printed)
			from = last_printed + 1;
		else
			fprintf(out, "@@ line %d @@\n", from + 1);
		int to = k;
		/* extend over the changed run and 2 lines of context */
		while (to + 1 < ne && kind[to + 1] != ' ')
			to++;
		int ctx = 0;
		while (to + 1 < ne && kind[to + 1] == ' ' && ctx < 2) {
			to++;
			ctx++;
		}
		for (int x = from; x <= to; x++)
			fprintf(out, "%c%s\n", kind[x], text[x]);
		last_printed = to;
		k = to;
	}
	free(kind);
	free(text);
	free(L);
	kd_lines_free(&A);
	kd_lines_free(&B);
	return 1;
}

static __attribute__((unused)) int kd_compare_maps(const char *kernel, const char *model, FILE *out)
{
	return kd_compare_maps_labels(kernel, model, out, "kernel", "model");
}

/* ======================================================================
 * the model side: replay and compare
 * ====================================================================== */
#ifndef KDIFF_NO_MODEL

struct kd_result {
	int step;              /* 0: all matched; else the 1-based op (or 0 with import_failed) */
	int import_failed;     /* the first snapshot did not import / re-print identically */
	char what[32];         /* "ret", "maps", "validate", "import" */
	char op[512];
	long kret, mret;
	int hidden_fixed;      /* imported VMAs whose hidden flags the smaps corrected */
	int inconclusive;      /* step where an unknowable merge stopped the comparison (0: none) */
};

static int kd_verbose; /* print the hidden-flag corrections of the import */

static int kd_booted;

static __attribute__((unused)) void kd_model_boot(void)
{
	if (!kd_booted) {
		mmk_boot(4);
		kd_booted = 1;
	}
}

static __attribute__((unused)) char *kd_model_maps(struct mm_struct *mm)
{
	struct seq_file m;
	seq_init(&m);
	show_maps(&m, mm);
	char *s = strdup(m.buf ? m.buf : "");
	seq_release(&m);
	return s;
}

static __attribute__((unused)) long kd_model_apply(struct mm_struct *mm, struct file *fro, struct file *frw, const struct kd_op *op)
{
	const uint64_t *a = op->a;
	switch (op->kind) {
	case KD_MMAP: {
		struct file *f = NULL;
		if (!(a[3] & MAP_ANONYMOUS)) {
			/* the syscall layer: x86 sys_mmap checks the offset, then fget() */
			if (a[4] & ~PAGE_MASK)
				return -EINVAL;
			if (op->fdsel == KD_FD_BAD)
				return -EBADF;
			f = op->fdsel == KD_FD_RO ? fro : frw;
		}
		return sys_mmap(mm, a[0], a[1], a[2], a[3], f, a[4]);
	}
	case KD_MUNMAP: return sys_munmap(mm, a[0], a[1]);
	case KD_MPROTECT: return sys_mprotect(mm, a[0], a[1], a[2]);
	case KD_MREMAP: return sys_mremap(mm, a[0], a[1], a[2], a[3], a[4]);
	case KD_MADVISE: return sys_madvise(mm, a[0], a[1], (int)a[2]);
	case KD_MLOCK: return sys_mlock(mm, a[0], a[1]);
	case KD_MLOCK2: return sys_mlock2(mm, a[0], a[1], (int)a[2]);
	case KD_MUNLOCK: return sys_munlock(mm, a[0], a[1]);
	case KD_MLOCKALL: return sys_mlockall(mm, (int)a[0]);
	case KD_MUNLOCKALL: return sys_munlockall(mm);
	case KD_BRK: return (long)sys_brk(mm, a[0]);
	}
	return -ENOSYS;
}

/*
 * The flags a maps line cannot show but merging depends on. mmk_import_maps
 * guesses them (VM_ACCOUNT for writable private memory, no VM_NORESERVE);
 * the child's first smaps knows them. ASan's MAP_NORESERVE regions are the
 * case that needs it: without this a new mapping next to one merges in the
 * model and not in the kernel.
 */
#define KD_HIDDEN_FLAGS (VM_NORESERVE | VM_ACCOUNT | VM_HUGEPAGE | VM_NOHUGEPAGE | VM_DONTDUMP | \
			 VM_DONTCOPY | VM_WIPEONFORK | VM_SEQ_READ | VM_RAND_READ)

static __attribute__((unused)) unsigned long kd_parse_vmflags(const char *p)
{
	static const char *const codes[32] = {
		"rd", "wr", "ex", "sh", "mr", "mw", "me", "ms", "gd", "um", "pf", "??", "uw", "lo", "io", "sr",
		"rr", "dc", "de", "lf", "ac", "nr", "ht", "sf", "ar", "wf", "dd", "sd", "mm", "hg", "nh", "mg" };
	unsigned long f = 0;
	while (*p && *p != '\n') {
		while (*p == ' ')
			p++;
		if (!p[0] || p[0] == '\n' || !p[1])
			break;
		for (int b = 0; b < 32; b++)
			if (p[0] == codes[b][0] && p[1] == codes[b][1])
				f |= 1UL << b;
		p += 2;
	}
	return f;
}

/* give the imported VMAs the hidden flags of @smaps; returns how many changed */
static __attribute__((unused)) int kd_sync_hidden_flags(struct mm_struct *mm, const char *smaps, FILE *out)
{
	int changed = 0;
	const char *p = smaps;
	unsigned long s = 0, e = 0;
	if (!smaps)
		return 0;
	down_write(&mm->mmap_sem);
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		const char *eol = nl ? nl : p + strlen(p);
		unsigned long a, b;
		if (kd_parse_range(p, eol, &a, &b)) {
			s = a;
			e = b;
		} else if (strncmp(p, "VmFlags:", 8) == 0 && e) {
			unsigned long kf = kd_parse_vmflags(p + 8);
			struct vm_area_struct *vma = find_vma(mm, s);
			if (vma && vma->vm_start == s && vma->vm_end == e &&
			    (vma->vm_flags & KD_HIDDEN_FLAGS) != (kf & KD_HIDDEN_FLAGS)) {
				if (out)
					fprintf(out, "  import: %lx-%lx hidden flags %#lx -> %#lx\n", s, e,
						vma->vm_flags & KD_HIDDEN_FLAGS, kf & KD_HIDDEN_FLAGS);
				vma->vm_flags = (vma->vm_flags & ~KD_HIDDEN_FLAGS) | (kf & KD_HIDDEN_FLAGS);
				changed++;
			}
			e = 0;
		}
		p = nl ? nl + 1 : NULL;
	}
	up_write(&mm->mmap_sem);
	return changed;
}

/*
 * A maps line reduced to what the unknowable-merge check needs: its range
 * and the rest of the line.
 */
struct kd_mline { unsigned long s, e; const char *rest; size_t restlen; };

static __attribute__((unused)) int kd_mlines(const char *text, struct kd_mline **out)
{
	int n = 0, cap = 64;
	struct kd_mline *v = malloc(sizeof *v * (size_t)cap);
	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		const char *eol = nl ? nl : p + strlen(p);
		unsigned long a, b;
		const char *q = kd_parse_range(p, eol, &a, &b);
		if (q) {
			if (n == cap) {
				cap *= 2;
				v = realloc(v, sizeof *v * (size_t)cap);
			}
			v[n].s = a;
			v[n].e = b;
			v[n].rest = q;
			v[n].restlen = (size_t)(eol - q);
			n++;
		}
		p = nl ? nl + 1 : NULL;
	}
	*out = v;
	return n;
}

static __attribute__((unused)) int kd_mline_find(const struct kd_mline *v, int n, unsigned long s, unsigned long e)
{
	for (int i = 0; i < n; i++)
		if (v[i].s == s && v[i].e == e)
			return i;
	return -1;
}

/*
 * Is the disagreement between @kernel and @model only that the kernel merged
 * VMAs the model keeps apart, where one side of each refused merge carries
 * the anon_vma of an imported VMA? Whether two imported anonymous VMAs share
 * an anon_vma (they do when one VMA was split by an munmap or mprotect in the
 * child's past, as ASan does with its own regions) is in neither maps nor
 * smaps; mmk_import_maps gives each its own, so the model refuses merges the
 * kernel makes, also later, between pieces that inherited those anon_vmas.
 * Such a step says nothing about mmkit: the seed is inconclusive from there.
 */
static __attribute__((unused)) int kd_anon_vma_imported(struct mm_struct *mm, unsigned long addr,
							  const unsigned long *ids, int nids)
{
	struct vm_area_struct *vma = find_vma(mm, addr);
	if (!vma || vma->vm_start > addr || !vma->anon_vma)
		return 0;
	for (int i = 0; i < nids; i++)
		if (vma->anon_vma->id == ids[i] || (vma->anon_vma->root && vma->anon_vma->root->id == ids[i]))
			return 1;
	return 0;
}

static __attribute__((unused)) int kd_unknowable_merge(const char *kernel, const char *model, struct mm_struct *mm,
						       const unsigned long *ids, int nids)
{
	struct kd_mline *K, *M;
	int nk = kd_mlines(kernel, &K), nm = kd_mlines(model, &M);
	int ok = 1, kernel_only = 0;
	for (int i = 0; ok && i < nm; i++) { /* every model-only line lies inside a kernel-only line */
		if (kd_mline_find(K, nk, M[i].s, M[i].e) >= 0)
			continue;
		int inside = 0;
		for (int j = 0; j < nk; j++)
			if (K[j].s <= M[i].s && M[i].e <= K[j].e && kd_mline_find(M, nm, K[j].s, K[j].e) < 0)
				inside = 1;
		ok = inside;
	}
	for (int j = 0; ok && j < nk; j++) {
		if (kd_mline_find(M, nm, K[j].s, K[j].e) >= 0)
			continue;
		kernel_only++;
		/* the model's lines tile it, in two or more pieces, each with the same rest of
		 * line, and at every place the model did not merge, one side carries the
		 * anon_vma of a VMA of the first snapshot (by serial number, so a freed and
		 * reused anon_vma does not count) */
		unsigned long at = K[j].s;
		int pieces = 0, prev = -1;
		while (ok && at < K[j].e) {
			int found = -1;
			for (int i = 0; i < nm; i++)
				if (M[i].s == at)
					found = i;
			if (found < 0 || M[found].e > K[j].e || M[found].restlen != K[j].restlen ||
			    memcmp(M[found].rest, K[j].rest, K[j].restlen) != 0) {
				ok = 0;
				break;
			}
			if (prev >= 0 && !kd_anon_vma_imported(mm, M[prev].s, ids, nids) &&
			    !kd_anon_vma_imported(mm, M[found].s, ids, nids))
				ok = 0;
			prev = found;
			at = M[found].e;
			pieces++;
		}
		if (pieces < 2)
			ok = 0;
	}
	free(K);
	free(M);
	return ok && kernel_only > 0;
}

/*
 * Replay @run on a fresh model mm. Stops at the first disagreement (or
 * after @limit ops when limit >= 0). Prints a report to @out (if given).
 * Returns 0 when everything matched.
 */
static __attribute__((unused)) int kd_replay(const struct kd_run *run, int limit, FILE *out, struct kd_result *res)
{
	char err[256] = "", ob[512], r1[64], r2[64];
	struct kd_result dummy;
	int rc = 0, nimported = 0;
	unsigned long *imported_ids = NULL;
	if (!res)
		res = &dummy;
	memset(res, 0, sizeof *res);
	kd_model_boot();
	struct mm_struct *mm = mm_alloc();
	if (!mm) {
		snprintf(res->what, sizeof res->what, "import");
		if (out) fprintf(out, "kdiff: mm_alloc failed\n");
		return -1;
	}
	if (run->info.mmap_min_addr)
		mmap_min_addr = (unsigned long)run->info.mmap_min_addr;
	for (int i = 0; i < MMK_RLIM_NLIMITS; i++)
		mm->rlim[i] = (unsigned long)run->info.rlim[i];
	mm->cap_ipc_lock = run->info.cap_ipc_lock != 0;
	arch_pick_mmap_layout(mm);
	struct file *fro = mmk_file_open(kd_file_path, FMODE_READ);
	struct file *frw = mmk_file_open(kd_file_path, FMODE_READ | FMODE_WRITE);
	int ir = mmk_import_maps(mm, run->maps[0], "kernel-maps", err, sizeof err);
	mm->start_brk = mm->brk = (unsigned long)run->info.start_brk_probe;
	char *mt = NULL;
	if (ir == 0)
		mt = kd_model_maps(mm);
	if (ir != 0 || IS_ERR_OR_NULL(fro) || IS_ERR_OR_NULL(frw) || kd_compare_maps(run->maps[0], mt, NULL)) {
		res->import_failed = 1;
		snprintf(res->what, sizeof res->what, "import");
		if (out) {
			fprintf(out, "kdiff: seed %lu: the first snapshot does not round-trip through mmk_import_maps "
				     "(rc %d%s%s%s)\n", (unsigned long)run->info.seed, ir, err[0] ? ": " : "", err,
				IS_ERR_OR_NULL(fro) || IS_ERR_OR_NULL(frw) ? ", mmk_file_open failed" : "");
			if (mt)
				kd_compare_maps(run->maps[0], mt, out);
		}
		rc = 1;
		goto done;
	}
	free(mt);
	mt = NULL;
	res->hidden_fixed = kd_sync_hidden_flags(mm, run->smaps0, kd_verbose ? out : NULL);
	{
		struct kd_mline *I;
		int ni = kd_mlines(run->maps[0], &I);
		imported_ids = calloc((size_t)ni + 1, sizeof *imported_ids);
		for (int x = 0; x < ni; x++) {
			struct vm_area_struct *v = find_vma(mm, I[x].s);
			if (v && v->vm_start == I[x].s && v->anon_vma)
				imported_ids[nimported++] = v->anon_vma->id;
		}
		free(I);
	}
	if (validate_mm(mm) != 0) {
		res->import_failed = 1;
		snprintf(res->what, sizeof res->what, "import");
		if (out)
			fprintf(out, "kdiff: validate_mm fails right after the import\n");
		rc = 1;
		goto done;
	}
	int n = run->nops;
	if (limit >= 0 && limit < n)
		n = limit;
	for (int i = 0; i < n; i++) {
		const struct kd_op *op = &run->ops[i];
		if (op->ret == KD_SKIPPED)
			continue;
		long mret = kd_model_apply(mm, fro, frw, op);
		long kret = (long)op->ret;
		int bad = 0;
		if (mret != kret) {
			bad = 1;
			snprintf(res->what, sizeof res->what, "ret");
		}
		mt = kd_model_maps(mm);
		if (!bad && kd_compare_maps(run->maps[i + 1], mt, NULL)) {
			if (kd_unknowable_merge(run->maps[i + 1], mt, mm, imported_ids, nimported)) {
				res->inconclusive = i + 1;
				if (out)
					fprintf(out, "kdiff: seed %lu step %d: the kernel merged next to VMAs of the first snapshot "
						     "where the model keeps apart (their anon_vma identity is unknowable); "
						     "the rest of this seed is not compared\n",
						(unsigned long)run->info.seed, i + 1);
				goto done;
			}
			bad = 1;
			snprintf(res->what, sizeof res->what, "maps");
		}
		if (!bad && validate_mm(mm) != 0) {
			bad = 1;
			snprintf(res->what, sizeof res->what, "validate");
		}
		if (bad) {
			res->step = i + 1;
			res->kret = kret;
			res->mret = mret;
			kd_fmt_op(res->op, sizeof res->op, op);
			if (out) {
				kd_fmt_ret(r1, sizeof r1, kret);
				kd_fmt_ret(r2, sizeof r2, mret);
				fprintf(out, "kdiff: MISMATCH (%s) seed %lu step %d/%d: %s\n  kernel returned %s, model returned %s\n",
					res->what, (unsigned long)run->info.seed, i + 1, run->nops, res->op, r1, r2);
				int from = i - 8 < 0 ? 0 : i - 8;
				fprintf(out, "  preceding ops:\n");
				for (int k = from; k < i; k++) {
					kd_fmt_op(ob, sizeof ob, &run->ops[k]);
					kd_fmt_ret(r1, sizeof r1, (long)run->ops[k].ret);
					fprintf(out, "    %d: %s = %s\n", k + 1, ob, r1);
				}
				if (kd_compare_maps(run->maps[i + 1], mt, NULL))
					kd_compare_maps(run->maps[i + 1], mt, out);
				else
					fprintf(out, "  (maps agree)\n");
			}
			rc = 1;
			goto done;
		}
		free(mt);
		mt = NULL;
	}
done:
	free(mt);
	free(imported_ids);
	if (!IS_ERR_OR_NULL(fro)) fput(fro);
	if (!IS_ERR_OR_NULL(frw)) fput(frw);
	mmput(mm);
	return rc;
}

/* a class name for a disagreement, e.g. "madvise(MADV_POPULATE_WRITE):ret(-EINVAL/0)" */
static __attribute__((unused)) void kd_class(const struct kd_run *run, const struct kd_result *res, char *buf, size_t n)
{
	char detail[96] = "", r1[64], r2[64];
	if (res->import_failed) {
		snprintf(buf, n, "import");
		return;
	}
	const struct kd_op *op = &run->ops[res->step - 1];
	const uint64_t *a = op->a;
	switch (op->kind) {
	case KD_MMAP:
		snprintf(detail, sizeof detail, "(%s,%s,%s)", (a[3] & MAP_ANONYMOUS) ? "anon" : "file",
			 (a[3] & MAP_TYPE) == MAP_PRIVATE ? "private" : (a[3] & MAP_TYPE) ? "shared" : "notype",
			 (a[3] & MAP_FIXED_NOREPLACE) ? "noreplace" : (a[3] & MAP_FIXED) ? "fixed" : a[0] ? "hint" : "nohint");
		break;
	case KD_MADVISE: {
		const char *an = kd_advice_name((long)a[2]);
		snprintf(detail, sizeof detail, "(%s)", an ? an : "bad");
		break;
	}
	case KD_MREMAP:
		kd_fmt_flags(r1, sizeof r1, a[3], kd_mremap_names, "0");
		snprintf(detail, sizeof detail, "(%s,%s)", r1,
			 a[2] < a[1] ? "shrink" : a[2] > a[1] ? "grow" : "same");
		break;
	default:
		break;
	}
	if (strcmp(res->what, "ret") == 0) {
		long k = res->kret, m = res->mret;
		if (k >= 0 && k >= 4096) snprintf(r1, sizeof r1, "addr"); else kd_fmt_ret(r1, sizeof r1, k);
		if (m >= 0 && m >= 4096) snprintf(r2, sizeof r2, "addr"); else kd_fmt_ret(r2, sizeof r2, m);
		snprintf(buf, n, "%s%s:ret(kernel %s, model %s)", kd_kind_name(op->kind), detail, r1, r2);
	} else {
		snprintf(buf, n, "%s%s:%s", kd_kind_name(op->kind), detail, res->what);
	}
}

/*
 * kd_minimize - delta-debug the ops of a failing run down to a short
 * sequence that still fails with the same class. Re-runs the kernel child
 * with explicit ops. Returns the number of ops left in @out_ops.
 */
static __attribute__((unused)) int kd_minimize(const struct kd_run *run, const struct kd_result *res, struct kd_op *out_ops, FILE *log)
{
	char want[256], got[256];
	int n = res->step;
	struct kd_op *cur = malloc(sizeof *cur * (size_t)n), *cand = malloc(sizeof *cand * (size_t)n);
	memcpy(cur, run->ops, sizeof *cur * (size_t)n);
	kd_class(run, res, want, sizeof want);
	int gran = 2, tries = 0;
	while (n >= 2 && tries < 2000) {
		int chunk = (n + gran - 1) / gran, reduced = 0;
		for (int start = 0; start < n - 1 && tries < 2000; start += chunk) {
			/* remove [start, start + chunk), never the last (failing) op */
			int end = start + chunk > n - 1 ? n - 1 : start + chunk;
			int m = 0;
			for (int k = 0; k < n; k++)
				if (k < start || k >= end)
					cand[m++] = cur[k];
			struct kd_run r2;
			struct kd_result res2;
			tries++;
			if (kd_run_child(run->info.seed, m, cand, &r2) != 0) {
				kd_run_free(&r2);
				continue;
			}
			int bad = kd_replay(&r2, -1, NULL, &res2);
			if (bad == 1 && !res2.import_failed && res2.step == r2.nops) {
				kd_class(&r2, &res2, got, sizeof got);
				if (strcmp(got, want) == 0) {
					memcpy(cur, cand, sizeof *cur * (size_t)m);
					n = m;
					reduced = 1;
					if (gran > 2)
						gran--;
					kd_run_free(&r2);
					break;
				}
			}
			kd_run_free(&r2);
		}
		if (!reduced) {
			if (chunk <= 1)
				break;
			gran = gran * 2 > n ? n : gran * 2;
		}
	}
	if (log)
		fprintf(log, "  minimized to %d ops (%d trials)\n", n, tries);
	memcpy(out_ops, cur, sizeof *cur * (size_t)n);
	free(cur);
	free(cand);
	return n;
}

/* run seed @seed for @nops ops and compare; 0 = agreement, 1 = mismatch, -1 = kernel side failed */
static __attribute__((unused)) int kd_check_seed(unsigned long seed, int nops, FILE *out, struct kd_result *res, char *cls, size_t clsn)
{
	struct kd_run run;
	struct kd_result r;
	if (!res)
		res = &r;
	memset(res, 0, sizeof *res);
	if (kd_run_child(seed, nops, NULL, &run) != 0) {
		if (out)
			fprintf(out, "kdiff: seed %lu: kernel side failed: %s\n", seed, run.err);
		if (cls)
			snprintf(cls, clsn, "kernel-side");
		kd_run_free(&run);
		return -1;
	}
	int rc = kd_replay(&run, -1, out, res);
	if (rc && cls)
		kd_class(&run, res, cls, clsn);
	if (rc && out)
		fprintf(out, "  reproduce: %s --kdiff-run %lu %d   (minimize: --kdiff-min %lu %d)\n",
			"build/tests/test_kdiff", seed, nops, seed, nops);
	kd_run_free(&run);
	return rc;
}

#endif /* KDIFF_NO_MODEL */

/* ======================================================================
 * command-line tools shared by the test binary and the soak program
 *   --kdiff-child ...          the kernel side (internal)
 *   --kdiff-dump SEED [NOPS]   print the kernel side's ops and maps
 *   --kdiff-run SEED [NOPS]    compare one seed, print the report
 *   --kdiff-min SEED [NOPS]    compare, and minimize a disagreement
 * Returns -1 when argv is none of these.
 * ====================================================================== */
static __attribute__((unused)) int kd_tool_main(int argc, char **argv)
{
	if (argc < 2)
		return -1;
	if (strcmp(argv[1], "--kdiff-child") == 0)
		return kd_child_main(argc, argv);
	int dump = strcmp(argv[1], "--kdiff-dump") == 0;
	int runone = strcmp(argv[1], "--kdiff-run") == 0;
	int mini = strcmp(argv[1], "--kdiff-min") == 0;
	if (!dump && !runone && !mini)
		return -1;
	unsigned long seed = argc > 2 ? strtoul(argv[2], NULL, 0) : 1;
	int nops = argc > 3 ? atoi(argv[3]) : 200;
	struct kd_run run;
	int rc = 0;
	if (kd_run_child(seed, nops, NULL, &run) != 0)
		rc = 2;
	if (dump || rc) {
		kd_run_dump(stdout, &run, dump);
		kd_run_free(&run);
		kd_file_cleanup();
		return rc;
	}
#ifndef KDIFF_NO_MODEL
	struct kd_result res;
	kd_verbose = 1;
	rc = kd_replay(&run, -1, stdout, &res);
	if (rc == 0)
		printf("kdiff: seed %lu: %d ops, kernel and model agree (%d imported VMAs needed their hidden flags from smaps)\n",
		       seed, run.nops, res.hidden_fixed);
	if (rc == 1 && mini && !res.import_failed) {
		struct kd_op *ops = malloc(sizeof *ops * (size_t)res.step);
		int m = kd_minimize(&run, &res, ops, stdout);
		struct kd_run r2;
		char ob[512], rb[64];
		printf("minimal reproducer (%d ops):\n", m);
		if (kd_run_child(seed, m, ops, &r2) == 0) {
			for (int i = 0; i < r2.nops; i++) {
				kd_fmt_op(ob, sizeof ob, &r2.ops[i]);
				kd_fmt_ret(rb, sizeof rb, (long)r2.ops[i].ret);
				printf("  %s = %s\n", ob, rb);
			}
			kd_replay(&r2, -1, stdout, NULL);
		}
		kd_run_free(&r2);
		free(ops);
	}
#endif
	kd_run_free(&run);
	kd_file_cleanup();
	return rc;
}

#endif /* MMK_TESTS_KDIFF_H */
