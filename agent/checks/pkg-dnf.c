/* SPDX-License-Identifier: MIT */
/* The dnf package source of patch_level (pkg-source.h), for Fedora and RHEL: the installed
 * packages from rpm's database, the enabled repositories of /etc/yum.repos.d with their
 * excludes, and the metadata dnf cached for them (dnf 4: /var/cache/dnf, dnf5:
 * /var/cache/libdnf5): an installed package is upgradable when an enabled repository offers
 * a newer epoch:version-release of it (rpm's comparison), as `dnf check-update` says; the
 * update is a security one when a security advisory of updateinfo names a newer version,
 * as `dnf updateinfo list --security` says. A reboot is due when a core package was
 * installed after boot, as `dnf needs-restarting -r` decides. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "apt-index-cache.h"
#include "apt-lists.h"
#include "cleanup.h"
#include "dnf-modules.h"
#include "dnf-vars.h"
#include "dnf-versionlock.h"
#include "error-util.h"
#include "fs-util.h"
#include "i18n.h"
#include "json-util.h"
#include "log.h"
#include "macro.h"
#include "modulemd.h"
#include "parse-util.h"
#include "pkg-source.h"
#include "repo-xml.h"
#include "rpm-db.h"
#include "rpm-version.h"
#include "time-util.h"
#include "yum-repo.h"

#define INSTALLED_MAX 200000
#define ADVISORIES_MAX 64      /* per package */
#define REPOMD_MAX (4u * 1024 * 1024)
#define READ_CHUNK (256u * 1024)
#define DIGEST_DIR "cache/dnf-metadata"

static const char *const cache_dirs[] = { "/var/cache/dnf", "/var/cache/libdnf5" };

typedef struct Evr {
        char *epoch, *version, *release;
} Evr;

typedef struct Installed {
        char *name, *arch;
        Evr evr;
        char *evr_text;        /* "[E:]V-R" */
        uint64_t install_time;
        /* The newest version the repositories offer, if newer. */
        Evr cand;
        char *cand_text;
        const char *cand_repo;
        bool held;             /* only dnf.conf's excludes hide the candidate */
        /* The newest package of another name that obsoletes it: dnf upgrade installs it in
         * its place. */
        char *obs_name, *obs_arch;
        Evr obs;
        const char *obs_repo;
        char *obs_text;        /* "name.arch" */
        bool security;
        char *severity;
        char **advisories;
        size_t n_advisories;
} Installed;

typedef struct DnfData {
        Installed *pkgs;
        size_t n_pkgs;
        /* The installed names: an open-addressing table of the name's hash and the first
         * index of the name in pkgs (sorted by name) + 1, 0: empty. Most metadata records name packages that are
         * not installed; this tells so without copying or comparing strings. */
        struct { uint32_t hash, index; } *by_name;
        size_t by_name_mask;
        YumRepos repos;
        DnfVars vars;
        DnfReleasever releasever;
        DnfVersionlock lock;
        DnfModules modules;
        struct utsname uts;
} DnfData;

static void evr_done(Evr *e) {
        free(e->epoch);
        free(e->version);
        free(e->release);
}

static void dnf_data_free(void *p) {
        DnfData *d = p;
        if (!d)
                return;
        for (size_t i = 0; i < d->n_pkgs; i++) {
                Installed *x = &d->pkgs[i];
                free(x->name);
                free(x->arch);
                evr_done(&x->evr);
                free(x->evr_text);
                evr_done(&x->cand);
                free(x->cand_text);
                free(x->obs_name);
                free(x->obs_arch);
                evr_done(&x->obs);
                free(x->obs_text);
                free(x->severity);
                strv_free(x->advisories);
        }
        free(d->pkgs);
        free(d->by_name);
        yum_repos_done(&d->repos);
        dnf_vars_done(&d->vars);
        dnf_versionlock_done(&d->lock);
        dnf_modules_done(&d->modules);
        dnf_releasever_done(&d->releasever);
        free(d);
}

static void dnf_data_freep(DnfData **d) {
        dnf_data_free(*d);
}

static RpmEvr rpm_evr(const Evr *e) {
        return (RpmEvr) { e->epoch, e->version, e->release };
}

/* dnf's way of writing a version: the epoch only when not 0. */
static char *evr_text(const char *epoch, const char *version, const char *release) {
        char *s;
        bool e = epoch && *epoch && !streq(epoch, "0");
        if (asprintf(&s, "%s%s%s-%s", e ? epoch : "", e ? ":" : "", version, release) < 0)
                return NULL;
        return s;
}

static int evr_set(Evr *e, const char *epoch, const char *version, const char *release) {
        evr_done(e);
        *e = (Evr) { strdup(epoch ? epoch : "0"), strdup(version), strdup(release) };
        return e->epoch && e->version && e->release ? 0 : -ENOMEM;
}

static int add_installed(const RpmHeaderInfo *h, void *userdata) {
        DnfData *d = userdata;
        char epoch[16];
        int k;

        if ((k = dnf_releasever_add(&d->releasever, h)) < 0)
                return k;
        if (!h->arch || streq(h->name, "gpg-pubkey"))
                return 0;
        if (d->n_pkgs >= INSTALLED_MAX)
                return -E2BIG;
        Installed *n = reallocarray(d->pkgs, d->n_pkgs + 1, sizeof(Installed));
        if (!n)
                return -ENOMEM;
        d->pkgs = n;
        Installed *x = &n[d->n_pkgs++];
        *x = (Installed) { .name = strdup(h->name), .arch = strdup(h->arch), .install_time = h->install_time };
        snprintf(epoch, sizeof(epoch), "%u", h->has_epoch ? h->epoch : 0);
        if (!x->name || !x->arch || evr_set(&x->evr, epoch, h->version, h->release) < 0 ||
            !(x->evr_text = evr_text(epoch, h->version, h->release)))
                return -ENOMEM;
        return 0;
}

