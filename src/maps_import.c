/* SPDX-License-Identifier: MIT */
/*
 * src/maps_import.c - seed an address space from the text of a real
 * /proc/PID/maps (mmk_import_maps, include/mmkit/proc.h).
 *
 * Each line "start-end perms offset major:minor inode [name]" becomes one
 * VMA, linked as it is (never merged, like insert_vm_struct), so that
 * show_maps() prints the text back byte for byte. What a line does not say
 * is filled in as the kernel would have set it for such a mapping:
 *
 *  flags    r/w/x from the line; a private mapping gets VM_MAYREAD |
 *           VM_MAYWRITE | VM_MAYEXEC, and VM_ACCOUNT when writable; a
 *           shared one VM_SHARED | VM_MAYSHARE and the VM_MAY* bits, except
 *           that a shared mapping of a regular file without 'w' is taken to
 *           come from a read-only open, which clears VM_SHARED and
 *           VM_MAYWRITE (do_mmap). A read-only private file mapping directly
 *           followed by a writable private mapping of the same file at the
 *           next offset is a RELRO segment that was writable before
 *           mprotect, so it keeps VM_ACCOUNT (that is why the kernel keeps
 *           it apart from the read-only mapping before it).
 *  offset   vm_pgoff = offset >> PAGE_SHIFT for file mappings, vm_start >>
 *           PAGE_SHIFT for anonymous ones (whose offset column is ignored).
 *  files    mmk_file_open(path) when the path exists here with the same
 *           device and inode, else mmk_file_create(path, major, minor,
 *           inode, size 0). Lines naming the same path, device and inode
 *           share one struct file, as segments of one ELF object do. Files
 *           are read-only (FMODE_READ) unless a shared writable line needs
 *           FMODE_WRITE.
 *  shmem    "/dev/zero (deleted)" (shared anonymous memory), "/SYSV...
 *           (deleted)" (System V shm), "/memfd:..." and "[anon_shmem:...]"
 *           get a shmem file (file->shmem) of that name, read-write, sized
 *           to cover the largest mapping of it.
 *  [heap]   anonymous; start_brk = the first [heap] line's start, brk = the
 *           last one's end.
 *  [stack]  anonymous with VM_GROWSDOWN; start_stack = vm_end - 8 (where
 *           the kernel's start_stack sits, near the top of the stack; any
 *           address inside that no neighbour touches would do).
 *  [vdso], [vvar], [vvar_vclock], [uprobes]
 *           special mappings (vm_special), with the flags the kernel gives
 *           them: [vdso] VM_MAYREAD|VM_MAYWRITE|VM_MAYEXEC, the vvar pages
 *           VM_MAYREAD|VM_IO|VM_PFNMAP|VM_DONTDUMP, [uprobes]
 *           VM_MAYEXEC|VM_DONTCOPY|VM_IO, all VM_DONTEXPAND (never merged).
 *  [vsyscall] skipped: the gate area is not a VMA (show_maps prints it
 *           while mmk_show_gate_vma is set).
 *  [anon:NAME] anonymous; the name is not kept (no CONFIG_ANON_VMA_NAME).
 *
 * Every private VMA that is or was writable (VM_WRITE or VM_ACCOUNT) gets
 * its own anon_vma: in the real process such a VMA has been written to, and
 * VMAs the kernel shows apart must not merge in the model either.
 *
 * The executable: the file of the lowest file-backed line. Its first
 * executable VMA gives start_code/end_code (so VmExe and statm's text
 * come out right), its last writable one start_data/end_data, and it
 * becomes mm->exe_file if the mm has none.
 *
 * Atomicity: the whole text is parsed and checked first (nothing is
 * touched on a malformed line: -EINVAL and "NAME:LINE: message" in @err);
 * then under mmap_sem the ranges are checked against the existing VMAs and
 * every file, VMA and anon_vma is allocated before the first VMA is linked
 * (vma_link_after, which cannot fail). An allocation failure frees what
 * was allocated and leaves the mm as it was (-ENOMEM).
 */
#include "internal.h"
#include "vma.h"

#include <mmkit/proc.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* the special mappings an imported mm points at; never merged, never freed */
static const struct vm_special_mapping import_vdso = { .name = "[vdso]" };
static const struct vm_special_mapping import_vvar = { .name = "[vvar]" };
static const struct vm_special_mapping import_vvar_vclock = { .name = "[vvar_vclock]" };
static const struct vm_special_mapping import_uprobes = { .name = "[uprobes]" };

