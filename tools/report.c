/* SPDX-License-Identifier: MIT */
/*
 * tools/report.c - the self-contained HTML report (see tools/report.h and
 * docs/report.md).
 *
 * report_step copies each snapshot into compact tables:
 *   - every string that repeats (task lists, CPU lines, maps lines) is
 *     interned once in a string table and referred to by index;
 *   - an mm's maps text is split into lines; each distinct address space
 *     ("maps version") is kept once, and a step refers to it by index.
 *     In the page a version is written as a splice of an earlier one
 *     (common prefix and suffix kept) so a long run with hundreds of VMAs
 *     stays small; every few versions a full copy bounds the chain.
 * report_close writes one HTML file: the page (CSS, JS) is in this file as
 * string literals, the data is a JSON blob in
 * <script type="application/json" id="mmkit-data">, with '<', '>' and '&'
 * written as \u escapes so nothing in the data can end the element.
 */
#include "report.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- growable arrays ------------------------------------------------------ */

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		fprintf(stderr, "mmkit: report: out of memory\n");
		exit(3);
	}
	return q;
}

#define GROW(arr, n, cap)                                                     \
	do {                                                                  \
		if ((n) >= (cap)) {                                           \
			(cap) = (cap) ? (cap) * 2 : 16;                       \
			(arr) = xrealloc((arr), (size_t)(cap) * sizeof(*(arr))); \
		}                                                             \
	} while (0)

static char *xstrdup(const char *s)
{
	size_t n = strlen(s ? s : "") + 1;
	char *p = xrealloc(NULL, n);
	memcpy(p, s ? s : "", n);
	return p;
}

static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}
#define FNV0 0xcbf29ce484222325ULL

/* ---- the string table ----------------------------------------------------- */

struct strtab {
	char **s;
	size_t *len;
	uint64_t *hash;
	int n, cap;
	int *slot;      /* open addressing: index + 1, 0 = empty */
	size_t nslot;
};

static void st_rehash(struct strtab *t)
{
	size_t ns = t->nslot ? t->nslot * 2 : 1024;
	free(t->slot);
	t->slot = xrealloc(NULL, ns * sizeof(int));
	memset(t->slot, 0, ns * sizeof(int));
	t->nslot = ns;
	for (int i = 0; i < t->n; i++) {
		size_t k = (size_t)t->hash[i] & (ns - 1);
		while (t->slot[k])
			k = (k + 1) & (ns - 1);
		t->slot[k] = i + 1;
	}
}

/* the index of the string @s[0..@n) in @t, added if new */
static int st_intern(struct strtab *t, const char *s, size_t n)
{
	uint64_t h = fnv(s, n, FNV0);
	if ((size_t)(t->n + 1) * 2 > t->nslot)
		st_rehash(t);
	size_t k = (size_t)h & (t->nslot - 1);
	while (t->slot[k]) {
		int i = t->slot[k] - 1;
		if (t->hash[i] == h && t->len[i] == n && !memcmp(t->s[i], s, n))
			return i;
		k = (k + 1) & (t->nslot - 1);
	}
	if (t->n >= t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->s = xrealloc(t->s, (size_t)t->cap * sizeof(*t->s));
		t->len = xrealloc(t->len, (size_t)t->cap * sizeof(*t->len));
		t->hash = xrealloc(t->hash, (size_t)t->cap * sizeof(*t->hash));
	}
	char *c = xrealloc(NULL, n + 1);
	memcpy(c, s, n);
	c[n] = 0;
	t->s[t->n] = c;
	t->len[t->n] = n;
	t->hash[t->n] = h;
	t->slot[k] = t->n + 1;
	return t->n++;
}

static int st_str(struct strtab *t, const char *s)
{
	return st_intern(t, s ? s : "", strlen(s ? s : ""));
}

/* ---- the report ----------------------------------------------------------- */

enum { F_FREED = 1, F_MMLIST = 2 };

struct r_mm {               /* one mm at one step */
	int mm;             /* index into report.mmids */
	int users, count, flags;
	int tasks, lazy, outside;   /* string indexes */
	int maps;           /* maps version, -1 none */
};

struct r_ev { int mm; const char *kind; };

struct r_step {
	int step, line;
	char *command, *result, *trace;
	int event, cpus;    /* string indexes */
	int nmms;
	struct r_mm *mms;
	int nev;
	struct r_ev *ev;
};

struct mapsver {
	int *lines;         /* string indexes, the full list */
	int nlines;
	uint64_t hash;
	int base, at, del, depth;   /* as a splice of version base; base -1: full */
};

struct mmstate {            /* per mm id: the last maps seen */
	char *id;
	char *last_text;
	int last_ver;
};

struct report {
	char *path, *title;
	struct strtab st;
	struct strtab ids;  /* mm ids, in the order of r->mm */
	struct r_step *steps;
	int nsteps, capsteps;
	struct mmstate *mm;
	int nmm, capmm;
	struct mapsver *ver;
	int nver, capver;
	int *vslot;         /* version hash table: index + 1 */
	size_t nvslot;
	int *tmp;           /* line indexes being built */
	int ntmp, captmp;
	bool failed;
};

/* the longest a splice chain may get before a full copy is written */
#define MAX_DEPTH 24

struct report *report_open(const char *path, const char *title)
{
	struct report *r = xrealloc(NULL, sizeof(*r));
	memset(r, 0, sizeof(*r));
	r->path = xstrdup(path);
	r->title = xstrdup(title && *title ? title : "mmkit run");
	return r;
}

static int mm_index(struct report *r, const char *id)
{
	int i = st_str(&r->ids, id);
	if (i < r->nmm)
		return i;
	GROW(r->mm, r->nmm, r->capmm);
	r->mm[r->nmm] = (struct mmstate){ .id = xstrdup(id), .last_text = NULL, .last_ver = -1 };
	return r->nmm++;
}

static void ver_rehash(struct report *r)
{
	size_t ns = r->nvslot ? r->nvslot * 2 : 256;
	free(r->vslot);
	r->vslot = xrealloc(NULL, ns * sizeof(int));
	memset(r->vslot, 0, ns * sizeof(int));
	r->nvslot = ns;
	for (int i = 0; i < r->nver; i++) {
		size_t k = (size_t)r->ver[i].hash & (ns - 1);
		while (r->vslot[k])
			k = (k + 1) & (ns - 1);
		r->vslot[k] = i + 1;
	}
}

/* the version index of the maps text @text of mm @m */
static int maps_version(struct report *r, int m, const char *text)
{
	struct mmstate *ms = &r->mm[m];
	if (ms->last_text && !strcmp(ms->last_text, text))
		return ms->last_ver;

	/* split into interned lines */
	r->ntmp = 0;
	for (const char *p = text; *p;) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		GROW(r->tmp, r->ntmp, r->captmp);
		r->tmp[r->ntmp++] = st_intern(&r->st, p, n);
		p += n + (e ? 1 : 0);
	}
	uint64_t h = fnv(r->tmp, (size_t)r->ntmp * sizeof(int), FNV0);

	if ((size_t)(r->nver + 1) * 2 > r->nvslot)
		ver_rehash(r);
	size_t k = (size_t)h & (r->nvslot - 1);
	int v = -1;
	while (r->vslot[k]) {
		struct mapsver *c = &r->ver[r->vslot[k] - 1];
		if (c->hash == h && c->nlines == r->ntmp &&
		    !memcmp(c->lines, r->tmp, (size_t)r->ntmp * sizeof(int))) {
			v = r->vslot[k] - 1;
			break;
		}
		k = (k + 1) & (r->nvslot - 1);
	}
	if (v < 0) {
		GROW(r->ver, r->nver, r->capver);
		struct mapsver *nv = &r->ver[r->nver];
		nv->lines = xrealloc(NULL, (size_t)r->ntmp * sizeof(int));
		memcpy(nv->lines, r->tmp, (size_t)r->ntmp * sizeof(int));
		nv->nlines = r->ntmp;
		nv->hash = h;
		nv->base = -1;
		nv->at = nv->del = nv->depth = 0;
		if (ms->last_ver >= 0 && r->ver[ms->last_ver].depth < MAX_DEPTH) {
			/* a splice of the previous version: common prefix and suffix */
			const struct mapsver *b = &r->ver[ms->last_ver];
			int pre = 0, suf = 0;
			while (pre < b->nlines && pre < nv->nlines && b->lines[pre] == nv->lines[pre])
				pre++;
			while (suf < b->nlines - pre && suf < nv->nlines - pre &&
			       b->lines[b->nlines - 1 - suf] == nv->lines[nv->nlines - 1 - suf])
				suf++;
			int ins = nv->nlines - pre - suf;
			if (ins * 2 < nv->nlines || nv->nlines < 4) {
				nv->base = ms->last_ver;
				nv->at = pre;
				nv->del = b->nlines - pre - suf;
				nv->depth = b->depth + 1;
			}
		}
		r->vslot[k] = r->nver + 1;
		v = r->nver++;
	}
	free(ms->last_text);
	ms->last_text = xstrdup(text);
	ms->last_ver = v;
	return v;
}

/* ---- events, from the trace ---------------------------------------------- */

