/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apt-cache.h"
#include "deb-version.h"
#include "deb822.h"
#include "macro.h"

#define PRIO_STATUS 100
#define PRIO_DEFAULT 500
#define PRIO_BUT_AUTOMATIC 100
#define PRIO_NOT_AUTOMATIC 1
#define PRIO_DEFAULT_RELEASE 990
#define PRIO_NOT_INSTALLED_STATUS (-1)

AptCache *apt_cache_new(const char *native_arch) {
        AptCache *c = calloc(1, sizeof(AptCache));
        if (!c)
                return NULL;
        c->native_arch = strdup(native_arch);
        c->files = calloc(1, sizeof(AptFile));
        if (!c->native_arch || !c->files)
                return apt_cache_free(c);
        c->files[0] = (AptFile) { .name = strdup("/var/lib/dpkg/status"), .is_status = true };
        if (!c->files[0].name)
                return apt_cache_free(c);
        c->n_files = 1;
        return c;
}

AptCache *apt_cache_free(AptCache *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n_packages; i++) {
                AptPackage *p = &c->packages[i];
                for (size_t j = 0; j < p->n_versions; j++) {
                        free(p->versions[j].version);
                        free(p->versions[j].files);
                }
                free(p->versions);
                free(p->name); /* and arch and installed */
        }
        free(c->packages);
        for (size_t i = 0; i < c->n_files; i++)
                apt_file_done(&c->files[i]);
        free(c->files);
        free(c->table);
        free(c->native_arch);
        free(c);
        return NULL;
}

int apt_cache_add_files(AptCache *c, AptFile *files, size_t n) {
        if (n == 0) {
                free(files);
                return 0;
        }
        AptFile *nf = reallocarray(c->files, c->n_files + n, sizeof(AptFile));
        if (!nf)
                return -ENOMEM;
        c->files = nf;
        memcpy(c->files + c->n_files, files, n * sizeof(AptFile));
        c->n_files += n;
        free(files);
        return 0;
}

/* FNV-1a. Most lookups miss (an index lists every package, a laptop has a few thousand
 * installed): the stored hash rejects them without a string compare. */
static uint32_t hash_name(const char *s, size_t len) {
        uint32_t h = 2166136261u;
        for (size_t i = 0; i < len; i++) {
                h ^= (unsigned char) s[i];
                h *= 16777619u;
        }
        return h;
}

static AptSlot *slot_for(const AptCache *c, const char *name, size_t len, uint32_t hash) {
        size_t mask = c->table_size - 1;
        for (size_t i = hash & mask;; i = (i + 1) & mask) {
                AptSlot *slot = &c->table[i];
                if (slot->index == 0)
                        return slot;
                if (slot->hash != hash)
                        continue;
                const char *n = c->packages[slot->index - 1].name;
                if (strncmp(n, name, len) == 0 && n[len] == 0)
                        return slot;
        }
}

static int table_grow(AptCache *c) {
        size_t size = c->table_size ? c->table_size * 2 : 4096;
        AptSlot *old = c->table;
        size_t old_size = c->table_size;

        c->table = calloc(size, sizeof(AptSlot));
        if (!c->table) {
                c->table = old;
                return -ENOMEM;
        }
        c->table_size = size;
        for (size_t i = 0; i < old_size; i++)
                if (old[i].index)
                        *slot_for(c, "", 0, old[i].hash) = old[i]; /* names are unique: first free slot */
        free(old);
        return 0;
}

AptPackage *apt_cache_find_name(const AptCache *c, const char *name, size_t len) {
        if (c->table_size == 0)
                return NULL;
        AptSlot *slot = slot_for(c, name, len, hash_name(name, len));
        return slot->index ? &c->packages[slot->index - 1] : NULL;
}

AptPackage *apt_cache_find(const AptCache *c, const char *name, size_t name_len, const char *arch, size_t arch_len) {
        if (arch_len == 3 && memcmp(arch, "all", 3) == 0) {
                arch = c->native_arch;
                arch_len = strlen(arch);
        }
        for (AptPackage *p = apt_cache_find_name(c, name, name_len); p;
             p = p->next_same_name ? &c->packages[p->next_same_name - 1] : NULL)
                if (strncmp(p->arch, arch, arch_len) == 0 && p->arch[arch_len] == 0)
                        return p;
        return NULL;
}

uint32_t apt_stanza_hash(const Deb822Stanza *s) {
        static const char *const fields[] = { "Installed-Size", "Depends", "Pre-Depends", "Conflicts", "Breaks",
                                              "Replaces" };
        static const char *const multi_arch[] = { "same", "foreign", "allowed" };
        const Deb822Field *ma = deb822_find(s, "Multi-Arch");
        uint32_t h = 5381;

        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                const Deb822Field *f = deb822_find(s, fields[i]);
                if (!f)
                        continue;
                for (size_t k = 0; k < f->value_len; k++) {
                        char ch = f->value[k];
                        /* apt drops blanks and '=' (dpkg rewrites "<" as "<=") and "0:" epochs. */
                        if (ch == '0' && k + 1 < f->value_len && f->value[k + 1] == ':') {
                                k++;
                                continue;
                        }
                        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '=')
                                continue;
                        if (ch >= 'A' && ch <= 'Z')
                                ch = (char) (ch - 'A' + 'a');
                        h = h * 33 + (unsigned char) ch;
                }
        }
        /* apt compares the parsed Multi-Arch apart ("no" and none are the same). */
        for (size_t i = 0; i < ELEMENTSOF(multi_arch); i++)
                if (deb822_value_eq(ma, multi_arch[i]))
                        h = h * 33 + (uint32_t) i + 1;
        return h;
}

