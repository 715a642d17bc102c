/* SPDX-License-Identifier: MIT */
/* PostgreSQL backend (libpq): several vigie-server instances share one database and keep
 * no state of their own. Statements are prepared once per connection; parameters travel as
 * text. A lost connection is reset on the next call made outside a transaction.
 *
 * Pipeline (libpq ≥ 14): pg_send() queues a statement whose result the caller does not
 * need; the next query or exec sends its own statement behind the queued ones, one Sync for
 * all, and reads every result in order: one round trip instead of one each. The first
 * failure is returned; the server skips the rest up to the Sync (PGRES_PIPELINE_ABORTED)
 * and the transaction is failed until the caller's ROLLBACK TO SAVEPOINT, exactly as if
 * the statements had run one by one — unless a unit ended among them (store_run_ahead()),
 * whose failure store_ahead_settled() records for the caller. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "cleanup.h"
#include "macro.h"
#include "parse-util.h"
#include "store.h"

#define PG_PIPELINE_MAX 64u
#define PG_GATHERED_MAX (2 * (PG_PIPELINE_MAX + 1) + 1)

/* Where a queued statement's rows go (a read sent ahead, or the call that waits). */
typedef struct PgPending {
        StoreRowFn fn;
        void *userdata;
} PgPending;

typedef struct PgStore {
        Store head;
        PGconn *conn;
        bool *prepared; /* by statement id */
        size_t n_prepared;
        unsigned queued; /* statements sent in pipeline mode, results not read yet */
        int64_t writes;  /* pg_send() calls: pg_changes() */
        PgPending pending[PG_PIPELINE_MAX + 1]; /* by queue position */
        /* The answers to a COMMIT sent without waiting, read as they arrive: each
         * statement's result and the NULL that ends it, then the Sync's. */
        PGresult *gathered[PG_GATHERED_MAX];
        unsigned n_gathered, gathered_at;
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
        p->queued = 0;
        if (PQpipelineStatus(p->conn) != PQ_PIPELINE_OFF)
                (void) PQexitPipelineMode(p->conn);
        memset(p->prepared, 0, sizeof(bool) * p->n_prepared);
        if (PQstatus(p->conn) != CONNECTION_OK) {
                snprintf(p->error, sizeof(p->error), "%s", PQerrorMessage(p->conn));
                return -ECONNRESET;
        }
        return 0;
}

/* A statement's result: the rows seen (passed to fn) or changed, or -errno. After the
 * pipeline's first failure, the rest are PGRES_PIPELINE_ABORTED: failed keeps that first
 * message. */
static int pg_result_rows(PgStore *p, PGresult *res, bool failed, StoreRowFn fn, void *userdata) {
        int r, rows, ncol;

        if (failed && res && PQresultStatus(res) == PGRES_PIPELINE_ABORTED)
                return -EIO;
        r = pg_result_errno(p, res);
        if (r < 0)
                return r;
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                int64_t n = 0;
                (void) parse_int64(PQcmdTuples(res), &n); /* "" for commands without a count */
                return (int) n;
        }
        rows = PQntuples(res);
        ncol = PQnfields(res);
        if (ncol > 32)
                return -E2BIG;
        for (int row = 0; fn && row < rows; row++) {
                const char *cols[32];
                for (int c = 0; c < ncol; c++)
                        cols[c] = PQgetisnull(res, row, c) ? NULL : PQgetvalue(res, row, c);
                r = fn(cols, ncol, userdata);
                if (r < 0)
                        return r;
        }
        return rows;
}

/* For libpq's send functions: parameters as text. The most a statement has: store.c's
 * check_results insert of 16 rows, 50. */
#define PG_PARAMS_MAX 64
typedef struct PgParams {
        const char *values[PG_PARAMS_MAX];
        char ints[PG_PARAMS_MAX][INT64_TEXT_MAX];
} PgParams;

static int pg_params(PgParams *v, const StoreValue *params, size_t n_params) {
        if (n_params > ELEMENTSOF(v->values))
                return -E2BIG;
        for (size_t i = 0; i < n_params; i++) {
                if (params[i].type == STORE_INT) {
                        (void) format_int64(params[i].integer, v->ints[i]);
                        v->values[i] = v->ints[i];
                } else
                        v->values[i] = params[i].type == STORE_TEXT ? params[i].text : NULL;
        }
        return 0;
}

/* The name statement id is prepared under: "q" and the id. */
#define PG_NAME_MAX (1 + INT64_TEXT_MAX)
static const char *pg_name(unsigned id, char ret[static PG_NAME_MAX]) {
        ret[0] = 'q';
        (void) format_int64(id, ret + 1);
        return ret;
}

/* Queues statement id (STORE_UNPREPARED: sql as is) in pipeline mode; its rows will go
 * to fn. */
