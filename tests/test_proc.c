/* SPDX-License-Identifier: MIT */
/*
 * tests/test_proc.c - /proc/PID/{maps,smaps,smaps_rollup,status,statm}
 * output (src/task_mmu.c) and mmk_import_maps (src/maps_import.c), checked
 * against this machine's kernel: real maps texts must come back byte for
 * byte, smaps must have the kernel's fields in the kernel's order, and the
 * expected texts below are written in the kernel's exact format.
 */
#include "harness.h"

#include <mmkit/mmkit.h>
#include <mmkit/proc.h>
#include "../src/internal.h"

#include <errno.h>

/* ---- helpers ------------------------------------------------------------ */

static struct mm_struct *setup(void)
{
	struct mm_struct *mm;

	CHECK_EQ(mmk_boot(4), 0);
	mm = mm_alloc();
	CHECK(mm != NULL);
	arch_pick_mmap_layout(mm);
	mmk_show_gate_vma = 1;
	return mm;
}

static void teardown(struct mm_struct *mm)
{
	CHECK_EQ(mmk_check_all(NULL), 0);
	mmput(mm);
	CHECK_EQ(mmk_shutdown(), 0);
	CHECK_EQ(atomic_load(&mmk_warnings), 0);
}

/* the whole output of @cmd, or NULL if it could not run */
static char *read_cmd(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap);
	size_t n;

	CHECK(buf != NULL);
	if (!p) {
		free(buf);
		return NULL;
	}
	while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
		len += n;
		if (cap - len - 1 == 0) {
			cap *= 2;
			buf = realloc(buf, cap);
			CHECK(buf != NULL);
		}
	}
	buf[len] = '\0';
	if (pclose(p) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* the whole of a /proc file, read with plain read(2) in one go */
static char *read_proc(const char *path)
{
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap);
	FILE *f;
	size_t n;

	CHECK(buf != NULL);
	f = fopen(path, "r");
	CHECK(f != NULL);
	setvbuf(f, NULL, _IONBF, 0);
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len - 1 == 0) {
			cap *= 2;
			buf = realloc(buf, cap);
			CHECK(buf != NULL);
		}
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

typedef int (*show_fn)(struct seq_file *, struct mm_struct *);

/* the text @show prints for @mm, malloc'ed */
static char *show(show_fn fn, struct mm_struct *mm)
{
	struct seq_file m;
	char *s;

	seq_init(&m);
	CHECK_EQ(fn(&m, mm), 0);
	CHECK_EQ(m.error, 0);
	s = strdup(m.buf ? m.buf : "");
	CHECK(s != NULL);
	seq_release(&m);
	return s;
}

/* report the first differing line of two texts, then fail */
static void check_same_text(const char *got, const char *want)
{
	const char *g = got, *w = want;
	int line = 1;

	if (strcmp(got, want) == 0)
		return;
	while (*g && *g == *w) {
		if (*g == '\n')
			line++;
		g++;
		w++;
	}
	while (g > got && g[-1] != '\n') {
		g--;
		w--;
	}
	fprintf(stderr, "texts differ at line %d:\n--- got\n%.*s\n--- expected\n%.*s\n", line,
		(int)strcspn(g, "\n"), g, (int)strcspn(w, "\n"), w);
	CHECK_STR(got, want);
}

static void check_empty(struct mm_struct *mm)
{
	CHECK(mm->mmap == NULL);
	CHECK_EQ(mm->map_count, 0);
	CHECK_EQ(mm->total_vm, 0);
	CHECK_EQ(mm->data_vm, 0);
	CHECK_EQ(mm->exec_vm, 0);
	CHECK_EQ(mm->stack_vm, 0);
	CHECK_EQ(mm->start_brk, 0);
	CHECK_EQ(mm->brk, 0);
	CHECK_EQ(mm->start_stack, 0);
	CHECK_EQ(validate_mm(mm), 0);
}

/* the sum of the pages of every VMA */
static unsigned long pages_mapped(struct mm_struct *mm)
{
	unsigned long n = 0;

	for (struct vm_area_struct *v = mm->mmap; v; v = v->vm_next)
		n += vma_pages(v);
	return n;
}

static struct vm_area_struct *vma_at(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *v = find_vma(mm, addr);

	CHECK(v != NULL && v->vm_start <= addr);
	return v;
}

/* the text up to and including the [vsyscall] line (or all of it) */
static size_t maps_part_len(const char *text)
{
	const char *v = strstr(text, "[vsyscall]\n");

	return v ? (size_t)(v - text) + strlen("[vsyscall]\n") : strlen(text);
}

/* import a real maps text and check it comes back byte for byte */
static void round_trip(struct mm_struct *mm, const char *text, const char *name)
{
	char err[256] = "";
	char *out;
	int ret;

	ret = mmk_import_maps(mm, text, name, err, sizeof(err));
	if (ret)
		fprintf(stderr, "import failed: %d %s\n", ret, err);
	CHECK_EQ(ret, 0);
	CHECK_EQ(validate_mm(mm), 0);
	CHECK_EQ(mm->total_vm, pages_mapped(mm));
	/* print [vsyscall] exactly when the text had it */
	mmk_show_gate_vma = strstr(text, "[vsyscall]") != NULL;
	out = show(show_maps, mm);
	check_same_text(out, text);
	free(out);
	mmk_show_gate_vma = 1;
}

/* ---- round trips of real texts ------------------------------------------ */

