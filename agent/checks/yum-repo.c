/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "error-util.h"
#include "fs-util.h"
#include "hash-util.h"
#include "macro.h"
#include "parse-util.h"
#include "yum-repo.h"

#define GLOBS_MAX 4096

void yum_repos_done(YumRepos *r) {
        for (size_t i = 0; i < r->n_repos; i++) {
                free(r->repos[i].id);
                strv_free(r->repos[i].excludes);
                free(r->repos[i].metalink);
                free(r->repos[i].mirrorlist);
                free(r->repos[i].baseurl);
        }
        free(r->repos);
        strv_free(r->main_excludes);
        *r = (YumRepos) {};
}

static bool is_space(char c) {
        return c == ' ' || c == '\t' || c == '\r';
}

/* libdnf's boolean: 1/yes/true/on, 0/no/false/off. */
int yum_parse_bool(const char *v, bool *ret) {
        static const char *const yes[] = { "1", "yes", "true", "on" }, *const no[] = { "0", "no", "false", "off" };
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(v, yes[i]) == 0)
                        return *ret = true, 0;
                if (strcasecmp(v, no[i]) == 0)
                        return *ret = false, 0;
        }
        return -EINVAL;
}

/* Appends the space or comma separated globs of v; an empty value resets, as in libdnf. */
static int add_globs(char ***l, const char *v) {
        size_t n = 0;

        if (!*v) {
                *l = strv_free(*l);
                return 0;
        }
        while (*l && (*l)[n])
                n++;
        for (const char *p = v; *p;) {
                size_t len = strcspn(p, " \t,");
                if (len > 0) {
                        if (n >= GLOBS_MAX)
                                return -E2BIG;
                        char **nl = reallocarray(*l, n + 2, sizeof(char *));
                        if (!nl)
                                return -ENOMEM;
                        *l = nl;
                        if (!(nl[n] = strndup(p, len)))
                                return -ENOMEM;
                        nl[++n] = NULL;
                }
                p += len;
                p += strspn(p, " \t,");
        }
        return 0;
}

static YumRepo *repo_section(YumRepos *r, const char *id) {
        for (size_t i = 0; i < r->n_repos; i++)
                if (streq(r->repos[i].id, id)) {
                        YumRepo *o = &r->repos[i];
                        o->excludes = strv_free(o->excludes);
                        free(o->metalink);
                        free(o->mirrorlist);
                        free(o->baseurl);
                        o->metalink = o->mirrorlist = o->baseurl = NULL;
                        o->enabled = true;
                        o->module_hotfixes = false;
                        return o;
                }
        if (r->n_repos >= YUM_REPOS_MAX)
                return NULL;
        YumRepo *n = reallocarray(r->repos, r->n_repos + 1, sizeof(YumRepo));
        if (!n)
                return NULL;
        r->repos = n;
        n[r->n_repos] = (YumRepo) { .id = strdup(id), .enabled = true };
        if (!n[r->n_repos].id)
                return NULL;
        return &n[r->n_repos++];
}

/* dnf's repo_id_invalid(). */
static bool repo_id_valid(const char *id) {
        return *id && strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:") == strlen(id);
}

/* libdnf's IniParser drops one pair of matching quotes around a value. */
static char *unquote(char *v) {
        size_t l = strlen(v);
        if (l > 1 && v[0] == v[l - 1] && (v[0] == '"' || v[0] == '\''))
                v[l - 1] = 0, v++;
        return v;
}

/* A URL option: only its first URL counts (OptionStringList splits at " ,\n"). */
static int set_url(char **field, const char *v, bool list) {
        free(*field);
        *field = list ? strndup(v, strcspn(v, " ,")) : strdup(v);
        return *field ? 0 : -ENOMEM;
}

