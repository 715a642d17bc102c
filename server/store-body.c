/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "cleanup.h"
#include "hash-util.h"
#include "jws.h"
#include "macro.h"
#include "store-body.h"

/* Chunks of 256 B to 16 KiB, about 1.3 KiB on average: small enough that a changed
 * duration_us costs little, large enough that the list of hashes stays short. */
#define CHUNK_MIN 256
#define CHUNK_MAX (16 * 1024)
/* The top bits: with h = (h << 1) + gear[byte], they depend on the last 64 bytes, the low
 * ones only on the last few, which repeat all over a JSON list of similar items. */
#define CHUNK_MASK (((UINT64_C(1) << 10) - 1) << 54)

/* Statement ids, apart from store.c's and store-fleet.c's ranges; the freshness of n
 * chunks (n ≤ CHUNK_FRESH_ROWS) is statement Q_BODY_CHUNK_FRESH + n - 1. */
#define CHUNK_FRESH_ROWS 16
enum {
        Q_BODY_CHUNK_PUT = 850,
        Q_BODY_CHUNK_GET,
        Q_BODY_CHUNK_FRESH,
        Q_BODY_CHUNK_FRESH_LAST = Q_BODY_CHUNK_FRESH + CHUNK_FRESH_ROWS - 1,
};

/* A chunk stored and refreshed within the day is left alone: a plain read, no row lock.
 * (An upsert locks the row even when its WHERE skips the update, and chunks are shared
 * between devices: instances on one PostgreSQL would wait on each other, or deadlock.) */
static const char chunk_fresh_sql[] = "SELECT hash FROM report_chunks WHERE used_at >= $1 AND hash IN (";
/* SQLite builds an ephemeral index of an IN list at every execution (a b-tree opened,
 * filled and freed: as much as the report's INSERT): there, one point lookup per chunk,
 * glued by UNION ALL. */
static const char chunk_fresh_one_head[] = "SELECT hash FROM report_chunks WHERE hash = $";
static const char chunk_fresh_one_tail[] = " AND used_at >= $1";
static const char chunk_fresh_union[] = " UNION ALL ";
/* The IN list of n chunks is the first n items of this one (no text built per report). */
static const char chunk_fresh_list[] =
        "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17";
_Static_assert(sizeof(chunk_fresh_list) - 1 == 2 * CHUNK_FRESH_ROWS + (CHUNK_FRESH_ROWS - 8) + 2 * (CHUNK_FRESH_ROWS - 1),
               "chunk_fresh_list names $2 to $(CHUNK_FRESH_ROWS + 1)");

static size_t chunk_fresh_list_len(size_t n) {
        /* "$2".."$9": 2 characters, "$10".."$17": 3, ", " between them */
        return 2 * n + (n > 8 ? n - 8 : 0) + 2 * (n - 1);
}

static const char chunk_put_sql[] =
        "INSERT INTO report_chunks(hash, data, used_at) VALUES ($1, $2, $3) "
        "ON CONFLICT (hash) DO UPDATE SET used_at = excluded.used_at "
        "WHERE report_chunks.used_at < excluded.used_at - $4";
static const char chunk_get_sql[] = "SELECT data FROM report_chunks WHERE hash = $1";

