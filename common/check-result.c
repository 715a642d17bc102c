/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check-result.h"
#include "cleanup.h"
#include "json-util.h"
#include "time-util.h"

static const char *const status_names[_CHECK_STATUS_MAX] = {
        [CHECK_PASS] = "pass",       [CHECK_WARN] = "warn",   [CHECK_FAIL] = "fail",
        [CHECK_UNKNOWN] = "unknown", [CHECK_ERROR] = "error",
};

const char *check_status_to_string(CheckStatus s) {
        return s >= 0 && s < _CHECK_STATUS_MAX ? status_names[s] : NULL;
}

CheckStatus check_status_from_string(const char *s) {
        for (int i = 0; s && i < _CHECK_STATUS_MAX; i++)
                if (streq(s, status_names[i]))
                        return (CheckStatus) i;
        return _CHECK_STATUS_INVALID;
}

CheckResult *check_result_new(const char *id, const char *title) {
        _cleanup_(check_result_freep) CheckResult *r = calloc(1, sizeof(CheckResult));

        if (!r)
                return NULL;
        r->status = CHECK_UNKNOWN;
        r->id = strdup(id);
        r->title = strdup(title);
        r->evidence = json_object_new_object();
        if (!r->id || !r->title || !r->evidence)
                return NULL;
        return TAKE_PTR(r);
}

CheckResult *check_result_free(CheckResult *r) {
        if (!r)
                return NULL;
        free(r->id);
        free(r->title);
        free(r->summary);
        free(r->remediation);
        json_object_put(r->evidence);
        free(r);
        return NULL;
}

static int vset(char **field, const char *fmt, va_list ap) {
        char *s;
        if (vasprintf(&s, fmt, ap) < 0)
                return -ENOMEM;
        free(*field);
        *field = s;
        return 0;
}

int check_result_set(CheckResult *r, CheckStatus status, const char *fmt, ...) {
        va_list ap;
        int ret;

        r->status = status;
        va_start(ap, fmt);
        ret = vset(&r->summary, fmt, ap);
        va_end(ap);
        return ret;
}

int check_result_set_remediation(CheckResult *r, const char *fmt, ...) {
        va_list ap;
        int ret;

        va_start(ap, fmt);
        ret = vset(&r->remediation, fmt, ap);
        va_end(ap);
        return ret;
}

json_object *check_result_to_json(const CheckResult *r) {
        _cleanup_json_ json_object *j = json_object_new_object();
        char buf[RFC3339_MAX];

        if (!j)
                return NULL;
        if (json_add_string(j, "id", r->id) < 0 ||
            json_add_string(j, "status", check_status_to_string(r->status)) < 0 ||
            json_add_string(j, "title", r->title) < 0 ||
            json_add_string(j, "summary", strempty(r->summary)) < 0 ||
            json_add_string(j, "remediation", r->remediation) < 0 ||
            json_add_string(j, "deadline", r->deadline ? format_rfc3339(r->deadline, buf) : NULL) < 0 ||
            json_add(j, "evidence", json_object_get(r->evidence)) < 0 ||
            json_add_int(j, "duration_us", (int64_t) r->duration_us) < 0)
                return NULL;
        return TAKE_PTR(j);
}

static int get_nullable_string(json_object *j, const char *key, char **ret, char **ret_error) {
        json_object *v;
        if (!json_object_object_get_ex(j, key, &v))
                return json_error(ret_error, "checks[].%s: missing", key);
        if (!v) {
                *ret = NULL;
                return 0;
        }
        if (!json_object_is_type(v, json_type_string))
                return json_error(ret_error, "checks[].%s: expected string or null, got %s", key,
                                  json_type_label(v));
        *ret = strdup(json_object_get_string(v));
        return *ret ? 0 : -ENOMEM;
}

int check_result_from_json(json_object *j, CheckResult **ret, char **ret_error) {
        _cleanup_(check_result_freep) CheckResult *r = NULL;
        const char *id, *title, *status, *summary;
        _cleanup_free_ char *deadline = NULL;
        json_object *ev;
        int64_t dur;
        int e;

        if (!json_object_is_type(j, json_type_object))
                return json_error(ret_error, "checks[]: expected object, got %s", json_type_label(j));
        if ((e = json_get_string(j, "checks[]", "id", &id, ret_error)) < 0 ||
            (e = json_get_string(j, "checks[]", "title", &title, ret_error)) < 0 ||
            (e = json_get_string(j, "checks[]", "status", &status, ret_error)) < 0 ||
            (e = json_get_string(j, "checks[]", "summary", &summary, ret_error)) < 0)
                return e == -ENOENT ? json_error(ret_error, "checks[]: id, title, status and summary are required") : e;
        r = check_result_new(id, title);
        if (!r)
                return -ENOMEM;
        r->status = check_status_from_string(status);
        if (r->status < 0)
                return json_error(ret_error, "checks[].status: unknown status \"%s\"", status);
        if (!(r->summary = strdup(summary)))
                return -ENOMEM;
        if ((e = get_nullable_string(j, "remediation", &r->remediation, ret_error)) < 0 ||
            (e = get_nullable_string(j, "deadline", &deadline, ret_error)) < 0)
                return e;
        if (deadline && parse_rfc3339(deadline, false, &r->deadline) < 0)
                return json_error(ret_error, "checks[].deadline: not an RFC 3339 time: \"%s\"", deadline);
        if (!json_object_object_get_ex(j, "evidence", &ev) || !json_object_is_type(ev, json_type_object))
                return json_error(ret_error, "checks[].evidence: expected object");
        json_object_put(r->evidence);
        r->evidence = json_object_get(ev);
        e = json_get_int(j, "checks[]", "duration_us", 0, INT64_MAX, &dur, ret_error);
        if (e < 0 && e != -ENOENT)
                return e;
        r->duration_us = e < 0 ? 0 : (uint64_t) dur;
        *ret = TAKE_PTR(r);
        return 0;
}

bool check_results_compliant(CheckResult *const *results, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (results[i]->required && !check_status_ok(results[i]->status))
                        return false;
        return true;
}

json_object *check_results_to_json(CheckResult *const *results, size_t n) {
        _cleanup_json_ json_object *j = json_object_new_object();
        json_object *a = json_object_new_array();

        if (!j || !a || json_add_bool(j, "compliant", check_results_compliant(results, n)) < 0 ||
            json_add(j, "checks", a) < 0)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                json_object *c = check_result_to_json(results[i]);
                if (!c || json_object_array_add(a, c) < 0)
                        return NULL;
        }
        return TAKE_PTR(j);
}

void check_results_free(CheckResult **results, size_t n) {
        for (size_t i = 0; results && i < n; i++)
                check_result_free(results[i]);
        free(results);
}
