// SPDX-License-Identifier: MIT
/*
 * src/strace.c - a line parser for the output of `strace -f` (with or
 * without -o, -y, -t/-tt/-ttt/-r, -T, -i), and helpers that turn argument
 * text back into numbers, strings and string arrays.
 *
 * The parser never trusts its input: every bracket, quote, comment and
 * annotation must close, every line of a system call must end with a
 * result (or "<unfinished ...>"), and anything else is reported with a
 * message instead of being guessed at.
 */
#include <mmkit/replay.h>
#include <mmkit/mm.h>
#include <mmkit/sched.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* ---- symbol tables ------------------------------------------------------ */

const struct strace_sym strace_prot_syms[] = {
	{ "PROT_NONE", PROT_NONE }, { "PROT_READ", PROT_READ }, { "PROT_WRITE", PROT_WRITE },
	{ "PROT_EXEC", PROT_EXEC }, { "PROT_SEM", 0x8 }, { "PROT_GROWSDOWN", PROT_GROWSDOWN },
	{ "PROT_GROWSUP", PROT_GROWSUP }, { NULL, 0 } };

const struct strace_sym strace_map_syms[] = {
	{ "MAP_SHARED", MAP_SHARED }, { "MAP_PRIVATE", MAP_PRIVATE },
	{ "MAP_SHARED_VALIDATE", MAP_SHARED_VALIDATE }, { "MAP_DROPPABLE", 0x08 },
	{ "MAP_FIXED", MAP_FIXED }, { "MAP_ANONYMOUS", MAP_ANONYMOUS }, { "MAP_ANON", MAP_ANONYMOUS },
	{ "MAP_32BIT", MAP_32BIT }, { "MAP_GROWSDOWN", MAP_GROWSDOWN },
	{ "MAP_DENYWRITE", MAP_DENYWRITE }, { "MAP_EXECUTABLE", MAP_EXECUTABLE },
	{ "MAP_LOCKED", MAP_LOCKED }, { "MAP_NORESERVE", MAP_NORESERVE },
	{ "MAP_POPULATE", MAP_POPULATE }, { "MAP_NONBLOCK", MAP_NONBLOCK },
	{ "MAP_STACK", MAP_STACK }, { "MAP_HUGETLB", MAP_HUGETLB }, { "MAP_SYNC", MAP_SYNC },
	{ "MAP_FIXED_NOREPLACE", MAP_FIXED_NOREPLACE }, { "MAP_UNINITIALIZED", MAP_UNINITIALIZED },
	{ "MAP_FILE", 0 }, { "MAP_HUGE_SHIFT", 26 }, { NULL, 0 } };

const struct strace_sym strace_mremap_syms[] = {
	{ "MREMAP_MAYMOVE", MREMAP_MAYMOVE }, { "MREMAP_FIXED", MREMAP_FIXED },
	{ "MREMAP_DONTUNMAP", MREMAP_DONTUNMAP }, { NULL, 0 } };

const struct strace_sym strace_madv_syms[] = {
	{ "MADV_NORMAL", 0 }, { "MADV_RANDOM", 1 }, { "MADV_SEQUENTIAL", 2 },
	{ "MADV_WILLNEED", 3 }, { "MADV_DONTNEED", 4 }, { "MADV_FREE", 8 }, { "MADV_REMOVE", 9 },
	{ "MADV_DONTFORK", 10 }, { "MADV_DOFORK", 11 }, { "MADV_MERGEABLE", 12 },
	{ "MADV_UNMERGEABLE", 13 }, { "MADV_HUGEPAGE", 14 }, { "MADV_NOHUGEPAGE", 15 },
	{ "MADV_DONTDUMP", 16 }, { "MADV_DODUMP", 17 }, { "MADV_WIPEONFORK", 18 },
	{ "MADV_KEEPONFORK", 19 }, { "MADV_COLD", 20 }, { "MADV_PAGEOUT", 21 },
	{ "MADV_POPULATE_READ", 22 }, { "MADV_POPULATE_WRITE", 23 },
	{ "MADV_DONTNEED_LOCKED", 24 }, { "MADV_COLLAPSE", 25 }, { "MADV_HWPOISON", 100 },
	{ "MADV_SOFT_OFFLINE", 101 }, { "MADV_GUARD_INSTALL", 102 }, { "MADV_GUARD_REMOVE", 103 },
	{ NULL, 0 } };

const struct strace_sym strace_mlock_syms[] = {
	{ "MLOCK_ONFAULT", MLOCK_ONFAULT }, { "MCL_CURRENT", 1 }, { "MCL_FUTURE", 2 },
	{ "MCL_ONFAULT", MCL_ONFAULT }, { NULL, 0 } };

const struct strace_sym strace_open_syms[] = {
	{ "O_RDONLY", O_RDONLY }, { "O_WRONLY", O_WRONLY }, { "O_RDWR", O_RDWR },
	{ "O_ACCMODE", O_ACCMODE }, { "O_CREAT", O_CREAT }, { "O_EXCL", O_EXCL },
	{ "O_NOCTTY", O_NOCTTY }, { "O_TRUNC", O_TRUNC }, { "O_APPEND", O_APPEND },
	{ "O_NONBLOCK", O_NONBLOCK }, { "O_NDELAY", O_NONBLOCK }, { "O_DSYNC", O_DSYNC },
	{ "O_ASYNC", O_ASYNC }, { "FASYNC", O_ASYNC }, { "O_DIRECT", O_DIRECT },
	{ "O_LARGEFILE", 0100000 }, { "O_DIRECTORY", O_DIRECTORY }, { "O_NOFOLLOW", O_NOFOLLOW },
	{ "O_NOATIME", O_NOATIME }, { "O_CLOEXEC", O_CLOEXEC }, { "O_SYNC", O_SYNC },
	{ "O_RSYNC", O_SYNC }, { "O_PATH", O_PATH }, { "O_TMPFILE", O_TMPFILE },
	{ "__O_SYNC", 04000000 }, { "__O_TMPFILE", 020000000 }, { NULL, 0 } };

