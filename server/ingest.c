/* SPDX-License-Identifier: MIT */
/* POST /v1/reports (docs/internals/ingest.md). Each JWS is verified with the public key
 * of the certificate presented on this very connection, its claims validated, its place
 * in the device's chain checked, and stored with its check results and the latest state
 * — one savepoint per report inside the group-commit transaction. The reply leaves only
 * once that transaction is durable. */
#include <assert.h>
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
#include "parse-util.h"
#include "report.h"
#include "text-util.h"
#include "store-policy.h"
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
        int64_t gap; /* stored: the reports missing before it */
} Verdict;

#define REFUSE(v, c, e, ...)                                                    \
        ({                                                                      \
                (v)->code = (c);                                                \
                (v)->error = (e);                                               \
                snprintf((v)->detail, sizeof((v)->detail), __VA_ARGS__);        \
                -EPERM;                                                         \
        })

/* The ids of the checks that are not ok, comma-separated: the claims read are valid, so
 * at most REPORT_MAX_CHECKS ids of at most CHECK_ID_MAX, and the identity check's. On the
 * stack: it was a malloc per report, and an asprintf when the identity check failed. */
#define FAILING_MAX (REPORT_MAX_CHECKS * (CHECK_ID_MAX + 1) + sizeof(POLICY_IDENTITY_CHECK))

static void failing_add(char buf[static FAILING_MAX], size_t *len, const char *id) {
        size_t n = strlen(id);

        assert(*len + 1 + n < FAILING_MAX);
        if (*len > 0)
                buf[(*len)++] = ',';
        memcpy(buf + *len, id, n + 1);
        *len += n;
}

/* A report that passed every check that needs no database. */
typedef struct Verified {
        const char *jws; /* the exact bytes, NUL-terminated: the job's (IngestJob.body, .tree) */
        size_t size;
        ReportClaims *claims;
        Jws *parsed;         /* holds the decoded payload */
        const char *payload; /* its claims JSON, NUL-terminated */
        char hash[SHA256_HEX_SIZE];
        int64_t gap; /* set by the batch: Verdict.gap */
} Verified;

/* What the batch decided for a job's reports (ingest_job()), acted on by ingest_settle()
 * once it stands: a batch run ahead may be undone and run again (server_submit_ahead()). */
typedef struct IngestOutcome {
        size_t handled; /* reports tried: stored, duplicates, and the one that stopped the job */
        size_t accepted, duplicates;
        int64_t last_seq;
        Verdict stop;   /* stop.code: report handled - 1 stopped the job, refused (or 503) */
        int error;      /* the store's failure (stop.code 503) */
        char store_error[256];
        bool flag_failed; /* stop.flag, but the device could not be flagged: store_error */
} IngestOutcome;

typedef struct IngestJob {
        CertInfo peer;
        EVP_PKEY *key;           /* the certificate's, a reference: the connection may close meanwhile */
        EVP_PKEY_CTX *verifier;  /* this job's copy of the connection's, or NULL: jws_verify */
        int64_t max_skew;
        struct evhttp_request *req;
        ReportItem *raw;         /* the body's reports, NUL-terminated, in body or tree */
        char *body;              /* the inflated body, taken from the request, or a copy of a
                                  * plain one: what raw points into when not an array */
        json_object *tree;       /* a reference on the array, whose strings raw points to */
        size_t n_items;  /* verified, stored in order by the job */
        size_t n_body;   /* reports in the body */
        bool array;
        Verdict refusal; /* refusal.code != 0: item n_items was refused before the job */
        IngestOutcome outcome;
        StoreReportPrep prefetched; /* the first report's reads, sent with the batch's BEGIN */
        Offload offload; /* its verification's place in the queue (server_offload()) */
        Verified items[]; /* n_body of them: allocated with the job */
} IngestJob;

static void ingest_job_free(void *userdata) {
        IngestJob *j = userdata;
        EVP_PKEY_free(j->key);
        EVP_PKEY_CTX_free(j->verifier);
        free(j->raw);
        free(j->body);
        json_object_put(j->tree);
        store_report_prep_done(&j->prefetched);
        for (size_t i = 0; i < j->n_items; i++) {
                jws_free(j->items[i].parsed);
                report_claims_free(j->items[i].claims);
        }
        free(j);
}

