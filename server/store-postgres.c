/* SPDX-License-Identifier: MIT */
/* PostgreSQL backend (libpq): several vigie-server instances share one database and keep
 * no state of their own. Statements are prepared once per connection; parameters travel as
 * text. A lost connection is reset on the next call made outside a transaction. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "cleanup.h"
#include "macro.h"
#include "parse-util.h"
#include "store.h"

typedef struct PgStore {
        Store head;
        PGconn *conn;
        bool *prepared; /* by statement id */
        size_t n_prepared;
        char error[256];
} PgStore;

static void notice_ignore(void *arg, const char *message) {
        (void) arg;
        (void) message; /* "relation already exists, skipping" on every start */
}

static void pg_free(Store *s) {
        PgStore *p = (PgStore *) s;
        PQfinish(p->conn);
        free(p->prepared);
        free(p);
}

static const char *pg_error(Store *s) {
        return ((PgStore *) s)->error;
}

static int pg_result_errno(PgStore *p, PGresult *res) {
        ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
        const char *state;

        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
                return 0;
        snprintf(p->error, sizeof(p->error), "%s",
                 res ? PQresultErrorMessage(res) : PQerrorMessage(p->conn));
        p->error[strcspn(p->error, "\n")] = 0;
        if (PQstatus(p->conn) != CONNECTION_OK)
                return -ECONNRESET;
        state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
        if (state && streq(state, "23505"))
                return -EEXIST;
        if (state && (streq(state, "40001") || streq(state, "40P01")))
                return -EBUSY;
        return -EIO;
}

/* After a lost connection: reconnect (prepared statements are gone with it). */
static int pg_ensure(PgStore *p) {
        if (PQstatus(p->conn) == CONNECTION_OK)
                return 0;
        if (p->head.tx_depth > 0)
                return -ECONNRESET; /* the transaction is lost: the caller rolls back */
        PQreset(p->conn);
        memset(p->prepared, 0, sizeof(bool) * p->n_prepared);
        if (PQstatus(p->conn) != CONNECTION_OK) {
                snprintf(p->error, sizeof(p->error), "%s", PQerrorMessage(p->conn));
                return -ECONNRESET;
        }
        return 0;
}

static int pg_exec_once(PgStore *p, const char *sql) {
        PGresult *res;
        int r = pg_ensure(p);

        if (r < 0)
                return r;
        res = PQexec(p->conn, sql);
        r = pg_result_errno(p, res);
        PQclear(res);
        return r;
}

static int pg_exec(Store *s, const char *sql) {
        PgStore *p = (PgStore *) s;
        int r;

        store_count_statement(s);
        /* ROLLBACK after a lost connection must not fail the caller's cleanup path. */
        if (PQstatus(p->conn) != CONNECTION_OK && strncmp(sql, "ROLLBACK", 8) == 0)
                return 0;
        r = pg_exec_once(p, sql);
        /* libpq notices a dead connection (database restarted) only when it is used:
         * outside a transaction nothing is lost, so reconnect and try once more. */
        if (r == -ECONNRESET && p->head.tx_depth == 0)
                r = pg_exec_once(p, sql);
        return r;
}

static int pg_open(const char *conninfo, Store **ret, char **ret_error) {
        _cleanup_free_ PgStore *p = calloc(1, sizeof(PgStore));

        if (!p)
                return -ENOMEM;
        p->conn = PQconnectdb(conninfo);
        if (!p->conn)
                return -ENOMEM;
        if (PQstatus(p->conn) != CONNECTION_OK) {
                if (asprintf(ret_error, "cannot connect to PostgreSQL: %s",
                             PQerrorMessage(p->conn)) < 0)
                        *ret_error = NULL;
                else
                        (*ret_error)[strcspn(*ret_error, "\n")] = 0;
                PQfinish(p->conn);
                return -ECONNREFUSED;
        }
        PQsetNoticeProcessor(p->conn, notice_ignore, NULL);
        *ret = (Store *) TAKE_PTR(p);
        return 0;
}

static int pg_prepare(PgStore *p, unsigned id, const char *sql) {
        char name[16];
        PGresult *res;
        int r;

        if (id >= p->n_prepared) {
                bool *n = realloc(p->prepared, sizeof(bool) * (id + 1));
                if (!n)
                        return -ENOMEM;
                memset(n + p->n_prepared, 0, sizeof(bool) * (id + 1 - p->n_prepared));
                p->prepared = n;
                p->n_prepared = id + 1;
        }
        if (p->prepared[id])
                return 0;
        snprintf(name, sizeof(name), "q%u", id);
        res = PQprepare(p->conn, name, sql, 0, NULL);
        r = pg_result_errno(p, res);
        PQclear(res);
        if (r < 0)
                return r;
        p->prepared[id] = true;
        return 0;
}

static int pg_query_once(Store *s, unsigned id, const char *sql, const StoreValue *params,
                         size_t n_params, StoreRowFn fn, void *userdata) {
        PgStore *p = (PgStore *) s;
        const char *values[32];
        char ints[32][24];
        char name[16];
        PGresult *res;
        int r, rows, ncol;

        if (n_params > ELEMENTSOF(values))
                return -E2BIG;
        r = pg_ensure(p);
        if (r < 0)
                return r;
        r = pg_prepare(p, id, sql);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_params; i++) {
                if (params[i].type == STORE_INT) {
                        snprintf(ints[i], sizeof(ints[i]), "%" PRId64, params[i].integer);
                        values[i] = ints[i];
                } else
                        values[i] = params[i].type == STORE_TEXT ? params[i].text : NULL;
        }
        snprintf(name, sizeof(name), "q%u", id);
        res = PQexecPrepared(p->conn, name, (int) n_params, values, NULL, NULL, 0);
        r = pg_result_errno(p, res);
        if (r < 0)
                goto out;
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                int64_t n = 0;
                (void) parse_int64(PQcmdTuples(res), &n); /* "" for commands without a count */
                r = (int) n;
                goto out;
        }
        rows = PQntuples(res);
        ncol = PQnfields(res);
        if (ncol > 32) {
                r = -E2BIG;
                goto out;
        }
        for (int row = 0; fn && row < rows; row++) {
                const char *cols[32];
                for (int c = 0; c < ncol; c++)
                        cols[c] = PQgetisnull(res, row, c) ? NULL : PQgetvalue(res, row, c);
                r = fn(cols, ncol, userdata);
                if (r < 0)
                        goto out;
        }
        r = rows;
out:
        PQclear(res);
        return r;
}

static int pg_query(Store *s, unsigned id, const char *sql, const StoreValue *params,
                    size_t n_params, StoreRowFn fn, void *userdata) {
        int r;

        store_count_statement(s);
        r = pg_query_once(s, id, sql, params, n_params, fn, userdata);
        if (r == -ECONNRESET && s->tx_depth == 0) /* see pg_exec() */
                r = pg_query_once(s, id, sql, params, n_params, fn, userdata);
        return r;
}

const StoreBackend store_backend_postgres = {
        .scheme = "postgres",
        .open = pg_open,
        .free = pg_free,
        .exec = pg_exec,
        .query = pg_query,
        .error = pg_error,
};
