/* SPDX-License-Identifier: MIT */
/*
 * tools/replay_html.c - `mmkit replay --html OUT TRACE`: after every played
 * address-space, process or exec call, a snapshot of every live mm (its
 * counters, the tasks using it, its maps) goes to the HTML report.
 */
#include <mmkit/mmkit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"
#include "replay_html.h"

struct snap {
	struct rep_mm *mms;
	char **bufs; /* names, task lists, maps texts to free */
	int n, cap, nbufs, capbufs;
};

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);
	if (!q) {
		fprintf(stderr, "mmkit: out of memory\n");
		exit(3);
	}
	return q;
}

static char *keep(struct snap *s, char *p)
{
	if (s->nbufs == s->capbufs) {
		s->capbufs = s->capbufs ? 2 * s->capbufs : 64;
		s->bufs = xrealloc(s->bufs, (size_t)s->capbufs * sizeof(*s->bufs));
	}
	s->bufs[s->nbufs++] = p;
	return p;
}

static void add_mm(struct mm_struct *mm, void *arg)
{
	struct snap *s = arg;
	struct rep_mm *m;
	char *name = keep(s, xrealloc(NULL, 24));
	char *tasks = keep(s, xrealloc(NULL, 512));
	size_t tl = 0;
	struct list_head *pos;

	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->mms = xrealloc(s->mms, (size_t)s->cap * sizeof(*s->mms));
	}
	m = &s->mms[s->n++];
	memset(m, 0, sizeof(*m));
	snprintf(name, 24, "mm%lu", mm->mmk_id);
	tasks[0] = 0;
	list_for_each(pos, &mmk_tasks) {
		struct task_struct *t = list_entry(pos, struct task_struct, tasks);
		if (t->mm == mm && tl < 480)
			tl += (size_t)snprintf(tasks + tl, 512 - tl, "%s%s/%d", tl ? "," : "", t->comm, t->pid);
	}
	m->id = name;
	m->users = mm_users(mm);
	m->count = mm_count(mm);
	m->on_mmlist = !list_empty(&mm->mmlist);
	m->tasks = tasks;
	m->lazy = "";
	m->outside = "";
	if (m->users > 0) {
		struct seq_file sf;
		seq_init(&sf);
		show_maps(&sf, mm);
		m->maps = keep(s, sf.buf ? sf.buf : strdup(""));
	}
}

static void on_step(void *priv, const struct mmk_replay_step *st)
{
	struct report *rep = priv;
	struct snap s = { 0 };
	char cmd[128], res[160];

	/* the task list and the registry are stable between played calls */
	mmk_for_each_mm(add_mm, &s);
	snprintf(cmd, sizeof(cmd), "%d %s", st->pid, st->syscall);
	if (st->match < 0)
		snprintf(res, sizeof(res), "%s", st->trace);
	else
		snprintf(res, sizeof(res), "%s%s", st->model, st->match ? "" : " (trace differs)");
	struct rep_step rs = {
		.step = 0, .line = st->line, .command = cmd, .result = res, .trace = "",
		.event = st->syscall, .cpus = "", .nmms = s.n, .mms = s.mms,
	};
	static int step;
	rs.step = ++step;
	report_step(rep, &rs);
	for (int i = 0; i < s.nbufs; i++)
		free(s.bufs[i]);
	free(s.bufs);
	free(s.mms);
}

int replay_with_html(const char *file, struct mmk_replay_opts *o, const char *html)
{
	struct report *rep = report_open(html, file);
	int rc;
	if (!rep)
		return 2;
	o->on_step = on_step;
	o->priv = rep;
	rc = mmk_replay_file(file, o);
	if (report_close(rep) != 0 && rc == 0)
		rc = 2;
	return rc;
}
