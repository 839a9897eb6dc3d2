// SPDX-License-Identifier: MIT
/*
 * src/replay.c - replay `strace -f` output through mmkit (docs/replay.md).
 *
 * Two passes. The first parses every line (src/strace.c) and joins each
 * "<unfinished ...>" with its "<... resumed>" half per pid, so that a
 * clone's child pid is known where the clone starts (the child's lines
 * come before the parent's resumed half). The second plays the events in
 * file order:
 *   - tasks: the first pid is created and execs as the trace says
 *     (mmk_execve); fork/vfork/clone/clone3 go through kernel_clone at the
 *     line where the call starts; execve/execveat through mmk_execve;
 *     exit/exit_group and "+++ exited/killed +++" through do_exit;
 *   - files: a per-process fd table of open file descriptions (shared by
 *     dup and fork, the table itself shared with CLONE_FILES, O_CLOEXEC
 *     closed at exec); each mmap of an fd finds its file through it;
 *   - the address-space calls (brk, mmap, munmap, mprotect, pkey_mprotect,
 *     mremap, madvise, mlock, mlock2, munlock, mlockall, munlockall, shmat,
 *     shmdt) run on the task's mm, and their results are compared with the
 *     trace's;
 *   - the first successful read of a process's own /proc/.../maps after
 *     each open prints the model's maps at that moment.
 * A process whose address space cannot be reproduced (its image was laid
 * out with ASLR on, or its exec failed in the model) is "not modelled":
 * its address-space calls are skipped until it execs again.
 */
#include "internal.h"
#include <mmkit/replay.h>
#include <mmkit/proc.h>
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <mmkit/binfmt.h>

extern char **environ;

#define ADDR_NO_RANDOMIZE_BIT 0x0040000UL

/* ---- what a syscall name means to the replay --------------------------- */
enum kind {
	K_OTHER = 0,
	/* address space */
	K_BRK, K_MMAP, K_MUNMAP, K_MPROTECT, K_PKEY_MPROTECT, K_MREMAP, K_MADVISE, K_MLOCK,
	K_MLOCK2, K_MUNLOCK, K_MLOCKALL, K_MUNLOCKALL, K_SHMAT, K_SHMDT,
	/* tasks */
	K_FORK, K_VFORK, K_CLONE, K_CLONE3, K_EXECVE, K_EXECVEAT, K_EXIT, K_EXIT_GROUP,
	K_PERSONALITY, K_PRLIMIT, K_SETRLIMIT, K_CHDIR, K_FCHDIR,
	/* files */
	K_OPEN, K_OPENAT, K_OPENAT2, K_CREAT, K_CLOSE, K_CLOSE_RANGE, K_DUP, K_DUP2, K_DUP3,
	K_FCNTL, K_PIPE, K_SOCKETPAIR, K_NEWFD, K_MEMFD, K_FTRUNCATE, K_SHMGET, K_LSEEK,
	/* reads */
	K_READ, K_SENDFILE, K_COPY_FILE_RANGE,
};

static const struct {
	const char *name;
	enum kind k;
} kinds[] = {
	{ "brk", K_BRK }, { "mmap", K_MMAP }, { "munmap", K_MUNMAP }, { "mprotect", K_MPROTECT },
	{ "pkey_mprotect", K_PKEY_MPROTECT }, { "mremap", K_MREMAP }, { "madvise", K_MADVISE },
	{ "mlock", K_MLOCK }, { "mlock2", K_MLOCK2 }, { "munlock", K_MUNLOCK },
	{ "mlockall", K_MLOCKALL }, { "munlockall", K_MUNLOCKALL }, { "shmat", K_SHMAT },
	{ "shmdt", K_SHMDT },
	{ "fork", K_FORK }, { "vfork", K_VFORK }, { "clone", K_CLONE }, { "clone3", K_CLONE3 },
	{ "execve", K_EXECVE }, { "execveat", K_EXECVEAT }, { "exit", K_EXIT },
	{ "exit_group", K_EXIT_GROUP }, { "personality", K_PERSONALITY },
	{ "prlimit64", K_PRLIMIT }, { "setrlimit", K_SETRLIMIT }, { "chdir", K_CHDIR },
	{ "fchdir", K_FCHDIR },
	{ "open", K_OPEN }, { "openat", K_OPENAT }, { "openat2", K_OPENAT2 }, { "creat", K_CREAT },
	{ "close", K_CLOSE }, { "close_range", K_CLOSE_RANGE }, { "dup", K_DUP }, { "dup2", K_DUP2 },
	{ "dup3", K_DUP3 }, { "fcntl", K_FCNTL }, { "pipe", K_PIPE }, { "pipe2", K_PIPE },
	{ "socketpair", K_SOCKETPAIR }, { "memfd_create", K_MEMFD }, { "ftruncate", K_FTRUNCATE },
	{ "shmget", K_SHMGET }, { "lseek", K_LSEEK },
	{ "socket", K_NEWFD }, { "accept", K_NEWFD }, { "accept4", K_NEWFD },
	{ "eventfd", K_NEWFD }, { "eventfd2", K_NEWFD }, { "epoll_create", K_NEWFD },
	{ "epoll_create1", K_NEWFD }, { "timerfd_create", K_NEWFD }, { "signalfd", K_NEWFD },
	{ "signalfd4", K_NEWFD }, { "inotify_init", K_NEWFD }, { "inotify_init1", K_NEWFD },
	{ "fanotify_init", K_NEWFD }, { "userfaultfd", K_NEWFD }, { "perf_event_open", K_NEWFD },
	{ "io_uring_setup", K_NEWFD }, { "pidfd_open", K_NEWFD }, { "pidfd_getfd", K_NEWFD },
	{ "memfd_secret", K_NEWFD }, { "open_by_handle_at", K_NEWFD }, { "fsopen", K_NEWFD },
	{ "fsmount", K_NEWFD }, { "open_tree", K_NEWFD }, { "mq_open", K_NEWFD },
	{ "landlock_create_ruleset", K_NEWFD },
	{ "read", K_READ }, { "pread64", K_READ }, { "readv", K_READ }, { "preadv", K_READ },
	{ "preadv2", K_READ }, { "sendfile", K_SENDFILE }, { "sendfile64", K_SENDFILE },
	{ "copy_file_range", K_COPY_FILE_RANGE }, { "splice", K_COPY_FILE_RANGE },
};

static enum kind kind_of(const char *name)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (name[0] == kinds[i].name[0] && !strcmp(name, kinds[i].name))
			return kinds[i].k;
	return K_OTHER;
}

static bool is_mm_kind(enum kind k) { return k >= K_BRK && k <= K_SHMDT; }
static bool is_clone_kind(enum kind k) { return k >= K_FORK && k <= K_CLONE3; }

/* ---- records (pass 1) ---------------------------------------------------- */
struct rec {
	struct strace_event ev; /* for a joined call: the whole call, result included */
	int line;               /* where the call starts */
	int end_line;           /* where its result is (the resumed line), = line otherwise */
	int end_pid;            /* pid of the resumed half */
	int join;               /* UNFINISHED: index of the resumed record, -1 if none;
				 * RESUMED: index of its unfinished record */
	enum kind k;
};

/* ---- an int -> int hash map (pid -> index) ------------------------------ */
struct imap {
	int *keys, *vals;
	size_t cap, n;
};

static int imap_get(const struct imap *m, int key)
{
	if (!m->cap)
		return -1;
	for (size_t i = ((unsigned)key * 2654435761u) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key)
			return m->vals[i];
		if (m->keys[i] == INT_MIN)
			return -1;
	}
}

static int imap_put(struct imap *m, int key, int val)
{
	if ((m->n + 1) * 2 > m->cap) {
		struct imap nm = { 0 };
		nm.cap = m->cap ? m->cap * 2 : 64;
		nm.keys = malloc(nm.cap * sizeof(int));
		nm.vals = malloc(nm.cap * sizeof(int));
		if (!nm.keys || !nm.vals) {
			free(nm.keys);
			free(nm.vals);
			return -1;
		}
		for (size_t i = 0; i < nm.cap; i++)
			nm.keys[i] = INT_MIN;
		for (size_t i = 0; i < m->cap; i++)
			if (m->keys[i] != INT_MIN && m->vals[i] != -1)
				imap_put(&nm, m->keys[i], m->vals[i]);
		free(m->keys);
		free(m->vals);
		*m = nm;
	}
	for (size_t i = ((unsigned)key * 2654435761u) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key) {
			m->vals[i] = val;
			return 0;
		}
		if (m->keys[i] == INT_MIN) {
			m->keys[i] = key;
			m->vals[i] = val;
			m->n++;
			return 0;
		}
	}
}

