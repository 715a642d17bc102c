/* SPDX-License-Identifier: MIT */
/* The agent's decoder-free readers (common/der.c, common/cert-info.c, the PEM P-256 key of
 * common/pki.c, the kept session of agent/tls-session.c), each checked against what
 * OpenSSL itself reads from the same bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cert-info.h"
#include "cleanup.h"
#include "der.h"
#include "jws.h"
#include "pki.h"
#include "tls-session.h"

static EVP_PKEY *new_key(const char *curve) {
        EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
        assert_non_null(k);
        return k;
}

/* A self-signed certificate of key: version 3 unless v1, the CNs given (NULL-terminated),
 * validity from the two times ("YYYYMMDDHHMMSSZ"). */
static X509 *new_cert(EVP_PKEY *key, bool v1, const char *const *cns, const char *not_before,
                      const char *not_after) {
        X509 *x = X509_new();
        X509_NAME *name = X509_NAME_new();

        assert_non_null(x);
        assert_int_equal(X509_set_version(x, v1 ? X509_VERSION_1 : X509_VERSION_3), 1);
        assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 4242), 1);
        assert_int_equal(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *) "Vigie", -1, -1, 0), 1);
        for (; cns && *cns; cns++)
                assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *) *cns, -1,
                                                            -1, 0), 1);
        assert_int_equal(X509_set_subject_name(x, name), 1);
        assert_int_equal(X509_set_issuer_name(x, name), 1);
        assert_int_equal(ASN1_TIME_set_string_X509(X509_getm_notBefore(x), not_before), 1);
        assert_int_equal(ASN1_TIME_set_string_X509(X509_getm_notAfter(x), not_after), 1);
        assert_int_equal(X509_set_pubkey(x, key), 1);
        assert_true(X509_sign(x, key, EVP_sha256()) > 0);
        X509_NAME_free(name);
        return x;
}

static size_t cert_der(X509 *x, uint8_t **ret) {
        unsigned char *der = NULL;
        int n = i2d_X509(x, &der);

        assert_true(n > 0);
        *ret = malloc((size_t) n);
        memcpy(*ret, der, (size_t) n);
        OPENSSL_free(der);
        return (size_t) n;
}

static void test_der_items(void **state) {
        static const uint8_t empty[] = { 0x30, 0x00 }, indefinite[] = { 0x30, 0x80, 0x00, 0x00 },
                             short_in_long[] = { 0x04, 0x81, 0x7f }, leading_zero[] = { 0x04, 0x82, 0x00, 0x80 },
                             truncated[] = { 0x04, 0x05, 0x00 }, high_tag[] = { 0x1f, 0x21, 0x00 },
                             five_octets[] = { 0x04, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00 }, lone[] = { 0x04 };
        const uint8_t *p;
        DerItem item;
        (void) state;

        p = empty;
        assert_int_equal(der_next(&p, empty + sizeof empty, &item), 0);
        assert_int_equal(item.id, DER_SEQUENCE);
        assert_int_equal(item.content_size, 0);
        assert_int_equal(item.size, 2);
        assert_ptr_equal(p, empty + 2);
        assert_int_equal(der_next(&p, empty + sizeof empty, &item), -ENODATA);
        assert_int_equal(der_expect(&p, empty + sizeof empty, DER_SEQUENCE, &item), -EBADMSG);
        p = empty;
        assert_int_equal(der_expect(&p, empty + sizeof empty, DER_OCTET_STRING, &item), -EBADMSG);
        assert_int_equal(der_sequence(empty, sizeof empty, &item), 0);
        assert_int_equal(der_sequence(indefinite, sizeof indefinite, &item), -EBADMSG);
#define REJECTS(a) (p = (a), der_next(&p, (a) + sizeof(a), &item) == -EBADMSG && p == (a))
        assert_true(REJECTS(indefinite));
        assert_true(REJECTS(short_in_long));
        assert_true(REJECTS(leading_zero));
        assert_true(REJECTS(truncated));
        assert_true(REJECTS(high_tag));
        assert_true(REJECTS(five_octets));
        assert_true(REJECTS(lone));
        /* Whatever der_put_header writes, der_next reads back. */
        static const size_t sizes[] = { 0, 1, 127, 128, 255, 256, 65535, 65536, 100000 };
        for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
                uint8_t *buf = calloc(1, sizes[i] + 8);
                size_t n = der_put_header(buf, DER_OCTET_STRING, sizes[i]);

                p = buf;
                assert_int_equal(der_next(&p, buf + n + sizes[i], &item), 0);
                assert_int_equal(item.content_size, sizes[i]);
                assert_int_equal(item.size, n + sizes[i]);
                assert_int_equal(n, sizes[i] < 128 ? 2 : sizes[i] < 256 ? 3 : sizes[i] < 65536 ? 4 : 5);
                free(buf);
        }
}

