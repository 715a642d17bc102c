/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "api-posture.h"
#include "cleanup.h"
#include "client-cert.h"
#include "json-util.h"
#include "log.h"
#include "policy.h"
#include "posture.h"
#include "store-posture.h"
#include "time-util.h"

#define DEVICE_ID_MAX 64

/* The policy decisions apply: the stored one, parsed again only when its text changes
 * (the server is one event loop: no locking). */
static struct {
        char *text;
        Policy *policy;
} policy_cache;

static int current_policy(Server *s, const Policy **ret) {
        _cleanup_free_ char *text = NULL;
        _cleanup_json_ json_object *j = NULL;
        Policy *p = NULL;
        int k;

        k = store_meta_get(s->store_ro, "policy", &text);
        if (k < 0 && k != -ENOENT)
                return k;
        if (policy_cache.policy && streq_ptr(text, policy_cache.text)) {
                *ret = policy_cache.policy;
                return 0;
        }
        if (text) {
                k = json_parse(text, strlen(text), &j, NULL);
                if (k >= 0)
                        k = policy_from_json(j, 0, &p, NULL);
        } else
                k = (p = policy_new_default()) ? 0 : -ENOMEM;
        if (k < 0)
                return k;
        policy_free(policy_cache.policy);
        free(policy_cache.text);
        policy_cache.policy = p;
        policy_cache.text = TAKE_PTR(text);
        *ret = p;
        return 0;
}

typedef struct Decision {
        const char *device_id;
        const Policy *policy;
        StorePosture state;
        Posture posture;
} Decision;

static void decision_done(Decision *d) {
        store_posture_done(&d->state);
        posture_done(&d->posture);
}

/* The fleet's stale threshold (fleet_times()), from the policy already at hand: StaleAfter=
 * of server.conf, else 3 × the policy's report interval. */
static int64_t stale_before(const Server *s, const Policy *p, int64_t now) {
        usec_t after = s->config->stale_after ?: 3 * (usec_t) p->report_interval_s * USEC_PER_SEC;
        return now - (int64_t) (after / USEC_PER_SEC);
}

/* Decides for device_id; on failure the error reply is already sent. */
static int decide(Request *r, const char *device_id, bool cert_revoked, Decision *d) {
        int64_t now = (int64_t) (now_realtime() / USEC_PER_SEC);
        int k;

        d->device_id = device_id;
        k = current_policy(r->server, &d->policy);
        if (k >= 0)
                k = store_posture_get(r->server->store_ro, device_id, stale_before(r->server, d->policy, now),
                                      &d->state);
        if (k == -ENOENT) {
                metrics_count_posture(&r->server->metrics, "unknown");
                return http_error(r, 404, "unknown_device", "no device \"%s\" is enrolled", device_id);
        }
        if (k < 0) {
                log_error_errno(k, "Posture of %s: cannot read the store: %s", device_id,
                                store_error(r->server->store_ro));
                return http_error(r, 503, "storage_unavailable", "cannot read the device's state now; retry later");
        }
        d->state.input.revoked = d->state.input.revoked || cert_revoked;
        k = posture_decide(&d->state.input, d->policy, now, &d->posture);
        if (k < 0)
                return http_error(r, 503, "out_of_memory", "cannot decide now");
        metrics_count_posture(&r->server->metrics, posture_state_to_string(d->posture.state));
        return 0;
}

static int add_time(json_object *o, const char *key, int64_t t) {
        char buf[RFC3339_MAX];
        return json_add_string(o, key, t > 0 ? format_rfc3339((usec_t) t * USEC_PER_SEC, buf) : NULL);
}

