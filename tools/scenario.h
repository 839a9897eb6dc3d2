/* SPDX-License-Identifier: MIT */
/* tools/scenario.h - the scenario language of `mmkit run` (see docs/scenario.md) */
#ifndef MMKIT_TOOL_SCENARIO_H
#define MMKIT_TOOL_SCENARIO_H

#include <stdio.h>
#include <stdbool.h>

struct scn_opts {
	bool json;     /* one JSON object per step */
	bool trace;    /* the kernel functions each step called */
	bool check;    /* every invariant after every step, leaks at the end */
	bool narrate;  /* demo mode: comments starting with "#:" are printed, table after each step */
	bool quiet;    /* print only what the scenario asks for (show, maps, ...) */
	const char *html; /* write an HTML report here */
	bool color;    /* ANSI colour (a terminal, and NO_COLOR unset) */
};

/*
 * scn_run - run the scenario text @text (named @name in messages).
 * Returns 0 when every step ran and every expectation held, 1 when an
 * expectation or invariant failed, 2 on a malformed or impossible step.
 */
int scn_run(const char *name, const char *text, const struct scn_opts *opts, FILE *out);

/* read a whole file ("-" = stdin); NULL and a message on error */
char *scn_read_file(const char *path);

#endif
