/* SPDX-License-Identifier: MIT */
/* POST /v1/reports (docs/internals/ingest.md). Each JWS is verified with the public key
 * of the certificate presented on this very connection, its claims validated, its place
 * in the device's chain checked, and stored with its check results and the latest state
 * — one savepoint per report inside the group-commit transaction. The reply leaves only
 * once that transaction is durable. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "cleanup.h"
#include "ingest.h"
#include "json-util.h"
#include "jws.h"
#include "log.h"
#include "report.h"
#include "time-util.h"

static bool is_space(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void report_batch_done(ReportBatch *b) {
        json_object_put(b->json);
        free(b->items);
        *b = (ReportBatch) {};
}

int report_batch_parse(const char *body, size_t size, size_t max_items, ReportBatch *ret,
                       char **ret_error) {
        _cleanup_(report_batch_done) ReportBatch b = {};
        size_t start = 0, end = size, n;

        while (start < end && is_space(body[start]))
                start++;
        while (end > start && is_space(body[end - 1]))
                end--;
        if (start == end)
                return json_error(ret_error, "empty body: send a JWS or a JSON array of JWS"), -EBADMSG;
        if (body[start] != '[') {
                b.items = malloc(sizeof(ReportItem));
                if (!b.items)
                        return -ENOMEM;
                b.items[0] = (ReportItem) { body + start, end - start };
                b.n_items = 1;
                *ret = b;
                b = (ReportBatch) {};
                return 0;
        }
        if (json_parse(body + start, end - start, &b.json, ret_error) < 0)
                return -EBADMSG;
        if (!json_object_is_type(b.json, json_type_array))
                return json_error(ret_error, "expected a JSON array of JWS strings"), -EBADMSG;
        n = json_object_array_length(b.json);
        if (n == 0)
                return json_error(ret_error, "empty array"), -EBADMSG;
        if (n > max_items)
                return json_error(ret_error, "%zu reports in one request, at most %zu", n, max_items), -E2BIG;
        b.items = calloc(n, sizeof(ReportItem));
        if (!b.items)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(b.json, i);
                if (!json_object_is_type(e, json_type_string))
                        return json_error(ret_error, "[%zu]: expected a JWS string, got %s", i,
                                          json_type_label(e)), -EBADMSG;
                b.items[i] = (ReportItem) { json_object_get_string(e), (size_t) json_object_get_string_len(e) };
        }
        b.n_items = n;
        *ret = b;
        b = (ReportBatch) {};
        return 0;
}

/* Why one report was refused: its HTTP status, error code and detail. */
typedef struct Verdict {
        int code; /* 202 stored, 200 already stored, else the refusal */
        const char *error;
        char detail[256];
        bool flag; /* clone or replay suspicion: flag the device */
        int64_t seq;
} Verdict;

#define REFUSE(v, c, e, ...)                                                    \
        ({                                                                      \
                (v)->code = (c);                                                \
                (v)->error = (e);                                               \
                snprintf((v)->detail, sizeof((v)->detail), __VA_ARGS__);        \
                -EPERM;                                                         \
        })

static char *failing_checks(const ReportClaims *c) {
        _cleanup_free_ char *s = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&s, &len);

        if (!f)
                return NULL;
        for (size_t i = 0; i < c->n_checks; i++)
                if (!check_status_ok(c->checks[i]->status))
                        fprintf(f, "%s%s", ftell(f) > 0 ? "," : "", c->checks[i]->id);
        if (fclose(f) != 0)
                return NULL;
        return len ? TAKE_PTR(s) : NULL;
}

