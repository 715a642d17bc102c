/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509_vfy.h>

#include "audit.h"
#include "cleanup.h"
#include "hash-util.h"
#include "jws.h"
#include "report.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(X509_STORE *, X509_STORE_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(X509_STORE_CTX *, X509_STORE_CTX_free)

static const char *const problem_names[_AUDIT_PROBLEM_MAX] = {
        [AUDIT_BAD_CERTIFICATE] = "bad_certificate",
        [AUDIT_MALFORMED] = "malformed",
        [AUDIT_UNKNOWN_KEY] = "unknown_key",
        [AUDIT_BAD_SIGNATURE] = "bad_signature",
        [AUDIT_WRONG_DEVICE] = "wrong_device",
        [AUDIT_OUTSIDE_VALIDITY] = "outside_validity",
        [AUDIT_SEQ_MISMATCH] = "seq_mismatch",
        [AUDIT_GAP] = "gap",
        [AUDIT_CHAIN_BREAK] = "chain_break",
        [AUDIT_OUT_OF_ORDER] = "out_of_order",
        [AUDIT_WRONG_VERDICT] = "wrong_verdict",
};

const char *audit_problem_to_string(AuditProblem p) {
        return p < _AUDIT_PROBLEM_MAX ? problem_names[p] : NULL;
}

AuditResult *audit_result_free(AuditResult *r) {
        if (!r)
                return NULL;
        for (size_t i = 0; i < r->n_findings; i++)
                free(r->findings[i].message);
        free(r->findings);
        free(r);
        return NULL;
}

static int add_finding(AuditResult *r, AuditProblem p, int64_t seq, const char *fmt, ...)
        _printf_(4, 5);
static int add_finding(AuditResult *r, AuditProblem p, int64_t seq, const char *fmt, ...) {
        AuditFinding *f = reallocarray(r->findings, r->n_findings + 1, sizeof(AuditFinding));
        char *m;
        va_list ap;
        int n;

        if (!f)
                return -ENOMEM;
        r->findings = f;
        va_start(ap, fmt);
        n = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        r->findings[r->n_findings++] = (AuditFinding) { .problem = p, .seq = seq, .message = m };
        return 0;
}

typedef struct AuditCert {
        X509 *cert;
        char kid[JWS_KID_SIZE];
        bool trusted;
} AuditCert;

/* Chain to the CA, ignoring time: an old report is judged against its certificate's
 * validity at the time it was issued, not today. */
static int cert_verify_chain(X509 *ca, X509 *cert, const char **ret_reason) {
        _cleanup_(X509_STORE_freep) X509_STORE *store = X509_STORE_new();
        _cleanup_(X509_STORE_CTX_freep) X509_STORE_CTX *ctx = X509_STORE_CTX_new();

        if (!store || !ctx || X509_STORE_add_cert(store, ca) != 1 ||
            X509_STORE_CTX_init(ctx, store, cert, NULL) != 1)
                return -ENOMEM;
        X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME);
        if (X509_verify_cert(ctx) == 1)
                return 0;
        *ret_reason = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
        return -EPERM;
}

static bool cert_valid_at(X509 *cert, int64_t t) {
        time_t tt = (time_t) t;
        return X509_cmp_time(X509_get0_notBefore(cert), &tt) <= 0 &&
               X509_cmp_time(X509_get0_notAfter(cert), &tt) >= 0;
}

static int check_certs(AuditResult *res, const char *device_id, X509 *ca, X509 *const *certs,
                       size_t n, AuditCert *out) {
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *cn = NULL;
                const char *reason = NULL;
                int r;

                out[i].cert = certs[i];
                if (cert_kid(certs[i], out[i].kid) < 0)
                        return -ENOMEM;
                r = cert_verify_chain(ca, certs[i], &reason);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        if (add_finding(res, AUDIT_BAD_CERTIFICATE, -1,
                                        "certificate %.16s…: does not chain to the CA: %s",
                                        out[i].kid, reason) < 0)
                                return -ENOMEM;
                        continue;
                }
                r = cert_common_name(certs[i], &cn);
                if (r == -ENOMEM)
                        return r;
                if (r < 0 || !streq(cn, device_id)) {
                        if (add_finding(res, AUDIT_BAD_CERTIFICATE, -1,
                                        "certificate %.16s…: issued to \"%s\", not to device %s",
                                        out[i].kid, strnull(cn), device_id) < 0)
                                return -ENOMEM;
                        continue;
                }
                out[i].trusted = true;
        }
        return 0;
}

