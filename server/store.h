/* SPDX-License-Identifier: MIT */
#pragma once

/* The server's storage (docs/internals/store.md). Two layers:
 *
 *  - StoreBackend: ONE vtable that a database implements (store-sqlite.c, embedded
 *    default; store-postgres.c, shared by several stateless vigie-server instances). It
 *    only knows how to run a numbered SQL statement with typed parameters and hand rows
 *    back as strings, plus transactions.
 *  - store_*(): typed operations written once (store.c) on top of it, with the SQL in one
 *    table (both databases understand the same dialect we use). Adding a query = one row
 *    in that table plus one function here.
 *
 * All times are seconds since the epoch (BIGINT). Functions return 0 (or a row count) or
 * -errno: -ENOENT nothing matched, -EEXIST unique key taken, -EIO/-ECONNRESET database
 * unavailable (the HTTP layer answers 503). */

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device-key.h"
#include "hash-util.h"
#include "macro.h"
#include "parse-util.h"

typedef struct Store Store;
typedef struct StoreChunkSet StoreChunkSet;

typedef enum StoreValueType {
        STORE_NULL,
        STORE_TEXT,
        STORE_INT,
} StoreValueType;

typedef struct StoreValue {
        StoreValueType type;
        const char *text;
        int64_t integer;
} StoreValue;

static inline StoreValue SV_TEXT(const char *s) {
        return (StoreValue) { .type = s ? STORE_TEXT : STORE_NULL, .text = s };
}
#define SV_INT(i) ((StoreValue) { .type = STORE_INT, .integer = (i) })
#define SV_NULL ((StoreValue) { .type = STORE_NULL })
/* 0 means "none" for optional times and counters. */
#define SV_INT_OR_NULL(i) ((i) ? SV_INT(i) : SV_NULL)

/* One result row; cols[i] is NULL for SQL NULL. Return <0 to stop with that error. */
typedef int (*StoreRowFn)(const char *const *cols, size_t n_cols, void *userdata);

typedef struct StoreBackend {
        const char *scheme; /* "sqlite", "postgres" */
        /* arg: what follows "scheme:" in the --db URL. */
        int (*open)(const char *arg, Store **ret, char **ret_error);
        void (*free)(Store *s);
        /* Runs a script of statements without parameters (schema, BEGIN, COMMIT…). */
        int (*exec)(Store *s, const char *sql);
        /* Runs statement number id (its text is sql, with $1…$n parameters; the backend
         * may prepare and cache it by id). Returns the number of rows seen (SELECT or
         * RETURNING) or changed (otherwise). */
        int (*query)(Store *s, unsigned id, const char *sql, const StoreValue *params,
                     size_t n_params, StoreRowFn fn, void *userdata);
        /* Optional. Runs statement id (STORE_UNPREPARED: sql, one statement, as is) whose
         * result the caller does not need, inside a transaction: PostgreSQL queues it in
         * libpq's pipeline and sends it with the next query or exec, one round trip for all;
         * its failure is returned by that call (the transaction is then failed up to the
         * caller's ROLLBACK TO SAVEPOINT, as if it had failed at once). Without it,
         * store_send() runs the statement at once. */
        int (*send)(Store *s, unsigned id, const char *sql, const StoreValue *params, size_t n_params);
        /* Optional. A read sent ahead the same way: its rows go to fn when the pipeline's
         * answers are read (the next query or exec, or flush), so several reads wait for one
         * round trip. fn and userdata must live until then. */
        int (*read_ahead)(Store *s, unsigned id, const char *sql, const StoreValue *params,
                          size_t n_params, StoreRowFn fn, void *userdata);
        /* Optional. Waits for everything sent ahead; returns its first failure. */
        int (*flush)(Store *s);
        /* Optional (PostgreSQL): the transaction's COMMIT sent without waiting for its
         * answer (store_commit_send()): 1 and *ret_fd to watch, 0 when it cannot (the
         * caller then runs store_commit()), or the COMMIT's failure. commit_receive reads
         * the answer: -EAGAIN while it is incomplete (unless wait), else the COMMIT's. */
        int (*commit_send)(Store *s, int *ret_fd);
        int (*commit_receive)(Store *s, bool wait);
        /* Optional (SQLite): a count of the rows changed since the connection opened, which
         * moves with each write; -1 when no transaction is open (a failure rolled it back).
         * PostgreSQL: the writes sent, -1 once the transaction failed. With it, a unit run
         * ahead takes no savepoint (store_run_ahead()). */
        int64_t (*changes)(Store *s);
        /* The database's message for the last failure, for logs. */
        const char *(*error)(Store *s);
} StoreBackend;

