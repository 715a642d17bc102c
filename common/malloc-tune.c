/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <malloc.h>

#include "malloc-tune.h"

int malloc_keep_freed(size_t trim_max, size_t mmap_min) {
        /* Setting either also stops glibc's own adjustment of both, which only ever raises
         * them after a mapped block is freed. */
        if (trim_max > INT_MAX || mmap_min > INT_MAX || !mallopt(M_TRIM_THRESHOLD, (int) trim_max) ||
            !mallopt(M_MMAP_THRESHOLD, (int) mmap_min))
                return -EINVAL;
        return 0;
}
