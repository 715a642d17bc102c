/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "cleanup.h"
#include "mountinfo.h"

static const char laptop[] =
        "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/mapper/vg-root rw,errors=remount-ro\n"
        "23 22 254:2 / /home rw,relatime shared:2 - ext4 /dev/mapper/vg-home rw\n"
        "24 22 0:21 / /tmp rw shared:4 - tmpfs tmpfs rw,size=4000000k\n"
        "\n"
        "26 22 0:30 /@data /mnt/my\\040data rw shared:5 master:1 - btrfs /dev/mapper/luks-data rw,subvol=/@data\n"
        "27 23 0:31 / /home rw - tmpfs tmpfs rw\n";

static void test_parse(void **state) {
        _cleanup_(mount_table_freep) MountTable *t = NULL;
        _cleanup_free_ char *err = NULL;
        (void) state;

        assert_int_equal(mount_table_parse(laptop, strlen(laptop), &t, &err), 0);
        assert_int_equal(t->n, 5);
        assert_int_equal(t->entries[0].major, 254);
        assert_int_equal(t->entries[0].minor, 1);
        assert_string_equal(t->entries[0].source, "/dev/mapper/vg-root");
        assert_string_equal(t->entries[0].super_opts, "rw,errors=remount-ro");
        /* optional fields (shared:5 master:1) are skipped; octal escapes decoded */
        assert_string_equal(t->entries[3].path, "/mnt/my data");
        assert_string_equal(t->entries[3].root, "/@data");
        assert_string_equal(t->entries[3].fstype, "btrfs");
}

static void test_find(void **state) {
        _cleanup_(mount_table_freep) MountTable *t = NULL;
        (void) state;

        assert_int_equal(mount_table_parse(laptop, strlen(laptop), &t, NULL), 0);
        assert_string_equal(mount_table_find(t, "/")->source, "/dev/mapper/vg-root");
        assert_string_equal(mount_table_find(t, "/var/lib/x.img")->path, "/");
        /* by whole components: /homework is on /, not /home */
        assert_string_equal(mount_table_find(t, "/homework")->path, "/");
        assert_string_equal(mount_table_find(t, "/mnt/my data/f")->fstype, "btrfs");
        /* two mounts on /home: the later one is on top */
        assert_string_equal(mount_table_find(t, "/home/u/.bashrc")->fstype, "tmpfs");
        assert_string_equal(mount_table_find(t, "/tmp/")->fstype, "tmpfs");
}

static void test_errors_name_the_line(void **state) {
        static const struct {
                const char *text, *error;
        } bad[] = {
                { "22 1 254:1 / / rw\n", "line 1: no \" - \" separator" },
                { "22 1 254:1 / /\n", "line 1: expected at least 6 fields" },
                { "\n22 1 x:1 / / rw - ext4 /dev/sda1 rw\n", "line 2: bad device number \"x:1\"" },
                { "22 1 8:1 / rel rw - ext4 /dev/sda1 rw\n", "line 1: mount point \"rel\" is not absolute" },
                { "22 1 8:1 / / rw - ext4\n", "line 1: missing filesystem type or source" },
        };
        (void) state;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                _cleanup_(mount_table_freep) MountTable *t = NULL;
                _cleanup_free_ char *err = NULL;
                assert_int_equal(mount_table_parse(bad[i].text, strlen(bad[i].text), &t, &err), -EBADMSG);
                assert_string_equal(err, bad[i].error);
                assert_null(t);
        }
}

static void test_unescape(void **state) {
        char s[] = "a\\040b\\011c\\134d\\012e\\000f\\9x\\";
        (void) state;
        mountinfo_unescape(s);
        assert_string_equal(s, "a b\tc\\d\ne?f\\9x\\");
}

static void test_swaps(void **state) {
        static const char text[] =
                "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
                "/dev/dm-1                               partition\t8388604\t\t0\t\t-2\n"
                "/dev/zram0                              partition\t4194300\t\t0\t\t100\n"
                "/swap\\040file\\040(deleted)              file\t\t1048572\t\t0\t\t-3\n";
        _cleanup_(swap_table_freep) SwapTable *t = NULL;
        _cleanup_free_ char *err = NULL;
        (void) state;

        assert_int_equal(swap_table_parse(text, strlen(text), &t, &err), 0);
        assert_int_equal(t->n, 3);
        assert_string_equal(t->entries[0].path, "/dev/dm-1");
        assert_false(t->entries[0].is_file);
        assert_string_equal(t->entries[2].path, "/swap file");
        assert_true(t->entries[2].is_file);

        swap_table_free(t);
        t = NULL;
        assert_int_equal(swap_table_parse("Filename Type\nrelative file\n", 28, &t, &err), -EBADMSG);
        assert_string_equal(err, "line 2: swap \"relative\" is not an absolute path");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_find),
                cmocka_unit_test(test_errors_name_the_line),
                cmocka_unit_test(test_unescape),
                cmocka_unit_test(test_swaps),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
