/* SPDX-License-Identifier: MIT */
/*
 * mmkit/swap.h - swapoff's walk over mmlist (mm/swapfile.c: try_to_unuse).
 *
 * The walk pins each mm with mm_users (mmget_not_zero), never mm_count:
 * an mm on mmlist stays there until __mmput runs, and __mmput cannot run
 * while the walk holds a user reference, so the walk's cursor (the pinned
 * mm's list node) stays valid when mmlist_lock is dropped for the slow
 * per-mm work. A mm_count pin would keep the struct but not its place.
 */
#ifndef MMKIT_SWAP_H
#define MMKIT_SWAP_H

#include <mmkit/mm_types.h>

struct unuse_walk {
	struct mm_struct *prev; /* pinned by mm_users; put when the walk moves on */
	struct list_head *pos;  /* cursor in init_mm.mmlist */
	bool done;
};

/* the whole walk, calling mmk_hooks.unuse_mm for each pinned mm */
int try_to_unuse(void);

/* the same walk one mm at a time, so that tasks can exit in between:
 * start pins init_mm; next moves to the next live mm on the list, pins it,
 * puts the previous one, and returns it (NULL at the end, with nothing
 * pinned); end stops early and puts what is pinned. */
void unuse_walk_start(struct unuse_walk *w);
struct mm_struct *unuse_walk_next(struct unuse_walk *w);
void unuse_walk_end(struct unuse_walk *w);

#endif /* MMKIT_SWAP_H */