static int store_new_report(Server *s, const TlsPeer *peer, const ReportItem *it, const Jws *jws,
                            const ReportClaims *c, const char *hash, int64_t gap, int64_t now) {
        _cleanup_free_ StoreCheck *checks = calloc(MAX(c->n_checks, (size_t) 1), sizeof(StoreCheck));
        _cleanup_free_ char *failing = failing_checks(c), *raw = strndup(it->jws, it->size);

        if (!checks || !raw)
                return -ENOMEM;
        for (size_t i = 0; i < c->n_checks; i++)
                checks[i] = (StoreCheck) { .id = c->checks[i]->id,
                                           .status = check_status_to_string(c->checks[i]->status),
                                           .summary = c->checks[i]->summary };
        return store_report_insert(s->store, &(StoreReport) {
                .device_id = c->sub, .seq = c->seq, .iat = c->iat, .received_at = now,
                .hash = hash, .prev = c->prev, .gap = gap, .compliant = c->compliant,
                .failing = failing, .jws = raw, .claims = (const char *) jws->payload,
                .cert_serial = peer->info.serial, .hostname = c->hostname, .os_id = c->os_id,
                .os_version = c->os_version_id, .os_pretty = c->os_pretty,
                .checks = checks, .n_checks = c->n_checks });
}

/* Verifies one report and, inside the caller's savepoint, stores it. Returns 0 with
 * v->code 202/200, -EPERM with v filled for a refusal, or another -errno for a storage
 * failure. */
static int ingest_one(Server *s, const TlsPeer *peer, const ReportItem *it, Verdict *v) {
        _cleanup_(jws_freep) Jws *jws = NULL;
        _cleanup_(report_claims_freep) ReportClaims *c = NULL;
        _cleanup_free_ char *error = NULL;
        char hash[SHA256_HEX_SIZE], head_hash[SHA256_HEX_SIZE], stored[SHA256_HEX_SIZE];
        int64_t now = (int64_t) (now_realtime() / USEC_PER_SEC), head, gap = 0;
        int k;

        if (jws_parse(it->jws, it->size, &jws, &error) < 0)
                return REFUSE(v, 400, "malformed_report", "%s", strnull(error));
        if (!streq(jws->kid, peer->info.fingerprint))
                return REFUSE(v, 403, "wrong_key",
                              "report kid %.16s… is not this connection's certificate %.16s…",
                              jws->kid, peer->info.fingerprint);
        if (jws_verify(jws, X509_get0_pubkey(peer->cert), &error) < 0)
                return REFUSE(v, 403, "bad_signature", "%s", strnull(error));
        if (report_claims_parse(jws->payload, jws->payload_size, &c, &error) < 0)
                return REFUSE(v, 400, "invalid_claims", "%s", strnull(error));
        v->seq = c->seq;
        if (!streq(c->sub, peer->info.cn))
                return REFUSE(v, 403, "wrong_subject", "report sub \"%s\" is not this certificate's device %s",
                              c->sub, peer->info.cn);
        if (c->iat > now + (int64_t) (s->config->max_clock_skew / USEC_PER_SEC))
                return REFUSE(v, 400, "iat_in_future",
                              "report iat %" PRId64 " is %" PRId64 " s ahead of the server's clock",
                              c->iat, c->iat - now);
        if (report_hash(it->jws, it->size, hash) < 0)
                return -EIO;

        k = store_chain_head(s->store, c->sub, &head, head_hash);
        if (k == -ENOENT)
                return REFUSE(v, 403, "unknown_device", "device %s is not enrolled", c->sub);
        if (k < 0)
                return k;
        if (c->seq <= head) {
                k = store_report_hash(s->store, c->sub, c->seq, stored);
                if (k < 0 && k != -ENOENT)
                        return k;
                if (k >= 0 && streq(stored, hash)) {
                        v->code = 200; /* an identical resend: the agent missed our 2xx */
                        return 0;
                }
                v->flag = true;
                return REFUSE(v, 409, "seq_conflict",
                              "seq %" PRId64 " is not after the last stored seq %" PRId64
                              " and differs from what is stored: possible clone or replay",
                              c->seq, head);
        }
        if (c->seq == head + 1 && !streq_ptr(c->prev, head_hash)) {
                v->flag = true;
                return REFUSE(v, 409, "broken_chain",
                              "prev of seq %" PRId64 " is not the hash of stored report %" PRId64,
                              c->seq, head);
        }
        /* A gap (reports the agent dropped, or the first report we see is not seq 1) is
         * accepted and recorded; prev cannot be checked against a report we never had. */
        gap = c->seq - (head < 0 ? 0 : head) - 1;
        k = store_new_report(s, peer, it, jws, c, hash, gap, now);
        if (k == -EEXIST)
                return REFUSE(v, 409, "seq_conflict", "seq %" PRId64 " was stored concurrently", c->seq);
        if (k < 0)
                return k;
        if (gap > 0)
                log_notice("Device %s: %" PRId64 " report(s) missing before seq %" PRId64 ".", c->sub, gap, c->seq);
        v->code = 202;
        return 0;
}

