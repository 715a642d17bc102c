/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/store.h>

#include "cleanup.h"
#include "der.h"
#include "fs-util.h"
#include "jws.h"
#include "macro.h"
#include "pki.h"

#define CERT_FILE_MAX (64u * 1024)
#define KEY_FILE_MAX (64u * 1024)

DEFINE_TRIVIAL_CLEANUP_FUNC(OSSL_STORE_CTX *, OSSL_STORE_close)
DEFINE_TRIVIAL_CLEANUP_FUNC(OSSL_STORE_INFO *, OSSL_STORE_INFO_free)

#define P256_SCALAR_SIZE 32

static bool der_item_is(const DerItem *item, const uint8_t *der, size_t size) {
        return item->size == size && memcmp(item->start, der, size) == 0;
}

/* A P-256 key from SEC1's ECPrivateKey (RFC 5915): version 1, the scalar, the curve
 * (required unless the PKCS#8 around it named it: curve_known), the uncompressed public
 * point. -ENOENT for any other form, left to OpenSSL's decoders. */
static int p256_key_from_sec1(const uint8_t *der, size_t size, bool curve_known, EVP_PKEY **ret) {
        static const uint8_t version_1[] = { DER_INTEGER, 1, 1 };
        _cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx = NULL;
        DerItem key, version, scalar, item, curve, bits;
        const uint8_t *point = NULL;
        uint8_t scalar_le[P256_SCALAR_SIZE] = {};
        char group[] = "prime256v1";
        const uint8_t *p, *end;
        int r;

        if (der_sequence(der, size, &key) < 0)
                return -ENOENT;
        p = key.content;
        end = key.content + key.content_size;
        if (der_next(&p, end, &version) < 0 || !der_item_is(&version, version_1, sizeof version_1) ||
            der_expect(&p, end, DER_OCTET_STRING, &scalar) < 0 || scalar.content_size == 0 ||
            scalar.content_size > P256_SCALAR_SIZE)
                return -ENOENT;
        while ((r = der_next(&p, end, &item)) == 0) {
                const uint8_t *q = item.content, *q_end = item.content + item.content_size;

                if (item.id == DER_CONTEXT(0) && der_next(&q, q_end, &curve) == 0 && q == q_end &&
                    der_is_p256_curve(&curve))
                        curve_known = true;
                else if (item.id == DER_CONTEXT(1) && der_next(&q, q_end, &bits) == 0 && q == q_end &&
                         (point = der_p256_point(&bits)))
                        continue;
                else
                        return -ENOENT;
        }
        if (r != -ENODATA || !curve_known || !point)
                return -ENOENT;
        /* OSSL_PARAM's BIGNUMs are native-endian; DER's big-endian. */
        for (size_t i = 0; i < scalar.content_size; i++)
                scalar_le[i] = scalar.content[scalar.content_size - 1 - i];
        OSSL_PARAM params[] = {
                OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
                OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_PRIV_KEY, scalar_le, sizeof scalar_le),
                OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *) point, P256_POINT_SIZE),
                OSSL_PARAM_construct_end(),
        };
        ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
        r = ctx && EVP_PKEY_fromdata_init(ctx) == 1 && EVP_PKEY_fromdata(ctx, ret, EVP_PKEY_KEYPAIR, params) == 1;
        explicit_bzero(scalar_le, sizeof scalar_le);
        ERR_clear_error();
        return r ? 0 : -ENOENT;
}

/* PKCS#8's PrivateKeyInfo (RFC 5208) around an EC key on P-256, without attributes. */
static int p256_key_from_pkcs8(const uint8_t *der, size_t size, EVP_PKEY **ret) {
        static const uint8_t version_0[] = { DER_INTEGER, 1, 0 };
        DerItem info, version, algorithm, inner;
        const uint8_t *p, *end;

        if (der_sequence(der, size, &info) < 0)
                return -ENOENT;
        p = info.content;
        end = info.content + info.content_size;
        if (der_next(&p, end, &version) < 0 || !der_item_is(&version, version_0, sizeof version_0) ||
            der_next(&p, end, &algorithm) < 0 || !der_is_p256_algorithm(&algorithm) ||
            der_expect(&p, end, DER_OCTET_STRING, &inner) < 0 || p != end)
                return -ENOENT;
        return p256_key_from_sec1(inner.content, inner.content_size, true, ret);
}

