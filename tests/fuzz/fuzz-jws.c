/* SPDX-License-Identifier: MIT */
/* JWS compact parser and ES256 verifier: strict and interop header modes, verification
 * against the P-256 key of RFC 7515 A.3 (the seeds are signed with it). */
#include <stdint.h>
#include <stdlib.h>

#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "cleanup.h"
#include "jws.h"
#include "report.h"

static EVP_PKEY *rfc_key(void) {
        /* 0x04 ‖ x ‖ y of RFC 7515 A.3.1 */
        static const uint8_t point[65] = {
                0x04, 0x7f, 0xcd, 0xce, 0x27, 0x70, 0xf6, 0xc4, 0x5d, 0x41, 0x83, 0xcb, 0xee,
                0x6f, 0xdb, 0x4b, 0x7b, 0x58, 0x07, 0x33, 0x35, 0x7b, 0xe9, 0xef, 0x13, 0xba,
                0xcf, 0x6e, 0x3c, 0x7b, 0xd1, 0x54, 0x45, 0xc7, 0xf1, 0x44, 0xcd, 0x1b, 0xbd,
                0x9b, 0x7e, 0x87, 0x2c, 0xdf, 0xed, 0xb9, 0xee, 0xb9, 0xf4, 0xb3, 0x69, 0x5d,
                0x6e, 0xa9, 0x0b, 0x24, 0xad, 0x8a, 0x46, 0x23, 0x28, 0x85, 0x88, 0xe5, 0xad,
        };
        static EVP_PKEY *key;
        OSSL_PARAM params[] = {
                OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *) "P-256", 0),
                OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *) point, sizeof point),
                OSSL_PARAM_END,
        };

        if (!key) {
                EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
                if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
                    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
                        abort();
                EVP_PKEY_CTX_free(ctx);
        }
        return key;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        for (int flags = 0; flags <= JWS_PARSE_ANY_HEADER; flags++) {
                _cleanup_(jws_freep) Jws *jws = NULL;
                _cleanup_free_ char *err = NULL, *verr = NULL;

                if (jws_parse_full((const char *) data, size, (JwsParseFlags) flags, &jws, &err) < 0) {
                        if (!err)
                                abort(); /* every refusal says why */
                        continue;
                }
                if (jws_verify(jws, rfc_key(), &verr) < 0 && !verr)
                        abort();
        }
        return 0;
}
