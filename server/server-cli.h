/* SPDX-License-Identifier: MIT */
#pragma once

/* vigie-server's subcommands. Exit codes: 0 ok, 1 refused or failed, 2 usage. */

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

typedef struct ServerCli {
        const char *dir;
        const char *db;
        const char *name;
        const char *label;
        const char *out;
        const char *role;
        const char *listen;
        int64_t uses;
        usec_t ttl;
        usec_t lifetime;
        bool json;
        char **args; /* positional arguments after the verb */
        int n_args;
} ServerCli;

typedef struct ServerVerb {
        const char *name; /* "token create" */
        const char *usage;
        const char *summary; /* N_() */
        int min_args, max_args;
        int (*run)(ServerCli *cli);
} ServerVerb;

extern const ServerVerb server_verbs[];
extern const size_t server_verbs_count;
