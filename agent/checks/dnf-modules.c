/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "dnf-modules.h"
#include "error-util.h"
#include "fs-util.h"
#include "macro.h"
#include "modulemd.h"
#include "parse-util.h"
#include "yum-repo.h"

struct DnfModuleStream {
        char *name, *stream;
        char **artifacts;
};

typedef enum ModuleState { STATE_UNKNOWN, STATE_ENABLED, STATE_DISABLED } ModuleState;

struct DnfModuleState {
        char *name, *stream;
        ModuleState state;
};

void dnf_modules_done(DnfModules *m) {
        for (size_t i = 0; i < m->n_streams; i++) {
                free(m->streams[i].name);
                free(m->streams[i].stream);
                strv_free(m->streams[i].artifacts);
        }
        free(m->streams);
        for (size_t i = 0; i < m->n_states; i++) {
                free(m->states[i].name);
                free(m->states[i].stream);
        }
        free(m->states);
        strv_free(m->defaults);
        /* The NEVRA sets point into the streams' artifacts. */
        free(m->include);
        free(m->exclude);
        for (size_t i = 0; i < m->n_names; i++)
                free(m->names[i]);
        free(m->names);
        *m = (DnfModules) {};
}

static int on_doc(const ModulemdDoc *doc, void *userdata) {
        DnfModules *m = userdata;

        if (doc->type == MODULEMD_DEFAULTS) {
                if (!doc->stream)
                        return 0;
                if (m->n_defaults >= DNF_MODULES_STATES_MAX)
                        return -E2BIG;
                char **l = reallocarray(m->defaults, 2 * m->n_defaults + 3, sizeof(char *));
                if (!l)
                        return -ENOMEM;
                m->defaults = l;
                l[2 * m->n_defaults] = l[2 * m->n_defaults + 1] = l[2 * m->n_defaults + 2] = NULL;
                if (!(l[2 * m->n_defaults] = strdup(doc->name)) || !(l[2 * m->n_defaults + 1] = strdup(doc->stream)))
                        return -ENOMEM;
                m->n_defaults++;
                return 0;
        }
        if (m->n_artifacts + doc->n_artifacts > DNF_MODULES_ARTIFACTS_MAX)
                return -E2BIG;
        DnfModuleStream *n = reallocarray(m->streams, m->n_streams + 1, sizeof(DnfModuleStream));
        if (!n)
                return -ENOMEM;
        m->streams = n;
        DnfModuleStream *s = &n[m->n_streams++];
        *s = (DnfModuleStream) { strdup(doc->name), strdup(doc->stream), strv_copy(doc->artifacts) };
        if (!s->name || !s->stream || (doc->artifacts && !s->artifacts))
                return -ENOMEM;
        m->n_artifacts += doc->n_artifacts;
        return 0;
}

int dnf_modules_add_yaml(DnfModules *m, const char *text, size_t size, char **ret_error) {
        return modulemd_parse(text, size, on_doc, m, ret_error);
}

int dnf_modules_set_state(DnfModules *m, const char *name, const char *stream, const char *state) {
        if (m->n_states >= DNF_MODULES_STATES_MAX)
                return -E2BIG;
        DnfModuleState *n = reallocarray(m->states, m->n_states + 1, sizeof(DnfModuleState));
        if (!n)
                return -ENOMEM;
        m->states = n;
        /* libdnf's fromString. */
        ModuleState st = streq(state, "1") || streq(state, "true") || streq(state, "enabled")    ? STATE_ENABLED
                         : streq(state, "0") || streq(state, "false") || streq(state, "disabled") ? STATE_DISABLED
                                                                                                  : STATE_UNKNOWN;
        n[m->n_states] = (DnfModuleState) { strdup(name), strdup(stream), st };
        if (!n[m->n_states].name || !n[m->n_states].stream) {
                free(n[m->n_states].name);
                free(n[m->n_states].stream);
                return -ENOMEM;
        }
        m->n_states++;
        return 0;
}

static int load_state_file(DnfModules *m, int root_fd, const char *file, char **ret_error) {
        _cleanup_free_ char *path = path_join(DNF_MODULES_DIR, file), *text = NULL, *stream = NULL,
                            *profiles = NULL, *state = NULL, *enabled = NULL;
        _cleanup_free_ char *name = strndup(file, strlen(file) - strlen(".module"));
        int k;

        if (!path || !name)
                return -ENOMEM;
        k = root_read_file(root_fd, path, YUM_REPO_FILE_MAX, &text, NULL);
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return error_set(ret_error, k, "cannot read \"%s\": %s", path, strerror(-k));
        if ((k = yum_ini_get(text, name, "stream", &stream)) < 0 ||
            (k = yum_ini_get(text, name, "profiles", &profiles)) < 0 ||
            (k = yum_ini_get(text, name, "state", &state)) < 0 || (k = yum_ini_get(text, name, "enabled", &enabled)) < 0)
                return k;
        /* The persistor's "invalid config file": as if there were none. */
        if (!stream || !profiles || (!state && !enabled))
                return 0;
        return dnf_modules_set_state(m, name, stream, enabled ? enabled : state);
}

