/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <syslog.h>
#include <unistd.h>

#include <openssl/hmac.h>

#include "alerts.h"
#include "api-fleet.h"
#include "cleanup.h"
#include "json-util.h"
#include "log.h"
#include "parse-util.h"
#include "pki.h"
#include "store-alerts.h"
#include "time-util.h"
#include "transport.h"

#define ALERT_BATCH 50u
#define ALERT_TIMEOUT_USEC (10 * USEC_PER_SEC)
#define ALERT_BACKOFF_MAX_USEC (300 * USEC_PER_SEC)
#define STALE_SCAN_USEC (60 * USEC_PER_SEC)
#define ALERT_REPLY_MAX 4096

typedef enum Sink {
        SINK_WEBHOOK,
        SINK_FILE,
        SINK_SYSLOG,
} Sink;

typedef struct AlertState {
        const char *name; /* the cursor's name: the alert's, or "@file", "@syslog" */
        Sink sink;
        const AlertConfig *config; /* SINK_WEBHOOK */
        Transport *transport;      /* SINK_WEBHOOK, made at the first delivery, kept alive */
        const char *path;          /* of config->url, "/…" with its query */
        int64_t cursor;
        bool cursor_known;
        unsigned failures;
        usec_t next_try; /* monotonic */
} AlertState;

struct Alerts {
        const ServerConfig *config;
        Store *store;
        AlertState *alerts;
        size_t n_alerts;
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        bool exit;
        usec_t next_stale_scan;
};

/* Slack and Teams read "text" as markup: the device's strings must not make links. */
static void text_escaped(FILE *f, const char *s) {
        for (; s && *s; s++)
                switch (*s) {
                case '&': fputs("&amp;", f); break;
                case '<': fputs("&lt;", f); break;
                case '>': fputs("&gt;", f); break;
                default: fputc(*s, f);
                }
}

static char *event_text(const AlertEventRow *e) {
        _cleanup_free_ char *t = NULL;
        size_t n = 0;
        char when[RFC3339_MAX];
        FILE *f = open_memstream(&t, &n);

        if (!f)
                return NULL;
        fputs("Vigie: ", f);
        text_escaped(f, e->hostname ?: e->device_id);
        if (e->os_id) {
                fputs(" (", f);
                text_escaped(f, e->os_id);
                fputc(' ', f);
                text_escaped(f, e->os_version);
                fputc(')', f);
        }
        if (streq(e->kind, "noncompliant")) {
                fputs(" is not compliant: ", f);
                text_escaped(f, e->failing ?: "?");
        } else if (streq(e->kind, "compliant"))
                fputs(" is compliant", f);
        else if (streq(e->kind, "flagged")) {
                fputs(" was flagged (possible clone or replay): ", f);
                text_escaped(f, e->reason ?: "?");
        } else if (streq(e->kind, "stale"))
                fprintf(f, " has not reported since %s", format_rfc3339((usec_t) e->at * USEC_PER_SEC, when));
        else if (streq(e->kind, "revoked"))
                fputs(" was revoked", f);
        else
                fputs(" enrolled", f);
        if (fclose(f) != 0)
                return NULL;
        return TAKE_PTR(t);
}

/* The generic JSON body; its "text" is what Slack and Teams incoming webhooks show. */
static char *event_body(const char *alert, const AlertEventRow *e, const char *key) {
        _cleanup_json_ json_object *j = json_object_new_object();
        _cleanup_free_ char *text = event_text(e);
        json_object *os = NULL, *failing = json_object_new_array();
        char when[RFC3339_MAX];

        if (!j || !text || json_add(j, "failing_checks", failing) < 0 || !failing)
                return NULL;
        for (const char *p = e->failing; p && *p;) {
                size_t n = strcspn(p, ",");
                if (json_object_array_add(failing, json_object_new_string_len(p, (int) n)) < 0)
                        return NULL;
                p += n + (p[n] == ',');
        }
        /* the same keys in every event (docs/alerts.md): null when unknown */
        if (!e->os_id ? json_add(j, "os", NULL) < 0
                      : (!(os = json_object_new_object()) || json_add(j, "os", os) < 0 ||
                         json_add_string(os, "id", e->os_id) < 0 ||
                         json_add_string(os, "version_id", e->os_version) < 0))
                return NULL;
        if (json_add_string(j, "id", key) < 0 || json_add_string(j, "event", e->kind) < 0 ||
            json_add_string(j, "alert", alert) < 0 ||
            json_add_string(j, "at", format_rfc3339((usec_t) e->at * USEC_PER_SEC, when)) < 0 ||
            json_add_string(j, "device_id", e->device_id) < 0 ||
            json_add_string(j, "hostname", e->hostname) < 0 ||
            json_add_string(j, "reason", e->reason) < 0 || json_add_string(j, "text", text) < 0)
                return NULL;
        return strdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
}

