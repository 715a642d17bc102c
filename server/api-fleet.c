/* SPDX-License-Identifier: MIT */
/* Handlers of the fleet query API. They parse and validate the request (400 with the
 * reason), ask store-fleet.c, and shape JSON; the export streams pages of devices as HTTP
 * chunks so memory stays flat whatever the fleet size. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>

#include "api-fleet.h"
#include "cleanup.h"
#include "device-key.h"
#include "fleet-query.h"
#include "json-util.h"
#include "log.h"
#include "metrics.h"
#include "parse-util.h"
#include "policy.h"
#include "report.h"
#include "store-fleet.h"
#include "store-identity.h"
#include "text-util.h"
#include "time-util.h"

#define HISTORY_MAX 500u
#define EXPORT_PAGE 1000u

/* 400 for a query parameter not in allowed (NULL-terminated). */
static int only_params(Request *r, const char *const *allowed, const char *expected) {
        struct evkeyval *kv;

        TAILQ_FOREACH(kv, &r->query, next) {
                bool ok = false;
                for (const char *const *a = allowed; *a; a++)
                        ok = ok || streq(kv->key, *a);
                if (!ok)
                        return http_error(r, 400, "bad_filter", "unknown parameter \"%s\": expected %s",
                                          kv->key, expected);
        }
        return 0;
}

static int storage_error(Request *r, int k) {
        log_error_errno(k, "Fleet query %s failed: %s", r->path, store_error(r->server->store_ro));
        return http_error(r, 503, "storage_unavailable", "cannot read the fleet state now; retry later");
}

int fleet_times(Server *s, FleetTimes *ret) {
        return fleet_times_of(s->store_ro, s->config, ret);
}

int fleet_times_of(Store *store, const ServerConfig *config, FleetTimes *ret) {
        _cleanup_free_ char *text = NULL;
        _cleanup_json_ json_object *j = NULL;
        int64_t interval = 0, now = (int64_t) (now_realtime() / USEC_PER_SEC);
        usec_t after = config->stale_after;
        int k;

        if (after == 0) {
                k = store_meta_get(store, "policy", &text);
                if (k < 0 && k != -ENOENT)
                        return k;
                if (text && json_parse(text, strlen(text), &j, NULL) >= 0)
                        (void) json_get_int(j, "", "report_interval_s", 1, INT32_MAX, &interval, NULL);
                if (interval <= 0) {
                        _cleanup_(policy_freep) Policy *p = policy_new_default();
                        if (!p)
                                return -ENOMEM;
                        interval = p->report_interval_s;
                }
                after = 3 * (usec_t) interval * USEC_PER_SEC;
        }
        *ret = (FleetTimes) {
                .stale_before = now - (int64_t) (after / USEC_PER_SEC),
                .flagged_after = now - (int64_t) (config->flag_window / USEC_PER_SEC),
        };
        return 0;
}

static int add_time(json_object *o, const char *key, int64_t t) {
        char buf[RFC3339_MAX];
        return json_add_string(o, key, t > 0 ? format_rfc3339((usec_t) t * USEC_PER_SEC, buf) : NULL);
}

int fleet_counts_json(json_object *j, const FleetSummary *s) {
        json_object *d = json_object_new_object(), *c = json_object_new_object();

        if (json_add(j, "devices", d) < 0 || json_add(j, "checks", c) < 0 || !d || !c)
                return -ENOMEM;
        if (json_add_int(d, "enrolled", s->enrolled) < 0 ||
            json_add_int(d, "reporting", s->reporting) < 0 ||
            json_add_int(d, "compliant", s->compliant) < 0 ||
            json_add_int(d, "noncompliant", s->noncompliant) < 0 ||
            json_add_int(d, "stale", s->stale) < 0 || json_add_int(d, "pending", s->pending) < 0 ||
            json_add_int(d, "revoked", s->revoked) < 0 || json_add_int(d, "flagged", s->flagged) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_checks; i++) {
                json_object *k = json_object_new_object();
                if (!k || json_add(c, s->checks[i].check_id, k) < 0)
                        return -ENOMEM;
                for (int st = 0; st < _CHECK_STATUS_MAX; st++)
                        if (json_add_int(k, check_status_to_string(st), s->checks[i].n[st]) < 0)
                                return -ENOMEM;
        }
        return 0;
}