static void imap_free(struct imap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ---- processes and files (pass 2) ---------------------------------------- */
enum of_kind { OF_PATH, OF_MAPS, OF_MEMFD, OF_OTHER };

struct ofile {               /* an open file description */
	int refs;
	enum of_kind kind;
	char *path;
	unsigned int fmode;
	int maps_pid;        /* OF_MAPS: whose maps (a trace pid) */
	bool maps_done;      /* printed since the open (or the last seek to 0) */
	long long size;      /* OF_MEMFD: the last ftruncate */
	struct file *file;   /* the struct file mmap uses, made at the first mmap */
};

struct fdtable {
	int refs;
	int n;
	struct ofile **of;
	bool *cloexec;
};

struct proc {
	int pid, tgid;               /* as in the trace */
	struct task_struct *t;       /* NULL once it exited */
	struct fdtable *fdt;
	char *cwd;
	unsigned long persona;
	bool modelled;               /* the address space is reproducible */
	bool exited;
	bool warned_unmodelled;
};

struct shmseg {
	long id;
	unsigned long key, size;
	struct file *file;
};

struct rp {
	const char *name;
	const struct mmk_replay_opts *o;
	FILE *out, *err;
	struct rec *recs;
	int nrecs, cap;
	struct proc **procs;
	int nprocs, capprocs;
	struct imap pidmap;          /* trace pid -> index in procs */
	struct shmseg *shm;
	int nshm, capshm;
	int line;                    /* the line being played, for messages */
	long nmodelled, nchecked, nmismatch, nskipped, nwarn;
	int first_pid;
	bool have_first;
	bool first_is_exec;          /* the trace starts with the first process's execve */
	bool aslr_from_trace;        /* the initial personality came from a personality() call */
	int initial_aslr;
	jmp_buf fail;
	int fail_code;
	struct mmk_hooks saved_hooks;
	/* progress */
	struct timespec t0, tlast;
	bool progress_shown;
	/* the last compared result, for on_step */
	char last_model[64], last_trace[64];
	int last_match;
	bool reported;
};

static void __attribute__((noreturn, format(printf, 3, 4))) die(struct rp *r, int code, const char *fmt, ...)
{
	va_list ap;
	fflush(r->out);
	fprintf(r->err, "%s:%d: ", r->name, r->line);
	va_start(ap, fmt);
	vfprintf(r->err, fmt, ap);
	va_end(ap);
	fputc('\n', r->err);
	r->fail_code = code;
	longjmp(r->fail, 1);
}

static void __attribute__((format(printf, 2, 3))) note(struct rp *r, const char *fmt, ...)
{
	va_list ap;
	fflush(r->out);
	fprintf(r->err, "%s:%d: ", r->name, r->line);
	va_start(ap, fmt);
	vfprintf(r->err, fmt, ap);
	va_end(ap);
	fputc('\n', r->err);
}

static void *xcalloc(struct rp *r, size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);
	if (!p)
		die(r, 2, "out of memory");
	return p;
}

static char *xstrdup(struct rp *r, const char *s)
{
	char *p = strdup(s);
	if (!p)
		die(r, 2, "out of memory");
	return p;
}

/* ---- hooks ---------------------------------------------------------------- */
static void hook_task_freed(void *priv, struct task_struct *t)
{
	struct proc *p = t->mmk_priv;
	(void)priv;
	if (p && p->t == t) {
		p->t = NULL;
		p->exited = true;
	}
	t->mmk_priv = NULL;
}

static void hook_warn(void *priv, const char *msg)
{
	struct rp *r = priv;
	fprintf(r->err, "%s:%d: mmkit: %s\n", r->name, r->line, msg);
	r->nwarn++;
}

/* ---- files ------------------------------------------------------------------ */

static void of_put(struct ofile *of)
{
	if (!of || --of->refs > 0)
		return;
	if (of->file && !IS_ERR(of->file))
		fput(of->file);
	free(of->path);
	free(of);
}

static struct fdtable *fdt_new(struct rp *r)
{
	struct fdtable *t = xcalloc(r, 1, sizeof(*t));
	t->refs = 1;
	return t;
}

static void fdt_put(struct fdtable *t)
{
	if (!t || --t->refs > 0)
		return;
	for (int i = 0; i < t->n; i++)
		of_put(t->of[i]);
	free(t->of);
	free(t->cloexec);
	free(t);
}

static struct fdtable *fdt_copy(struct rp *r, const struct fdtable *o)
{
	struct fdtable *t = fdt_new(r);
	if (o->n) {
		t->of = xcalloc(r, (size_t)o->n, sizeof(*t->of));
		t->cloexec = xcalloc(r, (size_t)o->n, sizeof(*t->cloexec));
		t->n = o->n;
		for (int i = 0; i < o->n; i++) {
			t->of[i] = o->of[i];
			t->cloexec[i] = o->cloexec[i];
			if (t->of[i])
				t->of[i]->refs++;
		}
	}
	return t;
}

/* the process's own table, unshared */
static void fdt_unshare(struct rp *r, struct proc *p)
{
	if (p->fdt->refs > 1) {
		struct fdtable *t = fdt_copy(r, p->fdt);
		fdt_put(p->fdt);
		p->fdt = t;
	}
}

static struct ofile *fd_get(struct proc *p, long fd)
{
	if (fd < 0 || fd >= p->fdt->n)
		return NULL;
	return p->fdt->of[fd];
}

static void fd_close(struct proc *p, long fd)
{
	if (fd < 0 || fd >= p->fdt->n || !p->fdt->of[fd])
		return;
	of_put(p->fdt->of[fd]);
	p->fdt->of[fd] = NULL;
	p->fdt->cloexec[fd] = false;
}

/* install @of (a reference is taken) at @fd */
static void fd_install(struct rp *r, struct proc *p, long fd, struct ofile *of, bool cloexec)
{
	struct fdtable *t = p->fdt;
	if (fd < 0 || fd > (1L << 24))
		return;
	if (fd >= t->n) {
		int n = t->n ? t->n : 16;
		while (n <= fd)
			n *= 2;
		struct ofile **nof = realloc(t->of, (size_t)n * sizeof(*nof));
		if (!nof)
			die(r, 2, "out of memory");
		t->of = nof;
		bool *nce = realloc(t->cloexec, (size_t)n * sizeof(*nce));
		if (!nce)
			die(r, 2, "out of memory");
		t->cloexec = nce;
		for (int i = t->n; i < n; i++) {
			t->of[i] = NULL;
			t->cloexec[i] = false;
		}
		t->n = n;
	}
	fd_close(p, fd);
	of->refs++;
	t->of[fd] = of;
	t->cloexec[fd] = cloexec;
}

/* join @path to @base when it is relative; malloc'd */
static char *resolve_path(struct rp *r, const char *base, const char *path)
{
	char *s;
	if (path[0] == '/' || !base)
		return xstrdup(r, path);
	if (asprintf(&s, "%s%s%s", base, base[strlen(base) - 1] == '/' ? "" : "/", path) < 0)
		die(r, 2, "out of memory");
	return s;
}

/* /proc/self/maps, /proc/thread-self/maps, /proc/N/maps, /proc/N/task/M/maps:
 * the pid whose maps they are (0 = self), or -1 */
static int maps_target(const char *path, int self)
{
	const char *p;
	char *end;
	long pid;
	if (strncmp(path, "/proc/", 6) != 0)
		return -1;
	p = path + 6;
	if (!strncmp(p, "self/", 5)) {
		pid = self;
		p += 5;
	} else if (!strncmp(p, "thread-self/", 12)) {
		pid = self;
		p += 12;
	} else {
		pid = strtol(p, &end, 10);
		if (end == p || *end != '/' || pid <= 0)
			return -1;
		p = end + 1;
	}
	if (!strncmp(p, "task/", 5)) {
		long tid = strtol(p + 5, &end, 10);
		if (end == p + 5 || *end != '/' || tid <= 0)
			return -1;
		pid = tid;
		p = end + 1;
	}
	return strcmp(p, "maps") == 0 ? (int)pid : -1;
}

/* ---- arguments ------------------------------------------------------------- */
struct args {
	char **v;
	int n;
};

static void args_free(struct args *a)
{
	strace_free_args(a->v, a->n);
	a->v = NULL;
	a->n = 0;
}

static void split(struct rp *r, const struct rec *rc, struct args *a)
{
	a->n = strace_split_args(rc->ev.args, &a->v);
	if (a->n < 0)
		die(r, 2, "%s: cannot split the arguments", rc->ev.name);
}

static long num(struct rp *r, const struct rec *rc, struct args *a, int i, const struct strace_sym *syms,
		const char *what)
{
	char bad[128];
	long v;
	if (i >= a->n) {
		char msg[256];
		snprintf(msg, sizeof(msg), "%s: missing argument %d (%s)", rc->ev.name, i + 1, what);
		args_free(a);
		die(r, 2, "%s", msg);
	}
	if (strace_arg_num(a->v[i], syms, &v, bad, sizeof(bad))) {
		char msg[400];
		if (!strcmp(bad, a->v[i]) || strchr(a->v[i], '"'))
			snprintf(msg, sizeof(msg), "%s: bad %s '%.120s'", rc->ev.name, what, a->v[i]);
		else
			snprintf(msg, sizeof(msg), "%s: unknown %s '%.120s'", rc->ev.name, what, bad);
		args_free(a);
		die(r, 2, "%s", msg);
	}
	return v;
}

/* the named argument "flags=..." if there is one, else argument @i */
static int named(const struct args *a, const char *name, int i)
{
	size_t l = strlen(name);
	for (int k = 0; k < a->n; k++)
		if (!strncmp(a->v[k], name, l) && a->v[k][l] == '=')
			return k;
	return i;
}

/* ---- results ------------------------------------------------------------------ */

static bool returns_addr(enum kind k)
{
	return k == K_MMAP || k == K_MREMAP || k == K_BRK || k == K_SHMAT;
}

static void fmt_model(char *buf, size_t len, long v, enum kind k)
{
	if (v < 0 && v >= -4095 && k != K_BRK) {
		const char *n = strace_errno_name((int)-v);
		if (n)
			snprintf(buf, len, "-%s", n);
		else
			snprintf(buf, len, "-%ld", -v);
	} else if (returns_addr(k)) {
		snprintf(buf, len, "%#lx", (unsigned long)v);
	} else {
		snprintf(buf, len, "%ld", v);
	}
}

static void fmt_trace(char *buf, size_t len, const struct strace_event *ev, enum kind k)
{
	switch (ev->ret_kind) {
	case STRACE_RET_VALUE:
		if (returns_addr(k))
			snprintf(buf, len, "%#lx", (unsigned long)ev->ret);
		else
			snprintf(buf, len, "%ld", ev->ret);
		break;
	case STRACE_RET_ERROR:
		if (ev->errname[0])
			snprintf(buf, len, "-%s", ev->errname);
		else
			snprintf(buf, len, "-1");
		break;
	default:
		snprintf(buf, len, "?");
	}
}

