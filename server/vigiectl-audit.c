/* SPDX-License-Identifier: MIT */
/* vigiectl audit ID: download a device's reports and certificates, verify them here
 * against our own copy of the CA (audit.c), print what is wrong. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "audit.h"
#include "cleanup.h"
#include "fs-util.h"
#include "i18n.h"
#include "json-util.h"
#include "macro.h"
#include "vigiectl.h"

static X509 *x509_from_pem(const char *pem) {
        _cleanup_(BIO_free_allp) BIO *b = BIO_new_mem_buf(pem, -1);
        return b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
}

static int load_ca(const char *path, X509 **ret) {
        _cleanup_free_ char *pem = NULL;
        int r = read_file_full(path, 1024 * 1024, &pem, NULL);
        if (r < 0) {
                fprintf(stderr, _("vigiectl audit: cannot read the CA \"%s\": %s\n"), path, strerror(-r));
                return VIGIECTL_EXIT_USAGE;
        }
        *ret = x509_from_pem(pem);
        if (!*ret) {
                fprintf(stderr, _("vigiectl audit: \"%s\" is not a PEM certificate\n"), path);
                return VIGIECTL_EXIT_USAGE;
        }
        return 0;
}

static void certs_free(X509 **certs, size_t n) {
        for (size_t i = 0; i < n; i++)
                X509_free(certs[i]);
        free(certs);
}

static int print_result(Ctl *ctl, const char *id, const AuditResult *res) {
        if (ctl->mode == OUTPUT_JSON) {
                _cleanup_json_ json_object *j = json_object_new_object();
                json_object *a = json_object_new_array();
                if (!j || !a || json_add(j, "findings", a) < 0 ||
                    json_add_string(j, "device_id", id) < 0 ||
                    json_add_int(j, "reports", (int64_t) res->n_reports) < 0 ||
                    json_add_int(j, "verified", (int64_t) res->n_verified) < 0 ||
                    json_add_int(j, "verdicts_checked", (int64_t) res->n_verdicts_checked) < 0 ||
                    json_add_int(j, "verdicts_unchecked", (int64_t) res->n_verdicts_unchecked) < 0 ||
                    json_add_int(j, "first_seq", res->first_seq) < 0 ||
                    json_add_int(j, "last_seq", res->last_seq) < 0 ||
                    json_add_int(j, "pruned", (int64_t) res->n_pruned) < 0 ||
                    (res->n_pruned && json_add_string(j, "pruned_before", res->pruned_before) < 0) ||
                    json_add_bool(j, "ok", res->n_findings == 0) < 0)
                        return -ENOMEM;
                for (size_t i = 0; i < res->n_findings; i++) {
                        json_object *f = json_object_new_object();
                        if (!f || json_object_array_add(a, f) < 0 ||
                            json_add_string(f, "problem", audit_problem_to_string(res->findings[i].problem)) < 0 ||
                            (res->findings[i].seq >= 0 ? json_add_int(f, "seq", res->findings[i].seq)
                                                       : json_add_string(f, "seq", NULL)) < 0 ||
                            json_add_string(f, "message", res->findings[i].message) < 0)
                                return -ENOMEM;
                }
                json_print(j, stdout);
                return 0;
        }
        if (ctl->mode == OUTPUT_CSV) {
                _cleanup_(table_freep) Table *t =
                        table_new((const char *const[]) { "problem", "seq", "message", NULL });
                if (!t)
                        return -ENOMEM;
                for (size_t i = 0; i < res->n_findings; i++) {
                        char seq[32] = "";
                        if (res->findings[i].seq >= 0)
                                snprintf(seq, sizeof seq, "%" PRId64, res->findings[i].seq);
                        if (table_add_row(t, (const char *const[]) {
                                        audit_problem_to_string(res->findings[i].problem), seq,
                                        res->findings[i].message }) < 0)
                                return -ENOMEM;
                }
                return table_print(t, OUTPUT_CSV, stdout);
        }
        printf(_("Device %s: %zu reports, %zu verified"), id, res->n_reports, res->n_verified);
        if (res->n_verified)
                printf(_(", seq %" PRId64 " to %" PRId64), res->first_seq, res->last_seq);
        printf("\n");
        if (res->n_pruned)
                printf(_("  reports seq %" PRId64 " to %" PRId64 " pruned before %s (hashes kept)\n"),
                       res->pruned_first, res->pruned_last, res->pruned_before);
        if (res->n_verdicts_unchecked > 0)
                printf(_("Verdicts: %zu recomputed; %zu name a policy not given with --policy.\n"),
                       res->n_verdicts_checked, res->n_verdicts_unchecked);
        if (res->n_findings == 0) {
                printf(_("OK: every signature, certificate and chain link verifies.\n"));
                return 0;
        }
        for (size_t i = 0; i < res->n_findings; i++)
                printf("  %-16s %s\n", audit_problem_to_string(res->findings[i].problem),
                       res->findings[i].message);
        for (size_t i = 0; i < res->n_findings; i++)
                if (res->findings[i].seq >= 0) {
                        printf(_("FAILED: first bad report: seq %" PRId64 ".\n"), res->findings[i].seq);
                        return 0;
                }
        printf(_("FAILED: the device's certificates do not verify.\n"));
        return 0;
}

#define AUDIT_POLICIES_MAX 64

typedef struct AuditPolicies {
        VerdictPolicy p[AUDIT_POLICIES_MAX];
        size_t n;
} AuditPolicies;

static void audit_policies_done(AuditPolicies *a) {
        for (size_t i = 0; i < a->n; i++)
                verdict_policy_done(&a->p[i]);
}

/* The auditor's copy of a published policy (`vigie-server policy show`). */
static int load_policy(const char *path, VerdictPolicy *ret, char **ret_error) {
        _cleanup_json_ json_object *j = NULL;
        int r = json_parse_file(path, 1024 * 1024, &j, ret_error);

        return r < 0 ? r : verdict_policy_from_json(j, ret, ret_error);
}