static json_object *summary_json(const FleetSummary *s, const FleetTimes *t) {
        _cleanup_json_ json_object *j = json_object_new_object();
        int64_t now = (int64_t) (now_realtime() / USEC_PER_SEC);

        if (!j || fleet_counts_json(j, s) < 0)
                return NULL;
        /* devices whose latest report named another policy than the current one (beside
         * "devices", whose counts the history keeps too) */
        if (json_add_int(j, "policy_outdated", s->policy_outdated) < 0 ||
            add_time(j, "generated_at", now) < 0 ||
            json_add_int(j, "stale_after_s", now - t->stale_before) < 0 ||
            json_add_int(j, "flag_window_s", now - t->flagged_after) < 0)
                return NULL;
        return TAKE_PTR(j);
}

/* The summary as of now, or the 503 already sent. */
static int load_summary(Request *r, FleetTimes *t, FleetSummary *s) {
        int k = fleet_times(r->server, t);
        if (k >= 0)
                k = store_fleet_summary(r->server->store_ro, t, s);
        return k < 0 ? storage_error(r, k) : 0;
}

int route_fleet_summary(Request *r) {
        _cleanup_(fleet_summary_done) FleetSummary s = {};
        _cleanup_json_ json_object *j = NULL;
        FleetTimes t;

        if (load_summary(r, &t, &s) < 0)
                return -EIO;
        j = summary_json(&s, &t);
        if (!j)
                return http_error(r, 503, "out_of_memory", "cannot build the reply");
        return http_reply_json(r, 200, j);
}

/* Comma-separated ids → JSON array. */
static json_object *failing_json(const char *failing) {
        json_object *a = json_object_new_array();
        for (const char *p = failing; a && p && *p;) {
                size_t n = strcspn(p, ",");
                if (n > 0 && json_object_array_add(a, json_object_new_string_len(p, (int) n)) < 0) {
                        json_object_put(a);
                        return NULL;
                }
                p += n + (p[n] == ',');
        }
        return a;
}

/* "policy": the policy its latest report named, and "policy_current": whether that is the
 * current one (false: the verdict is the current policy's, from checks the device ran
 * under an older one). Both null when unknown (no report since the server records it). */
static int device_policy_json(json_object *j, const FleetDevice *d) {
        json_object *p;

        if (!d->policy_id)
                return json_add(j, "policy", NULL) < 0 || json_add(j, "policy_current", NULL) < 0 ? -ENOMEM : 0;
        p = json_object_new_object();
        if (!p || json_add(j, "policy", p) < 0 || json_add_string(p, "id", d->policy_id) < 0 ||
            json_add_int(p, "version", d->policy_version) < 0 ||
            json_add_bool(j, "policy_current", d->policy_current) < 0)
                return -ENOMEM;
        return 0;
}

static json_object *device_json(const FleetDevice *d, const FleetTimes *t) {
        _cleanup_json_ json_object *j = json_object_new_object();
        json_object *os = NULL;

        if (!j || json_add_string(j, "device_id", d->device_id) < 0 ||
            json_add_string(j, "hostname", d->hostname) < 0)
                return NULL;
        if (d->has_report) {
                os = json_object_new_object();
                if (!os || json_add(j, "os", os) < 0 || json_add_string(os, "id", d->os_id) < 0 ||
                    json_add_string(os, "version_id", d->os_version) < 0 ||
                    json_add_string(os, "pretty", d->os_pretty) < 0)
                        return NULL;
        } else if (json_add(j, "os", NULL) < 0)
                return NULL;
        if (add_time(j, "last_report", d->received_at) < 0 ||
            add_time(j, "report_issued_at", d->report_at) < 0 ||
            (d->has_report ? json_add_int(j, "seq", d->seq) : json_add(j, "seq", NULL)) < 0 ||
            json_add_string(j, "verdict", fleet_device_verdict(d, t)) < 0 ||
            json_add(j, "failing_checks", failing_json(d->failing)) < 0 ||
            add_time(j, "noncompliant_since", d->noncompliant_since) < 0 ||
            json_add_bool(j, "flagged", fleet_device_flagged(d, t)) < 0 ||
            add_time(j, "enrolled_at", d->enrolled_at) < 0 || device_policy_json(j, d) < 0 ||
            json_add_string(j, "key_kind", device_key_to_string(device_key_from_string(d->key_kind))) < 0)
                return NULL;
        return TAKE_PTR(j);
}

