/* SPDX-License-Identifier: MIT */
/* What memory costs a process on first touch, on this machine: the figures behind
 * malloc_prefault() (docs/performance.md, issue #17, round 19). In a fresh child each time,
 * as a cycle is. `make bench` runs it (bench-page-cost.sh); by hand:
 *
 *   cc -O2 -o /tmp/page-cost tests/bench/page-cost.c && /tmp/page-cost [ROUNDS]
 *
 * Prints the CPU µs per 4 KiB page of 2 MiB written once: as page faults, populated ahead
 * (madvise MADV_POPULATE_WRITE, then written), copied on write after a fork, and the CPU µs
 * of the whole 2 MiB populated as a transparent huge page (MADV_HUGEPAGE) and written. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define REGION ((size_t) 2 << 20)
#define PAGE ((size_t) 4096)
#define PAGES (REGION / PAGE)

enum { FAULTED, POPULATED, COPIED_ON_WRITE, HUGE_PAGE, N_WAYS };

static const char *const way_names[N_WAYS] = {
        [FAULTED] = "page faults, µs per page",
        [POPULATED] = "populated ahead, then written, µs per page",
        [COPIED_ON_WRITE] = "copied on write after fork, µs per page",
        [HUGE_PAGE] = "one huge page populated and written, µs per 2 MiB",
};

static double cpu_us(void) {
        struct timespec ts;

        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* A 2 MiB-aligned, writable region, none of it touched yet. */
static char *fresh_region(void) {
        char *p = mmap(NULL, 2 * REGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        if (p == MAP_FAILED) {
                perror("mmap");
                exit(EXIT_FAILURE);
        }
        return (char *) (((uintptr_t) p + REGION - 1) & ~(REGION - 1));
}

static void write_each_page(char *p) {
        for (size_t i = 0; i < REGION; i += PAGE)
                p[i] = 1;
}

/* The CPU µs of one way, measured in a fresh child (inherited: `shared`, written by the
 * parent before the fork). */
static double measure(int way, char *shared) {
        int fds[2], status;
        double us = -1;
        pid_t pid;

        if (pipe(fds) < 0) {
                perror("pipe");
                exit(EXIT_FAILURE);
        }
        pid = fork();
        if (pid < 0) {
                perror("fork");
                exit(EXIT_FAILURE);
        }
        if (pid == 0) {
                char *p = way == COPIED_ON_WRITE ? shared : fresh_region();
                double start = cpu_us();

                if (way == HUGE_PAGE && madvise(p, REGION, MADV_HUGEPAGE) < 0)
                        perror("madvise(MADV_HUGEPAGE)");
                if ((way == POPULATED || way == HUGE_PAGE) && madvise(p, REGION, MADV_POPULATE_WRITE) < 0)
                        perror("madvise(MADV_POPULATE_WRITE)");
                write_each_page(p);
                us = cpu_us() - start;
                if (way != HUGE_PAGE)
                        us /= PAGES;
                _exit(write(fds[1], &us, sizeof(us)) == sizeof(us) ? 0 : 1);
        }
        close(fds[1]);
        if (read(fds[0], &us, sizeof(us)) != sizeof(us) || waitpid(pid, &status, 0) != pid || status != 0) {
                fprintf(stderr, "the child measuring \"%s\" failed\n", way_names[way]);
                exit(EXIT_FAILURE);
        }
        close(fds[0]);
        return us;
}

static int compare_doubles(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return (x > y) - (x < y);
}

int main(int argc, char **argv) {
        int rounds = argc > 1 ? atoi(argv[1]) : 9;
        char *shared = fresh_region();
        double *runs;

        if (rounds < 1) {
                fprintf(stderr, "Usage: %s [ROUNDS]\n", argv[0]);
                return EXIT_FAILURE;
        }
        runs = calloc((size_t) rounds, sizeof(*runs));
        if (!runs)
                return EXIT_FAILURE;
        write_each_page(shared);
        for (int way = 0; way < N_WAYS; way++) {
                for (int i = 0; i < rounds; i++)
                        runs[i] = measure(way, shared);
                qsort(runs, (size_t) rounds, sizeof(*runs), compare_doubles);
                printf("%-52s median %8.2f  (min %.2f, max %.2f, %d rounds)\n", way_names[way],
                       runs[rounds / 2], runs[0], runs[rounds - 1], rounds);
        }
        free(runs);
        return EXIT_SUCCESS;
}
