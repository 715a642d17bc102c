/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "json-util.h"
#include "macro.h"
#include "store-fleet.h"
#include "store-policy.h"

static const char policy_schema_sql[] =
        "CREATE TABLE IF NOT EXISTS policies ("
        "  policy_id TEXT NOT NULL, version BIGINT NOT NULL, json TEXT NOT NULL,"
        "  published_at BIGINT NOT NULL, PRIMARY KEY (policy_id, version));"
        /* the checks each version names, and whether it requires them */
        "CREATE TABLE IF NOT EXISTS policy_checks ("
        "  policy_id TEXT NOT NULL, version BIGINT NOT NULL, check_id TEXT NOT NULL,"
        "  required INTEGER NOT NULL, PRIMARY KEY (policy_id, version, check_id));"
        /* the policy each device's latest report named: the fleet marks the devices whose
         * last report predates the current policy */
        "CREATE TABLE IF NOT EXISTS latest_policy ("
        "  device_id TEXT PRIMARY KEY, policy_id TEXT NOT NULL, version BIGINT NOT NULL);"
        /* the device list's policy=outdated filter and the summary's count: the ranges on
         * either side of the current (policy_id, version), index-only (store-fleet.c) */
        "DROP INDEX IF EXISTS latest_policy_version;"
        "CREATE INDEX IF NOT EXISTS latest_policy_devices ON latest_policy(policy_id, version, device_id);";

/* Statement ids 820…: apart from store.c's, store-fleet.c's and store-identity.c's. */
enum {
        Q_POLICY_GET = 820,
        Q_POLICY_ADD,
        Q_POLICY_CHECK_ADD,
        Q_POLICY_REEVALUATE,
        Q_POLICY_CHECKS,
        Q_POLICY_PRUNE_CHECKS,
        Q_POLICY_PRUNE_COUNTS,
        Q_POLICY_NOTE_REPORT,
        Q_POLICY_REEVALUATE_REPORT,
};

static const char policy_get_sql[] = "SELECT json FROM policies WHERE policy_id = $1 AND version = $2";

/* A device is compliant when no check the current policy requires is missing from its
 * latest results or other than pass/warn. noncompliant_since as at ingest. */
#define VERDICT_SQL                                                                                 \
        "CASE WHEN EXISTS (SELECT 1 FROM policy_checks pc WHERE pc.required = 1 "                   \
        "AND pc.policy_id = (SELECT value FROM meta WHERE key = 'policy_id') "                      \
        "AND pc.version = (SELECT CAST(value AS BIGINT) FROM meta WHERE key = 'policy_version') "   \
        "AND NOT EXISTS (SELECT 1 FROM latest_checks lc WHERE lc.device_id = latest.device_id "     \
        "AND lc.check_id = pc.check_id AND lc.status IN ('pass', 'warn'))) "                        \
        "THEN 'noncompliant' ELSE 'compliant' END"

#define CURRENT_SQL                                                                               \
        "policy_id = (SELECT value FROM meta WHERE key = 'policy_id') "                           \
        "AND version = (SELECT CAST(value AS BIGINT) FROM meta WHERE key = 'policy_version')"

static int row_check_id(const char *const *cols, size_t n, void *userdata) {
        char *id;

        if (n < 1 || !cols[0])
                return -EIO;
        id = strdup(cols[0]);
        return id ? strv_push(userdata, id) : -ENOMEM;
}

