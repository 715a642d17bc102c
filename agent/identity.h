/* SPDX-License-Identifier: MIT */
#pragma once

/* The device identity: a stable device id (UUID), the device key (ECDSA P-256, loaded
 * through OSSL_STORE so a provider-held key such as the tpm2 provider's can replace the
 * file) and the certificate the server issued for it at enrollment. Files in the state
 * directory: device.key (0600), device.crt, ca.pem (pinned at enrollment). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "agent-config.h"
#include "cert-info.h"
#include "jws.h"
#include "pki.h"

#define DEVICE_ID_SIZE 37 /* 8-4-4-4-12 and NUL */
#define IDENTITY_KEY_FILE "device.key"
#define IDENTITY_CERT_FILE "device.crt"
#define IDENTITY_CA_FILE "ca.pem"
/* A key rotation in progress (key-rotation.h) */
#define IDENTITY_KEY_NEW_FILE "device.key.new"
#define IDENTITY_CERT_NEW_FILE "device.crt.new"

/* The device id: from seed when not NULL/empty (tests and demos that simulate several
 * laptops on one machine; $VIGIE_DEVICE_ID_SEED overrides the config's DeviceIdSeed=),
 * else from /etc/machine-id what sd_id128_get_machine_app_specific() gives for Vigie's app
 * id, which is stable and does not reveal the machine id. Lower-case UUID. */
int device_id_get(const char *seed, char ret[static DEVICE_ID_SIZE]);
/* That id from the contents of a machine-id file (text, size bytes), refused as libsystemd
 * refuses it: -ENOMEDIUM empty or all zeros, -ENOPKG "uninitialized", -EINVAL otherwise
 * not 32 hex digits and an optional newline. Computed here rather than by libsystemd so
 * that `vigie` does not load it (and its five libraries) at every start. */
int device_id_from_machine_id(const char *text, size_t size, char ret[static DEVICE_ID_SIZE]);

/* OSSL_STORE URI of the key: config KeyURI=, else "file:STATE/device.key". *ret_provider
 * tells whether it is held by a provider (anything but a file: URI). */
int identity_key_uri(const AgentConfig *c, char **ret_uri, bool *ret_provider);
/* New P-256 key, written 0600 atomically (PEM, PKCS#8). -EEXIST if path exists. */
int identity_generate_key(const char *path);
/* A new device key at path where [Agent] KeyStorage= says: in the TPM (a blob file) for
 * tpm, and for auto when a TPM is present and works; else a file. *ret_kind: "tpm" or
 * "file". -EEXIST if path exists. */
int identity_create_key(const AgentConfig *c, const char *path, const char **ret_kind, char **ret_error);
/* PEM CSR with subject CN=device_id, signed with key (SHA-256). */
int identity_make_csr(EVP_PKEY *key, const char *device_id, char **ret_pem);
/* The CA file to pin: STATE/ca.pem when enrollment stored one, else config CA=. */
int identity_ca_path(const AgentConfig *c, char **ret);
/* Whether cert chains to a CA in ca_path, valid now. -EBADMSG with a message in
 * *ret_error when it does not, -ENOENT when ca_path has no certificate. */
int identity_verify_cert(X509 *cert, const char *ca_path, char **ret_error);
/* The same, valid at time `at` (seconds since the epoch), e.g. when a report was signed. */
int identity_verify_cert_at(X509 *cert, const char *ca_path, int64_t at, char **ret_error);

/* What holds the key at uri: "tpm" (a TPM blob file), "provider" (a KeyURI= of another
 * provider), "file". Reports say it as agent.key. */
const char *identity_key_kind(const char *uri, bool provider);
/* identity_load_key(), with the tpm2 provider loaded first for a TPM blob. -ENODEV when the
 * key is the TPM's and the TPM cannot use it (never replaced by another key); a message for
 * people in *ret_error. */
int identity_open_key(const AgentConfig *c, const char *uri, bool provider, EVP_PKEY **ret, char **ret_error);

typedef struct Identity {
        EVP_PKEY *key;
        CertInfo cert;                 /* its public key not decoded (cert-info.h) */
        bool provider;                 /* key held by a provider, not a file */
        const char *key_kind;          /* identity_key_kind() */
        char device_id[DEVICE_ID_SIZE]; /* the certificate's CN */
        char kid[JWS_KID_SIZE];        /* cert_der_kid(cert) */
        char *key_uri;
} Identity;

/* Key and certificate of an enrolled device; -ENOENT when not enrolled (no device.crt),
 * -ENODEV when the TPM cannot use its key (*ret_error says why), -EINVAL when the
 * certificate does not belong to the key or has no UUID CN. */
int identity_load(const AgentConfig *c, Identity **ret, char **ret_error);
Identity *identity_free(Identity *id);
static inline void identity_freep(Identity **id) {
        identity_free(*id);
}
