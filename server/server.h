/* SPDX-License-Identifier: MIT */
#pragma once

/* The Server object: one libevent loop, the evhttp front end over bufferevent_openssl,
 * the store, the CA, and the group commit that makes every 2xx durable
 * (docs/internals/ingest.md). */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>
#include <event2/http.h>
#include <openssl/ssl.h>

#include "budget.h"
#include "ca.h"
#include "metrics.h"
#include "server-conf.h"
#include "store.h"
#include "verdict.h"

typedef struct Conn Conn;
typedef struct PendingReply PendingReply;
typedef struct ServerJob ServerJob;
typedef struct Server Server;

typedef struct Offload Offload;
typedef void (*OffloadWorkFn)(void *userdata);                /* on a worker thread, or the loop */
typedef void (*OffloadDoneFn)(Server *s, void *userdata);     /* back on the loop */

/* A unit of CPU work (server_offload()), embedded in the caller's job: queueing it
 * allocates nothing. */
struct Offload {
        OffloadWorkFn work;
        OffloadDoneFn done;
        void *userdata;
        Offload *next;
};

/* Work that writes to the store: runs on the loop thread inside the batch transaction
 * (use server_tx_begin/end around each unit that may fail, and queue the reply with
 * server_reply_after_commit()). */
typedef int (*ServerJobFn)(Server *s, void *userdata, struct evhttp_request *req);
/* What a job that may run ahead does once its store work stands (server_submit_ahead()). */
typedef void (*ServerSettleFn)(Server *s, void *userdata, struct evhttp_request *req);
/* What a job that may run ahead can read before the batch's first job runs (send its
 * reads ahead: server_submit_ahead()). */
typedef int (*ServerPrefetchFn)(Server *s, void *userdata);

typedef struct ServerStats {
        uint64_t requests;
        uint64_t reports_accepted, reports_duplicate, reports_refused;
        uint64_t enrollments, commits, committed_requests;
} ServerStats;

struct Server {
        char *dir;
        ServerConfig *config;
        Store *store;    /* writes: batches; COMMIT runs on the commit thread */
        Store *store_ro; /* reads on the loop: revocation per request, policy */
        Ca *ca;
        char *ca_pem; /* served with each enrollment */
        struct EnrollAttest *attest; /* TPM attestation challenges (enroll-attest.h) */
        VerdictCache *verdicts; /* parsed policy versions, for ingest */
        Budget *report_budget;  /* POST /v1/reports per device */
        SSL_CTX *ssl_ctx;

        struct event_base *base;
        struct evhttp *http;
        struct evhttp_bound_socket *listener;
        struct event *sigterm, *sigint, *stop_timer, *commit_event, *batch_event;
        struct event *prune_timer; /* retention.c */
        struct event *history_timer; /* history.c */
        struct Alerts *alerts;       /* alerts.c, NULL without [Alert] sections */

        unsigned n_connections;
        Conn *connections; /* list, for draining on stop */
        time_t date_at;    /* the second date holds: http.c's reply_date() */
        char date[32];

        /* Group commit: jobs waiting for the next batch; replies waiting for the COMMIT
         * in flight; the commit thread (SQLite; PostgreSQL's COMMIT is awaited by the
         * loop). */
        ServerJob *jobs;
        size_t n_jobs, n_jobs_alloc;
        ServerJob *batch; /* the jobs of the batch run ahead that is committing */
        size_t n_batch, n_batch_alloc;
        PendingReply *pending;
        size_t n_pending, n_pending_alloc;
        bool committing;
        bool commit_waiting; /* PostgreSQL: the loop awaits the COMMIT's answer
                              * (commit_wait_event; commit_result > 0 until it came) */
        struct event *commit_wait_event;
        int commit_efd, commit_result;
        pthread_t commit_thread;
        bool commit_thread_started, commit_requested, commit_thread_exit;
        pthread_mutex_t commit_lock;
        pthread_cond_t commit_cond;

