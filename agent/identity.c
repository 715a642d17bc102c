/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/store.h>
#include <openssl/x509v3.h>

#include "cleanup.h"
#include "fs-util.h"
#include "hash-util.h"
#include "i18n.h"
#include "identity.h"
#include "pki.h"
#include "json-util.h"
#include "log.h"
#include "parse-util.h"
#include "report.h"
#include "tpm-key.h"

/* Vigie's application id, the key of sd_id128_get_machine_app_specific(): never change
 * it, every enrolled device's id derives from it. */
static const uint8_t vigie_app_id[16] = { 0x5e, 0x3a, 0x0c, 0x7d, 0x91, 0xb2, 0x4f, 0x6e,
                                          0xa8, 0x17, 0xc4, 0xd9, 0x2b, 0x60, 0xf1, 0x83 };

DEFINE_TRIVIAL_CLEANUP_FUNC(X509_STORE *, X509_STORE_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(X509_STORE_CTX *, X509_STORE_CTX_free)

/* 16 bytes as sd_id128_to_uuid_string() writes them, made a version 4 UUID first. */
static void uuid_v4_format(uint8_t id[16], char ret[static DEVICE_ID_SIZE]) {
        static const char hex[] = "0123456789abcdef";
        size_t k = 0;

        id[6] = (id[6] & 0x0f) | 0x40; /* version 4 */
        id[8] = (id[8] & 0x3f) | 0x80; /* RFC 4122 variant */
        for (size_t i = 0; i < 16; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        ret[k++] = '-';
                ret[k++] = hex[id[i] >> 4];
                ret[k++] = hex[id[i] & 0xf];
        }
        ret[k] = 0;
}

int device_id_from_machine_id(const char *text, size_t size, char ret[static DEVICE_ID_SIZE]) {
        uint8_t machine[16], md[EVP_MAX_MD_SIZE];
        unsigned md_len = 0;
        bool null = true;

        /* What libsystemd accepts in /etc/machine-id (id128_read_fd(), ID128_FORMAT_PLAIN),
         * with its error codes: 32 hex digits, one newline at most. */
        if (size == 0)
                return -ENOMEDIUM;
        if ((size == 13 || size == 14) && memcmp(text, "uninitialized\n", size) == 0)
                return -ENOPKG;
        if (size == 33 && text[32] == '\n')
                size = 32;
        if (size != 32)
                return -EINVAL;
        for (size_t i = 0; i < 16; i++) {
                int a = unhexchar(text[2 * i]), b = unhexchar(text[2 * i + 1]);
                if (a < 0 || b < 0)
                        return -EINVAL;
                machine[i] = (uint8_t) (a << 4 | b);
                null = null && machine[i] == 0;
        }
        if (null)
                return -ENOMEDIUM;
        /* sd_id128_get_machine_app_specific(): HMAC-SHA256 keyed by the machine id over the
         * app id, its first half made a v4 UUID. The machine id cannot be recovered from it. */
        bool ok = HMAC(EVP_sha256(), machine, sizeof(machine), vigie_app_id, sizeof(vigie_app_id), md, &md_len) &&
                  md_len >= 16;
        OPENSSL_cleanse(machine, sizeof(machine));
        if (!ok) {
                ERR_clear_error();
                return -EIO;
        }
        uuid_v4_format(md, ret);
        return 0;
}

int device_id_get(const char *seed, char ret[static DEVICE_ID_SIZE]) {
        uint8_t md[32];

#ifdef VIGIE_TEST_HOOKS
        /* Test builds only (make TEST_HOOKS=1): many simulated laptops on one machine.
         * Installed agents take a seed from [Agent] DeviceIdSeed= alone. */
        const char *env = getenv("VIGIE_DEVICE_ID_SEED");
        if (env && *env)
                seed = env;
#endif
        if (seed && *seed) {
                /* Same shape as the machine-derived id: SHA-256(app id ‖ seed), UUID v4. */
                _cleanup_free_ char *buf = NULL;
                unsigned n;
                size_t len;

                len = strlen(seed);
                buf = malloc(16 + len);
                if (!buf)
                        return -ENOMEM;
                memcpy(buf, vigie_app_id, 16);
                memcpy(buf + 16, seed, len);
                if (EVP_Digest(buf, 16 + len, md, &n, EVP_sha256(), NULL) != 1)
                        return -EIO;
                uuid_v4_format(md, ret);
                return 0;
        }

        _cleanup_free_ char *text = NULL;
        size_t size;
        /* The host's, as libsystemd reads it, whatever root the checks look at; a file longer
         * than 32 hex digits and a newline is invalid there too. */
        int r = read_file_full("/etc/machine-id", 33, &text, &size);
        if (r == -EFBIG)
                return -EINVAL;
        if (r < 0)
                return r;
        return device_id_from_machine_id(text, size, ret);
}

int identity_key_uri(const AgentConfig *c, char **ret_uri, bool *ret_provider) {
        char *uri;

        if (c->key_uri && *c->key_uri) {
                uri = strdup(c->key_uri);
                if (!uri)
                        return -ENOMEM;
                *ret_provider = strncmp(uri, "file:", 5) != 0 && uri[0] != '/';
        } else {
                if (asprintf(&uri, "file:%s/" IDENTITY_KEY_FILE, c->state_dir) < 0)
                        return -ENOMEM;
                *ret_provider = false;
        }
        *ret_uri = uri;
        return 0;
}

int identity_generate_key(const char *path) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_(BIO_free_allp) BIO *bio = NULL;
        char *pem = NULL;
        long n;
        int r;

        if (access(path, F_OK) == 0)
                return -EEXIST;
        key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        bio = BIO_new(BIO_s_secmem());
        if (!key || !bio || PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1) {
                ERR_clear_error();
                return -EIO;
        }
        n = BIO_get_mem_data(bio, &pem);
        if (n <= 0)
                return -EIO;
        r = write_file_atomic(path, pem, (size_t) n, 0600);
        OPENSSL_cleanse(pem, (size_t) n);
        return r;
}

