/* SPDX-License-Identifier: MIT */
#pragma once

/* One check's result, as DESIGN.md "Check result" defines it, and the overall verdict.
 * Shared by the agent (which produces results), the server and verifiers (which read
 * them back from signed reports). */

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "macro.h"

typedef enum CheckStatus {
        CHECK_PASS,
        CHECK_WARN,    /* failing, but inside its grace period: see deadline */
        CHECK_FAIL,
        CHECK_UNKNOWN, /* cannot be determined (no permission, tool missing…) */
        CHECK_ERROR,   /* the check itself broke */
        _CHECK_STATUS_MAX,
        _CHECK_STATUS_INVALID = -EINVAL,
} CheckStatus;

typedef struct CheckResult {
        char *id;
        char *title;
        CheckStatus status;
        char *summary;
        char *remediation;     /* NULL: nothing to do */
        usec_t deadline;       /* 0: none */
        json_object *evidence; /* an object; NULL when read by report_claims_read() */
        uint64_t duration_us;
        bool required;         /* from the policy; not serialised */
} CheckResult;

const char *check_status_to_string(CheckStatus s);
CheckStatus check_status_from_string(const char *s);
/* pass and warn are "ok" for compliance. */
static inline bool check_status_ok(CheckStatus s) {
        return s == CHECK_PASS || s == CHECK_WARN;
}

CheckResult *check_result_new(const char *id, const char *title);
CheckResult *check_result_free(CheckResult *r);
static inline void check_result_freep(CheckResult **r) {
        check_result_free(*r);
}

/* Sets status and summary (printf-style). Returns 0 or -ENOMEM. */
int check_result_set(CheckResult *r, CheckStatus status, const char *fmt, ...) _printf_(3, 4);
int check_result_set_remediation(CheckResult *r, const char *fmt, ...) _printf_(2, 3);

json_object *check_result_to_json(const CheckResult *r);
/* Validates a result read from a report: every field of the right type, a known status. */
int check_result_from_json(json_object *j, CheckResult **ret, char **ret_error);

/* compliant when every required result is pass or warn. */
bool check_results_compliant(CheckResult *const *results, size_t n);
/* {"compliant":…, "checks":[…]} */
json_object *check_results_to_json(CheckResult *const *results, size_t n);
void check_results_free(CheckResult **results, size_t n);
