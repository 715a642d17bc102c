/* SPDX-License-Identifier: MIT */
#pragma once

/* Device keys held by a TPM 2.0, through the tpm2 OpenSSL provider (tpm2-openssl). The key
 * is made inside the TPM under the owner hierarchy's storage key; what the state directory
 * keeps is a "TSS2 PRIVATE KEY" PEM blob: the key wrapped by that TPM's storage key, which
 * no other TPM (and no file reader) can unwrap. OSSL_STORE loads it like a file key once
 * the provider is loaded, and every signature (JWS, TLS) is then made by the TPM. */

#include <errno.h>
#include <stdbool.h>

#define TPM_KEY_PEM_BEGIN "-----BEGIN TSS2 PRIVATE KEY-----"
/* Where a laptop's TPM is (the kernel's resource manager), in TCTI syntax. */
#define TPM_TCTI_DEFAULT "device:/dev/tpmrm0"

typedef enum KeyStorage {
        KEY_STORAGE_AUTO, /* the TPM when there is one, else a file */
        KEY_STORAGE_TPM,  /* the TPM or nothing */
        KEY_STORAGE_FILE, /* a file, never the TPM */
        _KEY_STORAGE_MAX,
        _KEY_STORAGE_INVALID = -EINVAL,
} KeyStorage;

const char *key_storage_to_string(KeyStorage s);
KeyStorage key_storage_from_string(const char *s);

/* The TCTI to use: tcti, else $TPM2OPENSSL_TCTI, else TPM_TCTI_DEFAULT. */
const char *tpm_tcti_resolve(const char *tcti);

/* Whether the TPM that tcti names is there: for "device:PATH" (and the default), PATH
 * exists; any other TCTI (a simulator) is taken as present. */
bool tpm_present(const char *tcti);

/* Loads the tpm2 provider beside the default one, once per process, talking to tcti (NULL:
 * TPM_TCTI_DEFAULT, or $TPM2OPENSSL_TCTI when set). -ENOENT when the provider is not
 * installed, -EIO when the TPM does not answer; a message for people in *ret_error. */
int tpm_provider_load(const char *tcti, char **ret_error);

/* A new P-256 key in the TPM, its blob written to path 0600 atomically. -EEXIST if path
 * exists. Loads the provider (tcti as above). */
int tpm_key_generate(const char *path, const char *tcti, char **ret_error);

/* Whether the key file at path is a TPM blob (its PEM tag), without parsing it. */
bool tpm_key_file(const char *path);