typedef struct ListState {
        json_object *devices;
        const FleetQuery *q;
        FleetTimes times;
        unsigned n;
        char *next_cursor;
} ListState;

static int list_row(const FleetDevice *d, void *userdata) {
        ListState *st = userdata;
        json_object *j;

        if (st->n++ == st->q->limit)
                return 0; /* the extra row only says that there is a next page */
        j = device_json(d, &st->times);
        if (!j || json_object_array_add(st->devices, j) < 0)
                return -ENOMEM;
        if (st->n == st->q->limit) {
                int64_t key_int = st->q->sort == FLEET_SORT_LAST_REPORT ? d->received_at
                                                                        : d->noncompliant_since;
                free(st->next_cursor);
                st->next_cursor = fleet_cursor_encode(st->q, key_int, strempty(d->hostname),
                                                      d->device_id);
                if (!st->next_cursor)
                        return -ENOMEM;
        }
        return 0;
}

static const char *request_query_string(Request *r) {
        const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(r->req);
        return uri ? evhttp_uri_get_query(uri) : NULL;
}

int route_fleet_devices(Request *r) {
        _cleanup_(fleet_query_freep) FleetQuery *q = NULL;
        _cleanup_free_ char *err = NULL, *cursor = NULL;
        _cleanup_json_ json_object *j = json_object_new_object();
        ListState st = {};
        FleetFilter filter;
        int k;

        k = fleet_query_parse(request_query_string(r), &q, &err);
        if (k == -ENOMEM || !j)
                return http_error(r, 503, "out_of_memory", "cannot build the reply");
        if (k < 0)
                return http_error(r, 400, "bad_filter", "%s", strnull(err));
        st = (ListState) { .devices = json_object_new_array(), .q = q };
        if (!st.devices || json_add(j, "devices", st.devices) < 0)
                return http_error(r, 503, "out_of_memory", "cannot build the reply");
        fleet_query_filter(q, &filter);
        k = fleet_times(r->server, &st.times);
        if (k >= 0)
                k = store_fleet_devices(r->server->store_ro, &filter, &st.times, list_row, &st);
        cursor = st.next_cursor;
        if (k == -ENOMEM)
                return http_error(r, 503, "out_of_memory", "cannot build the reply");
        if (k < 0)
                return storage_error(r, k);
        if (json_add_string(j, "next_cursor", st.n > q->limit ? cursor : NULL) < 0)
                return http_error(r, 503, "out_of_memory", "cannot build the reply");
        return http_reply_json(r, 200, j);
}

typedef struct DetailState {
        json_object *device;
        FleetTimes times;
} DetailState;

static int device_row_json(const FleetDevice *d, void *userdata) {
        DetailState *st = userdata;
        st->device = device_json(d, &st->times);
        return st->device ? 0 : -ENOMEM;
}

static int history_row(const FleetHistory *h, void *userdata) {
        json_object *a = userdata, *o = json_object_new_object();
        if (!o || json_object_array_add(a, o) < 0 || json_add_string(o, "check", h->check_id) < 0 ||
            json_add_string(o, "status", h->status) < 0 || add_time(o, "since", h->changed_at) < 0 ||
            json_add_int(o, "seq", h->seq) < 0)
                return -ENOMEM;
        return 0;
}

