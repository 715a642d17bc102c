/* SPDX-License-Identifier: MIT */
/* The client certificate a reverse proxy passes to forward-auth (X-Client-Cert or
 * X-Forwarded-Tls-Client-Cert): URL-encoded PEM, base64 DER, a comma-separated chain; and
 * OpenVPN's tls_digest_sha256_0 for vigie-gate. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "client-cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char fp[SHA256_HEX_SIZE];

        if (client_cert_fingerprint((const char *) data, size, fp) >= 0 && !sha256_hex_is_valid(fp))
                abort();
        ERR_clear_error();
        if (size < 256) { /* OpenVPN's fingerprint variable */
                char s[256];
                memcpy(s, data, size);
                s[size] = 0;
                if (openvpn_fingerprint_parse(s, fp) >= 0 && !sha256_hex_is_valid(fp))
                        abort();
        }
        return 0;
}