/* the kernel functions that mark an event on the timeline, most telling first */
static const struct { const char *func, *kind; } ev_funcs[] = {
	{ "free_mm", "free" },
	{ "__mmdrop", "free" },
	{ "__mmput", "teardown" },
	{ "exit_mm", "exit" },
	{ "exec_mmap", "exec" },
	{ "dup_mm", "fork" },
	{ "mm_alloc", "new" },
	{ "kthread_use_mm", "borrow" },
	{ "mmgrab", "borrow" },
	{ "mmget", "clone" },
	{ "mmget_not_zero", "pin" },
};
#define NEVF ((int)(sizeof(ev_funcs) / sizeof(ev_funcs[0])))

static void find_events(struct report *r, struct r_step *st, const char *verb)
{
	/* per mm the best (lowest) ev_funcs index seen in this step */
	int best[64], mms[64], n = 0;
	bool exited[64];
	const char *p = st->trace;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *open = strchr(p, '(');
		const char *sp = strchr(p, ' ');
		if (!open || (sp && sp < open)) {
			if (!sp)
				break;
			p = sp;
			continue;
		}
		const char *close = strchr(open, ')');
		if (!close)
			break;
		size_t fl = (size_t)(open - p), al = (size_t)(close - open - 1);
		char id[32];
		if (al > 0 && al < sizeof(id)) {
			memcpy(id, open + 1, al);
			id[al] = 0;
			int f;
			for (f = 0; f < NEVF; f++)
				if (strlen(ev_funcs[f].func) == fl && !memcmp(ev_funcs[f].func, p, fl))
					break;
			if (f < NEVF) {
				int m = mm_index(r, id), j;
				for (j = 0; j < n; j++)
					if (mms[j] == m)
						break;
				if (j == n && n < 64) {
					mms[n] = m;
					best[n] = NEVF;
					exited[n] = false;
					n++;
				}
				if (j < n) {
					/* exit_mm's own mmgrab (the dying task's lazy
					 * reference) is part of the exit */
					if (!strcmp(ev_funcs[f].kind, "exit"))
						exited[j] = true;
					if (f < best[j])
						best[j] = f;
				}
			}
		}
		p = close + 1;
	}
	st->nev = 0;
	st->ev = n ? xrealloc(NULL, (size_t)n * sizeof(*st->ev)) : NULL;
	for (int j = 0; j < n; j++) {
		if (best[j] >= NEVF)
			continue;
		const char *kind = ev_funcs[best[j]].kind;
		if (exited[j] && !strcmp(kind, "borrow"))
			kind = "exit";
		/* mmget from clone shares the mm; elsewhere (swapoff, get) it is a pin */
		if (!strcmp(kind, "clone") && *verb && !strstr(verb, "clone") && !strstr(verb, "thread") &&
		    !strstr(verb, "fork"))
			kind = "get";
		if (!strcmp(kind, "borrow") && !strcmp(verb, "grab"))
			kind = "grab";
		st->ev[st->nev++] = (struct r_ev){ mms[j], kind };
	}
}

void report_step(struct report *r, const struct rep_step *s)
{
	if (!r || !s)
		return;
	GROW(r->steps, r->nsteps, r->capsteps);
	struct r_step *st = &r->steps[r->nsteps++];
	memset(st, 0, sizeof(*st));
	st->step = s->step;
	st->line = s->line;
	st->command = xstrdup(s->command);
	st->result = xstrdup(s->result);
	st->trace = xstrdup(s->trace);
	st->event = st_str(&r->st, s->event);
	st->cpus = st_str(&r->st, s->cpus);
	st->nmms = s->nmms > 0 ? s->nmms : 0;
	st->mms = st->nmms ? xrealloc(NULL, (size_t)st->nmms * sizeof(*st->mms)) : NULL;
	for (int i = 0; i < st->nmms; i++) {
		const struct rep_mm *m = &s->mms[i];
		struct r_mm *o = &st->mms[i];
		o->mm = mm_index(r, m->id ? m->id : "?");
		o->users = m->users;
		o->count = m->count;
		o->flags = (m->freed ? F_FREED : 0) | (m->on_mmlist ? F_MMLIST : 0);
		o->tasks = st_str(&r->st, m->tasks);
		o->lazy = st_str(&r->st, m->lazy);
		o->outside = st_str(&r->st, m->outside);
		o->maps = m->maps && !m->freed ? maps_version(r, o->mm, m->maps) : -1;
	}
	find_events(r, st, s->event ? s->event : "");
}

/* ---- output --------------------------------------------------------------- */

/* the length of the valid UTF-8 sequence at @p (before @end), 0 if invalid */
static int utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = *p;
	int len = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
	if (!len || p + len > end)
		return 0;
	for (int i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0) ||   /* overlong, surrogate */
	    (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90))
		return 0;
	return len;
}

/* a JSON string; safe inside <script>: no '<', '>', '&' and no invalid UTF-8 */
static void json_str(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	putc('"', f);
	while (p < end) {
		unsigned c = *p;
		int len = utf8_len(p, end);
		if (c == '"' || c == '\\') {
			putc('\\', f);
			putc((int)c, f);
		} else if (c == '\n') {
			fputs("\\n", f);
		} else if (c == '\t') {
			fputs("\\t", f);
		} else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
		} else if (!len) {
			fputs("\\ufffd", f);
			len = 1;
		} else if (len == 3 && c == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
			fprintf(f, "\\u%04x", p[2] == 0xa8 ? 0x2028 : 0x2029);
		} else {
			fwrite(p, 1, (size_t)len, f);
		}
		p += len ? len : 1;
	}
	putc('"', f);
}

static void json_cstr(FILE *f, const char *s)
{
	json_str(f, s, strlen(s));
}

/* HTML text (the title) */
static void html_text(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
	while (p < end) {
		int len = utf8_len(p, end);
		switch (*p) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			if (!len)
				fputs("\xef\xbf\xbd", f);   /* U+FFFD */
			else if (*p < 0x20)
				putc(' ', f);
			else
				fwrite(p, 1, (size_t)len, f);
			break;
		}
		p += len ? len : 1;
	}
}

static void write_data(struct report *r, FILE *f)
{
	fputs("{\"version\":1,\"title\":", f);
	json_cstr(f, r->title);
	fputs(",\n\"mms\":[", f);
	for (int i = 0; i < r->nmm; i++) {
		if (i)
			putc(',', f);
		json_cstr(f, r->mm[i].id);
	}
	fputs("],\n\"strs\":[", f);
	for (int i = 0; i < r->st.n; i++) {
		if (i)
			fputs(i % 16 ? "," : ",\n", f);
		json_str(f, r->st.s[i], r->st.len[i]);
	}
	/* maps versions: [base, at, del, [lines]]; base -1: lines is the whole list */
	fputs("],\n\"maps\":[", f);
	for (int i = 0; i < r->nver; i++) {
		const struct mapsver *v = &r->ver[i];
		int from = 0, to = v->nlines;
		if (v->base >= 0) {
			const struct mapsver *b = &r->ver[v->base];
			from = v->at;
			to = v->nlines - (b->nlines - v->at - v->del);
		}
		fprintf(f, "%s[%d,%d,%d,[", i ? ",\n" : "", v->base, v->at, v->del);
		for (int j = from; j < to; j++)
			fprintf(f, "%s%d", j > from ? "," : "", v->lines[j]);
		fputs("]]", f);
	}
	/* steps: m = [mm, users, count, flags, tasks, lazy, outside, maps] */
	fputs("],\n\"steps\":[", f);
	for (int i = 0; i < r->nsteps; i++) {
		const struct r_step *s = &r->steps[i];
		fprintf(f, "%s{\"n\":%d,\"line\":%d,\"cmd\":", i ? ",\n" : "", s->step, s->line);
		json_cstr(f, s->command);
		fputs(",\"res\":", f);
		json_cstr(f, s->result);
		fputs(",\"trace\":", f);
		json_cstr(f, s->trace);
		fprintf(f, ",\"event\":%d,\"cpus\":%d,\"ev\":[", s->event, s->cpus);
		for (int j = 0; j < s->nev; j++)
			fprintf(f, "%s[%d,\"%s\"]", j ? "," : "", s->ev[j].mm, s->ev[j].kind);
		fputs("],\"m\":[", f);
		for (int j = 0; j < s->nmms; j++) {
			const struct r_mm *m = &s->mms[j];
			fprintf(f, "%s[%d,%d,%d,%d,%d,%d,%d,%d]", j ? "," : "", m->mm, m->users, m->count,
				m->flags, m->tasks, m->lazy, m->outside, m->maps);
		}
		fputs("]}", f);
	}
	fputs("]}", f);
}

static void report_free(struct report *r)
{
	for (int i = 0; i < r->nsteps; i++) {
		free(r->steps[i].command);
		free(r->steps[i].result);
		free(r->steps[i].trace);
		free(r->steps[i].mms);
		free(r->steps[i].ev);
	}
	free(r->steps);
	for (int i = 0; i < r->nmm; i++) {
		free(r->mm[i].id);
		free(r->mm[i].last_text);
	}
	free(r->mm);
	for (int i = 0; i < r->nver; i++)
		free(r->ver[i].lines);
	free(r->ver);
	free(r->vslot);
	free(r->tmp);
	for (int i = 0; i < r->st.n; i++)
		free(r->st.s[i]);
	free(r->st.s);
	free(r->st.len);
	free(r->st.hash);
	free(r->st.slot);
	for (int i = 0; i < r->ids.n; i++)
		free(r->ids.s[i]);
	free(r->ids.s);
	free(r->ids.len);
	free(r->ids.hash);
	free(r->ids.slot);
	free(r->path);
	free(r->title);
	free(r);
}

/* ---- the page (generated from a template: CSS and JS) --------------------- */

