/* SPDX-License-Identifier: MIT */
#pragma once

/* The compliance policy (DESIGN.md "Policy"): served by the server, cached by the agent,
 * a default built in. A policy may hold only some checks' sections, or only some keys of a
 * section: everything missing takes the built-in default. The same code validates a policy
 * on the server (`vigie-server policy set`, strict) and loads it on the agent. */

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "policy-enforcement.h"

typedef struct PolicyDiskEncryption {
        bool required;
        char **mounts;          /* "/", "/home", "swap" (every active swap) */
        int min_luks_version;   /* 0: any (plain dm-crypt allowed), 1, 2 */
        char **ciphers;         /* "aes-xts-plain64"; empty: any */
        int min_key_bits;       /* 0: any */
        char **pbkdf;           /* "argon2id", "argon2i", "pbkdf2"; empty: any */
} PolicyDiskEncryption;

typedef struct SupportedOs {
        char *id;               /* os-release ID */
        char **versions;        /* VERSION_ID values */
} SupportedOs;

typedef struct PolicyPatchLevel {
        bool required;
        int max_pending_security;
        int grace_days;
        int max_days_since_refresh;
        int reboot_grace_days;
        bool require_unattended_upgrades;
        SupportedOs *supported_os; /* n_supported_os entries; none: any OS */
        size_t n_supported_os;
} PolicyPatchLevel;

typedef struct PolicyBackup {
        bool required;
        int max_age_hours;
        int warn_age_hours;     /* warn (with a deadline) past this age; 0: never warn */
        bool require_all;       /* "require": "all" — every configured source must be fresh */
} PolicyBackup;

typedef struct Policy {
        char *policy_id;
        int64_t version;
        int report_interval_s;
        PolicyDiskEncryption disk_encryption;
        PolicyPatchLevel patch_level;
        PolicyBackup backup;
        PolicyEnforcement enforcement;
} Policy;

typedef enum PolicyFlags {
        POLICY_STRICT = 1 << 0, /* unknown keys are errors (server side); else ignored */
} PolicyFlags;

/* The built-in default, as JSON text. */
extern const char policy_default_json[];

Policy *policy_new_default(void);
Policy *policy_free(Policy *p);
/* Overlays `json` on the defaults. On error returns -EINVAL with "path: reason" in
 * *ret_error. */
int policy_from_json(json_object *json, PolicyFlags flags, Policy **ret, char **ret_error);
int policy_load_file(const char *path, PolicyFlags flags, Policy **ret, char **ret_error);
/* The effective policy (defaults merged) as JSON. */
json_object *policy_to_json(const Policy *p);
/* Whether the check with this id is required; unknown ids are not. */
bool policy_check_required(const Policy *p, const char *check_id);

static inline void policy_freep(Policy **p) {
        policy_free(*p);
}
