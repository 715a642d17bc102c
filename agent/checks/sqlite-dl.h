/* SPDX-License-Identifier: MIT */
#pragma once

/* libsqlite3, loaded when patch_level first reads an rpm database (rpm-db.c) rather than
 * linked: it is the largest set of symbol relocations the agent paid at every start after
 * libcrypto's (1,600), and only Fedora-shaped and RHEL-shaped hosts (rpmdb.sqlite) use it.
 * Members are named as the functions. */

#include <sqlite3.h>

#define SQLITE_FN(f) __typeof__(f) *f
typedef struct SqliteApi {
        SQLITE_FN(sqlite3_open_v2);
        SQLITE_FN(sqlite3_close_v2);
        SQLITE_FN(sqlite3_busy_timeout);
        SQLITE_FN(sqlite3_prepare_v2);
        SQLITE_FN(sqlite3_step);
        SQLITE_FN(sqlite3_finalize);
        SQLITE_FN(sqlite3_column_blob);
        SQLITE_FN(sqlite3_column_bytes);
        SQLITE_FN(sqlite3_errcode);
        SQLITE_FN(sqlite3_errmsg);
} SqliteApi;
#undef SQLITE_FN

#define SQLITE_DL_SONAME "libsqlite3.so.0"
#define SQLITE_DL_INSTALL "install the package libsqlite3-0 (Debian, Ubuntu) or sqlite-libs (Fedora, RHEL)"

/* The loaded library (once per process). Returns 0, or -ELIBACC with *ret_error (when not
 * NULL) saying what could not be loaded and which package to install. */
int sqlite_api_load(const SqliteApi **ret, const char **ret_error);