static int pg_pipeline_send(PgStore *p, unsigned id, const char *sql, const StoreValue *params,
                            size_t n_params, StoreRowFn fn, void *userdata) {
        PgParams v;
        char name[PG_NAME_MAX];
        int r, ok;

        r = pg_params(&v, params, n_params);
        if (r < 0)
                return r;
        if (PQpipelineStatus(p->conn) == PQ_PIPELINE_OFF && !PQenterPipelineMode(p->conn))
                return pg_result_errno(p, NULL);
        if (id == STORE_UNPREPARED)
                ok = PQsendQueryParams(p->conn, sql, (int) n_params, NULL, v.values, NULL, NULL, 0);
        else
                ok = PQsendQueryPrepared(p->conn, pg_name(id, name), (int) n_params, v.values, NULL, NULL, 0);
        if (!ok)
                return pg_result_errno(p, NULL);
        p->pending[p->queued++] = (PgPending) { fn, userdata };
        return 0;
}

/* The next result of the pipeline: one gathered without blocking (pg_commit_receive()),
 * else libpq's, which waits for it. */
static PGresult *pg_next_result(PgStore *p) {
        if (p->gathered_at < p->n_gathered)
                return p->gathered[p->gathered_at++];
        p->gathered_at = p->n_gathered = 0;
        return PQgetResult(p->conn);
}

/* A failure r seen before libpq noticed the connection's end (the first result of a
 * pipeline sent to a server that closed it meanwhile, e.g. restarted, comes back before
 * the end of the stream does): the lost connection's, once it has. */
static int pg_lost(PgStore *p, int r) {
        return r < 0 && PQstatus(p->conn) != CONNECTION_OK ? -ECONNRESET : r;
}

/* Reads every queued result (each one's rows go to its PgPending), the Sync sent, and
 * leaves pipeline mode. Returns the first failure, else the last statement's rows.
 * send_error: a failure while queueing, which wins. */
static int pg_pipeline_receive(PgStore *p, int send_error) {
        unsigned n = p->queued;
        int r = send_error < 0 ? send_error : 0;
        PGresult *res;

        p->queued = 0;
        for (unsigned i = 0; i < n; i++) {
                int k;

                res = pg_next_result(p);
                if (!res) /* the connection is gone */
                        return pg_lost(p, r < 0 ? r : pg_result_errno(p, NULL));
                k = pg_result_rows(p, res, r < 0, p->pending[i].fn, p->pending[i].userdata);
                PQclear(res);
                while ((res = pg_next_result(p))) /* up to this statement's end */
                        PQclear(res);
                if (r >= 0)
                        r = k;
        }
        res = pg_next_result(p);
        if (!res || PQresultStatus(res) != PGRES_PIPELINE_SYNC) {
                int k = pg_result_errno(p, res);
                r = r < 0 ? r : k < 0 ? k : -EIO;
        }
        PQclear(res);
        if (!PQexitPipelineMode(p->conn) && r >= 0)
                r = pg_result_errno(p, NULL);
        return pg_lost(p, r);
}

/* Sends the Sync: one round trip for everything queued. */
static int pg_pipeline_sync(PgStore *p) {
        store_count_round_trip(&p->head);
        if (PQpipelineSync(p->conn))
                return 0;
        p->queued = 0;
        return pg_result_errno(p, NULL);
}

static int pg_pipeline_read(PgStore *p, int send_error) {
        int r = pg_pipeline_sync(p);

        return r < 0 ? r : pg_pipeline_receive(p, send_error);
}

static int pg_pipeline_finish(PgStore *p, int send_error) {
        int r = pg_pipeline_read(p, send_error);

        store_ahead_settled(&p->head, r);
        return r;
}

static int pg_exec_once(PgStore *p, const char *sql) {
        PGresult *res;
        int r = pg_ensure(p);

        if (r < 0)
                return r;
        store_count_round_trip(&p->head);
        res = PQexec(p->conn, sql);
        r = pg_result_errno(p, res);
        PQclear(res);
        return r;
}

