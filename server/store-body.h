/* SPDX-License-Identifier: MIT */
#pragma once

/* Report bodies stored once (docs/internals/store.md, "Report bodies"). reports.jws holds
 * either a compact JWS as received, or "@HEADER.SIGNATURE.LIST": the protected header and
 * signature as sent, and the payload (the claims JSON) as a list of items: content-defined
 * chunks, each kept once in report_chunks under its SHA-256, and the values that change at
 * every report of a stable laptop (iat, seq, prev, durations) as literals between them, so
 * that such a laptop's report adds no chunk. Reading puts the exact signed bytes back. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define STORE_BODY_SCHEMA                                                                  \
        "CREATE TABLE IF NOT EXISTS report_chunks ("                                       \
        "  hash TEXT PRIMARY KEY, data TEXT NOT NULL, used_at BIGINT NOT NULL);"           \
        "CREATE INDEX IF NOT EXISTS report_chunks_used ON report_chunks(used_at);"

/* A chunk's used_at is refreshed at most once per this many seconds, so that a stable
 * chunk costs a write a day, not one per report; pruning keeps this much slack. */
#define STORE_BODY_REFRESH (24 * 3600)

/* Length of the chunk that starts data (≤ size): cut where a rolling hash of the last
 * bytes says so, between ASCII bytes only (a chunk of UTF-8 text stays UTF-8). */
size_t store_body_cut(const char *data, size_t size);

void store_body_done(StoreBody *b);

/* Cuts claims (size bytes, no NUL) into chunks and literals: *ret_chunks, hashed, in order,
 * ending with one of length 0 (literals are not chunks), and *ret_list, the items'
 * "H1,=123,H2,…" written after room bytes at its start, left for the caller. */
int store_body_split(const char *claims, size_t size, size_t room, StoreBodyChunk **ret_chunks,
                     size_t *ret_n_chunks, char **ret_list);

/* An item of a list: a chunk's hash (64 hex digits) or a literal ('=' then 1 to 64 of
 * [0-9a-f], nothing to escape: the claims' very bytes). Older servers read hashes only. */
typedef struct StoreBodyItem {
        const char *text;
        size_t len;
        bool literal;
} StoreBodyItem;
/* The item at *p, and *p moved past it: 1, or 0 at the end; -EIO if malformed. */
int store_body_list_next(const char **p, StoreBodyItem *ret);

/* The claims put back from a list: fetch appends to b the chunk whose hash is hex (nothing
 * if it is missing: -EIO). ret is NUL-terminated, the NUL not counted in its size. */
typedef int (*StoreBodyFetch)(const char *hex, StoreBuf *b, void *userdata);
int store_body_join(const char *list, StoreBodyFetch fetch, void *userdata, StoreBuf *ret);

/* Cuts claims (jws's payload, strictly decoded, NUL-terminated) into chunks and sends
 * ahead the reads of their freshness (store_read_ahead()): they are known after the
 * caller's store_flush(). The stored form falls back to jws itself when the payload cannot
 * be split (it holds a NUL). */
int store_body_read(Store *s, const char *jws, const char *claims, int64_t now, StoreBody *ret);
/* Once the reads arrived: inserts or refreshes (at now) the chunks not fresh, sent ahead,
 * and hands over the stored form. */
int store_body_write(Store *s, StoreBody *b, char **ret_stored);

/* The chunks written by this transaction, which store_body_write() does not write again,
 * forgotten: at a unit's rollback and at the transaction's end (store.c). */
void store_body_forget(Store *s);
void store_body_sent_free(Store *s);

/* The exact compact JWS from its stored form; -EIO if a chunk is missing. */
int store_body_jws(Store *s, const char *stored, char **ret_jws);

/* The claims JSON (the decoded payload) from a stored form; -ENOENT if pruned (""). */
int store_body_claims(Store *s, const char *stored, char **ret_claims);
