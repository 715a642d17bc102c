/* SPDX-License-Identifier: MIT */
#pragma once

/* What every vigiectl verb shares: connection options, output mode, and the verbs. */

#include <getopt.h>

#include "vigiectl-client.h"
#include "vigiectl-output.h"

enum {
        ARG_CONFIG = 0x1000,
        ARG_SERVER,
        ARG_CA,
        ARG_CERT,
        ARG_KEY,
        ARG_JSON,
        ARG_CSV,
        _ARG_VERB_FIRST, /* verbs number their own long options from here */
};

#define CTL_COMMON_OPTIONS                                      \
        { "config", required_argument, NULL, ARG_CONFIG },      \
        { "server", required_argument, NULL, ARG_SERVER },      \
        { "ca", required_argument, NULL, ARG_CA },              \
        { "cert", required_argument, NULL, ARG_CERT },          \
        { "key", required_argument, NULL, ARG_KEY },            \
        { "json", no_argument, NULL, ARG_JSON },                \
        { "csv", no_argument, NULL, ARG_CSV },                  \
        { "help", no_argument, NULL, 'h' }

#define CTL_COMMON_HELP                                                                        \
        "      --server URL   the Vigie server, https://HOST:PORT\n"                            \
        "      --cert FILE    admin client certificate (vigie-server admin-cert create)\n"      \
        "      --key FILE     its private key\n"                                                \
        "      --ca FILE      the Vigie CA certificate (pins the server, verifies devices)\n"   \
        "      --config FILE  configuration (default ~/.config/vigie/vigiectl.conf)\n"          \
        "      --json         JSON output\n"                                                    \
        "      --csv          CSV output\n"                                                     \
        "  -h, --help         this help\n"

typedef struct Ctl {
        const char *config_path, *server, *ca, *cert, *key;
        OutputMode mode;
        CtlConfig *config;
} Ctl;

/* Handles a common option: 1 when it was one, 0 when not. */
int ctl_common_option(Ctl *ctl, int c, const char *arg);
/* Loads the configuration once. Returns 0 or an exit code after printing why. */
int ctl_connect(Ctl *ctl);
/* "Try 'vigiectl VERB --help'." on stderr; returns VIGIECTL_EXIT_USAGE. */
int ctl_usage_error(const char *verb);
/* RFC 3339 value of a JSON time field, for tables; "-" when null. */
const char *ctl_json_str(json_object *o, const char *key);

typedef struct CtlVerb {
        const char *name;
        const char *summary; /* N_() */
        int (*run)(Ctl *ctl, int argc, char *argv[]);
} CtlVerb;

int verb_summary(Ctl *ctl, int argc, char *argv[]);
int verb_devices(Ctl *ctl, int argc, char *argv[]);
int verb_device(Ctl *ctl, int argc, char *argv[]);
int verb_reports(Ctl *ctl, int argc, char *argv[]);
int verb_export(Ctl *ctl, int argc, char *argv[]);
int verb_audit(Ctl *ctl, int argc, char *argv[]);
int verb_history(Ctl *ctl, int argc, char *argv[]);
