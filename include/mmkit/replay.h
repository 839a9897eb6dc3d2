/* SPDX-License-Identifier: MIT */
/*
 * mmkit/replay.h - reading `strace -f` output (src/strace.c) and replaying
 * a real program's address-space history through mmkit (src/replay.c).
 *
 * The parser understands one line of strace output at a time: an optional
 * pid ("1234  " with -f -o, "[pid  1234] " without -o), an optional
 * timestamp (-t, -tt, -ttt, -r), then one of
 *   name(args) = ret [note] [<duration>]      a complete system call
 *   name(args <unfinished ...>                 its first half
 *   <... name resumed>args) = ret              its second half
 *   --- SIGxxx {...} ---                       a signal
 *   +++ exited with N +++                      the end of a task
 *   +++ killed by SIGxxx [(core dumped)] +++
 *   +++ superseded by execve in pid N +++
 * Arguments are split at top-level commas, respecting {} [] () nesting,
 * quoted strings with escapes, comments and -y fd annotations (3</path>).
 * The replay engine is described in docs/replay.md.
 */
#ifndef MMKIT_REPLAY_H
#define MMKIT_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* ---- one line of strace output --------------------------------------- */
enum strace_type {
	STRACE_BLANK,       /* an empty line, or an informational "strace: ..." line */
	STRACE_CALL,        /* name(args) = ret */
	STRACE_UNFINISHED,  /* name(args <unfinished ...> */
	STRACE_RESUMED,     /* <... name resumed>args) = ret */
	STRACE_SIGNAL,      /* --- SIGxxx {...} --- (or "--- stopped by SIGxxx ---") */
	STRACE_EXITED,      /* +++ exited with N +++ (status = N) */
	STRACE_KILLED,      /* +++ killed by SIGxxx +++ (name = the signal) */
	STRACE_SUPERSEDED,  /* +++ superseded by execve in pid N +++ (status = N) */
};

enum strace_ret {
	STRACE_RET_NONE,    /* no result on this line (unfinished, signal, exit) */
	STRACE_RET_VALUE,   /* "= 0", "= 0x7ffff7fc0000", "= 3</etc/ld.so.cache>" */
	STRACE_RET_ERROR,   /* "= -1 ENOENT (No such file or directory)" */
	STRACE_RET_UNKNOWN, /* "= ?" (possibly followed by ERESTARTSYS ...) */
};

struct strace_event {
	enum strace_type type;
	int pid;             /* 0 when the line has no pid prefix */
	char ts[40];         /* the timestamp as printed, "" if none */
	char name[64];       /* syscall name, or signal name for SIGNAL/KILLED */
	char *args;          /* raw argument text (CALL: all; UNFINISHED: the first
			      * part; RESUMED: the rest; SIGNAL: the {...} text); never NULL */
	enum strace_ret ret_kind;
	long ret;            /* VALUE: the value (addresses as their 64-bit pattern); ERROR: -1 */
	int err;             /* ERROR/UNKNOWN: errno value of errname, 0 if not known */
	char errname[32];    /* "ENOENT", "ERESTARTSYS", "" */
	char *ret_path;      /* -y annotation of a returned fd ("/etc/ld.so.cache"), or NULL */
	char *ret_note;      /* what follows the value: "(PER_LINUX)", "(No such file ...)", or NULL */
	double duration;     /* -T "<0.000012>", or -1 */
	int status;          /* EXITED: exit code; SUPERSEDED: the other pid */
	bool core_dumped;    /* KILLED ... (core dumped) */
	bool interrupted;    /* RESUMED "<unfinished ...>)" : killed inside the call */
};

/*
 * strace_parse_line - parse one line (without its newline). 0 on success;
 * -1 when the line is malformed or truncated, with a message in @err.
 * On success the event owns malloc'd strings: strace_event_free() them.
 */
int strace_parse_line(const char *line, struct strace_event *ev, char *err, size_t errlen);
void strace_event_free(struct strace_event *ev);

/*
 * strace_split_args - split argument text at top-level commas. Each piece
 * is trimmed of surrounding blanks. Returns the count (0 for empty text)
 * and a malloc'd array of malloc'd strings in *out (strace_free_args), or
 * -1 when brackets or quotes do not balance.
 */
