/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error-util.h"
#include "json-util.h"
#include "macro.h"
#include "parse-util.h"
#include "policy.h"

#define POLICY_MAX_SIZE (1024 * 1024)

/* The top level's own keys beside policy_id, version and checks. */
static const PolicyField top_fields[] = {
        { "report_interval_s", POLICY_INT, offsetof(Policy, report_interval_s), "3600", 60, 7 * 86400 },
};
static const PolicySchema top_schema = {
        .name = "", .fields = top_fields, .n_fields = ELEMENTSOF(top_fields), .size = sizeof(Policy),
};

const PolicySchema *policy_check_schema_find(const char *id) {
        for (size_t i = 0; i < policy_check_schemas_size; i++)
                if (streq(policy_check_schemas[i]->name, id))
                        return policy_check_schemas[i];
        return NULL;
}

char *policy_check_ids_joined(void) {
        char *s = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&s, &len);

        if (!f)
                return NULL;
        for (size_t i = 0; i < policy_check_schemas_size; i++)
                fprintf(f, "%s%s", i ? ", " : "", policy_check_schemas[i]->name);
        if (fclose(f) != 0) {
                free(s);
                return NULL;
        }
        return s;
}

static void map_free(PolicyMap *m) {
        for (size_t i = 0; i < m->n; i++) {
                free(m->entries[i].key);
                strv_free(m->entries[i].values);
        }
        free(m->entries);
        *m = (PolicyMap) {};
}

static void section_free(const PolicySchema *s, void *section) {
        if (!section)
                return;
        for (size_t i = 0; i < s->n_fields; i++) {
                void *field = (char *) section + s->fields[i].offset;
                if (s->fields[i].type == POLICY_STRV)
                        strv_free(*(char ***) field);
                else if (s->fields[i].type == POLICY_MAP)
                        map_free(field);
        }
}

Policy *policy_free(Policy *p) {
        if (!p)
                return NULL;
        free(p->policy_id);
        for (size_t i = 0; p->checks && i < policy_check_schemas_size; i++) {
                section_free(policy_check_schemas[i], p->checks[i]);
                free(p->checks[i]);
        }
        free(p->checks);
        policy_enforcement_done(&p->enforcement);
        free(p);
        return NULL;
}

static int parse_map(json_object *v, const char *path, PolicyMap *m, char **ret_error) {
        if (!json_object_is_type(v, json_type_object))
                return error_set(ret_error, -EINVAL, "%s: expected object of names to string lists, got %s",
                                 path, json_type_label(v));
        map_free(m);
        m->entries = calloc(json_object_object_length(v) + 1, sizeof(PolicyMapEntry));
        if (!m->entries)
                return -ENOMEM;
        json_object_object_foreach(v, key, values) {
                PolicyMapEntry *e = &m->entries[m->n];
                int r;

                (void) values;
                r = json_get_strv(v, path, key, &e->values, ret_error);
                if (r < 0)
                        return r;
                e->key = strdup(key);
                if (!e->key)
                        return -ENOMEM;
                m->n++;
        }
        return 0;
}

static int parse_enum(const PolicyField *f, const char *s, const char *path, int *ret, char **ret_error) {
        _cleanup_free_ char *list = NULL;
        size_t len = 0;
        FILE *l;

        for (int i = 0; f->choices[i]; i++)
                if (streq(f->choices[i], s)) {
                        *ret = i;
                        return 0;
                }
        l = open_memstream(&list, &len);
        if (!l)
                return -ENOMEM;
        for (int i = 0; f->choices[i]; i++)
                fprintf(l, "%s\"%s\"", i == 0 ? "" : f->choices[i + 1] ? ", " : " or ", f->choices[i]);
        if (fclose(l) != 0)
                return -ENOMEM;
        return error_set(ret_error, -EINVAL, "%s.%s: expected %s, got \"%s\"", path, f->key, list, s);
}

