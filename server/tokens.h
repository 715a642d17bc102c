/* SPDX-License-Identifier: MIT */
#pragma once

/* Enrollment tokens: "vgt_" and 32 base64url characters (192 random bits). The server
 * keeps only their SHA-256, so a copy of the database enrolls nothing. */

#include "hash-util.h"

#define TOKEN_PREFIX "vgt_"
#define TOKEN_MAX 128

int token_generate(char **ret_token, char ret_hash[static SHA256_HEX_SIZE]);
/* -EINVAL for a string that cannot be a token (empty, too long, control characters). */
int token_hash(const char *token, char ret_hash[static SHA256_HEX_SIZE]);
