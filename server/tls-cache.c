/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "tls-cache.h"

typedef struct Entry Entry;
struct Entry {
        SSL_SESSION *session;   /* our reference */
        usec_t expires;         /* CLOCK_MONOTONIC */
        Entry *next_in_bucket;
        Entry *older, *newer;   /* insertion order, for eviction */
        unsigned id_size;
        unsigned char id[SSL_MAX_SSL_SESSION_ID_LENGTH];
};

typedef struct TlsCache {
        Entry **buckets;
        size_t n_buckets;       /* a power of two */
        size_t n, max;
        usec_t lifetime;
        Entry *oldest, *newest;
} TlsCache;

static int cache_index = -1;

/* Stored IDs are the server's random bytes; a client can only probe. */
static size_t bucket_of(const TlsCache *c, const unsigned char *id, unsigned size) {
        uint64_t h = 0;

        memcpy(&h, id, MIN(size, (unsigned) sizeof(h)));
        return (size_t) (h ^ (h >> 29) ^ size) & (c->n_buckets - 1);
}

static Entry **find(TlsCache *c, const unsigned char *id, unsigned size) {
        Entry **p = &c->buckets[bucket_of(c, id, size)];

        for (; *p; p = &(*p)->next_in_bucket)
                if ((*p)->id_size == size && memcmp((*p)->id, id, size) == 0)
                        return p;
        return NULL;
}

/* Unlinks the entry *slot points at and returns its session (the reference moves to the caller). */
static SSL_SESSION *take(TlsCache *c, Entry **slot) {
        Entry *e = *slot;
        SSL_SESSION *s = e->session;

        *slot = e->next_in_bucket;
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

static void drop(TlsCache *c, Entry **slot) {
        SSL_SESSION_free(take(c, slot));
}

static TlsCache *cache_of(SSL_CTX *ctx) {
        return SSL_CTX_get_ex_data(ctx, cache_index);
}

/* The cache holds copies, never a connection's own session: OpenSSL marks that one
 * unresumable when the connection ends without a close_notify sent, as evhttp's do (from
 * OpenSSL 3.2 on, before any hook of ours runs). */
static int on_new(SSL *ssl, SSL_SESSION *session) {
        TlsCache *c = cache_of(SSL_get_SSL_CTX(ssl));
        unsigned size;
        const unsigned char *id = SSL_SESSION_get_id(session, &size);
        SSL_SESSION *copy;
        Entry **slot, *e;

        if (!c || size == 0 || size > sizeof(e->id))
                return 0; /* OpenSSL drops the reference it gave us */
        /* Only a client whose certificate chained to our CA: a stranger's handshakes
         * (enrollment needs no certificate) must not push the devices' sessions out. */
        if (!SSL_get0_peer_certificate(ssl) || SSL_get_verify_result(ssl) != X509_V_OK)
                return 0;
        if ((slot = find(c, id, size)))
                drop(c, slot);
        if (c->n >= c->max)
                drop(c, find(c, c->oldest->id, c->oldest->id_size));
        e = calloc(1, sizeof(Entry));
        copy = e ? SSL_SESSION_dup(session) : NULL;
        if (!copy) {
                free(e);
                return 0;
        }
        e->session = copy;
        e->expires = now_monotonic() + c->lifetime;
        e->id_size = size;
        memcpy(e->id, id, size);
        slot = &c->buckets[bucket_of(c, id, size)];
        e->next_in_bucket = *slot;
        *slot = e;
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
        Entry **slot;

        *copy = 0;
        if (!c || size <= 0 || !(slot = find(c, id, (unsigned) size)))
                return NULL;
        if ((*slot)->expires <= now_monotonic()) {
                drop(c, slot);
                return NULL;
        }
        if (SSL_SESSION_get_protocol_version((*slot)->session) < TLS1_3_VERSION)
                return SSL_SESSION_dup((*slot)->session); /* ours stays for the next time */
        return take(c, slot); /* handed over: used once */
}

static void cache_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp) {
        TlsCache *c = ptr;
        (void) parent, (void) ad, (void) idx, (void) argl, (void) argp;

        if (!c)
                return;
        while (c->oldest)
                drop(c, find(c, c->oldest->id, c->oldest->id_size));
        free(c->buckets);
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
        c = calloc(1, sizeof(TlsCache));
        if (!c)
                return -ENOMEM;
        c->max = max;
        c->lifetime = lifetime;
        for (c->n_buckets = 16; c->n_buckets < max && c->n_buckets < ((size_t) 1 << 24);)
                c->n_buckets <<= 1;
        c->buckets = calloc(c->n_buckets, sizeof(Entry *));
        if (!c->buckets || SSL_CTX_set_ex_data(ctx, cache_index, c) != 1) {
                free(c->buckets);
                free(c);
                return -ENOMEM;
        }
        /* Only ours: OpenSSL's internal store would keep every resumed session too. */
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL);
        SSL_CTX_sess_set_new_cb(ctx, on_new);
        SSL_CTX_sess_set_get_cb(ctx, on_get);
        return SSL_CTX_set_num_tickets(ctx, 1) == 1 ? 0 : -EIO;
}