const struct strace_sym strace_clone_syms[] = {
	{ "CLONE_VM", 0x100 }, { "CLONE_FS", 0x200 }, { "CLONE_FILES", 0x400 },
	{ "CLONE_SIGHAND", 0x800 }, { "CLONE_PIDFD", 0x1000 }, { "CLONE_PTRACE", 0x2000 },
	{ "CLONE_VFORK", 0x4000 }, { "CLONE_PARENT", 0x8000 }, { "CLONE_THREAD", 0x10000 },
	{ "CLONE_NEWNS", 0x20000 }, { "CLONE_SYSVSEM", 0x40000 }, { "CLONE_SETTLS", 0x80000 },
	{ "CLONE_PARENT_SETTID", 0x100000 }, { "CLONE_CHILD_CLEARTID", 0x200000 },
	{ "CLONE_DETACHED", 0x400000 }, { "CLONE_UNTRACED", 0x800000 },
	{ "CLONE_CHILD_SETTID", 0x1000000 }, { "CLONE_NEWCGROUP", 0x2000000 },
	{ "CLONE_NEWUTS", 0x4000000 }, { "CLONE_NEWIPC", 0x8000000 },
	{ "CLONE_NEWUSER", 0x10000000 }, { "CLONE_NEWPID", 0x20000000 },
	{ "CLONE_NEWNET", 0x40000000 }, { "CLONE_IO", 0x80000000UL },
	{ "CLONE_NEWTIME", 0x80 }, { "CLONE_CLEAR_SIGHAND", 0x100000000UL },
	{ "CLONE_INTO_CGROUP", 0x200000000UL }, { NULL, 0 } };

#define E(x) { #x, x }
const struct strace_sym strace_errno_syms[] = {
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG), E(ENOEXEC),
	E(EBADF), E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES), E(EFAULT), E(ENOTBLK), E(EBUSY),
	E(EEXIST), E(EXDEV), E(ENODEV), E(ENOTDIR), E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE),
	E(ENOTTY), E(ETXTBSY), E(EFBIG), E(ENOSPC), E(ESPIPE), E(EROFS), E(EMLINK), E(EPIPE),
	E(EDOM), E(ERANGE), E(EDEADLK), E(ENAMETOOLONG), E(ENOLCK), E(ENOSYS), E(ENOTEMPTY),
	E(ELOOP), E(ENOMSG), E(EIDRM), E(ENOSTR), E(ENODATA), E(ETIME), E(ENOSR), E(EREMOTE),
	E(ENOLINK), E(EPROTO), E(EBADMSG), E(EOVERFLOW), E(EILSEQ), E(EUSERS), E(ENOTSOCK),
	E(EDESTADDRREQ), E(EMSGSIZE), E(EPROTOTYPE), E(ENOPROTOOPT), E(EPROTONOSUPPORT),
	E(ESOCKTNOSUPPORT), E(EOPNOTSUPP), E(EPFNOSUPPORT), E(EAFNOSUPPORT), E(EADDRINUSE),
	E(EADDRNOTAVAIL), E(ENETDOWN), E(ENETUNREACH), E(ENETRESET), E(ECONNABORTED),
	E(ECONNRESET), E(ENOBUFS), E(EISCONN), E(ENOTCONN), E(ESHUTDOWN), E(ETOOMANYREFS),
	E(ETIMEDOUT), E(ECONNREFUSED), E(EHOSTDOWN), E(EHOSTUNREACH), E(EALREADY),
	E(EINPROGRESS), E(ESTALE), E(EDQUOT), E(ECANCELED), E(EOWNERDEAD), E(ENOTRECOVERABLE),
	E(ERFKILL), E(EHWPOISON), E(ECHRNG), E(EL2NSYNC), E(EL3HLT), E(EL3RST), E(ELNRNG),
	E(EUNATCH), E(ENOCSI), E(EL2HLT), E(EBADE), E(EBADR), E(EXFULL), E(ENOANO), E(EBADRQC),
	E(EBADSLT), E(EBFONT), E(ENONET), E(ENOPKG), E(EADV), E(ESRMNT), E(ECOMM), E(EDOTDOT),
	E(ENOTUNIQ), E(EBADFD), E(EREMCHG), E(ELIBACC), E(ELIBBAD), E(ELIBSCN), E(ELIBMAX),
	E(ELIBEXEC), E(ERESTART), E(ESTRPIPE), E(EUCLEAN), E(ENOTNAM), E(ENAVAIL), E(EISNAM),
	E(EREMOTEIO), E(ENOMEDIUM), E(EMEDIUMTYPE), E(ENOKEY), E(EKEYEXPIRED), E(EKEYREVOKED),
	E(EKEYREJECTED),
	{ "EWOULDBLOCK", EAGAIN }, { "ENOTSUP", EOPNOTSUPP }, { "EDEADLOCK", EDEADLK },
	/* kernel-internal values strace shows for interrupted calls */
	{ "ERESTARTSYS", 512 }, { "ERESTARTNOINTR", 513 }, { "ERESTARTNOHAND", 514 },
	{ "ENOIOCTLCMD", 515 }, { "ERESTART_RESTARTBLOCK", 516 }, { "EPROBE_DEFER", 517 },
	{ "EOPENSTALE", 518 }, { "ENOPARAM", 519 }, { "EBADHANDLE", 521 }, { "ENOTSYNC", 522 },
	{ "EBADCOOKIE", 523 }, { "ENOTSUPP", 524 }, { "ETOOSMALL", 525 }, { "ESERVERFAULT", 526 },
	{ "EBADTYPE", 527 }, { "EJUKEBOX", 528 }, { "EIOCBQUEUED", 529 }, { "ERECALLCONFLICT", 530 },
	{ NULL, 0 } };