void mmk_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* compare the model's result with the trace's; -1 when not comparable */
static int result_matches(long model, const struct strace_event *ev)
{
	switch (ev->ret_kind) {
	case STRACE_RET_VALUE:
		return model == ev->ret;
	case STRACE_RET_ERROR:
		if (!ev->err)
			return -1;
		return model == -(long)ev->err;
	default:
		return -1;
	}
}

static void report(struct rp *r, const struct rec *rc, int pid, long model)
{
	char m[64], t[64];
	int match = result_matches(model, &rc->ev);
	const char *name = rc->ev.name;

	r->nmodelled++;
	fmt_model(m, sizeof(m), model, rc->k);
	fmt_trace(t, sizeof(t), &rc->ev, rc->k);
	snprintf(r->last_model, sizeof(r->last_model), "%s", m);
	snprintf(r->last_trace, sizeof(r->last_trace), "%s", t);
	r->last_match = match;
	r->reported = true;
	if (r->o->json) {
		fprintf(r->out, "{\"line\":%d,\"pid\":%d,\"syscall\":", rc->end_line, pid);
		mmk_json_str(r->out, name);
		fprintf(r->out, ",\"model\":\"%s\",\"trace\":\"%s\",\"match\":%s}\n", m, t,
			match < 0 ? "null" : match ? "true" : "false");
	}
	if (match >= 0)
		r->nchecked++;
	if (match == 0) {
		r->nmismatch++;
		if (r->o->check) {
			fflush(r->out);
			fprintf(r->err, "%s:%d: %s returned %s, trace says %s\n", r->name, rc->end_line, name, m, t);
			if (!r->o->keep_going) {
				r->fail_code = 1;
				longjmp(r->fail, 1);
			}
		}
	}
}

/* ---- processes --------------------------------------------------------------- */

static struct proc *proc_find(struct rp *r, int pid)
{
	int i = imap_get(&r->pidmap, pid);
	return i >= 0 ? r->procs[i] : NULL;
}

static struct proc *proc_new(struct rp *r, int pid)
{
	struct proc *p = xcalloc(r, 1, sizeof(*p));
	if (r->nprocs == r->capprocs) {
		r->capprocs = r->capprocs ? 2 * r->capprocs : 16;
		struct proc **n = realloc(r->procs, (size_t)r->capprocs * sizeof(*n));
		if (!n)
			die(r, 2, "out of memory");
		r->procs = n;
	}
	p->pid = pid;
	p->tgid = pid;
	r->procs[r->nprocs] = p;
	if (imap_put(&r->pidmap, pid, r->nprocs))
		die(r, 2, "out of memory");
	r->nprocs++;
	return p;
}

static void set_comm(struct task_struct *t, const char *path)
{
	const char *b = strrchr(path, '/');
	snprintf(t->comm, sizeof(t->comm), "%s", b ? b + 1 : path);
}

/* a live task that can act (wake it if it sleeps in vfork) */
static struct task_struct *proc_task(struct proc *p)
{
	if (!p || !p->t)
		return NULL;
	if (p->t->state == TASK_VFORK)
		mmk_vfork_abort(p->t);
	return p->t;
}

static void proc_exit(struct rp *r, struct proc *p)
{
	struct task_struct *t;
	if (!p || p->exited)
		return;
	t = p->t;
	p->exited = true;
	if (t) {
		if (t->state == TASK_VFORK)
			mmk_vfork_abort(t);
		if (t->state != TASK_DEAD)
			do_exit(t);
		/* do_exit freed it (it is on no CPU); the hook cleared p->t */
		if (p->t == t && t->state == TASK_DEAD && t->on_cpu < 0)
			p->t = NULL;
	}
	fdt_put(p->fdt);
	p->fdt = fdt_new(r);
}

/* a pid the replay has not seen: the first process, or one whose creation
 * the trace does not show */
static struct proc *proc_get(struct rp *r, int pid)
{
	struct proc *p = proc_find(r, pid);
	if (p)
		return p;
	/* lines without a pid prefix belong to the first process; once the
	 * trace shows pids ([pid N] without -o), an unknown pid that no clone
	 * created is that first process */
	if (pid != 0 && r->nprocs > 0 && r->procs[0]->pid == 0 && imap_get(&r->pidmap, pid) < 0) {
		p = r->procs[0];
		p->pid = p->tgid = pid;
		imap_put(&r->pidmap, pid, 0);
		return p;
	}
	p = proc_new(r, pid);
	p->fdt = fdt_new(r);
	{
		char buf[PATH_MAX];
		p->cwd = xstrdup(r, getcwd(buf, sizeof(buf)) ? buf : "/");
	}
	p->t = mmk_spawn("replay");
	if (IS_ERR(p->t))
		die(r, 2, "out of memory");
	p->t->mmk_priv = p;
	/* the replay's own limits stand for the traced process's */
	{
		static const int res[MMK_RLIM_NLIMITS] = { RLIMIT_AS, RLIMIT_DATA, RLIMIT_STACK, RLIMIT_MEMLOCK };
		for (int i = 0; i < MMK_RLIM_NLIMITS; i++) {
			struct rlimit rl;
			if (getrlimit(res[i], &rl) == 0)
				p->t->mm->rlim[i] = rl.rlim_cur == RLIM_INFINITY ? MMK_RLIM_INFINITY : rl.rlim_cur;
		}
	}
	if (r->nprocs == 1) {
		p->persona = r->initial_aslr ? 0 : ADDR_NO_RANDOMIZE_BIT;
		p->modelled = false; /* until its execve */
		if (!r->first_is_exec) {
			note(r, "the trace does not start with an execve: pid %d is not modelled until it execs", pid);
			p->warned_unmodelled = true;
		} else if (r->initial_aslr && r->aslr_from_trace) {
			/* the usual `strace setarch -R CMD`: setarch itself runs with
			 * ASLR, as its personality() call says; no need to tell */
			p->warned_unmodelled = true;
		}
	} else {
		note(r, "pid %d appears without a clone that created it: not modelled until it execs", pid);
		p->modelled = false;
		p->warned_unmodelled = true;
	}
	return p;
}

/* ---- the first pass -------------------------------------------------------- */

static void add_rec(struct rp *r, struct rec *rc)
{
	if (r->nrecs == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 1024;
		struct rec *n = realloc(r->recs, (size_t)r->cap * sizeof(*n));
		if (!n)
			die(r, 2, "out of memory");
		r->recs = n;
	}
	r->recs[r->nrecs++] = *rc;
}

/* what the replay never looks at keeps no text */
static bool keeps_text(enum kind k)
{
	return k != K_OTHER;
}

static char *concat(struct rp *r, const char *a, const char *b)
{
	char *s;
	if (asprintf(&s, "%s%s", a, b) < 0)
		die(r, 2, "out of memory");
	return s;
}

/* pass 1a: parse every line */
static void parse_all(struct rp *r, const char *text)
{
	const char *p = text;
	int line = 0;
	char err[256];

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *buf = malloc(len + 1);
		struct rec rc;

		line++;
		r->line = line;
		if (!buf)
			die(r, 2, "out of memory");
		if (!nl && len) {
			/* strace ends every line: a last line without its newline was cut */
			free(buf);
			die(r, 2, "truncated line (no newline at the end of the trace)");
		}
		memcpy(buf, p, len);
		buf[len] = 0;
		p = nl ? nl + 1 : p + len;
		/* without -o, strace's own "strace: Process N attached" can cut a
		 * line in two: "vfork(strace: Process 7 attached\n <unfinished ...>" */
		{
			char *m = strstr(buf, "strace: Process ");
			if (m && m != buf && *p) {
				const char *nl2 = strchr(p, '\n');
				size_t len2 = nl2 ? (size_t)(nl2 - p) : strlen(p);
				size_t l1;
				char *nb;
				*m = 0;
				l1 = strlen(buf);
				nb = malloc(l1 + len2 + 1);
				if (!nb) {
					free(buf);
					die(r, 2, "out of memory");
				}
				memcpy(nb, buf, l1);
				memcpy(nb + l1, p, len2);
				nb[l1 + len2] = 0;
				free(buf);
				buf = nb;
				p = nl2 ? nl2 + 1 : p + len2;
				line++;
			}
		}
		memset(&rc, 0, sizeof(rc));
		if (strace_parse_line(buf, &rc.ev, err, sizeof(err))) {
			free(buf);
			die(r, 2, "%s", err);
		}
		free(buf);
		rc.line = rc.end_line = line;
		rc.join = -1;
		if (rc.ev.type == STRACE_BLANK) {
			strace_event_free(&rc.ev);
			continue;
		}
		if (rc.ev.type == STRACE_CALL || rc.ev.type == STRACE_UNFINISHED || rc.ev.type == STRACE_RESUMED)
			rc.k = kind_of(rc.ev.name);
		if (!keeps_text(rc.k) && rc.ev.type == STRACE_CALL) {
			free(rc.ev.args);
			rc.ev.args = NULL;
			free(rc.ev.ret_note);
			rc.ev.ret_note = NULL;
		}
		add_rec(r, &rc);
	}
}

/*
 * pass 1b: strace prints no pid while it traces a single process (always
 * with -o without -f, and without -o whenever only one tracee is left).
 * Such a line belongs to the one process alive at that moment; before any
 * pid shows, to the first process, whose pid is the first one that shows
 * and that no clone returned.
 */
