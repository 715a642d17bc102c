/* SPDX-License-Identifier: MIT */
/* borg: `borg --log-json list --json --last 1 --bypass-lock [--glob-archives G]` with the
 * repository in BORG_REPO. The passphrase comes from PasswordFile= through
 * BORG_PASSPHRASE_FD=3 (borg reads the fd; nothing on a command line or in the environment),
 * or PasswordCommand= through BORG_PASSCOMMAND, which borg splits itself and runs without a
 * shell. BORG_BASE_DIR lives in the agent's state; relocated or unknown unencrypted
 * repositories are refused rather than trusted on first use. borg prints archive times as
 * naive local times: the tool runs with TZ=UTC0, so they are UTC. --log-json makes its
 * errors machine-readable (msgid). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup-source.h"
#include "cleanup.h"
#include "fs-util.h"
#include "i18n.h"
#include "json-util.h"
#include "parse-util.h"

int borg_parse_list(const char *json, size_t size, BackupObservation *ret, char **ret_error) {
        _cleanup_json_ json_object *j = NULL;
        static const BackupEntryKeys keys = { .time = "start", .id = "name" };
        json_object *archives;
        int r;

        r = backup_parse_object(json, size, &j, ret_error);
        if (r < 0)
                return r;
        if (!json_object_object_get_ex(j, "archives", &archives))
                return json_error(ret_error, "archives: missing");
        return backup_pick_newest(archives, "archives", &keys, ret, ret_error);
}

static int validate(const BackupSource *s, char **ret_error) {
        if (!s->repository)
                return json_error(ret_error, "Repository= is required for Type=borg");
        if (s->password_file && s->password_command)
                return json_error(ret_error, "PasswordFile= and PasswordCommand= exclude each other");
        return 0;
}

/* The last error borg logged: its msgid and message (borg --log-json, one object a line). */
static int last_error(const char *err, char **ret_msgid, char **ret_message) {
        _cleanup_free_ char *msgid = NULL, *message = NULL;

        for (const char *p = err ? err : ""; *p;) {
                size_t n = strcspn(p, "\n");
                _cleanup_json_ json_object *j = NULL;
                const char *level, *id, *m;

                if (*p == '{' && json_parse(p, n, &j, NULL) >= 0 &&
                    json_get_string(j, NULL, "levelname", &level, NULL) >= 0 &&
                    (streq(level, "ERROR") || streq(level, "CRITICAL")) &&
                    json_get_string(j, NULL, "message", &m, NULL) >= 0) {
                        free(msgid);
                        free(message);
                        msgid = json_get_string(j, NULL, "msgid", &id, NULL) >= 0 ? strdup(id) : strdup("");
                        message = strdup(m);
                        if (!msgid || !message)
                                return -ENOMEM;
                }
                p += n + (p[n] == '\n');
        }
        if (!msgid && !(msgid = strdup("")))
                return -ENOMEM;
        *ret_msgid = TAKE_PTR(msgid);
        *ret_message = TAKE_PTR(message);
        return 0;
}

static int classify(const BackupSource *s, int status, const char *err, BackupProbe *p) {
        _cleanup_free_ char *display = backup_repository_display(s->repository), *msgid = NULL,
                           *message = NULL, *line = NULL;

        /* borg's own error message when it logged one, cleaned like any tool line */
        if (!display || last_error(err, &msgid, &message) < 0 ||
            backup_tool_message(message ? message : err, &line) < 0)
                return -ENOMEM;
        if (streq(msgid, "PassphraseWrong"))
                return backup_probe_fail(p, PROBE_UNREACHABLE, _("wrong passphrase for repository %s"), display);
        if (streq(msgid, "Repository.DoesNotExist") || streq(msgid, "Repository.InvalidRepository"))
                return backup_probe_fail(p, PROBE_UNREACHABLE,
                                         _("repository %s not found (deleted, offline, or its drive is not mounted)"), display);
        if (startswith_str(msgid, "Lock"))
                return backup_probe_fail(p, PROBE_UNREACHABLE, _("repository %s is locked: %s"), display, line);
        if (streq(msgid, "NoPassphraseFailure"))
                return backup_probe_fail(p, PROBE_BROKEN,
                                         _("repository %s needs a passphrase: set PasswordFile= or PasswordCommand="), display);
        if (streq(msgid, "Cache.CacheInitAbortedError") || streq(msgid, "Cache.RepositoryAccessAborted"))
                return backup_probe_fail(p, PROBE_BROKEN,
                                         _("borg refused repository %s: it is unencrypted or was relocated "
                                           "(Vigie does not trust such repositories on first use)"), display);
        return backup_probe_fail(p, PROBE_UNREACHABLE, _("repository %s unreachable: borg exited with status %d: %s"),
                                 display, status, line);
}

static int probe(const BackupSource *s, const CheckContext *ctx, BackupProbe *p) {
        _cleanup_strv_free_ char **argv = NULL, **env = NULL;
        _cleanup_free_ char *base = NULL, *e_base = NULL, *e_repo = NULL;
        _cleanup_close_ int secret = -1;
        int r;

        r = backup_tool_env(s, ctx, &env);
        if (r < 0)
                return r;
        if (ctx->state_dir) {
                base = path_join(ctx->state_dir, "cache/borg");
                if (!base)
                        return -ENOMEM;
                (void) mkdir_p(base, 0700);
        }
        if (asprintf(&e_base, "BORG_BASE_DIR=%s", base ? base : "/nonexistent") < 0 ||
            asprintf(&e_repo, "BORG_REPO=%s", s->repository) < 0)
                return -ENOMEM;
        r = backup_tool_secret(s, "BORG_PASSPHRASE_FD", "3", "BORG_PASSCOMMAND", &env, &secret, p);
        if (r != 0)
                return r < 0 ? r : 0;
        if (strv_extend(&env, e_base) < 0 || strv_extend(&env, e_repo) < 0 ||
            strv_extend(&env, "BORG_RELOCATED_REPO_ACCESS_IS_OK=no") < 0 ||
            strv_extend(&env, "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=no") < 0)
                return -ENOMEM;

        if (strv_extend(&argv, "borg") < 0 || strv_extend(&argv, "--log-json") < 0 ||
            strv_extend(&argv, "list") < 0 || strv_extend(&argv, "--json") < 0 ||
            strv_extend(&argv, "--last") < 0 || strv_extend(&argv, "1") < 0 ||
            strv_extend(&argv, "--bypass-lock") < 0)
                return -ENOMEM;
        if (s->glob_archives &&
            (strv_extend(&argv, "--glob-archives") < 0 || strv_extend(&argv, s->glob_archives) < 0))
                return -ENOMEM;

        /* 1 is a warning; the listing is still complete. */
        return backup_tool_probe(s, argv, env, secret, 1, classify, borg_parse_list, p);
}

static const char *const keys[] = {
        "Repository", "PasswordFile", "PasswordCommand", "GlobArchives", "Remote", "ProbeInterval",
        "SearchPath", "Environment", "EnvironmentFile", NULL,
};

const BackupSourceType backup_borg = {
        .name = "borg",
        .tool = "borg",
        .keys = keys,
        .validate = validate,
        .probe = probe,
};
