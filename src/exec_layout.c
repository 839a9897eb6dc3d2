// SPDX-License-Identifier: MIT
/*
 * src/exec_layout.c - the exec-time layout profile: every constant the ELF
 * loader model (binfmt_elf.c) takes from the machine, in one place.
 *
 * "Linux 6.x, x86-64 defaults", as the 6.18 kernel of the reference machine
 * lays a new program out with randomisation off (setarch -R), 4-level
 * paging and the vDSO enabled. Where each value comes from:
 *
 *   stack_top        STACK_TOP = TASK_SIZE_LOW = the 47-bit window minus a
 *                    page: 0x7ffffffff000 (arch/x86/include/asm/processor.h).
 *                    With 4-level paging STACK_TOP_MAX is the same, so
 *                    setup_arg_pages never shifts the stack.
 *   elf_et_dyn_base  ELF_ET_DYN_BASE = DEFAULT_MAP_WINDOW / 3 * 2
 *                    = 0x555555554aaa (arch/x86/include/asm/elf.h); a PIE's
 *                    load bias is this rounded down to its largest PT_LOAD
 *                    alignment (0x555555554000 for 4 KiB segments).
 *   stack_expand     setup_arg_pages grows the stack 128 KiB below the
 *                    argument pages (fs/exec.c).
 *   max_arg_strlen,  MAX_ARG_STRLEN and ARG_MAX (32 pages each) and
 *   arg_max, stk_lim _STK_LIM (8 MiB) bound the strings (bprm_stack_limits).
 *   vdso, *_pages    map_vdso: one top-down area of 8 pages found like an
 *                    anonymous mmap once the interpreter is mapped; [vvar]
 *                    (4 pages r--p), [vvar_vclock] (2 pages r--p) and
 *                    [vdso] (2 pages r-xp), in that order from low to high.
 *   platform,        create_elf_tables puts the platform string ("x86_64"),
 *   random_bytes,    16 random bytes and the auxiliary vector below the
 *   auxv_pairs (0:   strings: 23 entries on this kernel (AT_SYSINFO_EHDR,
 *   as built)
 *                    AT_MINSIGSTKSZ, AT_HWCAP, AT_PAGESZ, AT_CLKTCK, AT_PHDR,
 *                    AT_PHENT, AT_PHNUM, AT_BASE, AT_FLAGS, AT_ENTRY, AT_UID,
 *                    AT_EUID, AT_GID, AT_EGID, AT_SECURE, AT_RANDOM,
 *                    AT_HWCAP2, AT_EXECFN, AT_PLATFORM, AT_RSEQ_FEATURE_SIZE,
 *                    AT_RSEQ_ALIGN, AT_NULL), read from a stopped child's
 *                    stack. They fix start_stack (the argc word).
 *   hwcap, hwcap2,   the machine-dependent auxv values: the reference
 *   minsigstksz,     machine's (LD_SHOW_AUXV=1 /bin/true: 0x1f8bfbff, 2,
 *   clktck, *id,     3632, 100, root, CONFIG_RSEQ 28/32);
 *   rseq*            mmk_exec_layout_from_host() takes this process's.
 *   random_seed      AT_RANDOM's bytes: a splitmix64 stream from this seed.
 *   brk_at_dyn_base  without CONFIG_COMPAT_BRK an ET_DYN program with no
 *   _for_loaders     PT_INTERP (ld.so run directly, static PIE) gets
 *                    start_brk = brk = PAGE_ALIGN(ELF_ET_DYN_BASE), even with
 *                    randomisation off (0x555555555000 on this machine).
 *
 * Not in the profile because the rest of mmkit owns them: mmap_base
 * (arch_pick_mmap_layout: 0x7ffff7fff000 for an 8 MiB RLIMIT_STACK),
 * stack_guard_gap (256 pages), mmap_min_addr, the task's rlimits.
 */
#include "internal.h"
#include <mmkit/binfmt.h>
#include <errno.h>
#include <stdio.h>
#include <sys/auxv.h>
#include <unistd.h>

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif
#ifndef AT_RSEQ_FEATURE_SIZE
#define AT_RSEQ_FEATURE_SIZE 27
#endif
#ifndef AT_RSEQ_ALIGN
#define AT_RSEQ_ALIGN 28
#endif

#define EXEC_PAGES(n) ((unsigned long)(n) * PAGE_SIZE)

/* the profile, written once: the defaults and the live copy start from it */
#define X86_64_LINUX6_DEFAULTS \
	{ \
	.stack_top = TASK_SIZE_47, \
	.elf_et_dyn_base = DEFAULT_MAP_WINDOW / 3 * 2, \
	.stack_expand = 128UL << 10, \
	.max_arg_strlen = EXEC_PAGES(32), \
	.arg_max = EXEC_PAGES(32), \
	.stk_lim = 8UL << 20, \
	.vdso = true, \
	.vvar_pages = 4, \
	.vvar_vclock_pages = 2, \
	.vdso_pages = 2, \
	.platform = "x86_64", \
	.random_bytes = 16, \
	.auxv_pairs = 0, \
	.brk_at_dyn_base_for_loaders = true, \
	.hwcap = 0x1f8bfbff, \
	.hwcap2 = 2, \
	.minsigstksz = 3632, \
	.clktck = 100, \
	.rseq = true, \
	.rseq_feature_size = 28, \
	.rseq_align = 32, \
	.random_seed = 0x6d6d6b6974ULL, \
	}

static const struct mmk_exec_layout x86_64_linux6_defaults = X86_64_LINUX6_DEFAULTS;

struct mmk_exec_layout mmk_exec_layout = X86_64_LINUX6_DEFAULTS;

void mmk_exec_layout_reset(void)
{
	mmk_exec_layout = x86_64_linux6_defaults;
}

/*
 * the kernel's value of @type for this process, or @dflt when it gives
 * none: /proc/self/auxv (glibc's getauxval(AT_HWCAP) is its own rewrite
 * on x86-64, not the kernel's), getauxval when /proc is not there
 */
static unsigned long host_auxval(unsigned long type, unsigned long dflt)
{
	unsigned long pair[2], v;
	bool proc_ok = false;
	FILE *f = fopen("/proc/self/auxv", "re");

	if (f) {
		while (fread(pair, sizeof(pair), 1, f) == 1 && pair[0] != AT_NULL) {
			proc_ok = true;
			if (pair[0] == type) {
				fclose(f);
				return pair[1];
			}
		}
		fclose(f);
		if (proc_ok)
			return dflt;
	}
	errno = 0;
	v = getauxval(type);
	return errno ? dflt : v;
}

void mmk_exec_layout_from_host(void)
{
	struct mmk_exec_layout *l = &mmk_exec_layout;

	l->hwcap = host_auxval(AT_HWCAP, l->hwcap);
	l->hwcap2 = host_auxval(AT_HWCAP2, 0);
	l->minsigstksz = host_auxval(AT_MINSIGSTKSZ, l->minsigstksz);
	l->clktck = host_auxval(AT_CLKTCK, l->clktck);
	l->rseq = host_auxval(AT_RSEQ_FEATURE_SIZE, 0) != 0;
	if (l->rseq) {
		l->rseq_feature_size = host_auxval(AT_RSEQ_FEATURE_SIZE, 28);
		l->rseq_align = host_auxval(AT_RSEQ_ALIGN, 32);
	}
	l->uid = getuid();
	l->euid = geteuid();
	l->gid = getgid();
	l->egid = getegid();
}
