/* SPDX-License-Identifier: MIT */
#pragma once

/* The module metadata of a repository (repodata's modules.yaml, libmodulemd's format):
 * YAML documents "modulemd" v2 (one module stream: name, stream, artifacts.rpms NEVRAs) and
 * "modulemd-defaults" v1 (a module's default stream). Read with a small YAML subset
 * reader: block mappings and sequences, plain and quoted scalars, one-line flow sequences,
 * block scalars and continuation lines skipped, comments; what modulemd needs and no more.
 * Other document types are skipped. */

#include <stddef.h>

#define MODULEMD_FILE_MAX (64u * 1024 * 1024)
#define MODULEMD_ARTIFACTS_MAX 65536   /* per document */
#define MODULEMD_DEPTH_MAX 32
#define MODULEMD_SCALAR_MAX 4096

typedef enum ModulemdType {
        MODULEMD_STREAM,       /* "modulemd", version 2 */
        MODULEMD_DEFAULTS,     /* "modulemd-defaults", version 1 */
} ModulemdType;

typedef struct ModulemdDoc {
        ModulemdType type;
        const char *name;      /* stream: data.name; defaults: data.module */
        const char *stream;    /* stream: data.stream; defaults: data.stream (NULL: none) */
        char *const *artifacts; /* stream: data.artifacts.rpms ("name-E:V-R.arch"), NULL-terminated */
        size_t n_artifacts;
} ModulemdDoc;

/* Returns 0 to go on, <0 to stop the parse with that error. */
typedef int (*ModulemdFunc)(const ModulemdDoc *doc, void *userdata);

/* Hands each complete modulemd / modulemd-defaults document of text to cb (strings live
 * until it returns). Returns 0, the callback's error, -EBADMSG with *ret_error
 * ("line N: …") on what the subset does not read, -E2BIG past the limits. */
int modulemd_parse(const char *text, size_t size, ModulemdFunc cb, void *userdata, char **ret_error);
