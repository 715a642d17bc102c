/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "hash-util.h"
#include "parse-util.h"
#include "thread-object.h"

static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_md;

/* EVP_sha256() makes OpenSSL 3 look the implementation up again at every digest (a
 * method-store search under a lock, ~2 k instructions: an ingested report hashes four
 * times): fetched once, in sha256_fetch(). */
/* Two digest contexts per thread, reused: a new one costs its allocation and its
 * provider state's, at every digest (a report's body hashes once per chunk, ~25 for a
 * laptop's). */
typedef struct Sha256Ctx {
        EVP_MD_CTX *a, *b;
} Sha256Ctx;

static void ctx_free(Sha256Ctx *c) {
        EVP_MD_CTX_free(c->a);
        EVP_MD_CTX_free(c->b);
        free(c);
}

static void sha256_fetch(void) {
        sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static Sha256Ctx *ctx_new(void) {
        Sha256Ctx *c;

        (void) pthread_once(&sha256_once, sha256_fetch);
        c = calloc(1, sizeof(Sha256Ctx));
        if (!c)
                return NULL;
        c->a = EVP_MD_CTX_new();
        c->b = EVP_MD_CTX_new();
        if (!c->a || !c->b) {
                ctx_free(c);
                return NULL;
        }
        return c;
}
DEFINE_THREAD_OBJECT(Sha256Ctx, thread_ctx, ctx_new, ctx_free)

int sha256_digest(const void *data, size_t size, uint8_t ret[static SHA256_SIZE]) {
        Sha256Ctx *c = thread_ctx();
        unsigned n = 0;

        if (!c || EVP_DigestInit_ex(c->a, sha256_md ?: EVP_sha256(), NULL) != 1 ||
            EVP_DigestUpdate(c->a, data, size) != 1 || EVP_DigestFinal_ex(c->a, ret, &n) != 1 ||
            n != SHA256_SIZE) {
                ERR_clear_error();
                return -EIO;
        }
        return 0;
}

int sha256_digest_prefix(const void *data, size_t prefix, size_t size, uint8_t ret_prefix[static SHA256_SIZE],
                         uint8_t ret_all[static SHA256_SIZE]) {
        Sha256Ctx *c = thread_ctx();
        unsigned n = 0, m = 0;

        if (c && prefix <= size && EVP_DigestInit_ex(c->a, sha256_md ?: EVP_sha256(), NULL) == 1 &&
            EVP_DigestUpdate(c->a, data, prefix) == 1 && EVP_MD_CTX_copy_ex(c->b, c->a) == 1 &&
            EVP_DigestUpdate(c->b, (const uint8_t *) data + prefix, size - prefix) == 1 &&
            EVP_DigestFinal_ex(c->a, ret_prefix, &n) == 1 && EVP_DigestFinal_ex(c->b, ret_all, &m) == 1 &&
            n == SHA256_SIZE && m == SHA256_SIZE)
                return 0;
        ERR_clear_error();
        return -EIO;
}

int sha256_hex(const void *data, size_t size, char ret[static SHA256_HEX_SIZE]) {
        uint8_t md[SHA256_SIZE];
        int r = sha256_digest(data, size, md);

        if (r < 0)
                return r;
        hexlify(md, sizeof(md), ret);
        return 0;
}

bool sha256_hex_is_valid(const char *s) {
        size_t i = 0;

        for (; s[i]; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return i == 64;
}
