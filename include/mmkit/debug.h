/* SPDX-License-Identifier: MIT */
/*
 * mmkit/debug.h - hooks to watch the lifecycle, misuse reports, and the
 * invariant checkers (the kernel's VM_BUG_ON_MM, check_mm, validate_mm).
 */
#ifndef MMKIT_DEBUG_H
#define MMKIT_DEBUG_H

#include <mmkit/mm_types.h>

struct mmk_hooks {
	void *priv;
	/* a lifecycle function ran on @mm ("mmget", "__mmput", "free_mm", ...) */
	void (*trace)(void *priv, const char *func, struct mm_struct *mm);
	/* @mm is about to go back to mm_cachep: forget it */
	void (*mm_freed)(void *priv, struct mm_struct *mm);
	/* @t is about to go back to task_struct_cachep */
	void (*task_freed)(void *priv, struct task_struct *t);
	/* try_to_unuse's per-mm work (unuse_mm) for @mm, pinned by mm_users */
	void (*unuse_mm)(void *priv, struct mm_struct *mm);
	/* a bug or misuse was detected; the default prints to stderr */
	void (*warn)(void *priv, const char *msg);
};
extern struct mmk_hooks mmk_hooks;

/* count of misuse/bug reports since boot */
extern MMK_ATOMIC(unsigned long) mmk_warnings;
void mmk_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * References held outside the tasks and CPUs (the tool's `get`/`grab`, a
 * swapoff pin): given to the global checker so that it can demand that
 * the counters are exactly what the holders add up to.
 */
struct mmk_extern_refs {
	long (*users)(void *priv, const struct mm_struct *mm);
	long (*count)(void *priv, const struct mm_struct *mm);
	void *priv;
};

/*
 * mmk_check_all - every invariant of every live object: counters never
 * negative and equal to who holds them (exactly when @ext is given, else as
 * lower bounds), tasks and CPUs consistent, mmlist_nr equal to the list's
 * length, every mm's VMAs valid, slab accounting balanced against the live
 * objects. Returns the number of violations, each reported via mmk_warn().
 */
int mmk_check_all(const struct mmk_extern_refs *ext);

/* every mm alive (allocated and not yet freed), in creation order */
void mmk_for_each_mm(void (*fn)(struct mm_struct *, void *), void *arg);

#endif /* MMKIT_DEBUG_H */