typedef struct CertsState {
        json_object *pems;    /* every certificate's PEM, for auditors */
        json_object *current; /* identity: the device's current certificate */
        const char *current_serial;
} CertsState;

static int cert_row(const FleetCert *c, void *userdata) {
        CertsState *st = userdata;
        if (c->pem && json_object_array_add(st->pems, json_object_new_string(c->pem)) < 0)
                return -ENOMEM;
        if (st->current && streq_ptr(c->serial, st->current_serial) &&
            add_time(st->current, "certificate_issued_at", c->issued_at) < 0)
                return -ENOMEM;
        return 0;
}

static int identity_event_row(const StoreIdentityEvent *e, void *userdata) {
        json_object *o = json_object_new_object();
        if (!o || json_object_array_add(userdata, o) < 0) {
                json_object_put(o);
                return -ENOMEM;
        }
        if (add_time(o, "at", e->at) < 0 || json_add_string(o, "event", e->kind) < 0 ||
            json_add_string(o, "serial", e->cert_serial) < 0 || json_add_string(o, "detail", e->detail) < 0)
                return -ENOMEM;
        return 0;
}

/* How the device got each certificate: enrolled, re-enrolled (with its certificate or an
 * administrator's reset token), renewed. */
static int identity_history(Store *s, const char *id, json_object *ident) {
        json_object *events = json_object_new_array();
        if (!events || json_add(ident, "events", events) < 0)
                return -ENOMEM;
        return store_identity_events(s, id, identity_event_row, events);
}

static int device_detail(Request *r, const char *id) {
        StoreDevice dev = {};
        _cleanup_json_ json_object *j = NULL, *claims_json = NULL;
        _cleanup_free_ char *claims = NULL;
        json_object *ident, *latest, *history, *pems;
        Store *s = r->server->store_ro;
        DetailState ds = {};
        CertsState cs = {};
        int k;

        k = fleet_times(r->server, &ds.times);
        if (k >= 0)
                k = store_fleet_device(s, id, device_row_json, &ds);
        j = ds.device;
        if (k == -ENOENT)
                return http_error(r, 404, "no_such_device", "no device \"%s\" is enrolled", id);
        if (k < 0)
                return storage_error(r, k);
        k = store_device_get(s, id, &dev);
        if (k < 0) {
                store_device_done(&dev);
                return storage_error(r, k);
        }
        ident = json_object_new_object();
        history = json_object_new_array();
        pems = json_object_new_array();
        if (json_add(j, "identity", ident) < 0 || json_add(j, "history", history) < 0 ||
            json_add(j, "certificates", pems) < 0 || !ident || !history || !pems ||
            json_add_string(ident, "serial", dev.cert_serial) < 0 ||
            json_add_string(ident, "fingerprint", dev.cert_fingerprint) < 0 ||
            add_time(ident, "not_before", dev.cert_not_before) < 0 ||
            add_time(ident, "not_after", dev.cert_not_after) < 0 ||
            add_time(ident, "enrolled_at", dev.enrolled_at) < 0 ||
            json_add_string(ident, "key_kind", dev.key_kind) < 0 ||
            add_time(ident, "revoked_at", dev.revoked_at) < 0 ||
            add_time(ident, "flagged_at", dev.flagged_at) < 0 ||
            json_add_string(ident, "flag_reason", dev.flag_reason) < 0) {
                store_device_done(&dev);
                return http_error(r, 503, "out_of_memory", "cannot build the reply");
        }
        cs = (CertsState) { .pems = pems, .current = ident, .current_serial = dev.cert_serial };
        k = store_fleet_certificates(s, id, cert_row, &cs);
        store_device_done(&dev);
        if (k >= 0)
                k = store_fleet_history(s, id, HISTORY_MAX, history_row, history);
        if (k >= 0)
                k = identity_history(s, id, ident);
        if (k >= 0) {
                k = store_fleet_latest_claims(s, id, &claims);
                if (k == -ENOENT)
                        k = 0;
        }
        if (k < 0)
                return k == -ENOMEM ? http_error(r, 503, "out_of_memory", "cannot build the reply")
                                    : storage_error(r, k);
        /* the claims as stored: every check with its evidence */
        if (claims && json_parse(claims, strlen(claims), &claims_json, NULL) < 0)
                claims_json = NULL;
        latest = claims_json ? json_object_new_object() : NULL;
        if (latest && (json_add(latest, "claims", TAKE_PTR(claims_json)) < 0 ||
                       json_add_int(latest, "seq", json_object_get_int64(json_object_object_get(j, "seq"))) < 0)) {
                json_object_put(latest);
                return http_error(r, 503, "out_of_memory", "cannot build the reply");
        }
        if (json_add(j, "latest", latest) < 0)
                return http_error(r, 503, "out_of_memory", "cannot build the reply");
        return http_reply_json(r, 200, j);
}

