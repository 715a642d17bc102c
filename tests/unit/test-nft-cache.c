/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "cleanup.h"
#include "fs-util.h"
#include "macro.h"
#include "nft-cache.h"
#include "nft-generation.h"

#define KEY "boot 4033070c-9294-4838-9242-acbf01f71df9 netns 4:4026532178 generation 3"
#define JSON "{\"nftables\": []}"

static void test_file_round_trip(void **state) {
        char dir[] = "/tmp/test-nft-cache-XXXXXX", *cache;
        _cleanup_free_ char *json = NULL, *other = NULL, *path = NULL, *data = NULL;
        size_t size;
        (void) state;

        assert_non_null(mkdtemp(dir));
        assert_non_null(cache = path_join(dir, "cache"));
        assert_int_equal(nft_cache_load(cache, KEY, &json), 0); /* none yet */
        nft_cache_save(cache, KEY, JSON);
        assert_int_equal(nft_cache_load(cache, KEY, &json), 1);
        assert_string_equal(json, JSON);
        /* another generation, boot or namespace: not used */
        assert_int_equal(nft_cache_load(cache, KEY "0", &other), 0);
        assert_null(other);

        /* cut short, or longer than it says: damaged */
        assert_non_null(path = path_join(cache, NFT_CACHE_FILE));
        assert_int_equal(read_file_full(path, 4096, &data, &size), 0);
        assert_int_equal(write_cache_file(path, data, size - 1, 0600), 0);
        assert_int_equal(nft_cache_load(cache, KEY, &other), 0);
        data[size - 1] = ' ';
        assert_int_equal(write_cache_file(path, data, size, 0600), 0);
        assert_int_equal(nft_cache_load(cache, KEY, &other), 1); /* the same size: the parser decides */
        assert_int_equal(unlink(path), 0);
        assert_int_equal(rmdir(cache), 0);
        assert_int_equal(rmdir(dir), 0);
        free(cache);
}

static void test_parse(void **state) {
        static const char good[] = "vigie nft-ruleset 1\n" KEY "\n16\n" JSON;
        const char *json;
        size_t n;
        (void) state;

        assert_int_equal(nft_cache_parse(good, strlen(good), KEY, &json, &n), 0);
        assert_int_equal(n, strlen(JSON));
        assert_memory_equal(json, JSON, n);
        assert_int_equal(nft_cache_parse(good, strlen(good), NULL, &json, &n), 0);
        assert_int_equal(nft_cache_parse(good, strlen(good), "boot x", &json, &n), -ESTALE);
        assert_int_equal(nft_cache_parse(good, strlen(good) - 1, KEY, &json, &n), -EBADMSG);
        static const char *const bad[] = {
                "vigie nft-ruleset 2\n" KEY "\n16\n" JSON,
                "vigie nft-ruleset 1\n" KEY "\n-16\n" JSON,
                "vigie nft-ruleset 1\n" KEY "\n016\n" JSON,
                "vigie nft-ruleset 1\n" KEY "\n0\n",
                "vigie nft-ruleset 1\n\n16\n" JSON,
                "vigie nft-ruleset 1\n" KEY,
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(nft_cache_parse(bad[i], strlen(bad[i]), NULL, &json, &n), -EBADMSG);
        char nul[sizeof(good)];
        memcpy(nul, good, sizeof(good));
        nul[sizeof(good) - 3] = 0;
        assert_int_equal(nft_cache_parse(nul, strlen(good), KEY, &json, &n), -EBADMSG);
}

/* An answer as nfnetlink writes it: header, nfgenmsg, attributes (id, pid, name). */
static size_t newgen(uint8_t *buf, uint32_t seq, uint32_t gen) {
        struct nlmsghdr h = { .nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | 15 /* NFT_MSG_NEWGEN */, .nlmsg_seq = seq };
        struct nfgenmsg g = { .version = NFNETLINK_V0 };
        struct nlattr id = { .nla_len = 8, .nla_type = 1 }, pid = { .nla_len = 8, .nla_type = 2 };
        uint32_t be = htonl(gen), v = 1234;
        size_t n = NLMSG_HDRLEN;

        memcpy(buf + n, &g, sizeof(g)), n += NLMSG_ALIGN(sizeof(g));
        memcpy(buf + n, &pid, sizeof(pid)), memcpy(buf + n + 4, &v, 4), n += 8;
        memcpy(buf + n, &id, sizeof(id)), memcpy(buf + n + 4, &be, 4), n += 8;
        h.nlmsg_len = (uint32_t) n;
        memcpy(buf, &h, sizeof(h));
        return n;
}

static void test_generation_parse(void **state) {
        uint8_t buf[256];
        uint32_t gen = 0;
        size_t n;
        (void) state;

        n = newgen(buf, 1, 0xdeadbeef);
        assert_int_equal(nft_generation_parse(buf, n, 1, &gen), 0);
        assert_int_equal(gen, 0xdeadbeef);
        assert_int_equal(nft_generation_parse(buf, n, 2, &gen), -EBADMSG); /* not ours */
        assert_int_equal(nft_generation_parse(buf, n - 1, 1, &gen), -EBADMSG);
        /* an answer to another request first, then ours */
        n += newgen(buf + n, 1, 7);
        memcpy(buf + offsetof(struct nlmsghdr, nlmsg_seq), &(uint32_t) { 9 }, 4);
        assert_int_equal(nft_generation_parse(buf, n, 1, &gen), 0);
        assert_int_equal(gen, 7);

        /* the kernel's refusal, as without CAP_NET_ADMIN */
        struct nlmsghdr h = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct nlmsgerr)), .nlmsg_type = NLMSG_ERROR,
                              .nlmsg_seq = 1 };
        struct nlmsgerr e = { .error = -EPERM };
        memcpy(buf, &h, sizeof(h));
        memcpy(buf + NLMSG_HDRLEN, &e, sizeof(e));
        assert_int_equal(nft_generation_parse(buf, h.nlmsg_len, 1, &gen), -EPERM);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_file_round_trip),
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_generation_parse),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
