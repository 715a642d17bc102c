/* SPDX-License-Identifier: MIT */
#pragma once

/* HTTPS to the Vigie server: HTTP/1.1 over OpenSSL's libssl, which every binary links
 * (no libcurl: its ~25 shared objects cost each agent cycle ~15 M instructions to load).
 * TLS 1.2 at least (1.3 when the server has it), the server verified against the pinned
 * CA only and its name (or IP literal) checked, the device certificate and key (any
 * EVP_PKEY, provider-held included: the SSL_CTX fetches with the key's provider
 * preferred), each address of the name tried in turn, connect and total timeouts on
 * every step, proxy from the environment (https_proxy/HTTPS_PROXY through an HTTP
 * CONNECT tunnel, Basic auth from its userinfo; no_proxy/NO_PROXY), bounded responses
 * (common/http-response.h). One Transport keeps its connection alive across requests
 * and resends once when the server had closed it. SIGPIPE never fires (MSG_NOSIGNAL). */

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "macro.h"

#define TRANSPORT_RESPONSE_MAX (4u * 1024 * 1024)

typedef struct TransportOptions {
        const char *server_url;   /* "https://host[:port][/prefix]", [v6] literal in brackets */
        const char *ca_file;      /* the pinned CA (PEM); NULL only with system_ca */
        bool system_ca;           /* no ca_file: the system's trust store, for webhooks to third
                                   * parties (server/alerts.c); never for a Vigie server */
        X509 *cert;               /* client certificate; NULL for enrollment */
        const void *cert_der;     /* or the certificate's DER, decoded only for a full
                                   * handshake (a resumed one presents no certificate) */
        size_t cert_der_size;
        EVP_PKEY *key;            /* its key; NULL without a certificate */
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

/* Copies what it needs (takes references on cert and key); connects at the first request.
 * -EINVAL for a URL that is not https://host[:port][/prefix], or for both cert and
 * cert_der. */
int transport_new(const TransportOptions *o, Transport **ret);
/* What transport_new's error r means, for a message: for -EINVAL, which URL form to use. */
const char *transport_strerror(int r);
Transport *transport_free(Transport *t);
/* The DER of the client certificate this transport presents; NULL for enrollment. */
const uint8_t *transport_client_cert_der(const Transport *t, size_t *ret_size);
/* TLS resumption: the session offered at the next connection (a reference is taken; NULL:
 * none), and after a response the session it came with (borrowed; NULL: none to resume).
 * A session is a secret bound to this server and this client certificate: offer it only
 * to the same server with the same certificate. */
void transport_set_session(Transport *t, SSL_SESSION *session);
/* Closes the connection and forgets the session: the next request makes a full handshake,
 * the one a certificate renewal needs (the server refuses it on a resumed session). */
void transport_fresh_handshake(Transport *t);
SSL_SESSION *transport_session(const Transport *t);
static inline void transport_freep(Transport **t) {
        transport_free(*t);
}

/* method "GET"/"POST"; path "/v1/…"; body may be NULL; content_type e.g.
 * "application/json" or "application/jose"; headers NULL or a NULL-terminated list of
 * "Name: value" (If-None-Match…). Returns 0 when an HTTP response arrived, whatever its
 * status (1xx interim responses skipped, redirects not followed); else -ECONNREFUSED
 * (no connection, or the proxy refused the tunnel), -EHOSTUNREACH (name not resolved),
 * -ETIMEDOUT, -EPROTO (TLS, certificate, a malformed response), -EFBIG (response over
 * the limit), -ECONNRESET (connection lost) or -EINVAL (a header with CR/LF), with an
 * explanation in *ret_error (OpenSSL's verify error for a certificate). */
int transport_request(Transport *t, const char *method, const char *path, const char *content_type,
                      const void *body, size_t body_size, char *const *headers,
                      TransportResponse *ret, char **ret_error);
void transport_response_done(TransportResponse *r);
/* The "error" and "detail" of a JSON error body, "HTTP 403: revoked (detail)" style; a
 * non-JSON body is quoted (bounded). Never NULL unless out of memory. */
char *transport_response_describe(const TransportResponse *r);
