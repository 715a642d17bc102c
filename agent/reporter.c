/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "check-runner.h"
#include "cleanup.h"
#include "error-util.h"
#include "fs-util.h"
#include "gzip-util.h"
#include "json-util.h"
#include "log.h"
#include "os-release.h"
#include "reporter.h"
#include "text-util.h"
#include "time-util.h"

#ifndef VERSION
#define VERSION "0.0.0"
#endif

int reporter_transport(const AgentConfig *c, const Identity *id, Transport **ret, char **ret_error) {
        _cleanup_free_ char *ca = NULL;
        int r;

        if (!c->server_url)
                return json_error(ret_error, "no server configured: set Server= in [Agent]");
        if ((r = identity_ca_path(c, &ca)) < 0)
                return r;
        TransportOptions o = {
                .server_url = c->server_url,
                .ca_file = ca,
                .cert_der = id ? id->cert.der : NULL,
                .cert_der_size = id ? id->cert.der_size : 0,
                .key = id ? id->key : NULL,
                .connect_timeout = c->connect_timeout,
                .timeout = c->timeout,
        };
        r = transport_new(&o, ret);
        if (r < 0)
                json_error(ret_error, "cannot set up HTTPS to \"%s\": %s", c->server_url, transport_strerror(r));
        return r;
}

static int save_in_state(const AgentConfig *c, const char *name, const char *data, size_t size) {
        _cleanup_free_ char *path = path_join(c->state_dir, name);
        return path ? write_file_atomic(path, data, size, 0644) : -ENOMEM;
}

int reporter_fetch_policy(const AgentConfig *c, Transport *t, bool *ret_updated, char **ret_error) {
        _cleanup_free_ char *etag_path = path_join(c->state_dir, POLICY_ETAG_FILE), *etag = NULL,
                            *header = NULL, *cache = path_join(c->state_dir, POLICY_CACHE_FILE),
                            *err = NULL;
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_json_ json_object *j = NULL;
        TransportResponse resp = {};
        char *headers[2] = {};
        size_t size;
        int r;

        if (!etag_path || !cache)
                return -ENOMEM;
        /* Only use the ETag when the cache it describes is still there. */
        if (access(cache, F_OK) == 0 && read_file_full(etag_path, 512, &etag, &size) >= 0 &&
            size > 0 && !strpbrk(etag, "\r\n")) {
                if (asprintf(&header, "If-None-Match: %s", etag) < 0)
                        return -ENOMEM;
                headers[0] = header;
        }
        r = transport_request(t, "GET", "/v1/policy", NULL, NULL, 0, headers, &resp, ret_error);
        if (r < 0)
                return r;
        if (resp.status == 304) {
                transport_response_done(&resp);
                if (ret_updated)
                        *ret_updated = false;
                return 0;
        }
        if (resp.status != 200) {
                _cleanup_free_ char *d = transport_response_describe(&resp);
                r = resp.status == 401 || resp.status == 403 ? -EACCES : -EIO;
                json_error(ret_error, "GET /v1/policy: %s", strnull(d));
                transport_response_done(&resp);
                return r;
        }
        r = json_parse(resp.body, resp.body_size, &j, &err);
        if (r >= 0)
                r = policy_from_json(j, 0, &p, &err);
        if (r < 0 || resp.body_size > POLICY_MAX) {
                json_error(ret_error, "the server sent an unusable policy: %s", err ? err : "too large");
                transport_response_done(&resp);
                return -EBADMSG;
        }
        r = save_in_state(c, POLICY_CACHE_FILE, resp.body, resp.body_size);
        if (r >= 0) {
                if (resp.etag)
                        r = save_in_state(c, POLICY_ETAG_FILE, resp.etag, strlen(resp.etag));
                else
                        (void) unlink(etag_path);
        }
        transport_response_done(&resp);
        if (r < 0)
                return json_error(ret_error, "cannot cache the policy in \"%s\": %s", c->state_dir, strerror(-r)), r;
        if (ret_updated)
                *ret_updated = true;
        return 0;
}

int reporter_load_policy(const AgentConfig *c, Policy **ret, char **ret_error) {
        _cleanup_free_ char *cache = path_join(c->state_dir, POLICY_CACHE_FILE);

        if (!cache)
                return -ENOMEM;
        if (access(cache, F_OK) == 0)
                return policy_load_file(cache, 0, ret, ret_error);
        *ret = policy_new_default();
        return *ret ? 0 : -ENOMEM;
}

/* Host facts go into the claims as the validator wants them: bounded, no controls. */
static char *bounded(const char *s, size_t max) {
        char *t = strdup(strempty(s));

        if (t)
                text_neutralise(t, max, 0);
        return t;
}