/* Gear hash table (FastCDC): 256 fixed random words. */
static const uint64_t gear[256] = {
        0x6a06e9ab85a0bcc1ULL, 0x4dad2986ce834960ULL, 0x5d998017f5e2fc57ULL, 0x2cb85f3f4a24e39aULL,
        0xb48438b5c41f9dfdULL, 0x8a4996efb447c0ceULL, 0x473d212ba950666dULL, 0xeae0d2c11c339464ULL,
        0x3fb81d2706e55426ULL, 0xd0b0090d62590992ULL, 0x6b68b48ebf13c171ULL, 0xdc159e6a409c38f2ULL,
        0xcd68615c80690847ULL, 0xa3f96f0e51436d1fULL, 0xaf371d87d8a8f065ULL, 0xb969ec07f1f83a79ULL,
        0x2335e9e266cea9faULL, 0x8d1a6bffff9a3914ULL, 0x23cf493f0febddf8ULL, 0xcaa7e9bfd00724a1ULL,
        0x32521553e014be00ULL, 0xe1ff83ab26a2658fULL, 0x8869510db4a02517ULL, 0xcd425ec38f138999ULL,
        0xaf929a91f4873115ULL, 0x54bec7d835c33744ULL, 0x1f9db8dd8a3b09ddULL, 0xb730d88fe1e8a4aaULL,
        0x11b5aecda386a3a0ULL, 0x68e06b0c4f27b35cULL, 0x81dda9da14f50791ULL, 0xdbd5f6d2f09529afULL,
        0xa3e2889c795e846bULL, 0x9995d8aaff0f3b81ULL, 0xaebf999324405d96ULL, 0x689edcd6cfec9e2cULL,
        0x818dced3d0398c72ULL, 0x561d2417eb837ba8ULL, 0x6ecace3c0490ca26ULL, 0x925b1ec95f4807bcULL,
        0xe599e3580d3a2dc6ULL, 0xbd27b4f2c0855ac9ULL, 0x0ce02d285ac9cd0eULL, 0x7a2c3b72f5a2224aULL,
        0x947feaa35ff4cb50ULL, 0x01520627c63d6f69ULL, 0x67cc1752de27660bULL, 0x1df995313d2b9a36ULL,
        0x36be6e688e8b88c2ULL, 0x3fa244adf517a775ULL, 0xf515f75186e41524ULL, 0x0ee06e0b5c15cfd1ULL,
        0x1071e6da44673e23ULL, 0x468629e8c95613efULL, 0xbf5da6cc3157e672ULL, 0xd422051f9a98f4d0ULL,
        0x887b5f5f8e384a7bULL, 0xe6d747b48db0eb42ULL, 0x400b49322125fd8aULL, 0x4ebf6be1a897b98fULL,
        0x590ad570eaa1a8c3ULL, 0x2bb4c81151a20dc3ULL, 0x1817d0235502bfbdULL, 0x932d838de8b6e53dULL,
        0xc84b75db940e6e2bULL, 0x55c9dfdb45c7a738ULL, 0x0cf5ce20027fd9ebULL, 0xfd9399c0c0d64421ULL,
        0x04eb48705916ca58ULL, 0xbea12ba57797b9dcULL, 0x794baead45c2c169ULL, 0x0dd00e8fa212f8fcULL,
        0x32c3233dba9eba35ULL, 0x42114abf4f4e45b4ULL, 0xbf89b6551335276bULL, 0xb71e77b2fc9e4dc6ULL,
        0x7c22ca48e8f8746dULL, 0x9efd9ce2054a108aULL, 0x8676b326906e6a67ULL, 0x236dac08af9d9634ULL,
        0x7c21ab0d672bd7e9ULL, 0xf391361abb4cca3eULL, 0xfa843e7cf5b67503ULL, 0xd10322399713d85bULL,
        0x2eebdd04643e2ec8ULL, 0xfed259c33215ff4fULL, 0xf5fd749b405cf5d4ULL, 0xad22a5cd269aed1dULL,
        0xe849dddd1c43af35ULL, 0x0cdbbb62365f2c2cULL, 0xf9288931d78ee74fULL, 0x4e1c7a4189776347ULL,
        0xe3c44e83ce104541ULL, 0x50c5238ceb914b43ULL, 0x50eff308cf8f95c3ULL, 0x2954cac80ca84ac8ULL,
        0x6b436ce7ed0ba755ULL, 0xb0fb0baf17c13b14ULL, 0x4fd46da3c55e0334ULL, 0x402373eed6c500f4ULL,
        0xff41dda5a84ebb83ULL, 0x7af1f5a66757bf9bULL, 0x8ac9b7621334518fULL, 0x8b04422515cc9e1dULL,
        0xfab3520fa2f1d748ULL, 0x399568613de05552ULL, 0xf539e15e8843a942ULL, 0x9373452a43e5eca6ULL,
        0xcd26be6629d52d7aULL, 0x0c996e734b94bd74ULL, 0xe3405e87b990dea6ULL, 0x961ec5f97c9fd32cULL,
        0xd30f0290648c8fa9ULL, 0x38f40afe7c8a1d56ULL, 0x686b4c8f8dd1e2d3ULL, 0xa0768bb88402cc0dULL,
        0x13d07a7071ef624eULL, 0x75985078f7a69756ULL, 0x37f83844c0718532ULL, 0x7ba217043aa3c05eULL,
        0xd1d2a80d51787cb1ULL, 0xf8421fc13055291bULL, 0x99210c635d352450ULL, 0xf627c0200743c7f8ULL,
        0x93f8d5a3be97c0e1ULL, 0x84fa49ef91612c4eULL, 0x0dbe6bc16c34cf6cULL, 0xd51012f6e4b841e6ULL,
        0xf6e0d40d5428b803ULL, 0x2b4afd54941e17ceULL, 0xf6ef218fee048fc0ULL, 0x3b2951af8e4cd2e1ULL,
        0x503fa0759cebf55dULL, 0x2c12da355e323b71ULL, 0xf8f8b021ff8353f9ULL, 0x36083a3ec1396b97ULL,
        0x6f0e9e6a4da8058eULL, 0x72f569455b03140cULL, 0x17eaa854976d21c1ULL, 0x1b02d1f584c55904ULL,
        0x02b09ec585f767f9ULL, 0xf1347133312cc39dULL, 0xe60c427193614239ULL, 0x8db03a46b435deeeULL,
        0x2dc2aa9fc3d67ad6ULL, 0x76b0de6f730a9469ULL, 0xdb0c7b9f721012aeULL, 0x231d0b90811704edULL,
        0x8ca3b38a8947e38bULL, 0x73eb0ab47994c5baULL, 0x4b5320d40318fcffULL, 0x2f1d8f88436ff95fULL,
        0x02188571fce0ee7bULL, 0xe6c53a57d389b97cULL, 0x565c353c77a5c205ULL, 0x54291223c081a022ULL,
        0x0d42e3ad361469baULL, 0x193a0d264465583bULL, 0xaac9bf6e84835c65ULL, 0x03ea86d8b304fd51ULL,
        0x1ce1575f070e7228ULL, 0xb5d2069378c221beULL, 0x4d296c8ce7f524d3ULL, 0x343ce95d9cbce899ULL,
        0xc7aec41cfe3b3a80ULL, 0xc72dd93219439735ULL, 0xd1eb95bbe89a1ce1ULL, 0xfc3c179ad65fb50eULL,
        0x74928ae406b2526eULL, 0xd23e7c4f895daa8fULL, 0xec8c2d23c2602600ULL, 0xde09e0f938d87192ULL,
        0x07a99078a638acdcULL, 0x66650bc5d9baa3feULL, 0x1f6bd5a4cb401a2eULL, 0xf4bf00796d98835cULL,
        0xbd03a1c00eefc93fULL, 0x0f5054798a072ef6ULL, 0xf971e7e7302600ffULL, 0x43289d7889e8520eULL,
        0x5b5da72d44f9b143ULL, 0xf0aa617158e98fcaULL, 0x94ce94938b320a7fULL, 0xffb1bc84d1d05eefULL,
        0x6aa940eaf9ae7b95ULL, 0xe9b6181667d0cba5ULL, 0x8697d30201e89b18ULL, 0xfea02891c00a6ca8ULL,
        0x14b6ee5e56d9da9dULL, 0xbfdf1a09c1f3e4baULL, 0xcb448666d4a07620ULL, 0xa05e1edf089523bcULL,
        0xdd78bba7bb17d748ULL, 0x534c031148ea8e24ULL, 0x1e1206c15257466dULL, 0x2093ad5e55913a7fULL,
        0xd64949a189d34a42ULL, 0xec77271b3e461d13ULL, 0xd263d0e27e9577c5ULL, 0x714a47a94886f6f2ULL,
        0x414484121fe80723ULL, 0x12de56473ffe7acbULL, 0x6ba4ea41ae51ffafULL, 0xaf53ce084f7e0dfeULL,
        0x7b9a2e7133474ab9ULL, 0x20d1a0325d963022ULL, 0x813de83936b06a89ULL, 0xf995f738fc071c94ULL,
        0x92709db3c98878b9ULL, 0xc8df79d126d2cbc7ULL, 0x154d9e504b3774faULL, 0x7001bd396f96b697ULL,
        0xe5bfce2d872feec5ULL, 0xc7f0b37b6370bd5dULL, 0x9abb6ced85f88b24ULL, 0xe6683f70c297ce1bULL,
        0xa9caae0b27765140ULL, 0x248526a88f291ee0ULL, 0x96225b522a1a90e1ULL, 0xef9174f488e81a30ULL,
        0x7e40bf21512d7142ULL, 0xdf880909cd9c61a6ULL, 0x4814d373e189e1b6ULL, 0xeedfb0d6f4e9c81dULL,
        0x10db8006683a8bb7ULL, 0x3c7510489de2507dULL, 0xe6f77a752b2b6252ULL, 0x26a32eb0b62cd3a6ULL,
        0x3c522402c72c768fULL, 0x8c19cbeb6d513ea7ULL, 0x8a5fbfc5525a61b3ULL, 0x71752953c210c9b6ULL,
        0x8078e6e4c016e377ULL, 0x20e5bfb4cc9f7e76ULL, 0xf04cea6b49e6b1eeULL, 0x7ee7e2fd3e1b235aULL,
        0x809b8a12402a3cc4ULL, 0x5f596e4230e6aed7ULL, 0xa2ae0e9001cb9d37ULL, 0x55c2941d1f573ebaULL,
        0x13acfa047e227784ULL, 0x1629e4736e382ffcULL, 0x83e6bf3de3c220fbULL, 0x3e69be2860d2c82cULL,
        0x1211ea492b9af981ULL, 0x4bf318d5ee4cf373ULL, 0x49da2d0812a41623ULL, 0xe82d752556fb309dULL,
        0x766a50e9c37c55eaULL, 0x260626915243d759ULL, 0x264561cef6c5c0fcULL, 0x441b59c9be55cce0ULL,
        0x6227ac464eed2e5bULL, 0x53560663dd09b785ULL, 0x9325b34febf91b63ULL, 0xa1dd8f0983952a5dULL,
};

