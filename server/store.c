/* SPDX-License-Identifier: MIT */
/* Typed store operations, written once over the StoreBackend vtable. The SQL below is the
 * common subset of SQLite (≥ 3.35: RETURNING, upserts) and PostgreSQL: BIGINT/TEXT/INTEGER
 * columns, $N parameters, CAST() rather than ::, no FOR UPDATE (an UPDATE … RETURNING
 * takes the row lock in PostgreSQL and is a no-op lock in SQLite's single writer). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "macro.h"
#include "parse-util.h"
#include "store.h"
#include "store-alerts.h"
#include "store-history.h"
#include "store-body.h"
#include "store-posture.h"
#include "store-prune.h"
#include "store-fleet.h"
#include "store-identity.h"
#include "store-policy.h"
#include "store-partition.h"
#include "time-util.h"

/* Schema version 1. Shaped for the fleet queries (issue 6): the latest state of each
 * device and of each of its checks lives in small indexed tables, so a summary never
 * scans the report history. */
static const char schema_sql[] =
        "CREATE TABLE IF NOT EXISTS meta ("
        "  key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS tokens ("
        "  id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, label TEXT,"
        "  uses_left BIGINT NOT NULL, created_at BIGINT NOT NULL,"
        "  expires_at BIGINT, revoked_at BIGINT);"
        "CREATE TABLE IF NOT EXISTS certificates ("
        "  serial TEXT PRIMARY KEY, role TEXT NOT NULL, subject TEXT NOT NULL,"
        "  device_id TEXT, fingerprint TEXT NOT NULL, not_before BIGINT NOT NULL,"
        "  not_after BIGINT NOT NULL, issued_at BIGINT NOT NULL, revoked_at BIGINT, pem TEXT);"
        "CREATE INDEX IF NOT EXISTS certificates_device ON certificates(device_id);"
        "CREATE TABLE IF NOT EXISTS devices ("
        "  id TEXT PRIMARY KEY, cert_serial TEXT NOT NULL, cert_fingerprint TEXT NOT NULL,"
        "  cert_not_before BIGINT NOT NULL, cert_not_after BIGINT NOT NULL,"
        "  key_kind TEXT NOT NULL, enrolled_at BIGINT NOT NULL, revoked_at BIGINT,"
        "  flagged_at BIGINT, flag_reason TEXT,"
        "  last_seq BIGINT NOT NULL DEFAULT -1, last_hash TEXT);"
        "CREATE INDEX IF NOT EXISTS devices_fingerprint ON devices(cert_fingerprint);"
        "CREATE TABLE IF NOT EXISTS reports ("
        "  device_id TEXT NOT NULL, seq BIGINT NOT NULL, iat BIGINT NOT NULL,"
        "  received_at BIGINT NOT NULL, hash TEXT NOT NULL, prev TEXT,"
        "  gap BIGINT NOT NULL DEFAULT 0, compliant INTEGER NOT NULL,"
        "  cert_serial TEXT NOT NULL, jws TEXT NOT NULL,"
        "  PRIMARY KEY (device_id, seq));"
        /* latest: one row per device that ever reported (and the hour of received_at, a
         * column store-fleet.c adds). */
        "CREATE TABLE IF NOT EXISTS latest ("
        "  device_id TEXT PRIMARY KEY, seq BIGINT NOT NULL, report_at BIGINT NOT NULL,"
        "  received_at BIGINT NOT NULL, verdict TEXT NOT NULL, failing TEXT,"
        "  noncompliant_since BIGINT, hostname TEXT, os_id TEXT, os_version TEXT,"
        "  os_pretty TEXT);"
        "CREATE INDEX IF NOT EXISTS latest_verdict ON latest(verdict, device_id);"
        /* no query selects or sorts by report_at; received_at changes at every report
         * anyway, this index only cost a rewrite of its entry per report */
        "DROP INDEX IF EXISTS latest_report_at;"
        "CREATE INDEX IF NOT EXISTS latest_os ON latest(os_id, os_version);"
        "CREATE INDEX IF NOT EXISTS latest_hostname ON latest(hostname);"
        /* check_history: a row each time a check changed status (first report included). */
        "CREATE TABLE IF NOT EXISTS check_history ("
        "  device_id TEXT NOT NULL, check_id TEXT NOT NULL, seq BIGINT NOT NULL,"
        "  changed_at BIGINT NOT NULL, status TEXT NOT NULL,"
        "  PRIMARY KEY (device_id, check_id, seq));"
        STORE_BODY_SCHEMA
        STORE_PRUNE_SCHEMA
        "INSERT INTO meta(key, value) VALUES ('schema_version', '3') ON CONFLICT DO NOTHING;";

/* Each report's results, a few small rows: on SQLite a table without rowid is one b-tree in
 * the primary key's order, where a rowid table is two (the rows, then the key's index), a
 * page more written per report (docs/internals/store.md). New databases only. */
#define CHECK_RESULTS_SQL                                                                          \
        "CREATE TABLE IF NOT EXISTS check_results ("                                              \
        "  device_id TEXT NOT NULL, seq BIGINT NOT NULL, check_id TEXT NOT NULL,"                 \
        "  status TEXT NOT NULL, summary TEXT,"                                                   \
        "  PRIMARY KEY (device_id, seq, check_id))"

/* latest_checks: each device's current status per check, since when, and the seq of the
 * report that gave it this status (rewritten only when the status changes). Read by the
 * device's key at every report: on SQLite without rowid, as check_results, one b-tree
 * (not the key's index, then the row for the status). New databases only. */
#define LATEST_CHECKS_SQL                                                                          \
        "CREATE TABLE IF NOT EXISTS latest_checks ("                                              \
        "  device_id TEXT NOT NULL, check_id TEXT NOT NULL, status TEXT NOT NULL,"                \
        "  since BIGINT NOT NULL, seq BIGINT NOT NULL, PRIMARY KEY (device_id, check_id))"
#define LATEST_CHECKS_INDEX "CREATE INDEX IF NOT EXISTS latest_checks_status ON latest_checks(check_id, status);"

/* The tables SQLite keeps without rowid (PostgreSQL has no such thing), and what must
 * follow them. */
#define KEYED_TABLES_SQL(without_rowid)                                                            \
        CHECK_RESULTS_SQL without_rowid ";" LATEST_CHECKS_SQL without_rowid ";" LATEST_CHECKS_INDEX REPORTS_IAT_DROP

/* No query reads reports by (device_id, iat): a device's reports are paged by the primary
 * key (store_fleet_reports() keeps the planner off this index, "+iat" on both backends),
 * pruned by received_at. Every report's INSERT wrote its entry (on PostgreSQL, in the
 * month's partition): dropped, from old databases too (on PostgreSQL with every
 * partition's, before store_partition_setup() converts a plain table). */
