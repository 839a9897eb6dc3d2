/* SPDX-License-Identifier: MIT */
/*
 * tests/test_strace.c - the strace line parser (src/strace.c) on lines as
 * strace 6.x prints them, on malformed and truncated lines (an error with a
 * message, never a crash), and the replay engine's bookkeeping (src/replay.c)
 * on small hand-written traces: fds, fork, exec, maps reads, errors.
 */
#include "harness.h"
#include <mmkit/mmkit.h>
#include <mmkit/replay.h>
#include <fcntl.h>
#include <unistd.h>

static struct strace_event ev;
static char err[256];

static void parse_ok(const char *line)
{
	if (strace_parse_line(line, &ev, err, sizeof(err)) != 0) {
		fprintf(stderr, "parse failed: %s\n  line: %s\n", err, line);
		exit(1);
	}
}

static void parse_bad(const char *line, const char *want)
{
	struct strace_event e;
	char msg[256];
	if (strace_parse_line(line, &e, msg, sizeof(msg)) == 0) {
		fprintf(stderr, "parse succeeded on a bad line: %s\n", line);
		exit(1);
	}
	if (!msg[0]) {
		fprintf(stderr, "no message for bad line: %s\n", line);
		exit(1);
	}
	if (want && !strstr(msg, want)) {
		fprintf(stderr, "message '%s' lacks '%s' for: %s\n", msg, want, line);
		exit(1);
	}
}

TEST(call_with_pid)
{
	parse_ok("20709 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7ffff7fc0000");
	CHECK_EQ(ev.type, STRACE_CALL);
	CHECK_EQ(ev.pid, 20709);
	CHECK_STR(ev.name, "mmap");
	CHECK_STR(ev.args, "NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0");
	CHECK_EQ(ev.ret_kind, STRACE_RET_VALUE);
	CHECK_EQ(ev.ret, 0x7ffff7fc0000L);
	CHECK(ev.ret_path == NULL && ev.ret_note == NULL);
	CHECK(ev.duration < 0);
	CHECK_STR(ev.ts, "");
	strace_event_free(&ev);

	parse_ok("20709 brk(NULL)                         = 0x555555560000");
	CHECK_STR(ev.name, "brk");
	CHECK_EQ(ev.ret, 0x555555560000L);
	strace_event_free(&ev);

	/* no pid at all (strace without -f) */
	parse_ok("munmap(0x7ffff7fb5000, 41491)     = 0");
	CHECK_EQ(ev.pid, 0);
	CHECK_EQ(ev.ret, 0);
	strace_event_free(&ev);

	/* [pid N] (strace -f without -o) */
	parse_ok("[pid  1235] mprotect(0x7ffff7fa2000, 16384, PROT_READ) = 0");
	CHECK_EQ(ev.pid, 1235);
	CHECK_STR(ev.name, "mprotect");
	strace_event_free(&ev);

	/* no arguments */
	parse_ok("1234  munlockall()                      = 0");
	CHECK_STR(ev.args, "");
	strace_event_free(&ev);
	parse_ok("1234  getpid()                        = 1234 <0.000004>");
	CHECK_EQ(ev.ret, 1234);
	CHECK(ev.duration > 0.0000039 && ev.duration < 0.0000041);
	strace_event_free(&ev);
}

TEST(timestamps_and_durations)
{
	parse_ok("32463 00:20:52.090346 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7ffff7fc0000 <0.000014>");
	CHECK_STR(ev.ts, "00:20:52.090346");
	CHECK_EQ(ev.pid, 32463);
	CHECK_EQ(ev.ret, 0x7ffff7fc0000L);
	CHECK(ev.duration > 0.0000139 && ev.duration < 0.0000141);
	strace_event_free(&ev);

	parse_ok("1700000000.123456 brk(NULL) = 0x555555560000");
	CHECK_STR(ev.ts, "1700000000.123456");
	CHECK_EQ(ev.pid, 0);
	strace_event_free(&ev);

	parse_ok("4242  1700000000.123456 brk(NULL) = 0x555555560000 <0.000005>");
	CHECK_EQ(ev.pid, 4242);
	CHECK_STR(ev.ts, "1700000000.123456");
	strace_event_free(&ev);

	parse_ok("12:34:56 close(3)                          = 0");
	CHECK_STR(ev.ts, "12:34:56");
	strace_event_free(&ev);

	parse_ok("[pid  77] 12:34:56.000001 close(3) = 0");
	CHECK_EQ(ev.pid, 77);
	CHECK_STR(ev.ts, "12:34:56.000001");
	strace_event_free(&ev);

	/* -r relative timestamps and -i instruction pointers */
	parse_ok("     0.000123 close(3) = 0");
	CHECK_STR(ev.ts, "0.000123");
	strace_event_free(&ev);
	parse_ok("1234  [00007ffff7fe3b5b] close(3) = 0");
	CHECK_EQ(ev.pid, 1234);
	CHECK_STR(ev.name, "close");
	strace_event_free(&ev);
}

