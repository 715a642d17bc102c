/* SPDX-License-Identifier: MIT */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include "cleanup.h"
#include "hash-util.h"
#include "json-util.h"
#include "jws.h"
#include "macro.h"

static const char b64url_alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int base64url_encode(const void *data, size_t size, char **ret, size_t *ret_len) {
        const uint8_t *in = data;
        size_t n, o = 0, i = 0;
        char *out;

        if (size > SIZE_MAX / 4 * 3 - 3)
                return -ENOMEM;
        n = size / 3 * 4 + (size % 3 ? size % 3 + 1 : 0);
        out = malloc(n + 1);
        if (!out)
                return -ENOMEM;
        for (; i + 3 <= size; i += 3) {
                uint32_t v = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8 | in[i + 2];
                out[o++] = b64url_alphabet[v >> 18 & 63];
                out[o++] = b64url_alphabet[v >> 12 & 63];
                out[o++] = b64url_alphabet[v >> 6 & 63];
                out[o++] = b64url_alphabet[v & 63];
        }
        if (size - i == 1) {
                uint32_t v = (uint32_t) in[i] << 16;
                out[o++] = b64url_alphabet[v >> 18 & 63];
                out[o++] = b64url_alphabet[v >> 12 & 63];
        } else if (size - i == 2) {
                uint32_t v = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8;
                out[o++] = b64url_alphabet[v >> 18 & 63];
                out[o++] = b64url_alphabet[v >> 12 & 63];
                out[o++] = b64url_alphabet[v >> 6 & 63];
        }
        out[o] = 0;
        *ret = out;
        if (ret_len)
                *ret_len = o;
        return 0;
}

/* 1 + the 6-bit value of each base64url character, 0 for every other byte: less one, an
 * invalid character wraps to all bits set. */