static bool event_matches(const AlertConfig *a, const AlertEventRow *e) {
        AlertEvent k = alert_event_from_string(e->kind);
        bool ok;

        if (k < 0 || !(a->events & (1u << k)))
                return false;
        if (a->os) {
                char osv[256];
                snprintf(osv, sizeof osv, "%s:%s", strempty(e->os_id), strempty(e->os_version));
                if (!e->os_id || (!strv_contains(a->os, e->os_id) && !strv_contains(a->os, osv)))
                        return false;
        }
        if (a->checks && k == ALERT_EVENT_NONCOMPLIANT) {
                ok = false;
                for (const char *p = e->failing; p && *p && !ok;) {
                        size_t n = strcspn(p, ",");
                        for (char **c = a->checks; *c && !ok; c++)
                                ok = strlen(*c) == n && strncmp(*c, p, n) == 0;
                        p += n + (p[n] == ',');
                }
                return ok;
        }
        return true;
}

/* The webhook's HTTPS client: its CA= or the system's trust store, its client certificate
 * if any. */
static int alert_transport(AlertState *st) {
        _cleanup_(X509_freep) X509 *cert = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_free_ char *server = NULL, *key_uri = NULL;
        const AlertConfig *a = st->config;
        const char *path = strchr(a->url + strlen("https://"), '/');
        int r;

        if (st->transport)
                return 0;
        if (a->cert) {
                r = pki_load_cert(a->cert, &cert);
                if (r < 0)
                        return log_warning_errno(r, "Alert \"%s\": cannot read Certificate=%s: %s", a->name, a->cert,
                                                 r == -ENOMEM ? strerror(-r) : "not a PEM certificate");
                if (asprintf(&key_uri, "file:%s", a->key) < 0)
                        return log_oom();
                r = pki_load_any_key(key_uri, &key);
                if (r < 0)
                        return log_warning_errno(r, "Alert \"%s\": cannot read Key=%s: no private key in it", a->name,
                                                 a->key);
        }
        server = path ? strndup(a->url, (size_t) (path - a->url)) : strdup(a->url);
        if (!server)
                return log_oom();
        r = transport_new(&(TransportOptions) { .server_url = server, .ca_file = a->ca, .system_ca = !a->ca,
                                                .cert = cert, .key = key, .timeout = ALERT_TIMEOUT_USEC,
                                                .max_response = ALERT_REPLY_MAX },
                          &st->transport);
        if (r < 0)
                return log_warning_errno(r, "Alert \"%s\": cannot POST to %s: %s", a->name, a->url,
                                         r == -EINVAL ? "not an https://host[:port]/path URL" : strerror(-r));
        st->path = path ?: "/";
        return 0;
}

