/* SPDX-License-Identifier: MIT */
/* disk_encryption: every mount the policy names (default "/", "/home" and every active
 * swap) must be stored encrypted: each path from the filesystem down to physical storage
 * passes a crypt layer, or ends in RAM. The crypt layers that protect a mount (the first
 * on each path) must then meet the policy: LUKS version, cipher, key size, PBKDF. How it
 * decides: docs/disk-encryption.md. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "blockdev.h"
#include "checks.h"
#include "cleanup.h"
#include "crypttab.h"
#include "fs-util.h"
#include "i18n.h"
#include "json-util.h"
#include "luks.h"
#include "mountinfo.h"
#include "parse-util.h"

#define CRYPTTAB_MAX (1024u * 1024)

/* One thing the policy wants encrypted: a mount point or an active swap. */
typedef struct Item {
        char *name;             /* "/", "/home", "swap", "swap /dev/sda3" */
        const MountEntry *mount;
        const SwapEntry *swap;
        BlockNode *tree;
        CheckStatus status;
        char *tail;             /* for the summary: "on LUKS2 (…)", "not encrypted: …" */
        char **problems;        /* policy violations: fail */
        char **unknowns;        /* what could not be decided: unknown */
        char **notes;           /* worth saying, not failing (damaged secondary header…) */
        bool is_swap;           /* swap (swap is NULL when none is in use) */
        Verdict verdict;        /* when there is no tree: not_needed (no swap in use) or unknown */
        const char *reason;     /* with it, why */
        const char *rule;       /* which policy rules applied: "unlocked_volume" (every one)
                                 * or "random_key" (cipher and key size); NULL: no crypt layer */
} Item;

typedef struct Context {
        const CheckContext *ctx;
        const PolicyDiskEncryption *policy;
        char *crypttab;         /* ROOT/etc/crypttab, NULL when none */
        char **remediation;
        Item *items;
        size_t n_items;
} Context;

static void item_done(Item *it) {
        free(it->name);
        block_node_free(it->tree);
        free(it->tail);
        strv_free(it->problems);
        strv_free(it->unknowns);
        strv_free(it->notes);
}

static void context_done(Context *c) {
        for (size_t i = 0; i < c->n_items; i++)
                item_done(&c->items[i]);
        free(c->items);
        free(c->crypttab);
        strv_free(c->remediation);
}

/* Appends a formatted string; with unique, not when it is there already. */
static int strv_pushv(char ***l, bool unique, const char *fmt, va_list ap) _printf_(3, 0);
static int strv_pushv(char ***l, bool unique, const char *fmt, va_list ap) {
        char *s;

        if (vasprintf(&s, fmt, ap) < 0)
                return -ENOMEM;
        if (unique && strv_contains(*l, s)) {
                free(s);
                return 0;
        }
        return strv_push(l, s);
}

static int strv_pushf(char ***l, const char *fmt, ...) _printf_(2, 3);
static int strv_pushf(char ***l, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = strv_pushv(l, false, fmt, ap);
        va_end(ap);
        return r;
}

/* Remediation lines, each once. */
static int remedy(Context *c, const char *fmt, ...) _printf_(2, 3);
static int remedy(Context *c, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = strv_pushv(&c->remediation, true, fmt, ap);
        va_end(ap);
        return r;
}

/* What crypttab says of a plain dm-crypt mapping with a random key; cipher and size as
 * configured there, else cryptsetup's plain-mode defaults (what systemd-cryptsetup and
 * cryptdisks use when the options name none). */
#define PLAIN_DEFAULT_CIPHER "aes-cbc-essiv:sha256"
#define PLAIN_DEFAULT_KEY_BITS 256u

typedef struct RandomKey {
        bool random;
        char *key_file;
        char *cipher;
        unsigned key_bits;
        bool defaults;          /* cipher or size not in crypttab: the tools' defaults */
} RandomKey;

static void random_key_done(RandomKey *k) {
        free(k->key_file);
        free(k->cipher);
        *k = (RandomKey) {};
}

static int random_key_read(const Context *c, const BlockNode *n, RandomKey *ret) {
        _cleanup_(crypttab_entry_done) CrypttabEntry e = {};
        _cleanup_free_ char *size = NULL;
        int bits = 0, r;

        *ret = (RandomKey) {};
        if (n->crypt != CRYPT_PLAIN)
                return 0;
        r = crypttab_find(c->crypttab, n->label, &e);
        if (r <= 0 || !crypttab_key_is_random(&e))
                return r;
        if ((r = crypttab_option(e.options, "cipher", &ret->cipher)) < 0 ||
            (r = crypttab_option(e.options, "size", &size)) < 0) {
                random_key_done(ret);
                return r;
        }
        ret->defaults = !ret->cipher || !size;
        if (!ret->cipher && !(ret->cipher = strdup(PLAIN_DEFAULT_CIPHER)))
                goto oom;
        ret->key_bits = size && parse_int_range(size, 8, 4096, &bits) >= 0 ? (unsigned) bits : PLAIN_DEFAULT_KEY_BITS;
        if (!(ret->key_file = strdup(e.key_file)))
                goto oom;
        ret->random = true;
        return 1;
oom:
        random_key_done(ret);
        return -ENOMEM;
}