size_t store_body_cut(const char *data, size_t size) {
        const uint8_t *d = (const uint8_t *) data;
        size_t end = MIN(size, (size_t) CHUNK_MAX), i;
        uint64_t h = 0;

        if (size <= CHUNK_MIN)
                return size;
        /* A byte's gear word is shifted out of h after 64 more: h at CHUNK_MIN is that of
         * the 64 bytes before it, whichever byte the hash starts from. */
        for (i = CHUNK_MIN - 64; i < CHUNK_MIN; i++)
                h = (h << 1) + gear[d[i]];
        /* one test a byte in the usual case: no cut here */
#pragma GCC unroll 4
        for (; i < end; i++) {
                h = (h << 1) + gear[d[i]];
                if (__builtin_expect((h & CHUNK_MASK) == 0, 0) && d[i] < 0x80 && d[i + 1 < size ? i + 1 : i] < 0x80)
                        return i + 1;
        }
        /* At CHUNK_MAX, back off to an ASCII byte so as not to split a UTF-8 sequence. */
        while (i < size && i > CHUNK_MIN && ((uint8_t) data[i] & 0xC0) == 0x80)
                i--;
        return i;
}

void store_body_done(StoreBody *b) {
        free(b->stored);
        free(b->chunks);
        *b = (StoreBody) {};
}