int yum_repos_parse(YumRepos *r, const char *text, size_t size, const char *name, bool is_main,
                    const DnfVars *vars, char **ret_error) {
        _cleanup_free_ char *buf = strndup(text, size);
        YumRepo *cur = NULL;
        bool in_main = false, skip = false;
        unsigned line = 0;
        int k;

        if (!buf)
                return -ENOMEM;
        if (strlen(buf) != size)
                return error_set(ret_error, -EBADMSG, "%s: contains a NUL byte", name);
        for (char *p = buf, *nl; p; p = nl) {
                nl = strchr(p, '\n');
                if (nl)
                        *nl++ = 0;
                line++;
                /* Continuation lines extend the previous value: only baseurl and the like,
                 * which are not read here; excludes on them are taken as more globs. */
                bool cont = is_space(*p);
                while (is_space(*p))
                        p++;
                size_t len = strlen(p);
                while (len > 0 && is_space(p[len - 1]))
                        p[--len] = 0;
                if (!*p || *p == '#' || *p == ';')
                        continue;
                if (*p == '[') {
                        if (p[len - 1] != ']' || len < 3)
                                return error_set(ret_error, -EBADMSG, "%s:%u: bad section header \"%s\"", name,
                                                 line, p);
                        _cleanup_free_ char *id = NULL;
                        p[len - 1] = 0;
                        p++;
                        in_main = streq(p, "main");
                        cur = NULL;
                        skip = false;
                        if (!is_main && !in_main) {
                                k = vars ? dnf_vars_substitute(vars, p, &id) : (id = strdup(p)) ? 0 : -ENOMEM;
                                if (k < 0 || !repo_id_valid(id)) {
                                        if (k == -ENOMEM)
                                                return k;
                                        skip = true; /* dnf warns and skips it */
                                        continue;
                                }
                                cur = repo_section(r, id);
                                if (!cur)
                                        return r->n_repos >= YUM_REPOS_MAX
                                                       ? error_set(ret_error, -E2BIG, "%s:%u: more than %u repositories",
                                                                   name, line, YUM_REPOS_MAX)
                                                       : -ENOMEM;
                        }
                        continue;
                }
                char *eq = strchr(p, '=');
                if (!eq) {
                        if (cont || skip)
                                continue;
                        return error_set(ret_error, -EBADMSG, "%s:%u: expected KEY=VALUE, got \"%s\"", name, line, p);
                }
                char *key = p, *v = eq + 1, *ke = eq;
                while (ke > key && is_space(ke[-1]))
                        ke--;
                *ke = 0;
                while (is_space(*v))
                        v++;
                char ***globs = is_main && in_main ? &r->main_excludes : cur ? &cur->excludes : NULL;
                if (!globs || cont)
                        continue;
                _cleanup_free_ char *value = NULL;
                k = vars ? dnf_vars_substitute(vars, unquote(v), &value) : (value = strdup(unquote(v))) ? 0 : -ENOMEM;
                if (k == -E2BIG)
                        return error_set(ret_error, k, "%s:%u: the value of \"%s\" is too long", name, line, key);
                if (k < 0)
                        return k;
                v = value;
                if (cur && (streq(key, "metalink") || streq(key, "mirrorlist") || streq(key, "baseurl"))) {
                        k = set_url(streq(key, "metalink") ? &cur->metalink : streq(key, "mirrorlist") ? &cur->mirrorlist : &cur->baseurl, v, streq(key, "baseurl"));
                        if (k < 0)
                                return k;
                } else if (streq(key, "exclude") || streq(key, "excludepkgs")) {
                        k = add_globs(globs, v);
                        if (k == -E2BIG)
                                return error_set(ret_error, k, "%s:%u: too many exclude globs", name, line);
                        if (k < 0)
                                return k;
                } else if (cur && streq(key, "enabled") && yum_parse_bool(v, &cur->enabled) < 0)
                        return error_set(ret_error, -EBADMSG, "%s:%u: enabled=\"%s\" is not a boolean", name, line, v);
                else if (cur && streq(key, "module_hotfixes") && yum_parse_bool(v, &cur->module_hotfixes) < 0)
                        return error_set(ret_error, -EBADMSG, "%s:%u: module_hotfixes=\"%s\" is not a boolean", name,
                                         line, v);
                else if (!cur && (streq(key, "obsoletes") || streq(key, "plugins"))) {
                        bool b;
                        if (yum_parse_bool(v, &b) < 0)
                                return error_set(ret_error, -EBADMSG, "%s:%u: %s=\"%s\" is not a boolean", name, line,
                                                 key, v);
                        *(streq(key, "plugins") ? &r->no_plugins : &r->no_obsoletes) = !b;
                }
        }
        return 0;
}

