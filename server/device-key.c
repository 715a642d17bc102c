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
