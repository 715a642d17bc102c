/* SPDX-License-Identifier: MIT */
/* audit_device on a real chain: a CA, a device certificate, five ES256-signed reports;
 * then each kind of tampering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/x509v3.h>

#include "audit.h"
#include "cleanup.h"
#include "json-util.h"
#include "report.h"

#define UUID "6f1c2a9e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
#define N 5

static EVP_PKEY *ca_key, *dev_key, *other_key;
static X509 *ca, *dev, *other_ca;
static char *jws[N];

static X509 *make_cert(const char *cn, EVP_PKEY *key, EVP_PKEY *issuer_key, X509 *issuer) {
        X509 *x = X509_new();
        X509_NAME *name = X509_NAME_new();
        assert_non_null(x);
        X509_set_version(x, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(x), 42);
        X509_gmtime_adj(X509_getm_notBefore(x), -3600L * 24 * 365 * 20);
        X509_gmtime_adj(X509_getm_notAfter(x), 3600L * 24 * 365 * 20);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *) cn, -1, -1, 0);
        X509_set_subject_name(x, name);
        X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
        X509_set_pubkey(x, key);
        if (!issuer) {
                X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints, "critical,CA:TRUE");
                X509_add_ext(x, e, -1);
                X509_EXTENSION_free(e);
                e = X509V3_EXT_conf_nid(NULL, NULL, NID_key_usage, "critical,keyCertSign,cRLSign");
                X509_add_ext(x, e, -1);
                X509_EXTENSION_free(e);
        }
        assert_true(X509_sign(x, issuer_key, EVP_sha256()) > 0);
        X509_NAME_free(name);
        return x;
}

static char *sign_report(int64_t seq, const char *prev) {
        _cleanup_(report_claims_freep) ReportClaims *c = calloc(1, sizeof(ReportClaims));
        _cleanup_json_ json_object *j = NULL;
        char kid[JWS_KID_SIZE];
        char *out = NULL;
        const char *text;

        c->sub = strdup(UUID);
        c->iat = 1764439200 + seq;
        c->seq = seq;
        c->prev = prev ? strdup(prev) : NULL;
        c->agent_version = strdup("0.1.0");
        c->agent_key = strdup("file");
        c->hostname = strdup("laptop-42");
        c->os_id = strdup("debian");
        c->os_version_id = strdup("12");
        c->os_pretty = strdup("Debian GNU/Linux 12 (bookworm)");
        c->kernel = strdup("6.1.0");
        c->policy_id = strdup("default");
        c->policy_version = 1;
        c->checks = calloc(1, sizeof(CheckResult *));
        c->compliant = true;
        assert_int_equal(report_claims_to_json(c, &j), 0);
        text = json_compact(j);
        assert_int_equal(cert_kid(dev, kid), 0);
        assert_int_equal(jws_sign(dev_key, kid, NULL, text, strlen(text), &out), 0);
        return out;
}

static int setup(void **state) {
        char hash[REPORT_HASH_SIZE];
        (void) state;
        ca_key = EVP_EC_gen("P-256");
        dev_key = EVP_EC_gen("P-256");
        other_key = EVP_EC_gen("P-256");
        ca = make_cert("Vigie CA", ca_key, ca_key, NULL);
        other_ca = make_cert("Other CA", other_key, other_key, NULL);
        dev = make_cert(UUID, dev_key, ca_key, ca);
        for (int i = 0; i < N; i++) {
                jws[i] = sign_report(i + 1, i ? hash : NULL);
                assert_int_equal(report_hash(jws[i], strlen(jws[i]), hash), 0);
        }
        return 0;
}

static int teardown(void **state) {
        (void) state;
        for (int i = 0; i < N; i++)
                free(jws[i]);
        X509_free(ca);
        X509_free(dev);
        X509_free(other_ca);
        EVP_PKEY_free(ca_key);
        EVP_PKEY_free(dev_key);
        EVP_PKEY_free(other_key);
        return 0;
}

static AuditResult *audit(X509 *trust, AuditInput *in, size_t n) {
        AuditResult *r = NULL;
        assert_int_equal(audit_device(UUID, trust, &dev, 1, in, n, &r), 0);
        return r;
}

static void inputs(AuditInput in[N]) {
        for (int i = 0; i < N; i++)
                in[i] = (AuditInput) { .seq = i + 1, .jws = jws[i], .jws_size = strlen(jws[i]) };
}

static void test_clean(void **state) {
        AuditInput in[N];
        _cleanup_(audit_result_freep) AuditResult *r = NULL;
        (void) state;
        inputs(in);
        r = audit(ca, in, N);
        for (size_t i = 0; i < r->n_findings; i++)
                print_message("%s\n", r->findings[i].message);
        assert_int_equal(r->n_findings, 0);
        assert_int_equal(r->n_verified, N);
        assert_int_equal(r->first_seq, 1);
        assert_int_equal(r->last_seq, N);
}

static void test_tampered(void **state) {
        AuditInput in[N];
        _cleanup_(audit_result_freep) AuditResult *r = NULL;
        _cleanup_free_ char *t = strdup(jws[2]);
        char *dot = strchr(t, '.');
        (void) state;
        inputs(in);
        dot[5] = dot[5] == 'A' ? 'B' : 'A'; /* one payload character */
        in[2].jws = t;
        r = audit(ca, in, N);
        assert_true(r->n_findings >= 1);
        assert_int_equal(r->findings[0].seq, 3);
        assert_true(r->findings[0].problem == AUDIT_BAD_SIGNATURE || r->findings[0].problem == AUDIT_MALFORMED);
        /* report 4's prev names the original report 3 */
        assert_int_equal(r->findings[r->n_findings - 1].problem, AUDIT_CHAIN_BREAK);
        assert_int_equal(r->findings[r->n_findings - 1].seq, 4);
}

