/* SPDX-License-Identifier: MIT */
/*
 * tests/test_exec.c - execve of real ELF files, with the running kernel as
 * the oracle: a child execs the same file with the same argv, envp and
 * RLIMIT_STACK under ptrace with ADDR_NO_RANDOMIZE and stops at the exec
 * (SIGTRAP); its /proc/PID/maps, the mm fields of /proc/PID/stat and the
 * Vm* lines of /proc/PID/status are what mmk_load_elf_mm must produce,
 * line for line ([stack] included, start and end).
 */
#include "harness.h"
#include <mmkit/mmkit.h>
#include <mmkit/binfmt.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/user.h>

/* RLIMIT_STACK of both sides; ~0UL = unlimited */
static unsigned long stack_rlim = 8UL << 20;

/* ---- the kernel's side ------------------------------------------------ */

struct snapshot {
	int exec_errno;      /* execve failed before the point of no return */
	int killed_sig;      /* stopped by something else than the exec SIGTRAP */
	char maps[65536];
	unsigned long stat[53]; /* /proc/PID/stat fields by their 1-based number */
	char status[8192];
	unsigned long rip, rsp;  /* PTRACE_GETREGS at the exec stop */
	unsigned char *stack;    /* [rsp, STACK_TOP) as process_vm_readv reads it */
	size_t stack_len;        /* 0: not read */
};

static size_t read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	size_t len = 0;
	ssize_t r;

	if (fd < 0)
		return 0;
	while (len + 1 < size && (r = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)r;
	buf[len] = 0;
	close(fd);
	return len;
}

static void parse_stat(const char *text, unsigned long *field)
{
	const char *p = strrchr(text, ')');
	int n = 3;

	memset(field, 0, 53 * sizeof(*field));
	if (!p)
		return;
	p += 2; /* ") " then the state letter is field 3 */
	while (*p && n < 53) {
		char *end;

		field[n] = strtoul(p, &end, 10);
		if (end == p) /* the state letter */
			while (*end && *end != ' ')
				end++;
		p = *end ? end + 1 : end;
		n++;
	}
}

/* run @path in a traced child, stop at the exec, take the snapshot */
static void kernel_exec(const char *path, char *const argv[], char *const envp[],
			struct snapshot *s)
{
	int pfd[2], st, err = 0;
	char proc[64];
	pid_t pid;

	free(s->stack);
	memset(s, 0, sizeof(*s));
	CHECK(pipe2(pfd, O_CLOEXEC) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct rlimit rl;

		close(pfd[0]);
		getrlimit(RLIMIT_STACK, &rl);
		rl.rlim_cur = stack_rlim == ~0UL ? RLIM_INFINITY : stack_rlim;
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		if (setrlimit(RLIMIT_STACK, &rl) != 0)
			_exit(125);
		personality(ADDR_NO_RANDOMIZE);
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		execve(path, argv, envp);
		err = errno;
		if (write(pfd[1], &err, sizeof(err)) < 0)
			_exit(126);
		_exit(127);
	}
	close(pfd[1]);
	if (read(pfd[0], &err, sizeof(err)) == (ssize_t)sizeof(err))
		s->exec_errno = err;
	close(pfd[0]);
	CHECK(waitpid(pid, &st, 0) == pid);
	if (s->exec_errno)
		return;
	if (!WIFSTOPPED(st)) {
		s->killed_sig = WIFSIGNALED(st) ? WTERMSIG(st) : -1;
		return;
	}
	if (WSTOPSIG(st) != SIGTRAP)
		s->killed_sig = WSTOPSIG(st);
	snprintf(proc, sizeof(proc), "/proc/%d/maps", (int)pid);
	read_file(proc, s->maps, sizeof(s->maps));
	snprintf(proc, sizeof(proc), "/proc/%d/stat", (int)pid);
	read_file(proc, s->status, sizeof(s->status));
	parse_stat(s->status, s->stat);
	snprintf(proc, sizeof(proc), "/proc/%d/status", (int)pid);
	read_file(proc, s->status, sizeof(s->status));
	if (!s->killed_sig) {
		struct user_regs_struct regs;

		CHECK(ptrace(PTRACE_GETREGS, pid, NULL, &regs) == 0);
		s->rip = regs.rip;
		s->rsp = regs.rsp;
		if (s->rsp < mmk_exec_layout.stack_top &&
		    mmk_exec_layout.stack_top - s->rsp < (64UL << 20)) {
			struct iovec local, remote;

			s->stack_len = mmk_exec_layout.stack_top - s->rsp;
			s->stack = malloc(s->stack_len);
			CHECK(s->stack);
			local.iov_base = s->stack;
			local.iov_len = s->stack_len;
			remote.iov_base = (void *)s->rsp;
			remote.iov_len = s->stack_len;
			CHECK(process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)s->stack_len);
		}
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

/* ---- mmkit's side ---------------------------------------------------------- */

static char *text_of(struct mm_struct *mm, int (*show)(struct seq_file *, struct mm_struct *))
{
	struct seq_file m;
	char *out;

	seq_init(&m);
	CHECK(show(&m, mm) == 0);
	out = strdup(m.buf ? m.buf : "");
	seq_release(&m);
	CHECK(out);
	return out;
}

/* the value of "Label:" in a status text, -1 if absent */
static long status_kb(const char *text, const char *label)
{
	size_t n = strlen(label);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, label, n) == 0 && p[n] == ':')
			return strtol(p + n + 1, NULL, 10);
	}
	return -1;
}

/* compare two maps texts line by line; print both on a difference */
static void compare_maps(const char *what, const char *kernel, const char *model)
{
	const char *k = kernel, *m = model;
	int line = 1;

	while (*k || *m) {
		size_t kl = strcspn(k, "\n"), ml = strcspn(m, "\n");

		if (kl != ml || memcmp(k, m, kl) != 0) {
			fprintf(stderr, "%s: maps differ at line %d\n  kernel: %.*s\n  mmkit:  %.*s\n"
				"--- kernel\n%s--- mmkit\n%s", what, line, (int)kl, k, (int)ml, m,
				kernel, model);
			exit(1);
		}
		k += kl + (k[kl] == '\n');
		m += ml + (m[ml] == '\n');
		line++;
	}
}

