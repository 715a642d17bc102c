/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "device-key.h"
#include "macro.h"

static const char *const device_key_names[_DEVICE_KEY_MAX] = {
        [DEVICE_KEY_UNKNOWN] = "unknown",
        [DEVICE_KEY_FILE] = "file",
        [DEVICE_KEY_PROVIDER] = "provider",
        [DEVICE_KEY_TPM_UNVERIFIED] = "tpm_unverified",
        [DEVICE_KEY_TPM] = "tpm",
};

/* The agent.key word of each record: a TPM key is "tpm" whether or not it was proven. */
static const char *const device_key_claims[_DEVICE_KEY_MAX] = {
        [DEVICE_KEY_FILE] = "file",
        [DEVICE_KEY_PROVIDER] = "provider",
        [DEVICE_KEY_TPM_UNVERIFIED] = "tpm",
        [DEVICE_KEY_TPM] = "tpm",
};

const char *device_key_to_string(DeviceKey k) {
        return k >= 0 && k < _DEVICE_KEY_MAX ? device_key_names[k] : device_key_names[DEVICE_KEY_UNKNOWN];
}

DeviceKey device_key_from_string(const char *s) {
        for (size_t i = 0; s && i < _DEVICE_KEY_MAX; i++)
                if (streq(s, device_key_names[i]))
                        return (DeviceKey) i;
        return DEVICE_KEY_UNKNOWN;
}

int device_key_from_claim(const char *claim, DeviceKey *ret) {
        if (streq_ptr(claim, "file"))
                *ret = DEVICE_KEY_FILE;
        else if (streq_ptr(claim, "provider"))
                *ret = DEVICE_KEY_PROVIDER;
        else if (streq_ptr(claim, "tpm"))
                *ret = DEVICE_KEY_TPM_UNVERIFIED;
        else
                return -EINVAL;
        return 0;
}

bool device_key_matches_claim(DeviceKey recorded, const char *claim) {
        if (recorded <= DEVICE_KEY_UNKNOWN || recorded >= _DEVICE_KEY_MAX)
                return true;
        return streq_ptr(claim, device_key_claims[recorded]);
}

CheckStatus device_key_judge(DeviceKey recorded, const PolicyIdentity *rule, const char **ret_summary) {
        switch (recorded) {
        case DEVICE_KEY_TPM:
                *ret_summary = "device key held by a TPM, verified by attestation at enrollment";
                return CHECK_PASS;
        case DEVICE_KEY_TPM_UNVERIFIED:
                if (rule->key == IDENTITY_KEY_TPM_UNVERIFIED) {
                        *ret_summary = "device key said to be held by a TPM (not verified by the server)";
                        return CHECK_PASS;
                }
                *ret_summary = "device key said to be held by a TPM, but the server could not verify it (no "
                               "attestation, or an endorsement key certificate from a TPM vendor it does not "
                               "trust); this policy requires a verified TPM-held key — see runbook";
                return CHECK_FAIL;
        case DEVICE_KEY_FILE:
                *ret_summary = "device key is a file; this policy requires a TPM-held key — see runbook";
                return CHECK_FAIL;
        case DEVICE_KEY_PROVIDER:
                *ret_summary = "device key is held by an OpenSSL provider the server cannot verify; this policy "
                               "requires a TPM-held key — see runbook";
                return CHECK_FAIL;
        default:
                *ret_summary = "the server has no record of how this device key is held (enrolled before key "
                               "kinds were recorded); this policy requires a TPM-held key: re-enroll the device "
                               "— see runbook";
                return CHECK_FAIL;
        }
}
