/* SPDX-License-Identifier: MIT */
/*
 * tests/kdiff_soak.c - the differential test against the running kernel,
 * over many seeds (make soak SEEDS=N).
 *
 *   kdiff_soak [N [NOPS [FIRST]]]   seeds FIRST..FIRST+N-1 (default 1..$SEEDS or 1..200),
 *                                   NOPS ops each (default 200)
 * Environment: SEEDS=N, KDIFF_NOPS=M, KDIFF_MIN=0 to skip minimizing,
 * KDIFF_VERBOSE=1 for the full report of every disagreeing seed.
 *
 * Prints one line per disagreeing seed, then each distinct class of
 * disagreement with its count, first seed and (unless KDIFF_MIN=0) a
 * delta-debugged minimal reproducer, then the summary line:
 *   kdiff soak: N seeds x M ops: A agree (I of them cut short by an unknowable merge),
 *               D disagree (C classes), K kernel-side failures
 * Exit status 0 only when every seed agrees.
 */
#include "kdiff.h"
#include <unistd.h>

struct kd_class_ent {
	char name[256];
	int count;
	unsigned long first_seed;
};

int main(int argc, char **argv)
{
	int r = kd_tool_main(argc, argv);
	if (r >= 0)
		return r;
	const char *env = getenv("SEEDS");
	long nseeds = argc > 1 ? atol(argv[1]) : env && *env ? atol(env) : 200;
	int nops = argc > 2 ? atoi(argv[2]) : getenv("KDIFF_NOPS") ? atoi(getenv("KDIFF_NOPS")) : 200;
	unsigned long first = argc > 3 ? strtoul(argv[3], NULL, 0) : 1;
	int minimize = !(getenv("KDIFF_MIN") && strcmp(getenv("KDIFF_MIN"), "0") == 0);
	int verbose = getenv("KDIFF_VERBOSE") && strcmp(getenv("KDIFF_VERBOSE"), "0") != 0;
	if (nseeds < 1 || nops < 1) {
		fprintf(stderr, "usage: %s [NSEEDS [NOPS [FIRST]]]\n", argv[0]);
		return 2;
	}
	struct kd_class_ent *cls = calloc((size_t)nseeds, sizeof *cls);
	int ncls = 0;
	long agree = 0, disagree = 0, kfail = 0, inconclusive = 0;
	time_t t0 = time(NULL);
	bool tty = isatty(2);
	for (long i = 0; i < nseeds; i++) {
		unsigned long seed = first + (unsigned long)i;
		struct kd_result res;
		char name[256];
		if (tty) { /* a progress bar on a terminal */
			int w = 40, done = (int)((i * w) / nseeds);
			fprintf(stderr, "\r[%.*s%*s] %ld/%ld seeds, %ld disagree", done,
				"########################################", w - done, "", i, nseeds, disagree);
		}
		int rc = kd_check_seed(seed, nops, verbose ? stdout : NULL, &res, name, sizeof name);
		if (rc == 0) {
			agree++;
			if (res.inconclusive) {
				inconclusive++;
				printf("seed %lu: agrees up to step %d, then the kernel merges next to imported VMAs (not compared further)\n",
				       seed, res.inconclusive);
			}
			continue;
		}
		if (rc < 0) {
			kfail++;
			printf("seed %lu: kernel side failed\n", seed);
			continue;
		}
		disagree++;
		printf("seed %lu: %s at step %d: %s\n", seed, name, res.step, res.op);
		int k;
		for (k = 0; k < ncls; k++)
			if (strcmp(cls[k].name, name) == 0)
				break;
		if (k == ncls) {
			snprintf(cls[k].name, sizeof cls[k].name, "%s", name);
			cls[k].first_seed = seed;
			ncls++;
		}
		cls[k].count++;
		fflush(stdout);
	}
	if (ncls)
		printf("\n== %d distinct disagreement classes ==\n", ncls);
	for (int k = 0; k < ncls; k++) {
		printf("\n[%d] %s: %d seeds, first seed %lu\n", k + 1, cls[k].name, cls[k].count, cls[k].first_seed);
		if (!minimize)
			continue;
		struct kd_run run;
		struct kd_result res;
		if (kd_run_child(cls[k].first_seed, nops, NULL, &run) != 0 || kd_replay(&run, -1, NULL, &res) != 1 ||
		    res.import_failed) {
			kd_run_free(&run);
			continue;
		}
		struct kd_op *ops = malloc(sizeof *ops * (size_t)res.step);
		int m = kd_minimize(&run, &res, ops, stdout);
		struct kd_run r2;
		char ob[512], rb[64];
		if (kd_run_child(cls[k].first_seed, m, ops, &r2) == 0) {
			printf("  minimal reproducer:\n");
			for (int i = 0; i < r2.nops; i++) {
				kd_fmt_op(ob, sizeof ob, &r2.ops[i]);
				kd_fmt_ret(rb, sizeof rb, (long)r2.ops[i].ret);
				printf("    %s = %s\n", ob, rb);
			}
			kd_replay(&r2, -1, stdout, NULL);
		}
		kd_run_free(&r2);
		kd_run_free(&run);
		free(ops);
	}
	kd_file_cleanup();
	if (tty)
		fprintf(stderr, "\r\033[K");
	printf("kdiff soak: %ld seeds x %d ops: %ld agree (%ld of them cut short by an unknowable merge), "
	       "%ld disagree (%d classes), %ld kernel-side failures (%lds)\n",
	       nseeds, nops, agree, inconclusive, disagree, ncls, kfail, (long)(time(NULL) - t0));
	free(cls);
	return (disagree || kfail) ? 1 : 0;
}
