/* SPDX-License-Identifier: MIT */
#pragma once

/* Loading TLS client credentials, for the agent's device identity and vigiectl's admin
 * certificate alike: a private key through OSSL_STORE (a file: URI, or a provider such as
 * tpm2 holding it) and a PEM certificate. */

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* The first private key at uri. -ENOENT when the store has none, -EINVAL when it is not
 * P-256. A file: URI holding a PEM P-256 key is read by pki_p256_key_from_pem(); anything
 * else goes through OSSL_STORE. */
int pki_load_key(const char *uri, EVP_PKEY **ret);
/* The same, of any type (a webhook's TLS client key may be RSA). */
int pki_load_any_key(const char *uri, EVP_PKEY **ret);
/* The unencrypted PEM P-256 keys written by `vigie enroll` (PKCS#8 "PRIVATE KEY") or by
 * `openssl ec` ("EC PRIVATE KEY", naming its curve), with their public point, read here and
 * imported with EVP_PKEY_fromdata: OpenSSL 3.0's decoders would first build every key
 * decoder of every provider (~1 M instructions at each agent cycle; OSSL_STORE ~5 M).
 * -ENOENT for any other form (DER, encrypted, another curve or type, a TPM key), which
 * OSSL_STORE reads. */
int pki_p256_key_from_pem(const void *pem, size_t size, EVP_PKEY **ret);
/* The first PEM certificate of path (bounded read). -EBADMSG when it holds none. */
int pki_load_cert(const char *path, X509 **ret);
/* The same, as DER (OPENSSL_free it), not decoded. */
int pki_load_cert_der(const char *path, unsigned char **ret, size_t *ret_size);
