/* SPDX-License-Identifier: MIT */
/* The index reader over compressed input: the first byte picks plain, gz, xz or lz4; the
 * rest is the file. Corrupt and truncated streams must end in an error, never a hang. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "apt-lists.h"

static int count(const char *start, const char *end, void *userdata) {
        (void) start;
        (void) end;
        (*(size_t *) userdata)++;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        AptIndexReader *r = NULL;
        size_t n = 0;
        int fds[2];

        /* The whole input must fit in the pipe before anyone reads it. */
        if (size < 1 || size > 60000 || pipe2(fds, O_CLOEXEC) < 0)
                return 0;
        if (write(fds[1], data + 1, size - 1) != (ssize_t) (size - 1)) {
                close(fds[0]);
                close(fds[1]);
                return 0;
        }
        close(fds[1]);
        if (apt_index_reader_new(fds[0], (AptCompression) (data[0] % _APT_COMPRESSION_MAX), &r, NULL) < 0) {
                close(fds[0]);
                return 0;
        }
        (void) apt_index_foreach_stanza(r, count, &n);
        apt_index_reader_free(r);
        return 0;
}
