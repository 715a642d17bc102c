/* SPDX-License-Identifier: MIT */
#pragma once

/* The backup check's sources. Each [Backup "NAME"] section of agent.conf becomes one
 * BackupSource; a source type (restic, borg, timeshift, systemd, stamp) is a BackupSourceType
 * in its own backup-TYPE.c with a probe that reports the newest successful backup it can
 * see. backup.c owns the configuration, the cache of last good observations and the verdict.
 * The pure parsers of outside data are exported for unit tests and fuzzers. */

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "config-section.h"
#include "checks.h"
#include "macro.h"

typedef struct BackupSourceType BackupSourceType;

typedef enum TimeshiftMode {
        TIMESHIFT_RSYNC,
        TIMESHIFT_BTRFS,
} TimeshiftMode;

typedef enum StampFormat {
        STAMP_AUTO,    /* ISO 8601 content when the file has any, else mtime */
        STAMP_MTIME,
        STAMP_CONTENT,
} StampFormat;

typedef struct BackupSource {
        char *name;
        const BackupSourceType *type;
        char *file;                 /* where it was configured, for messages */
        unsigned line;

        char *repository;           /* restic, borg */
        char *password_file;        /* restic, borg: root-only file */
        char *password_command;     /* restic, borg: split by the tool, never run in a shell */
        char *host;                 /* restic --host */
        char **tags;                /* restic --tag (each Tag= line one tag) */
        char *glob_archives;        /* borg --glob-archives */
        char *cache_dir;            /* restic --cache-dir; NULL: under the agent state */
        int remote;                 /* -1 auto, 0 no, 1 yes */
        usec_t probe_interval;      /* USEC_INFINITY: default for the repository kind */
        usec_t timeout;
        char *search_path;          /* where the tool is looked up */
        char **environment;         /* extra KEY=value for the tool (Environment=) */
        char *environment_file;     /* more, with secrets, from a root-only file */

        char *unit;                 /* systemd */
        char *path;                 /* stamp */
        StampFormat stamp_format;
        char *mount;                /* timeshift: the backup device's mount point */
        TimeshiftMode mode;
} BackupSource;

/* What a probe saw: the newest successful backup, if any. */
typedef struct BackupObservation {
        usec_t time;                /* 0: no backup at all */
        char *id;
        char *host;
        char **tags;
} BackupObservation;

typedef enum ProbeOutcome {
        PROBE_OK,                   /* obs is the truth now (obs.time 0: nothing there) */
        PROBE_UNREACHABLE,          /* offline, wrong password, lock, timeout…: keep the last good */
        PROBE_BROKEN,               /* tool missing, insecure secret, bad setup: IT must act */
} ProbeOutcome;

typedef struct BackupProbe {
        ProbeOutcome outcome;
        BackupObservation obs;
        char *error;                /* for people; never holds a secret */
} BackupProbe;

struct BackupSourceType {
        const char *name;           /* Type= value */
        const char *tool;           /* the external program, or NULL */
        const char *const *keys;    /* keys it accepts besides the common ones */
        /* Checks what the keys alone can tell; "what is wrong" in *ret_error. */
        int (*validate)(const BackupSource *s, char **ret_error);
        /* Returns 0 with ret filled (whatever the outcome), or -ENOMEM. */
        int (*probe)(const BackupSource *s, const CheckContext *ctx, BackupProbe *ret);
};

extern const BackupSourceType backup_restic;
extern const BackupSourceType backup_borg;
extern const BackupSourceType backup_timeshift;
extern const BackupSourceType backup_systemd;
extern const BackupSourceType backup_stamp;

/* Configuration: every [Backup "NAME"] section, validated. A bad key or value is -EINVAL
 * with "FILE:LINE: [Backup \"NAME\"] Key=\"value\": reason" in *ret_error. */
int backup_sources_from_config(const ConfigSection *sections, size_t n_sections, BackupSource **ret,
                               size_t *ret_n, char **ret_error);
/* The same, only to validate (Check.config_validate). */
int backup_config_validate(const ConfigSection *sections, size_t n_sections, char **ret_error);
void backup_sources_free(BackupSource *s, size_t n);
/* Checks one NAME=value for the tool's environment (Environment=, EnvironmentFile=). */
int backup_environment_check(const char *assignment, char **ret_error);
/* EnvironmentFile= content: NAME=value lines, blank lines and # comments. */
int backup_parse_environment_file(const char *text, size_t size, char ***ret, char **ret_error);
/* The kind of repository: true for anything reached over a network. */
bool backup_source_is_remote(const BackupSource *s);
/* The repository as shown in evidence: credentials (user:password@) removed. */
char *backup_repository_display(const char *repository);
/* Removes, in place, the "user:password@" after every "://" in s. */
void backup_scrub_credentials(char *s);

void backup_observation_done(BackupObservation *o);
void backup_probe_done(BackupProbe *p);
int backup_probe_fail(BackupProbe *p, ProbeOutcome outcome, const char *fmt, ...) _printf_(3, 4);

/* The environment every tool gets: PATH (SearchPath=), HOME (the agent's state), LC_ALL, TZ. */
int backup_tool_env(const BackupSource *s, const CheckContext *ctx, char ***ret);
/* The line of the tool's stderr that says why it failed, one line, credentials removed. */
int backup_tool_message(const char *err, char **ret);
/* Adds the secret to env: PasswordFile= is opened (after checking it is a regular file only
 * root can read) into *ret_fd and named by fd_var=fd_value; PasswordCommand= goes in cmd_var.
 * Returns 1 with p filled when the file is refused. */
int backup_tool_secret(const BackupSource *s, const char *fd_var, const char *fd_value, const char *cmd_var,
                       char ***env, int *ret_fd, BackupProbe *p);
/* Runs the tool and fills p: statuses above ok_status go to classify(), the output to parse(). */
typedef int (*BackupToolClassify)(const BackupSource *s, int status, const char *err, BackupProbe *p);
typedef int (*BackupToolParse)(const char *json, size_t size, BackupObservation *ret, char **ret_error);
int backup_tool_probe(const BackupSource *s, char *const *argv, char *const *env, int secret_fd, int ok_status,
                      BackupToolClassify classify, BackupToolParse parse, BackupProbe *p);
/* json_parse() that also requires an object. */
int backup_parse_object(const char *json, size_t size, json_object **ret, char **ret_error);

/* The newest entry of a JSON array of snapshots/archives, by the RFC 3339 time under
 * keys->time (a time without offset is UTC: see backup_tool_env()). */
typedef struct BackupEntryKeys {
        const char *time, *id, *host, *tags; /* host, tags may be NULL */
} BackupEntryKeys;
int backup_pick_newest(json_object *array, const char *path, const BackupEntryKeys *keys,
                       BackupObservation *ret, char **ret_error);

/* Parsers of the tools' output (also fuzzed). -EBADMSG with a message on bad input. */
int restic_parse_snapshots(const char *json, size_t size, BackupObservation *ret, char **ret_error);
int borg_parse_list(const char *json, size_t size, BackupObservation *ret, char **ret_error);
int timeshift_parse_info(const char *json, size_t size, BackupObservation *ret, char **ret_error);
/* Stamp content: one ISO 8601 / RFC 3339 time (local time when it has no offset). -ENODATA
 * when the content is empty (use the mtime). */
int stamp_parse(const char *text, size_t size, usec_t *ret);