static int read_header_at(Context *c, const char *path, LuksHeader **ret, char **ret_error) {
        _cleanup_close_ int fd = root_openat(c->ctx->root_fd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return fd;
        return luks_header_read_fd(fd, ret, ret_error);
}

/* cryptsetup names an active LUKS mapping "CRYPT-LUKS<v>-<header uuid without dashes>-<name>":
 * a header with another UUID is not the one this mapping was opened from. */
static bool header_matches_mapping(const LuksHeader *h, const char *dm_uuid) {
        char hex[64];
        size_t n = 0, p = strlen("CRYPT-LUKS1-");

        if (!h->uuid || !dm_uuid || strlen(dm_uuid) <= p)
                return true; /* nothing to compare */
        for (const char *u = h->uuid; *u && n < sizeof(hex) - 1; u++)
                if (*u != '-')
                        hex[n++] = *u;
        hex[n] = 0;
        return strncasecmp(dm_uuid + p, hex, n) == 0 && dm_uuid[p + n] == '-';
}

/* The LUKS header of a crypt node: on the device beneath it, or detached (crypttab). */
static int read_crypt_header(Context *c, BlockNode *n) {
        _cleanup_free_ char *dev = NULL, *err = NULL, *detached = NULL;
        const BlockNode *below;
        int r;

        if (n->luks || n->luks_error || (n->crypt != CRYPT_LUKS1 && n->crypt != CRYPT_LUKS2))
                return 0;
        below = n->n_children == 1 ? n->children[0] : NULL;
        /* authenticated LUKS2: dm-crypt over its dm-integrity device, the header under both */
        while (below && below->kind == BLOCK_DM && below->dm_uuid && startswith_str(below->dm_uuid, "CRYPT-SUBDEV-") &&
               below->n_children == 1)
                below = below->children[0];
        if (!below || below->kind == BLOCK_UNRESOLVED || below->kind == BLOCK_FILE) {
                n->luks_error = strdup(_("the device under the crypt layer is not known"));
                return n->luks_error ? 0 : -ENOMEM;
        }
        if (asprintf(&dev, "/dev/%s", below->name) < 0)
                return -ENOMEM;
        r = read_header_at(c, dev, &n->luks, &err);
        if (r == -EBADMSG) {
                _cleanup_(crypttab_entry_done) CrypttabEntry e = {};
                int k = crypttab_find(c->crypttab, n->label, &e);
                if (k < 0)
                        return k;
                if (k > 0 && (k = crypttab_option(e.options, "header", &detached)) < 0)
                        return k;
                if (detached && detached[0] == '/') {
                        free(err);
                        err = NULL;
                        free(dev);
                        dev = TAKE_PTR(detached);
                        r = read_header_at(c, dev, &n->luks, &err);
                }
        }
        n->luks_device = TAKE_PTR(dev);
        if (r == -ENOMEM)
                return r;
        if (r >= 0 && !header_matches_mapping(n->luks, n->dm_uuid)) {
                r = asprintf(&n->luks_error,
                             _("the header on \"%s\" has UUID %s, which is not the one the active mapping was opened with (%s)"),
                             n->luks_device, strempty(n->luks->uuid), strempty(n->dm_uuid));
                n->luks = luks_header_free(n->luks);
                return r < 0 ? -ENOMEM : 0;
        }
        if (r >= 0) {
                if (luks_cipher_is_null(n->luks->cipher)) {
                        n->verdict = VERDICT_NOT_ENCRYPTED;
                        n->reason = strdup(_("the LUKS header says cipher_null: nothing is encrypted"));
                        if (!n->reason)
                                return -ENOMEM;
                }
                return 0;
        }
        if (r == -EACCES || r == -EPERM)
                r = asprintf(&n->luks_error, _("cannot read \"%s\": permission denied (needs root)"),
                             n->luks_device);
        else if (r == -EBADMSG)
                r = asprintf(&n->luks_error, _("no valid LUKS header on \"%s\" (detached header?): %s"),
                             n->luks_device, strnull(err));
        else {
                errno = -r;
                r = asprintf(&n->luks_error, _("cannot read \"%s\": %m"), n->luks_device);
        }
        if (r < 0) {
                n->luks_error = NULL;
                return -ENOMEM;
        }
        return 0;
}

static int read_headers(Context *c, BlockNode *n) {
        int r = 0;

        if (n->kind == BLOCK_CRYPT)
                r = read_crypt_header(c, n);
        for (size_t i = 0; r >= 0 && i < n->n_children; i++)
                r = read_headers(c, n->children[i]);
        return r;
}

/* For messages: the header's device, else the dm device by its name. */
static char *crypt_device_name(const BlockNode *n) {
        char *s;
        if (n->luks_device)
                return strdup(n->luks_device);
        return asprintf(&s, "/dev/mapper/%s", n->label ? n->label : n->name) < 0 ? NULL : s;
}

/* "argon2id", or "argon2id+pbkdf2" when keyslots differ. */
static char *pbkdf_summary(const LuksHeader *h) {
        _cleanup_strv_free_ char **l = NULL;

        for (size_t i = 0; i < h->n_keyslots; i++)
                if (luks_keyslot_has_pbkdf(&h->keyslots[i]) && !strv_contains(l, h->keyslots[i].pbkdf) &&
                    strv_extend(&l, h->keyslots[i].pbkdf) < 0)
                        return NULL;
        return l ? strv_join(l, "+") : strdup(_("no keyslots"));
}

/* "LUKS2 (aes-xts-plain64, 512-bit, argon2id, systemd-tpm2)" */
static char *crypt_describe(const BlockNode *n, const RandomKey *k) {
        _cleanup_free_ char *pbkdf = NULL, *tokens = NULL;
        _cleanup_strv_free_ char **tl = NULL;
        const LuksHeader *h = n->luks;
        char *s = NULL;

        if (k->random)
                return asprintf(&s, _("plain dm-crypt with a new random key at each boot (%s, %u-bit)"), k->cipher,
                                k->key_bits) < 0 ? NULL : s;
        if (n->crypt == CRYPT_PLAIN)
                return strdup(_("plain dm-crypt"));
        if (n->crypt == CRYPT_OTHER)
                return asprintf(&s, _("dm-crypt (%s)"), strempty(n->dm_uuid)) < 0 ? NULL : s;
        if (!h)
                return asprintf(&s, _("%s (header not read)"), crypt_type_to_string(n->crypt)) < 0 ? NULL : s;
        pbkdf = pbkdf_summary(h);
        if (!pbkdf)
                return NULL;
        for (size_t i = 0; i < h->n_tokens; i++)
                if (!strv_contains(tl, h->tokens[i].type) && strv_extend(&tl, h->tokens[i].type) < 0)
                        return NULL;
        if (tl && !(tokens = strv_join(tl, ", ")))
                return NULL;
        if (asprintf(&s, _("LUKS%d (%s, %u-bit, %s%s%s)"), h->version, strempty(h->cipher), h->key_bits, pbkdf,
                     tokens ? ", " : "", strempty(tokens)) < 0)
                return NULL;
        return s;
}

static bool policy_constrains_header(const PolicyDiskEncryption *p) {
        return strv_length(p->ciphers) > 0 || p->min_key_bits > 0 || strv_length(p->pbkdf) > 0;
}

/* A random key made at each boot has no header, no passphrase and so no PBKDF: only the
 * policy's cipher and key size rules govern it, on what crypttab configures. */
static int evaluate_random_key(Context *c, Item *it, const char *dev, const RandomKey *k) {
        const PolicyDiskEncryption *p = c->policy;
        _cleanup_free_ char *allowed = NULL;
        int r = 0;

        it->rule = "random_key";
        if (strv_length(p->ciphers) > 0 && !strv_contains(p->ciphers, k->cipher)) {
                allowed = strv_join(p->ciphers, ", ");
                if (!allowed)
                        return -ENOMEM;
                r = strv_pushf(&it->problems, _("%s uses cipher %s (/etc/crypttab%s); the policy allows %s"), dev,
                               k->cipher, k->defaults ? _(", cryptsetup's default") : "", allowed);
        }
        if (r >= 0 && p->min_key_bits > 0 && (int) k->key_bits < p->min_key_bits)
                r = strv_pushf(&it->problems, _("%s uses a %u-bit key (/etc/crypttab%s); the policy requires at least %d bits"),
                               dev, k->key_bits, k->defaults ? _(", cryptsetup's default") : "", p->min_key_bits);
        if (r >= 0 && it->problems)
                r = remedy(c, _("Add \"cipher=%s,size=%d\" to the options of the line of %s in /etc/crypttab, then reboot."),
                           p->ciphers ? p->ciphers[0] : "aes-xts-plain64", MAX(p->min_key_bits, 512), dev);
        return r;
}

/* The policy on one crypt layer that protects the item. */
static int evaluate_crypt(Context *c, Item *it, const BlockNode *n, const RandomKey *key) {
        const PolicyDiskEncryption *p = c->policy;
        const LuksHeader *h = n->luks;
        _cleanup_free_ char *allowed = NULL, *dev = crypt_device_name(n);
        int version = n->crypt == CRYPT_LUKS1 ? 1 : n->crypt == CRYPT_LUKS2 ? 2 : 0;
        int r = 0;

        if (!dev)
                return -ENOMEM;
        if (key->random)
                return evaluate_random_key(c, it, dev, key);
        it->rule = "unlocked_volume";
        if (p->min_luks_version > 0 && version < p->min_luks_version) {
                if (n->crypt == CRYPT_PLAIN)
                        r = strv_pushf(&it->problems, _("%s uses plain dm-crypt (no LUKS header); the policy requires LUKS%d"),
                                       dev, p->min_luks_version);
                else if (n->crypt == CRYPT_OTHER)
                        r = strv_pushf(&it->problems, _("%s is not LUKS (%s); the policy requires LUKS%d"), dev,
                                       strempty(n->dm_uuid), p->min_luks_version);
                else {
                        r = strv_pushf(&it->problems, _("%s is LUKS%d; the policy requires LUKS%d"), dev, version,
                                       p->min_luks_version);
                        if (r >= 0)
                                r = remedy(c, _("Convert %s to LUKS2 from a live USB system: back up the header with \"cryptsetup luksHeaderBackup %s --header-backup-file FILE\", then run \"cryptsetup convert --type luks2 %s\"."),
                                           dev, dev, dev);
                }
                if (r >= 0 && n->crypt != CRYPT_LUKS1)
                        r = remedy(c, _("Move the data to a LUKS2 volume: plain dm-crypt and foreign formats have no header Vigie can check."));
                if (r < 0)
                        return r;
        }

        if (n->crypt == CRYPT_PLAIN || n->crypt == CRYPT_OTHER) {
                if (n->crypt == CRYPT_PLAIN && strv_length(p->pbkdf) > 0) {
                        allowed = strv_join(p->pbkdf, ", ");
                        if (!allowed)
                                return -ENOMEM;
                        r = strv_pushf(&it->problems, _("%s uses plain dm-crypt, which has no PBKDF; the policy requires %s"),
                                       dev, allowed);
                        if (r < 0)
                                return r;
                }
                if (strv_length(p->ciphers) > 0 || p->min_key_bits > 0)
                        return strv_pushf(&it->unknowns,
                                          _("the cipher and key size of %s are not visible without its device-mapper table"),
                                          dev);
                return 0;
        }

        if (!h) {
                if (!policy_constrains_header(p))
                        return 0;
                r = strv_pushf(&it->unknowns, _("cipher, key size and PBKDF of %s are unknown: %s"), dev,
                               strnull(n->luks_error));
                if (r >= 0 && n->luks_error && strstr(n->luks_error, "root"))
                        r = remedy(c, _("Run \"sudo vigie check\" to read the LUKS headers (the vigie-agent service runs as root and does)."));
                else if (r >= 0)
                        r = remedy(c, _("Ask IT to look at the LUKS header of %s (\"sudo cryptsetup luksDump %s\")."), dev, dev);
                return r;
        }

        if (h->from_secondary) {
                r = strv_pushf(&it->notes, _("the primary LUKS header of %s is damaged (%s); the secondary copy was used"),
                               dev, strnull(h->primary_error));
                if (r >= 0)
                        r = remedy(c, _("The LUKS header of %s is damaged: back it up now with \"cryptsetup luksHeaderBackup\" and run \"cryptsetup repair %s\"."),
                                   dev, dev);
        } else if (h->secondary_error) {
                r = strv_pushf(&it->notes, _("the secondary LUKS header copy of %s is damaged (%s)"), dev,
                               h->secondary_error);
                if (r >= 0)
                        r = remedy(c, _("The LUKS header of %s is damaged: back it up now with \"cryptsetup luksHeaderBackup\" and run \"cryptsetup repair %s\"."),
                                   dev, dev);
        }
        if (r < 0)
                return r;

        if (strv_length(p->ciphers) > 0 && !strv_contains(p->ciphers, h->cipher)) {
                allowed = strv_join(p->ciphers, ", ");
                if (!allowed)
                        return -ENOMEM;
                r = strv_pushf(&it->problems, _("%s uses cipher %s; the policy allows %s"), dev, h->cipher, allowed);
                if (r >= 0)
                        r = remedy(c, _("Re-encrypt %s with an allowed cipher, e.g. \"sudo cryptsetup reencrypt --cipher %s --key-size %d %s\" (back up first)."),
                                   dev, p->ciphers[0], MAX(p->min_key_bits, 512), dev);
                if (r < 0)
                        return r;
                free(allowed);
                allowed = NULL;
        }
        if (p->min_key_bits > 0) {
                if (h->key_bits == 0)
                        r = strv_pushf(&it->unknowns, _("the key size of %s is not in its header"), dev);
                else if ((int) h->key_bits < p->min_key_bits) {
                        r = strv_pushf(&it->problems, _("%s uses a %u-bit key; the policy requires at least %d bits"),
                                       dev, h->key_bits, p->min_key_bits);
                        if (r >= 0)
                                r = remedy(c, _("Re-encrypt %s with a longer key: \"sudo cryptsetup reencrypt --key-size %d %s\" (back up first)."),
                                           dev, p->min_key_bits, dev);
                }
                if (r < 0)
                        return r;
        }
        if (strv_length(p->pbkdf) > 0)
                for (size_t i = 0; i < h->n_keyslots; i++) {
                        const LuksKeyslot *k = &h->keyslots[i];
                        if (!luks_keyslot_has_pbkdf(k) || strv_contains(p->pbkdf, k->pbkdf))
                                continue;
                        if (!allowed && !(allowed = strv_join(p->pbkdf, ", ")))
                                return -ENOMEM;
                        r = strv_pushf(&it->problems, _("keyslot %u of %s uses %s; the policy allows %s"), k->id, dev,
                                       k->pbkdf, allowed);
                        if (r >= 0)
                                r = remedy(c, h->version == 1
                                                      ? _("LUKS1 keyslots can only use pbkdf2: convert %s to LUKS2 first, then run \"sudo cryptsetup luksConvertKey --pbkdf %s %s\" for each passphrase.")
                                                      : _("Convert the keyslots of %s: \"sudo cryptsetup luksConvertKey --pbkdf %s %s\" for each passphrase."),
                                           dev, p->pbkdf[0], dev);
                        if (r < 0)
                                return r;
                }
        return 0;
}

/* The crypt layers that protect the item: the first on each path down. */
static int evaluate_tree(Context *c, Item *it, const BlockNode *n, char ***descriptions) {
        int r;

        if (n->kind == BLOCK_CRYPT) {
                _cleanup_(random_key_done) RandomKey k = {};
                _cleanup_free_ char *d = NULL;
                if (n->verdict != VERDICT_ENCRYPTED) /* cipher_null */
                        return 0;
                if ((r = random_key_read(c, n, &k)) < 0)
                        return r;
                d = crypt_describe(n, &k);
                if (!d)
                        return -ENOMEM;
                if (!strv_contains(*descriptions, d) && (r = strv_push(descriptions, TAKE_PTR(d))) < 0)
                        return r;
                return evaluate_crypt(c, it, n, &k);
        }
        for (size_t i = 0; i < n->n_children; i++)
                if ((r = evaluate_tree(c, it, n->children[i], descriptions)) < 0)
                        return r;
        return 0;
}

/* The first reason found under an unknown node. */
static const char *unknown_reason(const BlockNode *n) {
        if (n->reason && (n->n_children == 0 || n->kind == BLOCK_UNRESOLVED))
                return n->reason;
        for (size_t i = 0; i < n->n_children; i++)
                if (n->children[i]->verdict == VERDICT_UNKNOWN) {
                        const char *s = unknown_reason(n->children[i]);
                        if (s)
                                return s;
                }
        return n->reason;
}

static int evaluate_item(Context *c, Item *it) {
        _cleanup_strv_free_ char **descriptions = NULL;
        _cleanup_free_ char *chain = NULL, *joined = NULL;
        const BlockNode *t = it->tree;
        const char *fstype = it->swap ? "swap" : it->mount->fstype, *where;
        int r;

        r = evaluate_tree(c, it, t, &descriptions);
        if (r < 0)
                return r;
        switch (t->verdict) {
        case VERDICT_ENCRYPTED:
                joined = strv_join(descriptions, " + ");
                if (!joined || asprintf(&it->tail, _("on %s"), joined) < 0)
                        return -ENOMEM;
                break;
        case VERDICT_NOT_NEEDED:
                if (asprintf(&it->tail, _("%s (RAM, needs no encryption)"),
                             t->kind == BLOCK_ZRAM ? "zram" : t->kind == BLOCK_MEMORY_FS ? t->name : _("in RAM")) < 0)
                        return -ENOMEM;
                break;
        case VERDICT_NOT_ENCRYPTED:
                r = block_node_chain(t, VERDICT_NOT_ENCRYPTED, &chain);
                if (r < 0)
                        return r;
                if (asprintf(&it->tail, _("not encrypted: %s on %s"), fstype, strempty(chain)) < 0)
                        return -ENOMEM;
                /* the summary line already says it: not repeated as a problem */
                r = it->swap ? remedy(c, _("Swap is not encrypted: use zram swap (e.g. the systemd-zram-generator package) or swap on the encrypted disk, then turn the old swap off with \"swapoff\" and remove it from /etc/fstab."))
                                     : remedy(c, _("Your disk is not encrypted. Back up your files, then reinstall with disk encryption (LUKS) turned on, or encrypt in place with \"cryptsetup reencrypt --encrypt\"; IT can help."));
                if (r < 0)
                        return r;
                break;
        default:
                /* named by the mount that holds it: /home on / is said once, for / */
                where = it->mount ? it->mount->path : it->name;
                if (asprintf(&it->tail, _("not checkable: %s"), strnull(unknown_reason(t))) < 0)
                        return -ENOMEM;
                /* the summary line says why; the stack in the evidence says where */
                r = remedy(c, _("Vigie could not follow how %s is stored; ask IT to look at this machine's disk layout."),
                                   where);
                if (r < 0)
                        return r;
        }
        it->status = it->problems || t->verdict == VERDICT_NOT_ENCRYPTED ? CHECK_FAIL
                : it->unknowns || t->verdict == VERDICT_UNKNOWN       ? CHECK_UNKNOWN
                                                                      : CHECK_PASS;
        return 0;
}

static Item *item_add(Context *c, const char *name) {
        Item *n = reallocarray(c->items, c->n_items + 1, sizeof(Item));
        if (!n)
                return NULL;
        c->items = n;
        n = &c->items[c->n_items];
        *n = (Item) { .status = CHECK_UNKNOWN };
        n->name = strdup(name);
        if (!n->name)
                return NULL;
        c->n_items++;
        return n;
}

static json_object *strv_to_json(char **l) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; a && l && l[i]; i++)
                if (json_object_array_add(a, json_object_new_string(l[i])) < 0) {
                        json_object_put(a);
                        return NULL;
                }
        return a;
}