static int load_file(int root_fd, YumRepos *r, const char *path, bool is_main, const DnfVars *vars,
                     char **ret_error) {
        _cleanup_free_ char *text = NULL;
        size_t size;
        int k = root_read_file(root_fd, path, YUM_REPO_FILE_MAX, &text, &size);

        if (k == -ENOENT)
                return 0;
        if (k < 0)
                return error_set(ret_error, k, "cannot read \"%s\": %s", path, strerror(-k));
        return yum_repos_parse(r, text, size, path, is_main, vars, ret_error);
}

static int name_cmp(const struct dirent **a, const struct dirent **b) {
        return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_repo_file(const struct dirent *de) {
        size_t l = strlen(de->d_name);
        return de->d_name[0] != '.' && l > 5 && streq(de->d_name + l - 5, ".repo");
}

int yum_repos_load(int root_fd, const DnfVars *vars, YumRepos *ret, char **ret_error) {
        _cleanup_(yum_repos_done) YumRepos r = {};
        _cleanup_close_ int dfd = -EBADF;
        struct dirent **list = NULL;
        int n, k;

        k = load_file(root_fd, &r, DNF_CONF_PATH, true, vars, ret_error);
        if (k < 0)
                return k;
        dfd = root_openat(root_fd, YUM_REPOS_DIR, O_RDONLY | O_DIRECTORY);
        if (dfd == -ENOENT)
                goto done;
        if (dfd < 0)
                return error_set(ret_error, dfd, "cannot open \"%s\": %s", YUM_REPOS_DIR, strerror(-dfd));
        n = scandirat(dfd, ".", &list, is_repo_file, name_cmp);
        if (n < 0)
                return error_set(ret_error, -errno, "cannot list \"%s\": %m", YUM_REPOS_DIR);
        k = 0;
        for (int i = 0; i < n; i++) {
                char path[PATH_MAX];
                if (k >= 0) {
                        snprintf(path, sizeof(path), "%s/%s", YUM_REPOS_DIR, list[i]->d_name);
                        k = load_file(root_fd, &r, path, false, vars, ret_error);
                }
                free(list[i]);
        }
        free(list);
        if (k < 0)
                return k;
done:
        *ret = r;
        r = (YumRepos) {};
        return 0;
}

bool yum_excluded(char *const *globs, const char *name, const char *arch) {
        char na[512];

        if (!globs || !globs[0])
                return false;
        snprintf(na, sizeof(na), "%s.%s", name, arch);
        for (size_t i = 0; globs && globs[i]; i++)
                if (fnmatch(globs[i], name, 0) == 0 || fnmatch(globs[i], na, 0) == 0)
                        return true;
        return false;
}

int yum_repo_cache_name(const YumRepo *repo, char ret[static YUM_CACHE_NAME_MAX]) {
        const char *src = repo->metalink && *repo->metalink     ? repo->metalink
                          : repo->mirrorlist && *repo->mirrorlist ? repo->mirrorlist
                          : repo->baseurl && *repo->baseurl       ? repo->baseurl
                                                                  : repo->id;
        char hex[SHA256_HEX_SIZE];
        int k = sha256_hex(src, strlen(src), hex);

        if (k < 0)
                return k;
        if (snprintf(ret, YUM_CACHE_NAME_MAX, "%s-%.16s", repo->id, hex) >= YUM_CACHE_NAME_MAX)
                return -ENAMETOOLONG;
        return 0;
}

int yum_ini_get(const char *text, const char *section, const char *key, char **ret) {
        size_t sl = strlen(section), kl = strlen(key);
        bool in = false;

        *ret = NULL;
        for (const char *p = text, *nl; p && *p; p = nl ? nl + 1 : NULL) {
                nl = strchr(p, '\n');
                size_t len = nl ? (size_t) (nl - p) : strlen(p);
                while (len > 0 && is_space(*p))
                        p++, len--;
                while (len > 0 && is_space(p[len - 1]))
                        len--;
                if (len > 0 && *p == '[') {
                        in = len == sl + 2 && p[len - 1] == ']' && strncmp(p + 1, section, sl) == 0;
                        continue;
                }
                if (!in || len <= kl || strncmp(p, key, kl) != 0)
                        continue;
                const char *v = p + kl, *end = p + len;
                while (v < end && is_space(*v))
                        v++;
                if (v == end || *v != '=')
                        continue;
                for (v++; v < end && is_space(*v); v++)
                        ;
                free(*ret);
                if (!(*ret = strndup(v, (size_t) (end - v))))
                        return -ENOMEM;
        }
        return 0;
}
