/* SPDX-License-Identifier: MIT */
/*
 * fuzz/model.h - a deliberately simple reference model of one address
 * space, shared by tests/test_model.c and fuzz/fuzz_api.c.
 *
 * The model is a sorted array of disjoint ranges, each with the attributes
 * that must hold whatever the library's placement and merging decide:
 * protection (rwx), shared, VM_DONTCOPY, VM_WIPEONFORK, VM_LOCKED. After
 * every call the library's VMA list (merged into maximal runs of equal
 * attributes) must equal the model, validate_mm() must pass, and calls the
 * model says must fail (EINVAL shapes, EFAULT/ENOMEM on unmapped ranges)
 * must fail with that errno. Where Linux legitimately may fail (ENOMEM for
 * lack of space, EFAULT for an mremap across two unmerged VMAs, brk
 * refused near another mapping) the model accepts the failure and demands
 * the state Linux leaves: unchanged, or - for mprotect/madvise/mlock over
 * a hole - changed up to the hole, as Linux 6.x does.
 *
 * The caller defines MODEL_FAIL(...) (print + abort) before including.
 */
#ifndef MMK_FUZZ_MODEL_H
#define MMK_FUZZ_MODEL_H

#include <mmkit/mmkit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PROT_SEM
#define PROT_SEM 0x8
#endif

#define MA_R 0x01u
#define MA_W 0x02u
#define MA_X 0x04u
#define MA_SHARED 0x08u
#define MA_DONTCOPY 0x10u
#define MA_WIPE 0x20u
#define MA_LOCKED 0x40u

struct mrange {
	unsigned long start, end;
	unsigned attr;
};

struct model {
	struct mrange *r;
	int n, cap;
};

static inline unsigned model_attr_of_vma(const struct vm_area_struct *v)
{
	unsigned a = 0;
	if (v->vm_flags & VM_READ) a |= MA_R;
	if (v->vm_flags & VM_WRITE) a |= MA_W;
	if (v->vm_flags & VM_EXEC) a |= MA_X;
	if (v->vm_flags & VM_SHARED) a |= MA_SHARED;
	if (v->vm_flags & VM_DONTCOPY) a |= MA_DONTCOPY;
	if (v->vm_flags & VM_WIPEONFORK) a |= MA_WIPE;
	if (v->vm_flags & VM_LOCKED) a |= MA_LOCKED;
	return a;
}

static inline void model_push(struct model *m, unsigned long s, unsigned long e, unsigned a)
{
	if (s >= e)
		return;
	if (m->n && m->r[m->n - 1].end == s && m->r[m->n - 1].attr == a) {
		m->r[m->n - 1].end = e;
		return;
	}
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 64;
		m->r = (struct mrange *)realloc(m->r, (size_t)m->cap * sizeof(*m->r));
		if (!m->r)
			abort();
	}
	m->r[m->n++] = (struct mrange){ s, e, a };
}

static inline void model_free(struct model *m)
{
	free(m->r);
	m->r = NULL;
	m->n = m->cap = 0;
}

static inline void model_copy(struct model *dst, const struct model *src)
{
	dst->n = 0;
	for (int i = 0; i < src->n; i++)
		model_push(dst, src->r[i].start, src->r[i].end, src->r[i].attr);
}

/* set [s, e) to @attr (@map false: unmap it); attr transform via and/or masks
 * applies to mapped parts only when @map is 2 */
static inline void model_update(struct model *m, unsigned long s, unsigned long e, int map, unsigned attr,
				unsigned andmask, unsigned ormask)
{
	struct model out = { 0 };
	int inserted = 0;
	for (int i = 0; i < m->n; i++) {
		struct mrange r = m->r[i];
		if (r.end <= s || r.start >= e) {
			if (map == 1 && !inserted && r.start >= e) {
				model_push(&out, s, e, attr);
				inserted = 1;
			}
			model_push(&out, r.start, r.end, r.attr);
			continue;
		}
		model_push(&out, r.start, s > r.start ? s : r.start, r.attr);
		if (map == 2) {
			unsigned long a = r.start > s ? r.start : s, b = r.end < e ? r.end : e;
			model_push(&out, a, b, (r.attr & andmask) | ormask);
		} else if (map == 1 && !inserted) {
			model_push(&out, s, e, attr);
			inserted = 1;
		}
		if (r.end > e) {
			if (map == 1 && !inserted) {
				model_push(&out, s, e, attr);
				inserted = 1;
			}
			model_push(&out, e, r.end, r.attr);
		}
	}
	if (map == 1 && !inserted)
		model_push(&out, s, e, attr);
	free(m->r);
	*m = out;
}

static inline void model_map(struct model *m, unsigned long s, unsigned long e, unsigned a)
{
	model_update(m, s, e, 1, a, 0, 0);
}
static inline void model_unmap(struct model *m, unsigned long s, unsigned long e)
{
	model_update(m, s, e, 0, 0, 0, 0);
}
static inline void model_modify(struct model *m, unsigned long s, unsigned long e, unsigned andmask, unsigned ormask)
{
	model_update(m, s, e, 2, 0, andmask, ormask);
}

/* the range containing @addr, or NULL */
static inline const struct mrange *model_find(const struct model *m, unsigned long addr)
{
	for (int i = 0; i < m->n; i++)
		if (m->r[i].start <= addr && addr < m->r[i].end)
			return &m->r[i];
	return NULL;
}

static inline bool model_any_mapped(const struct model *m, unsigned long s, unsigned long e)
{
	for (int i = 0; i < m->n; i++)
		if (m->r[i].start < e && m->r[i].end > s)
			return true;
	return false;
}

/* end of the fully mapped run that starts at @s (== s if s is unmapped), capped at @e */
static inline unsigned long model_mapped_prefix(const struct model *m, unsigned long s, unsigned long e)
{
	unsigned long at = s;
	for (int i = 0; i < m->n && at < e; i++) {
		if (m->r[i].end <= at)
			continue;
		if (m->r[i].start > at)
			break;
		at = m->r[i].end;
	}
	return at < e ? at : e;
}

/* is [s, e) one run of equal attributes (no hole, no attribute change)? */
static inline bool model_uniform(const struct model *m, unsigned long s, unsigned long e, unsigned *attr)
{
	const struct mrange *r = model_find(m, s);
	if (!r || r->end < e)
		return false;
	*attr = r->attr;
	return true;
}

/* the library's state as a model */
static inline void model_from_mm(struct model *out, struct mm_struct *mm)
{
	out->n = 0;
	for (struct vm_area_struct *v = mm->mmap; v; v = v->vm_next)
		model_push(out, v->vm_start, v->vm_end, model_attr_of_vma(v));
}

static inline bool model_equal(const struct model *a, const struct model *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++)
		if (a->r[i].start != b->r[i].start || a->r[i].end != b->r[i].end || a->r[i].attr != b->r[i].attr)
			return false;
	return true;
}

