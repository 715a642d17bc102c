/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "dnf-versionlock.h"
#include "error-util.h"
#include "fs-util.h"
#include "macro.h"
#include "parse-util.h"
#include "yum-repo.h"

/* hawkey's forms, in the plugin's order (libdnf nevra.cpp NEVRA_FORM_REGEX). */
enum { FORM_NEVRA, FORM_NEVR, FORM_NEV, FORM_NA, FORM_NAME, _FORM_MAX };

#define NOT_IN_NAME ":(/=<> "
#define NOT_IN_VERSION "-:(/=<> "
#define NOT_IN_ARCH "-:.(/=<> "

static void pattern_done(DnfLockPattern *p) {
        free(p->name);
        free(p->version);
        free(p->release);
        free(p->arch);
}

void dnf_versionlock_done(DnfVersionlock *v) {
        for (size_t i = 0; i < v->n_patterns; i++)
                pattern_done(&v->patterns[i]);
        free(v->patterns);
        *v = (DnfVersionlock) {};
}

static bool part_ok(const char *s, size_t len, const char *forbidden) {
        return len > 0 && strcspn(s, forbidden) >= len;
}

/* Splits s[0..len) at its last c: the tail after it. */
static const char *last(const char *s, size_t len, char c, size_t *ret_head) {
        for (size_t i = len; i > 0; i--)
                if (s[i - 1] == c) {
                        *ret_head = i - 1;
                        return s + i;
                }
        return NULL;
}

/* One form of s into p (parts still pointing into s: lengths in *lens). The version
 * and release cannot hold a '-', the arch neither '-' nor '.', so the separators are the
 * last ones: what the regular expressions' longest name gives. */
static bool parse_form(const char *s, int form, const char *parts[4], size_t lens[4], long *epoch) {
        size_t len = strlen(s), head;
        const char *t;

        *epoch = -1;
        memset(lens, 0, 4 * sizeof(size_t));
        if (form == FORM_NEVRA || form == FORM_NA) {
                if (!(t = last(s, len, '.', &head)) || !part_ok(t, len - head - 1, NOT_IN_ARCH))
                        return false;
                parts[3] = t, lens[3] = len - head - 1, len = head;
        }
        if (form == FORM_NEVRA || form == FORM_NEVR) {
                if (!(t = last(s, len, '-', &head)) || !part_ok(t, len - head - 1, NOT_IN_VERSION))
                        return false;
                parts[2] = t, lens[2] = len - head - 1, len = head;
        }
        if (form == FORM_NEVRA || form == FORM_NEVR || form == FORM_NEV) {
                if (!(t = last(s, len, '-', &head)))
                        return false;
                size_t vl = len - head - 1, digits = strspn(t, "0123456789");
                if (digits > 0 && digits < vl && t[digits] == ':') {
                        if (digits > 9)
                                return false;
                        *epoch = strtol(t, NULL, 10);
                        t += digits + 1, vl -= digits + 1;
                }
                if (!part_ok(t, vl, NOT_IN_VERSION))
                        return false;
                parts[1] = t, lens[1] = vl, len = head;
        }
        parts[0] = s, lens[0] = len;
        return part_ok(s, len, NOT_IN_NAME);
}

static int add_line(DnfVersionlock *v, const char *line) {
        bool exclude = line[0] == '!';

        if (exclude)
                line++;
        for (int form = 0; form < _FORM_MAX; form++) {
                const char *parts[4] = {};
                size_t lens[4];
                long epoch;

                if (!parse_form(line, form, parts, lens, &epoch))
                        continue;
                if (v->n_patterns >= DNF_VERSIONLOCK_MAX)
                        return -E2BIG;
                DnfLockPattern *n = reallocarray(v->patterns, v->n_patterns + 1, sizeof(DnfLockPattern));
                if (!n)
                        return -ENOMEM;
                v->patterns = n;
                DnfLockPattern *p = &n[v->n_patterns++];
                *p = (DnfLockPattern) { .epoch = epoch, .exclude = exclude };
                char **fields[4] = { &p->name, &p->version, &p->release, &p->arch };
                for (size_t i = 0; i < 4; i++)
                        if (lens[i] > 0 && !(*fields[i] = strndup(parts[i], lens[i])))
                                return -ENOMEM;
        }
        return 0;
}