TEST(errors_and_notes)
{
	parse_ok("20709 access(\"/etc/ld.so.preload\", R_OK) = -1 ENOENT (No such file or directory)");
	CHECK_EQ(ev.ret_kind, STRACE_RET_ERROR);
	CHECK_EQ(ev.ret, -1);
	CHECK_EQ(ev.err, ENOENT);
	CHECK_STR(ev.errname, "ENOENT");
	CHECK_STR(ev.ret_note, "(No such file or directory)");
	strace_event_free(&ev);

	parse_ok("1234  mmap(0x10000, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE, -1, 0) = -1 EEXIST (File exists) <0.000009>");
	CHECK_EQ(ev.err, EEXIST);
	CHECK(ev.duration > 0);
	strace_event_free(&ev);

	parse_ok("1234  exit_group(0)                     = ?");
	CHECK_EQ(ev.ret_kind, STRACE_RET_UNKNOWN);
	strace_event_free(&ev);

	parse_ok("1234  read(0, 0x7ffd, 1) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)");
	CHECK_EQ(ev.ret_kind, STRACE_RET_UNKNOWN);
	CHECK_STR(ev.errname, "ERESTARTSYS");
	CHECK_EQ(ev.err, 512);
	strace_event_free(&ev);

	parse_ok("20709 personality(PER_LINUX|ADDR_NO_RANDOMIZE) = 0 (PER_LINUX)");
	CHECK_EQ(ev.ret, 0);
	CHECK_STR(ev.ret_note, "(PER_LINUX)");
	strace_event_free(&ev);

	parse_ok("1 personality(0xffffffff) = 0x40000 (PER_LINUX|ADDR_NO_RANDOMIZE)");
	CHECK_EQ(ev.ret, 0x40000);
	strace_event_free(&ev);

	parse_ok("1234  poll([{fd=3, events=POLLIN}], 1, 0) = 1 ([{fd=3, revents=POLLIN}])");
	CHECK_EQ(ev.ret, 1);
	CHECK_STR(ev.ret_note, "([{fd=3, revents=POLLIN}])");
	strace_event_free(&ev);

	parse_ok("1234  lseek(3, -1, SEEK_CUR) = -22");
	CHECK_EQ(ev.ret_kind, STRACE_RET_VALUE);
	CHECK_EQ(ev.ret, -22);
	strace_event_free(&ev);

	parse_ok("1234  mmap(NULL, 4096, PROT_READ, MAP_SHARED, 3, 0) = 0xffffffffff600000");
	CHECK_EQ((unsigned long)ev.ret, 0xffffffffff600000UL);
	strace_event_free(&ev);
}

TEST(y_annotations)
{
	parse_ok("32463 00:20:52.087165 openat(AT_FDCWD</tmp>, \"/etc/ld.so.cache\", O_RDONLY|O_CLOEXEC) = 3</etc/ld.so.cache> <0.000011>");
	CHECK_EQ(ev.ret, 3);
	CHECK_STR(ev.ret_path, "/etc/ld.so.cache");
	CHECK(ev.duration > 0);
	{
		char **a;
		int n = strace_split_args(ev.args, &a);
		char *p;
		long v;
		CHECK_EQ(n, 3);
		CHECK_STR(a[0], "AT_FDCWD</tmp>");
		p = strace_arg_fdpath(a[0]);
		CHECK(p != NULL);
		CHECK_STR(p, "/tmp");
		free(p);
		CHECK_EQ(strace_arg_num(a[0], NULL, &v, NULL, 0), 0);
		CHECK_EQ(v, -100);
		p = strace_arg_string(a[1], NULL);
		CHECK_STR(p, "/etc/ld.so.cache");
		free(p);
		CHECK_EQ(strace_arg_num(a[2], strace_open_syms, &v, NULL, 0), 0);
		CHECK_EQ(v, O_RDONLY | O_CLOEXEC);
		strace_free_args(a, n);
	}
	strace_event_free(&ev);

	/* a path with a comma, parentheses and an escaped '>' inside the annotation */
	parse_ok("5 mmap(NULL, 4096, PROT_READ, MAP_SHARED, 3</tmp/a,b (x)\\76y>, 0) = 0x7ffff7ff0000");
	{
		char **a;
		int n = strace_split_args(ev.args, &a);
		char *p;
		long v;
		CHECK_EQ(n, 6);
		p = strace_arg_fdpath(a[4]);
		CHECK_STR(p, "/tmp/a,b (x)>y");
		free(p);
		CHECK_EQ(strace_arg_num(a[4], NULL, &v, NULL, 0), 0);
		CHECK_EQ(v, 3);
		strace_free_args(a, n);
	}
	strace_event_free(&ev);

	/* strace 6 puts "(deleted)" after the annotation */
	parse_ok("6465  memfd_create(\"hello\", MFD_CLOEXEC) = 3</memfd:hello>(deleted)");
	CHECK_STR(ev.ret_path, "/memfd:hello (deleted)");
	CHECK(ev.ret_note == NULL);
	strace_event_free(&ev);
	parse_ok("6465  mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 3</memfd:hello>(deleted), 0x1000) = 0x7ffff7fbe000");
	{
		char **a;
		int n = strace_split_args(ev.args, &a);
		char *p;
		long v;
		CHECK_EQ(n, 6);
		CHECK_EQ(strace_arg_num(a[4], NULL, &v, NULL, 0), 0);
		CHECK_EQ(v, 3);
		p = strace_arg_fdpath(a[4]);
		CHECK_STR(p, "/memfd:hello (deleted)");
		free(p);
		strace_free_args(a, n);
	}
	strace_event_free(&ev);
	parse_ok("9 socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) = 4<socket:[123456]>");
	CHECK_STR(ev.ret_path, "socket:[123456]");
	strace_event_free(&ev);
}

