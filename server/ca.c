/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "cleanup.h"
#include "fs-util.h"
#include "json-util.h"
#include "jws.h"
#include "report.h"
#include "time-util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(X509_NAME *, X509_NAME_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(BIGNUM *, BN_free)

#define CA_LIFETIME (20 * 365 * USEC_PER_DAY)
/* Certificates start a little in the past: laptops' clocks drift. */
#define BACKDATE (5 * USEC_PER_MINUTE)

Ca *ca_free(Ca *ca) {
        if (ca) {
                EVP_PKEY_free(ca->key);
                X509_free(ca->cert);
                free(ca);
        }
        return NULL;
}

int key_new_p256(EVP_PKEY **ret) {
        EVP_PKEY *k = EVP_EC_gen("P-256");
        if (!k)
                return -EIO;
        *ret = k;
        return 0;
}

static int bio_to_file(BIO *b, const char *path, mode_t mode) {
        char *data;
        long n = BIO_get_mem_data(b, &data);
        if (n <= 0)
                return -EIO;
        return write_file_atomic(path, data, (size_t) n, mode);
}

int pem_write_key(const char *path, EVP_PKEY *key) {
        _cleanup_(BIO_free_allp) BIO *b = BIO_new(BIO_s_mem());
        if (!b || PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) != 1)
                return -EIO;
        return bio_to_file(b, path, 0600);
}

int pem_write_cert(const char *path, X509 *cert, X509 *chain) {
        _cleanup_(BIO_free_allp) BIO *b = BIO_new(BIO_s_mem());
        if (!b || PEM_write_bio_X509(b, cert) != 1 || (chain && PEM_write_bio_X509(b, chain) != 1))
                return -EIO;
        return bio_to_file(b, path, 0644);
}

char *pem_from_cert(X509 *cert) {
        _cleanup_(BIO_free_allp) BIO *b = BIO_new(BIO_s_mem());
        char *data;
        long n;

        if (!b || PEM_write_bio_X509(b, cert) != 1)
                return NULL;
        n = BIO_get_mem_data(b, &data);
        return n > 0 ? strndup(data, (size_t) n) : NULL;
}

static int random_serial(X509 *x) {
        unsigned char raw[16];
        _cleanup_(BN_freep) BIGNUM *bn = NULL;

        if (RAND_bytes(raw, sizeof(raw)) != 1)
                return -EIO;
        raw[0] &= 0x7f; /* positive */
        raw[0] |= 0x40; /* and always 16 bytes long */
        bn = BN_bin2bn(raw, sizeof(raw), NULL);
        if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
                return -EIO;
        return 0;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value) {
        X509V3_CTX ctx;
        X509_EXTENSION *e;
        int ok;

        X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
        e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
        if (!e)
                return -EINVAL;
        ok = X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
        return ok == 1 ? 0 : -EIO;
}

static int set_time(ASN1_TIME *t, usec_t when) {
        return X509_time_adj_ex(t, 0, 0, &(time_t) { (time_t) (when / USEC_PER_SEC) }) ? 0 : -EIO;
}

