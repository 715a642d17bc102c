/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/util.h>
#include <systemd/sd-daemon.h>

#include "cleanup.h"
#include "http.h"
#include "log.h"
#include "server.h"
#include "time-util.h"

struct PendingReply {
        struct evhttp_request *req;
        int code;
        struct evbuffer *body;
};

/* How long a stopping server waits for in-flight requests and their replies. */
#define DRAIN_TICK_USEC (20 * USEC_PER_MSEC)

static void commit_batch(evutil_socket_t fd, short what, void *userdata) {
        Server *s = userdata;
        size_t n = s->n_pending;
        int r = 0;

        (void) fd, (void) what;
        if (store_in_transaction(s->store)) {
                r = store_commit(s->store);
                if (r < 0)
                        log_error_errno(r, "Cannot commit %zu request(s): %s", n, store_error(s->store));
                else {
                        s->stats.commits++;
                        s->stats.committed_requests += n;
                }
        }
        /* Replies leave only now: after COMMIT returned, the data is on disk (SQLite
         * synchronous=FULL fsyncs the WAL; PostgreSQL's synchronous_commit). */
        s->n_pending = 0;
        for (size_t i = 0; i < n; i++) {
                PendingReply *p = &s->pending[i];
                if (r < 0) {
                        if (p->body)
                                evbuffer_free(p->body);
                        http_send(p->req, 503,
                                  http_error_buffer("storage_unavailable",
                                                    "the database could not commit; retry later"),
                                  false);
                } else
                        http_send(p->req, p->code, p->body, false);
        }
}

int server_tx_begin(Server *s) {
        int r;

        if (!store_in_transaction(s->store)) {
                r = store_begin(s->store);
                if (r < 0)
                        return r;
                /* Runs after the requests already read in this loop iteration: they all
                 * share one COMMIT (one fsync). */
                event_active(s->commit_event, EV_TIMEOUT, 0);
        }
        return store_begin(s->store);
}

int server_tx_end(Server *s, bool ok) {
        return ok ? store_commit(s->store) : store_rollback(s->store);
}

int server_reply_after_commit(Server *s, struct evhttp_request *req, int code, struct evbuffer *body) {
        if (!store_in_transaction(s->store)) {
                http_send(req, code, body, false);
                return 0;
        }
        if (s->n_pending == s->n_pending_alloc) {
                size_t n = MAX(s->n_pending_alloc * 2, (size_t) 64);
                PendingReply *p = realloc(s->pending, n * sizeof(PendingReply));
                if (!p) {
                        if (body)
                                evbuffer_free(body);
                        http_send(req, 503, NULL, true);
                        return -ENOMEM;
                }
                s->pending = p;
                s->n_pending_alloc = n;
        }
        s->pending[s->n_pending++] = (PendingReply) { req, code, body };
        return 0;
}

static void drain_tick(evutil_socket_t fd, short what, void *userdata) {
        Server *s = userdata;
        static const struct timeval tick = { 0, DRAIN_TICK_USEC };

        (void) fd, (void) what;
        if ((s->n_pending == 0 && !http_connections_busy(s)) || now_monotonic() >= s->stop_deadline) {
                event_base_loopexit(s->base, NULL);
                return;
        }
        evtimer_add(s->stop_timer, &tick);
}

/* SIGTERM/SIGINT: stop accepting, let in-flight requests finish and their batch commit,
 * flush the replies, then leave the loop. */
static void on_signal(evutil_socket_t sig, short what, void *userdata) {
        Server *s = userdata;

        (void) what;
        if (s->stopping)
                return;
        log_info("Received %s, stopping: finishing in-flight requests.", strsignal((int) sig));
        (void) sd_notify(0, "STOPPING=1");
        s->stopping = true;
        if (s->listener) {
                evhttp_del_accept_socket(s->http, s->listener);
                s->listener = NULL;
        }
        s->stop_deadline = now_monotonic() + s->config->request_timeout;
        drain_tick(-1, 0, s);
}

/* "ADDRESS:PORT" or "[IPV6]:PORT"; numeric only, port 0 picks a free one. */
static int parse_listen(const char *listen_address, struct sockaddr_storage *ret, int *ret_len) {
        _cleanup_free_ char *host = NULL;
        const char *colon = strrchr(listen_address, ':'), *h = listen_address;
        struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
                                  .ai_socktype = SOCK_STREAM }, *ai = NULL;
        size_t hl;

        if (!colon || !colon[1])
                return -EINVAL;
        hl = colon - listen_address;
        if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']')
                h++, hl -= 2;
        host = strndup(h, hl);
        if (!host)
                return -ENOMEM;
        if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || !ai)
                return -EINVAL;
        memcpy(ret, ai->ai_addr, ai->ai_addrlen);
        *ret_len = (int) ai->ai_addrlen;
        freeaddrinfo(ai);
        return 0;
}

