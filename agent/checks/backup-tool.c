/* SPDX-License-Identifier: MIT */
/* What the tool sources (restic, borg) share: probe bookkeeping, the root-only password
 * file, and running the tool through spawn-util with the source's environment. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup-source.h"
#include "cleanup.h"
#include "fs-util.h"
#include "i18n.h"
#include "json-util.h"
#include "parse-util.h"
#include "spawn-util.h"
#include "time-util.h"

void backup_observation_done(BackupObservation *o) {
        free(o->id);
        free(o->host);
        strv_free(o->tags);
        *o = (BackupObservation) {};
}

void backup_probe_done(BackupProbe *p) {
        backup_observation_done(&p->obs);
        free(p->error);
        *p = (BackupProbe) {};
}

int backup_probe_fail(BackupProbe *p, ProbeOutcome outcome, const char *fmt, ...) {
        va_list ap;
        char *m;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        backup_observation_done(&p->obs);
        free(p->error);
        p->error = m;
        p->outcome = outcome;
        return 0;
}

/* Opens a file holding secrets after checking that only root can read or change it. Returns
 * 1 with p filled when it is refused. */
static int open_secret_file(const char *path, const char *what, int *ret_fd, BackupProbe *p) {
        _cleanup_close_ int fd = -1;
        struct stat st;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0 || fstat(fd, &st) < 0) {
                int e = errno;
                if (backup_probe_fail(p, PROBE_BROKEN, _("cannot open %s \"%s\": %s"), what, path, strerror(e)) < 0)
                        return -ENOMEM;
                return 1;
        }
        if (!S_ISREG(st.st_mode)) {
                if (backup_probe_fail(p, PROBE_BROKEN, _("%s \"%s\" is not a regular file"), what, path) < 0)
                        return -ENOMEM;
                return 1;
        }
        /* A secret others can read, or that someone else can rewrite, is refused outright. */
        if (st.st_uid != geteuid() || (st.st_mode & 077)) {
                if (backup_probe_fail(p, PROBE_BROKEN,
                                      _("%s \"%s\" must be owned by root and readable by root only (it is "
                                        "uid %u, mode %04o): run chown root:root and chmod 600 on it"),
                                      what, path, (unsigned) st.st_uid, (unsigned) (st.st_mode & 07777)) < 0)
                        return -ENOMEM;
                return 1;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int backup_parse_environment_file(const char *text, size_t size, char ***ret, char **ret_error) {
        _cleanup_strv_free_ char **l = NULL;
        unsigned line = 0;

        for (const char *p = text, *end = text + size, *next; p < end; p = next) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);
                _cleanup_free_ char *a = NULL, *err = NULL;
                int r;

                next = nl ? nl + 1 : end;
                line++;
                while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
                        n--;
                if (memchr(p, 0, n))
                        return json_error(ret_error, "line %u: contains a NUL byte", line);
                a = strndup(p, n);
                if (!a)
                        return -ENOMEM;
                if (!a[strspn(a, " \t")] || a[strspn(a, " \t")] == '#')
                        continue;
                r = backup_environment_check(a, &err);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return json_error(ret_error, "line %u: %s", line, err);
                if (strv_push(&l, TAKE_PTR(a)) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* EnvironmentFile=: variables with secrets (cloud storage keys…) for the tool. */
static int read_environment_file(const BackupSource *s, char ***env, BackupProbe *p) {
        _cleanup_close_ int fd = -1;
        _cleanup_erase_free_ char *text = NULL;
        _cleanup_free_ char *err = NULL;
        _cleanup_strv_free_ char **l = NULL;
        size_t size;
        int r;

        r = open_secret_file(s->environment_file, _("environment file"), &fd, p);
        if (r != 0)
                return r;
        r = read_fd_full(fd, 64 * 1024, &text, &size);
        if (r == -ENOMEM)
                return r;
        if (r >= 0)
                r = backup_parse_environment_file(text, size, &l, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                if (backup_probe_fail(p, PROBE_BROKEN, _("environment file \"%s\": %s"), s->environment_file,
                                      err ? err : strerror(-r)) < 0)
                        return -ENOMEM;
                return 1;
        }
        for (char **e = l; e && *e; e++)
                if (strv_extend(env, *e) < 0)
                        return -ENOMEM;
        for (char **e = l; e && *e; e++)
                explicit_bzero(*e, strlen(*e));
        return 0;
}

static void strv_erase_freep(char ***l) {
        for (char **e = *l; e && *e; e++)
                explicit_bzero(*e, strlen(*e));
        strv_freep(l);
}

int backup_tool_secret(const BackupSource *s, const char *fd_var, const char *fd_value, const char *cmd_var,
                       char ***env, int *ret_fd, BackupProbe *p) {
        _cleanup_free_ char *e = NULL;
        int r;

        if (s->password_file) {
                r = open_secret_file(s->password_file, _("password file"), ret_fd, p);
                if (r != 0)
                        return r;
                r = asprintf(&e, "%s=%s", fd_var, fd_value);
        } else if (s->password_command)
                r = asprintf(&e, "%s=%s", cmd_var, s->password_command);
        else
                return 0;
        if (r < 0)
                return -ENOMEM;
        return strv_push(env, TAKE_PTR(e));
}

/* Runs the tool with the source's environment, timeout and secret; fills p with
 * PROBE_BROKEN/UNREACHABLE on failure to start or timeout, in which case it returns 1.
 * Returns 0 when the tool ran (exit status in *ret_status). */
static int run_tool(const BackupSource *s, char *const *argv, char *const *env, int secret_fd,
                    SpawnResult *ret_out, int *ret_status, BackupProbe *p) {
        _cleanup_(strv_erase_freep) char **full = strv_copy(env);
        SpawnOptions o = {
                .argv = argv,
                .path = s->search_path,
                .timeout = s->timeout,
                .pass_fd = secret_fd,
        };
        char tbuf[64];
        int r;

        if (!full)
                return -ENOMEM;
        for (char **e = s->environment; e && *e; e++)
                if (strv_extend(&full, *e) < 0)
                        return -ENOMEM;
        if (s->environment_file) {
                r = read_environment_file(s, &full, p);
                if (r != 0)
                        return r;
        }
        o.env = full;
        r = spawn_run(&o, ret_out);
        if (r == -ENOENT) {
                if (backup_probe_fail(p, PROBE_BROKEN, _("%s is not installed (not found in %s)"),
                                      s->type->tool, s->search_path ? s->search_path : SPAWN_SAFE_PATH) < 0)
                        return -ENOMEM;
                return 1;
        }
        if (r == -ETIMEDOUT) {
                spawn_result_done(ret_out);
                snprintf(tbuf, sizeof(tbuf), "%llu s", (unsigned long long) (s->timeout / USEC_PER_SEC));
                if (backup_probe_fail(p, PROBE_UNREACHABLE, _("%s did not finish within %s and was stopped"),
                                      s->type->tool, tbuf) < 0)
                        return -ENOMEM;
                return 1;
        }
        if (r < 0) {
                if (r == -ENOMEM)
                        return r;
                if (backup_probe_fail(p, PROBE_BROKEN, _("cannot run %s: %s"), s->type->tool, strerror(-r)) < 0)
                        return -ENOMEM;
                return 1;
        }
        *ret_status = r;
        return 0;
}

int backup_tool_env(const BackupSource *s, const CheckContext *ctx, char ***ret) {
        _cleanup_strv_free_ char **env = NULL;
        _cleanup_free_ char *path = NULL, *home = NULL;

        if (asprintf(&path, "PATH=%s", s->search_path ? s->search_path : SPAWN_SAFE_PATH) < 0 ||
            asprintf(&home, "HOME=%s", ctx->state_dir ? ctx->state_dir : "/nonexistent") < 0)
                return -ENOMEM;
        /* Untranslated messages (we classify some of them) and UTC times (borg prints naive
         * local times: with TZ=UTC0 they are UTC, with no DST ambiguity). */
        if (strv_extend(&env, path) < 0 || strv_extend(&env, home) < 0 ||
            strv_extend(&env, "LC_ALL=C.UTF-8") < 0 || strv_extend(&env, "TZ=UTC0") < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(env);
        return 0;
}

int backup_tool_message(const char *err, char **ret) {
        _cleanup_free_ char *line = NULL;
        const char *best = NULL, *p = err ? err : "";
        size_t best_n = 0;

        /* The tools end with the reason; restic prefixes it with "Fatal:". */
        while (*p) {
                size_t n = strcspn(p, "\n");
                if (n > 0 && (!best || strncmp(best, "Fatal:", 6) != 0 || strncmp(p, "Fatal:", 6) == 0)) {
                        best = p;
                        best_n = n;
                }
                p += n + (p[n] == '\n');
        }
        line = strndup(best ? best : "", MIN(best_n, (size_t) 400));
        if (!line)
                return -ENOMEM;
        for (char *c = line; *c; c++)
                if ((unsigned char) *c < ' ')
                        *c = ' ';
        /* Never repeat credentials a URL may hold, however the tool spelled the repository. */
        backup_scrub_credentials(line);
        *ret = TAKE_PTR(line);
        return 0;
}

int backup_pick_newest(json_object *array, const char *path, const BackupEntryKeys *k,
                       BackupObservation *ret, char **ret_error) {
        _cleanup_(backup_observation_done) BackupObservation best = {};
        size_t n;
        int r;

        if (!json_object_is_type(array, json_type_array))
                return json_error(ret_error, "%s: expected array, got %s", path, json_type_label(array));
        n = json_object_array_length(array);
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(array, i);
                _cleanup_free_ char *where = NULL;
                const char *t, *id = NULL, *host = NULL;
                _cleanup_strv_free_ char **tags = NULL;
                usec_t when;

                if (asprintf(&where, "%s[%zu]", path, i) < 0)
                        return -ENOMEM;
                if (!json_object_is_type(e, json_type_object))
                        return json_error(ret_error, "%s: expected object, got %s", where, json_type_label(e));
                r = json_get_string(e, where, k->time, &t, ret_error);
                if (r == -ENOENT)
                        return json_error(ret_error, "%s.%s: missing", where, k->time);
                if (r < 0)
                        return -EBADMSG;
                if (parse_rfc3339(t, false, &when) < 0)
                        return json_error(ret_error, "%s.%s: \"%.40s\" is not a date and time", where, k->time, t);
                if ((r = json_get_string(e, where, k->id, &id, ret_error)) < 0 && r != -ENOENT)
                        return -EBADMSG;
                if (k->host && (r = json_get_string(e, where, k->host, &host, ret_error)) < 0 && r != -ENOENT)
                        return -EBADMSG;
                if (k->tags && (r = json_get_strv(e, where, k->tags, &tags, ret_error)) < 0 && r != -ENOENT)
                        return r == -ENOMEM ? r : -EBADMSG;
                if (when <= best.time)
                        continue;
                backup_observation_done(&best);
                best.time = when;
                if ((id && !(best.id = strdup(id))) || (host && !(best.host = strdup(host))))
                        return -ENOMEM;
                best.tags = TAKE_PTR(tags);
        }
        *ret = best;
        best = (BackupObservation) {};
        return 0;
}

int backup_tool_probe(const BackupSource *s, char *const *argv, char *const *env, int secret_fd, int ok_status,
                      BackupToolClassify classify, BackupToolParse parse, BackupProbe *p) {
        _cleanup_(spawn_result_done) SpawnResult out = {};
        _cleanup_free_ char *perr = NULL;
        int status = 0, r;

        r = run_tool(s, argv, env, secret_fd, &out, &status, p);
        if (r != 0)
                return r < 0 ? r : 0;
        if (status > ok_status)
                return classify(s, status, out.err, p);
        r = parse(out.out, out.out_size, &p->obs, &perr);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return backup_probe_fail(p, PROBE_BROKEN, _("%s printed output Vigie does not understand: %s"),
                                         s->type->tool, strnull(perr));
        p->outcome = PROBE_OK;
        return 0;
}

int backup_parse_object(const char *json, size_t size, json_object **ret, char **ret_error) {
        json_object *j;
        int r = json_parse(json, size, &j, ret_error);
        if (r < 0)
                return r;
        if (!json_object_is_type(j, json_type_object)) {
                r = json_error(ret_error, "expected an object, got %s", json_type_label(j));
                json_object_put(j);
                return r;
        }
        *ret = j;
        return 0;
}