int route_fleet_device(Request *r) {
        static const char prefix[] = "/v1/fleet/devices/";
        const char *rest = r->path + strlen(prefix);
        size_t n = strcspn(rest, "/");
        _cleanup_free_ char *id = strndup(rest, n);

        if (!id)
                return http_error(r, 503, "out_of_memory", "cannot build the reply");
        if (!uuid_string_is_valid(id))
                return http_error(r, 404, "no_such_device", "\"%.64s\" is not a device id "
                                  "(a lower-case UUID)", id);
        if (rest[n] == 0) {
                if (only_params(r, (const char *const[]) { NULL }, "none") < 0)
                        return -EINVAL;
                return device_detail(r, id);
        }
        if (streq(rest + n, "/reports"))
                return route_device_reports(r, id);
        return http_error(r, 404, "not_found", "no route %s", r->path);
}

/* ---- export: pages of EXPORT_PAGE devices, each sent as one chunk once the previous
 * one has left, so a slow reader holds back the database reads instead of our memory. */

typedef struct Export {
        Server *server;
        struct evhttp_request *req;
        struct evhttp_connection *evcon;
        Conn *conn;
        bool csv;
        FleetTimes times;
        const char *key_kind; /* key=: a static name; NULL: any */
        bool policy_outdated; /* policy=outdated */
        char *after; /* last device id sent */
        struct evbuffer *buf;
        unsigned n_page;
} Export;

static Export *export_free(Export *e) {
        if (!e)
                return NULL;
        if (e->evcon)
                evhttp_connection_set_closecb(e->evcon, NULL, NULL);
        if (e->buf)
                evbuffer_free(e->buf);
        free(e->after);
        free(e);
        return NULL;
}

static void csv_field(struct evbuffer *b, const char *s, bool last) {
        bool formula = csv_cell_is_formula(s);

        if (s && (formula || strpbrk(s, ",\"\r\n"))) {
                /* OWASP: a cell a spreadsheet would evaluate starts with a quote. */
                evbuffer_add(b, "\"'", formula ? 2 : 1);
                for (const char *p = s; *p; p++) {
                        if (*p == '"')
                                evbuffer_add(b, "\"", 1);
                        evbuffer_add(b, p, 1);
                }
                evbuffer_add(b, "\"", 1);
        } else if (s)
                evbuffer_add(b, s, strlen(s));
        evbuffer_add(b, last ? "\r\n" : ",", last ? 2 : 1);
}

