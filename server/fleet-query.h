/* SPDX-License-Identifier: MIT */
#pragma once

/* The filters, sort order and page of GET /v1/fleet/devices, parsed from the query string
 * (untrusted: strict, bounded, every refusal says which parameter and why), and the
 * opaque pagination cursor: the API layer's type. The store takes a FleetFilter
 * (fleet-filter.h), which fleet_query_filter() builds from a parsed query. */

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "check-result.h"
#include "fleet-filter.h"
#include "macro.h"

#define FLEET_LIMIT_DEFAULT 100u
#define FLEET_LIMIT_MAX 1000u
#define FLEET_QUERY_MAX 4096u     /* bytes of query string we accept */
#define FLEET_VALUE_MAX 256u      /* bytes of one decoded value */
/* A cursor's key: a hostname (at most 255 bytes in a report) or shorter. Its hex (every
 * byte of JSON twice, '"' and '\\' escaped) then fits FLEET_CURSOR_MAX. */
#define FLEET_CURSOR_KEY_MAX 255u
#define FLEET_CURSOR_ID_MAX 64u   /* a device id is a UUID */
#define FLEET_CURSOR_MAX 2048u    /* bytes of a decoded cursor= value */

typedef struct FleetCursor {
        bool set;
        int64_t key_int;   /* the sort key of the last row, for time sorts */
        char *key_text;    /* the sort key of the last row, for text sorts */
        char *device_id;   /* tie breaker */
} FleetCursor;

typedef struct FleetQuery {
        FleetStatus status;
        char *check;             /* NULL: any */
        CheckStatus check_status; /* _CHECK_STATUS_INVALID: any */
        char *os_id;             /* os=debian or os=debian:12 … */
        char *os_version;        /* … split: "debian" and "12" (NULL: any version) */
        char *q;                 /* hostname substring */
        usec_t since;            /* only devices that reported at or after; 0: any */
        const char *key_kind;    /* key=: a device-key.h name (static); NULL: any */
        bool policy_outdated;    /* policy=outdated */
        FleetSort sort;
        bool descending;
        unsigned limit;
        FleetCursor cursor;
} FleetQuery;

const char *fleet_status_to_string(FleetStatus s);
FleetStatus fleet_status_from_string(const char *s);
const char *fleet_sort_to_string(FleetSort s);
FleetSort fleet_sort_from_string(const char *s);

/* Parses "status=stale&check=backup&sort=-last_report&limit=50&cursor=…". Unknown or
 * repeated parameters and bad values are -EINVAL with a message for the client in
 * *ret_error. A check id must look like one ([a-z0-9_], ≤ 64). */
int fleet_query_parse(const char *query, FleetQuery **ret, char **ret_error);
FleetQuery *fleet_query_free(FleetQuery *q);
static inline void fleet_query_freep(FleetQuery **q) {
        fleet_query_free(*q);
}

/* The key= and policy= filters, which the export takes too: -EINVAL with a message for
 * the client in *ret_error. *ret of fleet_parse_key is a static string. */
int fleet_parse_key(const char *v, const char **ret, char **ret_error);
int fleet_parse_policy(const char *v, bool *ret_outdated, char **ret_error);

/* The store's filter for q: its strings are borrowed from q. */
void fleet_query_filter(const FleetQuery *q, FleetFilter *ret);

/* The cursor that continues after a row with these sort keys (key_text for text sorts,
 * key_int for time sorts). Returns a new string (URL-safe) or NULL on OOM. */
char *fleet_cursor_encode(const FleetQuery *q, int64_t key_int, const char *key_text,
                          const char *device_id);
/* An RFC 3339 time, or a duration meaning "that long ago" ("24h", "7d"), as since= takes. */
int fleet_parse_time(const char *v, usec_t *ret);

/* A cursor's JSON as the hex of its compact text (NULL on OOM), and that hex back to the
 * text (NUL-terminated): -EINVAL for an odd length or a non-hex digit. */
char *fleet_cursor_hex(json_object *j);
int fleet_cursor_unhex(const char *s, char **ret);
