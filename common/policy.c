/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "json-util.h"
#include "macro.h"
#include "parse-util.h"
#include "policy.h"

#define POLICY_MAX_SIZE (1024 * 1024)

const char policy_default_json[] =
        "{\"policy_id\":\"default\",\"version\":1,\"report_interval_s\":3600,\n"
        " \"checks\":{\n"
        "  \"disk_encryption\":{\"required\":true,\"mounts\":[\"/\",\"/home\",\"swap\"],"
        "\"min_luks_version\":2,\n"
        "                     \"ciphers\":[\"aes-xts-plain64\"],\"min_key_bits\":512,"
        "\"pbkdf\":[\"argon2id\",\"argon2i\"]},\n"
        "  \"patch_level\":{\"required\":true,\"max_pending_security\":0,\"grace_days\":7,\n"
        "                 \"max_days_since_refresh\":3,\"reboot_grace_days\":3,"
        "\"require_unattended_upgrades\":false,\n"
        "                 \"supported_os\":{\"debian\":[\"12\",\"13\"],"
        "\"ubuntu\":[\"22.04\",\"24.04\"],"
        "\"fedora\":[\"43\",\"44\",\"45\"],\"rhel\":[\"9\",\"10\"]}},\n"
        "  \"backup\":{\"required\":true,\"max_age_hours\":48,\"warn_age_hours\":24,"
        "\"require\":\"any\"}}}\n";

typedef enum FieldType { FIELD_BOOL, FIELD_INT, FIELD_STRV, FIELD_OS, FIELD_REQUIRE } FieldType;

typedef struct PolicyField {
        const char *section; /* NULL: top level */
        const char *key;
        FieldType type;
        size_t offset;
        int64_t min, max;
} PolicyField;

#define DE(f) offsetof(Policy, disk_encryption.f)
#define PL(f) offsetof(Policy, patch_level.f)
#define BK(f) offsetof(Policy, backup.f)
static const PolicyField fields[] = {
        { NULL, "report_interval_s", FIELD_INT, offsetof(Policy, report_interval_s), 60, 7 * 86400 },
        { "disk_encryption", "required", FIELD_BOOL, DE(required), 0, 0 },
        { "disk_encryption", "mounts", FIELD_STRV, DE(mounts), 0, 0 },
        { "disk_encryption", "min_luks_version", FIELD_INT, DE(min_luks_version), 0, 2 },
        { "disk_encryption", "ciphers", FIELD_STRV, DE(ciphers), 0, 0 },
        { "disk_encryption", "min_key_bits", FIELD_INT, DE(min_key_bits), 0, 4096 },
        { "disk_encryption", "pbkdf", FIELD_STRV, DE(pbkdf), 0, 0 },
        { "patch_level", "required", FIELD_BOOL, PL(required), 0, 0 },
        { "patch_level", "max_pending_security", FIELD_INT, PL(max_pending_security), 0, 100000 },
        { "patch_level", "grace_days", FIELD_INT, PL(grace_days), 0, 365 },
        { "patch_level", "max_days_since_refresh", FIELD_INT, PL(max_days_since_refresh), 0, 365 },
        { "patch_level", "reboot_grace_days", FIELD_INT, PL(reboot_grace_days), 0, 365 },
        { "patch_level", "require_unattended_upgrades", FIELD_BOOL, PL(require_unattended_upgrades), 0, 0 },
        { "patch_level", "supported_os", FIELD_OS, 0, 0, 0 },
        { "backup", "required", FIELD_BOOL, BK(required), 0, 0 },
        { "backup", "max_age_hours", FIELD_INT, BK(max_age_hours), 1, 24 * 366 },
        { "backup", "warn_age_hours", FIELD_INT, BK(warn_age_hours), 0, 24 * 366 },
        { "backup", "require", FIELD_REQUIRE, BK(require_all), 0, 0 },
};

static void supported_os_free(PolicyPatchLevel *p) {
        for (size_t i = 0; i < p->n_supported_os; i++) {
                free(p->supported_os[i].id);
                strv_free(p->supported_os[i].versions);
        }
        free(p->supported_os);
        p->supported_os = NULL;
        p->n_supported_os = 0;
}

Policy *policy_free(Policy *p) {
        if (!p)
                return NULL;
        free(p->policy_id);
        strv_free(p->disk_encryption.mounts);
        strv_free(p->disk_encryption.ciphers);
        strv_free(p->disk_encryption.pbkdf);
        supported_os_free(&p->patch_level);
        free(p);
        return NULL;
}

