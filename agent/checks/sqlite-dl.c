/* SPDX-License-Identifier: MIT */
#include <stddef.h>

#include "dl-util.h"
#include "macro.h"
#include "sqlite-dl.h"

#define SYM(f) { #f, offsetof(SqliteApi, f) }

static SqliteApi api;
static DlOnce once;

int sqlite_api_load(const SqliteApi **ret, const char **ret_error) {
        static const DlSymbol table[] = {
                SYM(sqlite3_open_v2), SYM(sqlite3_close_v2), SYM(sqlite3_busy_timeout), SYM(sqlite3_prepare_v2),
                SYM(sqlite3_step), SYM(sqlite3_finalize), SYM(sqlite3_column_blob), SYM(sqlite3_column_bytes),
                SYM(sqlite3_errcode), SYM(sqlite3_errmsg),
        };
        static const DlLibrary lib = { SQLITE_DL_SONAME, table, ELEMENTSOF(table) };

        /* The checks run one after another in one thread. */
        int r = dl_load_once(&once, &lib, 1, &api, SQLITE_DL_INSTALL, ret_error);
        if (r < 0)
                return r;
        *ret = &api;
        return 0;
}
