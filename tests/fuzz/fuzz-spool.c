/* SPDX-License-Identifier: MIT */
/* Spool record reader: what `vigie report` and the daemon read back from STATE/spool/
 * before sending it (a file anyone with access to the state directory could alter). */
#include <stdint.h>
#include <stdlib.h>

#include "spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        SpoolRecord rec = {};
        char *err = NULL;

        if (spool_record_parse((const char *) data, size, &rec, &err) < 0) {
                if (!err)
                        abort(); /* every refusal says why */
                free(err);
                return 0;
        }
        if (rec.seq < 1 || (rec.seq == 1 && rec.prev) || !sha256_hex_is_valid(rec.hash))
                abort();
        spool_record_done(&rec);
        return 0;
}
