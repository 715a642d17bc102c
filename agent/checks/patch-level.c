/* SPDX-License-Identifier: MIT */
/* patch_level: is this Debian/Ubuntu system patched? Pending upgrades are computed
 * natively, the way `apt list --upgradable` computes them (dpkg status + apt's lists +
 * pins, see apt-cache.h), security ones are those published in a *-security suite; then
 * how fresh apt's lists are, whether unattended-upgrades runs, whether a reboot is due, and
 * whether the OS release is supported. Grace periods count from the first time a pending
 * security update (package + candidate version) or a reboot need was seen, kept in the
 * check's state. See docs/patch-level.md. */
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
#include "checks.h"
#include "cleanup.h"
#include "deb-version.h"
#include "deb822.h"
#include "dpkg-status.h"
#include "fs-util.h"
#include "i18n.h"
#include "json-util.h"
#include "log.h"
#include "os-release.h"
#include "parse-util.h"
#include "patch-level.h"
#include "time-util.h"

#define STATUS_MAX (512u * 1024 * 1024)
#define STAMP_PATH "/var/lib/apt/periodic/update-success-stamp"
#define REBOOT_FLAG "/run/reboot-required"

typedef struct PolicyPatchLevel {
        PolicyCheckHead head;
        int max_pending_security;
        int grace_days;
        int max_days_since_refresh;
        int reboot_grace_days;
        bool require_unattended_upgrades;
        PolicyMap supported_os; /* os-release ID → VERSION_ID values; empty: any OS */
} PolicyPatchLevel;

typedef struct Scan {
        AptCache *cache;
        uint32_t file_index;
        AptIndexCacheWriter *writer; /* building the list's digest: every stanza counts */
} Scan;

