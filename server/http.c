/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/bufferevent_struct.h> /* ev_write: see conn_write_now() */
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h> /* the request's HTTP version: see reply_date() */
#include <event2/util.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "cleanup.h"
#include "gzip-util.h"
#include "http.h"
#include "json-util.h"
#include "log.h"
#include "macro.h"
#include "time-util.h"

/* One per TLS connection, hung on the SSL object so that it dies with it. */
struct Conn {
        Server *server;
        struct bufferevent *bev;
        struct event *deadline;
        struct event *admit;    /* once, right after accept: the per-address and global caps */
        Conn *prev, *next;
        bool over_limit;
        bool busy;
        bool requested;         /* a request ever started: not a connection to close first */
        bool handshake_counted; /* in metrics.handshakes_* */
        bool peer_loaded;
        bool addr_known;
        struct sockaddr_storage addr;
        struct evbuffer_cb_entry *counter; /* without a certificate: bytes read, bounded */
        struct evbuffer_cb_entry *on_input; /* conn_input(): conn_hold(), conn_kick() */
        struct event *hold;     /* the socket's read interest while evhttp does not read */
        struct event *kick;     /* reads what OpenSSL's read-ahead holds: conn_kick() */
        size_t read_since_reply;
        TlsPeer peer;
};

static int conn_index = -1;

/* The most plaintext one TLS record carries. */
#define HTTP_RECORD_MAX (16u * 1024)

static void conn_unlink(Conn *c) {
        Server *s = c->server;
        if (c->prev)
                c->prev->next = c->next;
        else
                s->connections = c->next;
        if (c->next)
                c->next->prev = c->prev;
        s->n_connections--;
}

static void conn_events_free(Conn *c) {
        struct event **events[] = { &c->deadline, &c->admit, &c->hold, &c->kick };
        for (size_t i = 0; i < ELEMENTSOF(events); i++)
                if (*events[i]) {
                        event_free(*events[i]);
                        *events[i] = NULL;
                }
}

static void conn_free_ex(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp) {
        Conn *c = ptr;
        (void) parent, (void) ad, (void) idx, (void) argl, (void) argp;
        if (!c)
                return;
        conn_unlink(c);
        if (c->counter)
                evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->counter);
        if (c->on_input)
                evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->on_input);
        conn_events_free(c);
        tls_peer_done(&c->peer);
        free(c);
}

/* Past the deadline: the client did not send a whole request in time (slowloris, or an
 * idle keep-alive connection). Shutting the socket down makes evhttp see EOF and free
 * the connection through its own path, which is the only safe way to drop it. */
static void conn_deadline(evutil_socket_t fd, short what, void *userdata) {
        Conn *c = userdata;
        evutil_socket_t sfd = bufferevent_getfd(c->bev);
        (void) fd, (void) what;
        log_debug("Closing connection %d: no complete request within the request timeout.", (int) sfd);
        if (sfd >= 0)
                (void) shutdown(sfd, SHUT_RDWR);
}

static void conn_arm_for(Conn *c, usec_t t) {
        struct timeval tv = { .tv_sec = t / USEC_PER_SEC, .tv_usec = t % USEC_PER_SEC };
        if (c->deadline)
                evtimer_add(c->deadline, &tv);
}

static void conn_arm(Conn *c) {
        conn_arm_for(c, c->server->config->request_timeout);
}

static void conn_close(Conn *c) {
        evutil_socket_t fd = bufferevent_getfd(c->bev);
        if (fd >= 0)
                (void) shutdown(fd, SHUT_RDWR); /* evhttp sees EOF and frees it (conn_deadline) */
}

static bool same_address(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
        if (a->ss_family != b->ss_family)
                return false;
        if (a->ss_family == AF_INET)
                return ((const struct sockaddr_in *) a)->sin_addr.s_addr == ((const struct sockaddr_in *) b)->sin_addr.s_addr;
        if (a->ss_family == AF_INET6)
                return memcmp(&((const struct sockaddr_in6 *) a)->sin6_addr, &((const struct sockaddr_in6 *) b)->sin6_addr,
                              sizeof(struct in6_addr)) == 0;
        return false;
}

/* Right after evhttp has handed the socket to the connection: one address holds at most
 * its share of connections; at the global cap, the oldest connection that never sent a
 * request is closed to make room, so that idle sockets cannot keep devices and admins
 * out. Only when none is left does the newcomer get 429. */
