/* SPDX-License-Identifier: MIT */
/* The backup check: when did this laptop last back up successfully, with which tool, and is
 * that recent enough? Each configured source (backup-source.h) is probed, or, for the
 * expensive tool sources whose probe is not due, read back from the check's state; a source
 * that cannot be reached falls back on its last good observation, with its age. The verdict
 * takes the newest backup across sources (policy "require": "any") or every source's
 * ("all") against max_age_hours / warn_age_hours. docs/backup.md explains it to IT. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup-source.h"
#include "checks.h"
#include "cleanup.h"
#include "i18n.h"
#include "json-util.h"
#include "parse-util.h"
#include "time-util.h"

#define REMOTE_PROBE_INTERVAL (6 * USEC_PER_HOUR)
/* Clock skew we tolerate before calling a backup time "in the future". */
#define FUTURE_SLACK (10 * USEC_PER_MINUTE)

typedef enum Freshness {
        FRESH,
        AGING,          /* past warn_age_hours, within max_age_hours */
        STALE,
        NONE,           /* the source answered: no backup at all */
        UNKNOWN,        /* nothing known */
} Freshness;

static const char *const freshness_names[] = {
        [FRESH] = "fresh", [AGING] = "aging", [STALE] = "stale", [NONE] = "none", [UNKNOWN] = "unknown",
};

typedef enum BackupRequire { BACKUP_REQUIRE_ANY, BACKUP_REQUIRE_ALL } BackupRequire;

typedef struct PolicyBackup {
        PolicyCheckHead head;
        int max_age_hours;
        int warn_age_hours;     /* warn (with a deadline) past this age; 0: never warn */
        int require;            /* BackupRequire: "all" — every configured source must be fresh */
} PolicyBackup;

static const char *const require_names[] = { [BACKUP_REQUIRE_ANY] = "any", [BACKUP_REQUIRE_ALL] = "all", NULL };

static const char *const outcome_names[] = {
        [PROBE_OK] = "ok", [PROBE_UNREACHABLE] = "unreachable", [PROBE_BROKEN] = "broken",
};

typedef struct SourceView {
        const BackupSource *source;
        ProbeOutcome outcome;
        const char *error;
        BackupObservation obs;  /* the observation the verdict uses (borrowed or owned by probe) */
        bool cached;            /* obs comes from an earlier probe */
        bool probed_now;
        usec_t probed;          /* when the probe behind this view ran */
        usec_t failing_since;
        Freshness freshness;
        BackupProbe probe;      /* owned */
} SourceView;

/* What identifies what a source looks at: a changed source starts with a clean slate. A
 * repository URL may hold credentials and the state file must not: they are scrubbed, as in
 * evidence. (Not hashed: OpenSSL's first digest costs more than the whole cached path.) */
static char *fingerprint(const BackupSource *s) {
        _cleanup_free_ char *tags = s->tags ? strv_join(s->tags, ",") : NULL;
        char *f;

        if (asprintf(&f, "%s|%s|%s|%s|%s|%s|%s|%s|%d", s->type->name, strempty(s->repository), strempty(s->host),
                     strempty(tags), strempty(s->glob_archives), strempty(s->unit), strempty(s->path),
                     strempty(s->mount), (int) s->mode) < 0)
                return NULL;
        backup_scrub_credentials(f);
        return f;
}

static usec_t get_usec(json_object *o, const char *key) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return 0;
        int64_t i = json_object_get_int64(v);
        return i > 0 ? (usec_t) i : 0;
}

static const char *get_str(json_object *o, const char *key) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

/* The last good observation kept in the state, borrowed (strings stay owned by the state). */
static void good_from_state(json_object *entry, BackupObservation *ret) {
        json_object *good;
        *ret = (BackupObservation) {};
        if (!entry || !json_object_object_get_ex(entry, "good", &good) ||
            !json_object_is_type(good, json_type_object))
                return;
        ret->time = get_usec(good, "time");
        ret->id = (char *) get_str(good, "id");
        ret->host = (char *) get_str(good, "host");
        /* tags stay in the state: source_evidence() shows them from there */
}