static int installed_cmp(const void *a, const void *b) {
        const Installed *x = a, *y = b;
        int r = strcmp(x->name, y->name);
        if (r == 0)
                r = strcmp(x->arch, y->arch);
        if (r == 0) {
                RpmEvr ex = rpm_evr(&x->evr), ey = rpm_evr(&y->evr);
                r = -rpm_evr_compare(&ex, &ey); /* the newest first */
        }
        return r;
}

/* Several versions of one name.arch (install-only packages: kernels) compare by the
 * newest: keep it only. */
static void keep_newest(DnfData *d) {
        size_t w = 0;

        if (d->n_pkgs == 0) /* an empty rpm database: no array to sort */
                return;
        qsort(d->pkgs, d->n_pkgs, sizeof(Installed), installed_cmp);
        for (size_t i = 0; i < d->n_pkgs; i++) {
                if (w > 0 && streq(d->pkgs[w - 1].name, d->pkgs[i].name) && streq(d->pkgs[w - 1].arch, d->pkgs[i].arch)) {
                        Installed *x = &d->pkgs[i];
                        /* The newest copy keeps the latest install time (reboot). */
                        d->pkgs[w - 1].install_time = MAX(d->pkgs[w - 1].install_time, x->install_time);
                        free(x->name);
                        free(x->arch);
                        evr_done(&x->evr);
                        free(x->evr_text);
                        continue;
                }
                d->pkgs[w++] = d->pkgs[i];
        }
        d->n_pkgs = w;
}

static uint32_t name_hash(const char *name, size_t len) {
        uint32_t h = 2166136261u; /* FNV-1a */
        for (size_t i = 0; i < len; i++)
                h = (h ^ (uint8_t) name[i]) * 16777619u;
        return h;
}

static int index_names(DnfData *d) {
        size_t size = 16;

        while (size < 2 * d->n_pkgs)
                size *= 2;
        if (!(d->by_name = calloc(size, sizeof(*d->by_name))))
                return -ENOMEM;
        d->by_name_mask = size - 1;
        for (size_t i = 0; i < d->n_pkgs; i++) {
                if (i > 0 && streq(d->pkgs[i - 1].name, d->pkgs[i].name))
                        continue;
                uint32_t h = name_hash(d->pkgs[i].name, strlen(d->pkgs[i].name));
                size_t slot = h & d->by_name_mask;
                while (d->by_name[slot].index)
                        slot = (slot + 1) & d->by_name_mask;
                d->by_name[slot].hash = h;
                d->by_name[slot].index = (uint32_t) i + 1;
        }
        return 0;
}

/* The index of the first installed package named name[0..len), -1: none. */
static ssize_t installed_index(const DnfData *d, const char *name, size_t len) {
        uint32_t h = name_hash(name, len);
        for (size_t slot = h & d->by_name_mask; d->by_name[slot].index; slot = (slot + 1) & d->by_name_mask) {
                const char *n = d->pkgs[d->by_name[slot].index - 1].name;
                if (d->by_name[slot].hash == h && strncmp(n, name, len) == 0 && n[len] == 0)
                        return d->by_name[slot].index - 1;
        }
        return -1;
}

/* The installed packages named name: [*ret_first, *ret_first + count). */
static size_t find_name(const DnfData *d, const char *name, Installed **ret_first) {
        ssize_t i = installed_index(d, name, strlen(name));
        size_t n = 0;

        if (i < 0)
                return 0;
        *ret_first = d->pkgs + i;
        while ((size_t) i + n < d->n_pkgs && streq(d->pkgs[i + n].name, name))
                n++;
        return n;
}

/* dnf upgrades within an arch, and across noarch. */
static bool arch_compatible(const char *installed, const char *offered) {
        return streq(installed, offered) || streq(installed, "noarch") || streq(offered, "noarch");
}

typedef struct RepoScan {
        DnfData *d;
        const YumRepo *repo;
        char *primary, *updateinfo, *modules; /* repomd: the files */
        AptIndexCacheWriter *writer; /* building the file's digest */
} RepoScan;

static const char *const severities[] = { "Low", "Moderate", "Important", "Critical" };

static int severity_rank(const char *s) {
        for (size_t i = 0; s && i < ELEMENTSOF(severities); i++)
                if (strcasecmp(s, severities[i]) == 0)
                        return (int) i + 1;
        return 0;
}

/* A metadata record in a digest (apt-index-cache.h): the version field holds "E:V-R"
 * (a package of primary), "E:V-R<TAB>ADVISORY" (a package of a security advisory of
 * updateinfo; the severity's rank in the hash field) or "E:V-R<LF>NAME<LF>FLAGS<LF>EPOCH<LF>
 * VERSION<LF>RELEASE" (one obsoletes entry of a package of primary, empty strings for
 * absent attributes). */
