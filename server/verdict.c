/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "json-util.h"
#include "macro.h"
#include "store-policy.h"
#include "verdict.h"

/* Reports name the current policy or, for an agent that has not fetched it yet, one of
 * the few before it: a handful of entries, replaced round-robin. */
#define VERDICT_CACHE_SIZE 8

/* A version with the checks it names (policy_checks), read once: the ingest of each report
 * asks whether the current version names each of its checks. */
typedef struct CachedPolicy {
        Policy *policy;
        char **checks;
} CachedPolicy;

struct VerdictCache {
        CachedPolicy policies[VERDICT_CACHE_SIZE];
        size_t next;
};

static void cached_policy_done(CachedPolicy *e) {
        policy_free(e->policy);
        strv_free(e->checks);
        *e = (CachedPolicy) {};
}

VerdictCache *verdict_cache_free(VerdictCache *c) {
        if (c) {
                for (size_t i = 0; i < VERDICT_CACHE_SIZE; i++)
                        cached_policy_done(&c->policies[i]);
                free(c);
        }
        return NULL;
}

static int policy_lookup(VerdictCache *c, Store *s, const char *id, int64_t version, const CachedPolicy **ret) {
        _cleanup_json_ json_object *j = NULL;
        _cleanup_free_ char *text = NULL;
        _cleanup_strv_free_ char **checks = NULL;
        Policy *p = NULL;
        int r;

        for (size_t i = 0; i < VERDICT_CACHE_SIZE; i++) {
                const Policy *e = c->policies[i].policy;
                if (e && e->version == version && streq(e->policy_id, id)) {
                        *ret = &c->policies[i];
                        return 0;
                }
        }
        r = store_policy_get(s, id, version, &text);
        if (r >= 0)
                r = store_policy_checks(s, id, version, &checks);
        if (r < 0)
                return r;
        /* Lenient: a version published by an older server may hold keys this one dropped. */
        if (json_parse(text, strlen(text), &j, NULL) < 0 || policy_from_json(j, 0, &p, NULL) < 0)
                return -EIO;
        cached_policy_done(&c->policies[c->next]);
        c->policies[c->next] = (CachedPolicy) { .policy = p, .checks = TAKE_PTR(checks) };
        *ret = &c->policies[c->next];
        c->next = (c->next + 1) % VERDICT_CACHE_SIZE;
        return 0;
}

int verdict_check(VerdictCache **cache, Store *s, const ReportClaims *c, char **ret_error) {
        const CachedPolicy *p;
        int r;

        if (!*cache && !(*cache = calloc(1, sizeof(VerdictCache))))
                return -ENOMEM;
        r = policy_lookup(*cache, s, c->policy_id, c->policy_version, &p);
        if (r == -ENOENT)
                return json_error(ret_error,
                                  "policy: \"%.64s\" version %lld was never published by this server; "
                                  "fetch the current one from GET /v1/policy",
                                  c->policy_id, (long long) c->policy_version), -ENOENT;
        if (r < 0)
                return r;
        r = report_claims_check_policy(c, p->policy, ret_error);
        return r < 0 ? -EINVAL : 0;
}

int verdict_current_policy(VerdictCache **cache, Store *s, const char *policy_id, int64_t version,
                           const Policy **ret) {
        const CachedPolicy *e;
        int r;

        if (!policy_id)
                return -ENOENT;
        if (!*cache && !(*cache = calloc(1, sizeof(VerdictCache))))
                return -ENOMEM;
        r = policy_lookup(*cache, s, policy_id, version, &e);
        if (r < 0)
                return r;
        *ret = e->policy;
        return 0;
}

bool verdict_policy_names(const VerdictCache *cache, const Policy *p, const char *check_id) {
        for (size_t i = 0; cache && p && i < VERDICT_CACHE_SIZE; i++)
                if (cache->policies[i].policy == p)
                        return strv_contains(cache->policies[i].checks, check_id);
        return false;
}
