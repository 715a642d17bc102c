/* SPDX-License-Identifier: MIT */
#pragma once

/* LUKS1 and LUKS2 headers, read-only (cryptsetup's on-disk formats: "LUKS1 On-Disk Format
 * Specification" 1.2.3 and "LUKS2 On-Disk Format Specification" 1.1). We read what a
 * compliance verdict needs: version, cipher, volume key size, every keyslot's PBKDF and
 * cost, tokens. LUKS2 headers are verified (magic, size, offset, checksum over binary
 * header and JSON area); a damaged primary falls back to the secondary copy at the offsets
 * the spec lists. No length or offset read from the disk is trusted without bounds. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

typedef struct LuksKeyslot {
        unsigned id;
        char *type;          /* "luks1", "luks2", "reencrypt" */
        char *pbkdf;         /* "pbkdf2", "argon2i", "argon2id"; NULL: none (reencrypt slot) */
        char *hash;          /* pbkdf2's hash; NULL for argon2 */
        uint64_t iterations; /* pbkdf2 iterations, or argon2 time cost */
        uint64_t memory_kib; /* argon2 only */
        uint64_t parallel;   /* argon2 only */
        unsigned key_bits;
} LuksKeyslot;

typedef struct LuksToken {
        unsigned id;
        char *type;          /* "systemd-tpm2", "systemd-fido2", "systemd-recovery", "clevis"… */
        char **keyslots;
} LuksToken;

typedef struct LuksHeader {
        int version;         /* 1 or 2 */
        char *uuid;
        char *label;         /* LUKS2 label; NULL when empty */
        char *cipher;        /* "aes-xts-plain64"; for LUKS2 the first crypt segment's */
        unsigned key_bits;   /* volume key; 0: unknown */
        uint64_t seqid;      /* LUKS2 */
        uint64_t header_size;
        LuksKeyslot *keyslots;
        size_t n_keyslots;
        LuksToken *tokens;
        size_t n_tokens;
        bool from_secondary; /* the primary was damaged; the secondary copy was used */
        char *primary_error; /* with from_secondary: what was wrong with the primary */
        char *secondary_error; /* LUKS2 read from the primary, but the secondary is damaged */
} LuksHeader;

/* Reads `size` bytes at `offset` into buf; returns the count read (short at the end of
 * the device) or -errno. */
typedef ssize_t (*LuksReadFn)(void *userdata, uint64_t offset, void *buf, size_t size);

/* -EBADMSG with a reason in *ret_error (may be NULL) when no valid header is there;
 * -errno when reading fails. */
int luks_header_read(LuksReadFn read_fn, void *userdata, LuksHeader **ret, char **ret_error);
int luks_header_read_fd(int fd, LuksHeader **ret, char **ret_error);
int luks_header_parse_buffer(const void *data, size_t size, LuksHeader **ret, char **ret_error);

LuksHeader *luks_header_free(LuksHeader *h);
static inline void luks_header_freep(LuksHeader **h) {
        luks_header_free(*h);
}

json_object *luks_header_to_json(const LuksHeader *h);
/* Keyslots in use that have a PBKDF (reencrypt slots have none). */
bool luks_keyslot_has_pbkdf(const LuksKeyslot *k);
/* "cipher_null" means no encryption at all, whatever the header says. */
bool luks_cipher_is_null(const char *cipher);