static void conn_admit(evutil_socket_t fd, short what, void *userdata) {
        Conn *c = userdata, *idle = NULL;
        Server *s = c->server;
        socklen_t len = sizeof(c->addr);
        int same = 0;
        (void) fd, (void) what;

        if (getpeername(bufferevent_getfd(c->bev), (struct sockaddr *) &c->addr, &len) < 0)
                return;
        c->addr_known = true;
        for (Conn *o = s->connections; o; o = o->next) {
                if (o->addr_known && same_address(&o->addr, &c->addr))
                        same++;
                if (o != c && !o->requested && o->addr_known)
                        idle = o; /* the list is newest first: the last one is the oldest */
        }
        if (same > s->config->max_connections_per_address) {
                log_debug("Closing a connection: its address holds %d, at most %d.", same - 1,
                          s->config->max_connections_per_address);
                conn_close(c);
                return;
        }
        if (c->over_limit && idle) {
                log_debug("At %u connections: closing the oldest that never sent a request.", s->n_connections);
                idle->requested = true; /* never picked twice */
                conn_close(idle);
                c->over_limit = false;
        }
}

/* Bytes decrypted on a connection without a certificate: past one enrollment request
 * (headers and body), it is closed rather than read further, lingering 413 or not. */
static void conn_count(struct evbuffer *b, const struct evbuffer_cb_info *info, void *userdata) {
        Conn *c = userdata;
        (void) b;

        c->read_since_reply += info->n_added;
        if (c->read_since_reply > HTTP_BODY_MAX_WITHOUT_CERT + HTTP_HEADERS_MAX) {
                log_debug("Closing a connection without a certificate: over %u bytes in one request.",
                          HTTP_BODY_MAX_WITHOUT_CERT + HTTP_HEADERS_MAX);
                evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->counter);
                c->counter = NULL;
                conn_close(c);
        }
}

/* evhttp stops reading a connection once a request is whole (its read callback must not run
 * while the request is handled) and reads again when the reply is queued: one epoll_ctl()
 * to drop the socket's read interest and one to add it back, every request. A second read
 * event on the socket, added when the request's bytes arrive (in the turn evhttp disables
 * its own, so that the interest never drops) and removed once evhttp reads again, keeps the
 * interest with the kernel. It never reads: if the socket turns readable while evhttp does
 * not read (a client sending ahead, or closing), it lets go at once, as evhttp's own event
 * did, so that a level-triggered wake-up cannot spin the loop; the next request's bytes
 * take it again. The Conn, and the event with it, is freed with the SSL object, which
 * bufferevent_openssl frees right after closing the socket: no other fd can get its number
 * while the event is still on it. */
static void conn_hold_fired(evutil_socket_t fd, short what, void *userdata) {
        Conn *c = userdata;
        (void) fd, (void) what;

        if (!event_pending(&c->bev->ev_read, EV_READ, NULL))
                event_del(c->hold);
}

static void conn_hold(Conn *c) {
        evutil_socket_t fd;

        if (!c->hold) {
                fd = bufferevent_getfd(c->bev);
                if (fd < 0)
                        return;
                c->hold = event_new(c->server->base, fd, EV_READ | EV_PERSIST, conn_hold_fired, c);
                if (!c->hold)
                        return; /* evhttp's off and on, as without it */
        }
        if (!event_pending(c->hold, EV_READ, NULL))
                (void) event_add(c->hold, NULL);
}

static void conn_release(Conn *c) {
        if (c->hold)
                event_del(c->hold);
}

/* OpenSSL reads ahead (tls.c): one read() takes a record's header and body, and whatever
 * follows them. bufferevent_openssl (libevent 2.1) decrypts on until SSL_pending(), which
 * counts only the current record, is 0, then waits for the socket: a record that came in
 * the same read() — a request's body sent as a record of its own, the next request of a
 * client that sends ahead, a request sent with the handshake's last flight — would wait
 * for bytes that never come. So whenever OpenSSL still holds bytes where one of these can
 * happen (plaintext just read, the handshake done, a reply queued, from which evhttp reads
 * again), the read event runs once more, later in this turn, if evhttp reads; if it does
 * not, the next reply does it. Clients that send one record and wait for the reply, as
 * ours do, never get here. */
static void conn_kick_fired(evutil_socket_t fd, short what, void *userdata) {
        Conn *c = userdata;
        (void) fd, (void) what;

        if (event_pending(&c->bev->ev_read, EV_READ, NULL))
                event_active(&c->bev->ev_read, EV_READ, 1);
}

