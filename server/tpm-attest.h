/* SPDX-License-Identifier: MIT */
#pragma once

/* What the server checks of a device's TPM (docs/internals/tpm-attestation.md): the device
 * sends its TPM's endorsement key (EK: its public area and, when the TPM has one, the
 * vendor's EK certificate), an attestation key (AK: a restricted signing key of that TPM),
 * and TPM2_Certify of its device key by the AK. The server checks the certification (AK
 * signature, certified name = the name of the CSR's key, fixedTPM | fixedParent |
 * sensitiveDataOrigin) and the EK certificate's chain, then proves that AK and EK live in
 * the same TPM with a credential only that TPM can unwrap (TPM2_MakeCredential done in
 * software: tpm2-tools' lib/tpm2_identity_util.c). Parsers of device-sent TPM structures
 * are fuzzed (tests/fuzz/fuzz-tpm-attest.c). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <tss2/tss2_tpm2_types.h>

/* The device's evidence, decoded. */
typedef struct TpmEvidence {
        TPM2B_PUBLIC ek;
        TPM2B_PUBLIC ak;
        TPM2B_PUBLIC key;      /* the device key's public area */
        TPMS_ATTEST attest;    /* parsed from attest_raw */
        uint8_t attest_raw[sizeof(TPMS_ATTEST)];
        size_t attest_size;
        TPMT_SIGNATURE signature;
        X509 *ek_cert;         /* or NULL: the TPM has none in NV */
} TpmEvidence;

void tpm_evidence_done(TpmEvidence *e);

/* Exact unmarshalling (trailing bytes are an error), -EBADMSG otherwise. */
int tpm_public_parse(const uint8_t *buf, size_t size, TPM2B_PUBLIC *ret);
int tpm_attest_parse(const uint8_t *buf, size_t size, TPMS_ATTEST *ret);
int tpm_signature_parse(const uint8_t *buf, size_t size, TPMT_SIGNATURE *ret);

/* name = nameAlg || H(TPMT_PUBLIC): how the TPM names an object. -EOPNOTSUPP for a nameAlg
 * other than SHA-256. */
int tpm_public_name(const TPM2B_PUBLIC *p, TPM2B_NAME *ret);
/* An RSA or NIST P-256 public area as an OpenSSL key. -EOPNOTSUPP otherwise. */
int tpm_public_to_pkey(const TPM2B_PUBLIC *p, EVP_PKEY **ret);

/* What needs no TPM answer. 0 when the certification holds and the EK certificate chains to
 * roots; -EPERM when the device key is not proven to be TPM-held by this evidence, with
 * the reason in *ret_reason (the device then records tpm_unverified); -ENOMEM. csr_key:
 * the key of the CSR the device enrolls with. roots: NULL when no TPMRootCAs= is set. */
int tpm_evidence_check(const TpmEvidence *e, EVP_PKEY *csr_key, X509_STORE *roots, char **ret_reason);

/* TPM2_MakeCredential in software: the secret sealed to the EK for the object named
 * ak_name; only TPM2_ActivateCredential on that EK's TPM with that AK loaded recovers it.
 * RSA (OAEP) and ECC P-256 (ECDH, KDFe) EKs, SHA-256 names, AES-128-CFB. */
int tpm_make_credential(const TPM2B_PUBLIC *ek, const TPM2B_NAME *ak_name, const uint8_t *secret,
                        size_t secret_size, TPM2B_ID_OBJECT *ret_blob, TPM2B_ENCRYPTED_SECRET *ret_seed);