static const struct {
	const struct vm_special_mapping *spec;
	unsigned long flags; /* added to the line's r/w/x */
} special_kinds[] = {
	{ &import_vdso, VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_DONTEXPAND },
	{ &import_vvar, VM_MAYREAD | VM_IO | VM_PFNMAP | VM_DONTDUMP | VM_DONTEXPAND },
	{ &import_vvar_vclock, VM_MAYREAD | VM_IO | VM_PFNMAP | VM_DONTDUMP | VM_DONTEXPAND },
	{ &import_uprobes, VM_MAYEXEC | VM_DONTCOPY | VM_IO | VM_DONTEXPAND },
};

enum rec_kind { REC_ANON, REC_HEAP, REC_STACK, REC_SPECIAL, REC_FILE, REC_SHMEM };

struct map_rec {
	unsigned long start, end;
	unsigned long long off;
	unsigned int major, minor;
	unsigned long ino;
	unsigned long flags;
	enum rec_kind kind;
	int line;
	const struct vm_special_mapping *spec;
	const char *name; /* into the text, name_len long (files only) */
	size_t name_len;
	int file_idx;     /* index into the file table, or -1 */
	struct vm_area_struct *vma;
};

struct file_rec {
	char *path;
	unsigned int major, minor;
	unsigned long ino;
	unsigned int f_mode;
	bool shmem;
	long long size;
	struct file *file;
};

struct import_state {
	const char *name;
	char *err;
	size_t errlen;
	struct map_rec *recs;
	size_t nrecs, recs_cap;
	struct file_rec *files;
	size_t nfiles, files_cap;
};

