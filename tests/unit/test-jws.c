/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "cleanup.h"
#include "jws.h"
#include "macro.h"

/* RFC 7515 Appendix A.3: ES256 with the P-256 key of A.3.1. */
static const char rfc_jws[] =
        "eyJhbGciOiJFUzI1NiJ9"
        ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
        ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
static const char rfc_x[] = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
static const char rfc_y[] = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

static const char kid[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static EVP_PKEY *jwk_public_key(const char *x64, const char *y64) {
        _cleanup_free_ uint8_t *x = NULL, *y = NULL;
        uint8_t point[P256_POINT_SIZE] = { 4 };
        size_t xn, yn;
        EVP_PKEY *key = NULL;

        assert_int_equal(base64url_decode(x64, strlen(x64), 32, &x, &xn), 0);
        assert_int_equal(base64url_decode(y64, strlen(y64), 32, &y, &yn), 0);
        assert_int_equal(xn, 32);
        assert_int_equal(yn, 32);
        memcpy(point + 1, x, 32);
        memcpy(point + 33, y, 32);
        assert_int_equal(p256_public_key(point, &key), 0);
        return key;
}

static EVP_PKEY *new_key(const char *group) {
        EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", group);
        assert_non_null(k);
        return k;
}

static void test_rfc7515_a3(void **state) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *pub = jwk_public_key(rfc_x, rfc_y);
        _cleanup_(jws_freep) Jws *jws = NULL;
        _cleanup_free_ char *err = NULL, *copy = NULL;
        (void) state;

        /* No typ and no kid: a report verifier refuses it… */
        assert_int_equal(jws_parse(rfc_jws, strlen(rfc_jws), &jws, &err), -EBADMSG);
        assert_string_equal(err, "JWS header: typ \"(null)\" is not \"vigie-report+jwt\"");
        /* …while the interop mode takes it, and the signature verifies. */
        assert_int_equal(jws_parse_full(rfc_jws, strlen(rfc_jws), JWS_PARSE_ANY_HEADER, &jws, NULL), 0);
        assert_string_equal(jws->kid, "");
        assert_int_equal(jws->payload_size, 70);
        assert_memory_equal(jws->payload, "{\"iss\":\"joe\",\r\n \"exp\":1300819380,", 33);
        assert_int_equal(jws_verify(jws, pub, NULL), 0);

        /* One flipped payload bit breaks it. */
        copy = strdup(rfc_jws);
        copy[25] = copy[25] == 'A' ? 'B' : 'A';
        jws = jws_free(jws);
        assert_int_equal(jws_parse_full(copy, strlen(copy), JWS_PARSE_ANY_HEADER, &jws, NULL), 0);
        assert_int_equal(jws_verify(jws, pub, &err), -EBADMSG);
}

static void test_round_trip(void **state) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = new_key("P-256"), *other = new_key("P-256");
        _cleanup_(jws_freep) Jws *jws = NULL;
        _cleanup_free_ char *s = NULL, *err = NULL, *header = NULL;
        const char payload[] = "{\"seq\":1}";
        size_t n;
        (void) state;

        assert_int_equal(jws_sign(key, kid, NULL, payload, strlen(payload), &s), 0);
        assert_int_equal(jws_parse(s, strlen(s), &jws, &err), 0);
        assert_string_equal(jws->kid, kid);
        assert_string_equal(jws->typ, JWS_TYP_REPORT);
        assert_string_equal((char *) jws->payload, payload);
        assert_int_equal(jws_verify(jws, key, NULL), 0);
        assert_int_equal(jws_verify(jws, other, &err), -EBADMSG);
        /* The header is exactly the one of DESIGN.md. */
        assert_int_equal(base64url_decode(s, (size_t) (strchr(s, '.') - s), 1024, (uint8_t **) &header, &n), 0);
        assert_string_equal(header, "{\"alg\":\"ES256\",\"typ\":\"vigie-report+jwt\",\"kid\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}");
}

static void test_sign_refuses(void **state) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *p384 = new_key("P-384"), *p256 = new_key("P-256");
        char *s = NULL;
        (void) state;

        assert_int_equal(jws_sign(p384, kid, NULL, "{}", 2, &s), -EINVAL);
        assert_int_equal(jws_sign(p256, "ABC", NULL, "{}", 2, &s), -EINVAL);
        assert_int_equal(jws_sign(p256, kid, "a\"b", "{}", 2, &s), -EINVAL);
        assert_null(s);
}

