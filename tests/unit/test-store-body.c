/* SPDX-License-Identifier: MIT */
/* server/store-body.c: content-defined chunks, the stored form and its exact round trip,
 * over SQLite in a temporary directory; and a schema-1 database migrated on open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "cleanup.h"
#include "hash-util.h"
#include "jws.h"
#include "macro.h"
#include "store-body.h"
#include "store-fleet.h"
#include "store-prune.h"

/* key: "seq" (a pinned value, a literal of the list) or another (all in chunks) */
static char *sample_key(const char *key, unsigned seed, size_t items) {
        size_t cap = items * 96 + 64, n = 0;
        char *s = malloc(cap);
        assert_non_null(s);
        n += (size_t) snprintf(s + n, cap - n, "{\"%s\":%u,\"packages\":[", key, seed);
        for (size_t i = 0; i < items; i++)
                n += (size_t) snprintf(s + n, cap - n, "%s{\"name\":\"pkg-%04zu-%08zx\",\"v\":\"d\\u00e9j\\u00e0 ✓\"}",
                                       i ? "," : "", i, (i * 2654435761u) & 0xffffffff);
        snprintf(s + n, cap - n, "]}");
        return s;
}

static char *sample(unsigned seed, size_t items) {
        return sample_key("seq", seed, items);
}

static void test_cut(void **state) {
        _cleanup_free_ char *a = sample(1, 400), *b = NULL;
        size_t size = strlen(a), n = 0, at, same = 0;
        size_t cuts_a[512], n_a = 0;
        (void) state;

        for (at = 0; at < size; n++) {
                size_t len = store_body_cut(a + at, size - at);
                assert_true(len > 0 && len <= 16 * 1024);
                assert_true(len >= 256 || at + len == size);
                assert_true(at + len == size || ((uint8_t) a[at + len] & 0xC0) != 0x80); /* no split UTF-8 */
                at += len;
                cuts_a[n_a++] = at;
        }
        assert_int_equal(at, size);
        assert_true(n > size / 4096 && n < size / 400); /* about 1.3 KiB each */

        /* Three bytes inserted near the start: the cuts after them come back in step. */
        b = malloc(size + 4);
        assert_non_null(b);
        memcpy(b, a, 20);
        memcpy(b + 20, "abc", 3);
        memcpy(b + 23, a + 20, size - 20 + 1);
        for (at = 0; at < size + 3;) {
                at += store_body_cut(b + at, size + 3 - at);
                for (size_t i = 0; i < n_a; i++)
                        if (cuts_a[i] + 3 == at)
                                same++;
        }
        assert_true(same + 3 >= n_a);
}

/* The cut points are part of the stored form: chunks already stored are found again only
 * if the same claims are cut at the same places, release after release. */
static void test_cut_points_pinned(void **state) {
        static const size_t want[] = { 2079, 2444, 3440, 4419, 4751, 6188, 7507, 8268, 11502,
                                       11890, 13983, 14361, 16220, 16686, 17098, 18950, 21622 };
        _cleanup_free_ char *a = sample(1, 400), *flat = NULL;
        size_t size = strlen(a), at = 0, n = 0;
        (void) state;

        for (; at < size; n++) {
                at += store_body_cut(a + at, size - at);
                assert_true(n < ELEMENTSOF(want));
                assert_int_equal(at, want[n]);
        }
        assert_int_equal(n, ELEMENTSOF(want));

        /* No cut in a run of one byte: 16 KiB chunks, backed off to the start of "é". */
        flat = malloc(40000);
        assert_non_null(flat);
        memset(flat, 'a', 40000);
        memcpy(flat + 16383, "\xc3\xa9", 2);
        assert_int_equal(store_body_cut(flat, 40000), 16383);
        assert_int_equal(store_body_cut(flat + 16383, 40000 - 16383), 16384);
}

/* What a fetch finds: the chunks of one split of claims, each checked against its hash. */
typedef struct Split {
        const char *claims;
        StoreBodyChunk *chunks;
        size_t n_chunks;
        char *list;
} Split;

