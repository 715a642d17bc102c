/* SPDX-License-Identifier: MIT */
/* Replays fuzz inputs without libFuzzer, so that `make check` (gcc, and the sanitizer
 * build) runs every seed corpus: fuzz-X FILE… */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cleanup.h"
#include "fs-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char *argv[]) {
        for (int i = 1; i < argc; i++) {
                _cleanup_free_ char *buf = NULL;
                size_t size;
                int r = read_file_full(argv[i], 64u * 1024 * 1024, &buf, &size);
                if (r < 0) {
                        fprintf(stderr, "%s: cannot read \"%s\"\n", argv[0], argv[i]);
                        return EXIT_FAILURE;
                }
                LLVMFuzzerTestOneInput((const uint8_t *) buf, size);
        }
        return EXIT_SUCCESS;
}
