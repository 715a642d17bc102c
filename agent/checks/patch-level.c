/* SPDX-License-Identifier: MIT */
/* patch_level: is this system patched? A package source (pkg-source.h: apt on Debian and
 * Ubuntu, dnf on Fedora and RHEL) computes the pending upgrades natively, which of them fix
 * security issues, how fresh the package metadata is, whether automatic updates run and
 * whether a reboot is due; this file adds whether the OS release is supported and decides.
 * Grace periods count from the first time a pending security update (package + candidate
 * version) or a reboot need was seen, kept in the check's state. See docs/patch-level.md. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "cleanup.h"
#include "fs-util.h"
#include "i18n.h"
#include "json-util.h"
#include "os-release.h"
#include "parse-util.h"
#include "pkg-source.h"
#include "time-util.h"

typedef struct PolicyPatchLevel {
        PolicyCheckHead head;
        int max_pending_security;
        int grace_days;
        int max_days_since_refresh;
        int reboot_grace_days;
        bool require_unattended_upgrades;
        PolicyMap supported_os; /* os-release ID → VERSION_ID values; empty: any OS */
} PolicyPatchLevel;

static usec_t state_time(json_object *o, const char *key) {
        json_object *v;
        usec_t t;
        if (o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) &&
            parse_rfc3339(json_object_get_string(v), false, &t) >= 0)
                return t;
        return 0;
}

static int state_set_time(json_object *o, const char *key, usec_t t) {
        char buf[RFC3339_MAX];
        return o ? json_add_string(o, key, format_rfc3339(t, buf)) : 0;
}

static int usec_cmp(const void *a, const void *b) {
        usec_t x = *(const usec_t *) a, y = *(const usec_t *) b;
        return x < y ? -1 : x > y;
}

/* A listed version is the VERSION_ID itself or a major release of it: "9" lists RHEL's
 * "9.4" and "9.6". */
static bool version_listed(char *const *versions, const char *version_id) {
        for (size_t i = 0; versions && versions[i]; i++) {
                size_t l = strlen(versions[i]);
                if (strncmp(version_id, versions[i], l) == 0 && (version_id[l] == 0 || version_id[l] == '.'))
                        return true;
        }
        return false;
}

static bool os_supported(const PolicyPatchLevel *pl, const OsRelease *os) {
        const PolicyMap *m = &pl->supported_os;
        if (m->n == 0)
                return true;
        for (size_t i = 0; i < m->n; i++)
                if (os && streq_ptr(m->entries[i].key, os->id))
                        return os->version_id && version_listed(m->entries[i].values, os->version_id);
        return false;
}

/* The verdict: the worst finding wins; a warn carries the earliest deadline; summaries and
 * fixes accumulate (each fix once). */
typedef struct Verdict {
        CheckStatus status;
        usec_t deadline;
        char *summary;
        char *remedy;
} Verdict;

static void verdict_done(Verdict *v) {
        free(v->summary);
        free(v->remedy);
}

static int verdict_add(Verdict *v, CheckStatus status, usec_t deadline, const char *text, const char *fix) {
        char *n;

        if (status == CHECK_FAIL)
                v->status = CHECK_FAIL;
        else if (v->status == CHECK_PASS)
                v->status = CHECK_WARN;
        if (status == CHECK_WARN && (v->deadline == 0 || deadline < v->deadline))
                v->deadline = deadline;
        if (asprintf(&n, "%s%s%s", strempty(v->summary), v->summary ? "; " : "", text) < 0)
                return -ENOMEM;
        free(v->summary);
        v->summary = n;
        if (fix && !(v->remedy && strstr(v->remedy, fix))) {
                if (asprintf(&n, "%s%s%s", strempty(v->remedy), v->remedy ? " " : "", fix) < 0)
                        return -ENOMEM;
                free(v->remedy);
                v->remedy = n;
        }
        return 0;
}

/* The evidence of one pending update; a security one also in sec_list with the time it was
 * first seen. */
