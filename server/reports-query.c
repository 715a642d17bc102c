/* SPDX-License-Identifier: MIT */
/* GET /v1/fleet/devices/{id}/reports?from=&to=&limit=&cursor= */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/keyvalq_struct.h>

#include "cleanup.h"
#include "error-util.h"
#include "fleet-query.h"
#include "json-util.h"
#include "macro.h"
#include "parse-util.h"
#include "reports-query.h"
#include "time-util.h"

#define FAIL(...) error_set(ret_error, -EINVAL, __VA_ARGS__)

/* A cursor is the hex of {"r":device_id,"q":seq}: opaque to clients; "r" keeps a cursor
 * of GET /v1/fleet/devices (which has "i") or of another device from being taken here. */
char *reports_cursor_encode(const char *device_id, int64_t seq) {
        _cleanup_json_ json_object *j = json_object_new_object();

        if (!j || json_add_string(j, "r", device_id) < 0 || json_add_int(j, "q", seq) < 0)
                return NULL;
        return fleet_cursor_hex(j);
}

/* -EINVAL: not a cursor; -ESRCH: a cursor of another device's reports. */
static int cursor_decode(const char *value, const char *device_id, int64_t *ret_seq) {
        _cleanup_free_ char *text = NULL;
        _cleanup_json_ json_object *j = NULL;
        const char *id;
        int64_t seq;
        int r;

        if (strlen(value) > REPORTS_CURSOR_MAX)
                return -EINVAL;
        r = fleet_cursor_unhex(value, &text);
        if (r < 0)
                return r;
        if (json_parse(text, strlen(text), &j, NULL) < 0 || !json_object_is_type(j, json_type_object) ||
            json_object_object_length(j) != 2 || json_get_string(j, "cursor", "r", &id, NULL) < 0 ||
            json_get_int(j, "cursor", "q", 0, INT64_MAX, &seq, NULL) < 0)
                return -EINVAL;
        if (!streq(id, device_id))
                return -ESRCH;
        *ret_seq = seq;
        return 0;
}

static int parse_time(const char *name, const char *v, int64_t *ret, char **ret_error) {
        usec_t t;

        if (parse_rfc3339(v, false, &t) < 0)
                return FAIL("%s=\"%.64s\": expected an RFC 3339 time such as 2026-11-29T10:00:00Z",
                            name, v);
        *ret = (int64_t) (t / USEC_PER_SEC);
        return 0;
}

static int parse_limit(const char *v, unsigned *ret, char **ret_error) {
        uint64_t n;

        if (parse_uint64(v, &n) < 0 || n < 1 || n > REPORTS_LIMIT_MAX)
                return FAIL("limit=\"%.64s\": expected a number of reports from 1 to %u", v,
                            REPORTS_LIMIT_MAX);
        *ret = (unsigned) n;
        return 0;
}

int reports_query_parse(const struct evkeyvalq *params, const char *device_id, ReportsQuery *ret,
                        char **ret_error) {
        static const char *const names[] = { "from", "to", "limit", "cursor" };
        ReportsQuery q = { .limit = REPORTS_LIMIT_DEFAULT, .after_seq = -1 };
        bool seen[ELEMENTSOF(names)] = {};
        struct evkeyval *kv;
        int r;

        TAILQ_FOREACH(kv, params, next) {
                size_t i = 0;

                while (i < ELEMENTSOF(names) && !streq(kv->key, names[i]))
                        i++;
                if (i == ELEMENTSOF(names))
                        return FAIL("unknown parameter \"%.64s\": expected from, to, limit or cursor",
                                    kv->key);
                if (seen[i])
                        return FAIL("%s= is given twice", names[i]);
                seen[i] = true;
                if (i == 0)
                        r = parse_time("from", kv->value, &q.from, ret_error);
                else if (i == 1)
                        r = parse_time("to", kv->value, &q.to, ret_error);
                else if (i == 2)
                        r = parse_limit(kv->value, &q.limit, ret_error);
                else {
                        r = cursor_decode(kv->value, device_id, &q.after_seq);
                        if (r == -ESRCH)
                                return FAIL("%s", "cursor= belongs to another device's reports; "
                                                  "start again without cursor=");
                        if (r == -ENOMEM)
                                return r;
                        if (r < 0)
                                return FAIL("%s", "cursor= is not a cursor this server returned "
                                                  "(use next_cursor of the previous page as it is)");
                }
                if (r < 0)
                        return r;
        }
        *ret = q;
        return 0;
}
