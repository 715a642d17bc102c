/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "device-key.h"
#include "fleet-query.h"
#include "json-util.h"
#include "parse-util.h"
#include "policy-schema.h"
#include "text-util.h"
#include "time-util.h"

static const char *const status_names[_FLEET_STATUS_MAX] = {
        [FLEET_STATUS_ANY] = "any",
        [FLEET_STATUS_COMPLIANT] = "compliant",
        [FLEET_STATUS_NONCOMPLIANT] = "noncompliant",
        [FLEET_STATUS_STALE] = "stale",
        [FLEET_STATUS_FLAGGED] = "flagged",
        [FLEET_STATUS_REVOKED] = "revoked",
};

static const char *const sort_names[_FLEET_SORT_MAX] = {
        [FLEET_SORT_DEVICE] = "device",
        [FLEET_SORT_HOSTNAME] = "hostname",
        [FLEET_SORT_LAST_REPORT] = "last_report",
        [FLEET_SORT_NONCOMPLIANT_SINCE] = "noncompliant_since",
};

const char *fleet_status_to_string(FleetStatus s) {
        return s >= 0 && s < _FLEET_STATUS_MAX ? status_names[s] : NULL;
}

FleetStatus fleet_status_from_string(const char *s) {
        for (int i = 0; s && i < _FLEET_STATUS_MAX; i++)
                if (streq(s, status_names[i]))
                        return (FleetStatus) i;
        return _FLEET_STATUS_INVALID;
}

const char *fleet_sort_to_string(FleetSort s) {
        return s >= 0 && s < _FLEET_SORT_MAX ? sort_names[s] : NULL;
}

FleetSort fleet_sort_from_string(const char *s) {
        for (int i = 0; s && i < _FLEET_SORT_MAX; i++)
                if (streq(s, sort_names[i]))
                        return (FleetSort) i;
        return _FLEET_SORT_INVALID;
}

FleetQuery *fleet_query_free(FleetQuery *q) {
        if (!q)
                return NULL;
        free(q->check);
        free(q->os_id);
        free(q->os_version);
        free(q->q);
        free(q->cursor.key_text);
        free(q->cursor.device_id);
        free(q);
        return NULL;
}

/* Percent-decodes [s, s+n) ('+' is a space, as in forms). Refuses bad escapes, NUL and
 * control characters, and values over max bytes. */
static int url_decode(const char *s, size_t n, size_t max, char **ret) {
        _cleanup_free_ char *out = NULL;
        size_t j = 0;

        if (n > max * 3)
                return -E2BIG;
        out = malloc(n + 1);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];
                if (c == '%') {
                        int hi, lo;
                        if (i + 2 >= n)
                                return -EINVAL;
                        hi = unhexchar(s[i + 1]);
                        lo = unhexchar(s[i + 2]);
                        if (hi < 0 || lo < 0)
                                return -EINVAL;
                        c = (unsigned char) (hi << 4 | lo);
                        i += 2;
                } else if (c == '+')
                        c = ' ';
                if (c < 0x20 || c == 0x7f)
                        return -EINVAL;
                out[j++] = (char) c;
        }
        out[j] = 0;
        if (j > max)
                return -E2BIG;
        *ret = TAKE_PTR(out);
        return 0;
}

static bool valid_check_id(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n > 64)
                return false;
        return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

int fleet_cursor_unhex(const char *s, char **ret) {
        size_t n = strlen(s);
        _cleanup_free_ char *out = NULL;

        if (n % 2 != 0)
                return -EINVAL;
        out = malloc(n / 2 + 1);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n; i += 2) {
                int hi = unhexchar(s[i]), lo = unhexchar(s[i + 1]);
                if (hi < 0 || lo < 0)
                        return -EINVAL;
                out[i / 2] = (char) (hi << 4 | lo);
        }
        out[n / 2] = 0;
        *ret = TAKE_PTR(out);
        return 0;
}

void fleet_query_filter(const FleetQuery *q, FleetFilter *ret) {
        *ret = (FleetFilter) {
                .status = q->status,
                .check = q->check,
                .check_status = q->check_status,
                .os_id = q->os_id,
                .os_version = q->os_version,
                .hostname_part = q->q,
                /* a since= in the first second of the epoch still asks for a report */
                .received_since = q->since > 0 ? MAX((int64_t) (q->since / USEC_PER_SEC), 1) : 0,
                .key_kind = q->key_kind,
                .policy_outdated = q->policy_outdated,
                .sort = q->sort,
                .descending = q->descending,
                .limit = q->limit,
                .after = { .set = q->cursor.set, .key_int = q->cursor.key_int,
                           .key_text = q->cursor.key_text, .device_id = q->cursor.device_id },
        };
}

/* A cursor is the hex of {"s":sort,"d":descending,"k":key,"i":device_id}: opaque to
 * clients, bound to the sort it was made for so it cannot be replayed under another. */
