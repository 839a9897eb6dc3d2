/* SPDX-License-Identifier: MIT */
/*
 * src/swapfile.c - swapoff's walk over every address space
 * (mm/swapfile.c: try_to_unuse).
 *
 * The walk starts at init_mm and follows init_mm.mmlist. It cannot hold
 * mmlist_lock while it works on an mm (that work sleeps), so it pins the
 * mm it stands on with mm_users:
 *   - mmget_not_zero() skips an mm whose last user is already gone (its
 *     __mmput is running or about to, and will unlink it);
 *   - while pinned, __mmput cannot run, so the mm stays on mmlist and its
 *     node is a valid place to resume from after the lock is retaken;
 *   - the previous mm is put only after the lock is dropped, because that
 *     mmput may be the last one and __mmput takes mmlist_lock itself.
 * Pinning mm_count instead would keep the memory but not the place in the
 * list - which is why the seeds say try_to_unuse raises mm_users.
 */
#include "internal.h"

void unuse_walk_start(struct unuse_walk *w)
{
	w->prev = &init_mm;
	mmget(&init_mm);
	w->pos = &init_mm.mmlist;
	w->done = false;
}

struct mm_struct *unuse_walk_next(struct unuse_walk *w)
{
	struct mm_struct *mm = NULL;
	struct list_head *p;

	if (w->done)
		return NULL;
	spin_lock(&mmlist_lock);
	for (p = w->pos->next; p != &init_mm.mmlist; p = p->next) {
		struct mm_struct *cand = list_entry(p, struct mm_struct, mmlist);
		if (mmget_not_zero(cand)) {
			mm = cand;
			break;
		}
	}
	spin_unlock(&mmlist_lock);
	mmput(w->prev);
	if (!mm) {
		w->prev = NULL;
		w->pos = NULL;
		w->done = true;
		return NULL;
	}
	w->prev = mm;
	w->pos = &mm->mmlist;
	mmk_trace("try_to_unuse", mm);
	return mm;
}

void unuse_walk_end(struct unuse_walk *w)
{
	if (!w->done && w->prev)
		mmput(w->prev);
	w->prev = NULL;
	w->pos = NULL;
	w->done = true;
}

/* unuse_mm: bring this mm's swapped pages back; the page layer hooks here */
static void unuse_mm(struct mm_struct *mm)
{
	if (mmk_hooks.unuse_mm)
		mmk_hooks.unuse_mm(mmk_hooks.priv, mm);
}

int try_to_unuse(void)
{
	struct unuse_walk w;
	struct mm_struct *mm;

	unuse_walk_start(&w);
	while ((mm = unuse_walk_next(&w)) != NULL)
		unuse_mm(mm);
	return 0;
}