static void resolve_pids(struct rp *r)
{
	struct imap children = { 0 }, live = { 0 };
	int first = 0, nlive = 0, last_live = 0;
	bool any0 = false;

	for (int i = 0; i < r->nrecs; i++) {
		struct rec *rc = &r->recs[i];
		if (rc->ev.pid == 0)
			any0 = true;
		/* complete clones and resumed halves of clones: their result is a child */
		if (is_clone_kind(rc->k) && rc->ev.type != STRACE_UNFINISHED && rc->ev.ret_kind == STRACE_RET_VALUE &&
		    rc->ev.ret > 0 && rc->ev.ret <= INT32_MAX)
			imap_put(&children, (int)rc->ev.ret, 1);
	}
	if (!any0) {
		imap_free(&children);
		return;
	}
	for (int i = 0; i < r->nrecs && !first; i++)
		if (r->recs[i].ev.pid != 0 && imap_get(&children, r->recs[i].ev.pid) < 0)
			first = r->recs[i].ev.pid;
	for (int i = 0; i < r->nrecs; i++) {
		struct rec *rc = &r->recs[i];
		int pid = rc->ev.pid;
		if (pid == 0) {
			if (nlive == 1)
				pid = last_live;
			else
				pid = first;
			rc->ev.pid = pid;
		}
		if (pid == 0)
			continue;
		if (rc->ev.type == STRACE_EXITED || rc->ev.type == STRACE_KILLED) {
			if (imap_get(&live, pid) == 1) {
				imap_put(&live, pid, 0);
				nlive--;
				/* the one left, if only one is */
				if (nlive == 1) {
					for (size_t k = 0; k < live.cap; k++)
						if (live.keys[k] != INT_MIN && live.vals[k] == 1)
							last_live = live.keys[k];
				}
			}
		} else if (imap_get(&live, pid) != 1) {
			imap_put(&live, pid, 1);
			nlive++;
			last_live = pid;
		}
	}
	imap_free(&children);
	imap_free(&live);
}

/* pass 1c: join each unfinished call with its resumed half, per pid */
static void join_calls(struct rp *r)
{
	struct imap pending = { 0 }; /* pid -> unfinished record */

	for (int i = 0; i < r->nrecs; i++) {
		struct rec *rc = &r->recs[i];
		rc->end_pid = rc->ev.pid;
		r->line = rc->line;
		if (!r->have_first) {
			r->have_first = true;
			r->first_pid = rc->ev.pid;
			r->first_is_exec = (rc->k == K_EXECVE || rc->k == K_EXECVEAT) && rc->ev.type != STRACE_RESUMED;
		}
		if (rc->ev.type == STRACE_UNFINISHED) {
			if (imap_get(&pending, rc->ev.pid) >= 0) {
				char msg[256];
				snprintf(msg, sizeof(msg), "pid %d starts %s while another call is unfinished",
					 rc->ev.pid, rc->ev.name);
				imap_free(&pending);
				die(r, 2, "%s", msg);
			}
			imap_put(&pending, rc->ev.pid, i);
		} else if (rc->ev.type == STRACE_RESUMED) {
			int u = imap_get(&pending, rc->ev.pid);
			struct rec *ur;
			char *args;
			if (u < 0) {
				char msg[256];
				snprintf(msg, sizeof(msg), "'<... %s resumed>' without an unfinished %s call of pid %d",
					 rc->ev.name, rc->ev.name, rc->ev.pid);
				imap_free(&pending);
				die(r, 2, "%s", msg);
			}
			ur = &r->recs[u];
			if (strcmp(ur->ev.name, rc->ev.name) != 0) {
				char msg[256];
				snprintf(msg, sizeof(msg), "'<... %s resumed>' but pid %d's unfinished call (line %d) is %s",
					 rc->ev.name, rc->ev.pid, ur->line, ur->ev.name);
				imap_free(&pending);
				die(r, 2, "%s", msg);
			}
			imap_put(&pending, rc->ev.pid, -1);
			/* the whole call goes into the unfinished record */
			args = concat(r, ur->ev.args, rc->ev.args);
			free(ur->ev.args);
			ur->ev.args = args;
			ur->ev.ret_kind = rc->ev.ret_kind;
			ur->ev.ret = rc->ev.ret;
			ur->ev.err = rc->ev.err;
			memcpy(ur->ev.errname, rc->ev.errname, sizeof(ur->ev.errname));
			ur->ev.ret_path = rc->ev.ret_path;
			ur->ev.ret_note = rc->ev.ret_note;
			ur->ev.duration = rc->ev.duration;
			ur->ev.interrupted = rc->ev.interrupted;
			rc->ev.ret_path = rc->ev.ret_note = NULL;
			ur->end_line = rc->line;
			ur->end_pid = rc->ev.pid;
			ur->join = i;
			rc->join = u;
		} else if (rc->ev.type == STRACE_SUPERSEDED) {
			/* the exec'ing thread's unfinished execve resumes under the leader's pid */
			int u = imap_get(&pending, rc->ev.status);
			if (u >= 0) {
				imap_put(&pending, rc->ev.status, -1);
				imap_put(&pending, rc->ev.pid, u);
			}
		}
	}
	imap_free(&pending);
}

static void pass1(struct rp *r, const char *text)
{
	parse_all(r, text);
	resolve_pids(r);
	join_calls(r);
}

/* the first process's personality at its first execve: the return value
 * of its first personality() call before it execs again; unknown = off */
static int guess_initial_aslr(struct rp *r)
{
	int execs = 0;
	for (int i = 0; i < r->nrecs; i++) {
		struct rec *rc = &r->recs[i];
		if (rc->ev.pid != r->first_pid || rc->ev.type == STRACE_RESUMED)
			continue;
		if ((rc->k == K_EXECVE || rc->k == K_EXECVEAT) && rc->ev.ret_kind == STRACE_RET_VALUE &&
		    rc->ev.ret == 0 && ++execs >= 2)
			break;
		if (rc->k == K_PERSONALITY && rc->ev.ret_kind == STRACE_RET_VALUE) {
			r->aslr_from_trace = true;
			return ((unsigned long)rc->ev.ret & ADDR_NO_RANDOMIZE_BIT) ? 0 : 1;
		}
	}
	return 0;
}

/* ---- the second pass: tasks ------------------------------------------------- */

static void do_clone(struct rp *r, struct rec *rc)
{
	struct proc *parent = proc_get(r, rc->ev.pid), *child;
	struct task_struct *pt, *ct;
	unsigned long flags = 17; /* SIGCHLD */
	struct args a = { 0 };
	int cpid;

	if (rc->ev.ret_kind != STRACE_RET_VALUE || rc->ev.ret <= 0)
		return; /* failed, or the child pid is unknown */
	cpid = (int)rc->ev.ret;
	if (rc->k == K_VFORK) {
		flags = CLONE_VM | CLONE_VFORK | 17;
	} else if (rc->k == K_CLONE) {
		split(r, rc, &a);
		flags = (unsigned long)num(r, rc, &a, named(&a, "flags", 1), strace_clone_syms, "clone flag");
		args_free(&a);
	} else if (rc->k == K_CLONE3) {
		char *f;
		split(r, rc, &a);
		f = a.n > 0 ? strace_arg_field(a.v[0], "flags") : NULL;
		if (!f) {
			args_free(&a);
			die(r, 2, "clone3: no flags in the argument struct");
		}
		{
			char bad[128];
			long v;
			if (strace_arg_num(f, strace_clone_syms, &v, bad, sizeof(bad))) {
				free(f);
				args_free(&a);
				die(r, 2, "clone3: unknown clone flag '%s'", bad);
			}
			flags = (unsigned long)v;
		}
		free(f);
		args_free(&a);
	}
	pt = proc_task(parent);
	if (!pt) {
		note(r, "pid %d clones after it exited", parent->pid);
		return;
	}
	if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
		die(r, 2, "%s: CLONE_THREAD without CLONE_SIGHAND", rc->ev.name);
	if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
		die(r, 2, "%s: CLONE_SIGHAND without CLONE_VM", rc->ev.name);
	ct = kernel_clone(pt, flags & (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_VFORK),
			  pt->comm);
	if (IS_ERR(ct)) {
		note(r, "%s: the model's kernel_clone failed (%ld)", rc->ev.name, PTR_ERR(ct));
		r->nwarn++;
		return;
	}
	child = proc_find(r, cpid);
	if (child) {
		if (!child->exited)
			note(r, "pid %d reused while the replay still has it alive", cpid);
		proc_exit(r, child);
		fdt_put(child->fdt);
		free(child->cwd);
		child->fdt = NULL;
		child->cwd = NULL;
		memset(child, 0, sizeof(*child));
		child->pid = cpid;
	} else {
		child = proc_new(r, cpid);
	}
	child->tgid = (flags & CLONE_THREAD) ? parent->tgid : cpid;
	child->t = ct;
	ct->mmk_priv = child;
	child->cwd = xstrdup(r, parent->cwd);
	child->persona = parent->persona;
	child->modelled = parent->modelled;
	child->warned_unmodelled = parent->warned_unmodelled;
	if (flags & CLONE_FILES) {
		child->fdt = parent->fdt;
		child->fdt->refs++;
	} else {
		child->fdt = fdt_copy(r, parent->fdt);
	}
}

static void close_on_exec(struct rp *r, struct proc *p)
{
	fdt_unshare(r, p);
	for (int i = 0; i < p->fdt->n; i++)
		if (p->fdt->cloexec[i])
			fd_close(p, i);
}

/*
 * exec_with_scripts - mmk_execve, and what binfmt_script does when the file
 * starts with "#!": exec the interpreter with argv = interpreter [one
 * optional argument] file argv[1...], up to 4 levels deep (fs/binfmt_script.c,
 * BINPRM_MAX_RECURSION). The exec model loads ELF files only.
 */