static int split_fetch(const char *hex, StoreBuf *b, void *userdata) {
        const Split *sp = userdata;

        for (size_t i = 0; i < sp->n_chunks; i++)
                if (streq(sp->chunks[i].hex, hex))
                        return store_buf_append(b, sp->claims + sp->chunks[i].at, sp->chunks[i].len);
        return 0; /* missing */
}

/* Splits claims, checks that the list puts them back byte for byte, and returns how many
 * literals the list has. */
static size_t split_check(const char *claims, Split *ret) {
        Split sp = { .claims = claims };
        const char *p;
        StoreBodyItem item;
        StoreBuf back;
        size_t literals = 0, chunks = 0;
        int r;

        assert_int_equal(store_body_split(claims, strlen(claims), 3, &sp.chunks, &sp.n_chunks, &sp.list), 0);
        for (size_t i = 0; i < sp.n_chunks; i++) {
                char hex[SHA256_HEX_SIZE];
                const StoreBodyChunk *c = &sp.chunks[i];

                assert_true(c->len > 0);
                assert_int_equal(sha256_hex(claims + c->at, c->len, hex), 0);
                assert_string_equal(hex, c->hex);
        }
        assert_int_equal(sp.chunks[sp.n_chunks].len, 0);
        p = sp.list + 3;
        while ((r = store_body_list_next(&p, &item)) > 0) {
                if (item.literal)
                        literals++;
                else
                        assert_memory_equal(item.text, sp.chunks[chunks++].hex, 64);
        }
        assert_int_equal(r, 0);
        assert_int_equal(chunks, sp.n_chunks);
        assert_int_equal(store_body_join(sp.list + 3, split_fetch, &sp, &back), 0);
        assert_int_equal(back.size, strlen(claims));
        assert_string_equal(back.data, claims);
        free(back.data);
        if (ret)
                *ret = sp;
        else {
                free(sp.chunks);
                free(sp.list);
        }
        return literals;
}

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* The values that change at every report go into the list as literals, only when they
 * match exactly; everything else stays in chunks, and every claims come back exact. */
static void test_pins(void **state) {
        static const struct {
                const char *claims;
                size_t literals;
        } cases[] = {
                { "{\"sub\":\"d\",\"iat\":1764756000,\"seq\":12,\"prev\":\"" HEX64 "\",\"checks\":[{\"id\":\"a\",\"duration_us\":504}]}", 4 },
                { "{\"seq\":1,\"prev\":null}", 1 },
                /* not the strict form: stays in chunks */
                { "{\"duration_us\": 5,\"duration_us\" :5,\"Duration_us\":5,\"duration_us\":-5,\"duration_us\":\"5\"}", 0 },
                { "{\"duration_us\":12345678901234567890}", 0 },                 /* 20 digits */
                { "{\"duration_us\":1234567890123456789}", 1 },                  /* 19 */
                { "{\"prev\":\"" HEX64 "0\",\"prev\":\"" HEX64 "\"}", 1 },       /* 65 hex digits; 64 */
                { "{\"prev\":\"0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\"}", 0 },
                { "{\"prev\":\"" HEX64 "}", 0 },                                  /* no closing quote */
                { "{\"prev\":\"" HEX64, 0 },                                      /* nor anything after */
                { "{\"note\":\"\\\"duration_us\\\":42\"}", 0 },                   /* an escaped key in a string */
                { "{\"note\":\"x \\\"seq\":42 y\"}", 1 },                        /* bytes that match: exact all the same */
                { "\"iat\":5", 1 },                                               /* a value at the very end */
                { "\"iat\":", 0 },
                { "{\"seq\":5\xc3\xa9}", 0 },                                     /* UTF-8 right after: no cut before it */
                { "{\"\xc3\xa9\",\"seq\":5,\"\xe2\x9c\x93\":1}", 1 },             /* UTF-8 around */
                { "{\"iat\":1\"seq\":2\"prev\":\"" HEX64 "\"\"duration_us\":3}", 4 }, /* back to back */
                { "{\"seq\":0007,\"seq\":0}", 2 },
        };
        /* bytes enough before each case (PIN_MIN_SIZE), none of them pinned */
        _cleanup_free_ char *pad = sample_key("n", 1, 100);
        (void) state;

        assert_true(strlen(pad) >= 4096);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *claims = NULL;
                size_t n;

                assert_true(asprintf(&claims, "%s%s", pad, cases[i].claims) > 0);
                n = split_check(claims, NULL);
                if (n != cases[i].literals)
                        fail_msg("case %zu: %zu literals, want %zu", i, n, cases[i].literals);
        }
        /* Short claims (a report of checks with little evidence) stay in chunks. */
        assert_int_equal(split_check(cases[0].claims, NULL), 0);
}

