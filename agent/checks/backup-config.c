/* SPDX-License-Identifier: MIT */
/* [Backup "NAME"] sections of agent.conf → BackupSource, validated when the configuration is
 * loaded so that `vigie check` stops at a bad line with FILE:LINE (docs/backup.md). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup-source.h"
#include "cleanup.h"
#include "error-util.h"
#include "json-util.h"
#include "parse-util.h"

#define DEFAULT_TOOL_TIMEOUT (5 * USEC_PER_MINUTE)
#define DEFAULT_BUS_TIMEOUT (10 * USEC_PER_SEC)

static const BackupSourceType *const source_types[] = {
        &backup_restic, &backup_borg, &backup_timeshift, &backup_systemd, &backup_stamp,
};

/* Keys every type accepts. */
static const char *const common_keys[] = { "Type", "Timeout", NULL };

typedef struct KeyContext {
        const ConfigSection *section;
        const char *key, *value;
        unsigned line;
        char **error;
} KeyContext;

static int key_error(const KeyContext *k, const char *fmt, ...) _printf_(2, 3);
static int key_error(const KeyContext *k, const char *fmt, ...) {
        _cleanup_free_ char *m = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&m, fmt, ap) < 0)
                m = NULL;
        va_end(ap);
        if (k->error && asprintf(k->error, "%s:%u: [Backup \"%s\"] %s=\"%s\": %s", k->section->file,
                                 k->line, k->section->name, k->key, k->value, strempty(m)) < 0)
                *k->error = NULL;
        return -EINVAL;
}

static bool keys_contain(const char *const *keys, const char *key) {
        for (; keys && *keys; keys++)
                if (streq(*keys, key))
                        return true;
        return false;
}

static int set_string(char **field, const char *value) {
        char *c = strdup(value);
        if (!c)
                return -ENOMEM;
        free(*field);
        *field = c;
        return 0;
}

static int parse_abs_path(const KeyContext *k, char **field) {
        if (k->value[0] != '/' || string_has_cc(k->value))
                return key_error(k, "expected an absolute path");
        return set_string(field, k->value);
}

static int parse_text(const KeyContext *k, char **field) {
        if (!*k->value || string_has_cc(k->value))
                return key_error(k, "expected a non-empty value");
        return set_string(field, k->value);
}