static int add_update(const PkgSource *src, const PkgUpdate *u, json_object *upg_list, json_object *sec_list,
                      usec_t first) {
        char buf[RFC3339_MAX];
        json_object *o, *a;

        if (!(o = json_object_new_object()) || json_object_array_add(upg_list, o) < 0 ||
            json_add_string(o, "package", u->name) < 0 || json_add_string(o, "arch", u->arch) < 0 ||
            json_add_string(o, "installed", u->installed) < 0 || json_add_string(o, "candidate", u->candidate) < 0 ||
            json_add_bool(o, "security", u->security) < 0 || json_add_bool(o, "held", u->held) < 0 ||
            (u->phased < 100 && json_add_int(o, "phased_percentage", u->phased) < 0) ||
            (u->obsoleted_by && json_add_string(o, "obsoleted_by", u->obsoleted_by) < 0))
                return -ENOMEM;
        if (!u->security)
                return 0;
        if (!(o = json_object_new_object()) || json_object_array_add(sec_list, o) < 0 ||
            json_add_string(o, "package", u->name) < 0 || json_add_string(o, "arch", u->arch) < 0 ||
            json_add_string(o, "installed", u->installed) < 0 || json_add_string(o, "candidate", u->candidate) < 0 ||
            json_add_string(o, src->texts.origin_key, u->origin) < 0 ||
            (u->severity && json_add_string(o, "severity", u->severity) < 0) ||
            json_add_string(o, "first_seen", format_rfc3339(first, buf)) < 0 ||
            json_add_bool(o, "held", u->held) < 0)
                return -ENOMEM;
        if (u->advisories) {
                if (!(a = json_object_new_array()) || json_add(o, "advisories", a) < 0)
                        return -ENOMEM;
                for (char **i = u->advisories; *i; i++)
                        if (json_object_array_add(a, json_object_new_string(*i)) < 0)
                                return -ENOMEM;
        }
        return 0;
}