int verb_audit(Ctl *ctl, int argc, char *argv[]) {
        enum { ARG_POLICY = 0x200, ARG_PAGE_SIZE };
        static const struct option options[] = { CTL_COMMON_OPTIONS, { "policy", required_argument, NULL, ARG_POLICY },
                                                 { "page-size", required_argument, NULL, ARG_PAGE_SIZE }, {} };
        _cleanup_(audit_policies_done) AuditPolicies pol = {};
        _cleanup_json_ json_object *j = NULL;
        _cleanup_(X509_freep) X509 *ca = NULL;
        _cleanup_(audit_result_freep) AuditResult *res = NULL;
        _cleanup_free_ char *path = NULL, *e = NULL, *lim = NULL;
        _cleanup_free_ AuditInput *inputs = NULL;
        json_object *reports = NULL, *pems = NULL;
        X509 **certs = NULL;
        size_t n_certs = 0, n;
        const char *id, *page_size = NULL;
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                if (c == 'h') {
                        printf(_("Usage: vigiectl audit [OPTIONS] ID\n\nDownloads every stored report "
                                 "of device ID and verifies here, with the CA given by --ca:\nthe "
                                 "certificates, every signature, and the seq/prev chain (gaps, "
                                 "breaks, reordering).\n"
                                 "      --policy FILE  a policy version (JSON, your own copy): the "
                                 "verdict of every\n"
                                 "                     report naming it is recomputed (repeatable)\n"
                                 "      --page-size N  reports per request (server default 100, at most "
                                 "500);\n                     the chain is verified across pages\n"
                                 "Exit status 1 when anything is wrong.\n\n%s"),
                               CTL_COMMON_HELP);
                        return 0;
                }
                if (c == ARG_PAGE_SIZE) {
                        page_size = optarg;
                        continue;
                }
                if (c == ARG_POLICY) {
                        _cleanup_free_ char *err = NULL;
                        if (pol.n == AUDIT_POLICIES_MAX ||
                            load_policy(optarg, &pol.p[pol.n], &err) < 0) {
                                fprintf(stderr, _("vigiectl audit: --policy \"%s\": %s\n"), optarg,
                                        err ? err : _("too many policies"));
                                return ctl_usage_error("audit");
                        }
                        pol.n++;
                        continue;
                }
                if (!ctl_common_option(ctl, c, optarg))
                        return ctl_usage_error("audit");
        }
        if (argc - optind != 1) {
                fprintf(stderr, _("vigiectl audit: expected a device id.\n"));
                return ctl_usage_error("audit");
        }
        id = argv[optind];
        r = ctl_connect(ctl);
        if (r != 0)
                return r;
        r = load_ca(ctl->config->ca, &ca);
        if (r != 0)
                return r;
        e = ctl_url_escape(id);
        lim = page_size ? ctl_url_escape(page_size) : NULL;
        if (!e || (page_size && !lim) ||
            asprintf(&path, "/v1/fleet/devices/%s/reports%s%s", e, lim ? "?limit=" : "", strempty(lim)) < 0)
                return VIGIECTL_EXIT_INTERNAL;
        r = ctl_get_json_pages(ctl->config, path, "reports", &j);
        if (r != 0)
                return r;
        if (!json_object_object_get_ex(j, "reports", &reports) ||
            !json_object_is_type(reports, json_type_array) ||
            !json_object_object_get_ex(j, "certificates", &pems) ||
            !json_object_is_type(pems, json_type_array)) {
                fprintf(stderr, _("vigiectl audit: the server's answer lacks \"reports\" or "
                                  "\"certificates\"\n"));
                return VIGIECTL_EXIT_SERVER;
        }
        n = json_object_array_length(reports);
        inputs = calloc(MAX(n, (size_t) 1), sizeof(AuditInput));
        certs = calloc(MAX(json_object_array_length(pems), (size_t) 1), sizeof(X509 *));
        if (!inputs || !certs) {
                free(certs);
                return VIGIECTL_EXIT_INTERNAL;
        }
        for (size_t i = 0; i < json_object_array_length(pems); i++) {
                X509 *x = x509_from_pem(json_object_get_string(json_object_array_get_idx(pems, i)));
                if (!x) {
                        fprintf(stderr, _("vigiectl audit: certificate %zu from the server is not "
                                          "PEM; skipped\n"), i);
                        continue;
                }
                certs[n_certs++] = x;
        }
        for (size_t i = 0; i < n; i++) {
                json_object *rep = json_object_array_get_idx(reports, i), *v;
                inputs[i].seq = json_object_object_get_ex(rep, "seq", &v) ? json_object_get_int64(v) : -1;
                inputs[i].jws = json_object_object_get_ex(rep, "jws", &v) ? json_object_get_string(v) : "";
                inputs[i].jws = inputs[i].jws ? inputs[i].jws : "";
                inputs[i].jws_size = strlen(inputs[i].jws);
                inputs[i].pruned = json_object_object_get_ex(rep, "pruned", &v) && json_object_get_boolean(v);
                if (inputs[i].pruned) {
                        inputs[i].hash = json_object_object_get_ex(rep, "hash", &v) ? json_object_get_string(v) : NULL;
                        inputs[i].prev = json_object_object_get_ex(rep, "prev", &v) ? json_object_get_string(v) : NULL;
                        inputs[i].issued_at = json_object_object_get_ex(rep, "issued_at", &v)
                                                      ? json_object_get_string(v) : NULL;
                }
        }
        r = audit_device(id, ca, certs, n_certs, inputs, n, &res);
        certs_free(certs, n_certs);
        if (r >= 0)
                r = audit_verdicts(res, inputs, n, pol.p, pol.n);
        if (r < 0 || print_result(ctl, id, res) < 0)
                return VIGIECTL_EXIT_INTERNAL;
        return res->n_findings == 0 ? 0 : VIGIECTL_EXIT_PROBLEMS;
}
