/* SPDX-License-Identifier: MIT */
/* GET /v1/fleet/devices/{id}/reports: one page of a device's stored reports (limit=, and
 * the cursor= the previous page returned), written as the rows are read. Reports go out
 * in HTTP chunks of about REPORTS_CHUNK bytes, and the next chunk is read only once the
 * previous one has left, so a slow reader or a device with years of 2 MiB reports holds
 * back the database reads, never the server's memory: a stream holds one chunk and at
 * most one report past it (docs/api.md). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>

#include "api-fleet.h"
#include "cleanup.h"
#include "json-util.h"
#include "log.h"
#include "reports-query.h"
#include "store-fleet.h"
#include "store-identity.h"
#include "time-util.h"

/* A chunk is sent once it holds this many bytes; a batch (one query) reads as many rows
 * as the largest report seen so far would fill it with, 1 to REPORTS_BATCH_MAX. Rows a
 * full chunk cannot take are read again by the next batch. */
#define REPORTS_CHUNK (1024u * 1024)
#define REPORTS_BATCH_FIRST 4u
#define REPORTS_BATCH_MAX 32u

typedef struct ReportStream {
        Server *server;
        struct evhttp_request *req;
        struct evhttp_connection *evcon;
        Conn *conn;
        char *device_id;
        ReportsQuery q;
        unsigned left;    /* reports of the page not yet read */
        unsigned batch;   /* rows the next batch reads */
        unsigned n_batch; /* rows the current batch read */
        size_t row_max;   /* bytes of the largest report sent yet */
        bool skipped;     /* the current batch read rows the full chunk could not take */
        int64_t last_seq; /* of the last report sent */
        bool sent_any, more;
        struct evbuffer *buf;
} ReportStream;

