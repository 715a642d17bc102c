/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include <openssl/x509.h>

#include "agent-config.h"
#include "identity.h"
#include "transport.h"

int cert_validity(X509 *cert, usec_t *ret_not_before, usec_t *ret_not_after);
/* A third of the lifetime or less is left. */
bool cert_renewal_due(usec_t not_before, usec_t not_after, usec_t now);
/* POST /v1/renew with a CSR for the same key; the checked answer replaces device.crt.
 * -errno with a message for people in *ret_error. */
int cert_renew(const AgentConfig *c, const Identity *id, Transport *t, usec_t *ret_not_after, char **ret_error);
/* The same for another key of this device (key rotation), proven by the current identity's
 * mTLS; the certificate is stored as crt_file in the state directory (NULL: device.crt).
 * key_kind: how that key is held ("file", "tpm", "provider"), said to the server;
 * attest_path: the TSS2 blob of a new TPM key, attested (NULL: the same key, nothing new to
 * prove). */
int cert_renew_for(const AgentConfig *c, const Identity *id, EVP_PKEY *key, const char *key_kind,
                   const char *attest_path, const char *crt_file, Transport *t, usec_t *ret_not_after,
                   char **ret_error);
