/* SPDX-License-Identifier: MIT */
/* The apt package source of patch_level (pkg-source.h): pending upgrades are computed
 * natively, the way `apt list --upgradable` computes them (dpkg status + apt's lists + pins,
 * see apt-cache.h), security ones are those published in a *-security suite; then how fresh
 * apt's lists are, whether unattended-upgrades runs and whether a reboot is due. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apt-cache.h"
#include "apt-conf.h"
#include "apt-index-cache.h"
#include "apt-lists.h"
#include "apt-prefs.h"
#include "apt-result-cache.h"
#include "cleanup.h"
#include "deb-version.h"
#include "deb822.h"
#include "dpkg-status.h"
#include "dpkg-status-cache.h"
#include "fs-util.h"
#include "i18n.h"
#include "json-util.h"
#include "log.h"
#include "parse-util.h"
#include "pkg-apt.h"
#include "pkg-source.h"
#include "time-util.h"

#define STATUS_MAX (512u * 1024 * 1024)
#define STAMP_PATH "/var/lib/apt/periodic/update-success-stamp"
#define REBOOT_FLAG "/run/reboot-required"

typedef struct Scan {
        AptCache *cache;
        uint32_t file_index;
        AptIndexCacheWriter *writer;    /* building the list's digest: every stanza counts */
        AptIndexCacheWriter *installed; /* building its installed part: the stanzas kept */
} Scan;

static int add_record(const AptIndexRecord *rec, void *userdata) {
        Scan *s = userdata;
        AptPackage *p = apt_cache_find(s->cache, rec->name, rec->name_len, rec->arch, rec->arch_len);
        int r;

        if (!p)
                return 0;
        if (s->installed && (r = apt_index_cache_writer_add(s->installed, rec)) < 0)
                return r;
        return apt_cache_add_version(s->cache, p, s->file_index, rec->version, rec->version_len, rec->phased,
                                     rec->hash, rec->size);
}

/* Most stanzas are packages this machine does not have: look at the first line only and
 * skip the rest unparsed — unless a digest is being built, which holds every package. A
 * skipped stanza may be malformed without harm; when building, such a stanza makes the
 * digest unusable (it would have to fail for some other set of installed packages). */
static int on_stanza(const char *start, const char *end, void *userdata) {
        Scan *s = userdata;
        const char *name = start + 8, *ne;
        Deb822Parser parser;
        Deb822Stanza st;
        char arch[64], version[256], phased[16];
        bool skippable = false;
        int r;

        if (end - start > 8 && (memcmp(start, "Package:", 8) == 0 || strncasecmp(start, "Package:", 8) == 0)) {
                while (name < end && (*name == ' ' || *name == '\t'))
                        name++;
                ne = name;
                while (ne < end && *ne != '\n' && *ne != '\r' && *ne != ' ' && *ne != '\t')
                        ne++;
                skippable = !apt_cache_find_name(s->cache, name, (size_t) (ne - name));
                if (skippable && !s->writer)
                        return 0;
        }
        deb822_parser_init(&parser, start, (size_t) (end - start));
        r = deb822_next(&parser, &st);
        if (r == 0)
                return 0;
        const Deb822Field *pf = r > 0 ? deb822_find(&st, "Package") : NULL;
        if (r < 0 || !pf || !deb822_get(&st, "Version", version, sizeof(version)) ||
            !deb822_get(&st, "Architecture", arch, sizeof(arch))) {
                if (!skippable)
                        return r < 0 ? r : -EBADMSG;
                s->writer->unusable = true;
                return 0;
        }
        size_t nl = strcspn(pf->value, " \t\r\n");
        nl = MIN(nl, pf->value_len);
        int pct = 100;
        if (deb822_get(&st, "Phased-Update-Percentage", phased, sizeof(phased)) &&
            parse_int_range(phased, 0, 100, &pct) < 0)
                pct = 100;
        uint64_t size = 0;
        char sz[32];
        if (!deb822_get(&st, "Size", sz, sizeof(sz)) || parse_uint64(sz, &size) < 0)
                size = 0;
        AptIndexRecord rec = { .name = pf->value, .name_len = nl, .arch = arch, .arch_len = strlen(arch),
                               .version = version, .version_len = strlen(version), .phased = pct,
                               .hash = apt_stanza_hash(&st), .size = size };
        if (s->writer && (r = apt_index_cache_writer_add(s->writer, &rec)) < 0)
                return r;
        return add_record(&rec, s);
}