int identity_create_key(const AgentConfig *c, const char *path, const char **ret_kind, char **ret_error) {
        _cleanup_free_ char *err = NULL;
        int r;

        if (access(path, F_OK) == 0)
                return -EEXIST;
        if (c->key_storage == KEY_STORAGE_TPM ||
            (c->key_storage == KEY_STORAGE_AUTO && tpm_present(c->tpm_tcti))) {
                r = tpm_key_generate(path, c->tpm_tcti, &err);
                if (r >= 0 || r == -EEXIST) {
                        *ret_kind = "tpm";
                        return r;
                }
                if (c->key_storage == KEY_STORAGE_TPM)
                        return error_set(ret_error, r, _("KeyStorage=tpm, but the TPM cannot hold the device key: %s"),
                                         strnull(err));
                /* auto: a laptop whose TPM does not work still gets an identity */
                log_warning("The TPM cannot hold the device key (%s): using a key file instead.", strnull(err));
        }
        r = identity_generate_key(path);
        if (r < 0)
                return error_set(ret_error, r, _("cannot create the device key \"%s\": %s"), path, strerror(-r));
        *ret_kind = "file";
        return 0;
}

int identity_make_csr(EVP_PKEY *key, const char *device_id, char **ret_pem) {
        _cleanup_(X509_REQ_freep) X509_REQ *req = X509_REQ_new();
        _cleanup_(BIO_free_allp) BIO *bio = BIO_new(BIO_s_mem());
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
        char propq[EVP_PKEY_PROPQ_MAX];
        X509_NAME *name;
        char *data;
        long n;

        if (!req || !bio || !md)
                return -ENOMEM;
        name = X509_REQ_get_subject_name(req);
        if (X509_REQ_set_version(req, 0) != 1 ||
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *) device_id, -1, -1, 0) != 1 ||
            X509_REQ_set_pubkey(req, key) != 1 ||
            EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, evp_pkey_sign_propq(key, propq), key, NULL) != 1 || X509_REQ_sign_ctx(req, md) <= 0 ||
            PEM_write_bio_X509_REQ(bio, req) != 1) {
                ERR_clear_error();
                return -EIO;
        }
        n = BIO_get_mem_data(bio, &data);
        if (n <= 0 || !(*ret_pem = strndup(data, (size_t) n)))
                return -ENOMEM;
        return 0;
}

int identity_ca_path(const AgentConfig *c, char **ret) {
        _cleanup_free_ char *pinned = path_join(c->state_dir, IDENTITY_CA_FILE);

        if (!pinned)
                return -ENOMEM;
        if (access(pinned, F_OK) == 0) {
                *ret = TAKE_PTR(pinned);
                return 0;
        }
        *ret = strdup(c->ca_file);
        return *ret ? 0 : -ENOMEM;
}

int identity_verify_cert(X509 *cert, const char *ca_path, char **ret_error) {
        return identity_verify_cert_at(cert, ca_path, 0, ret_error);
}