/* userdata: the body's chunks, up to the one of length 0 after them. */
static int row_fresh(const char *const *c, size_t n, void *userdata) {
        if (n < 1 || !c[0])
                return -EIO;
        for (StoreBodyChunk *k = userdata; k->len > 0; k++)
                if (streq(k->hex, c[0]))
                        k->fresh = true;
        return 0;
}

/* Sends ahead the read of which of chunks[0..n) are stored and fresh: one statement for
 * up to CHUNK_FRESH_ROWS of them (a laptop's report has ~25). */
static int chunks_fresh_read(Store *s, StoreBodyChunk *chunks, size_t at, size_t n, int64_t now) {
        StoreValue v[1 + CHUNK_FRESH_ROWS] = { SV_INT(now - STORE_BODY_REFRESH) };
        char sql[MAX(sizeof(chunk_fresh_sql) + sizeof(chunk_fresh_list),
                     (sizeof(chunk_fresh_union) + sizeof(chunk_fresh_one_head) + 2 + sizeof(chunk_fresh_one_tail)) *
                             CHUNK_FRESH_ROWS)];
        char *p = sql;

        assert(n >= 1 && n <= CHUNK_FRESH_ROWS);
        if (!streq(s->backend->scheme, "sqlite")) {
                p = mempcpy(p, chunk_fresh_sql, sizeof(chunk_fresh_sql) - 1);
                p = mempcpy(p, chunk_fresh_list, chunk_fresh_list_len(n));
                memcpy(p, ")", 2);
        } else {
                for (size_t i = 0; i < n; i++) {
                        if (i > 0)
                                p = mempcpy(p, chunk_fresh_union, sizeof(chunk_fresh_union) - 1);
                        p = mempcpy(p, chunk_fresh_one_head, sizeof(chunk_fresh_one_head) - 1);
                        if (i + 2 >= 10)
                                *p++ = (char) ('0' + (i + 2) / 10);
                        *p++ = (char) ('0' + (i + 2) % 10);
                        p = mempcpy(p, chunk_fresh_one_tail, sizeof(chunk_fresh_one_tail));
                        p--; /* the NUL stays as the end, or is overwritten by the next item */
                }
        }
        for (size_t i = 0; i < n; i++)
                v[1 + i] = SV_TEXT(chunks[at + i].hex);
        return store_read_ahead(s, Q_BODY_CHUNK_FRESH + (unsigned) n - 1, sql, v, 1 + n, row_fresh, chunks);
}