static int parse_supported_os(json_object *v, const char *path, PolicyPatchLevel *pl,
                              char **ret_error) {
        size_t n = 0;

        if (!json_object_is_type(v, json_type_object))
                return json_error(ret_error, "%s: expected object of OS id to version list, got %s",
                                  path, json_type_label(v));
        supported_os_free(pl);
        pl->supported_os = calloc(json_object_object_length(v) + 1, sizeof(SupportedOs));
        if (!pl->supported_os)
                return -ENOMEM;
        json_object_object_foreach(v, id, versions) {
                SupportedOs *os = &pl->supported_os[n];
                int r;

                (void) versions;
                r = json_get_strv(v, path, id, &os->versions, ret_error);
                if (r < 0)
                        return r;
                os->id = strdup(id);
                if (!os->id)
                        return -ENOMEM;
                pl->n_supported_os = ++n;
        }
        return 0;
}

static int apply_field(Policy *p, const PolicyField *f, json_object *obj, const char *path,
                       char **ret_error) {
        void *field = (char *) p + f->offset;
        int64_t i;
        const char *s;
        json_object *v;
        int r = 0;

        switch (f->type) {
        case FIELD_BOOL:
                r = json_get_bool(obj, path, f->key, field, ret_error);
                break;
        case FIELD_INT:
                r = json_get_int(obj, path, f->key, f->min, f->max, &i, ret_error);
                if (r >= 0)
                        *(int *) field = (int) i;
                break;
        case FIELD_STRV:
                r = json_get_strv(obj, path, f->key, field, ret_error);
                break;
        case FIELD_REQUIRE:
                r = json_get_string(obj, path, f->key, &s, ret_error);
                if (r >= 0) {
                        if (!streq(s, "any") && !streq(s, "all"))
                                return json_error(ret_error, "%s.%s: expected \"any\" or \"all\", got \"%s\"",
                                                  path, f->key, s);
                        *(bool *) field = streq(s, "all");
                }
                break;
        case FIELD_OS:
                if (json_object_object_get_ex(obj, f->key, &v)) {
                        _cleanup_free_ char *p2 = NULL;
                        if (asprintf(&p2, "%s.%s", path, f->key) < 0)
                                return -ENOMEM;
                        r = parse_supported_os(v, p2, &p->patch_level, ret_error);
                }
                break;
        }
        return r == -ENOENT ? 0 : r;
}

static bool known_key(const char *section, const char *key) {
        for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                if (streq_ptr(fields[i].section, section) && streq(fields[i].key, key))
                        return true;
        return false;
}

static int overlay(Policy *p, json_object *json, PolicyFlags flags, char **ret_error) {
        json_object *checks = NULL;
        const char *s;
        int64_t v;
        int r;

        if (!json_object_is_type(json, json_type_object))
                return json_error(ret_error, "policy: expected a JSON object, got %s",
                                  json_type_label(json));

        r = json_get_string(json, "", "policy_id", &s, ret_error);
        if (r >= 0) {
                if (!*s || strlen(s) > 128 || string_has_cc(s))
                        return json_error(ret_error, "policy_id: must be 1 to 128 printable characters");
                free(p->policy_id);
                if (!(p->policy_id = strdup(s)))
                        return -ENOMEM;
        } else if (r != -ENOENT)
                return r;
        r = json_get_int(json, "", "version", 0, INT64_MAX, &v, ret_error);
        if (r >= 0)
                p->version = v;
        else if (r != -ENOENT)
                return r;

        json_object_object_foreach(json, top_key, top_val) {
                (void) top_val;
                if (!streq(top_key, "policy_id") && !streq(top_key, "version") &&
                    !streq(top_key, "checks") && !known_key(NULL, top_key) && (flags & POLICY_STRICT))
                        return json_error(ret_error, "%s: unknown key", top_key);
        }
        for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                if (!fields[i].section && (r = apply_field(p, &fields[i], json, "", ret_error)) < 0)
                        return r;

        if (!json_object_object_get_ex(json, "checks", &checks))
                return 0;
        if (!json_object_is_type(checks, json_type_object))
                return json_error(ret_error, "checks: expected object, got %s",
                                  json_type_label(checks));
        json_object_object_foreach(checks, section, body) {
                _cleanup_free_ char *path = NULL;
                bool known = false;

                if (asprintf(&path, "checks.%s", section) < 0)
                        return -ENOMEM;
                for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                        if (streq_ptr(fields[i].section, section))
                                known = true;
                if (!known) {
                        if (flags & POLICY_STRICT)
                                return json_error(ret_error, "%s: unknown check", path);
                        continue;
                }
                if (!json_object_is_type(body, json_type_object))
                        return json_error(ret_error, "%s: expected object, got %s", path,
                                          json_type_label(body));
                json_object_object_foreach(body, key, val2) {
                        (void) val2;
                        if (!known_key(section, key) && (flags & POLICY_STRICT))
                                return json_error(ret_error, "%s.%s: unknown key", path, key);
                }
                for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                        if (streq_ptr(fields[i].section, section) &&
                            (r = apply_field(p, &fields[i], body, path, ret_error)) < 0)
                                return r;
        }
        if (p->backup.warn_age_hours >= p->backup.max_age_hours)
                p->backup.warn_age_hours = 0; /* never warns before it fails */
        return 0;
}

