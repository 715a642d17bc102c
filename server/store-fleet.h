/* SPDX-License-Identifier: MIT */
#pragma once

/* Fleet queries over the store (both backends, same SQL): the summary, the filtered and
 * paginated device list, one device's detail, its stored reports, the export. They read
 * the latest-state tables (latest, latest_checks, check_history) and a per-check counter
 * table kept by triggers, never the report history, so their cost does not grow with the
 * number of reports (docs/internals/fleet-queries.md).
 *
 * FleetTimes moves with the clock (VIGIE_NOW in tests), never with the data. */

#include <stdbool.h>
#include <stdint.h>

#include "check-result.h"
#include "fleet-filter.h"
#include "store.h"

typedef struct FleetTimes {
        /* a device whose last report was received before this time (seconds since the
         * epoch), or that enrolled before it and never reported, is stale */
        int64_t stale_before;
        /* a device counts as flagged while its last flag is at or after this time */
        int64_t flagged_after;
} FleetTimes;

/* Creates the fleet indexes, the counter table and its triggers (idempotent); store_open
 * calls it. */
int store_fleet_schema(Store *s);
/* The triggers that keep fleet_policy_counts (devices by the policy version their latest
 * report named) and its first count (idempotent); store_policy_schema() calls it once
 * latest_policy exists. */
int store_fleet_policy_counts(Store *s);
/* PostgreSQL: the pg_trgm extension and the hostname trigram index the hostname
 * substring filter uses (idempotent; 0 on SQLite). Fails when the extension cannot be
 * created: the filter still works, walking the list. */
int store_fleet_trigram_index(Store *s);

typedef struct FleetCheckCount {
        char *check_id;
        int64_t n[_CHECK_STATUS_MAX];
} FleetCheckCount;

typedef struct FleetSummary {
        int64_t enrolled;     /* not revoked: reporting + stale + pending */
        int64_t reporting;    /* reported within stale_after: compliant + noncompliant */
        int64_t compliant, noncompliant;
        int64_t stale;
        int64_t pending;      /* enrolled recently, no report yet */
        int64_t revoked;
        int64_t flagged;      /* not revoked, suspected replay or clone */
        int64_t policy_outdated; /* not revoked, latest report named another policy */
        FleetCheckCount *checks; /* latest known status of non-revoked devices */
        size_t n_checks;
} FleetSummary;
void fleet_summary_done(FleetSummary *s);
int store_fleet_summary(Store *s, const FleetTimes *t, FleetSummary *ret);

/* One row of the device list. Strings are valid during the callback only. */
typedef struct FleetDevice {
        const char *device_id;
        int64_t enrolled_at, revoked_at, flagged_at; /* 0: not */
        const char *flag_reason;
        bool has_report;
        int64_t seq, report_at, received_at, noncompliant_since; /* 0: none */
        const char *verdict; /* stored verdict: compliant, noncompliant; NULL: no report */
        const char *failing; /* comma-separated check ids, or NULL */
        const char *hostname, *os_id, *os_version, *os_pretty;
        const char *policy_id;  /* named by the latest report; NULL: unknown (no report
                                 * since the server recorded it) */
        int64_t policy_version;
        bool policy_current;    /* policy_id and policy_version are the current policy's */
        const char *key_kind;   /* devices.key_kind as stored (device-key.h) */
} FleetDevice;
typedef int (*FleetDeviceFn)(const FleetDevice *d, void *userdata);

/* revoked, stale, pending, compliant or noncompliant: what the fleet shows. */
const char *fleet_device_verdict(const FleetDevice *d, const FleetTimes *t);
bool fleet_device_flagged(const FleetDevice *d, const FleetTimes *t);

/* Calls fn for at most f->limit + 1 rows (the extra one tells the caller there is a next
 * page). Returns the number of rows or -errno. */
int store_fleet_devices(Store *s, const FleetFilter *f, const FleetTimes *t, FleetDeviceFn fn,
                        void *userdata);
/* -ENOENT for an unknown device. */
int store_fleet_device(Store *s, const char *device_id, FleetDeviceFn fn, void *userdata);

/* The claims JSON of the device's latest report (-ENOENT if it never reported). */
int store_fleet_latest_claims(Store *s, const char *device_id, char **ret_claims);

typedef struct FleetHistory {
        const char *check_id, *status;
        int64_t changed_at, seq;
} FleetHistory;
typedef int (*FleetHistoryFn)(const FleetHistory *h, void *userdata);
/* Status changes, newest first, at most max. */
int store_fleet_history(Store *s, const char *device_id, unsigned max, FleetHistoryFn fn,
                        void *userdata);

typedef struct FleetCert {
        const char *serial, *fingerprint, *pem; /* pem NULL if not kept */
        int64_t not_before, not_after, issued_at, revoked_at;
} FleetCert;
typedef int (*FleetCertFn)(const FleetCert *c, void *userdata);
int store_fleet_certificates(Store *s, const char *device_id, FleetCertFn fn, void *userdata);

typedef struct FleetReport {
        int64_t seq, iat, received_at;
        const char *jws;        /* NULL when pruned */
        const char *hash, *prev; /* kept when the body is pruned */
} FleetReport;
typedef int (*FleetReportFn)(const FleetReport *r, void *userdata);
/* At most limit reports with from <= iat < to (0: unbounded) and seq > after_seq, by
 * stored seq. */
int store_fleet_reports(Store *s, const char *device_id, int64_t from, int64_t to, int64_t after_seq,
                        unsigned limit, FleetReportFn fn, void *userdata);