/* One shape for every item, whatever its verdict (docs/disk-encryption.md, "Evidence"):
 * a mount the check cannot place has verdict "unknown", a reason, and null chain/stack. */
static json_object *item_to_json(const Item *it) {
        _cleanup_json_ json_object *o = json_object_new_object();
        _cleanup_free_ char *chain = NULL;
        const BlockNode *t = it->tree;
        Verdict v = t ? t->verdict : it->verdict;
        const char *reason = !t ? it->reason : v == VERDICT_UNKNOWN ? unknown_reason(t) : t->reason;
        int r = 0;

        if (!o)
                return NULL;
        r |= json_add_string(o, "mount", it->name);
        if (it->is_swap) {
                r |= json_add_string(o, "swap", it->swap ? it->swap->path : NULL);
                r |= json_add_string(o, "swap_type", !it->swap ? NULL : it->swap->is_file ? "file" : "partition");
        } else {
                r |= json_add_string(o, "mounted_at", it->mount ? it->mount->path : NULL);
                r |= json_add_string(o, "source", it->mount ? it->mount->source : NULL);
                r |= json_add_string(o, "fstype", it->mount ? it->mount->fstype : NULL);
        }
        r |= json_add_string(o, "status", check_status_to_string(it->status));
        r |= json_add_string(o, "verdict", verdict_to_string(v));
        r |= json_add_string(o, "reason", reason);
        r |= json_add_string(o, "rule", it->rule);
        if (t && block_node_chain(t, v, &chain) < 0)
                return NULL;
        r |= json_add_string(o, "chain", chain);
        r |= json_add(o, "problems", strv_to_json(it->problems));
        r |= json_add(o, "unknowns", strv_to_json(it->unknowns));
        r |= json_add(o, "notes", strv_to_json(it->notes));
        r |= json_add(o, "stack", t ? block_node_to_json(t) : NULL);
        return r ? NULL : TAKE_PTR(o);
}