static bool env_name_valid(const char *s, size_t n) {
        if (n == 0 || isdigit((unsigned char) s[0]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && s[i] != '_')
                        return false;
        return true;
}

/* Variables the source sets itself, that Environment= must not override. */
static const char *const reserved_env[] = {
        "PATH", "HOME", "LANG", "LC_ALL", "TZ", "RESTIC_REPOSITORY", "RESTIC_PASSWORD",
        "RESTIC_PASSWORD_FILE", "RESTIC_PASSWORD_COMMAND", "RESTIC_CACHE_DIR", "BORG_REPO",
        "BORG_PASSPHRASE", "BORG_PASSPHRASE_FD", "BORG_PASSCOMMAND", "BORG_BASE_DIR",
        "BORG_RELOCATED_REPO_ACCESS_IS_OK", "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK", NULL,
};

int backup_environment_check(const char *assignment, char **ret_error) {
        const char *eq = strchr(assignment, '=');
        _cleanup_free_ char *name = NULL;

        if (!eq || !env_name_valid(assignment, (size_t) (eq - assignment)) || string_has_cc(assignment))
                return json_error(ret_error, "expected NAME=value");
        name = strndup(assignment, (size_t) (eq - assignment));
        if (!name)
                return -ENOMEM;
        if (keys_contain(reserved_env, name))
                return json_error(ret_error, "%s is set by Vigie itself; use the dedicated key", name);
        return 0;
}

static int parse_key(BackupSource *s, const KeyContext *k) {
        const char *key = k->key, *v = k->value;
        int r;

        if (streq(key, "Type"))
                return 0; /* done first */
        if (streq(key, "Repository")) {
                if (v[0] != '/' && !strchr(v, ':'))
                        return key_error(k, "expected an absolute path or a repository URL");
                return parse_text(k, &s->repository);
        }
        if (streq(key, "PasswordFile"))
                return parse_abs_path(k, &s->password_file);
        if (streq(key, "PasswordCommand"))
                return parse_text(k, &s->password_command);
        if (streq(key, "Host"))
                return parse_text(k, &s->host);
        if (streq(key, "Tag")) {
                if (!*v || string_has_cc(v))
                        return key_error(k, "expected a non-empty tag");
                return strv_extend(&s->tags, v);
        }
        if (streq(key, "GlobArchives"))
                return parse_text(k, &s->glob_archives);
        if (streq(key, "CacheDirectory"))
                return parse_abs_path(k, &s->cache_dir);
        if (streq(key, "Remote")) {
                bool b;
                if (streq(v, "auto"))
                        s->remote = -1;
                else if (parse_boolean(v, &b) >= 0)
                        s->remote = b;
                else
                        return key_error(k, "expected auto, yes or no");
                return 0;
        }
        if (streq(key, "ProbeInterval") || streq(key, "Timeout")) {
                usec_t t;
                r = parse_duration(v, &t);
                if (r < 0 || (t == 0 && streq(key, "Timeout")))
                        return key_error(k, "expected a duration such as 90s, 15min, 6h or 1d");
                if (streq(key, "Timeout"))
                        s->timeout = t;
                else
                        s->probe_interval = t;
                return 0;
        }
        if (streq(key, "SearchPath")) {
                for (const char *p = v; *p;) {
                        size_t n = strcspn(p, ":");
                        if (p[0] != '/')
                                return key_error(k, "expected absolute directories separated by \":\"");
                        p += n + (p[n] == ':');
                }
                return parse_text(k, &s->search_path);
        }
        if (streq(key, "Environment")) {
                _cleanup_free_ char *m = NULL;
                r = backup_environment_check(v, &m);
                if (r == -EINVAL)
                        return key_error(k, "%s", m);
                return r < 0 ? r : strv_extend(&s->environment, v);
        }
        if (streq(key, "EnvironmentFile"))
                return parse_abs_path(k, &s->environment_file);
        if (streq(key, "Unit")) {
                size_t n = strlen(v);
                if (n < 9 || n > 255 || !streq(v + n - 8, ".service") || strchr(v, '/') ||
                    string_has_cc(v))
                        return key_error(k, "expected a service unit name such as restic-backup.service");
                return set_string(&s->unit, v);
        }
        if (streq(key, "Path"))
                return parse_abs_path(k, &s->path);
        if (streq(key, "Format")) {
                if (streq(v, "auto"))
                        s->stamp_format = STAMP_AUTO;
                else if (streq(v, "mtime"))
                        s->stamp_format = STAMP_MTIME;
                else if (streq(v, "content"))
                        s->stamp_format = STAMP_CONTENT;
                else
                        return key_error(k, "expected auto, mtime or content");
                return 0;
        }
        if (streq(key, "Mount"))
                return parse_abs_path(k, &s->mount);
        if (streq(key, "Mode")) {
                if (streq(v, "rsync"))
                        s->mode = TIMESHIFT_RSYNC;
                else if (streq(v, "btrfs"))
                        s->mode = TIMESHIFT_BTRFS;
                else
                        return key_error(k, "expected rsync or btrfs");
                return 0;
        }
        return key_error(k, "unknown key");
}

static void backup_source_done(BackupSource *s) {
        free(s->name);
        free(s->file);
        free(s->repository);
        free(s->password_file);
        free(s->password_command);
        free(s->host);
        strv_free(s->tags);
        free(s->glob_archives);
        free(s->cache_dir);
        free(s->search_path);
        strv_free(s->environment);
        free(s->environment_file);
        free(s->unit);
        free(s->path);
        free(s->mount);
}

void backup_sources_free(BackupSource *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                backup_source_done(&s[i]);
        free(s);
}

static char *type_names(void) {
        char *l[ELEMENTSOF(source_types) + 1] = {};
        for (size_t i = 0; i < ELEMENTSOF(source_types); i++)
                l[i] = (char *) source_types[i]->name;
        return strv_join(l, ", ");
}

static int source_from_section(const ConfigSection *sec, BackupSource *s, char **ret_error) {
        const char *type;
        unsigned line = sec->line;
        KeyContext k = { .section = sec, .error = ret_error };
        int r;

        *s = (BackupSource) { .remote = -1, .probe_interval = USEC_INFINITY, .line = sec->line };
        s->name = strdup(sec->name);
        s->file = strdup(sec->file);
        if (!s->name || !s->file)
                return -ENOMEM;
        if (!*sec->name || string_has_cc(sec->name) || strlen(sec->name) > 64)
                return error_set(ret_error, -EINVAL, "%s:%u: [Backup \"%s\"]: the name must be 1 to 64 printable characters",
                             sec->file, sec->line, sec->name);
        type = config_section_get(sec, "Type", &line);
        if (!type) {
                _cleanup_free_ char *names = type_names();
                return error_set(ret_error, -EINVAL, "%s:%u: [Backup \"%s\"] has no Type= (one of %s)", sec->file,
                             sec->line, sec->name, strnull(names));
        }
        for (size_t i = 0; i < ELEMENTSOF(source_types); i++)
                if (streq(type, source_types[i]->name))
                        s->type = source_types[i];
        if (!s->type) {
                _cleanup_free_ char *names = type_names();
                k.key = "Type", k.value = type, k.line = line;
                return key_error(&k, "unknown source type; expected one of %s", strnull(names));
        }
        s->timeout = s->type->tool ? DEFAULT_TOOL_TIMEOUT : DEFAULT_BUS_TIMEOUT;
        for (size_t i = 0; sec->keys && sec->keys[i]; i++) {
                k.key = sec->keys[i], k.value = sec->values[i], k.line = sec->lines[i];
                if (!keys_contain(common_keys, k.key) && !keys_contain(s->type->keys, k.key)) {
                        _cleanup_free_ char *known = strv_join((char **) s->type->keys, ", ");
                        return key_error(&k, "not a key of Type=%s (known: Type, Timeout, %s)",
                                         s->type->name, strnull(known));
                }
                r = parse_key(s, &k);
                if (r < 0)
                        return r;
        }
        if (s->type->validate) {
                _cleanup_free_ char *m = NULL;
                r = s->type->validate(s, &m);
                if (r < 0) {
                        if (r != -ENOMEM &&
                            asprintf(ret_error, "%s:%u: [Backup \"%s\"]: %s", sec->file, sec->line,
                                     sec->name, strempty(m)) < 0)
                                *ret_error = NULL;
                        return r;
                }
        }
        return 0;
}

int backup_sources_from_config(const ConfigSection *sections, size_t n_sections, BackupSource **ret,
                               size_t *ret_n, char **ret_error) {
        BackupSource *l = NULL;
        size_t n = 0;
        int r;

        for (size_t i = 0; i < n_sections; i++) {
                const ConfigSection *sec = &sections[i];
                BackupSource *nl;

                if (!streq(sec->kind, "Backup"))
                        continue;
                nl = realloc(l, sizeof(BackupSource) * (n + 1));
                if (!nl) {
                        backup_sources_free(l, n);
                        return -ENOMEM;
                }
                l = nl;
                r = source_from_section(sec, &l[n++], ret_error);
                if (r < 0) {
                        backup_sources_free(l, n);
                        return r;
                }
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

int backup_config_validate(const ConfigSection *sections, size_t n_sections, char **ret_error) {
        BackupSource *l = NULL;
        size_t n = 0;
        int r = backup_sources_from_config(sections, n_sections, &l, &n, ret_error);

        if (r >= 0)
                backup_sources_free(l, n);
        return r;
}

bool backup_source_is_remote(const BackupSource *s) {
        const char *r = s->repository;

        if (s->remote >= 0)
                return s->remote;
        if (!r)
                return false;
        /* restic "local:/path", borg "file:///path", or a plain absolute path. */
        return !(r[0] == '/' || startswith_str(r, "local:") || startswith_str(r, "file://"));
}

void backup_scrub_credentials(char *s) {
        for (char *c = s; (c = strstr(c, "://"));) {
                char *auth = c + 3, *at = memchr(auth, '@', strcspn(auth, "/ \"'"));
                /* "rest:https://user:secret@host/" → "rest:https://host/" */
                if (at)
                        memmove(auth, at + 1, strlen(at + 1) + 1);
                c = auth;
        }
}

char *backup_repository_display(const char *repository) {
        char *d = repository ? strdup(repository) : NULL;
        if (d)
                backup_scrub_credentials(d);
        return d;
}
