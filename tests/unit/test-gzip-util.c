/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "cleanup.h"
#include "gzip-util.h"
#include "macro.h"

static void test_round_trip(void **state) {
        static const char text[] = "eyJhbGciOiJFUzI1NiJ9.eyJzZXEiOjF9.c2lnbmF0dXJl";
        _cleanup_free_ char *gz = NULL, *back = NULL, *empty = NULL, *e = NULL;
        size_t gz_size, n;
        (void) state;

        assert_int_equal(gzip_compress(text, strlen(text), &gz, &gz_size), 0);
        assert_true(gz_size > 18 && (uint8_t) gz[0] == 0x1f && (uint8_t) gz[1] == 0x8b);
        assert_int_equal(gzip_inflate(gz, gz_size, 1024, &back, &n), 0);
        assert_int_equal(n, strlen(text));
        assert_string_equal(back, text); /* NUL-terminated */

        assert_int_equal(gzip_compress("", 0, &empty, &gz_size), 0);
        assert_int_equal(gzip_inflate(empty, gz_size, 0, &e, &n), 0);
        assert_int_equal(n, 0);
}

static void test_cap(void **state) {
        size_t big = 1 << 20, gz_size, n = 7;
        _cleanup_free_ char *data = malloc(big), *gz = NULL, *out = NULL;
        (void) state;

        assert_non_null(data);
        memset(data, 'a', big);
        assert_int_equal(gzip_compress(data, big, &gz, &gz_size), 0);
        assert_true(gz_size < 4096); /* a bomb: tiny on the wire */
        assert_int_equal(gzip_inflate(gz, gz_size, big - 1, &out, &n), -EFBIG);
        assert_null(out);
        assert_int_equal(n, 7); /* outputs untouched on failure */
        assert_int_equal(gzip_inflate(gz, gz_size, big, &out, &n), 0);
        assert_int_equal(n, big);
        assert_memory_equal(out, data, big);
}

static void test_malformed(void **state) {
        _cleanup_free_ char *gz = NULL, *bad = NULL;
        char *out = NULL;
        size_t gz_size, n;
        (void) state;

        assert_int_equal(gzip_compress("hello, world", 12, &gz, &gz_size), 0);
        assert_int_equal(gzip_inflate(gz, gz_size - 1, 100, &out, &n), -EBADMSG); /* truncated */
        assert_int_equal(gzip_inflate(gz, 0, 100, &out, &n), -EBADMSG);
        assert_int_equal(gzip_inflate("hello", 5, 100, &out, &n), -EBADMSG);
        bad = malloc(gz_size + 1);
        assert_non_null(bad);
        memcpy(bad, gz, gz_size);
        bad[gz_size] = 'x';
        assert_int_equal(gzip_inflate(bad, gz_size + 1, 100, &out, &n), -EBADMSG); /* trailing byte */
        bad[gz_size - 3] ^= 0x40; /* the length in the trailer */
        assert_int_equal(gzip_inflate(bad, gz_size, 100, &out, &n), -EBADMSG);
        assert_null(out);
}

/* The first buffer is sized from the trailer's ISIZE: a lying one changes nothing but
 * that buffer's size (zlib still checks the length), and an exact one fills it. */
static void test_trailer_is_a_hint(void **state) {
        static const char text[] = "{\"seq\":1,\"checks\":[]}";
        _cleanup_free_ char *gz = NULL, *out = NULL;
        char *none = NULL;
        size_t gz_size, n;
        (void) state;

        assert_int_equal(gzip_compress(text, strlen(text), &gz, &gz_size), 0);
        assert_int_equal(gzip_inflate(gz, gz_size, strlen(text), &out, &n), 0); /* max == size */
        assert_int_equal(n, strlen(text));
        assert_string_equal(out, text);
        for (unsigned claim = 0; claim < 3; claim++) {
                static const uint32_t isize[] = { 1000, 1, UINT32_MAX };
                for (int i = 0; i < 4; i++)
                        gz[gz_size - 4 + i] = (char) (isize[claim] >> (8 * i));
                assert_int_equal(gzip_inflate(gz, gz_size, 1 << 20, &none, &n), -EBADMSG);
                assert_null(none);
        }
}

/* A bomb whose trailer claims 1 byte: the first buffer is that small, and the answer is
 * still "too large" (413), not "corrupt" (400), as with zlib's single pass. */
static void test_lying_bomb(void **state) {
        size_t big = 1 << 16, gz_size, n;
        _cleanup_free_ char *data = malloc(big), *gz = NULL;
        char *out = NULL;
        (void) state;

        assert_non_null(data);
        memset(data, '{', big);
        assert_int_equal(gzip_compress(data, big, &gz, &gz_size), 0);
        memcpy(gz + gz_size - 4, "\1\0\0\0", 4);
        assert_int_equal(gzip_inflate(gz, gz_size, big / 2, &out, &n), -EFBIG);
        assert_int_equal(gzip_inflate(gz, gz_size, big, &out, &n), -EBADMSG); /* fits: the length lies */
        assert_null(out);
}

/* gz with the header flags flg, a file name and the header's CRC-16 (RFC 1952's FHCRC,
 * taken from zlib here), the first crc_flip bits of that CRC flipped. */
static size_t with_header_crc(const char *gz, size_t gz_size, uint16_t crc_flip, char *ret) {
        static const char name[] = "report.json";
        size_t at = 10;
        uint16_t crc;

        memcpy(ret, gz, at);
        ret[3] = 0x02 | 0x08; /* FHCRC, FNAME */
        memcpy(ret + at, name, sizeof(name));
        at += sizeof(name);
        crc = (uint16_t) (crc32(0, (const Bytef *) ret, (uInt) at) ^ crc_flip);
        ret[at++] = (char) (crc & 0xff);
        ret[at++] = (char) (crc >> 8);
        memcpy(ret + at, gz + 10, gz_size - 10);
        return at + gz_size - 10;
}