/* Values that change at every report of a stable laptop (docs/internals/store.md, "Pinned
 * values"): each goes into the list as a literal, cut just before and just after, so that
 * the chunks around it are the same from one report to the next. Matched on bytes, not on
 * JSON: a match elsewhere (inside an evidence string) only moves cuts, what does not match
 * exactly stays in chunks, and the claims are put back byte for byte either way. */
typedef struct Pin {
        const char *key; /* the bytes just before the value */
        size_t key_len;
        bool hex;        /* 64 lowercase hex digits then '"' (a hash); else 1 to 19 digits */
} Pin;
static const Pin pins[] = {
        { "\"duration_us\":", 14, false },
        { "\"iat\":", 6, false },
        { "\"seq\":", 6, false },
        { "\"prev\":\"", 8, true },
};
/* A report of six checks has nine; past this many the rest stay in chunks, which bounds
 * the list and the chunks' array. */
#define PIN_MAX 64
/* Claims shorter than this (one to three chunks: a report of checks with little evidence)
 * are not pinned: cut into a dozen pieces, their list would grow by about what the chunk
 * that changes costs, and each report would hash and look up six chunks more. */
#define PIN_MIN_SIZE 4096
#define PIN_DIGITS_MAX 19
#define PIN_HEX_LEN 64

typedef struct Span {
        size_t at, len;
} Span;

static size_t run_of(const char *d, size_t size, bool hex, size_t max) {
        size_t n = 0;

        for (; n < size && n <= max; n++)
                if (!((d[n] >= '0' && d[n] <= '9') || (hex && d[n] >= 'a' && d[n] <= 'f')))
                        break;
        return n;
}

/* The value pinned by the key that ends just before v, or a length of 0. */
static size_t pin_match(const char *d, size_t size, size_t v, size_t end) {
        for (size_t k = 0; k < ELEMENTSOF(pins); k++) {
                const Pin *p = &pins[k];
                size_t len;

                if (v < p->key_len || v - p->key_len < end || v >= size || d[v - p->key_len + 1] != p->key[1] ||
                    memcmp(d + v - p->key_len, p->key, p->key_len) != 0)
                        continue;
                len = run_of(d + v, size - v, p->hex, p->hex ? PIN_HEX_LEN : PIN_DIGITS_MAX);
                if (p->hex ? len == PIN_HEX_LEN && v + len < size && d[v + len] == '"'
                           : len >= 1 && len <= PIN_DIGITS_MAX && (v + len == size || (uint8_t) d[v + len] < 0x80))
                        return len;
        }
        return 0;
}

/* Notes the value after the colon at c, if a key pins it. */
static void pin_try(const char *d, size_t size, size_t c, Span ret[static PIN_MAX], size_t *n, size_t *end) {
        size_t v = c + 1 + (c + 1 < size && d[c + 1] == '"'), len = pin_match(d, size, v, *end);

        if (len > 0) {
                ret[(*n)++] = (Span) { v, len };
                *end = v + len;
        }
}

/* Every key ends with one of 's":', 't":', 'q":', 'v":': only those colons are tried. */
static bool pin_colon(const char *d, size_t c) {
        return d[c] == ':' && d[c - 1] == '"' && (d[c - 2] == 's' || d[c - 2] == 't' || d[c - 2] == 'q' || d[c - 2] == 'v');
}

/* The pinned values of d, in order, at most PIN_MAX. This reads every byte of the claims
 * (~30 KB for a real report): 16 at a time where SSE2 is, for the colons above. */
static size_t pins_find(const char *d, size_t size, Span ret[static PIN_MAX]) {
        size_t n = 0, end = 0, c = 2;

#ifdef __SSE2__
        const __m128i colon = _mm_set1_epi8(':'), quote = _mm_set1_epi8('"');
        for (; c + 16 <= size && n < PIN_MAX; c += 16) {
                __m128i a = _mm_loadu_si128((const __m128i *) (const void *) (d + c));
                __m128i b = _mm_loadu_si128((const __m128i *) (const void *) (d + c - 1));
                __m128i k = _mm_loadu_si128((const __m128i *) (const void *) (d + c - 2));
                __m128i last = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(k, _mm_set1_epi8('s')), _mm_cmpeq_epi8(k, _mm_set1_epi8('t'))),
                                            _mm_or_si128(_mm_cmpeq_epi8(k, _mm_set1_epi8('q')), _mm_cmpeq_epi8(k, _mm_set1_epi8('v'))));
                unsigned mask = (unsigned) _mm_movemask_epi8(
                        _mm_and_si128(_mm_and_si128(_mm_cmpeq_epi8(a, colon), _mm_cmpeq_epi8(b, quote)), last));

                for (; mask && n < PIN_MAX; mask &= mask - 1)
                        pin_try(d, size, c + (size_t) __builtin_ctz(mask), ret, &n, &end);
        }