TEST(roundtrip_machine)
{
	struct mm_struct *mm;
	char *text;

	if (system("command -v setarch >/dev/null 2>&1") != 0)
		SKIP("setarch (util-linux) is not installed: cannot get a maps text without ASLR");
	text = read_cmd("setarch -R cat /proc/self/maps");
	if (!text || !*text)
		SKIP("`setarch -R cat /proc/self/maps` did not run here (personality blocked?)");

	mm = setup();
	round_trip(mm, text, "setarch");
	/* the names stood for the mm's bounds */
	if (strstr(text, "[heap]"))
		CHECK(mm->start_brk != 0 && mm->brk > mm->start_brk);
	if (strstr(text, "[stack]")) {
		struct vm_area_struct *st = vma_at(mm, mm->start_stack);

		CHECK(st->vm_flags & VM_GROWSDOWN);
		CHECK_EQ(mm->stack_vm, vma_pages(st));
	}
	if (strstr(text, "[vdso]")) {
		int specials = 0;

		for (struct vm_area_struct *v = mm->mmap; v; v = v->vm_next)
			if (v->vm_special) {
				specials++;
				CHECK(v->vm_flags & VM_DONTEXPAND);
			}
		CHECK(specials >= 1);
	}
	free(text);
	teardown(mm);
}

TEST(roundtrip_self)
{
	struct mm_struct *mm = setup();
	char *text = read_proc("/proc/self/maps");

	CHECK(*text != '\0');
	round_trip(mm, text, "self");
	free(text);
	teardown(mm);
}

/*
 * One cat reads its own maps and then its own smaps: smaps of the imported
 * maps must equal the real one except for the page counts (mmkit has no
 * pages yet), i.e. the same headers, Size, page sizes, THPeligible,
 * ProtectionKey and VmFlags.
 */
TEST(smaps_machine)
{
	static const char *const counted[] = {
		"Rss:", "Pss:", "Pss_Dirty:", "Shared_Clean:", "Shared_Dirty:", "Private_Clean:",
		"Private_Dirty:", "Referenced:", "Anonymous:", "KSM:", "LazyFree:", "AnonHugePages:",
		"ShmemPmdMapped:", "FilePmdMapped:", "Shared_Hugetlb:", "Private_Hugetlb:", "Swap:",
		"SwapPss:", "Locked:",
	};
	struct mm_struct *mm;
	char *text, *smaps, *ours, *g, *w;
	size_t maps_len;
	char err[256];
	int line = 0;

	if (system("command -v setarch >/dev/null 2>&1") != 0)
		SKIP("setarch (util-linux) is not installed");
	text = read_cmd("setarch -R cat /proc/self/maps /proc/self/smaps");
	if (!text || !*text)
		SKIP("`setarch -R cat` did not run here");
	maps_len = maps_part_len(text);
	smaps = text + maps_len;
	text[maps_len - 1] = '\0'; /* cut after the maps part (its last newline) */

	mm = setup();
	CHECK_EQ(mmk_import_maps(mm, text, "cat", err, sizeof(err)), 0);
	ours = show(show_smaps, mm);
	/* compare line by line, values of the page-count fields masked */
	g = ours;
	w = smaps;
	while (*g || *w) {
		size_t gl = strcspn(g, "\n"), wl = strcspn(w, "\n");
		bool masked = false;

		line++;
		for (size_t i = 0; i < sizeof(counted) / sizeof(counted[0]); i++) {
			size_t n = strlen(counted[i]);

			if (gl > n && wl > n && !strncmp(g, counted[i], n) && !strncmp(w, counted[i], n))
				masked = true;
		}
		if (masked) {
			CHECK(gl >= 3 && !strncmp(g + gl - 3, " kB", 3));
			CHECK(wl >= 3 && !strncmp(w + wl - 3, " kB", 3));
		} else if (gl != wl || strncmp(g, w, gl) != 0) {
			fprintf(stderr, "smaps line %d:\n got: %.*s\nreal: %.*s\n", line, (int)gl, g,
				(int)wl, w);
			CHECK(0);
		}
		g += gl + (g[gl] == '\n');
		w += wl + (w[wl] == '\n');
	}
	free(ours);
	free(text);
	teardown(mm);
}

/* ---- malformed input ----------------------------------------------------- */

#define GOOD1 "00400000-00401000 r-xp 00000000 fe:00 1234                               /nonexistent/mmkit/prog\n"
#define GOOD2 "00402000-00423000 rw-p 00000000 00:00 0                                  [heap]\n"

static void check_rejected(const char *text, int line, const char *why)
{
	struct mm_struct *mm = setup();
	char err[256] = "";
	char prefix[64];
	int ret;

	ret = mmk_import_maps(mm, text, "bad", err, sizeof(err));
	if (ret != -EINVAL)
		fprintf(stderr, "case %s: ret %d err '%s'\n", why, ret, err);
	CHECK_EQ(ret, -EINVAL);
	snprintf(prefix, sizeof(prefix), "bad:%d: ", line);
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fprintf(stderr, "case %s: err '%s', want prefix '%s'\n", why, err, prefix);
	CHECK(strncmp(err, prefix, strlen(prefix)) == 0);
	CHECK(strlen(err) > strlen(prefix));
	check_empty(mm);
	teardown(mm);
}

