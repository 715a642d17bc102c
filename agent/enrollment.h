/* SPDX-License-Identifier: MIT */
#pragma once

/* Enrollment: the device key (created when missing), a CSR with CN = device id, POST
 * /v1/enroll with a one-time token, and the returned certificate checked and stored.
 * `vigie enroll` and the daemon (when IT dropped a token in /etc/vigie) share it. */

#include <stdbool.h>

#include <json-c/json.h>

#include "agent-config.h"
#include "transport.h"

#define ENROLL_TOKEN_MAX 1024

/* Reads a token file: a regular file owned by us (root) that nobody else may read or
 * write, trimmed, non-empty text. -ENOENT missing, -EPERM owner or mode wrong, -EBADMSG not
 * a token; a message for people in *ret_error. */
int enroll_read_token(const char *path, char **ret, char **ret_error);
/* token may be NULL when the device is enrolled: the request then proves the identity
 * with the current certificate (a re-enrollment the server records).
 * ca_file: the server CA to trust and pin in the state dir; NULL uses the pinned one or
 * CA= of the config. On failure returns -errno with a message for people in *ret_error:
 * -EINVAL for a unusable key or CA (a configuration problem), others for the server or I/O. */
int enroll_device(const AgentConfig *cfg, const char *token, const char *ca_file,
                  char **ret_device_id, char **ret_error);
/* The TPM's proof that the key in the TSS2 blob at key_path lives in it (tpm-prover.h,
 * docs/server.md "TPM attestation"): evidence for csr, the server's challenge over t, the
 * TPM's answer as req's "attestation". A failure only means the server records the key
 * tpm_unverified: callers say so (ENROLL_ATTEST_FAILED) and go on. */
int enroll_attest_key(const AgentConfig *cfg, const char *key_path, const char *csr, Transport *t,
                      json_object *req, char **ret_error);
#define ENROLL_ATTEST_FAILED \
        "The TPM could not prove that it holds the device key (%s): the server will record it as unverified."

/* Whether the state directory holds a certificate (the device is enrolled). */
bool enroll_is_enrolled(const AgentConfig *cfg);