static bool same_version(const AptVersion *v, uint32_t hash, uint64_t size) {
        return v->hash == hash && (size == 0 || v->size == 0 || v->size == size);
}

int apt_cache_add_version(AptCache *c, AptPackage *p, uint32_t file_index, const char *version,
                          size_t len, int phased, uint32_t hash, uint64_t size) {
        size_t i;
        int cmp = 1;

        for (i = 0; i < p->n_versions; i++) {
                cmp = deb_version_compare_n(version, len, p->versions[i].version, strlen(p->versions[i].version));
                if (cmp >= 0)
                        break;
        }
        /* Among entries of an equal version: merge with one that is the same build… */
        for (size_t j = i; cmp == 0 && j < p->n_versions &&
                           deb_version_compare_n(version, len, p->versions[j].version,
                                                 strlen(p->versions[j].version)) == 0; j++) {
                AptVersion *v = &p->versions[j];
                if (!same_version(v, hash, size))
                        continue;
                for (size_t k = 0; k < v->n_files; k++)
                        if (v->files[k] == file_index)
                                return 0;
                uint32_t *nf = reallocarray(v->files, v->n_files + 1, sizeof(uint32_t));
                if (!nf)
                        return -ENOMEM;
                v->files = nf;
                v->files[v->n_files++] = file_index;
                v->phased = MIN(v->phased, phased);
                if (v->size == 0)
                        v->size = size;
                return 0;
        }
        /* …else a new entry after them. apt reads dpkg's status last: until the installed
         * version has merged with an index's entry, it stays behind every index entry. */
        while (cmp == 0 && i < p->n_versions &&
               !(p->versions[i].current && p->versions[i].n_files == 1) &&
               deb_version_compare_n(version, len, p->versions[i].version, strlen(p->versions[i].version)) == 0)
                i++;
        AptVersion *nv = reallocarray(p->versions, p->n_versions + 1, sizeof(AptVersion));
        if (!nv)
                return -ENOMEM;
        p->versions = nv;
        AptVersion v = { .version = strndup(version, len), .files = malloc(sizeof(uint32_t)), .phased = phased,
                         .hash = hash, .size = size, .current = file_index == 0 && c->files[0].is_status };
        if (!v.version || !v.files) {
                free(v.version);
                free(v.files);
                return -ENOMEM;
        }
        v.files[0] = file_index;
        v.n_files = 1;
        memmove(&p->versions[i + 1], &p->versions[i], (p->n_versions - i) * sizeof(AptVersion));
        p->versions[i] = v;
        p->n_versions++;
        return 0;
}

int apt_cache_add_installed(AptCache *c, const char *name, const char *arch, const char *version, bool held,
                            uint32_t hash) {
        size_t len = strlen(name);
        int r;

        if (streq(arch, "all"))
                arch = c->native_arch;
        if (apt_cache_find(c, name, len, arch, strlen(arch)))
                return -EEXIST;
        if ((c->n_packages + 1) * 4 > c->table_size && (r = table_grow(c)) < 0)
                return r;
        if (c->n_packages == c->n_packages_allocated) {
                size_t n = c->n_packages_allocated + c->n_packages_allocated / 2 + 64;
                AptPackage *np = reallocarray(c->packages, n, sizeof(AptPackage));
                if (!np)
                        return -ENOMEM;
                c->packages = np;
                c->n_packages_allocated = n;
        }
        AptPackage *p = &c->packages[c->n_packages];
        size_t arch_size = strlen(arch) + 1, version_size = strlen(version) + 1;
        char *strings = malloc(len + 1 + arch_size + version_size);
        if (!strings)
                return -ENOMEM;
        *p = (AptPackage) { .name = memcpy(strings, name, len + 1),
                            .arch = memcpy(strings + len + 1, arch, arch_size),
                            .installed = memcpy(strings + len + 1 + arch_size, version, version_size),
                            .held = held };
        uint32_t name_hash = hash_name(name, len);
        AptSlot *slot = slot_for(c, name, len, name_hash);
        if (slot->index) {
                /* Another architecture of the same name: chain it. */
                AptPackage *q = &c->packages[slot->index - 1];
                while (q->next_same_name)
                        q = &c->packages[q->next_same_name - 1];
                q->next_same_name = c->n_packages + 1;
        } else
                *slot = (AptSlot) { .hash = name_hash, .index = (uint32_t) c->n_packages + 1 };
        c->n_packages++;
        return apt_cache_add_version(c, p, 0, version, strlen(version), 100, hash, 0);
}