/* The common head every backend's Store starts with. */
struct Store {
        const StoreBackend *backend;
        unsigned tx_depth; /* 0: no transaction, 1: BEGIN done, >1: savepoints */
        uint64_t statements; /* calls to exec, query and send: the benchmarks' statements
                              * per report (docs/performance.md) */
        uint64_t round_trips; /* PostgreSQL: waits for the server's answer (0 on SQLite) */
        bool ahead;           /* store_run_ahead(): savepoints end without waiting */
        bool ended_ahead;     /* a unit ended with statements sent ahead, their answers
                               * not read yet (its RELEASE, or its writes without one) */
        bool ahead_failed;    /* a wait failed meanwhile (store_ahead_failed()) */
        int64_t unit_changes; /* changes() when the unit without a savepoint began */
        uint64_t transactions; /* outer BEGINs so far: which one a prefetch belongs to */
        StoreChunkSet *chunks_sent; /* store-body.c: chunks written by this transaction */
};

/* For the backends, at each exec or query. */
static inline void store_count_statement(Store *s) {
        __atomic_add_fetch(&s->statements, 1, __ATOMIC_RELAXED);
}

/* PostgreSQL, at each wait for the server. */
static inline void store_count_round_trip(Store *s) {
        __atomic_add_fetch(&s->round_trips, 1, __ATOMIC_RELAXED);
}

/* PostgreSQL, once the answers of what was sent ahead are read (r: their first failure):
 * a failure may then be an earlier unit's. */
static inline void store_ahead_settled(Store *s, int r) {
        if (s->ended_ahead && r < 0)
                s->ahead_failed = true;
        s->ended_ahead = false;
}

extern const StoreBackend store_backend_sqlite;
extern const StoreBackend store_backend_postgres;

/* Runs statement id through the backend (for the store-*.c modules). */
static inline int store_query(Store *s, unsigned id, const char *sql, const StoreValue *params,
                              size_t n_params, StoreRowFn fn, void *userdata) {
        return s->backend->query(s, id, sql, params, n_params, fn, userdata);
}
#define STORE_UNPREPARED UINT_MAX

/* See StoreBackend.send. Returns 0 or -errno. */
static inline int store_send(Store *s, unsigned id, const char *sql, const StoreValue *params,
                             size_t n_params) {
        int r;

        if (s->backend->send && s->tx_depth > 0)
                return s->backend->send(s, id, sql, params, n_params);
        r = id == STORE_UNPREPARED ? s->backend->exec(s, sql)
                                   : s->backend->query(s, id, sql, params, n_params, NULL, NULL);
        return r < 0 ? r : 0;
}

/* See StoreBackend.read_ahead: without it (or outside a transaction) the read runs at
 * once. Returns 0 or -errno; the rows go to fn, at the latest by store_flush(). */
static inline int store_read_ahead(Store *s, unsigned id, const char *sql, const StoreValue *params,
                                   size_t n_params, StoreRowFn fn, void *userdata) {
        int r;

        if (s->backend->read_ahead && s->tx_depth > 0)
                return s->backend->read_ahead(s, id, sql, params, n_params, fn, userdata);
        r = s->backend->query(s, id, sql, params, n_params, fn, userdata);
        return r < 0 ? r : 0;
}