        /* CPU work (report signatures) on worker threads, results back through an eventfd;
         * or on the loop, when the server is not busy or a turn brings it alone
         * (server_offload()). */
        pthread_t *workers;
        size_t n_workers;
        pthread_mutex_t work_lock;
        pthread_cond_t work_cond;
        Offload *work_head, *work_tail, *done_head, *done_tail;
        size_t n_queued;   /* items in the work list */
        size_t n_idle;     /* workers waiting for work_cond */
        bool wake_pending; /* work_cond signalled, the woken worker not yet running */
        bool workers_exit;
        int done_efd;
        struct event *done_event;
        size_t n_offloaded; /* held, queued or running, their done not yet called */
        Offload *held;      /* the turn's first item, run by the loop if it stays alone */
        bool held_takes_done; /* under work_lock: the held item's end takes the done list */
        struct event *held_event;
        bool offload_busy;  /* handing off: the server's CPU crossed offload_cpu_high */
        unsigned offload_cpu_low, offload_cpu_high; /* percent of one core */
        usec_t busy_since, busy_cpu; /* the policy's window: its start, the CPU then */

        bool stopping;
        usec_t stop_deadline;
        uint16_t port; /* bound port (useful with :0) */
        ServerStats stats;
        ServerMetrics metrics; /* refusals by reason, request latency (/metrics) */
};

int server_new(const char *dir, const char *listen, const char *db, Server **ret);
Server *server_free(Server *s);
static inline void server_freep(Server **s) {
        server_free(*s);
}
/* Runs until SIGTERM/SIGINT, then drains. */
int server_run(Server *s);

/* http.c: whether any connection has a request in progress or output unsent. */
bool http_connections_busy(Server *s);

/* Runs work(userdata), then done(s, userdata) on the loop; o (the caller's, untouched
 * until done) carries it. work runs on a worker thread when the loop is under pressure,
 * else on the loop itself (always without workers): it must not touch the Server. Items
 * from one connection come back in order; items from different ones may not. */
void server_offload(Server *s, Offload *o, OffloadWorkFn work, OffloadDoneFn done, void *userdata);

/* Group commit. server_submit() queues a job for the next batch (req gets a 503 if the
 * batch cannot start; req may be NULL for the server's own work). Inside a job, server_tx_begin() opens a savepoint and
 * server_tx_end(ok) releases or rolls it back. */
int server_submit(Server *s, struct evhttp_request *req, ServerJobFn fn, void *userdata,
                  void (*free_fn)(void *userdata));
/* A job whose store work may run ahead (store_run_ahead(), when every job of the batch is
 * one: PostgreSQL sends each RELEASE ahead, SQLite takes no savepoint per unit): fn does
 * the store work and keeps what it decided in userdata; settle does the rest (replies,
 * counters, logs), once for what stands: after the batch's COMMIT when the batch ran
 * ahead, right after fn otherwise. If a write sent ahead failed (SQLite: a unit that wrote
 * was rolled back), the batch is rolled back and every fn runs again, not ahead: fn must
 * start over.
 * On PostgreSQL such a batch also prefetches: its BEGIN and the reads of prefetch, for each
 * job that is the batch's first with its key (a later one may read what an earlier one
 * writes), go before its first job, in one wait; fn then finds them arrived
 * (store_report_prefetched()). prefetch and key may be NULL. */
int server_submit_ahead(Server *s, struct evhttp_request *req, ServerJobFn fn, ServerSettleFn settle,
                        ServerPrefetchFn prefetch, const char *key, void *userdata,
                        void (*free_fn)(void *userdata));
int server_tx_begin(Server *s);
int server_tx_end(Server *s, bool ok);
/* From a job: the reply, sent once the batch is durably committed (503 if it fails). */
int server_reply_after_commit(Server *s, struct evhttp_request *req, int code,
                              struct evbuffer *body);