/*
 * the new stack, byte for byte: the kernel's [rsp, STACK_TOP) against
 * mmkit's read through mmk_access_vm, except AT_RANDOM's bytes; rip and rsp
 * against the result's entry and sp
 */
static void compare_stack(const char *path, const struct snapshot *s, struct mm_struct *mm,
			  const struct mmk_exec_result *res)
{
	unsigned char *mine;
	size_t len = s->stack_len;

	if (s->rip != res->entry || s->rsp != res->sp) {
		fprintf(stderr, "%s: kernel rip %#lx rsp %#lx, mmkit entry %#lx sp %#lx\n", path,
			s->rip, s->rsp, res->entry, res->sp);
		exit(1);
	}
	CHECK(len > 0);
	CHECK(res->random >= res->sp && res->random + mmk_exec_layout.random_bytes <= res->sp + len);
	mine = malloc(len);
	CHECK(mine);
	CHECK_EQ(mmk_access_vm(mm, res->sp, mine, len, false), (long)len);
	/* the kernel's random bytes are random */
	memcpy(mine + (res->random - res->sp), s->stack + (res->random - res->sp),
	       mmk_exec_layout.random_bytes);
	for (size_t i = 0; i < len; i++) {
		if (mine[i] != s->stack[i]) {
			size_t from = i & ~(size_t)7;

			fprintf(stderr, "%s: stack differs at %#lx (sp + %zu)\n", path, res->sp + i, i);
			for (size_t k = from > 64 ? from - 64 : 0; k < from + 64 && k + 8 <= len; k += 8) {
				unsigned long a, b;

				memcpy(&a, s->stack + k, 8);
				memcpy(&b, mine + k, 8);
				fprintf(stderr, "  %#lx: kernel %016lx mmkit %016lx%s\n", res->sp + k, a,
					b, a != b ? "  <--" : "");
			}
			exit(1);
		}
	}
	free(mine);
}

/* exec @path both ways and demand the same address space */
static void check_against_kernel(const char *path, char *const argv[], char *const envp[])
{
	static const struct { int field; const char *name; size_t off; } fields[] = {
		{ 26, "start_code", offsetof(struct mm_struct, start_code) },
		{ 27, "end_code", offsetof(struct mm_struct, end_code) },
		{ 28, "start_stack", offsetof(struct mm_struct, start_stack) },
		{ 45, "start_data", offsetof(struct mm_struct, start_data) },
		{ 46, "end_data", offsetof(struct mm_struct, end_data) },
		{ 47, "start_brk", offsetof(struct mm_struct, start_brk) },
		{ 48, "arg_start", offsetof(struct mm_struct, arg_start) },
		{ 49, "arg_end", offsetof(struct mm_struct, arg_end) },
		{ 50, "env_start", offsetof(struct mm_struct, env_start) },
		{ 51, "env_end", offsetof(struct mm_struct, env_end) },
	};
	static const char *const vm_lines[] = { "VmPeak", "VmSize", "VmData", "VmStk", "VmExe", "VmLib",
						"VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem", "VmPTE" };
	static struct snapshot s;
	struct mm_struct *mm;
	char err[256] = "", *maps, *status;
	struct mmk_exec_result res;
	struct mmk_exec_args args = { .filename = path, .argv = (const char *const *)argv,
				      .envp = (const char *const *)envp, .result = &res };

	kernel_exec(path, argv, envp, &s);
	if (s.exec_errno) {
		char why[512];

		snprintf(why, sizeof(why), "the kernel cannot exec %s here: %s", path,
			 strerror(s.exec_errno));
		SKIP(why);
	}
	if (s.killed_sig == -1)
		SKIP("the child did not stop at its exec (no ptrace, or RLIMIT_STACK refused)");
	CHECK_EQ(s.killed_sig, 0);

	mm = mm_alloc();
	CHECK(mm);
	mm->rlim[MMK_RLIMIT_STACK] = stack_rlim == ~0UL ? MMK_RLIM_INFINITY : stack_rlim;
	/* the auxiliary vector's machine values: the same as the child's */
	mmk_exec_layout_from_host();
	memset(&res, 0xa5, sizeof(res));
	if (mmk_load_elf_mm_args(mm, &args, err, sizeof(err)) != 0) {
		fprintf(stderr, "mmk_load_elf_mm(%s): %s\n", path, err);
		exit(1);
	}
	CHECK_EQ(validate_mm(mm), 0);
	maps = text_of(mm, show_maps);
	if (getenv("MMK_EXEC_SHOW"))
		fprintf(stderr, "--- %s: kernel\n%s--- mmkit\n%s", path, s.maps, maps);
	compare_maps(path, s.maps, maps);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		unsigned long mine = *(unsigned long *)((char *)mm + fields[i].off);

		if (mine != s.stat[fields[i].field]) {
			fprintf(stderr, "%s: %s: kernel %#lx, mmkit %#lx\n", path, fields[i].name,
				s.stat[fields[i].field], mine);
			exit(1);
		}
	}
	status = text_of(mm, proc_pid_status_vm);
	for (size_t i = 0; i < sizeof(vm_lines) / sizeof(vm_lines[0]); i++) {
		long kv = status_kb(s.status, vm_lines[i]), mv = status_kb(status, vm_lines[i]);

		if (kv != mv) {
			fprintf(stderr, "%s: %s: kernel %ld kB, mmkit %ld kB\n", path, vm_lines[i], kv,
				mv);
			exit(1);
		}
	}
	CHECK(mm->exe_file != NULL);
	CHECK_EQ(res.sp, mm->start_stack);
	compare_stack(path, &s, mm, &res);
	free(maps);
	free(status);
	mmput(mm);
}

static char *env_small[] = { "A=1", "PATH=/usr/bin:/bin", NULL };
static void check_refused(const char *path, int want);
static void write_image(const char *path, const void *buf, size_t len);

TEST(cat)
{
	char *argv[] = { "/usr/bin/cat", "/proc/self/maps", NULL };

	CHECK_EQ(mmk_boot(4), 0);
	check_against_kernel("/usr/bin/cat", argv, env_small);
	CHECK_EQ(mmk_shutdown(), 0);
}

TEST(sh)
{
	char *argv[] = { "sh", "-c", "true", NULL };

	CHECK_EQ(mmk_boot(4), 0);
	check_against_kernel("/bin/sh", argv, env_small);
	CHECK_EQ(mmk_shutdown(), 0);
}

