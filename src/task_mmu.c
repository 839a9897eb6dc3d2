/* SPDX-License-Identifier: MIT */
/*
 * src/task_mmu.c - /proc/PID/{maps,smaps,smaps_rollup,status,statm} for an
 * mmkit address space, in the text format of the Linux 6.18 x86-64 kernel
 * this library is checked against (fs/proc/task_mmu.c, fs/proc/array.c).
 *
 * Formats, as that kernel prints them:
 *
 *  maps line   "%08lx-%08lx %c%c%c%c %08llx %02x:%02x %lu " (start, end,
 *              r/w/x, s if VM_MAYSHARE else p, file offset, device, inode),
 *              then for a named mapping spaces up to column 72 (25 + 6 *
 *              sizeof(void *) - 1), one more space and the name. An unnamed
 *              line keeps its trailing space. The offset and the device and
 *              inode are those of the file; an anonymous line shows 0 and
 *              00:00 0 whatever its vm_pgoff.
 *  names       file path; the special mapping's name; "[heap]" for a VMA
 *              overlapping [start_brk, brk) (strictly: touching is not
 *              enough); "[stack]" for the VMA with vm_start <= start_stack
 *              <= vm_end; "[vsyscall]" for the gate area printed last.
 *  smaps       the maps line, then "Label:" padded to 16 columns and the
 *              value in kB right-aligned in 8 (Private_Hugetlb's label is 17
 *              wide and its value 7), THPeligible and ProtectionKey as %8u,
 *              and VmFlags: two-letter codes in bit order, each followed by
 *              a space.
 *  rollup      header "first_start-last_end ---p 00000000 00:00 0" padded,
 *              "[rollup]", the sums (with Pss_Anon/Pss_File/Pss_Shmem), no
 *              THPeligible/VmFlags; the gate area is not counted.
 *  status      task_mem(): "VmPeak:\t%8lu kB" ... "VmSwap:", then the
 *              hugetlb line "HugetlbPages:\t%8lu kB".
 *  statm       "size resident shared text 0 data 0" in pages.
 *
 * Facts of this machine's configuration that the output follows: THP in
 * "madvise" mode with only the PMD size inheriting it and shmem THP
 * "never"; no CONFIG_READ_ONLY_THP_FOR_FS; protection keys present (every
 * smaps entry has ProtectionKey, always 0 here); no CONFIG_MEM_SOFT_DIRTY
 * (VM_SOFTDIRTY is never shown); vsyscall in execute-only mode ("--xp").
 *
 * Locking, as /proc's readers do it: maps, smaps and smaps_rollup pin the
 * mm with mmget_not_zero() (nothing is printed once mm_users is 0;
 * smaps_rollup then returns -ESRCH) and take mmap_sem for reading
 * themselves. A caller already holding it for reading is fine (glibc's
 * default rwlock prefers readers); one holding it for writing would
 * deadlock. status and statm read the counters without the lock, as
 * task_mem() and task_statm() do.
 *
 * Page counts come from smap_gather_stats(), one call per VMA; until the
 * page layer exists it finds nothing resident, so every size but Size,
 * KernelPageSize and MMUPageSize is 0.
 */
#include "internal.h"

#include <mmkit/proc.h>

int mmk_show_gate_vma = 1;

/* ---- the gate area (arch/x86/entry/vsyscall/vsyscall_64.c) ------------ */

#define VSYSCALL_ADDR 0xffffffffff600000UL

/* not a VMA of any mm: vm_mm is NULL, flags VM_EXEC (execute-only mode) */
static struct vm_area_struct gate_vma = {
	.vm_start = VSYSCALL_ADDR,
	.vm_end = VSYSCALL_ADDR + PAGE_SIZE,
	.vm_flags = VM_EXEC,
};

static struct vm_area_struct *get_gate_vma(struct mm_struct *mm)
{
	return mmk_show_gate_vma ? &gate_vma : NULL;
}

/* ---- counters ----------------------------------------------------------- */

