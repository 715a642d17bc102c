/* SPDX-License-Identifier: MIT */
#pragma once

/* The TLS session a cycle hands back to vigie-agent, which keeps it in memory and gives it
 * to the next cycle, so that the hourly connection resumes it (server.md, TLSSessions=):
 * the server skips the certificate's check and both signatures (a TPM-held key signs
 * nothing in the handshake), about half its CPU for the report. It is a secret: it never
 * reaches the disk, status.json or a log. JSON {"for": BINDING, "data": base64url(DER)},
 * BINDING the SHA-256 of the server URL, the pinned CA file's bytes and the client
 * certificate: a session is offered only to the server, under the CA and with the
 * certificate it was made for (a renewal, a re-enrollment, another Server= or CA start
 * afresh: a resumption does not verify the server's certificate again). */

#include <json-c/json.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "hash-util.h"

/* JSON text of a kept session is at most this long (its DER is bounded in tls-session.c). */
#define TLS_SESSION_JSON_MAX (128u * 1024)

/* What a session is bound to: the SHA-256 (hex) of server_url, ca_file's bytes and the
 * certificate's DER. */
int tls_session_binding(const char *server_url, const char *ca_file, const uint8_t *cert_der, size_t cert_der_size,
                        char ret[static SHA256_HEX_SIZE]);
/* A session's DER (i2d_SSL_SESSION's) without the server's certificate, as the session is
 * kept: the client does not look at it when it resumes (it was verified at the full
 * handshake), and decoding it would cost each cycle OpenSSL's key decoders (~1.4 M
 * instructions under OpenSSL 3.0). -EBADMSG when der is not one DER SEQUENCE. */
int tls_session_der_without_peer(const uint8_t *der, size_t size, uint8_t **ret, size_t *ret_size);
/* The session's JSON for `binding`, or -ENOENT when it is not resumable. */
int tls_session_encode(SSL_SESSION *session, const char *binding, json_object **ret);
/* The session of j if it was made for `binding`: -ENOENT if not, -EINVAL if j is not one. */
int tls_session_decode(json_object *j, const char *binding, SSL_SESSION **ret);
