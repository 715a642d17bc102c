/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "blockdev.h"
#include "cleanup.h"
#include "fs-util.h"
#include "i18n.h"
#include "json-util.h"
#include "macro.h"
#include "parse-util.h"

/* Real stacks are a handful of levels deep; a loop file on a loop file on… is bounded. */
#define DEPTH_MAX 16
#define SLAVES_MAX 256
#define ATTR_MAX 4096

typedef struct Resolver {
        int root_fd;
        const MountTable *mounts;
        const MountEntry *stack[DEPTH_MAX]; /* mounts being resolved: a cycle guard */
        size_t n_stack;
        unsigned depth;
} Resolver;

static int resolve_sysfs(Resolver *r, const char *syspath, BlockNode **ret);
static int resolve_mount(Resolver *r, const MountEntry *m, BlockNode **ret);

BlockNode *block_node_free(BlockNode *n) {
        if (!n)
                return NULL;
        for (size_t i = 0; i < n->n_children; i++)
                block_node_free(n->children[i]);
        free(n->children);
        free(n->name);
        free(n->label);
        free(n->dm_uuid);
        free(n->reason);
        luks_header_free(n->luks);
        free(n->luks_device);
        free(n->luks_error);
        free(n);
        return NULL;
}

static const char *const kind_names[_BLOCK_KIND_MAX] = {
        [BLOCK_DISK] = "disk",           [BLOCK_PARTITION] = "partition", [BLOCK_MD] = "md",
        [BLOCK_LVM] = "lvm",             [BLOCK_CRYPT] = "crypt",         [BLOCK_DM] = "dm",
        [BLOCK_LOOP] = "loop",           [BLOCK_ZRAM] = "zram",           [BLOCK_RAMDISK] = "ramdisk",
        [BLOCK_NETWORK] = "network",     [BLOCK_STACKED] = "stacked",     [BLOCK_FILE] = "file",
        [BLOCK_BTRFS] = "btrfs",         [BLOCK_MEMORY_FS] = "memory_fs", [BLOCK_OVERLAY] = "overlay",
        [BLOCK_UNRESOLVED] = "unresolved",
};

const char *block_kind_to_string(BlockKind k) {
        return k < _BLOCK_KIND_MAX ? kind_names[k] : NULL;
}

static const char *const verdict_names[_VERDICT_MAX] = {
        [VERDICT_ENCRYPTED] = "encrypted",
        [VERDICT_NOT_NEEDED] = "not_needed",
        [VERDICT_NOT_ENCRYPTED] = "not_encrypted",
        [VERDICT_UNKNOWN] = "unknown",
};

const char *verdict_to_string(Verdict v) {
        return v < _VERDICT_MAX ? verdict_names[v] : NULL;
}

const char *crypt_type_to_string(CryptType c) {
        switch (c) {
        case CRYPT_LUKS1: return "LUKS1";
        case CRYPT_LUKS2: return "LUKS2";
        case CRYPT_PLAIN: return "PLAIN";
        case CRYPT_OTHER: return "other";
        default: return NULL;
        }
}

static BlockNode *node_new(BlockKind kind, const char *name, Verdict verdict, bool combine) {
        BlockNode *n = calloc(1, sizeof(BlockNode));
        if (!n)
                return NULL;
        n->kind = kind;
        n->verdict = verdict;
        n->combine = combine;
        n->name = strdup(name);
        if (!n->name)
                return block_node_free(n);
        return n;
}

/* A leaf that says why we could not go on; `error` feeds %m. */
static int node_unresolved(BlockNode **ret, const char *name, int error, const char *fmt, ...) _printf_(4, 5);
static int node_unresolved(BlockNode **ret, const char *name, int error, const char *fmt, ...) {
        BlockNode *n = node_new(BLOCK_UNRESOLVED, name, VERDICT_UNKNOWN, false);
        va_list ap;
        int k;

        if (!n)
                return -ENOMEM;
        errno = error < 0 ? -error : error;
        va_start(ap, fmt);
        k = vasprintf(&n->reason, fmt, ap);
        va_end(ap);
        if (k < 0) {
                n->reason = NULL;
                block_node_free(n);
                return -ENOMEM;
        }
        *ret = n;
        return 0;
}

