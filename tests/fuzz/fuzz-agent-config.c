/* SPDX-License-Identifier: MIT */
/* agent.conf INI parsing (inih + our table and section handler). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent-config.h"
#include "cleanup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = malloc(size + 1), *err = NULL;
        AgentConfig *c = NULL;

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = 0;
        if (agent_config_load_string(text, &c, &err) >= 0)
                for (size_t i = 0; i < c->n_sections; i++)
                        (void) config_section_get(&c->sections[i], "Type", NULL);
        agent_config_free(c);
        return 0;
}