static int digest_add(RepoScan *s, const RepoXmlRecord *rec, const RepoXmlDep *dep) {
        const char *epoch = rec->epoch && *rec->epoch ? rec->epoch : "0";
        const char *fields[] = { rec->name, rec->arch, epoch, rec->version, rec->release, rec->id,
                                 dep ? dep->name : NULL, dep ? dep->flags : NULL, dep ? dep->epoch : NULL,
                                 dep ? dep->version : NULL, dep ? dep->release : NULL };
        char version[1024];
        int n;

        /* A separator inside a value would read back as another record: no digest then. */
        for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                if (fields[i] && strpbrk(fields[i], "\t\n")) {
                        s->writer->unusable = true;
                        return 0;
                }
        if (dep)
                n = snprintf(version, sizeof(version), "%s:%s-%s\n%s\n%s\n%s\n%s\n%s", epoch, rec->version,
                             rec->release, dep->name, strempty(dep->flags), strempty(dep->epoch),
                             strempty(dep->version), strempty(dep->release));
        else
                n = snprintf(version, sizeof(version), "%s:%s-%s%s%s", epoch, rec->version, rec->release,
                             rec->id ? "\t" : "", strempty(rec->id));
        if (n < 0 || (size_t) n >= sizeof(version)) {
                s->writer->unusable = true;
                return 0;
        }
        AptIndexRecord r = { .name = rec->name, .name_len = strlen(rec->name), .arch = rec->arch,
                             .arch_len = strlen(rec->arch), .version = version, .version_len = (size_t) n,
                             .phased = 100, .hash = (uint32_t) severity_rank(rec->severity) };
        return apt_index_cache_writer_add(s->writer, &r);
}

static int on_repomd(const RepoXmlRecord *rec, void *userdata) {
        RepoScan *s = userdata;
        char **f = streq_ptr(rec->type, "primary")      ? &s->primary
                   : streq_ptr(rec->type, "updateinfo") ? &s->updateinfo
                   : streq_ptr(rec->type, "modules")    ? &s->modules
                                                        : NULL;

        if (!f || !rec->href)
                return 0;
        free(*f);
        *f = strdup(rec->href);
        return *f ? 0 : -ENOMEM;
}

/* Whether an obsoletes entry (rpm's "name OP [E:]V[-R]", the release compared only when
 * it has one) covers the installed version. */
static bool dep_matches(const RepoXmlDep *dep, const Evr *installed) {
        static const struct {
                const char *flags;
                bool lt, eq, gt;
        } ops[] = { { "LT", true, false, false }, { "LE", true, true, false }, { "EQ", false, true, false },
                    { "GE", false, true, true }, { "GT", false, false, true } };

        if (!dep->flags || !*dep->flags)
                return true;
        RpmEvr want = { dep->epoch, dep->version, dep->release }, have = rpm_evr(installed);
        if (!dep->release || !*dep->release)
                have.release = want.release = NULL;
        int c = rpm_evr_compare(&have, &want);
        for (size_t i = 0; i < ELEMENTSOF(ops); i++)
                if (streq(dep->flags, ops[i].flags))
                        return c < 0 ? ops[i].lt : c == 0 ? ops[i].eq : ops[i].gt;
        return false;
}

/* The package rec, offered by the repository, obsoletes what dep names: installed
 * packages of another name it covers are replaced by it in dnf upgrade. */
static int offer_obsolete(RepoScan *s, const RepoXmlRecord *rec, const RepoXmlDep *dep) {
        Installed *x;
        size_t n;

        if (s->d->repos.no_obsoletes || !(n = find_name(s->d, dep->name, &x)))
                return 0;
        for (size_t i = 0; i < n; i++, x++) {
                RpmEvr offered = { rec->epoch, rec->version, rec->release }, best = rpm_evr(&x->obs);
                /* The same name is an update, not a replacement; the plugin hides what
                 * obsoletes a locked version. */
                if (streq(x->name, rec->name) || !dep_matches(dep, &x->evr) ||
                    dnf_versionlock_locked(&s->d->lock, x->name, x->evr.epoch, x->evr.version, x->evr.release, x->arch))
                        continue;
                if (x->obs_name && rpm_evr_compare(&offered, &best) <= 0)
                        continue;
                free(x->obs_name);
                free(x->obs_arch);
                if (!(x->obs_name = strdup(rec->name)) || !(x->obs_arch = strdup(rec->arch)) ||
                    evr_set(&x->obs, rec->epoch, rec->version, rec->release) < 0)
                        return -ENOMEM;
                x->obs_repo = s->repo->id;
        }
        return 0;
}

/* Not in dnf's view at all: the repository's excludes, and modular filtering (what a
 * module stream that is not active holds, or the active streams' names), which spares a
 * module_hotfixes repository. */
static bool excluded(const RepoScan *s, const RepoXmlRecord *rec) {
        return yum_excluded(s->repo->excludes, rec->name, rec->arch) ||
               (!s->repo->module_hotfixes &&
                dnf_modules_hides(&s->d->modules, rec->name, rec->epoch, rec->version, rec->release, rec->arch));
}

/* dnf.conf's excludes and the versionlock plugin hide a package the repository offers:
 * an update hidden so is held. */
static bool hidden(const RepoScan *s, const RepoXmlRecord *rec) {
        return yum_excluded(s->d->repos.main_excludes, rec->name, rec->arch) ||
               dnf_versionlock_hides(&s->d->lock, rec->name, rec->epoch, rec->version, rec->release, rec->arch);
}

