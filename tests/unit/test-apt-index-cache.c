/* SPDX-License-Identifier: MIT */
/* The apt list digest: round trip, key checks, and damage of every kind refused before a
 * single record is handed out. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "apt-index-cache.h"
#include "cleanup.h"
#include "macro.h"

static const AptIndexRecord records[] = {
        { "bash", 4, "amd64", 5, "5.2.15-2+b8", 11, 100, 0xdeadbeef, 1234 },
        { "libc6", 5, "i386", 4, "2.36-9+deb12u9", 14, 100, 7, 0 },
        { "firefox", 7, "amd64", 5, "1:130.0~build1", 14, 30, 42, UINT64_MAX },
};

static const AptIndexKey key = { .dev = 2049, .ino = 123456, .size = 18840233, .mtime_sec = 1795000000,
                                 .mtime_nsec = 123456789, .ctime_sec = 1795000100, .ctime_nsec = 5 };

typedef struct Seen {
        AptIndexRecord r[8];
        size_t n;
} Seen;

static int collect(const AptIndexRecord *rec, void *userdata) {
        Seen *s = userdata;
        if (s->n < ELEMENTSOF(s->r))
                s->r[s->n] = *rec;
        s->n++;
        return 0;
}

static uint8_t *build(size_t n, const char *name, size_t *ret_size) {
        _cleanup_(apt_index_cache_writer_done) AptIndexCacheWriter w = {};
        const uint8_t *data;
        for (size_t i = 0; i < n; i++)
                assert_int_equal(apt_index_cache_writer_add(&w, &records[i]), 0);
        assert_int_equal(apt_index_cache_writer_finish(&w, name, &key, &data, ret_size), 0);
        uint8_t *copy = malloc(*ret_size);
        assert_non_null(copy);
        memcpy(copy, data, *ret_size);
        return copy;
}

static void test_round_trip(void **state) {
        (void) state;
        for (size_t n = 0; n <= ELEMENTSOF(records); n++) {
                size_t size;
                _cleanup_free_ uint8_t *d = build(n, "x_Packages.lz4", &size);
                Seen s = {};
                assert_int_equal(apt_index_cache_parse(d, size, "x_Packages.lz4", &key, collect, &s), 0);
                assert_int_equal(s.n, n);
                for (size_t i = 0; i < n; i++) {
                        assert_int_equal(s.r[i].name_len, records[i].name_len);
                        assert_memory_equal(s.r[i].name, records[i].name, records[i].name_len);
                        assert_memory_equal(s.r[i].arch, records[i].arch, records[i].arch_len);
                        assert_int_equal(s.r[i].version_len, records[i].version_len);
                        assert_memory_equal(s.r[i].version, records[i].version, records[i].version_len);
                        assert_int_equal(s.r[i].phased, records[i].phased);
                        assert_int_equal(s.r[i].hash, records[i].hash);
                        assert_true(s.r[i].size == records[i].size);
                }
        }
}

static void test_other_list_or_state(void **state) {
        size_t size;
        _cleanup_free_ uint8_t *d = build(3, "a_Packages", &size);
        AptIndexKey k = key;
        Seen s = {};
        (void) state;

        assert_int_equal(apt_index_cache_parse(d, size, "b_Packages", &key, collect, &s), -ESTALE);
        assert_int_equal(apt_index_cache_parse(d, size, "a_Packages.gz", &key, collect, &s), -ESTALE);
        k.mtime_nsec++;
        assert_int_equal(apt_index_cache_parse(d, size, "a_Packages", &k, collect, &s), -ESTALE);
        k = key;
        k.ino++;
        assert_int_equal(apt_index_cache_parse(d, size, "a_Packages", &k, collect, &s), -ESTALE);
        k = key;
        k.size--;
        assert_int_equal(apt_index_cache_parse(d, size, "a_Packages", &k, collect, &s), -ESTALE);
        /* Same size and mtime (a restore, `touch -r`): the ctime tells. */
        k = key;
        k.ctime_nsec++;
        assert_int_equal(apt_index_cache_parse(d, size, "a_Packages", &k, collect, &s), -ESTALE);
        k = key;
        k.ctime_sec--;
        assert_int_equal(apt_index_cache_parse(d, size, "a_Packages", &k, collect, &s), -ESTALE);
        assert_int_equal(s.n, 0);
}

static void test_damage(void **state) {
        size_t size;
        _cleanup_free_ uint8_t *d = build(3, "a_Packages", &size);
        Seen s = {};
        (void) state;

        /* Every truncation and every single-bit flip: refused (a flipped key is another
         * list), no record handed out. */
        for (size_t cut = 0; cut < size; cut++)
                assert_int_equal(apt_index_cache_parse(d, cut, NULL, NULL, collect, &s), -EBADMSG);
        for (size_t i = 0; i < size; i++)
                for (int bit = 0; bit < 8; bit++) {
                        d[i] ^= (uint8_t) (1u << bit);
                        int r = apt_index_cache_parse(d, size, "a_Packages", &key, collect, &s);
                        assert_true(r == -EBADMSG || r == -ESTALE);
                        d[i] ^= (uint8_t) (1u << bit);
                }
        assert_int_equal(s.n, 0);
        assert_int_equal(apt_index_cache_parse(d, size, "a_Packages", &key, collect, &s), 0);
        assert_int_equal(s.n, 3);
}

/* A file with a correct CRC but a record length past the end: the CRC is not a defence
 * against a crafted file, the bounds checks are. */
static void test_crafted_lengths(void **state) {
        size_t size;
        _cleanup_free_ uint8_t *d = build(1, "a", &size);
        Seen s = {};
        (void) state;

        d[APT_INDEX_CACHE_HEADER_SIZE + 1 + 14] = 200; /* arch_len of the only record */
        uint32_t crc = 0;
        memcpy(d + APT_INDEX_CACHE_OFF_CRC, &crc, 4);
        crc = (uint32_t) crc32_z(0, d, size);
        memcpy(d + APT_INDEX_CACHE_OFF_CRC, &crc, 4);
        assert_int_equal(apt_index_cache_parse(d, size, NULL, NULL, collect, &s), -EBADMSG);
        assert_int_equal(s.n, 0);
}

static void test_unusable(void **state) {
        _cleanup_(apt_index_cache_writer_done) AptIndexCacheWriter w = {};
        _cleanup_free_ char *longv = malloc(300);
        const uint8_t *data;
        size_t size;
        (void) state;

        assert_non_null(longv);
        memset(longv, '1', 300);
        AptIndexRecord r = records[0];
        r.version = longv;
        r.version_len = 300;
        assert_int_equal(apt_index_cache_writer_add(&w, &records[0]), 0);
        assert_int_equal(apt_index_cache_writer_add(&w, &r), 0);
        assert_true(w.unusable);
        assert_int_equal(apt_index_cache_writer_finish(&w, "a", &key, &data, &size), -E2BIG);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_other_list_or_state),
                cmocka_unit_test(test_damage),
                cmocka_unit_test(test_crafted_lengths),
                cmocka_unit_test(test_unusable),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
