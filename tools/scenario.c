/* SPDX-License-Identifier: MIT */
/*
 * tools/scenario.c - the scenario language: one command per line, `#`
 * starts a comment. The verbs are a contract (docs/scenario.md); each runs
 * the library's kernel function and records a result for `expect ret=`.
 *
 * The interpreter never touches freed library objects: it learns of freed
 * mms and tasks through mmk_hooks and keeps its own table of names. It also
 * keeps the references held "outside" (get/grab, the swapoff walk's pin), so
 * that --check can demand the counters add up exactly.
 */
#include "scenario.h"
#include "report.h"
#include <mmkit/mmkit.h>
#include <mmkit/page.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>

#define MAX_TOK 16

struct scn_task {
	char *name;
	struct task_struct *t; /* NULL once freed */
	bool dead;             /* exited (may still be current on a CPU) */
};

struct scn_mm {
	struct mm_struct *mm;  /* NULL once freed */
	bool freed;
	long ext_users, ext_count; /* outside holders */
};

enum res_kind { RES_NONE, RES_NUM, RES_ADDR, RES_ERRNO, RES_STR };

struct scn {
	const char *name;
	int line;
	int step;
	const struct scn_opts *o;
	FILE *out;
	struct scn_task *tasks;
	int ntasks, cap_tasks;
	struct scn_mm *mms;
	long nmms, cap_mms;
	enum res_kind rk;
	long rv;
	char *rs;
	/* swapoff walk in progress */
	struct unuse_walk walk;
	bool walking;
	struct mm_struct *walk_pin;
	/* warnings raised by the library during the current step */
	char warnbuf[1024];
	int nwarn;
	/* --trace output for the current step */
	char tracebuf[4096];
	size_t tracelen;
	jmp_buf fail;
	int fail_code;
	bool booted;
	struct report *rep;
};

/* ---- errors ------------------------------------------------------------- */

