/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>

/* Keeps what glibc's malloc frees mapped, up to trim_max bytes at the heap's top, and serves
 * blocks below mmap_min from the heap rather than from their own mappings. By default glibc
 * hands back the heap's top beyond 128 KiB and maps each block of 128 KiB or more on its
 * own, so that a process which allocates and frees the same large buffers again and again (a
 * server's 40 KB report bodies, a cycle's package lists) faults their pages in each time:
 * ~10 µs a page in a VM, more than the work on them. Returns 0 or -EINVAL. */
int malloc_keep_freed(size_t trim_max, size_t mmap_min);