#define REPORTS_IAT_DROP "DROP INDEX IF EXISTS reports_device_iat;"

/* Version 1 kept the claims beside the JWS: they are its payload, stored once now. Old
 * rows keep their JWS as received, which store-body.c reads as such. */
static int migrate(Store *s) {
        _cleanup_free_ char *version = NULL;
        int r = store_meta_get(s, "schema_version", &version);

        if (r < 0 || !streq(version, "1"))
                return r;
        r = s->backend->exec(s, streq(s->backend->scheme, "postgres")
                                        ? "ALTER TABLE reports DROP COLUMN IF EXISTS claims;"
                                        : "ALTER TABLE reports DROP COLUMN claims;");
        return r < 0 ? r : store_meta_set(s, "schema_version", "2");
}

/* With the current policy, and the one the device's latest report named (so that a report
 * naming the same one skips its upsert: store_policy_note_report()): statements per
 * report less than reading them apart. */
#define CHAIN_HEAD_SQL                                                                             \
        "SELECT last_seq, last_hash, key_kind, (SELECT value FROM meta WHERE key = 'policy_id'), " \
        "(SELECT value FROM meta WHERE key = 'policy_version'), "                                   \
        "(SELECT policy_id FROM latest_policy WHERE device_id = $1), "                             \
        "(SELECT version FROM latest_policy WHERE device_id = $1) FROM devices WHERE id = $1"
/* The same by joins, on SQLite: each scalar subquery is a program of its own there (a
 * cursor opened and sought per execution), ~19 k instructions a report for the four against
 * ~13 k for three joined point lookups (latest_policy's two columns from one). PostgreSQL
 * keeps the subqueries, which FOR UPDATE accepts (not the nullable side of a join). */
#define CHAIN_HEAD_JOIN_SQL                                                                        \
        "SELECT d.last_seq, d.last_hash, d.key_kind, pi.value, pv.value, lp.policy_id, lp.version "  \
        "FROM devices d LEFT JOIN meta pi ON pi.key = 'policy_id' "                                 \
        "LEFT JOIN meta pv ON pv.key = 'policy_version' "                                           \
        "LEFT JOIN latest_policy lp ON lp.device_id = d.id WHERE d.id = $1"

/* What each report sets in latest's row (on SQLite, the hour apart: Q_LATEST_UPDATE_HOUR). */
#define LATEST_REPORT_SET(seq, at, received_at, verdict)                                           \
        "seq = " seq ", report_at = " at ", received_at = " received_at ", "                       \
        "noncompliant_since = CASE WHEN " verdict " = 'compliant' THEN NULL "                      \
        "WHEN latest.verdict = 'noncompliant' THEN latest.noncompliant_since ELSE " at " END"
#define LATEST_INSERT_SQL                                                                          \
        "INSERT INTO latest(device_id, seq, report_at, received_at, verdict, failing, "            \
        "noncompliant_since, hostname, os_id, os_version, os_pretty, hour) "                       \
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, CAST($4 AS BIGINT) / 3600)"

/* Statement ids index the backends' prepared-statement caches. */
enum {
        Q_META_GET,
        Q_META_SET,
        Q_TOKEN_ADD,
        Q_TOKEN_CONSUME,
        Q_TOKEN_GET,
        Q_TOKEN_LIST,
        Q_TOKEN_FIND,
        Q_TOKEN_REVOKE,
        Q_CERT_ADD,
        Q_CERT_STATUS,
        Q_DEVICE_UPSERT,
        Q_DEVICE_REVOKE_OTHER_CERTS,
        Q_DEVICE_GET,
        Q_DEVICE_REVOKE,
        Q_DEVICE_REVOKE_CERTS,
        Q_DEVICE_FLAG,
        Q_CHAIN_HEAD,
        Q_REPORT_HASH,
        Q_REPORT_INSERT,
        Q_HISTORY_INSERT,
        Q_LATEST_CHECK_UPSERT,
        Q_LATEST_CHECK_GET,
        Q_LATEST_CHECK_DELETE,
        Q_LATEST_UPDATE,
        Q_LATEST_UPDATE_HOUR,
        Q_LATEST_INSERT,
        Q_DEVICE_ADVANCE,
        Q_LATEST_STATE,
        Q_LATEST_ADVANCE,
        Q_HAS_COLUMN,
        _Q_MAX,
};