/* What dnf does with a package the repository offers (its obsoletes: rec->obsoletes). */
static int offer(RepoScan *s, const RepoXmlRecord *rec) {
        Installed *x;
        size_t n;
        int k;

        /* Most packages are neither installed nor obsolete anything. */
        if (rec->n_obsoletes == 0 && installed_index(s->d, rec->name, strlen(rec->name)) < 0)
                return 0;
        if (excluded(s, rec))
                return 0;
        bool held = hidden(s, rec);
        for (size_t i = 0; i < rec->n_obsoletes && !held; i++)
                if ((k = offer_obsolete(s, rec, &rec->obsoletes[i])) < 0)
                        return k;
        if (!(n = find_name(s->d, rec->name, &x)))
                return 0;
        RpmEvr offered = { rec->epoch, rec->version, rec->release };
        for (size_t i = 0; i < n; i++, x++) {
                if (!arch_compatible(x->arch, rec->arch))
                        continue;
                RpmEvr inst = rpm_evr(&x->evr), cand = rpm_evr(&x->cand);
                if (rpm_evr_compare(&offered, &inst) <= 0)
                        continue;
                /* A visible candidate wins over an excluded one; the newest among each. */
                if (x->cand.version && (held && !x->held))
                        continue;
                if (x->cand.version && held == x->held && rpm_evr_compare(&offered, &cand) <= 0)
                        continue;
                if (evr_set(&x->cand, rec->epoch, rec->version, rec->release) < 0)
                        return -ENOMEM;
                x->held = held;
                x->cand_repo = s->repo->id;
        }
        return 0;
}

static int on_primary(const RepoXmlRecord *rec, void *userdata) {
        RepoScan *s = userdata;
        int k;

        if (!rec->name || !rec->arch || !rec->version || !rec->release || streq(rec->arch, "src") ||
            streq(rec->arch, "nosrc"))
                return 0;
        if (s->writer && (k = digest_add(s, rec, NULL)) < 0)
                return k;
        for (size_t i = 0; s->writer && i < rec->n_obsoletes; i++)
                if ((k = digest_add(s, rec, &rec->obsoletes[i])) < 0)
                        return k;
        return offer(s, rec);
}

static int on_updateinfo(const RepoXmlRecord *rec, void *userdata) {
        RepoScan *s = userdata;
        Installed *x;
        size_t n;
        int k;

        if (!streq_ptr(rec->type, "security") || !rec->id || !rec->name || !rec->arch || !rec->version ||
            !rec->release)
                return 0;
        if (s->writer && (k = digest_add(s, rec, NULL)) < 0)
                return k;
        /* An advisory for a version modular filtering hides fixes nothing dnf can install
         * (real modular advisories name their stream, which dnf matches the same way). */
        if (!(n = find_name(s->d, rec->name, &x)) ||
            (!s->repo->module_hotfixes &&
             dnf_modules_hides(&s->d->modules, rec->name, rec->epoch, rec->version, rec->release, rec->arch)))
                return 0;
        RpmEvr fixed = { rec->epoch, rec->version, rec->release };
        for (size_t i = 0; i < n; i++, x++) {
                RpmEvr inst = rpm_evr(&x->evr);
                if (!arch_compatible(x->arch, rec->arch) || rpm_evr_compare(&fixed, &inst) <= 0)
                        continue;
                x->security = true;
                /* Only the ranked severities (what a digest keeps), written as dnf writes them. */
                int rank = severity_rank(rec->severity);
                if (rank > severity_rank(x->severity)) {
                        free(x->severity);
                        if (!(x->severity = strdup(severities[rank - 1])))
                                return -ENOMEM;
                }
                if (x->n_advisories >= ADVISORIES_MAX || strv_contains(x->advisories, rec->id))
                        continue;
                char **l = reallocarray(x->advisories, x->n_advisories + 2, sizeof(char *));
                if (!l)
                        return -ENOMEM;
                x->advisories = l;
                if (!(l[x->n_advisories] = strdup(rec->id)))
                        return -ENOMEM;
                l[++x->n_advisories] = NULL;
        }
        return 0;
}

static AptCompression compression_of(const char *href) {
        static const struct {
                const char *suffix;
                AptCompression c;
        } table[] = { { ".gz", APT_COMPRESSION_GZ }, { ".xz", APT_COMPRESSION_XZ }, { ".zst", APT_COMPRESSION_ZST } };
        size_t l = strlen(href);
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                size_t sl = strlen(table[i].suffix);
                if (l > sl && streq(href + l - sl, table[i].suffix))
                        return table[i].c;
        }
        return APT_COMPRESSION_NONE;
}