int dnf_versionlock_parse(DnfVersionlock *v, const char *text, size_t size) {
        _cleanup_free_ char *buf = strndup(text, size);
        int k;

        if (!buf)
                return -ENOMEM;
        for (char *p = buf, *nl; p; p = nl) {
                nl = strchr(p, '\n');
                if (nl)
                        *nl++ = 0;
                /* The plugin: '#' at the very start, then the line stripped. */
                if (*p == '#')
                        continue;
                p += strspn(p, " \t\r\f\v");
                size_t l = strlen(p);
                while (l > 0 && strchr(" \t\r\f\v", p[l - 1]))
                        p[--l] = 0;
                if (*p && (k = add_line(v, p)) < 0)
                        return k;
        }
        return 0;
}

int dnf_versionlock_load(int root_fd, bool plugins_enabled, DnfVersionlock *ret, char **ret_error) {
        _cleanup_(dnf_versionlock_done) DnfVersionlock v = {};
        _cleanup_free_ char *conf = NULL, *enabled = NULL, *list = NULL, *text = NULL;
        size_t size;
        bool on = true;
        int k;

        if (!plugins_enabled || root_read_file(root_fd, DNF_VERSIONLOCK_CONF, YUM_REPO_FILE_MAX, &conf, NULL) < 0)
                goto done;
        if ((k = yum_ini_get(conf, "main", "enabled", &enabled)) < 0 || (k = yum_ini_get(conf, "main", "locklist", &list)) < 0)
                return k;
        if ((enabled && yum_parse_bool(enabled, &on) >= 0 && !on) || !list)
                goto done;
        k = root_read_file(root_fd, list, DNF_VERSIONLOCK_FILE_MAX, &text, &size);
        if (k == -ENOENT)
                goto done;
        if (k < 0)
                return error_set(ret_error, k, "cannot read the versionlock list \"%s\": %s", list, strerror(-k));
        k = dnf_versionlock_parse(&v, text, size);
        if (k == -E2BIG)
                return error_set(ret_error, k, "\"%s\" holds more than %u patterns", list, DNF_VERSIONLOCK_MAX);
        if (k < 0)
                return k;
done:
        *ret = v;
        v = (DnfVersionlock) {};
        return 0;
}

static bool glob_ok(const char *pattern, const char *value) {
        return !pattern || fnmatch(pattern, value ? value : "", 0) == 0;
}

static bool pattern_matches(const DnfLockPattern *p, const char *name, const char *epoch, const char *version,
                            const char *release, const char *arch) {
        long e = epoch && *epoch ? strtol(epoch, NULL, 10) : 0;
        return glob_ok(p->name, name) && (p->epoch < 0 || p->epoch == e) && glob_ok(p->version, version) &&
               glob_ok(p->release, release) && glob_ok(p->arch, arch);
}

bool dnf_versionlock_locked(const DnfVersionlock *v, const char *name, const char *epoch, const char *version,
                            const char *release, const char *arch) {
        for (size_t i = 0; i < v->n_patterns; i++)
                if (!v->patterns[i].exclude && pattern_matches(&v->patterns[i], name, epoch, version, release, arch))
                        return true;
        return false;
}

bool dnf_versionlock_hides(const DnfVersionlock *v, const char *name, const char *epoch, const char *version,
                           const char *release, const char *arch) {
        bool locked_name = false;

        if (v->n_patterns == 0)
                return false;
        for (size_t i = 0; i < v->n_patterns; i++) {
                const DnfLockPattern *p = &v->patterns[i];
                if (p->exclude && pattern_matches(p, name, epoch, version, release, arch))
                        return true;
                /* The plugin hides every version of a locked name (its name as a glob)
                 * that no lock pattern keeps. */
                locked_name = locked_name || (!p->exclude && glob_ok(p->name, name));
        }
        return locked_name && !dnf_versionlock_locked(v, name, epoch, version, release, arch);
}