/* A stable laptop's next report: other iat, seq, prev and durations (of other lengths), the
 * same chunks; and past PIN_MAX values, the rest stays in chunks, still exact. */
static void test_pins_stable(void **state) {
        _cleanup_free_ char *a = NULL, *b = NULL, *many = NULL, *ev = sample_key("evidence", 7, 300);
        Split sa, sb;
        size_t at = 0;
        (void) state;

        assert_true(asprintf(&a, "{\"sub\":\"d\",\"iat\":1764756000,\"seq\":9,\"prev\":\"%s\",\"checks\":["
                             "{\"id\":\"a\",\"evidence\":%s,\"duration_us\":504},{\"id\":\"b\",\"duration_us\":7}]}",
                             HEX64, ev) > 0);
        assert_true(asprintf(&b, "{\"sub\":\"d\",\"iat\":1764759600,\"seq\":10,\"prev\":\"%s\",\"checks\":["
                             "{\"id\":\"a\",\"evidence\":%s,\"duration_us\":61234},{\"id\":\"b\",\"duration_us\":12}]}",
                             "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210", ev) > 0);
        assert_int_equal(split_check(a, &sa), 5);
        assert_int_equal(split_check(b, &sb), 5);
        assert_int_equal(sa.n_chunks, sb.n_chunks);
        for (size_t i = 0; i < sa.n_chunks; i++)
                assert_string_equal(sa.chunks[i].hex, sb.chunks[i].hex);
        free(sa.chunks), free(sa.list), free(sb.chunks), free(sb.list);

        many = malloc(700 * 20 + 1);
        assert_non_null(many);
        for (unsigned i = 0; i < 700; i++)
                at += (size_t) sprintf(many + at, "%s\"seq\":%u", i ? "," : "{", i);
        strcpy(many + at, "}");
        assert_int_equal(split_check(many, NULL), 64);
}

/* A stored list is outside data: anything but hashes and literals is refused. */
static void test_list_parse(void **state) {
        static const char *const bad[] = {
                "=", "=g", "=" HEX64 "0", HEX64 ",", "," HEX64, HEX64 ",," HEX64, "=12,", "0123",
                "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", HEX64 "0", "=1 ", "=1,=",
        };
        const char *p = HEX64 ",=ab," HEX64 ",=" HEX64;
        StoreBodyItem item;
        StoreBuf b;
        (void) state;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                const char *q = bad[i];
                int r;

                while ((r = store_body_list_next(&q, &item)) > 0)
                        ;
                if (r != -EIO)
                        fail_msg("\"%s\" parsed", bad[i]);
        }
        for (size_t i = 0; i < 4; i++) {
                assert_int_equal(store_body_list_next(&p, &item), 1);
                assert_int_equal(item.literal, i % 2 == 1);
                assert_int_equal(item.len, i == 1 ? 2 : 64);
        }
        assert_int_equal(store_body_list_next(&p, &item), 0);
        /* nothing at all, or a chunk missing: -EIO */
        assert_int_equal(store_body_join("", split_fetch, &(Split) {}, &b), -EIO);
        assert_int_equal(store_body_join("=1," HEX64, split_fetch, &(Split) {}, &b), -EIO);
        assert_int_equal(store_body_join("=1,=22", split_fetch, &(Split) {}, &b), 0);
        assert_string_equal(b.data, "122");
        free(b.data);
}