char *fleet_cursor_hex(json_object *j) {
        const char *text = json_compact(j);
        size_t n = strlen(text);
        char *out = malloc(2 * n + 1);

        if (!out)
                return NULL;
        hexlify((const uint8_t *) text, n, out);
        return out;
}

char *fleet_cursor_encode(const FleetQuery *q, int64_t key_int, const char *key_text,
                          const char *device_id) {
        _cleanup_json_ json_object *j = json_object_new_object();

        if (!j || json_add_string(j, "s", fleet_sort_to_string(q->sort)) < 0 ||
            json_add_bool(j, "d", q->descending) < 0 ||
            (fleet_sort_is_text(q->sort) ? json_add_string(j, "k", strempty(key_text))
                                         : json_add_int(j, "k", key_int)) < 0 ||
            json_add_string(j, "i", device_id) < 0)
                return NULL;
        return fleet_cursor_hex(j);
}

static int cursor_decode(FleetQuery *q, const char *value) {
        _cleanup_free_ char *text = NULL;
        _cleanup_json_ json_object *j = NULL;
        const char *sort, *id, *key_text = NULL;
        int64_t key_int = 0;
        bool desc;

        if (fleet_cursor_unhex(value, &text) < 0 || json_parse(text, strlen(text), &j, NULL) < 0 ||
            !json_object_is_type(j, json_type_object) ||
            json_get_string(j, "cursor", "s", &sort, NULL) < 0 ||
            json_get_bool(j, "cursor", "d", &desc, NULL) < 0 ||
            json_get_string(j, "cursor", "i", &id, NULL) < 0)
                return -EINVAL;
        if (fleet_sort_from_string(sort) != q->sort || desc != q->descending)
                return -ESRCH;
        if (fleet_sort_is_text(q->sort) ? json_get_string(j, "cursor", "k", &key_text, NULL) < 0
                                        : json_get_int(j, "cursor", "k", 0, INT64_MAX, &key_int,
                                                       NULL) < 0)
                return -EINVAL;
        /* What this server puts in a cursor: a device id and a key, bounded and without
         * control characters (JSON writes those six bytes long: the cursor would not fit). */
        if (!text_is_safe(id, FLEET_CURSOR_ID_MAX, 0) ||
            (key_text && !text_is_safe(key_text, FLEET_CURSOR_KEY_MAX, TEXT_EMPTY_OK)))
                return -EINVAL;
        q->cursor.key_int = key_int;
        if (key_text) {
                q->cursor.key_text = strdup(key_text);
                if (!q->cursor.key_text)
                        return -ENOMEM;
        }
        q->cursor.device_id = strdup(id);
        if (!q->cursor.device_id)
                return -ENOMEM;
        q->cursor.set = true;
        return 0;
}

/* since=: an RFC 3339 time, or a duration meaning "that long ago" ("24h", "7d"). */
int fleet_parse_time(const char *v, usec_t *ret) {
        usec_t t, now = now_realtime();

        if (parse_rfc3339(v, false, &t) >= 0) {
                *ret = t;
                return 0;
        }
        if (parse_duration(v, &t) >= 0) {
                *ret = t >= now ? 1 : now - t;
                return 0;
        }
        return -EINVAL;
}

#define FAIL(fmt, ...) (json_error(ret_error, fmt, __VA_ARGS__), -EINVAL)

int fleet_parse_key(const char *v, const char **ret, char **ret_error) {
        const char *name = device_key_to_string(device_key_from_string(v));

        /* from_string reads any other word as unknown: only the names themselves pass */
        if (!streq(v, name))
                return FAIL("key=\"%s\": expected one of tpm, tpm_unverified, file, provider, "
                            "unknown", v);
        *ret = name;
        return 0;
}

int fleet_parse_policy(const char *v, bool *ret_outdated, char **ret_error) {
        if (!streq(v, "outdated"))
                return FAIL("policy=\"%s\": expected outdated (devices whose latest report "
                            "named an older policy than the current one)", v);
        *ret_outdated = true;
        return 0;
}