static int exec_with_scripts(struct task_struct *t, const struct mmk_exec_args *ea, char *emsg, size_t len)
{
	struct mmk_exec_args a = *ea;
	char *owned[5] = { 0 };
	const char **nargv[5] = { 0 };
	int rv = -ENOEXEC, depth;

	for (depth = 0; depth <= 4; depth++) {
		char buf[256], *interp, *arg = NULL, *e;
		ssize_t n;
		int fd, argc = 0;
		rv = mmk_execve_args(t, &a, emsg, len);
		if (rv != -ENOEXEC || depth == 4)
			break;
		fd = open(a.filename, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			break;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n < 3 || buf[0] != '#' || buf[1] != '!')
			break;
		buf[n] = 0;
		e = strchr(buf, '\n');
		if (!e)
			break; /* the kernel accepts a cut line; the model does not bother */
		*e = 0;
		for (interp = buf + 2; *interp == ' ' || *interp == '\t'; interp++)
			;
		for (e = interp; *e && *e != ' ' && *e != '\t'; e++)
			;
		if (*e) {
			*e++ = 0;
			while (*e == ' ' || *e == '\t')
				e++;
			/* one argument: the rest of the line, trailing blanks cut */
			if (*e) {
				char *t2 = e + strlen(e);
				while (t2 > e && (t2[-1] == ' ' || t2[-1] == '\t'))
					*--t2 = 0;
				arg = e;
			}
		}
		if (!*interp)
			break;
		while (a.argv && a.argv[argc])
			argc++;
		owned[depth] = malloc(strlen(interp) + 1 + (arg ? strlen(arg) + 1 : 0) + strlen(a.filename) + 1);
		nargv[depth] = calloc((size_t)argc + 4, sizeof(char *));
		if (!owned[depth] || !nargv[depth]) {
			rv = -ENOMEM;
			break;
		}
		{
			char *o = owned[depth];
			int k = 0;
			strcpy(o, interp);
			nargv[depth][k++] = o;
			o += strlen(o) + 1;
			if (arg) {
				strcpy(o, arg);
				nargv[depth][k++] = o;
				o += strlen(o) + 1;
			}
			strcpy(o, a.filename);
			nargv[depth][k++] = o;
			for (int i = 1; i < argc; i++)
				nargv[depth][k++] = a.argv[i];
			nargv[depth][k] = NULL;
			a.argv = nargv[depth];
			a.filename = nargv[depth][0];
		}
	}
	for (int i = 0; i < 5; i++) {
		free(owned[i]);
		free(nargv[i]);
	}
	return rv;
}

static void do_execve(struct rp *r, struct rec *rc)
{
	struct proc *p = proc_get(r, rc->end_pid);
	struct task_struct *t;
	struct args a = { 0 };
	char *path = NULL, *fpath = NULL;
	char **argv = NULL, **envp = NULL;
	int ai = rc->k == K_EXECVEAT ? 1 : 0;
	long rv;

	if (rc->ev.ret_kind != STRACE_RET_VALUE || rc->ev.ret != 0)
		return; /* a failed execve changes nothing */
	t = proc_task(p);
	if (!t) {
		note(r, "pid %d execs after it exited", p->pid);
		return;
	}
	split(r, rc, &a);
	if (a.n < ai + 3) {
		args_free(&a);
		die(r, 2, "%s: expected %d arguments", rc->ev.name, ai + 3);
	}
	path = strace_arg_string(a.v[ai], NULL);
	if (!path) {
		args_free(&a);
		die(r, 2, "%s: bad file name", rc->ev.name);
	}
	if (rc->k == K_EXECVEAT) {
		long dfd = num(r, rc, &a, 0, NULL, "dirfd");
		char *ann = strace_arg_fdpath(a.v[0]);
		struct ofile *of = fd_get(p, dfd);
		const char *base = ann ? ann : of ? of->path : dfd == -100 ? p->cwd : NULL;
		if (!path[0] && base)
			fpath = xstrdup(r, base);
		else
			fpath = resolve_path(r, base ? base : p->cwd, path);
		free(ann);
	} else {
		fpath = resolve_path(r, p->cwd, path);
	}
	argv = strace_arg_strv(a.v[ai + 1]);
	envp = strace_arg_strv(a.v[ai + 2]);
	args_free(&a);
	if (!argv) {
		argv = calloc(1, sizeof(*argv));
		if (!argv)
			die(r, 2, "out of memory");
	}
	close_on_exec(r, p);
	if (!(p->persona & ADDR_NO_RANDOMIZE_BIT)) {
		/* laid out at random: an empty model stands for it */
		rv = mmk_exec(t);
		p->modelled = false;
		if (!p->warned_unmodelled)
			note(r, "pid %d execs %s with ASLR on: its address space is not modelled "
				"(until it execs with ADDR_NO_RANDOMIZE)", p->pid, fpath);
		p->warned_unmodelled = true;
		if (rv)
			die(r, 2, "execve: the model cannot exec (%ld)", rv);
	} else {
		struct mmk_exec_args ea = {
			.filename = fpath,
			.argv = (const char *const *)argv,
			.envp = envp ? (const char *const *)envp : (const char *const *)environ,
		};
		char emsg[256] = "";
		rv = exec_with_scripts(t, &ea, emsg, sizeof(emsg));
		p->modelled = rv == 0;
		p->warned_unmodelled = false;
		r->line = rc->end_line;
		report(r, rc, p->pid, rv);
		if (rv) {
			note(r, "pid %d: the model's execve of %s failed (%ld%s%s): not modelled until it execs again",
			     p->pid, fpath, rv, emsg[0] ? ": " : "", emsg);
			p->warned_unmodelled = true;
			if (mmk_exec(t))
				die(r, 2, "execve: the model cannot exec");
		}
	}
	if (p->t)
		set_comm(p->t, fpath);
	free(path);
	free(fpath);
	strace_free_strv(argv);
	strace_free_strv(envp);
}

/* exit_group: every thread of the group */
static void exit_group(struct rp *r, struct proc *p)
{
	for (int i = 0; i < r->nprocs; i++) {
		struct proc *q = r->procs[i];
		if (q != p && q->tgid == p->tgid && !q->exited && proc_find(r, q->pid) == q)
			proc_exit(r, q);
	}
	proc_exit(r, p);
}

/* ---- the second pass: files -------------------------------------------------- */

static struct ofile *of_new(struct rp *r, enum of_kind kind, const char *path, unsigned fmode)
{
	struct ofile *of = xcalloc(r, 1, sizeof(*of));
	of->refs = 1; /* the caller's */
	of->kind = kind;
	of->path = xstrdup(r, path ? path : "");
	of->fmode = fmode;
	return of;
}

static unsigned fmode_of(long oflags)
{
	if (oflags & O_PATH)
		return 0;
	switch (oflags & O_ACCMODE) {
	case O_WRONLY: return FMODE_WRITE;
	case O_RDWR: return FMODE_READ | FMODE_WRITE;
	default: return FMODE_READ;
	}
}

static void do_open(struct rp *r, struct rec *rc, struct proc *p)
{
	struct args a = { 0 };
	long oflags = 0, fd = rc->ev.ret;
	char *path, *full;
	const char *base = p->cwd;
	char *dirann = NULL;
	int pi = 0;
	struct ofile *of;
	int target;

	if (rc->ev.ret_kind != STRACE_RET_VALUE || fd < 0)
		return;
	split(r, rc, &a);
	if (rc->k == K_OPENAT || rc->k == K_OPENAT2) {
		long dfd = num(r, rc, &a, 0, NULL, "dirfd");
		struct ofile *d = fd_get(p, dfd);
		dirann = strace_arg_fdpath(a.v[0]);
		if (dirann)
			base = dirann;
		else if (dfd != -100 && d)
			base = d->path;
		pi = 1;
	}
	if (pi >= a.n) {
		args_free(&a);
		free(dirann);
		die(r, 2, "%s: missing file name", rc->ev.name);
	}
	path = strace_arg_string(a.v[pi], NULL);
	if (!path) {
		args_free(&a);
		free(dirann);
		die(r, 2, "%s: bad file name '%.60s'", rc->ev.name, a.v[pi]);
	}
	if (rc->k == K_CREAT) {
		oflags = O_CREAT | O_WRONLY | O_TRUNC;
	} else if (rc->k == K_OPENAT2) {
		char *f = pi + 1 < a.n ? strace_arg_field(a.v[pi + 1], "flags") : NULL;
		char bad[128];
		if (!f || strace_arg_num(f, strace_open_syms, &oflags, bad, sizeof(bad))) {
			free(f);
			free(path);
			free(dirann);
			args_free(&a);
			die(r, 2, "openat2: bad open_how");
		}
		free(f);
	} else {
		if (pi + 1 >= a.n) {
			free(path);
			free(dirann);
			args_free(&a);
			die(r, 2, "%s: missing flags", rc->ev.name);
		}
		char bad[128];
		if (strace_arg_num(a.v[pi + 1], strace_open_syms, &oflags, bad, sizeof(bad))) {
			/* free what this call holds before the error unwinds */
			free(path);
			free(dirann);
			args_free(&a);
			die(r, 2, "%s: bad open flag '%s'", rc->ev.name, bad);
		}
	}
	args_free(&a);
	full = rc->ev.ret_path ? xstrdup(r, rc->ev.ret_path) : resolve_path(r, base, path);
	free(path);
	free(dirann);
	target = maps_target(full, p->pid);
	if (target >= 0) {
		struct proc *tp = target == p->pid ? p : proc_find(r, target);
		of = of_new(r, OF_MAPS, full, fmode_of(oflags));
		of->maps_pid = tp && tp->tgid == p->tgid ? tp->pid : -1;
	} else {
		of = of_new(r, OF_PATH, full, fmode_of(oflags));
	}
	free(full);
	fd_install(r, p, fd, of, (oflags & O_CLOEXEC) != 0);
	of_put(of);
}

/* the struct file an mmap of @fd uses; NULL (and *err) when there is none */
static struct file *file_for_mmap(struct rp *r, struct proc *p, const char *fdarg, long fd, long *err)
{
	struct ofile *of = fd_get(p, fd);
	char *ann = strace_arg_fdpath(fdarg);