static const uint8_t b64url_values[256] = {
        ['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,  ['G'] = 7,  ['H'] = 8,
        ['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16,
        ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
        ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
        ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
        ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
        ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
        ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['-'] = 63, ['_'] = 64,
};

/* The decoded size of len characters of base64url, or -EINVAL when none can be. */
static ssize_t base64url_size(size_t len) {
        size_t tail = len % 4;

        if (tail == 1) /* 6 bits cannot make a byte */
                return -EINVAL;
        return (ssize_t) (len / 4 * 3 + (tail ? tail - 1 : 0));
}

/* Two characters at a time: their 12 bits, with B64URL_PAIR_OK set when both are
 * base64url (0 otherwise), indexed by the first character | the second << 8. Half the
 * lookups, shifts and tests of one character at a time: a report's payload is ~40 KB of
 * base64url (docs/performance.md, issue #17, round 8). Filled once, 64 × 64 entries. */
#define B64URL_PAIR_OK 0x1000
static uint16_t b64url_pairs[65536];
static pthread_once_t b64url_pairs_once = PTHREAD_ONCE_INIT;

/* The index of the two characters at s: their bytes as one uint16_t, in the machine's order. */
static inline uint16_t pair_at(const void *s) {
        uint16_t v;

        memcpy(&v, s, sizeof(v));
        return v;
}

static void b64url_pairs_fill(void) {
        for (unsigned a = 0; a < 64; a++)
                for (unsigned b = 0; b < 64; b++)
                        b64url_pairs[pair_at((const char[]) { b64url_alphabet[a], b64url_alphabet[b] })] =
                                (uint16_t) (B64URL_PAIR_OK | a << 6 | b);
}

/* Decodes into out, base64url_size(len) bytes and a NUL. */
static int base64url_decode_to(const char *s, size_t len, uint8_t *out) {
        const uint8_t *in = (const uint8_t *) s;
        size_t o = 0, i = 0, tail = len % 4;
        uint32_t acc = 0;

        (void) pthread_once(&b64url_pairs_once, b64url_pairs_fill);
        /* Four characters make three bytes. */
        for (; i + 4 <= len; i += 4) {
                uint32_t hi = b64url_pairs[pair_at(in + i)], lo = b64url_pairs[pair_at(in + i + 2)], be;
                if (!(hi & lo & B64URL_PAIR_OK))
                        return -EINVAL;
                /* Four bytes written, three kept: out holds a NUL after the decoded bytes. */
                be = htobe32(((hi & 0xfff) << 12 | (lo & 0xfff)) << 8);
                memcpy(out + o, &be, sizeof(be));
                o += 3;
        }
        if (tail) {
                unsigned bits = (unsigned) tail * 6 - 8 * ((unsigned) tail - 1);
                acc = 0;
                for (; i < len; i++) {
                        uint32_t v = b64url_values[in[i]] - 1U;
                        if (v & ~UINT32_C(63))
                                return -EINVAL;
                        acc = acc << 6 | v;
                }
                /* Unused trailing bits must be zero: one encoding per byte string. */
                if (acc & ((1U << bits) - 1))
                        return -EINVAL;
                acc >>= bits;
                if (tail == 3)
                        out[o++] = (uint8_t) (acc >> 8);
                out[o++] = (uint8_t) acc;
        }
        out[o] = 0;
        return 0;
}

int base64url_decode(const char *s, size_t len, size_t max, uint8_t **ret, size_t *ret_size) {
        _cleanup_free_ uint8_t *out = NULL;
        ssize_t n = base64url_size(len);
        int r;

        if (n < 0)
                return (int) n;
        if ((size_t) n > max)
                return -EFBIG;
        out = malloc((size_t) n + 1);
        if (!out)
                return -ENOMEM;
        r = base64url_decode_to(s, len, out);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(out);
        *ret_size = (size_t) n;
        return 0;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(ECDSA_SIG *, ECDSA_SIG_free)

int ecdsa_sig_der_to_raw(const uint8_t *der, size_t size, uint8_t ret[static JWS_SIG_SIZE]) {
        _cleanup_(ECDSA_SIG_freep) ECDSA_SIG *sig = NULL;
        const unsigned char *p = der;
        const BIGNUM *r, *s;

        if (size > 80) /* 2 + 2 * (2 + 33) for P-256 at most */
                return -EINVAL;
        sig = d2i_ECDSA_SIG(NULL, &p, (long) size);
        if (!sig || p != der + size)
                return -EINVAL;
        ECDSA_SIG_get0(sig, &r, &s);
        if (BN_is_negative(r) || BN_is_negative(s) || BN_num_bytes(r) > 32 || BN_num_bytes(s) > 32)
                return -EINVAL;
        if (BN_bn2binpad(r, ret, 32) != 32 || BN_bn2binpad(s, ret + 32, 32) != 32)
                return -EINVAL;
        return 0;
}

/* One DER INTEGER from a 32-byte unsigned big-endian value: leading zeros dropped, a zero
 * byte put back when the high bit is set (it would read as negative). Returns its size. */
static size_t der_integer(uint8_t *out, const uint8_t v[static 32]) {
        size_t i = 0, n;
        bool pad;

        while (i < 31 && v[i] == 0)
                i++;
        pad = v[i] & 0x80;
        n = 32 - i + pad;
        out[0] = 0x02;
        out[1] = (uint8_t) n;
        out[2] = 0;
        memcpy(out + 2 + pad, v + i, 32 - i);
        return 2 + n;
}

/* ECDSA-Sig-Value written by hand, exactly as i2d_ECDSA_SIG writes it (DER: one encoding):
 * that and its two BIGNUMs cost ~15 k instructions per verify. */
static int sig_raw_to_der(const uint8_t raw[static JWS_SIG_SIZE], uint8_t out[static ECDSA_SIG_DER_MAX],
                          size_t *ret_size) {
        static const uint8_t zero[32];
        size_t n;

        if (memcmp(raw, zero, 32) == 0 || memcmp(raw + 32, zero, 32) == 0)
                return -EINVAL;
        n = der_integer(out + 2, raw);
        n += der_integer(out + 2 + n, raw + 32);
        out[0] = 0x30; /* SEQUENCE, at most 70 bytes: the short length form */
        out[1] = (uint8_t) n;
        *ret_size = 2 + n;
        return 0;
}

int ecdsa_sig_raw_to_der(const uint8_t raw[static JWS_SIG_SIZE], uint8_t **ret, size_t *ret_size) {
        uint8_t der[ECDSA_SIG_DER_MAX];
        size_t n;
        int r;

        if ((r = sig_raw_to_der(raw, der, &n)) < 0)
                return r;
        *ret = malloc(n);
        if (!*ret)
                return -ENOMEM;
        memcpy(*ret, der, n);
        *ret_size = n;
        return 0;
}

bool evp_pkey_is_p256(EVP_PKEY *key) {
        char group[64];

        if (!key || !EVP_PKEY_is_a(key, "EC"))
                return false;
        if (EVP_PKEY_get_group_name(key, group, sizeof group, NULL) != 1)
                return false;
        return streq(group, "prime256v1") || streq(group, "P-256");
}

int p256_public_point(EVP_PKEY *key, uint8_t ret[static P256_POINT_SIZE]) {
        size_t n = 0;

        if (!evp_pkey_is_p256(key) ||
            EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, ret, P256_POINT_SIZE, &n) != 1 ||
            n != P256_POINT_SIZE || ret[0] != POINT_CONVERSION_UNCOMPRESSED) {
                ERR_clear_error();
                return -EINVAL;
        }
        return 0;
}

/* A P-256 key's group costs ~140 k instructions to set up (its Montgomery constants); a
 * copy of one made once costs a quarter of a key built from the curve's name. */
static pthread_once_t p256_once = PTHREAD_ONCE_INIT;
static EVP_PKEY *p256_parameters;

static void p256_parameters_new(void) {
        _cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
        OSSL_PARAM params[] = {
                OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *) "prime256v1", 0),
                OSSL_PARAM_END,
        };

        if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
            EVP_PKEY_fromdata(ctx, &p256_parameters, EVP_PKEY_KEY_PARAMETERS, params) != 1)
                ERR_clear_error();
}

