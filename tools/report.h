/* SPDX-License-Identifier: MIT */
/*
 * tools/report.h - the self-contained HTML report of a scenario or a replay
 * (`mmkit run --html OUT FILE`, `mmkit replay --html OUT TRACE`).
 *
 * The runner hands over a snapshot after every step; report_step copies
 * what it needs, so the caller may reuse its buffers. report_close writes
 * one HTML file with no external resources.
 */
#ifndef MMKIT_TOOL_REPORT_H
#define MMKIT_TOOL_REPORT_H

#include <stdbool.h>

struct rep_mm {
	const char *id;         /* "mm1" */
	int users, count;
	bool freed;             /* back in mm_cachep: users/count meaningless */
	bool on_mmlist;
	const char *tasks;      /* comma-separated names of tasks whose mm it is */
	const char *lazy;       /* comma-separated lazy borrowers (kernel threads, idle CPUs, dead tasks) */
	const char *outside;    /* outside holders, e.g. "1 user, 0 grabs, swapoff pin", or "" */
	const char *maps;       /* show_maps text of this mm at this step, or NULL */
};

struct rep_step {
	int step;               /* 1-based */
	int line;               /* line in the scenario or trace */
	const char *command;    /* the command or syscall line */
	const char *result;     /* printed result, or "" */
	const char *trace;      /* kernel functions called, space-separated "func(mmN)" */
	const char *event;      /* a short label for notable events ("clone", "borrow", "exit",
				 * "__mmput", "free_mm", ...) or "" */
	const char *cpus;       /* "[0] A/mm1 [1] idle/mm0 ..." */
	int nmms;
	const struct rep_mm *mms;
};

struct report;
struct report *report_open(const char *path, const char *title);
void report_step(struct report *r, const struct rep_step *s);
/* writes the file; 0 or -errno (the message already printed) */
int report_close(struct report *r);

#endif
