/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "json-util.h"
#include "macro.h"
#include "report.h"
#include "text-util.h"

#define IAT_MAX INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

ReportClaims *report_claims_free(ReportClaims *c) {
        if (!c)
                return NULL;
        if (c->one_block) {
                free(c); /* its checks have no evidence: report_claims_read() builds none */
                return NULL;
        }
        free(c->sub);
        free(c->prev);
        free(c->agent_version);
        free(c->agent_key);
        free(c->hostname);
        free(c->os_id);
        free(c->os_version_id);
        free(c->os_pretty);
        free(c->kernel);
        free(c->policy_id);
        check_results_free(c->checks, c->n_checks);
        free(c);
        return NULL;
}

bool uuid_string_is_valid(const char *s) {
        size_t i = 0;

        for (; s[i]; i++) {
                bool dash = i == 8 || i == 13 || i == 18 || i == 23;
                if (dash ? s[i] != '-' : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        }
        return i == 36;
}

/* A text field of the claims: bounded, printable (no control characters). */
typedef struct TextField {
        const char *name;
        size_t offset;
        size_t max;
        bool may_be_empty;
} TextField;

#define FIELD(path, member, max, empty) { path, offsetof(ReportClaims, member), max, empty }
static const TextField text_fields[] = {
        FIELD("agent.version", agent_version, 64, false),
        FIELD("agent.key", agent_key, 16, false),
        FIELD("host.hostname", hostname, 255, false),
        FIELD("host.os.id", os_id, 64, true),
        FIELD("host.os.version_id", os_version_id, 64, true),
        FIELD("host.os.pretty", os_pretty, 256, true),
        FIELD("host.kernel", kernel, 256, true),
        FIELD("policy.id", policy_id, 128, false),
};

static char **text_field(const ReportClaims *c, const TextField *f) {
        return (char **) ((uint8_t *) c + f->offset);
}

/* Every string inside evidence (members' names included) is data: bounded, no controls. */
static int evidence_check(json_object *j, const char *check_id, unsigned depth, char **ret_error) {
        if (depth > REPORT_EVIDENCE_DEPTH)
                return json_error(ret_error, "checks[%s].evidence: nested deeper than %d", check_id,
                                  REPORT_EVIDENCE_DEPTH);
        switch (json_object_get_type(j)) {
        case json_type_string:
                if (!text_is_safe(json_object_get_string(j), REPORT_EVIDENCE_STRING_MAX, TEXT_MULTILINE | TEXT_EMPTY_OK))
                        return json_error(ret_error, "checks[%s].evidence: a string holds control characters or is "
                                          "over %d bytes", check_id, REPORT_EVIDENCE_STRING_MAX);
                return 0;
        case json_type_array:
                for (size_t i = 0; i < json_object_array_length(j); i++) {
                        int r = evidence_check(json_object_array_get_idx(j, i), check_id, depth + 1, ret_error);
                        if (r < 0)
                                return r;
                }
                return 0;
        case json_type_object: {
                json_object_object_foreach(j, key, value) {
                        int r;
                        if (!text_is_safe(key, REPORT_EVIDENCE_KEY_MAX, 0))
                                return json_error(ret_error, "checks[%s].evidence: a member name holds control "
                                                  "characters or is over %d bytes", check_id, REPORT_EVIDENCE_KEY_MAX);
                        r = evidence_check(value, check_id, depth + 1, ret_error);
                        if (r < 0)
                                return r;
                }
                return 0;
        }
        default:
                return 0;
        }
}

/* Check results are data for the security team's tools: ids from a small alphabet, text
 * without control characters (newlines only where people read it), every string capped. */
static int check_texts_check(const CheckResult *r, char **ret_error) {
        if (!check_id_is_valid(r->id))
                return json_error(ret_error, "checks[].id: \"%.64s\" is not a check id (^[a-z][a-z0-9_]{0,63}$)",
                                  r->id);
        if (!text_is_safe(r->title, REPORT_TITLE_MAX, 0))
                return json_error(ret_error, "checks[%s].title: must be non-empty text of at most %d bytes "
                                  "without control characters", r->id, REPORT_TITLE_MAX);
        if (!text_is_safe(r->summary, REPORT_SUMMARY_MAX, TEXT_MULTILINE | TEXT_EMPTY_OK))
                return json_error(ret_error, "checks[%s].summary: must be text of at most %d bytes without "
                                  "control characters", r->id, REPORT_SUMMARY_MAX);
        if (r->remediation && !text_is_safe(r->remediation, REPORT_REMEDIATION_MAX, TEXT_MULTILINE | TEXT_EMPTY_OK))
                return json_error(ret_error, "checks[%s].remediation: must be text of at most %d bytes without "
                                  "control characters", r->id, REPORT_REMEDIATION_MAX);
        /* NULL: report_claims_scan() validated it as it read it, and did not build it */
        return r->evidence ? evidence_check(r->evidence, r->id, 0, ret_error) : 0;
}

int report_claims_check(const ReportClaims *c, char **ret_error) {
        if (!c->sub || !uuid_string_is_valid(c->sub))
                return json_error(ret_error, "sub: \"%.64s\" is not a lower-case UUID", strnull(c->sub));
        if (c->iat < 0 || c->iat > IAT_MAX)
                return json_error(ret_error, "iat: %lld is out of range", (long long) c->iat);
        if (c->seq < 1 || c->seq > REPORT_SEQ_MAX)
                return json_error(ret_error, "seq: %lld is out of range (1 to %lld)",
                                  (long long) c->seq, (long long) REPORT_SEQ_MAX);
        if (c->prev && !sha256_hex_is_valid(c->prev))
                return json_error(ret_error, "prev: \"%.80s\" is not 64 lower-case hex digits", c->prev);
        if (c->seq == 1 && c->prev)
                return json_error(ret_error, "prev: must be null when seq is 1");
        for (size_t i = 0; i < ELEMENTSOF(text_fields); i++) {
                const TextField *f = &text_fields[i];
                const char *v = *text_field(c, f);
                if (!v || !text_is_safe(v, f->max, f->may_be_empty ? TEXT_EMPTY_OK : 0))
                        return json_error(ret_error, "%s: must be %sprintable text of at most %zu bytes",
                                          f->name, f->may_be_empty ? "" : "non-empty ", f->max);
        }
        if (!streq(c->agent_key, "file") && !streq(c->agent_key, "tpm") && !streq(c->agent_key, "provider"))
                return json_error(ret_error, "agent.key: \"%s\" is not \"file\", \"tpm\" or \"provider\"", c->agent_key);
        if (c->policy_version < 0)
                return json_error(ret_error, "policy.version: must not be negative");
        if (c->dropped < 0 || c->dropped > REPORT_SEQ_MAX)
                return json_error(ret_error, "dropped: out of range");
        if (c->n_checks > REPORT_MAX_CHECKS)
                return json_error(ret_error, "checks: more than %d results", REPORT_MAX_CHECKS);
        for (size_t i = 0; i < c->n_checks; i++) {
                int r = check_texts_check(c->checks[i], ret_error);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < c->n_checks; i++)
                for (size_t k = 0; k < i; k++)
                        if (streq(c->checks[i]->id, c->checks[k]->id))
                                return json_error(ret_error, "checks: \"%s\" appears twice", c->checks[i]->id);
        if (!c->compliant) {
                bool any_bad = false;
                for (size_t i = 0; i < c->n_checks; i++)
                        any_bad = any_bad || !check_status_ok(c->checks[i]->status);
                if (!any_bad)
                        return json_error(ret_error, "compliant: false, but every check is pass or warn");
        }
        return 0;
}

int report_claims_to_json(const ReportClaims *c, json_object **ret) {
        _cleanup_json_ json_object *j = json_object_new_object();
        json_object *agent, *host, *os, *policy, *checks;
        int r;

        if ((r = report_claims_check(c, NULL)) < 0)
                return r;
        if (!j || json_add_string(j, "sub", c->sub) < 0 || json_add_int(j, "iat", c->iat) < 0 ||
            json_add_int(j, "seq", c->seq) < 0 || json_add_string(j, "prev", c->prev) < 0)
                return -ENOMEM;
        if (!(agent = json_object_new_object()) || json_add(j, "agent", agent) < 0 ||
            json_add_string(agent, "version", c->agent_version) < 0 ||
            json_add_string(agent, "key", c->agent_key) < 0)
                return -ENOMEM;
        if (!(host = json_object_new_object()) || json_add(j, "host", host) < 0 ||
            json_add_string(host, "hostname", c->hostname) < 0 ||
            !(os = json_object_new_object()) || json_add(host, "os", os) < 0 ||
            json_add_string(os, "id", c->os_id) < 0 ||
            json_add_string(os, "version_id", c->os_version_id) < 0 ||
            json_add_string(os, "pretty", c->os_pretty) < 0 ||
            json_add_string(host, "kernel", c->kernel) < 0)
                return -ENOMEM;
        if (!(policy = json_object_new_object()) || json_add(j, "policy", policy) < 0 ||
            json_add_string(policy, "id", c->policy_id) < 0 ||
            json_add_int(policy, "version", c->policy_version) < 0)
                return -ENOMEM;
        if (json_add_bool(j, "compliant", c->compliant) < 0 ||
            (c->dropped > 0 && json_add_int(j, "dropped", c->dropped) < 0) ||
            !(checks = json_object_new_array()) || json_add(j, "checks", checks) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < c->n_checks; i++) {
                json_object *o = check_result_to_json(c->checks[i]);
                if (!o || json_object_array_add(checks, o) < 0) {
                        json_object_put(o);
                        return -ENOMEM;
                }
        }
        *ret = TAKE_PTR(j);
        return 0;
}

/* Every member of o must be one of `allowed` (NULL-terminated). */
static int only_members(json_object *o, const char *path, const char *const *allowed, char **ret_error) {
        json_object_object_foreach(o, key, v) {
                bool found = false;
                (void) v;
                for (const char *const *a = allowed; *a && !found; a++)
                        found = streq(*a, key);
                if (!found)
                        return json_error(ret_error, "%s%s%s: unknown member", path, *path ? "." : "", key);
        }
        return 0;
}

static int get_object(json_object *o, const char *path, const char *key, const char *const *allowed,
                      json_object **ret, char **ret_error) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v))
                return json_error(ret_error, "%s%s%s: missing", path, *path ? "." : "", key);
        if (!json_object_is_type(v, json_type_object))
                return json_error(ret_error, "%s%s%s: expected object, got %s", path, *path ? "." : "",
                                  key, json_type_label(v));
        *ret = v;
        return only_members(v, *path ? path : key, allowed, ret_error);
}

