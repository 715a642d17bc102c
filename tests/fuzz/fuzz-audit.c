/* SPDX-License-Identifier: MIT */
/* vigiectl audit's input comes from the server: one JWS per line, stored as seq 1, 2, …,
 * audited against a fixed CA and device certificate (made once). Whatever the bytes, the
 * audit must end with findings, never crash or leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "audit.h"
#include "cleanup.h"

#define DEVICE "6f1c2a9e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
#define MAX_REPORTS 64

static X509 *make_cert(const char *cn, EVP_PKEY *key, EVP_PKEY *signer, X509 *issuer) {
        X509 *x = X509_new();
        X509_NAME *name = X509_NAME_new();
        if (!x || !name)
                abort();
        X509_set_version(x, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
        X509_gmtime_adj(X509_getm_notBefore(x), 0);
        X509_gmtime_adj(X509_getm_notAfter(x), 3600L * 24 * 365 * 50);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *) cn, -1, -1, 0);
        X509_set_subject_name(x, name);
        X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
        X509_set_pubkey(x, key);
        if (X509_sign(x, signer, EVP_sha256()) <= 0)
                abort();
        X509_NAME_free(name);
        return x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static X509 *ca, *dev;
        _cleanup_free_ char *text = NULL;
        _cleanup_(audit_result_freep) AuditResult *res = NULL;
        AuditInput in[MAX_REPORTS];
        size_t n = 0;

        if (!ca) {
                EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *dev_key = EVP_EC_gen("P-256");
                ca = make_cert("Vigie CA", ca_key, ca_key, NULL);
                dev = make_cert(DEVICE, dev_key, ca_key, ca);
                EVP_PKEY_free(ca_key);
                EVP_PKEY_free(dev_key);
        }
        text = strndup((const char *) data, size);
        if (!text)
                return 0;
        for (char *p = text, *nl; p && n < MAX_REPORTS; p = nl ? nl + 1 : NULL) {
                nl = strchr(p, '\n');
                if (nl)
                        *nl = 0;
                in[n] = (AuditInput) { .seq = (int64_t) n + 1, .jws = p, .jws_size = strlen(p) };
                n++;
        }
        if (audit_device(DEVICE, ca, &dev, 1, in, n, &res) < 0)
                return 0;
        if (res->n_verified > 0)
                abort(); /* nothing here is signed by the device's key */
        return 0;
}