/* issuer_key/issuer_cert NULL: self-signed (the CA itself). */
static int issue(EVP_PKEY *issuer_key, X509 *issuer_cert, EVP_PKEY *subject_key,
                 const CertRequest *req, bool is_ca, X509 **ret) {
        _cleanup_(X509_freep) X509 *x = X509_new();
        _cleanup_(X509_NAME_freep) X509_NAME *name = X509_NAME_new();
        _cleanup_free_ char *san = NULL;
        usec_t start = req->not_before ?: now_realtime() - BACKDATE;
        int r;

        if (!x || !name)
                return -ENOMEM;
        if (X509_set_version(x, 2) != 1 || random_serial(x) < 0)
                return -EIO;
        if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *) "Vigie", -1, -1, 0) != 1 ||
            (req->role && X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_UTF8,
                                                     (const unsigned char *) req->role, -1, -1, 0) != 1) ||
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *) req->cn, -1, -1, 0) != 1)
                return -EINVAL;
        if (X509_set_subject_name(x, name) != 1 ||
            X509_set_issuer_name(x, issuer_cert ? X509_get_subject_name(issuer_cert) : name) != 1 ||
            X509_set_pubkey(x, subject_key) != 1)
                return -EIO;
        if (set_time(X509_getm_notBefore(x), start) < 0 ||
            set_time(X509_getm_notAfter(x), start + BACKDATE + req->lifetime) < 0)
                return -EIO;

        if (is_ca)
                r = add_ext(x, NULL, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ?:
                    add_ext(x, NULL, NID_key_usage, "critical,keyCertSign,cRLSign");
        else
                r = add_ext(x, issuer_cert, NID_basic_constraints, "critical,CA:FALSE") ?:
                    add_ext(x, issuer_cert, NID_key_usage, "critical,digitalSignature") ?:
                    add_ext(x, issuer_cert, NID_ext_key_usage, req->server ? "serverAuth" : "clientAuth");
        if (r < 0)
                return r;
        r = add_ext(x, issuer_cert, NID_subject_key_identifier, "hash");
        if (r >= 0 && issuer_cert)
                r = add_ext(x, issuer_cert, NID_authority_key_identifier, "keyid:always");
        if (r < 0)
                return r;
        if (req->server) {
                size_t len = 0;
                FILE *f = open_memstream(&san, &len);
                if (!f)
                        return -ENOMEM;
                for (char *const *d = req->dns; d && *d; d++)
                        fprintf(f, "%sDNS:%s", ftell(f) > 0 ? "," : "", *d);
                for (char *const *i = req->ips; i && *i; i++)
                        fprintf(f, "%sIP:%s", ftell(f) > 0 ? "," : "", *i);
                if (fclose(f) != 0)
                        return -ENOMEM;
                if (san && *san && (r = add_ext(x, issuer_cert, NID_subject_alt_name, san)) < 0)
                        return r;
        }
        if (X509_sign(x, issuer_key ?: subject_key, EVP_sha256()) <= 0)
                return -EIO;
        *ret = TAKE_PTR(x);
        return 0;
}

int ca_create(const char *name, Ca **ret) {
        _cleanup_(ca_freep) Ca *ca = calloc(1, sizeof(Ca));
        _cleanup_free_ char *cn = NULL;
        int r;

        if (!ca)
                return -ENOMEM;
        if (asprintf(&cn, "Vigie CA (%s)", name) < 0)
                return -ENOMEM;
        r = key_new_p256(&ca->key);
        if (r < 0)
                return r;
        r = issue(NULL, NULL, ca->key, &(CertRequest) { .cn = cn, .lifetime = CA_LIFETIME }, true,
                  &ca->cert);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(ca);
        return 0;
}

int ca_load(const char *dir, Ca **ret) {
        _cleanup_(ca_freep) Ca *ca = calloc(1, sizeof(Ca));
        _cleanup_free_ char *kp = path_join(dir, CA_KEY_FILE), *cp = path_join(dir, CA_CERT_FILE);
        _cleanup_(BIO_free_allp) BIO *kb = NULL, *cb = NULL;

        if (!ca || !kp || !cp)
                return -ENOMEM;
        kb = BIO_new_file(kp, "re");
        cb = BIO_new_file(cp, "re");
        if (!kb || !cb)
                return -ENOENT;
        ca->key = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
        ca->cert = PEM_read_bio_X509(cb, NULL, NULL, NULL);
        if (!ca->key || !ca->cert || X509_check_private_key(ca->cert, ca->key) != 1)
                return -EBADMSG;
        *ret = TAKE_PTR(ca);
        return 0;
}

int ca_save(const Ca *ca, const char *dir) {
        _cleanup_free_ char *kp = path_join(dir, CA_KEY_FILE), *cp = path_join(dir, CA_CERT_FILE);
        int r;

        if (!kp || !cp)
                return -ENOMEM;
        r = pem_write_key(kp, ca->key);
        return r < 0 ? r : pem_write_cert(cp, ca->cert, NULL);
}

int ca_issue(const Ca *ca, EVP_PKEY *subject_key, const CertRequest *req, X509 **ret) {
        return issue(ca->key, ca->cert, subject_key, req, false, ret);
}

