/* SPDX-License-Identifier: MIT */
#pragma once

/* A policy section's schema: one row per key (type, field, default, range), the way
 * agent.conf's keys are declared. Every check declares one (agent/checks/checks.h, Check);
 * the policy parser, the default policy, policy_to_json and the required set are driven by
 * these tables alone (docs/checks.md). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum PolicyFieldType {
        POLICY_BOOL,    /* bool */
        POLICY_INT,     /* int, within [min, max] */
        POLICY_STRV,    /* char **, NULL-terminated */
        POLICY_MAP,     /* PolicyMap: an object of names to string lists */
        POLICY_ENUM,    /* int: index into choices */
} PolicyFieldType;

typedef struct PolicyMapEntry {
        char *key;
        char **values;
} PolicyMapEntry;

typedef struct PolicyMap {
        PolicyMapEntry *entries;
        size_t n;
} PolicyMap;

typedef struct PolicyField {
        const char *key;
        PolicyFieldType type;
        size_t offset;                  /* into the section's struct */
        const char *def;                /* the default, as JSON text ("48", "[\"/\"]") */
        int64_t min, max;               /* POLICY_INT */
        const char *const *choices;     /* POLICY_ENUM, NULL-terminated */
} PolicyField;

typedef struct PolicySchema {
        const char *name;               /* the key of the section ("backup") */
        const PolicyField *fields;
        size_t n_fields;
        size_t size;                    /* of the section's struct */
        /* Optional: adjusts values that depend on each other, after every overlay. */
        void (*finalize)(void *section);
} PolicySchema;

/* A check's section starts with this member: "required" is what makes the check count in
 * the verdict. */
typedef struct PolicyCheckHead {
        bool required;
} PolicyCheckHead;

/* The checks' schemas in report order: defined by the check registry
 * (agent/checks/registry.c), the one place that lists checks. */
extern const PolicySchema *const policy_check_schemas[];
extern const size_t policy_check_schemas_size;

const PolicySchema *policy_check_schema_find(const char *id);
/* The check ids, ", "-separated, for messages ("disk_encryption, patch_level, backup"). */
char *policy_check_ids_joined(void);
