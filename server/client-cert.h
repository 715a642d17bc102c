/* SPDX-License-Identifier: MIT */
#pragma once

/* The client certificate a reverse proxy verified and passed on to forward-auth, in the
 * forms the proxies write it:
 *   nginx   $ssl_client_escaped_cert      URL-encoded PEM
 *   Caddy   {http.request.tls.client.certificate_der_base64}   base64 DER
 *   Traefik passTLSClientCert pem: true   base64 DER without PEM armour, URL-encoded,
 *                                         the chain comma-separated (the leaf first)
 * Outside data: bounded, parsed by OpenSSL, fuzzed (tests/fuzz/fuzz-client-cert.c). */

#include <stddef.h>

#include "hash-util.h"

#define CLIENT_CERT_HEADER_MAX (16 * 1024)

/* The SHA-256 hex of the leaf certificate's DER (what the store calls its fingerprint).
 * -EBADMSG when value holds no certificate, -E2BIG when it is too long. */
int client_cert_fingerprint(const char *value, size_t size, char ret[static SHA256_HEX_SIZE]);

/* OpenVPN's tls_digest_sha256_0 ("ab:cd:…", 32 colon-separated bytes, either case) or 64
 * plain hex digits → 64 lower-case hex digits. -EINVAL otherwise. */
int openvpn_fingerprint_parse(const char *s, char ret[static SHA256_HEX_SIZE]);