int store_policy_checks(Store *s, const char *policy_id, int64_t version, char ***ret) {
        _cleanup_strv_free_ char **ids = NULL;
        int r = STORE_QUERY(s, Q_POLICY_CHECKS, "SELECT check_id FROM policy_checks WHERE policy_id = $1 AND version = $2",
                            row_check_id, &ids, SV_TEXT(policy_id), SV_INT(version));
        if (r < 0)
                return r;
        if (!ids && !(ids = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = TAKE_PTR(ids);
        return 0;
}

static const char prune_checks_sql[] =
        "DELETE FROM latest_checks WHERE check_id NOT IN (SELECT check_id FROM policy_checks WHERE " CURRENT_SQL ")";
static const char prune_counts_sql[] = "DELETE FROM fleet_check_counts WHERE n <= 0";

/* The fleet state holds only the checks the current policy names (after a publication),
 * and no counter at zero. */
static int prune(Store *s, bool checks) {
        int r = checks ? s->backend->query(s, Q_POLICY_PRUNE_CHECKS, prune_checks_sql, NULL, 0, NULL, NULL) : 0;
        if (r >= 0)
                r = s->backend->query(s, Q_POLICY_PRUNE_COUNTS, prune_counts_sql, NULL, 0, NULL, NULL);
        return r < 0 ? r : 0;
}

#define REEVALUATE_SQL                                                                              \
        "UPDATE latest SET verdict = " VERDICT_SQL ", "                                             \
        "noncompliant_since = CASE WHEN " VERDICT_SQL " = 'compliant' THEN NULL "                  \
        "WHEN verdict = 'noncompliant' THEN noncompliant_since ELSE $2 END "
static const char reevaluate_sql[] =
        REEVALUATE_SQL "WHERE (CAST($1 AS TEXT) IS NULL OR device_id = $1) AND verdict <> " VERDICT_SQL;
/* A report under the current policy carries the verdict this would compute (ingest
 * checked it): the subqueries run only for a report under an older version. */
static const char reevaluate_report_sql[] =
        REEVALUATE_SQL "WHERE device_id = $1 AND NOT (CAST($3 AS TEXT) = (SELECT value FROM meta WHERE key = 'policy_id') "
        "AND CAST($4 AS BIGINT) = (SELECT CAST(value AS BIGINT) FROM meta WHERE key = 'policy_version')) "
        "AND verdict <> " VERDICT_SQL;

static int row_first_str(const char *const *cols, size_t n, void *userdata) {
        char **ret = userdata;
        if (n < 1 || !cols[0])
                return -EIO;
        free(*ret);
        *ret = strdup(cols[0]);
        return *ret ? 0 : -ENOMEM;
}

int store_policy_get(Store *s, const char *policy_id, int64_t version, char **ret_json) {
        _cleanup_free_ char *json = NULL;
        int r = STORE_QUERY(s, Q_POLICY_GET, policy_get_sql, row_first_str, &json, SV_TEXT(policy_id), SV_INT(version));
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        *ret_json = TAKE_PTR(json);
        return 0;
}

int store_policy_reevaluate(Store *s, const char *device_id, int64_t now) {
        int r = prune(s, !device_id);
        if (r < 0)
                return r;
        return STORE_QUERY(s, Q_POLICY_REEVALUATE, reevaluate_sql, NULL, NULL, SV_TEXT(device_id), SV_INT(now));
}

int store_policy_note_report(Store *s, const char *device_id, const char *policy_id, int64_t version) {
        /* A write only: on PostgreSQL it goes with the RELEASE that ends the report. */
        return STORE_SEND(s, Q_POLICY_NOTE_REPORT,
                          "INSERT INTO latest_policy(device_id, policy_id, version) VALUES ($1, $2, $3) "
                          "ON CONFLICT (device_id) DO UPDATE SET policy_id = excluded.policy_id, "
                          "version = excluded.version WHERE latest_policy.policy_id <> excluded.policy_id "
                          "OR latest_policy.version <> excluded.version", /* no new row version when unchanged */
                          SV_TEXT(device_id), SV_TEXT(policy_id), SV_INT(version));
}

static const char policy_check_add_sql[] =
        "INSERT INTO policy_checks(policy_id, version, check_id, required) VALUES ($1, $2, $3, $4)";

int store_policy_reevaluate_report(Store *s, const char *device_id, const char *policy_id, int64_t version,
                                   int64_t now) {
        return STORE_QUERY(s, Q_POLICY_REEVALUATE_REPORT, reevaluate_report_sql, NULL, NULL, SV_TEXT(device_id),
                           SV_INT(now), SV_TEXT(policy_id), SV_INT(version));
}

int store_policy_prune_counts(Store *s) {
        return prune(s, false);
}

/* Records the version (or checks that it is the one recorded) and the checks it names. */
static int record_version(Store *s, const char *policy_id, int64_t version, json_object *checks,
                          const Policy *p, const char *json, int64_t now) {
        _cleanup_free_ char *stored = NULL;
        int r = store_policy_get(s, policy_id, version, &stored);

        if (r >= 0)
                return streq(stored, json) ? 0 : -EEXIST;
        if (r != -ENOENT)
                return r;
        r = STORE_QUERY(s, Q_POLICY_ADD, "INSERT INTO policies(policy_id, version, json, published_at) "
                  "VALUES ($1, $2, $3, $4)", NULL, NULL, SV_TEXT(policy_id), SV_INT(version), SV_TEXT(json),
                  SV_INT(now));
        if (r < 0)
                return r;
        json_object_object_foreach(checks, id, value) {
                bool required = p ? policy_check_required(p, id) : false;
                json_object *req;

                if (!p && json_object_object_get_ex(value, "required", &req))
                        required = json_object_get_boolean(req);
                r = STORE_QUERY(s, Q_POLICY_CHECK_ADD, policy_check_add_sql, NULL, NULL, SV_TEXT(policy_id),
                                SV_INT(version), SV_TEXT(id), SV_INT(required));
                if (r < 0)
                        return r;
        }
        /* Judged by the server (ingest.c), counted like a check. Databases from before the
         * policies table (p NULL) predate the section. */
        if (p && p->identity.present) {
                r = STORE_QUERY(s, Q_POLICY_CHECK_ADD, policy_check_add_sql, NULL, NULL, SV_TEXT(policy_id), SV_INT(version),
                                SV_TEXT(POLICY_IDENTITY_CHECK), SV_INT(p->identity.required));
                if (r < 0)
                        return r;
        }
        return 0;
}

static int set_current(Store *s, const char *policy_id, int64_t version, const char *json) {
        char v[32];
        int r;

        snprintf(v, sizeof(v), "%lld", (long long) version);
        r = store_meta_set(s, "policy", json);
        if (r >= 0)
                r = store_meta_set(s, "policy_id", policy_id);
        if (r >= 0)
                r = store_meta_set(s, "policy_version", v);
        return r;
}

int store_policy_publish(Store *s, const Policy *p, int64_t now) {
        _cleanup_json_ json_object *j = policy_to_json(p);
        json_object *checks;
        const char *json;
        int r, changed;

        if (!j || !json_object_object_get_ex(j, "checks", &checks))
                return -ENOMEM;
        json = json_compact(j);
        r = store_begin(s);
        if (r < 0)
                return r;
        r = record_version(s, p->policy_id, p->version, checks, p, json, now);
        if (r >= 0)
                r = set_current(s, p->policy_id, p->version, json);
        changed = r >= 0 ? store_policy_reevaluate(s, NULL, now) : r;
        if (changed < 0) {
                (void) store_rollback(s);
                return changed;
        }
        r = store_commit(s);
        return r < 0 ? r : changed;
}

/* A database from before the policies table: its current policy becomes its first
 * recorded version (required flags read from the stored JSON). */
static int adopt_current(Store *s) {
        _cleanup_free_ char *text = NULL, *current_id = NULL;
        _cleanup_json_ json_object *j = NULL;
        json_object *checks;
        const char *id;
        int64_t version;
        int r;

        r = store_meta_get(s, "policy_id", &current_id);
        if (r != -ENOENT)
                return r < 0 ? r : 0;
        r = store_meta_get(s, "policy", &text);
        if (r == -ENOENT)
                return 0; /* a new database: init publishes the default */
        if (r < 0)
                return r;
        if (json_parse(text, strlen(text), &j, NULL) < 0 || json_get_string(j, "", "policy_id", &id, NULL) < 0 ||
            json_get_int(j, "", "version", 0, INT64_MAX, &version, NULL) < 0 ||
            !json_object_object_get_ex(j, "checks", &checks))
                return -EBADMSG;
        r = record_version(s, id, version, checks, NULL, text, 0);
        if (r >= 0)
                r = set_current(s, id, version, text);
        return r;
}

int store_policy_schema(Store *s) {
        int r = s->backend->exec(s, policy_schema_sql);
        if (r >= 0)
                r = store_fleet_policy_counts(s);
        return r < 0 ? r : adopt_current(s);
}
