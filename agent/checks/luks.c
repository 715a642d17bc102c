/* SPDX-License-Identifier: MIT */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "cleanup.h"
#include "json-util.h"
#include "luks.h"
#include "macro.h"
#include "parse-util.h"

#define LUKS_MAGIC_1ST "LUKS\xba\xbe"
#define LUKS_MAGIC_2ND "SKUL\xba\xbe"
#define LUKS_MAGIC_LEN 6

/* LUKS1 phdr (on-disk format 1.2.3, big-endian) */
#define LUKS1_HDR_LEN 592
#define LUKS1_OFF_CIPHER_NAME 8
#define LUKS1_OFF_CIPHER_MODE 40
#define LUKS1_OFF_HASH 72
#define LUKS1_OFF_KEY_BYTES 108
#define LUKS1_OFF_UUID 168
#define LUKS1_OFF_KEYSLOTS 208
#define LUKS1_KEYSLOT_LEN 48
#define LUKS1_KEYSLOTS 8
#define LUKS1_KEY_ENABLED 0x00AC71F3u
#define LUKS1_FIELD_LEN 32

/* LUKS2 binary header (on-disk format 1.1, big-endian) */
#define LUKS2_BIN_LEN 4096
#define LUKS2_OFF_HDR_SIZE 8
#define LUKS2_OFF_SEQID 16
#define LUKS2_OFF_LABEL 24
#define LUKS2_LABEL_LEN 48
#define LUKS2_OFF_CSUM_ALG 72
#define LUKS2_CSUM_ALG_LEN 32
#define LUKS2_OFF_UUID 168
#define LUKS_UUID_LEN 40
#define LUKS2_OFF_HDR_OFFSET 256
#define LUKS2_OFF_CSUM 448
#define LUKS2_CSUM_LEN 64
#define LUKS2_KEYSLOTS_MAX 32
#define LUKS2_TOKENS_MAX 32

/* Header sizes the spec allows; the same values are where a secondary header may sit. */
static const uint64_t luks2_sizes[] = {
        0x4000, 0x8000, 0x10000, 0x20000, 0x40000, 0x80000, 0x100000, 0x200000, 0x400000,
};

static uint16_t be16_at(const uint8_t *p) {
        uint16_t v;
        memcpy(&v, p, sizeof(v));
        return be16toh(v);
}

static uint32_t be32_at(const uint8_t *p) {
        uint32_t v;
        memcpy(&v, p, sizeof(v));
        return be32toh(v);
}

static uint64_t be64_at(const uint8_t *p) {
        uint64_t v;
        memcpy(&v, p, sizeof(v));
        return be64toh(v);
}

static void keyslot_done(LuksKeyslot *k) {
        free(k->type);
        free(k->pbkdf);
        free(k->hash);
}

static void token_done(LuksToken *t) {
        free(t->type);
        strv_free(t->keyslots);
}

LuksHeader *luks_header_free(LuksHeader *h) {
        if (!h)
                return NULL;
        free(h->uuid);
        free(h->label);
        free(h->cipher);
        for (size_t i = 0; i < h->n_keyslots; i++)
                keyslot_done(&h->keyslots[i]);
        free(h->keyslots);
        for (size_t i = 0; i < h->n_tokens; i++)
                token_done(&h->tokens[i]);
        free(h->tokens);
        free(h->primary_error);
        free(h->secondary_error);
        free(h);
        return NULL;
}

bool luks_keyslot_has_pbkdf(const LuksKeyslot *k) {
        return k->pbkdf != NULL;
}

bool luks_cipher_is_null(const char *cipher) {
        return cipher && startswith_str(cipher, "cipher_null");
}

/* A fixed-size text field: must be NUL-terminated inside the field and printable.
 * Empty gives NULL when allow_empty. */
static int field_string(const uint8_t *p, size_t len, const char *what, bool allow_empty, char **ret,
                        char **ret_error) {
        size_t l = strnlen((const char *) p, len);
        char *s;

        if (l == len)
                return json_error(ret_error, "%s is not NUL-terminated", what), -EBADMSG;
        if (l == 0 && !allow_empty)
                return json_error(ret_error, "%s is empty", what), -EBADMSG;
        if (l == 0) {
                *ret = NULL;
                return 0;
        }
        s = strndup((const char *) p, l);
        if (!s)
                return -ENOMEM;
        if (string_has_cc(s)) {
                free(s);
                return json_error(ret_error, "%s contains control characters", what), -EBADMSG;
        }
        *ret = s;
        return 0;
}

