/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "macro.h"
#include "parse-util.h"
#include "store-posture.h"

/* Statement ids 810…: each store module has its own range (test_store_statement_ids). */
enum {
        Q_POSTURE_CERT = 810,
        Q_POSTURE_DEVICE,
        Q_POSTURE_FAILING,
};

int store_posture_schema(Store *s) {
        return s->backend->exec(s, "CREATE INDEX IF NOT EXISTS posture_cert_fingerprint "
                                   "ON certificates(fingerprint);");
}

static int64_t col_int(const char *c) {
        int64_t v = 0;
        if (c)
                (void) parse_int64(c, &v); /* our own BIGINT columns */
        return v;
}

void store_posture_done(StorePosture *p) {
        for (size_t i = 0; i < p->n_failing; i++) {
                free((char *) p->failing[i].id);
                free((char *) p->failing[i].status);
                free((char *) p->failing[i].summary);
        }
        free(p->failing);
        free(p->verdict);
        *p = (StorePosture) {};
}

typedef struct CertRow {
        char *device_id;
        bool revoked;
} CertRow;

static int row_cert(const char *const *c, size_t n, void *userdata) {
        CertRow *row = userdata;
        if (n < 2 || !c[0])
                return -EIO;
        free(row->device_id);
        row->device_id = strdup(c[0]);
        row->revoked = c[1] != NULL;
        return row->device_id ? 0 : -ENOMEM;
}

int store_posture_cert(Store *s, const char *fingerprint, char **ret_device_id, bool *ret_revoked) {
        CertRow row = {};
        const StoreValue p[] = { SV_TEXT(fingerprint) };
        int r = s->backend->query(s, Q_POSTURE_CERT,
                                  "SELECT device_id, revoked_at FROM certificates "
                                  "WHERE fingerprint = $1 AND role = 'device' AND device_id IS NOT NULL",
                                  p, 1, row_cert, &row);
        if (r < 0 || !row.device_id) {
                free(row.device_id);
                return r < 0 ? r : -ENOENT;
        }
        *ret_device_id = row.device_id;
        *ret_revoked = row.revoked;
        return 0;
}

static int row_device(const char *const *c, size_t n, void *userdata) {
        StorePosture *p = userdata;
        if (n < 5)
                return -EIO;
        p->input.enrolled_at = col_int(c[0]);
        p->input.revoked = c[1] != NULL;
        p->input.has_report = c[2] != NULL;
        p->input.report_at = col_int(c[2]);
        p->input.received_at = col_int(c[3]);
        if (c[4] && !(p->verdict = strdup(c[4])))
                return -ENOMEM;
        return 0;
}

static int row_failing(const char *const *c, size_t n, void *userdata) {
        StorePosture *p = userdata;
        PostureCheck *k;

        if (n < 4 || !c[0] || !c[1])
                return -EIO;
        if (p->n_failing >= STORE_POSTURE_FAILING_MAX)
                return 0;
        k = &p->failing[p->n_failing];
        *k = (PostureCheck) { .id = strdup(c[0]), .status = strdup(c[1]), .since = col_int(c[2]),
                              .summary = c[3] ? strdup(c[3]) : NULL };
        p->n_failing++; /* counted first so that done() frees a half-built row */
        return k->id && k->status && (!c[3] || k->summary) ? 0 : -ENOMEM;
}

int store_posture_get(Store *s, const char *device_id, int64_t stale_before, StorePosture *ret) {
        _cleanup_(store_posture_done) StorePosture p = {};
        const StoreValue params[] = { SV_TEXT(device_id) };
        int r;

        r = s->backend->query(s, Q_POSTURE_DEVICE,
                              "SELECT d.enrolled_at, d.revoked_at, l.report_at, l.received_at, l.verdict "
                              "FROM devices d LEFT JOIN latest l ON l.device_id = d.id WHERE d.id = $1",
                              params, 1, row_device, &p);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        if (p.input.has_report) {
                p.failing = calloc(STORE_POSTURE_FAILING_MAX, sizeof(PostureCheck));
                if (!p.failing)
                        return -ENOMEM;
                r = s->backend->query(s, Q_POSTURE_FAILING,
                                      "SELECT lc.check_id, lc.status, lc.since, cr.summary "
                                      "FROM latest_checks lc JOIN latest l ON l.device_id = lc.device_id "
                                      "LEFT JOIN check_results cr "
                                      "ON cr.device_id = lc.device_id AND cr.seq = l.seq "
                                      "AND cr.check_id = lc.check_id "
                                      "WHERE lc.device_id = $1 AND lc.status NOT IN ('pass', 'warn') "
                                      "ORDER BY lc.check_id LIMIT 64",
                                      params, 1, row_failing, &p);
                if (r < 0)
                        return r;
        }
        p.input.verdict = p.verdict;
        p.input.failing = p.failing;
        p.input.n_failing = p.n_failing;
        p.input.stale_before = stale_before;
        *ret = p;
        p = (StorePosture) {};
        return 0;
}