int p256_public_key(const uint8_t point[static P256_POINT_SIZE], EVP_PKEY **ret) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *k = NULL;

        (void) pthread_once(&p256_once, p256_parameters_new);
        if (!p256_parameters || !(k = EVP_PKEY_dup(p256_parameters)))
                return -ENOMEM;
        /* OpenSSL refuses a point that is not on the curve. */
        if (EVP_PKEY_set1_encoded_public_key(k, point, P256_POINT_SIZE) != 1) {
                ERR_clear_error();
                return -EINVAL;
        }
        *ret = TAKE_PTR(k);
        return 0;
}

const char *evp_pkey_sign_propq(const EVP_PKEY *key, char buf[static EVP_PKEY_PROPQ_MAX]) {
        const OSSL_PROVIDER *p = EVP_PKEY_get0_provider(key);
        const char *name = p ? OSSL_PROVIDER_get0_name(p) : NULL;
        int n;

        if (!name || streq(name, "default") || streq(name, "fips"))
                return NULL;
        n = snprintf(buf, EVP_PKEY_PROPQ_MAX, "?provider=%s", name);
        return n > 0 && n < EVP_PKEY_PROPQ_MAX ? buf : NULL;
}

int cert_der_kid(const void *der, size_t size, char ret[static JWS_KID_SIZE]) {
        return sha256_hex(der, size, ret);
}

int cert_kid(X509 *cert, char ret[static JWS_KID_SIZE]) {
        unsigned char *der = NULL;
        int n, r;

        n = i2d_X509(cert, &der);
        if (n <= 0)
                return -EINVAL;
        r = cert_der_kid(der, (size_t) n, ret);
        OPENSSL_free(der);
        return r;
}

int x509_name_common_name(const X509_NAME *name, char **ret) {
        int i = name ? X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
        ASN1_STRING *d;
        unsigned char *utf8 = NULL;
        int n;

        if (i < 0)
                return -ENOENT;
        /* Exactly one CN, or the identity is ambiguous. */
        if (X509_NAME_get_index_by_NID(name, NID_commonName, i) >= 0)
                return -EINVAL;
        d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
        n = ASN1_STRING_to_UTF8(&utf8, d);
        if (n < 0)
                return -EINVAL;
        if (memchr(utf8, 0, (size_t) n)) {
                OPENSSL_free(utf8);
                return -EINVAL;
        }
        *ret = strndup((const char *) utf8, (size_t) n);
        OPENSSL_free(utf8);
        return *ret ? 0 : -ENOMEM;
}