static int run(const CheckContext *ctx, CheckResult *result) {
        const PolicyPatchLevel *pl = ctx->policy;
        _cleanup_(pkg_state_done) PkgState d = {};
        _cleanup_(os_release_freep) OsRelease *os = NULL;
        _cleanup_free_ char *err = NULL;
        _cleanup_(verdict_done) Verdict v = { .status = CHECK_PASS };
        _cleanup_free_ usec_t *seen = NULL;
        _cleanup_json_ json_object *new_seen = NULL, *upg_list = NULL;
        json_object *ev = result->evidence, *jos, *sec_list, *jr;
        const PkgSource *src;
        char buf[RFC3339_MAX], line[512];
        size_t n_security = 0, n_held = 0;
        bool supported;
        int r;

        (void) os_release_load(ctx->root_fd, &os);
        supported = os_supported(pl, os);
        if (!(jos = json_object_new_object()) || json_add(ev, "os", jos) < 0 ||
            json_add_string(jos, "id", os ? os->id : NULL) < 0 ||
            json_add_string(jos, "version_id", os ? os->version_id : NULL) < 0 ||
            json_add_bool(jos, "supported", supported) < 0)
                return -ENOMEM;

        src = pkg_source_detect(ctx->root_fd);
        if (!src)
                return check_result_set(result, CHECK_UNKNOWN,
                                        _("No package database found (neither %s nor %s exists)."),
                                        "/var/lib/dpkg/status", "/var/lib/rpm");
        if (json_add_string(ev, "package_manager", src->id) < 0)
                return -ENOMEM;
        r = src->load(ctx, &d, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return check_result_set(result, CHECK_UNKNOWN, _("Cannot read the package state: %s."),
                                        err ? err : strerror(-r));

        /* Upgradable and security updates. */
        json_object *state = ctx->state, *old_seen = NULL;
        if (state)
                json_object_object_get_ex(state, "security_first_seen", &old_seen);
        new_seen = json_object_new_object();
        if (!(sec_list = json_object_new_array()) || json_add(ev, "security_updates", sec_list) < 0 ||
            !(upg_list = json_object_new_array()) || !new_seen)
                return -ENOMEM;
        seen = calloc(d.n_updates + 1, sizeof(usec_t));
        if (!seen)
                return -ENOMEM;
        for (size_t i = 0; i < d.n_updates; i++) {
                const PkgUpdate *u = &d.updates[i];
                usec_t first = 0;

                n_held += u->held;
                if (u->security) {
                        snprintf(line, sizeof(line), "%s:%s=%s", u->name, u->arch, u->candidate);
                        first = state_time(old_seen, line);
                        if (first == 0 || first > ctx->now)
                                first = ctx->now;
                        if (state_set_time(new_seen, line, first) < 0)
                                return -ENOMEM;
                        seen[n_security++] = first;
                }
                if (add_update(src, u, upg_list, sec_list, first) < 0)
                        return -ENOMEM;
        }
        if (state && json_add(state, "security_first_seen", TAKE_PTR(new_seen)) < 0)
                return -ENOMEM;
        if (json_add_int(ev, "upgradable", (int64_t) d.n_updates) < 0 ||
            json_add_int(ev, "security", (int64_t) n_security) < 0 ||
            json_add_int(ev, "held", (int64_t) n_held) < 0)
                return -ENOMEM;

        usec_t last = d.last_refresh;
        int64_t days = last ? (int64_t) ((ctx->now > last ? ctx->now - last : 0) / USEC_PER_DAY) : -1;
        if (json_add_string(ev, "last_refresh", last ? format_rfc3339(last, buf) : NULL) < 0 ||
            (days >= 0 ? json_add_int(ev, "days_since_refresh", days) : json_add(ev, "days_since_refresh", NULL)) < 0)
                return -ENOMEM;
        if (json_add_bool(ev, src->texts.automatic_key, d.automatic) < 0)
                return -ENOMEM;

        /* Reboot. */
        usec_t reboot_since = 0;
        if (d.reboot) {
                reboot_since = state_time(state, "reboot_first_seen");
                if (reboot_since == 0 || reboot_since > ctx->now)
                        reboot_since = ctx->now;
                if (state_set_time(state, "reboot_first_seen", reboot_since) < 0)
                        return -ENOMEM;
        } else if (state)
                json_object_object_del(state, "reboot_first_seen");
        if (!(jr = json_object_new_object()) || json_add(ev, "reboot_required", jr) < 0 ||
            json_add_bool(jr, "required", d.reboot) < 0 || json_add_string(jr, "reason", d.reboot_reason) < 0 ||
            json_add_string(jr, "since", d.reboot ? format_rfc3339(reboot_since, buf) : NULL) < 0 ||
            (d.reboot_packages && json_add(jr, "packages", TAKE_PTR(d.reboot_packages)) < 0))
                return -ENOMEM;
        if (d.warnings) {
                /* Records the package manager ignores with a warning: IT may want to know. */
                json_object *w = json_object_new_array();
                if (!w || json_add(ev, "ignored_preferences", w) < 0)
                        return -ENOMEM;
                for (char **i = d.warnings; *i; i++)
                        if (json_object_array_add(w, json_object_new_string(*i)) < 0)
                                return -ENOMEM;
        }
        if (json_add_string(ev, "native_arch", d.native_arch) < 0 ||
            json_add(ev, "upgradable_packages", TAKE_PTR(upg_list)) < 0)
                return -ENOMEM;

        if (!supported) {
                snprintf(line, sizeof(line), _("%s %s is not a supported release"),
                         os && os->id ? os->id : _("this system"), os && os->version_id ? os->version_id : "");
                if (verdict_add(&v, CHECK_FAIL, 0, line, _("Ask IT to upgrade this computer to a supported release.")) < 0)
                        return -ENOMEM;
        }
        if ((int) n_security > pl->max_pending_security) {
                qsort(seen, n_security, sizeof(usec_t), usec_cmp);
                /* Non-compliance began when the (max+1)-th pending update appeared. */
                usec_t dl = seen[MAX(pl->max_pending_security, 0)] + (usec_t) pl->grace_days * USEC_PER_DAY;
                snprintf(line, sizeof(line),
                         ngettext("%zu security update pending", "%zu security updates pending", n_security),
                         n_security);
                if (verdict_add(&v, ctx->now >= dl ? CHECK_FAIL : CHECK_WARN, dl, line, _(src->texts.fix_updates)) < 0)
                        return -ENOMEM;
        }
        if (days < 0 || days > pl->max_days_since_refresh) {
                if (days < 0)
                        snprintf(line, sizeof(line), "%s", _(src->texts.never_refreshed));
                else
                        snprintf(line, sizeof(line),
                                 ngettext("package lists last refreshed %" PRIi64 " day ago",
                                          "package lists last refreshed %" PRIi64 " days ago", (unsigned long) days),
                                 days);
                if (verdict_add(&v, CHECK_FAIL, 0, line, _(src->texts.fix_refresh)) < 0)
                        return -ENOMEM;
        }
        if (pl->require_unattended_upgrades && !d.automatic &&
            verdict_add(&v, CHECK_FAIL, 0, _("automatic security updates are off"), _(src->texts.fix_automatic)) < 0)
                return -ENOMEM;
        if (d.reboot) {
                usec_t dl = reboot_since + (usec_t) pl->reboot_grace_days * USEC_PER_DAY;
                snprintf(line, sizeof(line), _("a restart is needed: %s"), d.reboot_reason);
                if (verdict_add(&v, ctx->now >= dl ? CHECK_FAIL : CHECK_WARN, dl, line,
                                _("Restart your computer to finish installing updates.")) < 0)
                        return -ENOMEM;
        }
        result->deadline = v.status == CHECK_WARN ? v.deadline : 0;
        if (v.remedy && check_result_set_remediation(result, "%s", v.remedy) < 0)
                return -ENOMEM;
        if (v.status == CHECK_PASS) {
                char other[128], refreshed[128];

                snprintf(other, sizeof(other), ngettext("%zu other update", "%zu other updates", d.n_updates),
                         d.n_updates);
                snprintf(refreshed, sizeof(refreshed),
                         ngettext("lists refreshed %" PRIi64 " day ago", "lists refreshed %" PRIi64 " days ago",
                                  (unsigned long) days),
                         days);
                return check_result_set(result, CHECK_PASS,
                                        _("Up to date: no security update pending (%s, %zu held); %s"), other,
                                        n_held, refreshed);
        }
        return check_result_set(result, v.status, _("%s (%zu upgradable, %zu held)"), v.summary, d.n_updates,
                                n_held);
}

#define F(x) offsetof(PolicyPatchLevel, x)
static const PolicyField policy_fields[] = {
        { "required", POLICY_BOOL, F(head.required), "true" },
        { "max_pending_security", POLICY_INT, F(max_pending_security), "0", 0, 100000 },
        { "grace_days", POLICY_INT, F(grace_days), "7", 0, 365 },
        { "max_days_since_refresh", POLICY_INT, F(max_days_since_refresh), "3", 0, 365 },
        { "reboot_grace_days", POLICY_INT, F(reboot_grace_days), "3", 0, 365 },
        { "require_unattended_upgrades", POLICY_BOOL, F(require_unattended_upgrades), "false" },
        { "supported_os", POLICY_MAP, F(supported_os),
          "{\"debian\":[\"12\",\"13\"],\"ubuntu\":[\"22.04\",\"24.04\",\"26.04\"],"
          "\"fedora\":[\"43\",\"44\",\"45\"],\"rhel\":[\"8\",\"9\",\"10\"]}" },
};

const Check check_patch_level = {
        .policy = { "patch_level", policy_fields, ELEMENTSOF(policy_fields), sizeof(PolicyPatchLevel) },
        .title = N_("Patch level"),
        .run = run,
};