static void __attribute__((noreturn, format(printf, 3, 4))) die(struct scn *s, int code, const char *fmt, ...)
{
	va_list ap;
	fflush(s->out);
	fprintf(stderr, "%s:%d: ", s->name, s->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	s->fail_code = code;
	longjmp(s->fail, 1);
}

/* ---- hooks ---------------------------------------------------------------- */

static struct scn *cur;

static void hook_mm_freed(void *priv, struct mm_struct *mm)
{
	struct scn *s = priv;
	if (mm->mmk_id < (unsigned long)s->nmms && s->mms[mm->mmk_id].mm == mm) {
		s->mms[mm->mmk_id].mm = NULL;
		s->mms[mm->mmk_id].freed = true;
	}
}

static void hook_task_freed(void *priv, struct task_struct *t)
{
	struct scn *s = priv;
	for (int i = 0; i < s->ntasks; i++)
		if (s->tasks[i].t == t) {
			s->tasks[i].t = NULL;
			s->tasks[i].dead = true;
		}
}

static void hook_warn(void *priv, const char *msg)
{
	struct scn *s = priv;
	size_t len = strlen(s->warnbuf);
	if (len < sizeof(s->warnbuf) - 2)
		snprintf(s->warnbuf + len, sizeof(s->warnbuf) - len, "%s%s", len ? "; " : "", msg);
	s->nwarn++;
}

static void hook_trace(void *priv, const char *func, struct mm_struct *mm)
{
	struct scn *s = priv;
	if (!s->o->trace && !s->o->narrate && !s->o->html)
		return;
	if (s->tracelen < sizeof(s->tracebuf) - 64)
		s->tracelen += (size_t)snprintf(s->tracebuf + s->tracelen, sizeof(s->tracebuf) - s->tracelen,
						"%s%s(mm%lu)", s->tracelen ? " " : "", func, mm ? mm->mmk_id : 0UL);
}

/* learn about mms created by the last step */
static void note_mm(struct mm_struct *mm, void *arg)
{
	struct scn *s = arg;
	unsigned long id = mm->mmk_id;
	if (id >= (unsigned long)s->cap_mms) {
		long cap = s->cap_mms ? s->cap_mms : 16;
		while ((unsigned long)cap <= id)
			cap *= 2;
		s->mms = realloc(s->mms, (size_t)cap * sizeof(*s->mms));
		if (!s->mms) {
			fprintf(stderr, "mmkit: out of memory\n");
			exit(3);
		}
		memset(s->mms + s->cap_mms, 0, (size_t)(cap - s->cap_mms) * sizeof(*s->mms));
		s->cap_mms = cap;
	}
	if (id >= (unsigned long)s->nmms)
		s->nmms = (long)id + 1;
	if (!s->mms[id].mm && !s->mms[id].freed)
		s->mms[id].mm = mm;
}

static void sync_mms(struct scn *s)
{
	note_mm(&init_mm, s);
	mmk_for_each_mm(note_mm, s);
}

/* ---- names ---------------------------------------------------------------- */

static struct scn_task *find_task(struct scn *s, const char *name)
{
	for (int i = s->ntasks - 1; i >= 0; i--)
		if (strcmp(s->tasks[i].name, name) == 0)
			return &s->tasks[i];
	return NULL;
}

static struct scn_task *task_arg(struct scn *s, const char *name, bool alive)
{
	struct scn_task *st = find_task(s, name);
	if (!st)
		die(s, 2, "unknown task '%s'", name);
	if (alive && st->dead)
		die(s, 2, "task '%s' has exited", name);
	return st;
}

static void new_task(struct scn *s, const char *name, struct task_struct *t)
{
	struct scn_task *old = find_task(s, name);
	if (old && !old->dead)
		die(s, 2, "task '%s' already exists", name);
	if (s->ntasks == s->cap_tasks) {
		s->cap_tasks = s->cap_tasks ? 2 * s->cap_tasks : 16;
		s->tasks = realloc(s->tasks, (size_t)s->cap_tasks * sizeof(*s->tasks));
		if (!s->tasks) {
			fprintf(stderr, "mmkit: out of memory\n");
			exit(3);
		}
	}
	s->tasks[s->ntasks].name = strdup(name);
	s->tasks[s->ntasks].t = t;
	s->tasks[s->ntasks].dead = false;
	s->ntasks++;
	snprintf(t->comm, sizeof(t->comm), "%s", name);
}

static void check_name(struct scn *s, const char *name)
{
	if (!isalpha((unsigned char)name[0]) && name[0] != '_')
		die(s, 2, "bad task name '%s' (names start with a letter)", name);
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
			die(s, 2, "bad task name '%s'", name);
	if (strncmp(name, "mm", 2) == 0 && isdigit((unsigned char)name[2]))
		die(s, 2, "task name '%s' looks like an mm id", name);
}

static long parse_mm_id(const char *tok)
{
	if (strncmp(tok, "mm", 2) != 0 || !isdigit((unsigned char)tok[2]))
		return -1;
	char *end;
	errno = 0;
	long id = strtol(tok + 2, &end, 10);
	if (*end || errno || id < 0)
		return -1;
	return id;
}

/* an mm that may have been freed */
static struct scn_mm *mm_ref(struct scn *s, const char *tok)
{
	long id = parse_mm_id(tok);
	if (id < 0)
		die(s, 2, "bad mm id '%s' (mm0, mm1, ...)", tok);
	if (id >= s->nmms || (!s->mms[id].mm && !s->mms[id].freed))
		die(s, 2, "unknown mm '%s'", tok);
	return &s->mms[id];
}

/* an mm that must still exist */
static struct mm_struct *mm_arg(struct scn *s, const char *tok)
{
	struct scn_mm *m = mm_ref(s, tok);
	if (!m->mm)
		die(s, 2, "%s has been freed", tok);
	return m->mm;
}

static const char *mm_name(struct scn *s, const struct mm_struct *mm, char *buf, size_t len)
{
	(void)s;
	if (!mm)
		return "none";
	snprintf(buf, len, "mm%lu", mm->mmk_id);
	return buf;
}

/* ---- numbers, flags, errnos ---------------------------------------------- */

struct sym { const char *name; long val; };

static const struct sym prot_syms[] = {
	{ "PROT_NONE", PROT_NONE }, { "PROT_READ", PROT_READ }, { "PROT_WRITE", PROT_WRITE },
	{ "PROT_EXEC", PROT_EXEC }, { "PROT_GROWSDOWN", PROT_GROWSDOWN }, { "PROT_GROWSUP", PROT_GROWSUP },
	{ NULL, 0 } };
static const struct sym map_syms[] = {
	{ "MAP_SHARED", MAP_SHARED }, { "MAP_PRIVATE", MAP_PRIVATE },
	{ "MAP_SHARED_VALIDATE", MAP_SHARED_VALIDATE }, { "MAP_FIXED", MAP_FIXED },
	{ "MAP_ANONYMOUS", MAP_ANONYMOUS }, { "MAP_ANON", MAP_ANONYMOUS },
	{ "MAP_GROWSDOWN", MAP_GROWSDOWN }, { "MAP_DENYWRITE", MAP_DENYWRITE },
	{ "MAP_EXECUTABLE", MAP_EXECUTABLE }, { "MAP_LOCKED", MAP_LOCKED },
	{ "MAP_NORESERVE", MAP_NORESERVE }, { "MAP_POPULATE", MAP_POPULATE },
	{ "MAP_NONBLOCK", MAP_NONBLOCK }, { "MAP_STACK", MAP_STACK }, { "MAP_HUGETLB", MAP_HUGETLB },
	{ "MAP_SYNC", MAP_SYNC }, { "MAP_FIXED_NOREPLACE", MAP_FIXED_NOREPLACE },
	{ "MAP_UNINITIALIZED", MAP_UNINITIALIZED }, { "MAP_32BIT", MAP_32BIT }, { NULL, 0 } };
static const struct sym mremap_syms[] = {
	{ "MREMAP_MAYMOVE", MREMAP_MAYMOVE }, { "MREMAP_FIXED", MREMAP_FIXED },
	{ "MREMAP_DONTUNMAP", MREMAP_DONTUNMAP }, { NULL, 0 } };
static const struct sym madv_syms[] = {
	{ "MADV_NORMAL", MADV_NORMAL }, { "MADV_RANDOM", MADV_RANDOM },
	{ "MADV_SEQUENTIAL", MADV_SEQUENTIAL }, { "MADV_WILLNEED", MADV_WILLNEED },
	{ "MADV_DONTNEED", MADV_DONTNEED }, { "MADV_FREE", MADV_FREE }, { "MADV_REMOVE", MADV_REMOVE },
	{ "MADV_DONTFORK", MADV_DONTFORK }, { "MADV_DOFORK", MADV_DOFORK },
	{ "MADV_MERGEABLE", MADV_MERGEABLE }, { "MADV_UNMERGEABLE", MADV_UNMERGEABLE },
	{ "MADV_HUGEPAGE", MADV_HUGEPAGE }, { "MADV_NOHUGEPAGE", MADV_NOHUGEPAGE },
	{ "MADV_DONTDUMP", MADV_DONTDUMP }, { "MADV_DODUMP", MADV_DODUMP },
	{ "MADV_WIPEONFORK", MADV_WIPEONFORK }, { "MADV_KEEPONFORK", MADV_KEEPONFORK },
	{ "MADV_COLD", MADV_COLD }, { "MADV_PAGEOUT", MADV_PAGEOUT },
	{ "MADV_POPULATE_READ", MADV_POPULATE_READ }, { "MADV_POPULATE_WRITE", MADV_POPULATE_WRITE },
	{ NULL, 0 } };
static const struct sym mlock_syms[] = {
	{ "MLOCK_ONFAULT", MLOCK_ONFAULT }, { "MCL_CURRENT", MCL_CURRENT }, { "MCL_FUTURE", MCL_FUTURE },
	{ "MCL_ONFAULT", MCL_ONFAULT }, { NULL, 0 } };

static const struct sym errno_syms[] = {
	{ "EPERM", EPERM }, { "ENOENT", ENOENT }, { "ESRCH", ESRCH }, { "EINTR", EINTR },
	{ "EIO", EIO }, { "ENXIO", ENXIO }, { "E2BIG", E2BIG }, { "ENOEXEC", ENOEXEC },
	{ "EBADF", EBADF }, { "ECHILD", ECHILD }, { "EAGAIN", EAGAIN }, { "ENOMEM", ENOMEM },
	{ "EACCES", EACCES }, { "EFAULT", EFAULT }, { "EBUSY", EBUSY }, { "EEXIST", EEXIST },
	{ "ENODEV", ENODEV }, { "ENOTDIR", ENOTDIR }, { "EISDIR", EISDIR }, { "EINVAL", EINVAL },
	{ "ENFILE", ENFILE }, { "EMFILE", EMFILE }, { "ETXTBSY", ETXTBSY }, { "EFBIG", EFBIG },
	{ "ENOSPC", ENOSPC }, { "ERANGE", ERANGE }, { "ENOSYS", ENOSYS }, { "EOVERFLOW", EOVERFLOW },
	{ "EOPNOTSUPP", EOPNOTSUPP }, { NULL, 0 } };

static bool parse_ulong(const char *tok, unsigned long *v)
{
	char *end;
	if (!*tok || *tok == '-' || *tok == '+')
		return false;
	errno = 0;
	*v = strtoul(tok, &end, 0);
	return !*end && !errno;
}

static unsigned long num_arg(struct scn *s, const char *tok, const char *what)
{
	unsigned long v;
	if (!parse_ulong(tok, &v))
		die(s, 2, "bad %s '%s' (a number in C syntax)", what, tok);
	return v;
}

/* FLAG|FLAG|0x10 */
static long flags_arg(struct scn *s, const char *tok, const struct sym *syms, const char *what)
{
	long v = 0;
	char buf[256];
	if (strlen(tok) >= sizeof(buf))
		die(s, 2, "%s too long", what);
	strcpy(buf, tok);
	for (char *save = NULL, *p = strtok_r(buf, "|", &save); p; p = strtok_r(NULL, "|", &save)) {
		unsigned long n;
		const struct sym *sy;
		if (parse_ulong(p, &n)) {
			v |= (long)n;
			continue;
		}
		for (sy = syms; sy->name; sy++)
			if (strcmp(sy->name, p) == 0)
				break;
		if (!sy->name)
			die(s, 2, "unknown %s '%s'", what, p);
		v |= sy->val;
	}
	return v;
}

static const char *errno_name(long e)
{
	for (const struct sym *sy = errno_syms; sy->name; sy++)
		if (sy->val == e)
			return sy->name;
	return NULL;
}

/* ---- results -------------------------------------------------------------- */

static void set_num(struct scn *s, long v) { s->rk = RES_NUM; s->rv = v; }
static void set_none(struct scn *s) { s->rk = RES_NONE; }
static void set_sysret(struct scn *s, long v, bool addr)
{
	if (v < 0 && v >= -4095) {
		s->rk = RES_ERRNO;
		s->rv = -v;
	} else {
		s->rk = addr ? RES_ADDR : RES_NUM;
		s->rv = v;
	}
}

static void format_result(struct scn *s, char *buf, size_t len)
{
	switch (s->rk) {
	case RES_NONE: snprintf(buf, len, "-"); break;
	case RES_NUM: snprintf(buf, len, "%ld", s->rv); break;
	case RES_ADDR: snprintf(buf, len, "%#lx", (unsigned long)s->rv); break;
	case RES_ERRNO: {
		const char *n = errno_name(s->rv);
		if (n)
			snprintf(buf, len, "-%s", n);
		else
			snprintf(buf, len, "-%ld", s->rv);
		break;
	}
	case RES_STR: snprintf(buf, len, "\"%s\"", s->rs ? s->rs : ""); break;
	}
}

/* ---- state display -------------------------------------------------------- */

static void tasks_of(struct scn *s, struct mm_struct *mm, bool lazy, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = 0;
	for (int i = 0; i < s->ntasks; i++) {
		struct task_struct *t = s->tasks[i].t;
		if (!t)
			continue;
		bool match = lazy ? (t->active_mm == mm && t->mm != mm) : (t->mm == mm);
		if (match && n < len - 2)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "," : "", s->tasks[i].name);
	}
	if (lazy) {
		for (int cpu = 0; cpu < nr_cpu_ids; cpu++) {
			struct rq *rq = cpu_rq(cpu);
			if (rq->curr == rq->idle && rq->idle->active_mm == mm && n < len - 2)
				n += (size_t)snprintf(buf + n, len - n, "%sswapper/%d", n ? "," : "", cpu);
		}
	}
}

static bool on_mmlist(struct mm_struct *mm)
{
	return mm == &init_mm || !list_empty(&mm->mmlist);
}