int cert_common_name(X509 *cert, char **ret) {
        return x509_name_common_name(X509_get_subject_name(cert), ret);
}

int jws_sign(EVP_PKEY *key, const char *kid, const char *typ, const char *payload, size_t len,
             char **ret_jws) {
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = NULL;
        _cleanup_free_ char *header = NULL, *h64 = NULL, *p64 = NULL, *s64 = NULL, *input = NULL;
        _cleanup_free_ unsigned char *der = NULL;
        uint8_t raw[JWS_SIG_SIZE];
        char propq[EVP_PKEY_PROPQ_MAX];
        size_t h64_len, p64_len, input_len, der_len;
        int r;

        if (!evp_pkey_is_p256(key) || !sha256_hex_is_valid(kid) || len > JWS_MAX_SIZE / 2)
                return -EINVAL;
        typ = typ ?: JWS_TYP_REPORT;
        if (strpbrk(typ, "\"\\") || strlen(typ) > 64)
                return -EINVAL;
        if (asprintf(&header, "{\"alg\":\"ES256\",\"typ\":\"%s\",\"kid\":\"%s\"}", typ, kid) < 0) {
                header = NULL;
                return -ENOMEM;
        }
        if ((r = base64url_encode(header, strlen(header), &h64, &h64_len)) < 0 ||
            (r = base64url_encode(payload, len, &p64, &p64_len)) < 0)
                return r;
        input_len = h64_len + 1 + p64_len;
        input = malloc(input_len + 1);
        if (!input)
                return -ENOMEM;
        memcpy(input, h64, h64_len);
        input[h64_len] = '.';
        memcpy(input + h64_len + 1, p64, p64_len + 1);

        md = EVP_MD_CTX_new();
        if (!md)
                return -ENOMEM;
        if (EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, evp_pkey_sign_propq(key, propq), key, NULL) != 1 ||
            EVP_DigestSign(md, NULL, &der_len, (const unsigned char *) input, input_len) != 1) {
                ERR_clear_error();
                return -EIO;
        }
        der = malloc(der_len);
        if (!der)
                return -ENOMEM;
        if (EVP_DigestSign(md, der, &der_len, (const unsigned char *) input, input_len) != 1) {
                ERR_clear_error();
                return -EIO;
        }
        if ((r = ecdsa_sig_der_to_raw(der, der_len, raw)) < 0)
                return -EIO;
        if ((r = base64url_encode(raw, sizeof raw, &s64, NULL)) < 0)
                return r;
        if (asprintf(ret_jws, "%s.%s", input, s64) < 0)
                return -ENOMEM;
        return 0;
}

Jws *jws_free(Jws *jws) {
        if (!jws)
                return NULL;
        free(jws); /* typ and payload lie in the same allocation: jws_parse_full() */
        return NULL;
}

/* A refusal of outside input: the message, and -EBADMSG. */
#define parse_error(ret_error, ...) (json_error((ret_error), __VA_ARGS__), -EBADMSG)

