/* SPDX-License-Identifier: MIT */
#pragma once

/* A configuration section a module interprets itself, kept whole by the configuration
 * parser: [Backup "home"] → kind "Backup", name "home" (a check declares the kinds it reads,
 * agent/checks/checks.h). */

typedef struct ConfigSection {
        char *kind;
        char *name;
        char *file;
        unsigned line;
        char **keys;    /* parallel to values, in file order; a later key overrides */
        char **values;
        unsigned *lines;
} ConfigSection;

/* The last value of key in a section, or NULL; *ret_line (optional) its line. */
const char *config_section_get(const ConfigSection *s, const char *key, unsigned *ret_line);