static int node_add_child(BlockNode *n, BlockNode *child) {
        BlockNode **c = reallocarray(n->children, n->n_children + 1, sizeof(BlockNode *));
        if (!c) {
                block_node_free(child);
                return -ENOMEM;
        }
        n->children = c;
        n->children[n->n_children++] = child;
        return 0;
}

/* Adds the child a resolve step made, or passes its error on. */
static int add_resolved(BlockNode *n, int r, BlockNode *child) {
        return r < 0 ? r : node_add_child(n, child);
}

static int set_string(char **field, const char *value) {
        char *c = value ? strdup(value) : NULL;
        if (value && !c)
                return -ENOMEM;
        free(*field);
        *field = c;
        return 0;
}

/* A sysfs attribute, without its trailing newline. */
static int read_attr(int root_fd, const char *dir, const char *attr, char **ret) {
        _cleanup_free_ char *p = path_join(dir, attr), *s = NULL;
        size_t l;
        int r;

        if (!p)
                return -ENOMEM;
        r = root_read_file(root_fd, p, ATTR_MAX, &s, &l);
        if (r < 0)
                return r;
        while (l > 0 && (s[l - 1] == '\n' || s[l - 1] == ' '))
                s[--l] = 0;
        *ret = TAKE_PTR(s);
        return 0;
}

static bool has_attr(int root_fd, const char *dir, const char *attr) {
        _cleanup_free_ char *p = path_join(dir, attr);
        return p && root_exists(root_fd, p);
}