static int add_tree_item(Context *c, Item *it) {
        int r = read_headers(c, it->tree);
        if (r < 0)
                return r;
        block_node_update_verdict(it->tree);
        return evaluate_item(c, it);
}

static int add_mount(Context *c, const MountTable *t, const char *path) {
        _cleanup_free_ char *real = NULL;
        Item *it = item_add(c, path);
        int r;

        if (!it)
                return -ENOMEM;
        /* /home may be a link (to /var/home on Fedora Atomic): the mount is where it leads */
        r = root_realpath(c->ctx->root_fd, path, &real);
        if (r == -ENOMEM)
                return r;
        if (path[0] != '/' || !(it->mount = mount_table_find(t, real ? real : path))) {
                it->tree = NULL;
                it->verdict = VERDICT_UNKNOWN;
                r = strv_pushf(&it->unknowns, _("%s: no mount holds this path"), path);
                if (r >= 0)
                        it->reason = it->unknowns[0];
                if (r >= 0 && asprintf(&it->tail, _("not mounted")) < 0)
                        r = -ENOMEM;
                return r;
        }
        r = block_resolve_mount(c->ctx->root_fd, t, it->mount, &it->tree);
        if (r < 0)
                return r;
        return add_tree_item(c, it);
}

static int add_swaps(Context *c, const MountTable *t, const SwapTable *s) {
        for (size_t i = 0; s && i < s->n; i++) {
                _cleanup_free_ char *name = NULL;
                Item *it;
                int r;

                if (s->n == 1)
                        name = strdup("swap");
                else if (asprintf(&name, "swap %s", s->entries[i].path) < 0)
                        name = NULL;
                if (!name || !(it = item_add(c, name)))
                        return -ENOMEM;
                it->swap = &s->entries[i];
                it->is_swap = true;
                r = block_resolve_swap(c->ctx->root_fd, t, it->swap, &it->tree);
                if (r < 0)
                        return r;
                r = add_tree_item(c, it);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* "/ and /home are on LUKS2 (…); swap is zram (…)": items with the same tail together. */
static char *make_summary(const Context *c) {
        _cleanup_strv_free_ char **phrases = NULL;
        bool *done = calloc(c->n_items + 1, sizeof(bool));

        if (!done)
                return NULL;
        for (size_t i = 0; i < c->n_items; i++) {
                _cleanup_strv_free_ char **names = NULL;
                _cleanup_free_ char *joined = NULL;
                size_t n;
                char *s;

                if (done[i])
                        continue;
                for (size_t j = i; j < c->n_items; j++)
                        if (!done[j] && streq(c->items[j].tail, c->items[i].tail)) {
                                done[j] = true;
                                if (strv_extend(&names, c->items[j].name) < 0)
                                        goto oom;
                        }
                n = strv_length(names);
                if (n == 1)
                        joined = strdup(names[0]);
                else {
                        _cleanup_free_ char *head = NULL;
                        char *last = names[n - 1];
                        names[n - 1] = NULL;
                        head = strv_join(names, ", ");
                        names[n - 1] = last;
                        if (head && asprintf(&joined, _("%s and %s"), head, last) < 0)
                                joined = NULL;
                }
                if (!joined || asprintf(&s, ngettext("%s is %s", "%s are %s", n), joined, c->items[i].tail) < 0 ||
                    strv_push(&phrases, s) < 0)
                        goto oom;
        }
        free(done);
        return phrases ? strv_join(phrases, "; ") : strdup(_("no mount to check"));
oom:
        free(done);
        return NULL;
}

/* Problems, then unknowns, then notes of every item, once each. */
static int collect(const Context *c, size_t field, char ***ret) {
        for (size_t i = 0; i < c->n_items; i++) {
                char **l = *(char ***) ((const char *) &c->items[i] + field);
                for (size_t j = 0; l && l[j]; j++)
                        if (!strv_contains(*ret, l[j]) && strv_extend(ret, l[j]) < 0)
                                return -ENOMEM;
        }
        return 0;
}

static int finish(Context *c, CheckResult *result) {
        _cleanup_strv_free_ char **problems = NULL, **unknowns = NULL, **notes = NULL;
        _cleanup_free_ char *summary = make_summary(c), *p = NULL, *u = NULL, *n = NULL, *rem = NULL;
        json_object *items;
        CheckStatus status = CHECK_PASS;
        int r;

        if (!summary)
                return -ENOMEM;
        for (size_t i = 0; i < c->n_items; i++)
                if (c->items[i].status == CHECK_FAIL || (c->items[i].status == CHECK_UNKNOWN && status == CHECK_PASS))
                        status = c->items[i].status;
        if (collect(c, offsetof(Item, problems), &problems) < 0 ||
            collect(c, offsetof(Item, unknowns), &unknowns) < 0 || collect(c, offsetof(Item, notes), &notes) < 0)
                return -ENOMEM;
        if ((problems && !(p = strv_join(problems, "; "))) || (unknowns && !(u = strv_join(unknowns, "; "))) ||
            (notes && !(n = strv_join(notes, "; "))))
                return -ENOMEM;
        r = check_result_set(result, status, "%s%s%s%s%s%s%s", summary, p ? _(". Not allowed: ") : "", strempty(p),
                             u ? _(". Unknown: ") : "", strempty(u), n ? _(". Note: ") : "", strempty(n));
        if (r < 0)
                return r;
        if (c->remediation) {
                rem = strv_join(c->remediation, " ");
                if (!rem)
                        return -ENOMEM;
                r = check_result_set_remediation(result, "%s", rem);
                if (r < 0)
                        return r;
        }

        items = json_object_new_array();
        if (!items || json_add(result->evidence, "mounts", items) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < c->n_items; i++) {
                json_object *j = item_to_json(&c->items[i]);
                if (!j || json_object_array_add(items, j) < 0) {
                        json_object_put(j);
                        return -ENOMEM;
                }
        }
        return 0;
}

static int add_policy_evidence(const PolicyDiskEncryption *p, json_object *evidence) {
        json_object *o = json_object_new_object();
        int r = 0;

        if (!o)
                return -ENOMEM;
        r |= json_add(o, "mounts", strv_to_json(p->mounts));
        r |= json_add_int(o, "min_luks_version", p->min_luks_version);
        r |= json_add(o, "ciphers", strv_to_json(p->ciphers));
        r |= json_add_int(o, "min_key_bits", p->min_key_bits);
        r |= json_add(o, "pbkdf", strv_to_json(p->pbkdf));
        r |= json_add(evidence, "policy", o);
        return r ? -ENOMEM : 0;
}

/* A /proc file the check cannot do without: unknown with the reason. */
static int proc_unreadable(CheckResult *result, const char *path, int error, const char *detail) {
        int r;

        errno = -error;
        r = detail ? check_result_set(result, CHECK_UNKNOWN, _("Cannot parse \"%s\": %s."), path, detail)
                   : check_result_set(result, CHECK_UNKNOWN, _("Cannot read \"%s\": %m."), path);
        if (r < 0)
                return r;
        return check_result_set_remediation(result, "%s", _("Vigie needs /proc mounted to see the disks; ask IT."));
}

static int run(const CheckContext *ctx, CheckResult *result) {
        _cleanup_(context_done) Context c = { .ctx = ctx, .policy = &ctx->policy->disk_encryption };
        _cleanup_(mount_table_freep) MountTable *mounts = NULL;
        _cleanup_(swap_table_freep) SwapTable *swaps = NULL;
        _cleanup_free_ char *text = NULL, *err = NULL;
        bool want_swap = strv_contains(c.policy->mounts, "swap");
        size_t size;
        int r;

        r = add_policy_evidence(c.policy, result->evidence);
        if (r < 0)
                return r;
        r = root_read_file(ctx->root_fd, "/proc/self/mountinfo", READ_FILE_MAX, &text, &size);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return proc_unreadable(result, "/proc/self/mountinfo", r, NULL);
        r = mount_table_parse(text, size, &mounts, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return proc_unreadable(result, "/proc/self/mountinfo", r, strnull(err));
        free(text);
        text = NULL;

        if (want_swap) {
                r = root_read_file(ctx->root_fd, "/proc/swaps", READ_FILE_MAX, &text, &size);
                if (r == -ENOMEM)
                        return r;
                if (r >= 0)
                        r = swap_table_parse(text, size, &swaps, &err);
                if (r == -ENOMEM)
                        return r;
                /* no /proc/swaps: a kernel without swap support, so no swap */
                if (r < 0 && r != -ENOENT)
                        return proc_unreadable(result, "/proc/swaps", r, err);
        }
        r = root_read_file(ctx->root_fd, "/etc/crypttab", CRYPTTAB_MAX, &c.crypttab, NULL);
        if (r == -ENOMEM)
                return r;

        for (char **m = c.policy->mounts; m && *m; m++) {
                if (streq(*m, "swap"))
                        r = add_swaps(&c, mounts, swaps);
                else
                        r = add_mount(&c, mounts, *m);
                if (r < 0)
                        return r;
        }
        if (want_swap && (!swaps || swaps->n == 0)) {
                Item *it = item_add(&c, "swap");
                if (!it || asprintf(&it->tail, _("not in use")) < 0)
                        return -ENOMEM;
                it->status = CHECK_PASS;
                /* nothing to resolve: listed so that the evidence says why swap passes */
                it->tree = NULL;
                it->is_swap = true;
                it->verdict = VERDICT_NOT_NEEDED;
                it->reason = _("no swap is in use");
        }
        if (json_add_int(result->evidence, "active_swaps", swaps ? (int64_t) swaps->n : 0) < 0)
                return -ENOMEM;
        return finish(&c, result);
}

const Check check_disk_encryption = {
        .id = "disk_encryption",
        .title = N_("Disk encryption"),
        .run = run,
};