static int add_record(const AptIndexRecord *rec, void *userdata) {
        Scan *s = userdata;
        AptPackage *p = apt_cache_find(s->cache, rec->name, rec->name_len, rec->arch, rec->arch_len);
        if (!p)
                return 0;
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

/* Adds the versions of the list from its digest in cache_dir; false when there is none
 * usable (missing, stale, damaged: the list is read instead). */
static int scan_from_digest(Scan *scan, const char *cache_dir, const char *name, const AptIndexKey *key) {
        _cleanup_free_ char *path = path_join(cache_dir, name), *data = NULL;
        size_t size;
        int r;

        if (!path)
                return -ENOMEM;
        r = read_file_full(path, APT_INDEX_CACHE_MAX, &data, &size);
        if (r < 0) {
                if (r != -ENOENT)
                        log_debug_errno(r, "Cannot read the apt index cache \"%s\", reading the list: %m", path);
                return r == -ENOMEM ? r : 0;
        }
        r = apt_index_cache_parse(data, size, name, key, add_record, scan);
        if (r == -EBADMSG || r == -ESTALE) {
                log_debug("The apt index cache \"%s\" is %s, reading the list.", path,
                          r == -ESTALE ? "out of date" : "damaged");
                return 0;
        }
        return r < 0 ? r : 1;
}

static void save_digest(AptIndexCacheWriter *w, const char *cache_dir, const char *name, const AptIndexKey *key) {
        _cleanup_free_ char *path = path_join(cache_dir, name);
        const uint8_t *data;
        size_t size;
        int r;

        if (!path)
                return;
        r = apt_index_cache_writer_finish(w, name, key, &data, &size);
        if (r >= 0)
                r = mkdir_p(cache_dir, 0700);
        if (r >= 0)
                r = write_file_atomic(path, data, size, 0600);
        if (r < 0)
                log_debug_errno(r, "Cannot write the apt index cache \"%s\": %m", path);
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

static int scan_list(AptCache *cache, int lists_fd, uint32_t file_index, const char *cache_dir, char **ret_error) {
        _cleanup_(apt_index_reader_freep) AptIndexReader *reader = NULL;
        _cleanup_(apt_index_cache_writer_done) AptIndexCacheWriter writer = {};
        const char *name = cache->files[file_index].name;
        Scan scan = { cache, file_index, NULL };
        AptIndexKey key;
        struct stat st;
        int r, fd = openat(lists_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);

        if (fd < 0) {
                r = -errno;
                return json_error(ret_error, "cannot open \"%s\": %s", name, strerror(-r)), r;
        }
        r = apt_index_reader_new(fd, cache->files[file_index].compression, &reader);
        if (r < 0) {
                close(fd);
                return r;
        }
        if (cache_dir && fstat(fd, &st) >= 0) {
                apt_index_key_from_stat(&st, &key);
                r = scan_from_digest(&scan, cache_dir, name, &key);
                if (r != 0)
                        return r < 0 ? r : 0;
                scan.writer = &writer;
        }
        (void) posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        r = apt_index_foreach_stanza(reader, on_stanza, &scan);
        if (r == -EBADMSG)
                return json_error(ret_error, "\"%s\" is corrupt or truncated", name), r;
        if (r == -EFBIG)
                return json_error(ret_error, "\"%s\" is larger than Vigie accepts", name), r;
        if (r < 0)
                return json_error(ret_error, "cannot read \"%s\": %s", name, strerror(-r)), r;
        if (scan.writer)
                save_digest(&writer, cache_dir, name, &key);
        return 0;
}

int patch_level_scan_lists(AptCache *cache, int lists_fd, const AptSources *sources, const char *cache_dir,
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
                r = scan_list(cache, lists_fd, (uint32_t) i, cache_dir, ret_error);
                if (r < 0)
                        return r;
        }
        if (cache_dir)
                prune_digests(lists_fd, cache_dir);
        return 0;
}

int patch_level_load(int root_fd, const char *cache_dir, PatchLevelData **ret, char **ret_error) {
        _cleanup_(patch_level_data_freep) PatchLevelData *d = calloc(1, sizeof(PatchLevelData));
        _cleanup_(apt_prefs_freep) AptPrefs *prefs = NULL;
        _cleanup_(apt_sources_done) AptSources sources = {};
        _cleanup_free_ char *status = NULL, *err = NULL;
        _cleanup_close_ int lists_fd = -EBADF;
        char arch[64];
        size_t size;
        int r;

        if (!d)
                return -ENOMEM;
        r = root_read_file(root_fd, DPKG_STATUS_PATH, STATUS_MAX, &status, &size);
        if (r < 0)
                return json_error(ret_error, "cannot read \"%s\": %s", DPKG_STATUS_PATH, strerror(-r)), r;
        r = dpkg_native_arch(root_fd, status, size, arch, sizeof(arch), &err);
        if (r < 0)
                return json_error(ret_error, "%s:%s", DPKG_STATUS_PATH, strnull(err)), r;
        d->cache = apt_cache_new(arch);
        if (!d->cache)
                return -ENOMEM;
        r = dpkg_status_load(d->cache, status, size, &err);
        if (r < 0)
                return json_error(ret_error, "%s:%s", DPKG_STATUS_PATH, strnull(err)), r;
        free(TAKE_PTR(status));

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
                r = patch_level_scan_lists(d->cache, lists_fd, &sources, cache_dir, &d->lists_newest, &err);
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

PatchLevelData *patch_level_data_free(PatchLevelData *d) {
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

static int check_reboot(const CheckContext *ctx, const AptCache *c, bool *ret_required,
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
                for (size_t i = 0; i < c->n_packages; i++) {
                        const char *n = c->packages[i].name;
                        if (!startswith_str(n, "linux-image-") || n[12] < '0' || n[12] > '9')
                                continue;
                        const char *rel = n + 12;
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

static usec_t state_time(json_object *o, const char *key) {
        json_object *v;
        usec_t t;
        if (o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) &&
            parse_rfc3339(json_object_get_string(v), false, &t) >= 0)
                return t;
        return 0;
}

static int state_set_time(json_object *o, const char *key, usec_t t) {
        char buf[RFC3339_MAX];
        return o ? json_add_string(o, key, format_rfc3339(t, buf)) : 0;
}

static int usec_cmp(const void *a, const void *b) {
        usec_t x = *(const usec_t *) a, y = *(const usec_t *) b;
        return x < y ? -1 : x > y;
}

static bool os_supported(const PolicyPatchLevel *pl, const OsRelease *os) {
        const PolicyMap *m = &pl->supported_os;
        if (m->n == 0)
                return true;
        for (size_t i = 0; i < m->n; i++)
                if (os && streq_ptr(m->entries[i].key, os->id))
                        return os->version_id && strv_contains(m->entries[i].values, os->version_id);
        return false;
}

/* The verdict: the worst finding wins; a warn carries the earliest deadline; summaries and
 * fixes accumulate (each fix once). */
typedef struct Verdict {
        CheckStatus status;
        usec_t deadline;
        char *summary;
        char *remedy;
} Verdict;

static void verdict_done(Verdict *v) {
        free(v->summary);
        free(v->remedy);
}

static int verdict_add(Verdict *v, CheckStatus status, usec_t deadline, const char *text, const char *fix) {
        char *n;

        if (status == CHECK_FAIL)
                v->status = CHECK_FAIL;
        else if (v->status == CHECK_PASS)
                v->status = CHECK_WARN;
        if (status == CHECK_WARN && (v->deadline == 0 || deadline < v->deadline))
                v->deadline = deadline;
        if (asprintf(&n, "%s%s%s", strempty(v->summary), v->summary ? "; " : "", text) < 0)
                return -ENOMEM;
        free(v->summary);
        v->summary = n;
        if (fix && !(v->remedy && strstr(v->remedy, fix))) {
                if (asprintf(&n, "%s%s%s", strempty(v->remedy), v->remedy ? " " : "", fix) < 0)
                        return -ENOMEM;
                free(v->remedy);
                v->remedy = n;
        }
        return 0;
}

static int run(const CheckContext *ctx, CheckResult *result) {
        const PolicyPatchLevel *pl = ctx->policy;
        _cleanup_(patch_level_data_freep) PatchLevelData *d = NULL;
        _cleanup_(os_release_freep) OsRelease *os = NULL;
        _cleanup_free_ char *err = NULL, *reboot_reason = NULL;
        _cleanup_(verdict_done) Verdict v = { .status = CHECK_PASS };
        _cleanup_free_ usec_t *seen = NULL;
        _cleanup_json_ json_object *reboot_pkgs = NULL, *new_seen = NULL;
        json_object *ev = result->evidence, *jos, *sec_list, *upg_list, *jr;
        char buf[RFC3339_MAX], line[512];
        size_t n_upgradable = 0, n_security = 0, n_held = 0;
        bool supported, reboot = false;
        int r;

        (void) os_release_load(ctx->root_fd, &os);
        supported = os_supported(pl, os);
        if (!(jos = json_object_new_object()) || json_add(ev, "os", jos) < 0 ||
            json_add_string(jos, "id", os ? os->id : NULL) < 0 ||
            json_add_string(jos, "version_id", os ? os->version_id : NULL) < 0 ||
            json_add_bool(jos, "supported", supported) < 0)
                return -ENOMEM;

        if (!root_exists(ctx->root_fd, DPKG_STATUS_PATH)) {
                if (root_exists(ctx->root_fd, "/var/lib/rpm") || root_exists(ctx->root_fd, "/usr/lib/sysimage/rpm"))
                        return check_result_set(result, CHECK_UNKNOWN, "%s",
                                                _("This is an RPM-based system; Vigie checks patch levels of "
                                                  "Debian and Ubuntu (dpkg/apt) systems only, for now."));
                return check_result_set(result, CHECK_UNKNOWN, _("No package database found (%s is missing)."),
                                        DPKG_STATUS_PATH);
        }
        /* The lists' digests live in the state directory; without one, every run reads the
         * lists themselves. */
        _cleanup_free_ char *cache_dir = ctx->state_dir ? path_join(ctx->state_dir, APT_INDEX_CACHE_DIR) : NULL;
        if (ctx->state_dir && !cache_dir)
                return -ENOMEM;
        r = patch_level_load(ctx->root_fd, cache_dir, &d, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return check_result_set(result, CHECK_UNKNOWN, _("Cannot read the package state: %s."),
                                        err ? err : strerror(-r));

        /* Upgradable and security updates. */
        json_object *state = ctx->state, *old_seen = NULL;
        if (state)
                json_object_object_get_ex(state, "security_first_seen", &old_seen);
        new_seen = json_object_new_object();
        if (!(sec_list = json_object_new_array()) || json_add(ev, "security_updates", sec_list) < 0 ||
            !(upg_list = json_object_new_array()) || !new_seen)
                return -ENOMEM;
        seen = calloc(d->cache->n_packages + 1, sizeof(usec_t));
        if (!seen)
                return -ENOMEM;
        for (size_t i = 0; i < d->cache->n_packages; i++) {
                const AptPackage *p = &d->cache->packages[i];
                const AptFile *sf = NULL;
                json_object *o;

                if (!apt_package_upgradable(p))
                        continue;
                n_upgradable++;
                n_held += p->held;
                const AptVersion *sv = apt_package_security_version(d->cache, p, &sf);
                if (!(o = json_object_new_object()) || json_object_array_add(upg_list, o) < 0 ||
                    json_add_string(o, "package", p->name) < 0 || json_add_string(o, "arch", p->arch) < 0 ||
                    json_add_string(o, "installed", p->installed) < 0 ||
                    json_add_string(o, "candidate", p->candidate->version) < 0 ||
                    json_add_bool(o, "security", sv) < 0 || json_add_bool(o, "held", p->held) < 0 ||
                    (p->candidate->phased < 100 && json_add_int(o, "phased_percentage", p->candidate->phased) < 0))
                        return -ENOMEM;
                if (!sv)
                        continue;
                snprintf(line, sizeof(line), "%s:%s=%s", p->name, p->arch, p->candidate->version);
                usec_t first = state_time(old_seen, line);
                if (first == 0 || first > ctx->now)
                        first = ctx->now;
                if (state_set_time(new_seen, line, first) < 0)
                        return -ENOMEM;
                seen[n_security++] = first;
                if (!(o = json_object_new_object()) || json_object_array_add(sec_list, o) < 0 ||
                    json_add_string(o, "package", p->name) < 0 || json_add_string(o, "arch", p->arch) < 0 ||
                    json_add_string(o, "installed", p->installed) < 0 ||
                    json_add_string(o, "candidate", p->candidate->version) < 0 ||
                    json_add_string(o, "suite", sf->release.codename[0] && strstr(sf->release.codename, "-security")
                                                        ? sf->release.codename : sf->release.suite) < 0 ||
                    json_add_string(o, "first_seen", format_rfc3339(first, buf)) < 0 ||
                    json_add_bool(o, "held", p->held) < 0)
                        return -ENOMEM;
        }
        if (state && json_add(state, "security_first_seen", TAKE_PTR(new_seen)) < 0)
                return -ENOMEM;
        if (json_add_int(ev, "upgradable", (int64_t) n_upgradable) < 0 ||
            json_add_int(ev, "security", (int64_t) n_security) < 0 ||
            json_add_int(ev, "held", (int64_t) n_held) < 0)
                return -ENOMEM;

        /* Freshness: apt's success stamp, or the newest index apt wrote. */
        usec_t last = d->lists_newest;
        struct stat st;
        if (root_stat(ctx->root_fd, STAMP_PATH, &st) >= 0) {
                usec_t t = (usec_t) st.st_mtim.tv_sec * USEC_PER_SEC;
                last = MAX(last, t);
        }
        int64_t days = last ? (int64_t) ((ctx->now > last ? ctx->now - last : 0) / USEC_PER_DAY) : -1;
        if (json_add_string(ev, "last_refresh", last ? format_rfc3339(last, buf) : NULL) < 0 ||
            (days >= 0 ? json_add_int(ev, "days_since_refresh", days) : json_add(ev, "days_since_refresh", NULL)) < 0)
                return -ENOMEM;
        bool unattended = unattended_enabled(d->conf, d->cache);
        if (json_add_bool(ev, "unattended_upgrades", unattended) < 0)
                return -ENOMEM;

        /* Reboot. */
        r = check_reboot(ctx, d->cache, &reboot, &reboot_reason, &reboot_pkgs);
        if (r < 0)
                return r;
        usec_t reboot_since = 0;
        if (reboot) {
                reboot_since = state_time(state, "reboot_first_seen");
                if (reboot_since == 0 || reboot_since > ctx->now)
                        reboot_since = ctx->now;
                if (state_set_time(state, "reboot_first_seen", reboot_since) < 0)
                        return -ENOMEM;
        } else if (state)
                json_object_object_del(state, "reboot_first_seen");
        if (!(jr = json_object_new_object()) || json_add(ev, "reboot_required", jr) < 0 ||
            json_add_bool(jr, "required", reboot) < 0 || json_add_string(jr, "reason", reboot_reason) < 0 ||
            json_add_string(jr, "since", reboot ? format_rfc3339(reboot_since, buf) : NULL) < 0 ||
            (reboot_pkgs && json_add(jr, "packages", TAKE_PTR(reboot_pkgs)) < 0))
                return -ENOMEM;
        if (d->pref_warnings) {
                /* Records apt ignores with a warning: IT may want to know. */
                json_object *w = json_object_new_array();
                if (!w || json_add(ev, "ignored_preferences", w) < 0)
                        return -ENOMEM;
                for (char **i = d->pref_warnings; *i; i++)
                        if (json_object_array_add(w, json_object_new_string(*i)) < 0)
                                return -ENOMEM;
        }
        if (json_add_string(ev, "native_arch", d->cache->native_arch) < 0 ||
            json_add(ev, "upgradable_packages", json_object_get(upg_list)) < 0)
                return -ENOMEM;
        json_object_put(upg_list);

        if (!supported) {
                snprintf(line, sizeof(line), _("%s %s is not a supported release"),
                         os && os->id ? os->id : _("this system"), os && os->version_id ? os->version_id : "");
                if (verdict_add(&v, CHECK_FAIL, 0, line, _("Ask IT to upgrade this computer to a supported release.")) < 0)
                        return -ENOMEM;
        }
        if ((int) n_security > pl->max_pending_security) {
                qsort(seen, n_security, sizeof(usec_t), usec_cmp);
                /* Non-compliance began when the (max+1)-th pending update appeared. */
                usec_t dl = seen[MAX(pl->max_pending_security, 0)] + (usec_t) pl->grace_days * USEC_PER_DAY;
                snprintf(line, sizeof(line),
                         ngettext("%zu security update pending", "%zu security updates pending", n_security),
                         n_security);
                if (verdict_add(&v, ctx->now >= dl ? CHECK_FAIL : CHECK_WARN, dl, line,
                                _("Open Software Updater and install all updates "
                                  "(or run: sudo apt update && sudo apt upgrade).")) < 0)
                        return -ENOMEM;
        }
        if (days < 0 || days > pl->max_days_since_refresh) {
                if (days < 0)
                        snprintf(line, sizeof(line), "%s", _("apt has never refreshed its package lists"));
                else
                        snprintf(line, sizeof(line),
                                 ngettext("package lists last refreshed %" PRIi64 " day ago",
                                          "package lists last refreshed %" PRIi64 " days ago", (unsigned long) days),
                                 days);
                if (verdict_add(&v, CHECK_FAIL, 0, line,
                                _("Connect to the internet and open Software Updater (or run: sudo apt update).")) < 0)
                        return -ENOMEM;
        }
        if (pl->require_unattended_upgrades && !unattended &&
            verdict_add(&v, CHECK_FAIL, 0, _("automatic security updates are off"),
                        _("Turn on automatic updates (run: sudo apt install unattended-upgrades && "
                          "sudo dpkg-reconfigure -plow unattended-upgrades).")) < 0)
                return -ENOMEM;
        if (reboot) {
                usec_t dl = reboot_since + (usec_t) pl->reboot_grace_days * USEC_PER_DAY;
                snprintf(line, sizeof(line), _("a restart is needed: %s"), reboot_reason);
                if (verdict_add(&v, ctx->now >= dl ? CHECK_FAIL : CHECK_WARN, dl, line,
                                _("Restart your computer to finish installing updates.")) < 0)
                        return -ENOMEM;
        }
        result->deadline = v.status == CHECK_WARN ? v.deadline : 0;
        if (v.remedy && check_result_set_remediation(result, "%s", v.remedy) < 0)
                return -ENOMEM;
        if (v.status == CHECK_PASS) {
                char other[128], refreshed[128];

                snprintf(other, sizeof(other), ngettext("%zu other update", "%zu other updates", n_upgradable),
                         n_upgradable);
                snprintf(refreshed, sizeof(refreshed),
                         ngettext("lists refreshed %" PRIi64 " day ago", "lists refreshed %" PRIi64 " days ago",
                                  (unsigned long) days),
                         days);
                return check_result_set(result, CHECK_PASS,
                                        _("Up to date: no security update pending (%s, %zu held); %s"), other,
                                        n_held, refreshed);
        }
        return check_result_set(result, v.status, _("%s (%zu upgradable, %zu held)"), v.summary, n_upgradable,
                                n_held);
}

#define F(x) offsetof(PolicyPatchLevel, x)
static const PolicyField policy_fields[] = {
        { "required", POLICY_BOOL, F(head.required), "true" },
        { "max_pending_security", POLICY_INT, F(max_pending_security), "0", 0, 100000 },
        { "grace_days", POLICY_INT, F(grace_days), "7", 0, 365 },
        { "max_days_since_refresh", POLICY_INT, F(max_days_since_refresh), "3", 0, 365 },
        { "reboot_grace_days", POLICY_INT, F(reboot_grace_days), "3", 0, 365 },
        { "require_unattended_upgrades", POLICY_BOOL, F(require_unattended_upgrades), "false" },
        { "supported_os", POLICY_MAP, F(supported_os), "{\"debian\":[\"12\",\"13\"],\"ubuntu\":[\"22.04\",\"24.04\"]}" },
};

const Check check_patch_level = {
        .policy = { "patch_level", policy_fields, ELEMENTSOF(policy_fields), sizeof(PolicyPatchLevel) },
        .title = N_("Patch level"),
        .run = run,
};