static ReportStream *report_stream_free(ReportStream *st) {
        if (!st)
                return NULL;
        if (st->evcon)
                evhttp_connection_set_closecb(st->evcon, NULL, NULL);
        if (st->buf)
                evbuffer_free(st->buf);
        free(st->device_id);
        free(st);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(ReportStream *, report_stream_free)

static int add_time(json_object *o, const char *key, int64_t t) {
        char buf[RFC3339_MAX];
        return json_add_string(o, key, t > 0 ? format_rfc3339((usec_t) t * USEC_PER_SEC, buf) : NULL);
}

/* A compact JWS is base64url and dots: JSON as it is, so it can skip json-c's escaping
 * pass and its copies (most of the cost of a page of large reports). */
static bool jws_is_plain(const char *s) {
        return s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")] == 0;
}

static int report_row(const FleetReport *rep, void *userdata) {
        ReportStream *st = userdata;
        _cleanup_json_ json_object *o = NULL;
        bool plain = rep->jws && jws_is_plain(rep->jws);
        const char *text;
        size_t before;

        st->n_batch++;
        if (st->left == 0) { /* the row after the page: there is a next page */
                st->more = true;
                return 0;
        }
        if (evbuffer_get_length(st->buf) >= REPORTS_CHUNK) {
                st->skipped = true;
                return 0;
        }
        before = evbuffer_get_length(st->buf);
        o = json_object_new_object();
        if (!o || json_add_int(o, "seq", rep->seq) < 0 || add_time(o, "issued_at", rep->iat) < 0 ||
            add_time(o, "received_at", rep->received_at) < 0 ||
            (!plain && json_add_string(o, "jws", rep->jws) < 0))
                return -ENOMEM;
        /* Pruned by retention: what keeps the chain provable, for vigiectl audit. */
        if (!rep->jws && (json_add_bool(o, "pruned", true) < 0 || json_add_string(o, "hash", rep->hash) < 0 ||
                          json_add_string(o, "prev", rep->prev) < 0))
                return -ENOMEM;
        text = json_compact(o);
        if ((st->sent_any && evbuffer_add(st->buf, ",", 1) < 0) ||
            evbuffer_add(st->buf, text, strlen(text) - plain) < 0 ||
            (plain && (evbuffer_add_printf(st->buf, ",\"jws\":\"") < 0 ||
                       evbuffer_add(st->buf, rep->jws, strlen(rep->jws)) < 0 || evbuffer_add(st->buf, "\"}", 2) < 0)))
                return -ENOMEM;
        st->sent_any = true;
        st->row_max = MAX(st->row_max, evbuffer_get_length(st->buf) - before);
        st->left--;
        st->last_seq = rep->seq;
        return 0;
}

/* The end of the page: "next_cursor" (null on the last page) and the closing brace. */
static int report_stream_tail(ReportStream *st) {
        _cleanup_free_ char *cursor = NULL;

        if (st->more) {
                cursor = reports_cursor_encode(st->device_id, st->last_seq);
                if (!cursor)
                        return -ENOMEM;
        }
        return evbuffer_add_printf(st->buf, "],\"next_cursor\":%s%s%s}\n", cursor ? "\"" : "",
                                   cursor ?: "null", cursor ? "\"" : "") < 0 ? -ENOMEM : 0;
}

static void report_stream_next(struct evhttp_connection *evcon, void *userdata);

static void report_stream_closed(struct evhttp_connection *evcon, void *userdata) {
        ReportStream *st = userdata;
        (void) evcon;
        log_info("Reports of device %s: the client went away after seq %" PRId64 ".", st->device_id,
                 st->last_seq);
        st->evcon = NULL; /* the connection is going; don't touch its callbacks */
        http_stream_abandoned(st->req);
        report_stream_free(st);
}

static void report_stream_next(struct evhttp_connection *evcon, void *userdata) {
        ReportStream *st = userdata;
        /* The last batch reads one row more than it sends: whether a next page exists. */
        unsigned want = st->left > st->batch ? st->batch : st->left + 1;
        bool done;
        int k;

        (void) evcon;
        st->n_batch = 0;
        st->skipped = false;
        k = store_fleet_reports(st->server->store_ro, st->device_id, st->q.from, st->q.to, st->last_seq, want,
                                report_row, st);
        done = !st->skipped && (st->n_batch < want || st->left == 0);
        if (st->row_max > 0)
                st->batch = (unsigned) MAX(MIN(REPORTS_CHUNK / st->row_max, (size_t) REPORTS_BATCH_MAX), (size_t) 1);
        if (k >= 0 && done)
                k = report_stream_tail(st);
        if (k < 0) {
                /* The headers are gone: cut the stream short, which a chunked reader sees
                 * as an incomplete transfer; evhttp then frees the connection its own way,
                 * which calls report_stream_closed(). */
                evutil_socket_t fd = bufferevent_getfd(evhttp_connection_get_bufferevent(st->evcon));
                log_error_errno(k, "Reports of device %s failed after seq %" PRId64 ": %s", st->device_id,
                                st->last_seq, store_error(st->server->store_ro));
                if (fd >= 0)
                        (void) shutdown(fd, SHUT_RDWR);
                return;
        }
        if (!done) {
                evhttp_send_reply_chunk_with_cb(st->req, st->buf, report_stream_next, st);
                return;
        }
        evhttp_send_reply_chunk(st->req, st->buf);
        evhttp_send_reply_end(st->req);
        if (st->conn)
                conn_request_done(st->conn);
        report_stream_free(st);
}

static int pem_row(const FleetCert *c, void *userdata) {
        return c->pem && json_object_array_add(userdata, json_object_new_string(c->pem)) < 0 ? -ENOMEM : 0;
}

/* {"device_id","certificates","limit","reports":[ — the rest follows as it is read. */
static int report_stream_head(ReportStream *st) {
        _cleanup_json_ json_object *j = json_object_new_object();
        json_object *pems = json_object_new_array();
        const char *text;
        size_t n;
        int k;

        if (!j || json_add_string(j, "device_id", st->device_id) < 0 ||
            json_add(j, "certificates", pems) < 0 || !pems || json_add_int(j, "limit", st->q.limit) < 0)
                return -ENOMEM;
        k = store_fleet_certificates(st->server->store_ro, st->device_id, pem_row, pems);
        if (k < 0)
                return k;
        text = json_compact(j);
        n = strlen(text);
        return evbuffer_add(st->buf, text, n - 1) < 0 || evbuffer_add_printf(st->buf, ",\"reports\":[") < 0
                       ? -ENOMEM : 0;
}

int route_device_reports(Request *r, const char *id) {
        _cleanup_(report_stream_freep) ReportStream *st = NULL;
        _cleanup_free_ char *err = NULL;
        StoreDevice dev = {};
        int k;

        st = calloc(1, sizeof(ReportStream));
        if (!st || !(st->buf = evbuffer_new()) || !(st->device_id = strdup(id)))
                return http_error(r, 503, "out_of_memory", "cannot build the reply");
        st->server = r->server;
        k = reports_query_parse(&r->query, id, &st->q, &err);
        if (k == -ENOMEM)
                return http_error(r, 503, "out_of_memory", "cannot build the reply");
        if (k < 0)
                return http_error(r, 400, "bad_filter", "%s", strnull(err));
        k = store_device_get(r->server->store_ro, id, &dev);
        store_device_done(&dev);
        if (k == -ENOENT)
                return http_error(r, 404, "no_such_device", "no device \"%s\" is enrolled", id);
        if (k >= 0)
                k = report_stream_head(st);
        if (k == -ENOMEM)
                return http_error(r, 503, "out_of_memory", "cannot build the reply");
        if (k < 0) {
                log_error_errno(k, "Fleet query %s failed: %s", r->path, store_error(r->server->store_ro));
                return http_error(r, 503, "storage_unavailable", "cannot read the fleet state now; retry later");
        }
        st->req = r->req;
        st->conn = r->conn;
        st->left = st->q.limit;
        st->batch = REPORTS_BATCH_FIRST;
        st->last_seq = st->q.after_seq;
        st->evcon = evhttp_request_get_connection(r->req);
        evhttp_connection_set_closecb(st->evcon, report_stream_closed, st);
        evhttp_add_header(evhttp_request_get_output_headers(r->req), "Content-Type", "application/json");
        evhttp_send_reply_start(r->req, 200, "OK");
        report_stream_next(NULL, TAKE_PTR(st));
        return 0;
}
