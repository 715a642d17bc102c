/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pthread.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "hash-util.h"
#include "parse-util.h"

static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_md;

/* EVP_sha256() makes OpenSSL 3 look the implementation up again at every digest (a
 * method-store search under a lock, ~2 k instructions: an ingested report hashes four times). */
static void sha256_fetch(void) {
        sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

int sha256_digest(const void *data, size_t size, uint8_t ret[static SHA256_SIZE]) {
        unsigned n = 0;

        (void) pthread_once(&sha256_once, sha256_fetch);
        if (EVP_Digest(data, size, ret, &n, sha256_md ?: EVP_sha256(), NULL) != 1 || n != SHA256_SIZE) {
                ERR_clear_error();
                return -EIO;
        }
        return 0;
}

int sha256_digest_prefix(const void *data, size_t prefix, size_t size, uint8_t ret_prefix[static SHA256_SIZE],
                         uint8_t ret_all[static SHA256_SIZE]) {
        EVP_MD_CTX *a = EVP_MD_CTX_new(), *b = EVP_MD_CTX_new();
        unsigned n = 0, m = 0;
        int r = -EIO;

        (void) pthread_once(&sha256_once, sha256_fetch);
        if (a && b && prefix <= size && EVP_DigestInit_ex(a, sha256_md ?: EVP_sha256(), NULL) == 1 &&
            EVP_DigestUpdate(a, data, prefix) == 1 && EVP_MD_CTX_copy_ex(b, a) == 1 &&
            EVP_DigestUpdate(b, (const uint8_t *) data + prefix, size - prefix) == 1 &&
            EVP_DigestFinal_ex(a, ret_prefix, &n) == 1 && EVP_DigestFinal_ex(b, ret_all, &m) == 1 &&
            n == SHA256_SIZE && m == SHA256_SIZE)
                r = 0;
        ERR_clear_error();
        EVP_MD_CTX_free(a);
        EVP_MD_CTX_free(b);
        return r;
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