static int export_row(const FleetDevice *d, void *userdata) {
        Export *e = userdata;
        char last[RFC3339_MAX] = "", since[RFC3339_MAX] = "", version[24] = "";

        if (++e->n_page > EXPORT_PAGE)
                return 0; /* the first row of the next page */
        free(e->after);
        e->after = strdup(d->device_id);
        if (!e->after)
                return -ENOMEM;
        if (!e->csv) {
                _cleanup_json_ json_object *j = device_json(d, &e->times);
                const char *text;
                if (!j)
                        return -ENOMEM;
                text = json_compact(j);
                return evbuffer_add(e->buf, text, strlen(text)) < 0 || evbuffer_add(e->buf, "\n", 1) < 0
                               ? -ENOMEM : 0;
        }
        if (d->received_at)
                format_rfc3339((usec_t) d->received_at * USEC_PER_SEC, last);
        if (d->noncompliant_since)
                format_rfc3339((usec_t) d->noncompliant_since * USEC_PER_SEC, since);
        csv_field(e->buf, d->device_id, false);
        csv_field(e->buf, d->hostname, false);
        csv_field(e->buf, d->os_id, false);
        csv_field(e->buf, d->os_version, false);
        csv_field(e->buf, last, false);
        csv_field(e->buf, fleet_device_verdict(d, &e->times), false);
        csv_field(e->buf, d->failing, false);
        csv_field(e->buf, since, false);
        csv_field(e->buf, fleet_device_flagged(d, &e->times) ? "true" : "false", false);
        csv_field(e->buf, device_key_to_string(device_key_from_string(d->key_kind)), false);
        /* the policy the latest report named: empty cells when unknown (no report) */
        if (d->policy_id)
                snprintf(version, sizeof version, "%" PRId64, d->policy_version);
        csv_field(e->buf, d->policy_id, false);
        csv_field(e->buf, version, false);
        csv_field(e->buf, !d->policy_id ? NULL : d->policy_current ? "true" : "false", true);
        return 0;
}

static void export_next(struct evhttp_connection *evcon, void *userdata);

static void export_closed(struct evhttp_connection *evcon, void *userdata) {
        Export *e = userdata;
        (void) evcon;
        log_info("Export interrupted: the client went away after device %s", strnull(e->after));
        e->evcon = NULL; /* the connection is going; don't touch its callbacks */
        http_stream_abandoned(e->req);
        export_free(e);
}

static void export_next(struct evhttp_connection *evcon, void *userdata) {
        Export *e = userdata;
        FleetFilter f = { .status = FLEET_STATUS_ANY, .sort = FLEET_SORT_DEVICE,
                          .check_status = _CHECK_STATUS_INVALID, .limit = EXPORT_PAGE,
                          .key_kind = e->key_kind, .policy_outdated = e->policy_outdated };
        int k;

        (void) evcon;
        if (e->after) {
                f.after.set = true;
                f.after.device_id = e->after;
        }
        e->n_page = 0;
        k = store_fleet_devices(e->server->store_ro, &f, &e->times, export_row, e);
        if (k < 0) {
                /* The headers are gone: all we can do is cut the stream short, which a
                 * chunked reader sees as an incomplete transfer. Shutting the socket
                 * down lets evhttp free the connection its own way, which calls
                 * export_closed(). */
                evutil_socket_t fd = bufferevent_getfd(evhttp_connection_get_bufferevent(e->evcon));
                log_error_errno(k, "Export failed after device %s: %s", strnull(e->after),
                                store_error(e->server->store_ro));
                if (fd >= 0)
                        (void) shutdown(fd, SHUT_RDWR);
                return;
        }
        if (e->n_page > EXPORT_PAGE) {
                evhttp_send_reply_chunk_with_cb(e->req, e->buf, export_next, e);
                return;
        }
        if (evbuffer_get_length(e->buf) > 0)
                evhttp_send_reply_chunk(e->req, e->buf);
        evhttp_send_reply_end(e->req);
        if (e->conn)
                conn_request_done(e->conn);
        export_free(e);
}