static int import_error(struct import_state *st, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int import_error(struct import_state *st, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!st->err || !st->errlen)
		return -EINVAL;
	n = snprintf(st->err, st->errlen, "%s:%d: ", st->name, line);
	if (n >= 0 && (size_t)n < st->errlen) {
		va_start(ap, fmt);
		vsnprintf(st->err + n, st->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* ---- one line ----------------------------------------------------------- */

struct cursor {
	const char *p, *end; /* the line, without its newline */
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 1..16 hex digits; false on none or on overflow */
static bool parse_hex(struct cursor *c, unsigned long long *out)
{
	unsigned long long v = 0;
	int digits = 0, d;

	while (c->p < c->end && (d = hexval(*c->p)) >= 0) {
		if (++digits > 16)
			return false;
		v = v << 4 | (unsigned long long)d;
		c->p++;
	}
	*out = v;
	return digits > 0;
}

static bool parse_dec(struct cursor *c, unsigned long *out)
{
	unsigned long v = 0;
	int digits = 0;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		unsigned d = (unsigned)(*c->p - '0');

		if (v > (~0UL - d) / 10)
			return false;
		v = v * 10 + d;
		digits++;
		c->p++;
	}
	*out = v;
	return digits > 0;
}

/* consume @ch; distinguishes a line that simply stops from a wrong character */
static int expect(struct import_state *st, int line, struct cursor *c, char ch, const char *after)
{
	if (c->p >= c->end)
		return import_error(st, line, "truncated line (nothing after the %s)", after);
	if (*c->p != ch)
		return import_error(st, line, "expected '%c' after the %s, found '%c'", ch, after, *c->p);
	c->p++;
	return 0;
}

static bool name_is(const char *name, size_t len, const char *lit)
{
	return strlen(lit) == len && memcmp(name, lit, len) == 0;
}

static bool name_starts(const char *name, size_t len, const char *lit)
{
	size_t l = strlen(lit);

	return len >= l && memcmp(name, lit, l) == 0;
}

static bool name_ends(const char *name, size_t len, const char *lit)
{
	size_t l = strlen(lit);

	return len >= l && memcmp(name + len - l, lit, l) == 0;
}

/* the names that stand for shared memory backed by shmem */
static bool name_is_shmem(const char *name, size_t len)
{
	return name_is(name, len, "/dev/zero (deleted)") ||
	       (name_starts(name, len, "/SYSV") && name_ends(name, len, " (deleted)")) ||
	       name_starts(name, len, "/memfd:") || name_starts(name, len, "[anon_shmem:");
}

/*
 * Parse one line into @r. Returns 0, 1 for a line to skip ([vsyscall]), or
 * -EINVAL with the message written.
 */
static int parse_line(struct import_state *st, int line, const char *s, size_t len,
		      unsigned long task_size, struct map_rec *r)
{
	struct cursor c = { s, s + len };
	unsigned long long v;
	const char *name;
	size_t name_len;
	bool shared;
	int ret;

	memset(r, 0, sizeof(*r));
	r->line = line;
	r->file_idx = -1;

	if (len == 0)
		return import_error(st, line, "empty line");
	if (!parse_hex(&c, &v))
		return import_error(st, line, "bad start address");
	r->start = (unsigned long)v;
	if ((ret = expect(st, line, &c, '-', "start address")))
		return ret;
	if (!parse_hex(&c, &v))
		return import_error(st, line, c.p >= c.end ? "truncated line (no end address)"
							   : "bad end address");
	r->end = (unsigned long)v;
	if ((ret = expect(st, line, &c, ' ', "end address")))
		return ret;

	if (c.end - c.p < 4)
		return import_error(st, line, "truncated line (permissions)");
	if ((c.p[0] != 'r' && c.p[0] != '-') || (c.p[1] != 'w' && c.p[1] != '-') ||
	    (c.p[2] != 'x' && c.p[2] != '-') || (c.p[3] != 'p' && c.p[3] != 's'))
		return import_error(st, line, "unknown permissions '%.4s'", c.p);
	r->flags = (c.p[0] == 'r' ? VM_READ : 0) | (c.p[1] == 'w' ? VM_WRITE : 0) |
		   (c.p[2] == 'x' ? VM_EXEC : 0);
	shared = c.p[3] == 's';
	c.p += 4;
	if ((ret = expect(st, line, &c, ' ', "permissions")))
		return ret;

	if (!parse_hex(&c, &r->off))
		return import_error(st, line, c.p >= c.end ? "truncated line (no offset)" : "bad offset");
	if ((ret = expect(st, line, &c, ' ', "offset")))
		return ret;
	if (!parse_hex(&c, &v) || v > 0xfff)
		return import_error(st, line, c.p >= c.end ? "truncated line (no device)" : "bad device");
	r->major = (unsigned int)v;
	if ((ret = expect(st, line, &c, ':', "device major")))
		return ret;
	if (!parse_hex(&c, &v) || v > 0xfffff)
		return import_error(st, line, c.p >= c.end ? "truncated line (no device minor)"
							   : "bad device");
	r->minor = (unsigned int)v;
	if ((ret = expect(st, line, &c, ' ', "device")))
		return ret;
	if (!parse_dec(&c, &r->ino))
		return import_error(st, line, c.p >= c.end ? "truncated line (no inode)" : "bad inode");
	if (c.p < c.end && *c.p != ' ')
		return import_error(st, line, "bad inode");
	while (c.p < c.end && *c.p == ' ')
		c.p++;
	name = c.p;
	name_len = (size_t)(c.end - c.p);

	/* the gate area: not a VMA */
	if (name_is(name, name_len, "[vsyscall]"))
		return 1;

	if (r->start & ~PAGE_MASK || r->end & ~PAGE_MASK)
		return import_error(st, line, "address not page aligned");
	if (r->end <= r->start)
		return import_error(st, line, "end address %#lx not above start %#lx", r->end, r->start);
	if (r->end > task_size)
		return import_error(st, line, "mapping ends beyond user space (%#lx)", task_size);
	if (r->off & ~(unsigned long long)PAGE_MASK)
		return import_error(st, line, "offset not page aligned");

	/* what kind of mapping the name says */
	if (name_len == 0 || name_is(name, name_len, "[heap]") ||
	    name_is(name, name_len, "[stack]") || name_starts(name, name_len, "[anon:")) {
		if (name_len && name[name_len - 1] != ']')
			return import_error(st, line, "unknown name '%.*s'", (int)name_len, name);
		r->kind = name_is(name, name_len, "[heap]") ? REC_HEAP
			  : name_is(name, name_len, "[stack]") ? REC_STACK
							       : REC_ANON;
	} else if (name_is_shmem(name, name_len)) {
		r->kind = REC_SHMEM;
	} else if (name[0] == '[') {
		r->kind = REC_SPECIAL;
		for (size_t i = 0; i < sizeof(special_kinds) / sizeof(special_kinds[0]); i++) {
			if (name_is(name, name_len, special_kinds[i].spec->name)) {
				r->spec = special_kinds[i].spec;
				r->flags |= special_kinds[i].flags;
			}
		}
		if (!r->spec)
			return import_error(st, line, "unknown special mapping '%.*s'", (int)name_len, name);
	} else {
		r->kind = REC_FILE;
	}
	if (r->kind != REC_FILE && r->kind != REC_SHMEM && (r->major || r->minor || r->ino))
		return import_error(st, line, "mapping without a file has device %02x:%02x inode %lu",
				    r->major, r->minor, r->ino);
	if (r->kind == REC_FILE && !r->major && !r->minor && !r->ino)
		return import_error(st, line, "file mapping '%.*s' without device and inode",
				    (int)name_len, name);
	if (shared && r->kind != REC_FILE && r->kind != REC_SHMEM && r->kind != REC_SPECIAL)
		return import_error(st, line, "shared mapping without a file");

	r->name = name;
	r->name_len = name_len;
	if (r->kind == REC_SPECIAL) {
		if (shared)
			r->flags |= VM_MAYSHARE;
		return 0;
	}
	if (shared) {
		r->flags |= VM_SHARED | VM_MAYSHARE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
		/* a file mapped shared without write access was opened read-only */
		if (r->kind == REC_FILE && !(r->flags & VM_WRITE))
			r->flags &= ~(VM_SHARED | VM_MAYWRITE);
	} else {
		r->flags |= VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
		if (r->flags & VM_WRITE)
			r->flags |= VM_ACCOUNT;
	}
	if (r->kind == REC_STACK)
		r->flags |= VM_GROWSDOWN;
	return 0;
}

/* ---- the whole text ----------------------------------------------------- */

static int add_rec(struct import_state *st, const struct map_rec *r)
{
	if (st->nrecs == st->recs_cap) {
		size_t cap = st->recs_cap ? st->recs_cap * 2 : 64;
		struct map_rec *n = realloc(st->recs, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		st->recs = n;
		st->recs_cap = cap;
	}
	st->recs[st->nrecs++] = *r;
	return 0;
}

static int parse_text(struct import_state *st, const char *text, unsigned long task_size)
{
	const char *p = text;
	int line = 0;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		struct map_rec r;
		int ret;

		line++;
		ret = parse_line(st, line, p, len, task_size, &r);
		if (ret < 0)
			return ret;
		if (ret == 0) {
			if (st->nrecs) {
				const struct map_rec *prev = &st->recs[st->nrecs - 1];

				if (r.start < prev->start)
					return import_error(st, line, "not sorted: starts below line %d",
							    prev->line);
				if (r.start < prev->end)
					return import_error(st, line, "overlaps line %d", prev->line);
			}
			if (add_rec(st, &r))
				return -ENOMEM;
		}
		p += len;
		if (*p == '\n')
			p++;
	}
	return 0;
}

static bool same_file_line(const struct map_rec *a, const struct map_rec *b)
{
	return a->kind == b->kind && a->major == b->major && a->minor == b->minor &&
	       a->ino == b->ino && a->name_len == b->name_len &&
	       memcmp(a->name, b->name, a->name_len) == 0;
}

/* RELRO: read-only private file mapping followed by the writable rest of the
 * same segment (see the top of the file) */
static void mark_relro(struct import_state *st)
{
	for (size_t i = 0; i + 1 < st->nrecs; i++) {
		struct map_rec *r = &st->recs[i], *n = &st->recs[i + 1];

		if (r->kind != REC_FILE || (r->flags & VM_MAYSHARE) ||
		    (r->flags & VM_ACCESS_FLAGS) != VM_READ)
			continue;
		if (n->kind != REC_FILE || !same_file_line(r, n) || n->start != r->end ||
		    (n->flags & (VM_WRITE | VM_MAYSHARE)) != VM_WRITE ||
		    n->off != r->off + (r->end - r->start))
			continue;
		r->flags |= VM_ACCOUNT;
	}
}

static bool file_matches(const struct file_rec *f, const struct map_rec *r, unsigned int mode)
{
	return f->major == r->major && f->minor == r->minor && f->ino == r->ino &&
	       f->f_mode == mode && strlen(f->path) == r->name_len &&
	       memcmp(f->path, r->name, r->name_len) == 0;
}

/* group the file lines into distinct files */
static int collect_files(struct import_state *st)
{
	size_t last = 0;

	for (size_t i = 0; i < st->nrecs; i++) {
		struct map_rec *r = &st->recs[i];
		unsigned int mode;
		long long need;
		size_t j;

		if (r->kind != REC_FILE && r->kind != REC_SHMEM)
			continue;
		mode = FMODE_READ;
		if (r->kind == REC_SHMEM || (r->flags & (VM_SHARED | VM_WRITE)) == (VM_SHARED | VM_WRITE))
			mode |= FMODE_WRITE;
		need = (long long)(r->off + (r->end - r->start));

		/* consecutive lines usually name the same file: look there first */
		if (last < st->nfiles && file_matches(&st->files[last], r, mode)) {
			j = last;
		} else {
			for (j = 0; j < st->nfiles; j++)
				if (file_matches(&st->files[j], r, mode))
					break;
		}
		if (j >= st->nfiles) {
			struct file_rec *f;

			if (st->nfiles == st->files_cap) {
				size_t cap = st->files_cap ? st->files_cap * 2 : 16;
				struct file_rec *nf = realloc(st->files, cap * sizeof(*nf));

				if (!nf)
					return -ENOMEM;
				st->files = nf;
				st->files_cap = cap;
			}
			f = &st->files[st->nfiles];
			memset(f, 0, sizeof(*f));
			f->path = strndup(r->name, r->name_len);
			if (!f->path)
				return -ENOMEM;
			f->major = r->major;
			f->minor = r->minor;
			f->ino = r->ino;
			f->f_mode = mode;
			f->shmem = r->kind == REC_SHMEM;
			j = st->nfiles++;
		}
		if (st->files[j].shmem && st->files[j].size < need)
			st->files[j].size = need;
		r->file_idx = (int)j;
		last = j;
	}
	return 0;
}

/* the struct file for one distinct file of the text */
static struct file *import_file(struct file_rec *fr)
{
	struct file *f;
	struct stat sb;

	if (!fr->shmem && stat(fr->path, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    major(sb.st_dev) == fr->major && minor(sb.st_dev) == fr->minor &&
	    (unsigned long)sb.st_ino == fr->ino) {
		f = mmk_file_open(fr->path, fr->f_mode);
		if (!IS_ERR_OR_NULL(f)) {
			if (f->f_path && strcmp(f->f_path, fr->path) == 0 && f->dev_major == fr->major &&
			    f->dev_minor == fr->minor && f->i_ino == fr->ino)
				return f;
			fput(f); /* it would print differently: describe it instead */
		}
	}
	f = mmk_file_create(fr->path, fr->major, fr->minor, fr->ino, fr->shmem ? fr->size : 0,
			    fr->f_mode);
	if (IS_ERR_OR_NULL(f))
		return NULL;
	f->shmem = fr->shmem;
	return f;
}

static void free_state(struct import_state *st)
{
	for (size_t i = 0; i < st->nfiles; i++) {
		if (st->files[i].file)
			fput(st->files[i].file);
		free(st->files[i].path);
	}
	free(st->files);
	free(st->recs);
}

/* free the VMAs allocated but not inserted (remove_vma drops the file
 * reference and any anon_vma) */
static void free_uninserted(struct import_state *st)
{
	for (size_t i = 0; i < st->nrecs; i++) {
		if (st->recs[i].vma) {
			remove_vma(st->recs[i].vma);
			st->recs[i].vma = NULL;
		}
	}
}

static bool wants_anon_vma(const struct vm_area_struct *vma)
{
	if (vma->vm_special || (vma->vm_flags & VM_MAYSHARE))
		return false;
	return vma->vm_flags & (VM_WRITE | VM_ACCOUNT);
}

int mmk_import_maps(struct mm_struct *mm, const char *text, const char *name,
		    char *err, size_t errlen)
{
	struct import_state st;
	unsigned long task_size;
	size_t i;
	struct file_rec *exe = NULL;
	bool heap_seen = false;
	int ret;

	memset(&st, 0, sizeof(st));
	st.name = name ? name : "maps";
	st.err = err;
	st.errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
	if (!mm || !text)
		return import_error(&st, 0, "no address space or no text");

	task_size = mm->task_size ? mm->task_size : TASK_SIZE_47;
	ret = parse_text(&st, text, task_size);
	if (ret)
		goto out_free;
	mark_relro(&st);
	ret = collect_files(&st);
	if (ret)
		goto out_nomem;

	down_write(&mm->mmap_sem);
	for (i = 0; i < st.nrecs; i++) {
		struct map_rec *r = &st.recs[i];
		struct vm_area_struct *old = find_vma_intersection(mm, r->start, r->end);

		if (old) {
			ret = import_error(&st, r->line, "overlaps the existing mapping %08lx-%08lx",
					   old->vm_start, old->vm_end);
			goto out_unlock;
		}
	}
	if ((long)st.nrecs > (long)sysctl_max_map_count - mm->map_count) {
		ret = import_error(&st, 0, "%zu mappings would exceed max_map_count (%d)",
				   st.nrecs + (size_t)mm->map_count, sysctl_max_map_count);
		ret = -ENOMEM;
		goto out_unlock;
	}

	/* allocate everything before changing anything */
	for (i = 0; i < st.nfiles; i++) {
		st.files[i].file = import_file(&st.files[i]);
		if (!st.files[i].file)
			goto out_unlock_nomem;
	}
	for (i = 0; i < st.nrecs; i++) {
		struct map_rec *r = &st.recs[i];
		struct vm_area_struct *vma = vm_area_alloc(mm);

		if (!vma)
			goto out_unlock_nomem;
		r->vma = vma;
		vma->vm_start = r->start;
		vma->vm_end = r->end;
		vma->vm_flags = r->flags;
		vma->vm_special = r->spec;
		if (r->file_idx >= 0) {
			vma->vm_file = st.files[r->file_idx].file;
			get_file(vma->vm_file);
			vma->vm_pgoff = (unsigned long)(r->off >> PAGE_SHIFT);
		} else {
			vma->vm_pgoff = r->start >> PAGE_SHIFT;
		}
		/* its own anon_vma: prepared while the VMA is linked nowhere, so
		 * that no neighbour's is shared (insert_vm_struct would want
		 * none; vma_link_after takes the VMA as it is) */
		if (wants_anon_vma(vma) && anon_vma_prepare(vma))
			goto out_unlock_nomem;
	}

	/* nothing can fail from here on: link and account */
	for (i = 0; i < st.nrecs; i++) {
		struct vm_area_struct *vma = st.recs[i].vma;
		struct vm_area_struct *next = find_vma(mm, vma->vm_start);

		vma_link_after(mm, vma, next ? next->vm_prev : vma_last(mm));
		st.recs[i].vma = NULL; /* the mm owns it now */
		vm_stat_account(mm, vma->vm_flags, (long)vma_pages(vma));
	}

	/* the bounds the names stand for */
	for (i = 0; i < st.nrecs; i++) {
		struct map_rec *r = &st.recs[i];

		if (r->kind == REC_HEAP) {
			if (!heap_seen)
				mm->start_brk = r->start;
			mm->brk = r->end;
			heap_seen = true;
		} else if (r->kind == REC_STACK) {
			mm->start_stack = r->end - sizeof(long);
		} else if (r->kind == REC_FILE && !exe) {
			exe = &st.files[r->file_idx];
		}
	}
	if (exe) {
		bool code = false;

		for (i = 0; i < st.nrecs; i++) {
			struct map_rec *r = &st.recs[i];

			if (r->file_idx < 0 || &st.files[r->file_idx] != exe)
				continue;
			if (!code && (r->flags & VM_EXEC)) {
				mm->start_code = r->start;
				mm->end_code = r->end;
				code = true;
			}
			if ((r->flags & (VM_WRITE | VM_MAYSHARE)) == VM_WRITE) {
				mm->start_data = r->start;
				mm->end_data = r->end;
			}
		}
		if (!mm->exe_file) {
			get_file(exe->file);
			mm->exe_file = exe->file;
		}
	}
	up_write(&mm->mmap_sem);
	ret = 0;
	goto out_free;

out_unlock_nomem:
	ret = -ENOMEM;
out_unlock:
	free_uninserted(&st);
	up_write(&mm->mmap_sem);
	goto out_free;
out_nomem:
	ret = -ENOMEM;
out_free:
	if (ret == -ENOMEM && err && errlen && !err[0])
		snprintf(err, errlen, "%s: out of memory", st.name);
	free_state(&st);
	return ret;
}