/* POSTs one event. 0 on a 2xx, -EIO (logged) otherwise. */
static int deliver(AlertState *st, const AlertEventRow *e) {
        _cleanup_(transport_response_done) TransportResponse resp = {};
        _cleanup_free_ char *body = NULL, *err = NULL;
        const AlertConfig *a = st->config;
        char key[64], sig_hex[2 * EVP_MAX_MD_SIZE + 1], h_sig[200], h_key[100], h_event[64];
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned mac_len = 0;
        int r;

        snprintf(key, sizeof key, "vigie-event-%" PRId64, e->id);
        body = event_body(a->name, e, key);
        if (!body)
                return -ENOMEM;
        if (!HMAC(EVP_sha256(), a->secret, (int) strlen(a->secret), (const unsigned char *) body,
                  strlen(body), mac, &mac_len))
                return -EIO;
        for (unsigned i = 0; i < mac_len; i++)
                snprintf(sig_hex + 2 * i, 3, "%02x", mac[i]);
        snprintf(h_sig, sizeof h_sig, "X-Vigie-Signature: sha256=%s", sig_hex);
        snprintf(h_key, sizeof h_key, "Idempotency-Key: %s", key);
        snprintf(h_event, sizeof h_event, "X-Vigie-Event: %s", e->kind);
        if (alert_transport(st) < 0)
                return -EIO;
        r = transport_request(st->transport, "POST", st->path, "application/json", body, strlen(body),
                              (char *const[]) { h_sig, h_key, h_event, NULL }, &resp, &err);
        if (r >= 0 && resp.status >= 200 && resp.status < 300)
                return 0;
        if (r < 0)
                log_warning("Alert \"%s\": cannot POST event %" PRId64 " to %s: %s", a->name, e->id, a->url,
                            err ?: strerror(-r));
        else
                log_warning("Alert \"%s\": %s answered %ld to event %" PRId64 "; will retry.", a->name,
                            a->url, resp.status, e->id);
        return -EIO;
}

/* One JSON line per event, "alert": null; appended with O_APPEND so that logrotate's
 * copytruncate or a move-and-reopen both work. */