static void neutralise_json(json_object *j, unsigned depth) {
        if (depth > REPORT_EVIDENCE_DEPTH)
                return;
        if (json_object_is_type(j, json_type_string)) {
                const char *v = json_object_get_string(j);
                _cleanup_free_ char *t = NULL;
                if (text_is_safe(v, REPORT_EVIDENCE_STRING_MAX, TEXT_MULTILINE | TEXT_EMPTY_OK) || !(t = strdup(v)))
                        return;
                text_neutralise(t, REPORT_EVIDENCE_STRING_MAX, TEXT_MULTILINE);
                (void) json_object_set_string(j, t);
        } else if (json_object_is_type(j, json_type_array)) {
                for (size_t i = 0; i < json_object_array_length(j); i++)
                        neutralise_json(json_object_array_get_idx(j, i), depth + 1);
        } else if (json_object_is_type(j, json_type_object)) {
                json_object_object_foreach(j, key, value) {
                        (void) key;
                        neutralise_json(value, depth + 1);
                }
        }
}

/* What checks say comes partly from the host (labels, names, tool output): made into text
 * the claims validator takes, rather than a report that cannot be signed. */
static void neutralise_results(CheckResult *const *results, size_t n) {
        for (size_t i = 0; i < n; i++) {
                CheckResult *r = results[i];
                text_neutralise(r->title, REPORT_TITLE_MAX, 0);
                text_neutralise(r->summary, REPORT_SUMMARY_MAX, TEXT_MULTILINE);
                if (r->remediation)
                        text_neutralise(r->remediation, REPORT_REMEDIATION_MAX, TEXT_MULTILINE);
                neutralise_json(r->evidence, 0);
        }
}

int reporter_build(const AgentConfig *c, const Identity *id, Spool *spool, const Policy *p,
                   CheckResult *const *results, size_t n, int64_t *ret_seq, char **ret_error) {
        _cleanup_(os_release_freep) OsRelease *os = NULL;
        _cleanup_json_ json_object *j = NULL;
        _cleanup_free_ char *jws = NULL;
        _cleanup_close_ int root_fd = -1;
        struct utsname u;
        const char *payload;
        int r;

        if (uname(&u) < 0)
                return -errno;
        neutralise_results(results, n);
        if (root_open(c->root, &root_fd) >= 0)
                (void) os_release_load(root_fd, &os); /* unknown OS: empty fields */

        ReportClaims claims = {
                .sub = (char *) id->device_id,
                .iat = (int64_t) (now_realtime() / USEC_PER_SEC),
                .seq = spool_next_seq(spool),
                .prev = (char *) spool_prev(spool),
                .agent_version = (char *) VERSION,
                .agent_key = (char *) id->key_kind,
                .policy_id = p->policy_id,
                .policy_version = p->version,
                .compliant = check_results_compliant(results, n),
                .dropped = spool_dropped(spool),
                .checks = (CheckResult **) results,
                .n_checks = n,
        };
        _cleanup_free_ char *hostname = bounded(u.nodename, 255), *os_id = bounded(os ? os->id : NULL, 64),
                            *os_version = bounded(os ? os->version_id : NULL, 64),
                            *pretty = bounded(os ? os->pretty_name : NULL, 256),
                            *kernel = bounded(u.release, 256);
        if (hostname && !*hostname) {
                free(hostname);
                hostname = strdup("localhost");
        }
        if (!hostname || !os_id || !os_version || !pretty || !kernel)
                return -ENOMEM;
        claims.hostname = hostname;
        claims.os_id = os_id;
        claims.os_version_id = os_version;
        claims.os_pretty = pretty;
        claims.kernel = kernel;

        r = report_claims_to_json(&claims, &j);
        if (r < 0)
                return json_error(ret_error, "cannot build the report's claims: %s", strerror(-r)), r;
        payload = json_compact(j);
        r = jws_sign(id->key, id->kid, NULL, payload, strlen(payload), &jws);
        if (r < 0)
                return json_error(ret_error, "cannot sign the report with the key \"%s\": %s", id->key_uri,
                                  strerror(-r)), r;
        r = spool_append(spool, jws, strlen(jws), NULL, ret_error);
        if (r < 0)
                return r;
        if (ret_seq)
                *ret_seq = claims.seq;
        return 0;
}

static char header_gzip[] = "Content-Encoding: gzip";
static char *const gzip_headers[] = { header_gzip, NULL };

