/* SPDX-License-Identifier: MIT */
#pragma once

/* What the agent reads from its device certificate at each cycle, without decoding the
 * certificate's public key: OpenSSL 3.0's d2i_X509 decodes it with its decoders, ~5 M
 * instructions in a fresh process (docs/performance.md), and a resumed TLS session presents
 * no certificate. The whole X509 is decoded only when a full handshake asks for the
 * certificate (common/transport.c) or when the key is not a plain P-256 one. */

#include <stddef.h>
#include <stdint.h>

#include <openssl/asn1.h>
#include <openssl/evp.h>

#include "time-util.h"

typedef struct CertInfo {
        uint8_t *der;            /* the certificate */
        size_t der_size;
        char *common_name;       /* the subject's one CN; NULL when it has none or several */
        usec_t not_before, not_after;
        const uint8_t *spki;     /* SubjectPublicKeyInfo, within der */
        size_t spki_size;
} CertInfo;

/* The first PEM certificate of path (bounded read), as pki_load_cert() finds it. -ENOENT
 * when path is missing, -EBADMSG when it holds no certificate this reads. */
int cert_info_load(const char *path, CertInfo *ret);
/* A DER certificate: its outer structure, validity and subject; the signature and the
 * extensions are not looked at. -EBADMSG when malformed, -ENOMEM. */
int cert_info_parse(const uint8_t *der, size_t size, CertInfo *ret);
void cert_info_done(CertInfo *c);
/* 1 when key is the certificate's key, 0 when not: the P-256 point compared when both are
 * plain P-256, else X509_check_private_key on the decoded certificate. */
int cert_info_matches_key(const CertInfo *c, EVP_PKEY *key);

/* An ASN1_TIME as a time in µs since the epoch. -EINVAL when it is not one. */
int asn1_time_usec(const ASN1_TIME *t, usec_t *ret);