TEST(env)
{
	char *argv[] = { "env", NULL };
	char *envp[] = { NULL };

	CHECK_EQ(mmk_boot(4), 0);
	check_against_kernel("/usr/bin/env", argv, envp);
	CHECK_EQ(mmk_shutdown(), 0);
}

TEST(true_no_argv)
{
	/* argc 0: the kernel supplies one "" argument */
	char *argv[] = { NULL };

	CHECK_EQ(mmk_boot(4), 0);
	check_against_kernel("/usr/bin/true", argv, env_small);
	CHECK_EQ(mmk_shutdown(), 0);
}

TEST(ld_so_direct)
{
	char *argv[] = { "/lib64/ld-linux-x86-64.so.2", "/usr/bin/true", NULL };

	CHECK_EQ(mmk_boot(4), 0);
	check_against_kernel("/lib64/ld-linux-x86-64.so.2", argv, env_small);
	CHECK_EQ(mmk_shutdown(), 0);
}

/* big strings: the stack holds more than one page of them */
TEST(big_environment)
{
	static char big[3][6000];
	char *envp[5], *argv[] = { "/usr/bin/true", big[2], NULL };

	for (int i = 0; i < 3; i++) {
		memset(big[i], 'a' + i, sizeof(big[i]) - 1);
		big[i][0] = 'X';
		big[i][1] = '=';
	}
	envp[0] = big[0];
	envp[1] = big[1];
	envp[2] = "B=2";
	envp[3] = "C=3";
	envp[4] = NULL;
	CHECK_EQ(mmk_boot(4), 0);
	check_against_kernel("/usr/bin/true", argv, envp);
	CHECK_EQ(mmk_shutdown(), 0);
}

/* other stack limits move mmap_base, and a small one caps the stack */
TEST(stack_rlimits)
{
	char *argv[] = { "/usr/bin/cat", "-", NULL };
	static const unsigned long limits[] = { 64UL << 10, 200UL << 10, 1UL << 30, ~0UL };

	CHECK_EQ(mmk_boot(4), 0);
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		stack_rlim = limits[i];
		check_against_kernel("/usr/bin/cat", argv, env_small);
	}
	CHECK_EQ(mmk_shutdown(), 0);
}

/* ---- binaries built here ---------------------------------------------- */

static char tmpdir[64];

static void make_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/mmk_exec_XXXXXX");
	CHECK(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

/* build a tiny C program with @flags; false if the compiler is missing or fails */
static bool build_program(const char *flags, char *out, size_t outlen)
{
	char src[128], cmd[512];
	FILE *f;

	snprintf(src, sizeof(src), "%s/prog.c", tmpdir);
	snprintf(out, outlen, "%s/prog", tmpdir);
	f = fopen(src, "w");
	CHECK(f);
	fputs("char big_bss[1 << 16];\nint data = 1;\n"
	      "int main(int argc, char **argv) { big_bss[argc * 4000] = 1; "
	      "return big_bss[data * 8000] + (argv[0] == 0); }\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cc %s -o '%s' '%s' >/dev/null 2>&1", flags, out, src);
	return system(cmd) == 0;
}

static void check_built(const char *flags)
{
	char prog[128], why[128];
	char *argv[] = { "prog", "one", NULL };

	make_tmpdir();
	if (!build_program(flags, prog, sizeof(prog))) {
		remove_tmpdir();
		snprintf(why, sizeof(why), "cannot build a program with `cc %s`", flags);
		SKIP(why);
	}
	check_against_kernel(prog, argv, env_small);
	remove_tmpdir();
}

TEST(static_binary)
{
	CHECK_EQ(mmk_boot(4), 0);
	check_built("-static -O1");
	CHECK_EQ(mmk_shutdown(), 0);
}

TEST(static_pie)
{
	CHECK_EQ(mmk_boot(4), 0);
	check_built("-static-pie -O1");
	CHECK_EQ(mmk_shutdown(), 0);
}

TEST(no_pie)
{
	CHECK_EQ(mmk_boot(4), 0);
	check_built("-no-pie -O1");
	CHECK_EQ(mmk_shutdown(), 0);
}

TEST(exec_stack)
{
	CHECK_EQ(mmk_boot(4), 0);
	check_built("-O1 -z execstack");
	CHECK_EQ(mmk_shutdown(), 0);
}

TEST(max_page_size_2m)
{
	/* p_align 2 MiB: the PIE's load bias is aligned down to it */
	CHECK_EQ(mmk_boot(4), 0);
	check_built("-O1 -Wl,-z,max-page-size=0x200000");
	CHECK_EQ(mmk_shutdown(), 0);
}

/* ---- "#!" scripts ------------------------------------------------------- */

static void write_script(const char *name, const char *text, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", tmpdir, name);
	write_image(path, text, strlen(text));
}

TEST(script)
{
	char path[160], *argv[] = { "myscript", "arg1", NULL }, *noargv[] = { NULL };

	CHECK_EQ(mmk_boot(4), 0);
	make_tmpdir();
	write_script("s1", "#!/bin/sh\necho hi\n", path, sizeof(path));
	check_against_kernel(path, argv, env_small);
	/* an argument with spaces in it stays one argument; tabs around it go */
	write_script("s2", "#! \t/usr/bin/env \tsh -x  \t\nexit 0\n", path, sizeof(path));
	check_against_kernel(path, argv, env_small);
	check_against_kernel(path, noargv, env_small);
	remove_tmpdir();
	CHECK_EQ(mmk_shutdown(), 0);
}

TEST(script_nested)
{
	char inner[160], outer[160], text[200];
	char *argv[] = { "outer", "x", "y", NULL };

	CHECK_EQ(mmk_boot(4), 0);
	make_tmpdir();
	write_script("inner", "#!/bin/sh -e\n", inner, sizeof(inner));
	snprintf(text, sizeof(text), "#!%s\n", inner);
	write_script("outer", text, outer, sizeof(outer));
	check_against_kernel(outer, argv, env_small);
	remove_tmpdir();
	CHECK_EQ(mmk_shutdown(), 0);
}

TEST(script_refused)
{
	char path[160], text[400];

	CHECK_EQ(mmk_boot(4), 0);
	make_tmpdir();
	write_script("empty", "#!\n", path, sizeof(path));
	check_refused(path, ENOEXEC);
	write_script("blank", "#!   \t \n", path, sizeof(path));
	check_refused(path, ENOEXEC);
	write_script("missing", "#!/nonexistent/interp\n", path, sizeof(path));
	check_refused(path, ENOENT);
	/* no newline and a name running off the end of the 256-byte buffer */
	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = 0;
	text[0] = '#';
	text[1] = '!';
	text[2] = '/';
	write_script("long", text, path, sizeof(path));
	check_refused(path, ENOEXEC);
	/* a script that is its own interpreter */
	snprintf(text, sizeof(text), "#!%s/loop\n", tmpdir);
	write_script("loop", text, path, sizeof(path));
	check_refused(path, ELOOP);
	remove_tmpdir();
	CHECK_EQ(mmk_shutdown(), 0);
}

/* ---- hand-made ELF files ------------------------------------------------ */

struct elf_image {
	unsigned char *buf;
	size_t len;
};

static void load_image(const char *path, struct elf_image *im)
{
	int fd = open(path, O_RDONLY);
	struct stat st;

	CHECK(fd >= 0);
	CHECK(fstat(fd, &st) == 0);
	im->len = (size_t)st.st_size;
	im->buf = malloc(im->len);
	CHECK(im->buf);
	CHECK(read(fd, im->buf, im->len) == (ssize_t)im->len);
	close(fd);
}

static void write_image(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);

	CHECK(fd >= 0);
	CHECK(write(fd, buf, len) == (ssize_t)len);
	close(fd);
}

