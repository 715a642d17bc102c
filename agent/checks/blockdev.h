/* SPDX-License-Identifier: MIT */
#pragma once

/* What a mount or a swap is stored on, as a tree: the filesystem's device at the top, then
 * through /sys `slaves/` down to physical storage (partition → md → LVM → dm-crypt …), a
 * loop device through its backing file to the mount holding that file, a btrfs filesystem
 * to all its devices. Each node gets a verdict; a mount is encrypted only when every path
 * down passes a crypt layer or ends in RAM. Everything is read through the root fd. */

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "luks.h"
#include "mountinfo.h"

typedef enum BlockKind {
        BLOCK_DISK,       /* physical storage: the bottom of a stack */
        BLOCK_PARTITION,
        BLOCK_MD,
        BLOCK_LVM,
        BLOCK_CRYPT,      /* dm-crypt and friends (dm uuid CRYPT-LUKS1/LUKS2/PLAIN/…) */
        BLOCK_DM,         /* other device-mapper: multipath, verity, integrity, linear */
        BLOCK_LOOP,
        BLOCK_ZRAM,       /* compressed RAM */
        BLOCK_RAMDISK,    /* brd /dev/ramN */
        BLOCK_NETWORK,    /* nbd, rbd, network filesystems */
        BLOCK_STACKED,    /* any other device with slaves (bcache…) */
        BLOCK_FILE,       /* a file (loop backing file, swap file, overlay layer) */
        BLOCK_BTRFS,      /* a btrfs filesystem over its devices */
        BLOCK_MEMORY_FS,  /* tmpfs, ramfs */
        BLOCK_OVERLAY,
        BLOCK_UNRESOLVED, /* we could not tell: see reason */
        _BLOCK_KIND_MAX,
} BlockKind;

typedef enum Verdict {
        VERDICT_ENCRYPTED,
        VERDICT_NOT_NEEDED,    /* RAM: nothing reaches a disk */
        VERDICT_NOT_ENCRYPTED,
        VERDICT_UNKNOWN,
        _VERDICT_MAX,
} Verdict;

typedef enum CryptType {
        CRYPT_NONE,
        CRYPT_LUKS1,
        CRYPT_LUKS2,
        CRYPT_PLAIN,
        CRYPT_OTHER,  /* TCRYPT, BITLK, FVAULT2, LOOPAES… */
} CryptType;

typedef struct BlockNode {
        BlockKind kind;
        char *name;        /* "sda2", "dm-0"; for a file its path; for btrfs the fs uuid */
        char *label;       /* dm name, md level, mount point holding a file, fstype */
        char *dm_uuid;
        unsigned major, minor;
        bool has_devno;
        CryptType crypt;
        Verdict verdict;
        bool combine;      /* verdict comes from the children when there are any */
        char *reason;      /* why this verdict, when the kind alone does not say */
        /* crypt nodes, filled by the check: the header found, or why none */
        LuksHeader *luks;
        char *luks_device; /* where the header was read ("/dev/sda2") */
        char *luks_error;
        struct BlockNode **children;
        size_t n_children;
} BlockNode;

BlockNode *block_node_free(BlockNode *n);
static inline void block_node_freep(BlockNode **n) {
        block_node_free(*n);
}

/* These return 0 with a tree (unresolvable parts become BLOCK_UNRESOLVED nodes with a
 * reason), or -ENOMEM. */
int block_resolve_mount(int root_fd, const MountTable *t, const MountEntry *m, BlockNode **ret);
int block_resolve_swap(int root_fd, const MountTable *t, const SwapEntry *s, BlockNode **ret);

/* Recomputes verdicts bottom-up (after the check changed a crypt node). */
void block_node_update_verdict(BlockNode *n);

const char *verdict_to_string(Verdict v);
const char *block_kind_to_string(BlockKind k);
const char *crypt_type_to_string(CryptType c);
/* "sda2 (partition)", "dm-0 (LUKS2 luks-…)": for chains meant for people. */
char *block_node_describe(const BlockNode *n);
/* The first path from n down to a node with verdict `want`, as "a → b → c"; NULL (and 0)
 * when none. */
int block_node_chain(const BlockNode *n, Verdict want, char **ret);
json_object *block_node_to_json(const BlockNode *n);
