/* SPDX-License-Identifier: MIT */
#pragma once

/* The page of GET /v1/fleet/devices/{id}/reports, parsed from its query string (untrusted:
 * strict, bounded, every refusal says which parameter and why): from=, to=, limit= and the
 * opaque cursor= a previous page returned as "next_cursor". */

#include <stdint.h>

#include <event2/keyvalq_struct.h>

#define REPORTS_LIMIT_DEFAULT 100u
#define REPORTS_LIMIT_MAX 500u
#define REPORTS_CURSOR_MAX 512u /* characters of a cursor= value */

typedef struct ReportsQuery {
        int64_t from, to;  /* issued at from <= iat < to, in seconds; 0: unbounded */
        unsigned limit;    /* reports in this page */
        int64_t after_seq; /* the page starts after this seq; -1: at the first report */
} ReportsQuery;

/* Parses the decoded parameters of a request for device_id's reports. Unknown parameters,
 * bad values and a cursor this server did not make for this device are -EINVAL with a
 * message for the client in *ret_error. */
int reports_query_parse(const struct evkeyvalq *params, const char *device_id, ReportsQuery *ret,
                        char **ret_error);

/* The cursor that continues device_id's reports after seq: a new URL-safe string, or NULL
 * on OOM. */
char *reports_cursor_encode(const char *device_id, int64_t seq);
