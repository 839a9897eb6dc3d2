/* SPDX-License-Identifier: MIT */
/*
 * fuzz/fuzz_strace.c - the strace parser (src/strace.c) line by line with
 * its argument helpers, then the whole text through mmk_replay: parsed or
 * rejected, never a crash, a hang or a leak, and the machine is down after.
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
#include <mmkit/replay.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static FILE *devnull;

static void poke_args(const char *args)
{
	char **argv = NULL;
	int n = strace_split_args(args, &argv);
	if (n < 0)
		return;
	for (int i = 0; i < n; i++) {
		long v;
		char bad[64];
		bool trunc;
		(void)strace_arg_num(argv[i], strace_map_syms, &v, bad, sizeof(bad));
		free(strace_arg_fdpath(argv[i]));
		free(strace_arg_string(argv[i], &trunc));
		strace_free_strv(strace_arg_strv(argv[i]));
		free(strace_arg_field(argv[i], "flags"));
	}
	strace_free_args(argv, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a small simulated RAM: every input boots and shuts the machine down */
	FUZZ_SMALL_RAM(2UL << 20);
	if (size > 65536)
		return 0;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = 0;
	for (char *line = text; line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		struct strace_event ev;
		char err[256];
		memset(&ev, 0, sizeof(ev));
		if (strace_parse_line(line, &ev, err, sizeof(err)) == 0) {
			if (!ev.args)
				abort();
			poke_args(ev.args);
			strace_event_free(&ev);
		}
		if (nl)
			*nl = '\n';
		line = nl ? nl + 1 : NULL;
	}
	struct mmk_replay_opts o = { .check = true, .keep_going = true, .initial_aslr = -1,
				     .out = devnull, .err = devnull };
	int rc = mmk_replay("fuzz.trace", text, &o);
	if (rc < 0 || rc > 2)
		abort();
	free(text);
	if (mmk_boot(4) != 0) {
		fprintf(stderr, "mmk_replay left the machine booted\n");
		abort();
	}
	if (mmk_shutdown() != 0)
		abort();
	return 0;
}
