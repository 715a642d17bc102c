/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "cert-info.h"
#include "cleanup.h"
#include "der.h"
#include "jws.h"
#include "pki.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(ASN1_TIME *, ASN1_TIME_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(X509_NAME *, X509_NAME_free)

int asn1_time_usec(const ASN1_TIME *t, usec_t *ret) {
        struct tm tm = {};
        time_t s;

        if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
                return -EINVAL;
        s = timegm(&tm);
        if (s < 0)
                return -EINVAL;
        *ret = (usec_t) s * USEC_PER_SEC;
        return 0;
}

static int item_time(const DerItem *item, usec_t *ret) {
        const unsigned char *p = item->start;
        _cleanup_(ASN1_TIME_freep) ASN1_TIME *t = d2i_ASN1_TIME(NULL, &p, (long) item->size);
        int r = t && p == item->start + item->size ? asn1_time_usec(t, ret) : -EBADMSG;

        ERR_clear_error();
        return r < 0 ? -EBADMSG : 0;
}

static int item_common_name(const DerItem *item, char **ret) {
        const unsigned char *p = item->start;
        _cleanup_(X509_NAME_freep) X509_NAME *name = d2i_X509_NAME(NULL, &p, (long) item->size);
        int r;

        if (!name || p != item->start + item->size) {
                ERR_clear_error();
                return -EBADMSG;
        }
        r = x509_name_common_name(name, ret);
        ERR_clear_error();
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                *ret = NULL;
        return 0;
}

/* Certificate: SEQUENCE { tbsCertificate, signatureAlgorithm, signature }, tbsCertificate
 * beginning [0] version (optional), serialNumber, signature, issuer, validity, subject,
 * subjectPublicKeyInfo (RFC 5280, 4.1). */
int cert_info_parse(const uint8_t *der, size_t size, CertInfo *ret) {
        _cleanup_(cert_info_done) CertInfo c = {};
        DerItem cert, tbs, item, validity, not_before, not_after, subject, spki;
        const uint8_t *p, *end, *q;
        int r;

        if (der_sequence(der, size, &cert) < 0)
                return -EBADMSG;
        p = cert.content;
        end = cert.content + cert.content_size;
        if (der_expect(&p, end, DER_SEQUENCE, &tbs) < 0 || der_expect(&p, end, DER_SEQUENCE, &item) < 0 ||
            der_expect(&p, end, DER_BIT_STRING, &item) < 0 || p != end)
                return -EBADMSG;
        p = tbs.content;
        end = tbs.content + tbs.content_size;
        if (der_next(&p, end, &item) < 0)
                return -EBADMSG;
        if (item.id == DER_CONTEXT(0) && der_next(&p, end, &item) < 0)
                return -EBADMSG;
        if (item.id != DER_INTEGER || der_expect(&p, end, DER_SEQUENCE, &item) < 0 ||
            der_expect(&p, end, DER_SEQUENCE, &item) < 0 || der_expect(&p, end, DER_SEQUENCE, &validity) < 0 ||
            der_expect(&p, end, DER_SEQUENCE, &subject) < 0 || der_expect(&p, end, DER_SEQUENCE, &spki) < 0)
                return -EBADMSG;
        q = validity.content;
        if (der_next(&q, validity.content + validity.content_size, &not_before) < 0 ||
            der_next(&q, validity.content + validity.content_size, &not_after) < 0 ||
            q != validity.content + validity.content_size)
                return -EBADMSG;
        c.der = malloc(size);
        if (!c.der)
                return -ENOMEM;
        memcpy(c.der, der, size);
        c.der_size = size;
        c.spki = c.der + (spki.start - der);
        c.spki_size = spki.size;
        if ((r = item_time(&not_before, &c.not_before)) < 0 || (r = item_time(&not_after, &c.not_after)) < 0 ||
            (r = item_common_name(&subject, &c.common_name)) < 0)
                return r;
        *ret = c;
        c = (CertInfo) {};
        return 0;
}

int cert_info_load(const char *path, CertInfo *ret) {
        _cleanup_openssl_free_ unsigned char *der = NULL;
        size_t size;
        int r;

        r = pki_load_cert_der(path, &der, &size);
        if (r < 0)
                return r;
        return cert_info_parse(der, size, ret);
}

void cert_info_done(CertInfo *c) {
        free(c->der);
        free(c->common_name);
        *c = (CertInfo) {};
}

/* The point of a SubjectPublicKeyInfo { the P-256 algorithm, BIT STRING point }, or NULL. */
static const uint8_t *spki_p256_point(const CertInfo *c) {
        const uint8_t *p, *end;
        DerItem spki, algorithm, bits;

        if (der_sequence(c->spki, c->spki_size, &spki) < 0)
                return NULL;
        p = spki.content;
        end = spki.content + spki.content_size;
        if (der_next(&p, end, &algorithm) < 0 || !der_is_p256_algorithm(&algorithm) ||
            der_next(&p, end, &bits) < 0 || p != end)
                return NULL;
        return der_p256_point(&bits);
}

int cert_info_matches_key(const CertInfo *c, EVP_PKEY *key) {
        const uint8_t *cert_point = spki_p256_point(c), *p;
        _cleanup_(X509_freep) X509 *cert = NULL;
        uint8_t point[P256_POINT_SIZE];
        int r;

        if (cert_point && p256_public_point(key, point) == 0)
                return memcmp(cert_point, point, P256_POINT_SIZE) == 0;
        /* Another key type or encoding, or a key that does not tell its point: OpenSSL's way. */
        p = c->der;
        cert = d2i_X509(NULL, &p, (long) c->der_size);
        r = cert && X509_check_private_key(cert, key) == 1;
        ERR_clear_error();
        return r;
}