TEST(malformed)
{
	check_rejected(GOOD1 GOOD2 "00423000-00424000 r-", 3, "truncated line");
	check_rejected(GOOD1 "00402000-00423000 rw-p 00000000 00:00\n", 2, "truncated before inode");
	check_rejected(GOOD1 "00402000-", 2, "truncated after start");
	check_rejected("0040z000-00401000 r--p 00000000 00:00 0 \n", 1, "bad hex start");
	check_rejected(GOOD1 "00402000-0042g000 rw-p 00000000 00:00 0 \n", 2, "bad hex end");
	check_rejected("00400000-00401000 r--p 0000x000 fe:00 1 /x\n", 1, "bad hex offset");
	check_rejected("00400000-00401000 r--p 00000000 fz:00 1 /x\n", 1, "bad hex device");
	check_rejected("00400000-00401000 r--p 00000000 fe00 1 /x\n", 1, "device without colon");
	check_rejected("00400000-00401000 r--p 00000000 fe:00 1x /x\n", 1, "bad inode");
	check_rejected("12345678901234567-12345678901234568 r--p 00000000 00:00 0 \n", 1, "hex overflow");
	check_rejected(GOOD1 "00402000-00401000 rw-p 00000000 00:00 0 \n", 2, "end < start");
	check_rejected(GOOD1 "00402000-00402000 rw-p 00000000 00:00 0 \n", 2, "end == start");
	check_rejected("00400000-00402000 rw-p 00000000 00:00 0 \n"
		       "00401000-00403000 rw-p 00000000 00:00 0 \n", 2, "overlapping lines");
	check_rejected(GOOD2 GOOD1, 2, "unsorted lines");
	check_rejected(GOOD1 "00402000-00403000 rwzp 00000000 00:00 0 \n", 2, "unknown perms");
	check_rejected("00402000-00403000 rw-q 00000000 00:00 0 \n", 1, "unknown share flag");
	check_rejected("00402000-00403000 rw- 00000000 00:00 0 \n", 1, "short perms");
	check_rejected("00400010-00401000 rw-p 00000000 00:00 0 \n", 1, "unaligned start");
	check_rejected("00400000-00401000 r--p 00000010 fe:00 1 /x\n", 1, "unaligned offset");
	check_rejected(GOOD1 "\n" GOOD2, 2, "empty line");
	check_rejected("hello world\n", 1, "garbage");
	check_rejected(GOOD1 "00402000-00403000 r--p 00000000 00:00 0                          [foo]\n",
		       2, "unknown special mapping");
	check_rejected("00402000-00403000 rw-p 00000000 fe:00 5 \n", 1, "anonymous with an inode");
	check_rejected("00402000-00403000 rw-s 00000000 00:00 0 \n", 1, "shared without a file");
	check_rejected("800000000000-800000001000 rw-p 00000000 00:00 0 \n", 1, "beyond user space");
	check_rejected(GOOD1 GOOD2 "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0 junk", 3,
		       "file name without device and inode");
}

TEST(overlap_existing)
{
	struct mm_struct *mm = setup();
	char err[256];
	unsigned long total;

	CHECK_EQ(mmk_import_maps(mm, GOOD1, "one", err, sizeof(err)), 0);
	total = mm->total_vm;
	CHECK_EQ(mmk_import_maps(mm, GOOD2 "00400000-00401000 rw-p 00000000 00:00 0 \n" , "two", err,
				 sizeof(err)),
		 -EINVAL); /* unsorted */
	CHECK(strncmp(err, "two:2: ", 7) == 0);
	CHECK_EQ(mmk_import_maps(mm, "003ff000-00401000 rw-p 00000000 00:00 0 \n" GOOD2, "three", err,
				 sizeof(err)),
		 -EINVAL);
	CHECK(strncmp(err, "three:1: ", 9) == 0);
	CHECK(strstr(err, "00400000-00401000") != NULL);
	CHECK_EQ(mm->map_count, 1);
	CHECK_EQ(mm->total_vm, total);
	CHECK_EQ(mm->start_brk, 0);
	CHECK_EQ(validate_mm(mm), 0);
	/* a text that fits beside it goes in */
	CHECK_EQ(mmk_import_maps(mm, GOOD2, "four", err, sizeof(err)), 0);
	CHECK_EQ(mm->map_count, 2);
	teardown(mm);
}

TEST(no_trailing_newline)
{
	struct mm_struct *mm = setup();
	char err[256];
	char *out;

	CHECK_EQ(mmk_import_maps(mm, GOOD1 "00402000-00423000 rw-p 00000000 00:00 0 ", "t", err,
				 sizeof(err)),
		 0);
	CHECK_EQ(mm->map_count, 2);
	mmk_show_gate_vma = 0;
	out = show(show_maps, mm);
	CHECK_STR(out, GOOD1 "00402000-00423000 rw-p 00000000 00:00 0 \n");
	free(out);
	/* an empty text is no mapping at all */
	CHECK_EQ(mmk_import_maps(mm, "", "t", err, sizeof(err)), 0);
	CHECK_EQ(mm->map_count, 2);
	teardown(mm);
}

/* ---- each kind of line --------------------------------------------------- */

#define L_TEXT "00400000-00401000 r-xp 00000000 fe:00 1234                               /nonexistent/mmkit/prog\n"
#define L_DATA "00401000-00402000 rw-p 00001000 fe:00 1234                               /nonexistent/mmkit/prog\n"
#define L_HEAP "00402000-00423000 rw-p 00000000 00:00 0                                  [heap]\n"
#define L_ANON "7ffff7fe0000-7ffff7fe3000 rw-p 00000000 00:00 0 \n"
#define L_SHM "7ffff7ff0000-7ffff7ff2000 rw-s 00000000 00:01 4242                       /dev/zero (deleted)\n"
#define L_VVAR "7ffff7ff4000-7ffff7ff8000 r--p 00000000 00:00 0                          [vvar]\n"
#define L_VCLK "7ffff7ff8000-7ffff7ffa000 r--p 00000000 00:00 0                          [vvar_vclock]\n"
#define L_VDSO "7ffff7ffa000-7ffff7ffc000 r-xp 00000000 00:00 0                          [vdso]\n"
#define L_STACK "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]\n"
#define L_GATE "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n"

#define PRIV_MAY (VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)