static int file_default_priority(const AptFile *f) {
        if (f->is_status)
                return PRIO_STATUS;
        if (f->has_release && f->release.not_automatic)
                return f->release.but_automatic_upgrades ? PRIO_BUT_AUTOMATIC : PRIO_NOT_AUTOMATIC;
        return PRIO_DEFAULT;
}

static void compute_file_priorities(AptCache *c, const AptPrefs *prefs, const char *default_release) {
        AptPin def = { .type = APT_PIN_RELEASE, .rel_release = (char *) default_release,
                       .priority = PRIO_DEFAULT_RELEASE };

        for (size_t i = 0; i < c->n_files; i++) {
                AptFile *f = &c->files[i];
                bool fixed = false;

                f->priority = file_default_priority(f);
                /* pkgPolicy::InitDefaults: the first matching "Package: *" pin wins, except
                 * that "never" overrides and cannot be overridden. */
                if (default_release && apt_pin_matches_file(&def, f)) {
                        f->priority = def.priority;
                        fixed = true;
                }
                for (size_t k = 0; prefs && k < prefs->n_pins; k++) {
                        const AptPin *pin = &prefs->pins[k];
                        if (pin->package || f->priority == APT_PIN_NEVER)
                                continue;
                        if ((fixed && pin->priority != APT_PIN_NEVER) || !apt_pin_matches_file(pin, f))
                                continue;
                        f->priority = pin->priority;
                        fixed = true;
                }
        }
}

static int version_priority(const AptCache *c, const AptPackage *p, const AptVersion *v, const AptPrefs *prefs) {
        const AptFile *files[64];
        size_t n = MIN(v->n_files, ELEMENTSOF(files));
        bool installed = v->current;
        int prio = INT32_MIN;

        for (size_t i = 0; i < n; i++)
                files[i] = &c->files[v->files[i]];
        for (size_t k = 0; prefs && k < prefs->n_pins; k++) {
                const AptPin *pin = &prefs->pins[k];
                if (!pin->package || !apt_pin_matches_package(pin, p->name, p->arch, c->native_arch) ||
                    !apt_pin_matches_version(pin, v->version, files, n))
                        continue;
                /* A package pin does not lift a version that only "never" files publish. */
                for (size_t i = 0; i < n; i++)
                        if (files[i]->priority != APT_PIN_NEVER)
                                return pin->priority;
                break;
        }
        for (size_t i = 0; i < n; i++) {
                int fp = files[i]->is_status && !installed ? PRIO_NOT_INSTALLED_STATUS : files[i]->priority;
                prio = MAX(prio, fp);
        }
        return prio == INT32_MIN ? 0 : prio;
}

void apt_cache_compute_candidates(AptCache *c, const AptPrefs *prefs, const char *default_release) {
        compute_file_priorities(c, prefs, default_release);
        for (size_t i = 0; i < c->n_packages; i++) {
                AptPackage *p = &c->packages[i];
                const AptVersion *pref = NULL, *pref_alt = NULL;
                int max = 0, max_alt = 0;

                for (size_t j = 0; j < p->n_versions; j++) {
                        AptVersion *v = &p->versions[j];
                        v->priority = version_priority(c, p, v, prefs);
                        if (v->priority > max) {
                                pref = v;
                                max = v->priority;
                        }
                        if (v->priority > max_alt) {
                                pref_alt = v;
                                max_alt = v->priority;
                        }
                        if (v->current && max < 1000) {
                                if (!pref)
                                        pref = v;
                                /* From here only a downgrade pin (>= 1000) can win. */
                                max = 999;
                        }
                }
                if (!pref && max_alt > 0)
                        pref = pref_alt;
                p->candidate = pref;
        }
}

bool apt_package_upgradable(const AptPackage *p) {
        /* pkgCache::VerIterator::CompareVer: by position, the candidate above the current. */
        for (size_t j = 0; p->candidate && j < p->n_versions && !p->versions[j].current; j++)
                if (&p->versions[j] == p->candidate)
                        return true;
        return false;
}

static bool endswith_security(const char *s) {
        size_t l = strlen(s);
        return l >= 9 && streq(s + l - 9, "-security");
}

bool apt_file_is_security(const AptFile *f) {
        if (f->is_status || !f->has_release)
                return false;
        return endswith_security(f->release.suite) || endswith_security(f->release.codename) ||
               streq(f->release.label, "Debian-Security");
}

const AptVersion *apt_package_security_version(const AptCache *c, const AptPackage *p, const AptFile **ret_file) {
        for (size_t j = 0; j < p->n_versions; j++) {
                const AptVersion *v = &p->versions[j];
                if (deb_version_compare(v->version, p->installed) <= 0)
                        break;
                for (size_t i = 0; i < v->n_files; i++)
                        if (apt_file_is_security(&c->files[v->files[i]])) {
                                if (ret_file)
                                        *ret_file = &c->files[v->files[i]];
                                return v;
                        }
        }
        return NULL;
}
