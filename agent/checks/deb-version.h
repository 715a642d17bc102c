/* SPDX-License-Identifier: MIT */
#pragma once

/* Debian version ordering exactly as dpkg does it (lib/dpkg/version.c, deb-version(7)):
 * [epoch:]upstream[-revision]; the epoch compares as a number, upstream and revision with
 * dpkg's verrevcmp: runs of non-digits compare character by character where '~' sorts
 * before everything (even the end of the string), letters before non-letters; runs of
 * digits compare numerically. A missing revision equals "0". */

#include <stdbool.h>
#include <stddef.h>

/* <0, 0, >0 like strcmp. Never fails: malformed strings still get a total order. */
int deb_version_compare(const char *a, const char *b);
int deb_version_compare_n(const char *a, size_t a_len, const char *b, size_t b_len);
/* Whether s is a version dpkg accepts (starts with a digit, allowed characters, numeric
 * epoch). */
bool deb_version_valid(const char *s);