TEST(line_kinds)
{
	static const char text[] = L_TEXT L_DATA L_HEAP L_ANON L_SHM L_VVAR L_VCLK L_VDSO L_STACK L_GATE;
	struct mm_struct *mm = setup();
	struct vm_area_struct *v;
	char err[256];
	char *out;

	CHECK_EQ(mmk_import_maps(mm, text, "kinds", err, sizeof(err)), 0);
	CHECK_EQ(mm->map_count, 9);
	CHECK_EQ(validate_mm(mm), 0);
	out = show(show_maps, mm);
	check_same_text(out, text);
	free(out);

	v = vma_at(mm, 0x400000); /* file text */
	CHECK_EQ(v->vm_flags, VM_READ | VM_EXEC | PRIV_MAY);
	CHECK_EQ(v->vm_pgoff, 0);
	CHECK(v->vm_file != NULL);
	CHECK_STR(v->vm_file->f_path, "/nonexistent/mmkit/prog");
	CHECK_EQ(v->vm_file->dev_major, 0xfe);
	CHECK_EQ(v->vm_file->dev_minor, 0);
	CHECK_EQ(v->vm_file->i_ino, 1234);
	CHECK(v->anon_vma == NULL);
	CHECK(vma_at(mm, 0x401000)->vm_file == v->vm_file); /* one struct file per object */

	v = vma_at(mm, 0x401000); /* file data */
	CHECK_EQ(v->vm_flags, VM_READ | VM_WRITE | PRIV_MAY | VM_ACCOUNT);
	CHECK_EQ(v->vm_pgoff, 1);
	CHECK(v->anon_vma != NULL);

	v = vma_at(mm, 0x402000); /* heap */
	CHECK_EQ(v->vm_flags, VM_READ | VM_WRITE | PRIV_MAY | VM_ACCOUNT);
	CHECK_EQ(v->vm_pgoff, 0x402);
	CHECK(v->vm_file == NULL && v->vm_special == NULL);
	CHECK(v->anon_vma != NULL);
	CHECK_EQ(mm->start_brk, 0x402000);
	CHECK_EQ(mm->brk, 0x423000);

	v = vma_at(mm, 0x7ffff7fe0000); /* anonymous */
	CHECK_EQ(v->vm_flags, VM_READ | VM_WRITE | PRIV_MAY | VM_ACCOUNT);
	CHECK_EQ(v->vm_pgoff, 0x7ffff7fe0000UL >> PAGE_SHIFT);
	CHECK(v->anon_vma != NULL);
	CHECK(v->anon_vma != vma_at(mm, 0x402000)->anon_vma);

	v = vma_at(mm, 0x7ffff7ff0000); /* shared anonymous */
	CHECK_EQ(v->vm_flags, VM_READ | VM_WRITE | VM_SHARED | VM_MAYSHARE | PRIV_MAY);
	CHECK(v->vm_file != NULL && v->vm_file->shmem);
	CHECK_EQ(v->vm_file->dev_minor, 1);
	CHECK_EQ(v->vm_file->i_ino, 4242);
	CHECK_EQ(v->vm_pgoff, 0);
	CHECK(v->anon_vma == NULL);

	v = vma_at(mm, 0x7ffff7ff4000);
	CHECK(v->vm_special != NULL);
	CHECK_STR(v->vm_special->name, "[vvar]");
	CHECK_EQ(v->vm_flags, VM_READ | VM_MAYREAD | VM_IO | VM_PFNMAP | VM_DONTDUMP | VM_DONTEXPAND);
	v = vma_at(mm, 0x7ffff7ff8000);
	CHECK_STR(v->vm_special->name, "[vvar_vclock]");
	v = vma_at(mm, 0x7ffff7ffa000);
	CHECK_STR(v->vm_special->name, "[vdso]");
	CHECK_EQ(v->vm_flags, VM_READ | VM_EXEC | PRIV_MAY | VM_DONTEXPAND);
	CHECK(v->anon_vma == NULL);

	v = vma_at(mm, 0x7ffffffde000); /* stack */
	CHECK_EQ(v->vm_flags, VM_READ | VM_WRITE | PRIV_MAY | VM_ACCOUNT | VM_GROWSDOWN);
	CHECK(mm->start_stack >= v->vm_start && mm->start_stack < v->vm_end);
	CHECK(v->anon_vma != NULL);

	/* accounting as vm_stat_account does it */
	CHECK_EQ(mm->total_vm, 1 + 1 + 0x21 + 3 + 2 + 4 + 2 + 2 + 0x21);
	CHECK_EQ(mm->exec_vm, 1 + 2);
	CHECK_EQ(mm->stack_vm, 0x21);
	CHECK_EQ(mm->data_vm, 1 + 0x21 + 3);
	CHECK_EQ(mm->start_code, 0x400000);
	CHECK_EQ(mm->end_code, 0x401000);
	CHECK(mm->exe_file == vma_at(mm, 0x400000)->vm_file);

	/* without the gate area the [vsyscall] line goes */
	mmk_show_gate_vma = 0;
	out = show(show_maps, mm);
	CHECK_EQ(strlen(out), strlen(text) - strlen(L_GATE));
	CHECK(strncmp(out, text, strlen(out)) == 0);
	free(out);
	mmk_show_gate_vma = 1;
	teardown(mm);
}

/* the names follow the mm's bounds, not the import */
TEST(heap_stack_rules)
{
	struct mm_struct *mm = setup();
	char err[256];
	char *out;

	CHECK_EQ(mmk_import_maps(mm,
				 "00500000-00510000 rw-p 00000000 00:00 0 \n"
				 "00510000-00520000 rw-p 00000000 00:00 0 \n"
				 "00520000-00530000 rw-p 00000000 00:00 0 \n"
				 "7ffff0000000-7ffff0001000 rw-p 00000000 00:00 0 \n"
				 "7ffff0001000-7ffff0010000 rw-p 00000000 00:00 0 \n",
				 "rules", err, sizeof(err)),
		 0);
	mmk_show_gate_vma = 0;
	/* [heap]: overlapping [start_brk, brk); touching is not enough */
	mm->start_brk = 0x510000;
	mm->brk = 0x518000;
	/* [stack]: start_stack inside, both ends included */
	mm->start_stack = 0x7ffff0001000;
	out = show(show_maps, mm);
	CHECK_STR(out,
		  "00500000-00510000 rw-p 00000000 00:00 0 \n"
		  "00510000-00520000 rw-p 00000000 00:00 0                                  [heap]\n"
		  "00520000-00530000 rw-p 00000000 00:00 0 \n"
		  "7ffff0000000-7ffff0001000 rw-p 00000000 00:00 0                          [stack]\n"
		  "7ffff0001000-7ffff0010000 rw-p 00000000 00:00 0                          [stack]\n");
	free(out);
	/* an empty heap ending where a VMA ends names nothing */
	mm->start_brk = mm->brk = 0x510000;
	mm->start_stack = 0;
	out = show(show_maps, mm);
	CHECK(strstr(out, "[heap]") == NULL && strstr(out, "[stack]") == NULL);
	free(out);
	teardown(mm);
}

