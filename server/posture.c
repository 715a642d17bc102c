/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "posture.h"
#include "time-util.h"

static const char *const state_table[_POSTURE_STATE_MAX] = {
        [POSTURE_ALLOWED] = "allowed",
        [POSTURE_GRACE] = "grace",
        [POSTURE_BLOCKED] = "blocked",
};

const char *posture_state_to_string(PostureState s) {
        return s >= 0 && s < _POSTURE_STATE_MAX ? state_table[s] : NULL;
}

void posture_done(Posture *p) {
        free(p->reason);
        p->reason = NULL;
}

/* Appends printf(...) to a reason bounded by POSTURE_REASON_MAX, replacing control
 * characters (summaries come from the device and end up in HTTP headers and logs). */
static void reason_append(char buf[static POSTURE_REASON_MAX], const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static void reason_append(char buf[static POSTURE_REASON_MAX], const char *fmt, ...) {
        size_t n = strlen(buf);
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(buf + n, POSTURE_REASON_MAX - n, fmt, ap);
        va_end(ap);
        for (char *p = buf + n; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        *p = ' ';
}

static int finish(Posture *ret, PostureState state, const char *verdict, const char *reason,
                  int64_t grace_until) {
        char *r = NULL;
        if (reason && !(r = strdup(reason)))
                return -ENOMEM;
        *ret = (Posture) { .state = state, .verdict = verdict, .reason = r, .grace_until = grace_until };
        return 0;
}

/* No fresh report: pending (never reported) or stale. stale_is decides, unless the policy
 * only monitors. */
static int decide_silent(const PostureInput *in, const PolicyEnforcement *e, Posture *ret) {
        bool allowed = e->stale_allowed || e->mode == ENFORCEMENT_MONITOR;
        char buf[POSTURE_REASON_MAX] = "", t[RFC3339_MAX];

        if (in->has_report)
                reason_append(buf, "no report from this laptop since %s",
                              format_rfc3339((usec_t) in->received_at * USEC_PER_SEC, t));
        else
                reason_append(buf, "this laptop has not reported since it enrolled");
        return finish(ret, allowed ? POSTURE_ALLOWED : POSTURE_BLOCKED,
                      in->has_report || in->enrolled_at < in->stale_before ? "stale" : "pending",
                      buf, 0);
}

int posture_decide(const PostureInput *in, const Policy *policy, int64_t now, Posture *ret) {
        const PolicyEnforcement *e = &policy->enforcement;
        /* A noncompliant report without a failing check row: the report as a whole fails. */
        const PostureCheck whole = { .id = "report", .status = "noncompliant", .since = in->report_at };
        const PostureCheck *failing = in->n_failing ? in->failing : &whole;
        size_t n_failing = in->n_failing ? in->n_failing : 1;
        char buf[POSTURE_REASON_MAX] = "";
        bool blocked = false;
        int64_t grace_until = 0;

        if (in->revoked)
                return finish(ret, POSTURE_BLOCKED, "revoked",
                              "this laptop's Vigie certificate is revoked", 0);
        if (!in->has_report || in->received_at < in->stale_before)
                return decide_silent(in, e, ret);
        if (streq_ptr(in->verdict, "compliant"))
                return finish(ret, POSTURE_ALLOWED, "compliant", NULL, 0);

        /* Each failing check blocks at its own time: now (block), when its grace ends
         * (warn_then_block: grace_hours after it started failing, which for a check with
         * its own deadline is that deadline), or never (monitor). The earliest wins. */
        for (size_t i = 0; i < n_failing; i++) {
                const PostureCheck *c = &failing[i];
                EnforcementMode mode;
                int hours;
                int64_t until;

                if (in->n_failing && !policy_check_required(policy, c->id))
                        continue;
                policy_enforcement_for_check(e, c->id, &mode, &hours);
                reason_append(buf, "%s%s: %s", buf[0] ? "; " : "", c->id,
                              c->summary && *c->summary ? c->summary : c->status);
                if (mode == ENFORCEMENT_MONITOR)
                        continue;
                until = mode == ENFORCEMENT_BLOCK ? c->since : c->since + (int64_t) hours * 3600;
                if (now >= until)
                        blocked = true;
                else if (grace_until == 0 || until < grace_until)
                        grace_until = until;
        }
        if (blocked)
                return finish(ret, POSTURE_BLOCKED, "noncompliant", buf, 0);
        return finish(ret, grace_until ? POSTURE_GRACE : POSTURE_ALLOWED, "noncompliant", buf[0] ? buf : NULL,
                      grace_until);
}