/* Fills jws->kid; *ret_typ points into header. */
static int parse_header(Jws *jws, json_object *header, JwsParseFlags flags, const char **ret_typ, char **ret_error) {
        const char *alg = NULL, *typ = NULL, *kid = NULL;

        if (!json_object_is_type(header, json_type_object))
                return parse_error(ret_error, "JWS header: expected a JSON object, got %s",
                                   json_type_label(header));
        json_object_object_foreach(header, key, v) {
                const char **field = streq(key, "alg") ? &alg : streq(key, "typ") ? &typ :
                                     streq(key, "kid") ? &kid : NULL;
                if (!field) {
                        /* "crit" names extensions we would have to understand; anything else
                         * (jwk, x5c, …) is a way to smuggle in a key: refuse both. */
                        if (streq(key, "crit") || !(flags & JWS_PARSE_ANY_HEADER))
                                return parse_error(ret_error, "JWS header: unexpected member \"%s\"", key);
                        continue;
                }
                if (!json_object_is_type(v, json_type_string))
                        return parse_error(ret_error, "JWS header: \"%s\" must be a string", key);
                *field = json_object_get_string(v);
        }
        if (!alg || !streq(alg, "ES256"))
                return parse_error(ret_error, "JWS header: alg \"%s\" is not accepted, only ES256",
                                   strnull(alg));
        *ret_typ = typ;
        if (kid) {
                if (!sha256_hex_is_valid(kid))
                        return parse_error(ret_error, "JWS header: kid \"%.80s\" is not 64 lower-case hex digits", kid);
                memcpy(jws->kid, kid, JWS_KID_SIZE);
        }
        if (flags & JWS_PARSE_ANY_HEADER)
                return 0;
        if (!typ || !streq(typ, JWS_TYP_REPORT))
                return parse_error(ret_error, "JWS header: typ \"%s\" is not \"" JWS_TYP_REPORT "\"",
                                   strnull(typ));
        if (!kid)
                return parse_error(ret_error, "JWS header: kid is missing");
        return 0;
}

/* The header exactly as jws_sign() writes it for a report: 1 with typ and kid set, 0 for
 * any other form, which the JSON parser and parse_header() then judge. A report's header
 * is nearly always this one, and parsing it into a JSON tree cost ~15 k instructions. */
static int signer_header(Jws *jws, const char *h, size_t size, const char **ret_typ) {
        static const char head[] = "{\"alg\":\"ES256\",\"typ\":\"" JWS_TYP_REPORT "\",\"kid\":\"";
        const size_t n = sizeof(head) - 1;
        char kid[JWS_KID_SIZE];

        if (size != n + JWS_KID_SIZE - 1 + 2 || memcmp(h, head, n) != 0 ||
            memcmp(h + size - 2, "\"}", 2) != 0)
                return 0;
        memcpy(kid, h + n, JWS_KID_SIZE - 1);
        kid[JWS_KID_SIZE - 1] = 0;
        if (!sha256_hex_is_valid(kid))
                return 0;
        *ret_typ = JWS_TYP_REPORT;
        memcpy(jws->kid, kid, JWS_KID_SIZE);
        return 1;
}

int jws_parse_full(const char *s, size_t len, JwsParseFlags flags, Jws **ret, char **ret_error) {
        _cleanup_(jws_freep) Jws *jws = NULL;
        _cleanup_json_ json_object *h = NULL;
        _cleanup_free_ char *herr = NULL;
        uint8_t buf[JWS_HEADER_MAX + 1]; /* the header, then the signature: decoded here */
        Jws head = {};
        const char *dot1, *dot2, *typ = NULL;
        ssize_t header_size, payload_size, sig_size;
        size_t typ_size;
        int r;

        if (len > JWS_MAX_SIZE) {
                json_error(ret_error, "JWS larger than %u bytes", JWS_MAX_SIZE);
                return -EFBIG;
        }
        dot1 = memchr(s, '.', len);
        dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t) (dot1 + 1 - s)) : NULL;
        if (!dot2 || memchr(dot2 + 1, '.', len - (size_t) (dot2 + 1 - s)))
                return parse_error(ret_error, "not a compact JWS: expected three dot-separated parts");

        header_size = base64url_size((size_t) (dot1 - s));
        if (header_size > JWS_HEADER_MAX)
                return parse_error(ret_error, "JWS header: too large");
        if (header_size < 0 || base64url_decode_to(s, (size_t) (dot1 - s), buf) < 0)
                return parse_error(ret_error, "JWS header: invalid base64url");
        if (memchr(buf, 0, (size_t) header_size))
                return parse_error(ret_error, "JWS header: contains a NUL byte");
        if (!(r = signer_header(&head, (const char *) buf, (size_t) header_size, &typ))) {
                r = json_parse((const char *) buf, (size_t) header_size, &h, &herr);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return parse_error(ret_error, "JWS header: %s", strnull(herr));
                r = parse_header(&head, h, flags, &typ, ret_error);
        }
        if (r < 0)
                return r;

        /* One allocation: the Jws, its payload, its typ (jws_free()). */
        payload_size = base64url_size((size_t) (dot2 - dot1 - 1));
        if (payload_size < 0)
                return parse_error(ret_error, "JWS payload: invalid base64url");
        typ_size = typ ? strlen(typ) + 1 : 0;
        jws = malloc(sizeof(Jws) + (size_t) payload_size + 1 + typ_size);
        if (!jws)
                return -ENOMEM;
        *jws = head;
        jws->payload = (uint8_t *) (jws + 1);
        jws->payload_size = (size_t) payload_size;
        if (typ)
                jws->typ = memcpy(jws->payload + payload_size + 1, typ, typ_size);
        if (base64url_decode_to(dot1 + 1, (size_t) (dot2 - dot1 - 1), jws->payload) < 0)
                return parse_error(ret_error, "JWS payload: invalid base64url");

        sig_size = base64url_size(len - (size_t) (dot2 + 1 - s));
        if (sig_size != JWS_SIG_SIZE || base64url_decode_to(dot2 + 1, len - (size_t) (dot2 + 1 - s), buf) < 0)
                return parse_error(ret_error, "JWS signature: expected 64 bytes of base64url (ES256 R||S)");
        memcpy(jws->sig, buf, JWS_SIG_SIZE);

        jws->signing_input = s;
        jws->signing_input_size = (size_t) (dot2 - s);
        *ret = TAKE_PTR(jws);
        return 0;
}

