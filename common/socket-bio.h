/* SPDX-License-Identifier: MIT */
#pragma once

/* An OpenSSL BIO over a non-blocking stream socket that writes with send(MSG_NOSIGNAL):
 * a peer that closes while we write is EPIPE for the caller, never a SIGPIPE that would
 * kill the process (BIO_s_socket() uses write(), and a library must not change the
 * process's signal dispositions). The BIO does not own the fd. */

#include <openssl/bio.h>

BIO *socket_bio_new(int fd);
