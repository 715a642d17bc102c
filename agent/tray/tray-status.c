/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fs-util.h"
#include "json-util.h"
#include "parse-util.h"
#include "time-util.h"
#include "tray-status.h"

static const char *get_str(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
                       ? json_object_get_string(v)
                       : NULL;
}

static int get_bool(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_boolean)
                       ? json_object_get_boolean(v)
                       : -1;
}

static int dup_str(json_object *o, const char *key, char **ret) {
        const char *s = get_str(o, key);

        if (!s)
                return 0;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

/* 1 and the check, or 0 when the entry has no id (skipped). */
static int parse_check(json_object *j, CheckResult **ret) {
        _cleanup_(check_result_freep) CheckResult *c = NULL;
        const char *id, *s;
        int r;

        if (!json_object_is_type(j, json_type_object) || !(id = get_str(j, "id")))
                return 0;
        c = check_result_new(id, get_str(j, "title") ?: id);
        if (!c)
                return -ENOMEM;
        if ((r = dup_str(j, "summary", &c->summary)) < 0 || (r = dup_str(j, "remediation", &c->remediation)) < 0)
                return r;
        s = get_str(j, "status");
        if (s && check_status_from_string(s) >= 0)
                c->status = check_status_from_string(s);
        s = get_str(j, "deadline");
        if (s && parse_rfc3339(s, false, &c->deadline) < 0)
                c->deadline = 0;
        c->required = get_bool(j, "required") != 0;
        *ret = TAKE_PTR(c);
        return 1;
}

static usec_t get_time(json_object *o, const char *key) {
        const char *s = get_str(o, key);
        usec_t t;

        return s && parse_rfc3339(s, false, &t) >= 0 ? t : 0;
}

static const char *const access_states[] = {
        [ACCESS_ALLOWED] = "allowed",
        [ACCESS_GRACE] = "grace",
        [ACCESS_BLOCKED] = "blocked",
};

/* "access": {"state","grace_until","reason","checked_at"}; an unknown state is no state. */
static int parse_access(json_object *j, TrayAccess *ret) {
        json_object *a;
        const char *state;

        *ret = (TrayAccess) { .state = ACCESS_UNKNOWN };
        if (!json_object_object_get_ex(j, "access", &a) || !json_object_is_type(a, json_type_object) ||
            !(state = get_str(a, "state")))
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(access_states); i++)
                if (streq(state, access_states[i]))
                        ret->state = (AccessState) i;
        ret->grace_until = get_time(a, "grace_until");
        ret->checked_at = get_time(a, "checked_at");
        return dup_str(a, "reason", &ret->reason);
}

/* "support": {"url", "email"} from the site's configuration, as a URL to open; anything
 * that is not a plain https:// or mailto: URL (or address) is ignored. */
static int parse_support(json_object *j, char **ret) {
        json_object *o;
        const char *url, *email;

        *ret = NULL;
        if (!json_object_object_get_ex(j, "support", &o) || !json_object_is_type(o, json_type_object))
                return 0;
        url = get_str(o, "url");
        email = get_str(o, "email");
        if (contact_url_is_valid(url))
                *ret = strdup(url);
        else if (email_address_is_valid(email))
                return asprintf(ret, "mailto:%s", email) < 0 ? (*ret = NULL, -ENOMEM) : 0;
        else
                return 0;
        return *ret ? 0 : -ENOMEM;
}

int tray_status_parse(const char *data, size_t size, TrayStatus *ret) {
        _cleanup_json_ json_object *j = NULL;
        TrayStatus s = { .present = true };
        json_object *checks, *agent, *v;
        int r;

        r = json_parse(data, size, &j, NULL);
        if (r < 0)
                return r;
        if (!json_object_is_type(j, json_type_object))
                return -EBADMSG;
        s.enrolled = get_bool(j, "enrolled");
        s.compliant = get_bool(j, "compliant");
        if (json_object_object_get_ex(j, "agent", &agent) && json_object_is_type(agent, json_type_object) &&
            json_object_object_get_ex(agent, "pid", &v) && json_object_is_type(v, json_type_int))
                s.pid = json_object_get_int64(v);
        if (json_object_object_get_ex(j, "agent", &agent) && json_object_is_type(agent, json_type_object))
                s.cycle_running = streq_ptr(get_str(agent, "state"), "cycle");
        s.last_check = get_time(j, "last_check");
        r = parse_access(j, &s.access);
        if (r >= 0)
                r = parse_support(j, &s.support);
        if (r >= 0)
                r = dup_str(j, "identity_problem", &s.identity_problem);
        if (r < 0) {
                tray_status_done(&s);
                return r;
        }
        if (json_object_object_get_ex(j, "checks", &checks) && json_object_is_type(checks, json_type_array)) {
                size_t n = MIN(json_object_array_length(checks), (size_t) TRAY_CHECKS_MAX);

                s.checks = n ? calloc(n, sizeof(CheckResult *)) : NULL;
                if (n && !s.checks)
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++) {
                        r = parse_check(json_object_array_get_idx(checks, i), &s.checks[s.n_checks]);
                        if (r < 0) {
                                tray_status_done(&s);
                                return r;
                        }
                        s.n_checks += r;
                }
        }
        *ret = s;
        return 0;
}

int tray_status_load(const char *path, TrayStatus *ret) {
        _cleanup_free_ char *data = NULL;
        size_t size;
        int r;

        r = read_file_full(path, TRAY_STATUS_FILE_MAX, &data, &size);
        if (r == -ENOENT) {
                *ret = (TrayStatus) { .enrolled = -1, .compliant = -1, .access.state = ACCESS_UNKNOWN };
                return 0;
        }
        if (r < 0)
                return r;
        return tray_status_parse(data, size, ret);
}

void tray_status_done(TrayStatus *s) {
        check_results_free(s->checks, s->n_checks);
        free(s->access.reason);
        free(s->support);
        free(s->identity_problem);
        *s = (TrayStatus) { .enrolled = -1, .compliant = -1, .access.state = ACCESS_UNKNOWN };
}