/* little-endian accessors into the image */
static uint64_t get(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put(unsigned char *p, int n, uint64_t v)
{
	for (int i = 0; i < n; i++, v >>= 8)
		p[i] = (unsigned char)v;
}

#define EH_PHOFF 0x20
#define EH_PHENTSIZE 0x36
#define EH_PHNUM 0x38
#define PH_TYPE 0
#define PH_FLAGS 4
#define PH_OFFSET 8
#define PH_VADDR 16
#define PH_FILESZ 32
#define PH_MEMSZ 40

/* the program header of the @nth header of type @type */
static unsigned char *phdr(struct elf_image *im, uint32_t type, int nth)
{
	uint64_t phoff = get(im->buf + EH_PHOFF, 8);
	unsigned phnum = (unsigned)get(im->buf + EH_PHNUM, 2);

	for (unsigned i = 0; i < phnum; i++) {
		unsigned char *ph = im->buf + phoff + 56 * i;

		if (get(ph + PH_TYPE, 4) == type && nth-- == 0)
			return ph;
	}
	return NULL;
}

/* the kernel's and mmkit's verdicts on a file: both refuse with the same
 * errno before the point of no return, or the kernel kills the child
 * after it and mmkit returns some error; nothing leaks either way */
static void check_refused(const char *path, int want)
{
	static struct snapshot s;
	char *argv[] = { (char *)path, NULL };
	char err[256] = "";
	struct mm_struct *mm;
	int r;

	kernel_exec(path, argv, env_small, &s);
	mm = mm_alloc();
	CHECK(mm);
	mm->rlim[MMK_RLIMIT_STACK] = stack_rlim;
	r = mmk_load_elf_mm(mm, path, (const char *const *)argv, (const char *const *)env_small,
			    err, sizeof(err));
	mmput(mm);
	if (want) {
		if (s.exec_errno != want || r != -want) {
			fprintf(stderr, "%s: kernel errno %d, mmkit %d (%s), expected %d\n", path,
				s.exec_errno, r, err, want);
			exit(1);
		}
	} else {
		/* after the point of no return: the kernel kills, mmkit fails */
		if (s.exec_errno || !s.killed_sig || r >= 0) {
			fprintf(stderr, "%s: kernel errno %d signal %d, mmkit %d (%s)\n", path,
				s.exec_errno, s.killed_sig, r, err);
			exit(1);
		}
	}
	CHECK(err[0] != 0);
}

static void hostile_base(struct elf_image *im)
{
	load_image("/usr/bin/true", im);
	CHECK(im->len > 0x40 && memcmp(im->buf, "\177ELF", 4) == 0);
	CHECK(phdr(im, 1, 2) != NULL); /* three PT_LOADs at least */
}

TEST(hostile_refused)
{
	struct elf_image im;
	unsigned char *copy;
	char path[160];

	CHECK_EQ(mmk_boot(4), 0);
	make_tmpdir();
	hostile_base(&im);
	copy = malloc(im.len);
	CHECK(copy);

#define VARIANT(name, want, ...)                                          \
	do {                                                              \
		struct elf_image v = { copy, im.len };                    \
		memcpy(copy, im.buf, im.len);                             \
		{ __VA_ARGS__; }                                          \
		snprintf(path, sizeof(path), "%s/%s", tmpdir, name);      \
		write_image(path, v.buf, v.len);                          \
		check_refused(path, want);                                \
	} while (0)

	VARIANT("truncated", ENOEXEC, v.len = 30);
	VARIANT("text", ENOEXEC, memcpy(v.buf, "#just text, no ELF\n", 19); v.len = 19);
	VARIANT("empty", ENOEXEC, v.len = 0);
	VARIANT("phnum_huge", ENOEXEC, put(v.buf + EH_PHNUM, 2, 0xffff));
	VARIANT("phnum_zero", ENOEXEC, put(v.buf + EH_PHNUM, 2, 0));
	VARIANT("phentsize", ENOEXEC, put(v.buf + EH_PHENTSIZE, 2, 55));
	VARIANT("phoff_eof", ENOEXEC, put(v.buf + EH_PHOFF, 8, im.len - 20));
	VARIANT("phoff_huge", ENOEXEC, put(v.buf + EH_PHOFF, 8, ~0ULL - 8));
	VARIANT("machine", ENOEXEC, put(v.buf + 0x12, 2, 3));
	VARIANT("relocatable", ENOEXEC, put(v.buf + 0x10, 2, 1));
	VARIANT("interp_no_nul", ENOEXEC, {
		unsigned char *ph = phdr(&v, 3, 0);
		CHECK(ph);
		v.buf[get(ph + PH_OFFSET, 8) + get(ph + PH_FILESZ, 8) - 1] = 'x';
	});
	VARIANT("interp_too_long", ENOEXEC, put(phdr(&v, 3, 0) + PH_FILESZ, 8, 5000));
	VARIANT("interp_one_byte", ENOEXEC, put(phdr(&v, 3, 0) + PH_FILESZ, 8, 1));
	VARIANT("interp_past_eof", EIO, put(phdr(&v, 3, 0) + PH_OFFSET, 8, im.len + 100));
	VARIANT("interp_missing", ENOENT, {
		unsigned char *ph = phdr(&v, 3, 0);
		v.buf[get(ph + PH_OFFSET, 8) + 1] = 'X'; /* /Xib64/... */
	});
	VARIANT("interp_short", EIO, {
		unsigned char *ph = phdr(&v, 3, 0);
		/* PT_INTERP names a file shorter than an ELF header */
		char tpath[96];
		snprintf(tpath, sizeof(tpath), "%s/t", tmpdir);
		write_image(tpath, "not an ELF file at all, just some text\n", 39);
		CHECK(strlen(tpath) + 1 <= get(ph + PH_FILESZ, 8));
		memset(v.buf + get(ph + PH_OFFSET, 8), 0, get(ph + PH_FILESZ, 8));
		memcpy(v.buf + get(ph + PH_OFFSET, 8), tpath, strlen(tpath));
	});
	VARIANT("interp_not_elf", ELIBBAD, {
		unsigned char *ph = phdr(&v, 3, 0);
		/* PT_INTERP names a text file */
		char tpath[96], text[200];
		snprintf(tpath, sizeof(tpath), "%s/t", tmpdir);
		memset(text, 'z', sizeof(text));
		write_image(tpath, text, sizeof(text));
		CHECK(strlen(tpath) + 1 <= get(ph + PH_FILESZ, 8));
		memset(v.buf + get(ph + PH_OFFSET, 8), 0, get(ph + PH_FILESZ, 8));
		memcpy(v.buf + get(ph + PH_OFFSET, 8), tpath, strlen(tpath));
	});
	/* after the point of no return: the kernel kills the process */
	VARIANT("filesz_gt_memsz", 0, {
		unsigned char *ph = phdr(&v, 1, 1);
		put(ph + PH_FILESZ, 8, get(ph + PH_MEMSZ, 8) + 0x10);
	});
	VARIANT("memsz_huge", 0, put(phdr(&v, 1, 2) + PH_MEMSZ, 8, 1ULL << 62));
	VARIANT("offset_misaligned", 0, {
		unsigned char *ph = phdr(&v, 1, 1);
		put(ph + PH_OFFSET, 8, get(ph + PH_OFFSET, 8) + 8);
	});
#undef VARIANT
	free(copy);
	free(im.buf);
	remove_tmpdir();
	CHECK_EQ(mmk_shutdown(), 0);
}

/* what the kernel accepts, mmkit lays out the same way */
static void hostile_accepted(const char *name, void (*mutate)(struct elf_image *))
{
	struct elf_image im;
	char path[160];
	char *argv[] = { (char *)name, NULL };

	make_tmpdir();
	hostile_base(&im);
	mutate(&im);
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	write_image(path, im.buf, im.len);
	free(im.buf);
	check_against_kernel(path, argv, env_small);
	remove_tmpdir();
}

static void offset_past_eof(struct elf_image *im)
{
	unsigned char *ph = phdr(im, 1, 1);

	put(ph + PH_OFFSET, 8, get(ph + PH_OFFSET, 8) + 0x100000);
}

static void overlapping(struct elf_image *im)
{
	/* the third PT_LOAD moves onto the second's pages */
	unsigned char *a = phdr(im, 1, 1), *b = phdr(im, 1, 2);

	put(b + PH_VADDR, 8, get(a + PH_VADDR, 8));
	put(b + PH_OFFSET, 8, get(a + PH_OFFSET, 8));
}

static void unsorted(struct elf_image *im)
{
	unsigned char tmp[56], *a = phdr(im, 1, 1), *b = phdr(im, 1, 2);

	memcpy(tmp, a, 56);
	memcpy(a, b, 56);
	memcpy(b, tmp, 56);
}

static void bss_in_text(struct elf_image *im)
{
	/* a read-only segment with p_memsz > p_filesz: vm_brk makes it rw-p */
	unsigned char *ph = phdr(im, 1, 0);

	put(ph + PH_MEMSZ, 8, get(ph + PH_FILESZ, 8) + 0x3000);
}

TEST(hostile_offset_past_eof)
{
	CHECK_EQ(mmk_boot(4), 0);
	hostile_accepted("offset_past_eof", offset_past_eof);
	CHECK_EQ(mmk_shutdown(), 0);
}

TEST(hostile_overlapping)
{
	CHECK_EQ(mmk_boot(4), 0);
	hostile_accepted("overlapping", overlapping);
	CHECK_EQ(mmk_shutdown(), 0);
}

TEST(hostile_unsorted)
{
	CHECK_EQ(mmk_boot(4), 0);
	hostile_accepted("unsorted", unsorted);
	CHECK_EQ(mmk_shutdown(), 0);
}

TEST(hostile_bss_in_readonly)
{
	CHECK_EQ(mmk_boot(4), 0);
	hostile_accepted("bss_in_text", bss_in_text);
	CHECK_EQ(mmk_shutdown(), 0);
}

/* random damage to the headers: never a crash, never a leak */
TEST(fuzz_headers)
{
	struct elf_image im;
	unsigned char *copy;
	unsigned long seed = 12345, ok = 0;
	char path[160], err[256];
	const char *argv[] = { "fuzz", NULL };

	CHECK_EQ(mmk_boot(2), 0);
	make_tmpdir();
	hostile_base(&im);
	copy = malloc(im.len);
	CHECK(copy);
	snprintf(path, sizeof(path), "%s/fuzz", tmpdir);
	for (int iter = 0; iter < 400; iter++) {
		uint64_t phoff = get(im.buf + EH_PHOFF, 8);
		unsigned phnum = (unsigned)get(im.buf + EH_PHNUM, 2);
		struct mm_struct *mm;
		int r;

		memcpy(copy, im.buf, im.len);
		for (int k = 0; k < 1 + iter % 4; k++) {
			seed = seed * 6364136223846793005UL + 1442695040888963407UL;
			unsigned long pick = seed >> 33;
			/* a field of a program header, or a byte of the ELF header */
			if (pick & 1) {
				static const uint64_t vals[] = { 0, 1, 0xfff, 0x1000, 0x1001, 0x200000,
								 0x7ffffffff000ULL, 1ULL << 47, ~0ULL,
								 ~0ULL - 0xfff, 1ULL << 62 };
				unsigned char *ph = copy + phoff + 56 * ((pick >> 1) % phnum);
				int off = 8 * (int)((pick >> 8) % 7); /* type/flags, offset, vaddr ... */
				put(ph + (off ? off : 4 * (int)((pick >> 12) & 1)), off ? 8 : 4,
				    vals[(pick >> 16) % (sizeof(vals) / sizeof(vals[0]))]);
			} else {
				copy[(pick >> 1) % 64] = (unsigned char)(pick >> 20);
			}
		}
		write_image(path, copy, im.len);
		mm = mm_alloc();
		CHECK(mm);
		r = mmk_load_elf_mm(mm, path, argv, NULL, err, sizeof(err));
		if (r == 0) {
			CHECK_EQ(validate_mm(mm), 0);
			ok++;
		} else {
			CHECK(r < 0 && r > -4096);
		}
		mmput(mm);
	}
	fprintf(stderr, "fuzz: %lu of 400 loaded\n", ok);
	free(copy);
	free(im.buf);
	remove_tmpdir();
	CHECK_EQ(mmk_shutdown(), 0);
}

/* ---- files that are not programs ----------------------------------------- */

TEST(not_a_program)
{
	struct mm_struct *mm;
	char err[256];
	char path[160];

	CHECK_EQ(mmk_boot(4), 0);
	make_tmpdir();
	mm = mm_alloc();
	CHECK(mm);
	CHECK_EQ(mmk_load_elf_mm(mm, "/nonexistent/prog", NULL, NULL, err, sizeof(err)), -ENOENT);
	CHECK_EQ(mmk_load_elf_mm(mm, "/tmp", NULL, NULL, err, sizeof(err)), -EACCES);
	snprintf(path, sizeof(path), "%s/noexec", tmpdir);
	write_image(path, "\177ELF", 4);
	CHECK(chmod(path, 0644) == 0);
	/* no execute bit at all: even root may not exec it */
	CHECK_EQ(mmk_load_elf_mm(mm, path, NULL, NULL, err, sizeof(err)), -EACCES);
	CHECK(mm->mmap == NULL);
	mmput(mm);
	remove_tmpdir();
	CHECK_EQ(mmk_shutdown(), 0);
}

TEST(too_many_strings)
{
	struct mm_struct *mm;
	char err[256];
	static char huge[200000];
	const char *argv[] = { "true", huge, NULL };

	CHECK_EQ(mmk_boot(4), 0);
	memset(huge, 'x', sizeof(huge) - 1);
	mm = mm_alloc();
	CHECK(mm);
	/* one string over MAX_ARG_STRLEN */
	CHECK_EQ(mmk_load_elf_mm(mm, "/usr/bin/true", argv, NULL, err, sizeof(err)), -E2BIG);
	mmput(mm);
	CHECK_EQ(mmk_shutdown(), 0);
}

/* every alignment of the strings' end, a page-crossing string, no environment */
TEST(stack_alignments)
{
	static char pad[16 + 1], cross[5000];
	char *argv[] = { "/usr/bin/true", pad, "two", NULL };
	char *envp[] = { "HOME=/root", "TERM=xterm", "LANG=C.UTF-8", "EMPTY=", "", NULL };
	char *argv2[] = { "true", cross, "", NULL };
	char *noenv[] = { NULL };

	CHECK_EQ(mmk_boot(4), 0);
	for (int n = 0; n <= 16; n++) {
		memset(pad, 'p', (size_t)n);
		pad[n] = 0;
		check_against_kernel("/usr/bin/true", argv, envp);
	}
	memset(cross, 'c', sizeof(cross) - 1);
	check_against_kernel("/usr/bin/env", argv2, noenv);
	check_against_kernel("/usr/bin/env", argv2, envp);
	CHECK_EQ(mmk_shutdown(), 0);
}

/* what an emulator reads: argc, argv[], envp[], the auxiliary vector */
TEST(initial_stack_view)
{
	const char *argv[] = { "env", "-u", "X", NULL };
	const char *envp[] = { "A=1", "BB=22", NULL };
	struct mmk_exec_result r;
	struct mmk_exec_args args = { .filename = "/usr/bin/env", .argv = argv, .envp = envp,
				      .result = &r };
	unsigned long w[64], auxv[2 * MMK_EXEC_AUXV_MAX];
	unsigned char rnd[16], rnd2[16];
	char str[64], err[256];
	struct mm_struct *mm;

	CHECK_EQ(mmk_boot(4), 0);
	mmk_exec_layout_reset();
	mm = mm_alloc();
	CHECK(mm);
	CHECK_EQ(mmk_load_elf_mm_args(mm, &args, err, sizeof(err)), 0);
	/* resident: the stack's top page and env's and ld.so's padzero'd pages */
	CHECK_EQ(get_mm_rss(mm), 3);
	CHECK_EQ(r.sp, mm->start_stack);
	CHECK_EQ(r.sp & 15, 0);
	CHECK(r.interp_base != 0 && r.entry > r.interp_base);
	CHECK_EQ(r.argc, 3);
	CHECK_EQ(r.envc, 2);
	CHECK_EQ(mmk_copy_from_user(mm, w, r.sp, 8 * 8), 0);
	CHECK_EQ(w[0], 3);
	CHECK_EQ(r.argv, r.sp + 8);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(mmk_copy_from_user(mm, str, w[1 + i], strlen(argv[i]) + 1), 0);
		CHECK_STR(str, argv[i]);
	}
	CHECK_EQ(w[4], 0);
	CHECK_EQ(w[1], mm->arg_start);
	CHECK_EQ(r.envp, r.sp + 5 * 8);
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(mmk_copy_from_user(mm, str, w[5 + i], strlen(envp[i]) + 1), 0);
		CHECK_STR(str, envp[i]);
	}
	CHECK_EQ(w[5], mm->env_start);
	CHECK_EQ(w[7], 0);
	CHECK_EQ(r.auxv, r.sp + 8 * 8);
	/* the vector: the kernel's order, 23 entries, AT_NULL last */
	CHECK_EQ(r.auxv_pairs, 23);
	CHECK_EQ(mmk_copy_from_user(mm, auxv, r.auxv, r.auxv_pairs * 16UL), 0);
	CHECK_EQ(memcmp(auxv, r.auxv_copy, r.auxv_pairs * 16UL), 0);
	{
		static const unsigned long order[] = { AT_SYSINFO_EHDR, 51, AT_HWCAP, AT_PAGESZ,
			AT_CLKTCK, AT_PHDR, AT_PHENT, AT_PHNUM, AT_BASE, AT_FLAGS, AT_ENTRY, AT_UID,
			AT_EUID, AT_GID, AT_EGID, AT_SECURE, AT_RANDOM, AT_HWCAP2, AT_EXECFN,
			AT_PLATFORM, 27, 28, AT_NULL };

		for (unsigned i = 0; i < 23; i++)
			CHECK_EQ(auxv[2 * i], order[i]);
	}
	CHECK_EQ(auxv[1], r.vdso);
	CHECK_EQ(auxv[2 * 5 + 1], r.phdr);
	CHECK_EQ(auxv[2 * 8 + 1], r.interp_base);
	CHECK_EQ(auxv[2 * 10 + 1], r.prog_entry);
	CHECK_EQ(auxv[2 * 16 + 1], r.random);
	CHECK_EQ(auxv[2 * 18 + 1], r.execfn);
	CHECK_EQ(auxv[2 * 19 + 1], r.platform);
	CHECK_EQ(mmk_copy_from_user(mm, str, r.execfn, 13), 0);
	CHECK_STR(str, "/usr/bin/env");
	CHECK_EQ(mmk_copy_from_user(mm, str, r.platform, 7), 0);
	CHECK_STR(str, "x86_64");
	/* AT_PHDR holds the program's own program headers */
	CHECK_EQ(mmk_access_vm(mm, r.phdr, w, 56, false), 56);
	CHECK_EQ(w[0] & 0xffffffff, PT_PHDR);
	/* AT_RANDOM: the documented splitmix64 stream of the seed */
	CHECK_EQ(mmk_copy_from_user(mm, rnd, r.random, 16), 0);
	{
		unsigned long long x = mmk_exec_layout.random_seed;

		for (int i = 0; i < 16; i += 8) {
			unsigned long long z = (x += 0x9e3779b97f4a7c15ULL);

			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
			z ^= z >> 31;
			memcpy(rnd2 + i, &z, 8);
		}
		CHECK_EQ(memcmp(rnd, rnd2, 16), 0);
	}
	mmput(mm);

	/* a profile without vDSO, platform or rseq: a shorter vector */
	mmk_exec_layout.vdso = false;
	mmk_exec_layout.platform = NULL;
	mmk_exec_layout.rseq = false;
	mmk_exec_layout.random_seed = 1;
	mm = mm_alloc();
	CHECK(mm);
	CHECK_EQ(mmk_load_elf_mm_args(mm, &args, err, sizeof(err)), 0);
	CHECK_EQ(r.auxv_pairs, 19);
	CHECK_EQ(r.vdso, 0);
	CHECK_EQ(r.platform, 0);
	CHECK_EQ(r.auxv_copy[0], 51);
	CHECK_EQ(mmk_copy_from_user(mm, rnd2, r.random, 16), 0);
	CHECK(memcmp(rnd, rnd2, 16) != 0);
	mmput(mm);
	/* auxv_pairs pads with AT_IGNORE */
	mmk_exec_layout_reset();
	mmk_exec_layout.auxv_pairs = 25;
	mm = mm_alloc();
	CHECK(mm);
	CHECK_EQ(mmk_load_elf_mm_args(mm, &args, err, sizeof(err)), 0);
	CHECK_EQ(r.auxv_pairs, 25);
	CHECK_EQ(r.auxv_copy[2 * 22], AT_IGNORE);
	CHECK_EQ(r.auxv_copy[2 * 23], AT_IGNORE);
	CHECK_EQ(r.auxv_copy[2 * 24], AT_NULL);
	mmput(mm);
	mmk_exec_layout_reset();
	CHECK_EQ(mmk_shutdown(), 0);
}

