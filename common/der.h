/* SPDX-License-Identifier: MIT */
#pragma once

/* A reader of DER's tag-length-value items, for the few fields the agent's cycle takes from
 * its own certificate, key and TLS session without OpenSSL's decoders (each of those builds
 * every key decoder of every provider: ~2 M instructions per certificate or key under
 * OpenSSL 3.0, docs/performance.md). Definite lengths only, tags below 31. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Identifier octets of the items read here. */
#define DER_INTEGER 0x02
#define DER_BIT_STRING 0x03
#define DER_OCTET_STRING 0x04
#define DER_OID 0x06
#define DER_SEQUENCE 0x30
#define DER_CONTEXT(n) (0xa0 | (n)) /* [n], constructed (EXPLICIT) */

typedef struct DerItem {
        uint8_t id;             /* identifier octet: class, constructed bit, tag */
        const uint8_t *start;   /* the whole item */
        size_t size;
        const uint8_t *content;
        size_t content_size;
} DerItem;

/* The item at *p (before end), *p moved past it. -ENODATA at end, -EBADMSG when malformed
 * (a length beyond end, indefinite, non-minimal, or a multi-byte tag). */
int der_next(const uint8_t **p, const uint8_t *end, DerItem *ret);
/* The next item if its identifier is id; -EBADMSG otherwise. */
int der_expect(const uint8_t **p, const uint8_t *end, uint8_t id, DerItem *ret);
/* The content of [data, data + size) when it is one SEQUENCE and nothing after it. */
int der_sequence(const uint8_t *data, size_t size, DerItem *ret);
/* The P-256 key's forms that the certificate (SubjectPublicKeyInfo), PKCS#8 and SEC1 readers
 * share. */
#define DER_P256_POINT_SIZE 65 /* uncompressed: 0x04, X, Y */
/* Whether item is the OID of the P-256 curve (prime256v1). */
bool der_is_p256_curve(const DerItem *item);
/* Whether item is the AlgorithmIdentifier of an EC key on P-256: SEQUENCE { id-ecPublicKey,
 * prime256v1 }. */
bool der_is_p256_algorithm(const DerItem *item);
/* The point a BIT STRING holds when it is an uncompressed P-256 point with no unused bits;
 * NULL otherwise. */
const uint8_t *der_p256_point(const DerItem *bits);
/* Writes the identifier and length octets of an item of content_size bytes to buf (at
 * least 6 bytes); returns how many. */
size_t der_put_header(uint8_t *buf, uint8_t id, size_t content_size);