/* ---- smaps, smaps_rollup, status, statm of a small address space ---------- */

#define SMALL L_TEXT L_HEAP L_STACK

#define ZERO_COUNTS                     \
	"Rss:                   0 kB\n"   \
	"Pss:                   0 kB\n"   \
	"Pss_Dirty:             0 kB\n"   \
	"Shared_Clean:          0 kB\n"   \
	"Shared_Dirty:          0 kB\n"   \
	"Private_Clean:         0 kB\n"   \
	"Private_Dirty:         0 kB\n"   \
	"Referenced:            0 kB\n"   \
	"Anonymous:             0 kB\n"   \
	"KSM:                   0 kB\n"   \
	"LazyFree:              0 kB\n"   \
	"AnonHugePages:         0 kB\n"   \
	"ShmemPmdMapped:        0 kB\n"   \
	"FilePmdMapped:         0 kB\n"   \
	"Shared_Hugetlb:        0 kB\n"   \
	"Private_Hugetlb:       0 kB\n"   \
	"Swap:                  0 kB\n"   \
	"SwapPss:               0 kB\n"   \
	"Locked:                0 kB\n"

TEST(smaps_small)
{
	struct mm_struct *mm = setup();
	char err[256];
	char *out;

	CHECK_EQ(mmk_import_maps(mm, SMALL, "small", err, sizeof(err)), 0);
	out = show(show_smaps, mm);
	check_same_text(out,
		L_TEXT
		"Size:                  4 kB\n"
		"KernelPageSize:        4 kB\n"
		"MMUPageSize:           4 kB\n"
		ZERO_COUNTS
		"THPeligible:           0\n"
		"ProtectionKey:         0\n"
		"VmFlags: rd ex mr mw me \n"
		L_HEAP
		"Size:                132 kB\n"
		"KernelPageSize:        4 kB\n"
		"MMUPageSize:           4 kB\n"
		ZERO_COUNTS
		"THPeligible:           0\n"
		"ProtectionKey:         0\n"
		"VmFlags: rd wr mr mw me ac \n"
		L_STACK
		"Size:                132 kB\n"
		"KernelPageSize:        4 kB\n"
		"MMUPageSize:           4 kB\n"
		ZERO_COUNTS
		"THPeligible:           0\n"
		"ProtectionKey:         0\n"
		"VmFlags: rd wr mr mw me gd ac \n"
		L_GATE
		"Size:                  4 kB\n"
		"KernelPageSize:        4 kB\n"
		"MMUPageSize:           4 kB\n"
		ZERO_COUNTS
		"THPeligible:           0\n"
		"ProtectionKey:         0\n"
		"VmFlags: ex \n");
	free(out);
	teardown(mm);
}

TEST(rollup_status_statm_small)
{
	struct mm_struct *mm = setup();
	char err[256];
	char *out;

	CHECK_EQ(mmk_import_maps(mm, SMALL, "small", err, sizeof(err)), 0);
	out = show(show_smaps_rollup, mm);
	check_same_text(out,
		"00400000-7ffffffff000 ---p 00000000 00:00 0                              [rollup]\n"
		"Rss:                   0 kB\n"
		"Pss:                   0 kB\n"
		"Pss_Dirty:             0 kB\n"
		"Pss_Anon:              0 kB\n"
		"Pss_File:              0 kB\n"
		"Pss_Shmem:             0 kB\n"
		"Shared_Clean:          0 kB\n"
		"Shared_Dirty:          0 kB\n"
		"Private_Clean:         0 kB\n"
		"Private_Dirty:         0 kB\n"
		"Referenced:            0 kB\n"
		"Anonymous:             0 kB\n"
		"KSM:                   0 kB\n"
		"LazyFree:              0 kB\n"
		"AnonHugePages:         0 kB\n"
		"ShmemPmdMapped:        0 kB\n"
		"FilePmdMapped:         0 kB\n"
		"Shared_Hugetlb:        0 kB\n"
		"Private_Hugetlb:       0 kB\n"
		"Swap:                  0 kB\n"
		"SwapPss:               0 kB\n"
		"Locked:                0 kB\n");
	free(out);

	/* 1 + 33 + 33 pages; text 1 page of the executable */
	out = show(proc_pid_status_vm, mm);
	check_same_text(out,
		"VmPeak:\t     268 kB\n"
		"VmSize:\t     268 kB\n"
		"VmLck:\t       0 kB\n"
		"VmPin:\t       0 kB\n"
		"VmHWM:\t       0 kB\n"
		"VmRSS:\t       0 kB\n"
		"RssAnon:\t       0 kB\n"
		"RssFile:\t       0 kB\n"
		"RssShmem:\t       0 kB\n"
		"VmData:\t     132 kB\n"
		"VmStk:\t     132 kB\n"
		"VmExe:\t       4 kB\n"
		"VmLib:\t       0 kB\n"
		"VmPTE:\t       0 kB\n"
		"VmSwap:\t       0 kB\n"
		"HugetlbPages:\t       0 kB\n");
	free(out);
	out = show(proc_pid_statm, mm);
	CHECK_STR(out, "67 0 0 1 0 66 0\n");
	free(out);

	/* the counters and marks as task_mem reads them */
	atomic_long_set(&mm->rss_stat[MM_ANONPAGES], 5);
	atomic_long_set(&mm->rss_stat[MM_FILEPAGES], 7);
	atomic_long_set(&mm->rss_stat[MM_SHMEMPAGES], 2);
	atomic_long_set(&mm->rss_stat[MM_SWAPENTS], 3);
	mm->hiwater_rss = 20;
	mm->hiwater_vm = 1000;
	mm->locked_vm = 1;
	mm->pinned_vm = 2;
	atomic_long_set(&mm->pgtables_bytes, 8192);
	out = show(proc_pid_status_vm, mm);
	check_same_text(out,
		"VmPeak:\t    4000 kB\n"
		"VmSize:\t     268 kB\n"
		"VmLck:\t       4 kB\n"
		"VmPin:\t       8 kB\n"
		"VmHWM:\t      80 kB\n"
		"VmRSS:\t      56 kB\n"
		"RssAnon:\t      20 kB\n"
		"RssFile:\t      28 kB\n"
		"RssShmem:\t       8 kB\n"
		"VmData:\t     132 kB\n"
		"VmStk:\t     132 kB\n"
		"VmExe:\t       4 kB\n"
		"VmLib:\t       0 kB\n"
		"VmPTE:\t       8 kB\n"
		"VmSwap:\t      12 kB\n"
		"HugetlbPages:\t       0 kB\n");
	free(out);
	out = show(proc_pid_statm, mm);
	CHECK_STR(out, "67 14 9 1 0 66 0\n");
	free(out);
	/* a counter gone negative reads as 0 */
	atomic_long_set(&mm->rss_stat[MM_ANONPAGES], -3);
	out = show(proc_pid_statm, mm);
	CHECK_STR(out, "67 9 9 1 0 66 0\n");
	free(out);
	for (int i = 0; i < NR_MM_COUNTERS; i++)
		atomic_long_set(&mm->rss_stat[i], 0);
	atomic_long_set(&mm->pgtables_bytes, 0);
	mm->locked_vm = mm->pinned_vm = 0;
	teardown(mm);
}