/* Reports travel gzip'ed (~45 KB of JWS are ~6 KB): the server inflates under its cap. */
static int post_compressed(Transport *t, const char *content_type, const char *body, size_t len,
                           TransportResponse *ret, char **ret_error) {
        _cleanup_free_ char *gz = NULL;
        size_t gz_size;
        int r = gzip_compress(body, len, &gz, &gz_size);

        if (r < 0)
                return json_error(ret_error, "cannot compress the reports: %s", strerror(-r)), r;
        return transport_request(t, "POST", "/v1/reports", content_type, gz, gz_size, gzip_headers, ret, ret_error);
}

/* The oldest waiting reports signed under kid, as one JSON array: 1 delivered (and
 * removed), 0 fewer than two to send, 2 the array refused (the caller goes one by one to
 * find the culprit), -errno (-EAGAIN, -EACCES) to stop the flush. */
static int flush_batch(Spool *spool, Transport *t, const char *kid, FlushStats *st, char **ret_error) {
        _cleanup_json_ json_object *a = json_object_new_array();
        _cleanup_free_ int64_t *seqs = NULL;
        _cleanup_free_ char *d = NULL;
        TransportResponse resp = {};
        size_t n, count = 0, bytes = 0;
        const SpoolEntry *e = spool_entries(spool, &n);
        const char *body;
        long status;
        int r;

        /* One waiting report (the usual hourly case) goes alone: not read and parsed twice. */
        if (n < 2)
                return 0;
        if (!a || !(seqs = calloc(MIN(n, (size_t) REPORTER_BATCH_MAX) + 1, sizeof(int64_t))))
                return -ENOMEM;
        for (size_t i = 0; i < n && count < REPORTER_BATCH_MAX; i++) {
                _cleanup_free_ char *jws = NULL;
                SpoolRecord rec = {};
                size_t len;
                bool mine;

                if (spool_read(spool, e[i].seq, &jws, &len, &rec, NULL) < 0)
                        break; /* the one-by-one path sets it aside */
                mine = streq(rec.kid, kid);
                spool_record_done(&rec);
                if (!mine || bytes + len + 3 > REPORTER_BATCH_BYTES)
                        break;
                if (json_object_array_add(a, json_object_new_string_len(jws, (int) len)) < 0)
                        return -ENOMEM;
                seqs[count++] = e[i].seq;
                bytes += len + 3;
        }
        if (count < 2)
                return 0;
        body = json_compact(a);
        r = post_compressed(t, "application/json", body, strlen(body), &resp, ret_error);
        if (r < 0)
                return r;
        status = resp.status;
        st->retry_after_s = resp.retry_after_s;
        d = transport_response_describe(&resp);
        transport_response_done(&resp);
        if (status >= 200 && status < 300) {
                for (size_t i = 0; i < count; i++) {
                        r = spool_remove(spool, seqs[i]);
                        if (r < 0)
                                return json_error(ret_error, "cannot remove report %lld from the spool: %s",
                                                  (long long) seqs[i], strerror(-r)), r;
                        st->sent++;
                }
                return 1;
        }
        if (status == 400 || status == 409 || status == 413)
                return 2;
        json_error(ret_error, "%zu reports from %lld: %s", count, (long long) seqs[0], strnull(d));
        return status == 401 || status == 403 ? -EACCES : -EAGAIN;
}