static Store *open_temp(char dir[static 64]) {
        char url[128];
        Store *s = NULL;
        snprintf(dir, 64, "/tmp/vigie-test-body.XXXXXX");
        assert_non_null(mkdtemp(dir));
        snprintf(url, sizeof(url), "sqlite:%s/t.db", dir);
        assert_int_equal(store_open(url, &s, NULL), 0);
        return s;
}

static void rm_temp(const char *dir) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
}

/* What store_report_insert() does with a body: the reads, one wait, the writes. */
static int body_put(Store *s, const char *jws, const char *claims, int64_t now, char **ret_stored) {
        _cleanup_(store_body_done) StoreBody b = {};
        int r = store_body_read(s, jws, claims, now, &b);

        if (r >= 0)
                r = store_flush(s);
        return r < 0 ? r : store_body_write(s, &b, ret_stored);
}

static void test_round_trip(void **state) {
        _cleanup_free_ char *claims = sample(2, 300), *payload = NULL, *jws = NULL, *stored = NULL,
                            *stored2 = NULL, *back = NULL, *back_claims = NULL, *lit = NULL, *lit_back = NULL;
        char dir[64];
        Store *s = open_temp(dir);
        size_t len;
        (void) state;

        assert_int_equal(base64url_encode(claims, strlen(claims), &payload, &len), 0);
        assert_true(asprintf(&jws, "eyJhbGciOiJFUzI1NiJ9.%s.c2lnbmF0dXJl", payload) > 0);
        assert_int_equal(body_put(s, jws, claims, 100, &stored), 0);
        assert_true(stored[0] == '@' && strlen(stored) < 4096);
        assert_int_equal(store_body_jws(s, stored, &back), 0);
        assert_string_equal(back, jws);
        assert_int_equal(store_body_claims(s, stored, &back_claims), 0);
        assert_string_equal(back_claims, claims);
        /* The same body again: the same stored form, no new chunk. */
        assert_int_equal(body_put(s, jws, claims, 200, &stored2), 0);
        assert_string_equal(stored2, stored);

        /* Claims that are not the payload's decoding (or no JWS shape): kept as received. */
        assert_int_equal(body_put(s, "a.b.c", "{}", 100, &lit), 0);
        assert_string_equal(lit, "a.b.c");
        assert_int_equal(store_body_jws(s, lit, &lit_back), 0);
        assert_string_equal(lit_back, "a.b.c");

        /* A stored form whose chunk is gone, or malformed: -EIO, not a crash. */
        assert_int_equal(store_body_jws(s, "@h.s.0000000000000000000000000000000000000000000000000000000000000000", &back_claims), -EIO);
        assert_int_equal(store_body_jws(s, "@h.s.xyz", &back_claims), -EIO);
        assert_int_equal(store_body_jws(s, "@nodots", &back_claims), -EIO);
        store_free(s);
        rm_temp(dir);
}

/* Every count of chunks one freshness statement reads (1 to 16, and past it): a body put
 * again within the day finds each of its chunks fresh, and writes none. */
static void test_fresh_counts(void **state) {
        bool seen[40] = {};
        char dir[64];
        Store *s = open_temp(dir);
        (void) state;

        for (size_t items = 1; items < 700; items += 3) {
                _cleanup_free_ char *claims = sample(3, items), *payload = NULL, *jws = NULL, *stored = NULL;
                _cleanup_(store_body_done) StoreBody b = {};
                size_t len;

                assert_int_equal(base64url_encode(claims, strlen(claims), &payload, &len), 0);
                assert_true(asprintf(&jws, "eyJhbGciOiJFUzI1NiJ9.%s.c2ln", payload) > 0);
                assert_int_equal(body_put(s, jws, claims, 1000, &stored), 0);
                assert_int_equal(store_body_read(s, jws, claims, 2000, &b), 0);
                assert_int_equal(store_flush(s), 0);
                assert_true(b.n_chunks >= 1);
                for (size_t i = 0; i < b.n_chunks; i++)
                        assert_true(b.chunks[i].fresh);
                if (b.n_chunks < ELEMENTSOF(seen))
                        seen[b.n_chunks] = true;
        }
        for (size_t n = 1; n <= 17; n++)
                assert_true(seen[n]);
        store_free(s);
        rm_temp(dir);
}

