/* SPDX-License-Identifier: MIT */
#pragma once

/* os-release(5): ROOT/etc/os-release, else ROOT/usr/lib/os-release. */

typedef struct OsRelease {
        char *id;               /* ID, "debian" */
        char *id_like;          /* ID_LIKE, space separated */
        char *version_id;       /* VERSION_ID, "12" */
        char *version_codename; /* VERSION_CODENAME, "bookworm" */
        char *pretty_name;      /* PRETTY_NAME */
} OsRelease;

int os_release_load(int root_fd, OsRelease **ret);
/* Parses os-release text (shell-like KEY=value lines, quotes and escapes). */
int os_release_parse(const char *text, OsRelease **ret);
OsRelease *os_release_free(OsRelease *o);
static inline void os_release_freep(OsRelease **o) {
        os_release_free(*o);
}
