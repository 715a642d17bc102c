/* SPDX-License-Identifier: MIT */
/* Time of gzip_compress() (the agent, once a report) and gzip_inflate() (the server, once
 * a gzip'ed body) on a file, as linked from a build's libvigie-common.a: build it against
 * two builds for an A/B (docs/performance.md, *a faster inflate*):
 *
 *   cc -O2 -Icommon -o /tmp/gzip-bench tests/bench/gzip-bench.c BUILD/libvigie-common.a \
 *       $(pkg-config --libs zlib libdeflate)
 *   /tmp/gzip-bench FILE [ROUNDS]
 *
 * Prints the sizes and the mean CPU µs of each call. For instructions, run it under
 * `valgrind --tool=callgrind --toggle-collect=gzip_inflate` (or gzip_compress) and divide
 * by ROUNDS. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gzip-util.h"

#define MAX_FILE (16 << 20)

/* CPU time, not wall time: on a shared machine the process is descheduled at random. */
static double now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
        static char data[MAX_FILE];
        long rounds = argc > 2 ? strtol(argv[2], NULL, 10) : 2000;
        char *gz = NULL, *out = NULL;
        size_t size, gz_size, n;
        double t0, deflate_us, inflate_us;
        FILE *f;

        if (argc < 2 || rounds <= 0) {
                fprintf(stderr, "usage: gzip-bench FILE [ROUNDS]\n");
                return 2;
        }
        f = fopen(argv[1], "re");
        if (!f) {
                fprintf(stderr, "gzip-bench: cannot open \"%s\": %s\n", argv[1], strerror(errno));
                return 1;
        }
        size = fread(data, 1, sizeof(data), f);
        fclose(f);

        t0 = now_us();
        for (long i = 0; i < rounds; i++) {
                free(gz);
                if (gzip_compress(data, size, &gz, &gz_size) < 0)
                        return 1;
        }
        deflate_us = (now_us() - t0) / rounds;
        t0 = now_us();
        for (long i = 0; i < rounds; i++) {
                free(out);
                if (gzip_inflate(gz, gz_size, size, &out, &n) < 0 || n != size || memcmp(out, data, n) != 0)
                        return 1;
        }
        inflate_us = (now_us() - t0) / rounds;
        printf("%s: %zu bytes, gzip %zu bytes; gzip_compress %.1f µs, gzip_inflate %.2f µs of CPU (%ld rounds)\n",
               argv[1], size, gz_size, deflate_us, inflate_us, rounds);
        free(gz);
        free(out);
        return 0;
}
