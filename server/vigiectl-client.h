/* SPDX-License-Identifier: MIT */
#pragma once

/* vigiectl's side of the fleet API: where the server is and which admin certificate to
 * present (options, else ~/.config/vigie/vigiectl.conf), GET requests over mTLS through
 * the agent's Transport (server CA pinned), and the mapping of failures to exit codes with
 * a message for people. */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <json-c/json.h>

#include "transport.h"

enum {
        VIGIECTL_EXIT_OK = 0,
        VIGIECTL_EXIT_PROBLEMS = 1,    /* audit found something wrong */
        VIGIECTL_EXIT_USAGE = 2,       /* bad option or configuration */
        VIGIECTL_EXIT_INTERNAL = 3,
        VIGIECTL_EXIT_UNREACHABLE = 4, /* cannot connect, TLS failure, timeout */
        VIGIECTL_EXIT_REFUSED = 5,     /* 401/403: the certificate was refused */
        VIGIECTL_EXIT_NOT_FOUND = 6,   /* 404: no such device */
        VIGIECTL_EXIT_SERVER = 7,      /* any other error answer */
};

#define VIGIECTL_BODY_MAX (512u * 1024 * 1024)

typedef struct CtlConfig {
        char *server;   /* https://host:port */
        char *ca;       /* pinned server CA */
        char *cert;     /* admin client certificate */
        char *key;
        unsigned timeout_s;
        Transport *transport; /* made on first use, kept alive across requests */
} CtlConfig;

CtlConfig *ctl_config_free(CtlConfig *c);
static inline void ctl_config_freep(CtlConfig **c) {
        ctl_config_free(*c);
}
/* Loads path (NULL: $XDG_CONFIG_HOME/vigie/vigiectl.conf or ~/.config/…, missing OK),
 * then applies the non-NULL overrides. Returns 0 or an exit code after printing why. */
int ctl_config_load(const char *path, const char *server, const char *ca, const char *cert,
                    const char *key, CtlConfig **ret);

/* GET path_and_query (starting with '/'). With out != NULL the body (of a 200, at most
 * VIGIECTL_BODY_MAX) is written there and *ret_body stays NULL. Returns 0 or an exit code
 * after printing a message that says what failed and what to do. */
int ctl_get(CtlConfig *c, const char *path_and_query, FILE *out, char **ret_body,
            size_t *ret_size);
/* ctl_get + json_parse of the body. */
int ctl_get_json(CtlConfig *c, const char *path_and_query, json_object **ret);
/* ctl_get_json(), then every next page the answers' "next_cursor" names, as one answer:
 * the first page with array_key holding the items of all pages, "next_cursor" null. */
int ctl_get_json_pages(CtlConfig *c, const char *path_and_query, const char *array_key, json_object **ret);

/* Percent-encodes a value for a query string. NULL on OOM. */
char *ctl_url_escape(const char *s);
