/* SPDX-License-Identifier: MIT */
#pragma once

/* RFC 8259 grammar, checked before json-c builds the document. json-c's own strict mode
 * cannot be used: json-c 0.18 (Debian 13) refuses every string holding a byte ≥ 0x80 in it,
 * that is all non-ASCII text; without it json-c accepts comments, single quotes, NaN and
 * control characters in strings. UTF-8 is json-c's to validate (JSON_TOKENER_VALIDATE_UTF8). */

#include <stddef.h>

/* 0 when data is exactly one JSON value (surrounding whitespace allowed) nested at most
 * max_depth deep; else -EBADMSG with the offending byte's offset in *ret_offset and what
 * was expected in *ret_what (a static string). Input may hold NUL bytes (refused). */
int json_check_grammar(const char *data, size_t size, unsigned max_depth, size_t *ret_offset,
                       const char **ret_what);