/* mmk_execve_args: the result of the task's new image */
TEST(execve_result)
{
	const char *argv[] = { "true", NULL };
	struct mmk_exec_result r;
	struct mmk_exec_args args = { .filename = "/usr/bin/true", .argv = argv, .result = &r };
	struct task_struct *t;
	unsigned long argc;

	CHECK_EQ(mmk_boot(2), 0);
	t = mmk_spawn("sh");
	CHECK(!IS_ERR(t));
	CHECK_EQ(mmk_execve_args(t, &args, NULL, 0), 0);
	CHECK_EQ(r.sp, t->mm->start_stack);
	CHECK_EQ(mmk_copy_from_user(t->mm, &argc, r.sp, sizeof(argc)), 0);
	CHECK_EQ(argc, 1);
	CHECK_EQ(r.envc, 0);
	CHECK(find_vma(t->mm, r.entry) && (find_vma(t->mm, r.entry)->vm_flags & VM_EXEC));
	CHECK_EQ(do_exit(t), 0);
	CHECK_EQ(mmk_shutdown(), 0);
}

/* strace gives only counts and sizes: the overrides place the strings */
TEST(sizes_instead_of_strings)
{
	struct mm_struct *a, *b;
	const char *argv[] = { "/usr/bin/true", "x", NULL };
	const char *envp[] = { "A=1", "BB=22", NULL };
	struct mmk_exec_args args = {
		.filename = "/usr/bin/true", .argv = argv,
		.envc = 2, .envp_bytes = 4 + 6,
	};
	char err[256];

	CHECK_EQ(mmk_boot(4), 0);
	a = mm_alloc();
	b = mm_alloc();
	CHECK(a && b);
	CHECK_EQ(mmk_load_elf_mm(a, "/usr/bin/true", argv, envp, err, sizeof(err)), 0);
	CHECK_EQ(mmk_load_elf_mm_args(b, &args, err, sizeof(err)), 0);
	CHECK_EQ(a->start_stack, b->start_stack);
	CHECK_EQ(a->env_end, b->env_end);
	CHECK_EQ(a->arg_start, b->arg_start);
	CHECK_EQ(a->arg_end, b->arg_end);
	CHECK_EQ(a->env_start, b->env_start);
	{
		/* the unknown environment is made up: equal shares of 'x's */
		char env[10];

		CHECK_EQ(mmk_access_vm(b, b->env_start, env, 10, false), 10);
		CHECK_EQ(memcmp(env, "xxxx\0xxxx\0", 10), 0);
		CHECK_EQ(mmk_access_vm(a, a->env_start, env, 10, false), 10);
		CHECK_EQ(memcmp(env, "A=1\0BB=22\0", 10), 0);
	}
	CHECK_EQ(a->map_count, b->map_count);
	mmput(a);
	mmput(b);
	CHECK_EQ(mmk_shutdown(), 0);
}

