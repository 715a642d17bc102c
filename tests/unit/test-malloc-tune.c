/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "malloc-tune.h"

#define PREFAULT (2u << 20)
#define HUGE_PAGE (2u << 20)
#define SMALL_BLOCKS 1200
#define SMALL_SIZE 1000
#define LARGE_SIZE (256u << 10) /* glibc maps blocks this large on their own by default */

/* Page faults of what a cycle-like process allocates and writes: 1.2 MB in small blocks and
 * one large block, all kept. */
static long touch_faults(void) {
        static void *blocks[SMALL_BLOCKS + 1];
        struct rusage before, after;

        getrusage(RUSAGE_SELF, &before);
        for (size_t i = 0; i < SMALL_BLOCKS; i++) {
                blocks[i] = malloc(SMALL_SIZE);
                assert_non_null(blocks[i]);
                memset(blocks[i], 1, SMALL_SIZE);
        }
        blocks[SMALL_BLOCKS] = malloc(LARGE_SIZE);
        assert_non_null(blocks[SMALL_BLOCKS]);
        memset(blocks[SMALL_BLOCKS], 1, LARGE_SIZE);
        getrusage(RUSAGE_SELF, &after);
        return after.ru_minflt - before.ru_minflt;
}

/* Whether the kernel gives huge pages to the regions that ask (THP "madvise" or "always"). */
static bool huge_pages_on_request(void) {
        _cleanup_fclose_ FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
        char line[128];

        return f && fgets(line, sizeof(line), f) && !strstr(line, "[never]");
}

/* The THPeligible line of the mapping of /proc/self/smaps that holds address, -1 when
 * there is none. It runs in the forked child, where a failed cmocka assertion would go on
 * running the test runner in the child: the parent's assertion on the result fails instead. */
static int thp_eligible(uintptr_t address) {
        _cleanup_fclose_ FILE *f = fopen("/proc/self/smaps", "re");
        char line[512];
        bool inside = false;

        while (f && fgets(line, sizeof(line), f)) {
                uintptr_t from, to;
                int eligible;

                if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &from, &to) == 2)
                        inside = from <= address && address < to;
                else if (inside && sscanf(line, "THPeligible: %d", &eligible) == 1)
                        return eligible;
        }
        return -1;
}

/* Where the heap's next block lands after the prefault: 2 on a huge page's boundary in a
 * THP-eligible mapping, 1 on the boundary but not eligible, 0 elsewhere. */
static long next_block_placement(void) {
        /* too large for the small blocks a freed list may hold */
        uintptr_t block = (uintptr_t) malloc(LARGE_SIZE);

        if (block % HUGE_PAGE != 0)
                return 0;
        return thp_eligible(block) == 1 ? 2 : 1;
}

/* measure() in a fresh child, after malloc_prefault(prefault) when prefault > 0: its
 * result, or -1 when the prefault was refused (sanitizer, kernel before 5.14). */
static long in_child(size_t prefault, long (*measure)(void)) {
        int fds[2], status;
        long result = -1;
        pid_t pid;

        assert_int_equal(pipe(fds), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                long n = -1;
                if (prefault == 0 || malloc_prefault(prefault) == 0)
                        n = measure();
                _exit(write(fds[1], &n, sizeof(n)) == sizeof(n) ? 0 : 1);
        }
        close(fds[1]);
        assert_int_equal(read(fds[0], &result, sizeof(result)), sizeof(result));
        close(fds[0]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_int_equal(status, 0);
        return result;
}

static void test_prefault_maps_the_heap_ahead(void **state) {
        long with, without;
        (void) state;

        with = in_child(PREFAULT, touch_faults);
        if (with < 0)
                skip(); /* mallopt refused (ASan) or no MADV_POPULATE_WRITE */
        without = in_child(0, touch_faults);
        /* ~1.5 MB is ~370 pages: each faults in on first write without the prefault. */
        assert_true(without > 300);
        assert_true(with < 20);
}

static void test_prefault_starts_the_heap_on_a_huge_page(void **state) {
        long placement;
        (void) state;

        placement = in_child(PREFAULT, next_block_placement);
        if (placement < 0)
                skip(); /* mallopt refused (ASan) or no MADV_POPULATE_WRITE */
        assert_int_equal(placement, huge_pages_on_request() ? 2 : 1);
}

static void test_prefault_bounds(void **state) {
        (void) state;
        assert_int_equal(malloc_prefault(SIZE_MAX), -EINVAL);
        assert_int_equal(malloc_keep_freed(SIZE_MAX, 0), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_prefault_maps_the_heap_ahead),
                cmocka_unit_test(test_prefault_starts_the_heap_on_a_huge_page),
                cmocka_unit_test(test_prefault_bounds),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