/* Phase 1, on a worker thread, no database: signature with the key of this connection's
 * certificate, kid and sub equal to it, claims valid, iat not in the future. A verified
 * report keeps pointing into the job's bytes and keeps the parsed JWS: no copy. */
static int verify_one(const IngestJob *j, const ReportItem *it, Verified *ret, Verdict *v) {
        _cleanup_(jws_freep) Jws *jws = NULL;
        _cleanup_(report_claims_freep) ReportClaims *c = NULL;
        _cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *own = NULL;
        _cleanup_free_ char *error = NULL;
        EVP_PKEY_CTX *verifier = j->verifier;
        uint8_t signed_digest[SHA256_SIZE], whole[SHA256_SIZE];
        int64_t now = (int64_t) (now_realtime() / USEC_PER_SEC);

        if (jws_parse(it->jws, it->size, &jws, &error) < 0)
                return REFUSE(v, 400, "malformed_report", "%s", strnull(error));
        if (!streq(jws->kid, j->peer.fingerprint))
                return REFUSE(v, 403, "wrong_key",
                              "report kid %.16s… is not this connection's certificate %.16s…",
                              jws->kid, j->peer.fingerprint);
        /* One pass of SHA-256 over the bytes gives both what the signature covers
         * (HEADER.PAYLOAD) and the chain hash of the whole JWS (report_hash()). */
        if (sha256_digest_prefix(it->jws, jws->signing_input_size, it->size, signed_digest, whole) < 0)
                return -EIO;
        if (!verifier) {
                if (jws_verifier_new(j->key, &own, &error) < 0)
                        return REFUSE(v, 403, "bad_signature", "%s", strnull(error));
                verifier = own;
        }
        if (jws_verify_digest(jws, signed_digest, verifier, &error) < 0)
                return REFUSE(v, 403, "bad_signature", "%s", strnull(error));
        /* one pass, no tree: nothing here reads a check's evidence, it is stored as signed */
        if (report_claims_read(jws->payload, jws->payload_size, &c, &error) < 0)
                return REFUSE(v, 400, "invalid_claims", "%s", strnull(error));
        v->seq = c->seq;
        if (!streq(c->sub, j->peer.cn))
                return REFUSE(v, 403, "wrong_subject", "report sub \"%s\" is not this certificate's device %s",
                              c->sub, j->peer.cn);
        if (c->iat > now + j->max_skew)
                return REFUSE(v, 400, "iat_in_future",
                              "report iat %" PRId64 " is %" PRId64 " s ahead of the server's clock",
                              c->iat, c->iat - now);
        *ret = (Verified) { .jws = it->jws, .size = it->size };
        hexlify(whole, sizeof(whole), ret->hash); /* report_hash(): sha256 hex of the JWS */
        ret->payload = (const char *) jws->payload; /* NUL-terminated by jws_parse */
        ret->parsed = TAKE_PTR(jws);
        ret->claims = TAKE_PTR(c);
        return 0;
}

/* The current policy's device_identity, judged here from the server's record
 * (device-key.h) and stored as one more check of the report: the fleet state follows the
 * current policy (store-policy.c), whichever version the agent has fetched. 1 when
 * judged, then failing, when not ok, has it. */
static int judge_identity(const Policy *p, DeviceKey key, StoreCheck *ret, char failing[static FAILING_MAX],
                          size_t *failing_len) {
        const char *summary;
        CheckStatus st;

        if (!p || !p->identity.present)
                return 0;
        st = device_key_judge(key, &p->identity, &summary);
        *ret = (StoreCheck) { .id = POLICY_IDENTITY_CHECK, .status = check_status_to_string(st), .summary = summary };
        if (!check_status_ok(st))
                failing_add(failing, failing_len, POLICY_IDENTITY_CHECK);
        return 1;
}

