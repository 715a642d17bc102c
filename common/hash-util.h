/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHA256_SIZE 32
#define SHA256_HEX_SIZE 65 /* 64 hex digits and NUL */

/* SHA-256 of data. Returns 0 or -EIO. */
int sha256_digest(const void *data, size_t size, uint8_t ret[static SHA256_SIZE]);

/* The SHA-256 of data's first prefix bytes and of all size bytes, in one pass over them
 * (the digest state is copied at prefix). prefix ≤ size. Returns 0 or -EIO. */
int sha256_digest_prefix(const void *data, size_t prefix, size_t size, uint8_t ret_prefix[static SHA256_SIZE],
                         uint8_t ret_all[static SHA256_SIZE]);

/* Lower-case hex SHA-256 of data. Returns 0 or -EIO. */
int sha256_hex(const void *data, size_t size, char ret[static SHA256_HEX_SIZE]);
/* Whether s is exactly 64 lower-case hex digits (what sha256_hex produces). */
bool sha256_hex_is_valid(const char *s);
