// SPDX-License-Identifier: MIT
/*
 * src/binfmt_elf.c - execve of an ELF64 x86-64 file or a "#!" script: a
 * model of do_execveat_common / bprm_mm_init / copy_strings /
 * setup_arg_pages (fs/exec.c), load_script (fs/binfmt_script.c),
 * load_elf_binary / elf_load / load_elf_interp / create_elf_tables
 * (fs/binfmt_elf.c) and map_vdso
 * (arch/x86/entry/vdso/vma.c), as Linux 6.x does them with randomisation
 * off. The constants come from the layout profile (exec_layout.c).
 *
 * The order of the work, and where each error comes from:
 *
 *  1. open_exec: the file must exist (-ENOENT ...), be a regular file with
 *     execute permission on an exec-able mount (-EACCES).
 *  2. the strings: count argv and envp, bound them (bprm_stack_limits,
 *     MAX_ARG_STRLEN: -E2BIG); the stack VMA is born as one page below
 *     STACK_TOP_MAX (VM_STACK_FLAGS | VM_STACK_INCOMPLETE_SETUP) and grows
 *     down over the filename, the environment and the arguments, copied
 *     from the top in that order and written through the page layer with
 *     mmk_access_vm (get_arg_page: a forced write, the pages faulted in).
 *  3. "#!" scripts (binfmt_script): argv[0] is replaced by the interpreter's
 *     name, its optional argument and the script's path, and the
 *     interpreter is opened instead, up to five times (-ELOOP); a "#!"
 *     line without a name, or whose name runs past the first 256 bytes,
 *     is -ENOEXEC. Anything else that is not ELF is -ENOEXEC.
 *     The ELF headers: magic, ET_EXEC or ET_DYN, EM_X86_64, phentsize 56,
 *     1..73 program headers inside the file (-ENOEXEC); the first
 *     PT_INTERP: 2..PATH_MAX bytes inside the file (-ENOEXEC, -EIO for a
 *     short read), NUL-terminated (-ENOEXEC), openable like the program;
 *     its ELF header (-EIO if short), magic and machine and program
 *     headers (-ELIBBAD). PT_GNU_STACK decides the stack's VM_EXEC.
 *  -- the kernel's point of no return (begin_new_exec): from here a
 *     failure kills the process with SIGSEGV; mmkit returns the loader's
 *     error instead and the caller drops the half-built mm --
 *  4. setup_arg_pages: final stack flags, then 128 KiB more below it.
 *  5. the PT_LOADs in header order: ET_EXEC at their addresses (the first
 *     MAP_FIXED_NOREPLACE, then MAP_FIXED); a PIE (ET_DYN with PT_INTERP)
 *     reserves its whole image at ELF_ET_DYN_BASE aligned down to its
 *     largest power-of-two p_align, trims it to the first segment, then
 *     maps the others MAP_FIXED; an ET_DYN without PT_INTERP (ld.so run
 *     directly, static PIE) is placed like an mmap without hint. File
 *     bytes come from elf_map; p_memsz > p_filesz gets the rest of the
 *     last file page zeroed and, past it, anonymous pages from vm_brk
 *     (rw-p whatever p_flags say, plus x if PF_X). Overlapping, unsorted
 *     or past-EOF segments are mapped exactly as the kernel maps them
 *     (checked on this machine: it accepts them).
 *  6. start_brk = brk = the page after the highest p_vaddr + p_memsz, or
 *     PAGE_ALIGN(ELF_ET_DYN_BASE) for an ET_DYN without interpreter.
 *  7. the interpreter: its first PT_LOAD reserves the whole image where a
 *     hint-less mmap would put it (top-down below mmap_base), the others
 *     follow MAP_FIXED; its bss the same way.
 *  8. the vDSO block: [vvar] [vvar_vclock] [vdso], top-down.
 *  9. create_elf_tables: the platform string, AT_RANDOM, the auxiliary
 *     vector, envp, argv and argc below the strings give start_stack;
 *     the stack grows if the pointers reach below it; all of it written
 *     with mmk_copy_to_user, the argv/envp pointers found by walking the
 *     strings on the stack as the kernel does (which sets arg_start ..
 *     env_end).
 *  Every elf_load also zeroes the rest of a segment's last file page
 *  (padzero, through mmk_copy_to_user: a COW fault for a writable
 *  segment, an -EFAULT that only counts for a writable one).
 *
 * Never copied from the kernel: every line is mmkit's own, the order and
 * the arithmetic are the kernel's.
 */
#include "vma.h"
#include <mmkit/binfmt.h>
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif
#ifndef AT_RSEQ_FEATURE_SIZE
#define AT_RSEQ_FEATURE_SIZE 27
#endif
#ifndef AT_RSEQ_ALIGN
#define AT_RSEQ_ALIGN 28
#endif

#define ELF_MIN_ALIGN PAGE_SIZE
#define ELF_PAGESTART(v) ((unsigned long)(v) & ~(ELF_MIN_ALIGN - 1))
#define ELF_PAGEOFFSET(v) ((unsigned long)(v) & (ELF_MIN_ALIGN - 1))
#define ELF_PAGEALIGN(v) (((unsigned long)(v) + ELF_MIN_ALIGN - 1) & ~(ELF_MIN_ALIGN - 1))

#define EXEC_PATH_MAX 4096            /* PATH_MAX */
#define EXEC_MAX_ARG_STRINGS 0x7fffffffUL
#define EXEC_PHDR_MAX_BYTES ELF_MIN_ALIGN /* load_elf_phdrs: at most a page of headers */

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* PT_GNU_STACK's verdict on the stack (EXSTACK_* in the kernel) */
enum { EXSTACK_DEFAULT, EXSTACK_DISABLE_X, EXSTACK_ENABLE_X };

/* anonymous pages vm_brk adds: x86-64's data flags without
 * READ_IMPLIES_EXEC (never set for 64-bit programs) */
#define EXEC_BRK_FLAGS (VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)

static const struct vm_special_mapping vdso_mapping = { .name = "[vdso]" };
static const struct vm_special_mapping vvar_mapping = { .name = "[vvar]" };
static const struct vm_special_mapping vvar_vclock_mapping = { .name = "[vvar_vclock]" };

/* one ELF file being loaded: the program or its interpreter */
struct elf_file {
	int fd;
	struct file *file;   /* for the mappings and exe_file */
	Elf64_Ehdr eh;
	Elf64_Phdr *ph;      /* eh.e_phnum headers, kmalloc'd */
};

/* the linux_binprm of the model */
struct exec_bprm {
	struct mm_struct *mm;
	const char *filename;
	struct vm_area_struct *vma; /* the stack */
	unsigned long p;            /* the lowest byte of the strings, then the stack pointer */
	unsigned long argc, envc, argv_bytes, envp_bytes;
	unsigned long argv0_len;    /* bytes of argv[0] (0: unknown) */
	unsigned long argmin;       /* the strings may not reach below this */
	unsigned long exec;         /* where the filename copy starts (AT_EXECFN) */
	const struct mmk_exec_args *args; /* the strings to write */
	unsigned long vdso;         /* AT_SYSINFO_EHDR (0: none) */
	struct mmk_exec_result res; /* filled as the load goes */
	char *err;
	size_t errlen;
};

