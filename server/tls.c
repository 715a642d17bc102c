/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "cleanup.h"
#include "fs-util.h"
#include "jws.h"
#include "tls-cache.h"
#include "tls.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(SSL_CTX *, SSL_CTX_free)

/* TLS 1.2 suites: forward secrecy and AEAD only. TLS 1.3 keeps OpenSSL's (all AEAD). */
#define TLS12_CIPHERS "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:" \
                      "ECDHE-ECDSA-CHACHA20-POLY1305"

/* Keeps the handshake going whatever the chain looks like: the HTTP layer refuses, per
 * route, with a JSON reason instead of a bare TLS alert. SSL_get_verify_result() still
 * holds the first failure. */
static int verify_keep_going(int ok, X509_STORE_CTX *ctx) {
        (void) ok;
        (void) ctx;
        return 1;
}

/* The chain file's self-signed certificates stay home. Every client verifies against its own
 * copy of the CA, and one sent along is only decoded and dropped: ~1.5 M instructions in
 * each agent's handshake under OpenSSL 3.0 (docs/performance.md). RFC 8446 §4.4.2 lets the
 * root go unsent; intermediates a site's own certificate needs are kept, and nothing is
 * added from the verify store (which holds the client CA). */
static int chain_drop_trust_anchors(SSL_CTX *ctx) {
        STACK_OF(X509) *chain = NULL, *kept;
        int r = 0;

        SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
        if (SSL_CTX_get0_chain_certs(ctx, &chain) != 1)
                return -EIO;
        kept = sk_X509_new_null();
        if (!kept)
                return -ENOMEM;
        for (int i = 0; i < sk_X509_num(chain) && r == 0; i++) {
                X509 *c = sk_X509_value(chain, i);
                if (X509_self_signed(c, 0) != 1 && !sk_X509_push(kept, c))
                        r = -ENOMEM;
        }
        /* set1 takes its own references before it lets go of the old chain */
        if (r == 0 && SSL_CTX_set1_chain(ctx, kept) != 1)
                r = -EIO;
        sk_X509_free(kept);
        return r;
}

static int tls_error(char **ret_error, const char *what, const char *path) {
        unsigned long e = ERR_get_error();
        if (asprintf(ret_error, "%s \"%s\": %s", what, path,
                     e ? ERR_reason_error_string(e) : "unknown error") < 0)
                *ret_error = NULL;
        ERR_clear_error();
        return -EINVAL;
}

int tls_context_new(const char *dir, int sessions, usec_t session_lifetime, SSL_CTX **ret, char **ret_error) {
        _cleanup_(SSL_CTX_freep) SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
        _cleanup_free_ char *ca = path_join(dir, CA_CERT_FILE), *crt = path_join(dir, SERVER_CERT_FILE),
                            *key = path_join(dir, SERVER_KEY_FILE);
        STACK_OF(X509_NAME) *names;

        if (!ctx || !ca || !crt || !key)
                return -ENOMEM;
        if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
            SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1 ||
            SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") != 1)
                return tls_error(ret_error, "cannot set TLS parameters for", dir);
        /* SSL_OP_NO_TICKET: the sessions stay here and a TLS 1.3 ticket only names one.
         * An encrypted ticket carrying the session costs more than it saves under OpenSSL
         * 3.0 (the client's certificate encoded into it and decoded back at each
         * resumption), and anyone holding the ticket key could resume any device. A
         * resumed handshake skips the client certificate's decode, its chain check and
         * both CertificateVerify signatures: about half the server's CPU for a report on
         * a new connection (docs/performance.md). The cache (tls-cache.h) is bounded in
         * count and lifetime, a TLS 1.3 session resumed once; sessions go with the process
         * (a restart, the other instance: a full handshake). No early data is accepted. */
        SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                         SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET);
        if (tls_cache_attach(ctx, (size_t) sessions, session_lifetime) < 0)
                return tls_error(ret_error, "cannot set up the session cache of", dir);
        /* One read() a record rather than two (its 5-byte header, then its body): a
         * kept-alive report is one record. What a read takes past the record waits in
         * OpenSSL, where libevent 2.1 does not look: http.c's conn_kick() fetches it. */
        SSL_CTX_set_read_ahead(ctx, 1);
        if (SSL_CTX_use_certificate_chain_file(ctx, crt) != 1)
                return tls_error(ret_error, "cannot load server certificate", crt);
        if (chain_drop_trust_anchors(ctx) < 0)
                return tls_error(ret_error, "cannot set the certificate chain of", crt);
        if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(ctx) != 1)
                return tls_error(ret_error, "cannot load server key", key);
        if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
                return tls_error(ret_error, "cannot load CA", ca);
        names = SSL_load_client_CA_file(ca);
        if (!names)
                return tls_error(ret_error, "cannot read CA name from", ca);
        SSL_CTX_set_client_CA_list(ctx, names);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_keep_going);
        SSL_CTX_set_verify_depth(ctx, 2);
        /* Client certificates must be for clients. */
        SSL_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
        SSL_CTX_set_session_id_context(ctx, (const unsigned char *) "vigie", 5);
        *ret = TAKE_PTR(ctx);
        return 0;
}

