/* SPDX-License-Identifier: MIT */
#pragma once

/* Strict number, boolean and duration parsers: junk, overflow and empty input are -EINVAL
 * or -ERANGE, never a silent 0. */

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

int parse_int64(const char *s, int64_t *ret);
int parse_uint64(const char *s, uint64_t *ret);
int parse_int_range(const char *s, int min, int max, int *ret);
int parse_boolean(const char *s, bool *ret);
/* "90", "90s", "15min", "6h", "7d", "2w", also combined "1h30min"; bare numbers are seconds. */
int parse_duration(const char *s, usec_t *ret);
/* Size with optional K/M/G suffix (powers of 1024). */
int parse_size(const char *s, uint64_t *ret);

/* v in decimal as "%" PRId64 writes it, without printf's machinery (SQL parameters, by the
 * dozen per report); ret must hold INT64_TEXT_MAX. Returns the length. */
#define INT64_TEXT_MAX 21
size_t format_int64(int64_t v, char *ret);

/* strv helpers (NULL-terminated string arrays). */
size_t strv_length(char *const *l);
int strv_push(char ***l, char *value);       /* takes ownership of value */
int strv_extend(char ***l, const char *value); /* copies value */
bool strv_contains(char *const *l, const char *s);
char **strv_copy(char *const *l);
char **strv_free(char **l);
char *strv_join(char *const *l, const char *sep);

bool string_has_cc(const char *s);
/* Lower-case hex of len bytes; ret must hold 2*len+1. */
void hexlify(const uint8_t *data, size_t len, char *ret);
/* The value of one hex digit (either case), or -EINVAL. */
int unhexchar(char c);

/* Where employees contact IT, from a site's configuration and shown to them as a button:
 * an https:// or mailto: URL of printable ASCII without spaces, quotes or angle brackets,
 * at most 512 bytes. */
#define CONTACT_URL_MAX 512
bool contact_url_is_valid(const char *s);
/* local@domain: letters, digits and ._%+- before, letters, digits, - and . (with a dot)
 * after; at most 254 bytes. */
bool email_address_is_valid(const char *s);