static int apply_field(void *section, const PolicyField *f, json_object *obj, const char *path,
                       char **ret_error) {
        void *field = (char *) section + f->offset;
        int64_t i;
        const char *s;
        json_object *v;
        int r = 0;

        switch (f->type) {
        case POLICY_BOOL:
                r = json_get_bool(obj, path, f->key, field, ret_error);
                break;
        case POLICY_INT:
                r = json_get_int(obj, path, f->key, f->min, f->max, &i, ret_error);
                if (r >= 0)
                        *(int *) field = (int) i;
                break;
        case POLICY_STRV:
                r = json_get_strv(obj, path, f->key, field, ret_error);
                break;
        case POLICY_ENUM:
                r = json_get_string(obj, path, f->key, &s, ret_error);
                if (r >= 0)
                        r = parse_enum(f, s, path, field, ret_error);
                break;
        case POLICY_MAP:
                if (json_object_object_get_ex(obj, f->key, &v)) {
                        _cleanup_free_ char *p2 = NULL;
                        if (asprintf(&p2, "%s.%s", path, f->key) < 0)
                                return -ENOMEM;
                        r = parse_map(v, p2, field, ret_error);
                }
                break;
        }
        return r == -ENOENT ? 0 : r;
}

static bool known_key(const PolicySchema *s, const char *key) {
        for (size_t i = 0; i < s->n_fields; i++)
                if (streq(s->fields[i].key, key))
                        return true;
        return false;
}

/* Applies the keys of `body` that the schema knows; path is the section's ("checks.backup"). */
static int section_overlay(const PolicySchema *s, void *section, json_object *body, const char *path,
                           PolicyFlags flags, char **ret_error) {
        int r;

        if (!json_object_is_type(body, json_type_object))
                return error_set(ret_error, -EINVAL, "%s: expected object, got %s", path, json_type_label(body));
        json_object_object_foreach(body, key, val) {
                (void) val;
                if (!known_key(s, key) && (flags & POLICY_STRICT))
                        return error_set(ret_error, -EINVAL, "%s.%s: unknown key", path, key);
        }
        for (size_t i = 0; i < s->n_fields; i++)
                if ((r = apply_field(section, &s->fields[i], body, path, ret_error)) < 0)
                        return r;
        if (s->finalize)
                s->finalize(section);
        return 0;
}

/* The schema's defaults, from each row's JSON text. */
static int section_defaults(const PolicySchema *s, void *section) {
        _cleanup_json_ json_object *body = NULL;
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_fields; i++)
                fprintf(f, "%s\"%s\":%s", i ? "," : "{", s->fields[i].key, s->fields[i].def);
        fputs(s->n_fields ? "}" : "{}", f);
        if (fclose(f) != 0)
                return -ENOMEM;
        if (json_parse(text, len, &body, NULL) < 0)
                return -EINVAL; /* a broken default is a bug of the table (test-policy catches it) */
        return section_overlay(s, section, body, s->name, POLICY_STRICT, NULL);
}