	*err = 0;
	if (!of && ann) {
		/* an fd the replay did not see opened (inherited): -y names it */
		of = of_new(r, OF_PATH, ann, FMODE_READ);
		if (!strncmp(ann, "/memfd:", 7))
			of->kind = OF_MEMFD;
		else if (ann[0] != '/')
			of->kind = OF_OTHER;
		fd_install(r, p, fd, of, false);
		of_put(of);
	} else if (of && ann && of->kind == OF_PATH && strcmp(ann, of->path) != 0 && !of->file) {
		/* with -y the annotation wins */
		free(of->path);
		of->path = xstrdup(r, ann);
	}
	free(ann);
	if (!of) {
		*err = -EBADF;
		return NULL;
	}
	if (of->file)
		return of->file;
	switch (of->kind) {
	case OF_PATH:
	case OF_MAPS: {
		struct stat st;
		of->file = mmk_file_open(of->path, of->fmode ? of->fmode : FMODE_READ);
		if (!IS_ERR(of->file))
			break;
		if (stat(of->path, &st) == 0) {
			of->file = mmk_file_create(of->path, major(st.st_dev), minor(st.st_dev),
						   (unsigned long)st.st_ino, (long long)st.st_size, of->fmode);
		} else {
			note(r, "mmap of %s: no such file on this machine; its maps line will show 00:00 0",
			     of->path);
			of->file = mmk_file_create(of->path, 0, 0, 0, 0, of->fmode);
		}
		break;
	}
	case OF_MEMFD:
		of->file = mmk_file_create(of->path, 0, 1, 0, of->size, of->fmode);
		break;
	case OF_OTHER:
		of->file = mmk_file_create(of->path[0] ? of->path : "anon_inode:[unknown]", 0, 0, 0, 0,
					   FMODE_READ | FMODE_WRITE);
		break;
	}
	if (IS_ERR(of->file)) {
		long e = PTR_ERR(of->file);
		of->file = NULL;
		die(r, 2, "cannot describe the file of fd %ld (%ld)", fd, e);
	}
	return of->file;
}

static void do_fdcall(struct rp *r, struct rec *rc, struct proc *p)
{
	struct args a = { 0 };
	long ret = rc->ev.ret;
	bool ok = rc->ev.ret_kind == STRACE_RET_VALUE;

	switch (rc->k) {
	case K_OPEN:
	case K_OPENAT:
	case K_OPENAT2:
	case K_CREAT:
		do_open(r, rc, p);
		return;
	case K_CLOSE:
		if (rc->ev.ret_kind == STRACE_RET_ERROR && rc->ev.err == EBADF)
			return;
		split(r, rc, &a);
		fd_close(p, num(r, rc, &a, 0, NULL, "fd"));
		break;
	case K_CLOSE_RANGE: {
		long first, last, fl;
		if (!ok || ret != 0)
			return;
		split(r, rc, &a);
		first = num(r, rc, &a, 0, NULL, "fd");
		last = num(r, rc, &a, 1, NULL, "fd");
		fl = a.n > 2 ? num(r, rc, &a, 2, NULL, "flags") : 0;
		if (fl & 2)
			fdt_unshare(r, p);
		for (long fd = first; fd >= 0 && fd < p->fdt->n && (unsigned long)fd <= (unsigned long)last; fd++) {
			if (!p->fdt->of[fd])
				continue;
			if (fl & 4)
				p->fdt->cloexec[fd] = true;
			else
				fd_close(p, fd);
		}
		break;
	}
	case K_DUP:
	case K_DUP2:
	case K_DUP3: {
		struct ofile *of;
		long fl = 0, old;
		if (!ok || ret < 0)
			return;
		split(r, rc, &a);
		old = num(r, rc, &a, 0, NULL, "fd");
		if (rc->k == K_DUP3)
			fl = num(r, rc, &a, 2, strace_open_syms, "flag");
		of = fd_get(p, old);
		if (of && old != ret)
			fd_install(r, p, ret, of, (fl & O_CLOEXEC) != 0);
		else if (!of)
			fd_close(p, ret);
		break;
	}
	case K_FCNTL: {
		long fd, cmd;
		struct ofile *of;
		if (!ok)
			return;
		split(r, rc, &a);
		fd = num(r, rc, &a, 0, NULL, "fd");
		cmd = num(r, rc, &a, 1, NULL, "fcntl command");
		of = fd_get(p, fd);
		if ((cmd == 0 || cmd == 1030) && ret >= 0) {
			if (of)
				fd_install(r, p, ret, of, cmd == 1030);
			else
				fd_close(p, ret);
		} else if (cmd == 2 && of && a.n > 2) {
			p->fdt->cloexec[fd] = (num(r, rc, &a, 2, NULL, "fd flags") & 1) != 0;
		}
		break;
	}
	case K_PIPE:
	case K_SOCKETPAIR: {
		int ai = rc->k == K_PIPE ? 0 : 3;
		long fl = 0;
		char **parts = NULL;
		int n;
		if (!ok || ret != 0)
			return;
		split(r, rc, &a);
		if (ai >= a.n || a.v[ai][0] != '[')
			break;
		if (rc->k == K_PIPE && a.n > 1)
			fl = num(r, rc, &a, 1, strace_open_syms, "flag");
		{
			size_t l = strlen(a.v[ai]);
			char *inner = strndup(a.v[ai] + 1, l >= 2 ? l - 2 : 0);
			if (!inner)
				die(r, 2, "out of memory");
			n = strace_split_args(inner, &parts);
			free(inner);
		}
		for (int i = 0; i < n; i++) {
			long fd;
			char *ann = strace_arg_fdpath(parts[i]);
			if (strace_arg_num(parts[i], NULL, &fd, NULL, 0) == 0) {
				struct ofile *of = of_new(r, OF_OTHER, ann ? ann : rc->ev.name, FMODE_READ | FMODE_WRITE);
				fd_install(r, p, fd, of, (fl & O_CLOEXEC) != 0);
				of_put(of);
			}
			free(ann);
		}
		strace_free_args(parts, n > 0 ? n : 0);
		break;
	}
	case K_MEMFD: {
		char *name;
		long fl;
		struct ofile *of;
		char path[PATH_MAX];
		if (!ok || ret < 0)
			return;
		split(r, rc, &a);
		name = a.n > 0 ? strace_arg_string(a.v[0], NULL) : NULL;
		fl = a.n > 1 ? num(r, rc, &a, 1, NULL, "memfd flag") : 0;
		snprintf(path, sizeof(path), "/memfd:%s (deleted)", name ? name : "");
		free(name);
		of = of_new(r, OF_MEMFD, rc->ev.ret_path ? rc->ev.ret_path : path, FMODE_READ | FMODE_WRITE);
		fd_install(r, p, ret, of, (fl & 1) != 0);
		of_put(of);
		break;
	}
	case K_FTRUNCATE: {
		struct ofile *of;
		if (!ok || ret != 0)
			return;
		split(r, rc, &a);
		of = fd_get(p, num(r, rc, &a, 0, NULL, "fd"));
		if (of && of->kind == OF_MEMFD)
			of->size = num(r, rc, &a, 1, NULL, "length");
		break;
	}
	case K_NEWFD: {
		struct ofile *of;
		if (!ok || ret < 0)
			return;
		of = of_new(r, OF_OTHER, rc->ev.ret_path ? rc->ev.ret_path : rc->ev.name, FMODE_READ | FMODE_WRITE);
		/* SOCK_CLOEXEC, EFD_CLOEXEC, ... all equal O_CLOEXEC */
		fd_install(r, p, ret, of, rc->ev.args && strstr(rc->ev.args, "CLOEXEC") != NULL);
		of_put(of);
		break;
	}
	case K_LSEEK: {
		struct ofile *of;
		if (!ok || ret != 0)
			return;
		split(r, rc, &a);
		of = fd_get(p, num(r, rc, &a, 0, NULL, "fd"));
		if (of && of->kind == OF_MAPS)
			of->maps_done = false;
		break;
	}
	case K_CHDIR: {
		char *path;
		if (!ok || ret != 0)
			return;
		split(r, rc, &a);
		path = a.n > 0 ? strace_arg_string(a.v[0], NULL) : NULL;
		if (path) {
			char *n = resolve_path(r, p->cwd, path);
			free(p->cwd);
			p->cwd = n;
			free(path);
		}
		break;
	}
	case K_FCHDIR: {
		struct ofile *of;
		char *ann;
		if (!ok || ret != 0)
			return;
		split(r, rc, &a);
		ann = a.n > 0 ? strace_arg_fdpath(a.v[0]) : NULL;
		of = fd_get(p, num(r, rc, &a, 0, NULL, "fd"));
		if (ann || (of && of->path[0] == '/')) {
			free(p->cwd);
			p->cwd = xstrdup(r, ann ? ann : of->path);
		}
		free(ann);
		break;
	}
	default:
		break;
	}
	args_free(&a);
}

/* ---- the second pass: reading one's own maps ------------------------------- */

static void do_read(struct rp *r, struct rec *rc, struct proc *p)
{
	struct args a = { 0 };
	struct ofile *of;
	long fd;
	struct proc *tp;
	struct seq_file m;

	if (rc->ev.ret_kind != STRACE_RET_VALUE || rc->ev.ret <= 0)
		return;
	split(r, rc, &a);
	fd = num(r, rc, &a, rc->k == K_SENDFILE ? 1 : 0, NULL, "fd");
	args_free(&a);
	of = fd_get(p, fd);
	if (!of || of->kind != OF_MAPS || of->maps_done)
		return;
	of->maps_done = true;
	if (of->maps_pid < 0)
		return; /* another process's maps: not shown */
	tp = proc_find(r, of->maps_pid);
	if (!tp || !tp->t || !tp->t->mm)
		return;
	if (!tp->modelled) {
		note(r, "pid %d reads its maps, but its address space is not modelled: nothing shown", p->pid);
		return;
	}
	seq_init(&m);
	show_maps(&m, tp->t->mm);
	if (m.error)
		die(r, 2, "out of memory");
	if (r->o->json) {
		fprintf(r->out, "{\"line\":%d,\"pid\":%d,\"syscall\":", rc->end_line, p->pid);
		mmk_json_str(r->out, rc->ev.name);
		fputs(",\"maps\":", r->out);
		mmk_json_str(r->out, m.buf ? m.buf : "");
		fputs("}\n", r->out);
	} else if (m.count) {
		fwrite(m.buf, 1, m.count, r->out);
	}
	seq_release(&m);
}