static char *jws_of(const char *claims) {
        _cleanup_free_ char *payload = NULL;
        char *jws = NULL;
        size_t len;

        assert_int_equal(base64url_encode(claims, strlen(claims), &payload, &len), 0);
        assert_true(asprintf(&jws, "eyJhbGciOiJFUzI1NiJ9.%s.c2ln", payload) > 0);
        return jws;
}

/* prep: store_report_prepare()'s for this very jws, or NULL. */
static void insert_prepared(Store *s, int64_t seq, const char *jws, const char *claims, int64_t at,
                            StoreReportPrep *prep) {
        char hash[SHA256_HEX_SIZE];

        assert_int_equal(sha256_hex(jws, strlen(jws), hash), 0);
        assert_int_equal(store_report_insert(s, &(StoreReport) {
                .device_id = "d", .seq = seq, .iat = at, .received_at = at, .hash = hash,
                .compliant = true, .jws = jws, .claims = claims, .cert_serial = "01", .prep = prep }), 0);
}

static void insert(Store *s, int64_t seq, const char *claims, int64_t at) {
        _cleanup_free_ char *jws = jws_of(claims);

        insert_prepared(s, seq, jws, claims, at, NULL);
}

typedef struct Seen {
        int pruned, whole;
        const char *want;
} Seen;

static int seen_report(const FleetReport *r, void *userdata) {
        Seen *seen = userdata;
        _cleanup_free_ uint8_t *payload = NULL;
        const char *dot;
        size_t n;

        if (!r->jws) {
                seen->pruned++;
                assert_int_equal(strlen(r->hash), 64);
                return 0;
        }
        /* the kept report reads back whole, its chunks all there */
        dot = strchr(r->jws, '.');
        assert_int_equal(base64url_decode(dot + 1, strcspn(dot + 1, "."), 1 << 20, &payload, &n), 0);
        assert_string_equal((const char *) payload, seen->want);
        seen->whole++;
        return 0;
}

static void test_prune(void **state) {
        _cleanup_free_ char *old = sample(3, 200), *new = sample(4, 150);
        char dir[64];
        Store *s = open_temp(dir);
        StorePruned p;
        (void) state;

        insert(s, 1, old, 100);
        insert(s, 2, new, 10 * 1000 * 1000);
        /* Nothing is older than 50: nothing goes. */
        assert_int_equal(store_prune(s, 50, 50, 100, &p), 0);
        assert_true(p.reports == 0 && p.chunks == 0 && p.history == 0);
        /* Report 1's body and the chunks only it used go, in batches of 2 chunks. */
        assert_int_equal(store_prune(s, 5 * 1000 * 1000, 0, 2, &p), 0);
        assert_int_equal(p.reports, 1);
        assert_int_equal(p.chunks, 2);
        do
                assert_int_equal(store_prune(s, 5 * 1000 * 1000, 0, 2, &p), 0);
        while (p.chunks == 2);
        assert_int_equal(p.reports, 0);
        assert_int_equal(store_prune(s, 5 * 1000 * 1000, 0, 100, &p), 0);
        assert_int_equal(p.chunks, 0);
        Seen seen = { .want = new };
        assert_int_equal(store_fleet_reports(s, "d", 0, 0, -1, 10, seen_report, &seen), 0);
        assert_true(seen.pruned == 1 && seen.whole == 1);
        store_free(s);
        rm_temp(dir);
}

static int count_rows(const char *const *c, size_t n, void *userdata) {
        (void) c, (void) n;
        ++*(int *) userdata;
        return 0;
}

static int chunk_rows(Store *s) {
        int rows = 0;

        assert_true(STORE_QUERY(s, 9999, "SELECT hash FROM report_chunks", count_rows, &rows) >= 0);
        return rows;
}

/* The chunks a transaction wrote (store-body.c): not written again by a report whose
 * reads went before (PostgreSQL's prefetch: docs/internals/store.md), but written again
 * after a unit that may have undone them was rolled back. */
