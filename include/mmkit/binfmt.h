/* SPDX-License-Identifier: MIT */
/*
 * mmkit/binfmt.h - execve of a real ELF file: the address space the kernel
 * builds at exec time (fs/exec.c, fs/binfmt_elf.c, arch/x86/entry/vdso),
 * i.e. what /proc/PID/maps shows when the new program is about to run its
 * first instruction (before its dynamic loader maps any library).
 *
 * The machine's layout constants (STACK_TOP, ELF_ET_DYN_BASE, the vDSO
 * pages, the 128 KiB stack expansion, the auxiliary vector's size ...) are
 * gathered in one changeable profile, struct mmk_exec_layout, described in
 * docs/exec.md. ELF64 x86-64 programs and interpreters are loaded, and
 * "#!" scripts are followed to their interpreter (binfmt_script); 32-bit
 * (compat) programs and binfmt_misc are not modelled (-ENOEXEC).
 * Randomisation is always off (the machine's `setarch -R`); note that the
 * kernel lays set-user-ID / set-group-ID programs out at random even then
 * (the exec clears ADDR_NO_RANDOMIZE), mmkit does not.
 *
 * Errors are what execve(2) returns on this kernel where the kernel fails
 * before its point of no return (-ENOENT, -EACCES, -ENOEXEC, -E2BIG, -EIO,
 * -ELIBBAD, -ENOMEM); where the kernel fails after it (the process is
 * killed by SIGSEGV), mmkit returns the loader's internal error (-EINVAL,
 * -ENOMEM, -EEXIST, ...) and leaves the task as it was.
 */
#ifndef MMKIT_BINFMT_H
#define MMKIT_BINFMT_H

#include <stddef.h>
#include <mmkit/mm_types.h>

struct task_struct;
struct mmk_exec_result;

/*
 * What execve(filename, argv, envp) copies onto the new stack. When the
 * strings are not known exactly (strace abbreviates them), give the
 * counts and byte sizes instead: a non-zero argc/envc or argv_bytes /
 * envp_bytes overrides what argv/envp would give. Byte sizes include each
 * string's terminating NUL. argc 0 (no argv at all) gets the kernel's
 * single "" argument.
 */
struct mmk_exec_args {
	const char *filename;        /* as passed to execve: opened, and copied (AT_EXECFN) */
	const char *const *argv;     /* NULL-terminated; NULL = none */
	const char *const *envp;     /* NULL-terminated; NULL = none */
	unsigned long argc, envc;            /* optional overrides */
	unsigned long argv_bytes, envp_bytes; /* optional overrides */
	struct mmk_exec_result *result;      /* out, optional: where the program starts */
};

/*
 * Where the new program starts, filled on success when
 * mmk_exec_args.result is set: what start_thread() puts in the registers
 * (rip = entry, rsp = sp) and the values the auxiliary vector gave it.
 * The stack above sp holds argc, argv[], envp[], the auxiliary vector, the
 * random bytes, the platform string and the strings, written through the
 * page layer (read them with mmk_access_vm).
 */
#define MMK_EXEC_AUXV_MAX 40 /* pairs, AT_NULL included */
struct mmk_exec_result {
	unsigned long entry;       /* first instruction: the interpreter's entry, or the program's */
	unsigned long sp;          /* initial stack pointer: the argc word (mm->start_stack) */
	unsigned long interp_base; /* AT_BASE: the interpreter's load address, 0 without one */
	unsigned long phdr;        /* AT_PHDR: the program headers in memory (0 if not mapped) */
	unsigned long prog_entry;  /* AT_ENTRY: the program's own entry point */
	unsigned long phnum;       /* AT_PHNUM */
	unsigned long vdso;        /* AT_SYSINFO_EHDR: the [vdso] start, 0 without a vDSO */
	unsigned long execfn;      /* AT_EXECFN: the file name's copy on the stack */
	unsigned long platform;    /* AT_PLATFORM: the platform string, 0 without one */
	unsigned long random;      /* AT_RANDOM: the random bytes */
	unsigned long argv, envp;  /* the pointer arrays (sp + 8, after argv's NULL) */
	unsigned long auxv;        /* the auxiliary vector on the stack */
	unsigned long argc, envc;
	unsigned int auxv_pairs;   /* entries of auxv[] including AT_NULL */
	unsigned long auxv_copy[2 * MMK_EXEC_AUXV_MAX]; /* what was written at auxv (/proc/PID/auxv) */
};

/*
 * The layout profile: "Linux 6.x, x86-64 defaults" as this machine's
 * kernel (6.18, 4-level paging, vDSO on) lays a new program out.
 * mmk_exec_layout is the profile in use; change its fields to model
 * another configuration, mmk_exec_layout_reset() restores the defaults.
 */
