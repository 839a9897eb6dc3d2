/* SPDX-License-Identifier: MIT */
/*
 * mmkit/proc.h - /proc/PID/{maps,smaps,smaps_rollup,status,statm} as the
 * kernel prints them (fs/proc/task_mmu.c, fs/proc/array.c), and the
 * reverse: seeding an mm from the text of a real /proc/PID/maps.
 */
#ifndef MMKIT_PROC_H
#define MMKIT_PROC_H

#include <mmkit/mm_types.h>
#include <mmkit/seq_file.h>

/* print [vsyscall] after the VMAs, as x86-64 does by default */
extern int mmk_show_gate_vma;

int show_maps(struct seq_file *m, struct mm_struct *mm);
int show_smaps(struct seq_file *m, struct mm_struct *mm);
int show_smaps_rollup(struct seq_file *m, struct mm_struct *mm);
int proc_pid_status_vm(struct seq_file *m, struct mm_struct *mm); /* the Vm* / Rss* lines */
int proc_pid_statm(struct seq_file *m, struct mm_struct *mm);

/*
 * mmk_import_maps - build @mm's VMAs from the text of /proc/PID/maps.
 * Files are looked up on this machine when they exist (else described from
 * the line); [heap], [stack], [vdso], [vvar], [vvar_vclock] set the mm's
 * bounds and special mappings; [vsyscall] is skipped (it is not a VMA).
 * On a malformed line returns -EINVAL and writes "NAME:LINE: message" to @err.
 */
int mmk_import_maps(struct mm_struct *mm, const char *text, const char *name,
		    char *err, size_t errlen);

#endif /* MMKIT_PROC_H */
