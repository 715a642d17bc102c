/* SPDX-License-Identifier: MIT */
#pragma once

/* The Server object: one libevent loop, the evhttp front end over bufferevent_openssl,
 * the store, the CA, and the group commit that makes every 2xx durable
 * (docs/internals/ingest.md). */

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>
#include <openssl/ssl.h>

#include "ca.h"
#include "metrics.h"
#include "server-conf.h"
#include "store.h"

typedef struct Conn Conn;
typedef struct PendingReply PendingReply;

typedef struct ServerStats {
        uint64_t requests;
        uint64_t reports_accepted, reports_duplicate, reports_refused;
        uint64_t enrollments, commits, committed_requests;
} ServerStats;

typedef struct Server {
        char *dir;
        ServerConfig *config;
        Store *store;
        Ca *ca;
        char *ca_pem; /* served with each enrollment */
        SSL_CTX *ssl_ctx;

        struct event_base *base;
        struct evhttp *http;
        struct evhttp_bound_socket *listener;
        struct event *sigterm, *sigint, *stop_timer, *commit_event;

        unsigned n_connections;
        Conn *connections; /* list, for draining on stop */

        /* Group commit: the open outer transaction and the replies waiting for it. */
        PendingReply *pending;
        size_t n_pending, n_pending_alloc;

        bool stopping;
        usec_t stop_deadline;
        uint16_t port; /* bound port (useful with :0) */
        ServerStats stats;
        ServerMetrics metrics; /* refusals by reason, request latency (/metrics) */
} Server;

int server_new(const char *dir, const char *listen, const char *db, Server **ret);
Server *server_free(Server *s);
static inline void server_freep(Server **s) {
        server_free(*s);
}
/* Runs until SIGTERM/SIGINT, then drains. */
int server_run(Server *s);

/* Called from the HTTP layer (http.c) for each accepted connection. */
Conn *conn_new(Server *s);
void conn_request_started(Conn *c);
void conn_request_done(Conn *c);
bool conn_over_limit(const Conn *c);
/* A request is being handled, or its reply is still being written. */
bool conn_busy(const Conn *c);

/* http.c: whether any connection has a request in progress or output unsent. */
bool http_connections_busy(Server *s);

/* Group commit. server_tx_begin() opens (or joins) the batch transaction and a savepoint
 * for one request; server_tx_end(ok) releases or rolls back that savepoint. */
int server_tx_begin(Server *s);
int server_tx_end(Server *s, bool ok);
/* Queues a reply sent once the batch is durably committed (503 if the commit fails). */
int server_reply_after_commit(Server *s, struct evhttp_request *req, int code,
                              struct evbuffer *body);
