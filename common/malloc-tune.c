/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "macro.h"
#include "malloc-tune.h"

#ifndef MADV_POPULATE_WRITE /* glibc before 2.35 (RHEL 9) lacks the name, not the kernel */
#define MADV_POPULATE_WRITE 23
#endif

int malloc_keep_freed(size_t trim_max, size_t mmap_min) {
        /* Setting either also stops glibc's own adjustment of both, which only ever raises
         * them after a mapped block is freed. */
        if (trim_max > INT_MAX || mmap_min > INT_MAX || !mallopt(M_TRIM_THRESHOLD, (int) trim_max) ||
            !mallopt(M_MMAP_THRESHOLD, (int) mmap_min))
                return -EINVAL;
        return 0;
}

/* A transparent huge page (x86-64; arm64 with 4 KiB pages). */
#define HUGE_PAGE ((uintptr_t) 2 << 20)

static uintptr_t align_up(uintptr_t x, uintptr_t to) {
        return (x + to - 1) & ~(to - 1);
}

/* block was just freed into the heap's top, which now starts there: a filler carved from
 * it up to the next HUGE_PAGE boundary, and kept, makes the blocks carved after it start on
 * the boundary. A glibc chunk is its block plus 8 bytes, rounded up to 16: gap - 8 bytes
 * fill a gap (a multiple of 16) exactly. Returns where the top's blocks now start: the
 * boundary, or block when the filler came from a freed block elsewhere. */
static uintptr_t start_top_on_huge_page(uintptr_t block) {
        static void *filler; /* kept, and reachable for leak checkers */
        uintptr_t boundary = align_up(block, HUGE_PAGE);
        size_t gap = boundary - block;

        if (gap < 32) /* too small for a chunk: the next block starts a few bytes short */
                return boundary;
        filler = malloc(gap - sizeof(size_t));
        if ((uintptr_t) filler == block)
                return boundary;
        free(filler);
        filler = NULL;
        return block;
}

int malloc_prefault(size_t bytes) {
        uintptr_t page = (uintptr_t) sysconf(_SC_PAGESIZE), block, from, to;
        /* grown past `bytes` by a huge page: the boundary is somewhere in the first one */
        size_t grown = bytes + HUGE_PAGE;
        void *p;
        int r;

        if (bytes > INT_MAX / 4)
                return -EINVAL;
        /* The block is carved from the heap's top, and freed it goes back to the top. */
        r = malloc_keep_freed(2 * grown, grown + page);
        if (r < 0)
                return r;
        p = malloc(grown);
        if (!p)
                return -ENOMEM;
        block = (uintptr_t) p;
        free(p);
        from = align_up(start_top_on_huge_page(block), page);
        to = MIN(align_up(from + bytes, page), (block + grown) & ~(page - 1));
        /* Whole huge pages where the kernel gives them (THP "madvise" or "always"; else
         * this does nothing): one fault and one zeroing per 2 MiB. In a VM each 4 KiB page
         * also costs a trap on its first touch, populated ahead or not: ~4.5 µs here, where
         * the cycle's 2 MiB heap cost ~2 ms of its ~15 in 512 pages. */
        if (from % HUGE_PAGE == 0 && to - from >= HUGE_PAGE)
                (void) madvise((void *) from, (to - from) & ~(HUGE_PAGE - 1), MADV_HUGEPAGE);
        if (to > from && madvise((void *) from, to - from, MADV_POPULATE_WRITE) < 0)
                return -errno;
        return 0;
}