static json_object *tags_json(char *const *tags) {
        json_object *a = json_object_new_array();
        for (char *const *t = tags; a && t && *t; t++)
                if (json_object_array_add(a, json_object_new_string(*t)) < 0) {
                        json_object_put(a);
                        return NULL;
                }
        return a;
}

static int good_to_state(json_object *entry, const BackupObservation *o, usec_t seen) {
        json_object *g;
        if (o->time == 0) {
                json_object_object_del(entry, "good");
                return 0;
        }
        g = json_object_new_object();
        if (!g || json_add(entry, "good", g) < 0)
                return -ENOMEM;
        if (json_add_int(g, "time", (int64_t) o->time) < 0 || json_add_int(g, "seen", (int64_t) seen) < 0 ||
            (o->id && json_add_string(g, "id", o->id) < 0) || (o->host && json_add_string(g, "host", o->host) < 0) ||
            (o->tags && json_add(g, "tags", tags_json(o->tags)) < 0))
                return -ENOMEM;
        return 0;
}

static usec_t probe_interval(const BackupSource *s) {
        if (!s->type->tool)
                return 0; /* local files and a bus call: always cheap */
        if (s->probe_interval != USEC_INFINITY)
                return s->probe_interval;
        return backup_source_is_remote(s) ? REMOTE_PROBE_INTERVAL : 0;
}

static int source_entry(json_object *sources, const BackupSource *s, json_object **ret) {
        _cleanup_free_ char *fp = fingerprint(s);
        json_object *e;
        const char *old;

        if (!fp)
                return -ENOMEM;
        if (json_object_object_get_ex(sources, s->name, &e) && json_object_is_type(e, json_type_object) &&
            (old = get_str(e, "fingerprint")) && streq(old, fp)) {
                *ret = e;
                return 0;
        }
        e = json_object_new_object();
        if (!e || json_add(sources, s->name, e) < 0 || json_add_string(e, "fingerprint", fp) < 0)
                return -ENOMEM;
        *ret = e;
        return 0;
}

static int view_source(const BackupSource *s, const CheckContext *ctx, json_object *sources, SourceView *v) {
        json_object *entry;
        usec_t interval = probe_interval(s), probed;
        const char *outcome;
        bool due;
        int r;

        *v = (SourceView) { .source = s };
        r = source_entry(sources, s, &entry);
        if (r < 0)
                return r;
        probed = get_usec(entry, "probed");
        outcome = get_str(entry, "outcome");
        due = interval == 0 || probed == 0 || !outcome || streq(outcome, "broken") || ctx->now < probed ||
              ctx->now - probed >= interval;

        if (due) {
                r = s->type->probe(s, ctx, &v->probe);
                if (r < 0)
                        return r;
                v->probed_now = true;
                v->probed = ctx->now;
                v->outcome = v->probe.outcome;
                v->error = v->probe.error;
                if (json_add_string(entry, "outcome", outcome_names[v->outcome]) < 0 ||
                    json_add_string(entry, "error", v->error) < 0)
                        return -ENOMEM;
                if (v->outcome == PROBE_BROKEN)
                        json_object_object_del(entry, "probed"); /* fixed by IT: look again next run */
                else if (json_add_int(entry, "probed", (int64_t) ctx->now) < 0)
                        return -ENOMEM;
                if (v->outcome == PROBE_OK) {
                        json_object_object_del(entry, "failing_since");
                        if (good_to_state(entry, &v->probe.obs, ctx->now) < 0)
                                return -ENOMEM;
                } else if (!get_usec(entry, "failing_since") &&
                           json_add_int(entry, "failing_since", (int64_t) ctx->now) < 0)
                        return -ENOMEM;
        } else {
                v->probed = probed;
                v->outcome = streq(outcome, "ok") ? PROBE_OK : PROBE_UNREACHABLE;
                v->error = get_str(entry, "error");
        }
        v->failing_since = get_usec(entry, "failing_since");

        if (v->outcome == PROBE_OK && v->probed_now) {
                v->obs = v->probe.obs;
        } else if (v->outcome != PROBE_BROKEN) {
                good_from_state(entry, &v->obs);
                v->cached = v->outcome != PROBE_OK;
        }
        if (v->outcome == PROBE_BROKEN || (v->outcome == PROBE_UNREACHABLE && v->obs.time == 0))
                v->freshness = UNKNOWN;
        else if (v->obs.time == 0)
                v->freshness = NONE;
        else if (v->obs.time > ctx->now + FUTURE_SLACK) {
                char buf[RFC3339_MAX];
                v->freshness = UNKNOWN;
                /* keep the time for the evidence; the rest may point into the probe freed here */
                v->obs = (BackupObservation) { .time = v->obs.time };
                if (backup_probe_fail(&v->probe, PROBE_BROKEN,
                                      _("the newest backup is dated %s, in the future: the clock or the source is wrong"),
                                      format_rfc3339(v->obs.time, buf)) < 0)
                        return -ENOMEM;
                v->outcome = PROBE_BROKEN;
                v->error = v->probe.error;
        } else {
                usec_t age = ctx->now > v->obs.time ? ctx->now - v->obs.time : 0;
                const PolicyBackup *pb = ctx->policy;
                if (age > (usec_t) pb->max_age_hours * USEC_PER_HOUR)
                        v->freshness = STALE;
                else if (pb->warn_age_hours > 0 && age > (usec_t) pb->warn_age_hours * USEC_PER_HOUR)
                        v->freshness = AGING;
                else
                        v->freshness = FRESH;
        }
        return 0;
}