static int overlay_checks(Policy *p, json_object *checks, PolicyFlags flags, char **ret_error) {
        int r;

        if (!json_object_is_type(checks, json_type_object))
                return error_set(ret_error, -EINVAL, "checks: expected object, got %s", json_type_label(checks));
        json_object_object_foreach(checks, id, body) {
                _cleanup_free_ char *path = NULL;
                size_t k;

                if (asprintf(&path, "checks.%s", id) < 0)
                        return -ENOMEM;
                for (k = 0; k < policy_check_schemas_size; k++)
                        if (streq(policy_check_schemas[k]->name, id))
                                break;
                if (k == policy_check_schemas_size) {
                        if (flags & POLICY_STRICT)
                                return error_set(ret_error, -EINVAL, "%s: unknown check", path);
                        continue;
                }
                r = section_overlay(policy_check_schemas[k], p->checks[k], body, path, flags, ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Whether a check of this id is registered (enforcement's per-check overrides name one). */
static bool known_check(const char *id) {
        for (size_t i = 0; i < policy_check_schemas_size; i++)
                if (streq(policy_check_schemas[i]->name, id))
                        return true;
        return false;
}

static int overlay(Policy *p, json_object *json, PolicyFlags flags, char **ret_error) {
        json_object *checks = NULL, *enforcement = NULL, *identity = NULL;
        const char *s;
        int64_t v;
        int r;

        if (!json_object_is_type(json, json_type_object))
                return error_set(ret_error, -EINVAL, "policy: expected a JSON object, got %s", json_type_label(json));

        r = json_get_string(json, "", "policy_id", &s, ret_error);
        if (r >= 0) {
                if (!*s || strlen(s) > 128 || string_has_cc(s))
                        return error_set(ret_error, -EINVAL, "policy_id: must be 1 to 128 printable characters");
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
                if (!streq(top_key, "policy_id") && !streq(top_key, "version") && !streq(top_key, "checks") &&
                    !streq(top_key, "enforcement") && !streq(top_key, POLICY_IDENTITY_CHECK) &&
                    !known_key(&top_schema, top_key) && (flags & POLICY_STRICT))
                        return error_set(ret_error, -EINVAL, "%s: unknown key", top_key);
        }
        for (size_t i = 0; i < top_schema.n_fields; i++)
                if ((r = apply_field(p, &top_fields[i], json, "", ret_error)) < 0)
                        return r;
        /* not a check: its own module (policy-enforcement.c) parses it */
        if (json_object_object_get_ex(json, "enforcement", &enforcement) &&
            (r = policy_enforcement_parse(enforcement, (flags & POLICY_STRICT) ? known_check : NULL,
                                          &p->enforcement, ret_error)) < 0)
                return r;
        if (json_object_object_get_ex(json, POLICY_IDENTITY_CHECK, &identity) &&
            (r = policy_identity_parse(identity, flags & POLICY_STRICT, &p->identity, ret_error)) < 0)
                return r;
        if (!json_object_object_get_ex(json, "checks", &checks))
                return 0;
        return overlay_checks(p, checks, flags, ret_error);
}

Policy *policy_new_default(void) {
        _cleanup_(policy_freep) Policy *p = calloc(1, sizeof(Policy));

        if (!p || !(p->policy_id = strdup("default")))
                return NULL;
        p->version = 1;
        policy_enforcement_init(&p->enforcement);
        p->checks = calloc(policy_check_schemas_size + 1, sizeof(void *));
        if (!p->checks)
                return NULL;
        for (size_t i = 0; i < policy_check_schemas_size; i++)
                if (!(p->checks[i] = calloc(1, policy_check_schemas[i]->size)) ||
                    section_defaults(policy_check_schemas[i], p->checks[i]) < 0)
                        return NULL;
        if (section_defaults(&top_schema, p) < 0)
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

static json_object *section_to_json(const PolicySchema *s, const void *section, json_object *j) {
        for (size_t i = 0; j && i < s->n_fields; i++) {
                const PolicyField *f = &s->fields[i];
                const void *field = (const char *) section + f->offset;
                const PolicyMap *m = field;
                json_object *o;

                switch (f->type) {
                case POLICY_BOOL:
                        json_add_bool(j, f->key, *(const bool *) field);
                        break;
                case POLICY_INT:
                        json_add_int(j, f->key, *(const int *) field);
                        break;
                case POLICY_STRV:
                        json_add(j, f->key, json_new_strv(*(char **const *) field));
                        break;
                case POLICY_ENUM:
                        json_add_string(j, f->key, f->choices[*(const int *) field]);
                        break;
                case POLICY_MAP:
                        o = json_object_new_object();
                        for (size_t k = 0; o && k < m->n; k++)
                                json_add(o, m->entries[k].key, json_new_strv(m->entries[k].values));
                        json_add(j, f->key, o);
                        break;
                }
        }
        return j;
}

json_object *policy_to_json(const Policy *p) {
        json_object *j = json_object_new_object(), *checks = json_object_new_object();

        if (!j || !checks) {
                json_object_put(j);
                json_object_put(checks);
                return NULL;
        }
        json_add_string(j, "policy_id", p->policy_id);
        json_add_int(j, "version", p->version);
        section_to_json(&top_schema, p, j);
        for (size_t i = 0; i < policy_check_schemas_size; i++)
                json_add(checks, policy_check_schemas[i]->name,
                         section_to_json(policy_check_schemas[i], p->checks[i], json_object_new_object()));
        json_add(j, "checks", checks);
        json_add(j, "enforcement", policy_enforcement_to_json(&p->enforcement));
        if (p->identity.present)
                json_add(j, POLICY_IDENTITY_CHECK, policy_identity_to_json(&p->identity));
        return j;
}

const void *policy_check_section(const Policy *p, const char *check_id) {
        for (size_t i = 0; i < policy_check_schemas_size; i++)
                if (streq(policy_check_schemas[i]->name, check_id))
                        return p->checks[i];
        return NULL;
}

bool policy_check_required(const Policy *p, const char *check_id) {
        const PolicyCheckHead *h = policy_check_section(p, check_id);
        return h && h->required;
}