int route_reports(Request *r) {
        Server *s = r->server;
        _cleanup_(report_batch_done) ReportBatch b = {};
        _cleanup_free_ char *error = NULL;
        _cleanup_json_ json_object *reply = NULL;
        size_t accepted = 0, duplicates = 0;
        int64_t last_seq = 0;
        Verdict v = {};
        int k;

        k = report_batch_parse(r->body, r->body_size, (size_t) s->config->max_batch, &b, &error);
        if (k < 0)
                metrics_report_refused(&s->metrics, k == -E2BIG ? "too_many_reports" : "malformed_body");
        if (k == -E2BIG)
                return http_error(r, 413, "too_many_reports", "%s", strnull(error));
        if (k < 0)
                return http_error(r, 400, "malformed_body", "%s", strnull(error));

        for (size_t i = 0; i < b.n_items; i++) {
                v = (Verdict) {};
                k = server_tx_begin(s);
                if (k >= 0) {
                        k = ingest_one(s, r->peer, &b.items[i], &v);
                        (void) server_tx_end(s, k >= 0);
                }
                if (k == -EPERM) {
                        s->stats.reports_refused++;
                        metrics_report_refused(&s->metrics, v.error);
                        log_notice("Refused report %zu (seq %" PRId64 ") from %s: %s: %s", i, v.seq,
                                   r->peer->info.cn, v.error, v.detail);
                        if (v.flag && store_device_flag(s->store, r->peer->info.cn, v.error,
                                                        (int64_t) (now_realtime() / USEC_PER_SEC)) < 0)
                                log_warning("Cannot flag device %s: %s", r->peer->info.cn, store_error(s->store));
                        if (!b.json)
                                return server_reply_after_commit(s, r->req, v.code,
                                                                 http_error_buffer(v.error, "%s", v.detail));
                        return server_reply_after_commit(
                                s, r->req, v.code,
                                http_error_buffer(v.error, "report [%zu] of %zu (the %zu before it were stored): %s",
                                                  i, b.n_items, accepted + duplicates, v.detail));
                }
                if (k < 0) {
                        log_error_errno(k, "Cannot store a report of %s: %s", r->peer->info.cn,
                                        store_error(s->store));
                        return server_reply_after_commit(
                                s, r->req, 503,
                                http_error_buffer("storage_unavailable", "cannot store reports now; retry later"));
                }
                if (v.code == 200)
                        duplicates++, s->stats.reports_duplicate++;
                else
                        accepted++, s->stats.reports_accepted++;
                last_seq = v.seq;
        }
        reply = json_object_new_object();
        if (!reply || json_add_int(reply, "accepted", (int64_t) accepted) < 0 ||
            json_add_int(reply, "duplicates", (int64_t) duplicates) < 0 ||
            json_add_int(reply, "last_seq", last_seq) < 0)
                return http_error(r, 503, "out_of_memory", "cannot build the reply");
        return server_reply_after_commit(s, r->req, accepted > 0 ? 202 : 200, http_json_buffer(reply));
}
