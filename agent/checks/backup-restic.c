/* SPDX-License-Identifier: MIT */
/* restic: `restic snapshots --json --latest 1 --no-lock [--host H] [--tag T]…`.
 * The repository goes in RESTIC_REPOSITORY (not argv, which every user can read in /proc),
 * the password through RESTIC_PASSWORD_FILE=/dev/fd/3 (an fd we opened after checking the
 * file is root-only) or RESTIC_PASSWORD_COMMAND. --no-lock: a backup running at the same
 * time holds the lock, and listing needs none. --latest 1 keeps one snapshot per host and
 * path set, so the newest of what it prints wins. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backup-source.h"
#include "cleanup.h"
#include "fs-util.h"
#include "i18n.h"
#include "json-util.h"
#include "parse-util.h"

/* Exit codes of restic ≥ 0.17; older versions (Debian 12 ships 0.14) exit 1 and say why on
 * stderr, so both are recognised. */
#define RESTIC_EXIT_NO_REPOSITORY 10
#define RESTIC_EXIT_LOCKED 11
#define RESTIC_EXIT_WRONG_PASSWORD 12

int restic_parse_snapshots(const char *json, size_t size, BackupObservation *ret, char **ret_error) {
        _cleanup_json_ json_object *j = NULL;
        static const BackupEntryKeys keys = { .time = "time", .id = "id", .host = "hostname", .tags = "tags" };
        int r;

        r = json_parse(json, size, &j, ret_error);
        if (r < 0)
                return r;
        return backup_pick_newest(j, "snapshots", &keys, ret, ret_error);
}

static int validate(const BackupSource *s, char **ret_error) {
        if (!s->repository)
                return json_error(ret_error, "Repository= is required for Type=restic");
        if (!s->password_file == !s->password_command)
                return json_error(ret_error, "exactly one of PasswordFile= and PasswordCommand= is required for Type=restic");
        return 0;
}

static int add_env(char ***env, const char *name, const char *value) {
        _cleanup_free_ char *e = NULL;
        if (asprintf(&e, "%s=%s", name, value) < 0)
                return -ENOMEM;
        return strv_push(env, TAKE_PTR(e));
}

static int classify(const BackupSource *s, int status, const char *err, BackupProbe *p) {
        _cleanup_free_ char *msg = NULL, *display = backup_repository_display(s->repository);

        if (!display || backup_tool_message(err, &msg) < 0)
                return -ENOMEM;
        if (status == RESTIC_EXIT_WRONG_PASSWORD || strstr(err, "wrong password"))
                return backup_probe_fail(p, PROBE_UNREACHABLE,
                                         _("wrong password for repository %s"), display);
        if (status == RESTIC_EXIT_NO_REPOSITORY || strstr(err, "Is there a repository at the following location?"))
                return backup_probe_fail(p, PROBE_UNREACHABLE,
                                         _("repository %s not found (deleted, offline, or its drive is not mounted)"), display);
        if (status == RESTIC_EXIT_LOCKED || strstr(err, "unable to create lock"))
                return backup_probe_fail(p, PROBE_UNREACHABLE, _("repository %s is locked: %s"), display, msg);
        return backup_probe_fail(p, PROBE_UNREACHABLE, _("repository %s unreachable: restic exited with status %d: %s"),
                                 display, status, msg);
}

static int probe(const BackupSource *s, const CheckContext *ctx, BackupProbe *p) {
        _cleanup_strv_free_ char **argv = NULL, **env = NULL;
        _cleanup_free_ char *cache = NULL;
        _cleanup_close_ int secret = -1;
        int r;

        r = backup_tool_env(s, ctx, &env);
        if (r < 0)
                return r;
        if (add_env(&env, "RESTIC_REPOSITORY", s->repository) < 0)
                return -ENOMEM;
        r = backup_tool_secret(s, "RESTIC_PASSWORD_FILE", "/dev/fd/3", "RESTIC_PASSWORD_COMMAND", &env, &secret, p);
        if (r != 0)
                return r < 0 ? r : 0;

        if (strv_extend(&argv, "restic") < 0 || strv_extend(&argv, "snapshots") < 0 ||
            strv_extend(&argv, "--json") < 0 || strv_extend(&argv, "--latest") < 0 ||
            strv_extend(&argv, "1") < 0 || strv_extend(&argv, "--no-lock") < 0)
                return -ENOMEM;
        if (s->host && (strv_extend(&argv, "--host") < 0 || strv_extend(&argv, s->host) < 0))
                return -ENOMEM;
        for (char **t = s->tags; t && *t; t++)
                if (strv_extend(&argv, "--tag") < 0 || strv_extend(&argv, *t) < 0)
                        return -ENOMEM;
        if (s->cache_dir)
                cache = strdup(s->cache_dir);
        else if (ctx->state_dir)
                cache = path_join(ctx->state_dir, "cache/restic");
        if ((s->cache_dir || ctx->state_dir) && !cache)
                return -ENOMEM;
        /* The cache makes remote listings fast; without a place for it, none at all. */
        if (cache && mkdir_p(cache, 0700) >= 0)
                r = strv_extend(&argv, "--cache-dir") < 0 ? -ENOMEM : strv_extend(&argv, cache);
        else
                r = strv_extend(&argv, "--no-cache");
        if (r < 0)
                return -ENOMEM;

        return backup_tool_probe(s, argv, env, secret, 0, classify, restic_parse_snapshots, p);
}

static const char *const keys[] = {
        "Repository", "PasswordFile", "PasswordCommand", "Host", "Tag", "CacheDirectory",
        "Remote", "ProbeInterval", "SearchPath", "Environment", "EnvironmentFile", NULL,
};

const BackupSourceType backup_restic = {
        .name = "restic",
        .tool = "restic",
        .keys = keys,
        .validate = validate,
        .probe = probe,
};