int strace_split_args(const char *text, char ***out);
void strace_free_args(char **argv, int argc);

/* symbol tables for flags: { "PROT_READ", 1 }, ..., { NULL, 0 } */
struct strace_sym {
	const char *name;
	unsigned long val;
};
extern const struct strace_sym strace_prot_syms[], strace_map_syms[], strace_mremap_syms[],
	strace_madv_syms[], strace_mlock_syms[], strace_open_syms[], strace_clone_syms[],
	strace_errno_syms[], strace_misc_syms[];

/*
 * strace_arg_num - the numeric value of an argument: NULL, decimal, hex,
 * octal, negative numbers, FLAG|FLAG|0x10 with names from @syms (and from
 * strace_misc_syms: AT_FDCWD, RLIM_INFINITY, ...), N<<SHIFT, a*b, a
 * "name=" prefix, a trailing comment and a -y annotation (3</path>) are
 * understood. 0 on success; -1 and the unknown word in @bad (if given).
 */
int strace_arg_num(const char *arg, const struct strace_sym *syms, long *val, char *bad, size_t badlen);
/* the -y annotation of an fd argument ("3</etc/passwd>" -> "/etc/passwd"), malloc'd, or NULL */
char *strace_arg_fdpath(const char *arg);
/* a quoted string argument, unescaped, malloc'd; *truncated set when it
 * ends with "..." (strace -s). NULL when @arg is not a quoted string. */
char *strace_arg_string(const char *arg, bool *truncated);
/* an array of quoted strings (["a", "b", ...]); NULL-terminated malloc'd
 * array (strace_free_strv), or NULL when @arg is not such an array */
char **strace_arg_strv(const char *arg);
void strace_free_strv(char **v);
/* the text of field @field in a struct argument "{flags=X, stack=Y}":
 * malloc'd, or NULL when there is no such top-level field */
char *strace_arg_field(const char *arg, const char *field);
/* the errno value of a name ("ENOENT" -> 2), 0 when unknown */
int strace_errno_value(const char *name);
const char *strace_errno_name(int err);

/* ---- the replay --------------------------------------------------------- */
/* one played system call, for observers (the HTML report) */
struct mmk_replay_step {
	int line;             /* where its result is in the trace */
	int pid;
	const char *syscall;  /* "mmap", "clone", "execve", "exit_group", ... */
	const char *model;    /* the model's result, "" when the call is not compared */
	const char *trace;    /* the trace's result */
	int match;            /* 1, 0, or -1 when not compared */
};

struct mmk_replay_opts {
	bool check;       /* compare every modelled result with the trace's */
	bool keep_going;  /* with check: count all differences, do not stop */
	bool json;        /* one JSON object per modelled syscall on @out */
	bool progress;    /* a progress line on stderr */
	int initial_aslr; /* the first process's personality at its execve:
			   * -1 find out from the trace (default), 0 ASLR off, 1 on */
	FILE *out;        /* maps and JSON output (stdout if NULL) */
	FILE *err;        /* messages (stderr if NULL) */
	/* called after every address-space, process or exec call is played */
	void (*on_step)(void *priv, const struct mmk_replay_step *st);
	void *priv;
};

/*
 * mmk_replay - replay the strace output @text (named @name in messages).
 * Boots the simulated machine and shuts it down again. Returns 0 when the
 * replay ran (and, with check, every result matched), 1 when a result
 * differed (check) or the library reported a problem, 2 when the trace is
 * malformed or truncated ("NAME:LINE: message" on @err).
 */
int mmk_replay(const char *name, const char *text, const struct mmk_replay_opts *opts);
/* the same for a file ("-" = standard input); a NUL byte in it is an error (2) */
int mmk_replay_file(const char *path, const struct mmk_replay_opts *opts);
/* @s as a JSON string, quotes included (the --json outputs of `mmkit
 * replay` and `mmkit run`) */
void mmk_json_str(FILE *f, const char *s);

#endif /* MMKIT_REPLAY_H */