static json_object *decision_json(const Decision *d) {
        _cleanup_json_ json_object *j = json_object_new_object();
        json_object *failing = json_object_new_array(), *policy = json_object_new_object();

        if (!j || !failing || !policy) {
                json_object_put(failing);
                json_object_put(policy);
                return NULL;
        }
        if (json_add(j, "failing", failing) < 0 || json_add(j, "policy", policy) < 0)
                return NULL;
        for (size_t i = 0; i < d->state.n_failing; i++)
                if (policy_check_required(d->policy, d->state.failing[i].id) &&
                    json_object_array_add(failing, json_object_new_string(d->state.failing[i].id)) < 0)
                        return NULL;
        if (json_add_string(j, "device_id", d->device_id) < 0 ||
            json_add_bool(j, "allowed", posture_allowed(&d->posture)) < 0 ||
            json_add_string(j, "state", posture_state_to_string(d->posture.state)) < 0 ||
            json_add_string(j, "verdict", d->posture.verdict) < 0 ||
            json_add_string(j, "reason", d->posture.reason) < 0 ||
            add_time(j, "grace_until", d->posture.grace_until) < 0 ||
            add_time(j, "report_at", d->state.input.has_report ? d->state.input.report_at : 0) < 0 ||
            json_add_string(j, "mode", enforcement_mode_to_string(d->policy->enforcement.mode)) < 0 ||
            json_add_string(policy, "id", d->policy->policy_id) < 0 ||
            json_add_int(policy, "version", d->policy->version) < 0)
                return NULL;
        return TAKE_PTR(j);
}

static int reply_decision(Request *r, const char *device_id, bool cert_revoked) {
        _cleanup_(decision_done) Decision d = {};
        _cleanup_json_ json_object *j = NULL;

        if (decide(r, device_id, cert_revoked, &d) < 0)
                return -EIO;
        j = decision_json(&d);
        if (!j)
                return http_error(r, 503, "out_of_memory", "cannot build the reply");
        return http_reply_json(r, 200, j);
}

static bool device_id_valid(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n > DEVICE_ID_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && s[i] != '-')
                        return false;
        return true;
}

int route_posture_device(Request *r) {
        const char *id = r->path + strlen("/v1/posture/");

        if (!device_id_valid(id))
                return http_error(r, 400, "bad_device_id", "\"%.*s\" is not a device id", DEVICE_ID_MAX, id);
        return reply_decision(r, id, false);
}

/* The device certificate with this fingerprint → its device, revoked if the certificate
 * is. -ENOENT (not answered yet: forward-auth answers with its page) or an error sent. */
static int device_of_fingerprint(Request *r, const char *fingerprint, char **ret_id, bool *ret_revoked) {
        int k = store_posture_cert(r->server->store_ro, fingerprint, ret_id, ret_revoked);
        if (k == -ENOENT)
                metrics_count_posture(&r->server->metrics, "unknown");
        else if (k < 0) {
                log_error_errno(k, "Posture: cannot look up fingerprint %s: %s", fingerprint,
                                store_error(r->server->store_ro));
                return http_error(r, 503, "storage_unavailable", "cannot read the certificates now; retry later");
        }
        return k;
}

int route_posture_query(Request *r) {
        _cleanup_free_ char *id = NULL;
        char fp[SHA256_HEX_SIZE];
        const char *q = http_query(r, "fingerprint");
        bool revoked;
        int k;

        if (!q || strlen(q) != SHA256_HEX_SIZE - 1)
                return http_error(r, 400, "bad_fingerprint",
                                  "expected ?fingerprint= and the 64 hex digits of the SHA-256 of the device certificate's DER");
        for (size_t i = 0; i < SHA256_HEX_SIZE; i++)
                fp[i] = (char) tolower((unsigned char) q[i]);
        if (!sha256_hex_is_valid(fp))
                return http_error(r, 400, "bad_fingerprint", "\"%s\" is not 64 hex digits", q);
        k = device_of_fingerprint(r, fp, &id, &revoked);
        if (k == -ENOENT)
                return http_error(r, 404, "unknown_certificate",
                                  "no device certificate with fingerprint %s was issued by this server", fp);
        if (k < 0)
                return k;
        return reply_decision(r, id, revoked);
}