static int store_new_report(Server *s, const IngestJob *j, const Verified *it, const Policy *p,
                            StoreReportPrep *prep, int64_t gap, int64_t now) {
        const ReportClaims *c = it->claims;
        StoreCheck checks[REPORT_MAX_CHECKS + 1];
        char failing[FAILING_MAX];
        size_t failing_len = 0;
        int judged;

        assert(c->n_checks <= REPORT_MAX_CHECKS);
        for (size_t i = 0; i < c->n_checks; i++) {
                /* A device cannot grow the fleet state with check ids of its own making. */
                bool named = verdict_policy_names(s->verdicts, p, c->checks[i]->id);
                checks[i] = (StoreCheck) { .id = c->checks[i]->id,
                                           .status = check_status_to_string(c->checks[i]->status),
                                           .summary = c->checks[i]->summary, .uncounted = !named };
                if (!check_status_ok(c->checks[i]->status))
                        failing_add(failing, &failing_len, c->checks[i]->id);
        }
        judged = judge_identity(p, prep->head.info.key, &checks[c->n_checks], failing, &failing_len);
        return store_report_insert(s->store, &(StoreReport) {
                .device_id = c->sub, .seq = c->seq, .iat = c->iat, .received_at = now,
                .hash = it->hash, .prev = c->prev, .gap = gap, .compliant = c->compliant,
                .failing = failing_len > 0 ? failing : NULL, .jws = it->jws, .claims = it->payload,
                .cert_serial = j->peer.serial, .hostname = c->hostname, .os_id = c->os_id,
                .os_version = c->os_version_id, .os_pretty = c->os_pretty,
                .checks = checks, .n_checks = c->n_checks + judged, .prep = prep });
}

/* The certificate the reports came with, unknown to the store or revoked: what the route
 * leaves to us (http.c), refused before anything else. */
static int refuse_certificate(const IngestJob *j, const StoreCertStatus *st, Verdict *v) {
        if (!st->known)
                return REFUSE(v, 401, "certificate_unknown",
                              "certificate %s was not issued by this server's records", j->peer.serial);
        if (st->revoked)
                return REFUSE(v, 403, "revoked", "certificate %s (%s) is revoked", j->peer.serial, j->peer.cn);
        return 0;
}

/* Phase 2, in the batch transaction: the report's place in the device's chain. Returns
 * 0 with v->code 202 (stored) or 200 (identical to a stored one), -EPERM with v filled,
 * or another -errno when the database fails. */