static const char *const sql[_Q_MAX] = {
        [Q_META_GET] = "SELECT value FROM meta WHERE key = $1",
        [Q_META_SET] = "INSERT INTO meta(key, value) VALUES ($1, $2) "
                       "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [Q_TOKEN_ADD] = "INSERT INTO tokens(id, hash, label, uses_left, created_at, expires_at) "
                        "VALUES ($1, $2, $3, $4, $5, $6)",
        [Q_TOKEN_CONSUME] = "UPDATE tokens SET uses_left = uses_left - 1 WHERE hash = $1 "
                            "AND revoked_at IS NULL AND uses_left > 0 "
                            "AND (expires_at IS NULL OR expires_at > $2) RETURNING id",
        [Q_TOKEN_GET] = "SELECT uses_left, expires_at, revoked_at FROM tokens WHERE hash = $1",
        [Q_TOKEN_LIST] = "SELECT id, label, uses_left, created_at, expires_at, revoked_at "
                         "FROM tokens ORDER BY created_at, id",
        [Q_TOKEN_FIND] = "SELECT id FROM tokens WHERE id LIKE CAST($1 AS TEXT) || '%'",
        [Q_TOKEN_REVOKE] = "UPDATE tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        [Q_CERT_ADD] = "INSERT INTO certificates(serial, role, subject, device_id, fingerprint, "
                       "not_before, not_after, issued_at, pem) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        [Q_CERT_STATUS] = "SELECT c.revoked_at, d.revoked_at, d.flagged_at FROM certificates c "
                          "LEFT JOIN devices d ON d.id = c.device_id WHERE c.serial = $1",
        [Q_DEVICE_UPSERT] =
                "INSERT INTO devices(id, cert_serial, cert_fingerprint, cert_not_before, "
                "cert_not_after, key_kind, enrolled_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
                "ON CONFLICT (id) DO UPDATE SET cert_serial = excluded.cert_serial, "
                "cert_fingerprint = excluded.cert_fingerprint, "
                "cert_not_before = excluded.cert_not_before, "
                "cert_not_after = excluded.cert_not_after, key_kind = excluded.key_kind, "
                "enrolled_at = CASE WHEN $8 = 1 THEN excluded.enrolled_at "
                "ELSE devices.enrolled_at END",
        [Q_DEVICE_REVOKE_OTHER_CERTS] = "UPDATE certificates SET revoked_at = $3 WHERE device_id = $1 "
                                        "AND serial <> $2 AND revoked_at IS NULL",
        [Q_DEVICE_GET] = "SELECT id, cert_serial, cert_fingerprint, key_kind, cert_not_before, "
                         "cert_not_after, enrolled_at, revoked_at, flagged_at, flag_reason, "
                         "last_seq, last_hash FROM devices WHERE id = $1",
        [Q_DEVICE_REVOKE] = "UPDATE devices SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        [Q_DEVICE_REVOKE_CERTS] = "UPDATE certificates SET revoked_at = $2 WHERE device_id = $1 "
                                  "AND revoked_at IS NULL",
        [Q_DEVICE_FLAG] = "UPDATE devices SET flagged_at = $2, "
                          "flag_reason = $3 WHERE id = $1",
        /* The row stays locked to the end of the batch: FOR UPDATE on PostgreSQL (another
         * instance waits), BEGIN IMMEDIATE on SQLite (store_begin). No new row version. */
        [Q_CHAIN_HEAD] = CHAIN_HEAD_JOIN_SQL, /* PostgreSQL: chain_head_lock_sql */
        [Q_REPORT_HASH] = "SELECT hash FROM reports WHERE device_id = $1 AND seq = $2",
        [Q_REPORT_INSERT] = "INSERT INTO reports(device_id, seq, iat, received_at, hash, prev, gap, "
                            "compliant, cert_serial, jws) "
                            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        /* Before the upsert below: a history row when the status differs from the latest
         * (the caller runs it only then; the NOT EXISTS keeps it idempotent). */
        [Q_HISTORY_INSERT] =
                "INSERT INTO check_history(device_id, check_id, seq, changed_at, status) "
                "SELECT CAST($1 AS TEXT), CAST($2 AS TEXT), CAST($3 AS BIGINT), "
                "CAST($4 AS BIGINT), CAST($5 AS TEXT) WHERE NOT EXISTS (SELECT 1 FROM "
                "latest_checks WHERE device_id = $1 AND check_id = $2 AND status = $5)",
        [Q_LATEST_CHECK_UPSERT] =
                "INSERT INTO latest_checks(device_id, check_id, status, since, seq) "
                "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (device_id, check_id) DO UPDATE SET "
                "since = CASE WHEN latest_checks.status = excluded.status "
                "THEN latest_checks.since ELSE excluded.since END, "
                "status = excluded.status, seq = excluded.seq",
        [Q_LATEST_CHECK_GET] = "SELECT check_id, status FROM latest_checks WHERE device_id = $1",
        [Q_LATEST_CHECK_DELETE] = "DELETE FROM latest_checks WHERE device_id = $1 AND check_id = $2",
        /* SQLite: the row of a device whose hour and state stay (its columns compared, not
         * named: see Q_LATEST_STATE); else the row with its hour (fleet_hours' trigger's
         * column: SQLite runs a trigger's program, its WHEN inside, whenever the statement
         * names the column), then its state; else, at the device's first report, the insert.
         * An upsert carried latest's INSERT triggers, and with them a statement journal, at
         * every report. */
        [Q_LATEST_UPDATE] = "UPDATE latest SET " LATEST_REPORT_SET("$2", "$3", "$4", "$5")
                            " WHERE device_id = $1 AND hour = CAST($4 AS BIGINT) / 3600 AND verdict = $5 "
                            "AND failing IS NOT DISTINCT FROM $6 AND hostname IS NOT DISTINCT FROM $7 "
                            "AND os_id IS NOT DISTINCT FROM $8 AND os_version IS NOT DISTINCT FROM $9 "
                            "AND os_pretty IS NOT DISTINCT FROM $10",
        [Q_LATEST_UPDATE_HOUR] = "UPDATE latest SET " LATEST_REPORT_SET("$2", "$3", "$4", "$5")
                                 ", hour = CAST($4 AS BIGINT) / 3600 WHERE device_id = $1",
        [Q_LATEST_INSERT] = LATEST_INSERT_SQL,
        /* After Q_LATEST_UPDATE_HOUR: the columns a device repeats, set only when one differs.
         * An UPDATE that names an indexed column rewrites that index's entry even when the
         * value is the same (SQLite: four of latest's indexes a report, and the verdict
         * triggers run); this one writes nothing for a stable device. */
        [Q_LATEST_STATE] =
                "UPDATE latest SET verdict = $2, failing = $3, hostname = $4, os_id = $5, "
                "os_version = $6, os_pretty = $7 WHERE device_id = $1 AND (verdict IS DISTINCT FROM $2 "
                "OR failing IS DISTINCT FROM $3 OR hostname IS DISTINCT FROM $4 OR os_id IS DISTINCT FROM $5 "
                "OR os_version IS DISTINCT FROM $6 OR os_pretty IS DISTINCT FROM $7)",
        [Q_DEVICE_ADVANCE] = "UPDATE devices SET last_seq = $2, last_hash = $3 WHERE id = $1",
        /* PostgreSQL: the three above in one statement, a third of their executor and
         * protocol work. Naming an unchanged column costs nothing there: an index entry is
         * written only when an indexed value changes (else the new row version is a HOT
         * one), and the triggers on latest have a WHEN on the values. */
        [Q_LATEST_ADVANCE] =
                "WITH d AS (UPDATE devices SET last_seq = $2, last_hash = $12 WHERE id = $1) "
                LATEST_INSERT_SQL " ON CONFLICT (device_id) DO UPDATE SET "
                LATEST_REPORT_SET("excluded.seq", "excluded.report_at", "excluded.received_at", "excluded.verdict")
                ", verdict = excluded.verdict, failing = excluded.failing, "
                "hostname = excluded.hostname, os_id = excluded.os_id, os_version = excluded.os_version, "
                "os_pretty = excluded.os_pretty, hour = excluded.hour",
};

static const char chain_head_lock_sql[] = CHAIN_HEAD_SQL " FOR UPDATE";

static const char *chain_head_sql(Store *s) {
        return streq(s->backend->scheme, "postgres") ? chain_head_lock_sql : sql[Q_CHAIN_HEAD];
}

static int query(Store *s, unsigned id, const StoreValue *p, size_t n, StoreRowFn fn, void *u) {
        return s->backend->query(s, id, sql[id], p, n, fn, u);
}

int store_has_column(Store *s, const char *table, const char *column) {
        /* Asked of the catalog: a probe statement that fails would leave an ERROR in
         * PostgreSQL's log at every upgrade. */
        const char *text = streq(s->backend->scheme, "postgres")
                ? "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
                  "AND table_name = $1 AND column_name = $2"
                : "SELECT 1 FROM pragma_table_info($1) WHERE name = $2";
        const StoreValue v[] = { SV_TEXT(table), SV_TEXT(column) };
        int r = s->backend->query(s, Q_HAS_COLUMN, text, v, ELEMENTSOF(v), NULL, NULL);

        return r < 0 ? r : r > 0;
}
#define QUERY(s, id, fn, u, ...)                                                              \
        ({                                                                                    \
                const StoreValue _p_[] = { __VA_ARGS__ };                                     \
                query((s), (id), _p_, ELEMENTSOF(_p_), (fn), (u));                            \
        })
/* A write whose count the caller does not need (store_send()). */
#define SEND(s, id, ...) STORE_SEND((s), (id), sql[id], __VA_ARGS__)

static int col_int(const char *c, int64_t *ret) {
        if (!c) {
                *ret = 0;
                return 0;
        }
        return parse_int64(c, ret);
}

static int col_str(const char *c, char **ret) {
        if (!c) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(c);
        return *ret ? 0 : -ENOMEM;
}

/* Row callback for a single text column. */
static int row_first_str(const char *const *cols, size_t n, void *userdata) {
        char **ret = userdata;
        if (n < 1)
                return -EIO;
        free(*ret);
        return col_str(cols[0], ret);
}

static int row_hash(const char *const *cols, size_t n, void *userdata) {
        char *ret = userdata;
        if (n < 1 || !cols[0] || strlen(cols[0]) != SHA256_HEX_SIZE - 1)
                return -EIO;
        memcpy(ret, cols[0], SHA256_HEX_SIZE);
        return 0;
}

const StoreBackend *const store_backends[] = { &store_backend_sqlite, &store_backend_postgres };

int store_open(const char *url, Store **ret, char **ret_error) {
        const StoreBackend *b = &store_backend_sqlite;
        _cleanup_free_ char *unwanted = NULL;
        const char *arg = url;
        Store *s = NULL;
        int r;

        if (!ret_error) /* the backends fill it in */
                ret_error = &unwanted;
        for (size_t i = 0; i < ELEMENTSOF(store_backends); i++) {
                size_t l = strlen(store_backends[i]->scheme);
                if (strncmp(url, store_backends[i]->scheme, l) == 0 && url[l] == ':') {
                        b = store_backends[i];
                        arg = url + l + 1;
                }
        }
        r = b->open(arg, &s, ret_error);
        if (r < 0)
                return r;
        s->backend = b;
        r = b->exec(s, schema_sql);
        if (r >= 0)
                r = b->exec(s, b == &store_backend_sqlite ? KEYED_TABLES_SQL(" WITHOUT ROWID") : KEYED_TABLES_SQL(""));
        if (r >= 0)
                r = migrate(s);
        if (r >= 0)
                r = store_fleet_schema(s);
        if (r >= 0)
                r = store_identity_schema(s);
        if (r >= 0)
                r = store_policy_schema(s);
        if (r >= 0)
                r = store_posture_schema(s);
        if (r >= 0)
                r = store_history_schema(s);
        if (r >= 0)
                r = store_alerts_schema(s);
        if (r >= 0)
                r = store_partition_setup(s, (int64_t) (now_realtime() / USEC_PER_SEC));
        if (r < 0) {
                b->free(s);
                if (ret_error && !*ret_error && asprintf(ret_error, "cannot create the schema") < 0)
                        *ret_error = NULL;
                return r;
        }
        *ret = s;
        return 0;
}

Store *store_free(Store *s) {
        if (s) {
                if (s->tx_depth > 0)
                        (void) s->backend->exec(s, "ROLLBACK");
                store_body_sent_free(s);
                s->backend->free(s);
        }
        return NULL;
}

/* A unit run ahead takes no savepoint. SQLite: each report's SAVEPOINT made it copy every
 * page the report then wrote into its statement journal, to undo the report alone.
 * PostgreSQL: a SAVEPOINT and a RELEASE a report, and a subtransaction (its own xid, past
 * 64 a batch an overflow every snapshot pays for). depth: the unit's transaction depth
 * outside it. */
static bool bare_unit(Store *s, unsigned depth) {
        return s->ahead && s->backend->changes && s->tx_depth == depth;
}

int store_begin(Store *s) {
        /* SQLite: take the write lock now, not at the first write after a read (which
         * fails with SQLITE_BUSY if another process wrote in between). */
        const char *begin = streq(s->backend->scheme, "sqlite") ? "BEGIN IMMEDIATE" : "BEGIN";
        /* The savepoint travels with the unit's first statement (store_send()). */
        int r;

        if (s->tx_depth == 0)
                s->ahead_failed = false;
        if (bare_unit(s, 1)) {
                s->unit_changes = s->backend->changes(s);
                s->tx_depth++;
                return 0;
        }
        r = s->tx_depth == 0 ? s->backend->exec(s, begin) : store_send(s, STORE_UNPREPARED, "SAVEPOINT sp", NULL, 0);
        if (r >= 0 && s->tx_depth++ == 0)
                s->transactions++;
        return r;
}

int store_begin_ahead(Store *s) {
        int r;

        if (!store_reads_ahead(s) || s->tx_depth > 0)
                return store_begin(s);
        s->ahead_failed = false;
        r = s->backend->read_ahead(s, STORE_UNPREPARED, "BEGIN", NULL, 0, NULL, NULL);
        if (r >= 0) {
                s->tx_depth = 1;
                s->transactions++;
        }
        return r;
}

int store_run_ahead(Store *s) {
        if ((!s->backend->send && !s->backend->changes) || s->tx_depth != 1)
                return 0;
        s->ahead = true;
        return 1;
}

/* The end of a transaction ends running ahead. */
static void tx_end(Store *s) {
        if (--s->tx_depth == 0) {
                s->ahead = false;
                store_body_forget(s);
        }
}

/* The outer COMMIT returned r. */
static int commit_ended(Store *s, int r) {
        if (r < 0)
                (void) s->backend->exec(s, "ROLLBACK");
        tx_end(s);
        return r;
}

int store_commit(Store *s) {
        int r;
        if (s->tx_depth == 0)
                return -EINVAL;
        if (bare_unit(s, 2)) {
                /* PostgreSQL: its writes' failure shows in a later wait */
                s->ended_ahead = !!s->backend->send;
                tx_end(s);
                return 0;
        }
        if (s->ahead && s->tx_depth > 1) {
                r = store_send(s, STORE_UNPREPARED, "RELEASE sp", NULL, 0);
                s->ended_ahead = r >= 0;
        } else
                r = s->backend->exec(s, s->tx_depth == 1 ? "COMMIT" : "RELEASE sp");
        /* A statement sent before RELEASE failed (store_send()): undo just this unit. */
        if (r < 0 && s->tx_depth > 1) {
                (void) store_rollback(s);
                return r;
        }
        return commit_ended(s, r);
}

int store_commit_send(Store *s, int *ret_fd) {
        int r;

        if (!s->backend->commit_send || s->tx_depth != 1)
                return 0;
        r = s->backend->commit_send(s, ret_fd);
        return r < 0 ? commit_ended(s, r) : r;
}

int store_commit_receive(Store *s, bool wait) {
        int r = s->backend->commit_receive(s, wait);

        return r == -EAGAIN ? r : commit_ended(s, r);
}

int store_rollback(Store *s) {
        int r;
        if (s->tx_depth == 0)
                return -EINVAL;
        /* what it wrote may be undone: a later unit writes its chunks again */
        store_body_forget(s);
        if (bare_unit(s, 2)) {
                /* Nothing undoes this unit alone: unless it changed nothing (a report
                 * refused before its writes), the caller runs the batch again. */
                int64_t c = s->backend->changes(s);
                if (c < 0 || c != s->unit_changes)
                        s->ahead_failed = true;
                tx_end(s);
                return 0;
        }
        /* ROLLBACK TO keeps the savepoint open: release it too. */
        r = s->backend->exec(s, s->tx_depth == 1 ? "ROLLBACK" : "ROLLBACK TO sp; RELEASE sp");
        tx_end(s);
        return r;
}

int store_meta_get(Store *s, const char *key, char **ret) {
        _cleanup_free_ char *v = NULL;
        int r = QUERY(s, Q_META_GET, row_first_str, &v, SV_TEXT(key));
        if (r < 0)
                return r;
        if (r == 0 || !v)
                return -ENOENT;
        *ret = TAKE_PTR(v);
        return 0;
}

int store_meta_set(Store *s, const char *key, const char *value) {
        int r = QUERY(s, Q_META_SET, NULL, NULL, SV_TEXT(key), SV_TEXT(value));
        return r < 0 ? r : 0;
}

void store_token_done(StoreToken *t) {
        free(t->id);
        free(t->label);
        *t = (StoreToken) {};
}

int store_token_add(Store *s, const char hash[static SHA256_HEX_SIZE], const StoreToken *t) {
        char id[13];
        int r;

        memcpy(id, hash, 12);
        id[12] = 0;
        r = QUERY(s, Q_TOKEN_ADD, NULL, NULL, SV_TEXT(id), SV_TEXT(hash), SV_TEXT(t->label),
                  SV_INT(t->uses_left), SV_INT(t->created_at), SV_INT_OR_NULL(t->expires_at));
        return r < 0 ? r : 0;
}

typedef struct TokenState {
        bool found;
        int64_t uses_left, expires_at, revoked_at;
} TokenState;

static int row_token_state(const char *const *c, size_t n, void *userdata) {
        TokenState *t = userdata;
        if (n < 3 || col_int(c[0], &t->uses_left) < 0 || col_int(c[1], &t->expires_at) < 0 ||
            col_int(c[2], &t->revoked_at) < 0)
                return -EIO;
        t->found = true;
        return 0;
}

int store_token_consume(Store *s, const char hash[static SHA256_HEX_SIZE], int64_t now,
                        char **ret_id) {
        _cleanup_free_ char *id = NULL;
        TokenState t = {};
        int r;

        /* One conditional UPDATE: concurrent enrollments (even from several instances)
         * cannot both take the last use. */
        r = QUERY(s, Q_TOKEN_CONSUME, row_first_str, &id, SV_TEXT(hash), SV_INT(now));
        if (r < 0)
                return r;
        if (r > 0) {
                if (ret_id)
                        *ret_id = TAKE_PTR(id);
                return 0;
        }
        /* Refused: say why. */
        r = QUERY(s, Q_TOKEN_GET, row_token_state, &t, SV_TEXT(hash));
        if (r < 0)
                return r;
        if (!t.found)
                return -ENOENT;
        if (t.revoked_at)
                return -EKEYREVOKED;
        if (t.expires_at && t.expires_at <= now)
                return -EKEYEXPIRED;
        return -EUSERS;
}

typedef struct TokenList {
        StoreTokenFn fn;
        void *userdata;
} TokenList;

static int row_token(const char *const *c, size_t n, void *userdata) {
        TokenList *l = userdata;
        _cleanup_(store_token_done) StoreToken t = {};
        int r;

        if (n < 6)
                return -EIO;
        if ((r = col_str(c[0], &t.id)) < 0 || (r = col_str(c[1], &t.label)) < 0)
                return r;
        if (col_int(c[2], &t.uses_left) < 0 || col_int(c[3], &t.created_at) < 0 ||
            col_int(c[4], &t.expires_at) < 0 || col_int(c[5], &t.revoked_at) < 0)
                return -EIO;
        return l->fn(&t, l->userdata);
}

int store_token_list(Store *s, StoreTokenFn fn, void *userdata) {
        TokenList l = { fn, userdata };
        int r = query(s, Q_TOKEN_LIST, NULL, 0, row_token, &l);
        return r < 0 ? r : 0;
}

int store_token_revoke(Store *s, const char *id, int64_t now) {
        _cleanup_free_ char *full = NULL;
        int r;

        if (strlen(id) < 6 || strspn(id, "0123456789abcdef") != strlen(id))
                return -EINVAL;
        r = QUERY(s, Q_TOKEN_FIND, row_first_str, &full, SV_TEXT(id));
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        if (r > 1)
                return -ENOTUNIQ;
        r = QUERY(s, Q_TOKEN_REVOKE, NULL, NULL, SV_TEXT(full), SV_INT(now));
        if (r < 0)
                return r;
        return r == 0 ? -EALREADY : 0;
}

static const char *const cert_role_table[_CERT_ROLE_MAX] = {
        [CERT_ROLE_DEVICE] = "device",
        [CERT_ROLE_ADMIN] = "admin",
        [CERT_ROLE_SCRAPER] = "scraper",
        [CERT_ROLE_GATEWAY] = "gateway",
};

const char *cert_role_to_string(CertRole r) {
        return r >= 0 && r < _CERT_ROLE_MAX ? cert_role_table[r] : NULL;
}

CertRole cert_role_from_string(const char *s) {
        for (int i = 0; s && i < _CERT_ROLE_MAX; i++)
                if (streq(s, cert_role_table[i]))
                        return i;
        return _CERT_ROLE_INVALID;
}

int store_cert_add(Store *s, const StoreCert *c) {
        int r = QUERY(s, Q_CERT_ADD, NULL, NULL, SV_TEXT(c->serial),
                      SV_TEXT(cert_role_to_string(c->role)), SV_TEXT(c->subject),
                      SV_TEXT(c->device_id), SV_TEXT(c->fingerprint), SV_INT(c->not_before),
                      SV_INT(c->not_after), SV_INT(c->issued_at), SV_TEXT(c->pem));
        return r < 0 ? r : 0;
}

static int row_cert_status(const char *const *c, size_t n, void *userdata) {
        StoreCertStatus *st = userdata;
        if (n < 3)
                return -EIO;
        *st = (StoreCertStatus) { .known = true, .revoked = c[0] || c[1], .device_flagged = !!c[2] };
        return 0;
}

int store_cert_status(Store *s, const char *serial, StoreCertStatus *ret) {
        StoreCertStatus st = {};
        int r = QUERY(s, Q_CERT_STATUS, row_cert_status, &st, SV_TEXT(serial));
        if (r < 0)
                return r;
        *ret = st;
        return 0;
}

void store_device_done(StoreDevice *d) {
        free(d->id);
        free(d->cert_serial);
        free(d->cert_fingerprint);
        free(d->key_kind);
        free(d->flag_reason);
        free(d->last_hash);
        *d = (StoreDevice) {};
}

int store_device_set_cert(Store *s, const char *device_id, const StoreCert *cert,
                          const char *key_kind, bool enroll, int64_t now) {
        int r;

        r = store_cert_add(s, cert);
        if (r < 0)
                return r;
        r = QUERY(s, Q_DEVICE_UPSERT, NULL, NULL, SV_TEXT(device_id), SV_TEXT(cert->serial),
                  SV_TEXT(cert->fingerprint), SV_INT(cert->not_before), SV_INT(cert->not_after),
                  SV_TEXT(key_kind), SV_INT(now), SV_INT(enroll));
        if (r < 0)
                return r;
        r = QUERY(s, Q_DEVICE_REVOKE_OTHER_CERTS, NULL, NULL, SV_TEXT(device_id),
                  SV_TEXT(cert->serial), SV_INT(now));
        return r < 0 ? r : 0;
}

static int row_device(const char *const *c, size_t n, void *userdata) {
        StoreDevice *d = userdata;
        int r;

        if (n < 12)
                return -EIO;
        if ((r = col_str(c[0], &d->id)) < 0 || (r = col_str(c[1], &d->cert_serial)) < 0 ||
            (r = col_str(c[2], &d->cert_fingerprint)) < 0 || (r = col_str(c[3], &d->key_kind)) < 0 ||
            (r = col_str(c[9], &d->flag_reason)) < 0 || (r = col_str(c[11], &d->last_hash)) < 0)
                return r;
        if (col_int(c[4], &d->cert_not_before) < 0 || col_int(c[5], &d->cert_not_after) < 0 ||
            col_int(c[6], &d->enrolled_at) < 0 || col_int(c[7], &d->revoked_at) < 0 ||
            col_int(c[8], &d->flagged_at) < 0 || col_int(c[10], &d->last_seq) < 0)
                return -EIO;
        return 0;
}

int store_device_get(Store *s, const char *id, StoreDevice *ret) {
        _cleanup_(store_device_done) StoreDevice d = {};
        int r = QUERY(s, Q_DEVICE_GET, row_device, &d, SV_TEXT(id));
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        *ret = d;
        d = (StoreDevice) {};
        return 0;
}

int store_device_revoke(Store *s, const char *id, int64_t now) {
        int r = QUERY(s, Q_DEVICE_REVOKE, NULL, NULL, SV_TEXT(id), SV_INT(now));
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        r = QUERY(s, Q_DEVICE_REVOKE_CERTS, NULL, NULL, SV_TEXT(id), SV_INT(now));
        if (r < 0)
                return r;
        /* its statuses left the counters (trigger fleet_revoked): none stays at zero */
        return store_policy_prune_counts(s);
}

int store_device_flag(Store *s, const char *id, const char *reason, int64_t now) {
        int r = QUERY(s, Q_DEVICE_FLAG, NULL, NULL, SV_TEXT(id), SV_INT(now), SV_TEXT(reason));
        if (r < 0)
                return r;
        return r == 0 ? -ENOENT : 0;
}

void store_head_info_done(StoreHeadInfo *i) {
        free(i->policy_id);
        free(i->noted_policy_id);
        *i = (StoreHeadInfo) {};
}

static int row_chain_head(const char *const *c, size_t n, void *userdata) {
        StoreChainHead *h = userdata;
        int r;

        if (n < 7 || col_int(c[0], &h->seq) < 0 || col_int(c[6], &h->info.noted_policy_version) < 0)
                return -EIO;
        h->found = true;
        h->info.key = device_key_from_string(c[2]);
        if (c[1]) {
                if (strlen(c[1]) != SHA256_HEX_SIZE - 1)
                        return -EIO;
                memcpy(h->hash, c[1], SHA256_HEX_SIZE);
        }
        r = col_str(c[5], &h->info.noted_policy_id);
        if (r < 0)
                return r;
        if (!c[3] || !c[4])
                return 0; /* no policy published yet */
        if (col_int(c[4], &h->info.policy_version) < 0)
                return -EIO;
        return col_str(c[3], &h->info.policy_id);
}

int store_report_hash(Store *s, const char *device_id, int64_t seq,
                      char ret_hash[static SHA256_HEX_SIZE]) {
        int r = QUERY(s, Q_REPORT_HASH, row_hash, ret_hash, SV_TEXT(device_id), SV_INT(seq));
        if (r < 0)
                return r;
        return r == 0 ? -ENOENT : 0;
}

/* A report's check results in one statement (a round trip on PostgreSQL) rather than one
 * per check: the rows share $1 (device) and $2 (seq). One prepared statement per row
 * count, ids Q_CHECK_RESULTS_ROWS + rows - 1 (apart from the other modules' ranges); the
 * texts are constants, not formatted per report. */
#define CHECK_RESULTS_ROWS 16
#define Q_CHECK_RESULTS_ROWS 760
#define CR_1 "($1, $2, $3, $4, $5)"
#define CR_2 CR_1 ", ($1, $2, $6, $7, $8)"
#define CR_3 CR_2 ", ($1, $2, $9, $10, $11)"
#define CR_4 CR_3 ", ($1, $2, $12, $13, $14)"
#define CR_5 CR_4 ", ($1, $2, $15, $16, $17)"
#define CR_6 CR_5 ", ($1, $2, $18, $19, $20)"
#define CR_7 CR_6 ", ($1, $2, $21, $22, $23)"
#define CR_8 CR_7 ", ($1, $2, $24, $25, $26)"
#define CR_9 CR_8 ", ($1, $2, $27, $28, $29)"
#define CR_10 CR_9 ", ($1, $2, $30, $31, $32)"
#define CR_11 CR_10 ", ($1, $2, $33, $34, $35)"
#define CR_12 CR_11 ", ($1, $2, $36, $37, $38)"
#define CR_13 CR_12 ", ($1, $2, $39, $40, $41)"
#define CR_14 CR_13 ", ($1, $2, $42, $43, $44)"
#define CR_15 CR_14 ", ($1, $2, $45, $46, $47)"
#define CR_16 CR_15 ", ($1, $2, $48, $49, $50)"
#define CR_SQL(insert, n) insert " INTO check_results(device_id, seq, check_id, status, summary) VALUES " CR_##n
#define CR_TEXTS(insert)                                                                           \
        {                                                                                          \
                CR_SQL(insert, 1),  CR_SQL(insert, 2),  CR_SQL(insert, 3),  CR_SQL(insert, 4),     \
                CR_SQL(insert, 5),  CR_SQL(insert, 6),  CR_SQL(insert, 7),  CR_SQL(insert, 8),     \
                CR_SQL(insert, 9),  CR_SQL(insert, 10), CR_SQL(insert, 11), CR_SQL(insert, 12),    \
                CR_SQL(insert, 13), CR_SQL(insert, 14), CR_SQL(insert, 15), CR_SQL(insert, 16),    \
        }
/* [1]: SQLite's. No row can conflict (the report's own reports row, inserted first, would;
 * the claims refuse a check named twice; every status is set), and OR IGNORE tells SQLite
 * that the statement cannot fail halfway: it then opens no statement journal, which a
 * statement writing several rows needs to undo itself alone (~9 k instructions a report:
 * docs/performance.md). A trigger's RAISE(ABORT) still aborts it. */
static const char *const check_results_sql[2][CHECK_RESULTS_ROWS] = { CR_TEXTS("INSERT"),
                                                                       CR_TEXTS("INSERT OR IGNORE") };
_Static_assert(ELEMENTSOF(check_results_sql[0]) == CHECK_RESULTS_ROWS, "a text per row count");

static int check_results_insert(Store *s, const StoreReport *p) {
        const char *const *texts = check_results_sql[streq(s->backend->scheme, "sqlite")];

        for (size_t at = 0; at < p->n_checks;) {
                size_t n = MIN(p->n_checks - at, (size_t) CHECK_RESULTS_ROWS);
                StoreValue v[2 + 3 * CHECK_RESULTS_ROWS] = { SV_TEXT(p->device_id), SV_INT(p->seq) };
                int r;

                for (size_t i = 0; i < n; i++) {
                        const StoreCheck *c = &p->checks[at + i];

                        v[2 + 3 * i] = SV_TEXT(c->id);
                        v[3 + 3 * i] = SV_TEXT(c->status);
                        v[4 + 3 * i] = SV_TEXT(c->summary);
                }
                r = store_send(s, Q_CHECK_RESULTS_ROWS + n - 1, texts[n - 1], v, 2 + 3 * n);
                if (r < 0)
                        return r;
                at += n;
        }
        return 0;
}

int store_buf_append(StoreBuf *b, const void *data, size_t size) {
        if (b->size + size > b->cap) {
                size_t cap = MAX(MAX(b->cap * 2, b->size + size), (size_t) 256);
                char *d = realloc(b->data, cap);
                if (!d)
                        return -ENOMEM;
                b->data = d;
                b->cap = cap;
        }
        memcpy(b->data + b->size, data, size);
        b->size += size;
        return 0;
}

/* Row callback: check_id, status appended to the pairs (one buffer, not two strings a
 * row: a report's reads allocated a dozen times here). */
static int row_check_status(const char *const *c, size_t n, void *userdata) {
        int r;

        if (n < 2 || !c[0] || !c[1])
                return -EIO;
        r = store_buf_append(userdata, c[0], strlen(c[0]) + 1);
        return r < 0 ? r : store_buf_append(userdata, c[1], strlen(c[1]) + 1);
}

/* The string after s in the pairs: a key's value, or a value's next key. */
static const char *pairs_next(const char *s) {
        return s + strlen(s) + 1;
}

static const char *pairs_get(const StoreBuf *pairs, const char *key) {
        for (const char *k = pairs->data; k && k < pairs->data + pairs->size; k = pairs_next(pairs_next(k)))
                if (streq(k, key))
                        return pairs_next(k);
        return NULL;
}

static const StoreCheck *report_check(const StoreReport *p, const char *id) {
        for (size_t i = 0; i < p->n_checks; i++)
                if (!p->checks[i].uncounted && streq(p->checks[i].id, id))
                        return &p->checks[i];
        return NULL;
}

/* The device's fleet state (latest_checks, check_history) follows the report's counted
 * checks. Only what changed is written: a check whose status is the one already recorded
 * costs no statement (its row, its counters and its history stay as they are), a check
 * no longer reported is deleted. Returns 1 when a counter moved (a status changed, a
 * check came or went), 0 otherwise. */
static int latest_checks_update(Store *s, const StoreReport *p, const StoreBuf *prev) {
        bool moved = false;
        int r;

        for (size_t i = 0; i < p->n_checks; i++) {
                const StoreCheck *c = &p->checks[i];

                if (c->uncounted || streq_ptr(pairs_get(prev, c->id), c->status))
                        continue;
                r = SEND(s, Q_HISTORY_INSERT, SV_TEXT(p->device_id), SV_TEXT(c->id),
                          SV_INT(p->seq), SV_INT(p->iat), SV_TEXT(c->status));
                if (r < 0)
                        return r;
                r = SEND(s, Q_LATEST_CHECK_UPSERT, SV_TEXT(p->device_id),
                          SV_TEXT(c->id), SV_TEXT(c->status), SV_INT(p->iat), SV_INT(p->seq));
                if (r < 0)
                        return r;
                moved = true;
        }
        for (const char *k = prev->data; k && k < prev->data + prev->size; k = pairs_next(pairs_next(k))) {
                if (report_check(p, k))
                        continue;
                r = SEND(s, Q_LATEST_CHECK_DELETE, SV_TEXT(p->device_id), SV_TEXT(k));
                if (r < 0)
                        return r;
                moved = true;
        }
        return moved;
}

/* SQLite: the device's latest row, by the first of Q_LATEST_UPDATE's statements that finds it. */
static int latest_write_sqlite(Store *s, const StoreReport *p, const char *verdict) {
        int r = STORE_QUERY(s, Q_LATEST_UPDATE, sql[Q_LATEST_UPDATE], NULL, NULL, SV_TEXT(p->device_id),
                            SV_INT(p->seq), SV_INT(p->iat), SV_INT(p->received_at), SV_TEXT(verdict),
                            SV_TEXT(p->failing), SV_TEXT(p->hostname), SV_TEXT(p->os_id), SV_TEXT(p->os_version),
                            SV_TEXT(p->os_pretty));
        if (r != 0)
                return r < 0 ? r : 0; /* a stable device: nothing else to write */
        r = STORE_QUERY(s, Q_LATEST_UPDATE_HOUR, sql[Q_LATEST_UPDATE_HOUR], NULL, NULL, SV_TEXT(p->device_id),
                        SV_INT(p->seq), SV_INT(p->iat), SV_INT(p->received_at), SV_TEXT(verdict));
        if (r < 0)
                return r;
        if (r > 0)
                return SEND(s, Q_LATEST_STATE, SV_TEXT(p->device_id), SV_TEXT(verdict), SV_TEXT(p->failing),
                            SV_TEXT(p->hostname), SV_TEXT(p->os_id), SV_TEXT(p->os_version), SV_TEXT(p->os_pretty));
        return SEND(s, Q_LATEST_INSERT, SV_TEXT(p->device_id), SV_INT(p->seq), SV_INT(p->iat),
                    SV_INT(p->received_at), SV_TEXT(verdict), SV_TEXT(p->failing),
                    p->compliant ? SV_NULL : SV_INT(p->iat), SV_TEXT(p->hostname), SV_TEXT(p->os_id),
                    SV_TEXT(p->os_version), SV_TEXT(p->os_pretty));
}

/* The device's latest row and its chain head follow the report. */
static int latest_advance(Store *s, const StoreReport *p) {
        const char *verdict = p->compliant ? "compliant" : "noncompliant";
        int r;

        if (streq(s->backend->scheme, "postgres"))
                return SEND(s, Q_LATEST_ADVANCE, SV_TEXT(p->device_id), SV_INT(p->seq), SV_INT(p->iat),
                            SV_INT(p->received_at), SV_TEXT(verdict), SV_TEXT(p->failing),
                            p->compliant ? SV_NULL : SV_INT(p->iat), SV_TEXT(p->hostname), SV_TEXT(p->os_id),
                            SV_TEXT(p->os_version), SV_TEXT(p->os_pretty), SV_TEXT(p->hash));
        r = latest_write_sqlite(s, p, verdict);
        if (r < 0)
                return r;
        return SEND(s, Q_DEVICE_ADVANCE, SV_TEXT(p->device_id), SV_INT(p->seq), SV_TEXT(p->hash));
}

void store_report_prep_done(StoreReportPrep *p) {
        store_head_info_done(&p->head.info);
        free(p->checks.data);
        store_body_done(&p->body);
        *p = (StoreReportPrep) {};
}

/* The reads store_report_insert() needs, sent ahead: they arrive with store_flush(). */
static int report_reads(Store *s, const char *device_id, const char *jws, const char *claims, int64_t now,
                        StoreReportPrep *ret) {
        int r = store_body_read(s, jws, claims, now, &ret->body);
        if (r < 0)
                return r;
        const StoreValue v[] = { SV_TEXT(device_id) };
        return store_read_ahead(s, Q_LATEST_CHECK_GET, sql[Q_LATEST_CHECK_GET], v, 1, row_check_status,
                                &ret->checks);
}

int store_report_prefetch(Store *s, const char *device_id, const char *cert_serial, const char *jws,
                          const char *claims, int64_t now, StoreReportPrep *ret) {
        const StoreValue dev[] = { SV_TEXT(device_id) }, cert[] = { SV_TEXT(cert_serial) };
        int r;

        *ret = (StoreReportPrep) { .head.seq = -1, .transaction = s->transactions };
        /* The lock first: what follows reads the device's rows as they stand under it. */
        r = store_read_ahead(s, Q_CHAIN_HEAD, chain_head_sql(s), dev, 1, row_chain_head, &ret->head);
        if (r >= 0)
                r = store_read_ahead(s, Q_CERT_STATUS, sql[Q_CERT_STATUS], cert, 1, row_cert_status, &ret->cert);
        return r < 0 ? r : report_reads(s, device_id, jws, claims, now, ret);
}

int store_report_prepare(Store *s, const char *device_id, const char *cert_serial, const char *jws,
                         const char *claims, int64_t now, StoreReportPrep *ret) {
        _cleanup_(store_report_prep_done) StoreReportPrep p = {};
        int r;

        r = store_report_prefetch(s, device_id, cert_serial, jws, claims, now, &p);
        if (r >= 0)
                r = store_flush(s);
        if (r < 0)
                return r;
        *ret = p;
        p = (StoreReportPrep) {};
        return 0;
}

int store_report_insert(Store *s, const StoreReport *p) {
        _cleanup_(store_report_prep_done) StoreReportPrep own = {};
        StoreReportPrep *prep = p->prep;
        _cleanup_free_ char *body = NULL;
        int r;

        if (!prep) {
                r = report_reads(s, p->device_id, p->jws, p->claims, p->received_at, &own);
                if (r >= 0)
                        r = store_flush(s);
                if (r < 0)
                        return r;
                prep = &own;
        }
        r = store_body_write(s, &prep->body, &body);
        if (r < 0)
                return r;
        /* Writes only (store_send()): on PostgreSQL they go with the next read, the
         * device's latest_checks, and with the RELEASE that ends the report. */
        r = SEND(s, Q_REPORT_INSERT, SV_TEXT(p->device_id), SV_INT(p->seq),
                  SV_INT(p->iat), SV_INT(p->received_at), SV_TEXT(p->hash), SV_TEXT(p->prev),
                  SV_INT(p->gap), SV_INT(p->compliant), SV_TEXT(p->cert_serial), SV_TEXT(body));
        if (r < 0)
                return r;
        r = check_results_insert(s, p);
        if (r < 0)
                return r;
        r = latest_checks_update(s, p, &prep->checks);
        if (r < 0)
                return r;
        /* No counter reaches zero unless one moved: a stable device skips the prune. */
        if (r > 0) {
                r = store_policy_prune_counts(s);
                if (r < 0)
                        return r;
        }
        return latest_advance(s, p);
}
