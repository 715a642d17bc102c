/* SPDX-License-Identifier: MIT */
#pragma once

/* The server's TLS session cache (server.md, TLSSessions=): at most `max` sessions of
 * clients whose certificate chained to our CA, each resumable for `lifetime`, the oldest
 * dropped first. A TLS 1.3 session leaves the cache
 * when it is resumed (the resumption issues the next one): one session per client in the
 * cache, and a ticket someone copied is good only until its owner comes back. A TLS 1.2
 * session (its ID) stays until it expires. OpenSSL's own cache keeps a resumed TLS 1.3
 * session until its lifetime ends, which is why this one replaces it. Event loop only. */

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "ca.h"
#include "jws.h"
#include "time-util.h"

/* Sets ctx's session cache to one of these (freed with ctx). max 0: no resumption. */
int tls_cache_attach(SSL_CTX *ctx, size_t max, usec_t lifetime);

/* What a kept TLS 1.3 session holds of its client's certificate, in place of OpenSSL's
 * decoded copy (~4.7 KB of the ~7.7 a session cost): what the server reads of it. A
 * session resumed from the cache has no peer certificate in OpenSSL's sense. */
typedef struct TlsKeptPeer {
        CertInfo info;
        bool has_key;                          /* false: not a P-256 key */
        uint8_t key[P256_POINT_SIZE];          /* its public key */
} TlsKeptPeer;

/* The kept client of ssl's resumed TLS 1.3 session; NULL for a full handshake, a TLS 1.2
 * session, or no cache. */
const TlsKeptPeer *tls_cache_peer(const SSL *ssl);
