/* SPDX-License-Identifier: MIT */
#pragma once

/* HTTPS to the Vigie server with libcurl: TLS 1.2 at least (1.3 when the server has it),
 * the server verified against the pinned CA only, the device certificate and key (any
 * EVP_PKEY, provider-held included) handed to OpenSSL through CURLOPT_SSL_CTX_FUNCTION,
 * connect and total timeouts, proxy from the environment (libcurl's https_proxy/no_proxy),
 * bounded response bodies. One Transport keeps its connection alive across requests. */

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "macro.h"

#define TRANSPORT_RESPONSE_MAX (4u * 1024 * 1024)

typedef struct TransportOptions {
        const char *server_url;   /* "https://host:port", no trailing path needed */
        const char *ca_file;      /* the pinned CA (PEM) */
        X509 *cert;               /* client certificate; NULL for enrollment */
        EVP_PKEY *key;            /* its key; NULL with cert NULL */
        usec_t connect_timeout;   /* 0: 10 s */
        usec_t timeout;           /* whole request; 0: 30 s */
        size_t max_response;      /* 0: TRANSPORT_RESPONSE_MAX */
} TransportOptions;

typedef struct TransportResponse {
        long status;              /* HTTP status */
        char *body;               /* NUL-terminated, may be empty */
        size_t body_size;
        char *etag;               /* ETag header, NULL if none */
        uint64_t retry_after_s;   /* Retry-After in seconds (0: none or not a number) */
} TransportResponse;

typedef struct Transport Transport;

/* Copies what it needs (takes references on cert and key). -EINVAL for a URL not https. */
int transport_new(const TransportOptions *o, Transport **ret);
/* What transport_new's error r means, for a message: with -ELIBACC, which library could
 * not be loaded and which package to install; otherwise strerror(-r). */
const char *transport_strerror(int r);
Transport *transport_free(Transport *t);
/* The client certificate this transport presents; NULL for enrollment. */
X509 *transport_client_cert(const Transport *t);
static inline void transport_freep(Transport **t) {
        transport_free(*t);
}

/* method "GET"/"POST"; path "/v1/…"; body may be NULL; content_type e.g.
 * "application/json" or "application/jose"; headers NULL or a NULL-terminated list of
 * "Name: value" (If-None-Match…). Returns 0 when an HTTP response arrived, whatever its
 * status; else -ECONNREFUSED, -EHOSTUNREACH, -ETIMEDOUT, -EPROTO (TLS, certificate),
 * -EFBIG (response over the limit) or -EIO, with libcurl's explanation in *ret_error. */
int transport_request(Transport *t, const char *method, const char *path, const char *content_type,
                      const void *body, size_t body_size, char *const *headers,
                      TransportResponse *ret, char **ret_error);
void transport_response_done(TransportResponse *r);
/* The "error" and "detail" of a JSON error body, "HTTP 403: revoked (detail)" style; a
 * non-JSON body is quoted (bounded). Never NULL unless out of memory. */
char *transport_response_describe(const TransportResponse *r);