static void show_state(struct scn *s)
{
	char a[512], b[512], nm[32];
	fprintf(s->out, "  %-5s %9s %9s  %-7s %-20s %s\n", "mm", "mm_users", "mm_count", "mmlist", "tasks", "borrowed by (lazy)");
	for (long id = 0; id < s->nmms; id++) {
		struct scn_mm *m = &s->mms[id];
		if (!m->mm && !m->freed)
			continue;
		snprintf(nm, sizeof(nm), "mm%ld", id);
		if (!m->mm) {
			fprintf(s->out, "  %-5s %9s %9s  %-7s %s\n", nm, "-", "-", "-", "(freed: back in mm_cachep)");
			continue;
		}
		tasks_of(s, m->mm, false, a, sizeof(a));
		tasks_of(s, m->mm, true, b, sizeof(b));
		char extra[96] = "";
		size_t el = 0;
		if (m->ext_users || m->ext_count)
			el += (size_t)snprintf(extra, sizeof(extra), "  held outside: %ld user(s), %ld grab(s)",
					       m->ext_users, m->ext_count);
		if (s->walking && s->walk_pin == m->mm)
			snprintf(extra + el, sizeof(extra) - el, "  pinned by swapoff (a user)");
		fprintf(s->out, "  %-5s %9d %9d  %-7s %-20s %s%s\n", nm, mm_users(m->mm), mm_count(m->mm),
			on_mmlist(m->mm) ? (id ? "yes" : "head") : "no", a[0] ? a : "-", b[0] ? b : "-", extra);
	}
	fprintf(s->out, "  CPUs:");
	for (int cpu = 0; cpu < nr_cpu_ids; cpu++) {
		struct rq *rq = cpu_rq(cpu);
		const char *tn = rq->curr == rq->idle ? "idle" : "?";
		for (int i = 0; i < s->ntasks; i++)
			if (s->tasks[i].t == rq->curr)
				tn = s->tasks[i].name;
		fprintf(s->out, " [%d] %s/%s", cpu, tn, mm_name(s, rq->curr->active_mm, nm, sizeof(nm)));
	}
	fprintf(s->out, "\n  mmlist_nr = %d\n", mmlist_nr);
}

static void compact_state(struct scn *s)
{
	fprintf(s->out, "       ");
	for (long id = 0; id < s->nmms; id++) {
		struct scn_mm *m = &s->mms[id];
		if (m->freed)
			fprintf(s->out, " mm%ld freed", id);
		else if (m->mm)
			fprintf(s->out, " mm%ld %d/%d", id, mm_users(m->mm), mm_count(m->mm));
	}
	fprintf(s->out, "   (mm_users/mm_count)\n");
}

static void json_tasklist(struct scn *s, struct mm_struct *mm, bool lazy)
{
	char buf[512];
	tasks_of(s, mm, lazy, buf, sizeof(buf));
	fputc('[', s->out);
	char *save = NULL;
	bool first = true;
	for (char *p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		if (!first)
			fputc(',', s->out);
		mmk_json_str(s->out, p);
		first = false;
	}
	fputc(']', s->out);
}

static void json_step(struct scn *s, const char *cmd)
{
	char res[128];
	fprintf(s->out, "{\"step\":%d,\"line\":%d,\"command\":", s->step, s->line);
	mmk_json_str(s->out, cmd);
	fprintf(s->out, ",\"result\":");
	switch (s->rk) {
	case RES_NONE: fputs("null", s->out); break;
	case RES_NUM: fprintf(s->out, "%ld", s->rv); break;
	default: format_result(s, res, sizeof(res)); mmk_json_str(s->out, res); break;
	}
	if (s->o->trace) {
		fprintf(s->out, ",\"trace\":");
		mmk_json_str(s->out, s->tracebuf);
	}
	fprintf(s->out, ",\"mmlist_nr\":%d,\"mms\":[", mmlist_nr);
	bool first = true;
	for (long id = 0; id < s->nmms; id++) {
		struct scn_mm *m = &s->mms[id];
		if (!m->mm && !m->freed)
			continue;
		fprintf(s->out, "%s{\"id\":\"mm%ld\",", first ? "" : ",", id);
		first = false;
		if (m->mm) {
			fprintf(s->out, "\"users\":%d,\"count\":%d,\"tasks\":", mm_users(m->mm), mm_count(m->mm));
			json_tasklist(s, m->mm, false);
			fprintf(s->out, ",\"lazy\":");
			json_tasklist(s, m->mm, true);
			fprintf(s->out, ",\"on_mmlist\":%s,\"freed\":false}", on_mmlist(m->mm) ? "true" : "false");
		} else {
			fprintf(s->out, "\"users\":0,\"count\":0,\"tasks\":[],\"lazy\":[],\"on_mmlist\":false,\"freed\":true}");
		}
	}
	fprintf(s->out, "]}\n");
}

/* ---- outside references for the checker ------------------------------------ */

static long ext_users(void *priv, const struct mm_struct *mm)
{
	struct scn *s = priv;
	long n = 0;
	if (mm->mmk_id < (unsigned long)s->nmms && s->mms[mm->mmk_id].mm == mm)
		n = s->mms[mm->mmk_id].ext_users;
	if (s->walking && s->walk_pin == mm)
		n++;
	return n;
}

static long ext_count(void *priv, const struct mm_struct *mm)
{
	struct scn *s = priv;
	if (mm->mmk_id < (unsigned long)s->nmms && s->mms[mm->mmk_id].mm == mm)
		return s->mms[mm->mmk_id].ext_count;
	return 0;
}

/* ---- expectations ---------------------------------------------------------- */

static bool mm_key(struct scn *s, struct mm_struct *mm, const char *key, long *v)
{
	static const struct { const char *k; size_t off; } ul[] = {
		{ "map_count", 0 }, /* handled below */
	};
	(void)ul;
	if (!strcmp(key, "users")) *v = mm_users(mm);
	else if (!strcmp(key, "count")) *v = mm_count(mm);
	else if (!strcmp(key, "map_count")) *v = mm->map_count;
	else if (!strcmp(key, "total_vm")) *v = (long)mm->total_vm;
	else if (!strcmp(key, "locked_vm")) *v = (long)mm->locked_vm;
	else if (!strcmp(key, "data_vm")) *v = (long)mm->data_vm;
	else if (!strcmp(key, "exec_vm")) *v = (long)mm->exec_vm;
	else if (!strcmp(key, "stack_vm")) *v = (long)mm->stack_vm;
	else if (!strcmp(key, "hiwater_vm")) *v = (long)mm->hiwater_vm;
	else if (!strcmp(key, "brk")) *v = (long)mm->brk;
	else if (!strcmp(key, "start_brk")) *v = (long)mm->start_brk;
	else if (!strcmp(key, "mmap_base")) *v = (long)mm->mmap_base;
	else if (!strcmp(key, "rss_anon")) *v = atomic_long_read(&mm->rss_stat[MM_ANONPAGES]);
	else if (!strcmp(key, "rss_file")) *v = atomic_long_read(&mm->rss_stat[MM_FILEPAGES]);
	else if (!strcmp(key, "rss_shmem")) *v = atomic_long_read(&mm->rss_stat[MM_SHMEMPAGES]);
	else if (!strcmp(key, "swapents")) *v = atomic_long_read(&mm->rss_stat[MM_SWAPENTS]);
	else if (!strcmp(key, "on_mmlist")) *v = on_mmlist(mm);
	else if (!strcmp(key, "pgtables_bytes")) *v = atomic_long_read(&mm->pgtables_bytes);
	else if (!strcmp(key, "rss")) *v = (long)mm->rss;
	else if (!strcmp(key, "hiwater_rss")) *v = (long)mm->hiwater_rss;
	else
		return false;
	(void)s;
	return true;
}

