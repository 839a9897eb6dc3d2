/* SPDX-License-Identifier: MIT */
/*
 * fuzz/fuzz_maps.c - mmk_import_maps on any text: accepted or rejected
 * (-EINVAL with a message), never a crash; an accepted address space passes
 * validate_mm, prints as /proc maps and smaps, forks, and everything is
 * freed at shutdown.
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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a small simulated RAM: every input boots and shuts the machine down */
	FUZZ_SMALL_RAM(2UL << 20);
	if (size > 65536)
		return 0;
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = 0;
	if (mmk_boot(4) != 0)
		abort();
	unsigned long warn0 = atomic_load(&mmk_warnings);
	struct task_struct *t = mmk_spawn("imp");
	if (IS_ERR(t))
		abort();
	char err[256] = "";
	int r = mmk_import_maps(t->mm, text, "fuzz", err, sizeof(err));
	if (r != 0 && r != -EINVAL && r != -ENOMEM && r != -EEXIST) {
		fprintf(stderr, "mmk_import_maps = %d (%s)\n", r, err);
		abort();
	}
	if (r != 0 && !err[0]) {
		fprintf(stderr, "mmk_import_maps = %d without a message\n", r);
		abort();
	}
	if (validate_mm(t->mm) != 0)
		abort();
	struct seq_file m;
	seq_init(&m);
	show_maps(&m, t->mm);
	show_smaps(&m, t->mm);
	show_smaps_rollup(&m, t->mm);
	proc_pid_status_vm(&m, t->mm);
	seq_release(&m);
	struct task_struct *c = kernel_clone(t, 0, "child");
	if (IS_ERR(c))
		abort();
	if (validate_mm(c->mm) != 0)
		abort();
	if (mmk_check_all(NULL) != 0)
		abort();
	do_exit(c);
	do_exit(t);
	if (mmk_shutdown() != 0)
		abort();
	if (atomic_load(&mmk_warnings) != warn0)
		abort();
	free(text);
	return 0;
}
