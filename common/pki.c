/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/store.h>

#include "cleanup.h"
#include "fs-util.h"
#include "jws.h"
#include "macro.h"
#include "pki.h"

#define CERT_FILE_MAX (64u * 1024)
#define KEY_FILE_MAX (64u * 1024)

DEFINE_TRIVIAL_CLEANUP_FUNC(OSSL_STORE_CTX *, OSSL_STORE_close)
DEFINE_TRIVIAL_CLEANUP_FUNC(OSSL_STORE_INFO *, OSSL_STORE_INFO_free)

/* The PEM EC keys written by `vigie enroll` (PKCS#8 "PRIVATE KEY") or by hand ("EC PRIVATE
 * KEY"), decoded by the one decoder chain they need. OSSL_STORE finds out what a file holds
 * by trying every decoder of every provider: under OpenSSL 3.0 that is four decoder contexts
 * and ~5 M instructions for a key this decodes in ~1.1 M, at every agent cycle. Returns
 * -ENOENT for anything else (a TPM key, DER, an encrypted key, another key type), which
 * the caller leaves to OSSL_STORE. */
static int load_pem_ec_key(const char *path, EVP_PKEY **ret) {
        _cleanup_free_ char *buf = NULL;
        EVP_PKEY *key = NULL;
        size_t size;
        int r;

        r = read_file_full(path, KEY_FILE_MAX, &buf, &size);
        if (r < 0)
                return r;
        if (startswith_str(buf, "-----BEGIN PRIVATE KEY-----") || startswith_str(buf, "-----BEGIN EC PRIVATE KEY-----")) {
                OSSL_DECODER_CTX *dctx = OSSL_DECODER_CTX_new_for_pkey(&key, "PEM", NULL, "EC", EVP_PKEY_KEYPAIR,
                                                                       NULL, NULL);
                const unsigned char *p = (const unsigned char *) buf;
                size_t left = size;

                if (!dctx || OSSL_DECODER_from_data(dctx, &p, &left) != 1) {
                        EVP_PKEY_free(key);
                        key = NULL;
                }
                OSSL_DECODER_CTX_free(dctx);
                ERR_clear_error();
        }
        explicit_bzero(buf, size);
        if (!key)
                return -ENOENT;
        *ret = key;
        return 0;
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

int pki_load_cert(const char *path, X509 **ret) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_(BIO_free_allp) BIO *bio = NULL;
        size_t size;
        X509 *cert;
        int r;

        r = read_file_full(path, CERT_FILE_MAX, &buf, &size);
        if (r < 0)
                return r;
        bio = BIO_new_mem_buf(buf, (int) size);
        if (!bio)
                return -ENOMEM;
        cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        ERR_clear_error();
        if (!cert)
                return -EBADMSG;
        *ret = cert;
        return 0;
}