static void conn_kick(Conn *c) {
        SSL *ssl = bufferevent_openssl_get_ssl(c->bev);

        if (ssl && SSL_has_pending(ssl))
                event_active(c->kick, EV_TIMEOUT, 0);
}

static void conn_input(struct evbuffer *b, const struct evbuffer_cb_info *info, void *userdata) {
        Conn *c = userdata;
        (void) b;

        if (info->n_added == 0)
                return;
        conn_hold(c);
        conn_kick(c);
}

/* The handshake is done: a connection without a valid client certificate may only enroll,
 * so evhttp takes no more than an enrollment body from it (413 past that). */
static void conn_handshake_done(const SSL *ssl, int where, int ret) {
        Conn *c = SSL_get_ex_data(ssl, conn_index);
        bufferevent_data_cb rcb, wcb;
        bufferevent_event_cb ecb;
        void *evcon = NULL;
        (void) ret;

        if (!(where & SSL_CB_HANDSHAKE_DONE) || !c)
                return;
        if (!c->handshake_counted) { /* once: TLS 1.3 may report post-handshake messages too */
                c->handshake_counted = true;
                if (SSL_session_reused(ssl))
                        c->server->metrics.handshakes_resumed++;
                else
                        c->server->metrics.handshakes_full++;
        }
        conn_kick(c); /* the request may have come with the handshake's last flight */
        if (c->requested || c->counter)
                return; /* once, as above */
        conn_arm(c); /* from the handshake's deadline to the request's */
        bufferevent_getcb(c->bev, &rcb, &wcb, &ecb, &evcon); /* evhttp's: the evcon */
        if (tls_peer_certified(ssl))
                return;
        if (evcon)
                evhttp_connection_set_max_body_size(evcon, HTTP_BODY_MAX_WITHOUT_CERT);
        c->counter = evbuffer_add_cb(bufferevent_get_input(c->bev), conn_count, c);
}

static Conn *conn_new(Server *s) {
        Conn *c = calloc(1, sizeof(Conn));
        if (!c)
                return NULL;
        c->server = s;
        c->deadline = evtimer_new(s->base, conn_deadline, c);
        c->admit = evtimer_new(s->base, conn_admit, c);
        c->kick = evtimer_new(s->base, conn_kick_fired, c);
        if (!c->deadline || !c->admit || !c->kick) {
                conn_events_free(c);
                free(c);
                return NULL;
        }
        c->next = s->connections;
        if (c->next)
                c->next->prev = c;
        s->connections = c;
        s->n_connections++;
        c->over_limit = s->n_connections > (unsigned) s->config->max_connections;
        return c;
}

static void conn_request_started(Conn *c) {
        c->busy = true;
        c->requested = true;
        evtimer_del(c->deadline);
}

void http_stream_abandoned(struct evhttp_request *req) {
        if (!evhttp_request_get_connection(req))
                evhttp_request_free(req);
}

void conn_request_done(Conn *c) {
        conn_release(c); /* evhttp reads again: the reply is queued */
        conn_kick(c);    /* a request that came behind this one may wait in OpenSSL */
        c->busy = false;
        c->read_since_reply = 0;
        conn_arm(c);
}

/* A request is being handled, or its reply is still being written. */
static bool conn_busy(const Conn *c) {
        return c->busy || evbuffer_get_length(bufferevent_get_output(c->bev)) > 0;
}

bool http_connections_busy(Server *s) {
        for (Conn *c = s->connections; c; c = c->next)
                if (c->bev && conn_busy(c))
                        return true;
        return false;
}

static struct bufferevent *new_bev(struct event_base *base, void *userdata) {
        Server *s = userdata;
        SSL *ssl = SSL_new(s->ssl_ctx);
        struct bufferevent *bev;
        Conn *c;

        /* evhttp falls back to plain TCP on NULL; dispatch() refuses any connection without
         * SSL, so that fallback only ever serves errors. */
        if (!ssl)
                return NULL;
        c = conn_new(s);
        if (!c || SSL_set_ex_data(ssl, conn_index, c) != 1) {
                if (c)
                        conn_free_ex(NULL, c, NULL, 0, 0, NULL);
                SSL_free(ssl);
                return NULL;
        }
        bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                             BEV_OPT_CLOSE_ON_FREE);
        if (!bev) {
                SSL_free(ssl); /* frees c through the ex_data destructor */
                return NULL;
        }
        c->bev = bev;
        c->on_input = evbuffer_add_cb(bufferevent_get_input(bev), conn_input, c);
        if (!c->on_input) {
                bufferevent_free(bev); /* frees ssl, then c through the ex_data destructor */
                return NULL;
        }
        SSL_set_info_callback(ssl, conn_handshake_done);
        conn_arm_for(c, s->config->handshake_timeout);
        event_active(c->admit, EV_TIMEOUT, 0);
        return bev;
}

