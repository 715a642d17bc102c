/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "cleanup.h"
#include "jws.h"
#include "parse-util.h"
#include "tokens.h"

int token_generate(char **ret_token, char ret_hash[static SHA256_HEX_SIZE]) {
        unsigned char raw[24];
        _cleanup_free_ char *b64 = NULL;
        char *token;
        int r;

        if (RAND_bytes(raw, sizeof(raw)) != 1)
                return -EIO;
        r = base64url_encode(raw, sizeof(raw), &b64, NULL);
        OPENSSL_cleanse(raw, sizeof(raw));
        if (r < 0)
                return r;
        if (asprintf(&token, TOKEN_PREFIX "%s", b64) < 0)
                return -ENOMEM;
        explicit_bzero(b64, strlen(b64));
        r = token_hash(token, ret_hash);
        if (r < 0) {
                free(token);
                return r;
        }
        *ret_token = token;
        return 0;
}

int token_hash(const char *token, char ret_hash[static SHA256_HEX_SIZE]) {
        size_t n = strlen(token);
        if (n == 0 || n > TOKEN_MAX || string_has_cc(token))
                return -EINVAL;
        return sha256_hex(token, n, ret_hash);
}