static void expect_fail(struct scn *s, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
static void expect_fail(struct scn *s, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	die(s, 1, "%s", msg);
}

static long parse_expected_ret(struct scn *s, const char *val, enum res_kind *kind, char **str)
{
	unsigned long u;
	*str = NULL;
	if (val[0] == '-' && isalpha((unsigned char)val[1])) {
		for (const struct sym *sy = errno_syms; sy->name; sy++)
			if (!strcmp(sy->name, val + 1)) {
				*kind = RES_ERRNO;
				return sy->val;
			}
		die(s, 2, "unknown errno '%s'", val);
	}
	if (val[0] == '-' && parse_ulong(val + 1, &u)) {
		*kind = RES_ERRNO;
		return (long)u;
	}
	if (val[0] == '"') {
		*kind = RES_STR;
		*str = (char *)val;
		return 0;
	}
	if (!strcmp(val, "none") || !strcmp(val, "-")) {
		*kind = RES_NONE;
		return 0;
	}
	if (!parse_ulong(val, &u))
		die(s, 2, "bad expected result '%s'", val);
	*kind = RES_NUM;
	return (long)u;
}

static void do_expect(struct scn *s, char **tok, int n, const char *rest)
{
	if (n < 2)
		die(s, 2, "expect what?");
	const char *what = tok[1];
	char nm[32], got[128];

	/* expect mmlist_nr=N / expect ret=V */
	if (!strncmp(what, "mmlist_nr=", 10)) {
		long want = (long)num_arg(s, what + 10, "count");
		if (want != mmlist_nr)
			expect_fail(s, "expected mmlist_nr=%ld, got mmlist_nr=%d", want, mmlist_nr);
		return;
	}
	if (!strncmp(what, "ret=", 4)) {
		enum res_kind k;
		char *str;
		const char *val = strstr(rest, "ret=") + 4;
		long want = parse_expected_ret(s, val[0] == '"' ? val : what + 4, &k, &str);
		format_result(s, got, sizeof(got));
		bool ok;
		if (k == RES_STR) {
			char buf[1024];
			snprintf(buf, sizeof(buf), "\"%s\"", s->rs ? s->rs : "");
			ok = s->rk == RES_STR && !strcmp(buf, val);
		} else if (k == RES_NUM) {
			ok = (s->rk == RES_NUM || s->rk == RES_ADDR) && s->rv == want;
		} else {
			ok = s->rk == k && (k == RES_NONE || s->rv == want);
		}
		if (!ok)
			expect_fail(s, "expected ret=%s, got ret=%s", k == RES_STR ? val : what + 4, got);
		return;
	}
	/* expect T.mm=MM / expect T.active_mm=MM */
	const char *dot = strchr(what, '.');
	if (dot && parse_mm_id(what) < 0) {
		char tname[128];
		size_t tl = (size_t)(dot - what);
		if (tl >= sizeof(tname))
			die(s, 2, "task name too long");
		memcpy(tname, what, tl);
		tname[tl] = 0;
		struct scn_task *st = task_arg(s, tname, false);
		const char *eq = strchr(dot, '=');
		if (!eq)
			die(s, 2, "expect %s: missing '='", what);
		bool active = !strncmp(dot + 1, "active_mm=", 10);
		if (!active && strncmp(dot + 1, "mm=", 3))
			die(s, 2, "expect %s: only .mm= and .active_mm=", what);
		struct mm_struct *have = NULL;
		if (st->t)
			have = active ? st->t->active_mm : st->t->mm;
		const char *want = eq + 1;
		const char *hn = mm_name(s, have, nm, sizeof(nm));
		if (strcmp(want, "none") != 0)
			(void)mm_ref(s, want); /* must name a known mm */
		if (strcmp(hn, want) != 0)
			expect_fail(s, "expected %s, got %s.%s=%s", what, tname, active ? "active_mm" : "mm", hn);
		return;
	}
	/* expect MM key=val ... | expect MM freed | expect MM alive */
	struct scn_mm *m = mm_ref(s, what);
	if (n < 3)
		die(s, 2, "expect %s what? (users=N count=N, freed, alive)", what);
	for (int i = 2; i < n; i++) {
		if (!strcmp(tok[i], "freed")) {
			if (!m->freed)
				expect_fail(s, "expected %s freed, got users=%d count=%d", what, mm_users(m->mm), mm_count(m->mm));
			continue;
		}
		if (!strcmp(tok[i], "alive")) {
			if (m->freed)
				expect_fail(s, "expected %s alive, got freed", what);
			continue;
		}
		char *eq = strchr(tok[i], '=');
		if (!eq)
			die(s, 2, "bad expectation '%s' (key=value)", tok[i]);
		*eq = 0;
		long want;
		unsigned long u;
		if (!parse_ulong(eq + 1, &u))
			die(s, 2, "bad value '%s' for %s", eq + 1, tok[i]);
		want = (long)u;
		if (m->freed) {
			if ((!strcmp(tok[i], "users") || !strcmp(tok[i], "count")) && want == 0)
				continue;
			expect_fail(s, "expected %s %s=%ld, got freed", what, tok[i], want);
		}
		long have;
		if (!mm_key(s, m->mm, tok[i], &have))
			die(s, 2, "unknown mm key '%s'", tok[i]);
		if (have != want) {
			/* report every counter for context */
			expect_fail(s, "expected %s %s=%ld, got %s=%ld (users=%d count=%d)", what, tok[i], want, tok[i],
				    have, mm_users(m->mm), mm_count(m->mm));
		}
	}
}

/* ---- commands -------------------------------------------------------------- */

static struct task_struct *cpu_task(struct scn *s, struct scn_task *st)
{
	if (!st->t || st->dead)
		die(s, 2, "task '%s' has exited", st->name);
	return st->t;
}

static void need(struct scn *s, int n, int want, const char *usage)
{
	if (n != want)
		die(s, 2, "usage: %s", usage);
}

static struct task_struct *user_task_arg(struct scn *s, const char *name)
{
	struct task_struct *t = cpu_task(s, task_arg(s, name, true));
	if (!t->mm || (t->flags & PF_KTHREAD))
		die(s, 2, "task '%s' has no address space of its own", name);
	if (t->state == TASK_VFORK)
		die(s, 2, "task '%s' is asleep in vfork", name);
	return t;
}

static void print_seq(struct scn *s, struct seq_file *m)
{
	if (m->error)
		die(s, 2, "out of memory formatting output");
	if (m->buf)
		fputs(m->buf, s->out);
	seq_release(m);
}

/* "text" with \\n \\t \\\\ \\" \\xNN escapes, or a bare word; returns the length */
static size_t unquote(struct scn *s, const char *tok, char *out, size_t cap)
{
	size_t n = 0;
	const char *p = tok;
	bool quoted = *p == '"';
	if (quoted)
		p++;
	while (*p && !(quoted && *p == '"')) {
		char c = *p++;
		if (c == '\\' && *p) {
			char e = *p++;
			if (e == 'n')
				c = '\n';
			else if (e == 't')
				c = '\t';
			else if (e == '0')
				c = 0;
			else if (e == 'x' && isxdigit((unsigned char)p[0]) && isxdigit((unsigned char)p[1])) {
				char hex[3] = { p[0], p[1], 0 };
				c = (char)strtol(hex, NULL, 16);
				p += 2;
			} else
				c = e;
		}
		if (n == cap)
			die(s, 2, "text too long");
		out[n++] = c;
	}
	if (quoted && *p != '"')
		die(s, 2, "unterminated string");
	return n;
}

/* bytes as the result string: printable ASCII as is, the rest escaped */
static void set_bytes(struct scn *s, const unsigned char *b, size_t n)
{
	char *o = malloc(n * 4 + 1);
	size_t k = 0;
	if (!o)
		die(s, 2, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (b[i] == '"' || b[i] == '\\') {
			o[k++] = '\\';
			o[k++] = (char)b[i];
		} else if (b[i] >= 0x20 && b[i] < 0x7f) {
			o[k++] = (char)b[i];
		} else {
			k += (size_t)sprintf(o + k, "\\x%02x", b[i]);
		}
	}
	o[k] = 0;
	free(s->rs);
	s->rs = o;
	s->rk = RES_STR;
}

static void run_command(struct scn *s, char **tok, int n, const char *rest)
{
	const char *v = tok[0];
	struct task_struct *t;

	/* `expect ret=` looks at the last command that had a result */
	if (strcmp(v, "expect") && strcmp(v, "show") && strcmp(v, "mmlist") && strcmp(v, "slabinfo"))
		set_none(s);
	if (!strcmp(v, "proc")) {
		need(s, n, 2, "proc P");
		check_name(s, tok[1]);
		if (find_task(s, tok[1]) && !find_task(s, tok[1])->dead)
			die(s, 2, "task '%s' already exists", tok[1]);
		t = mmk_spawn(tok[1]);
		if (IS_ERR(t))
			die(s, 2, "proc: %s", strerror((int)-PTR_ERR(t)));
		new_task(s, tok[1], t);
	} else if (!strcmp(v, "thread") || !strcmp(v, "fork") || !strcmp(v, "vfork") || !strcmp(v, "clone")) {
		unsigned long flags = 0;
		if (!strcmp(v, "clone")) {
			need(s, n, 4, "clone C P FLAGS");
			flags = (unsigned long)num_arg(s, tok[3], "clone flags");
		} else {
			need(s, n, 3, !strcmp(v, "thread") ? "thread T P" : !strcmp(v, "fork") ? "fork C P" : "vfork C P");
		}
		if (!strcmp(v, "thread"))
			flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD;
		else if (!strcmp(v, "vfork"))
			flags = CLONE_VM | CLONE_VFORK;
		check_name(s, tok[1]);
		struct scn_task *p = task_arg(s, tok[2], true);
		if (find_task(s, tok[1]) && !find_task(s, tok[1])->dead)
			die(s, 2, "task '%s' already exists", tok[1]);
		t = cpu_task(s, p);
		if (t->flags & PF_IDLE)
			die(s, 2, "cannot clone an idle task");
		if (t->state == TASK_VFORK)
			die(s, 2, "task '%s' is asleep in vfork", tok[2]);
		struct task_struct *c = kernel_clone(t, flags, tok[1]);
		if (IS_ERR(c)) {
			if (PTR_ERR(c) == -EINVAL)
				die(s, 2, "%s: invalid clone flags", v);
			set_sysret(s, PTR_ERR(c), false);
		} else {
			new_task(s, tok[1], c);
			set_num(s, c->pid);
		}
	} else if (!strcmp(v, "kthread")) {
		need(s, n, 2, "kthread K");
		check_name(s, tok[1]);
		if (find_task(s, tok[1]) && !find_task(s, tok[1])->dead)
			die(s, 2, "task '%s' already exists", tok[1]);
		t = kthread_create(tok[1]);
		if (IS_ERR(t))
			die(s, 2, "kthread: out of memory");
		new_task(s, tok[1], t);
	} else if (!strcmp(v, "exec")) {
		need(s, n, 2, "exec T");
		t = cpu_task(s, task_arg(s, tok[1], true));
		if (t->state == TASK_VFORK)
			die(s, 2, "task '%s' is asleep in vfork", tok[1]);
		long r = mmk_exec(t);
		if (r)
			set_sysret(s, r, false);
		else
			set_num(s, 0);
		/* de_thread may have killed siblings */
		for (int i = 0; i < s->ntasks; i++)
			if (s->tasks[i].t && s->tasks[i].t->state == TASK_DEAD)
				s->tasks[i].dead = true;
	} else if (!strcmp(v, "exit")) {
		need(s, n, 2, "exit T");
		struct scn_task *st = task_arg(s, tok[1], false);
		if (st->dead)
			die(s, 2, "task '%s' has already exited", tok[1]);
		t = st->t;
		if (t->state == TASK_VFORK)
			die(s, 2, "task '%s' is asleep in vfork until its child execs or exits", tok[1]);
		st->dead = true;
		if (do_exit(t))
			die(s, 2, "exit %s: impossible", tok[1]);
		set_num(s, 0);
	} else if (!strcmp(v, "run")) {
		need(s, n, 3, "run CPU T");
		unsigned long cpu = num_arg(s, tok[1], "CPU");
		if (cpu >= (unsigned long)nr_cpu_ids)
			die(s, 2, "no CPU %lu (there are %d)", cpu, nr_cpu_ids);
		struct scn_task *st;
		if (!strcmp(tok[2], "idle"))
			t = cpu_rq((int)cpu)->idle;
		else {
			st = task_arg(s, tok[2], false);
			if (st->dead)
				die(s, 2, "cannot run '%s': it has exited", tok[2]);
			t = st->t;
		}
		if (t->state == TASK_VFORK)
			die(s, 2, "cannot run '%s': asleep in vfork", tok[2]);
		if (t->on_cpu >= 0 && t->on_cpu != (int)cpu)
			die(s, 2, "cannot run '%s' on CPU %lu: it is current on CPU %d", tok[2], cpu, t->on_cpu);
		if (mmk_schedule((int)cpu, t))
			die(s, 2, "cannot run '%s'", tok[2]);
	} else if (!strcmp(v, "use_mm")) {
		need(s, n, 3, "use_mm K MM");
		t = cpu_task(s, task_arg(s, tok[1], true));
		if (!(t->flags & PF_KTHREAD))
			die(s, 2, "use_mm: '%s' is not a kernel thread", tok[1]);
		if (t->on_cpu < 0)
			die(s, 2, "use_mm: '%s' is not current on a CPU (run it first)", tok[1]);
		if (t->mm)
			die(s, 2, "use_mm: '%s' already uses an mm", tok[1]);
		struct mm_struct *mm = mm_arg(s, tok[2]);
		if (mm == &init_mm || mm_users(mm) == 0)
			die(s, 2, "use_mm: %s has no address space to use", tok[2]);
		kthread_use_mm(t, mm);
	} else if (!strcmp(v, "unuse_mm")) {
		need(s, n, 2, "unuse_mm K");
		t = cpu_task(s, task_arg(s, tok[1], true));
		if (!(t->flags & PF_KTHREAD))
			die(s, 2, "unuse_mm: '%s' is not a kernel thread", tok[1]);
		if (t->on_cpu < 0)
			die(s, 2, "unuse_mm: '%s' is not current on a CPU", tok[1]);
		if (!t->mm)
			die(s, 2, "unuse_mm: '%s' uses no mm", tok[1]);
		kthread_unuse_mm(t, t->mm);
	} else if (!strcmp(v, "get")) {
		need(s, n, 2, "get MM");
		struct scn_mm *m = mm_ref(s, tok[1]);
		if (!m->mm)
			die(s, 2, "get %s: it has been freed (mmget_not_zero needs a reference to the struct)", tok[1]);
		bool ok = mmget_not_zero(m->mm);
		if (ok)
			m->ext_users++;
		set_num(s, ok);
	} else if (!strcmp(v, "put")) {
		need(s, n, 2, "put MM");
		struct scn_mm *m = mm_ref(s, tok[1]);
		if (!m->mm)
			die(s, 2, "put %s: it has been freed", tok[1]);
		if (m->ext_users <= 0)
			die(s, 2, "put %s: no outside user reference is held (get it first)", tok[1]);
		m->ext_users--;
		mmput(m->mm);
	} else if (!strcmp(v, "grab")) {
		need(s, n, 2, "grab MM");
		struct scn_mm *m = mm_ref(s, tok[1]);
		if (!m->mm)
			die(s, 2, "grab %s: it has been freed", tok[1]);
		m->ext_count++;
		mmgrab(m->mm);
	} else if (!strcmp(v, "drop")) {
		need(s, n, 2, "drop MM");
		struct scn_mm *m = mm_ref(s, tok[1]);
		if (!m->mm)
			die(s, 2, "drop %s: it has been freed", tok[1]);
		if (m->ext_count <= 0)
			die(s, 2, "drop %s: no outside reference is held (grab it first)", tok[1]);
		m->ext_count--;
		mmdrop(m->mm);
	} else if (!strcmp(v, "swapoff")) {
		/* swapoff            the whole walk
		 * swapoff begin      pin init_mm, stand at the head of mmlist
		 * swapoff step       pin the next live mm, put the previous; ret = the mm or none
		 * swapoff end        stop, put what is pinned */
		const char *how = n > 1 ? tok[1] : "all";
		if (n > 2)
			die(s, 2, "usage: swapoff [begin|step|end]");
		struct mmk_swapinfo si;
		mmk_swap_info(&si);
		if (!strcmp(how, "all") && si.on) {
			/* sys_swapoff: the walk brings every page back, then the area goes */
			if (s->walking)
				die(s, 2, "swapoff: a stepwise walk is in progress");
			set_sysret(s, mmk_swapoff(), false);
		} else if (!strcmp(how, "all")) {
			if (s->walking)
				die(s, 2, "swapoff: a stepwise walk is in progress");
			long visited = 0;
			struct unuse_walk w;
			struct mm_struct *mm;
			unuse_walk_start(&w);
			while ((mm = unuse_walk_next(&w)) != NULL) {
				visited++;
				if (mmk_hooks.unuse_mm)
					mmk_hooks.unuse_mm(mmk_hooks.priv, mm);
			}
			set_num(s, visited);
		} else if (!strcmp(how, "begin")) {
			if (s->walking)
				die(s, 2, "swapoff begin: a walk is already in progress");
			unuse_walk_start(&s->walk);
			s->walking = true;
			s->walk_pin = &init_mm;
		} else if (!strcmp(how, "step")) {
			if (!s->walking)
				die(s, 2, "swapoff step: no walk in progress (swapoff begin)");
			struct mm_struct *mm = unuse_walk_next(&s->walk);
			s->walk_pin = mm;
			if (mm && si.on && mmk_unuse_mm(mm))
				die(s, 1, "swapoff step: out of memory bringing mm%lu's pages back", mm->mmk_id);
			if (!mm) {
				s->walking = false;
				set_none(s);
			} else {
				s->rk = RES_STR;
				free(s->rs);
				char buf[32];
				snprintf(buf, sizeof(buf), "mm%lu", mm->mmk_id);
				s->rs = strdup(buf);
			}
		} else if (!strcmp(how, "end")) {
			if (!s->walking)
				die(s, 2, "swapoff end: no walk in progress");
			unuse_walk_end(&s->walk);
			s->walking = false;
			s->walk_pin = NULL;
		} else {
			die(s, 2, "usage: swapoff [begin|step|end]");
		}
	} else if (!strcmp(v, "show")) {
		show_state(s);
	} else if (!strcmp(v, "mmlist")) {
		struct list_head *p;
		fprintf(s->out, "  init_mm.mmlist: mm0");
		list_for_each(p, &init_mm.mmlist) fprintf(s->out, " -> mm%lu", list_entry(p, struct mm_struct, mmlist)->mmk_id);
		fprintf(s->out, "\n");
	} else if (!strcmp(v, "slabinfo")) {
		fflush(s->out);
		slabinfo_show(s->out);
	} else if (!strcmp(v, "expect")) {
		do_expect(s, tok, n, rest);
	} else if (!strcmp(v, "policy")) {
		need(s, n, 2, "policy mmlist=seed|modern");
		if (!strcmp(tok[1], "mmlist=seed"))
			sysctl_mmlist_policy = MMLIST_SEED;
		else if (!strcmp(tok[1], "mmlist=modern"))
			sysctl_mmlist_policy = MMLIST_MODERN;
		else
			die(s, 2, "unknown policy '%s'", tok[1]);
	} else if (!strcmp(v, "mmap")) {
		if (n != 6 && n != 8)
			die(s, 2, "usage: mmap T ADDR LEN PROT FLAGS [PATH OFFSET]");
		t = user_task_arg(s, tok[1]);
		unsigned long addr = num_arg(s, tok[2], "address"), len = num_arg(s, tok[3], "length");
		long prot = flags_arg(s, tok[4], prot_syms, "protection");
		long flags = flags_arg(s, tok[5], map_syms, "mmap flag");
		struct file *f = NULL;
		unsigned long off = 0;
		if (n == 8) {
			f = mmk_file_open(tok[6], FMODE_READ);
			if (IS_ERR(f))
				die(s, 2, "mmap: cannot open '%s': %s", tok[6], strerror((int)-PTR_ERR(f)));
			off = num_arg(s, tok[7], "offset");
		}
		long r = sys_mmap(t->mm, addr, len, (unsigned long)prot, (unsigned long)flags, f, off);
		if (f)
			fput(f);
		set_sysret(s, r, true);
	} else if (!strcmp(v, "munmap")) {
		need(s, n, 4, "munmap T ADDR LEN");
		t = user_task_arg(s, tok[1]);
		set_sysret(s, sys_munmap(t->mm, num_arg(s, tok[2], "address"), num_arg(s, tok[3], "length")), false);
	} else if (!strcmp(v, "mprotect")) {
		need(s, n, 5, "mprotect T ADDR LEN PROT");
		t = user_task_arg(s, tok[1]);
		set_sysret(s, sys_mprotect(t->mm, num_arg(s, tok[2], "address"), num_arg(s, tok[3], "length"),
					   (unsigned long)flags_arg(s, tok[4], prot_syms, "protection")), false);
	} else if (!strcmp(v, "mremap")) {
		if (n != 6 && n != 7)
			die(s, 2, "usage: mremap T ADDR OLDLEN NEWLEN FLAGS [NEWADDR]");
		t = user_task_arg(s, tok[1]);
		set_sysret(s, sys_mremap(t->mm, num_arg(s, tok[2], "address"), num_arg(s, tok[3], "length"),
					 num_arg(s, tok[4], "length"), (unsigned long)flags_arg(s, tok[5], mremap_syms, "mremap flag"),
					 n == 7 ? num_arg(s, tok[6], "address") : 0), true);
	} else if (!strcmp(v, "brk")) {
		need(s, n, 3, "brk T ADDR");
		t = user_task_arg(s, tok[1]);
		s->rk = RES_ADDR;
		s->rv = (long)sys_brk(t->mm, num_arg(s, tok[2], "address"));
	} else if (!strcmp(v, "madvise")) {
		need(s, n, 5, "madvise T ADDR LEN ADVICE");
		t = user_task_arg(s, tok[1]);
		set_sysret(s, sys_madvise(t->mm, num_arg(s, tok[2], "address"), num_arg(s, tok[3], "length"),
					  (int)flags_arg(s, tok[4], madv_syms, "advice")), false);
	} else if (!strcmp(v, "mlock") || !strcmp(v, "munlock") || !strcmp(v, "mlock2")) {
		bool two = !strcmp(v, "mlock2");
		if (n != (two ? 5 : 4))
			die(s, 2, two ? "usage: mlock2 T ADDR LEN FLAGS" : "usage: %s T ADDR LEN", v);
		t = user_task_arg(s, tok[1]);
		unsigned long a = num_arg(s, tok[2], "address"), l = num_arg(s, tok[3], "length");
		long r = two ? sys_mlock2(t->mm, a, l, (int)flags_arg(s, tok[4], mlock_syms, "mlock flag"))
			 : !strcmp(v, "mlock") ? sys_mlock(t->mm, a, l) : sys_munlock(t->mm, a, l);
		set_sysret(s, r, false);
	} else if (!strcmp(v, "mlockall")) {
		need(s, n, 3, "mlockall T FLAGS");
		t = user_task_arg(s, tok[1]);
		set_sysret(s, sys_mlockall(t->mm, (int)flags_arg(s, tok[2], mlock_syms, "mlockall flag")), false);
	} else if (!strcmp(v, "munlockall")) {
		need(s, n, 2, "munlockall T");
		t = user_task_arg(s, tok[1]);
		set_sysret(s, sys_munlockall(t->mm), false);
	} else if (!strcmp(v, "maps") || !strcmp(v, "smaps") || !strcmp(v, "status") ||
		   !strcmp(v, "smaps_rollup") || !strcmp(v, "statm")) {
		need(s, n, 2, "maps|smaps|smaps_rollup|status|statm T");
		t = user_task_arg(s, tok[1]);
		struct seq_file m;
		seq_init(&m);
		/* the show_* functions pin the mm and take mmap_sem themselves */
		if (!strcmp(v, "maps"))
			show_maps(&m, t->mm);
		else if (!strcmp(v, "smaps"))
			show_smaps(&m, t->mm);
		else if (!strcmp(v, "smaps_rollup"))
			show_smaps_rollup(&m, t->mm);
		else if (!strcmp(v, "status"))
			proc_pid_status_vm(&m, t->mm);
		else
			proc_pid_statm(&m, t->mm);
		print_seq(s, &m);
	} else if (!strcmp(v, "write")) {
		need(s, n, 4, "write T ADDR TEXT");
		t = user_task_arg(s, tok[1]);
		char buf[1024];
		size_t len = unquote(s, tok[3], buf, sizeof(buf));
		set_sysret(s, mmk_copy_to_user(t->mm, num_arg(s, tok[2], "address"), buf, len), false);
	} else if (!strcmp(v, "read")) {
		need(s, n, 4, "read T ADDR LEN");
		t = user_task_arg(s, tok[1]);
		unsigned long len = num_arg(s, tok[3], "length");
		if (len > 65536)
			die(s, 2, "read: at most 65536 bytes at a time");
		unsigned char *buf = calloc(1, len ? len : 1);
		if (!buf)
			die(s, 2, "out of memory");
		long r = mmk_copy_from_user(t->mm, buf, num_arg(s, tok[2], "address"), len);
		if (r)
			set_sysret(s, r, false);
		else
			set_bytes(s, buf, len);
		free(buf);
	} else if (!strcmp(v, "touch")) {
		need(s, n, 5, "touch T ADDR LEN r|w");
		t = user_task_arg(s, tok[1]);
		bool w = !strcmp(tok[4], "w");
		if (!w && strcmp(tok[4], "r"))
			die(s, 2, "touch: r or w, not '%s'", tok[4]);
		unsigned long a = num_arg(s, tok[2], "address"), len = num_arg(s, tok[3], "length");
		long r = 0;
		for (unsigned long p = a & PAGE_MASK; len && p < a + len && !r; p += PAGE_SIZE) {
			r = mmk_fault(t->mm, p, w);
			if (p + PAGE_SIZE < p)
				break;
		}
		set_sysret(s, r, false);
	} else if (!strcmp(v, "meminfo")) {
		struct mmk_meminfo mi;
		struct mmk_swapinfo si;
		mmk_mem_info(&mi);
		mmk_swap_info(&si);
		fprintf(s->out, "  RAM %lu frames: %lu free, %lu used (%lu page cache, %lu page tables), %lu reserved\n",
			mi.total, mi.free, mi.used, mi.pagecache, mi.pgtables, mi.reserved);
		fprintf(s->out, "  SwapTotal: %lu kB  SwapFree: %lu kB  (%lu swapped out, %lu swapped in)\n",
			si.total * 4, si.free * 4, si.swapouts, si.swapins);
	} else if (!strcmp(v, "swapon")) {
		need(s, n, 2, "swapon PAGES");
		set_sysret(s, mmk_swapon(num_arg(s, tok[1], "page count")), false);
	} else if (!strcmp(v, "swapout")) {
		need(s, n, 2, "swapout T|all");
		if (!strcmp(tok[1], "all")) {
			set_sysret(s, mmk_swapout_all(), false);
		} else {
			t = user_task_arg(s, tok[1]);
			set_sysret(s, mmk_swapout_mm(t->mm), false);
		}
	} else if (!strcmp(v, "reclaim")) {
		need(s, n, 2, "reclaim FRAMES");
		set_num(s, mmk_swap_reclaim((long)num_arg(s, tok[1], "frame count")));
	} else if (!strcmp(v, "mem")) {
		need(s, n, 2, "mem PAGES (the size of simulated RAM; before anything is mapped)");
		set_sysret(s, mmk_mem_init(num_arg(s, tok[1], "page count") * PAGE_SIZE), false);
	} else if (!strcmp(v, "sysctl")) {
		need(s, n, 2, "sysctl NAME=VALUE");
		char *eq = strchr(tok[1], '=');
		if (!eq)
			die(s, 2, "usage: sysctl NAME=VALUE");
		*eq = 0;
		unsigned long val = num_arg(s, eq + 1, "value");
		if (!strcmp(tok[1], "max_map_count"))
			sysctl_max_map_count = (int)val;
		else if (!strcmp(tok[1], "mmap_min_addr"))
			mmap_min_addr = val;
		else if (!strcmp(tok[1], "legacy_va_layout"))
			sysctl_legacy_va_layout = (int)val;
		else
			die(s, 2, "unknown sysctl '%s'", tok[1]);
	} else if (!strcmp(v, "rlimit")) {
		need(s, n, 4, "rlimit T AS|DATA|STACK|MEMLOCK VALUE|unlimited");
		t = user_task_arg(s, tok[1]);
		int which = !strcmp(tok[2], "AS") ? MMK_RLIMIT_AS : !strcmp(tok[2], "DATA") ? MMK_RLIMIT_DATA
			  : !strcmp(tok[2], "STACK") ? MMK_RLIMIT_STACK : !strcmp(tok[2], "MEMLOCK") ? MMK_RLIMIT_MEMLOCK : -1;
		if (which < 0)
			die(s, 2, "unknown rlimit '%s'", tok[2]);
		t->mm->rlim[which] = !strcmp(tok[3], "unlimited") ? MMK_RLIM_INFINITY : num_arg(s, tok[3], "limit");
	} else {
		die(s, 2, "unknown command '%s'", v);
	}
}

/* ---- HTML report snapshot ------------------------------------------------- */

static void report_snapshot(struct scn *s, const char *cmd, const char *verb)
{
	struct rep_mm *rm = calloc((size_t)(s->nmms ? s->nmms : 1), sizeof(*rm));
	char (*names)[24] = calloc((size_t)(s->nmms ? s->nmms : 1), sizeof(*names));
	char (*tasks)[256] = calloc((size_t)(s->nmms ? s->nmms : 1), sizeof(*tasks));
	char (*lazy)[256] = calloc((size_t)(s->nmms ? s->nmms : 1), sizeof(*lazy));
	char (*outside)[96] = calloc((size_t)(s->nmms ? s->nmms : 1), sizeof(*outside));
	struct seq_file *seqs = calloc((size_t)(s->nmms ? s->nmms : 1), sizeof(*seqs));
	char res[128], cpus[512], nm[32];
	int n = 0;
	size_t cl = 0;
	size_t keep = s->tracelen; /* show_maps below pins the mm: not the step's calls */

	if (!rm || !names || !tasks || !lazy || !outside || !seqs) {
		fprintf(stderr, "mmkit: out of memory\n");
		exit(3);
	}
	for (long id = 0; id < s->nmms; id++) {
		struct scn_mm *m = &s->mms[id];
		if (!m->mm && !m->freed)
			continue;
		snprintf(names[n], sizeof(names[n]), "mm%ld", id);
		rm[n].id = names[n];
		rm[n].freed = m->freed;
		rm[n].tasks = tasks[n];
		rm[n].lazy = lazy[n];
		rm[n].outside = outside[n];
		if (m->mm) {
			rm[n].users = mm_users(m->mm);
			rm[n].count = mm_count(m->mm);
			rm[n].on_mmlist = on_mmlist(m->mm);
			tasks_of(s, m->mm, false, tasks[n], sizeof(tasks[n]));
			tasks_of(s, m->mm, true, lazy[n], sizeof(lazy[n]));
			size_t el = 0;
			if (m->ext_users || m->ext_count)
				el += (size_t)snprintf(outside[n], sizeof(outside[n]), "%ld user(s), %ld grab(s)",
						       m->ext_users, m->ext_count);
			if (s->walking && s->walk_pin == m->mm)
				snprintf(outside[n] + el, sizeof(outside[n]) - el, "%sswapoff pin", el ? ", " : "");
			if (id > 0 && mm_users(m->mm) > 0) {
				seq_init(&seqs[n]);
				show_maps(&seqs[n], m->mm);
				rm[n].maps = seqs[n].buf ? seqs[n].buf : "";
			}
		}
		n++;
	}
	cpus[0] = 0;
	for (int cpu = 0; cpu < nr_cpu_ids; cpu++) {
		struct rq *rq = cpu_rq(cpu);
		const char *tn = rq->curr == rq->idle ? "idle" : "?";
		for (int i = 0; i < s->ntasks; i++)
			if (s->tasks[i].t == rq->curr)
				tn = s->tasks[i].name;
		if (cl < sizeof(cpus) - 1)
			cl += (size_t)snprintf(cpus + cl, sizeof(cpus) - cl, "%s[%d] %s/%s", cpu ? " " : "", cpu, tn,
					       mm_name(s, rq->curr->active_mm, nm, sizeof(nm)));
	}
	if (s->rk == RES_NONE)
		res[0] = 0;
	else
		format_result(s, res, sizeof(res));
	s->tracelen = keep;
	s->tracebuf[keep] = 0;
	struct rep_step st = {
		.step = s->step, .line = s->line, .command = cmd, .result = res, .trace = s->tracebuf,
		.event = verb, .cpus = cpus, .nmms = n, .mms = rm,
	};
	report_step(s->rep, &st);
	for (int i = 0; i < n; i++)
		seq_release(&seqs[i]);
	free(seqs);
	free(outside);
	free(lazy);
	free(tasks);
	free(names);
	free(rm);
}

/* ---- driver ---------------------------------------------------------------- */

static int tokenize(struct scn *s, char *line, char **tok)
{
	int n = 0;
	char *p = line;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (!*p || *p == '#')
			break;
		if (n == MAX_TOK)
			die(s, 2, "too many words on one line");
		if (*p == '"' || (strncmp(p, "ret=\"", 5) == 0)) {
			/* a quoted string runs to the closing quote */
			tok[n++] = p;
			char *q = p + (*p == '"' ? 1 : 5);
			while (*q && *q != '"')
				q += (*q == '\\' && q[1]) ? 2 : 1;
			if (!*q)
				die(s, 2, "unterminated string");
			p = q + 1;
			if (*p)
				*p++ = 0;
			continue;
		}
		tok[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '#')
			p++;
		if (*p == '#') {
			*p = 0;
			break;
		}
		if (*p)
			*p++ = 0;
	}
	return n;
}

