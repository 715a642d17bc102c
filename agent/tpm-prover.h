/* SPDX-License-Identifier: MIT */
#pragma once

/* The agent's half of TPM attestation at enrollment (docs/internals/tpm-attestation.md):
 * with the TPM that holds the device key, load the endorsement key (EK: the TCG default
 * RSA 2048 or ECC P-256 template, and its certificate from NV when the TPM has one),
 * create an attestation key (AK: a restricted signing key of the endorsement hierarchy),
 * TPM2_Certify the device key with it; later answer the server's credential with
 * TPM2_ActivateCredential, which only this TPM can do. tpm2-tss (ESYS) directly: the
 * tpm2 OpenSSL provider has no such operations. */

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

typedef struct TpmProver TpmProver;

/* Collects the evidence for the device key in the TSS2 blob at key_path, on the TPM that
 * tcti names (NULL: the default, as tpm-key.h). *ret_json: {"ek_public","ek_certificate"
 * (absent when the TPM has none),"ak_public","key_public","attest","signature"}, each
 * base64url of the TPM structure. The TPM session stays open for tpm_prover_activate().
 * -errno and a message for people. */
int tpm_prover_collect(const char *tcti, const char *key_path, TpmProver **ret, json_object **ret_json,
                         char **ret_error);
/* TPM2_ActivateCredential of the server's credential_blob and secret (base64url of
 * TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET): the secret, base64url, in *ret. */
int tpm_prover_activate(TpmProver *e, const char *blob, const char *secret, char **ret, char **ret_error);
TpmProver *tpm_prover_free(TpmProver *e);
static inline void tpm_prover_freep(TpmProver **e) {
        tpm_prover_free(*e);
}
