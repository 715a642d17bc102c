/* SPDX-License-Identifier: MIT */
#pragma once

/* /proc/self/mountinfo and /proc/swaps (proc(5)): the mounts and swaps a check resolves
 * down to block devices. Fields are unescaped (the kernel writes space, tab, newline and
 * backslash as \ooo octal). */

#include <stdbool.h>
#include <stddef.h>

typedef struct MountEntry {
        unsigned major, minor;
        char *root;        /* path inside the filesystem ("/@home" for a btrfs subvolume) */
        char *path;        /* mount point */
        char *fstype;      /* "ext4", "btrfs", "fuse.sshfs" */
        char *source;      /* "/dev/mapper/vg-root", "tmpfs", "none" */
        char *super_opts;  /* per-superblock options ("upperdir=…,lowerdir=…" for overlay) */
} MountEntry;

typedef struct MountTable {
        MountEntry *entries;
        size_t n;
} MountTable;

typedef struct SwapEntry {
        char *path;        /* "/dev/dm-1", "/swapfile" (a " (deleted)" suffix removed) */
        bool is_file;      /* Type "file"; else "partition" */
} SwapEntry;

typedef struct SwapTable {
        SwapEntry *entries;
        size_t n;
} SwapTable;

/* Parses mountinfo text. A malformed line is -EBADMSG with "line N: reason" in
 * *ret_error (may be NULL). */
int mount_table_parse(const char *text, size_t size, MountTable **ret, char **ret_error);
MountTable *mount_table_free(MountTable *t);
static inline void mount_table_freep(MountTable **t) {
        mount_table_free(*t);
}
/* The mount that holds `path`: the longest mount point that is a path prefix of it (by
 * whole components); of several mounts on the same point the last one listed, which is
 * the one on top. NULL when none (no "/" mount in the table). */
const MountEntry *mount_table_find(const MountTable *t, const char *path);

int swap_table_parse(const char *text, size_t size, SwapTable **ret, char **ret_error);
SwapTable *swap_table_free(SwapTable *t);
static inline void swap_table_freep(SwapTable **t) {
        swap_table_free(*t);
}

/* In place: \ooo octal escapes to bytes, as the kernel's seq_file escaping writes them. */
void mountinfo_unescape(char *s);
