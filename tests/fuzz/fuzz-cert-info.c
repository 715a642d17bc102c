/* SPDX-License-Identifier: MIT */
/* The agent's decoder-free readers of its own files: the device certificate's DER
 * (cert-info.c), its PEM P-256 key (pki.c) and a kept TLS session (tls-session.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "cert-info.h"
#include "jws.h"
#include "pki.h"
#include "tls-session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        CertInfo c = {};
        EVP_PKEY *key = NULL;
        uint8_t *out = NULL;
        size_t out_size;

        if (cert_info_parse(data, size, &c) == 0) {
                if (c.der_size != size || c.spki < c.der || c.spki + c.spki_size > c.der + c.der_size)
                        abort();
                cert_info_done(&c);
        }
        if (pki_p256_key_from_pem(data, size, &key) == 0) {
                if (!evp_pkey_is_p256(key))
                        abort();
                EVP_PKEY_free(key);
        }
        if (tls_session_der_without_peer(data, size, &out, &out_size) == 0) {
                if (out_size > size)
                        abort();
                free(out);
        }
        ERR_clear_error();
        return 0;
}
