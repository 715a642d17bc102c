/* SPDX-License-Identifier: MIT */
/* GET /v1/fleet/devices query strings: filters (key=, policy= too), sort, limit, cursor. Whatever parses must
 * give a cursor that parses again under the same sort. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fleet-query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *s = NULL, *c = NULL, *again = NULL;
        _cleanup_(fleet_query_freep) FleetQuery *q = NULL, *q2 = NULL;
        _cleanup_free_ char *err = NULL;

        if (size > FLEET_QUERY_MAX + 16)
                return 0;
        s = strndup((const char *) data, size);
        if (!s || fleet_query_parse(s, &q, &err) < 0)
                return 0;
        c = fleet_cursor_encode(q, q->cursor.key_int, q->cursor.key_text ? q->cursor.key_text : "k",
                                q->cursor.device_id ? q->cursor.device_id : "d");
        /* the cursor stays valid beside the key= and policy= filters it was made under */
        if (!c || asprintf(&again, "sort=%s%s&cursor=%s%s%s%s", q->descending ? "-" : "",
                           fleet_sort_to_string(q->sort), c, q->key_kind ? "&key=" : "",
                           q->key_kind ? q->key_kind : "", q->policy_outdated ? "&policy=outdated" : "") < 0)
                return 0;
        if (fleet_query_parse(again, &q2, NULL) < 0 || !streq_ptr(q2->key_kind, q->key_kind) ||
            q2->policy_outdated != q->policy_outdated)
                abort();
        return 0;
}