static int pg_exec(Store *s, const char *sql) {
        PgStore *p = (PgStore *) s;
        int r;

        store_count_statement(s);
        if (p->queued > 0) {
                /* One statement goes behind the queued ones; a script (ROLLBACK TO sp;
                 * RELEASE sp) after them, and a rollback does not care how they ended. */
                if (!strchr(sql, ';'))
                        return pg_pipeline_finish(p, pg_pipeline_send(p, STORE_UNPREPARED, sql, NULL, 0,
                                                                      NULL, NULL));
                r = pg_pipeline_finish(p, 0);
                if (r < 0 && strncmp(sql, "ROLLBACK", 8) != 0)
                        return r;
        }
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
        char name[PG_NAME_MAX];
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
        store_count_round_trip(&p->head);
        res = PQprepare(p->conn, pg_name(id, name), sql, 0, NULL);
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
        PGresult *res;
        char name[PG_NAME_MAX];
        PgParams v;
        int r;

        r = pg_params(&v, params, n_params);
        if (r < 0)
                return r;
        r = pg_ensure(p);
        if (r < 0)
                return r;
        if (p->queued > 0 && (id >= p->n_prepared || !p->prepared[id])) {
                /* PQprepare() waits for its answer: not in pipeline mode (once per id) */
                r = pg_pipeline_finish(p, 0);
                if (r < 0)
                        return r;
        }
        r = pg_prepare(p, id, sql);
        if (r < 0)
                return r;
        if (p->queued > 0)
                return pg_pipeline_finish(p, pg_pipeline_send(p, id, sql, params, n_params, fn, userdata));
        store_count_round_trip(s);
        res = PQexecPrepared(p->conn, pg_name(id, name), (int) n_params, v.values, NULL, NULL, 0);
        r = pg_result_rows(p, res, false, fn, userdata);
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

static int pg_read_ahead(Store *s, unsigned id, const char *sql, const StoreValue *params,
                         size_t n_params, StoreRowFn fn, void *userdata) {
        PgStore *p = (PgStore *) s;
        int r;

        /* Bounded: libpq in blocking mode and a server whose answers fill the socket's
         * buffer while we still send would wait on each other. */
        if (p->queued >= PG_PIPELINE_MAX) {
                r = pg_pipeline_finish(p, 0);
                if (r < 0)
                        return r;
        }
        if (p->queued == 0 || id == STORE_UNPREPARED || (id < p->n_prepared && p->prepared[id])) {
                store_count_statement(s);
                r = pg_ensure(p);
                if (r >= 0 && id != STORE_UNPREPARED)
                        r = pg_prepare(p, id, sql);
                if (r >= 0)
                        r = pg_pipeline_send(p, id, sql, params, n_params, fn, userdata);
                return r < 0 && p->queued > 0 ? pg_pipeline_finish(p, r) : r;
        }
        /* Not prepared yet on this connection: what is queued first, then PQprepare(). */
        r = pg_pipeline_finish(p, 0);
        return r < 0 ? r : pg_read_ahead(s, id, sql, params, n_params, fn, userdata);
}

static int pg_send(Store *s, unsigned id, const char *sql, const StoreValue *params, size_t n_params) {
        ((PgStore *) s)->writes++;
        return pg_read_ahead(s, id, sql, params, n_params, NULL, NULL);
}

/* What a unit without a savepoint changed, as far as store_rollback() needs to know: the
 * writes it sent (their rows are not counted before they are read), or that the
 * transaction failed (a statement's error aborts it whole: nothing after it is stored). */
static int64_t pg_changes(Store *s) {
        PgStore *p = (PgStore *) s;

        if (PQstatus(p->conn) != CONNECTION_OK ||
            (p->queued == 0 && PQtransactionStatus(p->conn) != PQTRANS_INTRANS))
                return -1;
        return p->writes;
}

/* The transaction's COMMIT goes behind what is queued, without waiting: the caller
 * watches *ret_fd, then calls pg_commit_receive(). Not over TLS, where libpq may keep
 * decrypted bytes no readable socket announces. */
static int pg_commit_send(Store *s, int *ret_fd) {
        PgStore *p = (PgStore *) s;
        int r;

        if (PQstatus(p->conn) != CONNECTION_OK || PQsslInUse(p->conn))
                return 0;
        store_count_statement(s);
        r = pg_pipeline_send(p, STORE_UNPREPARED, "COMMIT", NULL, 0, NULL, NULL);
        if (r < 0)
                return pg_pipeline_finish(p, r);
        r = pg_pipeline_sync(p);
        if (r < 0) {
                store_ahead_settled(s, r);
                return r;
        }
        *ret_fd = PQsocket(p->conn);
        return 1;
}

/* Gathers the answers that arrived; once the Sync's has (or the connection failed, or
 * wait), reads them all as pg_pipeline_read() does. */
static int pg_commit_receive(Store *s, bool wait) {
        PgStore *p = (PgStore *) s;
        int r;

        if (!wait && PQconsumeInput(p->conn))
                for (;;) {
                        PGresult *res;

                        if (p->n_gathered == PG_GATHERED_MAX)
                                break; /* cannot happen: the rest is read waiting */
                        if (PQisBusy(p->conn))
                                return -EAGAIN;
                        res = PQgetResult(p->conn);
                        p->gathered[p->n_gathered++] = res;
                        if (res && PQresultStatus(res) == PGRES_PIPELINE_SYNC)
                                break;
                }
        r = pg_pipeline_receive(p, 0);
        /* Left when the connection failed among them: not the next pipeline's. */
        while (p->gathered_at < p->n_gathered)
                PQclear(p->gathered[p->gathered_at++]);
        p->n_gathered = p->gathered_at = 0;
        store_ahead_settled(s, r);
        return r < 0 ? r : 0;
}

static int pg_flush(Store *s) {
        PgStore *p = (PgStore *) s;
        int r = p->queued > 0 ? pg_pipeline_finish(p, 0) : 0;

        return r < 0 ? r : 0;
}

const StoreBackend store_backend_postgres = {
        .scheme = "postgres",
        .open = pg_open,
        .free = pg_free,
        .exec = pg_exec,
        .query = pg_query,
        .send = pg_send,
        .read_ahead = pg_read_ahead,
        .flush = pg_flush,
        .commit_send = pg_commit_send,
        .commit_receive = pg_commit_receive,
        .changes = pg_changes,
        .error = pg_error,
};