static Conn *conn_of(struct evhttp_request *req, SSL **ret_ssl) {
        struct evhttp_connection *evcon = evhttp_request_get_connection(req);
        struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
        SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;
        if (ret_ssl)
                *ret_ssl = ssl;
        return ssl ? SSL_get_ex_data(ssl, conn_index) : NULL;
}

const char *http_reason(int code) {
        switch (code) {
        case 200: return "OK";
        case 201: return "Created";
        case 202: return "Accepted";
        case 304: return "Not Modified";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 409: return "Conflict";
        case 413: return "Payload Too Large";
        case 415: return "Unsupported Media Type";
        case 429: return "Too Many Requests";
        case 503: return "Service Unavailable";
        default: return code < 400 ? "OK" : "Error";
        }
}

/* A reply queued by evhttp leaves now rather than when the socket is next reported
 * writable: bufferevent_openssl writes only from its write event, which costs an epoll
 * round (EPOLLOUT on, the write, EPOLLOUT off) per reply; run within this loop turn, the
 * write's interest is added and removed in the same turn, which the event base's
 * changelist drops (server.c). It writes each chunk of the output as its own TLS record
 * (one write() each): a reply that fits in one record (headers and body) is made one
 * chunk first. A socket that cannot take it all leaves the rest to the write event. */
static void conn_write_now(Conn *c) {
        struct evbuffer *out = bufferevent_get_output(c->bev);
        size_t size = evbuffer_get_length(out);

        if (size == 0)
                return;
        if (size <= HTTP_RECORD_MAX)
                (void) evbuffer_pullup(out, -1);
        event_active(&c->bev->ev_write, EV_WRITE, 1);
}

/* evhttp gives each HTTP/1.1 reply a Date header that it formats anew (gmtime_r() and
 * snprintf(): ~3.4 k instructions, a quarter of what it spends on a reply's headers). The
 * same text, made once a second by the same function, is set before evhttp looks: it then
 * keeps it. Replies to HTTP/1.0 get none, as from evhttp. */
static void reply_date(Server *s, struct evhttp_request *req, struct evkeyvalq *h) {
        time_t now;
        struct tm tm;
        int n;

        if (req->major != 1 || req->minor < 1)
                return;
        now = time(NULL);
        if (now != s->date_at) {
                n = gmtime_r(&now, &tm) ? evutil_date_rfc1123(s->date, sizeof(s->date), &tm) : -1;
                if (n <= 0 || (size_t) n >= sizeof(s->date)) {
                        s->date_at = 0;
                        return; /* evhttp makes it */
                }
                s->date_at = now;
        }
        evhttp_add_header(h, "Date", s->date);
}

void http_send(struct evhttp_request *req, int code, struct evbuffer *body, bool close) {
        Conn *c = conn_of(req, NULL);
        struct evkeyvalq *h = evhttp_request_get_output_headers(req);

        if (body && evbuffer_get_length(body) > 0 && !evhttp_find_header(h, "Content-Type"))
                evhttp_add_header(h, "Content-Type", "application/json");
        if (close)
                evhttp_add_header(h, "Connection", "close");
        if (c)
                reply_date(c->server, req, h);
        evhttp_send_reply(req, code, http_reason(code), body);
        if (body)
                evbuffer_free(body);
        if (c) {
                conn_write_now(c);
                conn_request_done(c);
        }
}

struct evbuffer *http_json_buffer(json_object *j) {
        struct evbuffer *b = evbuffer_new();
        const char *text = json_compact(j);
        if (b && (evbuffer_add(b, text, strlen(text)) < 0 || evbuffer_add(b, "\n", 1) < 0)) {
                evbuffer_free(b);
                return NULL;
        }
        return b;
}

static struct evbuffer *error_buffer_va(const char *error, const char *fmt, va_list ap) {
        _cleanup_json_ json_object *j = json_object_new_object();
        _cleanup_free_ char *detail = NULL;