int route_posture_self(Request *r) {
        return reply_decision(r, r->peer->info.cn, false);
}

static char *html_escape(const char *s) {
        size_t n = 0;
        char *buf, *p;

        for (const char *c = s; *c; c++)
                n += strchr("<>&\"'", *c) ? 6 : 1;
        buf = p = malloc(n + 1);
        if (!buf)
                return NULL;
        for (const char *c = s; *c; c++)
                switch (*c) {
                case '<': p = stpcpy(p, "&lt;"); break;
                case '>': p = stpcpy(p, "&gt;"); break;
                case '&': p = stpcpy(p, "&amp;"); break;
                case '"': p = stpcpy(p, "&quot;"); break;
                case '\'': p = stpcpy(p, "&#39;"); break;
                default: *p++ = *c;
                }
        *p = 0;
        return buf;
}

/* The small page a proxy that passes the auth reply on (Caddy, Traefik) shows. */
static int deny_page(Request *r, const char *reason) {
        _cleanup_free_ char *html = NULL, *escaped = html_escape(reason);
        struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);

        if (!escaped || asprintf(&html,
                     "<!doctype html><meta charset=utf-8><title>Access blocked by Vigie</title>\n"
                     "<h1>Access blocked</h1>\n<p>This laptop does not meet the company's security policy: %s</p>\n"
                     "<p>To fix it, run <code>vigie check</code> on the laptop, follow what it says, "
                     "then <code>vigie report</code>; access comes back with the next compliant report.</p>\n",
                     escaped) < 0)
                return http_error(r, 503, "out_of_memory", "cannot build the reply");
        evhttp_add_header(h, "X-Vigie-Reason", reason);
        return http_reply_text(r, 403, "text/html; charset=utf-8", html, strlen(html));
}

static const char *client_cert_header(Request *r) {
        struct evkeyvalq *in = evhttp_request_get_input_headers(r->req);
        const char *v = evhttp_find_header(in, "X-Client-Cert");
        return v ?: evhttp_find_header(in, "X-Forwarded-Tls-Client-Cert");
}

int route_forward_auth(Request *r) {
        _cleanup_(decision_done) Decision d = {};
        _cleanup_free_ char *id = NULL;
        struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
        const char *cert = client_cert_header(r);
        char fp[SHA256_HEX_SIZE], t[RFC3339_MAX], warning[POSTURE_REASON_MAX + 96];
        bool revoked;
        int k;

        if (!cert || !*cert)
                return deny_page(r, "no Vigie device certificate was presented (X-Client-Cert is empty).");
        if (client_cert_fingerprint(cert, strlen(cert), fp) < 0)
                return deny_page(r, "the client certificate passed by the proxy cannot be read.");
        k = device_of_fingerprint(r, fp, &id, &revoked);
        if (k == -ENOENT)
                return deny_page(r, "this certificate is not a Vigie device certificate of this server.");
        if (k < 0)
                return k;
        if (decide(r, id, revoked, &d) < 0)
                return -EIO;
        evhttp_add_header(h, "X-Vigie-Device", id);
        evhttp_add_header(h, "X-Vigie-Verdict", d.posture.verdict);
        evhttp_add_header(h, "X-Vigie-State", posture_state_to_string(d.posture.state));
        if (!posture_allowed(&d.posture))
                return deny_page(r, strempty(d.posture.reason));
        if (d.posture.state == POSTURE_GRACE) {
                format_rfc3339((usec_t) d.posture.grace_until * USEC_PER_SEC, t);
                evhttp_add_header(h, "X-Vigie-Grace-Until", t);
                snprintf(warning, sizeof warning, "access will be blocked at %s unless fixed: %s", t,
                         strempty(d.posture.reason));
                evhttp_add_header(h, "X-Vigie-Warning", warning);
        }
        http_send(r->req, 200, NULL, false);
        return 0;
}