int route_fleet_export(Request *r) {
        const char *format = http_query(r, "format"), *key = http_query(r, "key"),
                   *policy = http_query(r, "policy"), *key_kind = NULL;
        _cleanup_free_ char *err = NULL;
        bool outdated = false;
        Export *e;
        int k;

        if (only_params(r, (const char *const[]) { "format", "key", "policy", NULL },
                        "format, key or policy") < 0)
                return -EINVAL;
        if (format && !streq(format, "csv") && !streq(format, "jsonl"))
                return http_error(r, 400, "bad_filter", "format=\"%s\": expected csv or jsonl", format);
        k = key ? fleet_parse_key(key, &key_kind, &err) : 0;
        if (k >= 0 && policy)
                k = fleet_parse_policy(policy, &outdated, &err);
        if (k == -ENOMEM)
                return http_error(r, 503, "out_of_memory", "cannot build the reply");
        if (k < 0)
                return http_error(r, 400, "bad_filter", "%s", strnull(err));
        e = calloc(1, sizeof(Export));
        if (!e || !(e->buf = evbuffer_new())) {
                free(e);
                return http_error(r, 503, "out_of_memory", "cannot build the reply");
        }
        e->server = r->server;
        e->req = r->req;
        e->conn = r->conn;
        e->csv = !format || streq(format, "csv");
        e->key_kind = key_kind;
        e->policy_outdated = outdated;
        k = fleet_times(r->server, &e->times);
        if (k < 0) {
                export_free(e);
                return storage_error(r, k);
        }
        e->evcon = evhttp_request_get_connection(r->req);
        evhttp_connection_set_closecb(e->evcon, export_closed, e);
        evhttp_add_header(evhttp_request_get_output_headers(r->req), "Content-Type",
                          e->csv ? "text/csv; charset=utf-8" : "application/x-ndjson");
        evhttp_send_reply_start(r->req, 200, "OK");
        if (e->csv)
                evbuffer_add_printf(e->buf, "device_id,hostname,os_id,os_version,last_report,"
                                            "verdict,failing_checks,noncompliant_since,flagged,"
                                            "key_kind,policy_id,policy_version,policy_current\r\n");
        export_next(NULL, e);
        return 0;
}

/* ---- /metrics ---- */

static int write_fleet_metrics(FILE *f, const FleetSummary *s) {
        static const char *const statuses[] = { "compliant", "noncompliant", "stale", "pending",
                                                "revoked", "flagged" };
        const int64_t values[] = { s->compliant, s->noncompliant, s->stale, s->pending,
                                   s->revoked, s->flagged };
        int k;

        k = metrics_write_header(f, "vigie_devices", "gauge",
                                 "Devices by fleet status (flagged overlaps the others).");
        for (size_t i = 0; k >= 0 && i < ELEMENTSOF(statuses); i++)
                k = metrics_write_sample(f, "vigie_devices",
                                         (const char *const[]) { "status", statuses[i], NULL },
                                         (double) values[i]);
        if (k >= 0)
                k = metrics_write_header(f, "vigie_devices_enrolled", "gauge",
                                         "Devices enrolled and not revoked.");
        if (k >= 0)
                k = metrics_write_sample(f, "vigie_devices_enrolled", NULL, (double) s->enrolled);
        if (k >= 0)
                k = metrics_write_header(f, "vigie_check_results", "gauge",
                                         "Latest status of each check across non-revoked devices.");
        for (size_t i = 0; k >= 0 && i < s->n_checks; i++)
                for (int st = 0; k >= 0 && st < _CHECK_STATUS_MAX; st++)
                        k = metrics_write_sample(f, "vigie_check_results",
                                                 (const char *const[]) { "check", s->checks[i].check_id,
                                                                         "status", check_status_to_string(st),
                                                                         NULL },
                                                 (double) s->checks[i].n[st]);
        return k;
}

int route_metrics(Request *r) {
        _cleanup_(fleet_summary_done) FleetSummary s = {};
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FleetTimes t;
        FILE *f;
        int k;

        if (load_summary(r, &t, &s) < 0)
                return -EIO;
        f = open_memstream(&text, &size);
        if (!f)
                return http_error(r, 503, "out_of_memory", "cannot build the reply");
        k = write_fleet_metrics(f, &s);
        if (k >= 0)
                k = metrics_write_server(f, &r->server->metrics, r->server->stats.reports_accepted,
                                         r->server->stats.enrollments);
        if (fclose(f) != 0 || k < 0)
                return http_error(r, 503, "out_of_memory", "cannot build the reply");
        return http_reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, size);
}
