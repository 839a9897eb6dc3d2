/* SPDX-License-Identifier: MIT */
/*
 * fuzz/fuzz_elf.c - the ELF loader (src/binfmt_elf.c): mmk_load_elf_mm on
 * a temporary file holding the input. It loads or fails with an errno and
 * a message, never crashes; a loaded address space passes validate_mm and
 * prints; everything is freed at shutdown.
 */
#include <mmkit/mmkit.h>
#if defined(__has_include)
#if __has_include(<mmkit/page.h>)
#include <mmkit/page.h>
#define FUZZ_SMALL_RAM(bytes) ((void)mmk_mem_init(bytes)) /* the machine is down: just sets the size */
#endif
#endif
#ifndef FUZZ_SMALL_RAM
#define FUZZ_SMALL_RAM(bytes) do { } while (0)
#endif
#include <mmkit/binfmt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

static char path[64];
static int fd = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a small simulated RAM: every input boots and shuts the machine down */
	FUZZ_SMALL_RAM(2UL << 20);
	if (fd < 0) {
		snprintf(path, sizeof(path), "/tmp/mmkit-fuzz-elf-XXXXXX");
		fd = mkstemp(path);
		if (fd < 0)
			abort();
		fchmod(fd, 0755);
	}
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	unsigned long warn0 = atomic_load(&mmk_warnings);
	if (mmk_boot(4) != 0)
		abort();
	struct mm_struct *mm = mm_alloc();
	if (!mm)
		abort();
	static const char *const argv[] = { "prog", "-x", NULL };
	static const char *const envp[] = { "HOME=/", NULL };
	char err[256] = "";
	int r = mmk_load_elf_mm(mm, path, argv, envp, err, sizeof(err));
	if (r > 0 || r < -4095) {
		fprintf(stderr, "mmk_load_elf_mm = %d\n", r);
		abort();
	}
	if (validate_mm(mm) != 0) {
		fprintf(stderr, "validate_mm failed after load (%d: %s)\n", r, err);
		abort();
	}
	if (r == 0) {
		struct seq_file m;
		seq_init(&m);
		show_maps(&m, mm);
		proc_pid_status_vm(&m, mm);
		seq_release(&m);
	}
	mmput(mm);
	if (mmk_check_all(NULL) != 0)
		abort();
	if (mmk_shutdown() != 0)
		abort();
	if (atomic_load(&mmk_warnings) != warn0)
		abort();
	return 0;
}