/* Waits for the reads and writes sent ahead. Returns their first failure. */
static inline int store_flush(Store *s) {
        return s->backend->flush && s->tx_depth > 0 ? s->backend->flush(s) : 0;
}

/* store_send() with the parameters that follow as a list. */
#define STORE_SEND(s, id, sql, ...)                                                           \
        ({                                                                                    \
                const StoreValue _p_[] = { __VA_ARGS__ };                                     \
                store_send((s), (id), (sql), _p_, ELEMENTSOF(_p_));                           \
        })

/* One of our own BIGINT columns; 0 for NULL. */
static inline int64_t store_col_int(const char *col) {
        int64_t v = 0;
        if (col)
                (void) parse_int64(col, &v);
        return v;
}

/* url: "sqlite:PATH", "postgres:CONNINFO" (libpq keyword/value string or URI), or a bare
 * path (SQLite). Creates the schema when missing. */
int store_open(const char *url, Store **ret, char **ret_error);
Store *store_free(Store *s);
static inline const char *store_error(Store *s) {
        return s->backend->error(s);
}
static inline void store_freep(Store **s) {
        store_free(*s);
}

/* store_query() with the parameters that follow as a list. */
#define STORE_QUERY(s, id, sql, fn, u, ...)                                                   \
        ({                                                                                    \
                const StoreValue _p_[] = { __VA_ARGS__ };                                     \
                store_query((s), (id), (sql), _p_, ELEMENTSOF(_p_), (fn), (u));               \
        })

/* Transactions nest: the outer level is BEGIN/COMMIT, inner levels are savepoints, so a
 * group commit can hold many requests and still undo just one of them. store_commit() of
 * the outer level returns only once the data is durable. */
int store_begin(Store *s);
/* The outer BEGIN sent ahead (store_read_ahead()): it travels with the reads that follow,
 * and its failure, a lost connection's included, comes out of their wait (store_flush());
 * after a lost connection, store_rollback() then store_begin_ahead() again reconnects.
 * Without read_ahead (SQLite): store_begin(). */
int store_begin_ahead(Store *s);
/* Whether reads sent ahead wait together (PostgreSQL), rather than each at once. */
static inline bool store_reads_ahead(Store *s) {
        return s->backend->read_ahead != NULL;
}
int store_commit(Store *s);
int store_rollback(Store *s);
/* store_commit() of the outer level in two steps, for a caller with an event loop: 1
 * when the COMMIT is on its way (wait until *ret_fd is readable, then call
 * store_commit_receive() until it returns anything but -EAGAIN; wait: block until the
 * answer), 0 when the backend cannot (call store_commit()), or the COMMIT's failure
 * (the transaction has ended, as with store_commit()). */
int store_commit_send(Store *s, int *ret_fd);
int store_commit_receive(Store *s, bool wait);

/* Until the transaction ends, store_commit() of a savepoint does not wait for its
 * RELEASE: it goes with the next statement (the next unit's SAVEPOINT and reads, or the
 * COMMIT), so a unit costs one wait instead of two. A write that fails is then seen in a
 * later unit's wait, or by the COMMIT, and cannot be told apart from that unit's own
 * failure: store_ahead_failed() says so, and the caller must roll the whole transaction
 * back and run it again without running ahead. On SQLite (every statement runs at once)
 * the units of the transaction take no savepoint instead: a unit that changed rows and
 * is rolled back cannot be undone alone, and store_ahead_failed() says so the same way.
 * Returns 1, or 0 when the backend can do neither. */
int store_run_ahead(Store *s);
/* Whether, in this transaction or the one that ended last, a wait failed while a RELEASE
 * sent ahead was unanswered, or a unit without a savepoint was rolled back. */
static inline bool store_ahead_failed(Store *s) {
        return s->ahead_failed;
}

/* ---- meta (policy) ---- */
/* Whether table has column (schema upgrades). Returns 1, 0 or -errno. */
int store_has_column(Store *s, const char *table, const char *column);
int store_meta_get(Store *s, const char *key, char **ret);
int store_meta_set(Store *s, const char *key, const char *value);

