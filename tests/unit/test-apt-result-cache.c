/* SPDX-License-Identifier: MIT */
/* The apt source's kept result: round trip, another key refused as stale, damage of every
 * kind (each truncation, each flipped byte) refused, and the key of a root's inputs. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "apt-result-cache.h"
#include "cleanup.h"
#include "fs-util.h"
#include "macro.h"

static char *warnings[] = { (char *) "/etc/apt/preferences:3: no Pin-Priority", NULL };
static char *kernels[] = { (char *) "linux-image-6.1.0-13-amd64", (char *) "linux-image-6.1.0-18-amd64", NULL };
static AptResultUpdate updates[] = {
        { "bash", "amd64", "5.2.15-2+b2", "5.2.15-2+b7", NULL, false, 100 },
        { "openssl", "amd64", "3.0.11-1~deb12u1", "3.0.15-1~deb12u1", "bookworm-security", true, 100 },
        { "firefox-esr", "amd64", "115.0", "128.0", NULL, false, 30 },
};
static const AptResult result = { "amd64", 1796040000000000, true, warnings, kernels, updates, ELEMENTSOF(updates) };
static const char key[] = "build-id 0123\n4:root 1:2:3:40755:4:5\n";

static void test_round_trip(void **state) {
        _cleanup_(apt_result_freep) AptResult *r = NULL;
        _cleanup_free_ char *data = NULL, *again = NULL;
        size_t size, size2;

        (void) state;
        assert_int_equal(apt_result_serialize(&result, key, &data, &size), 0);
        assert_int_equal(apt_result_parse(data, size, key, &r), 0);
        assert_string_equal(r->native_arch, "amd64");
        assert_true(r->lists_newest == result.lists_newest && r->automatic);
        assert_string_equal(r->warnings[0], warnings[0]);
        assert_null(r->warnings[1]);
        assert_string_equal(r->kernels[1], kernels[1]);
        assert_int_equal(r->n_updates, 3);
        for (size_t i = 0; i < 3; i++) {
                assert_string_equal(r->updates[i].name, updates[i].name);
                assert_string_equal(r->updates[i].candidate, updates[i].candidate);
                assert_string_equal(r->updates[i].installed, updates[i].installed);
                assert_true(r->updates[i].held == updates[i].held && r->updates[i].phased == updates[i].phased);
                assert_true(!r->updates[i].origin == !updates[i].origin);
        }
        assert_string_equal(r->updates[1].origin, "bookworm-security");
        assert_int_equal(apt_result_serialize(r, key, &again, &size2), 0);
        assert_int_equal(size2, size);
        assert_memory_equal(again, data, size);
        /* Nothing at all also round-trips. */
        AptResult none = { .native_arch = (char *) "arm64" };
        _cleanup_(apt_result_freep) AptResult *n = NULL;
        free(data);
        assert_int_equal(apt_result_serialize(&none, key, &data, &size), 0);
        assert_int_equal(apt_result_parse(data, size, NULL, &n), 0);
        assert_int_equal(n->n_updates, 0);
        assert_null(n->warnings);
}

static void test_other_inputs(void **state) {
        _cleanup_free_ char *data = NULL;
        AptResult *r = NULL;
        size_t size;

        (void) state;
        assert_int_equal(apt_result_serialize(&result, key, &data, &size), 0);
        assert_int_equal(apt_result_parse(data, size, "build-id 0123\n4:root 1:2:3:40755:4:6\n", &r), -ESTALE);
        assert_int_equal(apt_result_parse(data, size, "build-id 0123\n", &r), -ESTALE);
        assert_null(r);
}

static void test_damage(void **state) {
        _cleanup_free_ char *data = NULL;
        AptResult *r = NULL;
        size_t size;

        (void) state;
        assert_int_equal(apt_result_serialize(&result, key, &data, &size), 0);
        for (size_t l = 0; l < size; l++)
                assert_int_equal(apt_result_parse(data, l, key, &r), -EBADMSG);
        for (size_t i = 0; i < size; i++) {
                data[i] ^= 0x20;
                int e = apt_result_parse(data, size, key, &r);
                assert_true(e == -EBADMSG);
                data[i] ^= 0x20;
        }
        assert_null(r);
}

static void test_key(void **state) {
        _cleanup_free_ char *k1 = NULL, *k2 = NULL, *k3 = NULL, *k4 = NULL;
        char dir[] = "/tmp/test-apt-result-XXXXXX";
        _cleanup_close_ int root_fd = -EBADF;
        bool racy;

        (void) state;
        assert_non_null(mkdtemp(dir));
        assert_int_equal(root_open(dir, &root_fd), 0);
        assert_int_equal(apt_result_key(root_fd, &k1, &racy), 0);
        /* Nothing there: every input stated as missing, and the key stable. */
        assert_non_null(strstr(k1, "20:/var/lib/dpkg/status -2\n"));
        assert_non_null(strstr(k1, "19:/etc/apt/apt.conf.d -2\n"));
        assert_int_equal(apt_result_key(root_fd, &k2, &racy), 0);
        assert_string_equal(k1, k2);
        /* A file in a listed directory: the directory and its entry, and a racy one. */
        char path[128];
        snprintf(path, sizeof(path), "%s/etc/apt/apt.conf.d", dir);
        assert_int_equal(mkdir_p(path, 0755), 0);
        snprintf(path, sizeof(path), "%s/etc/apt/apt.conf.d/50x", dir);
        assert_int_equal(write_cache_file(path, "x", 1, 0644), 0);
        assert_int_equal(apt_result_key(root_fd, &k3, &racy), 0);
        assert_true(racy);
        assert_non_null(strstr(k3, "23:/etc/apt/apt.conf.d/50x "));
        assert_string_not_equal(k1, k3);
        assert_int_equal(write_cache_file(path, "y", 1, 0644), 0);
        assert_int_equal(apt_result_key(root_fd, &k4, &racy), 0);
        assert_string_not_equal(k3, k4);
        unlink(path);
        snprintf(path, sizeof(path), "rm -rf '%s'", dir);
        assert_int_equal(system(path), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_other_inputs),
                cmocka_unit_test(test_damage),
                cmocka_unit_test(test_key),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
