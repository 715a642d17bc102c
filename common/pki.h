/* SPDX-License-Identifier: MIT */
#pragma once

/* Loading TLS client credentials, for the agent's device identity and vigiectl's admin
 * certificate alike: a private key through OSSL_STORE (a file: URI, or a provider such as
 * tpm2 holding it) and a PEM certificate. */

#include <openssl/evp.h>
#include <openssl/x509.h>

/* The first private key at uri. -ENOENT when the store has none, -EINVAL when it is not
 * P-256. A file: URI holding a PEM EC key is decoded by that format's decoder alone (a
 * fifth of OSSL_STORE's cost under OpenSSL 3.0); anything else goes through OSSL_STORE. */
int pki_load_key(const char *uri, EVP_PKEY **ret);
/* The same, of any type (a webhook's TLS client key may be RSA). */
int pki_load_any_key(const char *uri, EVP_PKEY **ret);
/* The first PEM certificate of path (bounded read). */
int pki_load_cert(const char *path, X509 **ret);