static int exec_error(struct exec_bprm *b, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int exec_error(struct exec_bprm *b, int error, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!b->err || !b->errlen)
		return error;
	n = snprintf(b->err, b->errlen, "%s: ", b->filename ? b->filename : "(null)");
	if (n < 0 || (size_t)n >= b->errlen)
		return error;
	va_start(ap, fmt);
	vsnprintf(b->err + n, b->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return error;
}

/* ---- files --------------------------------------------------------------- */

static void elf_file_init(struct elf_file *ef)
{
	memset(ef, 0, sizeof(*ef));
	ef->fd = -1;
}

static void elf_file_release(struct elf_file *ef)
{
	if (ef->fd >= 0)
		close(ef->fd);
	if (ef->file && !IS_ERR(ef->file))
		fput(ef->file);
	kfree(ef->ph);
	elf_file_init(ef);
}

/*
 * open_exec: a regular file, executable for us, not on a noexec mount.
 * The struct file carries the path /proc prints (symlinks resolved).
 */
static int open_exec(struct exec_bprm *b, const char *path, struct elf_file *ef)
{
	struct stat st;
	struct file *f;

	if (!path)
		return exec_error(b, -EFAULT, "no file name");
	if (!path[0])
		return exec_error(b, -ENOENT, "empty file name");
	if (stat(path, &st) != 0)
		return exec_error(b, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return exec_error(b, -EACCES, "%s: not a regular file", path);
	if (access(path, X_OK) != 0)
		return exec_error(b, -EACCES, "%s: not executable", path);
	ef->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ef->fd < 0)
		return exec_error(b, -errno, "%s: %s", path, strerror(errno));
	f = mmk_file_open(path, FMODE_READ);
	if (IS_ERR(f))
		return exec_error(b, (int)PTR_ERR(f), "%s: cannot describe the file", path);
	ef->file = f;
	if (f->noexec)
		return exec_error(b, -EACCES, "%s: on a noexec mount", path);
	return 0;
}

/* elf_read: all @len bytes at @pos, or -EIO (a short read) / -errno */
static int elf_read(int fd, void *buf, size_t len, unsigned long long pos)
{
	size_t done = 0;

	if (pos > (unsigned long long)INT64_MAX - len)
		return -EINVAL;
	while (done < len) {
		ssize_t r = pread(fd, (char *)buf + done, len - done, (off_t)(pos + done));

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EIO;
		done += (size_t)r;
	}
	return 0;
}

/* the first bytes of the file (prepare_binprm): a short file reads as zeros */
static int read_binprm_buf(int fd, void *buf, size_t len)
{
	size_t done = 0;

	memset(buf, 0, len);
	while (done < len) {
		ssize_t r = pread(fd, (char *)buf + done, len - done, (off_t)done);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return 0;
}

static bool elf_magic_ok(const Elf64_Ehdr *eh)
{
	return memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0;
}

/* elf_check_arch for x86-64 looks only at the machine */
static bool elf_arch_ok(const Elf64_Ehdr *eh)
{
	return eh->e_machine == EM_X86_64;
}

/* load_elf_phdrs: 0 or -1 (the caller picks the errno) */
static int load_elf_phdrs(struct elf_file *ef)
{
	size_t size;

	if (ef->eh.e_phentsize != sizeof(Elf64_Phdr))
		return -1;
	size = sizeof(Elf64_Phdr) * ef->eh.e_phnum;
	if (size == 0 || size > 65536 || size > EXEC_PHDR_MAX_BYTES)
		return -1;
	ef->ph = kmalloc(size, GFP_KERNEL);
	if (!ef->ph)
		return -2;
	if (elf_read(ef->fd, ef->ph, size, ef->eh.e_phoff) != 0) {
		kfree(ef->ph);
		ef->ph = NULL;
		return -1;
	}
	return 0;
}

/* ---- the strings and the stack (fs/exec.c) ------------------------------ */

/* count one NULL-terminated vector; -E2BIG past MAX_ARG_STRINGS or for a
 * string longer than MAX_ARG_STRLEN */
static int count_strings(const char *const *v, unsigned long *count, unsigned long *bytes)
{
	unsigned long n = 0, total = 0;

	if (v) {
		for (; v[n]; n++) {
			size_t len = strnlen(v[n], mmk_exec_layout.max_arg_strlen) + 1;

			if (n >= EXEC_MAX_ARG_STRINGS || len > mmk_exec_layout.max_arg_strlen)
				return -E2BIG;
			total += len;
		}
	}
	*count = n;
	*bytes = total;
	return 0;
}

/* bprm_mm_init: the temporary stack, one page at the top of everything */
static int bprm_mm_init(struct exec_bprm *b)
{
	struct mm_struct *mm = b->mm;
	struct vm_area_struct *vma = vm_area_alloc(mm);
	unsigned long top = MMK_TASK_SIZE(mm); /* STACK_TOP_MAX */
	int err;

	if (!vma)
		return -ENOMEM;
	vma->vm_end = top;
	vma->vm_start = top - PAGE_SIZE;
	vma->vm_flags = VM_SOFTDIRTY | VM_STACK_FLAGS | VM_STACK_INCOMPLETE_SETUP;
	down_write(&mm->mmap_sem);
	err = insert_vm_struct(mm, vma);
	if (err) {
		up_write(&mm->mmap_sem);
		vm_area_free(vma);
		return err;
	}
	vm_stat_account(mm, vma->vm_flags, 1);
	up_write(&mm->mmap_sem);
	b->vma = vma;
	b->p = vma->vm_end - sizeof(void *);
	return 0;
}

/*
 * stack_expand_down - expand_downwards: the stack VMA reaches down to
 * @addr's page. The guard gap to the VMA below is kept (an accessible
 * non-stack neighbour closer than stack_guard_gap refuses), the growth is
 * accounted. Called with mmap_sem held for writing.
 */
static int stack_expand_down(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long addr)
{
	struct vm_area_struct *prev = vma->vm_prev;
	unsigned long grow;

	addr &= PAGE_MASK;
	if (addr >= vma->vm_start)
		return 0;
	if (addr < mmap_min_addr)
		return -EPERM;
	if (prev) {
		if (prev->vm_end > addr)
			return -ENOMEM;
		if (!(prev->vm_flags & VM_GROWSDOWN) && vma_is_accessible(prev) &&
		    addr - prev->vm_end < stack_guard_gap)
			return -ENOMEM;
	}
	grow = (vma->vm_start - addr) >> PAGE_SHIFT;
	/* acct_stack_growth */
	if (vma->vm_end - addr > mm->rlim[MMK_RLIMIT_STACK])
		return -ENOMEM;
	if (!may_expand_vm(mm, vma->vm_flags, grow))
		return -ENOMEM;
	if ((vma->vm_flags & VM_LOCKED) && !mlock_future_ok(mm, vma->vm_flags, grow << PAGE_SHIFT))
		return -ENOMEM;
	vma_set_range(vma, addr, vma->vm_end, vma->vm_pgoff - grow);
	vm_stat_account(mm, vma->vm_flags, (long)grow);
	if (vma->vm_flags & VM_LOCKED)
		mm->locked_vm += grow;
	return 0;
}

/*
 * put_arg_bytes - copy_strings' writes: get_arg_page (GUP with FOLL_FORCE |
 * FOLL_WRITE on the new mm, so each page is faulted in and counted) and a
 * copy. A failure is copy_strings' -E2BIG.
 */
static int put_arg_bytes(struct exec_bprm *b, unsigned long addr, const void *buf, size_t len)
{
	if (len && mmk_access_vm(b->mm, addr, (void *)(uintptr_t)buf, len, true) != (long)len)
		return -E2BIG;
	return 0;
}

/*
 * fill_strings - @count NUL-terminated strings in exactly @bytes bytes at
 * @dst: those of @v while they fit (the last one must end exactly at the
 * end), the rest made up when the counts or sizes were overrides: equal
 * shares of the remaining bytes, 'x's then a NUL.
 */
static void fill_strings(char *dst, unsigned long bytes, unsigned long count, const char *const *v)
{
	unsigned long pos = 0, i = 0, k, rest;

	for (; v && i < count && v[i]; i++) {
		unsigned long len = strnlen(v[i], mmk_exec_layout.max_arg_strlen) + 1;
		unsigned long after = count - i - 1;

		if (len > bytes - pos || after > bytes - pos - len || (!after && pos + len != bytes))
			break;
		memcpy(dst + pos, v[i], len - 1);
		dst[pos + len - 1] = '\0';
		pos += len;
	}
	k = count - i;
	rest = bytes - pos;
	for (unsigned long j = 0; j < k; j++) {
		unsigned long len = j + 1 < k ? rest / k : rest - (rest / k) * (k - 1);

		memset(dst + pos, 'x', len - 1);
		dst[pos + len - 1] = '\0';
		pos += len;
	}
}

/*
 * write_exec_strings - the bytes copy_strings leaves at [b->p, top): the
 * arguments, the environment, the file name (the top 8 bytes stay zero).
 */
static int write_exec_strings(struct exec_bprm *b, unsigned long fname_len)
{
	const struct mmk_exec_args *a = b->args;
	unsigned long n = b->argv_bytes + b->envp_bytes + fname_len;
	char *buf = malloc(n);
	int err;

	if (!buf)
		return -ENOMEM;
	fill_strings(buf, b->argv_bytes, b->argc, a ? a->argv : NULL);
	fill_strings(buf + b->argv_bytes, b->envp_bytes, b->envc, a ? a->envp : NULL);
	memcpy(buf + b->argv_bytes + b->envp_bytes, b->filename, fname_len - 1);
	buf[n - 1] = '\0';
	err = put_arg_bytes(b, b->p, buf, n);
	free(buf);
	return err;
}

/*
 * copy the strings: bprm_stack_limits, then the filename, the environment
 * and the arguments from the top down (copy_string_kernel, copy_strings);
 * no argument at all becomes one "" argument. The stack VMA follows the
 * lowest byte written (get_arg_page).
 */
static int copy_exec_strings(struct exec_bprm *b)
{
	unsigned long limit, ptr_size, argmin, rlim_stack = b->mm->rlim[MMK_RLIMIT_STACK];
	int err;

	unsigned long fname_len = strnlen(b->filename, mmk_exec_layout.max_arg_strlen) + 1;

	limit = mmk_exec_layout.stk_lim / 4 * 3;
	if (rlim_stack / 4 < limit)
		limit = rlim_stack / 4;
	if (limit < mmk_exec_layout.arg_max)
		limit = mmk_exec_layout.arg_max;
	ptr_size = ((b->argc ? b->argc : 1) + b->envc) * sizeof(void *);
	if (b->argc > EXEC_MAX_ARG_STRINGS || b->envc > EXEC_MAX_ARG_STRINGS || limit <= ptr_size)
		return exec_error(b, -E2BIG, "too many arguments");
	limit -= ptr_size;
	argmin = b->argmin = b->p - limit;

	if (fname_len > mmk_exec_layout.max_arg_strlen)
		return exec_error(b, -E2BIG, "file name too long");
	b->p -= fname_len;
	b->exec = b->p;
	if (b->p < argmin)
		return exec_error(b, -E2BIG, "file name too long");
	if (b->envp_bytes > b->p - argmin)
		return exec_error(b, -E2BIG, "environment too large");
	b->p -= b->envp_bytes;
	if (b->argv_bytes > b->p - argmin)
		return exec_error(b, -E2BIG, "arguments too large");
	b->p -= b->argv_bytes;
	if (b->argc == 0) {
		if (b->p == argmin)
			return exec_error(b, -E2BIG, "arguments too large");
		b->p -= 1;
		b->argv_bytes = 1;
		b->argv0_len = 1;
		b->argc = 1;
	}

	down_write(&b->mm->mmap_sem);
	err = stack_expand_down(b->mm, b->vma, b->p);
	up_write(&b->mm->mmap_sem);
	if (err)
		return exec_error(b, -E2BIG, "the strings do not fit on the stack");
	err = write_exec_strings(b, fname_len);
	if (err)
		return exec_error(b, err, "cannot write the strings");
	return 0;
}

/* copy_string_kernel: one more string below the others, as an argument */
static int push_arg_string(struct exec_bprm *b, const char *str)
{
	unsigned long len = strnlen(str, mmk_exec_layout.max_arg_strlen) + 1;
	int err;

	if (len > mmk_exec_layout.max_arg_strlen || len > b->p - b->argmin)
		return exec_error(b, -E2BIG, "arguments too large");
	b->p -= len;
	b->argv_bytes += len;
	b->argc++;
	down_write(&b->mm->mmap_sem);
	err = stack_expand_down(b->mm, b->vma, b->p);
	up_write(&b->mm->mmap_sem);
	if (!err)
		err = put_arg_bytes(b, b->p, str, len);
	return err ? exec_error(b, -E2BIG, "the strings do not fit on the stack") : 0;
}

/* remove_arg_zero's walk: the length (NUL included) of the string at @addr */
static int arg_strlen(struct exec_bprm *b, unsigned long addr, unsigned long *len)
{
	unsigned long n = 0, end = b->vma->vm_end;
	char chunk[256];

	while (addr + n < end) {
		size_t want = end - addr - n < sizeof(chunk) ? end - addr - n : sizeof(chunk);
		char *nul;

		if (mmk_access_vm(b->mm, addr + n, chunk, want, false) != (long)want)
			return -EFAULT;
		nul = memchr(chunk, 0, want);
		if (nul) {
			*len = n + (unsigned long)(nul - chunk) + 1;
			return 0;
		}
		n += want;
	}
	return -EFAULT;
}

/* ---- "#!" scripts (fs/binfmt_script.c) ------------------------------------ */

#define BINPRM_BUF_SIZE 256

static bool spacetab(char c)
{
	return c == ' ' || c == '\t';
}

/* the first character in [first, last] that is not a space or tab */
static char *skip_spacetab(char *first, char *last)
{
	for (; first <= last; first++)
		if (!spacetab(*first))
			return first;
	return NULL;
}

/* the first space, tab or NUL in [first, last] */
static char *find_terminator(char *first, char *last)
{
	for (; first <= last; first++)
		if (spacetab(*first) || !*first)
			return first;
	return NULL;
}

/*
 * load_script - @buf (BINPRM_BUF_SIZE bytes of the file, NUL-padded, one
 * more NUL after) starts with "#!": parse "#!name [arg]", replace argv[0]
 * by name, arg and the script's path (@interp: the file name as passed,
 * or the previous interpreter for nested scripts), and open the
 * interpreter into @ex. @name_out keeps the name for the next round.
 */
static int load_script(struct exec_bprm *b, char *buf, const char *interp, struct elf_file *ex,
		       char *name_out)
{
	char *buf_end = buf + BINPRM_BUF_SIZE - 1, *i_end = NULL, *i_name, *i_sep, *i_arg = NULL;
	int err;

	for (char *c = buf; c <= buf_end && *c; c++) {
		if (*c == '\n') {
			i_end = c;
			break;
		}
	}
	if (!i_end) {
		/* no newline: the name must end inside the buffer */
		i_end = skip_spacetab(buf + 2, buf_end);
		if (!i_end || !find_terminator(i_end, buf_end))
			return exec_error(b, -ENOEXEC, "#! line too long");
		i_end = buf_end;
	}
	while (spacetab(i_end[-1]))
		i_end--;
	i_name = skip_spacetab(buf + 2, i_end);
	if (!i_name || i_name == i_end)
		return exec_error(b, -ENOEXEC, "#! without an interpreter");
	i_sep = find_terminator(i_name, i_end);
	if (i_sep && *i_sep)
		i_arg = skip_spacetab(i_sep, i_end);

	/* remove_arg_zero: walk argv[0] on the stack */
	if (b->argc) {
		unsigned long len;

		if (arg_strlen(b, b->p, &len) || len > b->argv_bytes)
			return exec_error(b, -EFAULT, "cannot read argv[0]");
		b->p += len;
		b->argv_bytes -= len;
		b->argc--;
	}
	err = push_arg_string(b, interp);
	if (err)
		return err;
	*i_end = '\0';
	if (i_arg) {
		*i_sep = '\0';
		err = push_arg_string(b, i_arg);
		if (err)
			return err;
	}
	err = push_arg_string(b, i_name);
	if (err)
		return err;
	b->argv0_len = strlen(i_name) + 1;
	memcpy(name_out, i_name, b->argv0_len);

	elf_file_release(ex);
	return open_exec(b, name_out, ex);
}

/*
 * setup_arg_pages: move the stack to stack_top (a no-op with 4-level
 * paging), give it its final flags, and grow it by stack_expand (or up to
 * RLIMIT_STACK).
 */
static int setup_arg_pages(struct exec_bprm *b, unsigned long stack_top, int executable_stack)
{
	struct mm_struct *mm = b->mm;
	struct vm_area_struct *vma = b->vma;
	unsigned long shift, vm_flags, stack_base, stack_size, rlim_stack;
	int err = 0;

	stack_top = PAGE_ALIGN(stack_top & ~0xfUL); /* arch_align_stack, no randomisation */
	if (stack_top < mmap_min_addr || vma->vm_end - vma->vm_start >= stack_top - mmap_min_addr)
		return exec_error(b, -ENOMEM, "the stack does not fit below STACK_TOP");
	shift = vma->vm_end - stack_top;

	down_write(&mm->mmap_sem);
	vm_flags = VM_STACK_FLAGS;
	if (executable_stack == EXSTACK_ENABLE_X)
		vm_flags |= VM_EXEC;
	else if (executable_stack == EXSTACK_DISABLE_X)
		vm_flags &= ~VM_EXEC;
	vm_flags |= mm->def_flags;
	/* mprotect_fixup to the new flags: the stack stays a stack */
	vm_stat_account(mm, vma->vm_flags, -(long)vma_pages(vma));
	vma->vm_flags = vm_flags | VM_STACK_INCOMPLETE_SETUP | (vma->vm_flags & VM_SOFTDIRTY);
	vm_stat_account(mm, vma->vm_flags, (long)vma_pages(vma));
	if (shift) {
		/* shift_arg_pages: nothing lies between the new place and the old */
		struct vm_area_struct *below = find_vma(mm, vma->vm_start - shift);

		if (below != vma) {
			up_write(&mm->mmap_sem);
			return exec_error(b, -EFAULT, "no room to move the stack down");
		}
		vma_set_range(vma, vma->vm_start - shift, vma->vm_end - shift,
			      (vma->vm_start - shift) >> PAGE_SHIFT);
		b->p -= shift;
		b->exec -= shift;
	}
	vma->vm_flags &= ~VM_STACK_INCOMPLETE_SETUP;

	stack_size = vma->vm_end - vma->vm_start;
	rlim_stack = mm->rlim[MMK_RLIMIT_STACK] & PAGE_MASK;
	if (stack_size + mmk_exec_layout.stack_expand > rlim_stack)
		stack_base = vma->vm_end - rlim_stack;
	else
		stack_base = vma->vm_start - mmk_exec_layout.stack_expand;
	mm->start_stack = mm->arg_start = b->p;
	if (stack_base < vma->vm_start && stack_expand_down(mm, vma, stack_base))
		err = exec_error(b, -EFAULT, "cannot grow the stack");
	up_write(&mm->mmap_sem);
	return err;
}

/* ---- mapping (vm_mmap, vm_munmap, vm_brk_flags) ------------------------- */

static unsigned long vm_mmap(struct mm_struct *mm, struct file *file, unsigned long addr,
			     unsigned long len, unsigned long prot, unsigned long flags,
			     unsigned long off)
{
	if (off + PAGE_ALIGN(len) < off)
		return (unsigned long)-EINVAL;
	return (unsigned long)sys_mmap(mm, addr, len, prot, flags, file, off);
}

/*
 * vm_brk - anonymous pages at exactly [addr, addr + len) (vm_brk_flags):
 * whatever is there is unmapped first; the new pages extend an anonymous
 * VMA ending at @addr when they can.
 */
static int vm_brk(struct mm_struct *mm, unsigned long addr, unsigned long request, bool exec)
{
	unsigned long len = PAGE_ALIGN(request), flags, mapped;
	struct vm_area_struct *vma = NULL, *prev, *next;
	int ret = 0;

	if (len < request)
		return -ENOMEM;
	if (!len)
		return 0;
	flags = EXEC_BRK_FLAGS | VM_ACCOUNT | mm->def_flags | (exec ? VM_EXEC : 0);
	down_write(&mm->mmap_sem);
	/* check_brk_limits */
	mapped = get_unmapped_area(mm, NULL, addr, len, 0, MAP_FIXED);
	if (IS_ERR_VALUE(mapped)) {
		ret = (int)(long)mapped;
		goto out;
	}
	if (!mlock_future_ok(mm, mm->def_flags, len)) {
		ret = -EAGAIN;
		goto out;
	}
	ret = do_munmap(mm, addr, len);
	if (ret)
		goto out;
	/* do_brk_flags */
	if (!may_expand_vm(mm, flags, len >> PAGE_SHIFT) || mm->map_count > sysctl_max_map_count) {
		ret = -ENOMEM;
		goto out;
	}
	next = find_vma(mm, addr);
	prev = next ? next->vm_prev : vma_last(mm);
	if (prev && prev->vm_end == addr)
		vma = vma_merge_new_range(mm, prev, NULL, addr, addr + len, flags, NULL,
					  addr >> PAGE_SHIFT, NULL, NULL, true);
	if (!vma) {
		vma = vm_area_alloc(mm);
		if (!vma) {
			ret = -ENOMEM;
			goto out;
		}
		vma->vm_start = addr;
		vma->vm_end = addr + len;
		vma->vm_pgoff = addr >> PAGE_SHIFT;
		vma->vm_flags = flags;
		vma_link_after(mm, vma, prev);
	}
	mm->total_vm += len >> PAGE_SHIFT;
	mm->data_vm += len >> PAGE_SHIFT;
	if (flags & VM_LOCKED)
		mm->locked_vm += len >> PAGE_SHIFT;
	vma->vm_flags |= VM_SOFTDIRTY;
	if (mm->def_flags & VM_LOCKED)
		mm_populate(mm, addr, len);
out:
	up_write(&mm->mmap_sem);
	return ret;
}

/* make_prot: PF_R/W/X to PROT_* (no arch hook on x86-64) */
static unsigned long make_prot(Elf64_Word p_flags)
{
	unsigned long prot = 0;

	if (p_flags & PF_R)
		prot |= PROT_READ;
	if (p_flags & PF_W)
		prot |= PROT_WRITE;
	if (p_flags & PF_X)
		prot |= PROT_EXEC;
	return prot;
}

static bool bad_addr(struct mm_struct *mm, unsigned long x)
{
	return x >= MMK_TASK_SIZE(mm);
}

/*
 * elf_map - the file part of a segment; with @total_size the whole image
 * is reserved first and everything past this segment unmapped again.
 */
static unsigned long elf_map(struct mm_struct *mm, struct file *file, unsigned long addr,
			     const Elf64_Phdr *ph, unsigned long prot, unsigned long type,
			     unsigned long total_size)
{
	unsigned long size = ph->p_filesz + ELF_PAGEOFFSET(ph->p_vaddr);
	unsigned long off = ph->p_offset - ELF_PAGEOFFSET(ph->p_vaddr);
	unsigned long map_addr;

	addr = ELF_PAGESTART(addr);
	size = ELF_PAGEALIGN(size);
	if (!size)
		return addr;
	if (total_size) {
		total_size = ELF_PAGEALIGN(total_size);
		map_addr = vm_mmap(mm, file, addr, total_size, prot, type, off);
		if (!bad_addr(mm, map_addr) && total_size > size)
			sys_munmap(mm, map_addr + size, total_size - size);
	} else {
		map_addr = vm_mmap(mm, file, addr, size, prot, type, off);
	}
	return map_addr;
}

/*
 * padzero - zero the rest of the page from @address (clear_user, through
 * the page layer: a write fault, so a private file page becomes an
 * anonymous copy). -EFAULT if it could not be written.
 */
static int padzero(struct mm_struct *mm, unsigned long address)
{
	static const char zeroes[ELF_MIN_ALIGN];
	unsigned long nbyte = ELF_PAGEOFFSET(address);

	if (!nbyte)
		return 0;
	return mmk_copy_to_user(mm, address, zeroes, ELF_MIN_ALIGN - nbyte) ? -EFAULT : 0;
}

/*
 * elf_load - one PT_LOAD: the file bytes, then the memory beyond
 * p_filesz: the rest of the last file page is zeroed (padzero, an error
 * only for a writable segment), whole pages past it come from vm_brk.
 */
static unsigned long elf_load(struct mm_struct *mm, struct file *file, unsigned long addr,
			      const Elf64_Phdr *ph, unsigned long prot, unsigned long type,
			      unsigned long total_size)
{
	unsigned long zero_start, zero_end, map_addr;

	if (ph->p_filesz) {
		map_addr = elf_map(mm, file, addr, ph, prot, type, total_size);
		if (bad_addr(mm, map_addr))
			return map_addr;
		zero_start = map_addr + ELF_PAGEOFFSET(ph->p_vaddr) + ph->p_filesz;
		zero_end = map_addr + ELF_PAGEOFFSET(ph->p_vaddr) + ph->p_memsz;
		if (ph->p_memsz > ph->p_filesz && padzero(mm, zero_start) && (prot & PROT_WRITE))
			return (unsigned long)-EFAULT;
	} else {
		map_addr = zero_start = ELF_PAGESTART(addr);
		zero_end = zero_start + ELF_PAGEOFFSET(ph->p_vaddr) + ph->p_memsz;
	}
	if (ph->p_memsz > ph->p_filesz) {
		int error;

		zero_start = ELF_PAGEALIGN(zero_start);
		zero_end = ELF_PAGEALIGN(zero_end);
		error = vm_brk(mm, zero_start, zero_end - zero_start, prot & PROT_EXEC);
		if (error)
			map_addr = (unsigned long)(long)error;
	}
	return map_addr;
}

/* total_mapping_size: from the lowest PT_LOAD page to the highest end */
static unsigned long total_mapping_size(const Elf64_Phdr *ph, int nr)
{
	unsigned long min_addr = ~0UL, max_addr = 0;
	bool pt_load = false;

	for (int i = 0; i < nr; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (ELF_PAGESTART(ph[i].p_vaddr) < min_addr)
			min_addr = ELF_PAGESTART(ph[i].p_vaddr);
		if (ph[i].p_vaddr + ph[i].p_memsz > max_addr)
			max_addr = ph[i].p_vaddr + ph[i].p_memsz;
		pt_load = true;
	}
	return pt_load ? max_addr - min_addr : 0;
}

/* maximum_alignment: the largest power-of-two p_align, at least a page */
static unsigned long maximum_alignment(const Elf64_Phdr *ph, int nr)
{
	unsigned long alignment = 0;

	for (int i = 0; i < nr; i++) {
		unsigned long a = ph[i].p_align;

		if (ph[i].p_type != PT_LOAD || !a || (a & (a - 1)))
			continue;
		if (a > alignment)
			alignment = a;
	}
	return ELF_PAGEALIGN(alignment);
}

/* a segment that cannot be given a brk: the kernel's -EINVAL check */
static bool segment_out_of_range(struct mm_struct *mm, const Elf64_Phdr *ph)
{
	unsigned long k = ph->p_vaddr, task_size = MMK_TASK_SIZE(mm);

	return bad_addr(mm, k) || ph->p_filesz > ph->p_memsz || ph->p_memsz > task_size ||
	       task_size - ph->p_memsz < k;
}

/* ---- the interpreter (load_elf_interp) ----------------------------------- */

static unsigned long load_elf_interp(struct exec_bprm *b, struct elf_file *in, unsigned long no_base)
{
	struct mm_struct *mm = b->mm;
	unsigned long load_addr = 0, total_size, error = (unsigned long)-ELIBBAD;
	bool load_addr_set = false;
	int nr = in->eh.e_phnum;

	if (in->eh.e_type != ET_EXEC && in->eh.e_type != ET_DYN)
		return error;
	total_size = total_mapping_size(in->ph, nr);
	if (!total_size)
		return (unsigned long)-EINVAL;
	for (int i = 0; i < nr; i++) {
		const Elf64_Phdr *ph = &in->ph[i];
		unsigned long type = MAP_PRIVATE, vaddr = ph->p_vaddr, map_addr, k;

		if (ph->p_type != PT_LOAD)
			continue;
		if (in->eh.e_type == ET_EXEC || load_addr_set)
			type |= MAP_FIXED;
		else if (no_base && in->eh.e_type == ET_DYN)
			load_addr = -vaddr;
		map_addr = elf_load(mm, in->file, load_addr + vaddr, ph, make_prot(ph->p_flags), type,
				    total_size);
		total_size = 0;
		error = map_addr;
		if (bad_addr(mm, map_addr))
			return error;
		if (!load_addr_set && in->eh.e_type == ET_DYN) {
			load_addr = map_addr - ELF_PAGESTART(vaddr);
			load_addr_set = true;
		}
		k = load_addr + ph->p_vaddr;
		if (bad_addr(mm, k) || ph->p_filesz > ph->p_memsz || ph->p_memsz > MMK_TASK_SIZE(mm) ||
		    MMK_TASK_SIZE(mm) - ph->p_memsz < k)
			return (unsigned long)-ENOMEM;
	}
	return load_addr;
}

/* ---- the vDSO (arch/x86/entry/vdso/vma.c: map_vdso) ----------------------- */

static int map_vdso(struct mm_struct *mm, unsigned long *vdso)
{
	const struct mmk_exec_layout *l = &mmk_exec_layout;
	unsigned long data = (unsigned long)(l->vvar_pages + l->vvar_vclock_pages) << PAGE_SHIFT;
	unsigned long text = (unsigned long)l->vdso_pages << PAGE_SHIFT, addr;
	int err;

	if (!l->vdso)
		return 0;
	down_write(&mm->mmap_sem);
	addr = get_unmapped_area(mm, NULL, 0, data + text, 0, 0);
	up_write(&mm->mmap_sem);
	if (IS_ERR_VALUE(addr))
		return (int)(long)addr;
	*vdso = addr + data; /* mm->context.vdso: the text, AT_SYSINFO_EHDR */
	err = install_special_mapping(mm, addr + data, text,
				      VM_READ | VM_EXEC | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC,
				      &vdso_mapping);
	if (err)
		return err;
	if (l->vvar_pages) {
		err = install_special_mapping(mm, addr, (unsigned long)l->vvar_pages << PAGE_SHIFT,
					      VM_READ | VM_MAYREAD | VM_IO | VM_DONTDUMP | VM_PFNMAP,
					      &vvar_mapping);
		if (err)
			return err;
	}
	if (l->vvar_vclock_pages)
		err = install_special_mapping(mm, addr + ((unsigned long)l->vvar_pages << PAGE_SHIFT),
					      (unsigned long)l->vvar_vclock_pages << PAGE_SHIFT,
					      VM_READ | VM_MAYREAD | VM_IO | VM_DONTDUMP | VM_PFNMAP,
					      &vvar_vclock_mapping);
	return err;
}

/* ---- create_elf_tables ------------------------------------------------------ */

/* AT_RANDOM's stand-in: the little-endian words of splitmix64 from @seed */
static void exec_random_bytes(unsigned char *out, unsigned int n, unsigned long long seed)
{
	for (unsigned int i = 0; i < n; i += 8) {
		unsigned long long z = (seed += 0x9e3779b97f4a7c15ULL);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		for (unsigned int k = 0; k < 8 && i + k < n; k++)
			out[i + k] = (unsigned char)(z >> (8 * k));
	}
}

/*
 * create_elf_tables - below the strings: the platform string, the random
 * bytes, then, from the 16-byte aligned stack pointer up, argc, argv[]
 * (walking the strings on the stack, as strnlen_user does), NULL, envp[],
 * NULL and the auxiliary vector, in the kernel's order (ARCH_DLINFO first).
 * Everything goes through mmk_copy_to_user: the stack's pages are faulted
 * in as the kernel's copy_to_user/put_user fault them.
 */
static int create_elf_tables(struct exec_bprm *b, const Elf64_Ehdr *eh, unsigned long interp_load_addr,
			     unsigned long e_entry, unsigned long phdr_addr)
{
	const struct mmk_exec_layout *l = &mmk_exec_layout;
	struct mm_struct *mm = b->mm;
	struct mmk_exec_result *r = &b->res;
	unsigned long p = b->p, items, sp, *auxv = r->auxv_copy, *table = NULL, nwords, str_end;
	unsigned long argc = b->argc, envc = b->envc, pos;
	unsigned int n = 0, pairs;
	unsigned char *rnd = NULL;
	char *strings = NULL;
	struct vm_area_struct *vma;
	int err = 0;

#define AUX(id, val) do { auxv[n++] = (id); auxv[n++] = (val); } while (0)
	p &= ~0xfUL; /* arch_align_stack without randomisation */
	r->platform = 0;
	if (l->platform) {
		size_t len = strlen(l->platform) + 1;

		p -= len;
		r->platform = p;
		if (mmk_copy_to_user(mm, p, l->platform, len))
			return exec_error(b, -EFAULT, "cannot write the platform string");
	}
	if (l->random_bytes > 4096)
		return exec_error(b, -EINVAL, "random_bytes %u is too large", l->random_bytes);
	rnd = malloc(l->random_bytes + 1);
	if (!rnd)
		return exec_error(b, -ENOMEM, "out of memory");
	exec_random_bytes(rnd, l->random_bytes, l->random_seed);
	p -= l->random_bytes;
	r->random = p;
	err = mmk_copy_to_user(mm, p, rnd, l->random_bytes) ? -EFAULT : 0;
	free(rnd);
	if (err)
		return exec_error(b, err, "cannot write the random bytes");

	memset(auxv, 0, sizeof(r->auxv_copy));
	if (l->vdso)
		AUX(AT_SYSINFO_EHDR, b->vdso);
	AUX(AT_MINSIGSTKSZ, l->minsigstksz);
	AUX(AT_HWCAP, l->hwcap);
	AUX(AT_PAGESZ, PAGE_SIZE);
	AUX(AT_CLKTCK, l->clktck);
	AUX(AT_PHDR, phdr_addr);
	AUX(AT_PHENT, sizeof(Elf64_Phdr));
	AUX(AT_PHNUM, eh->e_phnum);
	AUX(AT_BASE, interp_load_addr);
	AUX(AT_FLAGS, 0);
	AUX(AT_ENTRY, e_entry);
	AUX(AT_UID, l->uid);
	AUX(AT_EUID, l->euid);
	AUX(AT_GID, l->gid);
	AUX(AT_EGID, l->egid);
	AUX(AT_SECURE, 0);
	AUX(AT_RANDOM, r->random);
	AUX(AT_HWCAP2, l->hwcap2);
	AUX(AT_EXECFN, b->exec);
	if (l->platform)
		AUX(AT_PLATFORM, r->platform);
	if (l->rseq) {
		AUX(AT_RSEQ_FEATURE_SIZE, l->rseq_feature_size);
		AUX(AT_RSEQ_ALIGN, l->rseq_align);
	}
	while (n / 2 + 1 < l->auxv_pairs && n / 2 + 1 < MMK_EXEC_AUXV_MAX)
		AUX(AT_IGNORE, 0);
	AUX(AT_NULL, 0);
#undef AUX
	pairs = n / 2;

	sp = p - (unsigned long)pairs * 2 * sizeof(Elf64_Addr);
	items = (argc + 1) + (envc + 1) + 1;
	b->p = (sp - items * sizeof(Elf64_Addr)) & ~0xfUL;

	/* find_extend_vma: the pointers may reach below the stack */
	down_write(&mm->mmap_sem);
	vma = find_vma(mm, b->p);
	if (!vma || (b->p < vma->vm_start &&
		     (!(vma->vm_flags & VM_GROWSDOWN) || stack_expand_down(mm, vma, b->p))))
		err = -EFAULT;
	str_end = vma ? vma->vm_end : 0;
	up_write(&mm->mmap_sem);
	if (err)
		return exec_error(b, err, "no room for the argument pointers");

	/* argc, argv[], envp[] from the strings themselves, then the vector */
	nwords = items + n;
	table = malloc(nwords * sizeof(*table));
	strings = str_end > mm->arg_start ? malloc(str_end - mm->arg_start) : NULL;
	if (!table || !strings) {
		err = exec_error(b, -ENOMEM, "out of memory");
		goto out;
	}
	if (mmk_access_vm(mm, mm->arg_start, strings, str_end - mm->arg_start, false) !=
	    (long)(str_end - mm->arg_start)) {
		err = exec_error(b, -EFAULT, "cannot read the strings back");
		goto out;
	}
	table[0] = argc;
	pos = 1;
	p = mm->arg_start;
	for (unsigned long i = 0; i < argc + envc; i++) {
		unsigned long left = str_end - p, len;
		const char *s = strings + (p - mm->arg_start);

		if (i == argc) {
			table[pos++] = 0;
			mm->arg_end = mm->env_start = p;
		}
		len = strnlen(s, left < l->max_arg_strlen ? left : l->max_arg_strlen) + 1;
		if (len > left || len > l->max_arg_strlen) {
			err = exec_error(b, -EINVAL, "string %lu is not terminated", i);
			goto out;
		}
		table[pos++] = p;
		p += len;
	}
	if (!envc) {
		table[pos++] = 0;
		mm->arg_end = mm->env_start = p;
	}
	table[pos++] = 0;
	mm->env_end = p;
	memcpy(table + pos, auxv, (size_t)n * sizeof(*table));
	if (mmk_copy_to_user(mm, b->p, table, nwords * sizeof(*table))) {
		err = exec_error(b, -EFAULT, "cannot write the argument pointers");
		goto out;
	}
	r->sp = b->p;
	r->argc = argc;
	r->envc = envc;
	r->argv = b->p + sizeof(Elf64_Addr);
	r->envp = r->argv + (argc + 1) * sizeof(Elf64_Addr);
	r->auxv = b->p + items * sizeof(Elf64_Addr);
	r->auxv_pairs = pairs;
	r->execfn = b->exec;
	r->vdso = l->vdso ? b->vdso : 0;
	r->phdr = phdr_addr;
	r->phnum = eh->e_phnum;
	r->prog_entry = e_entry;
	r->interp_base = interp_load_addr;
out:
	free(table);
	free(strings);
	return err;
}

/* ---- load_elf_binary ------------------------------------------------------ */

static int load_elf_binary(struct exec_bprm *b, struct elf_file *ex)
{
	struct mm_struct *mm = b->mm;
	struct elf_file in;
	unsigned long load_bias = 0, elf_brk = 0, e_entry, elf_entry, interp_load_addr = 0, phdr_addr = 0;
	unsigned long start_code = ~0UL, end_code = 0, start_data = 0, end_data = 0;
	int executable_stack = EXSTACK_DEFAULT, nr, retval, r;
	bool first_pt_load = true, have_interp = false;

	elf_file_init(&in);
	if (!elf_magic_ok(&ex->eh))
		return exec_error(b, -ENOEXEC, "not an ELF file");
	if (ex->eh.e_type != ET_EXEC && ex->eh.e_type != ET_DYN)
		return exec_error(b, -ENOEXEC, "ELF type %u is not executable", ex->eh.e_type);
	if (!elf_arch_ok(&ex->eh))
		return exec_error(b, -ENOEXEC, "ELF machine %u is not x86-64", ex->eh.e_machine);
	r = load_elf_phdrs(ex);
	if (r == -2)
		return exec_error(b, -ENOMEM, "out of memory");
	if (r)
		return exec_error(b, -ENOEXEC, "bad program headers (e_phnum %u, e_phentsize %u)",
				  ex->eh.e_phnum, ex->eh.e_phentsize);
	nr = ex->eh.e_phnum;

	/* PT_INTERP: the first one counts */
	for (int i = 0; i < nr; i++) {
		const Elf64_Phdr *ph = &ex->ph[i];
		char *path;

		if (ph->p_type != PT_INTERP)
			continue;
		if (ph->p_filesz > EXEC_PATH_MAX || ph->p_filesz < 2)
			return exec_error(b, -ENOEXEC, "PT_INTERP of %lu bytes",
					  (unsigned long)ph->p_filesz);
		path = kmalloc(ph->p_filesz, GFP_KERNEL);
		if (!path)
			return exec_error(b, -ENOMEM, "out of memory");
		retval = elf_read(ex->fd, path, ph->p_filesz, ph->p_offset);
		if (retval < 0) {
			kfree(path);
			return exec_error(b, retval, "cannot read PT_INTERP");
		}
		if (path[ph->p_filesz - 1] != '\0') {
			kfree(path);
			return exec_error(b, -ENOEXEC, "PT_INTERP is not NUL-terminated");
		}
		retval = open_exec(b, path, &in);
		kfree(path);
		if (retval) {
			elf_file_release(&in);
			return retval;
		}
		have_interp = true;
		retval = elf_read(in.fd, &in.eh, sizeof(in.eh), 0);
		if (retval) {
			elf_file_release(&in);
			return exec_error(b, retval, "cannot read the interpreter's ELF header");
		}
		break;
	}

	for (int i = 0; i < nr; i++) {
		if (ex->ph[i].p_type == PT_GNU_STACK)
			executable_stack = (ex->ph[i].p_flags & PF_X) ? EXSTACK_ENABLE_X : EXSTACK_DISABLE_X;
	}

	if (have_interp) {
		if (!elf_magic_ok(&in.eh) || !elf_arch_ok(&in.eh)) {
			elf_file_release(&in);
			return exec_error(b, -ELIBBAD, "the interpreter is not an x86-64 ELF file");
		}
		r = load_elf_phdrs(&in);
		if (r) {
			elf_file_release(&in);
			return exec_error(b, r == -2 ? -ENOMEM : -ELIBBAD,
					  "bad program headers in the interpreter");
		}
	}

	/* ---- the point of no return: begin_new_exec, setup_new_exec ---- */
	get_file(ex->file);
	mm->exe_file = ex->file;
	arch_pick_mmap_layout(mm);

	retval = setup_arg_pages(b, mmk_exec_layout.stack_top, executable_stack);
	if (retval)
		goto out;

	for (int i = 0; i < nr; i++) {
		const Elf64_Phdr *ph = &ex->ph[i];
		unsigned long prot, flags = MAP_PRIVATE, vaddr, k, error, total_size = 0;

		if (ph->p_type != PT_LOAD)
			continue;
		prot = make_prot(ph->p_flags);
		vaddr = ph->p_vaddr;
		if (!first_pt_load) {
			flags |= MAP_FIXED;
		} else if (ex->eh.e_type == ET_EXEC) {
			flags |= MAP_FIXED_NOREPLACE;
		} else {
			unsigned long alignment;

			total_size = total_mapping_size(ex->ph, nr);
			if (!total_size) {
				retval = exec_error(b, -EINVAL, "empty PT_LOAD image");
				goto out;
			}
			alignment = maximum_alignment(ex->ph, nr);
			if (have_interp) {
				load_bias = mmk_exec_layout.elf_et_dyn_base;
				if (alignment)
					load_bias &= ~(alignment - 1);
				flags |= MAP_FIXED_NOREPLACE;
			} else if (alignment > ELF_MIN_ALIGN) {
				/* find where a hint-less mapping would go, then align it */
				load_bias = elf_load(mm, ex->file, 0, ph, prot, flags, total_size);
				if (bad_addr(mm, load_bias)) {
					retval = exec_error(b, IS_ERR_VALUE(load_bias) ? (int)(long)load_bias
											: -EINVAL,
							    "cannot place the image");
					goto out;
				}
				sys_munmap(mm, load_bias, total_size);
				load_bias &= ~(alignment - 1);
				flags |= MAP_FIXED_NOREPLACE;
			} else {
				load_bias = 0;
			}
			load_bias = ELF_PAGESTART(load_bias - vaddr);
		}

		error = elf_load(mm, ex->file, load_bias + vaddr, ph, prot, flags, total_size);
		if (bad_addr(mm, error)) {
			retval = exec_error(b, IS_ERR_VALUE(error) ? (int)(long)error : -EINVAL,
					    "cannot map segment %d at %#lx", i, load_bias + vaddr);
			goto out;
		}
		if (first_pt_load) {
			first_pt_load = false;
			if (ex->eh.e_type == ET_DYN)
				load_bias += error - ELF_PAGESTART(load_bias + vaddr);
		}

		/* the PT_LOAD holding the program headers gives AT_PHDR */
		if (ph->p_offset <= ex->eh.e_phoff && ex->eh.e_phoff < ph->p_offset + ph->p_filesz)
			phdr_addr = ex->eh.e_phoff - ph->p_offset + ph->p_vaddr;

		k = ph->p_vaddr;
		if ((ph->p_flags & PF_X) && k < start_code)
			start_code = k;
		if (start_data < k)
			start_data = k;
		if (segment_out_of_range(mm, ph)) {
			retval = exec_error(b, -EINVAL, "segment %d has impossible sizes", i);
			goto out;
		}
		k = ph->p_vaddr + ph->p_filesz;
		if ((ph->p_flags & PF_X) && end_code < k)
			end_code = k;
		if (end_data < k)
			end_data = k;
		k = ph->p_vaddr + ph->p_memsz;
		if (k > elf_brk)
			elf_brk = k;
	}

	e_entry = ex->eh.e_entry + load_bias;
	phdr_addr += load_bias;
	elf_brk += load_bias;
	start_code += load_bias;
	end_code += load_bias;
	start_data += load_bias;
	end_data += load_bias;

	if (mmk_exec_layout.brk_at_dyn_base_for_loaders && ex->eh.e_type == ET_DYN && !have_interp)
		elf_brk = mmk_exec_layout.elf_et_dyn_base;
	mm->start_brk = mm->brk = ELF_PAGEALIGN(elf_brk);

	if (have_interp) {
		elf_entry = load_elf_interp(b, &in, load_bias);
		if (!IS_ERR_VALUE(elf_entry)) {
			interp_load_addr = elf_entry;
			elf_entry += in.eh.e_entry;
		}
		if (bad_addr(mm, elf_entry)) {
			retval = exec_error(b, IS_ERR_VALUE(elf_entry) ? (int)(long)elf_entry : -EINVAL,
					    "cannot load the interpreter");
			goto out;
		}
	} else {
		elf_entry = e_entry;
		if (bad_addr(mm, elf_entry)) {
			retval = exec_error(b, -EINVAL, "entry point %#lx outside user space", elf_entry);
			goto out;
		}
	}

	retval = map_vdso(mm, &b->vdso);
	if (retval) {
		exec_error(b, retval, "cannot map the vDSO");
		goto out;
	}
	retval = create_elf_tables(b, &ex->eh, interp_load_addr, e_entry, phdr_addr);
	if (retval)
		goto out;
	b->res.entry = elf_entry; /* start_thread: rip */

	mm->end_code = end_code;
	mm->start_code = start_code;
	mm->start_data = start_data;
	mm->end_data = end_data;
	mm->start_stack = b->p;
	mm->saved_auxv_at_base = interp_load_addr;
	retval = 0;
out:
	elf_file_release(&in);
	return retval;
}

/* ---- entry points ------------------------------------------------------------ */

int mmk_load_elf_mm_args(struct mm_struct *mm, const struct mmk_exec_args *args, char *err,
			 size_t errlen)
{
	struct exec_bprm b = { .mm = mm, .err = err, .errlen = errlen, .args = args };
	char names[2][BINPRM_BUF_SIZE + 1];
	const char *interp; /* bprm->interp */
	struct elf_file ex;
	int retval;

	if (err && errlen)
		err[0] = '\0';
	if (!mm || !args)
		return -EINVAL;
	b.filename = interp = args->filename;
	if (mm->mmap)
		return exec_error(&b, -EINVAL, "the mm is not empty");
	elf_file_init(&ex);
	retval = open_exec(&b, args->filename, &ex);
	if (retval)
		goto out;

	/* count the strings */
	if (count_strings(args->argv, &b.argc, &b.argv_bytes) ||
	    count_strings(args->envp, &b.envc, &b.envp_bytes)) {
		retval = exec_error(&b, -E2BIG, "argument list too long");
		goto out;
	}
	if (args->argc)
		b.argc = args->argc;
	if (args->envc)
		b.envc = args->envc;
	if (args->argv_bytes)
		b.argv_bytes = args->argv_bytes;
	if (args->envp_bytes)
		b.envp_bytes = args->envp_bytes;
	if (args->argv && args->argv[0])
		b.argv0_len = strnlen(args->argv[0], mmk_exec_layout.max_arg_strlen) + 1;
	if (b.argv_bytes < b.argc || b.envp_bytes < b.envc) {
		retval = exec_error(&b, -EINVAL, "fewer string bytes than strings");
		goto out;
	}
	if ((b.argv_bytes && !b.argc) || (b.envp_bytes && !b.envc)) {
		retval = exec_error(&b, -EINVAL, "string bytes without strings");
		goto out;
	}

	/* mm_init is done; the layout is picked from the task's rlimits */
	arch_pick_mmap_layout(mm);
	retval = bprm_mm_init(&b);
	if (retval) {
		exec_error(&b, retval, "cannot create the stack");
		goto out;
	}
	retval = copy_exec_strings(&b);
	if (retval)
		goto out;

	/* exec_binprm: up to five "#!" rewrites, then an ELF file */
	for (int depth = 0;; depth++) {
		char buf[BINPRM_BUF_SIZE + 1];

		if (depth > 5) {
			retval = exec_error(&b, -ELOOP, "too many #! interpreters");
			goto out;
		}
		retval = read_binprm_buf(ex.fd, buf, BINPRM_BUF_SIZE);
		if (retval) {
			exec_error(&b, retval, "cannot read the file");
			goto out;
		}
		buf[BINPRM_BUF_SIZE] = '\0';
		if (buf[0] != '#' || buf[1] != '!') {
			memcpy(&ex.eh, buf, sizeof(ex.eh));
			break;
		}
		retval = load_script(&b, buf, interp, &ex, names[depth & 1]);
		if (retval)
			goto out;
		interp = names[depth & 1];
	}
	retval = load_elf_binary(&b, &ex);
	if (retval)
		goto out;
	/* arg_start .. env_end: create_elf_tables walked the strings */
	if (args->result)
		*args->result = b.res;
out:
	elf_file_release(&ex);
	return retval;
}

int mmk_load_elf_mm(struct mm_struct *mm, const char *filename, const char *const argv[],
		    const char *const envp[], char *err, size_t errlen)
{
	struct mmk_exec_args args = { .filename = filename, .argv = argv, .envp = envp };

	return mmk_load_elf_mm_args(mm, &args, err, errlen);
}

int mmk_execve_args(struct task_struct *tsk, const struct mmk_exec_args *args, char *err,
		    size_t errlen)
{
	struct mm_struct *mm, *old;
	const char *base;
	int retval;

	if (!tsk || !args || tsk->state != TASK_RUNNING || (tsk->flags & PF_IDLE))
		return -EINVAL;
	mm = mm_alloc();
	if (!mm)
		return -ENOMEM;
	old = tsk->mm;
	if (old) {
		/* the new image keeps the process's limits and inheritable flags */
		memcpy(mm->rlim, old->rlim, sizeof(mm->rlim));
		mm->cap_ipc_lock = old->cap_ipc_lock;
		mm->def_flags = old->def_flags & VM_NOHUGEPAGE;
	}
	retval = mmk_load_elf_mm_args(mm, args, err, errlen);
	if (!retval)
		retval = mmk_exec_mm(tsk, mm);
	if (retval) {
		mmput(mm);
		return retval;
	}
	/* __set_task_comm(kbasename(filename)) */
	base = strrchr(args->filename, '/');
	base = base ? base + 1 : args->filename;
	spin_lock(&tasklist_lock);
	snprintf(tsk->comm, sizeof(tsk->comm), "%s", base);
	spin_unlock(&tasklist_lock);
	return 0;
}

int mmk_execve(struct task_struct *tsk, const char *filename, const char *const argv[],
	       const char *const envp[])
{
	struct mmk_exec_args args = { .filename = filename, .argv = argv, .envp = envp };

	return mmk_execve_args(tsk, &args, NULL, 0);
}
