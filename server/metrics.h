/* SPDX-License-Identifier: MIT */
#pragma once

/* Prometheus text exposition format (version 0.0.4): a writer with HELP/TYPE lines and
 * label escaping, and the server's own counters (reports accepted/refused by reason,
 * enrollments, request latency histogram). The fleet gauges come from the store at scrape
 * time (api-fleet.c). Counters are per server process, as Prometheus expects. */

#include <stdint.h>
#include <stdio.h>

#include "macro.h"

/* Writes "# HELP name text\n# TYPE name type\n" (help text escaped). */
int metrics_write_header(FILE *f, const char *name, const char *type, const char *help);
/* Writes one sample: name{k="v",…} value. labels: NULL or a NULL-terminated list of
 * alternating keys and values; values are escaped (\\, \", \n). */
int metrics_write_sample(FILE *f, const char *name, const char *const *labels, double value);
/* Escapes a label value; returns a new string or NULL on OOM. */
char *metrics_escape_label(const char *value);

#define METRICS_REASON_MAX 32
#define METRICS_LATENCY_BUCKETS 12
#define METRICS_POSTURE_RESULTS 4

/* What ServerStats (server.h) does not already count. */
typedef struct ServerMetrics {
        struct {
                char reason[48];
                uint64_t count;
        } refused[METRICS_REASON_MAX];
        uint64_t refused_other; /* once every reason slot is taken */
        uint64_t latency_buckets[METRICS_LATENCY_BUCKETS]; /* cumulative at write time */
        uint64_t latency_count;
        double latency_sum_s;
        uint64_t posture[METRICS_POSTURE_RESULTS]; /* decisions: allowed, grace, blocked, unknown */
        uint64_t verified_on_loop, verified_on_workers; /* report bodies (server_offload()) */
        uint64_t handshakes_full, handshakes_resumed;   /* TLS handshakes completed (http.c) */
} ServerMetrics;

/* The server is one event loop: no locking. reason: a short stable token ("bad_signature", "replay", "revoked", …). */
void metrics_report_refused(ServerMetrics *m, const char *reason);
void metrics_observe_request(ServerMetrics *m, usec_t duration);
/* result: "allowed", "grace", "blocked" or "unknown" (no such device or certificate). */
void metrics_count_posture(ServerMetrics *m, const char *result);

/* Writes the counters (with ServerStats' accepted reports and enrollments) and the
 * histogram. */
int metrics_write_server(FILE *f, const ServerMetrics *m, uint64_t reports_accepted,
                         uint64_t enrollments);