static int bind_listener(Server *s, const char *address) {
        struct sockaddr_storage sa;
        int len, r;
        _cleanup_close_ int fd = -1;
        struct evhttp_bound_socket *b;

        r = parse_listen(address, &sa, &len);
        if (r < 0)
                return log_error_errno(r, "Invalid listen address \"%s\": use ADDRESS:PORT, e.g. 0.0.0.0:8443 or [::1]:8443.", address);
        fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return log_error_errno(errno, "Cannot create socket: %m");
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int) { 1 }, sizeof(int)) < 0)
                return log_error_errno(errno, "Cannot set SO_REUSEADDR: %m");
        /* Accepted sockets inherit it: a reply written as several TLS records must not
         * wait for the client's delayed ACK (40 ms per keep-alive request otherwise). */
        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int) { 1 }, sizeof(int)) < 0)
                return log_error_errno(errno, "Cannot set TCP_NODELAY: %m");
        if (bind(fd, (struct sockaddr *) &sa, len) < 0)
                return log_error_errno(errno, "Cannot listen on %s: %m", address);
        if (listen(fd, SOMAXCONN) < 0)
                return log_error_errno(errno, "Cannot listen on %s: %m", address);
        b = evhttp_accept_socket_with_handle(s->http, fd);
        if (!b)
                return log_error_errno(ENOMEM, "Cannot accept on %s.", address);
        TAKE_FD(fd);
        s->listener = b;
        len = sizeof(sa);
        if (getsockname(evhttp_bound_socket_get_fd(b), (struct sockaddr *) &sa, (socklen_t *) &len) == 0)
                s->port = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *) &sa)->sin6_port
                                                         : ((struct sockaddr_in *) &sa)->sin_port);
        return 0;
}

int server_new(const char *dir, const char *listen, const char *db, Server **ret) {
        _cleanup_(server_freep) Server *s = calloc(1, sizeof(Server));
        _cleanup_free_ char *error = NULL;
        int r;

        if (!s || !(s->dir = strdup(dir)))
                return log_oom();
        r = server_config_load(dir, &s->config, &error);
        if (r < 0)
                return log_error_errno(r, "Cannot load the configuration: %s", strnull(error));
        r = store_open(db ?: s->config->database, &s->store, &error);
        if (r < 0)
                return log_error_errno(r, "Cannot open the database: %s", strnull(error));
        r = ca_load(dir, &s->ca);
        if (r < 0)
                return log_error_errno(r, "Cannot load the CA from \"%s\": %m — run \"vigie-server init --dir %s\" first.", dir, dir);
        s->ca_pem = pem_from_cert(s->ca->cert);
        if (!s->ca_pem)
                return log_oom();
        r = tls_context_new(dir, &s->ssl_ctx, &error);
        if (r < 0)
                return log_error_errno(r, "TLS setup failed: %s", strnull(error));
        s->base = event_base_new();
        if (!s->base)
                return log_oom();
        r = http_setup(s);
        if (r < 0)
                return log_error_errno(r, "Cannot set up HTTP: %m");
        s->commit_event = event_new(s->base, -1, 0, commit_batch, s);
        s->stop_timer = evtimer_new(s->base, drain_tick, s);
        s->sigterm = evsignal_new(s->base, SIGTERM, on_signal, s);
        s->sigint = evsignal_new(s->base, SIGINT, on_signal, s);
        if (!s->commit_event || !s->stop_timer || !s->sigterm || !s->sigint ||
            evsignal_add(s->sigterm, NULL) < 0 || evsignal_add(s->sigint, NULL) < 0)
                return log_oom();
        r = bind_listener(s, listen ?: s->config->listen);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

Server *server_free(Server *s) {
        if (!s)
                return NULL;
        if (s->http)
                evhttp_free(s->http); /* frees the connections, and their Conn */
        if (s->commit_event)
                event_free(s->commit_event);
        if (s->stop_timer)
                event_free(s->stop_timer);
        if (s->sigterm)
                event_free(s->sigterm);
        if (s->sigint)
                event_free(s->sigint);
        for (size_t i = 0; i < s->n_pending; i++)
                if (s->pending[i].body)
                        evbuffer_free(s->pending[i].body);
        free(s->pending);
        if (s->base)
                event_base_free(s->base);
        SSL_CTX_free(s->ssl_ctx);
        free(s->ca_pem);
        ca_free(s->ca);
        store_free(s->store);
        server_config_free(s->config);
        free(s->dir);
        free(s);
        return NULL;
}

int server_run(Server *s) {
        log_info("Listening on port %u (database: %s).", s->port, s->store->backend->scheme);
        (void) sd_notifyf(0, "READY=1\nSTATUS=Listening on port %u", s->port);
        if (event_base_dispatch(s->base) < 0)
                return log_error_errno(EIO, "Event loop failed.");
        /* Anything still in the batch (a signal raced the commit) is committed now. */
        if (s->n_pending > 0 || store_in_transaction(s->store))
                commit_batch(-1, 0, s);
        log_info("Stopped.");
        return 0;
}
