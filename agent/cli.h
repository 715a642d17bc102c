/* SPDX-License-Identifier: MIT */
#pragma once

/* What every `vigie` verb shares: --config, --state-dir, -v, the exit codes, and loading
 * the configuration once. */

#include <getopt.h>
#include <stdbool.h>

#include "agent-config.h"
#include "check-result.h"

enum {
        EXIT_COMPLIANT = 0,
        EXIT_NONCOMPLIANT = 1,
        EXIT_USAGE = 2,    /* usage or configuration error */
        EXIT_INTERNAL = 3, /* internal error */
        EXIT_NO_AGENT = 4, /* vigie status: the agent is not running or not enrolled */
};

enum {
        ARG_CONFIG = 0x1000,
        ARG_STATE_DIR,
        ARG_VERSION,
        _ARG_VERB_FIRST, /* verbs number their own long options from here */
};

#define CLI_COMMON_OPTIONS                                              \
        { "config", required_argument, NULL, ARG_CONFIG },              \
        { "state-dir", required_argument, NULL, ARG_STATE_DIR },        \
        { "verbose", no_argument, NULL, 'v' },                          \
        { "help", no_argument, NULL, 'h' }

/* The options every verb shares, translated. */
void cli_print_common_help(void);

typedef struct Cli {
        const char *config_path;
        const char *state_dir;
        int verbosity;
        AgentConfig *config;
} Cli;

/* Handles a common option; returns 1 when it was one. */
int cli_common_option(Cli *cli, int c, const char *arg);
/* Loads the configuration once (file + drop-ins), applying --state-dir. Returns 0 or an
 * exit code (EXIT_USAGE) after printing why. */
int cli_load_config(Cli *cli);
/* After getopt: 0, or EXIT_USAGE after naming the first argument left over. */
int cli_no_arguments(const char *verb, int argc, char *argv[]);
/* "Try 'vigie VERB --help'." on stderr; returns EXIT_USAGE. */
int cli_usage_error(const char *verb);
/* Colours are used only on a terminal that wants them. */
bool cli_use_colors(void);
#define ANSI_RESET "\033[0m"
#define ANSI_BOLD "\033[1m"
/* "PASS", "FAIL"… (translated) and their terminal colour. */
const char *cli_status_word(CheckStatus s);
const char *cli_status_color(CheckStatus s);

typedef struct Verb {
        const char *name;
        const char *summary; /* N_() */
        int (*run)(Cli *cli, int argc, char *argv[]);
} Verb;

int verb_check(Cli *cli, int argc, char *argv[]);
int verb_policy(Cli *cli, int argc, char *argv[]);
int verb_cycle(Cli *cli, int argc, char *argv[]);
int verb_status(Cli *cli, int argc, char *argv[]);
/* RUNTIME_DIR/status.json, and whether the agent that wrote it still runs. */
int status_load(const char *runtime_dir, json_object **ret);
bool status_agent_running(json_object *status);
/* vigie report --now: SIGUSR1 to the running agent, then waits for its cycle. */
int agent_request_report_now(const AgentConfig *cfg);
int verb_enroll(Cli *cli, int argc, char *argv[]);
int verb_report(Cli *cli, int argc, char *argv[]);
int verb_verify(Cli *cli, int argc, char *argv[]);
