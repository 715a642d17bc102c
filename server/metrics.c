/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "metrics.h"

/* Upper bounds in seconds; +Inf is implicit. */
static const double latency_bounds[METRICS_LATENCY_BUCKETS] = {
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
};

/* help_text: HELP escapes only backslash and newline; label values also escape '"'. */
static char *escape(const char *s, bool quote) {
        size_t n = strlen(s);
        char *out = malloc(2 * n + 1), *p = out;

        if (!out)
                return NULL;
        for (; *s; s++) {
                if (*s == '\\' || (quote && *s == '"')) {
                        *p++ = '\\';
                        *p++ = *s;
                } else if (*s == '\n') {
                        *p++ = '\\';
                        *p++ = 'n';
                } else
                        *p++ = *s;
        }
        *p = 0;
        return out;
}

char *metrics_escape_label(const char *value) {
        return escape(value, true);
}

int metrics_write_header(FILE *f, const char *name, const char *type, const char *help) {
        _cleanup_free_ char *h = escape(help, false);

        if (!h)
                return -ENOMEM;
        if (fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, h, name, type) < 0)
                return -EIO;
        return 0;
}

static int write_value(FILE *f, double v) {
        if (isinf(v))
                return fputs(v > 0 ? "+Inf" : "-Inf", f) < 0 ? -EIO : 0;
        if (v == (double) (int64_t) v && fabs(v) < 1e15)
                return fprintf(f, "%lld", (long long) v) < 0 ? -EIO : 0;
        return fprintf(f, "%.9g", v) < 0 ? -EIO : 0;
}

int metrics_write_sample(FILE *f, const char *name, const char *const *labels, double value) {
        if (fputs(name, f) < 0)
                return -EIO;
        if (labels && labels[0]) {
                fputc('{', f);
                for (size_t i = 0; labels[i] && labels[i + 1]; i += 2) {
                        _cleanup_free_ char *v = metrics_escape_label(labels[i + 1]);
                        if (!v)
                                return -ENOMEM;
                        fprintf(f, "%s%s=\"%s\"", i ? "," : "", labels[i], v);
                }
                fputc('}', f);
        }
        fputc(' ', f);
        if (write_value(f, value) < 0 || fputc('\n', f) == EOF)
                return -EIO;
        return 0;
}

void metrics_report_refused(ServerMetrics *m, const char *reason) {
        for (size_t i = 0; i < METRICS_REASON_MAX; i++) {
                if (m->refused[i].reason[0] == 0)
                        snprintf(m->refused[i].reason, sizeof m->refused[i].reason, "%s",
                                 reason);
                if (streq(m->refused[i].reason, reason)) {
                        m->refused[i].count++;
                        return;
                }
        }
        m->refused_other++;
}

void metrics_observe_request(ServerMetrics *m, usec_t duration) {
        double s = (double) duration / USEC_PER_SEC;

        for (size_t i = 0; i < METRICS_LATENCY_BUCKETS; i++)
                if (s <= latency_bounds[i]) {
                        m->latency_buckets[i]++;
                        break;
                }
        m->latency_count++;
        m->latency_sum_s += s;
}

static const char *const posture_results[METRICS_POSTURE_RESULTS] = {
        "allowed", "grace", "blocked", "unknown",
};

void metrics_count_posture(ServerMetrics *m, const char *result) {
        for (size_t i = 0; i < METRICS_POSTURE_RESULTS; i++)
                if (streq(result, posture_results[i]))
                        m->posture[i]++;
}