TEST(unfinished_resumed)
{
	parse_ok("32463 00:20:52.091810 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, child_tid=0x7ffff7dcf990, parent_tid=0x7ffff7dcf990, exit_signal=0, stack=0x7ffff75cf000, stack_size=0x7fff80, tls=0x7ffff7dcf6c0} <unfinished ...>");
	CHECK_EQ(ev.type, STRACE_UNFINISHED);
	CHECK_STR(ev.name, "clone3");
	CHECK_EQ(ev.ret_kind, STRACE_RET_NONE);
	{
		char *f = strace_arg_field(ev.args, "flags");
		long v;
		CHECK(f != NULL);
		CHECK_EQ(strace_arg_num(f, strace_clone_syms, &v, NULL, 0), 0);
		CHECK(v & CLONE_THREAD);
		CHECK(v & CLONE_VM);
		free(f);
		f = strace_arg_field(ev.args, "stack_size");
		CHECK_STR(f, "0x7fff80");
		free(f);
		CHECK(strace_arg_field(ev.args, "nosuch") == NULL);
	}
	strace_event_free(&ev);

	parse_ok("32463 00:20:52.091913 <... clone3 resumed> => {parent_tid=[32464]}, 88) = 32464 <0.000090>");
	CHECK_EQ(ev.type, STRACE_RESUMED);
	CHECK_STR(ev.name, "clone3");
	CHECK_STR(ev.args, " => {parent_tid=[32464]}, 88");
	CHECK_EQ(ev.ret, 32464);
	strace_event_free(&ev);

	parse_ok("32463 wait4(32465,  <unfinished ...>");
	CHECK_EQ(ev.type, STRACE_UNFINISHED);
	CHECK_STR(ev.args, "32465,");
	strace_event_free(&ev);

	parse_ok("32467 <... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 32468");
	CHECK_STR(ev.args, "[{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL");
	strace_event_free(&ev);

	parse_ok("32463 vfork( <unfinished ...>");
	CHECK_EQ(ev.type, STRACE_UNFINISHED);
	CHECK_STR(ev.args, "");
	strace_event_free(&ev);

	parse_ok("32463 <... vfork resumed>)             = 32466");
	CHECK_EQ(ev.ret, 32466);
	strace_event_free(&ev);

	parse_ok("1236  <... futex resumed>)             = ?");
	CHECK_EQ(ev.ret_kind, STRACE_RET_UNKNOWN);
	strace_event_free(&ev);

	parse_ok("1236  <... read resumed> <unfinished ...>) = ?");
	CHECK(ev.interrupted);
	CHECK_EQ(ev.ret_kind, STRACE_RET_UNKNOWN);
	strace_event_free(&ev);

	parse_ok("32467 execve(\"/bin/sh\", [\"sh\", \"-c\", \"cat /proc/self/maps > /dev/null\"], 0x7fffffffe7d8 /* 37 vars */ <unfinished ...>");
	{
		char **a, **v;
		int n = strace_split_args(ev.args, &a);
		CHECK_EQ(n, 3);
		v = strace_arg_strv(a[1]);
		CHECK(v && v[0] && v[1] && v[2] && !v[3]);
		CHECK_STR(v[2], "cat /proc/self/maps > /dev/null");
		strace_free_strv(v);
		CHECK(strace_arg_strv(a[2]) == NULL);
		strace_free_args(a, n);
	}
	strace_event_free(&ev);

	parse_ok("1 restart_syscall(<... resuming interrupted read ...>) = 0");
	CHECK_STR(ev.name, "restart_syscall");
	strace_event_free(&ev);
}

TEST(exits_and_signals)
{
	parse_ok("20709 +++ exited with 0 +++");
	CHECK_EQ(ev.type, STRACE_EXITED);
	CHECK_EQ(ev.status, 0);
	strace_event_free(&ev);
	parse_ok("[pid 12] 12:00:00.000001 +++ exited with 255 +++");
	CHECK_EQ(ev.status, 255);
	CHECK_EQ(ev.pid, 12);
	strace_event_free(&ev);
	parse_ok("1234  +++ killed by SIGKILL +++");
	CHECK_EQ(ev.type, STRACE_KILLED);
	CHECK_STR(ev.name, "SIGKILL");
	CHECK(!ev.core_dumped);
	strace_event_free(&ev);
	parse_ok("1234  +++ killed by SIGSEGV (core dumped) +++");
	CHECK(ev.core_dumped);
	strace_event_free(&ev);
	parse_ok("1234  +++ superseded by execve in pid 1236 +++");
	CHECK_EQ(ev.type, STRACE_SUPERSEDED);
	CHECK_EQ(ev.status, 1236);
	strace_event_free(&ev);
	parse_ok("32463 00:20:52.094196 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=32465, si_uid=0, si_status=0, si_utime=0, si_stime=0} ---");
	CHECK_EQ(ev.type, STRACE_SIGNAL);
	CHECK_STR(ev.name, "SIGCHLD");
	CHECK(strstr(ev.args, "si_pid=32465") != NULL);
	strace_event_free(&ev);
	parse_ok("1234  --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL} ---");
	CHECK_STR(ev.name, "SIGSEGV");
	strace_event_free(&ev);
	parse_ok("1234  --- stopped by SIGSTOP ---");
	CHECK_EQ(ev.type, STRACE_SIGNAL);
	CHECK_STR(ev.name, "SIGSTOP");
	strace_event_free(&ev);
	parse_ok("");
	CHECK_EQ(ev.type, STRACE_BLANK);
	strace_event_free(&ev);
	parse_ok("strace: Process 1235 attached");
	CHECK_EQ(ev.type, STRACE_BLANK);
	strace_event_free(&ev);
	parse_ok("1234  close(3) = 0\r\n");
	CHECK_EQ(ev.type, STRACE_CALL);
	strace_event_free(&ev);
}

