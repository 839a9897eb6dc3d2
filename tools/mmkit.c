/* SPDX-License-Identifier: MIT */
/*
 * tools/mmkit.c - the command-line tool.
 *
 *   mmkit demo                         the seeds' example, step by step
 *   mmkit run [options] FILE|-         run a scenario
 *   mmkit slabinfo                     the caches after boot
 *
 * Exit codes: 0 success; 1 an expectation, invariant or check failed;
 * 2 bad input (malformed scenario, unknown task, impossible step) or usage.
 */
#include <mmkit/mmkit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mmkit/replay.h>
#include <unistd.h>
#include "scenario.h"
#include "replay_html.h"

extern const char mmk_demo_scenario[];

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mmkit COMMAND [ARGS]\n"
		"\n"
		"commands:\n"
		"  demo                       the seeds' example: mm_users and mm_count, step by step\n"
		"  run [--json] [--trace] [--check] [--quiet] [--html OUT] FILE\n"
		"                             run a scenario file (- reads standard input)\n"
		"  replay [--check] [--keep-going] [--json] FILE\n"
		"                             replay `strace -f -o FILE CMD` output (docs/replay.md)\n"
		"  help [COMMAND]             this text, or a command's\n"
		"  --version                  the version\n"
		"\n"
		"exit status: 0 ok; 1 an expectation or invariant failed; 2 bad input or usage.\n"
		"The scenario language is described in docs/scenario.md.\n");
}

static void usage_run(FILE *f)
{
	fprintf(f,
		"usage: mmkit run [--json] [--trace] [--check] [--quiet] [--html OUT.html] FILE\n"
		"  --json    one JSON object per step: step, line, command, result, and for each mm\n"
		"            its id, users, count, tasks using it, lazy borrowers, freed\n"
		"  --trace   the kernel functions each step called\n"
		"  --check   every invariant after every step, and no leak at the end\n"
		"  --quiet   print only what the scenario asks for (show, maps, ...)\n"
		"  --html F  write a self-contained HTML report (timeline, address spaces) to F\n"
		"FILE '-' reads the scenario from standard input.\n");
}

static int cmd_run(int argc, char **argv)
{
	struct scn_opts o = { 0 };
	const char *file = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			o.json = true;
		else if (!strcmp(argv[i], "--trace"))
			o.trace = true;
		else if (!strcmp(argv[i], "--check"))
			o.check = true;
		else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q"))
			o.quiet = true;
		else if (!strcmp(argv[i], "--html")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "mmkit run: --html needs a file name\n");
				return 2;
			}
			o.html = argv[++i];
		}
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage_run(stdout);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "mmkit run: unknown option '%s'\n", argv[i]);
			usage_run(stderr);
			return 2;
		} else if (file) {
			fprintf(stderr, "mmkit run: one scenario file at a time\n");
			return 2;
		} else
			file = argv[i];
	}
	if (!file) {
		usage_run(stderr);
		return 2;
	}
	o.color = isatty(1) && !getenv("NO_COLOR");
	char *text = scn_read_file(file);
	if (!text)
		return 2;
	int rc = scn_run(strcmp(file, "-") ? file : "<stdin>", text, &o, stdout);
	free(text);
	fflush(stdout);
	return rc;
}

static void usage_replay(FILE *f)
{
	fprintf(f,
		"usage: mmkit replay [--check] [--keep-going] [--json] [--html OUT.html] [--aslr=auto|on|off] FILE\n"
		"  Replays the output of `strace -f -o FILE CMD` (with or without -y, -t/-tt/-ttt,\n"
		"  -T), recorded under `setarch -R`, through mmkit. Each time a traced process\n"
		"  reads its own /proc/.../maps, prints what the model shows at that moment.\n"
		"  --check       compare every modelled syscall's result with the trace's:\n"
		"                FILE:LINE: mmap returned MODEL, trace says TRACE; exit 1 at the first\n"
		"  --keep-going  with --check: report every difference, then a summary\n"
		"  --json        one JSON object per modelled syscall (and per maps read)\n"
		"  --html F      write a self-contained HTML report (counters, address spaces) to F\n"
		"  --aslr=...    the first process's ASLR at its execve (auto: from the trace)\n"
		"FILE '-' reads standard input. Exit: 0 ok; 1 a result differed; 2 bad trace.\n");
}

static int cmd_replay(int argc, char **argv)
{
	struct mmk_replay_opts o = { .initial_aslr = -1 };
	const char *file = NULL, *html = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--check"))
			o.check = true;
		else if (!strcmp(argv[i], "--keep-going") || !strcmp(argv[i], "-k"))
			o.keep_going = true;
		else if (!strcmp(argv[i], "--json"))
			o.json = true;
		else if (!strcmp(argv[i], "--html")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "mmkit replay: --html needs a file name\n");
				return 2;
			}
			html = argv[++i];
		} else if (!strcmp(argv[i], "--aslr=auto"))
			o.initial_aslr = -1;
		else if (!strcmp(argv[i], "--aslr=on"))
			o.initial_aslr = 1;
		else if (!strcmp(argv[i], "--aslr=off"))
			o.initial_aslr = 0;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage_replay(stdout);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "mmkit replay: unknown option '%s'\n", argv[i]);
			usage_replay(stderr);
			return 2;
		} else if (file) {
			fprintf(stderr, "mmkit replay: one trace at a time\n");
			return 2;
		} else
			file = argv[i];
	}
	if (!file) {
		usage_replay(stderr);
		return 2;
	}
	o.progress = isatty(2);
	int rc = html ? replay_with_html(file, &o, html) : mmk_replay_file(file, &o);
	fflush(stdout);
	return rc;
}

static int cmd_demo(int argc, char **argv)
{
	struct scn_opts o = { .narrate = true, .check = true, .color = isatty(1) && !getenv("NO_COLOR") };
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: mmkit demo [--trace]\n"
			       "Plays the seeds' example (examples/seeds.scn) with a table of every mm after each step.\n");
			return 0;
		} else if (!strcmp(argv[i], "--trace")) {
			o.trace = true;
		} else {
			fprintf(stderr, "mmkit demo: unknown argument '%s'\n", argv[i]);
			return 2;
		}
	}
	printf("mmkit %s - the memory descriptor's two counters, as the seeds tell it.\n"
	       "Each step: the command, the kernel functions it called, and every mm's\n"
	       "mm_users / mm_count, who owns it and who borrows it.\n",
	       MMKIT_VERSION);
	return scn_run("examples/seeds.scn", mmk_demo_scenario, &o, stdout);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *c = argv[1];
	if (!strcmp(c, "--version") || !strcmp(c, "version")) {
		printf("mmkit %s\n", MMKIT_VERSION);
		return 0;
	}
	if (!strcmp(c, "--help") || !strcmp(c, "-h") || !strcmp(c, "help")) {
		if (argc > 2 && !strcmp(argv[2], "run"))
			usage_run(stdout);
		else if (argc > 2 && !strcmp(argv[2], "replay"))
			usage_replay(stdout);
		else
			usage(stdout);
		return 0;
	}
	if (!strcmp(c, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(c, "replay"))
		return cmd_replay(argc - 1, argv + 1);
	if (!strcmp(c, "demo"))
		return cmd_demo(argc - 1, argv + 1);
	fprintf(stderr, "mmkit: unknown command '%s'\n", c);
	usage(stderr);
	return 2;
}
