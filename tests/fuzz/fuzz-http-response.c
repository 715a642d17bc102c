/* SPDX-License-Identifier: MIT */
/* An HTTP/1.1 response from a hostile server (common/http-response.c), fed whole and then
 * again in pieces whose sizes the first byte picks: the same bytes must give the same
 * verdict, and a complete response keeps its promises (body within the limit, NUL-ended). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http-response.h"

static int parse(const uint8_t *data, size_t size, size_t step, size_t max, HttpResponse *r) {
        size_t done = 0, used;
        int k = 0;

        *r = (HttpResponse) { .max_body = max };
        while (done < size) {
                size_t n = step ? (size - done < step ? size - done : step) : size - done;
                k = http_response_feed(r, (const char *) data + done, n, &used);
                if (k != 0)
                        break;
                if (used != n)
                        abort(); /* an incomplete response takes every byte */
                done += n;
        }
        if (k == 0)
                k = http_response_eof(r);
        return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        HttpResponse whole, pieces;
        size_t step, max;
        int a, b;

        if (size < 1)
                return 0;
        step = data[0] % 17 + 1;
        max = (size_t) (data[0] & 0x80 ? 64 : 4096);
        data++;
        size--;
        a = parse(data, size, 0, max, &whole);
        b = parse(data, size, step, max, &pieces);
        if (a != b || (a == 1 && (whole.status != pieces.status || whole.body_size != pieces.body_size ||
                                  memcmp(whole.body, pieces.body, whole.body_size) != 0)))
                abort();
        if (a == 1 && (whole.status < 200 || whole.status > 599 || whole.body_size > max ||
                       whole.body[whole.body_size] != 0))
                abort();
        http_response_done(&whole);
        http_response_done(&pieces);
        return 0;
}