/* A digest record back into the metadata record it was made of. */
static int from_digest(const AptIndexRecord *r, void *userdata) {
        RepoScan *s = userdata;
        char name[4096], arch[256], evr[1024];

        if (r->name_len >= sizeof(name) || r->arch_len >= sizeof(arch) || r->version_len >= sizeof(evr))
                return -EBADMSG;
        /* A record about a package that is not installed changes nothing: skip it before
         * copying anything (an obsoletes record is about the installed package it names). */
        const char *obs = memchr(r->version, '\n', r->version_len);
        if (!obs && installed_index(s->d, r->name, r->name_len) < 0)
                return 0;
        if (obs) {
                const char *end = r->version + r->version_len, *obs_end = memchr(obs + 1, '\n', (size_t) (end - obs - 1));
                if (obs_end && installed_index(s->d, obs + 1, (size_t) (obs_end - obs - 1)) < 0)
                        return 0;
        }
        memcpy(name, r->name, r->name_len);
        name[r->name_len] = 0;
        memcpy(arch, r->arch, r->arch_len);
        arch[r->arch_len] = 0;
        memcpy(evr, r->version, r->version_len);
        evr[r->version_len] = 0;
        char *dep[6] = { evr }, *id = strchr(evr, '\t');
        size_t n_dep = 1;
        for (char *p = evr; n_dep < ELEMENTSOF(dep) && (p = strchr(p, '\n'));)
                *p++ = 0, dep[n_dep++] = p;
        if (id)
                *id++ = 0;
        char *colon = strchr(evr, ':'), *dash = strrchr(evr, '-');
        if (!colon || !dash || dash < colon || (n_dep != 1 && n_dep != ELEMENTSOF(dep)) || (id && n_dep != 1))
                return -EBADMSG;
        *colon = *dash = 0;
        RepoXmlRecord rec = { .name = name, .arch = arch, .epoch = evr, .version = colon + 1, .release = dash + 1 };
        if (n_dep == ELEMENTSOF(dep)) {
                RepoXmlDep d = { dep[1], *dep[2] ? dep[2] : NULL, dep[3], dep[4], *dep[5] ? dep[5] : NULL };
                return excluded(s, &rec) || hidden(s, &rec) ? 0 : offer_obsolete(s, &rec, &d);
        }
        if (!id)
                return offer(s, &rec);
        rec.type = "security";
        rec.id = id;
        rec.severity = r->hash >= 1 && r->hash <= ELEMENTSOF(severities) ? severities[r->hash - 1] : NULL;
        return on_updateinfo(&rec, s);
}

/* An href of repomd.xml: a file of repodata/ ("repodata/…"), nothing outside. */
static bool valid_href(const char *href) {
        const char *base = strrchr(href, '/');
        return href[0] != '/' && !strstr(href, "..") && startswith_str(href, "repodata/") && base[1] && base[1] != '.';
}

/* Streams one metadata file of the repository's cache through the XML parser, or reads its
 * digest in cache_dir (NULL: none) while the file is unchanged; *digest names the digest. */
