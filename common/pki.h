/* SPDX-License-Identifier: MIT */
#pragma once

/* Loading TLS client credentials, for the agent's device identity and vigiectl's admin
 * certificate alike: a private key through OSSL_STORE (a file: URI, or a provider such as
 * tpm2 holding it) and a PEM certificate. */

#include <openssl/evp.h>
#include <openssl/x509.h>

/* The first private key at uri. -ENOENT when the store has none, -EINVAL when it is not
 * P-256. */
int pki_load_key(const char *uri, EVP_PKEY **ret);
/* The same, of any type (a webhook's TLS client key may be RSA). */
int pki_load_any_key(const char *uri, EVP_PKEY **ret);
/* The first PEM certificate of path (bounded read). */
int pki_load_cert(const char *path, X509 **ret);