/* the kernel reads the RSS counters clamped at 0 (percpu read_positive) */
static unsigned long get_mm_counter(struct mm_struct *mm, int member)
{
	long v = atomic_long_read(&mm->rss_stat[member]);

	return v > 0 ? (unsigned long)v : 0;
}

/* ---- names -------------------------------------------------------------- */

static bool vma_is_initial_heap(const struct vm_area_struct *vma, const struct mm_struct *mm)
{
	return vma->vm_start < mm->brk && vma->vm_end > mm->start_brk;
}

static bool vma_is_initial_stack(const struct vm_area_struct *vma, const struct mm_struct *mm)
{
	return vma->vm_start <= mm->start_stack && vma->vm_end >= mm->start_stack;
}

/* the name a file mapping shows: its path, or for shared anonymous memory
 * that was given no path, what shmem_zero_setup's file is called */
static const char *file_display_path(const struct file *f)
{
	if (f->f_path && f->f_path[0])
		return f->f_path;
	if (f->shmem)
		return "/dev/zero (deleted)";
	return "";
}

/*
 * The name column of @vma (NULL: none). *is_path says the name is a file
 * path, which is printed with newlines escaped as the kernel's seq_path does.
 */
static const char *vma_name(struct vm_area_struct *vma, struct mm_struct *mm, bool *is_path)
{
	*is_path = false;
	if (vma->vm_file) {
		*is_path = true;
		return file_display_path(vma->vm_file);
	}
	if (vma->vm_special && vma->vm_special->name)
		return vma->vm_special->name;
	if (vma == &gate_vma)
		return "[vsyscall]"; /* arch_vma_name */
	if (!mm)
		return "[vdso]";
	if (vma_is_initial_heap(vma, mm))
		return "[heap]";
	if (vma_is_initial_stack(vma, mm))
		return "[stack]";
	return NULL;
}

/* a path as seq_file_path(m, file, "\n") prints it: '\n' becomes "\012" */
static void seq_put_path(struct seq_file *m, const char *path)
{
	const char *p = path;

	while (*p) {
		const char *nl = strchr(p, '\n');

		if (!nl) {
			seq_puts(m, p);
			break;
		}
		seq_printf(m, "%.*s\\012", (int)(nl - p), p);
		p = nl + 1;
	}
}

/* the name column starts at this column on 64-bit (25 + 6 * 8 - 1, plus the
 * one space seq_pad adds) */
#define MAPS_NAME_PAD 72

static void show_vma_header_prefix(struct seq_file *m, unsigned long start, unsigned long end,
				   unsigned long flags, unsigned long long off,
				   unsigned int major, unsigned int minor, unsigned long ino)
{
	seq_printf(m, "%08lx-%08lx %c%c%c%c %08llx %02x:%02x %lu ", start, end,
		   flags & VM_READ ? 'r' : '-', flags & VM_WRITE ? 'w' : '-',
		   flags & VM_EXEC ? 'x' : '-', flags & VM_MAYSHARE ? 's' : 'p',
		   off, major, minor, ino);
}

static void show_name(struct seq_file *m, const char *name, bool is_path)
{
	seq_pad_to(m, MAPS_NAME_PAD);
	seq_putc(m, ' ');
	if (is_path)
		seq_put_path(m, name);
	else
		seq_puts(m, name);
}

static void show_map_vma(struct seq_file *m, struct vm_area_struct *vma, struct mm_struct *mm)
{
	const struct file *f = vma->vm_file;
	unsigned long long off = 0;
	unsigned int major = 0, minor = 0;
	unsigned long ino = 0;
	const char *name;
	bool is_path;

	if (f) {
		major = f->dev_major;
		minor = f->dev_minor;
		ino = f->i_ino;
		off = (unsigned long long)vma->vm_pgoff << PAGE_SHIFT;
	}
	show_vma_header_prefix(m, vma->vm_start, vma->vm_end, vma->vm_flags, off, major, minor, ino);
	name = vma_name(vma, mm, &is_path);
	if (name)
		show_name(m, name, is_path);
	seq_putc(m, '\n');
}

/* ---- walking the address space ----------------------------------------- */

/*
 * /proc's readers pin the address space with mmget_not_zero() and print
 * nothing once its users are gone; they hold mmap_sem for reading while
 * they walk the VMAs.
 */
