/* SPDX-License-Identifier: MIT */
/* The grammar check never reads out of bounds, and what it accepts (and is UTF-8) json-c
 * builds: json_parse() never fails after the check passed but for UTF-8. */
#include <stdint.h>
#include <stdlib.h>

#include "json-strict.h"
#include "json-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *what;
        size_t off;
        json_object *j = NULL;
        char *err = NULL;

        if (json_check_grammar((const char *) data, size, JSON_MAX_DEPTH, &off, &what) < 0) {
                if (off > size || !what)
                        abort();
                return 0;
        }
        if (json_parse((const char *) data, size, &j, &err) < 0 && !err)
                abort();
        json_object_put(j);
        free(err);
        return 0;
}
