/* SPDX-License-Identifier: MIT */
#pragma once

/* The posture decision (docs/enforcement.md): may this device reach company resources
 * now? A pure function of the device's latest state (what store-posture.c reads from the
 * latest-state tables), the policy's enforcement section and the time, so that it can be
 * tested over time without a server and costs no I/O. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

typedef enum PostureState {
        POSTURE_ALLOWED, /* compliant, or failing only what the policy monitors */
        POSTURE_GRACE,   /* failing, allowed until grace_until */
        POSTURE_BLOCKED,
        _POSTURE_STATE_MAX,
} PostureState;

/* One check of the device's latest report that is not ok (status fail, unknown, error). */
typedef struct PostureCheck {
        const char *id;
        const char *status;
        int64_t since;          /* when it took this status (seconds since the epoch) */
        const char *summary;    /* from the device: untrusted text, may be NULL */
} PostureCheck;

typedef struct PostureInput {
        bool revoked;           /* the device, or the certificate asked about */
        bool has_report;
        int64_t enrolled_at, report_at, received_at;
        const char *verdict;    /* stored verdict of the latest report */
        const PostureCheck *failing;
        size_t n_failing;
        int64_t stale_before;   /* a report received before this is stale (FleetTimes) */
} PostureInput;

typedef struct Posture {
        PostureState state;
        const char *verdict;    /* compliant, noncompliant, stale, pending, revoked */
        char *reason;           /* for people; NULL when compliant */
        int64_t grace_until;    /* 0: none */
} Posture;

#define POSTURE_REASON_MAX 512

/* Checks the policy does not require never block. */
int posture_decide(const PostureInput *in, const Policy *policy, int64_t now, Posture *ret);
void posture_done(Posture *p);

static inline bool posture_allowed(const Posture *p) {
        return p->state != POSTURE_BLOCKED;
}
const char *posture_state_to_string(PostureState s);