/* ---- the second pass: the address space -------------------------------------- */

static struct shmseg *shm_find(struct rp *r, long id)
{
	for (int i = 0; i < r->nshm; i++)
		if (r->shm[i].id == id)
			return &r->shm[i];
	return NULL;
}

static void do_shmget(struct rp *r, struct rec *rc)
{
	struct args a = { 0 };
	struct shmseg *s;
	if (rc->ev.ret_kind != STRACE_RET_VALUE || rc->ev.ret < 0)
		return;
	split(r, rc, &a);
	if (!(s = shm_find(r, rc->ev.ret))) {
		if (r->nshm == r->capshm) {
			r->capshm = r->capshm ? 2 * r->capshm : 8;
			struct shmseg *n = realloc(r->shm, (size_t)r->capshm * sizeof(*n));
			if (!n)
				die(r, 2, "out of memory");
			r->shm = n;
		}
		s = &r->shm[r->nshm++];
		memset(s, 0, sizeof(*s));
		s->id = rc->ev.ret;
		s->key = (unsigned long)num(r, rc, &a, 0, NULL, "key");
		s->size = (unsigned long)num(r, rc, &a, 1, NULL, "size");
	}
	args_free(&a);
}

static long mm_call(struct rp *r, struct rec *rc, struct proc *p, struct mm_struct *mm)
{
	struct args a = { 0 };
	long rv = 0;

	split(r, rc, &a);
	switch (rc->k) {
	case K_BRK:
		rv = (long)sys_brk(mm, (unsigned long)num(r, rc, &a, 0, NULL, "address"));
		break;
	case K_MMAP: {
		unsigned long addr = (unsigned long)num(r, rc, &a, 0, NULL, "address");
		unsigned long len = (unsigned long)num(r, rc, &a, 1, NULL, "length");
		unsigned long prot = (unsigned long)num(r, rc, &a, 2, strace_prot_syms, "protection");
		unsigned long flags = (unsigned long)num(r, rc, &a, 3, strace_map_syms, "mmap flag");
		long fd = num(r, rc, &a, 4, NULL, "fd");
		unsigned long off = (unsigned long)num(r, rc, &a, 5, NULL, "offset");
		struct file *f = NULL;
		long err = 0;
		if (!(flags & MAP_ANONYMOUS))
			f = file_for_mmap(r, p, a.v[4], fd, &err);
		if (err)
			rv = err;
		else if (f && (flags & MAP_TYPE) != MAP_PRIVATE && !strcmp(f->f_path, "/dev/zero"))
			/* mmap_zero: a shared mapping of /dev/zero is shared
			 * anonymous memory (shmem_zero_setup) */
			rv = sys_mmap(mm, addr, len, prot, (flags & ~(unsigned long)MAP_TYPE) | MAP_SHARED | MAP_ANONYMOUS,
				      NULL, 0);
		else
			rv = sys_mmap(mm, addr, len, prot, flags, f, off);
		break;
	}
	case K_MUNMAP:
		rv = sys_munmap(mm, (unsigned long)num(r, rc, &a, 0, NULL, "address"),
				(unsigned long)num(r, rc, &a, 1, NULL, "length"));
		break;
	case K_MPROTECT:
	case K_PKEY_MPROTECT:
		if (rc->k == K_PKEY_MPROTECT && num(r, rc, &a, 3, NULL, "pkey") != -1)
			note(r, "pkey_mprotect with a protection key: the key is not modelled");
		rv = sys_mprotect(mm, (unsigned long)num(r, rc, &a, 0, NULL, "address"),
				  (unsigned long)num(r, rc, &a, 1, NULL, "length"),
				  (unsigned long)num(r, rc, &a, 2, strace_prot_syms, "protection"));
		break;
	case K_MREMAP: {
		unsigned long old = (unsigned long)num(r, rc, &a, 0, NULL, "address");
		unsigned long olen = (unsigned long)num(r, rc, &a, 1, NULL, "length");
		unsigned long nlen = (unsigned long)num(r, rc, &a, 2, NULL, "length");
		unsigned long fl = (unsigned long)num(r, rc, &a, 3, strace_mremap_syms, "mremap flag");
		unsigned long naddr = a.n > 4 ? (unsigned long)num(r, rc, &a, 4, NULL, "address") : 0;
		rv = sys_mremap(mm, old, olen, nlen, fl, naddr);
		break;
	}
	case K_MADVISE:
		rv = sys_madvise(mm, (unsigned long)num(r, rc, &a, 0, NULL, "address"),
				 (unsigned long)num(r, rc, &a, 1, NULL, "length"),
				 (int)num(r, rc, &a, 2, strace_madv_syms, "advice"));
		break;
	case K_MLOCK:
		rv = sys_mlock(mm, (unsigned long)num(r, rc, &a, 0, NULL, "address"),
			       (unsigned long)num(r, rc, &a, 1, NULL, "length"));
		break;
	case K_MLOCK2:
		rv = sys_mlock2(mm, (unsigned long)num(r, rc, &a, 0, NULL, "address"),
				(unsigned long)num(r, rc, &a, 1, NULL, "length"),
				(int)num(r, rc, &a, 2, strace_mlock_syms, "mlock2 flag"));
		break;
	case K_MUNLOCK:
		rv = sys_munlock(mm, (unsigned long)num(r, rc, &a, 0, NULL, "address"),
				 (unsigned long)num(r, rc, &a, 1, NULL, "length"));
		break;
	case K_MLOCKALL:
		rv = sys_mlockall(mm, (int)num(r, rc, &a, 0, strace_mlock_syms, "mlockall flag"));
		break;
	case K_MUNLOCKALL:
		rv = sys_munlockall(mm);
		break;
	case K_SHMAT: {
		long id = num(r, rc, &a, 0, NULL, "shmid");
		unsigned long addr = (unsigned long)num(r, rc, &a, 1, NULL, "address");
		long fl = num(r, rc, &a, 2, NULL, "shmat flag");
		struct shmseg *s = shm_find(r, id);
		unsigned long prot = PROT_READ, mflags = MAP_SHARED;
		if (!s) {
			rv = -EINVAL;
			break;
		}
		if (!s->file) {
			char path[64];
			snprintf(path, sizeof(path), "/SYSV%08lx (deleted)", s->key & 0xffffffffUL);
			s->file = mmk_file_create(path, 0, 1, (unsigned long)id, (long long)s->size,
						  FMODE_READ | FMODE_WRITE);
			if (IS_ERR(s->file)) {
				s->file = NULL;
				die(r, 2, "out of memory");
			}
		}
		if (!(fl & 010000))
			prot |= PROT_WRITE;
		if (fl & 0100000)
			prot |= PROT_EXEC;
		if (addr) {
			if (addr & (PAGE_SIZE - 1)) {
				if (!(fl & 020000)) {
					rv = -EINVAL;
					break;
				}
				addr &= PAGE_MASK;
			}
			mflags |= MAP_FIXED;
			if (!(fl & 040000) && find_vma_intersection(mm, addr, addr + PAGE_ALIGN(s->size))) {
				rv = -EINVAL;
				break;
			}
		}
		rv = sys_mmap(mm, addr, s->size, prot, mflags, s->file, 0);
		break;
	}
	case K_SHMDT: {
		unsigned long addr = (unsigned long)num(r, rc, &a, 0, NULL, "address");
		struct vm_area_struct *vma = find_vma(mm, addr);
		rv = -EINVAL;
		if (vma && vma->vm_start == addr && vma->vm_file && !strncmp(vma->vm_file->f_path, "/SYSV", 5)) {
			long long sz = vma->vm_file->i_size;
			rv = sys_munmap(mm, addr, PAGE_ALIGN((unsigned long)sz));
		}
		break;
	}
	default:
		break;
	}
	args_free(&a);
	return rv;
}

static void do_mm(struct rp *r, struct rec *rc)
{
	struct proc *p = proc_get(r, rc->end_pid);
	struct task_struct *t = proc_task(p);
	long rv;

	if (!t || !t->mm || !p->modelled) {
		r->nskipped++;
		return;
	}
	r->line = rc->end_line;
	rv = mm_call(r, rc, p, t->mm);
	report(r, rc, p->pid, rv);
}

static void do_limits(struct rp *r, struct rec *rc, struct proc *p)
{
	struct args a = { 0 };
	long res, pid = 0;
	int ai = 0, li;
	char *cur;
	static const int map[] = { [2] = MMK_RLIMIT_DATA + 1, [3] = MMK_RLIMIT_STACK + 1,
				   [8] = MMK_RLIMIT_MEMLOCK + 1, [9] = MMK_RLIMIT_AS + 1 };
	struct task_struct *t = proc_task(p);

	if (rc->ev.ret_kind != STRACE_RET_VALUE || rc->ev.ret != 0 || !t || !t->mm)
		return;
	split(r, rc, &a);
	if (rc->k == K_PRLIMIT) {
		pid = num(r, rc, &a, 0, NULL, "pid");
		ai = 1;
	}
	res = num(r, rc, &a, ai, NULL, "resource");
	li = ai + 1;
	if ((pid != 0 && pid != p->pid && pid != p->tgid) || li >= a.n || !strcmp(a.v[li], "NULL") ||
	    res < 0 || res >= (long)(sizeof(map) / sizeof(map[0])) || !map[res]) {
		args_free(&a);
		return;
	}
	cur = strace_arg_field(a.v[li], "rlim_cur");
	if (cur) {
		long v;
		if (strace_arg_num(cur, NULL, &v, NULL, 0) == 0)
			t->mm->rlim[map[res] - 1] = (unsigned long)v;
		free(cur);
	}
	args_free(&a);
}

