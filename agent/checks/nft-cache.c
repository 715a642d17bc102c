/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "fs-util.h"
#include "log.h"
#include "macro.h"
#include "nft-cache.h"
#include "nft-generation.h"
#include "nft-ruleset.h"
#include "parse-util.h"

#define CACHE_MAGIC "vigie nft-ruleset 1\n"
#define KEY_MAX 256
#define BOOT_ID_SIZE 36 /* 8-4-4-4-12 hex digits */

static int boot_id(char ret[static BOOT_ID_SIZE + 1]) {
        _cleanup_free_ char *s = NULL;
        size_t n;
        int r = read_file_full("/proc/sys/kernel/random/boot_id", 64, &s, &n);

        if (r < 0)
                return r;
        if (n != BOOT_ID_SIZE + 1 || s[BOOT_ID_SIZE] != '\n' || strspn(s, "0123456789abcdef-") != BOOT_ID_SIZE)
                return -EBADMSG;
        memcpy(ret, s, BOOT_ID_SIZE);
        ret[BOOT_ID_SIZE] = 0;
        return 0;
}

int nft_cache_key(char **ret_key) {
        char boot[BOOT_ID_SIZE + 1];
        struct stat ns;
        uint64_t cookie;
        uint32_t gen;
        int r;

        if ((r = nft_generation(&gen, &cookie)) < 0 || (r = boot_id(boot)) < 0)
                return r;
        if (stat("/proc/self/ns/net", &ns) < 0)
                return -errno;
        if (asprintf(ret_key, "boot %s netns %llu:%llu cookie %" PRIu64 " generation %" PRIu32, boot,
                     (unsigned long long) ns.st_dev, (unsigned long long) ns.st_ino, cookie, gen) < 0)
                return -ENOMEM;
        return 0;
}

/* "vigie nft-ruleset 1\n" KEY "\n" SIZE "\n" JSON: SIZE bytes, no NUL, nothing after. */
int nft_cache_parse(const char *data, size_t size, const char *key, const char **ret_json, size_t *ret_size) {
        const char *p = data, *end = data + size, *nl;
        char number[24];
        uint64_t n;

        if (size < strlen(CACHE_MAGIC) || memcmp(p, CACHE_MAGIC, strlen(CACHE_MAGIC)) != 0)
                return -EBADMSG;
        p += strlen(CACHE_MAGIC);
        nl = memchr(p, '\n', (size_t) (end - p) < KEY_MAX + 1 ? (size_t) (end - p) : KEY_MAX + 1);
        if (!nl || nl == p || memchr(p, 0, (size_t) (nl - p)))
                return -EBADMSG;
        if (key && (strlen(key) != (size_t) (nl - p) || memcmp(key, p, (size_t) (nl - p)) != 0))
                return -ESTALE;
        p = nl + 1;
        nl = memchr(p, '\n', (size_t) (end - p) < sizeof(number) ? (size_t) (end - p) : sizeof(number));
        if (!nl || nl == p)
                return -EBADMSG;
        memcpy(number, p, (size_t) (nl - p));
        number[nl - p] = 0;
        /* as written: decimal without leading zeros, the exact size of what follows */
        if (number[0] == '0' || parse_uint64(number, &n) < 0 || n > NFT_RULESET_MAX ||
            n != (uint64_t) (end - (nl + 1)) || memchr(nl + 1, 0, (size_t) n))
                return -EBADMSG;
        *ret_json = nl + 1;
        *ret_size = (size_t) n;
        return 0;
}

typedef struct RulesetLoad {
        const char *key;
        char **ret_json;
} RulesetLoad;

static int ruleset_parse(const char *data, size_t size, void *userdata) {
        RulesetLoad *l = userdata;
        const char *json;
        size_t n;
        int r = nft_cache_parse(data, size, l->key, &json, &n);

        if (r < 0)
                return r;
        return (*l->ret_json = strndup(json, n)) ? 0 : -ENOMEM;
}

int nft_cache_load(const char *cache_dir, const char *key, char **ret_json) {
        _cleanup_free_ char *path = path_join(cache_dir, NFT_CACHE_FILE);
        RulesetLoad l = { key, ret_json };

        if (!path)
                return -ENOMEM;
        return cache_file_load(path, strlen(CACHE_MAGIC) + KEY_MAX + 24 + NFT_RULESET_MAX, "kept ruleset",
                               ruleset_parse, &l);
}

void nft_cache_save(const char *cache_dir, const char *key, const char *json) {
        _cleanup_free_ char *path = path_join(cache_dir, NFT_CACHE_FILE), *data = NULL;
        size_t size = strlen(json);
        int n, r;

        if (!path || size == 0 || size > NFT_RULESET_MAX || strlen(key) > KEY_MAX || strchr(key, '\n'))
                return;
        n = asprintf(&data, CACHE_MAGIC "%s\n%zu\n%s", key, size, json);
        r = n < 0 ? -ENOMEM : mkdir_p(cache_dir, 0700);
        if (r >= 0)
                r = write_cache_file(path, data, (size_t) n, 0600);
        if (r < 0)
                log_debug_errno(r, "Cannot keep the ruleset in \"%s\": %m", path);
}
