/* SPDX-License-Identifier: MIT */
#pragma once

/* Which devices the store's device list returns, in what order, from where: the storage
 * level's own terms. The API layer parses GET /v1/fleet/devices into a FleetQuery
 * (fleet-query.h: strings, HTTP parameters, the opaque cursor) and hands the store a
 * FleetFilter built from it (fleet_query_filter()); the store never sees the query string
 * or its types (DESIGN.md, Layout). */

#include <stdbool.h>
#include <stdint.h>

#include "check-result.h"

typedef enum FleetStatus {
        FLEET_STATUS_ANY,
        FLEET_STATUS_COMPLIANT,
        FLEET_STATUS_NONCOMPLIANT,
        FLEET_STATUS_STALE,    /* no report for stale_after */
        FLEET_STATUS_FLAGGED,  /* replay/clone suspicion */
        FLEET_STATUS_REVOKED,
        _FLEET_STATUS_MAX,
        _FLEET_STATUS_INVALID = -EINVAL,
} FleetStatus;

typedef enum FleetSort {
        FLEET_SORT_DEVICE,             /* device id */
        FLEET_SORT_HOSTNAME,
        FLEET_SORT_LAST_REPORT,
        FLEET_SORT_NONCOMPLIANT_SINCE,
        _FLEET_SORT_MAX,
        _FLEET_SORT_INVALID = -EINVAL,
} FleetSort;

/* Whether this sort orders by text (hostname, device id) or by time. */
static inline bool fleet_sort_is_text(FleetSort s) {
        return s == FLEET_SORT_DEVICE || s == FLEET_SORT_HOSTNAME;
}

/* Strings are borrowed: they must outlive the store call. */
typedef struct FleetFilter {
        FleetStatus status;
        const char *check;          /* NULL: any */
        CheckStatus check_status;   /* _CHECK_STATUS_INVALID: any (needs check) */
        const char *os_id;          /* NULL: any */
        const char *os_version;     /* NULL: any (needs os_id) */
        const char *hostname_part;  /* substring, any case; NULL: any */
        int64_t received_since;     /* seconds since the epoch; 0: any */
        const char *key_kind;       /* devices.key_kind (device-key.h names); NULL: any */
        bool policy_outdated;       /* not revoked, latest report named another policy */
        FleetSort sort;
        bool descending;
        unsigned limit;             /* rows of a page */
        struct {                    /* keyset pagination: rows strictly after this one */
                bool set;
                int64_t key_int;        /* its sort key, for time sorts */
                const char *key_text;   /* its sort key, for text sorts */
                const char *device_id;  /* tie breaker */
        } after;
} FleetFilter;