/* ---- enrollment tokens (only their SHA-256 is stored) ---- */
typedef struct StoreToken {
        char *id; /* public handle: first 12 hex digits of the hash */
        char *label;
        int64_t uses_left;
        int64_t created_at;
        int64_t expires_at; /* 0: never */
        int64_t revoked_at; /* 0: not revoked */
} StoreToken;
void store_token_done(StoreToken *t);

int store_token_add(Store *s, const char hash[static SHA256_HEX_SIZE], const StoreToken *t);
/* Takes one use, atomically. -ENOENT unknown, -EKEYREVOKED, -EKEYEXPIRED, -EUSERS used up. */
int store_token_consume(Store *s, const char hash[static SHA256_HEX_SIZE], int64_t now,
                        char **ret_id);
typedef int (*StoreTokenFn)(const StoreToken *t, void *userdata);
int store_token_list(Store *s, StoreTokenFn fn, void *userdata);
/* id may be a prefix of at least 6 digits; -ENOENT none, -ENOTUNIQ several. */
int store_token_revoke(Store *s, const char *id, int64_t now);

/* ---- certificates and devices ---- */
typedef enum CertRole {
        CERT_ROLE_DEVICE,
        CERT_ROLE_ADMIN,
        CERT_ROLE_SCRAPER,
        CERT_ROLE_GATEWAY,
        _CERT_ROLE_MAX,
        _CERT_ROLE_INVALID = -EINVAL,
} CertRole;
const char *cert_role_to_string(CertRole r);
CertRole cert_role_from_string(const char *s);

typedef struct StoreCert {
        const char *serial;      /* hex */
        CertRole role;
        const char *subject;     /* CN: device id, or the admin's name */
        const char *device_id;   /* NULL unless a device certificate */
        const char *fingerprint; /* sha256 hex of the DER = the JWS kid */
        int64_t not_before, not_after, issued_at;
        const char *pem;         /* the certificate, for auditors (vigiectl audit) */
} StoreCert;
int store_cert_add(Store *s, const StoreCert *c);

typedef struct StoreCertStatus {
        bool known;
        bool revoked;        /* this certificate, or its device */
        bool device_flagged;
} StoreCertStatus;
/* Looked up on every request: unknown serials are reported as !known. */
int store_cert_status(Store *s, const char *serial, StoreCertStatus *ret);

typedef struct StoreDevice {
        char *id;
        char *cert_serial, *cert_fingerprint, *key_kind;
        int64_t cert_not_before, cert_not_after, enrolled_at, revoked_at, flagged_at;
        char *flag_reason;
        int64_t last_seq; /* -1: no report yet */
        char *last_hash;
} StoreDevice;
void store_device_done(StoreDevice *d);

/* Records the device's current certificate (first enrollment, re-enrollment or renewal)
 * and revokes every other certificate of that device. enroll: also resets enrolled_at
 * and lifts a device-level revocation. */
int store_device_set_cert(Store *s, const char *device_id, const StoreCert *cert,
                          const char *key_kind, bool enroll, int64_t now);
int store_device_get(Store *s, const char *id, StoreDevice *ret);
int store_device_revoke(Store *s, const char *id, int64_t now);
int store_device_flag(Store *s, const char *id, const char *reason, int64_t now);

/* ---- reports ---- */
/* What ingest reads with the chain head, in the same statement. */
typedef struct StoreHeadInfo {
        DeviceKey key;           /* how the server recorded the device's key is held */
        char *policy_id;         /* the current policy (meta), NULL when none is published */
        int64_t policy_version;
        char *noted_policy_id;   /* the policy the device's latest report named (latest_policy), or NULL */
        int64_t noted_policy_version;
} StoreHeadInfo;
void store_head_info_done(StoreHeadInfo *i);
/* (store-body.h) A report body on its way in: its stored form and its chunks, each with whether the
 * database already has it, refreshed within STORE_BODY_REFRESH. */