static const char *const page[] = {
	"<!DOCTYPE html>\n"
	"<html lang=\"en\">\n"
	"<head>\n"
	"<meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	"<meta name=\"generator\" content=\"mmkit\">\n"
	"<title>",
	" - mmkit report</title>\n"
	"<style>\n"
	":root {\n"
	"  --fg: #1d232b; --muted: #5f6b7a; --line: #d9dee5; --bg: #f6f7f9; --card: #fff;\n"
	"  --accent: #2f6fd0; --chg: #fff1b8;\n"
	"  --mono: ui-monospace, \"SFMono-Regular\", Menlo, Consolas, \"DejaVu Sans Mono\", \"Liberation Mono\", monospace;\n"
	"}\n"
	"* { box-sizing: border-box; }\n"
	"html, body { margin: 0; padding: 0; }\n"
	"body { font: 14px/1.45 system-ui, -apple-system, \"Segoe UI\", Roboto, \"DejaVu Sans\", \"Liberation Sans\", sans-serif;\n"
	"  color: var(--fg); background: var(--bg); }\n"
	"header { padding: 10px 20px 6px; display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; }\n"
	"header h1 { font-size: 18px; margin: 0; font-weight: 600; }\n"
	"header .sub { color: var(--muted); font-size: 13px; }\n"
	".bar { position: sticky; top: 0; z-index: 5; display: flex; align-items: center; gap: 10px;\n"
	"  padding: 8px 20px; background: rgba(246,247,249,.96); border-bottom: 1px solid var(--line); }\n"
	".bar button { font: inherit; font-size: 13px; padding: 3px 12px; border: 1px solid #b9c2cf; border-radius: 5px;\n"
	"  background: #fff; cursor: pointer; color: var(--fg); }\n"
	".bar button:hover { background: #eef3fb; border-color: var(--accent); }\n"
	".bar button:disabled { opacity: .4; cursor: default; }\n"
	"#step-slider { flex: 1; min-width: 120px; accent-color: var(--accent); }\n"
	"#step-label { font-family: var(--mono); font-size: 13px; min-width: 11em; text-align: right; white-space: nowrap; }\n"
	"main { padding: 12px 20px 30px; display: grid; gap: 14px; grid-template-columns: minmax(0, 11fr) minmax(0, 9fr); align-items: start; }\n"
	".card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px 12px; min-width: 0; }\n"
	".card.wide { grid-column: 1 / -1; }\n"
	".card h2 { font-size: 14px; color: #3a4452; margin: 0 0 8px;\n"
	"  font-weight: 600; display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }\n"
	".card h2 .hint { text-transform: none; letter-spacing: 0; font-weight: 400; font-size: 12px; }\n"
	"@media (max-width: 900px) { main { grid-template-columns: minmax(0, 1fr); } }\n"
	"#legend, #ev-legend, #as-legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12px; color: var(--muted); }\n"
	"#legend { margin-bottom: 2px; }\n"
	"#ev-legend { margin-top: 4px; }\n"
	".lg { display: inline-flex; align-items: center; gap: 5px; cursor: pointer; user-select: none; }\n"
	".lg.off { opacity: .35; }\n"
	".lg svg { flex: none; }\n"
	"#timeline { display: block; width: 100%; height: 250px; cursor: crosshair; }\n"
	"#timeline text { font: 11px var(--mono); fill: var(--muted); }\n"
	"#timeline .grid { stroke: #eceff3; }\n"
	"#timeline .axis { stroke: #aab3bf; }\n"
	"#timeline .cursor { stroke: var(--accent); stroke-width: 1.5; }\n"
	"#timeline .cursor-band { fill: rgba(47,111,208,.08); }\n"
	"#timeline polyline { fill: none; stroke-width: 2; stroke-linejoin: round; }\n"
	"#timeline polyline.count { stroke-dasharray: 5 3; stroke-width: 1.8; }\n"
	"#timeline .mk { stroke: #fff; stroke-width: .8; }\n"
	"#tip { position: fixed; z-index: 10; pointer-events: none; background: #1d232b; color: #fff; font: 12px var(--mono);\n"
	"  padding: 5px 8px; border-radius: 4px; max-width: 460px; white-space: pre-wrap; display: none; }\n"
	"#step-info .cmd { font: 15px var(--mono); background: #eef2f7; padding: 2px 8px; border-radius: 4px; }\n"
	"#step-info .res { font: 14px var(--mono); margin-left: 6px; }\n"
	"#step-info .meta { color: var(--muted); font-size: 12px; margin-bottom: 6px; }\n"
	"#step-info .row { margin-top: 8px; display: flex; gap: 8px; align-items: baseline; }\n"
	"#step-info .lbl { color: var(--muted); font-size: 12px; min-width: 4.5em; flex: none; }\n"
	".chips { display: flex; flex-wrap: wrap; gap: 4px; }\n"
	".chip { font: 12px var(--mono); padding: 1px 6px; border-radius: 4px; background: #eef0f3; border: 1px solid #dde1e7; white-space: nowrap; }\n"
	".chip.users { background: #e6effc; border-color: #c4d7f5; }\n"
	".chip.count { background: #f1e8f7; border-color: #dcc8ea; }\n"
	".chip.teardown { background: #fde2e1; border-color: #f3a5a2; color: #9b1c17; font-weight: 600; }\n"
	".chip.free { background: #2b2f36; border-color: #2b2f36; color: #fff; font-weight: 600; }\n"
	".chip.cpu { background: #fff; }\n"
	".chip.cpu.lazy { border-style: dashed; }\n"
	".none { color: var(--muted); font-style: italic; font-size: 12px; }\n"
	".badge { font-size: 11px; font-weight: 600; padding: 1px 7px; border-radius: 10px; color: #fff; white-space: nowrap; }\n"
	"#mm-table { border-collapse: collapse; width: 100%; font-size: 13px; }\n"
	"#mm-table th { text-align: left; font-weight: 600; font-size: 12px; color: var(--muted); border-bottom: 1px solid var(--line); padding: 4px 6px; white-space: nowrap; }\n"
	"#mm-table td { border-bottom: 1px solid #eef0f3; padding: 4px 6px; vertical-align: top; }\n"
	"#mm-table td.num { font: 14px var(--mono); text-align: right; width: 4.5em; }\n"
	"#mm-table td.mmid { font: 600 13px var(--mono); white-space: nowrap; }\n"
	"#mm-table .sw { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }\n"
	"#mm-table td.chg { background: var(--chg); }\n"
	"#mm-table tr.freed td { color: #9aa3ae; }\n"
	"#mm-table tr.gone td { color: #9aa3ae; font-style: italic; }\n"
	"#mm-table .names { font-family: var(--mono); font-size: 12px; overflow-wrap: break-word; }\n"
	".tablewrap { overflow-x: auto; }\n"
	".state { font-size: 11px; padding: 0 6px; border-radius: 8px; white-space: nowrap; }\n"
	".state.live { background: #e3f3e5; color: #23672f; }\n"
	".state.dead { background: #fde2e1; color: #9b1c17; }\n"
	".state.freed { background: #e6e8eb; color: #5f6b7a; }\n"
	"#mm-select { font: 13px var(--mono); padding: 2px 4px; }\n"
	"#as-summary { font-size: 12px; color: var(--muted); margin: 2px 0 6px; }\n"
	"#addr-space { max-height: 640px; overflow: auto; border-top: 1px solid #eef0f3; padding-top: 6px; }\n"
	"#addr-space svg { display: block; }\n"
	"#addr-space text { font: 11px var(--mono); fill: var(--fg); }\n"
	"#addr-space text.addr { fill: var(--muted); }\n"
	"#addr-space text.gap { fill: var(--muted); font-style: italic; }\n"
	"#addr-space .vma:hover rect.body { stroke: #1d232b; stroke-width: 1.5; }\n"
	"#addr-space .vma.new rect.body { stroke: #d62728; stroke-width: 2; }\n"
	"#addr-space text.new { fill: #d62728; font-weight: 700; }\n"
	".sw2 { display: inline-block; width: 14px; height: 10px; border-radius: 2px; vertical-align: -1px; margin-right: 4px; }\n"
	"noscript { display: block; padding: 20px; }\n"
	"</style>\n"
	"</head>\n"
	"<body>\n"
	"<header><h1>",
	"</h1><span class=\"sub\" id=\"summary\"></span></header>\n"
	"<div class=\"bar\" id=\"controls\">\n"
	"  <button id=\"prev\" type=\"button\" title=\"previous step (Left arrow)\">&#9664; prev</button>\n"
	"  <input id=\"step-slider\" type=\"range\" min=\"0\" max=\"0\" value=\"0\" step=\"1\" aria-label=\"step\">\n"
	"  <button id=\"next\" type=\"button\" title=\"next step (Right arrow)\">next &#9654;</button>\n"
	"  <span id=\"step-label\"></span>\n"
	"</div>\n"
	"<noscript>This report needs JavaScript to draw its views; the data is in the script element \"mmkit-data\".</noscript>\n"
	"<main>\n"
	"  <section class=\"card wide\" id=\"timeline-card\">\n"
	"    <h2>mm_users and mm_count per step <span class=\"hint\">solid: mm_users &middot; dashed: mm_count &middot; click or drag to pick a step &middot; click a legend entry to hide an mm</span></h2>\n"
	"    <div id=\"legend\"></div>\n"
	"    <svg id=\"timeline\" role=\"img\" aria-label=\"timeline of mm_users and mm_count\"></svg>\n"
	"    <div id=\"ev-legend\"></div>\n"
	"  </section>\n"
	"  <section class=\"card\" id=\"step-card\">\n"
	"    <h2>The step</h2>\n"
	"    <div id=\"step-info\"></div>\n"
	"    <h2 style=\"margin-top:14px\">Who uses which mm <span class=\"hint\">changed since the previous step</span><span class=\"sw2\" style=\"background:var(--chg);border:1px solid #e8d58a\"></span></h2>\n"
	"    <div class=\"tablewrap\"><table id=\"mm-table\"></table></div>\n"
	"  </section>\n"
	"  <section class=\"card\" id=\"as-card\">\n"
	"    <h2>Address space of <select id=\"mm-select\" aria-label=\"mm\"></select> <span class=\"hint\">high addresses on top &middot; hover a VMA for its maps line</span></h2>\n"
	"    <div id=\"as-legend\"></div>\n"
	"    <div id=\"as-summary\"></div>\n"
	"    <div id=\"addr-space\"></div>\n"
	"  </section>\n"
	"</main>\n"
	"<div id=\"tip\"></div>\n"
	"<script type=\"application/json\" id=\"mmkit-data\">",
	"</script>\n"
	"<script>\n"
	"(function () {\n"
	"'use strict';\n"
	"var D = JSON.parse(document.getElementById('mmkit-data').textContent);\n"
	"var S = D.strs, STEPS = D.steps, N = STEPS.length, MMS = D.mms;\n"
	"var SVGNS = 'http://www.w3.org/2000/svg';\n"
	"var $ = function (id) { return document.getElementById(id); };\n"
	"\n"
	"function el(tag, attrs, text) {\n"
	"  var e = document.createElement(tag);\n"
	"  if (attrs) for (var k in attrs) e.setAttribute(k, attrs[k]);\n"
	"  if (text != null) e.textContent = text;\n"
	"  return e;\n"
	"}\n"
	"function sv(tag, attrs, text) {\n"
	"  var e = document.createElementNS(SVGNS, tag);\n"
	"  if (attrs) for (var k in attrs) e.setAttribute(k, attrs[k]);\n"
	"  if (text != null) e.textContent = text;\n"
	"  return e;\n"
	"}\n"
	"function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }\n"
	"\n"
	"/* ---- colours ------------------------------------------------------------ */\n"
	"var PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f', '#17becf', '#bcbd22', '#8c564b'];\n"
	"function mmColor(m) { return MMS[m] === 'mm0' ? '#8a939e' : PALETTE[(m - (MMS[0] === 'mm0' ? 1 : 0) + PALETTE.length) % PALETTE.length]; }\n"
	"\n"
	"var EVK = {\n"
	"  'new':      { c: '#2e7d32', shape: 'circle',  on: 'u', txt: 'new mm (mm_alloc)' },\n"
	"  'fork':     { c: '#2e7d32', shape: 'circle',  on: 'u', txt: 'fork (dup_mm)' },\n"
	"  'clone':    { c: '#1f5fbf', shape: 'up',      on: 'u', txt: 'clone shares it (mmget)' },\n"
	"  'get':      { c: '#6b7785', shape: 'up',      on: 'u', txt: 'mmget' },\n"
	"  'pin':      { c: '#0f8b8d', shape: 'diamond', on: 'u', txt: 'pin (mmget_not_zero)' },\n"
	"  'borrow':   { c: '#7b3fb0', shape: 'diamond', on: 'c', txt: 'lazy borrow (mmgrab)' },\n"
	"  'grab':     { c: '#6b7785', shape: 'diamond', on: 'c', txt: 'mmgrab' },\n"
	"  'exec':     { c: '#a05a00', shape: 'square',  on: 'u', txt: 'exec (exec_mmap)' },\n"
	"  'exit':     { c: '#e07b00', shape: 'down',    on: 'u', txt: 'exit (exit_mm)' },\n"
	"  'teardown': { c: '#d62728', shape: 'square',  on: 'u', txt: 'teardown (__mmput)' },\n"
	"  'free':     { c: '#111',    shape: 'cross',   on: 'c', txt: 'freed (__mmdrop, free_mm)' }\n"
	"};\n"
	"function shapePath(shape, x, y, r) {\n"
	"  switch (shape) {\n"
	"  case 'circle': return 'M' + (x - r) + ' ' + y + 'a' + r + ' ' + r + ' 0 1 0 ' + 2 * r + ' 0a' + r + ' ' + r + ' 0 1 0 ' + (-2 * r) + ' 0z';\n"
	"  case 'up': return 'M' + x + ' ' + (y - r * 1.2) + 'l' + r * 1.1 + ' ' + r * 2 + 'h' + (-r * 2.2) + 'z';\n"
	"  case 'down': return 'M' + x + ' ' + (y + r * 1.2) + 'l' + r * 1.1 + ' ' + (-r * 2) + 'h' + (-r * 2.2) + 'z';\n"
	"  case 'diamond': return 'M' + x + ' ' + (y - r * 1.3) + 'l' + r * 1.3 + ' ' + r * 1.3 + 'l' + (-r * 1.3) + ' ' + r * 1.3 + 'l' + (-r * 1.3) + ' ' + (-r * 1.3) + 'z';\n"
	"  case 'square': return 'M' + (x - r) + ' ' + (y - r) + 'h' + 2 * r + 'v' + 2 * r + 'h' + (-2 * r) + 'z';\n"
	"  default: /* cross */\n"
	"    var a = r * 1.1, w = r * 0.45;\n"
	"    return 'M' + (x - a) + ' ' + (y - a + w) + 'l' + w + ' ' + (-w) + 'l' + (a - w) + ' ' + (a - w) + 'l' + (a - w) + ' ' + (w - a) +\n"
	"      'l' + w + ' ' + w + 'l' + (w - a) + ' ' + (a - w) + 'l' + (a - w) + ' ' + (a - w) + 'l' + (-w) + ' ' + w +\n"
	"      'l' + (w - a) + ' ' + (w - a) + 'l' + (w - a) + ' ' + (a - w) + 'l' + (-w) + ' ' + (-w) + 'l' + (a - w) + ' ' + (w - a) + 'z';\n"
	"  }\n"
	"}\n"
	"\n"
	"/* ---- per-mm series -------------------------------------------------------- */\n"
	"/* E[i][m] = the entry of mm m at step i (or undefined) */\n"
	"var E = STEPS.map(function (st) { var o = {}; st.m.forEach(function (e) { o[e[0]] = e; }); return o; });\n"
	"var firstSeen = MMS.map(function () { return -1; }), freedAt = MMS.map(function () { return -1; });\n"
	"var ymax = 1;\n"
	"E.forEach(function (o, i) {\n"
	"  for (var k in o) {\n"
	"    var e = o[k], m = +k;\n"
	"    if (firstSeen[m] < 0) firstSeen[m] = i;\n"
	"    if (e[3] & 1) { if (freedAt[m] < 0) freedAt[m] = i; }\n"
	"    else ymax = Math.max(ymax, e[1], e[2]);\n"
	"  }\n"
	"});\n"
	"var shown = MMS.map(function (id, m) { return firstSeen[m] >= 0; });\n"
	"var hidden = {};\n"
	"\n"
	"/* ---- the timeline --------------------------------------------------------- */\n"
	"var TL = { svg: $('timeline'), w: 0, h: 250, l: 34, r: 12, t: 12, b: 26 };\n"
	"function bw() { return (TL.w - TL.l - TL.r) / Math.max(N, 1); }\n"
	"function xs(i) { return TL.l + i * bw(); }\n"
	"function ys(v) { return TL.t + (TL.h - TL.t - TL.b) * (1 - v / (ymax + 0.5)); }\n"
	"function niceStep(range, n) {\n"
	"  var s = Math.pow(10, Math.floor(Math.log10(Math.max(range / n, 1)))), c = [1, 2, 5, 10];\n"
	"  for (var i = 0; i < c.length; i++) if (range / (s * c[i]) <= n) return s * c[i];\n"
	"  return s * 10;\n"
	"}\n"
	"function mmOffset(m) { var r = 0; for (var j = 0; j < m; j++) if (shown[j]) r++; return ((r % 5) - 2) * 0.9; }\n"
	"\n"
	"function drawTimeline() {\n"
	"  var svg = TL.svg;\n"
	"  clear(svg);\n"
	"  TL.w = Math.max(svg.getBoundingClientRect().width || 0, 300);\n"
	"  svg.setAttribute('viewBox', '0 0 ' + TL.w + ' ' + TL.h);\n"
	"  svg.setAttribute('data-steps', N);\n"
	"  var g = sv('g');\n"
	"  svg.appendChild(g);\n"
	"  /* grid, axes */\n"
	"  var ystep = niceStep(ymax, 6);\n"
	"  for (var v = 0; v <= ymax; v += ystep) {\n"
	"    g.appendChild(sv('line', { 'class': 'grid', x1: TL.l, x2: TL.w - TL.r, y1: ys(v), y2: ys(v) }));\n"
	"    g.appendChild(sv('text', { x: TL.l - 6, y: ys(v) + 4, 'text-anchor': 'end' }, String(v)));\n"
	"  }\n"
	"  g.appendChild(sv('line', { 'class': 'axis', x1: TL.l, x2: TL.w - TL.r, y1: ys(0) + 6, y2: ys(0) + 6 }));\n"
	"  var xstep = niceStep(N, Math.max(2, Math.floor((TL.w - TL.l) / 70)));\n"
	"  for (var i = 0; i < N; i += xstep) {\n"
	"    var x = xs(i) + bw() / 2;\n"
	"    g.appendChild(sv('line', { 'class': 'axis', x1: x, x2: x, y1: ys(0) + 6, y2: ys(0) + 10 }));\n"
	"    g.appendChild(sv('text', { x: x, y: TL.h - 6, 'text-anchor': 'middle' }, String(i + 1)));\n"
	"  }\n"
	"  /* cursor band below the lines */\n"
	"  TL.band = sv('rect', { 'class': 'cursor-band', y: TL.t - 4, height: ys(0) - TL.t + 10 });\n"
	"  g.appendChild(TL.band);\n"
	"  /* one polyline per series: a staircase, each step a band of width bw */\n"
	"  var nseries = 0, nmk = 0, B = bw();\n"
	"  MMS.forEach(function (id, m) {\n"
	"    if (!shown[m] || hidden[m]) return;\n"
	"    var off = mmOffset(m), pu = [], pc = [];\n"
	"    for (var i = 0; i < N; i++) {\n"
	"      var e = E[i][m];\n"
	"      if (!e) continue;\n"
	"      var f = e[3] & 1, u = f ? 0 : e[1], c = f ? 0 : e[2];\n"
	"      var x0 = (xs(i)).toFixed(1), x1 = (xs(i) + B).toFixed(1);\n"
	"      var yu = (ys(u) - 1.6 + off).toFixed(1), yc = (ys(c) + 1.6 + off).toFixed(1);\n"
	"      pu.push(x0 + ',' + yu, x1 + ',' + yu);\n"
	"      pc.push(x0 + ',' + yc, x1 + ',' + yc);\n"
	"      if (f) break;\n"
	"    }\n"
	"    var col = mmColor(m);\n"
	"    var a = sv('polyline', { 'class': 'users', stroke: col, points: pu.join(' '), 'data-mm': id, 'data-series': 'users' });\n"
	"    a.appendChild(sv('title', null, id + ' mm_users'));\n"
	"    var b = sv('polyline', { 'class': 'count', stroke: col, points: pc.join(' '), 'data-mm': id, 'data-series': 'count' });\n"
	"    b.appendChild(sv('title', null, id + ' mm_count'));\n"
	"    g.appendChild(b);\n"
	"    g.appendChild(a);\n"
	"    nseries += 2;\n"
	"  });\n"
	"  /* event markers: one element each when there are few, one path per kind when many */\n"
	"  var marks = [];\n"
	"  STEPS.forEach(function (st, i) {\n"
	"    st.ev.forEach(function (ev) {\n"
	"      var m = ev[0], k = EVK[ev[1]], e = E[i][m];\n"
	"      if (!k || hidden[m] || !shown[m]) return;\n"
	"      var v = 0;\n"
	"      if (e && !(e[3] & 1)) v = k.on === 'u' ? e[1] : e[2];\n"
	"      var y = ys(v) + (k.on === 'u' ? -1.6 : 1.6) + mmOffset(m);\n"
	"      marks.push([i, m, ev[1], xs(i) + B / 2, y]);\n"
	"    });\n"
	"  });\n"
	"  nmk = marks.length;\n"
	"  var r = Math.max(2.2, Math.min(4.5, B / 2.5));\n"
	"  if (marks.length <= 2500) {\n"
	"    marks.forEach(function (mk) {\n"
	"      var k = EVK[mk[2]];\n"
	"      var p = sv('path', { 'class': 'mk', d: shapePath(k.shape, mk[3], mk[4], r), fill: k.c, 'data-kind': mk[2], 'data-mm': MMS[mk[1]] });\n"
	"      p.appendChild(sv('title', null, 'step ' + (mk[0] + 1) + ': ' + MMS[mk[1]] + ' ' + k.txt + '\\n' + STEPS[mk[0]].cmd));\n"
	"      g.appendChild(p);\n"
	"    });\n"
	"  } else {\n"
	"    var byk = {};\n"
	"    marks.forEach(function (mk) { (byk[mk[2]] = byk[mk[2]] || []).push(shapePath(EVK[mk[2]].shape, mk[3], mk[4], r)); });\n"
	"    for (var kk in byk) g.appendChild(sv('path', { 'class': 'mk', d: byk[kk].join(''), fill: EVK[kk].c, 'data-kind': kk }));\n"
	"  }\n"
	"  TL.cursor = sv('line', { 'class': 'cursor', y1: TL.t - 4, y2: ys(0) + 6 });\n"
	"  g.appendChild(TL.cursor);\n"
	"  svg.setAttribute('data-series', nseries);\n"
	"  svg.setAttribute('data-markers', nmk);\n"
	"  placeCursor();\n"
	"}\n"
	"function placeCursor() {\n"
	"  if (!TL.cursor) return;\n"
	"  var x = xs(cur) + bw() / 2;\n"
	"  TL.cursor.setAttribute('x1', x); TL.cursor.setAttribute('x2', x);\n"
	"  TL.band.setAttribute('x', xs(cur)); TL.band.setAttribute('width', Math.max(bw(), 1));\n"
	"}\n"
	"function stepAt(evt) {\n"
	"  var rc = TL.svg.getBoundingClientRect();\n"
	"  var x = (evt.clientX - rc.left) * TL.w / rc.width;\n"
	"  return Math.max(0, Math.min(N - 1, Math.floor((x - TL.l) / bw())));\n"
	"}\n"
	"var dragging = false;\n"
	"TL.svg.addEventListener('mousedown', function (e) { dragging = true; select(stepAt(e)); e.preventDefault(); });\n"
	"window.addEventListener('mouseup', function () { dragging = false; });\n"
	"TL.svg.addEventListener('mousemove', function (e) {\n"
	"  var i = stepAt(e);\n"
	"  if (dragging) select(i);\n"
	"  var st = STEPS[i], lines = ['step ' + (i + 1) + '  ' + st.cmd + (st.res ? '  => ' + st.res : '')];\n"
	"  MMS.forEach(function (id, m) {\n"
	"    var x = E[i][m];\n"
	"    if (!x || hidden[m]) return;\n"
	"    lines.push('  ' + id + (x[3] & 1 ? '  freed' : '  users ' + x[1] + '  count ' + x[2]));\n"
	"  });\n"
	"  var tip = $('tip');\n"
	"  tip.textContent = lines.join('\\n');\n"
	"  tip.style.display = 'block';\n"
	"  var tx = e.clientX + 14, ty = e.clientY + 14;\n"
	"  if (tx + 320 > window.innerWidth) tx = e.clientX - 330;\n"
	"  tip.style.left = tx + 'px'; tip.style.top = ty + 'px';\n"
	"});\n"
	"TL.svg.addEventListener('mouseleave', function () { $('tip').style.display = 'none'; });\n"
	"\n"
	"function drawLegend() {\n"
	"  var lg = $('legend');\n"
	"  clear(lg);\n"
	"  MMS.forEach(function (id, m) {\n"
	"    if (!shown[m]) return;\n"
	"    var col = mmColor(m);\n"
	"    var s = el('span', { 'class': 'lg' + (hidden[m] ? ' off' : ''), 'data-mm': id, title: 'show or hide ' + id });\n"
	"    var ic = sv('svg', { width: 30, height: 12 });\n"
	"    ic.appendChild(sv('line', { x1: 1, x2: 13, y1: 6, y2: 6, stroke: col, 'stroke-width': 2.5 }));\n"
	"    ic.appendChild(sv('line', { x1: 17, x2: 29, y1: 6, y2: 6, stroke: col, 'stroke-width': 2, 'stroke-dasharray': '4 2' }));\n"
	"    s.appendChild(ic);\n"
	"    s.appendChild(document.createTextNode(id + (id === 'mm0' ? ' (init_mm)' : '')));\n"
	"    s.addEventListener('click', function () { hidden[m] = !hidden[m]; drawLegend(); drawTimeline(); });\n"
	"    lg.appendChild(s);\n"
	"  });\n"
	"  var el2 = $('ev-legend');\n"
	"  if (el2.firstChild) return;\n"
	"  var seen = {};\n"
	"  STEPS.forEach(function (st) { st.ev.forEach(function (e) { seen[e[1]] = 1; }); });\n"
	"  for (var k in EVK) {\n"
	"    if (!seen[k]) continue;\n"
	"    var s2 = el('span', { 'class': 'lg', style: 'cursor:default' });\n"
	"    var ic2 = sv('svg', { width: 12, height: 12 });\n"
	"    ic2.appendChild(sv('path', { d: shapePath(EVK[k].shape, 6, 6, 4), fill: EVK[k].c }));\n"
	"    s2.appendChild(ic2);\n"
	"    s2.appendChild(document.createTextNode(EVK[k].txt));\n"
	"    el2.appendChild(s2);\n"
	"  }\n"
	"}\n"
	"\n"
	"/* ---- the step, the table -------------------------------------------------- */\n"
	"var USERS_F = { mmget: 1, mmget_not_zero: 1, mmput: 1, mmput_async: 1 };\n"
	"var COUNT_F = { mmgrab: 1, mmdrop: 1, finish_task_switch: 1 };\n"
	"function traceChip(tok) {\n"
	"  var f = tok.replace(/\\(.*$/, ''), c = 'chip';\n"
	"  if (f === '__mmput') c += ' teardown';\n"
	"  else if (f === '__mmdrop' || f === 'free_mm') c += ' free';\n"
	"  else if (USERS_F[f]) c += ' users';\n"
	"  else if (COUNT_F[f]) c += ' count';\n"
	"  var t = {\n"
	"    mmget: 'mm_users + 1', mmget_not_zero: 'mm_users + 1 unless it is 0', mmput: 'mm_users - 1', mmput_async: 'mm_users - 1 (deferred)',\n"
	"    mmgrab: 'mm_count + 1', mmdrop: 'mm_count - 1', __mmput: 'the last user is gone: tear down the address space, then mmdrop',\n"
	"    __mmdrop: 'the last reference is gone', free_mm: 'back to mm_cachep', exit_mm: 'the task leaves its mm',\n"
	"    mm_alloc: 'a new mm: users 1, count 1', dup_mm: 'fork copies the address space', switch_mm: 'load the page tables',\n"
	"    finish_task_switch: 'drop the previous lazy mm', exec_mmap: 'exec installs a new mm', kthread_use_mm: 'a kernel thread adopts the mm',\n"
	"    kthread_unuse_mm: 'the kernel thread gives it back', try_to_unuse: 'swapoff works on this mm', mm_release: 'wakes a vfork parent'\n"
	"  }[f];\n"
	"  return el('span', { 'class': c, title: t || f }, tok);\n"
	"}\n"
	"function parseCpus(s) {\n"
	"  var out = [], re = /\\[(\\d+)\\]\\s+(\\S+)\\/(\\S+)/g, m;\n"
	"  while ((m = re.exec(s))) out.push({ cpu: +m[1], task: m[2], mm: m[3] });\n"
	"  return out;\n"
	"}\n"
	"function names(s) { return s ? s.split(',') : []; }\n"
	"\n"
	"function drawStep() {\n"
	"  var st = STEPS[cur], info = $('step-info');\n"
	"  clear(info);\n"
	"  info.setAttribute('data-steps', N);\n"
	"  info.setAttribute('data-step', cur + 1);\n"
	"  info.setAttribute('data-line', st.line);\n"
	"  var meta = el('div', { 'class': 'meta' }, 'step ' + (cur + 1) + ' of ' + N + ' \\u00b7 ' + (D.title || '') + ' line ' + st.line +\n"
	"    '');\n"
	"  info.appendChild(meta);\n"
	"  var l1 = el('div');\n"
	"  l1.appendChild(el('code', { 'class': 'cmd', id: 'step-cmd' }, st.cmd));\n"
	"  if (st.res) l1.appendChild(el('span', { 'class': 'res', id: 'step-res' }, '\\u21d2 ' + st.res));\n"
	"  info.appendChild(l1);\n"
	"  if (st.ev.length) {\n"
	"    var r0 = el('div', { 'class': 'row' });\n"
	"    r0.appendChild(el('span', { 'class': 'lbl' }, 'events'));\n"
	"    var ch0 = el('div', { 'class': 'chips' });\n"
	"    st.ev.forEach(function (e) {\n"
	"      var k = EVK[e[1]] || { c: '#666', txt: e[1] };\n"
	"      ch0.appendChild(el('span', { 'class': 'badge', style: 'background:' + k.c, 'data-kind': e[1] }, MMS[e[0]] + ': ' + k.txt));\n"
	"    });\n"
	"    r0.appendChild(ch0);\n"
	"    info.appendChild(r0);\n"
	"  }\n"
	"  var r1 = el('div', { 'class': 'row' });\n"
	"  r1.appendChild(el('span', { 'class': 'lbl' }, 'kernel'));\n"
	"  var ch = el('div', { 'class': 'chips', id: 'step-trace' });\n"
	"  var toks = st.trace ? st.trace.split(' ') : [];\n"
	"  if (!toks.length) ch.appendChild(el('span', { 'class': 'none' }, 'no mm reference changed hands'));\n"
	"  toks.forEach(function (t) { ch.appendChild(traceChip(t)); });\n"
	"  r1.appendChild(ch);\n"
	"  info.appendChild(r1);\n"
	"  var cpus = parseCpus(S[st.cpus]);\n"
	"  if (cpus.length || S[st.cpus]) {\n"
	"    var r2 = el('div', { 'class': 'row' });\n"
	"    r2.appendChild(el('span', { 'class': 'lbl' }, 'CPUs'));\n"
	"    var ch2 = el('div', { 'class': 'chips' });\n"
	"    if (!cpus.length) ch2.appendChild(el('span', { 'class': 'chip' }, S[st.cpus]));\n"
	"    cpus.forEach(function (c) {\n"
	"      ch2.appendChild(el('span', { 'class': 'chip cpu', title: 'CPU ' + c.cpu + ' runs ' + c.task + '; active_mm ' + c.mm }, c.cpu + ': ' + c.task + ' \\u2192 ' + c.mm));\n"
	"    });\n"
	"    r2.appendChild(ch2);\n"
	"    info.appendChild(r2);\n"
	"  }\n"
	"  drawTable(cpus);\n"
	"}\n"
	"\n"
	"function drawTable(cpus) {\n"
	"  var t = $('mm-table'), prev = cur > 0 ? E[cur - 1] : {};\n"
	"  clear(t);\n"
	"  var head = el('tr');\n"
	"  ['mm', 'mm_users', 'mm_count', 'state', 'tasks', 'on CPU', 'lazy', 'outside'].forEach(function (h, i) {\n"
	"    var th = el('th', null, h);\n"
	"    if (i === 1) th.title = 'real users: the tasks that own it, plus outside mmget pins';\n"
	"    if (i === 2) th.title = 'references to the struct: 1 for all the users together, plus each lazy borrower and mmgrab';\n"
	"    if (i === 4) th.title = 'tasks whose mm it is (task->mm)';\n"
	"    if (i === 5) th.title = 'CPUs whose active_mm it is, and what they run';\n"
	"    if (i === 6) th.title = 'lazy borrowers: task->active_mm is this mm but task->mm is not (kernel threads, idle CPUs, exited tasks)';\n"
	"    if (i === 7) th.title = 'references held from outside the tasks: get/grab pins, the swapoff walk';\n"
	"    head.appendChild(th);\n"
	"  });\n"
	"  var thead = el('thead'); thead.appendChild(head); t.appendChild(thead);\n"
	"  var tb = el('tbody');\n"
	"  var st = STEPS[cur], rows = st.m.slice();\n"
	"  var nfreed = rows.filter(function (e) { return e[3] & 1; }).length;\n"
	"  rows.sort(function (a, b) { return (a[3] & 1) - (b[3] & 1) || a[0] - b[0]; });\n"
	"  var hiddenFreed = [];\n"
	"  rows.forEach(function (e) {\n"
	"    var m = e[0], id = MMS[m], freed = !!(e[3] & 1), p = prev[m];\n"
	"    var justFreed = freed && (!p || !(p[3] & 1));\n"
	"    if (freed && nfreed > 8 && !justFreed && id !== 'mm1') { hiddenFreed.push(id); return; }\n"
	"    var tr = el('tr', { 'data-mm': id, 'data-users': freed ? 0 : e[1], 'data-count': freed ? 0 : e[2], 'data-freed': freed ? 1 : 0,\n"
	"      'class': freed ? 'freed' : '' });\n"
	"    var c0 = el('td', { 'class': 'mmid' });\n"
	"    c0.appendChild(el('span', { 'class': 'sw', style: 'background:' + mmColor(m) }));\n"
	"    c0.appendChild(document.createTextNode(id));\n"
	"    tr.appendChild(c0);\n"
	"    function num(v, pv) {\n"
	"      var td = el('td', { 'class': 'num' }, freed ? '\\u2013' : String(v));\n"
	"      if (p && !freed && pv !== v) { td.className += ' chg'; td.title = 'was ' + pv; }\n"
	"      else if (!p && !freed) td.className += ' chg';\n"
	"      return td;\n"
	"    }\n"
	"    tr.appendChild(num(e[1], p && !(p[3] & 1) ? p[1] : undefined));\n"
	"    tr.appendChild(num(e[2], p && !(p[3] & 1) ? p[2] : undefined));\n"
	"    var sc = el('td'), state;\n"
	"    if (freed) state = el('span', { 'class': 'state freed', title: '__mmdrop returned it to mm_cachep' }, 'freed');\n"
	"    else if (e[1] === 0) state = el('span', { 'class': 'state dead', title: 'mm_users is 0: __mmput tore the address space down; only mm_count keeps the struct' }, 'torn down');\n"
	"    else state = el('span', { 'class': 'state live' }, (e[3] & 2) ? 'live, on mmlist' : 'live');\n"
	"    sc.appendChild(state);\n"
	"    if (p && (p[3] & 1) !== (e[3] & 1) || p && !(p[3] & 1) && !freed && (p[1] === 0) !== (e[1] === 0) || !p) sc.className = 'chg';\n"
	"    tr.appendChild(sc);\n"
	"    function txt(si, pi) {\n"
	"      var s = S[si], td = el('td', { 'class': 'names' }, (s || '').replace(/,(?! )/g, ', '));\n"
	"      if (p && pi !== si) td.className += ' chg';\n"
	"      return td;\n"
	"    }\n"
	"    tr.appendChild(txt(e[4], p && p[4]));\n"
	"    var oncpu = cpus.filter(function (c) { return c.mm === id; }).map(function (c) {\n"
	"      var lazy = names(S[e[5]]).indexOf(c.task) >= 0 || c.task === 'idle';\n"
	"      return c.cpu + ': ' + c.task + (lazy ? ' (lazy)' : '');\n"
	"    });\n"
	"    var tdc = el('td', { 'class': 'names' });\n"
	"    oncpu.forEach(function (s, j) { tdc.appendChild(el('span', { style: 'white-space:nowrap' }, s + (j < oncpu.length - 1 ? ',' : ''))); tdc.appendChild(document.createTextNode(' ')); });\n"
	"    tr.appendChild(tdc);\n"
	"    tr.appendChild(txt(e[5], p && p[5]));\n"
	"    tr.appendChild(txt(e[6], p && p[6]));\n"
	"    tb.appendChild(tr);\n"
	"  });\n"
	"  if (hiddenFreed.length) {\n"
	"    var tr2 = el('tr', { 'class': 'gone' });\n"
	"    tr2.appendChild(el('td', { colspan: 8 }, hiddenFreed.length + ' freed earlier: ' + hiddenFreed.join(' ')));\n"
	"    tb.appendChild(tr2);\n"
	"  }\n"
	"  t.appendChild(tb);\n"
	"}\n"
	"\n"
	"/* ---- the address space ---------------------------------------------------- */\n"
	"var mapsCache = {}, mapsCacheN = 0;\n"
	"function mapsLines(v) {\n"
	"  if (v < 0) return null;\n"
	"  if (mapsCache[v]) return mapsCache[v];\n"
	"  var x = D.maps[v], out;\n"
	"  if (x[0] < 0) out = x[3];\n"
	"  else {\n"
	"    var b = mapsLines(x[0]);\n"
	"    out = b.slice(0, x[1]).concat(x[3], b.slice(x[1] + x[2]));\n"
	"  }\n"
	"  if (++mapsCacheN > 400) { mapsCache = {}; mapsCacheN = 0; }\n"
	"  mapsCache[v] = out;\n"
	"  return out;\n"
	"}\n"
	"var MAPRE = /^([0-9a-fA-F]+)-([0-9a-fA-F]+)\\s+(\\S+)\\s+([0-9a-fA-F]+)\\s+(\\S+)\\s+(\\d+)\\s*(.*)$/;\n"
	"function parseVma(line) {\n"
	"  var m = MAPRE.exec(line);\n"
	"  if (!m) return null;\n"
	"  var start = BigInt('0x' + m[1]), end = BigInt('0x' + m[2]), path = m[7] || '', kind;\n"
	"  if (path === '[heap]') kind = 'heap';\n"
	"  else if (/^\\[stack/.test(path)) kind = 'stack';\n"
	"  else if (path === '' || /^\\[anon/.test(path)) kind = 'anon';\n"
	"  else if (path[0] === '[') kind = 'special';\n"
	"  else kind = 'file';\n"
	"  return { start: start, end: end, size: Number(end - start), perm: m[3], off: m[4], path: path, kind: kind, line: line };\n"
	"}\n"
	"var KIND = {\n"
	"  file: { c: '#4e79a7', txt: 'file' }, anon: { c: '#59a14f', txt: 'anonymous' }, heap: { c: '#f28e2b', txt: 'heap' },\n"
	"  stack: { c: '#b07aa1', txt: 'stack' }, special: { c: '#9c755f', txt: 'special (vdso, vvar, vsyscall)' }\n"
	"};\n"
	"function human(n) {\n"
	"  var u = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'], i = 0;\n"
	"  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }\n"
	"  return (i && n < 10 ? n.toFixed(1).replace(/\\.0$/, '') : Math.round(n)) + ' ' + u[i];\n"
	"}\n"
	"function hex(b) { return b.toString(16); }\n"
	"\n"
	"function drawAsLegend() {\n"
	"  var lg = $('as-legend');\n"
	"  for (var k in KIND) {\n"
	"    var s = el('span');\n"
	"    s.appendChild(el('span', { 'class': 'sw2', style: 'background:' + KIND[k].c }));\n"
	"    s.appendChild(document.createTextNode(KIND[k].txt));\n"
	"    lg.appendChild(s);\n"
	"  }\n"
	"  [['pale', 'read-only', 'background:#4e79a7;opacity:.45'], ['stripe', 'executable', 'background:linear-gradient(90deg,#1d232b 0 4px,#4e79a7 4px)'],\n"
	"   ['hatched', 'no access (PROT_NONE)', 'background:repeating-linear-gradient(45deg,#8a939e 0 2px,#fff 2px 5px)'],\n"
	"   ['dashed', 'shared', 'background:#fff;border:1.5px dashed #1d232b'], ['red', 'new or changed at this step', 'background:#fff;border:2px solid #d62728']].forEach(function (x) {\n"
	"    var s = el('span');\n"
	"    s.appendChild(el('span', { 'class': 'sw2', style: x[2] }));\n"
	"    s.appendChild(document.createTextNode(x[1]));\n"
	"    lg.appendChild(s);\n"
	"  });\n"
	"}\n"
	"\n"
	"var asChoice = -1, asManual = false;\n"
	"function fillSelect() {\n"
	"  var sel = $('mm-select'), st = STEPS[cur], pst = cur > 0 ? E[cur - 1] : {};\n"
	"  var opts = st.m.filter(function (e) { return !(e[3] & 1); }).sort(function (a, b) { return a[0] - b[0]; });\n"
	"  var withMaps = opts.filter(function (e) { return e[7] >= 0; });\n"
	"  if (!asManual || !E[cur][asChoice] || (E[cur][asChoice][3] & 1)) {\n"
	"    /* follow the mm whose address space this step changed, else keep, else the first with maps */\n"
	"    var changed = withMaps.filter(function (e) { var p = pst[e[0]]; return !p || p[7] !== e[7]; });\n"
	"    if (changed.length && (!E[cur][asChoice] || E[cur][asChoice][7] === (pst[asChoice] || [])[7])) asChoice = changed[0][0];\n"
	"    else if (!E[cur][asChoice] || (E[cur][asChoice][3] & 1) || E[cur][asChoice][7] < 0) asChoice = withMaps.length ? withMaps[0][0] : (opts.length ? opts[0][0] : -1);\n"
	"  }\n"
	"  clear(sel);\n"
	"  opts.forEach(function (e) {\n"
	"    var lines = mapsLines(e[7]), nv = lines ? lines.filter(function (id) { return MAPRE.test(S[id]); }).length : 0;\n"
	"    var o = el('option', { value: e[0] }, MMS[e[0]] + (S[e[4]] ? ' (' + S[e[4]].replace(/,/g, ', ') + ')' : '') + ' \\u00b7 ' + (lines ? nv + ' VMA' + (nv === 1 ? '' : 's') : 'no VMAs'));\n"
	"    if (e[0] === asChoice) o.selected = true;\n"
	"    sel.appendChild(o);\n"
	"  });\n"
	"}\n"
	"$('mm-select').addEventListener('change', function () { asChoice = +this.value; asManual = true; drawAddr(); });\n"
	"\n"
	"function drawAddr() {\n"
	"  var box = $('addr-space'), sum = $('as-summary');\n"
	"  clear(box);\n"
	"  var e = E[cur][asChoice];\n"
	"  box.setAttribute('data-mm', asChoice >= 0 ? MMS[asChoice] : '');\n"
	"  if (!e || e[7] < 0) {\n"
	"    box.setAttribute('data-vmas', 0);\n"
	"    sum.textContent = '';\n"
	"    var why = !e ? 'No mm at this step.' : MMS[asChoice] === 'mm0' ? 'init_mm: the kernel\\u2019s own page tables, no user VMAs.' :\n"
	"      e[1] === 0 ? MMS[asChoice] + ' has mm_users 0: __mmput already tore its address space down.' : 'No maps recorded for ' + MMS[asChoice] + ' at this step.';\n"
	"    box.appendChild(el('p', { 'class': 'none' }, why));\n"
	"    return;\n"
	"  }\n"
	"  var lines = mapsLines(e[7]), vmas = [];\n"
	"  lines.forEach(function (id) { var v = parseVma(S[id]); if (v) { v.sid = id; vmas.push(v); } });\n"
	"  var p = cur > 0 ? E[cur - 1][asChoice] : null, old = {};\n"
	"  if (p && p[7] >= 0 && p[7] !== e[7]) mapsLines(p[7]).forEach(function (l) { old[l] = 1; });\n"
	"  var fresh = p && p[7] >= 0 && p[7] !== e[7];\n"
	"  box.setAttribute('data-vmas', vmas.length);\n"
	"  var total = 0; vmas.forEach(function (v) { total += v.size; });\n"
	"  sum.textContent = MMS[asChoice] + ': ' + vmas.length + ' VMA' + (vmas.length === 1 ? '' : 's') + ', ' + human(total) + ' mapped' +\n"
	"    (fresh ? ' \\u00b7 changed at this step' : '');\n"
	"  if (!vmas.length) { box.appendChild(el('p', { 'class': 'none' }, 'An empty address space.')); return; }\n"
	"  vmas.sort(function (a, b) { return a.start < b.start ? 1 : a.start > b.start ? -1 : 0; });   /* high addresses first */\n"
	"  var W = Math.max(box.clientWidth - 4, 420), AX = 0, BX = 122, BW = 118, TX = BX + BW + 10;\n"
	"  var GAP_BREAK = 1024 * 1024, rows = [], y = 6;\n"
	"  vmas.forEach(function (v, i) {\n"
	"    if (i > 0) {\n"
	"      var gap = Number(vmas[i - 1].start - v.end);\n"
	"      if (gap > GAP_BREAK) { rows.push({ gap: gap, y: y, h: 22 }); y += 22; }\n"
	"      else if (gap > 0) { var gh = Math.min(10, 3 + Math.log2(gap / 4096)); rows.push({ gap: gap, y: y, h: gh, small: true }); y += gh; }\n"
	"    }\n"
	"    var h = Math.round(Math.max(18, Math.min(64, 14 + 4.5 * Math.log2(Math.max(v.size / 4096, 1)))));\n"
	"    rows.push({ v: v, y: y, h: h });\n"
	"    y += h;\n"
	"  });\n"
	"  var svg = sv('svg', { width: W, height: y + 8, viewBox: '0 0 ' + W + ' ' + (y + 8) });\n"
	"  var defs = sv('defs'), pat = sv('pattern', { id: 'hatch', width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' });\n"
	"  pat.appendChild(sv('rect', { width: 6, height: 6, fill: '#fff' }));\n"
	"  pat.appendChild(sv('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#8a939e', 'stroke-width': 3 }));\n"
	"  defs.appendChild(pat); svg.appendChild(defs);\n"
	"  var maxText = Math.floor((W - TX) / 6.7);\n"
	"  rows.forEach(function (r, ri) {\n"
	"    if (r.gap) {\n"
	"      if (r.small) return;\n"
	"      var g0 = sv('g', { 'class': 'gapbreak' });\n"
	"      var zz = 'M' + BX + ' ' + (r.y + 8);\n"
	"      for (var x = BX; x < BX + BW; x += 8) zz += 'L' + (x + 4) + ' ' + (r.y + 4) + 'L' + (x + 8) + ' ' + (r.y + 8);\n"
	"      g0.appendChild(sv('path', { d: zz, fill: 'none', stroke: '#aab3bf' }));\n"
	"      g0.appendChild(sv('path', { d: zz.replace(/(\\d+(?:\\.\\d+)?) (\\d+(?:\\.\\d+)?)/g, function (a, xx, yy) { return xx + ' ' + (+yy + 8); }), fill: 'none', stroke: '#aab3bf' }));\n"
	"      g0.appendChild(sv('text', { 'class': 'gap', x: TX, y: r.y + 15 }, '\\u2026 gap of ' + human(r.gap) + ' \\u2026'));\n"
	"      svg.appendChild(g0);\n"
	"      return;\n"
	"    }\n"
	"    var v = r.v, k = KIND[v.kind], ro = v.perm[1] !== 'w', none = v.perm.slice(0, 3) === '---', ex = v.perm[2] === 'x', shared = v.perm[3] === 's';\n"
	"    var isNew = fresh && !old[v.sid];\n"
	"    var g = sv('g', { 'class': 'vma' + (isNew ? ' new' : ''), 'data-kind': v.kind, 'data-perm': v.perm });\n"
	"    g.appendChild(sv('title', null, v.line + '\\n' + human(v.size) + ' \\u00b7 ' + k.txt + (isNew ? ' \\u00b7 new or changed at this step' : '')));\n"
	"    var body = sv('rect', { 'class': 'body', x: BX, y: r.y + 0.5, width: BW, height: r.h - 1, rx: 2,\n"
	"      fill: none ? 'url(#hatch)' : k.c, 'fill-opacity': none ? 1 : ro ? 0.42 : 0.9, stroke: shared ? '#1d232b' : '#fff' });\n"
	"    if (shared) body.setAttribute('stroke-dasharray', '4 2');\n"
	"    g.appendChild(body);\n"
	"    if (ex) g.appendChild(sv('rect', { x: BX, y: r.y + 0.5, width: 5, height: r.h - 1, fill: '#1d232b' }));\n"
	"    var cy = r.y + r.h / 2 + 4;\n"
	"    g.appendChild(sv('text', { 'class': 'addr', x: BX - 8, y: r.y + 11, 'text-anchor': 'end' }, hex(v.end)));\n"
	"    var nx = rows[ri + 1];\n"
	"    if (r.h >= 30 && (!nx || nx.gap)) g.appendChild(sv('text', { 'class': 'addr', x: BX - 8, y: r.y + r.h - 4, 'text-anchor': 'end' }, hex(v.start)));\n"
	"    g.appendChild(sv('text', { x: BX + BW / 2, y: cy, 'text-anchor': 'middle', style: 'fill:' + (none || ro ? '#1d232b' : '#fff') }, v.perm));\n"
	"    var label = human(v.size) + '  ' + (v.path || (v.kind === 'anon' ? 'anonymous' : ''));\n"
	"    if (label.length > maxText) label = label.slice(0, 12) + '\\u2026' + label.slice(label.length - (maxText - 13));\n"
	"    g.appendChild(sv('text', { x: TX, y: cy }, label));\n"
	"    if (isNew) g.appendChild(sv('text', { 'class': 'new', x: W - 4, y: cy, 'text-anchor': 'end' }, 'new'));\n"
	"    svg.appendChild(g);\n"
	"  });\n"
	"  box.appendChild(svg);\n"
	"}\n"
	"\n"
	"/* ---- selection ------------------------------------------------------------ */\n"
	"var cur = N - 1;\n"
	"function select(i) {\n"
	"  i = Math.max(0, Math.min(N - 1, i | 0));\n"
	"  if (i === cur && document.body.getAttribute('data-ready')) return;\n"
	"  cur = i;\n"
	"  render();\n"
	"  try { history.replaceState(null, '', '#step=' + (cur + 1)); } catch (err) { /* file: URLs may refuse */ }\n"
	"}\n"
	"function render() {\n"
	"  var sl = $('step-slider');\n"
	"  sl.value = cur;\n"
	"  $('step-label').textContent = 'step ' + (cur + 1) + ' / ' + N + '  line ' + STEPS[cur].line;\n"
	"  $('prev').disabled = cur <= 0;\n"
	"  $('next').disabled = cur >= N - 1;\n"
	"  placeCursor();\n"
	"  drawStep();\n"
	"  fillSelect();\n"
	"  drawAddr();\n"
	"}\n"
	"$('step-slider').addEventListener('input', function () { select(+this.value); });\n"
	"$('prev').addEventListener('click', function () { select(cur - 1); });\n"
	"$('next').addEventListener('click', function () { select(cur + 1); });\n"
	"document.addEventListener('keydown', function (e) {\n"
	"  var t = e.target;\n"
	"  if (t && (t.id === 'step-slider' || t.tagName === 'SELECT' || t.tagName === 'INPUT' || t.tagName === 'TEXTAREA')) return;\n"
	"  if (e.altKey || e.ctrlKey || e.metaKey) return;\n"
	"  var d = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -1, ArrowDown: 1, PageUp: -10, PageDown: 10 }[e.key];\n"
	"  if (d) select(cur + d);\n"
	"  else if (e.key === 'Home') select(0);\n"
	"  else if (e.key === 'End') select(N - 1);\n"
	"  else return;\n"
	"  e.preventDefault();\n"
	"});\n"
	"var rsz = 0;\n"
	"window.addEventListener('resize', function () { clearTimeout(rsz); rsz = setTimeout(function () { drawTimeline(); drawAddr(); }, 120); });\n"
	"\n"
	"/* ---- start ---------------------------------------------------------------- */\n"
	"if (!N) {\n"
	"  $('step-info').setAttribute('data-steps', 0);\n"
	"  $('step-info').appendChild(el('p', { 'class': 'none' }, 'The run has no steps.'));\n"
	"  document.body.setAttribute('data-ready', '1');\n"
	"  return;\n"
	"}\n"
	"var hm = /step=(\\d+)/.exec(location.hash);\n"
	"if (hm) cur = Math.max(0, Math.min(N - 1, +hm[1] - 1));\n"
	"$('step-slider').max = N - 1;\n"
	"var nalive = MMS.filter(function (id, m) { return firstSeen[m] >= 0; }).length;\n"
	"$('summary').textContent = N + ' step' + (N === 1 ? '' : 's') + ' \\u00b7 ' + nalive + ' mm' + (nalive === 1 ? '' : 's') + ' \\u00b7 ' +\n"
	"  D.maps.length + ' distinct address space' + (D.maps.length === 1 ? '' : 's');\n"
	"drawLegend();\n"
	"drawAsLegend();\n"
	"drawTimeline();\n"
	"render();\n"
	"document.body.setAttribute('data-ready', '1');\n"
	"document.body.setAttribute('data-steps', N);\n"
	"})();\n"
	"</script>\n"
	"</body>\n"
	"</html>\n",
};

int report_close(struct report *r)
{
	if (!r)
		return -EINVAL;
	int rc = 0;
	FILE *f = fopen(r->path, "w");
	if (!f) {
		rc = -errno;
		fprintf(stderr, "mmkit: %s: %s\n", r->path, strerror(errno));
		report_free(r);
		return rc;
	}
	fputs(page[0], f);
	html_text(f, r->title);
	fputs(page[1], f);
	html_text(f, r->title);
	fputs(page[2], f);
	write_data(r, f);
	fputs(page[3], f);
	if (ferror(f))
		rc = -(errno ? errno : EIO);
	if (fclose(f) != 0 && !rc)
		rc = -(errno ? errno : EIO);
	if (rc)
		fprintf(stderr, "mmkit: %s: %s\n", r->path, strerror(-rc));
	report_free(r);
	return rc;
}