static int write_line(Alerts *al, Sink sink, const AlertEventRow *e) {
        _cleanup_free_ char *body = NULL;
        char key[64];

        snprintf(key, sizeof key, "vigie-event-%" PRId64, e->id);
        body = event_body(NULL, e, key);
        if (!body)
                return -ENOMEM;
        if (sink == SINK_SYSLOG) {
                syslog(LOG_NOTICE, "%s", body);
                return 0;
        }
        _cleanup_close_ int fd = open(al->config->events_file,
                                      O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
        if (fd < 0) {
                log_warning_errno(errno, "Cannot open the event file \"%s\": %m", al->config->events_file);
                return -EIO;
        }
        size_t n = strlen(body);
        body[n] = '\n'; /* replaces the NUL: the line is written with one write() */
        if (write(fd, body, n + 1) != (ssize_t) (n + 1) || fsync(fd) < 0) {
                log_warning_errno(errno, "Cannot write to the event file \"%s\": %m", al->config->events_file);
                return -EIO;
        }
        return 0;
}

typedef struct Walk {
        Alerts *al;
        AlertState *st;
        unsigned n; /* events dealt with */
} Walk;

static int walk_event(const AlertEventRow *e, void *userdata) {
        Walk *w = userdata;
        int r = 0;

        if (w->st->sink != SINK_WEBHOOK)
                r = write_line(w->al, w->st->sink, e);
        else if (event_matches(w->st->config, e))
                r = deliver(w->st, e);
        if (r < 0)
                return r;
        /* Step 3 of docs/internals/alerts.md: the cursor moves only after the 2xx; a crash
         * before this line delivers the event again, with the same Idempotency-Key. */
        r = store_alert_cursor_set(w->al->store, w->st->name, e->id);
        if (r < 0)
                return r;
        w->st->cursor = e->id;
        w->n++;
        return 0;
}

/* Returns true when a full batch went through: more may be waiting, no need to sleep. */
static bool run_alert(Alerts *al, AlertState *st) {
        usec_t now = now_monotonic();
        int r;

        if (now < st->next_try)
                return false;
        if (!st->cursor_known) {
                /* a new alert starts with the events after it was configured */
                r = store_alert_cursor_get(al->store, st->name, &st->cursor);
                if (r == -ENOENT) {
                        r = store_alert_last_id(al->store, &st->cursor);
                        if (r >= 0)
                                r = store_alert_cursor_set(al->store, st->name, st->cursor);
                }
                if (r < 0) {
                        log_warning_errno(r, "Alert \"%s\": cannot read its cursor: %s", st->name,
                                          store_error(al->store));
                        return false;
                }
                st->cursor_known = true;
        }
        Walk w = { al, st };
        r = store_alert_events(al->store, st->cursor, ALERT_BATCH, walk_event, &w);
        if (r >= 0) {
                st->failures = 0;
                return w.n == ALERT_BATCH;
        }
        if (r != -EIO || st->failures == 0)
                log_debug_errno(r, "Alert \"%s\" paused.", st->name);
        st->failures++;
        usec_t backoff = USEC_PER_SEC << MIN(st->failures - 1, 16u);
        st->next_try = now + MIN(backoff, ALERT_BACKOFF_MAX_USEC);
        return false;
}

static void scan_stale(Alerts *al) {
        FleetTimes t;
        int r;

        if (now_monotonic() < al->next_stale_scan)
                return;
        al->next_stale_scan = now_monotonic() + STALE_SCAN_USEC;
        r = fleet_times_of(al->store, al->config, &t);
        if (r >= 0)
                r = store_begin(al->store);
        if (r >= 0) {
                r = store_alert_mark_stale(al->store, t.stale_before, (int64_t) (now_realtime() / USEC_PER_SEC));
                int k = r >= 0 ? store_commit(al->store) : store_rollback(al->store);
                r = r < 0 ? r : k;
        }
        if (r < 0)
                log_warning_errno(r, "Cannot record stale devices' alerts: %s", store_error(al->store));
}

static void *alert_thread(void *userdata) {
        Alerts *al = userdata;

        pthread_mutex_lock(&al->lock);
        while (!al->exit) {
                bool more = false;
                pthread_mutex_unlock(&al->lock);
                scan_stale(al);
                for (size_t i = 0; i < al->n_alerts; i++)
                        more = run_alert(al, &al->alerts[i]) || more;
                pthread_mutex_lock(&al->lock);
                if (al->exit)
                        break;
                if (more)
                        continue; /* a backlog: on without waiting */
                struct timespec until;
                clock_gettime(CLOCK_REALTIME, &until);
                until.tv_sec += 1; /* new events are looked for each second */
                pthread_cond_timedwait(&al->cond, &al->lock, &until);
        }
        pthread_mutex_unlock(&al->lock);
        return NULL;
}

int alerts_start(const ServerConfig *config, const char *db_url, Alerts **ret) {
        _cleanup_free_ char *error = NULL;
        Alerts *al;
        int r;

        size_t n = config->n_alerts + !!config->events_file + config->events_syslog;

        *ret = NULL;
        if (n == 0)
                return 0;
        al = calloc(1, sizeof(Alerts));
        if (!al)
                return -ENOMEM;
        pthread_mutex_init(&al->lock, NULL);
        pthread_cond_init(&al->cond, NULL);
        al->config = config;
        al->alerts = calloc(n, sizeof(AlertState));
        if (!al->alerts) {
                alerts_stop(al);
                return -ENOMEM;
        }
        for (size_t i = 0; i < config->n_alerts; i++)
                al->alerts[al->n_alerts++] = (AlertState) { .name = config->alerts[i].name,
                                                            .sink = SINK_WEBHOOK,
                                                            .config = &config->alerts[i] };
        if (config->events_file)
                al->alerts[al->n_alerts++] = (AlertState) { .name = "@file", .sink = SINK_FILE };
        if (config->events_syslog)
                al->alerts[al->n_alerts++] = (AlertState) { .name = "@syslog", .sink = SINK_SYSLOG };
        r = store_open(db_url, &al->store, &error);
        if (r < 0) {
                log_error_errno(r, "Alerts: cannot open the database: %s", strnull(error));
                alerts_stop(al);
                return r;
        }
        r = -pthread_create(&al->thread, NULL, alert_thread, al);
        if (r < 0) {
                store_free(TAKE_PTR(al->store));
                alerts_stop(al);
                return r;
        }
        *ret = al;
        return 0;
}

Alerts *alerts_stop(Alerts *al) {
        if (!al)
                return NULL;
        if (al->store) { /* the thread runs only when the store was opened */
                pthread_mutex_lock(&al->lock);
                al->exit = true;
                pthread_cond_signal(&al->cond);
                pthread_mutex_unlock(&al->lock);
                pthread_join(al->thread, NULL);
        }
        store_free(al->store);
        for (size_t i = 0; al->alerts && i < al->n_alerts; i++)
                transport_free(al->alerts[i].transport);
        free(al->alerts);
        pthread_mutex_destroy(&al->lock);
        pthread_cond_destroy(&al->cond);
        free(al);
        return NULL;
}
