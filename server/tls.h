/* SPDX-License-Identifier: MIT */
#pragma once

/* TLS for the collector: TLS 1.2+ only, ECDHE with AEAD suites, our P-256 server
 * certificate; a client certificate is requested (not required: /v1/enroll works
 * without) and its chain to the Vigie CA is checked once, during the handshake. The
 * verdict is kept and every route needing a certificate answers 401 with the reason.
 * Up to `sessions` sessions are kept `session_lifetime` for TLS resumption (stateful
 * tickets); a resumed session's certificate is held to its dates again. */

#include <stdbool.h>

#include <openssl/ssl.h>

#include "ca.h"
#include "time-util.h"

int tls_context_new(const char *dir, int sessions, usec_t session_lifetime, SSL_CTX **ret, char **ret_error);

/* What we know of a connection's peer, computed once per connection. */
typedef struct TlsPeer {
        bool present;   /* a certificate was sent */
        bool resumed;   /* the session was resumed: no proof of the key in this handshake */
        long verify;    /* X509_V_OK or why the chain failed */
        CertInfo info;
        CertRole role;
        EVP_PKEY *key;  /* the certificate's public key, owned; NULL for a resumed session
                         * of a role that signs nothing */
        EVP_PKEY_CTX *verifier; /* a valid device certificate's report verifier (jws.h), owned */
} TlsPeer;
int tls_peer_get(SSL *ssl, TlsPeer *ret);
/* Whether ssl's client certificate chained to our CA (in the handshake that made the
 * session, when resumed). */
bool tls_peer_certified(const SSL *ssl);
void tls_peer_done(TlsPeer *p);
