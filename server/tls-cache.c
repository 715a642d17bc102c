/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "cleanup.h"
#include "macro.h"
#include "tls-cache.h"

typedef struct Entry Entry;
struct Entry {
        SSL_SESSION *session;   /* our reference */
        usec_t expires;         /* CLOCK_MONOTONIC */
        Entry *next_by_id, *next_by_owner; /* in their buckets */
        Entry *older, *newer;   /* insertion order, for eviction */
        unsigned id_size;
        unsigned char id[SSL_MAX_SSL_SESSION_ID_LENGTH];
        char owner[sizeof(((CertInfo *) 0)->serial)]; /* the client certificate's serial */
};

typedef struct TlsCache {
        Entry **by_id, **by_owner;
        size_t n_buckets;       /* of each; a power of two */
        size_t n, max;
        usec_t lifetime;
        Entry *oldest, *newest;
} TlsCache;

static int cache_index = -1, peer_index = -1;

DEFINE_TRIVIAL_CLEANUP_FUNC(SSL_SESSION *, SSL_SESSION_free)

/* OpenSSL 3.4 deprecates the long-typed calls for the time_t ones 3.3 brought. */
#if OPENSSL_VERSION_NUMBER >= 0x30300000L
#define session_time_copy(to, from) SSL_SESSION_set_time_ex((to), SSL_SESSION_get_time_ex(from))
#else
#define session_time_copy(to, from) SSL_SESSION_set_time((to), SSL_SESSION_get_time(from))
#endif

static TlsKeptPeer *peer_copy(const TlsKeptPeer *p) {
        TlsKeptPeer *q = malloc(sizeof(TlsKeptPeer));
        return q ? memcpy(q, p, sizeof(TlsKeptPeer)) : NULL;
}

/* Session IDs are the server's random bytes, serials its CA's: a client can only probe. */
static Entry **id_bucket(const TlsCache *c, const unsigned char *id, unsigned size) {
        uint64_t h = 0;

        memcpy(&h, id, MIN(size, (unsigned) sizeof(h)));
        return &c->by_id[(size_t) (h ^ (h >> 29) ^ size) & (c->n_buckets - 1)];
}

static Entry **owner_bucket(const TlsCache *c, const char *owner) {
        uint64_t h = UINT64_C(14695981039346656037); /* FNV-1a */

        for (; *owner; owner++)
                h = (h ^ (uint8_t) *owner) * UINT64_C(1099511628211);
        return &c->by_owner[(size_t) (h ^ (h >> 32)) & (c->n_buckets - 1)];
}

static Entry *find_id(const TlsCache *c, const unsigned char *id, unsigned size) {
        Entry *e = *id_bucket(c, id, size);

        while (e && (e->id_size != size || memcmp(e->id, id, size) != 0))
                e = e->next_by_id;
        return e;
}

static Entry *find_owner(const TlsCache *c, const char *owner) {
        Entry *e = *owner_bucket(c, owner);

        while (e && !streq(e->owner, owner))
                e = e->next_by_owner;
        return e;
}

/* Unlinks e and returns its session (the reference moves to the caller). */
static SSL_SESSION *take(TlsCache *c, Entry *e) {
        SSL_SESSION *s = e->session;
        Entry **p;

        for (p = id_bucket(c, e->id, e->id_size); *p != e; p = &(*p)->next_by_id)
                ;
        *p = e->next_by_id;
        for (p = owner_bucket(c, e->owner); *p != e; p = &(*p)->next_by_owner)
                ;
        *p = e->next_by_owner;
        if (e->older)
                e->older->newer = e->newer;
        else
                c->oldest = e->newer;
        if (e->newer)
                e->newer->older = e->older;
        else
                c->newest = e->older;
        c->n--;
        free(e);
        return s;
}

static void drop(TlsCache *c, Entry *e) {
        if (e)
                SSL_SESSION_free(take(c, e));
}

static TlsCache *cache_of(SSL_CTX *ctx) {
        return SSL_CTX_get_ex_data(ctx, cache_index);
}

/* A kept peer goes with each copy OpenSSL makes of the session (at its resumption, and
 * for the next ticket). */
static int peer_dup(CRYPTO_EX_DATA *to, const CRYPTO_EX_DATA *from, void **from_d, int idx, long argl,
                    void *argp) {
        (void) to, (void) from, (void) idx, (void) argl, (void) argp;
        return !*from_d || (*from_d = peer_copy(*from_d));
}