static bool proc_mm_get(struct mm_struct *mm)
{
	if (!mm || !mmget_not_zero(mm))
		return false;
	down_read(&mm->mmap_sem);
	return true;
}

static void proc_mm_put(struct mm_struct *mm)
{
	up_read(&mm->mmap_sem);
	mmput(mm);
}

int show_maps(struct seq_file *m, struct mm_struct *mm)
{
	struct vm_area_struct *vma, *gate;

	if (!proc_mm_get(mm))
		return 0;
	for (vma = mm->mmap; vma; vma = vma->vm_next)
		show_map_vma(m, vma, mm);
	gate = get_gate_vma(mm);
	if (gate)
		show_map_vma(m, gate, mm);
	proc_mm_put(mm);
	return m->error;
}

/* ---- smaps ------------------------------------------------------------- */

#define PSS_SHIFT 12

/*
 * What one VMA (or, summed, the whole address space) has in memory, in
 * bytes; the pss fields are fixed point, shifted left by PSS_SHIFT.
 */
struct mem_size_stats {
	unsigned long resident;
	unsigned long shared_clean;
	unsigned long shared_dirty;
	unsigned long private_clean;
	unsigned long private_dirty;
	unsigned long referenced;
	unsigned long anonymous;
	unsigned long ksm;
	unsigned long lazyfree;
	unsigned long anonymous_thp;
	unsigned long shmem_thp;
	unsigned long file_thp;
	unsigned long swap;
	unsigned long shared_hugetlb;
	unsigned long private_hugetlb;
	uint64_t pss;
	uint64_t pss_anon;
	uint64_t pss_file;
	uint64_t pss_shmem;
	uint64_t pss_dirty;
	uint64_t pss_locked;
	uint64_t swap_pss;
};

/*
 * Add what @vma has in memory to @mss (smap_gather_stats in the kernel).
 * The page layer fills this in by walking the VMA's page tables: for each
 * present page resident += size; referenced if young; anonymous (and
 * lazyfree if clean and not swap-backed) for anonymous pages; private or
 * shared, clean or dirty by map count, pss += size / mapcount into pss
 * and the pss_anon/pss_file/pss_shmem bucket (and pss_dirty when dirty,
 * pss_locked when the VMA is VM_LOCKED); swap entries into swap and
 * swap_pss. Until then nothing is resident.
 */
static void smap_gather_stats(struct vm_area_struct *vma, struct mem_size_stats *mss)
{
	struct mmk_page_stats st = { 0 };

	mmk_smaps_vma(vma, &st);
	mss->resident += st.resident;
	mss->shared_clean += st.shared_clean;
	mss->shared_dirty += st.shared_dirty;
	mss->private_clean += st.private_clean;
	mss->private_dirty += st.private_dirty;
	mss->referenced += st.referenced;
	mss->anonymous += st.anonymous;
	mss->lazyfree += st.lazyfree;
	mss->swap += st.swap;
	mss->swap_pss += st.swap_pss;
	mss->pss += st.pss;
	mss->pss_anon += st.pss_anon;
	mss->pss_file += st.pss_file;
	mss->pss_shmem += st.pss_shmem;
	mss->pss_dirty += st.pss_dirty;
	mss->pss_locked += st.pss_locked;
}

/* "Label:" padded to @label_width, then the value in kB right-aligned in @width */
static void smap_field(struct seq_file *m, const char *label, int label_width,
		       unsigned long bytes, int width)
{
	seq_printf(m, "%-*s%*lu kB\n", label_width, label, width, bytes >> 10);
}

#define SMAP_FIELD(m, label, bytes) smap_field(m, label, 16, bytes, 8)

