/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/store.h>

#include "cleanup.h"
#include "fs-util.h"
#include "jws.h"
#include "pki.h"

#define CERT_FILE_MAX (64u * 1024)

DEFINE_TRIVIAL_CLEANUP_FUNC(OSSL_STORE_CTX *, OSSL_STORE_close)
DEFINE_TRIVIAL_CLEANUP_FUNC(OSSL_STORE_INFO *, OSSL_STORE_INFO_free)

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

int pki_load_any_key(const char *uri, EVP_PKEY **ret) {
        _cleanup_(OSSL_STORE_closep) OSSL_STORE_CTX *store = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;

        /* A file: URI to a missing file would only say "unsupported": say ENOENT. */
        if (strncmp(uri, "file:", 5) == 0 && access(uri + 5, F_OK) < 0)
                return -errno;
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