static void peer_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp) {
        (void) parent, (void) ad, (void) idx, (void) argl, (void) argp;
        free(ptr);
}

const TlsKeptPeer *tls_cache_peer(const SSL *ssl) {
        SSL_SESSION *s = SSL_get_session(ssl);
        return s && peer_index >= 0 ? SSL_SESSION_get_ex_data(s, peer_index) : NULL;
}

/* The client of ssl, when its certificate chained to our CA (on a resumed connection: when
 * its session was kept, which needed that): a stranger's handshakes (enrollment needs no
 * certificate) must not push the devices' sessions out. */
static int kept_peer(SSL *ssl, TlsKeptPeer **ret) {
        const TlsKeptPeer *resumed = tls_cache_peer(ssl);
        X509 *cert = SSL_get0_peer_certificate(ssl);
        _cleanup_free_ TlsKeptPeer *p = NULL;

        if (resumed)
                p = peer_copy(resumed);
        else if (!cert || SSL_get_verify_result(ssl) != X509_V_OK)
                return -EPERM;
        else if ((p = calloc(1, sizeof(TlsKeptPeer)))) {
                if (cert_get_info(cert, &p->info) < 0)
                        return -EINVAL;
                p->has_key = p256_public_point(X509_get0_pubkey(cert), p->key) == 0;
        }
        if (!p)
                return -ENOMEM;
        *ret = TAKE_PTR(p);
        return 0;
}

/* A TLS 1.3 session as the cache keeps it: the secret and what resuming checks (cipher,
 * ID, context, times), the client as *peer (taken on success). The rest of OpenSSL's
 * session, the decoded certificate above all, is not needed to resume. */
static SSL_SESSION *compact_copy(SSL_SESSION *s, TlsKeptPeer **peer) {
        _cleanup_(SSL_SESSION_freep) SSL_SESSION *copy = SSL_SESSION_new();
        unsigned char secret[EVP_MAX_MD_SIZE];
        const unsigned char *id, *context, *alpn;
        unsigned id_size, context_size;
        const char *host = SSL_SESSION_get0_hostname(s);
        size_t secret_size, alpn_size;
        bool ok;

        id = SSL_SESSION_get_id(s, &id_size);
        context = SSL_SESSION_get0_id_context(s, &context_size);
        SSL_SESSION_get0_alpn_selected(s, &alpn, &alpn_size);
        /* Asked for its size first: a longer secret would be copied cut short. */
        secret_size = SSL_SESSION_get_master_key(s, NULL, 0);
        ok = copy && secret_size > 0 && secret_size <= sizeof secret &&
             SSL_SESSION_get_master_key(s, secret, secret_size) == secret_size &&
             SSL_SESSION_set_protocol_version(copy, SSL_SESSION_get_protocol_version(s)) == 1 &&
             SSL_SESSION_set_cipher(copy, SSL_SESSION_get0_cipher(s)) == 1 &&
             SSL_SESSION_set1_master_key(copy, secret, secret_size) == 1 &&
             SSL_SESSION_set1_id(copy, id, id_size) == 1 &&
             SSL_SESSION_set1_id_context(copy, context, context_size) == 1 &&
             session_time_copy(copy, s) != 0 &&
             SSL_SESSION_set_timeout(copy, SSL_SESSION_get_timeout(s)) != 0 &&
             (!host || SSL_SESSION_set1_hostname(copy, host) == 1) &&
             (alpn_size == 0 || SSL_SESSION_set1_alpn_selected(copy, alpn, alpn_size) == 1) &&
             SSL_SESSION_set_ex_data(copy, peer_index, *peer) == 1;
        OPENSSL_cleanse(secret, sizeof secret);
        if (!ok) {
                ERR_clear_error();
                return NULL;
        }
        *peer = NULL; /* the session's now */
        return TAKE_PTR(copy);
}

/* The cache holds copies, never a connection's own session: OpenSSL marks that one
 * unresumable when the connection ends without a close_notify sent, as evhttp's do (from
 * OpenSSL 3.2 on, before any hook of ours runs). A TLS 1.2 session is copied whole:
 * resuming it checks more (its extended master secret among them) than OpenSSL lets
 * anyone set. */