/* ---- mmk_execve on a task ------------------------------------------------ */

TEST(execve_task)
{
	const char *argv[] = { "true", NULL };
	struct task_struct *t;
	struct mm_struct *old, *new;

	CHECK_EQ(mmk_boot(2), 0);
	t = mmk_spawn("sh");
	CHECK(!IS_ERR(t));
	old = t->mm;
	mmgrab(old); /* watch the old mm go */
	CHECK_EQ(mm_users(old), 1);

	/* failures leave the task alone */
	CHECK_EQ(mmk_execve(t, "/nonexistent", argv, NULL), -ENOENT);
	CHECK(t->mm == old && t->active_mm == old);
	CHECK_EQ(mm_users(old), 1);
	CHECK_EQ(mm_count(old), 2);

	CHECK_EQ(mmk_execve(t, "/usr/bin/true", argv, NULL), 0);
	new = t->mm;
	CHECK(new != old);
	CHECK(t->active_mm == new);
	CHECK(new->owner == t);
	CHECK_EQ(mm_users(new), 1);
	CHECK_EQ(mm_count(new), 1);
	CHECK(new->exe_file != NULL);
	CHECK(new->map_count > 5);
	CHECK_STR(t->comm, "true");
	/* exec_mmap: the old mm lost its user and was torn down */
	CHECK_EQ(mm_users(old), 0);
	CHECK_EQ(mm_count(old), 1);
	mmdrop(old);
	CHECK_EQ(do_exit(t), 0);
	CHECK_EQ(mmk_check_all(NULL), 0);
	CHECK_EQ(mmk_shutdown(), 0);
}