/* Digests of lists that are gone: apt update renamed or dropped them. */
static void prune_digests(int lists_fd, const char *cache_dir) {
        _cleanup_closedir_ DIR *d = opendir(cache_dir);
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' && faccessat(lists_fd, de->d_name, F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
                    errno == ENOENT && unlinkat(dirfd(d), de->d_name, 0) < 0)
                        log_debug_errno(errno, "Cannot remove the stale apt index cache \"%s/%s\": %m", cache_dir,
                                        de->d_name);
}

/* Two digests per list (apt-index-cache.h): DIR/apt-index/NAME holds every stanza and is
 * valid while the list is unchanged; DIR/apt-installed/NAME holds the stanzas of installed
 * packages only — all a run keeps — and is valid while neither the list nor dpkg's status
 * changed (its scope). An hourly run on an unchanged system reads only the second: a few
 * thousand records instead of every package of every list. */
static int scan_list(AptCache *cache, int lists_fd, uint32_t file_index, const AptDigests *dg, char **ret_error) {
        _cleanup_(apt_index_reader_freep) AptIndexReader *reader = NULL;
        _cleanup_(apt_index_cache_writer_done) AptIndexCacheWriter writer = {}, installed = {};
        const char *name = cache->files[file_index].name, *lib_error;
        Scan scan = { cache, file_index, NULL, NULL };
        AptIndexKey key;
        struct stat st;
        int r;
        _cleanup_close_ int fd = openat(lists_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);

        if (fd < 0) {
                r = -errno;
                return json_error(ret_error, "cannot open \"%s\": %s", name, strerror(-r)), r;
        }
        bool digests = dg && dg->lists_dir && fstat(fd, &st) >= 0;
        if (digests) {
                apt_index_key_from_stat(&st, &key);
                if (dg->installed_dir && dg->scope) {
                        r = apt_index_cache_load(dg->installed_dir, name, dg->scope, &key, add_record, &scan);
                        if (r != 0)
                                return r < 0 ? r : 0;
                        scan.installed = &installed;
                }
                r = apt_index_cache_load(dg->lists_dir, name, NULL, &key, add_record, &scan);
                if (r < 0)
                        return r;
                if (r > 0) {
                        if (scan.installed)
                                apt_index_cache_save(&installed, dg->installed_dir, name, dg->scope, &key);
                        return 0;
                }
                scan.writer = &writer;
        }
        (void) posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        r = apt_index_reader_new(fd, cache->files[file_index].compression, &reader, &lib_error);
        if (r == -ELIBACC)
                return error_set(ret_error, r, "\"%s\": %s", name, lib_error);
        if (r < 0)
                return r;
        TAKE_FD(fd); /* the reader's now */
        r = apt_index_foreach_stanza(reader, on_stanza, &scan);
        if (r == -EBADMSG)
                return json_error(ret_error, "\"%s\" is corrupt or truncated", name), r;
        if (r == -EFBIG)
                return json_error(ret_error, "\"%s\" is larger than Vigie accepts", name), r;
        if (r < 0)
                return json_error(ret_error, "cannot read \"%s\": %s", name, strerror(-r)), r;
        if (scan.writer)
                apt_index_cache_save(&writer, dg->lists_dir, name, NULL, &key);
        if (scan.installed)
                apt_index_cache_save(&installed, dg->installed_dir, name, dg->scope, &key);
        return 0;
}