static int on_new(SSL *ssl, SSL_SESSION *session) {
        TlsCache *c = cache_of(SSL_get_SSL_CTX(ssl));
        _cleanup_free_ TlsKeptPeer *peer = NULL;
        unsigned size;
        const unsigned char *id = SSL_SESSION_get_id(session, &size);
        SSL_SESSION *copy;
        Entry **head, *e;

        if (!c || size == 0 || size > sizeof(e->id) || kept_peer(ssl, &peer) < 0)
                return 0; /* OpenSSL drops the reference it gave us */
        e = calloc(1, sizeof(Entry));
        if (!e)
                return 0;
        memcpy(e->owner, peer->info.serial, sizeof(e->owner));
        copy = SSL_SESSION_get_protocol_version(session) >= TLS1_3_VERSION ? compact_copy(session, &peer)
                                                                            : SSL_SESSION_dup(session);
        if (!copy) {
                free(e);
                return 0;
        }
        drop(c, find_id(c, id, size));
        /* One session per certificate: a client that does not resume, or connects many
         * times at once, replaces its own session instead of pushing out the others'. */
        drop(c, find_owner(c, e->owner));
        if (c->n >= c->max)
                drop(c, c->oldest);
        e->session = copy;
        e->expires = now_monotonic() + c->lifetime;
        e->id_size = size;
        memcpy(e->id, id, size);
        head = id_bucket(c, id, size);
        e->next_by_id = *head;
        *head = e;
        head = owner_bucket(c, e->owner);
        e->next_by_owner = *head;
        *head = e;
        e->older = c->newest;
        if (c->newest)
                c->newest->newer = e;
        else
                c->oldest = e;
        c->newest = e;
        c->n++;
        return 0; /* OpenSSL's reference goes back: we keep the copy */
}

static SSL_SESSION *on_get(SSL *ssl, const unsigned char *id, int size, int *copy) {
        TlsCache *c = cache_of(SSL_get_SSL_CTX(ssl));
        Entry *e;

        *copy = 0;
        if (!c || size <= 0 || !(e = find_id(c, id, (unsigned) size)))
                return NULL;
        if (e->expires <= now_monotonic()) {
                drop(c, e);
                return NULL;
        }
        if (SSL_SESSION_get_protocol_version(e->session) < TLS1_3_VERSION)
                return SSL_SESSION_dup(e->session); /* ours stays for the next time */
        return take(c, e); /* handed over: used once */
}

static void cache_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp) {
        TlsCache *c = ptr;
        (void) parent, (void) ad, (void) idx, (void) argl, (void) argp;

        if (!c)
                return;
        while (c->oldest)
                drop(c, c->oldest);
        free(c->by_id);
        free(c->by_owner);
        free(c);
}

int tls_cache_attach(SSL_CTX *ctx, size_t max, usec_t lifetime) {
        TlsCache *c;

        /* The ticket's lifetime hint; a TLS 1.2 client's own limit. */
        SSL_CTX_set_timeout(ctx, (long) (lifetime / USEC_PER_SEC));
        if (max == 0) {
                SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
                return SSL_CTX_set_num_tickets(ctx, 0) == 1 ? 0 : -EIO;
        }
        if (cache_index < 0 &&
            (cache_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, cache_free)) < 0)
                return -ENOMEM;
        if (peer_index < 0 &&
            (peer_index = SSL_SESSION_get_ex_new_index(0, NULL, NULL, peer_dup, peer_free)) < 0)
                return -ENOMEM;
        c = calloc(1, sizeof(TlsCache));
        if (!c)
                return -ENOMEM;
        c->max = max;
        c->lifetime = lifetime;
        for (c->n_buckets = 16; c->n_buckets < max && c->n_buckets < ((size_t) 1 << 24);)
                c->n_buckets <<= 1;
        c->by_id = calloc(c->n_buckets, sizeof(Entry *));
        c->by_owner = calloc(c->n_buckets, sizeof(Entry *));
        if (!c->by_id || !c->by_owner || SSL_CTX_set_ex_data(ctx, cache_index, c) != 1) {
                free(c->by_id);
                free(c->by_owner);
                free(c);
                return -ENOMEM;
        }
        /* Only ours: OpenSSL's internal store would keep every resumed session too. */
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL);
        SSL_CTX_sess_set_new_cb(ctx, on_new);
        SSL_CTX_sess_set_get_cb(ctx, on_get);
        return SSL_CTX_set_num_tickets(ctx, 1) == 1 ? 0 : -EIO;
}