static inline void model_print(FILE *f, const char *title, const struct model *m)
{
	fprintf(f, "%s (%d ranges):\n", title, m->n);
	for (int i = 0; i < m->n; i++) {
		unsigned a = m->r[i].attr;
		fprintf(f, "  %012lx-%012lx %c%c%c%c%s%s%s\n", m->r[i].start, m->r[i].end, a & MA_R ? 'r' : '-',
			a & MA_W ? 'w' : '-', a & MA_X ? 'x' : '-', a & MA_SHARED ? 's' : 'p',
			a & MA_DONTCOPY ? " dc" : "", a & MA_WIPE ? " wf" : "", a & MA_LOCKED ? " lo" : "");
	}
}

/* print the ranges that meet [s - 4 pages, e + 4 pages) */
static inline void model_print_range(FILE *f, const char *title, const struct model *m, unsigned long s, unsigned long e)
{
	struct model part = { 0 };
	for (int j = 0; j < m->n; j++)
		if (m->r[j].end + 4 * PAGE_SIZE > s && m->r[j].start < e + 4 * PAGE_SIZE)
			model_push(&part, m->r[j].start, m->r[j].end, m->r[j].attr);
	model_print(f, title, &part);
	model_free(&part);
}

/* print the ranges around the first difference from @other */
static inline void model_print_near(FILE *f, const char *title, const struct model *m, const struct model *other)
{
	int i = 0;
	while (i < m->n && i < other->n && m->r[i].start == other->r[i].start && m->r[i].end == other->r[i].end &&
	       m->r[i].attr == other->r[i].attr)
		i++;
	struct model part = { 0 };
	for (int j = i - 2 < 0 ? 0 : i - 2; j < m->n && j < i + 3; j++)
		model_push(&part, m->r[j].start, m->r[j].end, m->r[j].attr);
	fprintf(f, "[from range %d of %d] ", i - 2 < 0 ? 0 : i - 2, m->n);
	model_print(f, title, &part);
	model_free(&part);
}

static inline unsigned prot_to_attr(unsigned long prot)
{
	return (prot & PROT_READ ? MA_R : 0) | (prot & PROT_WRITE ? MA_W : 0) | (prot & PROT_EXEC ? MA_X : 0);
}

/* ---- the driver: one call, its expectations, and the check ---------- */
/* the page layer's byte model: pages written so far; a page with no entry
 * reads as zeros (unless the whole baseline became unknown) */
struct mpage {
	unsigned long addr;
	bool unknown; /* content not modelled (aliased, or after a partial failure) */
	unsigned char data[PAGE_SIZE];
};

struct mdriver {
	struct task_struct *task;
	struct model m;
	struct model scratch;
	unsigned long ops, failed_ok, must_fail_checked;
	bool pages;                 /* check contents through the page layer */
	bool baseline_unknown;
	struct mpage **pg;
	int npg, pgcap;
	unsigned long bytes_checked, copies;
	char last[256]; /* the last call, for messages */
};


/* ---- page contents ----------------------------------------------------- */
static inline struct mpage *mpg_find(struct mdriver *d, unsigned long page)
{
	for (int i = 0; i < d->npg; i++)
		if (d->pg[i]->addr == page)
			return d->pg[i];
	return NULL;
}

static inline struct mpage *mpg_get(struct mdriver *d, unsigned long page)
{
	struct mpage *p = mpg_find(d, page);
	if (p)
		return p;
	if (d->npg == d->pgcap) {
		d->pgcap = d->pgcap ? d->pgcap * 2 : 64;
		d->pg = (struct mpage **)realloc(d->pg, (size_t)d->pgcap * sizeof(*d->pg));
		if (!d->pg)
			abort();
	}
	p = (struct mpage *)calloc(1, sizeof(*p));
	if (!p)
		abort();
	p->addr = page;
	p->unknown = d->baseline_unknown;
	d->pg[d->npg++] = p;
	return p;
}

/* [s, e) no longer holds what was written: unmapped, replaced, zapped */
static inline void mpg_drop(struct mdriver *d, unsigned long s, unsigned long e)
{
	for (int i = 0; i < d->npg;) {
		if (d->pg[i]->addr >= s && d->pg[i]->addr < e) {
			free(d->pg[i]);
			d->pg[i] = d->pg[--d->npg];
		} else {
			i++;
		}
	}
}

/* [s, e) moves to [n, n + e - s) */
static inline void mpg_move(struct mdriver *d, unsigned long s, unsigned long e, unsigned long n)
{
	struct mpage **moved = (struct mpage **)calloc((size_t)d->npg + 1, sizeof(*moved));
	int nm = 0;
	for (int i = 0; i < d->npg;) {
		if (d->pg[i]->addr >= s && d->pg[i]->addr < e) {
			moved[nm++] = d->pg[i];
			d->pg[i] = d->pg[--d->npg];
		} else {
			i++;
		}
	}
	mpg_drop(d, n, n + (e - s));
	for (int i = 0; i < nm; i++) {
		struct mpage *t = mpg_get(d, moved[i]->addr - s + n);
		memcpy(t->data, moved[i]->data, PAGE_SIZE);
		t->unknown = moved[i]->unknown;
		free(moved[i]);
	}
	free(moved);
}

static inline void mpg_mark_unknown(struct mdriver *d, unsigned long s, unsigned long e)
{
	for (unsigned long a = s & PAGE_MASK; a < e && e - a <= (64UL << 20); a += PAGE_SIZE) {
		if (model_find(&d->m, a))
			mpg_get(d, a)->unknown = true;
	}
}

static inline void mpg_forget_all(struct mdriver *d)
{
	d->baseline_unknown = true;
	for (int i = 0; i < d->npg; i++)
		d->pg[i]->unknown = true;
}

static inline void mpg_free(struct mdriver *d)
{
	for (int i = 0; i < d->npg; i++)
		free(d->pg[i]);
	free(d->pg);
	d->pg = NULL;
	d->npg = d->pgcap = 0;
}

/* the byte at @a as the model knows it: 0..255, or -1 when unknown */
static inline int mpg_byte(struct mdriver *d, unsigned long a)
{
	struct mpage *p = mpg_find(d, a & PAGE_MASK);
	if (!p)
		return d->baseline_unknown ? -1 : 0;
	return p->unknown ? -1 : p->data[a & ~PAGE_MASK];
}