int apt_scan_lists(AptCache *cache, int lists_fd, const AptSources *sources, const AptDigests *dg,
                   usec_t *ret_newest, char **ret_error) {
        AptFile *files = NULL;
        size_t n = 0, first;
        int r;

        r = apt_lists_enumerate(lists_fd, sources, &files, &n, ret_newest, ret_error);
        if (r < 0)
                return r;
        first = cache->n_files;
        r = apt_cache_add_files(cache, files, n);
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        apt_file_done(&files[i]);
                free(files);
                return r;
        }
        for (size_t i = first; i < cache->n_files; i++) {
                r = scan_list(cache, lists_fd, (uint32_t) i, dg, ret_error);
                if (r < 0)
                        return r;
        }
        if (dg && dg->lists_dir)
                prune_digests(lists_fd, dg->lists_dir);
        if (dg && dg->installed_dir)
                prune_digests(lists_fd, dg->installed_dir);
        return 0;
}

/* What the installed-package digests depend on besides the lists: dpkg's status (which dpkg
 * replaces by rename, so any change moves its key; a rewrite in place moves its ctime) and
 * the native architecture. st is taken on the descriptor the status is read from, before
 * it is read: a status replaced in between makes the scope stale, never a newer status
 * look like the old one. NULL: no installed-package digests this run. */
static char *digest_scope(const struct stat *st, const char *arch) {
        char *s;

        if (asprintf(&s, "dpkg-status %" PRIu64 ":%" PRIu64 ":%" PRIu64 ":%" PRIi64 ".%09" PRIi64 ":%" PRIi64 ".%09" PRIi64 " %s",
                     (uint64_t) st->st_dev, (uint64_t) st->st_ino, (uint64_t) st->st_size, (int64_t) st->st_mtim.tv_sec,
                     (int64_t) st->st_mtim.tv_nsec, (int64_t) st->st_ctim.tv_sec, (int64_t) st->st_ctim.tv_nsec, arch) < 0)
                return NULL;
        return s;
}

/* The installed packages, from dpkg's status on fd (whose stat is st), through its digest in
 * status_dir (NULL: none) while the status is unchanged. */
static int load_status(int root_fd, int fd, const struct stat *st, const char *status_dir, AptCache **ret,
                       char **ret_error) {
        _cleanup_(apt_cache_freep) AptCache *c = NULL;
        _cleanup_free_ char *status = NULL, *err = NULL;
        struct stat after;
        char arch[64];
        size_t size;
        int r;

        if (status_dir) {
                r = dpkg_status_cache_load(status_dir, st, ret);
                if (r != 0)
                        return r < 0 ? r : 0;
        }
        r = read_fd_full(fd, STATUS_MAX, &status, &size);
        if (r < 0)
                return json_error(ret_error, "cannot read \"%s\": %s", DPKG_STATUS_PATH, strerror(-r)), r;
        r = dpkg_native_arch(root_fd, status, size, arch, sizeof(arch), &err);
        if (r < 0)
                return json_error(ret_error, "%s:%s", DPKG_STATUS_PATH, strnull(err)), r;
        bool arch_in_status = r > 0;
        c = apt_cache_new(arch);
        if (!c)
                return -ENOMEM;
        r = dpkg_status_load(c, status, size, &err);
        if (r < 0)
                return json_error(ret_error, "%s:%s", DPKG_STATUS_PATH, strnull(err)), r;
        /* Not a digest of a status that changed while it was read. */
        if (status_dir && arch_in_status && fstat(fd, &after) >= 0 && dpkg_status_same(st, &after))
                dpkg_status_cache_save(status_dir, st, c);
        *ret = TAKE_PTR(c);
        return 0;
}

