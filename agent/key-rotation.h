/* SPDX-License-Identifier: MIT */
#pragma once

/* `vigie enroll --rotate-key`: a new device key where KeyStorage= says (the TPM by default
 * where there is one), certified through POST /v1/renew under the current identity's mTLS,
 * then put in place so that a crash at any point leaves a usable identity: the new key and
 * certificate are written beside the old ones, the key renamed over device.key, then the
 * certificate over device.crt; identity_load() finishes a rename a crash interrupted. */

#include "agent-config.h"

/* *ret_kind: "tpm" or "file". -ENODEV when the current key is unusable (a TPM that can no
 * longer use it: only a device reset token helps then); a message in *ret_error. */
int key_rotate(const AgentConfig *c, const char **ret_kind, char **ret_error);