#endif
        for (; c < size && n < PIN_MAX; c++)
                if (pin_colon(d, c))
                        pin_try(d, size, c, ret, &n, &end);
        return n;
}

int store_body_split(const char *claims, size_t size, size_t room, StoreBodyChunk **ret_chunks,
                     size_t *ret_n_chunks, char **ret_list) {
        _cleanup_free_ StoreBodyChunk *chunks = NULL;
        _cleanup_free_ char *list = NULL;
        Span lit[PIN_MAX];
        size_t n_lit = size >= PIN_MIN_SIZE ? pins_find(claims, size, lit) : 0, n = 0, at = 0,
               list_size = room + 1;
        char *p;

        /* Each region between literals is cut in one pass of the rolling hash; each of its
         * chunks but the last is at least CHUNK_MIN long; a chunk of length 0 ends them. */
        chunks = malloc((size / CHUNK_MIN + n_lit + 2) * sizeof(StoreBodyChunk));
        if (!chunks)
                return -ENOMEM;
        for (size_t k = 0; k <= n_lit; k++) {
                size_t end = k < n_lit ? lit[k].at : size;

                for (; at < end; at += chunks[n++].len) {
                        chunks[n] = (StoreBodyChunk) { .at = at, .len = store_body_cut(claims + at, end - at) };
                        int r = sha256_hex(claims + at, chunks[n].len, chunks[n].hex);
                        if (r < 0)
                                return r;
                }
                if (k < n_lit) {
                        at += lit[k].len;
                        list_size += 2 + lit[k].len;
                }
        }
        chunks[n] = (StoreBodyChunk) {};
        list = malloc(list_size + n * SHA256_HEX_SIZE);
        if (!list)
                return -ENOMEM;
        /* Chunks and literals in the order of their bytes. */
        p = list + room;
        for (size_t i = 0, k = 0; i < n || k < n_lit;) {
                if (p > list + room)
                        *p++ = ',';
                if (k < n_lit && (i == n || lit[k].at < chunks[i].at)) {
                        *p++ = '=';
                        p = mempcpy(p, claims + lit[k].at, lit[k].len);
                        k++;
                } else
                        p = mempcpy(p, chunks[i++].hex, SHA256_HEX_SIZE - 1);
        }
        *p = 0;
        *ret_chunks = TAKE_PTR(chunks);
        *ret_n_chunks = n;
        *ret_list = TAKE_PTR(list);
        return 0;
}

int store_body_read(Store *s, const char *jws, const char *claims, int64_t now, StoreBody *ret) {
        const char *dot1 = strchr(jws, '.'), *dot2 = strrchr(jws, '.');
        size_t size = strlen(claims), payload_len, room;
        _cleanup_(store_body_done) StoreBody b = { .claims = claims, .now = now };
        char *p;
        int r;

        /* jws_parse() decodes strictly: the same length means the same bytes, and no NUL. */
        payload_len = dot1 && dot2 != dot1 ? (size_t) (dot2 - dot1 - 1) : 0;
        if (payload_len * 3 / 4 != size || size == 0) {
                b.stored = strdup(jws);
                if (!b.stored)
                        return -ENOMEM;
                *ret = b;
                b = (StoreBody) {};
                return 0;
        }
        /* "@HEADER.SIGNATURE." before the list */
        room = 1 + (size_t) (dot1 - jws) + 1 + strlen(dot2 + 1) + 1;
        r = store_body_split(claims, size, room, &b.chunks, &b.n_chunks, &b.stored);
        if (r < 0)
                return r;
        p = b.stored;
        *p++ = '@';
        p = mempcpy(p, jws, (size_t) (dot1 - jws) + 1);
        p = mempcpy(p, dot2 + 1, strlen(dot2 + 1));
        *p = '.';
        /* the answers arrive with the caller's store_flush() */
        for (size_t i = 0; i < b.n_chunks; i += CHUNK_FRESH_ROWS) {
                r = chunks_fresh_read(s, b.chunks, i, MIN(b.n_chunks - i, (size_t) CHUNK_FRESH_ROWS), now);
                if (r < 0)
                        return r;
        }
        *ret = b;
        b = (StoreBody) {};
        return 0;
}