static char *format_age(usec_t age) {
        char *s;
        int r;
        if (age < USEC_PER_HOUR)
                r = asprintf(&s, _("%llu min"), (unsigned long long) (age / USEC_PER_MINUTE));
        else if (age < 48 * USEC_PER_HOUR)
                r = asprintf(&s, _("%llu h"), (unsigned long long) (age / USEC_PER_HOUR));
        else
                r = asprintf(&s, ngettext("%llu day", "%llu days", (unsigned long) (age / USEC_PER_DAY)),
                             (unsigned long long) (age / USEC_PER_DAY));
        return r < 0 ? NULL : s;
}

static json_object *time_json(usec_t t) {
        char buf[RFC3339_MAX];
        return t ? json_object_new_string(format_rfc3339(t, buf)) : NULL;
}

static int source_evidence(const SourceView *v, json_object *sources_state, usec_t now, json_object **ret) {
        _cleanup_json_ json_object *o = json_object_new_object();
        _cleanup_free_ char *repo = backup_repository_display(v->source->repository);
        const BackupSource *s = v->source;
        json_object *tags = NULL, *entry, *good;

        if (!o || (s->repository && !repo))
                return -ENOMEM;
        if (v->obs.tags)
                tags = tags_json(v->obs.tags);
        else if (json_object_object_get_ex(sources_state, s->name, &entry) &&
                 json_object_object_get_ex(entry, "good", &good) && json_object_object_get_ex(good, "tags", &tags))
                tags = json_object_get(tags);
        if (json_add_string(o, "name", s->name) < 0 || json_add_string(o, "type", s->type->name) < 0 ||
            json_add_string(o, "tool", s->type->tool) < 0 ||
            json_add_string(o, "repository", repo) < 0 ||
            (s->unit && json_add_string(o, "unit", s->unit) < 0) ||
            (s->path && json_add_string(o, "path", s->path) < 0) ||
            (s->mount && json_add_string(o, "mount", s->mount) < 0) ||
            (s->repository && json_add_bool(o, "remote", backup_source_is_remote(s)) < 0) ||
            json_add_string(o, "status", freshness_names[v->freshness]) < 0 ||
            json_add(o, "newest", time_json(v->obs.time)) < 0 ||
            json_add(o, "age_hours", v->obs.time && v->obs.time <= now ?
                                             json_object_new_double((double) (now - v->obs.time) / USEC_PER_HOUR) : NULL) < 0 ||
            json_add_string(o, "id", v->obs.id) < 0 || json_add_string(o, "host", v->obs.host) < 0 ||
            json_add(o, "tags", tags) < 0 ||
            json_add(o, "probed", time_json(v->probed)) < 0 ||
            json_add_bool(o, "cached", v->cached || !v->probed_now) < 0 ||
            json_add_string(o, "error", v->error) < 0 ||
            json_add(o, "unreachable_since", v->outcome != PROBE_OK ? time_json(v->failing_since) : NULL) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(o);
        return 0;
}

/* "restic "home", 2026-11-29T16:00:00Z, 3 h ago" */
static char *describe(const SourceView *v, usec_t now) {
        char buf[RFC3339_MAX];
        _cleanup_free_ char *age = format_age(now > v->obs.time ? now - v->obs.time : 0);
        char *s;
        if (!age || asprintf(&s, _("%s ago (%s \"%s\", %s)"), age, v->source->type->name, v->source->name,
                             format_rfc3339(v->obs.time, buf)) < 0)
                return NULL;
        return s;
}

/* " Repository unreachable since …; using what was seen on …." for a cached view. */
static char *cache_note(const SourceView *v) {
        char a[RFC3339_MAX];
        char *s;
        if (!v->cached || v->outcome == PROBE_OK)
                return strdup("");
        if (asprintf(&s, _(" Source \"%s\" unreachable since %s (%s); using the last good observation."),
                     v->source->name, format_rfc3339(v->failing_since ? v->failing_since : v->probed, a),
                     strempty(v->error)) < 0)
                return NULL;
        return s;
}

static int fail_none(CheckResult *res, const SourceView *v) {
        return check_result_set(res, CHECK_FAIL, _("No backup found in \"%s\" (%s)."), v->source->name,
                                v->source->type->name);
}

static int verdict(const CheckContext *ctx, const SourceView *views, size_t n, CheckResult *res) {
        const PolicyBackup *pb = ctx->policy;
        const SourceView *best = NULL, *worst = NULL, *unknown = NULL, *judged;
        _cleanup_free_ char *what = NULL, *note = NULL;
        int r;

        for (size_t i = 0; i < n; i++) {
                const SourceView *v = &views[i];
                if (v->freshness == UNKNOWN) {
                        unknown = unknown ? unknown : v;
                        continue;
                }
                if (v->obs.time && (!best || v->obs.time > best->obs.time))
                        best = v;
                /* the worst: a source with no backup at all, else the oldest */
                if (!worst || (worst->freshness != NONE &&
                               (v->freshness == NONE || v->obs.time < worst->obs.time)))
                        worst = v;
        }
        /* "any": the newest backup anywhere decides; "all": the worst source does. */
        judged = pb->require == BACKUP_REQUIRE_ALL ? worst : best;
        if (judged && judged->obs.time) {
                what = describe(judged, ctx->now);
                note = cache_note(judged);
                if (!what || !note)
                        return -ENOMEM;
        }
        if (judged && (judged->freshness == STALE || judged->freshness == NONE) && (pb->require == BACKUP_REQUIRE_ALL || !unknown)) {
                if (judged->freshness == NONE)
                        r = fail_none(res, judged);
                else
                        r = check_result_set(res, CHECK_FAIL, _("Last backup %s is older than the %d h the policy allows.%s"),
                                             what, pb->max_age_hours, note);
                goto run_backup;
        }
        if (!judged && !unknown) { /* every source answered "no backup" */
                r = fail_none(res, worst);
                goto run_backup;
        }
        if (unknown && (pb->require == BACKUP_REQUIRE_ALL || !judged || judged->freshness == STALE || judged->freshness == NONE)) {
                r = check_result_set(res, CHECK_UNKNOWN, _("Cannot tell when the last backup was: %s \"%s\": %s."),
                                     unknown->source->type->name, unknown->source->name, strempty(unknown->error));
                if (r >= 0)
                        r = check_result_set_remediation(res, "%s", unknown->outcome == PROBE_BROKEN ?
                                _("Ask IT to repair the backup setup (the message above says what is wrong).") :
                                _("Connect to the network or plug in your backup drive, then run \"vigie check\" again."));
                return r;
        }
        if (judged->freshness == AGING) {
                res->deadline = judged->obs.time + (usec_t) pb->max_age_hours * USEC_PER_HOUR;
                r = check_result_set(res, CHECK_WARN, _("Last backup %s; back up again before the deadline.%s"), what, note);
                goto run_backup;
        }
        return check_result_set(res, CHECK_PASS, _("Last backup %s.%s"), what, note);

run_backup:
        if (r < 0)
                return r;
        return check_result_set_remediation(res, "%s", _("Run your backup now (connect to the network or plug in the "
                                                         "backup drive first if it needs one) and make sure it "
                                                         "completes; if it keeps failing, contact IT."));
}

static int run(const CheckContext *ctx, CheckResult *res) {
        _cleanup_free_ char *err = NULL;
        BackupSource *sources = NULL;
        SourceView *views = NULL;
        size_t n = 0;
        json_object *state_sources, *list;
        const PolicyBackup *pb = ctx->policy;
        int r;

        r = backup_sources_from_config(ctx->sections, ctx->n_sections, &sources, &n, &err);
        if (r < 0)
                return r; /* validated when the configuration was loaded */
        if (!json_object_object_get_ex(ctx->state, "sources", &state_sources) ||
            !json_object_is_type(state_sources, json_type_object)) {
                state_sources = json_object_new_object();
                if (!state_sources || json_add(ctx->state, "sources", state_sources) < 0) {
                        r = -ENOMEM;
                        goto finish;
                }
        }
        views = calloc(n ? n : 1, sizeof(SourceView));
        list = json_object_new_array();
        if (!views || !list || json_add(res->evidence, "sources", list) < 0 ||
            json_add_string(res->evidence, "require", require_names[pb->require]) < 0 ||
            json_add_int(res->evidence, "max_age_hours", pb->max_age_hours) < 0 ||
            json_add_int(res->evidence, "warn_age_hours", pb->warn_age_hours) < 0) {
                r = -ENOMEM;
                goto finish;
        }
        for (size_t i = 0; i < n; i++) {
                json_object *e;
                r = view_source(&sources[i], ctx, state_sources, &views[i]);
                if (r >= 0)
                        r = source_evidence(&views[i], state_sources, ctx->now, &e);
                if (r >= 0 && json_object_array_add(list, e) < 0) {
                        json_object_put(e);
                        r = -ENOMEM;
                }
                if (r < 0)
                        goto finish;
        }
        /* Forget sources that are no longer configured. */
        {
                _cleanup_strv_free_ char **gone = NULL;
                json_object_object_foreach(state_sources, key, val) {
                        bool found = false;
                        (void) val;
                        for (size_t i = 0; i < n; i++)
                                found = found || streq(sources[i].name, key);
                        if (!found && strv_extend(&gone, key) < 0) {
                                r = -ENOMEM;
                                goto finish;
                        }
                }
                for (char **g = gone; g && *g; g++)
                        json_object_object_del(state_sources, *g);
        }
        if (n == 0) {
                r = check_result_set(res, CHECK_FAIL, "%s", _("No backup configured."));
                if (r >= 0)
                        r = check_result_set_remediation(res, "%s", _("Ask IT to set up a backup for this laptop "
                                                                      "(a [Backup] section in /etc/vigie/agent.conf)."));
                goto finish;
        }
        r = verdict(ctx, views, n, res);
finish:
        for (size_t i = 0; views && i < n; i++)
                backup_probe_done(&views[i].probe);
        free(views);
        backup_sources_free(sources, n);
        return r;
}

/* A warn age at or past the maximum would never warn: disabled. */
static void policy_finalize(void *section) {
        PolicyBackup *pb = section;
        if (pb->warn_age_hours >= pb->max_age_hours)
                pb->warn_age_hours = 0;
}

#define F(x) offsetof(PolicyBackup, x)
static const PolicyField policy_fields[] = {
        { "required", POLICY_BOOL, F(head.required), "true" },
        { "max_age_hours", POLICY_INT, F(max_age_hours), "48", 1, 24 * 366 },
        { "warn_age_hours", POLICY_INT, F(warn_age_hours), "24", 0, 24 * 366 },
        { "require", POLICY_ENUM, F(require), "\"any\"", .choices = require_names },
};

const Check check_backup = {
        .policy = { "backup", policy_fields, ELEMENTSOF(policy_fields), sizeof(PolicyBackup), policy_finalize },
        .title = N_("Backup"),
        .config_kind = "Backup",
        .config_validate = backup_config_validate,
        .run = run,
};