        if (!j || vasprintf(&detail, fmt, ap) < 0)
                return NULL;
        if (json_add_string(j, "error", error) < 0 || json_add_string(j, "detail", detail) < 0)
                return NULL;
        return http_json_buffer(j);
}

struct evbuffer *http_error_buffer(const char *error, const char *fmt, ...) {
        struct evbuffer *b;
        va_list ap;
        va_start(ap, fmt);
        b = error_buffer_va(error, fmt, ap);
        va_end(ap);
        return b;
}

int http_error(Request *r, int code, const char *error, const char *fmt, ...) {
        struct evbuffer *b;
        va_list ap;

        va_start(ap, fmt);
        b = error_buffer_va(error, fmt, ap);
        va_end(ap);
        log_debug("%s %s → %d %s", r->peer ? r->peer->info.cn : "-", r->path, code, error);
        http_send(r->req, code, b, code == 429 || code == 413);
        return -EPERM;
}

int http_reply_json(Request *r, int code, json_object *j) {
        struct evbuffer *b = http_json_buffer(j);
        if (!b)
                return http_error(r, 503, "out_of_memory", "cannot build the reply");
        http_send(r->req, code, b, false);
        return 0;
}

int http_reply_text(Request *r, int code, const char *content_type, const char *data, size_t size) {
        struct evbuffer *b = evbuffer_new();
        if (!b || evbuffer_add(b, data, size) < 0) {
                if (b)
                        evbuffer_free(b);
                return http_error(r, 503, "out_of_memory", "cannot build the reply");
        }
        evhttp_add_header(evhttp_request_get_output_headers(r->req), "Content-Type", content_type);
        http_send(r->req, code, b, false);
        return 0;
}

const char *http_query(Request *r, const char *key) {
        return evhttp_find_header(&r->query, key);
}

/* The client-certificate gate: present, chained to our CA, of a role the route accepts,
 * and neither unknown to nor revoked in the store (looked up on every request). */
static int authorize(Request *r, const Route *route, Conn *c, SSL *ssl) {
        StoreCertStatus st;
        int k;

        if (!c->peer_loaded) {
                (void) tls_peer_get(ssl, &c->peer);
                c->peer_loaded = true;
        }
        /* Open routes see a certificate only when it chains to our CA; the route decides
         * what it proves (enrollment: a known device re-enrolling). */
        if (route->roles == ROLES_ANYONE) {
                if (c->peer.present && c->peer.verify == X509_V_OK)
                        r->peer = &c->peer;
                return 0;
        }
        if (!c->peer.present)
                return http_error(r, 401, "certificate_required",
                                  "this route needs a client certificate from the Vigie CA");
        if (c->peer.verify != X509_V_OK)
                return http_error(r, 401, "certificate_invalid", "client certificate refused: %s",
                                  X509_verify_cert_error_string(c->peer.verify));
        if (c->peer.role < 0 || !(route->roles & ROLE(c->peer.role)))
                return http_error(r, 403, "wrong_role",
                                  "a certificate of role \"%s\" may not use %s",
                                  c->peer.info.ou[0] ? c->peer.info.ou : "none", r->path);
        if (route->status_in_handler) {
                r->peer = &c->peer;
                return 0;
        }
        k = store_cert_status(r->server->store_ro, c->peer.info.serial, &st);
        if (k < 0) {
                log_error_errno(k, "Cannot look up certificate %s: %s", c->peer.info.serial,
                                store_error(r->server->store_ro));
                return http_error(r, 503, "storage_unavailable", "cannot check the certificate now");
        }
        if (!st.known)
                return http_error(r, 401, "certificate_unknown",
                                  "certificate %s was not issued by this server's records",
                                  c->peer.info.serial);
        if (st.revoked)
                return http_error(r, 403, "revoked", "certificate %s (%s) is revoked",
                                  c->peer.info.serial, c->peer.info.cn);
        r->peer = &c->peer;
        return 0;
}

/* A body with Content-Encoding: gzip is inflated here, under the same MaxBodySize as a
 * plain one: a compression bomb costs at most that much memory and gets a 413. */
