/* SPDX-License-Identifier: MIT */
/*
 * fuzz/fuzz_scenario.c - the scenario runner (tools/scenario.c) on any
 * text: it must never crash, hang or leak; it may reject the input (exit
 * code 2) or report a failed expectation (1), but an invariant violation,
 * a library warning or a leak at shutdown on a scenario the runner
 * accepted is a bug. Runs with --check, quiet, output to /dev/null.
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
#include "../tools/scenario.h"

static FILE *devnull;

/* a line of @text that is @prefix, a line number (or none), then @what */
static bool line_starts(const char *text, const char *prefix, const char *what)
{
	for (const char *l = text; l && *l;) {
		if (!strncmp(l, prefix, strlen(prefix))) {
			const char *p = l + strlen(prefix);
			while (*p >= '0' && *p <= '9')
				p++;
			if (!strncmp(p, what, strlen(what)))
				return true;
		}
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return false;
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
	/* the runner's messages go to stderr: collect them */
	unsigned long warn0 = atomic_load(&mmk_warnings);
	char *msg = NULL;
	size_t msglen = 0;
	FILE *ms = open_memstream(&msg, &msglen);
	FILE *saved = stderr;
	stderr = ms;
	struct scn_opts o = { .check = true, .quiet = true };
	int rc = scn_run("fuzz.scn", text, &o, devnull);
	stderr = saved;
	fclose(ms);
	free(text);
	if (rc < 0 || rc > 2) {
		fprintf(stderr, "scn_run returned %d\n%s", rc, msg);
		abort();
	}
	/* the library's own reports (misuse the runner let through, a
	 * violated invariant, a leak) all go through mmk_warn; the runner's
	 * lines about them start with the file name (input text cannot
	 * start a line: it only appears after "fuzz.scn:N: expected") */
	if (atomic_load(&mmk_warnings) != warn0 || line_starts(msg, "fuzz.scn:", ": invariant violated") ||
	    line_starts(msg, "fuzz.scn: ", " objects leaked") || line_starts(msg, "fuzz.scn:", ": the library reported")) {
		fprintf(stderr, "%s", msg);
		abort();
	}
	free(msg);
	/* the machine is down again: it boots and shuts down clean */
	if (mmk_boot(4) != 0) {
		fprintf(stderr, "scn_run left the machine booted\n");
		abort();
	}
	if (mmk_shutdown() != 0)
		abort();
	return 0;
}