int apt_state_load(int root_fd, const char *cache_dir, AptState **ret, char **ret_error) {
        _cleanup_(apt_state_freep) AptState *d = calloc(1, sizeof(AptState));
        _cleanup_(apt_prefs_freep) AptPrefs *prefs = NULL;
        _cleanup_(apt_sources_done) AptSources sources = {};
        _cleanup_free_ char *err = NULL, *lists_dir = NULL, *installed_dir = NULL, *status_dir = NULL, *scope = NULL;
        _cleanup_close_ int lists_fd = -EBADF, status_fd = -EBADF;
        struct stat st;
        int r;

        if (!d)
                return -ENOMEM;
        if (cache_dir) {
                lists_dir = path_join(cache_dir, APT_INDEX_CACHE_DIR);
                installed_dir = path_join(cache_dir, APT_INSTALLED_CACHE_DIR);
                status_dir = path_join(cache_dir, DPKG_STATUS_CACHE_DIR);
                if (!lists_dir || !installed_dir || !status_dir)
                        return -ENOMEM;
        }
        status_fd = root_openat(root_fd, DPKG_STATUS_PATH, O_RDONLY | O_NOCTTY);
        if (status_fd < 0)
                return json_error(ret_error, "cannot read \"%s\": %s", DPKG_STATUS_PATH, strerror(-status_fd)), status_fd;
        if (fstat(status_fd, &st) < 0) {
                r = -errno;
                return json_error(ret_error, "cannot read \"%s\": %s", DPKG_STATUS_PATH, strerror(-r)), r;
        }
        r = load_status(root_fd, status_fd, &st, status_dir, &d->cache, ret_error);
        if (r < 0)
                return r;
        if (cache_dir)
                scope = digest_scope(&st, d->cache->native_arch);

        r = apt_conf_load(root_fd, &d->conf, ret_error);
        if (r < 0)
                return r;
        r = apt_prefs_load(root_fd, &prefs, ret_error);
        if (r < 0)
                return r;

        /* Only the lists of configured repositories, as apt (no sources files at all, as
         * in a bare tree: every list). */
        r = apt_sources_load(root_fd, &sources);
        if (r < 0)
                return r;
        lists_fd = root_openat(root_fd, APT_LISTS_DIR, O_RDONLY | O_DIRECTORY);
        if (lists_fd >= 0) {
                AptDigests dg = { lists_dir, installed_dir, scope };
                r = apt_scan_lists(d->cache, lists_fd, &sources, &dg, &d->lists_newest, &err);
                if (r < 0)
                        return json_error(ret_error, "%s/%s", APT_LISTS_DIR, strnull(err)), r;
        } else if (lists_fd != -ENOENT)
                return json_error(ret_error, "cannot open \"%s\": %s", APT_LISTS_DIR, strerror(-lists_fd)), lists_fd;

        apt_cache_compute_candidates(d->cache, prefs, apt_conf_get(d->conf, "APT::Default-Release"));
        if (prefs->warnings)
                d->pref_warnings = TAKE_PTR(prefs->warnings);
        *ret = TAKE_PTR(d);
        return 0;
}

AptState *apt_state_free(AptState *d) {
        if (!d)
                return NULL;
        apt_cache_free(d->cache);
        apt_conf_free(d->conf);
        strv_free(d->pref_warnings);
        free(d);
        return NULL;
}

/* "6.1.0-13-amd64" → "amd64": kernels of one flavour compare by version. */
static const char *kernel_flavour(const char *rel) {
        const char *p = strchr(rel, '-');
        if (!p)
                return "";
        p++;
        const char *q = p;
        while (*q >= '0' && *q <= '9')
                q++;
        if (q > p && *q == '-')
                return q + 1;
        return p;
}

static int check_reboot(const CheckContext *ctx, char *const *kernels, bool *ret_required,
                        char **ret_reason, json_object **ret_packages) {
        _cleanup_free_ char *running = NULL, *pkgs = NULL, *newest = NULL;
        _cleanup_json_ json_object *list = NULL;

        if (root_exists(ctx->root_fd, REBOOT_FLAG)) {
                list = json_object_new_array();
                if (!list)
                        return -ENOMEM;
                if (root_read_file(ctx->root_fd, REBOOT_FLAG ".pkgs", 1024 * 1024, &pkgs, NULL) >= 0)
                        for (char *p = pkgs, *nl; p && *p; p = nl ? nl + 1 : NULL) {
                                nl = strchr(p, '\n');
                                if (nl)
                                        *nl = 0;
                                if (*p && json_object_array_length(list) < 1000 &&
                                    json_object_array_add(list, json_object_new_string(p)) < 0)
                                        return -ENOMEM;
                        }
                *ret_required = true;
                *ret_packages = TAKE_PTR(list);
                return asprintf(ret_reason, _("%s exists (a package asked for a reboot)"), REBOOT_FLAG) < 0 ? -ENOMEM : 0;
        }
        if (root_read_file(ctx->root_fd, "/proc/sys/kernel/osrelease", 4096, &running, NULL) >= 0) {
                running[strcspn(running, "\n \t")] = 0;
                const char *flavour = kernel_flavour(running);
                for (char *const *k = kernels; k && *k; k++) {
                        const char *rel = *k + 12;
                        if (!streq(kernel_flavour(rel), flavour))
                                continue;
                        if (!newest || deb_version_compare(rel, newest) > 0) {
                                free(newest);
                                if (!(newest = strdup(rel)))
                                        return -ENOMEM;
                        }
                }
                if (running[0] && newest && deb_version_compare(newest, running) > 0) {
                        *ret_required = true;
                        return asprintf(ret_reason, _("running kernel %s is older than the installed kernel %s"),
                                        running, newest) < 0 ? -ENOMEM : 0;
                }
        }
        *ret_required = false;
        return 0;
}