#undef E

/* names any argument may use */
const struct strace_sym strace_misc_syms[] = {
	{ "NULL", 0 }, { "AT_FDCWD", (unsigned long)-100L },
	{ "RLIM_INFINITY", ~0UL }, { "RLIM64_INFINITY", ~0UL },
	{ "SIGHUP", 1 }, { "SIGINT", 2 }, { "SIGQUIT", 3 }, { "SIGILL", 4 }, { "SIGTRAP", 5 },
	{ "SIGABRT", 6 }, { "SIGIOT", 6 }, { "SIGBUS", 7 }, { "SIGFPE", 8 }, { "SIGKILL", 9 },
	{ "SIGUSR1", 10 }, { "SIGSEGV", 11 }, { "SIGUSR2", 12 }, { "SIGPIPE", 13 },
	{ "SIGALRM", 14 }, { "SIGTERM", 15 }, { "SIGSTKFLT", 16 }, { "SIGCHLD", 17 },
	{ "SIGCONT", 18 }, { "SIGSTOP", 19 }, { "SIGTSTP", 20 }, { "SIGTTIN", 21 },
	{ "SIGTTOU", 22 }, { "SIGURG", 23 }, { "SIGXCPU", 24 }, { "SIGXFSZ", 25 },
	{ "SIGVTALRM", 26 }, { "SIGPROF", 27 }, { "SIGWINCH", 28 }, { "SIGIO", 29 },
	{ "SIGPOLL", 29 }, { "SIGPWR", 30 }, { "SIGSYS", 31 }, { "SIGRTMIN", 32 },
	{ "F_DUPFD", 0 }, { "F_GETFD", 1 }, { "F_SETFD", 2 }, { "F_GETFL", 3 }, { "F_SETFL", 4 },
	{ "F_DUPFD_CLOEXEC", 1030 }, { "FD_CLOEXEC", 1 },
	{ "CLOSE_RANGE_UNSHARE", 2 }, { "CLOSE_RANGE_CLOEXEC", 4 },
	{ "IPC_PRIVATE", 0 }, { "IPC_CREAT", 01000 }, { "IPC_EXCL", 02000 }, { "IPC_NOWAIT", 04000 },
	{ "IPC_RMID", 0 }, { "IPC_SET", 1 }, { "IPC_STAT", 2 }, { "IPC_INFO", 3 },
	{ "SHM_RDONLY", 010000 }, { "SHM_RND", 020000 }, { "SHM_REMAP", 040000 },
	{ "SHM_EXEC", 0100000 }, { "SHM_HUGETLB", 04000 }, { "SHM_NORESERVE", 010000 },
	{ "RLIMIT_CPU", 0 }, { "RLIMIT_FSIZE", 1 }, { "RLIMIT_DATA", 2 }, { "RLIMIT_STACK", 3 },
	{ "RLIMIT_CORE", 4 }, { "RLIMIT_RSS", 5 }, { "RLIMIT_NPROC", 6 }, { "RLIMIT_NOFILE", 7 },
	{ "RLIMIT_MEMLOCK", 8 }, { "RLIMIT_AS", 9 }, { "RLIMIT_LOCKS", 10 },
	{ "RLIMIT_SIGPENDING", 11 }, { "RLIMIT_MSGQUEUE", 12 }, { "RLIMIT_NICE", 13 },
	{ "RLIMIT_RTPRIO", 14 }, { "RLIMIT_RTTIME", 15 },
	{ "PER_LINUX", 0 }, { "PER_LINUX_32BIT", 0x800000 }, { "PER_SVR4", 0x4000001 },
	{ "PER_LINUX32", 8 }, { "UNAME26", 0x20000 }, { "ADDR_NO_RANDOMIZE", 0x40000 },
	{ "FDPIC_FUNCPTRS", 0x80000 }, { "MMAP_PAGE_ZERO", 0x100000 },
	{ "ADDR_COMPAT_LAYOUT", 0x200000 }, { "READ_IMPLIES_EXEC", 0x400000 },
	{ "ADDR_LIMIT_32BIT", 0x800000 }, { "SHORT_INODE", 0x1000000 },
	{ "WHOLE_SECONDS", 0x2000000 }, { "STICKY_TIMEOUTS", 0x4000000 },
	{ "ADDR_LIMIT_3GB", 0x8000000 },
	{ "MFD_CLOEXEC", 1 }, { "MFD_ALLOW_SEALING", 2 }, { "MFD_HUGETLB", 4 },
	{ "MFD_NOEXEC_SEAL", 8 }, { "MFD_EXEC", 0x10 },
	{ "AT_EMPTY_PATH", 0x1000 }, { "AT_SYMLINK_NOFOLLOW", 0x100 },
	{ NULL, 0 } };

int strace_errno_value(const char *name)
{
	for (const struct strace_sym *s = strace_errno_syms; s->name; s++)
		if (!strcmp(s->name, name))
			return (int)s->val;
	return 0;
}