TEST(empty_mm)
{
	struct mm_struct *mm = setup();
	char *out;

	out = show(show_maps, mm);
	CHECK_STR(out, L_GATE);
	free(out);
	out = show(show_smaps_rollup, mm);
	{
		static const char head[] =
			"00000000-00000000 ---p 00000000 00:00 0                                  [rollup]\n"
			"Rss:                   0 kB\n";

		CHECK(strncmp(out, head, strlen(head)) == 0);
		CHECK_EQ(strstr(out, "[rollup]") - out, 73);
	}
	free(out);
	out = show(proc_pid_statm, mm);
	CHECK_STR(out, "0 0 0 0 0 0 0\n");
	free(out);
	mmk_show_gate_vma = 0;
	out = show(show_maps, mm);
	CHECK_STR(out, "");
	free(out);
	teardown(mm);
}

/* /proc readers pin with mmget_not_zero: once the users are gone, nothing */
TEST(users_gone)
{
	struct mm_struct *mm = setup();
	struct seq_file m;
	char err[256];

	CHECK_EQ(mmk_import_maps(mm, SMALL, "small", err, sizeof(err)), 0);
	mmgrab(mm);
	mmput(mm);
	CHECK_EQ(mm_users(mm), 0);
	seq_init(&m);
	CHECK_EQ(show_maps(&m, mm), 0);
	CHECK_EQ(show_smaps(&m, mm), 0);
	CHECK_EQ(m.count, 0);
	CHECK_EQ(show_smaps_rollup(&m, mm), -ESRCH);
	CHECK_EQ(m.count, 0);
	seq_release(&m);
	mmdrop(mm);
	CHECK_EQ(mmk_shutdown(), 0);
}

TEST(thp_eligible)
{
	struct mm_struct *mm = setup();
	char err[256];
	char *out, *p;

	CHECK_EQ(mmk_import_maps(mm,
				 "7f0000000000-7f0000400000 rw-p 00000000 00:00 0 \n"  /* 4 MiB, aligned */
				 "7f0000401000-7f0000601000 rw-p 00000000 00:00 0 \n"  /* 2 MiB, unaligned */
				 "7f0000800000-7f0000a00000 ---p 00000000 00:00 0 \n"  /* 2 MiB, aligned, PROT_NONE */
				 "7f0000c00000-7f0001000000 rw-p 00000000 00:00 0 \n"  /* 4 MiB, no madvise */
				 "7f0001000000-7f0001400000 r--s 00000000 00:01 9                          /dev/zero (deleted)\n",
				 "thp", err, sizeof(err)),
		 0);
	vma_at(mm, 0x7f0000000000)->vm_flags |= VM_HUGEPAGE;
	vma_at(mm, 0x7f0000401000)->vm_flags |= VM_HUGEPAGE;
	vma_at(mm, 0x7f0000800000)->vm_flags |= VM_HUGEPAGE;
	vma_at(mm, 0x7f0001000000)->vm_flags |= VM_HUGEPAGE;
	out = show(show_smaps, mm);
	p = out;
	{
		static const char *const want[] = { "1", "0", "1", "0", "0", "0" };
		static const char *const flags[] = { "rd wr mr mw me ac hg ", "rd wr mr mw me ac hg ",
						     "mr mw me hg ", "rd wr mr mw me ac ",
						     "rd sh mr mw me ms hg ", "ex " };

		for (int i = 0; i < 6; i++) {
			char line[64];

			p = strstr(p, "THPeligible:");
			CHECK(p != NULL);
			snprintf(line, sizeof(line), "THPeligible:           %s\n", want[i]);
			if (strncmp(p, line, strlen(line)) != 0)
				fprintf(stderr, "VMA %d: %.26s\n", i, p);
			CHECK(strncmp(p, line, strlen(line)) == 0);
			p = strstr(p, "VmFlags: ");
			CHECK(p != NULL);
			snprintf(line, sizeof(line), "VmFlags: %s\n", flags[i]);
			if (strncmp(p, line, strlen(line)) != 0)
				fprintf(stderr, "VMA %d: %.40s\n", i, p);
			CHECK(strncmp(p, line, strlen(line)) == 0);
			p++;
		}
	}
	free(out);
	vma_at(mm, 0x7f0000000000)->vm_flags |= VM_NOHUGEPAGE;
	out = show(show_smaps, mm);
	p = strstr(out, "THPeligible:");
	CHECK(p != NULL && strncmp(p, "THPeligible:           0\n", 25) == 0);
	free(out);
	teardown(mm);
}