static Policy *policy_alloc(void) {
        return calloc(1, sizeof(Policy));
}

Policy *policy_new_default(void) {
        _cleanup_json_ json_object *j = NULL;
        _cleanup_(policy_freep) Policy *p = policy_alloc();

        if (!p || json_parse(policy_default_json, strlen(policy_default_json), &j, NULL) < 0)
                return NULL;
        if (overlay(p, j, POLICY_STRICT, NULL) < 0)
                return NULL;
        return TAKE_PTR(p);
}

int policy_from_json(json_object *json, PolicyFlags flags, Policy **ret, char **ret_error) {
        _cleanup_(policy_freep) Policy *p = policy_new_default();
        int r;

        if (!p)
                return -ENOMEM;
        r = overlay(p, json, flags, ret_error);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

int policy_load_file(const char *path, PolicyFlags flags, Policy **ret, char **ret_error) {
        _cleanup_json_ json_object *j = NULL;
        int r = json_parse_file(path, POLICY_MAX_SIZE, &j, ret_error);
        if (r < 0)
                return r;
        return policy_from_json(j, flags, ret, ret_error);
}

static json_object *strv_to_json(char **l) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; a && l && l[i]; i++)
                json_object_array_add(a, json_object_new_string(l[i]));
        return a;
}

json_object *policy_to_json(const Policy *p) {
        json_object *j = json_object_new_object(), *checks = json_object_new_object(), *de, *pl,
                    *bk, *os;

        if (!j || !checks) {
                json_object_put(j);
                json_object_put(checks);
                return NULL;
        }
        json_add_string(j, "policy_id", p->policy_id);
        json_add_int(j, "version", p->version);
        json_add_int(j, "report_interval_s", p->report_interval_s);

        de = json_object_new_object();
        json_add_bool(de, "required", p->disk_encryption.required);
        json_add(de, "mounts", strv_to_json(p->disk_encryption.mounts));
        json_add_int(de, "min_luks_version", p->disk_encryption.min_luks_version);
        json_add(de, "ciphers", strv_to_json(p->disk_encryption.ciphers));
        json_add_int(de, "min_key_bits", p->disk_encryption.min_key_bits);
        json_add(de, "pbkdf", strv_to_json(p->disk_encryption.pbkdf));
        json_add(checks, "disk_encryption", de);

        pl = json_object_new_object();
        json_add_bool(pl, "required", p->patch_level.required);
        json_add_int(pl, "max_pending_security", p->patch_level.max_pending_security);
        json_add_int(pl, "grace_days", p->patch_level.grace_days);
        json_add_int(pl, "max_days_since_refresh", p->patch_level.max_days_since_refresh);
        json_add_int(pl, "reboot_grace_days", p->patch_level.reboot_grace_days);
        json_add_bool(pl, "require_unattended_upgrades", p->patch_level.require_unattended_upgrades);
        os = json_object_new_object();
        for (size_t i = 0; i < p->patch_level.n_supported_os; i++)
                json_add(os, p->patch_level.supported_os[i].id,
                         strv_to_json(p->patch_level.supported_os[i].versions));
        json_add(pl, "supported_os", os);
        json_add(checks, "patch_level", pl);

        bk = json_object_new_object();
        json_add_bool(bk, "required", p->backup.required);
        json_add_int(bk, "max_age_hours", p->backup.max_age_hours);
        json_add_int(bk, "warn_age_hours", p->backup.warn_age_hours);
        json_add_string(bk, "require", p->backup.require_all ? "all" : "any");
        json_add(checks, "backup", bk);

        json_add(j, "checks", checks);
        return j;
}

bool policy_check_required(const Policy *p, const char *check_id) {
        if (streq(check_id, "disk_encryption"))
                return p->disk_encryption.required;
        if (streq(check_id, "patch_level"))
                return p->patch_level.required;
        if (streq(check_id, "backup"))
                return p->backup.required;
        return false;
}
