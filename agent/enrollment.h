/* SPDX-License-Identifier: MIT */
#pragma once

/* Enrollment: the device key (created when missing), a CSR with CN = device id, POST
 * /v1/enroll with a one-time token, and the returned certificate checked and stored.
 * `vigie enroll` and the daemon (when IT dropped a token in /etc/vigie) share it. */

#include <stdbool.h>

#include "agent-config.h"

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
/* Whether the state directory holds a certificate (the device is enrolled). */
bool enroll_is_enrolled(const AgentConfig *cfg);