/* The chunks this transaction has written, by their hash: a report whose reads were sent
 * before an earlier report of the batch wrote the same chunk (another device's identical
 * evidence: docs/internals/store.md, "Prefetch") saw it missing, and must not write it
 * again. Open addressing over the entries' indexes; forgotten when a unit is rolled back
 * (what it wrote may be undone) and when the transaction ends. */
struct StoreChunkSet {
        char (*hex)[SHA256_HEX_SIZE];
        size_t n, cap;
        uint32_t *slots; /* 2 * cap of them: an entry's index + 1, 0 when free */
};

static size_t chunk_slot(const StoreChunkSet *set, const char *hex) {
        uint64_t a, b;

        memcpy(&a, hex, sizeof(a)); /* 16 hex digits: 64 bits of SHA-256 */
        memcpy(&b, hex + sizeof(a), sizeof(b));
        return (size_t) (((a ^ (b << 4)) * UINT64_C(0x9e3779b97f4a7c15)) >> 32) & (2 * set->cap - 1);
}

/* The slot of hex, or the free one where it would go. */
static uint32_t *chunk_find(const StoreChunkSet *set, const char *hex) {
        for (size_t i = chunk_slot(set, hex);; i = (i + 1) & (2 * set->cap - 1)) {
                uint32_t *slot = &set->slots[i];

                if (*slot == 0 || memcmp(set->hex[*slot - 1], hex, SHA256_HEX_SIZE - 1) == 0)
                        return slot;
        }
}

static bool chunk_sent(const Store *s, const char *hex) {
        const StoreChunkSet *set = s->chunks_sent;

        return set && set->n > 0 && *chunk_find(set, hex) != 0;
}

/* Outside a transaction each write is its own, which nothing forgets: not noted. */
static int chunk_note_sent(Store *s, const char *hex) {
        StoreChunkSet *set = s->chunks_sent;

        if (s->tx_depth == 0)
                return 0;
        if (!set) {
                set = s->chunks_sent = calloc(1, sizeof(StoreChunkSet));
                if (!set)
                        return -ENOMEM;
        }
        if (set->n == set->cap) {
                size_t cap = MAX(set->cap * 2, (size_t) 64);
                char(*hex_n)[SHA256_HEX_SIZE] = realloc(set->hex, cap * SHA256_HEX_SIZE);
                uint32_t *slots;

                if (!hex_n)
                        return -ENOMEM;
                set->hex = hex_n;
                slots = calloc(2 * cap, sizeof(uint32_t));
                if (!slots)
                        return -ENOMEM;
                free(set->slots);
                set->slots = slots;
                set->cap = cap;
                for (size_t i = 0; i < set->n; i++)
                        *chunk_find(set, set->hex[i]) = (uint32_t) i + 1;
        }
        memcpy(set->hex[set->n], hex, SHA256_HEX_SIZE);
        *chunk_find(set, hex) = (uint32_t) ++set->n;
        return 0;
}

void store_body_forget(Store *s) {
        StoreChunkSet *set = s->chunks_sent;

        if (set && set->n > 0) {
                memset(set->slots, 0, 2 * set->cap * sizeof(uint32_t));
                set->n = 0;
        }
}

void store_body_sent_free(Store *s) {
        StoreChunkSet *set = s->chunks_sent;

        if (set) {
                free(set->hex);
                free(set->slots);
                free(set);
                s->chunks_sent = NULL;
        }
}

int store_body_write(Store *s, StoreBody *b, char **ret_stored) {
        for (size_t i = 0; i < b->n_chunks; i++) {
                const StoreBodyChunk *c = &b->chunks[i];
                _cleanup_free_ char *chunk = NULL;
                int r;

                if (c->fresh || chunk_sent(s, c->hex))
                        continue;
                chunk = strndup(b->claims + c->at, c->len);
                if (!chunk)
                        return -ENOMEM;
                const StoreValue v[] = { SV_TEXT(c->hex), SV_TEXT(chunk), SV_INT(b->now),
                                         SV_INT(STORE_BODY_REFRESH) };
                /* a write only: goes with the next read (store_send()) */
                r = store_send(s, Q_BODY_CHUNK_PUT, chunk_put_sql, v, ELEMENTSOF(v));
                if (r >= 0)
                        r = chunk_note_sent(s, c->hex);
                if (r < 0)
                        return r;
        }
        *ret_stored = TAKE_PTR(b->stored);
        return 0;
}