static void test_base64url(void **state) {
        static const struct { const char *plain, *enc; } v[] = {
                { "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
                { "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" },
                { "\xfb\xff", "-_8" },
        };
        (void) state;

        for (size_t i = 0; i < ELEMENTSOF(v); i++) {
                _cleanup_free_ char *e = NULL;
                _cleanup_free_ uint8_t *d = NULL;
                size_t n;
                assert_int_equal(base64url_encode(v[i].plain, strlen(v[i].plain), &e, &n), 0);
                assert_string_equal(e, v[i].enc);
                assert_int_equal(n, strlen(v[i].enc));
                assert_int_equal(base64url_decode(e, n, 16, &d, &n), 0);
                assert_int_equal(n, strlen(v[i].plain));
                assert_memory_equal(d, v[i].plain, n);
        }
        uint8_t *d = NULL;
        size_t n;
        assert_int_equal(base64url_decode("Zg==", 4, 16, &d, &n), -EINVAL);  /* padding */
        assert_int_equal(base64url_decode("Zh", 2, 16, &d, &n), -EINVAL);    /* non-zero bits */
        assert_int_equal(base64url_decode("Zm9v+A", 6, 16, &d, &n), -EINVAL); /* base64, not url */
        assert_int_equal(base64url_decode("Z", 1, 16, &d, &n), -EINVAL);
        assert_int_equal(base64url_decode("Zm 9v", 5, 16, &d, &n), -EINVAL);
        assert_int_equal(base64url_decode("Zm9vYmFy", 8, 5, &d, &n), -EFBIG);
        assert_int_equal(base64url_decode("Zm9", 3, 16, &d, &n), -EINVAL);     /* non-zero bits, 3-char tail */
        assert_int_equal(base64url_decode("Zm9vYmF=", 8, 16, &d, &n), -EINVAL); /* last of a quad */
        assert_int_equal(base64url_decode("Zm9vYm\xff", 7, 16, &d, &n), -EINVAL); /* in the tail */
        assert_int_equal(base64url_decode("Zm\0v", 4, 16, &d, &n), -EINVAL);
        assert_null(d);
}

/* Every byte value, every length's tail: decode(encode(x)) == x. */
static void test_base64url_round_trip(void **state) {
        uint8_t in[300];
        (void) state;

        for (size_t i = 0; i < sizeof(in); i++)
                in[i] = (uint8_t) (i * 7 + 3);
        for (size_t len = 0; len <= sizeof(in); len++) {
                _cleanup_free_ char *e = NULL;
                _cleanup_free_ uint8_t *d = NULL;
                size_t n, m;
                assert_int_equal(base64url_encode(in, len, &e, &n), 0);
                assert_int_equal(base64url_decode(e, n, sizeof(in), &d, &m), 0);
                assert_int_equal(m, len);
                assert_memory_equal(d, in, len);
                assert_int_equal(d[m], 0);
        }
}

static void test_der_raw(void **state) {
        uint8_t raw[64], back[64];
        _cleanup_free_ uint8_t *der = NULL;
        size_t n;
        (void) state;

        /* Leading zero bytes of R and S must survive (DER drops them, raw keeps 32 each). */
        memset(raw, 0, sizeof raw);
        raw[31] = 1;
        raw[33] = 0x80;
        raw[63] = 7;
        assert_int_equal(ecdsa_sig_raw_to_der(raw, &der, &n), 0);
        assert_int_equal(ecdsa_sig_der_to_raw(der, n, back), 0);
        assert_memory_equal(raw, back, 64);
        /* Trailing garbage after the DER is refused. */
        {
                uint8_t longer[128];
                memcpy(longer, der, n);
                longer[n] = 0;
                assert_int_equal(ecdsa_sig_der_to_raw(longer, n + 1, back), -EINVAL);
        }
        memset(raw, 0, sizeof raw);
        free(der);
        der = NULL;
        assert_int_equal(ecdsa_sig_raw_to_der(raw, &der, &n), -EINVAL); /* r = s = 0 */
}

/* The DER written by hand is byte for byte what OpenSSL's i2d_ECDSA_SIG writes (DER has
 * one encoding; OpenSSL's verify re-encodes and refuses any other), for R and S with
 * leading zero bytes, with the high bit set, at their extremes and at random. */
DEFINE_TRIVIAL_CLEANUP_FUNC(ECDSA_SIG *, ECDSA_SIG_free)

static void test_der_is_openssls(void **state) {
        uint8_t raw[64];
        (void) state;

        for (int i = 0; i < 2000; i++) {
                _cleanup_(ECDSA_SIG_freep) ECDSA_SIG *sig = ECDSA_SIG_new();
                _cleanup_free_ uint8_t *mine = NULL;
                unsigned char *want = NULL;
                BIGNUM *r, *s;
                size_t n;
                int m;

                assert_int_equal(RAND_bytes(raw, sizeof raw), 1);
                switch (i % 8) {
                case 0: memset(raw, 0, 31); raw[31] |= 1; break; /* R = one byte */
                case 1: memset(raw + 32, 0, 17); break;          /* S with leading zeros */
                case 2: raw[0] |= 0x80; raw[32] |= 0x80; break;  /* both padded */
                case 3: memset(raw, 0xff, 64); break;
                case 4: raw[0] = 0; raw[1] |= 0x80; break;       /* a zero byte, then the high bit */
                case 5: memset(raw, 0, 63); raw[63] = 0x80; raw[31] = 1; break;
                }
                r = BN_bin2bn(raw, 32, NULL);
                s = BN_bin2bn(raw + 32, 32, NULL);
                assert_non_null(sig);
                assert_int_equal(ECDSA_SIG_set0(sig, r, s), 1);
                m = i2d_ECDSA_SIG(sig, &want);
                assert_true(m > 0 && m <= ECDSA_SIG_DER_MAX);
                assert_int_equal(ecdsa_sig_raw_to_der(raw, &mine, &n), 0);
                assert_int_equal(n, (size_t) m);
                assert_memory_equal(mine, want, n);
                OPENSSL_free(want);
        }
        /* R or S zero alone: refused, as a signature that cannot match. */
        memset(raw, 0, 32);
        memset(raw + 32, 1, 32);
        {
                _cleanup_free_ uint8_t *der = NULL;
                size_t n;
                assert_int_equal(ecdsa_sig_raw_to_der(raw, &der, &n), -EINVAL);
                memcpy(raw, raw + 32, 32);
                memset(raw + 32, 0, 32);
                assert_int_equal(ecdsa_sig_raw_to_der(raw, &der, &n), -EINVAL);
        }
}

/* The ingest's single SHA-256 pass: the prefix's digest is the signing input's, the whole
 * one the JWS's (report_hash()); the signature verifies on the former, and only on it. */
static void test_verify_digest(void **state) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = new_key("P-256");
        _cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *v = NULL;
        _cleanup_free_ char *s = NULL, *err = NULL;
        _cleanup_(jws_freep) Jws *jws = NULL;
        uint8_t input[SHA256_SIZE], whole[SHA256_SIZE], want[SHA256_SIZE];
        const char payload[] = "{\"seq\":7}";
        (void) state;

        assert_int_equal(jws_sign(key, kid, NULL, payload, strlen(payload), &s), 0);
        assert_int_equal(jws_parse(s, strlen(s), &jws, NULL), 0);
        assert_ptr_equal(jws->signing_input, s); /* not a copy */
        assert_int_equal(jws->signing_input_size, (size_t) (strrchr(s, '.') - s));
        assert_int_equal(sha256_digest_prefix(s, jws->signing_input_size, strlen(s), input, whole), 0);
        assert_int_equal(sha256_digest(s, jws->signing_input_size, want), 0);
        assert_memory_equal(input, want, SHA256_SIZE);
        assert_int_equal(sha256_digest(s, strlen(s), want), 0);
        assert_memory_equal(whole, want, SHA256_SIZE);
        assert_int_equal(sha256_digest_prefix(s, 0, 0, input, whole), 0);
        assert_memory_equal(input, whole, SHA256_SIZE); /* the empty string's */
        assert_int_equal(sha256_digest_prefix(s, 2, 1, input, whole), -EIO);

        assert_int_equal(sha256_digest_prefix(s, jws->signing_input_size, strlen(s), input, whole), 0);
        assert_int_equal(jws_verifier_new(key, &v, NULL), 0);
        assert_int_equal(jws_verify_digest(jws, input, v, NULL), 0);
        assert_int_equal(jws_verify_digest(jws, whole, v, &err), -EBADMSG);
        assert_string_equal(err, "signature does not match");
}