int jws_parse(const char *s, size_t len, Jws **ret, char **ret_error) {
        return jws_parse_full(s, len, 0, ret, ret_error);
}

int jws_verifier_new(EVP_PKEY *pub, EVP_PKEY_CTX **ret, char **ret_error) {
        _cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx = NULL;

        if (!evp_pkey_is_p256(pub)) {
                json_error(ret_error, "verification key is not an ECDSA P-256 key");
                return -EINVAL;
        }
        ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL);
        if (!ctx)
                return -ENOMEM;
        if (EVP_PKEY_verify_init(ctx) != 1 || EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) != 1) {
                ERR_clear_error();
                return -EIO;
        }
        *ret = TAKE_PTR(ctx);
        return 0;
}

int jws_verify_digest(const Jws *jws, const uint8_t digest[static SHA256_SIZE], EVP_PKEY_CTX *verifier,
                      char **ret_error) {
        uint8_t der[ECDSA_SIG_DER_MAX];
        size_t der_size;
        int r;

        if (sig_raw_to_der(jws->sig, der, &der_size) < 0)
                return parse_error(ret_error, "signature does not match (R or S is zero)");
        r = EVP_PKEY_verify(verifier, der, der_size, digest, SHA256_SIZE);
        ERR_clear_error();
        if (r != 1)
                return parse_error(ret_error, "signature does not match");
        return 0;
}

int jws_verify_with(const Jws *jws, EVP_PKEY_CTX *verifier, char **ret_error) {
        uint8_t digest[SHA256_SIZE];
        int r;

        if ((r = sha256_digest(jws->signing_input, jws->signing_input_size, digest)) < 0)
                return r;
        return jws_verify_digest(jws, digest, verifier, ret_error);
}

int jws_verify(const Jws *jws, EVP_PKEY *pub, char **ret_error) {
        _cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *verifier = NULL;
        int r = jws_verifier_new(pub, &verifier, ret_error);

        return r < 0 ? r : jws_verify_with(jws, verifier, ret_error);
}

int jws_verify_cert(const Jws *jws, X509 *cert, char **ret_error) {
        char kid[JWS_KID_SIZE];
        EVP_PKEY *pub;
        int r;

        if ((r = cert_kid(cert, kid)) < 0)
                return r;
        if (!streq(jws->kid, kid))
                return parse_error(ret_error, "kid %s does not match the certificate (%s)", jws->kid, kid);
        pub = X509_get0_pubkey(cert);
        if (!pub) {
                json_error(ret_error, "certificate has no usable public key");
                return -EINVAL;
        }
        return jws_verify(jws, pub, ret_error);
}
