/* SPDX-License-Identifier: MIT */
#pragma once

/* For a short-lived process that talks TLS and signs but never decrypts a PEM, PKCS#7,
 * PKCS#12 or CMS file: starts OpenSSL without its legacy table of cipher names. By default
 * OpenSSL 3 builds that table (~200 names) and copies it into the provider name map in
 * every process, ~2.5 M instructions, about a tenth of an agent cycle. TLS and EVP fetch
 * their ciphers from the providers by name and lose nothing; EVP_get_cipherbyname() then
 * finds nothing, and only those file formats use it. The digests' table stays: X.509
 * verification looks digests up in it. Call before anything else uses OpenSSL (later, it
 * changes nothing). Returns 0, or -EIO when OpenSSL cannot start. */
int openssl_init_without_legacy_ciphers(void);