static int store_one(Server *s, IngestJob *j, const Verified *it, Verdict *v) {
        const ReportClaims *c = it->claims;
        _cleanup_free_ char *error = NULL;
        char stored[SHA256_HEX_SIZE];
        int64_t now = (int64_t) (now_realtime() / USEC_PER_SEC), head, gap;
        _cleanup_(store_report_prep_done) StoreReportPrep prep = {};
        const StoreHeadInfo *info = &prep.head.info;
        const char *head_hash = prep.head.hash;
        const Policy *policy = NULL;
        int k;

        v->seq = c->seq;
        /* One wait for all this report's reads; the certificate's status too (the route
         * leaves it to us: http.c), under the device's lock, so a revocation committed
         * before this batch refuses this very report. The job's first report found them
         * arrived with the batch's BEGIN (ingest_prefetch()). */
        if (it == &j->items[0] && store_report_prefetched(s->store, &j->prefetched)) {
                prep = j->prefetched;
                j->prefetched = (StoreReportPrep) {};
        } else {
                k = store_report_prepare(s->store, c->sub, j->peer.serial, it->jws, it->payload, now, &prep);
                if (k < 0)
                        return k;
        }
        if (refuse_certificate(j, &prep.cert, v) < 0)
                return -EPERM;
        if (!prep.head.found)
                return REFUSE(v, 403, "unknown_device", "device %s is not enrolled", c->sub);
        head = prep.head.seq;
        /* What the server recorded at enrollment wins over what a report says. */
        if (!device_key_matches_claim(info->key, c->agent_key))
                return REFUSE(v, 400, "invalid_claims",
                              "agent.key \"%s\" contradicts the key kind recorded at enrollment (%s)",
                              c->agent_key, device_key_to_string(info->key));
        for (size_t i = 0; i < c->n_checks; i++)
                if (streq(c->checks[i]->id, POLICY_IDENTITY_CHECK))
                        return REFUSE(v, 400, "invalid_claims",
                                      "checks: \"" POLICY_IDENTITY_CHECK "\" is judged by the server, not reported");
        if (c->seq <= head) {
                k = store_report_hash(s->store, c->sub, c->seq, stored);
                if (k < 0 && k != -ENOENT)
                        return k;
                if (k >= 0 && streq(stored, it->hash)) {
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
        /* The server decides: the verdict under the policy the report names. */
        k = verdict_check(&s->verdicts, s->store, c, &error);
        if (k == -ENOENT)
                return REFUSE(v, 400, "unknown_policy", "%s", strnull(error));
        if (k == -EINVAL)
                return REFUSE(v, 400, "invalid_claims", "%s", strnull(error));
        if (k < 0)
                return k;
        /* A gap (reports the agent dropped, or the first report we see is not seq 1) is
         * accepted and recorded; prev cannot be checked against a report we never had. */
        gap = c->seq - (head < 0 ? 0 : head) - 1;
        k = verdict_current_policy(&s->verdicts, s->store, info->policy_id, info->policy_version, &policy);
        if (k == -ENOENT) /* nothing published yet */
                k = 0;
        if (k >= 0)
                k = store_new_report(s, j, it, policy, &prep, gap, now);
        /* its upsert would write nothing: not even sent */
        if (k >= 0 && !(streq_ptr(info->noted_policy_id, c->policy_id) &&
                        info->noted_policy_version == c->policy_version))
                k = store_policy_note_report(s->store, c->sub, c->policy_id, c->policy_version);
        if (k >= 0 && !(policy && streq(policy->policy_id, c->policy_id) && policy->version == c->policy_version))
                /* the fleet follows the current policy; a report under it carries its verdict */
                k = store_policy_reevaluate_report(s->store, c->sub, c->policy_id, c->policy_version, now);
        if (k == -EEXIST)
                return REFUSE(v, 409, "seq_conflict", "seq %" PRId64 " was stored concurrently", c->seq);
        if (k < 0)
                return k;
        v->gap = gap;
        v->code = 202;
        return 0;
}

static struct evbuffer *refusal_body(const IngestJob *j, size_t index, size_t stored, const Verdict *v) {
        if (!j->array)
                return http_error_buffer(v->error, "%s", v->detail);
        return http_error_buffer(v->error, "report [%zu] of %zu (the %zu before it were stored): %s",
                                 index, j->n_body, stored, v->detail);
}

static void log_refusal(Server *s, const IngestJob *j, size_t index, const Verdict *v) {
        s->stats.reports_refused++;
        metrics_report_refused(&s->metrics, v->error);
        log_notice("Refused report %zu (seq %" PRId64 ") from %s: %s: %s", index, v->seq, j->peer.cn,
                   v->error, v->detail);
}

static void outcome_store_error(IngestOutcome *o, Server *s) {
        snprintf(o->store_error, sizeof(o->store_error), "%s", store_error(s->store));
}

/* In the batch transaction: each report in its savepoint, until the first refusal. Only
 * the store is touched (the job may run again: server_submit_ahead()). */
static int ingest_job(Server *s, void *userdata, struct evhttp_request *req) {
        IngestJob *j = userdata;
        IngestOutcome *o = &j->outcome;
        int k;

        (void) req;
        *o = (IngestOutcome) {};
        for (size_t i = 0; i < j->n_items && !o->stop.code; i++) {
                Verdict v = {};

                k = server_tx_begin(s);
                if (k >= 0) {
                        int e;

                        k = store_one(s, j, &j->items[i], &v);
                        /* A write sent ahead (store_send()) fails here at the latest, or,
                         * when the batch runs ahead, in a later wait (store_ahead_failed()). */
                        e = server_tx_end(s, k >= 0);
                        if (k >= 0 && e < 0)
                                k = e == -EEXIST ? REFUSE(&v, 409, "seq_conflict",
                                                          "seq %" PRId64 " was stored concurrently", v.seq)
                                                 : e;
                }
                o->handled++;
                j->items[i].gap = k >= 0 ? v.gap : 0;
                if (k == -EPERM) {
                        o->stop = v;
                        if (v.flag && store_device_flag(s->store, j->peer.cn, v.error,
                                                        (int64_t) (now_realtime() / USEC_PER_SEC)) < 0) {
                                o->flag_failed = true;
                                outcome_store_error(o, s);
                        }
                } else if (k < 0) {
                        o->stop = (Verdict) { .code = 503 };
                        o->error = k;
                        outcome_store_error(o, s);
                } else if (v.code == 200)
                        o->duplicates++;
                else
                        o->accepted++;
                if (k >= 0)
                        o->last_seq = v.seq;
                if (store_ahead_failed(s->store))
                        return -EAGAIN; /* the batch runs again: this outcome is void */
        }
        return 0;
}

/* Before the batch's first job: the reads of this job's first report, sent ahead with the
 * batch's BEGIN (server_submit_ahead()); the server calls it only for the batch's first
 * job of this device, whose reads no earlier job's writes can change. */
static int ingest_prefetch(Server *s, void *userdata) {
        IngestJob *j = userdata;
        const Verified *it = &j->items[0];

        store_report_prep_done(&j->prefetched); /* a batch begun again after a lost connection */
        return store_report_prefetch(s->store, it->claims->sub, j->peer.serial, it->jws, it->payload,
                                     (int64_t) (now_realtime() / USEC_PER_SEC), &j->prefetched);
}

/* Once the batch's outcome stands: logs, counters and the reply. */
static void ingest_settle(Server *s, void *userdata, struct evhttp_request *req) {
        IngestJob *j = userdata;
        const IngestOutcome *o = &j->outcome;
        size_t stored = o->accepted + o->duplicates;
        struct evbuffer *reply;

        for (size_t i = 0; i < o->handled; i++)
                if (j->items[i].gap > 0)
                        log_notice("Device %s: %" PRId64 " report(s) missing before seq %" PRId64 ".", j->peer.cn,
                                   j->items[i].gap, j->items[i].claims->seq);
        s->stats.reports_accepted += o->accepted;
        s->stats.reports_duplicate += o->duplicates;
        if (o->stop.code == 503) {
                log_error_errno(o->error, "Cannot store a report of %s: %s", j->peer.cn, o->store_error);
                (void) server_reply_after_commit(
                        s, req, 503, http_error_buffer("storage_unavailable", "cannot store reports now; retry later"));
                return;
        }
        if (o->stop.code) {
                log_refusal(s, j, o->handled - 1, &o->stop);
                if (o->flag_failed)
                        log_warning("Cannot flag device %s: %s", j->peer.cn, o->store_error);
                (void) server_reply_after_commit(s, req, o->stop.code, refusal_body(j, o->handled - 1, stored, &o->stop));
                return;
        }
        if (j->refusal.code) {
                (void) server_reply_after_commit(s, req, j->refusal.code, refusal_body(j, j->n_items, stored, &j->refusal));
                return;
        }
        /* The bytes http_json_buffer() writes for this object, without a json-c object
         * built and serialised per request (~8 k instructions, 9 allocations). */
        reply = evbuffer_new();
        if (!reply || evbuffer_add_printf(reply, "{\"accepted\":%zu,\"duplicates\":%zu,\"last_seq\":%" PRId64 "}\n",
                                          o->accepted, o->duplicates, o->last_seq) < 0) {
                if (reply)
                        evbuffer_free(reply);
                (void) server_reply_after_commit(s, req, 503, http_error_buffer("out_of_memory", "retry later"));
                return;
        }
        (void) server_reply_after_commit(s, req, o->accepted > 0 ? 202 : 200, reply);
}

/* Worker thread: verify in order, stop at the first refusal. */
static void ingest_verify(void *userdata) {
        IngestJob *j = userdata;

        for (size_t i = 0; i < j->n_body; i++) {
                int k = verify_one(j, &j->raw[i], &j->items[j->n_items], &j->refusal);
                if (k < 0 && k != -EPERM)
                        j->refusal = (Verdict) { .code = 503, .error = "out_of_memory", .detail = "retry later" };
                if (k < 0)
                        break;
                j->n_items++;
        }
}

/* Back on the loop: refuse now, or queue the verified reports for the next batch. */
static void ingest_verified(Server *s, void *userdata) {
        IngestJob *j = userdata;
        StoreCertStatus st;

        /* Nothing goes to the batch, which would have looked the certificate up: a revoked
         * one still says so rather than why its first report was refused. */
        if (j->n_items == 0 && j->refusal.code != 503) {
                if (store_cert_status(s->store_ro, j->peer.serial, &st) < 0)
                        j->refusal = (Verdict) { .code = 503, .error = "storage_unavailable",
                                                 .detail = "cannot check the certificate now" };
                else
                        (void) refuse_certificate(j, &st, &j->refusal);
        }
        if (j->refusal.code)
                log_refusal(s, j, j->n_items, &j->refusal);
        if (j->n_items == 0) {
                http_send(j->req, j->refusal.code, refusal_body(j, 0, 0, &j->refusal), false);
                ingest_job_free(j);
                return;
        }
        (void) server_submit_ahead(s, j->req, ingest_job, ingest_settle, ingest_prefetch, j->peer.cn, j,
                                   ingest_job_free);
}

/* The reports' bytes, kept by the job (it may outlive the request and its connection)
 * without a copy where it can: the inflated body is taken from the request, an array's
 * strings are held by a reference on its JSON tree; only a plain body, in evhttp's input
 * buffer, is copied. Each report is NUL-terminated (the store reads it as a string). */
static int job_keep_reports(IngestJob *j, Request *r, ReportBatch *b) {
        j->raw = TAKE_PTR(b->items);
        if (b->json) {
                j->tree = TAKE_PTR(b->json);
                return 0;
        }
        if (r->inflated) {
                /* the one report lies in it, surrounding whitespace trimmed */
                size_t at = (size_t) (j->raw[0].jws - r->inflated);
                j->body = TAKE_PTR(r->inflated);
                r->body = NULL;
                r->body_size = 0;
                j->body[at + j->raw[0].size] = 0;
                return 0;
        }
        j->body = strndup(j->raw[0].jws, j->raw[0].size);
        if (!j->body)
                return -ENOMEM;
        j->raw[0].jws = j->body;
        return 0;
}

int route_reports(Request *r) {
        Server *s = r->server;
        _cleanup_(report_batch_done) ReportBatch b = {};
        _cleanup_free_ char *error = NULL;
        IngestJob *j;
        uint64_t retry_after;
        char ra[32];
        int k;

        /* One device cannot take the server's disk and CPU from the others: its budget
         * first, before the body is even parsed. */
        k = budget_take(s->report_budget, r->peer->info.cn, now_monotonic(), &retry_after);
        if (k == -EBUSY) {
                snprintf(ra, sizeof(ra), "%" PRIu64, retry_after);
                evhttp_add_header(evhttp_request_get_output_headers(r->req), "Retry-After", ra);
                metrics_report_refused(&s->metrics, "too_many_requests");
                return http_error(r, 429, "too_many_requests",
                                  "this device sends faster than its budget (%d requests, then one every %" PRIu64
                                  " s); retry in %" PRIu64 " s, sending waiting reports as one array",
                                  s->config->device_report_burst,
                                  (uint64_t) (s->config->device_report_interval / USEC_PER_SEC), retry_after);
        }
        if (k < 0)
                return http_error(r, 503, "out_of_memory", "retry later");
        k = report_batch_parse(r->body, r->body_size, (size_t) s->config->max_batch, &b, &error);
        if (k < 0)
                metrics_report_refused(&s->metrics, k == -E2BIG ? "too_many_reports" : "malformed_body");
        if (k == -E2BIG)
                return http_error(r, 413, "too_many_reports", "%s", strnull(error));
        if (k < 0)
                return http_error(r, 400, "malformed_body", "%s", strnull(error));
        j = calloc(1, sizeof(IngestJob) + b.n_items * sizeof(Verified));
        if (!j)
                return http_error(r, 503, "out_of_memory", "retry later");
        *j = (IngestJob) { .peer = r->peer->info, .key = r->peer->key, .req = r->req,
                           .max_skew = (int64_t) (s->config->max_clock_skew / USEC_PER_SEC),
                           .n_body = b.n_items, .array = b.json };
        if (j->key)
                EVP_PKEY_up_ref(j->key);
        /* A copy per job: a verifier serves one thread at a time, and the job may outlive
         * the connection. */
        if (r->peer->verifier)
                j->verifier = EVP_PKEY_CTX_dup(r->peer->verifier);
        k = job_keep_reports(j, r, &b);
        if (k < 0) {
                ingest_job_free(j);
                return http_error(r, 503, "out_of_memory", "retry later");
        }
        server_offload(s, &j->offload, ingest_verify, ingest_verified, j);
        return 0;
}