/* ---- the second pass ---------------------------------------------------------- */

static void progress(struct rp *r, int i)
{
	struct timespec now;
	double el, since;
	if (!r->o->progress || (i & 1023))
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	el = (double)(now.tv_sec - r->t0.tv_sec) + (double)(now.tv_nsec - r->t0.tv_nsec) / 1e9;
	since = (double)(now.tv_sec - r->tlast.tv_sec) + (double)(now.tv_nsec - r->tlast.tv_nsec) / 1e9;
	if (el < 1.0 || since < 0.25)
		return;
	r->tlast = now;
	fprintf(r->err, "\rmmkit replay: line %d of %d (%d%%), %ld calls modelled",
		r->recs[i].line, r->recs[r->nrecs - 1].line,
		(int)(100.0 * i / (r->nrecs ? r->nrecs : 1)), r->nmodelled);
	fflush(r->err);
	r->progress_shown = true;
}

static void play_call(struct rp *r, struct rec *rc)
{
	struct proc *p;
	enum kind k = rc->k;

	if (is_mm_kind(k)) {
		do_mm(r, rc);
		return;
	}
	if (k == K_EXECVE || k == K_EXECVEAT) {
		do_execve(r, rc);
		return;
	}
	if (k == K_OTHER)
		return;
	p = proc_get(r, rc->end_pid);
	switch (k) {
	case K_EXIT:
		proc_exit(r, p);
		break;
	case K_EXIT_GROUP:
		exit_group(r, p);
		break;
	case K_PERSONALITY: {
		struct args a = { 0 };
		long v;
		if (rc->ev.ret_kind != STRACE_RET_VALUE)
			break;
		split(r, rc, &a);
		v = num(r, rc, &a, 0, NULL, "personality");
		args_free(&a);
		if ((unsigned long)v != 0xffffffffUL)
			p->persona = (unsigned long)v;
		break;
	}
	case K_PRLIMIT:
	case K_SETRLIMIT:
		do_limits(r, rc, p);
		break;
	case K_SHMGET:
		do_shmget(r, rc);
		break;
	case K_READ:
	case K_SENDFILE:
	case K_COPY_FILE_RANGE:
		do_read(r, rc, p);
		break;
	default:
		if (p->exited)
			break;
		do_fdcall(r, rc, p);
	}
}

/* tell an observer about a call that changed (or could change) an address space */
static void step_done(struct rp *r, const struct rec *rc, int pid)
{
	struct mmk_replay_step st;
	enum kind k = rc->k;

	if (!r->o->on_step)
		return;
	if (!is_mm_kind(k) && !is_clone_kind(k) && k != K_EXECVE && k != K_EXECVEAT && k != K_EXIT &&
	    k != K_EXIT_GROUP)
		return;
	st.line = rc->end_line;
	st.pid = pid;
	st.syscall = rc->ev.name;
	st.model = r->reported ? r->last_model : "";
	st.trace = r->reported ? r->last_trace : "";
	st.match = r->reported ? r->last_match : -1;
	r->o->on_step(r->o->priv, &st);
}

static void pass2(struct rp *r)
{
	for (int i = 0; i < r->nrecs; i++) {
		struct rec *rc = &r->recs[i];
		progress(r, i);
		r->line = rc->line;
		r->reported = false;
		switch (rc->ev.type) {
		case STRACE_CALL:
			if (is_clone_kind(rc->k)) {
				proc_get(r, rc->ev.pid);
				do_clone(r, rc);
			} else {
				play_call(r, rc);
			}
			step_done(r, rc, rc->ev.pid);
			break;
		case STRACE_UNFINISHED:
			/* a clone happens where it starts: its child runs before it returns */
			proc_get(r, rc->ev.pid);
			if (is_clone_kind(rc->k) && rc->join >= 0) {
				do_clone(r, rc);
				step_done(r, rc, rc->ev.pid);
			}
			break;
		case STRACE_RESUMED: {
			struct rec *u = &r->recs[rc->join];
			if (!is_clone_kind(u->k)) {
				r->line = u->end_line;
				play_call(r, u);
				step_done(r, u, rc->ev.pid);
			}
			break;
		}
		case STRACE_EXITED:
		case STRACE_KILLED:
			proc_exit(r, proc_get(r, rc->ev.pid));
			break;
		case STRACE_SUPERSEDED: {
			/* thread N exec'd: it takes over the leader's pid */
			struct proc *leader = proc_get(r, rc->ev.pid), *th = proc_find(r, rc->ev.status);
			int li = imap_get(&r->pidmap, rc->ev.pid), ti = imap_get(&r->pidmap, rc->ev.status);
			if (th && th != leader && li >= 0 && ti >= 0) {
				proc_exit(r, leader);
				r->procs[li] = th;
				r->procs[ti] = leader;
				leader->pid = rc->ev.status;
				th->pid = rc->ev.pid;
			}
			break;
		}
		default:
			break;
		}
	}
	if (r->progress_shown)
		fprintf(r->err, "\r\033[K");
}

/* ---- entry point ------------------------------------------------------------ */

static void cleanup(struct rp *r)
{
	for (int i = 0; i < r->nprocs; i++) {
		struct proc *p = r->procs[i];
		if (!p)
			continue;
		if (p->t && !p->exited) {
			r->line = 0;
			proc_exit(r, p);
		}
	}
	for (int i = 0; i < r->nprocs; i++) {
		struct proc *p = r->procs[i];
		if (!p)
			continue;
		if (p->t && p->t->mmk_priv == p)
			p->t->mmk_priv = NULL; /* still alive: forget us before shutdown frees it */
		fdt_put(p->fdt);
		free(p->cwd);
		free(p);
	}
	free(r->procs);
	r->procs = NULL;
	r->nprocs = 0;
	for (int i = 0; i < r->nshm; i++)
		if (r->shm[i].file)
			fput(r->shm[i].file);
	free(r->shm);
	r->shm = NULL;
	r->nshm = 0;
	imap_free(&r->pidmap);
	for (int i = 0; i < r->nrecs; i++)
		strace_event_free(&r->recs[i].ev);
	free(r->recs);
	r->recs = NULL;
	r->nrecs = 0;
}

int mmk_replay(const char *name, const char *text, const struct mmk_replay_opts *opts)
{
	static struct rp rps; /* longjmp-safe storage */
	struct rp *r = &rps;
	static const struct mmk_replay_opts defaults = { .initial_aslr = -1 };
	volatile int booted = 0;
	volatile int rc = 0;

	memset(r, 0, sizeof(*r));
	r->name = name ? name : "<trace>";
	r->o = opts ? opts : &defaults;
	r->out = r->o->out ? r->o->out : stdout;
	r->err = r->o->err ? r->o->err : stderr;
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	r->tlast = r->t0;

	if (setjmp(r->fail)) {
		rc = r->fail_code;
		goto out;
	}
	pass1(r, text);
	r->initial_aslr = r->o->initial_aslr >= 0 ? r->o->initial_aslr : guess_initial_aslr(r);
	if (mmk_boot(4) != 0) {
		fprintf(r->err, "%s: cannot boot the simulated machine\n", r->name);
		rc = 2;
		goto out;
	}
	booted = 1;
	r->saved_hooks = mmk_hooks;
	memset(&mmk_hooks, 0, sizeof(mmk_hooks));
	mmk_hooks.priv = r;
	mmk_hooks.task_freed = hook_task_freed;
	mmk_hooks.warn = hook_warn;
	pass2(r);
	r->line = r->nrecs ? r->recs[r->nrecs - 1].end_line : 0;
	if (r->o->check && r->nchecked == 0 && r->nskipped > 0)
		fprintf(r->err, "%s: nothing was compared: every address-space call came from a process "
			"laid out with ASLR on (record under setarch -R)\n", r->name);
	if (r->o->check && r->nmismatch) {
		fprintf(r->err, "%s: %ld of %ld compared results differ\n", r->name, r->nmismatch, r->nchecked);
		rc = 1;
	}
out:
	cleanup(r);
	if (booted) {
		long leaked = mmk_shutdown();
		if (leaked) {
			fprintf(r->err, "%s: %ld objects still alive after the replay\n", r->name, leaked);
			if (!rc)
				rc = 1;
		}
		mmk_hooks = r->saved_hooks;
	}
	if (!rc && r->nwarn)
		rc = 1;
	fflush(r->out);
	return rc;
}

int mmk_replay_file(const char *path, const struct mmk_replay_opts *opts)
{
	FILE *err = opts && opts->err ? opts->err : stderr;
	bool is_stdin = !strcmp(path, "-");
	const char *name = is_stdin ? "<stdin>" : path;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	size_t cap = 1 << 16, len = 0;
	char *buf, *nul;
	int rc;

	if (!f) {
		fprintf(err, "%s: %s\n", path, strerror(errno));
		return 2;
	}
	buf = malloc(cap);
	for (;;) {
		size_t n;
		if (!buf) {
			fprintf(err, "%s: out of memory\n", name);
			if (!is_stdin)
				fclose(f);
			return 2;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
		if (len + 1 == cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				free(buf);
			buf = nb;
			cap *= 2;
		}
	}
	if (ferror(f)) {
		fprintf(err, "%s: read error: %s\n", name, strerror(errno));
		free(buf);
		if (!is_stdin)
			fclose(f);
		return 2;
	}
	if (!is_stdin)
		fclose(f);
	buf[len] = 0;
	if ((nul = memchr(buf, 0, len)) != NULL) {
		int line = 1;
		for (char *p = buf; p < nul; p++)
			line += *p == '\n';
		fprintf(err, "%s:%d: NUL byte in line\n", name, line);
		free(buf);
		return 2;
	}
	rc = mmk_replay(name, buf, opts);
	free(buf);
	return rc;
}