/* every VM_* flag has the kernel's code, printed in bit order */
TEST(vmflags_codes)
{
	struct mm_struct *mm = setup();
	char err[256];
	char *out, *p;

	CHECK_EQ(mmk_import_maps(mm, "7f0000000000-7f0000001000 rw-p 00000000 00:00 0 \n", "f", err,
				 sizeof(err)),
		 0);
	vma_at(mm, 0x7f0000000000)->vm_flags =
		VM_READ | VM_WRITE | VM_EXEC | VM_SHARED | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC |
		VM_MAYSHARE | VM_GROWSDOWN | VM_UFFD_MISSING | VM_PFNMAP | VM_UFFD_WP | VM_LOCKED |
		VM_IO | VM_SEQ_READ | VM_RAND_READ | VM_DONTCOPY | VM_DONTEXPAND | VM_LOCKONFAULT |
		VM_ACCOUNT | VM_NORESERVE | VM_HUGETLB | VM_SYNC | VM_ARCH_1 | VM_WIPEONFORK |
		VM_DONTDUMP | VM_SOFTDIRTY | VM_MIXEDMAP | VM_HUGEPAGE | VM_NOHUGEPAGE | VM_MERGEABLE;
	mmk_show_gate_vma = 0;
	out = show(show_smaps, mm);
	p = strstr(out, "VmFlags: ");
	CHECK(p != NULL);
	CHECK_STR(p, "VmFlags: rd wr ex sh mr mw me ms gd um pf uw lo io sr rr dc de lf ac nr ht sf "
		     "ar wf dd mm hg nh mg \n");
	free(out);
	vma_at(mm, 0x7f0000000000)->vm_flags = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE |
					      VM_MAYEXEC | VM_ACCOUNT;
	teardown(mm);
}

/* ---- field names against this kernel -------------------------------------- */

/* the labels ("Name:") of the lines of @text from @from up to the next header
 * line (one that starts with a hex address) or the end, joined by spaces */
static char *labels(const char *text, bool skip_first)
{
	size_t cap = 4096, len = 0;
	char *out = malloc(cap);
	const char *p = text;
	bool first = true;

	CHECK(out != NULL);
	out[0] = '\0';
	while (*p) {
		size_t l = strcspn(p, "\n");
		const char *colon = memchr(p, ':', l);
		bool header = l > 0 && strchr("0123456789abcdef", p[0]) && memchr(p, '-', l) &&
			      (size_t)((const char *)memchr(p, '-', l) - p) >= 8;

		if (header && !(first && skip_first))
			break;
		if (!header && colon) {
			size_t n = (size_t)(colon - p);

			CHECK(len + n + 2 < cap);
			memcpy(out + len, p, n);
			len += n;
			out[len++] = ' ';
			out[len] = '\0';
		}
		first = false;
		p += l + (p[l] == '\n');
	}
	return out;
}

TEST(smaps_names_match_kernel)
{
	struct mm_struct *mm = setup();
	char *real = read_proc("/proc/self/smaps");
	char *real_rollup = read_proc("/proc/self/smaps_rollup");
	char err[256];
	char *ours, *a, *b;
	const char *gate_real, *gate_ours;

	CHECK_EQ(mmk_import_maps(mm, SMALL, "small", err, sizeof(err)), 0);
	ours = show(show_smaps, mm);
	a = labels(real, true);
	b = labels(ours, true);
	CHECK_STR(b, a);
	CHECK(strstr(a, "VmFlags") != NULL);
	free(a);
	free(b);
	/* the gate area's entry too */
	gate_real = strstr(real, "[vsyscall]\n");
	gate_ours = strstr(ours, "[vsyscall]\n");
	if (gate_real) {
		CHECK(gate_ours != NULL);
		CHECK_STR(strstr(gate_ours, "VmFlags:"), strstr(gate_real, "VmFlags:"));
	}
	free(ours);

	ours = show(show_smaps_rollup, mm);
	a = labels(real_rollup, true);
	b = labels(ours, true);
	CHECK_STR(b, a);
	/* and the header's form: range, "---p 00000000 00:00 0", [rollup] at column 73 */
	CHECK(strstr(real_rollup, " ---p 00000000 00:00 0 ") != NULL);
	CHECK_EQ(strstr(real_rollup, "[rollup]") - real_rollup, strstr(ours, "[rollup]") - ours);
	free(a);
	free(b);
	free(ours);
	free(real);
	free(real_rollup);
	teardown(mm);
}

TEST(status_names_match_kernel)
{
	struct mm_struct *mm = setup();
	char *real = read_proc("/proc/self/status");
	char *ours = show(proc_pid_status_vm, mm);
	const char *start = strstr(real, "\nVmPeak:");
	const char *p;
	size_t len;

	CHECK(start != NULL);
	start++;
	/* this kernel prints task_mem's lines and the hugetlb line together */
	p = strstr(start, "\nHugetlbPages:");
	CHECK(p != NULL);
	p = strchr(p + 1, '\n');
	len = (size_t)(p + 1 - start);
	/* the same labels in the same order; ours as "Label:\t%8lu kB" */
	{
		const char *r = start, *o = ours;

		while (r < start + len) {
			size_t rl = strcspn(r, "\t"), ol = strcspn(o, "\t"), vl;

			CHECK(rl == ol && strncmp(r, o, rl) == 0);
			CHECK(r[rl - 1] == ':');
			vl = strcspn(o + ol + 1, "\n");
			CHECK_EQ(vl, 8 + 3);
			CHECK(strncmp(o + ol + 1 + 8, " kB", 3) == 0);
			CHECK(strncmp(r + rl + 1 + strcspn(r + rl + 1, "\n") - 3, " kB", 3) == 0);
			r += strcspn(r, "\n") + 1;
			o += strcspn(o, "\n") + 1;
		}
		CHECK_EQ(*o, '\0');
	}
	free(real);
	free(ours);
	teardown(mm);
}

/* statm: seven numbers, two of them always 0 */
TEST(statm_form_matches_kernel)
{
	char *real = read_proc("/proc/self/statm");
	unsigned long v[7];
	char tail;

	CHECK_EQ(sscanf(real, "%lu %lu %lu %lu %lu %lu %lu%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
			&v[6], &tail),
		 8);
	CHECK_EQ(tail, '\n');
	CHECK_EQ(v[4], 0);
	CHECK_EQ(v[6], 0);
	free(real);
}