TEST(execve_kthread)
{
	/* a kernel thread that execs becomes a user process */
	const char *argv[] = { "true", NULL };
	struct task_struct *k;

	CHECK_EQ(mmk_boot(2), 0);
	k = kthread_create("kworker");
	CHECK(!IS_ERR(k));
	CHECK_EQ(mmk_execve(k, "/usr/bin/true", argv, NULL), 0);
	CHECK(k->mm && k->active_mm == k->mm);
	CHECK(!(k->flags & PF_KTHREAD));
	CHECK_EQ(do_exit(k), 0);
	CHECK_EQ(mmk_shutdown(), 0);
}

TEST(execve_threads)
{
	/* de_thread: the other threads of the group exit; the shared mm loses them */
	const char *argv[] = { "true", NULL };
	struct task_struct *t, *thr;
	struct mm_struct *old;

	CHECK_EQ(mmk_boot(2), 0);
	t = mmk_spawn("app");
	CHECK(!IS_ERR(t));
	thr = kernel_clone(t, CLONE_VM | CLONE_THREAD | CLONE_SIGHAND, "app-thr");
	CHECK(!IS_ERR(thr));
	old = t->mm;
	CHECK_EQ(mm_users(old), 2);
	mmgrab(old);
	CHECK_EQ(mmk_execve(t, "/usr/bin/true", argv, NULL), 0);
	/* the thread is gone (its task may be freed already): both users left */
	CHECK_EQ(mm_users(old), 0);
	CHECK_EQ(mmk_check_all(NULL), 0);
	mmdrop(old);
	CHECK_EQ(do_exit(t), 0);
	CHECK_EQ(mmk_shutdown(), 0);
}