int identity_verify_cert_at(X509 *cert, const char *ca_path, int64_t at, char **ret_error) {
        _cleanup_(X509_STORE_freep) X509_STORE *store = X509_STORE_new();
        _cleanup_(X509_STORE_CTX_freep) X509_STORE_CTX *ctx = X509_STORE_CTX_new();
        int r;

        if (!store || !ctx)
                return -ENOMEM;
        if (X509_STORE_load_file(store, ca_path) != 1) {
                ERR_clear_error();
                json_error(ret_error, "cannot load CA certificates from \"%s\"", ca_path);
                return -ENOENT;
        }
        if (X509_STORE_CTX_init(ctx, store, cert, NULL) != 1)
                return -ENOMEM;
        if (at > 0)
                X509_STORE_CTX_set_time(ctx, 0, (time_t) at);
        r = X509_verify_cert(ctx);
        ERR_clear_error();
        if (r != 1) {
                json_error(ret_error, "certificate does not chain to the CA in \"%s\": %s", ca_path,
                           X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
                return -EBADMSG;
        }
        return 0;
}

Identity *identity_free(Identity *id) {
        if (!id)
                return NULL;
        EVP_PKEY_free(id->key);
        cert_info_done(&id->cert);
        free(id->key_uri);
        free(id);
        return NULL;
}

const char *identity_key_kind(const char *uri, bool provider) {
        if (provider)
                return "provider";
        return tpm_key_file(uri + strlen("file:")) ? "tpm" : "file";
}

int identity_open_key(const AgentConfig *c, const char *uri, bool provider, EVP_PKEY **ret, char **ret_error) {
        bool tpm = streq(identity_key_kind(uri, provider), "tpm");
        _cleanup_free_ char *err = NULL;
        int r;

        /* A TPM blob is only a key to the TPM that made it: without that TPM's provider and
         * storage key, nothing signs, and nothing else is tried in its place. */
        if (tpm && (r = tpm_provider_load(c->tpm_tcti, &err)) < 0)
                return error_set(ret_error, -ENODEV, _("the device key is held by a TPM that cannot be used now: %s"),
                                 strnull(err));
        r = pki_load_key(uri, ret);
        if (r < 0 && tpm && r != -ENOMEM)
                return error_set(ret_error, -ENODEV,
                                 _("this laptop's TPM can no longer use the device key (the TPM was cleared, "
                                   "replaced or is locked out, or the key was copied from another laptop)"));
        if (r < 0)
                return error_set(ret_error, r, _("cannot load the device key \"%s\": %s"), uri,
                                 r == -EINVAL ? _("not an ECDSA P-256 key") : strerror(-r));
        return 0;
}

/* A key rotation that stopped between its two renames left the new key beside the old
 * certificate and the new certificate as device.crt.new: finish it (key-rotation.h). */
static int finish_rotation(const AgentConfig *c, Identity *id) {
        _cleanup_free_ char *pending = path_join(c->state_dir, IDENTITY_CERT_NEW_FILE),
                            *crt = path_join(c->state_dir, IDENTITY_CERT_FILE);
        _cleanup_(cert_info_done) CertInfo cert = {};

        if (!pending || !crt)
                return -ENOMEM;
        if (cert_info_load(pending, &cert) < 0 || cert_info_matches_key(&cert, id->key) != 1)
                return -EINVAL;
        if (rename(pending, crt) < 0)
                return -errno;
        (void) fsync_directory_of(crt);
        cert_info_done(&id->cert);
        id->cert = cert;
        cert = (CertInfo) {};
        return 0;
}

int identity_load(const AgentConfig *c, Identity **ret, char **ret_error) {
        _cleanup_(identity_freep) Identity *id = calloc(1, sizeof(Identity));
        _cleanup_free_ char *cert_path = NULL;
        int r;

        if (!id)
                return -ENOMEM;
        cert_path = path_join(c->state_dir, IDENTITY_CERT_FILE);
        if (!cert_path)
                return -ENOMEM;
        if ((r = cert_info_load(cert_path, &id->cert)) < 0)
                return r;
        if ((r = identity_key_uri(c, &id->key_uri, &id->provider)) < 0)
                return r;
        id->key_kind = identity_key_kind(id->key_uri, id->provider);
        if ((r = identity_open_key(c, id->key_uri, id->provider, &id->key, ret_error)) < 0)
                return r;
        if (cert_info_matches_key(&id->cert, id->key) != 1) {
                r = finish_rotation(c, id);
                if (r < 0)
                        return r;
        }
        if (!id->cert.common_name || !uuid_string_is_valid(id->cert.common_name))
                return -EINVAL;
        memcpy(id->device_id, id->cert.common_name, DEVICE_ID_SIZE);
        if ((r = cert_der_kid(id->cert.der, id->cert.der_size, id->kid)) < 0)
                return r;
        *ret = TAKE_PTR(id);
        return 0;
}
