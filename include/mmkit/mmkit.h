/* SPDX-License-Identifier: MIT */
/*
 * mmkit.h - the whole public API of mmkit, the Linux process memory
 * descriptor subsystem (mm_struct, vm_area_struct, page tables and the
 * mm_users / mm_count lifecycle) as a user-space library.
 *
 * Compile with -D_GNU_SOURCE (pkg-config --cflags mmkit adds it): the
 * headers use POSIX read-write locks and Linux's MAP_* flags, which a
 * strict -std=c11 hides.
 */
#ifndef MMKIT_MMKIT_H
#define MMKIT_MMKIT_H

#define MMKIT_VERSION "0.1.0"

#include <mmkit/types.h>
#include <mmkit/rbtree.h>
#include <mmkit/slab.h>
#include <mmkit/mm_types.h>
#include <mmkit/mm.h>
#include <mmkit/sched.h>
#include <mmkit/swap.h>
#include <mmkit/debug.h>
#include <mmkit/seq_file.h>
#include <mmkit/proc.h>
#include <mmkit/page.h>
#include <mmkit/binfmt.h>
#include <mmkit/replay.h>

#endif