const char *strace_errno_name(int err)
{
	for (const struct strace_sym *s = strace_errno_syms; s->name; s++)
		if ((int)s->val == err)
			return s->name;
	return NULL;
}

/* ---- small helpers ------------------------------------------------------- */

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static char *xstrndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

static bool is_ident(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* a '<' that opens a -y annotation: right after an fd number or a name
 * (AT_FDCWD</tmp>), and not part of a shift ("21<<MAP_HUGE_SHIFT") */
static bool is_annot_start(const char *p, const char *start)
{
	return p > start && is_ident(p[-1]) && p[1] != '<' && p[-1] != '<' && p[1] != 0;
}

/* trim blanks on both sides, in place on a [b, e) range */
static void trim_range(const char **b, const char **e)
{
	while (*b < *e && isspace((unsigned char)**b))
		(*b)++;
	while (*e > *b && isspace((unsigned char)(*e)[-1]))
		(*e)--;
}

/*
 * scan - walk argument text from @p. Stops at a ')' at depth 0 when
 * @stop_paren (returning it), else at the end of the text (returning it).
 * With @commas, records top-level comma positions. Returns NULL and a
 * message when a string, comment or annotation does not close or the
 * brackets do not match.
 */
struct scan_out {
	const char **commas;
	int ncommas, cap;
};

/* @len bytes of @src as a string in @dst (cut to fit): names, errnos,
 * timestamps (snprintf("%.*s") did this at ten times the cost) */
static void copy_token(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static const char *scan(const char *p, bool stop_paren, struct scan_out *co, char *err, size_t errlen)
{
	char stack[256];
	int depth = 0;
	const char *start = p;

	for (; *p; p++) {
		char c = *p;
		if (c == '"') {
			for (p++; *p && *p != '"'; p++)
				if (*p == '\\' && p[1])
					p++;
			if (!*p) {
				set_err(err, errlen, "unterminated string");
				return NULL;
			}
		} else if (c == '/' && p[1] == '*') {
			const char *e = strstr(p + 2, "*/");
			if (!e) {
				set_err(err, errlen, "unterminated comment");
				return NULL;
			}
			p = e + 1;
		} else if (c == '<' && p > start && is_annot_start(p, start)) {
			/* -y annotation: 3</path>, 4<socket:[123]>, AT_FDCWD</tmp> */
			for (p++; *p && *p != '>'; p++)
				if (*p == '\\' && p[1])
					p++;
			if (!*p) {
				set_err(err, errlen, "unterminated fd annotation");
				return NULL;
			}
		} else if (c == '(' || c == '[' || c == '{') {
			if (depth == (int)sizeof(stack)) {
				set_err(err, errlen, "brackets nested too deeply");
				return NULL;
			}
			stack[depth++] = c == '(' ? ')' : c == '[' ? ']' : '}';
		} else if (c == ')' || c == ']' || c == '}') {
			if (depth == 0) {
				if (c == ')' && stop_paren)
					return p;
				set_err(err, errlen, "unbalanced '%c'", c);
				return NULL;
			}
			if (stack[depth - 1] != c) {
				set_err(err, errlen, "'%c' where '%c' was expected", c, stack[depth - 1]);
				return NULL;
			}
			depth--;
		} else if (c == ',' && depth == 0 && co) {
			if (co->ncommas == co->cap) {
				int cap = co->cap ? co->cap * 2 : 16;
				const char **n = realloc(co->commas, (size_t)cap * sizeof(*n));
				if (!n) {
					set_err(err, errlen, "out of memory");
					return NULL;
				}
				co->commas = n;
				co->cap = cap;
			}
			co->commas[co->ncommas++] = p;
		}
	}
	if (stop_paren) {
		set_err(err, errlen, depth ? "unterminated argument list (unbalanced brackets)"
				       : "unterminated argument list (no closing parenthesis)");
		return NULL;
	}
	if (depth) {
		set_err(err, errlen, "unbalanced brackets");
		return NULL;
	}
	return p;
}

int strace_split_args(const char *text, char ***out)
{
	struct scan_out co = { 0 };
	const char *end;
	char **argv;
	int n;

	*out = NULL;
	end = scan(text, false, &co, NULL, 0);
	if (!end) {
		free(co.commas);
		return -1;
	}
	{
		const char *b = text, *e = end;
		trim_range(&b, &e);
		if (b == e && co.ncommas == 0) {
			free(co.commas);
			return 0;
		}
	}
	n = co.ncommas + 1;
	argv = calloc((size_t)n + 1, sizeof(*argv));
	if (!argv) {
		free(co.commas);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const char *b = i == 0 ? text : co.commas[i - 1] + 1;
		const char *e = i == n - 1 ? end : co.commas[i];
		trim_range(&b, &e);
		argv[i] = xstrndup(b, (size_t)(e - b));
		if (!argv[i]) {
			strace_free_args(argv, i);
			free(co.commas);
			return -1;
		}
	}
	free(co.commas);
	*out = argv;
	return n;
}

void strace_free_args(char **argv, int argc)
{
	if (!argv)
		return;
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

/* ---- unescaping ---------------------------------------------------------- */

/* decode C/strace escapes in [p, e) up to an unescaped @term; returns a
 * malloc'd string and the position of the terminator in *stop */
static char *unescape(const char *p, char term, const char **stop)
{
	size_t cap = strlen(p) + 1, n = 0;
	char *o = malloc(cap);
	if (!o)
		return NULL;
	while (*p && *p != term) {
		char c = *p++;
		if (c == '\\' && *p) {
			char e = *p++;
			switch (e) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'v': c = '\v'; break;
			case 'f': c = '\f'; break;
			case 'a': c = '\a'; break;
			case 'b': c = '\b'; break;
			case 'x': {
				unsigned v = 0;
				int k = 0;
				while (k < 2 && isxdigit((unsigned char)*p)) {
					v = v * 16 + (unsigned)(isdigit((unsigned char)*p) ? *p - '0' : (tolower((unsigned char)*p) - 'a' + 10));
					p++;
					k++;
				}
				c = (char)v;
				break;
			}
			default:
				if (e >= '0' && e <= '7') {
					unsigned v = (unsigned)(e - '0');
					int k = 1;
					while (k < 3 && *p >= '0' && *p <= '7') {
						v = v * 8 + (unsigned)(*p - '0');
						p++;
						k++;
					}
					c = (char)v;
				} else {
					c = e; /* \" \\ \' and anything else stands for itself */
				}
			}
		}
		o[n++] = c;
	}
	o[n] = 0;
	if (stop)
		*stop = p;
	return o;
}

/* skip a "name=" prefix (struct field / named argument) */
static const char *skip_name_eq(const char *a)
{
	const char *p = a;
	if (!isalpha((unsigned char)*p) && *p != '_')
		return a;
	while (is_ident(*p))
		p++;
	if (p[0] == '=' && p[1] != '=')
		return p + 1;
	return a;
}

char *strace_arg_string(const char *arg, bool *truncated)
{
	const char *p = skip_name_eq(arg), *stop;
	char *s;
	if (truncated)
		*truncated = false;
	while (isspace((unsigned char)*p))
		p++;
	if (*p != '"')
		return NULL;
	s = unescape(p + 1, '"', &stop);
	if (!s)
		return NULL;
	if (*stop != '"') {
		free(s);
		return NULL;
	}
	if (truncated && !strncmp(stop + 1, "...", 3))
		*truncated = true;
	return s;
}

/* "/memfd:x" -> "/memfd:x (deleted)", as /proc prints an unlinked file */
static char *add_deleted(char *s)
{
	size_t l = strlen(s);
	char *n;
	if (l >= 10 && !strcmp(s + l - 10, " (deleted)"))
		return s;
	n = realloc(s, l + 11);
	if (!n) {
		free(s);
		return NULL;
	}
	memcpy(n + l, " (deleted)", 11);
	return n;
}

char *strace_arg_fdpath(const char *arg)
{
	const char *p = skip_name_eq(arg), *stop;
	char *s;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '-')
		p++;
	if (!is_ident(*p))
		return NULL;
	while (is_ident(*p))
		p++;
	if (*p != '<' || p[1] == '<')
		return NULL;
	s = unescape(p + 1, '>', &stop);
	if (s && *stop != '>') {
		free(s);
		return NULL;
	}
	if (s && !strncmp(stop + 1, "(deleted)", 9))
		s = add_deleted(s);
	return s;
}

void strace_free_strv(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

char **strace_arg_strv(const char *arg)
{
	const char *p = skip_name_eq(arg);
	size_t len;
	char *inner, **parts, **v;
	int n, k = 0;

	while (isspace((unsigned char)*p))
		p++;
	len = strlen(p);
	while (len && isspace((unsigned char)p[len - 1]))
		len--;
	if (len < 2 || p[0] != '[' || p[len - 1] != ']')
		return NULL;
	inner = xstrndup(p + 1, len - 2);
	if (!inner)
		return NULL;
	n = strace_split_args(inner, &parts);
	free(inner);
	if (n < 0)
		return NULL;
	v = calloc((size_t)n + 1, sizeof(*v));
	if (!v) {
		strace_free_args(parts, n);
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		if (!strcmp(parts[i], "...") || !strncmp(parts[i], "/*", 2))
			continue;
		v[k] = strace_arg_string(parts[i], NULL);
		if (!v[k]) {
			strace_free_strv(v);
			strace_free_args(parts, n);
			return NULL;
		}
		k++;
	}
	strace_free_args(parts, n);
	return v;
}

char *strace_arg_field(const char *arg, const char *field)
{
	const char *p = strchr(arg, '{'), *end;
	size_t flen = strlen(field);
	char *inner, **parts, *res = NULL;
	int n;

	if (!p)
		return NULL;
	/* find the matching '}' */
	{
		int depth = 0;
		for (end = p; *end; end++) {
			if (*end == '"') {
				for (end++; *end && *end != '"'; end++)
					if (*end == '\\' && end[1])
						end++;
				if (!*end)
					return NULL;
			} else if (*end == '{' || *end == '[' || *end == '(') {
				depth++;
			} else if (*end == '}' || *end == ']' || *end == ')') {
				if (--depth == 0)
					break;
			}
		}
		if (!*end)
			return NULL;
	}
	inner = xstrndup(p + 1, (size_t)(end - p - 1));
	if (!inner)
		return NULL;
	n = strace_split_args(inner, &parts);
	free(inner);
	if (n < 0)
		return NULL;
	for (int i = 0; i < n && !res; i++)
		if (!strncmp(parts[i], field, flen) && parts[i][flen] == '=')
			res = strdup(parts[i] + flen + 1);
	strace_free_args(parts, n);
	return res;
}

/* ---- numbers and flags ------------------------------------------------- */

static bool lookup_sym(const struct strace_sym *syms, const char *name, unsigned long *v)
{
	for (const struct strace_sym *s = syms; s && s->name; s++)
		if (!strcmp(s->name, name)) {
			*v = s->val;
			return true;
		}
	return false;
}

static bool parse_number(const char *t, unsigned long *v)
{
	char *end;
	bool neg = false;
	if (*t == '-') {
		neg = true;
		t++;
	}
	if (!isdigit((unsigned char)*t))
		return false;
	errno = 0;
	unsigned long long x = strtoull(t, &end, 0);
	if (*end || errno)
		return false;
	*v = neg ? (unsigned long)-(long long)x : (unsigned long)x;
	return true;
}

/* one term: NUMBER, NAME, A<<B, A*B, ~A */
static bool eval_term(const char *t, const struct strace_sym *syms, unsigned long *v, char *bad, size_t badlen)
{
	const char *op;
	if (!*t) {
		set_err(bad, badlen, "%s", "(empty)");
		return false;
	}
	if (*t == '~') {
		if (!eval_term(t + 1, syms, v, bad, badlen))
			return false;
		*v = ~*v;
		return true;
	}
	if ((op = strstr(t, "<<")) != NULL || (op = strchr(t, '*')) != NULL) {
		size_t oplen = op[0] == '<' ? 2 : 1;
		char *l = xstrndup(t, (size_t)(op - t));
		unsigned long a, b;
		bool ok;
		if (!l)
			return false;
		ok = eval_term(l, syms, &a, bad, badlen) && eval_term(op + oplen, syms, &b, bad, badlen);
		free(l);
		if (!ok)
			return false;
		*v = oplen == 2 ? (b < 64 ? a << b : 0) : a * b;
		return true;
	}
	if (parse_number(t, v))
		return true;
	if (lookup_sym(syms, t, v) || lookup_sym(strace_misc_syms, t, v))
		return true;
	set_err(bad, badlen, "%s", t);
	return false;
}

int strace_arg_num(const char *arg, const struct strace_sym *syms, long *val, char *bad, size_t badlen)
{
	const char *p = skip_name_eq(arg);
	char *buf, *q, *w;
	unsigned long acc = 0;
	size_t len;

	while (isspace((unsigned char)*p))
		p++;
	buf = strdup(p);
	if (!buf)
		return -1;
	/* drop comments and a -y annotation */
	for (q = buf, w = buf; *q;) {
		if (q[0] == '/' && q[1] == '*') {
			char *e = strstr(q + 2, "*/");
			q = e ? e + 2 : q + strlen(q);
			continue;
		}
		if (*q == '<' && q > buf && is_annot_start(q, buf)) {
			for (q++; *q && *q != '>'; q++)
				if (*q == '\\' && q[1])
					q++;
			if (*q)
				q++;
			/* strace 6 prints a deleted file as 3</memfd:x>(deleted) */
			if (!strncmp(q, "(deleted)", 9))
				q += 9;
			continue;
		}
		if (isspace((unsigned char)*q)) {
			q++;
			continue;
		}
		*w++ = *q++;
	}
	*w = 0;
	len = strlen(buf);
	if (!len) {
		set_err(bad, badlen, "%s", "(empty)");
		free(buf);
		return -1;
	}
	for (char *save = NULL, *t = strtok_r(buf, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
		unsigned long v;
		if (!eval_term(t, syms, &v, bad, badlen)) {
			free(buf);
			return -1;
		}
		acc |= v;
	}
	free(buf);
	*val = (long)acc;
	return 0;
}

/* ---- one line ------------------------------------------------------------ */

void strace_event_free(struct strace_event *ev)
{
	free(ev->args);
	free(ev->ret_path);
	free(ev->ret_note);
	ev->args = ev->ret_path = ev->ret_note = NULL;
}

static const char *skip_sp(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* the result after "= " */
static int parse_result(const char *p, struct strace_event *ev, char *err, size_t errlen)
{
	const char *e = p + strlen(p);

	/* -T: a trailing "<0.000012>" */
	while (e > p && isspace((unsigned char)e[-1]))
		e--;
	if (e > p && e[-1] == '>') {
		const char *b = e - 1;
		while (b > p && (isdigit((unsigned char)b[-1]) || b[-1] == '.'))
			b--;
		if (b > p && b[-1] == '<' && b < e - 1 && (b - 1 == p || isspace((unsigned char)b[-2]))) {
			ev->duration = strtod(b, NULL);
			e = b - 1;
			while (e > p && isspace((unsigned char)e[-1]))
				e--;
		}
	}
	if (e == p) {
		set_err(err, errlen, "missing return value");
		return -1;
	}
	if (*p == '?') {
		ev->ret_kind = STRACE_RET_UNKNOWN;
		if (p + 1 < e && !isspace((unsigned char)p[1])) {
			set_err(err, errlen, "bad return value '%.*s'", (int)(e - p), p);
			return -1;
		}
		p = skip_sp(p + 1);
		if (p < e && *p == 'E') {
			const char *b = p;
			while (p < e && is_ident(*p))
				p++;
			copy_token(ev->errname, sizeof(ev->errname), b, (size_t)(p - b));
			ev->err = strace_errno_value(ev->errname);
			p = skip_sp(p);
		}
		if (p < e)
			ev->ret_note = xstrndup(p, (size_t)(e - p));
		return 0;
	}
	{
		const char *b = p;
		char *end;
		unsigned long v;
		unsigned long long x;
		bool neg = false;
		if (*p == '-') {
			neg = true;
			p++;
		}
		if (!isdigit((unsigned char)*p)) {
			set_err(err, errlen, "bad return value '%.*s'", (int)(e - b), b);
			return -1;
		}
		errno = 0;
		x = strtoull(p, &end, 0);
		if (errno || end > e || (end < e && !isspace((unsigned char)*end) && *end != '<')) {
			set_err(err, errlen, "bad return value '%.*s'", (int)(e - b), b);
			return -1;
		}
		v = neg ? (unsigned long)-(long long)x : (unsigned long)x;
		p = end;
		ev->ret = (long)v;
		ev->ret_kind = STRACE_RET_VALUE;
		if (p < e && *p == '<') {
			const char *stop;
			ev->ret_path = unescape(p + 1, '>', &stop);
			if (!ev->ret_path || stop >= e || *stop != '>') {
				set_err(err, errlen, "unterminated fd annotation in the return value");
				return -1;
			}
			p = stop + 1;
			if (e - p >= 9 && !strncmp(p, "(deleted)", 9)) {
				ev->ret_path = add_deleted(ev->ret_path);
				p += 9;
			}
		}
		p = skip_sp(p);
		if (ev->ret == -1 && p < e && *p == 'E') {
			const char *nb = p;
			while (p < e && is_ident(*p))
				p++;
			copy_token(ev->errname, sizeof(ev->errname), nb, (size_t)(p - nb));
			ev->err = strace_errno_value(ev->errname);
			ev->ret_kind = STRACE_RET_ERROR;
			p = skip_sp(p);
			/* strace always explains an error: "(No such file or directory)" */
			if (p >= e || *p != '(') {
				set_err(err, errlen, "error %s without its explanation (truncated line?)", ev->errname);
				return -1;
			}
		}
		if (p < e) {
			/* a note in parentheses must close */
			if (*p == '(') {
				struct scan_out dummy = { 0 };
				char *note = xstrndup(p, (size_t)(e - p));
				const char *end = note ? scan(note, false, &dummy, NULL, 0) : NULL;
				free(dummy.commas);
				if (!end || note[strlen(note) - 1] != ')') {
					free(note);
					set_err(err, errlen, "unterminated note after the return value (truncated line?)");
					return -1;
				}
				free(note);
			}
			ev->ret_note = xstrndup(p, (size_t)(e - p));
		}
	}
	return 0;
}

/* after the closing ')' of the arguments */
static int parse_after_args(const char *p, struct strace_event *ev, char *err, size_t errlen)
{
	p = skip_sp(p);
	if (!*p) {
		set_err(err, errlen, "missing return value (truncated line?)");
		return -1;
	}
	if (*p != '=') {
		set_err(err, errlen, "expected '=' after the arguments, found '%.20s'", p);
		return -1;
	}
	p = skip_sp(p + 1);
	return parse_result(p, ev, err, errlen);
}

static const char unfinished_sfx[] = "<unfinished ...>";

int strace_parse_line(const char *line, struct strace_event *ev, char *err, size_t errlen)
{
	const char *p = line, *q;
	size_t len;
	char *copy = NULL;

	memset(ev, 0, sizeof(*ev));
	ev->duration = -1;
	if (err && errlen)
		err[0] = 0;
	/* drop the line end */
	len = strlen(line);
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len != strlen(line)) {
		copy = xstrndup(line, len);
		if (!copy) {
			set_err(err, errlen, "out of memory");
			return -1;
		}
		p = line = copy;
	}
	for (q = p; *q; q++)
		if ((unsigned char)*q < 0x20 && *q != '\t') {
			set_err(err, errlen, "control character in line");
			goto bad;
		}

	p = skip_sp(p);
	if (!*p || !strncmp(p, "strace: ", 8) || !strncmp(p, "> ", 2)) {
		ev->type = STRACE_BLANK;
		goto ok;
	}
	/* pid */
	if (!strncmp(p, "[pid", 4)) {
		char *end;
		long pid = strtol(p + 4, &end, 10);
		if (end == p + 4 || *end != ']' || pid <= 0 || pid > INT32_MAX) {
			set_err(err, errlen, "bad [pid N] prefix");
			goto bad;
		}
		ev->pid = (int)pid;
		p = skip_sp(end + 1);
	} else if (isdigit((unsigned char)*p)) {
		q = p;
		while (isdigit((unsigned char)*q))
			q++;
		if (*q == ' ' || *q == '\t') {
			long pid = strtol(p, NULL, 10);
			if (q - p > 10 || pid <= 0 || pid > INT32_MAX) {
				set_err(err, errlen, "bad pid '%.*s'", (int)(q - p), p);
				goto bad;
			}
			ev->pid = (int)pid;
			p = skip_sp(q);
		} else if (!*q) {
			set_err(err, errlen, "truncated line (only a pid)");
			goto bad;
		}
	}
	/* timestamp: 12:34:56[.123456], 1700000000.123456, 0.000123 (-r) */
	if (isdigit((unsigned char)*p)) {
		q = p;
		while (isdigit((unsigned char)*q) || *q == ':' || *q == '.')
			q++;
		if (*q != ' ' && *q != '\t') {
			set_err(err, errlen, "bad timestamp or pid '%.20s'", p);
			goto bad;
		}
		if ((size_t)(q - p) >= sizeof(ev->ts)) {
			set_err(err, errlen, "timestamp too long");
			goto bad;
		}
		copy_token(ev->ts, sizeof(ev->ts), p, (size_t)(q - p));
		p = skip_sp(q);
	}
	/* -i: [00007ffff7fe3b5b] */
	if (*p == '[' && isxdigit((unsigned char)p[1])) {
		q = p + 1;
		while (isxdigit((unsigned char)*q))
			q++;
		if (*q == ']')
			p = skip_sp(q + 1);
	}
	if (!*p) {
		set_err(err, errlen, "truncated line (no event after the prefix)");
		goto bad;
	}

	if (!strncmp(p, "+++ ", 4)) {
		size_t l = strlen(p);
		if (l < 8 || strcmp(p + l - 4, " +++") != 0) {
			set_err(err, errlen, "truncated '+++' line");
			goto bad;
		}
		if (!strncmp(p + 4, "exited with ", 12)) {
			char *end;
			long st = strtol(p + 16, &end, 10);
			if (end == p + 16 || strcmp(end, " +++") != 0) {
				set_err(err, errlen, "bad exit status");
				goto bad;
			}
			ev->type = STRACE_EXITED;
			ev->status = (int)st;
		} else if (!strncmp(p + 4, "killed by ", 10)) {
			const char *b = p + 14;
			q = b;
			while (is_ident(*q))
				q++;
			if (q == b) {
				set_err(err, errlen, "bad 'killed by' line");
				goto bad;
			}
			ev->type = STRACE_KILLED;
			copy_token(ev->name, sizeof(ev->name), b, (size_t)(q - b));
			ev->core_dumped = strstr(q, "(core dumped)") != NULL;
		} else if (!strncmp(p + 4, "superseded by execve in pid ", 28)) {
			char *end;
			long pid = strtol(p + 32, &end, 10);
			if (end == p + 32 || strcmp(end, " +++") != 0 || pid <= 0 || pid > INT32_MAX) {
				set_err(err, errlen, "bad 'superseded' line");
				goto bad;
			}
			ev->type = STRACE_SUPERSEDED;
			ev->status = (int)pid;
		} else {
			set_err(err, errlen, "unknown '+++' line");
			goto bad;
		}
		ev->args = strdup("");
		goto ok;
	}
	if (!strncmp(p, "--- ", 4)) {
		size_t l = strlen(p);
		const char *b;
		if (l < 8 || strcmp(p + l - 4, " ---") != 0) {
			set_err(err, errlen, "truncated signal line");
			goto bad;
		}
		b = p + 4;
		if (!strncmp(b, "stopped by ", 11))
			b += 11;
		q = b;
		while (is_ident(*q))
			q++;
		if (q == b) {
			set_err(err, errlen, "bad signal line");
			goto bad;
		}
		ev->type = STRACE_SIGNAL;
		copy_token(ev->name, sizeof(ev->name), b, (size_t)(q - b));
		q = skip_sp(q);
		if (q > p + l - 4)
			q = p + l - 4;
		ev->args = xstrndup(q, (size_t)(p + l - 4 - q));
		if (ev->args && *ev->args && !scan(ev->args, false, NULL, err, errlen))
			goto bad;
		goto ok;
	}
	if (!strncmp(p, "<... ", 5)) {
		const char *b = p + 5, *close;
		q = b;
		while (is_ident(*q))
			q++;
		if (q == b || (size_t)(q - b) >= sizeof(ev->name) || strncmp(q, " resumed>", 9) != 0) {
			set_err(err, errlen, "bad '<... NAME resumed>' line");
			goto bad;
		}
		ev->type = STRACE_RESUMED;
		copy_token(ev->name, sizeof(ev->name), b, (size_t)(q - b));
		p = q + 9;
		{
			const char *r = skip_sp(p);
			if (!strncmp(r, unfinished_sfx, sizeof(unfinished_sfx) - 1)) {
				ev->interrupted = true;
				p = r + sizeof(unfinished_sfx) - 1;
			}
		}
		close = scan(p, true, NULL, err, errlen);
		if (!close)
			goto bad;
		ev->args = xstrndup(p, (size_t)(close - p));
		if (parse_after_args(close + 1, ev, err, errlen))
			goto bad;
		goto ok;
	}
	/* name(args ... */
	{
		const char *b = p, *open, *close;
		size_t l;
		q = p;
		while (is_ident(*q) || *q == '?')
			q++;
		if (q == b || *q != '(') {
			set_err(err, errlen, "expected a system call, found '%.20s'", b);
			goto bad;
		}
		if ((size_t)(q - b) >= sizeof(ev->name)) {
			set_err(err, errlen, "system call name too long");
			goto bad;
		}
		copy_token(ev->name, sizeof(ev->name), b, (size_t)(q - b));
		open = q + 1;
		l = strlen(open);
		if (l >= sizeof(unfinished_sfx) - 1 &&
		    !strcmp(open + l - (sizeof(unfinished_sfx) - 1), unfinished_sfx)) {
			const char *e = open + l - (sizeof(unfinished_sfx) - 1);
			ev->type = STRACE_UNFINISHED;
			while (e > open && e[-1] == ' ')
				e--;
			ev->args = xstrndup(open, (size_t)(e - open));
			/* the first half must be well formed up to where it stops:
			 * only the missing ')' (and brackets left open) are allowed */
			if (ev->args) {
				char lerr[128] = "";
				const char *r = scan(ev->args, true, NULL, lerr, sizeof(lerr));
				if (r) {
					set_err(err, errlen, "'<unfinished ...>' after the closing parenthesis");
					goto bad;
				}
				if (!strstr(lerr, "unterminated argument list")) {
					set_err(err, errlen, "%s", lerr);
					goto bad;
				}
			}
			goto ok;
		}
		ev->type = STRACE_CALL;
		close = scan(open, true, NULL, err, errlen);
		if (!close)
			goto bad;
		ev->args = xstrndup(open, (size_t)(close - open));
		if (parse_after_args(close + 1, ev, err, errlen))
			goto bad;
	}
ok:
	if (!ev->args)
		ev->args = strdup("");
	if (!ev->args) {
		set_err(err, errlen, "out of memory");
		goto bad;
	}
	free(copy);
	return 0;
bad:
	if (err && errlen && !err[0])
		set_err(err, errlen, "malformed line");
	strace_event_free(ev);
	free(copy);
	return -1;
}