/* cert_info_parse reads what X509's getters give, for each shape of certificate. */
static void test_cert_info_as_openssl_reads_it(void **state) {
        static const char *const one[] = { "0c3e6a2b-6f0e-4a63-9e0b-6b1f1f3b7c11", NULL }, *const two[] = { "a", "b", NULL },
                                 *const accented[] = { "Poste de Zoé", NULL };
        static const struct {
                bool v1;
                const char *const *cns;
                const char *not_before, *not_after;
        } shapes[] = {
                { false, one, "20261201000000Z", "20270301000000Z" },
                { true, one, "19991231235959Z", "20491231235959Z" },
                { false, two, "20261201000000Z", "20550101000000Z" }, /* GeneralizedTime */
                { false, NULL, "20261201000000Z", "20270301000000Z" },
                { false, accented, "20261201000000Z", "20270301000000Z" },
        };
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = new_key("P-256");
        (void) state;

        for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
                _cleanup_(X509_freep) X509 *x = new_cert(key, shapes[i].v1, shapes[i].cns, shapes[i].not_before,
                                                         shapes[i].not_after);
                _cleanup_(cert_info_done) CertInfo c = {};
                _cleanup_free_ uint8_t *der = NULL;
                _cleanup_free_ char *cn = NULL;
                _cleanup_openssl_free_ unsigned char *spki = NULL;
                char kid_x509[JWS_KID_SIZE], kid_der[JWS_KID_SIZE];
                size_t size = cert_der(x, &der);
                int spki_size = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki), r;
                usec_t nb, na;

                assert_int_equal(cert_info_parse(der, size, &c), 0);
                assert_int_equal(c.der_size, size);
                assert_memory_equal(c.der, der, size);
                r = cert_common_name(x, &cn);
                if (r < 0)
                        assert_null(c.common_name);
                else
                        assert_string_equal(c.common_name, cn);
                assert_int_equal(asn1_time_usec(X509_get0_notBefore(x), &nb), 0);
                assert_int_equal(asn1_time_usec(X509_get0_notAfter(x), &na), 0);
                assert_true(c.not_before == nb && c.not_after == na);
                assert_int_equal(c.spki_size, (size_t) spki_size);
                assert_memory_equal(c.spki, spki, (size_t) spki_size);
                assert_int_equal(cert_kid(x, kid_x509), 0);
                assert_int_equal(cert_der_kid(c.der, c.der_size, kid_der), 0);
                assert_string_equal(kid_x509, kid_der);
        }
}

/* Every truncation and every flipped structure byte is refused or read, never overread
 * (ASan), and leaks nothing. */
static void test_cert_info_refuses_broken_certificates(void **state) {
        static const char *const one[] = { "x", NULL };
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = new_key("P-256");
        _cleanup_(X509_freep) X509 *x = new_cert(key, false, one, "20261201000000Z", "20270301000000Z");
        _cleanup_free_ uint8_t *der = NULL;
        size_t size = cert_der(x, &der);
        (void) state;

        for (size_t n = 0; n < size; n++) {
                CertInfo c = {};
                assert_int_equal(cert_info_parse(der, n, &c), -EBADMSG);
        }
        for (size_t i = 0; i < size; i++)
                for (unsigned bit = 0; bit < 8; bit++) {
                        _cleanup_free_ uint8_t *copy = malloc(size);
                        CertInfo c = {};

                        memcpy(copy, der, size);
                        copy[i] ^= (uint8_t) (1u << bit);
                        if (cert_info_parse(copy, size, &c) == 0)
                                cert_info_done(&c);
                }
        /* Trailing bytes after the certificate. */
        der = realloc(der, size + 1);
        der[size] = 0;
        CertInfo c = {};
        assert_int_equal(cert_info_parse(der, size + 1, &c), -EBADMSG);
}

