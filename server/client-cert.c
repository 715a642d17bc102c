/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cleanup.h"
#include "client-cert.h"
#include "jws.h"
#include "macro.h"

static int unhex(char c) {
        return c >= '0' && c <= '9' ? c - '0'
             : c >= 'a' && c <= 'f' ? c - 'a' + 10
             : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* %XX decoding into buf (at least size + 1 bytes); returns the decoded length. */
static size_t url_decode(const char *s, size_t size, char *buf) {
        size_t n = 0;
        for (size_t i = 0; i < size; i++) {
                int hi, lo;
                if (s[i] == '%' && i + 2 < size &&
                    (hi = unhex(s[i + 1])) >= 0 && (lo = unhex(s[i + 2])) >= 0) {
                        buf[n++] = (char) (hi << 4 | lo);
                        i += 2;
                } else
                        buf[n++] = s[i];
        }
        buf[n] = 0;
        return n;
}

static X509 *parse_pem(const char *s, size_t size) {
        _cleanup_(BIO_free_allp) BIO *b = BIO_new_mem_buf(s, (int) size);
        return b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
}

/* Base64 DER up to the first ',' (Traefik's chain), whitespace ignored. */
static X509 *parse_base64_der(const char *s, size_t size) {
        _cleanup_free_ unsigned char *der = NULL;
        _cleanup_free_ char *clean = malloc(size + 1);
        const unsigned char *p;
        size_t n = 0;
        int len;

        if (!clean)
                return NULL;
        for (size_t i = 0; i < size && s[i] != ','; i++)
                if (s[i] != ' ' && s[i] != '\t')
                        clean[n++] = s[i];
        clean[n] = 0;
        if (n == 0 || n % 4 != 0)
                return NULL;
        der = malloc(n / 4 * 3 + 1);
        if (!der)
                return NULL;
        len = EVP_DecodeBlock(der, (const unsigned char *) clean, (int) n);
        if (len <= 0)
                return NULL;
        /* EVP_DecodeBlock counts the '=' padding as zero bytes: DER knows its own length. */
        p = der;
        return d2i_X509(NULL, &p, len);
}

int client_cert_fingerprint(const char *value, size_t size, char ret[static SHA256_HEX_SIZE]) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_(X509_freep) X509 *cert = NULL;
        size_t n;

        if (size > CLIENT_CERT_HEADER_MAX)
                return -E2BIG;
        buf = malloc(size + 1);
        if (!buf)
                return -ENOMEM;
        n = url_decode(value, size, buf);
        cert = memmem(buf, n, "-----BEGIN CERTIFICATE-----", 27) ? parse_pem(buf, n) : parse_base64_der(buf, n);
        if (!cert)
                return -EBADMSG;
        return cert_kid(cert, ret) < 0 ? -EBADMSG : 0;
}

int openvpn_fingerprint_parse(const char *s, char ret[static SHA256_HEX_SIZE]) {
        size_t n = 0;

        for (const char *p = s; *p; p++) {
                if (*p == ':' && n % 2 == 0 && n > 0 && p[-1] != ':' && p[1])
                        continue;
                if (unhex(*p) < 0 || n >= SHA256_HEX_SIZE - 1)
                        return -EINVAL;
                ret[n++] = (char) (*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
        }
        if (n != SHA256_HEX_SIZE - 1)
                return -EINVAL;
        ret[n] = 0;
        return 0;
}
