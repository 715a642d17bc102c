/* SPDX-License-Identifier: MIT */
#pragma once

/* The claims of a signed report (DESIGN.md "Signed report"): built by the agent, validated
 * by the server, `vigie verify` and `vigiectl audit` with the same code.
 *
 * What validation proves without the policy: every field present with its type and range,
 * no unknown member, each check result well-formed (check_result_from_json), check ids
 * valid (^[a-z][a-z0-9_]{0,63}$) and unique, every string bounded and free of C0/C1
 * controls and DEL (newlines only in summary, remediation and evidence), and "compliant":false only when some check is not pass/warn (a check's `required`
 * flag is not in the claims, so a failing check may sit next to "compliant":true).
 * report_claims_check_policy() recomputes the verdict exactly when the verifier holds the
 * policy the report names. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <openssl/x509.h>

#include "check-result.h"
#include "hash-util.h"
#include "jws.h"
#include "policy.h"

#define REPORT_MAX_CHECKS 64
/* Caps on what a check result may say (docs/reports.md, "Claims"). */
#define REPORT_TITLE_MAX 128
#define REPORT_SUMMARY_MAX 1024
#define REPORT_REMEDIATION_MAX 2048
#define REPORT_EVIDENCE_STRING_MAX 4096
#define REPORT_EVIDENCE_KEY_MAX 128
#define REPORT_EVIDENCE_DEPTH 8
#define REPORT_SEQ_MAX ((INT64_C(1) << 53) - 1) /* exact in every JSON implementation */
#define REPORT_HASH_SIZE SHA256_HEX_SIZE

typedef struct ReportClaims {
        char *sub;               /* device id: UUID, lower-case 8-4-4-4-12 */
        int64_t iat;             /* seconds since the epoch */
        int64_t seq;             /* 1, 2, … per device */
        char *prev;              /* report_hash() of the previous report; NULL for the first */
        char *agent_version;
        char *agent_key;         /* "file", "tpm" or "provider" */
        char *hostname;
        char *os_id, *os_version_id, *os_pretty;
        char *kernel;
        char *policy_id;
        int64_t policy_version;
        bool compliant;
        int64_t dropped;         /* reports the spool dropped before this one; 0: claim omitted */
        CheckResult **checks;
        size_t n_checks;
        bool one_block;          /* report_claims_read(): the checks and every string lie in
                                  * the struct's own allocation (freed with it) */
} ReportClaims;

ReportClaims *report_claims_free(ReportClaims *c);
static inline void report_claims_freep(ReportClaims **c) {
        report_claims_free(*c);
}

/* Serialises claims (members in the order of DESIGN.md). The caller sets c->compliant,
 * normally check_results_compliant(). -EINVAL if a field is out of its range (the same
 * rules the validator applies), -ENOMEM. */
int report_claims_to_json(const ReportClaims *c, json_object **ret);
/* Validates claims; -EINVAL with "path: reason" in *ret_error. */
int report_claims_from_json(json_object *j, ReportClaims **ret, char **ret_error);
/* Parses (bounded by JWS_MAX_SIZE) and validates a JWS payload. -EBADMSG / -EINVAL. */
int report_claims_parse(const void *data, size_t size, ReportClaims **ret, char **ret_error);
/* The same decisions and fields in one pass over the payload, without a json-c tree (what
 * the server's ingest runs), except that each check's `evidence` is validated but not
 * built: it stays NULL. What the scan does not accept is read again by
 * report_claims_parse(), which decides and words the refusal (common/report-read.c). */
int report_claims_read(const void *data, size_t size, ReportClaims **ret, char **ret_error);
/* The scan alone, for tests and the fuzzer: 0; -EBADMSG/-EINVAL where report_claims_parse()
 * refuses too; -EAGAIN where only it can decide (a member named twice, evidence breaking a
 * rule, "\u0000", a lone surrogate, an integer beyond int64, deep nesting); -ENOMEM. */
int report_claims_scan(const void *data, size_t size, ReportClaims **ret);
/* The rules on the fields shared by the builder and both readers (evidence when built). */
int report_claims_check(const ReportClaims *c, char **ret_error);
/* With the policy the report names: policy id and version match, and "compliant" equals
 * the verdict recomputed from the checks' statuses and the policy's required flags
 * (a required check missing from the report counts as failing). */
int report_claims_check_policy(const ReportClaims *c, const Policy *p, char **ret_error);

/* The chain hash: sha256 hex of the exact JWS bytes (what `prev` of the next report holds). */
int report_hash(const char *jws, size_t len, char ret[static REPORT_HASH_SIZE]);

/* Everything a verifier does with a report and the certificate of the key that signed it:
 * jws_parse, kid = cert_kid(cert), ES256 signature, claims valid, sub = the certificate's
 * CN. ret_jws and ret_claims may be NULL. -EBADMSG/-EINVAL with a message. */
int report_verify(const char *jws, size_t len, X509 *cert, Jws **ret_jws,
                  ReportClaims **ret_claims, char **ret_error);

/* Lower-case 8-4-4-4-12 hex. */
bool uuid_string_is_valid(const char *s);