#define KID_TAIL "123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define KID "0" KID_TAIL
#define KID2 "f" KID_TAIL
#define KID_UPPER "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"

static void expect_parse_error(const char *header_json, const char *message) {
        _cleanup_free_ char *h = NULL, *s = NULL, *err = NULL;
        _cleanup_(jws_freep) Jws *jws = NULL;

        assert_int_equal(base64url_encode(header_json, strlen(header_json), &h, NULL), 0);
        assert_true(asprintf(&s, "%s.e30.%s", h,
                             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") > 0);
        assert_int_equal(jws_parse(s, strlen(s), &jws, &err), -EBADMSG);
        assert_string_equal(err, message);
}

static void test_parse_refuses(void **state) {
        _cleanup_(jws_freep) Jws *jws = NULL;
        _cleanup_free_ char *err = NULL;
        (void) state;

        expect_parse_error("{\"alg\":\"none\",\"typ\":\"vigie-report+jwt\"}",
                           "JWS header: alg \"none\" is not accepted, only ES256");
        expect_parse_error("{\"alg\":\"HS256\"}", "JWS header: alg \"HS256\" is not accepted, only ES256");
        expect_parse_error("{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}",
                           "JWS header: typ \"JWT\" is not \"vigie-report+jwt\"");
        expect_parse_error("{\"alg\":\"ES256\",\"typ\":\"vigie-report+jwt\"}", "JWS header: kid is missing");
        expect_parse_error("{\"alg\":\"ES256\",\"typ\":\"vigie-report+jwt\",\"kid\":\"ABC\"}",
                           "JWS header: kid \"ABC\" is not 64 lower-case hex digits");
        expect_parse_error("{\"alg\":\"ES256\",\"jwk\":{}}", "JWS header: unexpected member \"jwk\"");
        expect_parse_error("{\"alg\":\"ES256\",\"crit\":[\"b64\"]}", "JWS header: unexpected member \"crit\"");
        expect_parse_error("[1]", "JWS header: expected a JSON object, got array");
        expect_parse_error("{\"alg\":1}", "JWS header: \"alg\" must be a string");

        assert_int_equal(jws_parse("a.b", 3, &jws, &err), -EBADMSG);
        assert_string_equal(err, "not a compact JWS: expected three dot-separated parts");
        free(err);
        err = NULL;
        assert_int_equal(jws_parse("a.b.c.d", 7, &jws, &err), -EBADMSG);
        free(err);
        err = NULL;
        /* A short signature (ES256 is 64 bytes). */
        assert_int_equal(jws_parse_full(rfc_jws, strlen(rfc_jws) - 4, JWS_PARSE_ANY_HEADER, &jws, &err), -EBADMSG);
        assert_string_equal(err, "JWS signature: expected 64 bytes of base64url (ES256 R||S)");
        assert_null(jws);
}

static void expect_header(const char *header_json, const char *want_kid) {
        _cleanup_free_ char *h = NULL, *s = NULL, *err = NULL;
        _cleanup_(jws_freep) Jws *jws = NULL;

        assert_int_equal(base64url_encode(header_json, strlen(header_json), &h, NULL), 0);
        assert_true(asprintf(&s, "%s.e30.%s", h,
                             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") > 0);
        assert_int_equal(jws_parse(s, strlen(s), &jws, &err), 0);
        assert_string_equal(jws->kid, want_kid);
        assert_string_equal(jws->typ, JWS_TYP_REPORT);
}

/* The signer's exact header is read without a JSON tree; every other spelling of it goes
 * through the JSON parser: the same outcome either way, the same refusals. */
static void test_parse_signer_header(void **state) {
        (void) state;

        expect_header("{\"alg\":\"ES256\",\"typ\":\"vigie-report+jwt\",\"kid\":\"" KID "\"}", KID);
        expect_header("{\"kid\":\"" KID "\",\"alg\":\"ES256\",\"typ\":\"vigie-report+jwt\"}", KID);
        expect_header("{\"alg\":\"ES256\",\"typ\":\"vigie-report+jwt\",\"kid\":\"" KID "\"} ", KID);
        expect_header("{\"alg\":\"ES256\",\"typ\":\"vigie-report+jwt\",\"kid\":\"\\u0030" KID_TAIL "\"}", KID);
        /* Duplicate members: the JSON parser keeps the last one, as before. */
        expect_header("{\"alg\":\"ES256\",\"typ\":\"vigie-report+jwt\",\"kid\":\"" KID "\",\"kid\":\"" KID2 "\"}", KID2);
        /* The signer's form with a kid that is not lower-case hex: refused as before. */
        expect_parse_error("{\"alg\":\"ES256\",\"typ\":\"vigie-report+jwt\",\"kid\":\"" KID_UPPER "\"}",
                           "JWS header: kid \"" KID_UPPER "\" is not 64 lower-case hex digits");
        expect_parse_error("{\"alg\":\"ES256\",\"typ\":\"vigie-report+jwt\",\"kid\":\"" KID "\"}}",
                           "JWS header: malformed JSON at byte 113: expected the end of the document");
}

/* One verifier, made once, checks many reports of its key and refuses the others'. */
static void test_verifier_reused(void **state) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = new_key("P-256"), *other = new_key("P-256"),
                                          *p384 = new_key("P-384");
        _cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *v = NULL, *copy = NULL, *none = NULL;
        _cleanup_free_ char *err = NULL;
        (void) state;

        assert_int_equal(jws_verifier_new(p384, &none, &err), -EINVAL);
        assert_string_equal(err, "verification key is not an ECDSA P-256 key");
        assert_null(none);
        assert_int_equal(jws_verifier_new(key, &v, NULL), 0);
        for (int i = 0; i < 3; i++) {
                _cleanup_(jws_freep) Jws *mine = NULL, *theirs = NULL;
                _cleanup_free_ char *a = NULL, *b = NULL, *e = NULL;
                char payload[32];

                snprintf(payload, sizeof(payload), "{\"seq\":%d}", i + 1);
                assert_int_equal(jws_sign(key, kid, NULL, payload, strlen(payload), &a), 0);
                assert_int_equal(jws_sign(other, kid, NULL, payload, strlen(payload), &b), 0);
                assert_int_equal(jws_parse(a, strlen(a), &mine, NULL), 0);
                assert_int_equal(jws_parse(b, strlen(b), &theirs, NULL), 0);
                assert_int_equal(jws_verify_with(theirs, v, &e), -EBADMSG);
                assert_string_equal(e, "signature does not match");
                assert_int_equal(jws_verify_with(mine, v, NULL), 0); /* a refusal leaves it usable */
                /* A copy, as each ingest job takes, verifies alike. */
                EVP_PKEY_CTX_free(copy);
                copy = EVP_PKEY_CTX_dup(v);
                assert_non_null(copy);
                assert_int_equal(jws_verify_with(mine, copy, NULL), 0);
                assert_int_equal(jws_verify_with(theirs, copy, NULL), -EBADMSG);
        }
}

/* A key kept as its 65 bytes (the server's TLS session cache) comes back as the same key;
 * a point off the curve, or another curve's key, is refused. */
static void test_p256_point(void **state) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = new_key("P-256"), *p384 = new_key("P-384"), *back = NULL,
                                          *bad = NULL;
        uint8_t point[P256_POINT_SIZE];
        (void) state;

        assert_int_equal(p256_public_point(key, point), 0);
        assert_int_equal(point[0], 4);
        assert_int_equal(p256_public_key(point, &back), 0);
        assert_int_equal(EVP_PKEY_eq(key, back), 1);
        for (int i = 0; i < 2; i++) { /* twice: the second copies the parameters the first made */
                _cleanup_(EVP_PKEY_freep) EVP_PKEY *again = NULL;
                assert_int_equal(p256_public_key(point, &again), 0);
                assert_int_equal(EVP_PKEY_eq(key, again), 1);
        }
        point[64] ^= 1;
        assert_int_equal(p256_public_key(point, &bad), -EINVAL);
        assert_null(bad);
        point[64] ^= 1;
        point[0] = 2; /* compressed form: not what is kept */
        assert_int_equal(p256_public_key(point, &bad), -EINVAL);
        assert_int_equal(p256_public_point(p384, point), -EINVAL);
        assert_int_equal(p256_public_point(NULL, point), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rfc7515_a3),   cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_sign_refuses), cmocka_unit_test(test_base64url),
                cmocka_unit_test(test_base64url_round_trip), cmocka_unit_test(test_parse_signer_header),
                cmocka_unit_test(test_der_raw),      cmocka_unit_test(test_parse_refuses),
                cmocka_unit_test(test_verifier_reused), cmocka_unit_test(test_der_is_openssls),
                cmocka_unit_test(test_verify_digest), cmocka_unit_test(test_p256_point),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