/* ---- allocation failures undo everything ------------------------------------ */

TEST(import_enomem)
{
	static const char text[] = L_TEXT L_DATA L_HEAP L_ANON L_SHM L_VVAR L_VDSO L_STACK L_GATE;
	struct mm_struct *mm = setup();
	char err[256];
	int ret = -ENOMEM;
	long n;

	for (n = 0; n < 1000 && ret; n++) {
		fail_after(n);
		ret = mmk_import_maps(mm, text, "oom", err, sizeof(err));
		fail_after(-1);
		if (ret) {
			CHECK_EQ(ret, -ENOMEM);
			CHECK(strstr(err, "oom") == err);
			check_empty(mm);
			CHECK(mm->exe_file == NULL);
		}
	}
	CHECK_EQ(ret, 0);
	CHECK(n > 1); /* some allocation did fail on the way */
	CHECK_EQ(mm->map_count, 8);
	CHECK_EQ(validate_mm(mm), 0);
	teardown(mm);
}

/* ---- what the VMA engine builds shows as the kernel would show it ------------ */

TEST(engine_maps)
{
	struct mm_struct *mm = setup();
	struct file *f;
	char *out;
	long r;

	r = sys_mmap(mm, 0x10000000, 0x3000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		     NULL, 0);
	CHECK_EQ(r, 0x10000000);
	f = mmk_file_create("/data/file one", 8, 1, 77, 0x10000, FMODE_READ);
	CHECK(!IS_ERR_OR_NULL(f));
	r = sys_mmap(mm, 0x20000000, 0x2000, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED, f, 0x3000);
	CHECK_EQ(r, 0x20000000);
	r = sys_mmap(mm, 0x30000000, 0x1000, PROT_READ, MAP_SHARED | MAP_FIXED, f, 0);
	CHECK_EQ(r, 0x30000000);
	fput(f);
	r = sys_mmap(mm, 0x40000000, 0x4000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED,
		     NULL, 0);
	CHECK_EQ(r, 0x40000000);
	mmk_show_gate_vma = 0;
	out = show(show_maps, mm);
	{
		const char *want_head =
			"10000000-10003000 rw-p 00000000 00:00 0 \n"
			"20000000-20002000 r-xp 00003000 08:01 77                                 /data/file one\n"
			"30000000-30001000 r--s 00000000 08:01 77                                 /data/file one\n"
			"40000000-40004000 rw-s 00000000 00:01 ";
		const char *shm = strstr(out, "40000000-40004000 rw-s 00000000 00:01 ");

		if (strncmp(out, want_head, strlen(want_head)) != 0)
			CHECK_STR(out, want_head);
		/* shared anonymous memory: its shmem file's inode, the name at column 73 */
		CHECK(shm != NULL);
		CHECK(strncmp(shm + 73, "/dev/zero (deleted)\n", 20) == 0);
	}
	free(out);
	/* shared read-only file: no "sh", no "mw" (the file is read-only) */
	out = show(show_smaps, mm);
	CHECK(strstr(out, "VmFlags: rd mr me ms \n") != NULL);
	CHECK(strstr(out, "VmFlags: rd wr sh mr mw me ms \n") != NULL);
	free(out);
	teardown(mm);
}

/* imported VMAs live on like any other: fork copies them, mprotect does
 * not merge what the kernel showed apart, exit frees everything */
TEST(imported_vmas_live_on)
{
	static const char text[] = L_TEXT L_DATA L_HEAP
		"7ffff7fd0000-7ffff7fd1000 rw-p 00000000 00:00 0 \n"
		"7ffff7fd1000-7ffff7fd3000 rw-p 00000000 00:00 0 \n" L_SHM L_VVAR L_VDSO L_STACK L_GATE;
	struct mm_struct *mm = setup(), *child;
	char err[256];
	char *a, *b;

	CHECK_EQ(mmk_import_maps(mm, text, "live", err, sizeof(err)), 0);
	CHECK_EQ(mm->map_count, 9);
	/* two touching anonymous VMAs with their own anon_vmas stay apart */
	CHECK_EQ(sys_mprotect(mm, 0x7ffff7fd0000, 0x3000, PROT_READ), 0);
	CHECK_EQ(mm->map_count, 9);
	CHECK_EQ(sys_mprotect(mm, 0x7ffff7fd0000, 0x3000, PROT_READ | PROT_WRITE), 0);
	CHECK_EQ(mm->map_count, 9);
	a = show(show_maps, mm);
	CHECK_STR(a, text);
	/* fork: the child shows the same */
	child = dup_mm(NULL, mm);
	CHECK(child != NULL);
	b = show(show_maps, child);
	CHECK_STR(b, a);
	free(b);
	b = show(show_smaps, child);
	free(b);
	CHECK_EQ(child->total_vm, mm->total_vm);
	mmput(child);
	/* unmapping part of an imported file VMA and the heap */
	CHECK_EQ(sys_munmap(mm, 0x402000, 0x1000), 0);
	CHECK_EQ(validate_mm(mm), 0);
	CHECK_EQ(mm->total_vm, pages_mapped(mm));
	free(a);
	teardown(mm);
}

#define TESTS(X)                           \
	X(roundtrip_machine)               \
	X(roundtrip_self)                  \
	X(smaps_machine)                   \
	X(malformed)                       \
	X(overlap_existing)                \
	X(no_trailing_newline)             \
	X(line_kinds)                      \
	X(heap_stack_rules)                \
	X(smaps_small)                     \
	X(rollup_status_statm_small)       \
	X(empty_mm)                        \
	X(users_gone)                      \
	X(thp_eligible)                    \
	X(vmflags_codes)                   \
	X(smaps_names_match_kernel)        \
	X(status_names_match_kernel)       \
	X(statm_form_matches_kernel)       \
	X(import_enomem)                   \
	X(engine_maps)                     \
	X(imported_vmas_live_on)

TEST_MAIN("proc", TESTS)