/* zlib checked the header's own CRC when a body has one; libdeflate skips it, so
 * gzip_inflate() checks it: a wrong one is still a corrupt body. */
static void test_header_crc(void **state) {
        static const char text[] = "{\"seq\":2}";
        _cleanup_free_ char *gz = NULL, *out = NULL;
        char with[128], *none = NULL;
        size_t gz_size, n, size;
        (void) state;

        assert_int_equal(gzip_compress(text, strlen(text), &gz, &gz_size), 0);
        assert_true(gz_size + 32 < sizeof(with));
        size = with_header_crc(gz, gz_size, 0, with);
        assert_int_equal(gzip_inflate(with, size, 100, &out, &n), 0);
        assert_string_equal(out, text);
        size = with_header_crc(gz, gz_size, 1, with);
        assert_int_equal(gzip_inflate(with, size, 100, &none, &n), -EBADMSG);
        assert_null(none);
}

/* Two gzip members back to back (what `cat a.gz b.gz` makes) are refused, as before. */
static void test_concatenated(void **state) {
        _cleanup_free_ char *a = NULL, *b = NULL, *both = NULL;
        char *out = NULL;
        size_t a_size, b_size, n;
        (void) state;

        assert_int_equal(gzip_compress("[\"a\"", 4, &a, &a_size), 0);
        assert_int_equal(gzip_compress("]", 1, &b, &b_size), 0);
        both = malloc(a_size + b_size);
        assert_non_null(both);
        memcpy(both, a, a_size);
        memcpy(both + a_size, b, b_size);
        assert_int_equal(gzip_inflate(both, a_size + b_size, 100, &out, &n), -EBADMSG);
        assert_null(out);
}

/* Bodies of each kind of deflate block: fixed Huffman codes (a short text), dynamic ones (a
 * longer one), stored (level 0). */
typedef struct Body {
        char text[2048];
        size_t size;
        char *gz;
        size_t gz_size;
} Body;

static void body_make(Body *b, unsigned seed, int level) {
        z_stream z = {};
        static const char alphabet[] = "{}\":,seqchkpas 0123456789";
        uint32_t x = seed * 2654435761u + 1;

        b->size = 40 + seed % 3 * 700;
        for (size_t i = 0; i < b->size; i++) {
                x = x * 1103515245u + 12345;
                b->text[i] = alphabet[(x >> 16) % (sizeof(alphabet) - 1)];
        }
        b->text[b->size] = 0;
        assert_int_equal(deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
        b->gz_size = deflateBound(&z, b->size);
        b->gz = malloc(b->gz_size);
        assert_non_null(b->gz);
        z.next_in = (Bytef *) b->text;
        z.avail_in = (uInt) b->size;
        z.next_out = (Bytef *) b->gz;
        z.avail_out = (uInt) b->gz_size;
        assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
        b->gz_size = z.total_out;
        deflateEnd(&z);
}

#define N_BODIES 9

static Body bodies[N_BODIES];
static pthread_barrier_t start_line;

/* Each body in turn, a corrupt one (a flipped bit in its middle, as a dynamic block's
 * tables are being read) before every other: each inflates exactly. */
static void *inflate_all(void *arg) {
        unsigned start = (unsigned) (uintptr_t) arg;
        char corrupt[4096];

        if (start > 0)
                (void) pthread_barrier_wait(&start_line); /* together, to overlap */
        for (unsigned round = 0; round < 2000; round++) {
                const Body *b = &bodies[(start + round) % N_BODIES];
                _cleanup_free_ char *out = NULL;
                char *none = NULL;
                size_t n = 0;

                if (round % 2) {
                        memcpy(corrupt, b->gz, b->gz_size);
                        corrupt[b->gz_size / 2] ^= (char) (1 << round % 8);
                        if (gzip_inflate(corrupt, b->gz_size, 4096, &none, &n) == 0)
                                free(none); /* a flip can leave valid data: then CRC-32 tells */
                }
                if (gzip_inflate(b->gz, b->gz_size, 4096, &out, &n) != 0 || n != b->size ||
                    memcmp(out, b->text, n + 1) != 0)
                        return (void *) 1;
        }
        return NULL;
}

/* gzip_inflate() keeps one decompressor per thread: bodies of every kind after one
 * another and after corrupt ones, on several threads at once, each get their bytes. */
static void test_decompressor_kept(void **state) {
        pthread_t threads[4];
        void *failed;
        (void) state;

        for (unsigned i = 0; i < N_BODIES; i++)
                body_make(&bodies[i], i, (int) (i / 3) * 3); /* each size at levels 0, 3, 6 */
        assert_null(inflate_all((void *) 0));
        assert_int_equal(pthread_barrier_init(&start_line, NULL, ELEMENTSOF(threads)), 0);
        for (uintptr_t i = 0; i < ELEMENTSOF(threads); i++)
                assert_int_equal(pthread_create(&threads[i], NULL, inflate_all, (void *) (i + 1)), 0);
        for (size_t i = 0; i < ELEMENTSOF(threads); i++) {
                assert_int_equal(pthread_join(threads[i], &failed), 0);
                assert_null(failed);
        }
        pthread_barrier_destroy(&start_line);
        for (unsigned i = 0; i < N_BODIES; i++)
                free(bodies[i].gz);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_cap),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_trailer_is_a_hint),
                cmocka_unit_test(test_lying_bomb),
                cmocka_unit_test(test_header_crc),
                cmocka_unit_test(test_concatenated),
                cmocka_unit_test(test_decompressor_kept),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
