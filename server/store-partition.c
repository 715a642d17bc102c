/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "macro.h"
#include "store-partition.h"

/* Statement ids, apart from the other store modules' ranges. */
enum {
        Q_PART_LOCK = 980,
        Q_PART_KIND,
        Q_PART_EXISTS,
        Q_PART_RANGE,
        Q_PART_DEFAULT_MIN,
        Q_PART_LIST,
        Q_PART_BODIES,
};

/* Taken by every instance before it changes the partitions: one at a time. */
static const char lock_sql[] = "SELECT pg_advisory_xact_lock(7675926457891)";
static const char kind_sql[] = "SELECT relkind FROM pg_class WHERE oid = to_regclass('reports')";
static const char exists_sql[] = "SELECT 1 WHERE to_regclass($1) IS NOT NULL";
static const char range_sql[] = "SELECT MIN(received_at), MAX(received_at) FROM reports WHERE jws <> ''";
static const char default_min_sql[] = "SELECT MIN(received_at) FROM reports_default WHERE jws <> ''";
static const char list_sql[] =
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass('reports') AND c.relname LIKE 'reports\\_p%' ORDER BY 1";
static const char bodies_sql[] =
        "SELECT 1 FROM reports WHERE jws <> '' AND received_at >= $1 AND received_at < $2 LIMIT 1";

/* The key: a pruned report (jws = '') belongs to reports_chain, whatever its age. */
#define PARTITION_KEY "(CASE WHEN jws = '' THEN 0 ELSE received_at END)"

/* The indexes store.c and store-prune.h create on the plain table, and the (device_id, seq)
 * lookup that replaces its primary key (a unique index would have to hold the key). */
#define PARTITION_INDEXES                                                                    \
        "CREATE INDEX IF NOT EXISTS reports_device_seq ON reports(device_id, seq);"          \
        "CREATE INDEX IF NOT EXISTS reports_unpruned ON reports(received_at) WHERE jws <> '';"

bool store_partitioned(Store *s) {
        return streq(s->backend->scheme, "postgres");
}

static int execf(Store *s, const char *fmt, ...) _printf_(2, 3);
static int execf(Store *s, const char *fmt, ...) {
        _cleanup_free_ char *sql = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&sql, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return s->backend->exec(s, sql);
}

/* The first second of the month of t, months later (UTC). */
static int64_t month_start(int64_t t, int months) {
        time_t tt = (time_t) t;
        struct tm tm;

        if (!gmtime_r(&tt, &tm))
                return -EINVAL;
        tm.tm_mday = 1;
        tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
        tm.tm_mon += months; /* timegm() carries into the year */
        return (int64_t) timegm(&tm);
}

static void month_name(int64_t start, char name[static 24]) {
        time_t tt = (time_t) start;
        struct tm tm;

        (void) gmtime_r(&tt, &tm);
        snprintf(name, 24, "reports_p%04u%02u", (unsigned) (tm.tm_year + 1900) % 10000u, (unsigned) (tm.tm_mon + 1) % 100u);
}

static int row_int(const char *const *c, size_t n, void *userdata) {
        int64_t *ret = userdata;

        if (n < 1)
                return -EIO;
        *ret = store_col_int(c[0]);
        if (n > 1)
                ret[1] = store_col_int(c[1]);
        return 0;
}

static int row_kind(const char *const *c, size_t n, void *userdata) {
        char *ret = userdata;

        if (n < 1 || !c[0])
                return -EIO;
        *ret = c[0][0];
        return 0;
}

/* The partition of the month of t, created when missing: the rows the default partition
 * holds for that month move into it before it is attached. */
static int month_ensure(Store *s, int64_t t) {
        int64_t a = month_start(t, 0), b = month_start(t, 1);
        char name[24];
        int r;

        if (a < 0 || b < 0)
                return -EINVAL;
        month_name(a, name);
        r = STORE_QUERY(s, Q_PART_EXISTS, exists_sql, NULL, NULL, SV_TEXT(name));
        if (r != 0)
                return MIN(r, 0);
        return execf(s,
                     "CREATE TABLE %1$s (LIKE reports INCLUDING DEFAULTS);"
                     "WITH m AS (DELETE FROM reports_default WHERE jws <> '' AND received_at >= %2$" PRId64
                     " AND received_at < %3$" PRId64 " RETURNING *) INSERT INTO %1$s SELECT * FROM m;"
                     "ALTER TABLE reports ATTACH PARTITION %1$s FOR VALUES FROM (%2$" PRId64 ") TO (%3$" PRId64 ");",
                     name, a, b);
}

