/* SPDX-License-Identifier: MIT */
/* A report body's stored list (server/store-body.c), read back from the database: the
 * input as a list must parse or be refused (-EIO), each item a hash or a literal of the
 * strict form; and the input as claims, cut into chunks and literals, must come back byte
 * for byte through store_body_join() (cut + stored form + reconstruct == input), each
 * chunk found by its SHA-256. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "hash-util.h"
#include "macro.h"
#include "store-body.h"

typedef struct Split {
        const char *claims;
        const StoreBodyChunk *chunks;
        size_t n_chunks;
} Split;

static int fetch(const char *hex, StoreBuf *b, void *userdata) {
        const Split *sp = userdata;

        for (size_t i = 0; i < sp->n_chunks; i++)
                if (streq(sp->chunks[i].hex, hex))
                        return store_buf_append(b, sp->claims + sp->chunks[i].at, sp->chunks[i].len);
        return 0; /* missing */
}

static void parse(const char *list) {
        StoreBodyItem item;
        int r;

        while ((r = store_body_list_next(&list, &item)) > 0) {
                size_t hex = strspn(item.text, "0123456789abcdef");
                if (hex < item.len || (item.literal ? item.len < 1 || item.len > 64 : item.len != 64) ||
                    item.text[-item.literal] != (item.literal ? '=' : item.text[0]))
                        abort();
        }
        if (r != 0 && r != -EIO)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = NULL, *list = NULL;
        _cleanup_free_ StoreBodyChunk *chunks = NULL;
        size_t n_chunks, items = 0, at = 0;
        StoreBodyItem item;
        const char *p;
        StoreBuf back;
        int r;

        if (size > 1 << 20)
                return 0;
        text = strndup((const char *) data, size);
        if (!text)
                return 0;
        parse(text);

        size = strlen(text); /* claims hold no NUL: up to the first */
        if (size == 0)
                return 0;
        if (store_body_split(text, size, 1, &chunks, &n_chunks, &list) < 0)
                abort();
        for (size_t i = 0; i < n_chunks; i++) {
                char hex[SHA256_HEX_SIZE];

                /* in order, back to back with the literals between them */
                if (chunks[i].len == 0 || chunks[i].at < at || sha256_hex(text + chunks[i].at, chunks[i].len, hex) < 0 ||
                    !streq(hex, chunks[i].hex))
                        abort();
                at = chunks[i].at + chunks[i].len;
        }
        if (chunks[n_chunks].len != 0)
                abort();
        /* the list names the chunks in order, literals between them */
        for (p = list + 1; (r = store_body_list_next(&p, &item)) > 0;)
                if (!item.literal && (items >= n_chunks || memcmp(item.text, chunks[items++].hex, 64) != 0))
                        abort();
        if (r != 0 || items != n_chunks)
                abort();
        r = store_body_join(list + 1, fetch, &(Split) { text, chunks, n_chunks }, &back);
        if (r < 0 || back.size != size || memcmp(back.data, text, size) != 0 || back.data[size] != 0)
                abort();
        free(back.data);
        return 0;
}