TEST(execve_hostile_task_untouched)
{
	const char *argv[] = { "x", NULL };
	struct task_struct *t;
	struct mm_struct *old;
	char path[160];

	CHECK_EQ(mmk_boot(2), 0);
	make_tmpdir();
	snprintf(path, sizeof(path), "%s/junk", tmpdir);
	write_image(path, "\177ELF\2\1\1\0\0\0\0\0\0\0\0\0\2\0\76\0", 20);
	t = mmk_spawn("sh");
	CHECK(!IS_ERR(t));
	old = t->mm;
	CHECK_EQ(mmk_execve(t, path, argv, NULL), -ENOEXEC);
	CHECK(t->mm == old);
	CHECK_EQ(mm_users(old), 1);
	CHECK_EQ(do_exit(t), 0);
	remove_tmpdir();
	CHECK_EQ(mmk_shutdown(), 0);
}

/* allocation failures anywhere in the load unwind cleanly */
TEST(alloc_failures)
{
	const char *argv[] = { "cat", NULL };
	char err[256];

	long n;

	CHECK_EQ(mmk_boot(2), 0);
	for (n = 0; n < 1000; n++) {
		struct mm_struct *mm = mm_alloc();
		int r;

		CHECK(mm);
		fail_after(n);
		r = mmk_load_elf_mm(mm, "/usr/bin/cat", argv, NULL, err, sizeof(err));
		fail_after(-1);
		mmput(mm);
		if (r == 0 && !fail_injected())
			break;
		CHECK(r != 0 || fail_injected());
	}
	CHECK(n > 5 && n < 1000); /* every allocation of a whole load was failed once */
	CHECK_EQ(mmk_shutdown(), 0);
}

#define TESTS(X)                                                                    \
	X(cat) X(sh) X(env) X(true_no_argv) X(ld_so_direct) X(big_environment)      \
	X(stack_rlimits)                                                            \
	X(static_binary) X(static_pie) X(no_pie) X(exec_stack) X(max_page_size_2m)  \
	X(script) X(script_nested) X(script_refused)                                \
	X(hostile_refused) X(hostile_offset_past_eof) X(hostile_overlapping)        \
	X(hostile_unsorted) X(hostile_bss_in_readonly) X(fuzz_headers)              \
	X(not_a_program) X(too_many_strings) X(sizes_instead_of_strings)            \
	X(stack_alignments) X(initial_stack_view) X(execve_result)                  \
	X(execve_task) X(execve_kthread) X(execve_threads)                          \
	X(execve_hostile_task_untouched) X(alloc_failures)
TEST_MAIN("exec", TESTS)
