/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs-util.h"

static char dir[] = "/tmp/vigie-fs-XXXXXX";

static int setup(void **state) {
        char p[256];
        (void) state;
        if (!mkdtemp(dir))
                return -1;
        snprintf(p, sizeof p, "%s/etc", dir);
        mkdir(p, 0755);
        snprintf(p, sizeof p, "%s/etc/os-release", dir);
        write_file_atomic(p, "ID=debian\n", 10, 0644);
        /* an absolute link must resolve inside the root, never on the host */
        snprintf(p, sizeof p, "%s/etc/escape", dir);
        if (symlink("/etc/os-release", p) < 0)
                return -1;
        snprintf(p, sizeof p, "%s/etc/up", dir);
        if (symlink("../../../../../../etc/os-release", p) < 0)
                return -1;
        return 0;
}

static int teardown(void **state) {
        char cmd[300];
        (void) state;
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        return system(cmd);
}

static void test_root_confinement(void **state) {
        _cleanup_close_ int root = -1;
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *real = NULL;
        (void) state;
        assert_int_equal(root_open(dir, &root), 0);
        assert_int_equal(root_read_file(root, "/etc/os-release", 1024, &a, NULL), 0);
        assert_string_equal(a, "ID=debian\n");
        assert_int_equal(root_read_file(root, "etc/escape", 1024, &b, NULL), 0);
        assert_string_equal(b, "ID=debian\n");
        assert_int_equal(root_read_file(root, "etc/up", 1024, &c, NULL), 0);
        assert_string_equal(c, "ID=debian\n");
        assert_int_equal(root_realpath(root, "etc/escape", &real), 0);
        assert_string_equal(real, "/etc/os-release");
        assert_true(root_exists(root, "etc"));
        assert_false(root_exists(root, "nope"));
}

static void test_read_limit(void **state) {
        _cleanup_close_ int root = -1;
        _cleanup_free_ char *a = NULL;
        (void) state;
        assert_int_equal(root_open(dir, &root), 0);
        assert_int_equal(root_read_file(root, "etc/os-release", 5, &a, NULL), -EFBIG);
        assert_int_equal(root_read_file(root, "etc/missing", 5, &a, NULL), -ENOENT);
}

static void test_atomic_write(void **state) {
        _cleanup_free_ char *p = NULL, *back = NULL;
        struct stat st;
        (void) state;
        p = path_join(dir, "state.json");
        assert_int_equal(write_file_atomic(p, "{}", 2, 0600), 0);
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        assert_int_equal(read_file_full(p, 100, &back, NULL), 0);
        assert_string_equal(back, "{}");
        assert_int_equal(write_file_atomic("/nonexistent-dir/x", "a", 1, 0600), -ENOENT);
}

static void test_path_join(void **state) {
        _cleanup_free_ char *a = path_join("/", "etc"), *b = path_join("/var/lib/", "/vigie"),
                           *c = path_join("rel", "x");
        (void) state;
        assert_string_equal(a, "/etc");
        assert_string_equal(b, "/var/lib/vigie");
        assert_string_equal(c, "rel/x");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_root_confinement),
                cmocka_unit_test(test_read_limit),
                cmocka_unit_test(test_atomic_write),
                cmocka_unit_test(test_path_join),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