static void test_deleted(void **state) {
        AuditInput in[N];
        _cleanup_(audit_result_freep) AuditResult *r = NULL;
        (void) state;
        inputs(in);
        memmove(&in[1], &in[2], sizeof(AuditInput) * (N - 2)); /* drop seq 2 */
        r = audit(ca, in, N - 1);
        assert_int_equal(r->n_findings, 1);
        assert_int_equal(r->findings[0].problem, AUDIT_GAP);
        assert_int_equal(r->findings[0].seq, 3);
        assert_non_null(strstr(r->findings[0].message, "seq 2 to 2"));
}

static void test_reordered(void **state) {
        AuditInput in[N];
        _cleanup_(audit_result_freep) AuditResult *r = NULL;
        const char *tmp;
        (void) state;
        inputs(in);
        tmp = in[1].jws; /* stored seq 2 and 3 swap their JWS */
        in[1].jws = in[2].jws;
        in[2].jws = tmp;
        in[1].jws_size = strlen(in[1].jws);
        in[2].jws_size = strlen(in[2].jws);
        r = audit(ca, in, N);
        assert_true(r->n_findings >= 2);
        assert_int_equal(r->findings[0].problem, AUDIT_SEQ_MISMATCH);
        assert_int_equal(r->findings[0].seq, 2);
        bool out_of_order = false;
        for (size_t i = 0; i < r->n_findings; i++)
                out_of_order |= r->findings[i].problem == AUDIT_OUT_OF_ORDER && r->findings[i].seq == 3;
        assert_true(out_of_order);
}

static void test_other_ca(void **state) {
        AuditInput in[N];
        _cleanup_(audit_result_freep) AuditResult *r = NULL;
        (void) state;
        inputs(in);
        r = audit(other_ca, in, N);
        assert_int_equal(r->findings[0].problem, AUDIT_BAD_CERTIFICATE);
        assert_int_equal(r->findings[1].problem, AUDIT_UNKNOWN_KEY);
        assert_int_equal(r->n_verified, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_clean),
                cmocka_unit_test(test_tampered),
                cmocka_unit_test(test_deleted),
                cmocka_unit_test(test_reordered),
                cmocka_unit_test(test_other_ca),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