static void show_smap_counts(struct seq_file *m, const struct mem_size_stats *mss, bool rollup)
{
	SMAP_FIELD(m, "Rss:", mss->resident);
	SMAP_FIELD(m, "Pss:", (unsigned long)(mss->pss >> PSS_SHIFT));
	SMAP_FIELD(m, "Pss_Dirty:", (unsigned long)(mss->pss_dirty >> PSS_SHIFT));
	if (rollup) {
		/* only the sum shows the split: per VMA two of them would be 0
		 * and the third equal to Pss */
		SMAP_FIELD(m, "Pss_Anon:", (unsigned long)(mss->pss_anon >> PSS_SHIFT));
		SMAP_FIELD(m, "Pss_File:", (unsigned long)(mss->pss_file >> PSS_SHIFT));
		SMAP_FIELD(m, "Pss_Shmem:", (unsigned long)(mss->pss_shmem >> PSS_SHIFT));
	}
	SMAP_FIELD(m, "Shared_Clean:", mss->shared_clean);
	SMAP_FIELD(m, "Shared_Dirty:", mss->shared_dirty);
	SMAP_FIELD(m, "Private_Clean:", mss->private_clean);
	SMAP_FIELD(m, "Private_Dirty:", mss->private_dirty);
	SMAP_FIELD(m, "Referenced:", mss->referenced);
	SMAP_FIELD(m, "Anonymous:", mss->anonymous);
	SMAP_FIELD(m, "KSM:", mss->ksm);
	SMAP_FIELD(m, "LazyFree:", mss->lazyfree);
	SMAP_FIELD(m, "AnonHugePages:", mss->anonymous_thp);
	SMAP_FIELD(m, "ShmemPmdMapped:", mss->shmem_thp);
	SMAP_FIELD(m, "FilePmdMapped:", mss->file_thp);
	SMAP_FIELD(m, "Shared_Hugetlb:", mss->shared_hugetlb);
	/* the one label longer than 16: the kernel narrows the value to 7 */
	smap_field(m, "Private_Hugetlb:", 17, mss->private_hugetlb, 7);
	SMAP_FIELD(m, "Swap:", mss->swap);
	SMAP_FIELD(m, "SwapPss:", (unsigned long)(mss->swap_pss >> PSS_SHIFT));
	SMAP_FIELD(m, "Locked:", (unsigned long)(mss->pss_locked >> PSS_SHIFT));
}

static bool vma_is_anonymous(const struct vm_area_struct *vma)
{
	return !vma->vm_file && !vma->vm_special;
}

/*
 * THPeligible: would a PMD-sized transparent huge page be allowed here
 * (thp_vma_allowable_orders for smaps), under this machine's settings:
 * enabled = madvise with only the 2 MiB size inheriting it, shmem_enabled
 * = never, no read-only file THP, no DAX. So: an anonymous VMA with
 * VM_HUGEPAGE, not VM_NOHUGEPAGE, not special or hugetlb, not a stack still
 * being set up, that contains a whole 2 MiB-aligned 2 MiB block (the kernel
 * tries the last such block: ALIGN_DOWN(vm_end - PMD_SIZE) >= vm_start).
 * A missing anon_vma does not matter for smaps.
 */
static bool thp_eligible(const struct vm_area_struct *vma)
{
	unsigned long flags = vma->vm_flags;
	unsigned long haddr;

	if (!vma->vm_mm)
		return false; /* the gate area */
	if (flags & VM_NOHUGEPAGE)
		return false;
	if (flags & (VM_SPECIAL | VM_HUGETLB))
		return false;
	if (!vma_is_anonymous(vma))
		return false; /* shmem "never", regular files not eligible */
	if (!(flags & VM_HUGEPAGE))
		return false; /* "madvise" mode */
	if ((flags & VM_STACK_INCOMPLETE_SETUP) == VM_STACK_INCOMPLETE_SETUP)
		return false;
	if (vma->vm_end - vma->vm_start < PMD_SIZE)
		return false;
	haddr = (vma->vm_end - PMD_SIZE) & ~(PMD_SIZE - 1);
	return haddr >= vma->vm_start;
}

/*
 * VmFlags: the kernel prints the code of each set bit from bit 0 up. The
 * bits follow include/linux/mm.h, so mmkit's VM_* values give the order.
 * Bit 11 is free in mmkit (the kernel's old VM_DENYWRITE) and prints "??"
 * as an unknown bit would; bit 27 (VM_SOFTDIRTY) prints nothing, because
 * this kernel is built without CONFIG_MEM_SOFT_DIRTY and never shows it.
 */