int dnf_modules_load_state(DnfModules *m, int root_fd, char **ret_error) {
        _cleanup_closedir_ DIR *d = NULL;
        _cleanup_strv_free_ char **files = NULL;
        struct dirent *de;
        int k;

        k = root_opendir(root_fd, DNF_MODULES_DIR, &d);
        if (k == -ENOENT || k == -ENOTDIR)
                return 0;
        if (k < 0)
                return error_set(ret_error, k, "cannot open \"%s\": %s", DNF_MODULES_DIR, strerror(-k));
        while ((de = readdir(d))) {
                size_t l = strlen(de->d_name);
                if (l < strlen(".module") + 1 || !streq(de->d_name + l - strlen(".module"), ".module"))
                        continue;
                if (strv_length(files) >= DNF_MODULES_STATES_MAX)
                        return error_set(ret_error, -E2BIG, "more than %u files in \"%s\"", DNF_MODULES_STATES_MAX,
                                         DNF_MODULES_DIR);
                if ((k = strv_extend(&files, de->d_name)) < 0)
                        return k;
        }
        for (size_t i = 0; files && files[i]; i++)
                if ((k = load_state_file(m, root_fd, files[i], ret_error)) < 0)
                        return k;
        return 0;
}

static const DnfModuleState *state_of(const DnfModules *m, const char *name) {
        for (size_t i = m->n_states; i > 0; i--)
                if (streq(m->states[i - 1].name, name))
                        return &m->states[i - 1];
        return NULL;
}

static int str_cmp(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The defaults are sorted by module (pairs) in dnf_modules_resolve(). */
static const char *default_of(const DnfModules *m, const char *name) {
        char *const *d = m->n_defaults > 0 ? bsearch(&name, m->defaults, m->n_defaults, 2 * sizeof(char *), str_cmp) : NULL;
        return d ? d[1] : NULL;
}

/* libdnf's resolveActiveModulePackages, without the solver: every context and version of
 * an active stream counts. */
static bool stream_active(const DnfModules *m, const DnfModuleStream *s) {
        const DnfModuleState *st = state_of(m, s->name);
        if (st && st->state == STATE_DISABLED)
                return false;
        if (st && st->state == STATE_ENABLED)
                return streq(st->stream, s->stream);
        const char *d = default_of(m, s->name);
        return d && *d && streq(d, s->stream);
}

/* "name-E:V-R.arch": its name (what precedes the second-to-last '-'), NULL: not a NEVRA. */
static char *nevra_name(const char *nevra, const char **ret_arch) {
        const char *dot = strrchr(nevra, '.'), *r = NULL, *v = NULL;
        for (const char *p = nevra; dot && p < dot; p++)
                if (*p == '-')
                        v = r, r = p;
        if (!v || v == nevra)
                return NULL;
        *ret_arch = dot + 1;
        return strndup(nevra, (size_t) (v - nevra));
}

static void sort_set(char **set, size_t n) {
        if (n > 0)
                qsort(set, n, sizeof(char *), str_cmp);
}

static int push(char ***set, size_t *n, char *s) {
        char **l = reallocarray(*set, *n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        *set = l;
        l[(*n)++] = s;
        return 0;
}

int dnf_modules_resolve(DnfModules *m) {
        int k;

        /* One default per module: where repositories disagree, libmodulemd's merge makes it a
         * conflict ("__merge_conflict__"), which no stream is: none. */
        if (m->n_defaults > 0)
                qsort(m->defaults, m->n_defaults, 2 * sizeof(char *), str_cmp);
        size_t w = 0;
        for (size_t i = 0; i < m->n_defaults; i++) {
                if (w > 0 && streq(m->defaults[2 * w - 2], m->defaults[2 * i])) {
                        if (!streq(m->defaults[2 * w - 1], m->defaults[2 * i + 1]))
                                m->defaults[2 * w - 1][0] = 0;
                        free(m->defaults[2 * i]);
                        free(m->defaults[2 * i + 1]);
                        continue;
                }
                m->defaults[2 * w] = m->defaults[2 * i];
                m->defaults[2 * w + 1] = m->defaults[2 * i + 1];
                w++;
        }
        m->n_defaults = w;
        if (m->defaults)
                m->defaults[2 * w] = NULL;
        for (size_t i = 0; i < m->n_streams; i++) {
                DnfModuleStream *s = &m->streams[i];
                bool active = stream_active(m, s);
                for (size_t j = 0; s->artifacts && s->artifacts[j]; j++) {
                        if ((k = push(active ? &m->include : &m->exclude, active ? &m->n_include : &m->n_exclude,
                                      s->artifacts[j])) < 0)
                                return k;
                        const char *arch;
                        _cleanup_free_ char *name = active ? nevra_name(s->artifacts[j], &arch) : NULL;
                        /* Source packages provide nothing: they hide no binary package. */
                        if (!name || streq(arch, "src") || streq(arch, "nosrc"))
                                continue;
                        if ((k = push(&m->names, &m->n_names, name)) < 0)
                                return k;
                        TAKE_PTR(name);
                }
        }
        sort_set(m->include, m->n_include);
        sort_set(m->exclude, m->n_exclude);
        sort_set(m->names, m->n_names);
        return 0;
}

static bool in_set(char *const *set, size_t n, const char *s) {
        return n > 0 && bsearch(&s, set, n, sizeof(char *), str_cmp);
}

bool dnf_modules_hides(const DnfModules *m, const char *name, const char *epoch, const char *version,
                       const char *release, const char *arch) {
        char nevra[1024];

        if (m->n_include == 0 && m->n_exclude == 0)
                return false;
        int n = snprintf(nevra, sizeof(nevra), "%s-%s:%s-%s.%s", name, epoch && *epoch ? epoch : "0", version,
                         release, arch);
        /* Longer than any artifact Vigie keeps: only its name can hide it. */
        bool fits = n > 0 && (size_t) n < sizeof(nevra);
        if (fits && in_set(m->include, m->n_include, nevra))
                return false;
        return (fits && in_set(m->exclude, m->n_exclude, nevra)) || in_set(m->names, m->n_names, name);
}