TEST(split_and_strings)
{
	char **a;
	int n;
	char *s;
	bool trunc;

	n = strace_split_args("3, \"a,b\\\"c)\"..., {x=1, y=[2, 3]}, f(a, b), /* c, d */ 5", &a);
	CHECK_EQ(n, 5);
	CHECK_STR(a[0], "3");
	CHECK_STR(a[1], "\"a,b\\\"c)\"...");
	CHECK_STR(a[2], "{x=1, y=[2, 3]}");
	CHECK_STR(a[3], "f(a, b)");
	CHECK_STR(a[4], "/* c, d */ 5");
	s = strace_arg_string(a[1], &trunc);
	CHECK_STR(s, "a,b\"c)");
	CHECK(trunc);
	free(s);
	strace_free_args(a, n);

	CHECK_EQ(strace_split_args("", &a), 0);
	CHECK_EQ(strace_split_args("   ", &a), 0);
	CHECK_EQ(strace_split_args("\"unterminated", &a), -1);
	CHECK_EQ(strace_split_args("{a, b", &a), -1);
	CHECK_EQ(strace_split_args("a]", &a), -1);
	CHECK_EQ(strace_split_args("(]", &a), -1);
	CHECK_EQ(strace_split_args("/* x", &a), -1);

	s = strace_arg_string("\"\\x7c\\333\\n\\t\\\\\\\"\\0end\"", &trunc);
	CHECK(s != NULL);
	CHECK_EQ((unsigned char)s[0], 0x7c);
	CHECK_EQ((unsigned char)s[1], 0333);
	CHECK_EQ(s[2], '\n');
	CHECK_EQ(s[3], '\t');
	CHECK_EQ(s[4], '\\');
	CHECK_EQ(s[5], '"');
	CHECK_EQ(s[6], 0);
	CHECK(!trunc);
	free(s);
	CHECK(strace_arg_string("NULL", NULL) == NULL);
	CHECK(strace_arg_string("\"open", NULL) == NULL);

	{
		char **v = strace_arg_strv("[\"a\", \"b c\", ...]");
		CHECK(v && !strcmp(v[0], "a") && !strcmp(v[1], "b c") && !v[2]);
		strace_free_strv(v);
		v = strace_arg_strv("[]");
		CHECK(v && !v[0]);
		strace_free_strv(v);
		CHECK(strace_arg_strv("NULL") == NULL);
		CHECK(strace_arg_strv("[1, 2]") == NULL);
	}
}

