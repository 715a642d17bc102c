/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include <openssl/err.h>

#include "cleanup.h"
#include "fs-util.h"
#include "hash-util.h"
#include "json-util.h"
#include "jws.h"
#include "tls-session.h"

/* A session's DER: the master secret, the server's certificate and the ticket, a few KB. */
#define TLS_SESSION_DER_MAX (64u * 1024)
#define TLS_CA_FILE_MAX (1024u * 1024)

int tls_session_binding(const char *server_url, const char *ca_file, X509 *cert, char ret[static SHA256_HEX_SIZE]) {
        _cleanup_openssl_free_ unsigned char *der = NULL;
        _cleanup_free_ char *ca = NULL, *buf = NULL;
        size_t url_size = strlen(server_url), ca_size, n;
        int k = i2d_X509(cert, &der), r;

        if (k <= 0)
                return -EINVAL;
        if ((r = read_file_full(ca_file, TLS_CA_FILE_MAX, &ca, &ca_size)) < 0)
                return r;
        /* NULs between the parts: a URL holds none; the CA is PEM, before the DER. */
        n = url_size + 1 + ca_size + 1 + (size_t) k;
        buf = malloc(n);
        if (!buf)
                return -ENOMEM;
        memcpy(buf, server_url, url_size + 1);
        memcpy(buf + url_size + 1, ca, ca_size);
        buf[url_size + 1 + ca_size] = 0;
        memcpy(buf + url_size + 2 + ca_size, der, (size_t) k);
        return sha256_hex(buf, n, ret);
}

int tls_session_encode(SSL_SESSION *session, const char *binding, json_object **ret) {
        _cleanup_json_ json_object *j = NULL;
        _cleanup_openssl_free_ unsigned char *der = NULL;
        _cleanup_free_ char *data = NULL;
        int n, r;

        if (!session || !SSL_SESSION_is_resumable(session))
                return -ENOENT;
        n = i2d_SSL_SESSION(session, &der);
        if (n <= 0 || (size_t) n > TLS_SESSION_DER_MAX)
                return -EINVAL;
        r = base64url_encode(der, (size_t) n, &data, NULL);
        OPENSSL_cleanse(der, (size_t) n);
        if (r < 0)
                return r;
        j = json_object_new_object();
        if (!j || json_add_string(j, "for", binding) < 0 || json_add_string(j, "data", data) < 0)
                r = -ENOMEM;
        explicit_bzero(data, strlen(data));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(j);
        return 0;
}

int tls_session_decode(json_object *j, const char *binding, SSL_SESSION **ret) {
        _cleanup_free_ uint8_t *der = NULL;
        const char *bound_for, *data;
        const unsigned char *p;
        SSL_SESSION *s;
        size_t size;

        if (json_get_string(j, "tls_session", "for", &bound_for, NULL) < 0 ||
            json_get_string(j, "tls_session", "data", &data, NULL) < 0)
                return -EINVAL;
        if (!streq(binding, bound_for))
                return -ENOENT;
        if (base64url_decode(data, strlen(data), TLS_SESSION_DER_MAX, &der, &size) < 0)
                return -EINVAL;
        p = der;
        s = d2i_SSL_SESSION(NULL, &p, (long) size);
        OPENSSL_cleanse(der, size);
        if (!s || p != der + size) {
                SSL_SESSION_free(s);
                ERR_clear_error();
                return -EINVAL;
        }
        *ret = s;
        return 0;
}
