/* SPDX-License-Identifier: MIT */
#pragma once

/* gzip (RFC 1952) bodies on the wire: reports go out compressed, and the server inflates
 * what it receives with a hard cap on the inflated size, so that a small compression bomb
 * costs it no more than the cap. */

#include <stddef.h>

/* One gzip member holding data. *ret is malloc'ed. Returns 0, -ENOMEM or -EIO. */
int gzip_compress(const void *data, size_t size, char **ret, size_t *ret_size);

/* Inflates exactly one gzip member (nothing may follow it) into a malloc'ed buffer that is
 * NUL-terminated (not counted in *ret_size). Writes at most max bytes before giving up
 * (twice, when the trailer's length lies): -EFBIG if the inflated data is larger than max,
 * -EBADMSG if it is not one whole, valid gzip member, -ENOMEM. Any thread may call it:
 * each keeps a decompressor of its own, freed when it exits. */
int gzip_inflate(const void *data, size_t size, size_t max, char **ret, size_t *ret_size);