static const char *last_component(const char *path) {
        const char *s = strrchr(path, '/');
        return s ? s + 1 : path;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Entry names of a directory, sorted, at most SLAVES_MAX. A missing directory is empty. */
static int list_dir(int root_fd, const char *path, char ***ret) {
        _cleanup_closedir_ DIR *d = NULL;
        _cleanup_strv_free_ char **l = NULL;
        struct dirent *de;
        size_t n = 0;
        int r;

        r = root_opendir(root_fd, path, &d);
        if (r == -ENOENT || r == -ENOTDIR) {
                *ret = calloc(1, sizeof(char *));
                return *ret ? 0 : -ENOMEM;
        }
        if (r < 0)
                return r;
        if (!(l = calloc(1, sizeof(char *))))
                return -ENOMEM;
        while ((de = readdir(d))) {
                if (streq(de->d_name, _(".")) || streq(de->d_name, ".."))
                        continue;
                if (n >= SLAVES_MAX)
                        return -E2BIG;
                r = strv_extend(&l, de->d_name);
                if (r < 0)
                        return r;
                n++;
        }
        qsort(l, n, sizeof(char *), cmp_str);
        *ret = TAKE_PTR(l);
        return 0;
}

/* Adds each device that dir/NAME links to (slaves/, btrfs devices/) as a child. */
static int add_linked_devices(Resolver *r, BlockNode *n, const char *dir) {
        _cleanup_strv_free_ char **names = NULL;
        int k;

        k = list_dir(r->root_fd, dir, &names);
        if (k < 0) {
                BlockNode *u;
                if (k == -ENOMEM)
                        return k;
                k = node_unresolved(&u, dir, k, _("cannot list \"%s\": %m"), dir);
                return add_resolved(n, k, u);
        }
        for (char **i = names; *i; i++) {
                _cleanup_free_ char *link = path_join(dir, *i), *real = NULL;
                BlockNode *c;

                if (!link)
                        return -ENOMEM;
                k = root_realpath(r->root_fd, link, &real);
                if (k == -ENOMEM)
                        return k;
                if (k < 0)
                        k = node_unresolved(&c, *i, k, _("cannot resolve \"%s\": %m"), link);
                else
                        k = resolve_sysfs(r, real, &c);
                k = add_resolved(n, k, c);
                if (k < 0)
                        return k;
        }
        return 0;
}

/* CRYPT-<TYPE>-… is what cryptsetup puts in the dm uuid. VERITY, INTEGRITY and SUBDEV
 * (the dm-integrity under authenticated LUKS2) protect integrity, not secrecy. */
static CryptType crypt_type_from_uuid(const char *uuid, bool *ret_is_crypt_family) {
        static const char *const not_secrecy[] = { "CRYPT-VERITY-", "CRYPT-INTEGRITY-", "CRYPT-SUBDEV-",
                                                   "CRYPT-TEMP-" };

        *ret_is_crypt_family = startswith_str(uuid, "CRYPT-");
        if (!*ret_is_crypt_family)
                return CRYPT_NONE;
        for (size_t i = 0; i < ELEMENTSOF(not_secrecy); i++)
                if (startswith_str(uuid, not_secrecy[i]))
                        return CRYPT_NONE;
        if (startswith_str(uuid, "CRYPT-LUKS1-"))
                return CRYPT_LUKS1;
        if (startswith_str(uuid, "CRYPT-LUKS2-"))
                return CRYPT_LUKS2;
        if (startswith_str(uuid, "CRYPT-PLAIN-"))
                return CRYPT_PLAIN;
        return CRYPT_OTHER;
}

static int resolve_dm(Resolver *r, BlockNode *n, const char *syspath) {
        _cleanup_free_ char *uuid = NULL, *name = NULL, *slaves = NULL;
        bool family;
        int k;

        k = read_attr(r->root_fd, syspath, "dm/uuid", &uuid);
        if (k == -ENOMEM)
                return k;
        k = read_attr(r->root_fd, syspath, "dm/name", &name);
        if (k == -ENOMEM)
                return k;
        n->crypt = crypt_type_from_uuid(strempty(uuid), &family);
        if (n->crypt != CRYPT_NONE) {
                n->kind = BLOCK_CRYPT;
                n->verdict = VERDICT_ENCRYPTED;
                n->combine = false;
        } else if (uuid && startswith_str(uuid, "LVM-"))
                n->kind = BLOCK_LVM;
        else if (uuid && startswith_str(uuid, "part") && strchr(uuid, '-'))
                n->kind = BLOCK_PARTITION; /* kpartx: partN-<uuid of the whole device> */
        else
                n->kind = BLOCK_DM;
        if (set_string(&n->dm_uuid, uuid) < 0 || set_string(&n->label, name) < 0)
                return -ENOMEM;
        slaves = path_join(syspath, "slaves");
        if (!slaves)
                return -ENOMEM;
        return add_linked_devices(r, n, slaves);
}

static int resolve_file(Resolver *r, const char *path, BlockNode **ret);
static int resolve_dev_path(Resolver *r, const char *path, BlockNode **ret);

static int resolve_loop(Resolver *r, BlockNode *n, const char *syspath) {
        _cleanup_free_ char *backing = NULL;
        BlockNode *c;
        size_t l;
        int k;

        k = read_attr(r->root_fd, syspath, "loop/backing_file", &backing);
        if (k == -ENOMEM)
                return k;
        if (k < 0) {
                k = node_unresolved(&c, "?", k, _("cannot read the backing file of loop device %s: %m"), n->name);
                return add_resolved(n, k, c);
        }
        l = strlen(backing);
        if (l > 10 && streq(backing + l - 10, " (deleted)"))
                backing[l - 10] = 0;
        /* losetup on a block device: the device is what stores the data, not devtmpfs */
        if (startswith_str(backing, "/dev/"))
                k = resolve_dev_path(r, backing, &c);
        else
                k = resolve_file(r, backing, &c);
        return add_resolved(n, k, c);
}

/* A zram device with a writeback backing device spills idle pages to it, unencrypted. */
static int resolve_zram(Resolver *r, BlockNode *n, const char *syspath) {
        _cleanup_free_ char *backing = NULL;
        BlockNode *c;
        int k;

        k = read_attr(r->root_fd, syspath, "backing_dev", &backing);
        if (k == -ENOMEM)
                return k;
        if (k < 0 || streq(backing, "none") || !startswith_str(backing, "/"))
                return 0;
        k = resolve_dev_path(r, backing, &c);
        return add_resolved(n, k, c);
}

/* A block device from its /sys/devices/… directory. */
static int resolve_sysfs(Resolver *r, const char *syspath, BlockNode **ret) {
        _cleanup_(block_node_freep) BlockNode *n = NULL;
        _cleanup_free_ char *dev = NULL;
        const char *name = last_component(syspath);
        unsigned maj, min;
        int k;

        if (r->depth >= DEPTH_MAX)
                return node_unresolved(ret, name, 0, _("the device stack is deeper than %d levels"), DEPTH_MAX);
        r->depth++;

        /* default: a device with nothing below it is physical storage */
        n = node_new(BLOCK_DISK, name, VERDICT_UNKNOWN, true);
        if (!n)
                return -ENOMEM;
        k = read_attr(r->root_fd, syspath, "dev", &dev);
        if (k == -ENOMEM)
                return k;
        if (k >= 0 && sscanf(dev, "%u:%u", &maj, &min) == 2) {
                n->major = maj;
                n->minor = min;
                n->has_devno = true;
        }

        if (has_attr(r->root_fd, syspath, "partition")) {
                _cleanup_free_ char *copy = strdup(syspath);
                BlockNode *parent;
                if (!copy)
                        return -ENOMEM;
                n->kind = BLOCK_PARTITION;
                k = resolve_sysfs(r, dirname(copy), &parent);
                k = add_resolved(n, k, parent);
        } else if (has_attr(r->root_fd, syspath, "dm"))
                k = resolve_dm(r, n, syspath);
        else if (has_attr(r->root_fd, syspath, "loop")) {
                n->kind = BLOCK_LOOP;
                k = resolve_loop(r, n, syspath);
        } else if (startswith_str(name, "zram")) {
                n->kind = BLOCK_ZRAM;
                n->verdict = VERDICT_NOT_NEEDED;
                k = resolve_zram(r, n, syspath);
        } else if (startswith_str(name, "ram")) {
                n->kind = BLOCK_RAMDISK;
                n->verdict = VERDICT_NOT_NEEDED;
                n->combine = false;
        } else if (startswith_str(name, "nbd") || startswith_str(name, "rbd")) {
                n->kind = BLOCK_NETWORK;
                n->combine = false;
                k = set_string(&n->reason, _("network block device: where its data is stored is not visible here"));
        } else {
                _cleanup_free_ char *slaves = path_join(syspath, "slaves");
                if (!slaves)
                        return -ENOMEM;
                if (has_attr(r->root_fd, syspath, "md")) {
                        n->kind = BLOCK_MD;
                        if (read_attr(r->root_fd, syspath, "md/level", &n->label) == -ENOMEM)
                                return -ENOMEM;
                }
                k = add_linked_devices(r, n, slaves);
                if (k >= 0 && n->kind == BLOCK_DISK && n->n_children > 0)
                        n->kind = BLOCK_STACKED;
                if (n->kind == BLOCK_DISK) {
                        n->verdict = VERDICT_NOT_ENCRYPTED;
                        n->combine = false;
                }
        }
        r->depth--;
        if (k < 0)
                return k;
        *ret = TAKE_PTR(n);
        return 0;
}

static int resolve_devno(Resolver *r, unsigned maj, unsigned min, BlockNode **ret) {
        _cleanup_free_ char *link = NULL, *real = NULL;
        int k;

        if (asprintf(&link, "/sys/dev/block/%u:%u", maj, min) < 0)
                return -ENOMEM;
        k = root_realpath(r->root_fd, link, &real);
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return node_unresolved(ret, link + 15, k, _("no block device %u:%u in /sys (%m)"), maj, min);
        return resolve_sysfs(r, real, ret);
}

/* The dm device named `name` (as in /dev/mapper/NAME), by its dm/name in /sys. */
static int find_dm_by_name(Resolver *r, const char *name, char **ret_sysname) {
        _cleanup_strv_free_ char **names = NULL;
        int k = list_dir(r->root_fd, "/sys/class/block", &names);
        if (k < 0)
                return k;
        for (char **i = names; *i; i++) {
                _cleanup_free_ char *dir = NULL, *dmname = NULL;
                if (!startswith_str(*i, "dm-"))
                        continue;
                dir = path_join("/sys/class/block", *i);
                if (!dir)
                        return -ENOMEM;
                if (read_attr(r->root_fd, dir, "dm/name", &dmname) >= 0 && streq(dmname, name)) {
                        *ret_sysname = strdup(*i);
                        return *ret_sysname ? 0 : -ENOMEM;
                }
        }
        return -ENOENT;
}

/* A device path (mount source, swap partition, loop/zram backing device): its device
 * number when it is a device node, else the name it points to (udev links) or, for
 * /dev/mapper/NAME, the dm device of that name. */
static int resolve_dev_path(Resolver *r, const char *path, BlockNode **ret) {
        _cleanup_free_ char *real = NULL, *sysname = NULL, *classpath = NULL, *syspath = NULL;
        struct stat st;
        int k;

        if (root_stat(r->root_fd, path, &st) >= 0 && S_ISBLK(st.st_mode))
                return resolve_devno(r, major(st.st_rdev), minor(st.st_rdev), ret);
        k = root_realpath(r->root_fd, path, &real);
        if (k == -ENOMEM)
                return k;
        if (startswith_str(path, "/dev/mapper/") && (k < 0 || streq(real, path))) {
                k = find_dm_by_name(r, path + 12, &sysname);
                if (k == -ENOMEM)
                        return k;
                if (k < 0)
                        return node_unresolved(ret, path, k, _("no device-mapper device named \"%s\""), path + 12);
        } else {
                sysname = strdup(last_component(k >= 0 ? real : path));
                if (!sysname)
                        return -ENOMEM;
        }
        classpath = path_join("/sys/class/block", sysname);
        if (!classpath)
                return -ENOMEM;
        k = root_realpath(r->root_fd, classpath, &syspath);
        if (k == -ENOMEM)
                return k;
        if (k < 0)
                return node_unresolved(ret, path, k, _("no block device \"%s\" in /sys (%m)"), sysname);
        return resolve_sysfs(r, syspath, ret);
}

/* A file is stored wherever the mount that holds it is. */
static int resolve_file(Resolver *r, const char *path, BlockNode **ret) {
        _cleanup_(block_node_freep) BlockNode *n = NULL;
        const MountEntry *m;
        BlockNode *c;
        int k;

        if (!path || path[0] != '/')
                return node_unresolved(ret, strempty(path), 0, _("\"%s\" is not an absolute path"), strempty(path));
        m = mount_table_find(r->mounts, path);
        if (!m)
                return node_unresolved(ret, path, 0, _("no mount holds \"%s\""), path);
        n = node_new(BLOCK_FILE, path, VERDICT_UNKNOWN, true);
        if (!n || set_string(&n->label, m->path) < 0)
                return -ENOMEM;
        k = resolve_mount(r, m, &c);
        k = add_resolved(n, k, c);
        if (k < 0)
                return k;
        *ret = TAKE_PTR(n);
        return 0;
}

/* The btrfs filesystem that has device `name` among ROOT/sys/fs/btrfs/<uuid>/devices/. */
static int find_btrfs(Resolver *r, const char *name, char **ret_uuid) {
        _cleanup_strv_free_ char **fss = NULL;
        int k = list_dir(r->root_fd, "/sys/fs/btrfs", &fss);
        if (k < 0)
                return k;
        for (char **i = fss; *i; i++) {
                _cleanup_free_ char *p = NULL;
                if (asprintf(&p, "/sys/fs/btrfs/%s/devices/%s", *i, name) < 0)
                        return -ENOMEM;
                if (root_exists(r->root_fd, p)) {
                        *ret_uuid = strdup(*i);
                        return *ret_uuid ? 0 : -ENOMEM;
                }
        }
        return -ENOENT;
}

/* btrfs reports an anonymous device number: the source names one of its devices, and
 * /sys/fs/btrfs/<uuid>/devices/ lists them all. */
static int resolve_btrfs(Resolver *r, const MountEntry *m, BlockNode **ret) {
        _cleanup_(block_node_freep) BlockNode *first = NULL, *n = NULL;
        _cleanup_free_ char *uuid = NULL, *dir = NULL;
        int k;

        k = resolve_dev_path(r, m->source, &first);
        if (k < 0)
                return k;
        if (first->kind == BLOCK_UNRESOLVED) {
                *ret = TAKE_PTR(first);
                return 0;
        }
        k = find_btrfs(r, first->name, &uuid);
        if (k == -ENOMEM)
                return k;
        if (k < 0) { /* no sysfs entry: trust the one device the mount names */
                *ret = TAKE_PTR(first);
                return 0;
        }
        n = node_new(BLOCK_BTRFS, uuid, VERDICT_UNKNOWN, true);
        if (!n)
                return -ENOMEM;
        if (asprintf(&dir, "/sys/fs/btrfs/%s/devices", uuid) < 0)
                return -ENOMEM;
        k = add_linked_devices(r, n, dir);
        if (k < 0)
                return k;
        *ret = TAKE_PTR(n);
        return 0;
}

/* overlay's data lives in its upper and lower directories, on other mounts. */
static int resolve_overlay(Resolver *r, const MountEntry *m, BlockNode **ret) {
        _cleanup_(block_node_freep) BlockNode *n = node_new(BLOCK_OVERLAY, m->path, VERDICT_UNKNOWN, true);
        _cleanup_free_ char *opts = strdup(m->super_opts);
        char *p = opts;
        int k;

        if (!n || !opts)
                return -ENOMEM;
        while (p && *p) {
                char *opt = p, *comma = strchr(p, ',');
                const char *dirs = NULL;

                if (comma)
                        *comma = 0;
                p = comma ? comma + 1 : NULL;
                if (startswith_str(opt, "upperdir="))
                        dirs = opt + 9;
                else if (startswith_str(opt, "lowerdir="))
                        dirs = opt + 9;
                if (!dirs)
                        continue;
                for (char *d = (char *) dirs; d && *d; ) {
                        char *colon = strchr(d, ':');
                        BlockNode *c;

                        if (colon)
                                *colon = 0;
                        /* Layers named in another mount namespace (a container's) are not ours to see. */
                        if (!root_exists(r->root_fd, d))
                                k = node_unresolved(&c, d, 0,
                                                    _("overlay layer \"%s\" is not visible here (outside this mount namespace?)"),
                                                    d);
                        else
                                k = resolve_file(r, d, &c);
                        k = add_resolved(n, k, c);
                        if (k < 0)
                                return k;
                        d = colon ? colon + 1 : NULL;
                }
        }
        if (n->n_children == 0)
                k = set_string(&n->reason, _("overlay without upper or lower directories in its options"));
        else
                k = 0;
        if (k < 0)
                return k;
        *ret = TAKE_PTR(n);
        return 0;
}

static bool fstype_in(const char *fstype, const char *const *list) {
        for (; *list; list++)
                if (streq(fstype, *list))
                        return true;
        return false;
}

static int resolve_mount_inner(Resolver *r, const MountEntry *m, BlockNode **ret) {
        static const char *const memory[] = { "tmpfs", "ramfs", "devtmpfs", NULL };
        static const char *const network[] = { "nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "virtiofs", "ceph",
                                               "glusterfs", "afs", "davfs", NULL };
        BlockNode *n;

        if (fstype_in(m->fstype, memory)) {
                n = node_new(BLOCK_MEMORY_FS, m->fstype, VERDICT_NOT_NEEDED, false);
                if (!n || set_string(&n->label, m->path) < 0) {
                        block_node_free(n);
                        return -ENOMEM;
                }
                *ret = n;
                return 0;
        }
        if (streq(m->fstype, "overlay"))
                return resolve_overlay(r, m, ret);
        if (streq(m->fstype, "btrfs"))
                return resolve_btrfs(r, m, ret);
        if (m->major != 0)
                return resolve_devno(r, m->major, m->minor, ret);
        if (fstype_in(m->fstype, network) || startswith_str(m->fstype, "fuse"))
                return node_unresolved(ret, m->source, 0,
                                       _("%s filesystem \"%s\": where its data is stored is not visible here"),
                                       m->fstype, m->source);
        if (startswith_str(m->source, "/dev/"))
                return resolve_dev_path(r, m->source, ret);
        return node_unresolved(ret, m->source, 0, _("%s filesystem \"%s\" has no block device we can follow"),
                               m->fstype, m->source);
}

static int resolve_mount(Resolver *r, const MountEntry *m, BlockNode **ret) {
        int k;

        for (size_t i = 0; i < r->n_stack; i++)
                if (r->stack[i] == m)
                        return node_unresolved(ret, m->path, 0, _("\"%s\" is stored on itself (a loop)"), m->path);
        if (r->n_stack >= DEPTH_MAX)
                return node_unresolved(ret, m->path, 0, _("files on mounts nested more than %d deep"), DEPTH_MAX);
        r->stack[r->n_stack++] = m;
        k = resolve_mount_inner(r, m, ret);
        r->n_stack--;
        return k;
}

int block_resolve_mount(int root_fd, const MountTable *t, const MountEntry *m, BlockNode **ret) {
        Resolver r = { .root_fd = root_fd, .mounts = t };
        BlockNode *n;
        int k = resolve_mount(&r, m, &n);
        if (k < 0)
                return k;
        block_node_update_verdict(n);
        *ret = n;
        return 0;
}

int block_resolve_swap(int root_fd, const MountTable *t, const SwapEntry *s, BlockNode **ret) {
        Resolver r = { .root_fd = root_fd, .mounts = t };
        BlockNode *n;
        int k = s->is_file ? resolve_file(&r, s->path, &n) : resolve_dev_path(&r, s->path, &n);
        if (k < 0)
                return k;
        block_node_update_verdict(n);
        *ret = n;
        return 0;
}

/* Worst first: one plain path makes the whole not encrypted; then unknown; RAM-only is
 * "not needed"; anything else is encrypted. */
void block_node_update_verdict(BlockNode *n) {
        bool any_unknown = false, any_encrypted = false, any_plain = false;

        for (size_t i = 0; i < n->n_children; i++)
                block_node_update_verdict(n->children[i]);
        if (!n->combine || n->n_children == 0)
                return;
        for (size_t i = 0; i < n->n_children; i++)
                switch (n->children[i]->verdict) {
                case VERDICT_NOT_ENCRYPTED: any_plain = true; break;
                case VERDICT_UNKNOWN: any_unknown = true; break;
                case VERDICT_ENCRYPTED: any_encrypted = true; break;
                default: break;
                }
        n->verdict = any_plain ? VERDICT_NOT_ENCRYPTED
                : any_unknown  ? VERDICT_UNKNOWN
                : any_encrypted ? VERDICT_ENCRYPTED
                                : VERDICT_NOT_NEEDED;
}

char *block_node_describe(const BlockNode *n) {
        char *s = NULL;
        int k;

        switch (n->kind) {
        case BLOCK_CRYPT:
                k = asprintf(&s, "%s (%s %s)", n->name,
                             n->crypt == CRYPT_PLAIN ? "plain dm-crypt" : crypt_type_to_string(n->crypt),
                             strempty(n->label));
                break;
        case BLOCK_LVM:
                k = asprintf(&s, "%s (LVM %s)", n->name, strempty(n->label));
                break;
        case BLOCK_MD:
                k = asprintf(&s, "%s (%s)", n->name, n->label ? n->label : "md");
                break;
        case BLOCK_DM:
                k = asprintf(&s, "%s (device-mapper %s)", n->name, strempty(n->label));
                break;
        case BLOCK_FILE:
                k = asprintf(&s, "file %s on %s", n->name, strempty(n->label));
                break;
        case BLOCK_BTRFS:
                k = asprintf(&s, "btrfs %s (%zu devices)", n->name, n->n_children);
                break;
        case BLOCK_MEMORY_FS:
                k = asprintf(&s, "%s (RAM)", n->name);
                break;
        case BLOCK_ZRAM:
                k = asprintf(&s, "%s (compressed RAM)", n->name);
                break;
        case BLOCK_UNRESOLVED:
                k = asprintf(&s, "%s (%s)", n->name, strempty(n->reason));
                break;
        default:
                k = asprintf(&s, "%s (%s)", n->name, block_kind_to_string(n->kind));
        }
        return k < 0 ? NULL : s;
}

int block_node_chain(const BlockNode *n, Verdict want, char **ret) {
        _cleanup_free_ char *out = NULL;

        if (n->verdict != want) {
                *ret = NULL;
                return 0;
        }
        while (n) {
                _cleanup_free_ char *d = block_node_describe(n);
                const BlockNode *next = NULL;
                char *joined;

                if (!d)
                        return -ENOMEM;
                if (asprintf(&joined, "%s%s%s", strempty(out), out ? " → " : "", d) < 0)
                        return -ENOMEM;
                free(out);
                out = joined;
                if (n->kind == BLOCK_CRYPT && want == VERDICT_ENCRYPTED)
                        break;
                for (size_t i = 0; i < n->n_children && !next; i++)
                        if (n->children[i]->verdict == want)
                                next = n->children[i];
                n = next;
        }
        *ret = TAKE_PTR(out);
        return 0;
}

json_object *block_node_to_json(const BlockNode *n) {
        _cleanup_json_ json_object *o = json_object_new_object();
        int k = 0;

        if (!o)
                return NULL;
        k |= json_add_string(o, "name", n->name);
        k |= json_add_string(o, "type", block_kind_to_string(n->kind));
        if (n->has_devno) {
                char dev[32];
                snprintf(dev, sizeof(dev), "%u:%u", n->major, n->minor);
                k |= json_add_string(o, "dev", dev);
        }
        if (n->kind == BLOCK_FILE)
                k |= json_add_string(o, "on_mount", n->label);
        else if (n->label)
                k |= json_add_string(o, n->kind == BLOCK_MD ? "level" : n->dm_uuid ? "dm_name" : "label", n->label);
        if (n->dm_uuid)
                k |= json_add_string(o, "dm_uuid", n->dm_uuid);
        if (n->kind == BLOCK_CRYPT) {
                k |= json_add_string(o, "crypt", crypt_type_to_string(n->crypt));
                if (n->luks_device)
                        k |= json_add_string(o, "header_device", n->luks_device);
                if (n->luks)
                        k |= json_add(o, "luks", luks_header_to_json(n->luks));
                else if (n->crypt == CRYPT_LUKS1 || n->crypt == CRYPT_LUKS2)
                        k |= json_add_string(o, "luks", "unknown");
                if (n->luks_error)
                        k |= json_add_string(o, "luks_error", n->luks_error);
        }
        k |= json_add_string(o, "verdict", verdict_to_string(n->verdict));
        if (n->reason)
                k |= json_add_string(o, "reason", n->reason);
        if (n->n_children > 0) {
                json_object *below = json_object_new_array();
                if (!below)
                        return NULL;
                k |= json_add(o, "below", below);
                for (size_t i = 0; i < n->n_children; i++) {
                        json_object *c = block_node_to_json(n->children[i]);
                        if (!c || json_object_array_add(below, c) < 0) {
                                json_object_put(c);
                                return NULL;
                        }
                }
        }
        if (k != 0)
                return NULL;
        return TAKE_PTR(o);
}