static void test_cert_info_matches_key(void **state) {
        static const char *const one[] = { "x", NULL };
        static const char *const curves[] = { "P-256", "P-384" }; /* P-384: X509_check_private_key's way */
        (void) state;

        for (size_t i = 0; i < 2; i++) {
                _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = new_key(curves[i]), *other = new_key(curves[i]),
                                                    *p256 = new_key("P-256");
                _cleanup_(X509_freep) X509 *x = new_cert(key, false, one, "20261201000000Z", "20270301000000Z");
                _cleanup_(cert_info_done) CertInfo c = {};
                _cleanup_free_ uint8_t *der = NULL;
                size_t size = cert_der(x, &der);

                assert_int_equal(cert_info_parse(der, size, &c), 0);
                assert_int_equal(cert_info_matches_key(&c, key), 1);
                assert_int_equal(cert_info_matches_key(&c, other), 0);
                assert_int_equal(cert_info_matches_key(&c, p256), 0);
        }
}

static char *pem_of(EVP_PKEY *key, int form) {
        _cleanup_(BIO_free_allp) BIO *b = BIO_new(BIO_s_mem());
        char *data;
        long n;

        assert_non_null(b);
        if (form == 0)
                assert_int_equal(PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL), 1);
        else if (form == 1)
                assert_int_equal(PEM_write_bio_PrivateKey_traditional(b, key, NULL, NULL, 0, NULL, NULL), 1);
        else
                assert_int_equal(PEM_write_bio_PKCS8PrivateKey(b, key, EVP_aes_256_cbc(), NULL, 0, NULL,
                                                               (void *) "secret"), 1);
        n = BIO_get_mem_data(b, &data);
        return strndup(data, (size_t) n);
}

/* The key read signs what the original key's public part verifies. */
static void assert_same_key(EVP_PKEY *read, EVP_PKEY *original) {
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *s = EVP_MD_CTX_new(), *v = EVP_MD_CTX_new();
        unsigned char sig[80];
        size_t sig_size = sizeof sig;

        assert_int_equal(EVP_PKEY_eq(read, original), 1);
        assert_int_equal(EVP_DigestSignInit(s, NULL, EVP_sha256(), NULL, read), 1);
        assert_int_equal(EVP_DigestSign(s, sig, &sig_size, (const unsigned char *) "hello", 5), 1);
        assert_int_equal(EVP_DigestVerifyInit(v, NULL, EVP_sha256(), NULL, original), 1);
        assert_int_equal(EVP_DigestVerify(v, sig, sig_size, (const unsigned char *) "hello", 5), 1);
}

static void test_p256_key_from_pem(void **state) {
        (void) state;

        for (int i = 0; i < 20; i++) { /* scalars with leading zero bytes come up too */
                _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = new_key("P-256");
                for (int form = 0; form < 2; form++) {
                        _cleanup_free_ char *pem = pem_of(key, form);
                        _cleanup_(EVP_PKEY_freep) EVP_PKEY *read = NULL;

                        assert_int_equal(pki_p256_key_from_pem(pem, strlen(pem), &read), 0);
                        assert_same_key(read, key);
                        assert_true(evp_pkey_is_p256(read));
                }
        }
}

