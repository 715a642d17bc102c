/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apt-conf.h"
#include "apt-prefs.h"
#include "cleanup.h"
#include "deb822.h"
#include "fs-util.h"
#include "json-util.h"
#include "parse-util.h"

#define PREFS_MAX (4u * 1024 * 1024)
#define PREFS_MAX_PINS 100000

AptPrefs *apt_prefs_new(void) {
        return calloc(1, sizeof(AptPrefs));
}

static void pin_done(AptPin *p) {
        free(p->package);
        free(p->data);
        free(p->rel_version);
        free(p->rel_origin);
        free(p->rel_archive);
        free(p->rel_codename);
        free(p->rel_label);
        free(p->rel_component);
        free(p->rel_arch);
        free(p->rel_release);
        free(p->version);
        free(p->file);
}

AptPrefs *apt_prefs_free(AptPrefs *p) {
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_pins; i++)
                pin_done(&p->pins[i]);
        free(p->pins);
        strv_free(p->warnings);
        free(p);
        return NULL;
}

bool apt_expression_matches(const char *pattern, const char *s) {
        size_t len;

        if (!pattern || !s)
                return false;
        len = strlen(pattern);
        if (len >= 2 && pattern[0] == '/' && pattern[len - 1] == '/') {
                _cleanup_free_ char *re = strndup(pattern + 1, len - 2);
                regex_t rx;
                bool m;
                if (!re || regcomp(&rx, re, REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0)
                        return false;
                m = regexec(&rx, s, 0, NULL, 0) == 0;
                regfree(&rx);
                return m;
        }
        return fnmatch(pattern, s, FNM_CASEFOLD) == 0;
}

/* apt's MatchVer: equal (case-insensitive), or a prefix when prefix is set. */
static bool match_ver(const char *a, const char *b, bool prefix) {
        size_t la, lb;
        if (!a || !b)
                return false;
        la = strlen(a);
        lb = strlen(b);
        if ((la != lb && !prefix) || la < lb)
                return false;
        return strncasecmp(a, b, lb) == 0;
}

static int set_str(char **dst, const char *s, size_t len) {
        free(*dst);
        *dst = strndup(s, len);
        return *dst ? 0 : -ENOMEM;
}

static void strip_star(char *s, bool *ret_prefix) {
        size_t l = s ? strlen(s) : 0;
        if (l > 0 && s[l - 1] == '*') {
                s[l - 1] = 0;
                *ret_prefix = true;
        }
}

/* pkgVersionMatch's constructor for release pins. */
static int parse_release(AptPin *pin) {
        const char *d = pin->data;
        int r;

        if (streq(d, "*")) {
                pin->match_all = true;
                return 0;
        }
        if (!strchr(d, '=')) {
                /* A bare word: a release version if it starts with a digit, else an
                 * archive or codename. */
                r = set_str(isdigit((unsigned char) d[0]) ? &pin->rel_version : &pin->rel_release, d, strlen(d));
                if (r < 0)
                        return r;
                strip_star(pin->rel_version, &pin->rel_version_prefix);
                return 0;
        }
        for (const char *p = d; *p;) {
                const char *comma = strchrnul(p, ','), *s = p, *e = comma;
                while (s < e && isspace((unsigned char) *s))
                        s++;
                while (e > s && isspace((unsigned char) e[-1]))
                        e--;
                if (e - s >= 3 && s[1] == '=') {
                        char **dst = NULL;
                        switch (tolower((unsigned char) s[0])) {
                        case 'v': dst = &pin->rel_version; break;
                        case 'o': dst = &pin->rel_origin; break;
                        case 'a': dst = &pin->rel_archive; break;
                        case 'n': dst = &pin->rel_codename; break;
                        case 'l': dst = &pin->rel_label; break;
                        case 'c': dst = &pin->rel_component; break;
                        case 'b': dst = &pin->rel_arch; break;
                        }
                        if (dst && (r = set_str(dst, s + 2, (size_t) (e - s - 2))) < 0)
                                return r;
                }
                p = *comma ? comma + 1 : comma;
        }
        strip_star(pin->rel_version, &pin->rel_version_prefix);
        return 0;
}

static int add_pin(AptPrefs *p, const char *package, size_t package_len, AptPinType type,
                   const char *data, size_t data_len, int priority, const char *file, unsigned line) {
        AptPin *n, *pin;
        int r;

        if (p->n_pins >= PREFS_MAX_PINS)
                return -E2BIG;
        n = reallocarray(p->pins, p->n_pins + 1, sizeof(AptPin));
        if (!n)
                return -ENOMEM;
        p->pins = n;
        pin = &n[p->n_pins];
        *pin = (AptPin) { .type = type, .priority = priority, .line = line };
        pin->file = strdup(file);
        pin->data = strndup(data, data_len);
        if (!pin->file || !pin->data) {
                pin_done(pin);
                return -ENOMEM;
        }
        if (!(package_len == 1 && package[0] == '*') && !(pin->package = strndup(package, package_len))) {
                pin_done(pin);
                return -ENOMEM;
        }
        if (type == APT_PIN_RELEASE)
                r = parse_release(pin);
        else if (type == APT_PIN_VERSION) {
                r = set_str(&pin->version, pin->data, strlen(pin->data));
                if (r >= 0)
                        strip_star(pin->version, &pin->version_prefix);
        } else {
                /* Origin: a quoted host loses its quotes. */
                size_t l = strlen(pin->data);
                if (l >= 2 && pin->data[0] == '"' && pin->data[l - 1] == '"') {
                        memmove(pin->data, pin->data + 1, l - 2);
                        pin->data[l - 2] = 0;
                }
                r = 0;
        }
        if (r < 0) {
                pin_done(pin);
                return r;
        }
        p->n_pins++;
        return 0;
}

static int warn(AptPrefs *p, const char *file, unsigned line, const char *why) {
        _cleanup_free_ char *w = NULL;
        if (asprintf(&w, "%s:%u: %s", file, line, why) < 0)
                return -ENOMEM;
        return strv_push(&p->warnings, TAKE_PTR(w));
}

int apt_prefs_parse(AptPrefs *p, const char *file, const char *data, size_t size, char **ret_error) {
        Deb822Parser parser;
        Deb822Stanza s;
        int r;

        deb822_parser_init(&parser, data, size);
        while ((r = deb822_next(&parser, &s)) > 0) {
                const Deb822Field *pkg = deb822_find(&s, "Package"), *pin = deb822_find(&s, "Pin"),
                                  *prio = deb822_find(&s, "Pin-Priority");
                char buf[64];
                AptPinType type;
                int64_t priority;

                if (!pkg || pkg->value_len == 0)
                        return json_error(ret_error, "%s:%u: record without a Package field", file, s.line), -EBADMSG;
                if (!pin)
                        continue; /* apt ignores it silently */
                const char *w = pin->value, *we = pin->value + pin->value_len;
                const char *sp = w;
                while (sp < we && !isspace((unsigned char) *sp))
                        sp++;
                size_t wl = (size_t) (sp - w);
                bool star = pkg->value_len == 1 && pkg->value[0] == '*';
                if (wl == 7 && strncasecmp(w, "version", 7) == 0 && !star)
                        type = APT_PIN_VERSION;
                else if (wl == 7 && strncasecmp(w, "release", 7) == 0)
                        type = APT_PIN_RELEASE;
                else if (wl == 6 && strncasecmp(w, "origin", 6) == 0)
                        type = APT_PIN_ORIGIN;
                else {
                        if ((r = warn(p, file, s.line, "pin type not understood; record ignored")) < 0)
                                return r;
                        continue;
                }
                while (sp < we && isspace((unsigned char) *sp))
                        sp++;
                if (!prio || !deb822_get(&s, "Pin-Priority", buf, sizeof(buf))) {
                        if ((r = warn(p, file, s.line, "no priority (or zero) specified for pin; record ignored")) < 0)
                                return r;
                        continue;
                }
                if (strcasecmp(buf, "never") == 0) {
                        if (!star)
                                return json_error(ret_error, "%s:%u: Pin-Priority \"never\" is only allowed for \"Package: *\"",
                                                  file, s.line), -EBADMSG;
                        priority = APT_PIN_NEVER;
                } else if (parse_int64(buf, &priority) < 0 || priority < SHRT_MIN || priority > SHRT_MAX)
                        return json_error(ret_error, "%s:%u: Pin-Priority \"%s\" is not a number from %d to %d",
                                          file, s.line, buf, SHRT_MIN, SHRT_MAX), -EBADMSG;
                if (priority == 0) {
                        if ((r = warn(p, file, s.line, "no priority (or zero) specified for pin; record ignored")) < 0)
                                return r;
                        continue;
                }
                /* "Package: a b c" pins each name. */
                const char *n = pkg->value, *ne = pkg->value + pkg->value_len;
                while (n < ne) {
                        while (n < ne && isspace((unsigned char) *n))
                                n++;
                        const char *e = n;
                        while (e < ne && !isspace((unsigned char) *e))
                                e++;
                        if (e > n) {
                                r = add_pin(p, n, (size_t) (e - n), type, sp, (size_t) (we - sp), (int) priority, file, s.line);
                                if (r < 0)
                                        return r;
                        }
                        n = e;
                }
        }
        if (r < 0)
                return json_error(ret_error, "%s:%u: not a field, a continuation or a comment", file, parser.error_line), r;
        return 0;
}

static int load_file(AptPrefs *p, int root_fd, const char *path, char **ret_error) {
        _cleanup_free_ char *text = NULL;
        size_t size;
        int r;

        r = root_read_file(root_fd, path, PREFS_MAX, &text, &size);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return json_error(ret_error, "cannot read \"%s\": %s", path, strerror(-r)), r;
        return apt_prefs_parse(p, path, text, size, ret_error);
}

int apt_prefs_load(int root_fd, AptPrefs **ret, char **ret_error) {
        _cleanup_(apt_prefs_freep) AptPrefs *p = apt_prefs_new();
        _cleanup_strv_free_ char **parts = NULL;
        int r;

        if (!p)
                return -ENOMEM;
        /* apt reads Dir::Etc::Preferences first, then Dir::Etc::PreferencesParts. */
        r = load_file(p, root_fd, "/etc/apt/preferences", ret_error);
        if (r < 0)
                return r;
        r = apt_parts_list(root_fd, "/etc/apt/preferences.d", "pref", &parts, ret_error);
        if (r < 0)
                return r;
        for (char **n = parts; n && *n; n++)
                if ((r = load_file(p, root_fd, *n, ret_error)) < 0)
                        return r;
        *ret = TAKE_PTR(p);
        return 0;
}

/* Fields of the file as apt's PkgFileIterator shows them; the status file is archive
 * "now" with no site. */
bool apt_pin_matches_file(const AptPin *pin, const AptFile *f) {
        const AptRelease *rel = &f->release;
        const char *archive = f->is_status ? "now" : rel->suite;

        if (pin->type == APT_PIN_RELEASE) {
                if (pin->match_all)
                        return true;
                if (!pin->rel_version && !pin->rel_origin && !pin->rel_archive && !pin->rel_codename &&
                    !pin->rel_label && !pin->rel_component && !pin->rel_arch && !pin->rel_release)
                        return false;
                if (!f->has_release && !f->is_status)
                        return false; /* nothing to match against */
                if (pin->rel_version && !match_ver(rel->version, pin->rel_version, pin->rel_version_prefix) &&
                    !apt_expression_matches(pin->rel_version, rel->version))
                        return false;
                if (pin->rel_origin && !apt_expression_matches(pin->rel_origin, rel->origin))
                        return false;
                if (pin->rel_archive && !apt_expression_matches(pin->rel_archive, archive))
                        return false;
                if (pin->rel_codename && !apt_expression_matches(pin->rel_codename, rel->codename))
                        return false;
                if (pin->rel_release && !apt_expression_matches(pin->rel_release, archive) &&
                    !apt_expression_matches(pin->rel_release, rel->codename))
                        return false;
                if (pin->rel_label && !apt_expression_matches(pin->rel_label, rel->label))
                        return false;
                if (pin->rel_component && !apt_expression_matches(pin->rel_component, strempty(f->component)))
                        return false;
                if (pin->rel_arch && !apt_expression_matches(pin->rel_arch, strempty(f->arch)))
                        return false;
                return true;
        }
        if (pin->type == APT_PIN_ORIGIN) {
                if (f->is_status)
                        return false;
                return apt_expression_matches(pin->data, strempty(f->site));
        }
        return false;
}

bool apt_pin_matches_package(const AptPin *pin, const char *name, const char *arch, const char *native_arch) {
        const char *colon, *want_arch = native_arch;
        size_t l;

        if (!pin->package)
                return false;
        colon = strrchr(pin->package, ':');
        l = colon ? (size_t) (colon - pin->package) : strlen(pin->package);
        /* The name first: called for every version of every installed package, and a plain
         * name (most pins) rules nearly all out without fnmatch() on the architecture. */
        if ((l >= 2 && pin->package[0] == '/' && pin->package[l - 1] == '/') || strcspn(pin->package, "*[?") < l) {
                _cleanup_free_ char *pat = strndup(pin->package, l);
                if (!pat || !apt_expression_matches(pat, name))
                        return false;
        } else if (strncmp(pin->package, name, l) != 0 || name[l] != 0)
                return false;
        if (colon)
                want_arch = colon + 1;
        /* apt's PackageArchitectureMatchesSpecification: "any" matches every arch. */
        return streq(want_arch, "any") || apt_expression_matches(want_arch, arch);
}

bool apt_pin_matches_version(const AptPin *pin, const char *version, const AptFile *const *files, size_t n_files) {
        if (pin->type == APT_PIN_VERSION)
                return match_ver(version, pin->version, pin->version_prefix) ||
                       apt_expression_matches(pin->version, version);
        for (size_t i = 0; i < n_files; i++)
                if (apt_pin_matches_file(pin, files[i]))
                        return true;
        return false;
}
