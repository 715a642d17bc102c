/* SPDX-License-Identifier: MIT */
#pragma once

/* The report pipeline, one for `vigie report` and the vigie-agent daemon's cycle:
 * reporter_run() fetches and caches the policy, runs the checks, signs and spools one
 * report and flushes the spool to the server; the steps below it are its parts. The
 * callers differ only in what they do around it (enrollment, renewal, status.json,
 * messages and exit codes) and in the ReporterRun they pass. */

#include <stdbool.h>
#include <stddef.h>

#include "agent-config.h"
#include "check-result.h"
#include "identity.h"
#include "policy.h"
#include "spool.h"
#include "transport.h"

#define POLICY_CACHE_FILE "policy.json"
#define POLICY_ETAG_FILE "policy.etag"
#define POLICY_MAX (256u * 1024)
#define REPORTER_FLUSH_MAX 1000 /* reports sent per flush: bounds one run */
/* A waiting backlog goes as JSON arrays: at most this many reports and bytes per request
 * (the server takes 500 and 1 MiB by default), so it costs one request of the device's
 * budget rather than one per report. */
#define REPORTER_BATCH_MAX 500
#define REPORTER_BATCH_BYTES (512u * 1024)

/* A transport for an enrolled identity, with the config's timeouts and the pinned CA. */
int reporter_transport(const AgentConfig *c, const Identity *id, Transport **ret, char **ret_error);

/* GET /v1/policy with If-None-Match; a new policy (validated as the agent loads it) is
 * cached atomically in STATE/policy.json with its ETag. *ret_updated (may be NULL) tells
 * whether it changed. Offline or refused: -errno with a message, the cache untouched. */
int reporter_fetch_policy(const AgentConfig *c, Transport *t, bool *ret_updated, char **ret_error);
/* The cached policy, else the built-in default. */
int reporter_load_policy(const AgentConfig *c, Policy **ret, char **ret_error);

/* Claims from the results (host facts read under the config's Root=), the next seq and
 * prev of the spool, signed with the identity's key, appended to the spool. The report's
 * seq in *ret_seq (may be NULL). */
int reporter_build(const AgentConfig *c, const Identity *id, Spool *spool, const Policy *p,
                   CheckResult *const *results, size_t n, int64_t *ret_seq, char **ret_error);

typedef struct FlushStats {
        size_t sent;      /* acknowledged with a 2xx and removed */
        size_t rejected;  /* can never be accepted: moved to spool/rejected/ (see below) */
        size_t waiting;   /* still in the spool */
        uint64_t retry_after_s; /* the server's Retry-After with a 429, else 0 */
} FlushStats;

/* POST /v1/reports on one kept-alive connection, oldest first: waiting reports as JSON
 * arrays (REPORTER_BATCH_*); after an array is refused, one report per request for the
 * rest of the flush, so that the refused one is found and set aside.
 * A report leaves the spool only after a 2xx. Set aside in spool/rejected/ instead of
 * blocking the queue: a report refused with 400, 409 or 413 (resending the same bytes
 * gets the same answer), and a report signed under another certificate than the one t
 * presents (the server takes reports only from the certificate that signed them: after
 * a re-enrollment they are undeliverable; the server sees a gap). Stops at the first
 * transport failure, 401/403 (this identity refused: -EACCES), 429 or 5xx (-EAGAIN), with
 * a message; *ret is filled in every case. */
int reporter_flush(Spool *spool, Transport *t, FlushStats *ret, char **ret_error);

typedef enum ReporterStep {
        REPORTER_STEP_POLICY, /* the cached policy is unusable */
        REPORTER_STEP_CHECKS, /* the checks could not run under the root */
        REPORTER_STEP_SIGN,   /* the report could not be signed or spooled */
} ReporterStep;

typedef struct ReporterRun {
        /* What to do. */
        bool report;  /* policy, checks and (with a spool) one signed report; false: deliver only */
        bool (*stop_requested)(void); /* NULL, or true once delivery must be left for later */

        /* What happened: reporter_run_done() frees it. */
        ReporterStep failed_step;   /* when reporter_run() fails */
        Policy *policy;
        bool policy_updated;
        CheckResult **results;
        size_t n_results;
        int64_t seq;                /* of the report signed and spooled, 0: none */
        bool reached;               /* the server answered, or was not asked */
        bool flushed;               /* reporter_flush() ran */
        int delivery_r;             /* reporter_flush()'s, or the policy fetch's when that found
                                     * the server unreachable (the flush is then skipped) */
        FlushStats delivery;        /* .waiting is filled whenever there is a spool */
        char *delivery_error;       /* why delivery stopped or refused a report, else NULL */
} ReporterRun;

/* The pipeline. id and spool NULL: not enrolled, the checks run but nothing is signed.
 * t NULL: offline, the cached policy, nothing sent. With t and run->report, the policy is
 * fetched first; when that shows the server unreachable, the flush is skipped (one
 * connect timeout, not two). Then the spool is flushed unless run->stop_requested() says
 * so. Failures to deliver are results, not errors: reporter_run() fails only at the steps
 * of ReporterStep (run->failed_step says which), with a message in *ret_error. */
int reporter_run(const AgentConfig *c, const Identity *id, Spool *spool, Transport *t,
                 ReporterRun *run, char **ret_error);
void reporter_run_done(ReporterRun *run);
