/* SPDX-License-Identifier: MIT */
#pragma once

/* json-c helpers: bounded parsing, and typed field access whose errors name the path of
 * the bad field ("checks.backup.max_age_hours: expected integer, got string"). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "error-util.h"

#define JSON_MAX_DEPTH 32

/* Parses exactly one JSON document (trailing whitespace allowed). -EBADMSG with a message
 * in *ret_error (may be NULL) on malformed input. */
int json_parse(const char *data, size_t size, json_object **ret, char **ret_error);
int json_parse_file(const char *path, size_t max, json_object **ret, char **ret_error);

/* Compact serialisation, no escaped slashes: what we sign and store. */
const char *json_compact(json_object *j);
const char *json_type_label(json_object *j);

/* Typed getters. They return -ENOENT when the key is absent, -EINVAL when it has the
 * wrong type or range, with "PATH.KEY: …" in *ret_error. */
int json_get_bool(json_object *o, const char *path, const char *key, bool *ret, char **ret_error);
int json_get_int(json_object *o, const char *path, const char *key, int64_t min, int64_t max,
                 int64_t *ret, char **ret_error);
int json_get_string(json_object *o, const char *path, const char *key, const char **ret,
                    char **ret_error);
/* An array of strings into a NULL-terminated strv (replaces *ret). */
int json_get_strv(json_object *o, const char *path, const char *key, char ***ret,
                  char **ret_error);
/* A JSON document of the wrong shape: the message, and -EINVAL. */
#define json_error(ret_error, ...) error_set((ret_error), -EINVAL, __VA_ARGS__)

/* Adds key=value to an object; value NULL adds JSON null. Return -ENOMEM on failure. */
int json_add_string(json_object *o, const char *key, const char *value);
int json_add_int(json_object *o, const char *key, int64_t value);
int json_add_bool(json_object *o, const char *key, bool value);
int json_add(json_object *o, const char *key, json_object *value); /* takes value */