int store_body_list_next(const char **p, StoreBodyItem *ret) {
        const char *h = *p;
        bool literal;
        size_t len;

        if (*h == 0)
                return 0;
        literal = *h == '=';
        h += literal;
        len = strspn(h, "0123456789abcdef");
        if (literal ? len < 1 || len > PIN_HEX_LEN : len != SHA256_HEX_SIZE - 1)
                return -EIO;
        if (h[len] == ',' && h[len + 1] != 0)
                *p = h + len + 1;
        else if (h[len] == 0)
                *p = h + len;
        else
                return -EIO;
        *ret = (StoreBodyItem) { .text = h, .len = len, .literal = literal };
        return 1;
}

int store_body_join(const char *list, StoreBodyFetch fetch, void *userdata, StoreBuf *ret) {
        StoreBuf b = {};
        StoreBodyItem item;
        int r;

        while ((r = store_body_list_next(&list, &item)) > 0) {
                char hex[SHA256_HEX_SIZE];
                size_t before = b.size;

                if (item.literal) {
                        r = store_buf_append(&b, item.text, item.len);
                        if (r < 0)
                                break;
                        continue;
                }
                memcpy(hex, item.text, SHA256_HEX_SIZE - 1);
                hex[SHA256_HEX_SIZE - 1] = 0;
                r = fetch(hex, &b, userdata);
                if (r >= 0 && b.size == before)
                        r = -EIO; /* a chunk is missing (chunks are never empty) */
                if (r < 0)
                        break;
        }
        if (r == 0 && !b.data)
                r = -EIO; /* no item at all */
        if (r == 0)
                r = store_buf_append(&b, "", 1); /* NUL-terminated, the NUL not counted */
        if (r < 0) {
                free(b.data);
                return r;
        }
        b.size--;
        *ret = b;
        return 0;
}

/* Row callback: the chunk's text appended. */
static int row_append(const char *const *c, size_t n, void *userdata) {
        if (n < 1 || !c[0])
                return -EIO;
        return store_buf_append(userdata, c[0], strlen(c[0]));
}

static int chunk_fetch(const char *hex, StoreBuf *b, void *userdata) {
        Store *s = userdata;
        const StoreValue v[] = { SV_TEXT(hex) };

        return s->backend->query(s, Q_BODY_CHUNK_GET, chunk_get_sql, v, 1, row_append, b);
}

/* The payload of a stored form "@HEADER.SIG.LIST", put back together. */
static int load_payload(Store *s, const char *stored, StoreBuf *ret) {
        const char *list = strrchr(stored, '.');

        if (stored[0] != '@' || !list)
                return -EIO;
        return store_body_join(list + 1, chunk_fetch, s, ret);
}

int store_body_claims(Store *s, const char *stored, char **ret_claims) {
        _cleanup_free_ uint8_t *payload = NULL;
        const char *dot1, *dot2;
        size_t size;
        StoreBuf b;
        int r;

        if (stored[0] == 0)
                return -ENOENT; /* pruned */
        if (stored[0] != '@') {
                /* As received: decode the middle part. */
                dot1 = strchr(stored, '.');
                dot2 = strrchr(stored, '.');
                if (!dot1 || dot1 == dot2)
                        return -EIO;
                r = base64url_decode(dot1 + 1, (size_t) (dot2 - dot1 - 1), JWS_MAX_SIZE, &payload, &size);
                if (r < 0)
                        return -EIO;
                *ret_claims = (char *) TAKE_PTR(payload);
                return 0;
        }
        r = load_payload(s, stored, &b);
        if (r < 0)
                return r;
        *ret_claims = b.data;
        return 0;
}

int store_body_jws(Store *s, const char *stored, char **ret_jws) {
        _cleanup_free_ char *payload64 = NULL, *jws = NULL;
        const char *dot1, *dot2;
        size_t len;
        StoreBuf b;
        int r;

        /* No check against the report's hash here: what was stored is what an audit must
         * see, tampered or not (vigiectl audit verifies). */
        if (stored[0] != '@') {
                jws = strdup(stored);
                if (!jws)
                        return -ENOMEM;
                *ret_jws = TAKE_PTR(jws);
                return 0;
        }
        dot1 = strchr(stored, '.');
        dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
        if (!dot2)
                return -EIO;
        r = load_payload(s, stored, &b);
        if (r < 0)
                return r;
        r = base64url_encode(b.data, b.size, &payload64, &len);
        free(b.data);
        if (r < 0)
                return r;
        if (asprintf(&jws, "%.*s.%s.%.*s", (int) (dot1 - stored - 1), stored + 1, payload64,
                     (int) (dot2 - dot1 - 1), dot1 + 1) < 0)
                return -ENOMEM;
        *ret_jws = TAKE_PTR(jws);
        return 0;
}
