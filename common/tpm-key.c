/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include "cleanup.h"
#include "error-util.h"
#include "fs-util.h"
#include "macro.h"
#include "tpm-key.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(OSSL_ENCODER_CTX *, OSSL_ENCODER_CTX_free)

static const char *const key_storage_table[_KEY_STORAGE_MAX] = {
        [KEY_STORAGE_AUTO] = "auto",
        [KEY_STORAGE_TPM] = "tpm",
        [KEY_STORAGE_FILE] = "file",
};

const char *key_storage_to_string(KeyStorage s) {
        return s >= 0 && s < _KEY_STORAGE_MAX ? key_storage_table[s] : NULL;
}

KeyStorage key_storage_from_string(const char *s) {
        for (size_t i = 0; s && i < _KEY_STORAGE_MAX; i++)
                if (streq(s, key_storage_table[i]))
                        return (KeyStorage) i;
        return _KEY_STORAGE_INVALID;
}

const char *tpm_tcti_resolve(const char *tcti) {
        const char *env = getenv("TPM2OPENSSL_TCTI");
        return tcti && *tcti ? tcti : env && *env ? env : TPM_TCTI_DEFAULT;
}

bool tpm_present(const char *tcti) {
        tcti = tpm_tcti_resolve(tcti);
        if (strncmp(tcti, "device:", 7) == 0)
                return access(tcti + 7, F_OK) == 0;
        if (streq(tcti, "device"))
                return access("/dev/tpmrm0", F_OK) == 0;
        return true;
}

/* The first error OpenSSL queued, for people ("tpm:error(2.0): …"). */
static const char *openssl_error(char *buf, size_t size) {
        unsigned long e = ERR_peek_error();
        if (!e)
                return "no detail";
        ERR_error_string_n(e, buf, size);
        ERR_clear_error();
        return buf;
}

/* Whether OpenSSL would find the provider's module, so that "not installed" and "the TPM
 * does not answer" get their own messages. */
static bool provider_installed(const char *name) {
        const char *dir = secure_getenv("OPENSSL_MODULES") ?: OPENSSL_info(OPENSSL_INFO_MODULES_DIR);
        _cleanup_free_ char *path = NULL;

        return dir && asprintf(&path, "%s/%s.so", dir, name) >= 0 && access(path, F_OK) == 0;
}

int tpm_provider_load(const char *tcti, char **ret_error) {
        static OSSL_PROVIDER *tpm2, *base;
        char err[256];

        if (tpm2)
                return 0;
        /* tpm2-openssl reads its TCTI from the environment when it initialises (OpenSSL 3.0
         * has no other way to hand a provider a parameter but a config file). */
        if (setenv("TPM2OPENSSL_TCTI", tpm_tcti_resolve(tcti), 1) < 0)
                return -errno;
        /* Loading a provider by hand unloads the implicit default one: keep it. */
        if (!base && !(base = OSSL_PROVIDER_load(NULL, "default")))
                return error_set(ret_error, -EIO, "cannot load OpenSSL's default provider: %s",
                                 openssl_error(err, sizeof(err)));
        if (!provider_installed("tpm2"))
                return error_set(ret_error, -ENOENT,
                                 "the tpm2 OpenSSL provider is not installed (package tpm2-openssl)");
        tpm2 = OSSL_PROVIDER_load(NULL, "tpm2");
        if (!tpm2)
                return error_set(ret_error, -EIO, "the TPM (%s) does not answer: %s", tpm_tcti_resolve(tcti),
                                 openssl_error(err, sizeof(err)));
        return 0;
}

int tpm_key_generate(const char *path, const char *tcti, char **ret_error) {
        _cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_(OSSL_ENCODER_CTX_freep) OSSL_ENCODER_CTX *enc = NULL;
        _cleanup_openssl_free_ unsigned char *pem = NULL;
        size_t len = 0;
        char err[256];
        int r;

        if (access(path, F_OK) == 0)
                return -EEXIST;
        r = tpm_provider_load(tcti, ret_error);
        if (r < 0)
                return r;
        ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", "provider=tpm2");
        if (!ctx || EVP_PKEY_keygen_init(ctx) <= 0 ||
            EVP_PKEY_CTX_set_group_name(ctx, "P-256") <= 0 || EVP_PKEY_generate(ctx, &key) <= 0)
                return error_set(ret_error, -EIO, "the TPM cannot make a P-256 key: %s",
                                 openssl_error(err, sizeof(err)));
        /* The provider's own encoder writes the wrapped blob; the key never leaves the TPM. */
        enc = OSSL_ENCODER_CTX_new_for_pkey(key, OSSL_KEYMGMT_SELECT_ALL, "PEM", NULL, "provider=tpm2");
        if (!enc || OSSL_ENCODER_to_data(enc, &pem, &len) != 1 || len == 0)
                return error_set(ret_error, -EIO, "cannot write the TPM key blob: %s",
                                 openssl_error(err, sizeof(err)));
        r = write_file_atomic(path, pem, len, 0600);
        if (r < 0)
                return error_set(ret_error, r, "cannot write \"%s\": %s", path, strerror(-r));
        return 0;
}

bool tpm_key_file(const char *path) {
        char head[sizeof(TPM_KEY_PEM_BEGIN) - 1];
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

        return fd >= 0 && read(fd, head, sizeof(head)) == (ssize_t) sizeof(head) &&
               memcmp(head, TPM_KEY_PEM_BEGIN, sizeof(head)) == 0;
}