static bool unattended_enabled(const AptConf *conf, const AptCache *c) {
        const char *v = apt_conf_get(conf, "APT::Periodic::Unattended-Upgrade");
        const AptPackage *p = apt_cache_find_name(c, "unattended-upgrades", strlen("unattended-upgrades"));

        /* apt.systemd.daily: nothing runs when Enable is 0; the interval is in days,
         * "always" in newer versions; and the tool must be installed. */
        if (!p || apt_conf_get_int(conf, "APT::Periodic::Enable", 1) == 0 || !v)
                return false;
        if (strcasecmp(v, "always") == 0)
                return true;
        return apt_conf_get_int(conf, "APT::Periodic::Unattended-Upgrade", 0) != 0;
}

static bool apt_detect(int root_fd) {
        return root_exists(root_fd, DPKG_STATUS_PATH);
}

static bool is_kernel_package(const char *name) {
        return startswith_str(name, "linux-image-") && name[12] >= '0' && name[12] <= '9';
}

/* What patch_level reports, computed from dpkg's status, apt's configuration and lists. */
static int compute_result(int root_fd, const char *cache_dir, AptResult **ret, char **ret_error) {
        _cleanup_(apt_state_freep) AptState *d = NULL;
        _cleanup_(apt_result_freep) AptResult *res = calloc(1, sizeof(AptResult));
        int r;

        if (!res)
                return -ENOMEM;
        r = apt_state_load(root_fd, cache_dir, &d, ret_error);
        if (r < 0)
                return r;
        res->updates = calloc(d->cache->n_packages + 1, sizeof(AptResultUpdate));
        res->native_arch = strdup(d->cache->native_arch);
        if (!res->updates || !res->native_arch)
                return -ENOMEM;
        for (size_t i = 0; i < d->cache->n_packages; i++) {
                const AptPackage *p = &d->cache->packages[i];
                const AptFile *sf = NULL;

                if (is_kernel_package(p->name) && strv_extend(&res->kernels, p->name) < 0)
                        return -ENOMEM;
                if (!apt_package_upgradable(p))
                        continue;
                const AptVersion *sv = apt_package_security_version(d->cache, p, &sf);
                const char *origin = !sv ? NULL : sf->release.codename[0] && strstr(sf->release.codename, "-security")
                                                          ? sf->release.codename : sf->release.suite;
                AptResultUpdate *u = &res->updates[res->n_updates++];
                *u = (AptResultUpdate) {
                        .name = strdup(p->name), .arch = strdup(p->arch), .installed = strdup(p->installed),
                        .candidate = strdup(p->candidate->version), .origin = origin ? strdup(origin) : NULL,
                        .held = p->held, .phased = p->candidate->phased,
                };
                if (!u->name || !u->arch || !u->installed || !u->candidate || (origin && !u->origin))
                        return -ENOMEM;
        }
        res->lists_newest = d->lists_newest;
        res->automatic = unattended_enabled(d->conf, d->cache);
        res->warnings = TAKE_PTR(d->pref_warnings);
        *ret = TAKE_PTR(res);
        return 0;
}

/* The result from its cache while none of its inputs changed (apt-result-cache.h), else
 * computed, and kept when no input changed while it was, nor so recently that a second
 * change in the same timestamp tick could pass unseen. */