static int ahead(Store *s, int64_t now) {
        for (int k = 0; k < STORE_PARTITION_AHEAD; k++) {
                int r = month_ensure(s, month_start(now, k));
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The plain table (the schema before partitions) becomes the partitioned one: its months
 * get their partitions first, so that its rows are copied once, indexes built after. */
static int convert(Store *s) {
        int64_t range[2] = {};
        int r;

        /* Writers (other instances) wait until the commit: a report they inserted after
         * the copy would go with the plain table. Readers go on. */
        r = s->backend->exec(s, "LOCK TABLE reports IN EXCLUSIVE MODE;");
        if (r >= 0)
                r = STORE_QUERY(s, Q_PART_RANGE, range_sql, row_int, range);
        if (r < 0)
                return r;
        r = s->backend->exec(s,
                             "CREATE TABLE reports_partitioned (LIKE reports INCLUDING DEFAULTS) "
                             "PARTITION BY RANGE (" PARTITION_KEY ");"
                             "CREATE TABLE reports_chain PARTITION OF reports_partitioned "
                             "FOR VALUES FROM (MINVALUE) TO (1);"
                             "CREATE TABLE reports_default PARTITION OF reports_partitioned DEFAULT;");
        for (int64_t m = range[0] > 0 ? month_start(range[0], 0) : 0; r >= 0 && m > 0 && m <= range[1];
             m = month_start(m, 1)) {
                char name[24];

                month_name(m, name);
                r = execf(s, "CREATE TABLE %s PARTITION OF reports_partitioned FOR VALUES FROM (%" PRId64 ") TO (%" PRId64 ");",
                          name, m, month_start(m, 1));
        }
        if (r < 0)
                return r;
        return s->backend->exec(s,
                                "INSERT INTO reports_partitioned SELECT * FROM reports;"
                                "DROP TABLE reports;"
                                "ALTER TABLE reports_partitioned RENAME TO reports;" PARTITION_INDEXES);
}

int store_partition_setup(Store *s, int64_t now) {
        char kind = 0;
        int r;

        if (!store_partitioned(s))
                return 0;
        r = store_begin(s);
        if (r < 0)
                return r;
        r = STORE_QUERY(s, Q_PART_LOCK, lock_sql, NULL, NULL);
        if (r >= 0)
                r = STORE_QUERY(s, Q_PART_KIND, kind_sql, row_kind, &kind);
        if (r >= 0 && kind == 'r')
                r = convert(s);
        if (r >= 0)
                r = ahead(s, now);
        if (r < 0) {
                (void) store_rollback(s);
                return r;
        }
        return store_commit(s);
}

typedef struct Names {
        char (*v)[24];
        size_t n;
} Names;

static int row_name(const char *const *c, size_t n, void *userdata) {
        Names *names = userdata;
        char (*v)[24];

        if (n < 1 || !c[0] || strlen(c[0]) != strlen("reports_pYYYYMM"))
                return 0; /* not one of ours */
        v = reallocarray(names->v, names->n + 1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        names->v = v;
        memcpy(v[names->n++], c[0], 24);
        return 0;
}

static int64_t name_start(const char *name) {
        struct tm tm = {};
        unsigned y, m;

        if (sscanf(name, "reports_p%4u%2u", &y, &m) != 2 || m < 1 || m > 12)
                return -EINVAL;
        tm.tm_year = (int) y - 1900;
        tm.tm_mon = (int) m - 1;
        tm.tm_mday = 1;
        return (int64_t) timegm(&tm);
}

/* Months wholly before `before` whose bodies are all pruned (their reports moved to
 * reports_chain): detached and dropped. */
static int drop_old(Store *s, int64_t before, unsigned *ret_dropped) {
        Names names = {};
        unsigned dropped = 0;
        int r;

        r = STORE_QUERY(s, Q_PART_LIST, list_sql, row_name, &names);
        for (size_t i = 0; r >= 0 && i < names.n; i++) {
                int64_t a = name_start(names.v[i]), b = a < 0 ? a : month_start(a, 1);

                if (a < 0 || b > before)
                        continue;
                r = STORE_QUERY(s, Q_PART_BODIES, bodies_sql, NULL, NULL, SV_INT(a), SV_INT(b));
                if (r != 0)
                        continue; /* bodies left (r > 0): the batches get to them */
                r = execf(s, "ALTER TABLE reports DETACH PARTITION %1$s; DROP TABLE %1$s;", names.v[i]);
                if (r >= 0)
                        dropped++;
        }
        free(names.v);
        *ret_dropped = dropped;
        return MIN(r, 0);
}

int store_partition_maintain(Store *s, int64_t now, int64_t reports_before, unsigned *ret_dropped) {
        unsigned dropped = 0;
        int r;

        if (!store_partitioned(s))
                goto done;
        r = STORE_QUERY(s, Q_PART_LOCK, lock_sql, NULL, NULL);
        if (r >= 0)
                r = ahead(s, now);
        /* The default partition's oldest month at a time; each pass empties one month. */
        for (unsigned pass = 0; r >= 0 && pass < 12; pass++) {
                int64_t oldest = 0;

                r = STORE_QUERY(s, Q_PART_DEFAULT_MIN, default_min_sql, row_int, &oldest);
                if (r < 0 || oldest <= 0)
                        break;
                r = month_ensure(s, oldest);
        }
        if (r >= 0 && reports_before > 0)
                r = drop_old(s, reports_before, &dropped);
        if (r < 0)
                return r;
done:
        if (ret_dropped)
                *ret_dropped = dropped;
        return 0;
}
