/* SPDX-License-Identifier: MIT */
#pragma once

/* JWS compact serialisation (RFC 7515), ES256 only: what signs Vigie reports (DESIGN.md
 * "Signed report"). base64url without padding, strict; ECDSA P-256 signatures as raw R‖S
 * (RFC 7518 §3.4), converted from and to OpenSSL's DER. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "der.h"
#include "hash-util.h"

#define JWS_MAX_SIZE (2U * 1024 * 1024) /* a whole compact JWS */
#define JWS_HEADER_MAX 1024             /* decoded protected header */
#define JWS_SIG_SIZE 64                 /* ES256: R‖S, 32 bytes each */
#define JWS_KID_SIZE 65                 /* 64 hex digits and NUL */
#define ECDSA_SIG_DER_MAX 72            /* P-256: SEQUENCE of two INTEGERs of up to 33 bytes */
#define JWS_TYP_REPORT "vigie-report+jwt"

/* Returns a NUL-terminated string in *ret (length in *ret_len when not NULL). 0 or -ENOMEM. */
int base64url_encode(const void *data, size_t size, char **ret, size_t *ret_len);
/* Strict: alphabet A-Z a-z 0-9 - _ only, no padding, no whitespace, unused trailing bits
 * zero. At most `max` decoded bytes (-EFBIG past it), -EINVAL on bad input. The result is
 * NUL-terminated for convenience (not counted in *ret_size). */
int base64url_decode(const char *s, size_t len, size_t max, uint8_t **ret, size_t *ret_size);

/* ECDSA-Sig-Value DER <-> raw R‖S for P-256. -EINVAL on malformed or out-of-range input. */
int ecdsa_sig_der_to_raw(const uint8_t *der, size_t size, uint8_t ret[static JWS_SIG_SIZE]);
int ecdsa_sig_raw_to_der(const uint8_t raw[static JWS_SIG_SIZE], uint8_t **ret, size_t *ret_size);

/* Whether key is an EC key on P-256 (works for provider-held keys too). */
bool evp_pkey_is_p256(EVP_PKEY *key);
/* A P-256 public key as an uncompressed point (0x04‖X‖Y), and back: an EVP_PKEY for
 * whoever keeps only the 65 bytes. -EINVAL when key is not P-256 / point is not on it. */
#define P256_POINT_SIZE DER_P256_POINT_SIZE
int p256_public_point(EVP_PKEY *key, uint8_t ret[static P256_POINT_SIZE]);
int p256_public_key(const uint8_t point[static P256_POINT_SIZE], EVP_PKEY **ret);

/* The property query that makes the provider holding key sign with it: a provider key (the
 * TPM's) cannot be exported to the default provider's ECDSA, which OpenSSL 3.0 may pick
 * otherwise ("missing private key"). NULL for keys of the default provider. */
#define EVP_PKEY_PROPQ_MAX 80
const char *evp_pkey_sign_propq(const EVP_PKEY *key, char buf[static EVP_PKEY_PROPQ_MAX]);

/* sha256 hex of the certificate's DER: the `kid` of the reports its key signs. */
int cert_kid(X509 *cert, char ret[static JWS_KID_SIZE]);
int cert_der_kid(const void *der, size_t size, char ret[static JWS_KID_SIZE]);
/* The subject's commonName (the device id of a device certificate). -ENOENT if none,
 * -EINVAL if several or not text. */
int cert_common_name(X509 *cert, char **ret);
int x509_name_common_name(const X509_NAME *name, char **ret);

/* Signs payload: protected header exactly {"alg":"ES256","typ":TYP,"kid":KID}. key must be
 * P-256 (-EINVAL otherwise), kid 64 lower-case hex, typ NULL for JWS_TYP_REPORT. -EIO when
 * the signer (e.g. a provider) fails. */
int jws_sign(EVP_PKEY *key, const char *kid, const char *typ, const char *payload, size_t len,
             char **ret_jws);

typedef struct Jws {
        char kid[JWS_KID_SIZE]; /* "" when absent (JWS_PARSE_ANY_HEADER only) */
        char *typ;              /* NULL when absent (JWS_PARSE_ANY_HEADER only) */
        uint8_t *payload;       /* decoded, NUL-terminated (not counted in payload_size);
                                 * typ and payload lie in the Jws's own allocation */
        size_t payload_size;
        /* "HEADER.PAYLOAD": points into the bytes given to jws_parse(), not a copy (a report's
         * is ~45 KB): a Jws must not outlive them. Not NUL-terminated. */
        const char *signing_input;
        size_t signing_input_size;
        uint8_t sig[JWS_SIG_SIZE];
} Jws;

typedef enum JwsParseFlags {
        /* Accept any typ and no kid (still ES256 only, still no "crit"): for interop tests
         * with other JOSE producers, never for reports. */
        JWS_PARSE_ANY_HEADER = 1 << 0,
} JwsParseFlags;

/* Splits and decodes a compact JWS of at most JWS_MAX_SIZE bytes, which must outlive the
 * Jws (its signing_input points into them). The header must be a JSON
 * object with "alg":"ES256", "typ":"vigie-report+jwt", "kid": 64 lower-case hex digits and
 * nothing else. Does NOT verify the signature. -EBADMSG (or -EFBIG) with a message. */
int jws_parse(const char *jws, size_t len, Jws **ret, char **ret_error);
int jws_parse_full(const char *jws, size_t len, JwsParseFlags flags, Jws **ret, char **ret_error);
/* ES256 over the signing input with pub (a P-256 key). 0, or -EBADMSG when the signature
 * does not match, -EINVAL for a wrong key type; with a message. */
int jws_verify(const Jws *jws, EVP_PKEY *pub, char **ret_error);
/* The same in two steps, for many JWS signed by one key: the verifier (an EVP_PKEY_CTX set
 * up for ES256 with pub; -EINVAL with a message when pub is not P-256) is made once, then
 * checks each signature without looking the algorithm up again (OpenSSL 3.0 walks its
 * whole name map for that). One verifier serves one thread at a time: EVP_PKEY_CTX_dup it
 * for another. */
int jws_verifier_new(EVP_PKEY *pub, EVP_PKEY_CTX **ret, char **ret_error);
int jws_verify_with(const Jws *jws, EVP_PKEY_CTX *verifier, char **ret_error);
/* jws_verify_with for a caller that has the SHA-256 of the signing input already (the
 * server's ingest hashes it on the way to the whole JWS's hash: sha256_digest_prefix()). */
int jws_verify_digest(const Jws *jws, const uint8_t digest[static SHA256_SIZE], EVP_PKEY_CTX *verifier,
                      char **ret_error);
/* kid must equal cert_kid(cert), then jws_verify with the certificate's public key. */
int jws_verify_cert(const Jws *jws, X509 *cert, char **ret_error);

Jws *jws_free(Jws *jws);
static inline void jws_freep(Jws **jws) {
        jws_free(*jws);
}
