/* SPDX-License-Identifier: MIT */
#pragma once

/* The spool: signed reports waiting for the server's 2xx, one file per report in
 * STATE/spool/ named by its seq (00000000000000000042.jws, the exact JWS bytes), plus the
 * chain state (next seq, hash of the last report, dropped count) in STATE/spool/chain.json.
 * Both are written atomically (temp, fsync, rename, fsync dir), the report first: on open
 * the chain state is reconciled from the highest spooled seq, so a crash at any point never
 * reuses a seq nor forgets a report. An open Spool holds an flock on STATE/spool/.lock.
 * See docs/internals/spool.md. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report.h"

#define SPOOL_DIR "spool"
#define SPOOL_RECORD_MAX JWS_MAX_SIZE

typedef struct SpoolLimits {
        uint64_t max_reports; /* 0: no limit */
        uint64_t max_bytes;   /* 0: no limit */
} SpoolLimits;

typedef enum SpoolOpenFlags {
        SPOOL_NONBLOCK = 1 << 0, /* -EBUSY instead of waiting for the lock */
} SpoolOpenFlags;

typedef struct SpoolEntry {
        int64_t seq;
        uint64_t size;
} SpoolEntry;

typedef struct Spool Spool;

typedef struct SpoolRecord {
        int64_t seq;
        char *prev;                    /* NULL for seq 1 */
        int64_t dropped;
        char kid[JWS_KID_SIZE];        /* of the certificate whose key signed it */
        char hash[REPORT_HASH_SIZE];   /* report_hash of the bytes */
} SpoolRecord;

/* Creates STATE/spool/ (0700) when missing, takes the lock, removes stale temp files,
 * reconciles the chain state. -EBADMSG with a message when the chain state is unreadable
 * and no spooled report tells where the chain stands. */
int spool_open(const char *state_dir, const SpoolLimits *limits, SpoolOpenFlags flags, Spool **ret,
               char **ret_error);
/* Releases the lock. */
Spool *spool_free(Spool *s);
static inline void spool_freep(Spool **s) {
        spool_free(*s);
}

/* What the next report's claims must carry. */
int64_t spool_next_seq(const Spool *s);
const char *spool_prev(const Spool *s); /* NULL before the first report */
int64_t spool_dropped(const Spool *s);  /* reports dropped past the bound, not yet reported */

/* Appends a signed report whose claims carry seq = spool_next_seq(), prev = spool_prev()
 * (-ESTALE otherwise) and dropped = spool_dropped() or 0. Written and synced before the
 * chain state moves on. Past the limits the oldest reports are dropped (never this one):
 * their number in *ret_dropped (may be NULL), and counted for the next report's claims. */
int spool_append(Spool *s, const char *jws, size_t len, uint64_t *ret_dropped, char **ret_error);

/* Waiting reports, oldest first; valid until the next append/remove. */
const SpoolEntry *spool_entries(const Spool *s, size_t *ret_n);
size_t spool_count(const Spool *s);
/* Reads and validates the record (spool_record_parse); ret_record may be NULL. */
int spool_read(Spool *s, int64_t seq, char **ret_jws, size_t *ret_len, SpoolRecord *ret_record,
               char **ret_error);
/* The server acknowledged it: unlink and sync. */
int spool_remove(Spool *s, int64_t seq);
/* The server refused it for good (e.g. 409): moved to STATE/spool/rejected/ for a person
 * to look at, out of the queue. */
int spool_reject(Spool *s, int64_t seq);


/* Validates a spool file's content: a compact JWS (jws_parse) with valid claims
 * (report_claims_parse); the signature is not verified here (the key may be gone).
 * -EBADMSG with a message. */
int spool_record_parse(const char *data, size_t size, SpoolRecord *ret, char **ret_error);
void spool_record_done(SpoolRecord *r);