static void release_outside(struct scn *s)
{
	if (s->walking) {
		unuse_walk_end(&s->walk);
		s->walking = false;
	}
	for (long id = 0; id < s->nmms; id++) {
		struct scn_mm *m = &s->mms[id];
		while (m->mm && m->ext_users > 0) {
			m->ext_users--;
			mmput(m->mm);
		}
		while (m->mm && m->ext_count > 0) {
			m->ext_count--;
			mmdrop(m->mm);
		}
	}
}

int scn_run(const char *name, const char *text, const struct scn_opts *opts, FILE *out)
{
	struct scn s;
	char *copy = strdup(text);
	char *line, *next;
	volatile int rc = 0;

	memset(&s, 0, sizeof(s));
	s.name = name;
	s.o = opts;
	s.out = out;
	if (!copy)
		return 2;
	cur = &s;

	int cpus = 4;
	/* a first command "cpus N" sets the number of CPUs */
	{
		const char *p = text;
		while (*p) {
			while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
				p++;
			if (*p == '#') {
				p = strchr(p, '\n');
				if (!p)
					break;
				continue;
			}
			if (!strncmp(p, "cpus ", 5))
				cpus = atoi(p + 5);
			break;
		}
	}
	if (cpus < 4 || cpus > MMK_MAX_CPUS) {
		fprintf(stderr, "%s: cpus must be 4..%d\n", name, MMK_MAX_CPUS);
		free(copy);
		return 2;
	}
	sysctl_mmlist_policy = MMLIST_SEED;
	if (mmk_boot(cpus) != 0) {
		fprintf(stderr, "%s: cannot boot the simulated machine\n", name);
		free(copy);
		return 2;
	}
	s.booted = true;
	mmk_hooks.priv = &s;
	mmk_hooks.mm_freed = hook_mm_freed;
	mmk_hooks.task_freed = hook_task_freed;
	mmk_hooks.warn = hook_warn;
	mmk_hooks.trace = hook_trace;
	sync_mms(&s);

	struct mmk_extern_refs ext = { ext_users, ext_count, &s };
	if (opts->html) {
		s.rep = report_open(opts->html, name);
		if (!s.rep) {
			rc = 2;
			goto out;
		}
	}

	if (setjmp(s.fail)) {
		rc = s.fail_code;
		goto out;
	}
	bool first_cmd = true;
	for (line = copy, s.line = 1; line; line = next, s.line++) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		char raw[1024];
		snprintf(raw, sizeof(raw), "%s", line);
		char *tok[MAX_TOK];
		if (opts->narrate) {
			const char *p = line;
			while (*p == ' ' || *p == '\t')
				p++;
			if (!strncmp(p, "#:", 2)) {
				const char *txt = p[2] == ' ' ? p + 3 : p + 2;
				bool head = !strncmp(txt, "==", 2);
				fprintf(out, "%s%s%s\n", opts->color && head ? "\033[1m" : "", txt,
					opts->color && head ? "\033[0m" : "");
			}
		}
		if (strlen(line) > 1000)
			die(&s, 2, "line too long");
		for (const char *p = line; *p; p++)
			if ((unsigned char)*p < 0x20 && *p != '\t' && *p != '\r')
				die(&s, 2, "control character in line");
		int n = tokenize(&s, line, tok);
		if (n == 0)
			continue;
		if (!strcmp(tok[0], "cpus")) {
			if (!first_cmd)
				die(&s, 2, "cpus must be the first command");
			need(&s, n, 2, "cpus N");
			first_cmd = false;
			continue;
		}
		first_cmd = false;
		s.step++;
		s.warnbuf[0] = 0;
		s.nwarn = 0;
		s.tracelen = 0;
		s.tracebuf[0] = 0;
		const char *rest = raw;
		while (*rest == ' ' || *rest == '\t')
			rest++;
		char cmdtext[1024];
		snprintf(cmdtext, sizeof(cmdtext), "%s", rest);
		char *hash = strchr(cmdtext, '#');
		if (hash && !strchr(cmdtext, '"'))
			*hash = 0;
		for (size_t l = strlen(cmdtext); l && (cmdtext[l - 1] == ' ' || cmdtext[l - 1] == '\t' || cmdtext[l - 1] == '\r'); l--)
			cmdtext[l - 1] = 0;

		bool is_expect = !strcmp(tok[0], "expect");
		if (!opts->json && !opts->quiet && !is_expect) {
			const char *on = opts->color ? "\033[1;36m" : "", *off = opts->color ? "\033[0m" : "";
			if (opts->narrate)
				fprintf(out, "\n%s$ %s%s\n", on, cmdtext, off);
			else
				fprintf(out, "%4d  %s%s%s\n", s.line, on, cmdtext, off);
		}
		run_command(&s, tok, n, cmdtext);
		sync_mms(&s);
		if (s.nwarn)
			die(&s, 1, "the library reported: %s", s.warnbuf);
		if (s.rep && !is_expect)
			report_snapshot(&s, cmdtext, tok[0]);
		if (opts->json && !is_expect) {
			json_step(&s, cmdtext);
		} else if (!opts->quiet && !is_expect) {
			char res[128];
			bool looks = !strcmp(tok[0], "show") || !strcmp(tok[0], "mmlist") || !strcmp(tok[0], "slabinfo");
			if (s.rk != RES_NONE && !looks) {
				format_result(&s, res, sizeof(res));
				fprintf(out, "      => %s%s%s\n", opts->color ? (s.rk == RES_ERRNO ? "\033[31m" : "\033[32m") : "",
					res, opts->color ? "\033[0m" : "");
			}
			if ((opts->trace || opts->narrate) && s.tracelen)
				fprintf(out, "      %scalls: %s%s\n", opts->color ? "\033[2m" : "", s.tracebuf,
					opts->color ? "\033[0m" : "");
			if (opts->narrate && strcmp(tok[0], "show") && strcmp(tok[0], "mmlist") && strcmp(tok[0], "slabinfo"))
				show_state(&s);
			else if (!opts->narrate && strcmp(tok[0], "show") && strcmp(tok[0], "maps") &&
				 strcmp(tok[0], "smaps") && strcmp(tok[0], "status") && strcmp(tok[0], "mmlist"))
				compact_state(&s);
		}
		if (opts->check) {
			int bad = mmk_check_all(&ext);
			if (bad || s.nwarn)
				die(&s, 1, "invariant violated after this step: %s", s.warnbuf);
		}
	}
	s.line--;
	/* the end: outside holders let go, the machine shuts down; anything
	 * still alive then is a leak */
	release_outside(&s);
	if (s.nwarn)
		die(&s, 1, "the library reported: %s", s.warnbuf);
	{
		long leaked = mmk_shutdown();
		s.booted = false;
		if (opts->check && (leaked || s.nwarn)) {
			fprintf(stderr, "%s: %ld objects leaked at shutdown: %s\n", name, leaked, s.warnbuf);
			rc = 1;
		} else if (opts->narrate) {
			fprintf(out, "\nShut down: every task exited, every CPU back to idle; nothing leaked.\n");
		}
	}
