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

/* For a short-lived process that will use about `bytes` of heap: grows the heap, makes the
 * blocks carved from its top start on a 2 MiB boundary, asks for huge pages there
 * (MADV_HUGEPAGE: one fault per 2 MiB where the kernel has them) and maps `bytes` with one
 * madvise(MADV_POPULATE_WRITE) (Linux 5.14), rather than one page fault per page as
 * allocations first touch them. Blocks up to `bytes` then come from the heap and freed memory
 * stays mapped (malloc_keep_freed), so later allocations land on those pages. Up to 2 MiB
 * below the boundary stay allocated, untouched, until the process ends. Returns 0, -ENOMEM,
 * -EINVAL when mallopt is refused (a sanitizer's allocator) or madvise's -errno (-EINVAL
 * before Linux 5.14): in each case nothing is lost but the gain. */
int malloc_prefault(size_t bytes);
