/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include <openssl/evp.h>

#include "hash-util.h"
#include "parse-util.h"

int sha256_hex(const void *data, size_t size, char ret[static SHA256_HEX_SIZE]) {
        uint8_t md[32];
        unsigned n = 0;

        if (EVP_Digest(data, size, md, &n, EVP_sha256(), NULL) != 1 || n != sizeof(md))
                return -EIO;
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
