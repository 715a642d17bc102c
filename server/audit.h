/* SPDX-License-Identifier: MIT */
#pragma once

/* Independent audit of one device's stored reports, as `vigiectl audit` runs it on the
 * auditor's machine: nothing the server says is trusted but the bytes it hands over.
 * Every certificate must chain to the auditor's CA copy and name the device; every report
 * must be a valid ES256 JWS signed by one of those certificates' keys, issued while that
 * certificate was valid, stored under the seq it signed; and the seq/prev chain must run
 * without gaps, breaks or reordering. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "verdict-policy.h"

typedef enum AuditProblem {
        AUDIT_BAD_CERTIFICATE,  /* does not chain to the CA, or names another device */
        AUDIT_MALFORMED,        /* not a JWS, or claims invalid */
        AUDIT_UNKNOWN_KEY,      /* kid of no certificate of this device */
        AUDIT_BAD_SIGNATURE,    /* altered after signing */
        AUDIT_WRONG_DEVICE,     /* sub is another device */
        AUDIT_OUTSIDE_VALIDITY, /* iat outside the signing certificate's validity */
        AUDIT_SEQ_MISMATCH,     /* stored under another seq than the one it signed */
        AUDIT_GAP,              /* seq numbers missing */
        AUDIT_CHAIN_BREAK,      /* prev is not the hash of the report before */
        AUDIT_OUT_OF_ORDER,     /* seq not above the one before (reordered, duplicated) */
        AUDIT_WRONG_VERDICT,    /* "compliant" is not what its checks give under its policy */
        _AUDIT_PROBLEM_MAX,
} AuditProblem;

typedef struct AuditFinding {
        AuditProblem problem;
        int64_t seq;    /* the report's stored seq (certificates: -1) */
        char *message;  /* for people, names the report */
} AuditFinding;

typedef struct AuditInput {
        int64_t seq;       /* as stored */
        const char *jws;
        size_t jws_size;
        /* Body pruned by retention: only what the server kept, which links the chain but
         * proves nothing by itself (the first verified report after it vouches for it). */
        bool pruned;
        const char *hash, *prev, *issued_at;
} AuditInput;

typedef struct AuditResult {
        size_t n_reports, n_verified;
        size_t n_verdicts_checked, n_verdicts_unchecked;
        int64_t first_seq, last_seq;   /* signed seqs of the first and last valid reports */
        size_t n_pruned;               /* reports whose body retention pruned */
        int64_t pruned_first, pruned_last;
        char pruned_before[64];        /* issued_at of the last pruned one, as the server said */
        AuditFinding *findings;
        size_t n_findings;
} AuditResult;

const char *audit_problem_to_string(AuditProblem p);

/* ca: the auditor's trust anchor; certs: the device's certificates (any order). reports in
 * the order the server returned them (by stored seq). Returns 0 with the findings (none
 * when all is well) or -ENOMEM. */
int audit_device(const char *device_id, X509 *ca, X509 *const *certs, size_t n_certs,
                 const AuditInput *reports, size_t n_reports, AuditResult **ret);
/* With the policies the auditor holds (their own copies): every report naming one of
 * them must carry the verdict its checks give under it (report_claims_check_verdict).
 * Reports naming another policy are counted in res->n_verdicts_unchecked. -ENOMEM. */
int audit_verdicts(AuditResult *res, const AuditInput *reports, size_t n_reports,
                   const VerdictPolicy *policies, size_t n_policies);
AuditResult *audit_result_free(AuditResult *r);
static inline void audit_result_freep(AuditResult **r) {
        audit_result_free(*r);
}
