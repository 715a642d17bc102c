/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include <openssl/err.h>

#include "cleanup.h"
#include "der.h"
#include "fs-util.h"
#include "hash-util.h"
#include "json-util.h"
#include "jws.h"
#include "tls-session.h"

/* A session's DER: the master secret and the ticket, a few KB. */
#define TLS_SESSION_DER_MAX (64u * 1024)
/* i2d_SSL_SESSION's field for the server's certificate: [3] EXPLICIT Certificate. */
#define SESSION_PEER_FIELD DER_CONTEXT(3)
#define TLS_CA_FILE_MAX (1024u * 1024)

int tls_session_binding(const char *server_url, const char *ca_file, const uint8_t *cert_der, size_t cert_der_size,
                        char ret[static SHA256_HEX_SIZE]) {
        _cleanup_free_ char *ca = NULL, *buf = NULL;
        size_t url_size = strlen(server_url), ca_size, n;
        int r;

        if ((r = read_file_full(ca_file, TLS_CA_FILE_MAX, &ca, &ca_size)) < 0)
                return r;
        /* NULs between the parts: a URL holds none; the CA is PEM, before the DER. */
        n = url_size + 1 + ca_size + 1 + cert_der_size;
        buf = malloc(n);
        if (!buf)
                return -ENOMEM;
        memcpy(buf, server_url, url_size + 1);
        memcpy(buf + url_size + 1, ca, ca_size);
        buf[url_size + 1 + ca_size] = 0;
        memcpy(buf + url_size + 2 + ca_size, cert_der, cert_der_size);
        return sha256_hex(buf, n, ret);
}

int tls_session_der_without_peer(const uint8_t *der, size_t size, uint8_t **ret, size_t *ret_size) {
        const uint8_t *p, *end;
        size_t kept = 0, n;
        DerItem session, field;
        uint8_t *out;
        int r;

        if ((r = der_sequence(der, size, &session)) < 0)
                return r;
        end = session.content + session.content_size;
        for (p = session.content; (r = der_next(&p, end, &field)) == 0;)
                if (field.id != SESSION_PEER_FIELD)
                        kept += field.size;
        if (r != -ENODATA)
                return r;
        out = malloc(size);
        if (!out)
                return -ENOMEM;
        n = der_put_header(out, DER_SEQUENCE, kept);
        for (p = session.content; der_next(&p, end, &field) == 0;)
                if (field.id != SESSION_PEER_FIELD) {
                        memcpy(out + n, field.start, field.size);
                        n += field.size;
                }
        *ret = out;
        *ret_size = n;
        return 0;
}

int tls_session_encode(SSL_SESSION *session, const char *binding, json_object **ret) {
        _cleanup_json_ json_object *j = NULL;
        _cleanup_openssl_free_ unsigned char *der = NULL;
        _cleanup_free_ uint8_t *kept = NULL;
        _cleanup_free_ char *data = NULL;
        size_t kept_size = 0;
        int n, r;

        if (!session || !SSL_SESSION_is_resumable(session))
                return -ENOENT;
        n = i2d_SSL_SESSION(session, &der);
        if (n <= 0 || (size_t) n > TLS_SESSION_DER_MAX)
                return -EINVAL;
        r = tls_session_der_without_peer(der, (size_t) n, &kept, &kept_size);
        OPENSSL_cleanse(der, (size_t) n);
        if (r >= 0) {
                r = base64url_encode(kept, kept_size, &data, NULL);
                OPENSSL_cleanse(kept, kept_size);
        }
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
