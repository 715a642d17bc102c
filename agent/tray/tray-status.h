/* SPDX-License-Identifier: MIT */
#pragma once

/* The part of /run/vigie/status.json the tray shows, read defensively: the file is
 * world-readable and the tray trusts nothing in it beyond its shape. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check-result.h"
#include "macro.h"
#include "proc-util.h" /* pid_is_vigie_agent(): is the status file's writer running? */

#define TRAY_STATUS_FILE_MAX (1024u * 1024)
#define TRAY_CHECKS_MAX 64

/* The access/enforcement state the agent learnt from the server (absent when unknown). */
typedef enum AccessState {
        ACCESS_UNKNOWN = -1,
        ACCESS_ALLOWED,
        ACCESS_GRACE,   /* allowed until grace_until */
        ACCESS_BLOCKED,
} AccessState;

typedef struct TrayAccess {
        AccessState state;
        usec_t grace_until; /* 0: none */
        char *reason;       /* NULL: none */
        usec_t checked_at;
} TrayAccess;

typedef struct TrayStatus {
        bool present;   /* false: no status.json (agent never ran here) */
        int enrolled;   /* -1 unknown */
        int compliant;  /* -1 not checked yet */
        int64_t pid;    /* agent.pid, 0 once stopped */
        bool running;   /* filled by the caller (tray_status_agent_running) */
        bool cycle_running; /* agent.state is "cycle" */
        usec_t last_check;  /* 0: never */
        TrayAccess access;
        char *support;      /* "Contact IT": a checked https:// or mailto: URL, or NULL */
        char *identity_problem; /* why the device key cannot sign (reports stopped), or NULL */
        CheckResult **checks; /* title is the id when absent; no evidence */
        size_t n_checks;
} TrayStatus;

/* Parses the document; unknown fields are ignored, fields of the wrong type are treated as
 * absent, a bad status word as "unknown". -EBADMSG when it is not a JSON object. */
int tray_status_parse(const char *data, size_t size, TrayStatus *ret);
/* Reads and parses PATH; a missing file gives present=false and 0. */
int tray_status_load(const char *path, TrayStatus *ret);
void tray_status_done(TrayStatus *s);