int pki_p256_key_from_pem(const void *pem, size_t size, EVP_PKEY **ret) {
        _cleanup_(BIO_free_allp) BIO *bio = NULL;
        char *name = NULL, *header = NULL;
        unsigned char *der = NULL;
        EVP_PKEY *key = NULL;
        long der_size = 0;

        if (size > INT_MAX)
                return -ENOENT;
        bio = BIO_new_mem_buf(pem, (int) size);
        if (!bio)
                return -ENOMEM;
        if (PEM_read_bio(bio, &name, &header, &der, &der_size) == 1 && streq(header, "")) {
                if (streq(name, PEM_STRING_PKCS8INF))
                        (void) p256_key_from_pkcs8(der, (size_t) der_size, &key);
                else if (streq(name, PEM_STRING_ECPRIVATEKEY))
                        (void) p256_key_from_sec1(der, (size_t) der_size, false, &key);
        }
        ERR_clear_error();
        OPENSSL_clear_free(der, (size_t) der_size);
        OPENSSL_free(name);
        OPENSSL_free(header);
        if (!key)
                return -ENOENT;
        *ret = key;
        return 0;
}

static int load_pem_ec_key(const char *path, EVP_PKEY **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size;
        int r;

        r = read_file_full(path, KEY_FILE_MAX, &buf, &size);
        if (r < 0)
                return r;
        r = pki_p256_key_from_pem(buf, size, ret);
        explicit_bzero(buf, size);
        return r;
}

/* The first private key at uri, whichever provider decodes it. */
static int load_from_store(const char *uri, EVP_PKEY **ret) {
        _cleanup_(OSSL_STORE_closep) OSSL_STORE_CTX *store = NULL;
        EVP_PKEY *key = NULL;

        store = OSSL_STORE_open(uri, NULL, NULL, NULL, NULL);
        if (!store) {
                ERR_clear_error();
                return -ENOENT;
        }
        (void) OSSL_STORE_expect(store, OSSL_STORE_INFO_PKEY);
        while (!key && !OSSL_STORE_eof(store)) {
                _cleanup_(OSSL_STORE_INFO_freep) OSSL_STORE_INFO *info = OSSL_STORE_load(store);
                if (info && OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY)
                        key = OSSL_STORE_INFO_get1_PKEY(info);
                if (!info && OSSL_STORE_error(store))
                        break;
        }
        ERR_clear_error();
        if (!key)
                return -ENOENT;
        *ret = key;
        return 0;
}

int pki_load_any_key(const char *uri, EVP_PKEY **ret) {
        bool file = strncmp(uri, "file:", 5) == 0;

        /* A file: URI to a missing file would only say "unsupported": say ENOENT. */
        if (file && access(uri + 5, F_OK) < 0)
                return -errno;
        if (file && load_pem_ec_key(uri + 5, ret) >= 0)
                return 0;
        return load_from_store(uri, ret);
}

int pki_load_key(const char *uri, EVP_PKEY **ret) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        int r = pki_load_any_key(uri, &key);

        if (r < 0)
                return r;
        if (!evp_pkey_is_p256(key))
                return -EINVAL;
        *ret = TAKE_PTR(key);
        return 0;
}

int pki_load_cert_der(const char *path, unsigned char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_(BIO_free_allp) BIO *bio = NULL;
        _cleanup_openssl_free_ char *name = NULL;
        long der_size = 0;
        size_t size;
        int r;

        r = read_file_full(path, CERT_FILE_MAX, &buf, &size);
        if (r < 0)
                return r;
        bio = BIO_new_mem_buf(buf, (int) size);
        if (!bio)
                return -ENOMEM;
        /* The block PEM_read_bio_X509 takes: "CERTIFICATE" or its older names. */
        r = PEM_bytes_read_bio(ret, &der_size, &name, PEM_STRING_X509, bio, NULL, NULL);
        ERR_clear_error();
        if (r != 1)
                return -EBADMSG;
        *ret_size = (size_t) der_size;
        return 0;
}

int pki_load_cert(const char *path, X509 **ret) {
        _cleanup_openssl_free_ unsigned char *der = NULL;
        const unsigned char *p;
        size_t size;
        X509 *cert;
        int r;

        r = pki_load_cert_der(path, &der, &size);
        if (r < 0)
                return r;
        p = der;
        cert = d2i_X509(NULL, &p, (long) size);
        ERR_clear_error();
        if (!cert)
                return -EBADMSG;
        *ret = cert;
        return 0;
}
