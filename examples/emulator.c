/* SPDX-License-Identifier: MIT */
/*
 * examples/emulator.c - mmkit as an emulator's memory model, start to end.
 * docs/emulators.md walks through it.
 *
 *   cc -std=c11 -Iinclude examples/emulator.c build/libmmkit.a -pthread
 *   ./a.out [PROGRAM]          (PROGRAM: an x86-64 ELF file, /bin/true by default)
 *
 * Steps: boot; a guest process; execve of a real ELF file; mmap; the
 * guest's own reads and writes (copy_{from,to}_user, checked as the CPU
 * would), a debugger's forced write, page faults, pinning pages; fork with
 * copy-on-write; /proc/PID/maps; exit; shutdown with leak checks.
 * Exit status 0 when every step gave the expected result.
 */
/* mmkit's headers use POSIX threads (pthread_rwlock_t) and Linux's mmap
 * flags: with -std=c11 the feature macro must come before any include */
#define _GNU_SOURCE
#include <mmkit/mmkit.h>
#include <stdio.h>
#include <string.h>

static int failures;

#define CHECK(cond)                                                                     \
	do {                                                                            \
		if (!(cond)) {                                                          \
			fprintf(stderr, "emulator.c:%d: check failed: %s\n", __LINE__, #cond); \
			failures++;                                                     \
		}                                                                       \
	} while (0)

/* print the lines of a seq_file that contain @needle (NULL: every line) */
static void print_lines(const struct seq_file *m, const char *needle)
{
	const char *p = m->buf ? m->buf : "";
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (!needle || memmem(p, n, needle, strlen(needle)))
			printf("  %.*s\n", (int)n, p);
		p += n + (nl ? 1 : 0);
	}
}