static int decode_body(Request *r, struct evbuffer *in) {
        const char *enc = evhttp_find_header(evhttp_request_get_input_headers(r->req), "Content-Encoding");
        size_t size = evbuffer_get_length(in), max = (size_t) r->server->config->max_body_size;
        const char *data = size ? (const char *) evbuffer_pullup(in, -1) : "";
        int k;

        if (!enc || strcasecmp(enc, "identity") == 0) {
                r->body = data;
                r->body_size = size;
                return 0;
        }
        /* RFC 9110, 8.4.1.3: a recipient should take "x-gzip" as "gzip". */
        if (strcasecmp(enc, "gzip") != 0 && strcasecmp(enc, "x-gzip") != 0)
                return http_error(r, 415, "unsupported_encoding",
                                  "Content-Encoding \"%.40s\" is not supported: send gzip or no encoding", enc);
        k = gzip_inflate(data, size, max, &r->inflated, &r->body_size);
        if (k == -EFBIG)
                return http_error(r, 413, "body_too_large", "the gzip body inflates to more than %zu bytes", max);
        if (k == -ENOMEM)
                return http_error(r, 503, "out_of_memory", "cannot inflate the body now; retry later");
        if (k < 0)
                return http_error(r, 400, "malformed_body", "the gzip body is corrupt or truncated");
        r->body = r->inflated;
        return 0;
}

static void dispatch(struct evhttp_request *req, void *userdata) {
        Server *s = userdata;
        const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
        struct evbuffer *in = evhttp_request_get_input_buffer(req);
        enum evhttp_cmd_type method = evhttp_request_get_command(req);
        const Route *route = NULL;
        bool path_known = false;
        SSL *ssl;
        Conn *c = conn_of(req, &ssl);
        Request r = { .server = s, .req = req, .conn = c };
        const char *q;

        if (!c) {
                evhttp_send_error(req, 400, "TLS required");
                return;
        }
        conn_request_started(c);
        s->stats.requests++;
        usec_t started = now_monotonic();
        TAILQ_INIT(&r.query);
        r.path = uri ? evhttp_uri_get_path(uri) : NULL;
        if (!r.path || !*r.path) {
                r.path = "/";
        }
        if (c->over_limit) {
                http_error(&r, 429, "too_many_connections",
                           "the server holds its maximum of %d connections; retry later",
                           s->config->max_connections);
                return;
        }
        if (s->stopping) {
                http_error(&r, 503, "stopping", "the server is shutting down; retry later");
                return;
        }
        q = uri ? evhttp_uri_get_query(uri) : NULL;
        if (q && evhttp_parse_query_str(q, &r.query) < 0) {
                http_error(&r, 400, "bad_query", "malformed query string");
                return;
        }
        for (const Route *rt = server_routes; rt->path; rt++) {
                bool match = rt->prefix ? strncmp(r.path, rt->path, strlen(rt->path)) == 0
                                        : streq(r.path, rt->path);
                if (!match)
                        continue;
                path_known = true;
                if (rt->method == method) {
                        route = rt;
                        break;
                }
        }
        if (!route) {
                if (path_known)
                        http_error(&r, 405, "method_not_allowed", "%s does not take this method", r.path);
                else
                        http_error(&r, 404, "not_found", "no route %s", r.path);
                goto out;
        }
        if (authorize(&r, route, c, ssl) < 0 || decode_body(&r, in) < 0)
                goto out;
        (void) route->handler(&r);
out:
        metrics_observe_request(&s->metrics, now_monotonic() - started);
        evhttp_clear_headers(&r.query);
        free(r.inflated);
}

int http_setup(Server *s) {
        usec_t idle = s->config->idle_timeout;
        struct timeval tv = { .tv_sec = idle / USEC_PER_SEC, .tv_usec = idle % USEC_PER_SEC };

        if (conn_index < 0) {
                conn_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn_free_ex);
                if (conn_index < 0)
                        return -ENOMEM;
        }
        s->http = evhttp_new(s->base);
        if (!s->http)
                return -ENOMEM;
        evhttp_set_bevcb(s->http, new_bev, s);
        evhttp_set_gencb(s->http, dispatch, s);
        evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD);
        evhttp_set_max_body_size(s->http, (ev_ssize_t) s->config->max_body_size);
        /* Read (and drop) an oversized body before closing, so that the client gets
         * to see the 413 rather than a reset; the request deadline still bounds it. */
        evhttp_set_flags(s->http, EVHTTP_SERVER_LINGERING_CLOSE);
        evhttp_set_max_headers_size(s->http, HTTP_HEADERS_MAX);
        evhttp_set_timeout_tv(s->http, &tv);
        evhttp_set_default_content_type(s->http, "application/json");
        return 0;
}
