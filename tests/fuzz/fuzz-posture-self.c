/* SPDX-License-Identifier: MIT */
/* The server's reply to GET /v1/posture/self, as the agent reads it into status.json. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent-posture.h"
#include "cleanup.h"
#include "json-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_json_ json_object *access = NULL;
        json_object *v;

        if (agent_posture_parse((const char *) data, size, 1764439200 * USEC_PER_SEC, &access) < 0)
                return 0;
        /* what status.json readers (the tray, vigie status) rely on */
        if (!json_object_object_get_ex(access, "state", &v) || !json_object_is_type(v, json_type_string) ||
            !json_object_object_get_ex(access, "checked_at", &v))
                abort();
        return 0;
}