/* how many bytes from @a an access may touch: mapped pages with @need */
static inline unsigned long mpg_allowed(struct mdriver *d, unsigned long a, unsigned long len, int kind)
{
	unsigned long at = a;
	while (at < a + len) {
		const struct mrange *r = model_find(&d->m, at);
		bool ok = false;
		if (r) {
			switch (kind) {
			case 0: ok = (r->attr & (MA_R | MA_W | MA_X)) != 0; break; /* user read (x86) */
			case 1: ok = (r->attr & MA_W) != 0; break;                 /* user write */
			case 2: ok = true; break;                                  /* forced read */
			case 3: ok = (r->attr & MA_W) || !(r->attr & MA_SHARED); break; /* forced write: COW */
			}
		}
		if (!ok)
			break;
		at = (at & PAGE_MASK) + PAGE_SIZE;
	}
	return at > a + len ? len : at - a;
}

#ifndef MODEL_FAIL
#define MODEL_FAIL(...) do { fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); abort(); } while (0)
#endif

static inline void mdrv_check(struct mdriver *d, const struct model *alt)
{
	/* d->last ends with the call; the result is appended by MDRV_RESULT */
	struct mm_struct *mm = d->task->mm;
	model_from_mm(&d->scratch, mm);
	if (validate_mm(mm) != 0)
		MODEL_FAIL("after %s: validate_mm failed", d->last);
	if (model_equal(&d->scratch, &d->m))
		return;
	if (alt && model_equal(&d->scratch, alt)) {
		model_copy(&d->m, alt);
		return;
	}
	model_print_near(stderr, "model", &d->m, &d->scratch);
	if (alt)
		model_print_near(stderr, "or model", alt, &d->scratch);
	model_print_near(stderr, "library", &d->scratch, &d->m);
	MODEL_FAIL("after %s: the address space differs from the model", d->last);
}

static inline void mdrv_note_result(struct mdriver *d, long r)
{
	size_t n = strlen(d->last);
	snprintf(d->last + n, sizeof(d->last) - n, " = %ld (%#lx)", r, (unsigned long)r);
}

#define MDRV_EXPECT(cond, ...) do { if (!(cond)) MODEL_FAIL(__VA_ARGS__); } while (0)

