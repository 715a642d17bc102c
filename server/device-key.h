/* SPDX-License-Identifier: MIT */
#pragma once

/* How a device's key is held, as the server recorded it at enrollment (devices.key_kind):
 * from what the server could check, never from what the device says alone. A report's
 * agent.key must agree with the record; a policy can require a TPM-held key
 * (policy-identity.h). docs/hardening.md says what each kind proves. */

#include <stdbool.h>

#include "check-result.h"
#include "policy-identity.h"

typedef enum DeviceKey {
        DEVICE_KEY_UNKNOWN,        /* enrolled before the server recorded key kinds */
        DEVICE_KEY_FILE,           /* a key file on the laptop: copyable by its root */
        DEVICE_KEY_PROVIDER,       /* an OpenSSL provider (KeyURI=) the server cannot check */
        DEVICE_KEY_TPM_UNVERIFIED, /* the agent says TPM, with no proof the server could check */
        DEVICE_KEY_TPM,            /* TPM-held, proven by attestation (tpm-attest.h) */
        _DEVICE_KEY_MAX,
} DeviceKey;

const char *device_key_to_string(DeviceKey k);
/* "file", "tpm", …; anything else (the "ec-p256" of old databases) is DEVICE_KEY_UNKNOWN. */
DeviceKey device_key_from_string(const char *s);
/* What an unproven claim of the agent ("file", "tpm", "provider", as in reports' agent.key)
 * is recorded as: "tpm" becomes tpm_unverified. -EINVAL for another word. */
int device_key_from_claim(const char *claim, DeviceKey *ret);
/* Whether a report's agent.key agrees with the record (anything goes for unknown). */
bool device_key_matches_claim(DeviceKey recorded, const char *claim);
/* The policy's device_identity check for a device with this record: pass or fail, and a
 * summary that says why and what to do (a static string). */
CheckStatus device_key_judge(DeviceKey recorded, const PolicyIdentity *rule, const char **ret_summary);
