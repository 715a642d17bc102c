/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cleanup.h"
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

int malloc_prefault(size_t bytes) {
        uintptr_t page = (uintptr_t) sysconf(_SC_PAGESIZE), from, to;
        _cleanup_free_ char *block = NULL;
        int r;

        if (bytes > INT_MAX / 2)
                return -EINVAL;
        /* The block is carved from the heap's top, and freed it goes back to the top. */
        r = malloc_keep_freed(2 * bytes, bytes + page);
        if (r < 0)
                return r;
        block = malloc(bytes);
        if (!block)
                return -ENOMEM;
        from = ((uintptr_t) block + page - 1) & ~(page - 1);
        to = ((uintptr_t) block + bytes) & ~(page - 1);
        if (to > from && madvise((void *) from, to - from, MADV_POPULATE_WRITE) < 0)
                return -errno;
        return 0;
}