/* Verifies one report; returns 1 when it is authentic (claims in *ret_claims), 0 when not
 * (finding recorded), -ENOMEM. */
static int verify_one(AuditResult *res, const char *device_id, const AuditCert *certs,
                      size_t n_certs, const AuditInput *in, ReportClaims **ret_claims) {
        _cleanup_(jws_freep) Jws *jws = NULL;
        _cleanup_(report_claims_freep) ReportClaims *c = NULL;
        _cleanup_free_ char *err = NULL;
        const AuditCert *cert = NULL;
        int r;

        r = jws_parse(in->jws, in->jws_size, &jws, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return add_finding(res, AUDIT_MALFORMED, in->seq,
                                   "report stored as seq %" PRId64 ": not a valid report JWS: %s",
                                   in->seq, strnull(err)) < 0 ? -ENOMEM : 0;
        for (size_t i = 0; i < n_certs; i++)
                if (certs[i].trusted && streq(certs[i].kid, jws->kid))
                        cert = &certs[i];
        if (!cert)
                return add_finding(res, AUDIT_UNKNOWN_KEY, in->seq,
                                   "report stored as seq %" PRId64 ": signed by key %.16s…, which "
                                   "is not the key of any trusted certificate of this device",
                                   in->seq, jws->kid) < 0 ? -ENOMEM : 0;
        r = jws_verify_cert(jws, cert->cert, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return add_finding(res, AUDIT_BAD_SIGNATURE, in->seq,
                                   "report stored as seq %" PRId64 ": signature does not verify "
                                   "(altered after signing): %s", in->seq, strnull(err)) < 0 ? -ENOMEM : 0;
        r = report_claims_parse(jws->payload, jws->payload_size, &c, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return add_finding(res, AUDIT_MALFORMED, in->seq,
                                   "report stored as seq %" PRId64 ": invalid claims: %s", in->seq,
                                   strnull(err)) < 0 ? -ENOMEM : 0;
        if (!streq(c->sub, device_id))
                return add_finding(res, AUDIT_WRONG_DEVICE, in->seq,
                                   "report stored as seq %" PRId64 ": made by device %s", in->seq,
                                   c->sub) < 0 ? -ENOMEM : 0;
        if (!cert_valid_at(cert->cert, c->iat) &&
            add_finding(res, AUDIT_OUTSIDE_VALIDITY, in->seq,
                        "report stored as seq %" PRId64 ": issued at %" PRId64 ", outside its "
                        "certificate's validity", in->seq, c->iat) < 0)
                return -ENOMEM;
        *ret_claims = TAKE_PTR(c);
        return 1;
}

int audit_device(const char *device_id, X509 *ca, X509 *const *certs, size_t n_certs,
                 const AuditInput *reports, size_t n_reports, AuditResult **ret) {
        _cleanup_(audit_result_freep) AuditResult *res = calloc(1, sizeof(AuditResult));
        _cleanup_free_ AuditCert *ac = calloc(MAX(n_certs, (size_t) 1), sizeof(AuditCert));
        /* the chain position: the previous report's signed (or, if unverifiable, stored)
         * seq and its hash */
        int64_t prev_seq = 0;
        char prev_hash[REPORT_HASH_SIZE] = "";
        bool have_prev = false;
        int r;

        if (!res || !ac)
                return -ENOMEM;
        res->n_reports = n_reports;
        r = check_certs(res, device_id, ca, certs, n_certs, ac);
        if (r < 0)
                return r;

        for (size_t i = 0; i < n_reports; i++) {
                _cleanup_(report_claims_freep) ReportClaims *c = NULL;
                const AuditInput *in = &reports[i];
                const char *claimed_prev;
                int64_t seq;

                if (in->pruned) {
                        if (!in->hash || !sha256_hex_is_valid(in->hash)) {
                                if (add_finding(res, AUDIT_MALFORMED, in->seq,
                                                "report stored as seq %" PRId64 " is pruned without its hash",
                                                in->seq) < 0)
                                        return -ENOMEM;
                                continue;
                        }
                        if (res->n_pruned++ == 0)
                                res->pruned_first = in->seq;
                        res->pruned_last = in->seq;
                        snprintf(res->pruned_before, sizeof(res->pruned_before), "%s", strempty(in->issued_at));
                } else {
                        r = verify_one(res, device_id, ac, n_certs, in, &c);
                        if (r < 0)
                                return r;
                }
                claimed_prev = c ? c->prev : in->pruned ? in->prev : NULL;
                seq = c ? c->seq : in->seq;
                if (c) {
                        res->n_verified++;
                        if (res->first_seq == 0)
                                res->first_seq = c->seq;
                        res->last_seq = MAX(res->last_seq, c->seq);
                        if (c->seq != in->seq &&
                            add_finding(res, AUDIT_SEQ_MISMATCH, in->seq,
                                        "report stored as seq %" PRId64 " was signed as seq %" PRId64
                                        " (moved or reordered)", in->seq, c->seq) < 0)
                                return -ENOMEM;
                }
                if (!have_prev && seq > 1 &&
                    add_finding(res, AUDIT_GAP, in->seq,
                                "reports seq 1 to %" PRId64 " are missing: the history starts at "
                                "report seq %" PRId64, seq - 1, seq) < 0)
                        return -ENOMEM;
                if (have_prev) {
                        if (seq <= prev_seq) {
                                if (add_finding(res, AUDIT_OUT_OF_ORDER, in->seq,
                                                "report seq %" PRId64 " comes after report seq %" PRId64
                                                " (reordered or duplicated)", seq, prev_seq) < 0)
                                        return -ENOMEM;
                        } else if (seq > prev_seq + 1) {
                                if (add_finding(res, AUDIT_GAP, in->seq,
                                                "reports seq %" PRId64 " to %" PRId64 " are missing "
                                                "before report seq %" PRId64 "%s", prev_seq + 1,
                                                seq - 1, seq,
                                                c && c->dropped > 0 ? " (the agent says its spool "
                                                                      "dropped some)" : "") < 0)
                                        return -ENOMEM;
                        } else if ((c || in->pruned) && !streq_ptr(claimed_prev, prev_hash)) {
                                if (add_finding(res, AUDIT_CHAIN_BREAK, in->seq,
                                                "report seq %" PRId64 ": prev is not the hash of "
                                                "report seq %" PRId64 " as stored (that one was "
                                                "altered or replaced)", seq, prev_seq) < 0)
                                        return -ENOMEM;
                        }
                } else if ((c || in->pruned) && seq == 1 && claimed_prev &&
                           add_finding(res, AUDIT_CHAIN_BREAK, in->seq,
                                       "report seq 1 has a prev: it is not a device's first report") < 0)
                        return -ENOMEM;

                /* a report that went backwards does not move the chain position, so
                 * one misplaced report is not also blamed on its neighbours */
                if (!have_prev || seq > prev_seq) {
                        if (in->pruned)
                                memcpy(prev_hash, in->hash, REPORT_HASH_SIZE);
                        else if (report_hash(in->jws, in->jws_size, prev_hash) < 0)
                                return -ENOMEM;
                        prev_seq = seq;
                }
                have_prev = true;
        }
        *ret = TAKE_PTR(res);
        return 0;
}

int audit_verdicts(AuditResult *res, const AuditInput *reports, size_t n_reports,
                   const VerdictPolicy *policies, size_t n_policies) {
        for (size_t i = 0; i < n_reports; i++) {
                _cleanup_(jws_freep) Jws *jws = NULL;
                _cleanup_(report_claims_freep) ReportClaims *c = NULL;
                _cleanup_free_ char *err = NULL;
                const VerdictPolicy *p = NULL;

                /* malformed ones are findings of audit_device already */
                if (jws_parse(reports[i].jws, reports[i].jws_size, &jws, NULL) < 0 ||
                    report_claims_parse(jws->payload, jws->payload_size, &c, NULL) < 0)
                        continue;
                for (size_t k = 0; k < n_policies && !p; k++)
                        if (streq(policies[k].id, c->policy_id) && policies[k].version == c->policy_version)
                                p = &policies[k];
                if (!p) {
                        res->n_verdicts_unchecked++;
                        continue;
                }
                res->n_verdicts_checked++;
                if (report_claims_check_verdict(c, p, &err) < 0 &&
                    add_finding(res, AUDIT_WRONG_VERDICT, reports[i].seq, "report seq %" PRId64 ": %s",
                                reports[i].seq, strnull(err)) < 0)
                        return -ENOMEM;
        }
        return 0;
}
