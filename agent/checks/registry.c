/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "checks.h"
#include "macro.h"

#define CHECK(id) extern const Check check_##id;
#include "check-list.h"
#undef CHECK

const Check *const check_registry[] = {
#define CHECK(id) &check_##id,
#include "check-list.h"
#undef CHECK
};
const size_t check_registry_size = ELEMENTSOF(check_registry);

/* The policy's view of the same table (policy-schema.h). */
const PolicySchema *const policy_check_schemas[] = {
#define CHECK(id) &check_##id.policy,
#include "check-list.h"
#undef CHECK
};
const size_t policy_check_schemas_size = ELEMENTSOF(policy_check_schemas);

const Check *check_find(const char *id) {
        for (size_t i = 0; i < check_registry_size; i++)
                if (streq(check_id(check_registry[i]), id))
                        return check_registry[i];
        return NULL;
}