static int apply_param(FleetQuery *q, const char *key, const char *v, const char **deferred_cursor,
                       char **ret_error) {
        if (streq(key, "status")) {
                FleetStatus s = fleet_status_from_string(v);
                if (s < 0)
                        return FAIL("status=\"%s\": expected one of compliant, noncompliant, "
                                    "stale, flagged, revoked, any", v);
                q->status = s;
        } else if (streq(key, "check")) {
                if (!valid_check_id(v)) {
                        _cleanup_free_ char *known = policy_check_ids_joined();
                        return FAIL("check=\"%s\": expected a check id such as %s", v, known ? known : "backup");
                }
                free(q->check);
                q->check = strdup(v);
                if (!q->check)
                        return -ENOMEM;
        } else if (streq(key, "check_status")) {
                CheckStatus s = check_status_from_string(v);
                if (s < 0)
                        return FAIL("check_status=\"%s\": expected one of pass, warn, fail, "
                                    "unknown, error", v);
                q->check_status = s;
        } else if (streq(key, "os")) {
                if (*v == 0 || string_has_cc(v))
                        return FAIL("os=\"%s\": expected an os-release ID, optionally with "
                                    ":VERSION_ID (debian, debian:12)", v);
                const char *colon = strchr(v, ':');
                free(q->os_id);
                free(q->os_version);
                q->os_version = NULL;
                q->os_id = colon ? strndup(v, (size_t) (colon - v)) : strdup(v);
                if (!q->os_id || (colon && !(q->os_version = strdup(colon + 1))))
                        return -ENOMEM;
        } else if (streq(key, "q")) {
                free(q->q);
                q->q = strdup(v);
                if (!q->q)
                        return -ENOMEM;
        } else if (streq(key, "since")) {
                if (fleet_parse_time(v, &q->since) < 0)
                        return FAIL("since=\"%s\": expected an RFC 3339 time "
                                    "(2026-11-29T10:00:00Z) or a duration ago (24h, 7d)", v);
        } else if (streq(key, "key")) {
                return fleet_parse_key(v, &q->key_kind, ret_error);
        } else if (streq(key, "policy")) {
                return fleet_parse_policy(v, &q->policy_outdated, ret_error);
        } else if (streq(key, "sort")) {
                bool desc = *v == '-';
                FleetSort s = fleet_sort_from_string(v + desc);
                if (s < 0)
                        return FAIL("sort=\"%s\": expected device, hostname, last_report or "
                                    "noncompliant_since, with a leading '-' for descending", v);
                q->sort = s;
                q->descending = desc;
        } else if (streq(key, "limit")) {
                int n;
                if (parse_int_range(v, 1, FLEET_LIMIT_MAX, &n) < 0)
                        return FAIL("limit=\"%s\": expected a number from 1 to %u", v,
                                    FLEET_LIMIT_MAX);
                q->limit = (unsigned) n;
        } else if (streq(key, "cursor"))
                *deferred_cursor = v; /* decoded once the sort is known */
        else
                return FAIL("unknown parameter \"%s\": expected status, check, check_status, "
                            "os, q, since, key, policy, sort, limit or cursor", key);
        return 0;
}

int fleet_query_parse(const char *query, FleetQuery **ret, char **ret_error) {
        _cleanup_(fleet_query_freep) FleetQuery *q = NULL;
        _cleanup_strv_free_ char **seen = NULL, **values = NULL;
        const char *cursor = NULL;
        size_t len = strlen(strempty(query));
        int r;

        if (len > FLEET_QUERY_MAX)
                return FAIL("query string of %zu bytes is too long (at most %u)", len,
                            FLEET_QUERY_MAX);
        q = calloc(1, sizeof(FleetQuery));
        if (!q)
                return -ENOMEM;
        q->check_status = _CHECK_STATUS_INVALID;
        q->limit = FLEET_LIMIT_DEFAULT;

        for (const char *p = strempty(query); *p;) {
                size_t n = strcspn(p, "&");
                const char *eq = memchr(p, '=', n);
                _cleanup_free_ char *key = NULL, *value = NULL;

                if (n == 0) { /* "a=1&&b=2" */
                        p++;
                        continue;
                }
                if (!eq)
                        return FAIL("parameter \"%.*s\" has no value (expected NAME=VALUE)",
                                    (int) MIN(n, 64), p);
                r = url_decode(p, (size_t) (eq - p), FLEET_VALUE_MAX, &key);
                if (r >= 0)
                        r = url_decode(eq + 1, n - (size_t) (eq - p) - 1,
                                       streq(key, "cursor") ? FLEET_CURSOR_MAX : FLEET_VALUE_MAX, &value);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return FAIL("parameter \"%.*s\" is not a valid URL-encoded value%s",
                                    (int) MIN(n, 64), p,
                                    r == -E2BIG ? " (too long)" : "");
                if (strv_contains(seen, key))
                        return FAIL("parameter \"%s\" given twice", key);
                if (strv_extend(&seen, key) < 0)
                        return -ENOMEM;
                /* values must outlive apply_param for the deferred cursor */
                if (strv_push(&values, value) < 0)
                        return -ENOMEM;
                r = apply_param(q, key, TAKE_PTR(value), &cursor, ret_error);
                if (r < 0)
                        return r;
                p += n + (p[n] == '&');
        }
        if (q->check_status >= 0 && !q->check)
                return FAIL("%s", "check_status= needs check= (which check to look at)");
        if (cursor) {
                r = cursor_decode(q, cursor);
                if (r == -ENOMEM)
                        return r;
                if (r == -ESRCH)
                        return FAIL("%s", "cursor= belongs to another sort order; "
                                          "start again without cursor=");
                if (r < 0)
                        return FAIL("%s", "cursor= is not a cursor this server returned");
        }
        *ret = TAKE_PTR(q);
        return 0;
}