int reporter_flush(Spool *spool, Transport *t, FlushStats *ret, char **ret_error) {
        size_t cert_size;
        const uint8_t *cert = transport_client_cert_der(t, &cert_size);
        char kid[JWS_KID_SIZE];
        FlushStats st = {};
        bool one_by_one = false;
        int r = 0;

        *ret = (FlushStats) { .waiting = spool_count(spool) };
        if (!cert)
                return json_error(ret_error, "no client certificate to send reports with");
        if ((r = cert_der_kid(cert, cert_size, kid)) < 0)
                return r;

        for (size_t sent = 0; spool_count(spool) > 0 && sent < REPORTER_FLUSH_MAX; sent++) {
                size_t n;
                int64_t seq = spool_entries(spool, &n)[0].seq;
                _cleanup_free_ char *jws = NULL, *err = NULL;
                TransportResponse resp = {};
                SpoolRecord rec = {};
                bool other_cert;
                size_t len;

                if (!one_by_one) {
                        r = flush_batch(spool, t, kid, &st, ret_error);
                        if (r < 0)
                                break;
                        if (r == 1)
                                continue;
                        one_by_one = r == 2;
                }
                r = spool_read(spool, seq, &jws, &len, &rec, &err);
                if (r == -EBADMSG) {
                        /* Unreadable as a report: it can never be accepted, keep it aside. */
                        (void) spool_reject(spool, seq);
                        st.rejected++;
                        continue;
                }
                if (r < 0) {
                        json_error(ret_error, "%s", strnull(err));
                        break;
                }
                other_cert = !streq(rec.kid, kid);
                spool_record_done(&rec);
                if (other_cert) {
                        (void) spool_reject(spool, seq);
                        st.rejected++;
                        json_error(ret_error, "report %lld was signed under a previous certificate", (long long) seq);
                        continue;
                }
                r = post_compressed(t, "application/jose", jws, len, &resp, ret_error);
                if (r < 0)
                        break;
                if (resp.status >= 200 && resp.status < 300) {
                        r = spool_remove(spool, seq);
                        transport_response_done(&resp);
                        if (r < 0) {
                                json_error(ret_error, "cannot remove report %lld from the spool: %s", (long long) seq,
                                           strerror(-r));
                                break;
                        }
                        st.sent++;
                        continue;
                }
                _cleanup_free_ char *d = transport_response_describe(&resp);
                long status = resp.status;
                st.retry_after_s = resp.retry_after_s;
                transport_response_done(&resp);
                if (status == 400 || status == 409 || status == 413) {
                        /* Resending the same bytes can only get the same answer, and it would
                         * hold back every later report: set it aside for a person. */
                        (void) spool_reject(spool, seq);
                        st.rejected++;
                        json_error(ret_error, "report %lld refused: %s", (long long) seq, strnull(d));
                        r = 0;
                        continue;
                }
                r = status == 401 || status == 403 ? -EACCES : -EAGAIN;
                json_error(ret_error, "report %lld: %s", (long long) seq, strnull(d));
                break;
        }
        st.waiting = spool_count(spool);
        *ret = st;
        return r;
}

/* Transport failures mean "unreachable"; an HTTP answer, even a refusal, means reachable. */
static bool reachable_after(int r) {
        return r >= 0 || r == -EACCES || r == -EAGAIN || r == -EBADMSG;
}

static bool stopping(const ReporterRun *run) {
        return run->stop_requested && run->stop_requested();
}

/* Policy (fetched when the server can be asked), checks, and the signed report. */
static int run_report(const AgentConfig *c, const Identity *id, Spool *spool, Transport *t,
                      ReporterRun *run, char **ret_error) {
        _cleanup_free_ char *err = NULL, *state_path = path_join(c->state_dir, "state.json");
        int r;

        if (!state_path)
                return -ENOMEM;
        if (t) {
                r = reporter_fetch_policy(c, t, &run->policy_updated, &err);
                if (r < 0) {
                        log_info("Using the cached policy: %s", strnull(err));
                        run->reached = reachable_after(r);
                        if (!run->reached) {
                                run->delivery_r = r;
                                run->delivery_error = TAKE_PTR(err);
                        }
                }
        }
        run->failed_step = REPORTER_STEP_POLICY;
        r = reporter_load_policy(c, &run->policy, ret_error);
        if (r < 0)
                return r;

        run->failed_step = REPORTER_STEP_CHECKS;
        CheckRunOptions o = {
                .root = c->root,
                .policy = run->policy,
                .config = c,
                .state_dir = c->state_dir,
                .state_path = state_path,
        };
        r = checks_run(&o, &run->results, &run->n_results);
        if (r < 0)
                return error_set(ret_error, r, "cannot run the checks under \"%s\": %s", c->root,
                                 strerror(-r));

        run->failed_step = REPORTER_STEP_SIGN;
        if (spool)
                return reporter_build(c, id, spool, run->policy, run->results, run->n_results,
                                      &run->seq, ret_error);
        return 0;
}

int reporter_run(const AgentConfig *c, const Identity *id, Spool *spool, Transport *t,
                 ReporterRun *run, char **ret_error) {
        int r;

        run->reached = true;
        if (run->report) {
                r = run_report(c, id, spool, t, run, ret_error);
                if (r < 0)
                        return r;
        }
        if (!spool)
                return 0;
        run->delivery.waiting = spool_count(spool);
        /* SIGTERM: the report is safely spooled; delivery can wait for the next start. */
        if (!t || !run->reached || stopping(run))
                return 0;
        run->flushed = true;
        run->delivery_r = reporter_flush(spool, t, &run->delivery, &run->delivery_error);
        run->reached = reachable_after(run->delivery_r);
        if (run->delivery_r >= 0 && run->delivery.rejected == 0) {
                free(run->delivery_error);
                run->delivery_error = NULL;
        }
        return 0;
}

void reporter_run_done(ReporterRun *run) {
        check_results_free(run->results, run->n_results);
        run->results = NULL;
        run->n_results = 0;
        run->policy = policy_free(run->policy);
        free(run->delivery_error);
        run->delivery_error = NULL;
}
