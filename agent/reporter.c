/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs-util.h"
#include "json-util.h"
#include "os-release.h"
#include "reporter.h"
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
                .cert = id ? id->cert : NULL,
                .key = id ? id->key : NULL,
                .connect_timeout = c->connect_timeout,
                .timeout = c->timeout,
        };
        r = transport_new(&o, ret);
        if (r < 0)
                json_error(ret_error, "cannot set up HTTPS to \"%s\": %s", c->server_url, strerror(-r));
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

/* Host facts go into the claims as the validator wants them: bounded, printable. */
static char *bounded(const char *s, size_t max) {
        size_t n = strnlen(strempty(s), max);
        char *t;

        /* Cut on a UTF-8 character boundary. */
        while (n > 0 && s[n] && ((unsigned char) s[n] & 0xc0) == 0x80)
                n--;
        t = malloc(n + 1);

        if (!t)
                return NULL;
        for (size_t i = 0; i < n; i++)
                t[i] = (unsigned char) s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
        t[n] = 0;
        return t;
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

int reporter_flush(Spool *spool, Transport *t, FlushStats *ret, char **ret_error) {
        X509 *cert = transport_client_cert(t);
        char kid[JWS_KID_SIZE];
        FlushStats st = {};
        int r = 0;

        *ret = (FlushStats) { .waiting = spool_count(spool) };
        if (!cert)
                return json_error(ret_error, "no client certificate to send reports with");
        if ((r = cert_kid(cert, kid)) < 0)
                return r;

        for (size_t sent = 0; spool_count(spool) > 0 && sent < REPORTER_FLUSH_MAX; sent++) {
                size_t n;
                int64_t seq = spool_entries(spool, &n)[0].seq;
                _cleanup_free_ char *jws = NULL, *err = NULL;
                TransportResponse resp = {};
                SpoolRecord rec = {};
                bool other_cert;
                size_t len;

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
                r = transport_request(t, "POST", "/v1/reports", "application/jose", jws, len, NULL, &resp, ret_error);
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