static void test_chunks_written_once_per_transaction(void **state) {
        _cleanup_free_ char *claims = sample(5, 120), *jws = jws_of(claims);
        _cleanup_(store_report_prep_done) StoreReportPrep second = {}, third = {};
        char dir[64];
        Store *s = open_temp(dir);
        uint64_t before;
        int64_t wrote, again;
        int chunks;
        Seen seen = { .want = claims };
        (void) state;

        assert_int_equal(store_begin(s), 0);
        assert_int_equal(store_begin(s), 0);
        insert_prepared(s, 1, jws, claims, 100, NULL);
        assert_int_equal(store_rollback(s), 0); /* its chunks are gone with it */
        assert_int_equal(store_begin(s), 0);
        insert(s, 1, claims, 100);
        assert_int_equal(store_commit(s), 0);
        assert_int_equal(store_commit(s), 0);
        /* Two reports of the same new claims, both read before either writes. */
        _cleanup_free_ char *other = sample(6, 300), *other_jws = jws_of(other); /* new chunks past item 120 */
        assert_int_equal(store_begin(s), 0);
        assert_int_equal(store_report_prepare(s, "d", "01", other_jws, other, 200, &second), 0);
        assert_int_equal(store_report_prepare(s, "d", "01", other_jws, other, 200, &third), 0);
        chunks = chunk_rows(s);
        before = s->statements;
        insert_prepared(s, 2, other_jws, other, 200, &second);
        wrote = (int64_t) (s->statements - before);
        chunks = chunk_rows(s) - chunks;
        before = s->statements;
        insert_prepared(s, 3, other_jws, other, 200, &third);
        again = (int64_t) (s->statements - before);
        assert_int_equal(store_commit(s), 0);
        assert_true(chunks > 1);
        assert_int_equal(wrote - again, chunks); /* the third wrote none of them */
        /* report 1, written again after the rollback, reads back whole */
        assert_int_equal(store_fleet_reports(s, "d", 0, 0, 0, 1, seen_report, &seen), 0);
        assert_int_equal(seen.whole, 1);
        store_free(s);
        rm_temp(dir);
}

static void test_migrate_v1(void **state) {
        char dir[64], path[128], url[160];
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;
        Store *s = NULL;
        (void) state;

        snprintf(dir, sizeof(dir), "/tmp/vigie-test-body.XXXXXX");
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/v1.db", dir);
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db,
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                "INSERT INTO meta VALUES ('schema_version', '1');"
                "CREATE TABLE reports (device_id TEXT NOT NULL, seq BIGINT NOT NULL, iat BIGINT NOT NULL,"
                "  received_at BIGINT NOT NULL, hash TEXT NOT NULL, prev TEXT,"
                "  gap BIGINT NOT NULL DEFAULT 0, compliant INTEGER NOT NULL,"
                "  cert_serial TEXT NOT NULL, jws TEXT NOT NULL, claims TEXT NOT NULL,"
                "  PRIMARY KEY (device_id, seq));"
                "INSERT INTO reports VALUES ('d', 1, 1, 1, 'h', NULL, 0, 1, '01', 'a.e30.c', '{}');",
                NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);

        snprintf(url, sizeof(url), "sqlite:%s", path);
        assert_int_equal(store_open(url, &s, NULL), 0);
        store_free(s);
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT value FROM meta WHERE key = 'schema_version'),"
                                                " (SELECT count(*) FROM pragma_table_info('reports') WHERE name = 'claims'),"
                                                " (SELECT jws FROM reports)", -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_string_equal((const char *) sqlite3_column_text(st, 0), "3"); /* then 2 -> 3 (store-identity.c) */
        assert_int_equal(sqlite3_column_int(st, 1), 0);
        assert_string_equal((const char *) sqlite3_column_text(st, 2), "a.e30.c");
        sqlite3_finalize(st);
        sqlite3_close(db);
        rm_temp(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cut),
                cmocka_unit_test(test_cut_points_pinned),
                cmocka_unit_test(test_pins),
                cmocka_unit_test(test_pins_stable),
                cmocka_unit_test(test_list_parse),
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_fresh_counts),
                cmocka_unit_test(test_prune),
                cmocka_unit_test(test_chunks_written_once_per_transaction),
                cmocka_unit_test(test_migrate_v1),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