static int load_result(int root_fd, const char *cache_dir, AptResult **ret, char **ret_error) {
        _cleanup_(apt_result_freep) AptResult *res = NULL;
        _cleanup_free_ char *key = NULL, *after = NULL;
        bool racy = true;
        int r;

        if (cache_dir && (r = apt_result_key(root_fd, &key, &racy)) == -ENOMEM)
                return r;
        if (key) {
                r = apt_result_load(cache_dir, key, ret);
                if (r != 0)
                        return r < 0 ? r : 0;
        }
        r = compute_result(root_fd, cache_dir, &res, ret_error);
        if (r < 0)
                return r;
        if (key && !racy && apt_result_key(root_fd, &after, &racy) >= 0 && !racy && streq(key, after))
                apt_result_save(cache_dir, key, res);
        *ret = TAKE_PTR(res);
        return 0;
}

static void apt_result_free_void(void *d) {
        apt_result_free(d);
}

static int apt_load(const CheckContext *ctx, PkgState *ret, char **ret_error) {
        _cleanup_(apt_result_freep) AptResult *res = NULL;
        _cleanup_free_ PkgUpdate *updates = NULL;
        _cleanup_free_ char *reason = NULL;
        _cleanup_json_ json_object *reboot_pkgs = NULL;
        bool reboot = false;
        struct stat st;
        int r;

        /* The lists' digests and the result live in the state directory; without one, every
         * run reads the lists themselves. */
        _cleanup_free_ char *cache_dir = ctx->state_dir ? path_join(ctx->state_dir, "cache") : NULL;
        if (ctx->state_dir && !cache_dir)
                return -ENOMEM;
        r = load_result(ctx->root_fd, cache_dir, &res, ret_error);
        if (r < 0)
                return r;
        updates = calloc(res->n_updates + 1, sizeof(PkgUpdate));
        if (!updates)
                return -ENOMEM;
        for (size_t i = 0; i < res->n_updates; i++) {
                const AptResultUpdate *u = &res->updates[i];
                updates[i] = (PkgUpdate) {
                        .name = u->name, .arch = u->arch, .installed = u->installed, .candidate = u->candidate,
                        .security = u->origin, .held = u->held, .phased = u->phased, .origin = u->origin,
                };
        }

        /* Freshness: apt's success stamp, or the newest index apt wrote. */
        usec_t last = res->lists_newest;
        if (root_stat(ctx->root_fd, STAMP_PATH, &st) >= 0) {
                usec_t t = (usec_t) st.st_mtim.tv_sec * USEC_PER_SEC;
                last = MAX(last, t);
        }
        r = check_reboot(ctx, res->kernels, &reboot, &reason, &reboot_pkgs);
        if (r < 0)
                return r;
        *ret = (PkgState) {
                .source = &pkg_source_apt,
                .updates = TAKE_PTR(updates),
                .n_updates = res->n_updates,
                .last_refresh = last,
                .automatic = res->automatic,
                .reboot = reboot,
                .reboot_reason = TAKE_PTR(reason),
                .reboot_packages = TAKE_PTR(reboot_pkgs),
                .warnings = TAKE_PTR(res->warnings),
                .native_arch = res->native_arch,
                .data_free = apt_result_free_void,
        };
        ret->data = TAKE_PTR(res);
        return 0;
}

const PkgSource pkg_source_apt = {
        .id = "apt",
        .detect = apt_detect,
        .load = apt_load,
        .texts = {
                .origin_key = "suite",
                .automatic_key = "unattended_upgrades",
                .fix_updates = N_("Open Software Updater and install all updates "
                                  "(or run: sudo apt update && sudo apt upgrade)."),
                .never_refreshed = N_("apt has never refreshed its package lists"),
                .fix_refresh = N_("Connect to the internet and open Software Updater (or run: sudo apt update)."),
                .fix_automatic = N_("Turn on automatic updates (run: sudo apt install unattended-upgrades && "
                                    "sudo dpkg-reconfigure -plow unattended-upgrades)."),
        },
};
