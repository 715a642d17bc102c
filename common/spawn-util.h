/* SPDX-License-Identifier: MIT */
#pragma once

/* Running an external tool safely: posix_spawn of an argument vector (never a shell), an
 * explicit environment and nothing else, stdin from /dev/null, stdout and stderr captured
 * through pipes up to a cap, the child in its own process group, and a timeout that
 * SIGKILLs that whole group (children of the tool included) before reaping. */

#include <stdbool.h>
#include <stddef.h>

#include <sys/types.h>

#include "macro.h"

/* Where tools are looked up unless the caller passes another search path. */
#define SPAWN_SAFE_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* Default cap per captured stream. */
#define SPAWN_OUTPUT_MAX (1024u * 1024)

typedef struct SpawnOptions {
        char *const *argv;      /* argv[0]: a bare tool name looked up in path, or a path */
        char *const *env;       /* the child's whole environment ("KEY=value"), may be NULL */
        const char *path;       /* colon-separated directories; NULL: SPAWN_SAFE_PATH */
        usec_t timeout;         /* 0: none */
        size_t max_output;      /* per stream; 0: SPAWN_OUTPUT_MAX. Excess is dropped. */
        int pass_fd;            /* -1, or an fd the child receives as fd 3 (a secret) */
} SpawnOptions;

typedef struct SpawnResult {
        int status;             /* exit status 0..255, or 128+signal */
        bool timed_out;         /* killed at the timeout */
        bool truncated;         /* some output exceeded max_output and was dropped */
        char *out;              /* NUL-terminated */
        size_t out_size;
        char *err;
        size_t err_size;
} SpawnResult;

/* Finds an executable regular file called name in the colon-separated path (absolute
 * directories only; relative entries are skipped). A name with a '/' is taken as is.
 * -ENOENT when there is none. */
int spawn_find_executable(const char *name, const char *path, char **ret);

/* Runs the tool to completion. Returns its exit status (≥0, or 128+signal) with *ret filled;
 * -ETIMEDOUT when it was killed at the timeout (*ret filled too, with what it printed);
 * -ENOENT when the tool is not found; other -errno when it could not be started. */
int spawn_run(const SpawnOptions *o, SpawnResult *ret);
void spawn_result_done(SpawnResult *r);

/* Starts a desktop program and returns at once: its own session, default signal
 * dispositions and an empty signal mask, stdin from /dev/null, the caller's environment
 * (DISPLAY, the session bus…). The caller reaps *ret_pid. -ENOENT when not found in path. */
int spawn_detached(char *const *argv, const char *path, pid_t *ret_pid);
