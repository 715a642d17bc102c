/* SPDX-License-Identifier: MIT */
#include <stddef.h>
#include <string.h>

#include "config-section.h"
#include "macro.h"

const char *config_section_get(const ConfigSection *s, const char *key, unsigned *ret_line) {
        const char *v = NULL;
        for (size_t i = 0; s->keys && s->keys[i]; i++)
                if (streq(s->keys[i], key)) {
                        v = s->values[i];
                        if (ret_line)
                                *ret_line = s->lines[i];
                }
        return v;
}