typedef struct StoreBodyChunk {
        char hex[SHA256_HEX_SIZE];
        size_t at, len; /* in claims */
        bool fresh;
} StoreBodyChunk;

typedef struct StoreBody {
        char *stored;
        const char *claims; /* the caller's, until store_body_write() */
        int64_t now;
        StoreBodyChunk *chunks;
        size_t n_chunks;
} StoreBody;
/* A device's chain head and what ingest reads with it, in the same statement. */
typedef struct StoreChainHead {
        bool found;              /* the device is enrolled */
        int64_t seq;             /* -1: no report yet */
        char hash[SHA256_HEX_SIZE];
        StoreHeadInfo info;
} StoreChainHead;

/* Everything a report needs read before it is judged and stored, read in one round trip
 * on PostgreSQL (store_report_prepare()). */
/* Strings read in pairs, in one buffer: "key\0value\0key\0value\0…", size bytes. */
/* Bytes grown by store_buf_append(): rows gathered by a query's callback. */
typedef struct StoreBuf {
        char *data;
        size_t size, cap;
} StoreBuf;
int store_buf_append(StoreBuf *b, const void *data, size_t size);
typedef struct StoreReportPrep {
        StoreChainHead head;
        StoreCertStatus cert; /* the certificate the report came with */
        StoreBuf checks;      /* the device's latest_checks: check_id\0status\0… */
        StoreBody body;
        uint64_t transaction; /* Store.transactions when it was read; 0: not read */
} StoreReportPrep;
void store_report_prep_done(StoreReportPrep *p);

/* In a transaction: locks the device's chain head until the transaction ends (so
 * concurrent instances sharing PostgreSQL serialise per device) and reads, in the same
 * round trip, the status of the certificate cert_serial, the device's
 * latest_checks and which chunks of the body (store_body_read()) are already stored. A
 * device not enrolled: ret->head.found false. */
int store_report_prepare(Store *s, const char *device_id, const char *cert_serial, const char *jws,
                         const char *claims, int64_t now, StoreReportPrep *ret);
/* The same reads sent ahead, not waited for: they fill *ret (overwritten: done with it
 * first; it must stay where it is, jws and claims too) at the next wait, store_flush() at
 * the latest. A batch sends them
 * for several reports and waits once (docs/internals/store.md, "Prefetch"). */
int store_report_prefetch(Store *s, const char *device_id, const char *cert_serial, const char *jws,
                          const char *claims, int64_t now, StoreReportPrep *ret);
/* Whether p was prefetched in this very transaction (a batch rolled back and run again
 * reads again). */
static inline bool store_report_prefetched(Store *s, const StoreReportPrep *p) {
        return p->transaction != 0 && p->transaction == s->transactions;
}

/* -ENOENT when the device has no report with that seq. */
int store_report_hash(Store *s, const char *device_id, int64_t seq,
                      char ret_hash[static SHA256_HEX_SIZE]);

typedef struct StoreCheck {
        const char *id;
        const char *status; /* pass, warn, fail, unknown, error */
        const char *summary;
        bool uncounted; /* a check the current policy does not name: stored, not in the fleet state */
} StoreCheck;

typedef struct StoreReport {
        const char *device_id;
        int64_t seq, iat, received_at;
        const char *hash, *prev; /* prev NULL for the first report */
        int64_t gap;             /* reports missing before this one (0: none) */
        bool compliant;
        const char *failing;     /* ids of the checks not ok, comma-separated, or NULL */
        const char *jws;         /* the exact bytes received */
        const char *claims;      /* the payload as jws_parse() decoded it (stored in chunks) */
        const char *cert_serial;
        const char *hostname, *os_id, *os_version, *os_pretty;
        const StoreCheck *checks;
        size_t n_checks;
        StoreReportPrep *prep; /* store_report_prepare()'s for this report, or NULL: read here */
} StoreReport;
/* Inserts the report and its check results, advances the chain head, and updates the
 * latest-state tables and the per-check status history. -EEXIST if seq is taken. */
int store_report_insert(Store *s, const StoreReport *r);
