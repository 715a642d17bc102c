/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "json-util.h"
#include "macro.h"
#include "policy-enforcement.h"

static const char *const mode_table[_ENFORCEMENT_MODE_MAX] = {
        [ENFORCEMENT_MONITOR] = "monitor",
        [ENFORCEMENT_WARN_THEN_BLOCK] = "warn_then_block",
        [ENFORCEMENT_BLOCK] = "block",
};

const char *enforcement_mode_to_string(EnforcementMode m) {
        return m >= 0 && m < _ENFORCEMENT_MODE_MAX ? mode_table[m] : NULL;
}

EnforcementMode enforcement_mode_from_string(const char *s) {
        for (int i = 0; i < _ENFORCEMENT_MODE_MAX; i++)
                if (streq(s, mode_table[i]))
                        return i;
        return -EINVAL;
}

void policy_enforcement_init(PolicyEnforcement *e) {
        *e = (PolicyEnforcement) { .mode = ENFORCEMENT_MONITOR, .grace_hours = 72, .stale_allowed = true };
}

static void overrides_free(EnforcementOverride *o, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(o[i].check_id);
        free(o);
}

void policy_enforcement_done(PolicyEnforcement *e) {
        overrides_free(e->overrides, e->n_overrides);
        e->overrides = NULL;
        e->n_overrides = 0;
}

/* A check id as DESIGN.md spells it: ^[a-z][a-z0-9_]{0,63}$ */
static bool check_id_valid(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n > 64 || s[0] < 'a' || s[0] > 'z')
                return false;
        for (size_t i = 1; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
                        return false;
        return true;
}

static int get_mode(json_object *o, const char *path, EnforcementMode *ret, char **ret_error) {
        const char *s;
        EnforcementMode m;
        int r = json_get_string(o, path, "mode", &s, ret_error);
        if (r < 0)
                return r;
        m = enforcement_mode_from_string(s);
        if (m < 0)
                return json_error(ret_error, "%s.mode: expected \"monitor\", \"warn_then_block\" or \"block\", got \"%s\"",
                                  path, s);
        *ret = m;
        return 0;
}

static int get_grace(json_object *o, const char *path, int *ret, char **ret_error) {
        int64_t v;
        int r = json_get_int(o, path, "grace_hours", 0, ENFORCEMENT_GRACE_HOURS_MAX, &v, ret_error);
        if (r >= 0)
                *ret = (int) v;
        return r;
}

static int only_keys(json_object *o, const char *path, const char *const *keys, char **ret_error) {
        json_object_object_foreach(o, key, val) {
                bool ok = false;
                (void) val;
                for (const char *const *k = keys; *k; k++)
                        ok = ok || streq(key, *k);
                if (!ok)
                        return json_error(ret_error, "%s.%s: unknown key", path, key);
        }
        return 0;
}

static int parse_override(json_object *body, const char *id, EnforcementKnownCheckFn known,
                          EnforcementOverride *ret, char **ret_error) {
        static const char *const keys[] = { "mode", "grace_hours", NULL };
        _cleanup_free_ char *path = NULL;
        EnforcementOverride o = { .mode = _ENFORCEMENT_MODE_INHERIT, .grace_hours = -1 };
        int r;

        if (!check_id_valid(id))
                return json_error(ret_error, "enforcement.checks: \"%s\" is not a check id ([a-z][a-z0-9_], at most 64)",
                                  id);
        if (asprintf(&path, "enforcement.checks.%s", id) < 0)
                return -ENOMEM;
        if (known && !known(id))
                return json_error(ret_error, "%s: unknown check", path);
        if (!json_object_is_type(body, json_type_object))
                return json_error(ret_error, "%s: expected object, got %s", path, json_type_label(body));
        r = only_keys(body, path, keys, ret_error);
        if (r >= 0 && (r = get_mode(body, path, &o.mode, ret_error)) == -ENOENT)
                r = 0;
        if (r >= 0 && (r = get_grace(body, path, &o.grace_hours, ret_error)) == -ENOENT)
                r = 0;
        if (r < 0)
                return r;
        o.check_id = strdup(id);
        if (!o.check_id)
                return -ENOMEM;
        *ret = o;
        return 0;
}