int main(int argc, char **argv)
{
	const char *prog = argc > 1 ? argv[1] : "/bin/true";

	/* 1. the machine: slab caches, init_mm, 2 CPUs */
	CHECK(mmk_boot(2) == 0);

	/* 2. a guest process with a fresh, empty address space
	 * (mm_alloc + arch_pick_mmap_layout, on init_mm.mmlist) */
	struct task_struct *p = mmk_spawn("guest");
	CHECK(!IS_ERR(p));
	CHECK(mmk_schedule(0, p) == 0); /* it runs on CPU 0 */

	/* 3. execve: the exec-time address space of a real ELF file */
	const char *const gargv[] = { prog, NULL };
	const char *const genvp[] = { "HOME=/", NULL };
	int r = mmk_execve(p, prog, gargv, genvp);
	printf("execve %s: %d\n", prog, r);
	CHECK(r == 0);
	struct mm_struct *mm = p->mm;
	printf("entry image: code %#lx-%#lx, brk %#lx, stack %#lx\n", mm->start_code,
	       mm->end_code, mm->brk, mm->start_stack);

	/* the guest's own read of its program: the file's bytes via the page cache */
	unsigned char magic[4] = { 0 };
	CHECK(mmk_copy_from_user(mm, magic, mm->mmap->vm_start, 4) == 0);
	printf("first bytes of the image: %02x %c%c%c\n", magic[0], magic[1], magic[2], magic[3]);

	/* 4. mmap: 4 pages of anonymous memory, then make the last one read-only */
	long a = sys_mmap(mm, 0, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	CHECK(!IS_ERR_VALUE(a));
	unsigned long buf = (unsigned long)a, ro = buf + 3 * PAGE_SIZE;
	CHECK(sys_mprotect(mm, ro, PAGE_SIZE, PROT_READ) == 0);
	printf("mmap: %#lx (4 pages), mprotect last page read-only: map_count %d\n", buf,
	       mm->map_count);

	/* 5. guest writes and reads, checked as the CPU would check them */
	const char msg[] = "hello from the guest";
	CHECK(mmk_copy_to_user(mm, buf, msg, sizeof msg) == 0);
	char back[64] = "";
	CHECK(mmk_copy_from_user(mm, back, buf, sizeof msg) == 0);
	printf("copy_to_user + copy_from_user: \"%s\"\n", back);
	long e1 = mmk_copy_to_user(mm, ro, "x", 1);
	long e2 = mmk_fault(mm, ro, true);
	long e3 = mmk_fault(mm, 0x1000, false);
	printf("write to the read-only page: %ld, write fault: %ld, fault on unmapped: %ld\n",
	       e1, e2, e3);
	CHECK(e1 == -EFAULT && e2 == -EFAULT && e3 == -EFAULT);

	/* a debugger (ptrace, /proc/PID/mem) may write it anyway: FOLL_FORCE,
	 * into a private copy; the mapping stays read-only */
	long n = mmk_access_vm(mm, ro, "BRK", 3, true);
	char peek[4] = "";
	CHECK(mmk_copy_from_user(mm, peek, ro, 3) == 0);
	printf("access_process_vm forced write: %ld bytes, guest now reads \"%.3s\"\n", n, peek);
	CHECK(n == 3 && !memcmp(peek, "BRK", 3));

	/* 6. a fault by hand, then pin the page (get_user_pages), as a device would */
	CHECK(mmk_fault(mm, buf + PAGE_SIZE, true) == 0);
	struct page *pages[1];
	long pinned = mmk_get_user_pages(mm, buf, 1, false, pages);
	CHECK(pinned == 1);
	if (pinned == 1) {
		printf("get_user_pages: %ld page, it reads \"%s\"\n", pinned,
		       (char *)mmk_page_address(pages[0]));
		mmk_put_page(pages[0]);
	}
	printf("rss: anon %ld pages, file %ld pages\n",
	       atomic_long_read(&mm->rss_stat[MM_ANONPAGES]),
	       atomic_long_read(&mm->rss_stat[MM_FILEPAGES]));

	/* 7. fork: the child gets a copy (dup_mm); pages are shared copy-on-write */
	struct task_struct *c = kernel_clone(p, 0, "child");
	CHECK(!IS_ERR(c));
	CHECK(mmk_copy_to_user(c->mm, buf, "HELLO", 5) == 0);
	char pb[8] = "", cb[8] = "";
	CHECK(mmk_copy_from_user(mm, pb, buf, 5) == 0);
	CHECK(mmk_copy_from_user(c->mm, cb, buf, 5) == 0);
	printf("after fork, child wrote: parent reads \"%.5s\", child reads \"%.5s\"\n", pb, cb);
	CHECK(!memcmp(pb, "hello", 5) && !memcmp(cb, "HELLO", 5));
	printf("mm_users/mm_count: parent %d/%d, child %d/%d\n", mm_users(mm), mm_count(mm),
	       mm_users(c->mm), mm_count(c->mm));

	/* 8. /proc/PID/maps of the child: the anonymous region and the stack */
	struct seq_file m;
	seq_init(&m);
	CHECK(show_maps(&m, c->mm) == 0);
	printf("child's /proc/PID/maps (%s lines):\n", "selected");
	char want[32];
	snprintf(want, sizeof want, "%lx-", buf);
	print_lines(&m, want);
	print_lines(&m, "[stack]");
	seq_release(&m);

	/* 9. an mm without a task: build, inspect, drop */
	struct mm_struct *scratch = mm_alloc();
	CHECK(scratch != NULL);
	arch_pick_mmap_layout(scratch);
	r = mmk_load_elf_mm(scratch, prog, gargv, genvp, NULL, 0);
	printf("mmk_load_elf_mm into a task-less mm: %d, %d VMAs\n", r, scratch->map_count);
	CHECK(r == 0);
	mmput(scratch); /* mm_users 1 -> 0: torn down and freed */

	/* 10. tear down: the guests exit (p stays on CPU 0, dead, holding its
	 * mm lazily until the CPU switches away); mmk_shutdown idles every CPU,
	 * frees what is left, releases simulated RAM and the caches, and
	 * counts whatever leaked: objects and frames */
	CHECK(do_exit(c) == 0);
	CHECK(do_exit(p) == 0);
	long leaked = mmk_shutdown();
	unsigned long warnings = atomic_load(&mmk_warnings);
	printf("leaks: %ld objects or frames, %lu warnings\n", leaked, warnings);
	CHECK(leaked == 0 && warnings == 0);

	printf("%s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