static int dup_string(json_object *o, const char *path, const char *key, char **ret, char **ret_error) {
        const char *s;
        int r = json_get_string(o, path, key, &s, ret_error);

        if (r == -ENOENT)
                return json_error(ret_error, "%s%s%s: missing", path, *path ? "." : "", key);
        if (r < 0)
                return r;
        if (!(*ret = strdup(s)))
                return -ENOMEM;
        return 0;
}

static int get_required_int(json_object *o, const char *path, const char *key, int64_t min,
                            int64_t max, int64_t *ret, char **ret_error) {
        int r = json_get_int(o, path, key, min, max, ret, ret_error);
        if (r == -ENOENT)
                return json_error(ret_error, "%s%s%s: missing", path, *path ? "." : "", key);
        return r;
}

int report_claims_from_json(json_object *j, ReportClaims **ret, char **ret_error) {
        static const char *const top[] = { "sub", "iat", "seq", "prev", "agent", "host", "policy",
                                           "compliant", "dropped", "checks", NULL };
        static const char *const agent_keys[] = { "version", "key", NULL };
        static const char *const host_keys[] = { "hostname", "os", "kernel", NULL };
        static const char *const os_keys[] = { "id", "version_id", "pretty", NULL };
        static const char *const policy_keys[] = { "id", "version", NULL };
        _cleanup_(report_claims_freep) ReportClaims *c = NULL;
        json_object *agent, *host, *os, *policy, *prev, *checks;
        int r;

        if (!json_object_is_type(j, json_type_object))
                return json_error(ret_error, "claims: expected object, got %s", json_type_label(j));
        if ((r = only_members(j, "", top, ret_error)) < 0)
                return r;
        c = calloc(1, sizeof(ReportClaims));
        if (!c)
                return -ENOMEM;
        if ((r = dup_string(j, "", "sub", &c->sub, ret_error)) < 0 ||
            (r = get_required_int(j, "", "iat", 0, IAT_MAX, &c->iat, ret_error)) < 0 ||
            (r = get_required_int(j, "", "seq", 1, REPORT_SEQ_MAX, &c->seq, ret_error)) < 0)
                return r;
        if (!json_object_object_get_ex(j, "prev", &prev))
                return json_error(ret_error, "prev: missing");
        if (prev && (r = dup_string(j, "", "prev", &c->prev, ret_error)) < 0)
                return r;
        if ((r = get_object(j, "", "agent", agent_keys, &agent, ret_error)) < 0 ||
            (r = dup_string(agent, "agent", "version", &c->agent_version, ret_error)) < 0 ||
            (r = dup_string(agent, "agent", "key", &c->agent_key, ret_error)) < 0)
                return r;
        if ((r = get_object(j, "", "host", host_keys, &host, ret_error)) < 0 ||
            (r = dup_string(host, "host", "hostname", &c->hostname, ret_error)) < 0 ||
            (r = get_object(host, "host", "os", os_keys, &os, ret_error)) < 0 ||
            (r = dup_string(os, "host.os", "id", &c->os_id, ret_error)) < 0 ||
            (r = dup_string(os, "host.os", "version_id", &c->os_version_id, ret_error)) < 0 ||
            (r = dup_string(os, "host.os", "pretty", &c->os_pretty, ret_error)) < 0 ||
            (r = dup_string(host, "host", "kernel", &c->kernel, ret_error)) < 0)
                return r;
        if ((r = get_object(j, "", "policy", policy_keys, &policy, ret_error)) < 0 ||
            (r = dup_string(policy, "policy", "id", &c->policy_id, ret_error)) < 0 ||
            (r = get_required_int(policy, "policy", "version", 0, INT64_MAX, &c->policy_version, ret_error)) < 0)
                return r;
        r = json_get_bool(j, "", "compliant", &c->compliant, ret_error);
        if (r == -ENOENT)
                return json_error(ret_error, "compliant: missing");
        if (r < 0)
                return r;
        r = json_get_int(j, "", "dropped", 1, REPORT_SEQ_MAX, &c->dropped, ret_error);
        if (r < 0 && r != -ENOENT)
                return r;

        if (!json_object_object_get_ex(j, "checks", &checks) || !json_object_is_type(checks, json_type_array))
                return json_error(ret_error, "checks: expected array, got %s", json_type_label(checks));
        if (json_object_array_length(checks) > REPORT_MAX_CHECKS)
                return json_error(ret_error, "checks: more than %d results", REPORT_MAX_CHECKS);
        c->checks = calloc(json_object_array_length(checks) + 1, sizeof(CheckResult *));
        if (!c->checks)
                return -ENOMEM;
        for (size_t i = 0; i < json_object_array_length(checks); i++) {
                if ((r = check_result_from_json(json_object_array_get_idx(checks, i), &c->checks[i], ret_error)) < 0)
                        return r;
                c->n_checks++;
        }
        if ((r = report_claims_check(c, ret_error)) < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

int report_claims_parse(const void *data, size_t size, ReportClaims **ret, char **ret_error) {
        _cleanup_json_ json_object *j = NULL;
        int r;

        if (size > JWS_MAX_SIZE)
                return json_error(ret_error, "claims: larger than %u bytes", JWS_MAX_SIZE);
        if ((r = json_parse(data, size, &j, ret_error)) < 0)
                return r;
        return report_claims_from_json(j, ret, ret_error);
}

int report_hash(const char *jws, size_t len, char ret[static REPORT_HASH_SIZE]) {
        return sha256_hex(jws, len, ret);
}

int report_verify(const char *s, size_t len, X509 *cert, Jws **ret_jws, ReportClaims **ret_claims,
                  char **ret_error) {
        _cleanup_(jws_freep) Jws *jws = NULL;
        _cleanup_(report_claims_freep) ReportClaims *c = NULL;
        _cleanup_free_ char *cn = NULL;
        int r;

        if ((r = jws_parse(s, len, &jws, ret_error)) < 0 ||
            (r = jws_verify_cert(jws, cert, ret_error)) < 0 ||
            (r = report_claims_parse(jws->payload, jws->payload_size, &c, ret_error)) < 0)
                return r;
        r = cert_common_name(cert, &cn);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || !streq(cn, c->sub))
                return json_error(ret_error, "sub %s is not the certificate's device (CN %s)", c->sub,
                                  strnull(cn));
        if (ret_jws)
                *ret_jws = TAKE_PTR(jws);
        if (ret_claims)
                *ret_claims = TAKE_PTR(c);
        return 0;
}
