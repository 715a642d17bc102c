/* SPDX-License-Identifier: MIT */
#pragma once

/* TPM attestation at enrollment, in two steps (docs/server.md, "TPM attestation"):
 *
 *  1. POST /v1/enroll/challenge {"csr","ek_public","ek_certificate","ak_public",
 *     "key_public","attest","signature"}: the server checks what needs no TPM answer
 *     (tpm-attest.h) and replies {"challenge","credential_blob","secret"}: a random secret
 *     sealed to the EK for the AK (TPM2_MakeCredential).
 *  2. POST /v1/enroll (or /v1/renew) with "key":"tpm" and "attestation": {"challenge",
 *     "credential"}: the secret the TPM recovered with TPM2_ActivateCredential, for the
 *     same CSR key. Then, and only then, the key is recorded tpm.
 *
 * Challenges live in memory, one use, a few minutes, a bounded number (the oldest is
 * dropped): a device that loses its challenge enrolls tpm_unverified, never not at all. */

#include <stdbool.h>
#include <stddef.h>

#include <openssl/x509.h>

#include "device-key.h"
#include "http.h"
#include "tpm-attest.h"

#define ATTEST_CHALLENGES_MAX 1024
#define ATTEST_CHALLENGE_TTL_USEC (300 * USEC_PER_SEC)
#define ATTEST_REASON_MAX 200

typedef struct EnrollAttest EnrollAttest;

/* roots: the PEM bundle of TPM vendor CAs ([Enroll] TPMRootCAs=), or NULL for none: then
 * no EK certificate can be trusted and TPM keys are recorded tpm_unverified. -errno with a
 * message for people. */
int enroll_attest_new(const char *roots, EnrollAttest **ret, char **ret_error);
EnrollAttest *enroll_attest_free(EnrollAttest *a);

int route_enroll_challenge(Request *r);
/* The body of POST /v1/enroll/challenge into evidence and the CSR's key. -EBADMSG with a
 * message for the device. */
int enroll_challenge_parse(const char *body, size_t size, TpmEvidence *e, EVP_PKEY **ret_key,
                           char **ret_error);

/* For an enrollment that says "key":"tpm": what to record of the key of csr, from the
 * request's "attestation" (NULL: none was sent). *ret_key is tpm or tpm_unverified, with
 * the reason in ret_reason for the latter. -EBADMSG when attestation is malformed. */
int enroll_attest_redeem(EnrollAttest *a, json_object *attestation, X509_REQ *csr, DeviceKey *ret_key,
                         char ret_reason[static ATTEST_REASON_MAX]);