static int parse_luks1(const uint8_t *b, LuksHeader **ret, char **ret_error) {
        _cleanup_(luks_header_freep) LuksHeader *h = calloc(1, sizeof(LuksHeader));
        _cleanup_free_ char *name = NULL, *mode = NULL, *hash = NULL;
        uint32_t key_bytes;
        int r;

        if (!h)
                return -ENOMEM;
        h->version = 1;
        h->header_size = LUKS1_HDR_LEN;
        if ((r = field_string(b + LUKS1_OFF_CIPHER_NAME, LUKS1_FIELD_LEN, "LUKS1 cipher name", false, &name,
                              ret_error)) < 0 ||
            (r = field_string(b + LUKS1_OFF_CIPHER_MODE, LUKS1_FIELD_LEN, "LUKS1 cipher mode", false, &mode,
                              ret_error)) < 0 ||
            (r = field_string(b + LUKS1_OFF_HASH, LUKS1_FIELD_LEN, "LUKS1 hash", false, &hash, ret_error)) < 0 ||
            (r = field_string(b + LUKS1_OFF_UUID, LUKS_UUID_LEN, "LUKS1 UUID", true, &h->uuid, ret_error)) < 0)
                return r;
        if (asprintf(&h->cipher, "%s-%s", name, mode) < 0) {
                h->cipher = NULL;
                return -ENOMEM;
        }
        key_bytes = be32_at(b + LUKS1_OFF_KEY_BYTES);
        if (key_bytes == 0 || key_bytes > 512) /* cryptsetup allows at most 512 bytes */
                return json_error(ret_error, "LUKS1 key size %u bytes is out of range", key_bytes), -EBADMSG;
        h->key_bits = key_bytes * 8;

        h->keyslots = calloc(LUKS1_KEYSLOTS, sizeof(LuksKeyslot));
        if (!h->keyslots)
                return -ENOMEM;
        for (unsigned i = 0; i < LUKS1_KEYSLOTS; i++) {
                const uint8_t *k = b + LUKS1_OFF_KEYSLOTS + i * LUKS1_KEYSLOT_LEN;
                LuksKeyslot *s;

                if (be32_at(k) != LUKS1_KEY_ENABLED)
                        continue;
                s = &h->keyslots[h->n_keyslots++];
                s->id = i;
                s->key_bits = h->key_bits;
                s->iterations = be32_at(k + 4);
                s->type = strdup("luks1");
                s->pbkdf = strdup("pbkdf2");
                s->hash = strdup(hash);
                if (!s->type || !s->pbkdf || !s->hash)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(h);
        return 0;
}

/* LUKS2 JSON numbers that may exceed 2^53 are strings ("offset": "16777216"). */
static int json_u64_string(json_object *o, const char *path, const char *key, uint64_t *ret, char **ret_error) {
        const char *s;
        int r = json_get_string(o, path, key, &s, ret_error);
        if (r < 0)
                return r;
        if (parse_uint64(s, ret) < 0)
                return json_error(ret_error, "%s.%s: \"%s\" is not an unsigned number", path, key, s);
        return 0;
}

static int json_dup_string(json_object *o, const char *path, const char *key, char **ret, char **ret_error) {
        const char *s;
        int r = json_get_string(o, path, key, &s, ret_error);
        if (r < 0)
                return r;
        if (strlen(s) > 256 || string_has_cc(s))
                return json_error(ret_error, "%s.%s: too long or contains control characters", path, key);
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

/* Object keys of keyslots/tokens/segments/digests are decimal ids. */
static int json_id(const char *key, unsigned max, const char *path, unsigned *ret, char **ret_error) {
        int v;
        if (parse_int_range(key, 0, (int) max - 1, &v) < 0)
                return json_error(ret_error, "%s: \"%s\" is not an id from 0 to %u", path, key, max - 1);
        *ret = (unsigned) v;
        return 0;
}

static int json_section(json_object *root, const char *name, json_object **ret, char **ret_error) {
        json_object *o;
        if (!json_object_object_get_ex(root, name, &o) || !json_object_is_type(o, json_type_object))
                return json_error(ret_error, "LUKS2 JSON: \"%s\" is missing or not an object", name);
        *ret = o;
        return 0;
}

static int parse_luks2_keyslot(json_object *ks, const char *path, LuksKeyslot *s, char **ret_error) {
        json_object *kdf;
        int64_t v;
        int r;

        if (!json_object_is_type(ks, json_type_object))
                return json_error(ret_error, "%s: expected object", path);
        r = json_dup_string(ks, path, "type", &s->type, ret_error);
        if (r < 0)
                return r == -ENOENT ? json_error(ret_error, "%s.type: missing", path) : r;
        r = json_get_int(ks, path, "key_size", 0, 1024, &v, ret_error);
        if (r < 0 && r != -ENOENT)
                return r;
        s->key_bits = r >= 0 ? (unsigned) v * 8 : 0;
        if (!json_object_object_get_ex(ks, "kdf", &kdf))
                return 0;
        if (!json_object_is_type(kdf, json_type_object))
                return json_error(ret_error, "%s.kdf: expected object", path);

        _cleanup_free_ char *kpath = NULL;
        if (asprintf(&kpath, "%s.kdf", path) < 0)
                return -ENOMEM;
        r = json_dup_string(kdf, kpath, "type", &s->pbkdf, ret_error);
        if (r < 0)
                return r == -ENOENT ? json_error(ret_error, "%s.type: missing", kpath) : r;
        if (streq(s->pbkdf, "pbkdf2")) {
                if ((r = json_dup_string(kdf, kpath, "hash", &s->hash, ret_error)) < 0 && r != -ENOENT)
                        return r;
                if ((r = json_get_int(kdf, kpath, "iterations", 0, INT64_MAX, &v, ret_error)) < 0 && r != -ENOENT)
                        return r;
                s->iterations = r >= 0 ? (uint64_t) v : 0;
        } else {
                if ((r = json_get_int(kdf, kpath, "time", 0, INT64_MAX, &v, ret_error)) < 0 && r != -ENOENT)
                        return r;
                s->iterations = r >= 0 ? (uint64_t) v : 0;
                if ((r = json_get_int(kdf, kpath, "memory", 0, INT64_MAX, &v, ret_error)) < 0 && r != -ENOENT)
                        return r;
                s->memory_kib = r >= 0 ? (uint64_t) v : 0;
                if ((r = json_get_int(kdf, kpath, "cpus", 0, INT64_MAX, &v, ret_error)) < 0 && r != -ENOENT)
                        return r;
                s->parallel = r >= 0 ? (uint64_t) v : 0;
        }
        return 0;
}

static int cmp_keyslot(const void *a, const void *b) {
        const LuksKeyslot *x = a, *y = b;
        return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_token(const void *a, const void *b) {
        const LuksToken *x = a, *y = b;
        return x->id < y->id ? -1 : x->id > y->id;
}

/* The volume key size: a digest that covers the segment names keyslots, whose key_size is
 * the volume key's (as cryptsetup's LUKS2_get_volume_key_size does). */
static unsigned volume_key_bits(json_object *digests, const char *segment_id, const LuksHeader *h) {
        json_object_object_foreach(digests, did, d) {
                json_object *segs, *kss;
                bool covers = false;

                (void) did;
                if (!json_object_object_get_ex(d, "segments", &segs) || !json_object_is_type(segs, json_type_array) ||
                    !json_object_object_get_ex(d, "keyslots", &kss) || !json_object_is_type(kss, json_type_array))
                        continue;
                for (size_t i = 0; i < json_object_array_length(segs); i++)
                        if (streq_ptr(json_object_get_string(json_object_array_get_idx(segs, i)), segment_id))
                                covers = true;
                if (!covers)
                        continue;
                for (size_t i = 0; i < json_object_array_length(kss); i++) {
                        const char *ks = json_object_get_string(json_object_array_get_idx(kss, i));
                        for (size_t j = 0; ks && j < h->n_keyslots; j++) {
                                char id[16];
                                snprintf(id, sizeof(id), "%u", h->keyslots[j].id);
                                if (streq(id, ks) && h->keyslots[j].key_bits > 0)
                                        return h->keyslots[j].key_bits;
                        }
                }
        }
        return 0;
}

static int parse_luks2_json(json_object *root, LuksHeader *h, char **ret_error) {
        json_object *keyslots, *segments, *digests, *tokens;
        const char *seg_id = NULL;
        unsigned seg_min = UINT32_MAX;
        int r;

        if (!json_object_is_type(root, json_type_object))
                return json_error(ret_error, "LUKS2 JSON: not an object");
        if ((r = json_section(root, "keyslots", &keyslots, ret_error)) < 0 ||
            (r = json_section(root, "segments", &segments, ret_error)) < 0 ||
            (r = json_section(root, "digests", &digests, ret_error)) < 0 ||
            (r = json_section(root, "tokens", &tokens, ret_error)) < 0)
                return r;
        if (json_object_object_length(keyslots) > LUKS2_KEYSLOTS_MAX ||
            json_object_object_length(tokens) > LUKS2_TOKENS_MAX)
                return json_error(ret_error, "LUKS2 JSON: more than %u keyslots or tokens", LUKS2_KEYSLOTS_MAX);

        h->keyslots = calloc(json_object_object_length(keyslots) + 1, sizeof(LuksKeyslot));
        h->tokens = calloc(json_object_object_length(tokens) + 1, sizeof(LuksToken));
        if (!h->keyslots || !h->tokens)
                return -ENOMEM;
        json_object_object_foreach(keyslots, kid, ks) {
                LuksKeyslot *s = &h->keyslots[h->n_keyslots];
                char path[64];

                snprintf(path, sizeof(path), "keyslots.%.16s", kid);
                r = json_id(kid, LUKS2_KEYSLOTS_MAX, path, &s->id, ret_error);
                if (r < 0)
                        return r;
                h->n_keyslots++; /* counted first, so that a partly parsed slot is freed */
                r = parse_luks2_keyslot(ks, path, s, ret_error);
                if (r < 0)
                        return r;
        }
        qsort(h->keyslots, h->n_keyslots, sizeof(LuksKeyslot), cmp_keyslot);

        json_object_object_foreach(tokens, tid, t) {
                LuksToken *tok = &h->tokens[h->n_tokens];
                char path[64];

                snprintf(path, sizeof(path), "tokens.%.16s", tid);
                r = json_id(tid, LUKS2_TOKENS_MAX, path, &tok->id, ret_error);
                if (r < 0)
                        return r;
                if (!json_object_is_type(t, json_type_object))
                        return json_error(ret_error, "%s: expected object", path);
                h->n_tokens++;
                r = json_dup_string(t, path, "type", &tok->type, ret_error);
                if (r < 0)
                        return r == -ENOENT ? json_error(ret_error, "%s.type: missing", path) : r;
                r = json_get_strv(t, path, "keyslots", &tok->keyslots, ret_error);
                if (r < 0 && r != -ENOENT)
                        return r;
        }
        qsort(h->tokens, h->n_tokens, sizeof(LuksToken), cmp_token);

        /* The data segment: the lowest-numbered "crypt" one (a reencryption has two). */
        json_object_object_foreach(segments, sid, seg) {
                const char *type, *enc;
                unsigned id = 0;
                char path[64];

                snprintf(path, sizeof(path), "segments.%.16s", sid);
                if ((r = json_id(sid, 32, path, &id, ret_error)) < 0)
                        return r;
                if (!json_object_is_type(seg, json_type_object))
                        return json_error(ret_error, "%s: expected object", path);
                if (json_get_string(seg, path, "type", &type, ret_error) < 0 ||
                    (!streq(type, "crypt") && !streq(type, "hw-opal-crypt"))) /* OPAL plus dm-crypt */
                        continue;
                if ((r = json_get_string(seg, path, "encryption", &enc, ret_error)) < 0)
                        return r == -ENOENT ? json_error(ret_error, "%s.encryption: missing", path) : r;
                if (id < seg_min) {
                        uint64_t off;
                        if ((r = json_u64_string(seg, path, "offset", &off, ret_error)) < 0)
                                return r == -ENOENT ? json_error(ret_error, "%s.offset: missing", path) : r;
                        seg_min = id;
                        seg_id = sid;
                        free(h->cipher);
                        h->cipher = NULL;
                        if (strlen(enc) > 128 || string_has_cc(enc))
                                return json_error(ret_error, "%s.encryption: not a cipher name", path);
                        h->cipher = strdup(enc);
                        if (!h->cipher)
                                return -ENOMEM;
                }
        }
        if (!h->cipher)
                return json_error(ret_error, "LUKS2 JSON: no crypt segment");
        h->key_bits = volume_key_bits(digests, seg_id, h);
        return 0;
}

/* Validates the LUKS2 header at `offset` (binary header + JSON area, checksum) and parses
 * it. -EBADMSG with the reason when it is not a valid header. */
static int read_luks2_at(LuksReadFn fn, void *userdata, uint64_t offset, const char *magic, LuksHeader **ret,
                         char **ret_error) {
        _cleanup_(luks_header_freep) LuksHeader *h = NULL;
        _cleanup_free_ uint8_t *buf = NULL;
        _cleanup_free_ char *alg = NULL, *jerr = NULL;
        _cleanup_json_ json_object *json = NULL;
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = NULL;
        uint8_t bin[LUKS2_BIN_LEN], md[EVP_MAX_MD_SIZE];
        const EVP_MD *type;
        uint64_t hdr_size, hdr_offset;
        unsigned md_len = 0;
        bool size_ok = false;
        ssize_t n;
        size_t json_len;
        int r;

        n = fn(userdata, offset, bin, sizeof(bin));
        if (n < 0)
                return (int) n;
        if ((size_t) n < sizeof(bin))
                return json_error(ret_error, "truncated: %zd of %zu header bytes at offset %llu", n, sizeof(bin),
                                  (unsigned long long) offset), -EBADMSG;
        if (memcmp(bin, magic, LUKS_MAGIC_LEN) != 0)
                return json_error(ret_error, "no LUKS2 magic at offset %llu", (unsigned long long) offset), -EBADMSG;
        if (be16_at(bin + LUKS_MAGIC_LEN) != 2)
                return json_error(ret_error, "version %u at offset %llu, expected 2", be16_at(bin + LUKS_MAGIC_LEN),
                                  (unsigned long long) offset), -EBADMSG;
        hdr_size = be64_at(bin + LUKS2_OFF_HDR_SIZE);
        for (size_t i = 0; i < ELEMENTSOF(luks2_sizes); i++)
                size_ok = size_ok || hdr_size == luks2_sizes[i];
        if (!size_ok)
                return json_error(ret_error, "header size %llu at offset %llu is not one the spec allows",
                                  (unsigned long long) hdr_size, (unsigned long long) offset), -EBADMSG;
        hdr_offset = be64_at(bin + LUKS2_OFF_HDR_OFFSET);
        if (hdr_offset != offset)
                return json_error(ret_error, "header at offset %llu says it is at %llu", (unsigned long long) offset,
                                  (unsigned long long) hdr_offset), -EBADMSG;
        r = field_string(bin + LUKS2_OFF_CSUM_ALG, LUKS2_CSUM_ALG_LEN, "LUKS2 checksum algorithm", false, &alg,
                         ret_error);
        if (r < 0)
                return r;
        type = EVP_get_digestbyname(alg);
        if (!type || EVP_MD_get_size(type) <= 0 || EVP_MD_get_size(type) > LUKS2_CSUM_LEN)
                return json_error(ret_error, "unsupported checksum algorithm \"%s\"", alg), -EBADMSG;

        buf = malloc(hdr_size);
        if (!buf)
                return -ENOMEM;
        n = fn(userdata, offset, buf, hdr_size);
        if (n < 0)
                return (int) n;
        if ((uint64_t) n < hdr_size)
                return json_error(ret_error, "truncated: %zd of %llu header bytes at offset %llu", n,
                                  (unsigned long long) hdr_size, (unsigned long long) offset), -EBADMSG;
        /* The checksum covers the binary header, its checksum field zeroed, and the JSON area. */
        memset(buf + LUKS2_OFF_CSUM, 0, LUKS2_CSUM_LEN);
        ctx = EVP_MD_CTX_new();
        if (!ctx || EVP_DigestInit_ex(ctx, type, NULL) != 1 || EVP_DigestUpdate(ctx, buf, hdr_size) != 1 ||
            EVP_DigestFinal_ex(ctx, md, &md_len) != 1)
                return -EIO;
        if (CRYPTO_memcmp(md, bin + LUKS2_OFF_CSUM, md_len) != 0)
                return json_error(ret_error, "%s checksum mismatch at offset %llu", alg, (unsigned long long) offset),
                       -EBADMSG;

        json_len = strnlen((const char *) buf + LUKS2_BIN_LEN, hdr_size - LUKS2_BIN_LEN);
        r = json_parse((const char *) buf + LUKS2_BIN_LEN, json_len, &json, &jerr);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return json_error(ret_error, "JSON area at offset %llu: %s", (unsigned long long) offset,
                                  strnull(jerr)), -EBADMSG;

        h = calloc(1, sizeof(LuksHeader));
        if (!h)
                return -ENOMEM;
        h->version = 2;
        h->header_size = hdr_size;
        h->seqid = be64_at(bin + LUKS2_OFF_SEQID);
        if ((r = field_string(bin + LUKS2_OFF_LABEL, LUKS2_LABEL_LEN, "LUKS2 label", true, &h->label, ret_error)) < 0 ||
            (r = field_string(bin + LUKS2_OFF_UUID, LUKS_UUID_LEN, "LUKS2 UUID", true, &h->uuid, ret_error)) < 0)
                return r == -ENOMEM ? r : -EBADMSG;
        r = parse_luks2_json(json, h, ret_error);
        if (r < 0)
                return r == -ENOMEM ? r : -EBADMSG;
        *ret = TAKE_PTR(h);
        return 0;
}

static int read_luks2(LuksReadFn fn, void *userdata, LuksHeader **ret, char **ret_error) {
        _cleanup_free_ char *primary_error = NULL, *secondary_error = NULL;
        LuksHeader *h = NULL, *second = NULL;
        int r;

        r = read_luks2_at(fn, userdata, 0, LUKS_MAGIC_1ST, &h, &primary_error);
        if (r >= 0) {
                /* The secondary copy follows the primary; say so when it is damaged. */
                r = read_luks2_at(fn, userdata, h->header_size, LUKS_MAGIC_2ND, &second, &secondary_error);
                luks_header_free(second);
                if (r == -ENOMEM) {
                        luks_header_free(h);
                        return r;
                }
                if (r < 0)
                        h->secondary_error = TAKE_PTR(secondary_error);
                if (r < 0 && !h->secondary_error) {
                        h->secondary_error = strdup("unreadable");
                        if (!h->secondary_error) {
                                luks_header_free(h);
                                return -ENOMEM;
                        }
                }
                *ret = h;
                return 0;
        }
        if (r != -EBADMSG)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(luks2_sizes); i++) {
                r = read_luks2_at(fn, userdata, luks2_sizes[i], LUKS_MAGIC_2ND, &h, NULL);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        continue;
                h->from_secondary = true;
                h->primary_error = TAKE_PTR(primary_error);
                *ret = h;
                return 0;
        }
        json_error(ret_error, "no valid LUKS2 header: primary: %s; no valid secondary copy found",
                   strnull(primary_error));
        return -EBADMSG;
}

int luks_header_read(LuksReadFn fn, void *userdata, LuksHeader **ret, char **ret_error) {
        uint8_t b[LUKS1_HDR_LEN];
        ssize_t n;

        n = fn(userdata, 0, b, sizeof(b));
        if (n < 0)
                return (int) n;
        if ((size_t) n >= LUKS_MAGIC_LEN + 2 && memcmp(b, LUKS_MAGIC_1ST, LUKS_MAGIC_LEN) == 0 &&
            be16_at(b + LUKS_MAGIC_LEN) == 1) {
                if ((size_t) n < sizeof(b))
                        return json_error(ret_error, "truncated LUKS1 header: %zd of %zu bytes", n, sizeof(b)),
                               -EBADMSG;
                return parse_luks1(b, ret, ret_error);
        }
        /* LUKS2, or a LUKS2 device whose primary header is wiped: the secondary may remain */
        return read_luks2(fn, userdata, ret, ret_error);
}

static ssize_t fd_read(void *userdata, uint64_t offset, void *buf, size_t size) {
        int fd = *(int *) userdata;
        size_t done = 0;

        while (done < size) {
                ssize_t n = pread(fd, (uint8_t *) buf + done, size - done, (off_t) (offset + done));
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                done += (size_t) n;
        }
        return (ssize_t) done;
}

int luks_header_read_fd(int fd, LuksHeader **ret, char **ret_error) {
        return luks_header_read(fd_read, &fd, ret, ret_error);
}

typedef struct Buffer {
        const uint8_t *data;
        size_t size;
} Buffer;

static ssize_t buffer_read(void *userdata, uint64_t offset, void *buf, size_t size) {
        const Buffer *b = userdata;
        size_t n;

        if (offset >= b->size)
                return 0;
        n = MIN(size, b->size - (size_t) offset);
        memcpy(buf, b->data + offset, n);
        return (ssize_t) n;
}

int luks_header_parse_buffer(const void *data, size_t size, LuksHeader **ret, char **ret_error) {
        Buffer b = { .data = data, .size = size };
        return luks_header_read(buffer_read, &b, ret, ret_error);
}

json_object *luks_header_to_json(const LuksHeader *h) {
        _cleanup_json_ json_object *o = json_object_new_object(), *slots = json_object_new_array(),
                                   *toks = json_object_new_array();
        int r = 0;

        if (!o || !slots || !toks)
                return NULL;
        r |= json_add_int(o, "version", h->version);
        r |= json_add_string(o, "uuid", h->uuid);
        if (h->version == 2)
                r |= json_add_string(o, "label", h->label);
        r |= json_add_string(o, "cipher", h->cipher);
        if (h->key_bits > 0)
                r |= json_add_int(o, "key_bits", h->key_bits);
        else
                r |= json_add_string(o, "key_bits", NULL);
        for (size_t i = 0; i < h->n_keyslots; i++) {
                const LuksKeyslot *k = &h->keyslots[i];
                json_object *s = json_object_new_object();
                if (!s || json_object_array_add(slots, s) < 0) {
                        json_object_put(s);
                        return NULL;
                }
                r |= json_add_int(s, "id", k->id);
                r |= json_add_string(s, "type", k->type);
                r |= json_add_string(s, "pbkdf", k->pbkdf);
                if (k->hash)
                        r |= json_add_string(s, "hash", k->hash);
                if (k->pbkdf && streq(k->pbkdf, "pbkdf2"))
                        r |= json_add_int(s, "iterations", (int64_t) k->iterations);
                else if (k->pbkdf) {
                        r |= json_add_int(s, "time_cost", (int64_t) k->iterations);
                        r |= json_add_int(s, "memory_kib", (int64_t) k->memory_kib);
                        r |= json_add_int(s, "parallel", (int64_t) k->parallel);
                }
                if (k->key_bits > 0)
                        r |= json_add_int(s, "key_bits", k->key_bits);
        }
        for (size_t i = 0; i < h->n_tokens; i++) {
                const LuksToken *t = &h->tokens[i];
                json_object *s = json_object_new_object(), *ks = json_object_new_array();
                if (!s || !ks || json_object_array_add(toks, s) < 0) {
                        json_object_put(s);
                        json_object_put(ks);
                        return NULL;
                }
                r |= json_add_int(s, "id", t->id);
                r |= json_add_string(s, "type", t->type);
                for (size_t j = 0; t->keyslots && t->keyslots[j]; j++)
                        r |= json_object_array_add(ks, json_object_new_string(t->keyslots[j])) < 0 ? -ENOMEM : 0;
                r |= json_add(s, "keyslots", ks);
        }
        r |= json_add(o, "keyslots", TAKE_PTR(slots));
        r |= json_add(o, "tokens", TAKE_PTR(toks));
        if (h->version == 2) {
                r |= json_add_string(o, "header_used", h->from_secondary ? "secondary" : "primary");
                r |= json_add_string(o, "primary_header_error", h->primary_error);
                r |= json_add_string(o, "secondary_header_error", h->secondary_error);
                r |= json_add_int(o, "seqid", (int64_t) h->seqid);
        }
        if (r != 0)
                return NULL;
        return TAKE_PTR(o);
}
