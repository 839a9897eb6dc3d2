/* SPDX-License-Identifier: MIT */
/*
 * fuzz/fuzz_api.c - the address-space system calls driven by the input:
 * every four bytes are one random number for fuzz/model.h's call chooser
 * (mmap/munmap/mprotect/mremap/madvise/brk/mlock/fork, and with the page
 * layer copy_to/from_user and access_vm), each call checked
 * against the reference model; at the end the process exits and the
 * machine must shut down with nothing leaked.
 */
#include <mmkit/mmkit.h>
#if defined(__has_include)
#if __has_include(<mmkit/page.h>)
#include <mmkit/page.h>
#define MODEL_PAGES 1 /* reads and writes checked against a byte map too */
#endif
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#define MODEL_FAIL(...) do { fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); abort(); } while (0)
#include "model.h"

struct bytes {
	const uint8_t *p;
	size_t n, at;
	bool done;
};

static unsigned bytes_next(void *priv)
{
	struct bytes *b = priv;
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		v <<= 8;
		if (b->at < b->n)
			v |= b->p[b->at++];
		else
			b->done = true;
	}
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bytes b = { data, size, 0, false };
	struct msource src = { bytes_next, &b };
	unsigned long warn0 = atomic_load(&mmk_warnings);

#ifdef MODEL_PAGES
	static bool ram_set;
	if (!ram_set) { /* a small simulated RAM: every input boots and shuts down */
		ram_set = true;
		mmk_mem_init(4UL << 20);
	}
#endif
	if (mmk_boot(4) != 0)
		abort();
	struct mdriver d = { 0 };
	d.task = mmk_spawn("fuzz");
	if (IS_ERR(d.task))
		abort();
	d.task->mm->start_brk = d.task->mm->brk = 0x10000000UL;
	d.task->mm->cap_ipc_lock = true;
#ifdef MODEL_PAGES
	d.pages = true;
#endif
	for (int i = 0; i < 400 && !b.done; i++)
		mdrv_random_op(&d, &src);
	if (mmk_check_all(NULL) != 0)
		MODEL_FAIL("mmk_check_all failed after %s", d.last);
	if (do_exit(d.task) != 0)
		abort();
	model_free(&d.m);
	model_free(&d.scratch);
	mpg_free(&d);
	long leaked = mmk_shutdown();
	if (leaked)
		MODEL_FAIL("%ld objects leaked", leaked);
	if (atomic_load(&mmk_warnings) != warn0)
		MODEL_FAIL("the library warned");
	return 0;
}