static int parse_overrides(json_object *checks, EnforcementKnownCheckFn known, PolicyEnforcement *e,
                           char **ret_error) {
        EnforcementOverride *o;
        size_t n = 0;
        int r;

        if (!json_object_is_type(checks, json_type_object))
                return json_error(ret_error, "enforcement.checks: expected object of check id to override, got %s",
                                  json_type_label(checks));
        if (json_object_object_length(checks) > ENFORCEMENT_OVERRIDES_MAX)
                return json_error(ret_error, "enforcement.checks: at most %d overrides", ENFORCEMENT_OVERRIDES_MAX);
        o = calloc(json_object_object_length(checks) + 1, sizeof(EnforcementOverride));
        if (!o)
                return -ENOMEM;
        json_object_object_foreach(checks, id, body) {
                r = parse_override(body, id, known, &o[n], ret_error);
                if (r < 0) {
                        overrides_free(o, n);
                        return r;
                }
                n++;
        }
        policy_enforcement_done(e);
        e->overrides = o;
        e->n_overrides = n;
        return 0;
}

int policy_enforcement_parse(json_object *v, EnforcementKnownCheckFn known, PolicyEnforcement *e,
                             char **ret_error) {
        static const char *const keys[] = { "mode", "grace_hours", "stale_is", "checks", NULL };
        PolicyEnforcement n = *e;
        json_object *checks;
        const char *s;
        int r;

        if (!json_object_is_type(v, json_type_object))
                return json_error(ret_error, "enforcement: expected object, got %s", json_type_label(v));
        r = only_keys(v, "enforcement", keys, ret_error);
        if (r < 0)
                return r;
        if ((r = get_mode(v, "enforcement", &n.mode, ret_error)) < 0 && r != -ENOENT)
                return r;
        if ((r = get_grace(v, "enforcement", &n.grace_hours, ret_error)) < 0 && r != -ENOENT)
                return r;
        r = json_get_string(v, "enforcement", "stale_is", &s, ret_error);
        if (r >= 0) {
                if (!streq(s, "allowed") && !streq(s, "denied"))
                        return json_error(ret_error, "enforcement.stale_is: expected \"allowed\" or \"denied\", got \"%s\"", s);
                n.stale_allowed = streq(s, "allowed");
        } else if (r != -ENOENT)
                return r;
        if (json_object_object_get_ex(v, "checks", &checks)) {
                r = parse_overrides(checks, known, &n, ret_error);
                if (r < 0)
                        return r;
        }
        *e = n;
        return 0;
}

json_object *policy_enforcement_to_json(const PolicyEnforcement *e) {
        _cleanup_json_ json_object *j = json_object_new_object();
        json_object *checks = json_object_new_object();

        if (!j || !checks) {
                json_object_put(checks);
                return NULL;
        }
        if (json_add(j, "checks", checks) < 0 ||
            json_add_string(j, "mode", enforcement_mode_to_string(e->mode)) < 0 ||
            json_add_int(j, "grace_hours", e->grace_hours) < 0 ||
            json_add_string(j, "stale_is", e->stale_allowed ? "allowed" : "denied") < 0)
                return NULL;
        for (size_t i = 0; i < e->n_overrides; i++) {
                const EnforcementOverride *o = &e->overrides[i];
                json_object *c = json_object_new_object();
                if (!c || json_add(checks, o->check_id, c) < 0 ||
                    (o->mode >= 0 && json_add_string(c, "mode", enforcement_mode_to_string(o->mode)) < 0) ||
                    (o->grace_hours >= 0 && json_add_int(c, "grace_hours", o->grace_hours) < 0))
                        return NULL;
        }
        return TAKE_PTR(j);
}

void policy_enforcement_for_check(const PolicyEnforcement *e, const char *check_id,
                                  EnforcementMode *ret_mode, int *ret_grace_hours) {
        EnforcementMode mode = e->mode;
        int grace = e->grace_hours;

        for (size_t i = 0; i < e->n_overrides; i++)
                if (streq(e->overrides[i].check_id, check_id)) {
                        if (e->overrides[i].mode >= 0)
                                mode = e->overrides[i].mode;
                        if (e->overrides[i].grace_hours >= 0)
                                grace = e->overrides[i].grace_hours;
                        break;
                }
        *ret_mode = mode;
        *ret_grace_hours = grace;
}