/* The peer of a TLS 1.3 session resumed from the cache (tls-cache.h): the certificate's
 * details it kept, and a device's key from the point it kept. */
static void peer_from_kept(const TlsKeptPeer *kept, TlsPeer *p) {
        p->info = kept->info;
        p->role = cert_role(&p->info);
        if (p->role == CERT_ROLE_DEVICE && (!kept->has_key || p256_public_key(kept->key, &p->key) < 0))
                p->verify = X509_V_ERR_UNSPECIFIED;
}

static void peer_from_cert(SSL *ssl, X509 *cert, TlsPeer *p) {
        p->verify = SSL_get_verify_result(ssl);
        p->key = X509_get_pubkey(cert);
        if (cert_get_info(cert, &p->info) < 0)
                p->verify = X509_V_ERR_CERT_REJECTED;
        else
                p->role = cert_role(&p->info);
}

int tls_peer_get(SSL *ssl, TlsPeer *ret) {
        TlsPeer p = { .verify = X509_V_OK, .role = _CERT_ROLE_INVALID };
        const TlsKeptPeer *kept = tls_cache_peer(ssl);
        X509 *cert = SSL_get0_peer_certificate(ssl);

        p.resumed = SSL_session_reused(ssl);
        p.present = kept || cert;
        if (kept)
                peer_from_kept(kept, &p);
        else if (cert)
                peer_from_cert(ssl, cert, &p);
        /* A resumed session brings the verdict of the handshake that made it: the
         * certificate may have expired since. (Revocation is looked up on every request.)
         * Judged by the clock OpenSSL's chain check reads, the system's: a test build's
         * moved clock must not refuse on resumption what the full handshake accepted. */
        if (p.present && p.verify == X509_V_OK && p.resumed) {
                int64_t now = (int64_t) time(NULL);
                if (now < p.info.not_before)
                        p.verify = X509_V_ERR_CERT_NOT_YET_VALID;
                else if (now >= p.info.not_after)
                        p.verify = X509_V_ERR_CERT_HAS_EXPIRED;
        }
        /* Set up once for all the reports of this connection. Without one (a key that is
         * not P-256, no memory), ingest verifies the slow way and says why it fails. */
        if (p.verify == X509_V_OK && p.role == CERT_ROLE_DEVICE)
                (void) jws_verifier_new(p.key, &p.verifier, NULL);
        *ret = p;
        return 0;
}

bool tls_peer_certified(const SSL *ssl) {
        return tls_cache_peer(ssl) || (SSL_get0_peer_certificate(ssl) && SSL_get_verify_result(ssl) == X509_V_OK);
}

void tls_peer_done(TlsPeer *p) {
        EVP_PKEY_CTX_free(p->verifier);
        p->verifier = NULL;
        EVP_PKEY_free(p->key);
        p->key = NULL;
}