static int scan_file(int repo_fd, const char *href, RepoXmlKind kind, RepoScan *s, const char *cache_dir,
                     char **digest, char **ret_error) {
        _cleanup_(apt_index_reader_freep) AptIndexReader *reader = NULL;
        _cleanup_(apt_index_cache_writer_done) AptIndexCacheWriter writer = {};
        _cleanup_(repo_xml_freep) RepoXml *x = NULL;
        _cleanup_free_ char *buf = NULL, *err = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *base, *lib_error;
        AptIndexKey key;
        struct stat st;
        ssize_t n;
        int k;

        /* The href is relative to the repository ("repodata/…"); nothing outside. */
        if (!valid_href(href))
                return error_set(ret_error, -EBADMSG, "repomd.xml names \"%s\", outside repodata/", href);
        base = strrchr(href, '/');
        fd = openat(repo_fd, href, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        if (fd < 0)
                return error_set(ret_error, -errno, "cannot open \"%s\": %m", href);
        /* The digest is named after the repository id, which dnf restricts to these
         * characters: no path in it. */
        bool id_ok = s->repo->id[0] != '.' &&
                     strspn(s->repo->id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-") ==
                             strlen(s->repo->id);
        if (cache_dir && id_ok && fstat(fd, &st) >= 0) {
                if (asprintf(digest, "%s-%s", s->repo->id, base + 1) < 0)
                        return -ENOMEM;
                apt_index_key_from_stat(&st, &key);
                k = apt_index_cache_load(cache_dir, *digest, NULL, &key, from_digest, s);
                if (k != 0)
                        return k < 0 ? k : 0;
                s->writer = &writer;
        }
        if (!(buf = malloc(READ_CHUNK)))
                return -ENOMEM;
        /* After the digest: a run that reads it loads no decompression library either. */
        (void) posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        k = apt_index_reader_new(fd, compression_of(href), &reader, &lib_error);
        if (k < 0)
                return k == -ELIBACC ? error_set(ret_error, k, "\"%s\": %s", href, lib_error) : k;
        TAKE_FD(fd); /* the reader's now */
        k = repo_xml_new(kind, kind == REPO_XML_PRIMARY ? on_primary : on_updateinfo, s, &x, &err);
        if (k < 0)
                return err ? error_set(ret_error, k, "\"%s\": %s", href, err) : k;
        do {
                n = apt_index_reader_read(reader, buf, READ_CHUNK);
                if (n < 0)
                        return error_set(ret_error, (int) n, "\"%s\" is %s", href,
                                         n == -EFBIG ? "larger than Vigie accepts" : "corrupt or truncated");
                k = repo_xml_feed(x, buf, (size_t) n, n == 0, &err);
                if (k < 0) {
                        s->writer = NULL;
                        return error_set(ret_error, k, "\"%s\": %s", href, err ? err : strerror(-k));
                }
        } while (n > 0);
        if (s->writer)
                apt_index_cache_save(&writer, cache_dir, *digest, NULL, &key);
        s->writer = NULL;
        return 0;
}

/* Digests of metadata files that are gone: dnf replaced them. */
static void prune_digests(const char *cache_dir, char *const *used) {
        _cleanup_closedir_ DIR *d = opendir(cache_dir);
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' && !strv_contains(used, de->d_name) && unlinkat(dirfd(d), de->d_name, 0) < 0)
                        log_debug_errno(errno, "Cannot remove the stale dnf metadata digest \"%s/%s\": %m", cache_dir,
                                        de->d_name);
}

/* The repository's cache directory ("fedora-0e7f07e1d63439c1": named after its expanded
 * URL, so the cache of an older $releasever or of a moved mirror is not it), the one with
 * the newer repomd.xml of dnf 4's and dnf5's. */
static int find_repo_cache(int root_fd, const YumRepo *repo, int *ret_fd, usec_t *ret_mtime) {
        char name[YUM_CACHE_NAME_MAX];
        int best = -ENOENT, k;
        usec_t best_t = 0;

        if ((k = yum_repo_cache_name(repo, name)) < 0)
                return k;
        for (size_t i = 0; i < ELEMENTSOF(cache_dirs); i++) {
                _cleanup_free_ char *path = path_join(cache_dirs[i], name);
                struct stat st;

                if (!path)
                        return -ENOMEM;
                int fd = root_openat(root_fd, path, O_RDONLY | O_DIRECTORY);
                if (fd < 0)
                        continue;
                usec_t t = fstatat(fd, "repodata/repomd.xml", &st, AT_SYMLINK_NOFOLLOW) >= 0
                                   ? (usec_t) st.st_mtim.tv_sec * USEC_PER_SEC : 0;
                if (t == 0 || (best >= 0 && t <= best_t)) {
                        close(fd);
                        continue;
                }
                if (best >= 0)
                        close(best);
                best = fd;
                best_t = t;
        }
        if (best < 0)
                return best;
        *ret_fd = best;
        *ret_mtime = best_t;
        return 0;
}

/* The repository's cache and what its repomd.xml lists (in s); 0 with *ret_fd -EBADF: never
 * downloaded, dnf -C sees nothing of it either. */
static int open_repo(int root_fd, const YumRepo *repo, RepoScan *s, int *ret_fd, usec_t *ret_mtime,
                     char **ret_error) {
        _cleanup_free_ char *repomd = NULL, *err = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t size;
        int k;

        *ret_fd = -EBADF;
        k = find_repo_cache(root_fd, repo, &fd, ret_mtime);
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return 0;
        int mfd = openat(fd, "repodata/repomd.xml", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (mfd < 0 || (k = read_fd_full(mfd, REPOMD_MAX, &repomd, &size)) < 0) {
                k = mfd < 0 ? -errno : k;
                if (mfd >= 0)
                        close(mfd);
                return error_set(ret_error, k, "repository \"%s\": cannot read repomd.xml: %s", repo->id, strerror(-k));
        }
        close(mfd);
        k = repo_xml_parse(REPO_XML_REPOMD, repomd, size, on_repomd, s, &err);
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return error_set(ret_error, k, "repository \"%s\" (cached metadata): %s", repo->id, err ? err : strerror(-k));
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static void repo_scan_done(RepoScan *s) {
        free(s->primary);
        free(s->updateinfo);
        free(s->modules);
}

/* The module streams of the repository's modules.yaml (dnf 4's modular metadata). */
static int load_modules(int root_fd, DnfData *d, const YumRepo *repo, char **ret_error) {
        _cleanup_(repo_scan_done) RepoScan s = { d, repo };
        _cleanup_(apt_index_reader_freep) AptIndexReader *reader = NULL;
        _cleanup_free_ char *text = NULL, *err = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *lib_error;
        size_t size = 0, cap = 0;
        usec_t t;
        int k;

        k = open_repo(root_fd, repo, &s, &fd, &t, ret_error);
        if (k < 0 || fd < 0 || !s.modules)
                return k;
        if (!valid_href(s.modules))
                return error_set(ret_error, -EBADMSG, "repository \"%s\": repomd.xml names \"%s\", outside repodata/",
                                 repo->id, s.modules);
        int mfd = openat(fd, s.modules, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        if (mfd < 0)
                return error_set(ret_error, -errno, "repository \"%s\": cannot open \"%s\": %m", repo->id, s.modules);
        if ((k = apt_index_reader_new(mfd, compression_of(s.modules), &reader, &lib_error)) < 0) {
                close(mfd);
                return k == -ELIBACC ? error_set(ret_error, k, "repository \"%s\": \"%s\": %s", repo->id, s.modules,
                                                 lib_error)
                                     : k;
        }
        for (ssize_t n = 1; n > 0; size += (size_t) n) {
                if (size == cap) {
                        cap = cap ? MIN(2 * cap, (size_t) MODULEMD_FILE_MAX + 1) : READ_CHUNK;
                        char *grown = realloc(text, cap);
                        if (!grown)
                                return -ENOMEM;
                        text = grown;
                }
                n = apt_index_reader_read(reader, text + size, cap - size);
                if (n < 0 || size + (size_t) n > MODULEMD_FILE_MAX)
                        return error_set(ret_error, n < 0 ? (int) n : -EFBIG, "repository \"%s\": \"%s\" is %s", repo->id,
                                         s.modules, n >= 0 || n == -EFBIG ? "larger than Vigie accepts" : "corrupt or truncated");
        }
        k = dnf_modules_add_yaml(&d->modules, text, size, &err);
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return error_set(ret_error, k, "repository \"%s\": \"%s\": %s", repo->id, s.modules,
                                 k == -E2BIG ? "more modules than Vigie accepts" : err ? err : strerror(-k));
        return 0;
}

static int scan_repo(int root_fd, DnfData *d, const YumRepo *repo, const char *cache_dir, char ***digests,
                     usec_t *newest, char **ret_error) {
        _cleanup_(repo_scan_done) RepoScan s = { d, repo };
        _cleanup_free_ char *err = NULL, *dg1 = NULL, *dg2 = NULL;
        _cleanup_close_ int fd = -EBADF;
        usec_t t;
        int k;

        k = open_repo(root_fd, repo, &s, &fd, &t, ret_error);
        if (k < 0 || fd < 0)
                return k;
        *newest = MAX(*newest, t);
        if (s.primary)
                k = scan_file(fd, s.primary, REPO_XML_PRIMARY, &s, cache_dir, &dg1, &err);
        if (k >= 0 && s.updateinfo)
                k = scan_file(fd, s.updateinfo, REPO_XML_UPDATEINFO, &s, cache_dir, &dg2, &err);
        if ((dg1 && strv_push(digests, TAKE_PTR(dg1)) < 0) || (dg2 && strv_push(digests, TAKE_PTR(dg2)) < 0))
                return -ENOMEM;
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return error_set(ret_error, k, "repository \"%s\" (cached metadata): %s", repo->id,
                                 err ? err : strerror(-k));
        return 0;
}

/* Enabled: systemctl enable linked it into timers.target.wants (the link names a unit
 * file outside the root's /etc, which need not resolve here). */
static bool timer_enabled(int root_fd, const char *timer) {
        _cleanup_free_ char *target = NULL;
        char path[256];
        snprintf(path, sizeof(path), "/etc/systemd/system/timers.target.wants/%s", timer);
        return root_exists(root_fd, path) || root_readlink(root_fd, path, &target) >= 0;
}

/* apply_updates= of an automatic.conf's [commands], off by default. */
static bool applies_updates(int root_fd, const char *conf) {
        _cleanup_free_ char *text = NULL, *value = NULL;
        bool on = false;

        if (root_read_file(root_fd, conf, 1024 * 1024, &text, NULL) < 0 ||
            yum_ini_get(text, "commands", "apply_updates", &value) < 0 || !value)
                return false;
        return yum_parse_bool(value, &on) >= 0 && on;
}

/* dnf-automatic-install.timer installs; dnf-automatic.timer and dnf5-automatic.timer do
 * when their configuration says apply_updates. */
static bool automatic_enabled(int root_fd) {
        return timer_enabled(root_fd, "dnf-automatic-install.timer") ||
               (timer_enabled(root_fd, "dnf-automatic.timer") && applies_updates(root_fd, "/etc/dnf/automatic.conf")) ||
               (timer_enabled(root_fd, "dnf5-automatic.timer") &&
                applies_updates(root_fd, "/etc/dnf/dnf5-plugins/automatic.conf"));
}

/* needs-restarting -r: these packages, updated since boot, need a reboot. */
static const char *const need_reboot[] = {
        "kernel", "kernel-core", "kernel-rt", "glibc", "linux-firmware", "systemd",
        "dbus", "dbus-broker", "dbus-daemon", "microcode_ctl",
};

static uint64_t boot_time(int root_fd) {
        _cleanup_free_ char *stat = NULL;
        uint64_t t;

        if (root_read_file(root_fd, "/proc/stat", 1024 * 1024, &stat, NULL) < 0)
                return 0;
        const char *p = strstr(stat, "\nbtime ");
        if (!p)
                return 0;
        p += strlen("\nbtime ");
        char num[32];
        snprintf(num, sizeof(num), "%.*s", (int) strcspn(p, "\n"), p);
        return parse_uint64(num, &t) < 0 ? 0 : t;
}

static int check_reboot(int root_fd, const DnfData *d, PkgState *st) {
        uint64_t boot = boot_time(root_fd);
        _cleanup_json_ json_object *list = NULL;
        char names[256] = "";

        if (boot == 0)
                return 0;
        for (size_t i = 0; i < d->n_pkgs; i++) {
                const Installed *x = &d->pkgs[i];
                bool core = false;
                for (size_t j = 0; j < ELEMENTSOF(need_reboot); j++)
                        core = core || streq(x->name, need_reboot[j]);
                if (!core || x->install_time <= boot)
                        continue;
                if (!list && !(list = json_object_new_array()))
                        return -ENOMEM;
                if (json_object_array_add(list, json_object_new_string(x->name)) < 0)
                        return -ENOMEM;
                size_t l = strlen(names);
                snprintf(names + l, sizeof(names) - l, "%s%s", l ? ", " : "", x->name);
        }
        if (!list)
                return 0;
        st->reboot = true;
        st->reboot_packages = TAKE_PTR(list);
        return asprintf(&st->reboot_reason, _("core packages were updated since boot (%s)"), names) < 0 ? -ENOMEM : 0;
}

static bool dnf_detect(int root_fd) {
        static const char *const dirs[] = RPMDB_DIRS;
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if (root_exists(root_fd, dirs[i]))
                        return true;
        return false;
}

/* As dnf's _read_conf_file: $arch and $basearch of this machine, then the variable files
 * (which may set them), then the release version found in rpm's database unless a file
 * set it. */
static int load_vars(int root_fd, DnfData *d) {
        const char *rel;
        int k;

        if ((k = dnf_vars_set(&d->vars, "arch", d->uts.machine)) < 0 ||
            (k = dnf_vars_set(&d->vars, "basearch", dnf_basearch(d->uts.machine))) < 0 ||
            (k = dnf_vars_load_dirs(&d->vars, root_fd)) < 0)
                return k;
        rel = dnf_releasever_get(&d->releasever);
        if (!dnf_vars_get(&d->vars, "releasever") && rel && (k = dnf_vars_set(&d->vars, "releasever", rel)) < 0)
                return k;
        return 0;
}

static int dnf_load(const CheckContext *ctx, PkgState *ret, char **ret_error) {
        _cleanup_(dnf_data_freep) DnfData *d = calloc(1, sizeof(DnfData));
        _cleanup_free_ PkgUpdate *updates = NULL;
        _cleanup_strv_free_ char **digests = NULL;
        usec_t newest = 0;
        size_t n = 0;
        int k;

        /* Digests of the metadata live in the state directory; without one, every run
         * reads the metadata itself. */
        _cleanup_free_ char *cache_dir = ctx->state_dir ? path_join(ctx->state_dir, DIGEST_DIR) : NULL;
        if (!d || (ctx->state_dir && !cache_dir))
                return -ENOMEM;
        k = rpm_db_foreach(ctx->root_fd, add_installed, d, ret_error);
        if (k == -E2BIG)
                return error_set(ret_error, k, "more than %u installed packages", INSTALLED_MAX);
        if (k < 0)
                return k;
        keep_newest(d);
        k = index_names(d);
        if (k < 0)
                return k;
        (void) uname(&d->uts);
        k = load_vars(ctx->root_fd, d);
        if (k < 0)
                return k;
        k = yum_repos_load(ctx->root_fd, &d->vars, &d->repos, ret_error);
        if (k < 0)
                return k;
        k = dnf_versionlock_load(ctx->root_fd, !d->repos.no_plugins, &d->lock, ret_error);
        if (k < 0)
                return k;
        /* Modular filtering needs every repository's module streams before any package. */
        for (size_t i = 0; i < d->repos.n_repos; i++)
                if (d->repos.repos[i].enabled && (k = load_modules(ctx->root_fd, d, &d->repos.repos[i], ret_error)) < 0)
                        return k;
        if (d->modules.n_streams > 0 && ((k = dnf_modules_load_state(&d->modules, ctx->root_fd, ret_error)) < 0 ||
                                         (k = dnf_modules_resolve(&d->modules)) < 0))
                return k;
        for (size_t i = 0; i < d->repos.n_repos; i++)
                if (d->repos.repos[i].enabled &&
                    (k = scan_repo(ctx->root_fd, d, &d->repos.repos[i], cache_dir, &digests, &newest, ret_error)) < 0)
                        return k;
        if (cache_dir)
                prune_digests(cache_dir, digests);

        updates = calloc(d->n_pkgs + 1, sizeof(PkgUpdate));
        if (!updates)
                return -ENOMEM;
        for (size_t i = 0; i < d->n_pkgs; i++) {
                Installed *x = &d->pkgs[i];
                /* An obsoleting package replaces it, whatever update there is. */
                if (x->obs_name) {
                        evr_done(&x->cand);
                        x->cand = x->obs;
                        x->obs = (Evr) {};
                        x->cand_repo = x->obs_repo;
                        x->held = false;
                        if (asprintf(&x->obs_text, "%s.%s", x->obs_name, x->obs_arch) < 0)
                                return -ENOMEM;
                }
                if (!x->cand.version)
                        continue;
                if (!(x->cand_text = evr_text(x->cand.epoch, x->cand.version, x->cand.release)))
                        return -ENOMEM;
                updates[n++] = (PkgUpdate) {
                        .name = x->name, .arch = x->arch, .installed = x->evr_text, .candidate = x->cand_text,
                        .security = x->security, .held = x->held, .phased = 100, .origin = x->cand_repo,
                        .severity = x->security ? x->severity : NULL, .advisories = x->security ? x->advisories : NULL,
                        .obsoleted_by = x->obs_text,
                };
        }
        k = check_reboot(ctx->root_fd, d, ret);
        if (k < 0)
                return k;
        ret->source = &pkg_source_dnf;
        ret->updates = TAKE_PTR(updates);
        ret->n_updates = n;
        ret->last_refresh = newest;
        ret->automatic = automatic_enabled(ctx->root_fd);
        ret->native_arch = d->uts.machine;
        ret->data_free = dnf_data_free;
        ret->data = TAKE_PTR(d);
        return 0;
}

const PkgSource pkg_source_dnf = {
        .id = "dnf",
        .detect = dnf_detect,
        .load = dnf_load,
        .texts = {
                .origin_key = "repository",
                .automatic_key = "automatic_updates",
                .fix_updates = N_("Open GNOME Software and install all updates "
                                  "(or run: sudo dnf upgrade --refresh)."),
                .never_refreshed = N_("dnf has never downloaded its repository metadata"),
                .fix_refresh = N_("Connect to the internet and open GNOME Software (or run: sudo dnf makecache)."),
                .fix_automatic = N_("Turn on automatic updates (run: sudo dnf install dnf-automatic && "
                                    "sudo systemctl enable --now dnf-automatic-install.timer)."),
        },
};
