/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "error-util.h"
#include "fs-util.h"
#include "macro.h"
#include "rpm-bdb.h"
#include "rpm-db.h"
#include "sqlite-dl.h"

/* libsqlite3, loaded by read_db() before any database is opened (sqlite-dl.h). */
static const SqliteApi *sq;

static void sqlite3_closep(sqlite3 **db) {
        if (*db)
                sq->sqlite3_close_v2(*db);
}

static void sqlite3_finalizep(sqlite3_stmt **st) {
        if (*st)
                sq->sqlite3_finalize(*st);
}

/* Through the directory's fd: the database stays inside the root, and sqlite finds its
 * -wal and -shm files beside it. Read-only: rpm may be writing. Where the directory is
 * read-only (ProtectSystem=strict) and sqlite cannot set up its shared memory, the file is
 * read as immutable: what rpm checkpointed, which is everything once rpm has exited. */
static int open_db(int dir_fd, bool immutable, sqlite3 **db, sqlite3_stmt **st) {
        char path[96];

        snprintf(path, sizeof(path), "file:/proc/self/fd/%d/rpmdb.sqlite%s", dir_fd, immutable ? "?immutable=1" : "");
        if (sq->sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) != SQLITE_OK ||
            sq->sqlite3_busy_timeout(*db, 2000) != SQLITE_OK)
                return -EBADMSG;
        return sq->sqlite3_prepare_v2(*db, "SELECT blob FROM Packages", -1, st, NULL) == SQLITE_OK ? 0 : -EBADMSG;
}

static int read_db(int dir_fd, const char *dir, RpmDbFunc cb, void *userdata, char **ret_error) {
        _cleanup_(sqlite3_closep) sqlite3 *db = NULL;
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        const char *err;
        int k;

        if (sqlite_api_load(&sq, &err) < 0)
                return error_set(ret_error, -ELIBACC, "cannot read \"%s/rpmdb.sqlite\": %s", dir, err);
        if (open_db(dir_fd, false, &db, &st) < 0) {
                int code = db ? sq->sqlite3_errcode(db) & 0xff : SQLITE_NOMEM;
                if (code == SQLITE_READONLY || code == SQLITE_CANTOPEN) {
                        sq->sqlite3_finalize(TAKE_PTR(st));
                        sq->sqlite3_close_v2(TAKE_PTR(db));
                        (void) open_db(dir_fd, true, &db, &st);
                }
        }
        if (!st)
                return error_set(ret_error, -EBADMSG, "cannot read \"%s/rpmdb.sqlite\": %s", dir,
                                 db ? sq->sqlite3_errmsg(db) : "out of memory");
        while ((k = sq->sqlite3_step(st)) == SQLITE_ROW) {
                const void *blob = sq->sqlite3_column_blob(st, 0);
                int size = sq->sqlite3_column_bytes(st, 0);
                RpmHeaderInfo h;

                if (!blob || size <= 0 || rpm_header_parse(blob, (size_t) size, &h) < 0)
                        return error_set(ret_error, -EBADMSG, "\"%s/rpmdb.sqlite\" holds a damaged package header", dir);
                k = cb(&h, userdata);
                if (k < 0)
                        return k;
        }
        if (k != SQLITE_DONE)
                return error_set(ret_error, -EBADMSG, "cannot read \"%s/rpmdb.sqlite\": %s", dir, sq->sqlite3_errmsg(db));
        return 0;
}

typedef struct BdbRead {
        RpmDbFunc cb;
        void *userdata;
} BdbRead;

static int on_bdb_record(uint32_t hdrnum, const uint8_t *value, size_t size, void *userdata) {
        BdbRead *r = userdata;
        RpmHeaderInfo h;

        (void) hdrnum;
        if (rpm_header_parse(value, size, &h) < 0)
                return -EBADMSG;
        return r->cb(&h, r->userdata);
}

/* RHEL 8: BerkeleyDB, read as rpm's bdb_ro backend reads it (rpm-bdb.h). */
static int read_bdb(int dir_fd, const char *dir, RpmDbFunc cb, void *userdata, char **ret_error) {
        _cleanup_close_ int fd = openat(dir_fd, "Packages", O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        BdbRead r = { cb, userdata };

        if (fd < 0)
                return error_set(ret_error, -errno, "cannot open \"%s/Packages\": %m", dir);
        int k = rpm_bdb_foreach(fd, NULL, 0, on_bdb_record, &r);
        if (k == -EBADMSG || k == -EPROTONOSUPPORT)
                return error_set(ret_error, -EBADMSG, "\"%s/Packages\" is not a BerkeleyDB hash database rpm can read, or is damaged",
                                 dir);
        if (k < 0 && k != -ENOMEM && k != -E2BIG)
                return error_set(ret_error, k, "cannot read \"%s/Packages\": %s", dir, strerror(-k));
        return k;
}

int rpm_db_foreach(int root_fd, RpmDbFunc cb, void *userdata, char **ret_error) {
        static const char *const dirs[] = RPMDB_DIRS;

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_close_ int dfd = root_openat(root_fd, dirs[i], O_RDONLY | O_DIRECTORY);
                if (dfd < 0)
                        continue;
                if (faccessat(dfd, "rpmdb.sqlite", F_OK, 0) >= 0)
                        return read_db(dfd, dirs[i], cb, userdata, ret_error);
                if (faccessat(dfd, "Packages", F_OK, 0) >= 0)
                        return read_bdb(dfd, dirs[i], cb, userdata, ret_error);
        }
        return error_set(ret_error, -ENOENT, "no rpm database (%s/rpmdb.sqlite) found", dirs[0]);
}