TEST(numbers_and_flags)
{
	long v;
	char bad[64];
	CHECK_EQ(strace_arg_num("NULL", NULL, &v, NULL, 0), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(strace_arg_num("0x7ffff7df9000", NULL, &v, NULL, 0), 0);
	CHECK_EQ(v, 0x7ffff7df9000L);
	CHECK_EQ(strace_arg_num("-1", NULL, &v, NULL, 0), 0);
	CHECK_EQ(v, -1);
	CHECK_EQ(strace_arg_num("0644", NULL, &v, NULL, 0), 0);
	CHECK_EQ(v, 0644);
	CHECK_EQ(strace_arg_num("PROT_READ|PROT_WRITE|PROT_EXEC", strace_prot_syms, &v, NULL, 0), 0);
	CHECK_EQ(v, 7);
	CHECK_EQ(strace_arg_num("PROT_NONE", strace_prot_syms, &v, NULL, 0), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(strace_arg_num("MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE", strace_map_syms, &v, NULL, 0), 0);
	CHECK_EQ(v, MAP_PRIVATE | MAP_FIXED | MAP_DENYWRITE);
	CHECK_EQ(strace_arg_num("MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|21<<MAP_HUGE_SHIFT", strace_map_syms, &v, NULL, 0), 0);
	CHECK_EQ(v, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | (21L << 26));
	CHECK_EQ(strace_arg_num("MAP_SHARED|0x40", strace_map_syms, &v, NULL, 0), 0);
	CHECK_EQ(v, MAP_SHARED | 0x40);
	CHECK_EQ(strace_arg_num("MREMAP_MAYMOVE|MREMAP_FIXED", strace_mremap_syms, &v, NULL, 0), 0);
	CHECK_EQ(v, 3);
	CHECK_EQ(strace_arg_num("MADV_DONTNEED", strace_madv_syms, &v, NULL, 0), 0);
	CHECK_EQ(v, 4);
	CHECK_EQ(strace_arg_num("MADV_WIPEONFORK", strace_madv_syms, &v, NULL, 0), 0);
	CHECK_EQ(v, 18);
	CHECK_EQ(strace_arg_num("MCL_CURRENT|MCL_FUTURE", strace_mlock_syms, &v, NULL, 0), 0);
	CHECK_EQ(v, 3);
	CHECK_EQ(strace_arg_num("flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD", strace_clone_syms, &v, NULL, 0), 0);
	CHECK_EQ(v, 0x200000 | 0x1000000 | 17);
	CHECK_EQ(strace_arg_num("rlim_cur=8192*1024", NULL, &v, NULL, 0), 0);
	CHECK_EQ(v, 8192 * 1024);
	CHECK_EQ(strace_arg_num("RLIM64_INFINITY", NULL, &v, NULL, 0), 0);
	CHECK_EQ(v, -1);
	CHECK_EQ(strace_arg_num("0x7ffdb164c140 /* 37 vars */", NULL, &v, NULL, 0), 0);
	CHECK_EQ(v, 0x7ffdb164c140L);
	CHECK_EQ(strace_arg_num("3</usr/lib/x86_64-linux-gnu/libc.so.6>", NULL, &v, NULL, 0), 0);
	CHECK_EQ(v, 3);
	CHECK_EQ(strace_arg_num("O_RDWR|O_CREAT|O_TRUNC|O_CLOEXEC", strace_open_syms, &v, NULL, 0), 0);
	CHECK_EQ(v, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC);
	CHECK_EQ(strace_arg_num("MAP_PRIVATE|MAP_BOGUS", strace_map_syms, &v, bad, sizeof(bad)), -1);
	CHECK_STR(bad, "MAP_BOGUS");
	CHECK_EQ(strace_arg_num("", NULL, &v, bad, sizeof(bad)), -1);
	CHECK_EQ(strace_arg_num("\"str\"", NULL, &v, bad, sizeof(bad)), -1);
	CHECK_EQ(strace_arg_num("0x", NULL, &v, bad, sizeof(bad)), -1);
	CHECK_EQ(strace_errno_value("ENOMEM"), ENOMEM);
	CHECK_EQ(strace_errno_value("ENOTAREALERRNO"), 0);
	CHECK_STR(strace_errno_name(EEXIST), "EEXIST");
}

TEST(malformed_lines)
{
	parse_bad("1234  mmap(NULL, 8192, PROT_R", "unterminated argument list");
	parse_bad("1234  mmap(NULL, 8192, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)", "missing return value");
	parse_bad("1234  mmap(NULL, 8192, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) =", "missing return value");
	parse_bad("1234  mmap(NULL, 8192, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0xzz", "bad return value");
	parse_bad("1234  mmap(NULL, 8192) 0x1000", "expected '='");
	parse_bad("1234  open(\"/etc/passwd, O_RDONLY) = 3", "unterminated string");
	parse_bad("1234  mmap(]) = 0", "unbalanced");
	parse_bad("1234  poll([{fd=3, events=POLLIN]}, 1, 0) = 1", "where");
	parse_bad("1234  f(/* x) = 0", "unterminated comment");
	parse_bad("1234  mmap(NULL, 4096, PROT_READ, MAP_SHARED, 3</etc/pa", "unterminated");
	parse_bad("1234  +++ exited with +++", "exit status");
	parse_bad("1234  +++ exited with 0", "truncated");
	parse_bad("1234  +++ something else +++", "unknown");
	parse_bad("1234  --- SIGCHLD {si_signo=SIGCHLD", "truncated");
	parse_bad("1234  <... mmap resumed", "resumed");
	parse_bad("1234  <... mmap resumed>, 0) = ", "missing return value");
	parse_bad("1234  <... mmap resumed>, 0", "unterminated");
	parse_bad("1234", "only a pid");
	parse_bad("1234  ", "no event");
	parse_bad("hello world", "expected a system call");
	parse_bad("1234  \"quoted\"", "expected a system call");
	parse_bad("[pid abc] close(3) = 0", "pid");
	parse_bad("99999999999 close(3) = 0", "pid");
	parse_bad("1234  close(3) = 0 trailing\x01", "control character");
	parse_bad("1234  read(3, \"abc <unfinished ...>", "unterminated string");
	parse_bad("1234  close(3) <unfinished ...> = 0", NULL);
	parse_bad("1234  close(3) = ?? x", NULL);
	parse_bad("1234  open(\"/x\", O_RDONLY) = -1 ENOENT (No", "unterminated note");
	parse_bad("1234  open(\"/x\", O_RDONLY) = -1 ENOENT", "explanation");
	parse_bad("1234  poll([{fd=3, events=POLLIN}], 1, 0) = 1 ([{fd=3, revents=POLLIN}]", "unterminated note");
}

/* every prefix of real lines, and every single-byte mutation: an answer, never a crash */
TEST(truncation_and_mutation_never_crash)
{
	static const char *lines[] = {
		"32463 00:20:52.091810 clone3({flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD, stack=0x7ffff7fb7000, stack_size=0x9000}, 88 <unfinished ...>",
		"32467 <... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 32468 <0.003311>",
		"20709 read(3</proc/20709/maps>, \"555555554000-555555556000 r--p 0\"..., 131072) = 3693",
		"32463 00:20:52.087165 openat(AT_FDCWD</tmp>, \"/etc/ld.so.cache\", O_RDONLY|O_CLOEXEC) = 3</etc/ld.so.cache> <0.000011>",
		"1234  access(\"/etc/ld.so.preload\", R_OK) = -1 ENOENT (No such file or directory)",
		"1234  +++ killed by SIGSEGV (core dumped) +++",
		"[pid  1235] --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=32465} ---",
		"1236  <... read resumed> <unfinished ...>) = ?",
	};
	static const char junk[] = "(){}[]\"\\<>,=?+-. 0x/*";
	int parsed = 0, rejected = 0;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		size_t len = strlen(lines[i]);
		char *buf = malloc(len + 1);
		for (size_t cut = 0; cut <= len; cut++) {
			memcpy(buf, lines[i], cut);
			buf[cut] = 0;
			if (strace_parse_line(buf, &ev, err, sizeof(err)) == 0) {
				parsed++;
				strace_event_free(&ev);
			} else {
				CHECK(err[0] != 0);
				rejected++;
			}
		}
		for (size_t pos = 0; pos < len; pos++)
			for (size_t j = 0; j < sizeof(junk) - 1; j++) {
				memcpy(buf, lines[i], len + 1);
				buf[pos] = junk[j];
				if (strace_parse_line(buf, &ev, err, sizeof(err)) == 0) {
					char **a;
					int n = strace_split_args(ev.args, &a);
					strace_free_args(a, n > 0 ? n : 0);
					strace_event_free(&ev);
				} else {
					CHECK(err[0] != 0);
				}
			}
		free(buf);
	}
	CHECK(parsed > 0 && rejected > 0);
	/* and a NULL error buffer is allowed */
	CHECK_EQ(strace_parse_line("1234  mmap(", &ev, NULL, 0), -1);
}

/* ---- the replay engine on hand-written traces ------------------------------ */

static char *out_buf, *err_buf;

static int replay(const char *trace, bool check, bool json)
{
	size_t olen = 0, elen = 0;
	FILE *o, *e;
	struct mmk_replay_opts opts = { .check = check, .keep_going = true, .json = json, .initial_aslr = 0 };
	int rc;
	free(out_buf);
	free(err_buf);
	o = open_memstream(&out_buf, &olen);
	e = open_memstream(&err_buf, &elen);
	CHECK(o && e);
	opts.out = o;
	opts.err = e;
	rc = mmk_replay("t.strace", trace, &opts);
	fclose(o);
	fclose(e);
	return rc;
}

static void want_err(const char *trace, const char *msg)
{
	int rc = replay(trace, true, false);
	if (rc != 2 || !strstr(err_buf, msg)) {
		fprintf(stderr, "want exit 2 and '%s', got %d:\n%s\n", msg, rc, err_buf);
		exit(1);
	}
}

/* the value of "model" in the JSON object of line @line */
static const char *model_at(int line)
{
	static char val[64];
	char key[32];
	const char *p;
	snprintf(key, sizeof(key), "{\"line\":%d,", line);
	p = strstr(out_buf, key);
	if (!p)
		return NULL;
	p = strstr(p, "\"model\":\"");
	if (!p)
		return NULL;
	p += 9;
	snprintf(val, sizeof(val), "%.*s", (int)strcspn(p, "\""), p);
	return val;
}

#define T_EXEC "100 execve(\"/bin/true\", [\"true\"], 0x7ffd /* 3 vars */) = 0\n"

TEST(replay_malformed)
{
	if (access("/bin/true", X_OK) != 0)
		SKIP("/bin/true is missing");
	want_err(T_EXEC "100 mmap(NULL, 8192, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0\n", "t.strace:2: unterminated argument list");
	want_err(T_EXEC "100 close(3) = 0\n100 <... mmap resumed>) = 0x1000\n", "t.strace:3: '<... mmap resumed>' without an unfinished mmap call of pid 100");
	want_err(T_EXEC "100 mmap(NULL, 4096 <unfinished ...>\n100 <... munmap resumed>) = 0\n", "t.strace:3:");
	want_err(T_EXEC "100 mmap(NULL, 4096 <unfinished ...>\n100 close(3 <unfinished ...>\n", "t.strace:3: pid 100 starts close while another call is unfinished");
	want_err(T_EXEC "100 mmap(NULL, 8192, PROT_READ, MAP_PRIVATE|MAP_BOGUS, -1, 0) = 0x7ffff7fc0000\n", "t.strace:2: mmap: unknown mmap flag 'MAP_BOGUS'");
	want_err(T_EXEC "100 mmap(NULL, 8192, PROT_READ) = 0x7ffff7fc0000\n", "t.strace:2: mmap: missing argument 4");
	want_err(T_EXEC "100 munmap(\"x\", 8192) = 0\n", "t.strace:2: munmap: bad address");
	want_err(T_EXEC "garbage\n", "t.strace:2: expected a system call");
	/* a truncated last line without its newline */
	want_err(T_EXEC "100 brk(NULL) = 0x5555", "t.strace:2: truncated line (no newline");
	want_err(T_EXEC "100 brk(NU\n", "t.strace:2: unterminated");
	want_err(T_EXEC "100 brk(NU", "t.strace:2: truncated line");
	/* an empty trace is fine */
	CHECK_EQ(replay("", true, false), 0);
}

TEST(replay_files_and_processes)
{
	const char *t;
	if (access("/bin/true", X_OK) != 0 || access("/etc/passwd", R_OK) != 0)
		SKIP("/bin/true or /etc/passwd is missing");
	t = T_EXEC
	    /* 2 */ "100 openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY|O_CLOEXEC) = 3\n"
	    /* 3 */ "100 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 3, 0) = 0x7ffff7fc0000\n"
	    /* 4 */ "100 dup2(3, 7) = 7\n"
	    /* 5 */ "100 close(3) = 0\n"
	    /* 6 */ "100 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 3, 0) = -1 EBADF (Bad file descriptor)\n"
	    /* 7 */ "100 mmap(NULL, 4096, PROT_READ, MAP_SHARED, 7, 0) = 0x7ffff7fbf000\n"
	    /* 8 */ "100 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7ffff7d88a10) = 101\n"
	    /* 9 */ "101 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 7, 0) = 0x7ffff7fbe000\n"
	    /* 10 */ "101 close(7) = 0\n"
	    /* 11 */ "101 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 7, 0) = -1 EBADF (Bad file descriptor)\n"
	    /* 12 */ "100 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 7, 0) = 0x7ffff7fbe000\n"
	    /* 13 */ "101 openat(AT_FDCWD, \"/proc/self/maps\", O_RDONLY) = 3\n"
	    /* 14 */ "101 read(3, \"...\"..., 131072) = 3693\n"
	    /* 15 */ "101 read(3, \"\", 131072) = 0\n"
	    /* 16 */ "101 exit_group(0) = ?\n"
	    /* 17 */ "101 +++ exited with 0 +++\n"
	    /* 18 */ "100 openat(AT_FDCWD, \"/etc/passwd\", O_RDWR) = 4\n"
	    /* 19 */ "100 fcntl(4, F_DUPFD_CLOEXEC, 10) = 10\n"
	    /* 20 */ "100 execve(\"/nonexistent\", [\"x\"], 0x7ffd /* 3 vars */) = -1 ENOENT (No such file or directory)\n"
	    /* 21 */ "100 mmap(NULL, 4096, PROT_READ, MAP_SHARED, 10, 0) = 0x7ffff7fbd000\n"
	    /* 22 */ "100 execve(\"/bin/true\", [\"true\"], 0x7ffd /* 3 vars */) = 0\n"
	    /* 23 */ "100 mmap(NULL, 4096, PROT_READ, MAP_SHARED, 10, 0) = -1 EBADF (Bad file descriptor)\n"
	    /* 24 */ "100 mmap(NULL, 4096, PROT_READ, MAP_SHARED, 4, 0) = 0x7ffff7fbd000\n"
	    /* 25 */ "100 exit_group(0) = ?\n"
	    /* 26 */ "100 +++ exited with 0 +++\n";
	CHECK_EQ(replay(t, false, true) & 2, 0);
	CHECK(model_at(3) && model_at(3)[0] == '0');       /* mapped */
	CHECK_STR(model_at(6), "-EBADF");                  /* closed */
	CHECK(model_at(7)[0] == '0');                      /* the dup survives */
	CHECK(model_at(9)[0] == '0');                      /* inherited by the child */
	CHECK_STR(model_at(11), "-EBADF");                 /* closed in the child ... */
	CHECK(model_at(12)[0] == '0');                     /* ... but not in the parent */
	CHECK(model_at(21)[0] == '0');                     /* a failed execve changes nothing */
	CHECK_STR(model_at(23), "-EBADF");                 /* F_DUPFD_CLOEXEC closed at exec */
	CHECK(model_at(24)[0] == '0');                     /* O_RDWR without O_CLOEXEC survives */
	/* the child read its own maps: the model printed them, with the file */
	CHECK(strstr(out_buf, "\"line\":14,\"pid\":101,\"syscall\":\"read\",\"maps\":\"") != NULL);
	CHECK(strstr(out_buf, "/etc/passwd") != NULL);
	CHECK(strstr(out_buf, "\"line\":15,") == NULL);    /* only the first read */

	/* the same without --json prints the maps text itself */
	CHECK_EQ(replay(t, false, false) & 2, 0);
	CHECK(strstr(out_buf, "/etc/passwd\n") != NULL);
	CHECK(strstr(out_buf, "[vsyscall]\n") != NULL);

	/* /dev/zero: shared is shmem ("/dev/zero (deleted)"), private keeps the file */
	if (access("/dev/zero", R_OK | W_OK) == 0) {
		t = T_EXEC
		    "100 openat(AT_FDCWD, \"/dev/zero\", O_RDWR) = 3\n"
		    "100 mmap(0x300000000, 8192, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_FIXED, 3, 0) = 0x300000000\n"
		    "100 mmap(0x300010000, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED, 3, 0) = 0x300010000\n"
		    "100 openat(AT_FDCWD, \"/proc/self/maps\", O_RDONLY) = 4\n"
		    "100 read(4, \"\"..., 4096) = 4096\n";
		CHECK_EQ(replay(t, true, false), 0);
		CHECK(strstr(out_buf, "300000000-300002000 rw-s 00000000 00:01 ") != NULL);
		CHECK(strstr(out_buf, "/dev/zero (deleted)\n") != NULL);
		CHECK(strstr(out_buf, "300010000-300012000 rw-p 00000000 ") != NULL);
		CHECK(strstr(out_buf, "/dev/zero\n") != NULL);
	}
}

TEST(replay_threads_vfork_pidless)
{
	const char *t;
	if (access("/bin/true", X_OK) != 0)
		SKIP("/bin/true is missing");
	/* a thread shares the mm: its mapping shows in the leader's maps;
	 * exit_group ends the thread; vfork + exec; lines without pids */
	t = "execve(\"/bin/true\", [\"true\"], 0x7ffd /* 3 vars */) = 0\n"
	    "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7ffff7fc0000\n"
	    "clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM, exit_signal=0} <unfinished ...>\n"
	    "[pid   201] mmap(0x300000000, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) = 0x300000000\n"
	    "[pid   200] <... clone3 resumed> => {parent_tid=[201]}, 88) = 201\n"
	    "[pid   200] vfork( <unfinished ...>\n"
	    "[pid   202] execve(\"/bin/true\", [\"true\"], 0x7ffd /* 3 vars */) = 0\n"
	    "[pid   200] <... vfork resumed>) = 202\n"
	    "[pid   202] exit_group(0) = ?\n"
	    "[pid   202] +++ exited with 0 +++\n"
	    "[pid   200] openat(AT_FDCWD, \"/proc/200/maps\", O_RDONLY) = 3\n"
	    "[pid   200] read(3, \"\"..., 4096) = 1024\n"
	    "[pid   200] exit_group(0) = ?\n"
	    "[pid   201] <... futex resumed>) = ?\n";
	/* the last line: a resumed half without its first: malformed */
	CHECK_EQ(replay(t, false, false), 2);
	if (!strstr(err_buf, "t.strace:14:")) fprintf(stderr, "%s", err_buf);
	CHECK(strstr(err_buf, "t.strace:14:") != NULL);
	t = "execve(\"/bin/true\", [\"true\"], 0x7ffd /* 3 vars */) = 0\n"
	    "clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM, exit_signal=0} <unfinished ...>\n"
	    "[pid   201] mmap(0x300000000, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) = 0x300000000\n"
	    "[pid   200] <... clone3 resumed> => {parent_tid=[201]}, 88) = 201\n"
	    "[pid   200] vfork( <unfinished ...>\n"
	    "[pid   202] execve(\"/bin/true\", [\"true\"], 0x7ffd /* 3 vars */) = 0\n"
	    "[pid   200] <... vfork resumed>) = 202\n"
	    "[pid   202] exit_group(0) = ?\n"
	    "[pid   202] +++ exited with 0 +++\n"
	    "[pid   200] openat(AT_FDCWD, \"/proc/200/maps\", O_RDONLY) = 3\n"
	    "[pid   200] read(3, \"\"..., 4096) = 1024\n"
	    "[pid   201] futex(0x1, FUTEX_WAIT, 0, NULL <unfinished ...>\n"
	    "[pid   200] exit_group(0) = ?\n"
	    "[pid   201] <... futex resumed>) = ?\n"
	    "[pid   201] +++ exited with 0 +++\n"
	    "[pid   200] +++ exited with 0 +++\n";
	CHECK_EQ(replay(t, false, false) & 2, 0);
	CHECK(strstr(out_buf, "300000000-300001000 r--p 00000000 00:00 0 \n") != NULL);
	/* with --check the fixed mapping matches */
	CHECK_EQ(replay(t, true, true) & 2, 0);
	CHECK(strstr(out_buf, "{\"line\":3,\"pid\":201,\"syscall\":\"mmap\",\"model\":\"0x300000000\",\"trace\":\"0x300000000\",\"match\":true}") != NULL);
}

/* strace -f without -o: no pid while one process is traced, "[pid N]" while
 * several are, none again once the child is gone; and strace's own
 * "Process N attached" cutting a line in two */
TEST(replay_pid_prefixes_come_and_go)
{
	const char *t;
	if (access("/bin/true", X_OK) != 0)
		SKIP("/bin/true is missing");
	t = "execve(\"/bin/true\", [\"true\"], 0x7ffd /* 3 vars */) = 0\n"
	    "vfork(strace: Process 301 attached\n"
	    " <unfinished ...>\n"
	    "[pid   301] execve(\"/bin/true\", [\"true\"], 0x7ffd /* 3 vars */ <unfinished ...>\n"
	    "[pid   300] <... vfork resumed>) = 301\n"
	    "[pid   300] wait4(-1,  <unfinished ...>\n"
	    "[pid   301] <... execve resumed>) = 0\n"
	    "[pid   301] mmap(0x300000000, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) = 0x300000000\n"
	    "[pid   301] exit_group(0) = ?\n"
	    "[pid   301] +++ exited with 0 +++\n"
	    "<... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 301\n"
	    "mmap(0x300000000, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE, -1, 0) = 0x300000000\n"
	    "exit_group(0) = ?\n"
	    "+++ exited with 0 +++\n";
	CHECK_EQ(replay(t, true, true), 0);
	CHECK(strstr(out_buf, "{\"line\":8,\"pid\":301,\"syscall\":\"mmap\",\"model\":\"0x300000000\",\"trace\":\"0x300000000\",\"match\":true}") != NULL);
	CHECK(strstr(out_buf, "{\"line\":12,\"pid\":300,\"syscall\":\"mmap\",\"model\":\"0x300000000\",\"trace\":\"0x300000000\",\"match\":true}") != NULL);
}

TEST(replay_check_reports)
{
	const char *t;
	int rc;
	if (access("/bin/true", X_OK) != 0)
		SKIP("/bin/true is missing");
	t = T_EXEC
	    "100 mmap(0x300000000, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) = 0x300001000\n"
	    "100 munmap(0x300000001, 4096) = 0\n"
	    "100 munmap(0x300000000, 4096) = 0\n";
	rc = replay(t, true, false);
	CHECK_EQ(rc, 1);
	CHECK(strstr(err_buf, "t.strace:2: mmap returned 0x300000000, trace says 0x300001000\n") != NULL);
	CHECK(strstr(err_buf, "t.strace:3: munmap returned -EINVAL, trace says 0\n") != NULL);
	CHECK(strstr(err_buf, "t.strace:4:") == NULL);
	CHECK(strstr(err_buf, "2 of ") != NULL);
	/* without --keep-going: stop at the first */
	{
		size_t olen = 0, elen = 0;
		struct mmk_replay_opts o = { .check = true, .initial_aslr = 0 };
		free(out_buf);
		free(err_buf);
		o.out = open_memstream(&out_buf, &olen);
		o.err = open_memstream(&err_buf, &elen);
		rc = mmk_replay("t.strace", t, &o);
		fclose(o.out);
		fclose(o.err);
		CHECK_EQ(rc, 1);
		CHECK(strstr(err_buf, "t.strace:2: mmap returned") != NULL);
		CHECK(strstr(err_buf, "t.strace:3:") == NULL);
	}
	/* a trace with ASLR on (personality says so): nothing is compared */
	t = "100 execve(\"/bin/true\", [\"true\"], 0x7ffd /* 3 vars */) = 0\n"
	    "100 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0011223000\n"
	    "100 personality(PER_LINUX|ADDR_NO_RANDOMIZE) = 0 (PER_LINUX)\n";
	{
		size_t olen = 0, elen = 0;
		struct mmk_replay_opts o = { .check = true, .initial_aslr = -1 };
		free(out_buf);
		free(err_buf);
		o.out = open_memstream(&out_buf, &olen);
		o.err = open_memstream(&err_buf, &elen);
		rc = mmk_replay("t.strace", t, &o);
		fclose(o.out);
		fclose(o.err);
		CHECK_EQ(rc, 0);
		CHECK(strstr(err_buf, "returned") == NULL);
		CHECK(out_buf[0] == 0); /* nothing modelled */
	}
}

#define TESTS(X) X(call_with_pid) X(timestamps_and_durations) X(errors_and_notes) X(y_annotations) \
	X(unfinished_resumed) X(exits_and_signals) X(split_and_strings) X(numbers_and_flags) \
	X(malformed_lines) X(truncation_and_mutation_never_crash) X(replay_malformed) \
	X(replay_files_and_processes) X(replay_threads_vfork_pidless) X(replay_pid_prefixes_come_and_go) \
	X(replay_check_reports)
TEST_MAIN("strace", TESTS)
