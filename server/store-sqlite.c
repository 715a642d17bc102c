/* SPDX-License-Identifier: MIT */
/* SQLite backend: the embedded default. WAL journal with synchronous=FULL, so COMMIT
 * returns only after the WAL is fsync'ed (docs/internals/ingest.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "cleanup.h"
#include "macro.h"
#include "store.h"

/* Statements of at most this many characters, without ';', are cached by sqlite_exec(). */
#define EXEC_CACHE_MAX 8
#define EXEC_CACHE_SQL_MAX 32

typedef struct SqliteStore {
        Store head;
        sqlite3 *db;
        sqlite3_stmt **stmts; /* by statement id */
        size_t n_stmts;
        /* The transaction statements each report and batch runs (BEGIN IMMEDIATE,
         * SAVEPOINT, RELEASE, COMMIT), prepared once by their text: sqlite3_exec() would
         * parse and compile them at every call. */
        struct {
                char *sql;
                sqlite3_stmt *st;
        } execs[EXEC_CACHE_MAX];
        size_t n_execs;
} SqliteStore;

static int sqlite_errno(int rc) {
        switch (rc & 0xff) {
        case SQLITE_OK:
        case SQLITE_DONE:
        case SQLITE_ROW:
                return 0;
        case SQLITE_CONSTRAINT:
                return -EEXIST;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return -EBUSY;
        case SQLITE_NOMEM:
                return -ENOMEM;
        case SQLITE_FULL:
                return -ENOSPC;
        case SQLITE_READONLY:
        case SQLITE_PERM:
        case SQLITE_CANTOPEN:
                return -EACCES;
        default:
                return -EIO;
        }
}

static void sqlite_free(Store *s) {
        SqliteStore *q = (SqliteStore *) s;
        for (size_t i = 0; i < q->n_stmts; i++)
                sqlite3_finalize(q->stmts[i]);
        free(q->stmts);
        for (size_t i = 0; i < q->n_execs; i++) {
                sqlite3_finalize(q->execs[i].st);
                free(q->execs[i].sql);
        }
        sqlite3_close_v2(q->db);
        free(q);
}

static const char *sqlite_error(Store *s) {
        return sqlite3_errmsg(((SqliteStore *) s)->db);
}

/* The cached statement for sql, prepared at its first use; NULL for SQL that is not cached
 * (several statements, a schema script) or when the cache is full. */
static sqlite3_stmt *exec_cached(SqliteStore *q, const char *sql) {
        sqlite3_stmt *st = NULL;
        char *copy;

        for (size_t i = 0; i < q->n_execs; i++)
                if (streq(q->execs[i].sql, sql))
                        return q->execs[i].st;
        if (q->n_execs >= EXEC_CACHE_MAX || strlen(sql) > EXEC_CACHE_SQL_MAX || strchr(sql, ';'))
                return NULL;
        copy = strdup(sql);
        if (!copy || sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK || !st) {
                sqlite3_finalize(st);
                free(copy);
                return NULL; /* sqlite3_exec() runs it, or says why it cannot */
        }
        q->execs[q->n_execs].sql = copy;
        q->execs[q->n_execs++].st = st;
        return st;
}

static int sqlite_exec(Store *s, const char *sql) {
        SqliteStore *q = (SqliteStore *) s;
        sqlite3_stmt *st = exec_cached(q, sql);
        int rc;

        store_count_statement(s);
        if (!st)
                return sqlite_errno(sqlite3_exec(q->db, sql, NULL, NULL, NULL));
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
                ;
        sqlite3_reset(st);
        return sqlite_errno(rc);
}

static int sqlite_open(const char *path, Store **ret, char **ret_error) {
        _cleanup_free_ SqliteStore *q = calloc(1, sizeof(SqliteStore));
        int rc;

        if (!q)
                return -ENOMEM;
        rc = sqlite3_open_v2(path, &q->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
        if (rc != SQLITE_OK) {
                if (asprintf(ret_error, "cannot open SQLite database \"%s\": %s", path,
                             q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc)) < 0)
                        *ret_error = NULL;
                sqlite3_close_v2(q->db);
                return sqlite_errno(rc) ?: -EIO;
        }
        /* WAL lets the CLI (token create, revoke…) write while the server runs; FULL makes
         * every COMMIT fsync the WAL, which is what "durable before 2xx" needs. */
        sqlite3_busy_timeout(q->db, 10000);
        rc = sqlite3_exec(q->db,
                          "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                          "PRAGMA foreign_keys=OFF; PRAGMA temp_store=MEMORY;"
                          /* 64 MiB of page cache: fleet queries revisit the same index pages */
                          "PRAGMA cache_size=-65536;"
                          /* A checkpoint every 10,000 WAL pages (~40 MiB), not 1,000: the hot
                           * pages (latest, the chain heads, the tails of the tables) rewritten
                           * by many commits are copied to the database once per checkpoint;
                           * it runs in the COMMIT, on the commit thread (server.c). */
                          "PRAGMA wal_autocheckpoint=10000;",
                          NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
                if (asprintf(ret_error, "cannot set up SQLite database \"%s\": %s", path,
                             sqlite3_errmsg(q->db)) < 0)
                        *ret_error = NULL;
                sqlite3_close_v2(q->db);
                return sqlite_errno(rc) ?: -EIO;
        }
        *ret = (Store *) TAKE_PTR(q);
        return 0;
}