out:
	if (s.rep && report_close(s.rep) != 0 && rc == 0)
		rc = 2;
	if (s.booted) {
		mmk_hooks.warn = NULL; /* the scenario failed: tear down quietly */
		release_outside(&s);
		mmk_shutdown();
	}
	memset(&mmk_hooks, 0, sizeof(mmk_hooks));
	for (int i = 0; i < s.ntasks; i++)
		free(s.tasks[i].name);
	free(s.tasks);
	free(s.mms);
	free(s.rs);
	free(copy);
	cur = NULL;
	return rc;
}

char *scn_read_file(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t cap = 4096, len = 0;
	char *buf;
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return NULL;
	}
	buf = malloc(cap);
	while (buf) {
		size_t r = fread(buf + len, 1, cap - len - 1, f);
		len += r;
		if (r == 0)
			break;
		if (len + 1 == cap) {
			if (cap >= (64u << 20)) {
				fprintf(stderr, "%s: file too large\n", path);
				free(buf);
				buf = NULL;
				break;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (f != stdin)
		fclose(f);
	if (buf) {
		buf[len] = 0;
		if (memchr(buf, 0, len)) {
			fprintf(stderr, "%s:1: binary data in a scenario file\n", path);
			free(buf);
			return NULL;
		}
	}
	return buf;
}