static int name_entry(X509_NAME *name, int nid, char *buf, size_t size) {
        int i = X509_NAME_get_index_by_NID(name, nid, -1);
        ASN1_STRING *s;
        int len;

        buf[0] = 0;
        if (i < 0)
                return -ENOENT;
        if (X509_NAME_get_index_by_NID(name, nid, i) >= 0)
                return -ENOTUNIQ;
        s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
        len = ASN1_STRING_length(s);
        if (len < 0 || (size_t) len >= size || memchr(ASN1_STRING_get0_data(s), 0, len))
                return -EINVAL;
        memcpy(buf, ASN1_STRING_get0_data(s), len);
        buf[len] = 0;
        return 0;
}

static int asn1_time_to_unix(const ASN1_TIME *t, int64_t *ret) {
        struct tm tm;
        if (ASN1_TIME_to_tm(t, &tm) != 1)
                return -EINVAL;
        *ret = (int64_t) timegm(&tm);
        return 0;
}

int cert_get_info(X509 *cert, CertInfo *ret) {
        CertInfo info = {};
        _cleanup_(BN_freep) BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
        char *hex;
        int r;

        if (!bn || !(hex = BN_bn2hex(bn)))
                return -EIO;
        if (strlen(hex) >= sizeof(info.serial)) {
                OPENSSL_free(hex);
                return -EINVAL;
        }
        for (size_t i = 0; hex[i]; i++)
                info.serial[i] = (char) tolower((unsigned char) hex[i]);
        OPENSSL_free(hex);
        r = cert_kid(cert, info.fingerprint);
        if (r < 0)
                return r;
        /* A missing OU is fine (then no role); a missing or doubled CN is not. */
        r = name_entry(X509_get_subject_name(cert), NID_commonName, info.cn, sizeof(info.cn));
        if (r < 0)
                return r;
        r = name_entry(X509_get_subject_name(cert), NID_organizationalUnitName, info.ou, sizeof(info.ou));
        if (r < 0 && r != -ENOENT)
                return r;
        if (asn1_time_to_unix(X509_get0_notBefore(cert), &info.not_before) < 0 ||
            asn1_time_to_unix(X509_get0_notAfter(cert), &info.not_after) < 0)
                return -EINVAL;
        *ret = info;
        return 0;
}

CertRole cert_role(const CertInfo *info) {
        return cert_role_from_string(info->ou);
}

int csr_parse(const char *pem, size_t size, X509_REQ **ret, char **ret_error) {
        _cleanup_(BIO_free_allp) BIO *b = NULL;
        X509_REQ *req;

        if (size > CSR_PEM_MAX)
                return json_error(ret_error, "CSR larger than %u bytes", CSR_PEM_MAX), -EBADMSG;
        if (!memmem(pem, size, "-----BEGIN CERTIFICATE REQUEST-----", 35))
                return json_error(ret_error, "CSR is not PEM (no \"-----BEGIN CERTIFICATE REQUEST-----\" line)"), -EBADMSG;
        b = BIO_new_mem_buf(pem, (int) size);
        if (!b)
                return -ENOMEM;
        req = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
        if (!req)
                return json_error(ret_error, "CSR is not a valid PKCS#10 request"), -EBADMSG;
        *ret = req;
        return 0;
}

int csr_check(X509_REQ *csr, char ret_cn[static UUID_STRING_MAX], char **ret_error) {
        EVP_PKEY *key = X509_REQ_get0_pubkey(csr);
        char cn[128];
        int r;

        if (!evp_pkey_is_p256(key))
                return json_error(ret_error, "CSR key is not ECDSA P-256"), -EBADMSG;
        if (X509_REQ_verify(csr, key) != 1)
                return json_error(ret_error, "CSR signature does not verify"), -EBADMSG;
        r = name_entry(X509_REQ_get_subject_name(csr), NID_commonName, cn, sizeof(cn));
        if (r < 0)
                return json_error(ret_error, "CSR subject needs exactly one CN (the device id)"), -EBADMSG;
        if (!uuid_string_is_valid(cn))
                return json_error(ret_error, "CSR CN \"%.64s\" is not a lowercase UUID (the device id)", cn), -EBADMSG;
        memcpy(ret_cn, cn, UUID_STRING_MAX);
        return 0;
}