static const char *const vm_flag_codes[32] = {
	"rd", /* VM_READ */
	"wr", /* VM_WRITE */
	"ex", /* VM_EXEC */
	"sh", /* VM_SHARED */
	"mr", /* VM_MAYREAD */
	"mw", /* VM_MAYWRITE */
	"me", /* VM_MAYEXEC */
	"ms", /* VM_MAYSHARE */
	"gd", /* VM_GROWSDOWN */
	"um", /* VM_UFFD_MISSING */
	"pf", /* VM_PFNMAP */
	"??", /* bit 11: unused */
	"uw", /* VM_UFFD_WP */
	"lo", /* VM_LOCKED */
	"io", /* VM_IO */
	"sr", /* VM_SEQ_READ */
	"rr", /* VM_RAND_READ */
	"dc", /* VM_DONTCOPY */
	"de", /* VM_DONTEXPAND */
	"lf", /* VM_LOCKONFAULT */
	"ac", /* VM_ACCOUNT */
	"nr", /* VM_NORESERVE */
	"ht", /* VM_HUGETLB */
	"sf", /* VM_SYNC */
	"ar", /* VM_ARCH_1 (x86: VM_PAT) */
	"wf", /* VM_WIPEONFORK */
	"dd", /* VM_DONTDUMP */
	"",   /* VM_SOFTDIRTY: not shown on this kernel */
	"mm", /* VM_MIXEDMAP */
	"hg", /* VM_HUGEPAGE */
	"nh", /* VM_NOHUGEPAGE */
	"mg", /* VM_MERGEABLE */
};

static void show_smap_vma_flags(struct seq_file *m, const struct vm_area_struct *vma)
{
	seq_puts(m, "VmFlags: ");
	for (unsigned int bit = 0; bit < 8 * sizeof(unsigned long); bit++) {
		const char *code = bit < 32 ? vm_flag_codes[bit] : "??";

		if (!(vma->vm_flags & (1UL << bit)) || !code[0])
			continue;
		seq_printf(m, "%s ", code);
	}
	seq_putc(m, '\n');
}

static void show_smap(struct seq_file *m, struct vm_area_struct *vma, struct mm_struct *mm)
{
	struct mem_size_stats mss;

	memset(&mss, 0, sizeof(mss));
	if (vma != &gate_vma)
		smap_gather_stats(vma, &mss);

	show_map_vma(m, vma, mm);
	SMAP_FIELD(m, "Size:", vma->vm_end - vma->vm_start);
	SMAP_FIELD(m, "KernelPageSize:", PAGE_SIZE);
	SMAP_FIELD(m, "MMUPageSize:", PAGE_SIZE);
	show_smap_counts(m, &mss, false);
	seq_printf(m, "THPeligible:    %8u\n", thp_eligible(vma) ? 1u : 0u);
	seq_printf(m, "ProtectionKey:  %8u\n", 0u); /* pkeys present; mmkit has no pkey_mprotect */
	show_smap_vma_flags(m, vma);
}

int show_smaps(struct seq_file *m, struct mm_struct *mm)
{
	struct vm_area_struct *vma, *gate;

	if (!proc_mm_get(mm))
		return 0;
	for (vma = mm->mmap; vma; vma = vma->vm_next)
		show_smap(m, vma, mm);
	gate = get_gate_vma(mm);
	if (gate)
		show_smap(m, gate, mm);
	proc_mm_put(mm);
	return m->error;
}

int show_smaps_rollup(struct seq_file *m, struct mm_struct *mm)
{
	struct mem_size_stats mss;
	struct vm_area_struct *vma;
	unsigned long first = 0, last_end = 0;

	if (!proc_mm_get(mm))
		return -ESRCH;
	memset(&mss, 0, sizeof(mss));
	if (mm->mmap)
		first = mm->mmap->vm_start;
	for (vma = mm->mmap; vma; vma = vma->vm_next) {
		smap_gather_stats(vma, &mss);
		last_end = vma->vm_end;
	}
	show_vma_header_prefix(m, first, last_end, 0, 0, 0, 0, 0);
	show_name(m, "[rollup]", false);
	seq_putc(m, '\n');
	show_smap_counts(m, &mss, true);
	proc_mm_put(mm);
	return m->error;
}

