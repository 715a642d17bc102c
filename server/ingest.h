/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>

#include <json-c/json.h>

#include "http.h"

/* The body of POST /v1/reports: one compact JWS (surrounding whitespace allowed) or a
 * JSON array of them, as the agent's spool flushes. Items point into the body or into
 * ret->json; they are not NUL-terminated. -EBADMSG / -E2BIG with a message. */
typedef struct ReportItem {
        const char *jws;
        size_t size;
} ReportItem;

typedef struct ReportBatch {
        json_object *json; /* the array, when the body was one */
        ReportItem *items;
        size_t n_items;
} ReportBatch;

int report_batch_parse(const char *body, size_t size, size_t max_items, ReportBatch *ret,
                       char **ret_error);
void report_batch_done(ReportBatch *b);

int route_reports(Request *r);
