/* SPDX-License-Identifier: MIT */
/* crypttab: the first line's name looked up again, and its options read. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "crypttab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = malloc(size + 1), *name = NULL;
        static const char *const keys[] = { "header", "cipher", "size" };

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = 0;
        name = strndup(text, strcspn(text, " \t\n"));
        for (const char *n = name; n; n = n == name ? "cryptswap" : NULL) {
                _cleanup_(crypttab_entry_done) CrypttabEntry e = {};
                if (crypttab_find(text, n, &e) <= 0)
                        continue;
                (void) crypttab_key_is_random(&e);
                for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
                        _cleanup_free_ char *v = NULL;
                        (void) crypttab_option(e.options, keys[i], &v);
                }
        }
        return 0;
}