int metrics_write_server(FILE *f, const ServerMetrics *m, uint64_t reports_accepted,
                         uint64_t enrollments) {
        uint64_t cumulative = 0;
        int r;

        r = metrics_write_header(f, "vigie_reports_accepted_total", "counter",
                                 "Signed reports stored since the server started.");
        if (r >= 0)
                r = metrics_write_sample(f, "vigie_reports_accepted_total", NULL,
                                         (double) reports_accepted);
        if (r >= 0)
                r = metrics_write_header(f, "vigie_reports_refused_total", "counter",
                                         "Reports refused since the server started, by reason.");
        for (size_t i = 0; r >= 0 && i < METRICS_REASON_MAX && m->refused[i].reason[0]; i++)
                r = metrics_write_sample(f, "vigie_reports_refused_total",
                                         (const char *const[]) { "reason", m->refused[i].reason,
                                                                 NULL },
                                         (double) m->refused[i].count);
        if (r >= 0 && m->refused_other > 0)
                r = metrics_write_sample(f, "vigie_reports_refused_total",
                                         (const char *const[]) { "reason", "other", NULL },
                                         (double) m->refused_other);
        if (r >= 0)
                r = metrics_write_header(f, "vigie_enrollments_total", "counter",
                                         "Devices enrolled since the server started.");
        if (r >= 0)
                r = metrics_write_sample(f, "vigie_enrollments_total", NULL,
                                         (double) enrollments);
        if (r >= 0)
                r = metrics_write_header(f, "vigie_http_request_duration_seconds", "histogram",
                                         "Time to answer an HTTP request, in seconds.");
        for (size_t i = 0; r >= 0 && i < METRICS_LATENCY_BUCKETS; i++) {
                char le[32];
                cumulative += m->latency_buckets[i];
                snprintf(le, sizeof le, "%g", latency_bounds[i]);
                r = metrics_write_sample(f, "vigie_http_request_duration_seconds_bucket",
                                         (const char *const[]) { "le", le, NULL },
                                         (double) cumulative);
        }
        if (r >= 0)
                r = metrics_write_sample(f, "vigie_http_request_duration_seconds_bucket",
                                         (const char *const[]) { "le", "+Inf", NULL },
                                         (double) m->latency_count);
        if (r >= 0)
                r = metrics_write_sample(f, "vigie_http_request_duration_seconds_sum", NULL,
                                         m->latency_sum_s);
        if (r >= 0)
                r = metrics_write_sample(f, "vigie_http_request_duration_seconds_count", NULL,
                                         (double) m->latency_count);
        if (r >= 0)
                r = metrics_write_header(f, "vigie_posture_decisions_total", "counter",
                                         "Posture decisions answered to gateways and devices, by result.");
        for (size_t i = 0; r >= 0 && i < METRICS_POSTURE_RESULTS; i++)
                r = metrics_write_sample(f, "vigie_posture_decisions_total",
                                         (const char *const[]) { "result", posture_results[i], NULL },
                                         (double) m->posture[i]);
        if (r >= 0)
                r = metrics_write_header(f, "vigie_report_verifications_total", "counter",
                                         "Report bodies whose signatures were checked, by thread: the event loop "
                                         "(the server not busy, a body alone in its turn, or VerifyThreads=0) "
                                         "or a verification thread.");
        if (r >= 0)
                r = metrics_write_sample(f, "vigie_report_verifications_total",
                                         (const char *const[]) { "thread", "loop", NULL },
                                         (double) m->verified_on_loop);
        if (r >= 0)
                r = metrics_write_sample(f, "vigie_report_verifications_total",
                                         (const char *const[]) { "thread", "worker", NULL },
                                         (double) m->verified_on_workers);
        if (r >= 0)
                r = metrics_write_header(f, "vigie_tls_handshakes_total", "counter",
                                         "TLS handshakes completed, by whether the client resumed a session "
                                         "(TLSSessions=).");
        if (r >= 0)
                r = metrics_write_sample(f, "vigie_tls_handshakes_total",
                                         (const char *const[]) { "resumed", "no", NULL },
                                         (double) m->handshakes_full);
        if (r >= 0)
                r = metrics_write_sample(f, "vigie_tls_handshakes_total",
                                         (const char *const[]) { "resumed", "yes", NULL },
                                         (double) m->handshakes_resumed);
        return r;
}