/* The rows changed by INSERT, UPDATE and DELETE statements so far (what their triggers
 * change is not counted, but a trigger only runs with a change that is); -1 outside a
 * transaction: an I/O or full-disk failure may have rolled it back. */
static int64_t sqlite_changes(Store *s) {
        sqlite3 *db = ((SqliteStore *) s)->db;
        return sqlite3_get_autocommit(db) ? -1 : sqlite3_total_changes(db);
}

/* $N → ?N: SQLite numbers parameters the same way with its own sigil. */
static char *translate(const char *sql) {
        char *t = strdup(sql);
        for (char *p = t; p && *p; p++)
                if (*p == '$')
                        *p = '?';
        return t;
}

static int prepare(SqliteStore *q, unsigned id, const char *sql, sqlite3_stmt **ret) {
        _cleanup_free_ char *t = NULL;
        int rc;

        if (id >= q->n_stmts) {
                sqlite3_stmt **n = realloc(q->stmts, sizeof(sqlite3_stmt *) * (id + 1));
                if (!n)
                        return -ENOMEM;
                memset(n + q->n_stmts, 0, sizeof(sqlite3_stmt *) * (id + 1 - q->n_stmts));
                q->stmts = n;
                q->n_stmts = id + 1;
        }
        if (!q->stmts[id]) {
                t = translate(sql);
                if (!t)
                        return -ENOMEM;
                rc = sqlite3_prepare_v3(q->db, t, -1, SQLITE_PREPARE_PERSISTENT, &q->stmts[id], NULL);
                if (rc != SQLITE_OK)
                        return sqlite_errno(rc) ?: -EIO;
        }
        *ret = q->stmts[id];
        return 0;
}

static int sqlite_query(Store *s, unsigned id, const char *sql, const StoreValue *params,
                        size_t n_params, StoreRowFn fn, void *userdata) {
        SqliteStore *q = (SqliteStore *) s;
        sqlite3_stmt *st = NULL;
        int r, rc, rows = 0, ncol;

        store_count_statement(s);
        r = prepare(q, id, sql, &st);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_params; i++) {
                const StoreValue *v = &params[i];
                rc = v->type == STORE_INT    ? sqlite3_bind_int64(st, i + 1, v->integer)
                     : v->type == STORE_TEXT ? sqlite3_bind_text(st, i + 1, v->text, -1, SQLITE_STATIC)
                                             : sqlite3_bind_null(st, i + 1);
                if (rc != SQLITE_OK) {
                        r = sqlite_errno(rc) ?: -EIO;
                        goto out;
                }
        }
        ncol = sqlite3_column_count(st);
        for (;;) {
                const char *cols[32];

                rc = sqlite3_step(st);
                if (rc == SQLITE_DONE)
                        break;
                if (rc != SQLITE_ROW) {
                        r = sqlite_errno(rc) ?: -EIO;
                        goto out;
                }
                rows++;
                if (!fn)
                        continue;
                if (ncol > (int) ELEMENTSOF(cols)) {
                        r = -E2BIG;
                        goto out;
                }
                for (int i = 0; i < ncol; i++)
                        cols[i] = (const char *) sqlite3_column_text(st, i);
                r = fn(cols, ncol, userdata);
                if (r < 0)
                        goto out;
        }
        r = ncol > 0 ? rows : sqlite3_changes(q->db);
out:
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return r;
}

const StoreBackend store_backend_sqlite = {
        .scheme = "sqlite",
        .open = sqlite_open,
        .free = sqlite_free,
        .exec = sqlite_exec,
        .query = sqlite_query,
        .error = sqlite_error,
        .changes = sqlite_changes,
};