/* What it does not read goes to OSSL_STORE, which pki_load_key then uses. */
static void test_p256_key_from_pem_leaves_the_rest(void **state) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = new_key("P-256"), *p384 = new_key("P-384");
        _cleanup_free_ char *encrypted = pem_of(key, 2), *other_curve = pem_of(p384, 0), *no_public = NULL,
                            *path = strdup("/tmp/vigie-test-key-XXXXXX");
        EVP_PKEY *read = NULL;
        int fd;
        (void) state;

        assert_int_equal(pki_p256_key_from_pem(encrypted, strlen(encrypted), &read), -ENOENT);
        assert_int_equal(pki_p256_key_from_pem(other_curve, strlen(other_curve), &read), -ENOENT);
        assert_int_equal(pki_p256_key_from_pem("", 0, &read), -ENOENT);
        /* A SEC1 key without its public point: OpenSSL computes it, we leave it to it. */
        assert_int_equal(EVP_PKEY_set_int_param(key, OSSL_PKEY_PARAM_EC_INCLUDE_PUBLIC, 0), 1);
        no_public = pem_of(key, 1);
        assert_int_equal(EVP_PKEY_set_int_param(key, OSSL_PKEY_PARAM_EC_INCLUDE_PUBLIC, 1), 1);
        assert_int_equal(pki_p256_key_from_pem(no_public, strlen(no_public), &read), -ENOENT);
        fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, no_public, strlen(no_public)), (ssize_t) strlen(no_public));
        close(fd);
        _cleanup_free_ char *uri = NULL;
        assert_true(asprintf(&uri, "file:%s", path) > 0);
        assert_int_equal(pki_load_key(uri, &read), 0);
        assert_same_key(read, key);
        EVP_PKEY_free(read);
        read = NULL;
        /* And a P-384 key is still refused by pki_load_key. */
        fd = open(path, O_WRONLY | O_TRUNC);
        assert_int_equal(write(fd, other_curve, strlen(other_curve)), (ssize_t) strlen(other_curve));
        close(fd);
        assert_int_equal(pki_load_key(uri, &read), -EINVAL);
        unlink(path);
}

/* The [3] field goes, everything else stays in order, the length is re-encoded. */
static void test_session_without_peer(void **state) {
        uint8_t der[600], expected[600], *out = NULL;
        size_t n = 0, m = 0, out_size = 0;
        (void) state;

        /* SEQUENCE { INTEGER 1, [3] { 300 bytes }, [4] { OCTET STRING "x" } } */
        uint8_t content[400];
        size_t c = 0;
        content[c++] = DER_INTEGER, content[c++] = 1, content[c++] = 1;
        c += der_put_header(content + c, DER_CONTEXT(3), 300);
        memset(content + c, 0x55, 300);
        c += 300;
        static const uint8_t tail[] = { DER_CONTEXT(4), 3, DER_OCTET_STRING, 1, 'x' };
        memcpy(content + c, tail, sizeof tail);
        c += sizeof tail;
        n = der_put_header(der, DER_SEQUENCE, c);
        memcpy(der + n, content, c);
        n += c;
        m = der_put_header(expected, DER_SEQUENCE, 3 + sizeof tail);
        memcpy(expected + m, content, 3);
        memcpy(expected + m + 3, tail, sizeof tail);
        m += 3 + sizeof tail;

        assert_int_equal(tls_session_der_without_peer(der, n, &out, &out_size), 0);
        assert_int_equal(out_size, m);
        assert_memory_equal(out, expected, m);
        free(out);
        /* Without [3]: the same bytes. */
        assert_int_equal(tls_session_der_without_peer(expected, m, &out, &out_size), 0);
        assert_int_equal(out_size, m);
        assert_memory_equal(out, expected, m);
        free(out);
        assert_int_equal(tls_session_der_without_peer(der, n - 1, &out, &out_size), -EBADMSG);
        assert_int_equal(tls_session_der_without_peer(der + 1, n - 1, &out, &out_size), -EBADMSG);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_der_items),
                cmocka_unit_test(test_cert_info_as_openssl_reads_it),
                cmocka_unit_test(test_cert_info_refuses_broken_certificates),
                cmocka_unit_test(test_cert_info_matches_key),
                cmocka_unit_test(test_p256_key_from_pem),
                cmocka_unit_test(test_p256_key_from_pem_leaves_the_rest),
                cmocka_unit_test(test_session_without_peer),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
