/* SPDX-License-Identifier: MIT */
#pragma once

/* Report bodies stored once (docs/internals/store.md, "Report bodies"). reports.jws holds
 * either a compact JWS as received, or "@HEADER.SIGNATURE.H1,H2,…": the protected header
 * and signature as sent, and the payload (the claims JSON) cut into content-defined
 * chunks, each kept once in report_chunks under its SHA-256. A laptop whose state did not
 * change sends claims that differ only in a few bytes (iat, seq, prev, durations): only
 * the chunks around those bytes are new. Reading puts the exact signed bytes back. */

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
