/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include <openssl/crypto.h>

#include "openssl-init.h"

int openssl_init_without_legacy_ciphers(void) {
        /* Marks the table's one-time setup as done: later requests for it, libssl's own at
         * SSL_CTX_new() among them, then skip it. */
        return OPENSSL_init_crypto(OPENSSL_INIT_NO_ADD_ALL_CIPHERS, NULL) == 1 ? 0 : -EIO;
}