static inline long mdrv_mmap(struct mdriver *d, unsigned long addr, unsigned long len, unsigned long prot,
			     unsigned long flags)
{
	struct mm_struct *mm = d->task->mm;
	snprintf(d->last, sizeof(d->last), "mmap(%#lx, %#lx, %#lx, %#lx)", addr, len, prot, flags);
	long r = sys_mmap(mm, addr, len, prot, flags, NULL, 0);
	mdrv_note_result(d, (long)r);
	unsigned long type = flags & 0x0f;
	unsigned long alen = PAGE_ALIGN(len);
	bool fixed = flags & MAP_FIXED, noreplace = flags & MAP_FIXED_NOREPLACE;
	int must = 0;
	/* do_mmap's order: length, alignment (get_unmapped_area), the
	 * NOREPLACE overlap, and only then the mapping type */
	if (!len)
		must = -EINVAL;
	else if (!alen)
		must = -ENOMEM;
	else if ((fixed || noreplace) && (addr & ~PAGE_MASK))
		must = -EINVAL;
	else if (noreplace && addr + alen > addr && addr >= mmap_min_addr &&
		 addr + alen <= mm->task_size && model_any_mapped(&d->m, addr, addr + alen))
		must = -EEXIST;
	else if (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
		must = -EINVAL;
	if (must) {
		MDRV_EXPECT(r == must, "%s = %ld, the model says %d", d->last, r, must);
		d->must_fail_checked++;
	} else if (r < 0 && r > -4096) {
		MDRV_EXPECT(r == -ENOMEM || r == -EINVAL || r == -EPERM || r == -EEXIST,
			    "%s = %ld: unexpected errno", d->last, r);
		d->failed_ok++;
	} else {
		unsigned long a = (unsigned long)r;
		MDRV_EXPECT(PAGE_ALIGNED(a), "%s = %#lx: not page aligned", d->last, a);
		if (fixed)
			MDRV_EXPECT(a == addr, "%s = %#lx: MAP_FIXED must map at addr", d->last, a);
		if (noreplace)
			MDRV_EXPECT(a == addr, "%s = %#lx: MAP_FIXED_NOREPLACE must map at addr", d->last, a);
		if (!fixed)
			MDRV_EXPECT(!model_any_mapped(&d->m, a, a + alen),
				    "%s = %#lx: placed over an existing mapping", d->last, a);
		unsigned attr = prot_to_attr(prot) | (type != MAP_PRIVATE ? MA_SHARED : 0) |
				((mm->def_flags & VM_LOCKED) ? MA_LOCKED : 0);
		model_map(&d->m, a, a + alen, attr);
		mpg_drop(d, a, a + alen);
	}
	d->ops++;
	mdrv_check(d, NULL);
	return r;
}

static inline long mdrv_munmap(struct mdriver *d, unsigned long addr, unsigned long len)
{
	struct mm_struct *mm = d->task->mm;
	snprintf(d->last, sizeof(d->last), "munmap(%#lx, %#lx)", addr, len);
	long r = sys_munmap(mm, addr, len);
	mdrv_note_result(d, (long)r);
	unsigned long alen = PAGE_ALIGN(len);
	int must = 0;
	if ((addr & ~PAGE_MASK) || addr > mm->task_size || len > mm->task_size - addr || !alen)
		must = -EINVAL;
	if (must) {
		MDRV_EXPECT(r == must, "%s = %ld, the model says %d", d->last, r, must);
		d->must_fail_checked++;
	} else if (r != 0) {
		MDRV_EXPECT(r == -ENOMEM, "%s = %ld", d->last, r);
		d->failed_ok++;
	} else {
		model_unmap(&d->m, addr, addr + alen);
		mpg_drop(d, addr, addr + alen);
	}
	d->ops++;
	mdrv_check(d, NULL);
	return r;
}

/* mprotect/mlock shape: unmapped start -> ENOMEM, nothing changes; else the
 * mapped run from start changes, and a hole before end gives ENOMEM */
static inline long mdrv_mprotect(struct mdriver *d, unsigned long start, unsigned long len, unsigned long prot)
{
	struct mm_struct *mm = d->task->mm;
	snprintf(d->last, sizeof(d->last), "mprotect(%#lx, %#lx, %#lx)", start, len, prot);
	long r = sys_mprotect(mm, start, len, prot);
	mdrv_note_result(d, (long)r);
	unsigned long alen = PAGE_ALIGN(len), end = start + alen;
	if (start & ~PAGE_MASK) {
		MDRV_EXPECT(r == -EINVAL, "%s = %ld, the model says -EINVAL", d->last, r);
		d->must_fail_checked++;
	} else if (!len) {
		MDRV_EXPECT(r == 0, "%s = %ld, the model says 0", d->last, r);
	} else if (end <= start) {
		MDRV_EXPECT(r == -ENOMEM, "%s = %ld, the model says -ENOMEM", d->last, r);
		d->must_fail_checked++;
	} else if (prot & ~(unsigned long)(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM | PROT_GROWSDOWN | PROT_GROWSUP)) {
		MDRV_EXPECT(r == -EINVAL, "%s = %ld, the model says -EINVAL", d->last, r);
		d->must_fail_checked++;
	} else if (prot & (PROT_GROWSDOWN | PROT_GROWSUP)) {
		/* no growable mapping in the model: -EINVAL (or ENOMEM on a hole) */
		MDRV_EXPECT(r == -EINVAL || r == -ENOMEM, "%s = %ld, the model says -EINVAL", d->last, r);
		d->must_fail_checked++;
	} else {
		unsigned long upto = model_mapped_prefix(&d->m, start, end);
		if (upto == start) {
			MDRV_EXPECT(r == -ENOMEM, "%s = %ld: start unmapped, the model says -ENOMEM", d->last, r);
			d->must_fail_checked++;
		} else {
			if (upto < end) {
				MDRV_EXPECT(r == -ENOMEM, "%s = %ld: a hole at %#lx, the model says -ENOMEM", d->last, r, upto);
				d->must_fail_checked++;
			} else if (r != 0) {
				MDRV_EXPECT(r == -ENOMEM, "%s = %ld", d->last, r);
				d->failed_ok++;
				upto = start; /* split failure: nothing changed (first VMA) */
			}
			model_modify(&d->m, start, upto, ~(MA_R | MA_W | MA_X), prot_to_attr(prot));
		}
	}
	d->ops++;
	mdrv_check(d, NULL);
	return r;
}

static inline long mdrv_mlock(struct mdriver *d, unsigned long start, unsigned long len, bool lock)
{
	struct mm_struct *mm = d->task->mm;
	snprintf(d->last, sizeof(d->last), "%s(%#lx, %#lx)", lock ? "mlock" : "munlock", start, len);
	long r = lock ? sys_mlock(mm, start, len) : sys_munlock(mm, start, len);
	mdrv_note_result(d, (long)r);
	unsigned long s = start & PAGE_MASK;
	unsigned long alen = PAGE_ALIGN(len + (start & ~PAGE_MASK)), end = s + alen;
	struct model before = { 0 };
	model_copy(&before, &d->m);
	if (end < s) {
		MDRV_EXPECT(r == -EINVAL || r == -ENOMEM, "%s = %ld, the model says -EINVAL", d->last, r);
	} else if (alen) {
		unsigned long upto = model_mapped_prefix(&d->m, s, end);
		if (upto == s) {
			MDRV_EXPECT(r == -ENOMEM, "%s = %ld: start unmapped, the model says -ENOMEM", d->last, r);
			d->must_fail_checked++;
		} else {
			if (upto < end) {
				MDRV_EXPECT(r == -ENOMEM, "%s = %ld: a hole at %#lx, the model says -ENOMEM", d->last, r, upto);
				d->must_fail_checked++;
			}
			model_modify(&d->m, s, upto, ~MA_LOCKED, lock ? MA_LOCKED : 0);
			if (r != 0 && upto == end) {
				/* RLIMIT_MEMLOCK: refused before anything changed (the
				 * alternative below); or __mm_populate failed on a
				 * PROT_NONE VMA after the flags were set (-ENOMEM) */
				MDRV_EXPECT(r == -ENOMEM || r == -EAGAIN, "%s = %ld", d->last, r);
				d->failed_ok++;
			}
		}
	} else {
		MDRV_EXPECT(r == 0, "%s = %ld, the model says 0", d->last, r);
	}
	d->ops++;
	/* a refused mlock over a hole may also have changed nothing */
	mdrv_check(d, r ? &before : NULL);
	model_free(&before);
	return r;
}

static inline long mdrv_munlockall(struct mdriver *d)
{
	snprintf(d->last, sizeof(d->last), "munlockall()");
	long r = sys_munlockall(d->task->mm);
	mdrv_note_result(d, (long)r);
	MDRV_EXPECT(r == 0, "%s = %ld", d->last, r);
	if (d->m.n)
		model_modify(&d->m, 0, ~0UL, ~MA_LOCKED, 0);
	d->ops++;
	mdrv_check(d, NULL);
	return r;
}

static inline long mdrv_madvise(struct mdriver *d, unsigned long start, unsigned long len, int advice)
{
	struct mm_struct *mm = d->task->mm;
	snprintf(d->last, sizeof(d->last), "madvise(%#lx, %#lx, %d)", start, len, advice);
	long r = sys_madvise(mm, start, len, advice);
	mdrv_note_result(d, (long)r);
	unsigned long alen = PAGE_ALIGN(len), end = start + alen;
	bool known = advice == MADV_NORMAL || advice == MADV_RANDOM || advice == MADV_SEQUENTIAL ||
		     advice == MADV_WILLNEED || advice == MADV_DONTNEED || advice == MADV_DONTFORK ||
		     advice == MADV_DOFORK || advice == MADV_WIPEONFORK || advice == MADV_KEEPONFORK ||
		     advice == MADV_COLD || advice == MADV_PAGEOUT || advice == MADV_FREE;
	bool tracked = advice == MADV_DONTFORK || advice == MADV_DOFORK || advice == MADV_WIPEONFORK ||
		       advice == MADV_KEEPONFORK || advice == MADV_DONTNEED;
	if ((start & ~PAGE_MASK) || (len && !alen) || end < start) {
		MDRV_EXPECT(r == -EINVAL, "%s = %ld, the model says -EINVAL", d->last, r);
		d->must_fail_checked++;
	} else if (advice < 0 || advice > 200 || (advice > 25 && advice < 100)) {
		MDRV_EXPECT(r == -EINVAL, "%s = %ld: unknown advice, the model says -EINVAL", d->last, r);
		d->must_fail_checked++;
	} else if (end == start) {
		MDRV_EXPECT(r == 0 || r == -EINVAL, "%s = %ld, the model says 0", d->last, r);
	} else if (tracked) {
		/* madvise_walk_vmas: every mapped piece in order; a piece's error
		 * stops the walk; a hole gives -ENOMEM at the end */
		long want = 0;
		bool hole = model_mapped_prefix(&d->m, start, end) < end;
		struct model out = { 0 }, zap = { 0 };
		model_copy(&out, &d->m);
		for (int i = 0; i < d->m.n && !want; i++) {
			const struct mrange *p = &d->m.r[i];
			if (p->end <= start || p->start >= end)
				continue;
			unsigned long a = p->start > start ? p->start : start, b = p->end < end ? p->end : end;
			switch (advice) {
			case MADV_DONTFORK: model_modify(&out, a, b, ~0u, MA_DONTCOPY); break;
			case MADV_DOFORK: model_modify(&out, a, b, ~MA_DONTCOPY, 0); break;
			case MADV_WIPEONFORK:
				if (p->attr & MA_SHARED)
					want = -EINVAL;
				else
					model_modify(&out, a, b, ~0u, MA_WIPE);
				break;
			case MADV_KEEPONFORK: model_modify(&out, a, b, ~MA_WIPE, 0); break;
			case MADV_DONTNEED:
				if (p->attr & MA_LOCKED)
					want = -EINVAL;
				else if (!(p->attr & MA_SHARED))
					model_push(&zap, a, b, 0); /* private anon: zero-fill again */
				break;
			}
		}
		if (!want && hole)
			want = -ENOMEM;
		MDRV_EXPECT(r == want || (r == -ENOMEM && want == 0), "%s = %ld, the model says %ld", d->last, r, want);
		if (r == want) {
			model_copy(&d->m, &out);
			for (int i = 0; i < zap.n; i++)
				mpg_drop(d, zap.r[i].start, zap.r[i].end);
		} else {
			d->failed_ok++; /* a split failed: keep the model, accept the partial state below */
			mpg_forget_all(d);
		}
		model_free(&out);
		model_free(&zap);
		if (want)
			d->must_fail_checked++;
	} else if (known) {
		MDRV_EXPECT(r == 0 || r == -ENOMEM || r == -EINVAL, "%s = %ld", d->last, r);
		if (model_mapped_prefix(&d->m, start, end) < end && advice != MADV_FREE && advice != MADV_PAGEOUT &&
		    advice != MADV_COLD)
			MDRV_EXPECT(r == -ENOMEM || r == -EINVAL, "%s = %ld: a hole, the model says -ENOMEM", d->last, r);
	}
	d->ops++;
	mdrv_check(d, NULL);
	return r;
}

/* MREMAP_DONTUNMAP clears VM_LOCKED on the whole source VMA, which may
 * reach beyond the range on either side (dontunmap_complete): the model
 * does not know VMA bounds, so it takes the library's word for the
 * contiguous mapping around [s, e) - unlocking only. */
static inline void mdrv_dontunmap_unlock(struct mdriver *d, unsigned long s, unsigned long e)
{
	unsigned long lo = s, hi = e;
	for (int changed = 1; changed;) {
		changed = 0;
		for (int i = 0; i < d->m.n; i++) {
			if (d->m.r[i].end == lo && d->m.r[i].start < lo) { lo = d->m.r[i].start; changed = 1; }
			if (d->m.r[i].start == hi && d->m.r[i].end > hi) { hi = d->m.r[i].end; changed = 1; }
			if (d->m.r[i].start < lo && d->m.r[i].end > lo) { lo = d->m.r[i].start; changed = 1; }
			if (d->m.r[i].start < hi && d->m.r[i].end > hi) { hi = d->m.r[i].end; changed = 1; }
		}
	}
	model_from_mm(&d->scratch, d->task->mm);
	for (int i = 0; i < d->scratch.n; i++) {
		const struct mrange *p = &d->scratch.r[i];
		if (p->end <= lo || p->start >= hi || (p->attr & MA_LOCKED))
			continue;
		model_modify(&d->m, p->start > lo ? p->start : lo, p->end < hi ? p->end : hi, ~MA_LOCKED, 0);
	}
}

static inline long mdrv_mremap(struct mdriver *d, unsigned long addr, unsigned long old_len,
			       unsigned long new_len, unsigned long flags, unsigned long new_addr)
{
	struct mm_struct *mm = d->task->mm;
	snprintf(d->last, sizeof(d->last), "mremap(%#lx, %#lx, %#lx, %#lx, %#lx)", addr, old_len, new_len, flags, new_addr);
	long r = sys_mremap(mm, addr, old_len, new_len, flags, new_addr);
	mdrv_note_result(d, (long)r);
	unsigned long olen = PAGE_ALIGN(old_len), nlen = PAGE_ALIGN(new_len);
	long must = 0;
	unsigned attr = 0;
	if (flags & ~(unsigned long)(MREMAP_FIXED | MREMAP_MAYMOVE | MREMAP_DONTUNMAP))
		must = -EINVAL;
	else if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
		must = -EINVAL;
	/* 6.16+ compares the page-aligned lengths (6.1 compared the raw ones) */
	else if ((flags & MREMAP_DONTUNMAP) && (!(flags & MREMAP_MAYMOVE) || olen != nlen))
		must = -EINVAL;
	else if (addr & ~PAGE_MASK)
		must = -EINVAL;
	else if (!nlen)
		must = -EINVAL;
	else if ((flags & MREMAP_FIXED) && (new_addr & ~PAGE_MASK))
		must = -EINVAL;
	else if ((flags & MREMAP_FIXED) && new_addr < addr + olen && addr < new_addr + nlen)
		must = -EINVAL;
	else if (olen && !model_find(&d->m, addr))
		must = -EFAULT;
	struct model alt = { 0 };
	bool use_alt = false;
	bool to = (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) != 0;
	unsigned long slen = olen < nlen ? olen : nlen; /* what moves */
	if (must) {
		MDRV_EXPECT(r == must || (must == -EFAULT && r == -EINVAL && !olen),
			    "%s = %ld, the model says %ld", d->last, r, must);
		d->must_fail_checked++;
	} else if (!olen) {
		/* duplicating a shared mapping (and MREMAP_FIXED unmapping its
		 * target before it looks): allowed either way, not modelled */
		model_from_mm(&d->m, mm);
		unsigned long dst = (flags & MREMAP_FIXED) ? new_addr : (r >= 0 || r < -4095) ? (unsigned long)r : 0;
		if (dst) { /* the copy aliases the original */
			mpg_drop(d, dst, dst + nlen);
			mpg_mark_unknown(d, dst, dst + nlen);
			mpg_mark_unknown(d, addr, addr + nlen);
		}
	} else if (!to && olen >= nlen) {
		/* always allowed: the tail is unmapped, holes or not */
		MDRV_EXPECT(r == (long)addr || r == -ENOMEM, "%s = %ld: a shrink, the model says %#lx", d->last, r, addr);
		if (r == (long)addr) {
			model_unmap(&d->m, addr + nlen, addr + olen);
			mpg_drop(d, addr + nlen, addr + olen);
		} else {
			d->failed_ok++;
		}
	} else if ((flags & MREMAP_FIXED) && olen == nlen) {
		/* Linux 6.17 remap_move: every VMA in [addr, addr+len) moves,
		 * the holes between them kept; holes in the target keep what
		 * is mapped there. Pieces move one by one: after a failure the
		 * state is partial, and the model follows the library. */
		if (r < 0 && r > -4096) {
			MDRV_EXPECT(r == -ENOMEM || r == -EFAULT || r == -EINVAL || r == -EAGAIN,
				    "%s: unexpected errno", d->last);
			d->failed_ok++;
			model_from_mm(&d->m, mm);
			mpg_forget_all(d);
		} else {
			MDRV_EXPECT((unsigned long)r == new_addr, "%s: MREMAP_FIXED must move to new_addr", d->last);
			struct model src = { 0 };
			for (int i = 0; i < d->m.n; i++) {
				const struct mrange *p = &d->m.r[i];
				if (p->end > addr && p->start < addr + olen)
					model_push(&src, p->start > addr ? p->start : addr,
						   p->end < addr + olen ? p->end : addr + olen, p->attr);
			}
			for (int i = 0; i < src.n; i++) {
				unsigned long ns = src.r[i].start - addr + new_addr, ne = src.r[i].end - addr + new_addr;
				mpg_move(d, src.r[i].start, src.r[i].end, ns);
				(void)ne;
			}
			for (int i = 0; i < src.n; i++) {
				if (flags & MREMAP_DONTUNMAP)
					mdrv_dontunmap_unlock(d, src.r[i].start, src.r[i].end);
				else
					model_unmap(&d->m, src.r[i].start, src.r[i].end);
			}
			for (int i = 0; i < src.n; i++)
				model_map(&d->m, src.r[i].start - addr + new_addr, src.r[i].end - addr + new_addr,
					  src.r[i].attr);
			for (int i = 0; i < src.n; i++)
				if ((src.r[i].attr & MA_SHARED) && (flags & MREMAP_DONTUNMAP)) {
					mpg_mark_unknown(d, src.r[i].start, src.r[i].end);
					mpg_mark_unknown(d, src.r[i].start - addr + new_addr, src.r[i].end - addr + new_addr);
				}
			/* a never-faulted source may merge with its copy (copy_vma):
			 * then the copy loses VM_LOCKED with it */
			if (flags & MREMAP_DONTUNMAP)
				mdrv_dontunmap_unlock(d, new_addr, new_addr + nlen);
			model_free(&src);
		}
	} else if (!model_uniform(&d->m, addr, addr + (to ? slen : olen), &attr)) {
		if (!(r == -EFAULT || r == -EINVAL || r == -ENOMEM)) {
			model_print_range(stderr, "model", &d->m, addr, addr + olen);
			model_from_mm(&d->scratch, mm);
			model_print_range(stderr, "library now", &d->scratch, addr, addr + olen);
		}
		MDRV_EXPECT(r == -EFAULT || r == -EINVAL || r == -ENOMEM,
			    "%s = %ld: the range crosses a hole or two kinds of mapping, the model says -EFAULT",
			    d->last, r);
		d->must_fail_checked++;
		if (flags & MREMAP_FIXED) {
			/* Linux unmaps the target and the shrunk tail before it looks */
			model_copy(&alt, &d->m);
			model_unmap(&alt, new_addr, new_addr + nlen);
			if (olen > nlen)
				model_unmap(&alt, addr + nlen, addr + olen);
			use_alt = true;
			mpg_forget_all(d);
		}
	} else if (r < 0 && r > -4096) {
		MDRV_EXPECT(r == -ENOMEM || r == -EFAULT || r == -EINVAL || r == -EAGAIN,
			    "%s = %ld: unexpected errno", d->last, r);
		d->failed_ok++;
		if (flags & MREMAP_FIXED) {
			model_copy(&alt, &d->m);
			model_unmap(&alt, new_addr, new_addr + nlen);
			if (olen > nlen)
				model_unmap(&alt, addr + nlen, addr + olen);
			use_alt = true;
			mpg_forget_all(d);
		}
	} else {
		unsigned long a = (unsigned long)r;
		MDRV_EXPECT(PAGE_ALIGNED(a), "%s = %#lx: not aligned", d->last, a);
		if (flags & MREMAP_FIXED) {
			MDRV_EXPECT(a == new_addr, "%s = %#lx: MREMAP_FIXED must move to new_addr", d->last, a);
			model_unmap(&d->m, new_addr, new_addr + nlen);
		}
		if (a == addr && !to) {
			MDRV_EXPECT(!model_any_mapped(&d->m, addr + olen, addr + nlen),
				    "%s: grown in place over an existing mapping", d->last);
			model_map(&d->m, addr + olen, addr + nlen, attr);
			mpg_drop(d, addr + olen, addr + nlen);
			if (attr & MA_SHARED) /* the shmem object may hold old pages there */
				mpg_mark_unknown(d, addr + olen, addr + nlen);
		} else {
			unsigned long moved = olen < nlen ? olen : nlen;
			mpg_drop(d, a, a + nlen);
			mpg_move(d, addr, addr + moved, a);
			mpg_drop(d, addr, addr + olen);
			MDRV_EXPECT((flags & MREMAP_MAYMOVE), "%s = %#lx: moved without MREMAP_MAYMOVE", d->last, a);
			MDRV_EXPECT(a != addr, "%s = %#lx: MREMAP_DONTUNMAP did not move", d->last, a);
			if (!(flags & MREMAP_FIXED))
				MDRV_EXPECT(!model_any_mapped(&d->m, a, a + nlen),
					    "%s = %#lx: moved over an existing mapping", d->last, a);
			if (flags & MREMAP_DONTUNMAP)
				mdrv_dontunmap_unlock(d, addr, addr + olen);
			else
				model_unmap(&d->m, addr, addr + olen);
			model_map(&d->m, a, a + nlen, attr);
			if (flags & MREMAP_DONTUNMAP)
				mdrv_dontunmap_unlock(d, a, a + nlen);
			if (attr & MA_SHARED) {
				/* grown: the shmem object may hold old pages there;
				 * DONTUNMAP: old and new map the same pages */
				mpg_mark_unknown(d, a + moved, a + nlen);
				if (flags & MREMAP_DONTUNMAP) {
					mpg_mark_unknown(d, a, a + nlen);
					mpg_mark_unknown(d, addr, addr + olen);
				}
			}
		}
	}
	d->ops++;
	mdrv_check(d, use_alt ? &alt : NULL);
	model_free(&alt);
	return r;
}

/* brk: success is the new break (the heap [start_brk, brk) grows or shrinks
 * page-wise), failure the old one with nothing changed */
static inline unsigned long mdrv_brk(struct mdriver *d, unsigned long brk)
{
	struct mm_struct *mm = d->task->mm;
	unsigned long old = mm->brk;
	snprintf(d->last, sizeof(d->last), "brk(%#lx) from %#lx", brk, old);
	unsigned long r = sys_brk(mm, brk);
	mdrv_note_result(d, (long)r);
	unsigned long ob = PAGE_ALIGN(old), nb = PAGE_ALIGN(brk);
	if (r == brk && brk != old) {
		MDRV_EXPECT(brk >= mm->start_brk, "%s: below start_brk accepted", d->last);
		if (nb > ob) {
			MDRV_EXPECT(!model_any_mapped(&d->m, ob, nb), "%s: heap grown over a mapping", d->last);
			model_map(&d->m, ob, nb, MA_R | MA_W | ((mm->def_flags & VM_LOCKED) ? MA_LOCKED : 0));
			mpg_drop(d, ob, nb);
		} else if (nb < ob) {
			model_unmap(&d->m, nb, ob);
			mpg_drop(d, nb, ob);
		}
	} else if (r != brk) {
		MDRV_EXPECT(r == old, "%s = %#lx: neither the new nor the old break", d->last, r);
		d->failed_ok++;
	}
	d->ops++;
	mdrv_check(d, NULL);
	return r;
}


/* ---- reads and writes through the page layer ------------------------- */
#ifdef MODEL_PAGES
/* kind: 0 copy_from_user, 1 copy_to_user, 2 access_vm read, 3 access_vm write */
static inline void mdrv_access(struct mdriver *d, unsigned long addr, unsigned long len, int kind,
			       const unsigned char *src)
{
	struct mm_struct *mm = d->task->mm;
	unsigned char buf[256];
	bool write = kind == 1 || kind == 3;
	static const char *const names[] = { "copy_from_user", "copy_to_user", "access_vm(read)", "access_vm(write)" };
	if (len > sizeof(buf))
		len = sizeof(buf);
	if (write)
		memcpy(buf, src, len);
	else
		memset(buf, 0xa5, len);
	snprintf(d->last, sizeof(d->last), "%s(%#lx, %lu)", names[kind], addr, len);
	unsigned long allowed = mpg_allowed(d, addr, len, kind), done;
	if (kind == 0)
		done = len - mmk_copy_from_user_rem(mm, buf, addr, len);
	else if (kind == 1)
		done = len - mmk_copy_to_user_rem(mm, addr, buf, len);
	else {
		long r = mmk_access_vm(mm, addr, buf, len, write);
		MDRV_EXPECT(r >= 0 && (unsigned long)r <= len, "%s = %ld", d->last, r);
		done = (unsigned long)r;
	}
	mdrv_note_result(d, (long)done);
	/* a shared page may lie beyond its shmem object's end (SIGBUS): only
	 * private pages are held to the exact count */
	bool shared = false;
	for (unsigned long a = addr & PAGE_MASK; a < addr + allowed; a += PAGE_SIZE) {
		const struct mrange *r = model_find(&d->m, a);
		if (r && (r->attr & MA_SHARED))
			shared = true;
	}
	if (shared)
		MDRV_EXPECT(done <= allowed, "%s: %lu bytes done, the model allows %lu", d->last, done, allowed);
	else
		MDRV_EXPECT(done == allowed, "%s: %lu bytes done, the model says %lu", d->last, done, allowed);
	for (unsigned long i = 0; i < done; i++) {
		unsigned long a = addr + i;
		const struct mrange *r = model_find(&d->m, a);
		if (write) {
			struct mpage *p = mpg_get(d, a & PAGE_MASK);
			p->data[a & ~PAGE_MASK] = buf[i];
			if (r && (r->attr & MA_SHARED))
				p->unknown = true;
		} else {
			int want = mpg_byte(d, a);
			if (r && (r->attr & MA_SHARED))
				want = -1;
			if (want >= 0 && buf[i] != (unsigned char)want)
				MODEL_FAIL("%s: byte at %#lx is %#x, the model says %#x", d->last, a, buf[i], want);
			if (want >= 0)
				d->bytes_checked++;
		}
	}
	d->copies++;
	d->ops++;
	mdrv_check(d, NULL);
}

/* fork with pages: the child reads what the parent wrote (zeros where
 * VM_WIPEONFORK), its writes to private pages stay its own (COW) */
static inline void mdrv_fork_pages(struct mdriver *d, struct task_struct *c)
{
	for (int i = 0; i < d->npg; i++) {
		struct mpage *p = d->pg[i];
		const struct mrange *r = model_find(&d->m, p->addr);
		if (!r || (r->attr & MA_DONTCOPY) || (r->attr & MA_SHARED) || p->unknown)
			continue;
		unsigned char got[64];
		unsigned long off = (p->addr >> PAGE_SHIFT) % (PAGE_SIZE / 64) * 64;
		long n = mmk_access_vm(c->mm, p->addr + off, got, sizeof(got), false);
		MDRV_EXPECT(n == (long)sizeof(got), "fork: the child cannot read %#lx (%ld)", p->addr + off, n);
		for (unsigned j = 0; j < sizeof(got); j++) {
			unsigned char want = (r->attr & MA_WIPE) ? 0 : p->data[off + j];
			if (got[j] != want)
				MODEL_FAIL("fork: the child reads %#x at %#lx, the model says %#x%s", got[j],
					   p->addr + off + j, want, (r->attr & MA_WIPE) ? " (wipeonfork)" : "");
		}
		d->bytes_checked += sizeof(got);
		/* the child writes; the parent must not see it */
		unsigned char mark[8] = { 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04 };
		if (mmk_access_vm(c->mm, p->addr + off, mark, sizeof(mark), true) == (long)sizeof(mark)) {
			unsigned char back[8];
			long m = mmk_access_vm(d->task->mm, p->addr + off, back, sizeof(back), false);
			MDRV_EXPECT(m == (long)sizeof(back), "fork: the parent cannot read %#lx", p->addr + off);
			if (memcmp(back, p->data + off, sizeof(back)) != 0)
				MODEL_FAIL("fork: the child's write at %#lx shows in the parent (no copy-on-write)",
					   p->addr + off);
		}
	}
}
#endif

/* fork: the child's address space is the parent's minus VM_DONTCOPY, unlocked */
static inline void mdrv_fork_check(struct mdriver *d)
{
	snprintf(d->last, sizeof(d->last), "fork");
	struct task_struct *c = kernel_clone(d->task, 0, "child");
	if (IS_ERR(c)) {
		MDRV_EXPECT(PTR_ERR(c) == -ENOMEM, "fork = %ld", PTR_ERR(c));
		return;
	}
	struct model want = { 0 }, got = { 0 };
	for (int i = 0; i < d->m.n; i++)
		if (!(d->m.r[i].attr & MA_DONTCOPY))
			model_push(&want, d->m.r[i].start, d->m.r[i].end, d->m.r[i].attr & ~MA_LOCKED);
	model_from_mm(&got, c->mm);
	if (validate_mm(c->mm) != 0)
		MODEL_FAIL("fork: the child fails validate_mm");
	if (!model_equal(&want, &got)) {
		model_print(stderr, "parent model", &d->m);
		model_print(stderr, "child expected", &want);
		model_print(stderr, "child", &got);
		MODEL_FAIL("fork: the child's address space differs from the model");
	}
	model_free(&want);
	model_free(&got);
#ifdef MODEL_PAGES
	if (d->pages)
		mdrv_fork_pages(d, c);
#endif
	if (do_exit(c) != 0)
		MODEL_FAIL("fork: do_exit of the child failed");
	mdrv_check(d, NULL);
}

/* ---- a random call, chosen by a source of numbers ---------------------- */
struct msource {
	unsigned (*next)(void *priv); /* a random 32-bit number */
	void *priv;
};

#define MWIN_BASE 0x200000000UL /* the window fixed calls aim at */
#define MWIN_PAGES 64

static inline unsigned long mdrv_pick_addr(struct mdriver *d, const struct msource *src)
{
	unsigned x = src->next(src->priv);
	unsigned long a;
	if (d->m.n && (x & 3) == 0) {
		const struct mrange *r = &d->m.r[(x >> 2) % (unsigned)d->m.n];
		unsigned pages = (unsigned)((r->end - r->start) >> PAGE_SHIFT);
		unsigned y = src->next(src->priv);
		a = r->start + (unsigned long)(y % (pages + 2)) * PAGE_SIZE;
		if ((y >> 16) % 4 == 0 && a >= PAGE_SIZE)
			a -= PAGE_SIZE;
	} else {
		a = MWIN_BASE + (unsigned long)((x >> 2) % MWIN_PAGES) * PAGE_SIZE;
	}
	if ((x >> 28) == 0xf)
		a += (x >> 20) & 0xfff; /* now and then unaligned */
	return a;
}

static inline unsigned long mdrv_pick_len(const struct msource *src)
{
	unsigned x = src->next(src->priv);
	switch (x % 16) {
	case 0: return 0;
	case 1: return (x >> 4) % PAGE_SIZE + 1;                   /* a partial page */
	case 2: return ~0UL - PAGE_SIZE * ((x >> 4) % 3);          /* overflows */
	default: return (unsigned long)((x >> 4) % 16 + 1) * PAGE_SIZE;
	}
}

static inline unsigned long mdrv_pick_prot(const struct msource *src)
{
	static const unsigned long prots[] = { PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE,
					       PROT_READ | PROT_EXEC, PROT_READ | PROT_WRITE | PROT_EXEC,
					       PROT_WRITE, PROT_READ | PROT_WRITE };
	unsigned x = src->next(src->priv);
	if (x % 64 == 0)
		return 0x10; /* invalid */
	return prots[(x >> 6) % (sizeof(prots) / sizeof(prots[0]))];
}

/* one call; returns false when the source is exhausted (fuzzing) */
static inline void mdrv_random_op(struct mdriver *d, const struct msource *src)
{
	unsigned op = src->next(src->priv) % (d->pages ? 125 : 100);
	unsigned long addr = mdrv_pick_addr(d, src), len = mdrv_pick_len(src);
#ifdef MODEL_PAGES
	if (op >= 100) {
		unsigned x = src->next(src->priv);
		unsigned char bytes[256];
		for (unsigned i = 0; i < sizeof(bytes); i += 4) {
			unsigned v = src->next(src->priv);
			memcpy(bytes + i, &v, 4);
		}
		unsigned long n = x % 200 + 1;
		addr = (addr & PAGE_MASK) + (x >> 8) % PAGE_SIZE;
		if ((x >> 20) % 4 == 0)
			addr = (addr & PAGE_MASK) + PAGE_SIZE - n / 2; /* across a page boundary */
		if (d->npg && (x >> 22) % 3 != 0) /* mostly where something was written */
			addr = d->pg[(x >> 24) % (unsigned)d->npg]->addr + (src->next(src->priv) % PAGE_SIZE);
		mdrv_access(d, addr, n, op < 110 ? 1 : op < 115 ? 0 : op < 120 ? 3 : 2, bytes);
		return;
	}
#endif
	if (op < 22) {
		unsigned x = src->next(src->priv);
		unsigned long flags = (x & 1) ? MAP_PRIVATE : MAP_SHARED;
		if ((x >> 1) % 8 == 0)
			flags = MAP_SHARED_VALIDATE;
		if ((x >> 4) % 32 == 0)
			flags = 0; /* neither: -EINVAL */
		flags |= MAP_ANONYMOUS;
		switch ((x >> 9) % 4) {
		case 0: addr = 0; break;                      /* anywhere */
		case 1: flags |= MAP_FIXED; break;            /* over whatever is there */
		case 2: flags |= MAP_FIXED_NOREPLACE; break;
		default: break;                               /* a hint */
		}
		if (len > (1UL << 40))
			len = PAGE_SIZE;
		mdrv_mmap(d, addr, len, mdrv_pick_prot(src), flags);
	} else if (op < 37) {
		mdrv_munmap(d, addr, len);
	} else if (op < 55) {
		mdrv_mprotect(d, addr, len, mdrv_pick_prot(src));
	} else if (op < 67) {
		unsigned x = src->next(src->priv);
		unsigned long nlen = mdrv_pick_len(src);
		unsigned long flags = 0, naddr = 0;
		if (len > (1UL << 40))
			len = PAGE_SIZE;
		if (nlen > (1UL << 40) && x % 8)
			nlen = 2 * PAGE_SIZE;
		if (x & 1)
			flags |= MREMAP_MAYMOVE;
		if ((x >> 1) % 4 == 0) {
			flags |= MREMAP_FIXED;
			naddr = mdrv_pick_addr(d, src);
		}
		if ((x >> 3) % 6 == 0) {
			flags |= MREMAP_DONTUNMAP;
			if ((x >> 6) % 4)
				nlen = len;
		}
		if ((x >> 9) % 64 == 0)
			flags |= 0x10; /* unknown */
		if (len == 0 && (x >> 16) % 4)
			len = PAGE_SIZE;
		mdrv_mremap(d, addr, len, nlen, flags, naddr);
	} else if (op < 80) {
		static const int adv[] = { MADV_DONTFORK, MADV_DOFORK, MADV_WIPEONFORK, MADV_KEEPONFORK,
					   MADV_DONTNEED, MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL,
					   MADV_WILLNEED, MADV_DONTFORK, MADV_WIPEONFORK, 77 };
		unsigned x = src->next(src->priv);
		mdrv_madvise(d, addr, len, adv[x % (sizeof(adv) / sizeof(adv[0]))]);
	} else if (op < 86) {
		struct mm_struct *mm = d->task->mm;
		unsigned x = src->next(src->priv);
		unsigned long b = mm->start_brk + (unsigned long)(x % 24) * PAGE_SIZE + ((x >> 8) % 3 ? 0 : (x >> 12) % PAGE_SIZE);
		if ((x >> 24) % 16 == 0)
			b = mm->start_brk - PAGE_SIZE;
		mdrv_brk(d, b);
	} else if (op < 93) {
		if (len > (1UL << 40))
			len = PAGE_SIZE;
		mdrv_mlock(d, addr, len, (src->next(src->priv) & 1) != 0);
	} else if (op < 95) {
		mdrv_munlockall(d);
	} else {
		mdrv_fork_check(d);
	}
}

#endif /* MMK_FUZZ_MODEL_H */
