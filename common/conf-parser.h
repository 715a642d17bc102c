/* SPDX-License-Identifier: MIT */
#pragma once

/* INI configuration, systemd style: one table row per key (section, key, parser, field
 * offset). The main file is read first, then its drop-ins "<file>.d/NAME.conf" in lexical
 * order, later values overriding earlier ones. Errors name file:line and the bad value. */

#include <stdbool.h>
#include <stddef.h>

typedef int (*ConfigParser)(const char *value, void *field);

typedef struct ConfigTableItem {
        const char *section;
        const char *key;
        ConfigParser parse;
        size_t offset;
        const char *expected; /* for messages: "an https:// URL", "a duration like 6h" */
} ConfigTableItem;

/* Called for sections not in the table (e.g. [Backup "home"]). Returns 0, or -EINVAL
 * after filling *ret_error with a message (without the file:line, added by the caller). */
typedef int (*ConfigSectionHandler)(const char *section, const char *key, const char *value,
                                    const char *file, unsigned line, char **ret_error,
                                    void *userdata);

/* Returns 0, -ENOENT when the main file is missing and !missing_ok, -EINVAL on a bad line
 * (message in *ret_error, "FILE:LINE: …"). */
int config_load(const char *path, bool missing_ok, const ConfigTableItem *table, void *obj,
                ConfigSectionHandler other, void *userdata, char **ret_error);
/* Parses a string instead of a file (fuzzing, tests). */
int config_load_string(const char *text, const char *name, const ConfigTableItem *table,
                       void *obj, ConfigSectionHandler other, void *userdata,
                       char **ret_error);

int config_parse_string(const char *value, void *field); /* char ** */
int config_parse_path(const char *value, void *field);   /* char **, absolute */
int config_parse_bool(const char *value, void *field);   /* bool * */
int config_parse_int(const char *value, void *field);    /* int *, >= 0 */
int config_parse_duration(const char *value, void *field); /* usec_t * */
int config_parse_size(const char *value, void *field);   /* uint64_t * */
int config_parse_strv(const char *value, void *field);   /* char ***, space separated, "" resets */
int config_parse_log_level(const char *value, void *field); /* int * */

/* Splits `Backup "home"` into "Backup" and "home"; ret_name is NULL without quotes. */
int config_section_split(const char *section, char **ret_kind, char **ret_name);