struct mmk_exec_layout {
	unsigned long stack_top;       /* STACK_TOP: end of [stack] (0x7ffffffff000) */
	unsigned long elf_et_dyn_base; /* ELF_ET_DYN_BASE: 2/3 of the 47-bit window (0x555555554aaa) */
	unsigned long stack_expand;    /* setup_arg_pages' extra room: 128 KiB */
	unsigned long max_arg_strlen;  /* MAX_ARG_STRLEN: 32 pages */
	unsigned long arg_max;         /* ARG_MAX floor of the strings limit: 32 pages */
	unsigned long stk_lim;         /* _STK_LIM: 8 MiB */
	/* the vDSO block, placed top-down like an anonymous mapping after the
	 * interpreter; from low to high: [vvar], [vvar_vclock], [vdso] */
	bool vdso;                     /* vdso64_enabled */
	unsigned int vvar_pages;       /* 4 */
	unsigned int vvar_vclock_pages; /* 2 */
	unsigned int vdso_pages;       /* 2 (vdso_image_64.size) */
	/* create_elf_tables: what sits below the strings */
	const char *platform;          /* ELF_PLATFORM "x86_64" (NULL: none) */
	unsigned int random_bytes;     /* AT_RANDOM bytes: 16 */
	/* auxv entries including AT_NULL: 0 = as built from the fields below
	 * (23 with the defaults); a larger number pads the vector with
	 * AT_IGNORE entries before AT_NULL (entries this profile lacks) */
	unsigned int auxv_pairs;
	/* !CONFIG_COMPAT_BRK: a program without PT_INTERP that is ET_DYN (a
	 * loader or static PIE) gets its brk at ELF_ET_DYN_BASE */
	bool brk_at_dyn_base_for_loaders;
	/* the auxiliary vector's values (create_elf_tables, ARCH_DLINFO); the
	 * defaults are the reference machine's, mmk_exec_layout_from_host()
	 * takes this process's own */
	unsigned long hwcap, hwcap2;   /* AT_HWCAP 0x1f8bfbff, AT_HWCAP2 2 (CPU features) */
	unsigned long minsigstksz;     /* AT_MINSIGSTKSZ: 3632 (xsave size dependent) */
	unsigned long clktck;          /* AT_CLKTCK: USER_HZ 100 */
	unsigned long uid, euid, gid, egid; /* AT_UID .. AT_EGID: 0 */
	bool rseq;                     /* AT_RSEQ_FEATURE_SIZE, AT_RSEQ_ALIGN present (CONFIG_RSEQ) */
	unsigned long rseq_feature_size, rseq_align; /* 28, 32 */
	/* AT_RANDOM: the kernel's bytes are random; mmkit's are the
	 * little-endian words of a splitmix64 sequence started at this seed
	 * (the same bytes for every exec with the same seed) */
	unsigned long long random_seed; /* 0x6d6d6b6974 ("mmkit") */
};
extern struct mmk_exec_layout mmk_exec_layout;
void mmk_exec_layout_reset(void);
/* take hwcap, hwcap2, minsigstksz, clktck (getauxval) and the four ids
 * (getuid ...) from this process, so that a child exec'd by the real
 * kernel would get the same auxiliary vector */
void mmk_exec_layout_from_host(void);

/* ---- the loader -------------------------------------------------------- */

/*
 * mmk_load_elf_mm - build the exec-time address space of @filename into
 * @mm, a fresh mm from mm_alloc() whose rlim[] the caller has set: the
 * stack with the strings, the program's PT_LOAD segments and bss, its
 * PT_INTERP interpreter, the vDSO; start_code/end_code/start_data/
 * end_data/start_brk/brk/start_stack, arg and env bounds, exe_file.
 * The memory is written as the kernel writes it, through the page layer
 * (so the pages are faulted in and counted): the strings, the zeroed tail
 * of each segment's last file page (padzero), and create_elf_tables'
 * platform string, random bytes, argc, argv[], envp[] and auxiliary
 * vector. mmk_load_elf_mm_args fills args->result if set. Returns 0 or
 * -errno, with a message in @err (may be NULL). On failure @mm holds
 * whatever was mapped so far: the caller mmput()s it.
 */
int mmk_load_elf_mm(struct mm_struct *mm, const char *filename, const char *const argv[],
		    const char *const envp[], char *err, size_t errlen);
int mmk_load_elf_mm_args(struct mm_struct *mm, const struct mmk_exec_args *args, char *err,
			 size_t errlen);

/*
 * mmk_execve - execve(2) for @tsk: a new mm (the task's rlimits and
 * inheritable flags), the program loaded into it, then de_thread and
 * exec_mmap (the old mm loses a user, as exec_mmap says). On failure the
 * new mm is mmput() and @tsk is untouched. -EINVAL for a dead or idle task.
 */
int mmk_execve(struct task_struct *tsk, const char *filename, const char *const argv[],
	       const char *const envp[]);
int mmk_execve_args(struct task_struct *tsk, const struct mmk_exec_args *args, char *err,
		    size_t errlen);

#endif /* MMKIT_BINFMT_H */
