/* SPDX-License-Identifier: MIT */
/* Policy JSON: parse, validate strictly and leniently, serialise back. */
#include <stdint.h>
#include <stdlib.h>

#include "cleanup.h"
#include "json-util.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_json_ json_object *j = NULL;
        _cleanup_free_ char *err = NULL, *err2 = NULL;
        _cleanup_(policy_freep) Policy *p = NULL, *q = NULL;

        if (json_parse((const char *) data, size, &j, &err) < 0)
                return 0;
        if (policy_from_json(j, POLICY_STRICT, &p, &err2) >= 0) {
                _cleanup_json_ json_object *back = policy_to_json(p);
                if (back && policy_from_json(back, POLICY_STRICT, &q, NULL) < 0)
                        abort(); /* what we serialise must load again */
        }
        policy_free(p);
        p = NULL;
        (void) policy_from_json(j, 0, &p, NULL);
        return 0;
}