/* ---- status and statm (fs/proc/task_mmu.c task_mem, task_statm) -------- */

#define PAGES_TO_KB(x) ((unsigned long)(x) << (PAGE_SHIFT - 10))

static void status_field(struct seq_file *m, const char *label, unsigned long kb)
{
	seq_printf(m, "%s:\t%8lu kB\n", label, kb);
}

int proc_pid_status_vm(struct seq_file *m, struct mm_struct *mm)
{
	unsigned long anon, file, shmem, swap, total_rss, hiwater_rss, total_vm, hiwater_vm;
	unsigned long text, lib, exec_bytes;

	if (!mm)
		return 0;
	anon = get_mm_counter(mm, MM_ANONPAGES);
	file = get_mm_counter(mm, MM_FILEPAGES);
	shmem = get_mm_counter(mm, MM_SHMEMPAGES);
	swap = get_mm_counter(mm, MM_SWAPENTS);

	/* the high-water marks are updated lazily (only before a decrease), so
	 * the current values may be higher */
	hiwater_vm = total_vm = mm->total_vm;
	if (hiwater_vm < mm->hiwater_vm)
		hiwater_vm = mm->hiwater_vm;
	hiwater_rss = total_rss = anon + file + shmem;
	if (hiwater_rss < mm->hiwater_rss)
		hiwater_rss = mm->hiwater_rss;

	/* executable pages: the program's text, the rest counts as libraries */
	exec_bytes = mm->exec_vm << PAGE_SHIFT;
	text = PAGE_ALIGN(mm->end_code) - (mm->start_code & PAGE_MASK);
	if (text > exec_bytes)
		text = exec_bytes;
	lib = exec_bytes - text;

	status_field(m, "VmPeak", PAGES_TO_KB(hiwater_vm));
	status_field(m, "VmSize", PAGES_TO_KB(total_vm));
	status_field(m, "VmLck", PAGES_TO_KB(mm->locked_vm));
	status_field(m, "VmPin", PAGES_TO_KB(mm->pinned_vm));
	status_field(m, "VmHWM", PAGES_TO_KB(hiwater_rss));
	status_field(m, "VmRSS", PAGES_TO_KB(total_rss));
	status_field(m, "RssAnon", PAGES_TO_KB(anon));
	status_field(m, "RssFile", PAGES_TO_KB(file));
	status_field(m, "RssShmem", PAGES_TO_KB(shmem));
	status_field(m, "VmData", PAGES_TO_KB(mm->data_vm));
	status_field(m, "VmStk", PAGES_TO_KB(mm->stack_vm));
	status_field(m, "VmExe", text >> 10);
	status_field(m, "VmLib", lib >> 10);
	status_field(m, "VmPTE", (unsigned long)atomic_long_read(&mm->pgtables_bytes) >> 10);
	status_field(m, "VmSwap", PAGES_TO_KB(swap));
	/* hugetlb_report_usage: mmkit maps no hugetlbfs pages */
	status_field(m, "HugetlbPages", 0);
	return m->error;
}

int proc_pid_statm(struct seq_file *m, struct mm_struct *mm)
{
	unsigned long size = 0, resident = 0, shared = 0, text = 0, data = 0;

	if (mm) {
		shared = get_mm_counter(mm, MM_FILEPAGES) + get_mm_counter(mm, MM_SHMEMPAGES);
		/* unlike VmExe, statm's text is not capped by exec_vm */
		text = (PAGE_ALIGN(mm->end_code) - (mm->start_code & PAGE_MASK)) >> PAGE_SHIFT;
		data = mm->data_vm + mm->stack_vm;
		resident = shared + get_mm_counter(mm, MM_ANONPAGES);
		size = mm->total_vm;
	}
	seq_printf(m, "%lu %lu %lu %lu 0 %lu 0\n", size, resident, shared, text, data);
	return m->error;
}
