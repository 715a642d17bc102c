/* SPDX-License-Identifier: MIT */
/* Verdicts over device trees: hand-made ones, and ones resolved from fixture sysroots
 * made by tests/fixtures/mkroot_disk.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blockdev.h"
#include "cleanup.h"
#include "fs-util.h"

static char dir[] = "/tmp/vigie-blockdev-XXXXXX";

static BlockNode *node(BlockKind kind, const char *name, Verdict v, bool combine) {
        BlockNode *n = calloc(1, sizeof(BlockNode));
        assert_non_null(n);
        n->kind = kind;
        n->name = strdup(name);
        n->verdict = v;
        n->combine = combine;
        return n;
}

static void add(BlockNode *parent, BlockNode *child) {
        parent->children = reallocarray(parent->children, parent->n_children + 1, sizeof(BlockNode *));
        assert_non_null(parent->children);
        parent->children[parent->n_children++] = child;
}

static void test_verdicts(void **state) {
        _cleanup_(block_node_freep) BlockNode *lv = node(BLOCK_LVM, "dm-1", VERDICT_UNKNOWN, true);
        BlockNode *crypt = node(BLOCK_CRYPT, "dm-0", VERDICT_ENCRYPTED, false), *plain;
        _cleanup_free_ char *chain = NULL, *chain2 = NULL;
        (void) state;

        crypt->crypt = CRYPT_LUKS2;
        crypt->label = strdup("luks-x");
        add(crypt, node(BLOCK_DISK, "sda", VERDICT_NOT_ENCRYPTED, false)); /* under the crypt layer: fine */
        add(lv, crypt);
        block_node_update_verdict(lv);
        assert_int_equal(lv->verdict, VERDICT_ENCRYPTED);

        add(lv, node(BLOCK_ZRAM, "zram0", VERDICT_NOT_NEEDED, true)); /* RAM beside it: still encrypted */
        block_node_update_verdict(lv);
        assert_int_equal(lv->verdict, VERDICT_ENCRYPTED);

        add(lv, node(BLOCK_UNRESOLVED, "?", VERDICT_UNKNOWN, false));
        block_node_update_verdict(lv);
        assert_int_equal(lv->verdict, VERDICT_UNKNOWN);

        plain = node(BLOCK_PARTITION, "sdb1", VERDICT_UNKNOWN, true);
        add(plain, node(BLOCK_DISK, "sdb", VERDICT_NOT_ENCRYPTED, false));
        add(lv, plain); /* one plain PV: the worst wins */
        block_node_update_verdict(lv);
        assert_int_equal(lv->verdict, VERDICT_NOT_ENCRYPTED);

        assert_int_equal(block_node_chain(lv, VERDICT_NOT_ENCRYPTED, &chain), 0);
        assert_string_equal(chain, "dm-1 (LVM ) → sdb1 (partition) → sdb (disk)");
        assert_int_equal(block_node_chain(crypt, VERDICT_ENCRYPTED, &chain2), 0);
        assert_string_equal(chain2, "dm-0 (LUKS2 luks-x)");
}

static int build(const char *layout, char **ret_root) {
        char cmd[512];
        if (asprintf(ret_root, "%s/%s", dir, layout) < 0)
                return -ENOMEM;
        snprintf(cmd, sizeof cmd, "python3 tests/fixtures/mkroot_disk.py %s %s >/dev/null 2>&1", layout, *ret_root);
        return system(cmd) == 0 ? 0 : -EIO;
}

static void resolve(const char *root, const char *mount, BlockNode **ret, MountTable **ret_table) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *text = NULL;
        size_t size;
        const MountEntry *m;

        assert_int_equal(root_open(root, &fd), 0);
        assert_int_equal(root_read_file(fd, "/proc/self/mountinfo", READ_FILE_MAX, &text, &size), 0);
        assert_int_equal(mount_table_parse(text, size, ret_table, NULL), 0);
        m = mount_table_find(*ret_table, mount);
        assert_non_null(m);
        assert_int_equal(block_resolve_mount(fd, *ret_table, m, ret), 0);
}

static void test_loop_file_on_plain_root(void **state) {
        _cleanup_free_ char *root = NULL, *chain = NULL;
        _cleanup_(block_node_freep) BlockNode *home = NULL;
        _cleanup_(mount_table_freep) MountTable *t = NULL;
        (void) state;

        if (build("loop_luks_on_plain", &root) < 0)
                skip();
        resolve(root, "/home", &home, &t);
        assert_int_equal(home->kind, BLOCK_CRYPT);
        assert_int_equal(home->verdict, VERDICT_ENCRYPTED);
        /* what is under the crypt layer is resolved for the evidence: loop → file → plain root */
        assert_int_equal(home->children[0]->kind, BLOCK_LOOP);
        assert_int_equal(home->children[0]->verdict, VERDICT_NOT_ENCRYPTED);
        assert_int_equal(block_node_chain(home->children[0], VERDICT_NOT_ENCRYPTED, &chain), 0);
        assert_string_equal(chain, "loop0 (loop) → file /var/lib/home.img on / → sda3 (partition) → sda (disk)");
}

static void test_loop_onto_itself_is_unknown(void **state) {
        _cleanup_free_ char *root = NULL, *mi = NULL;
        _cleanup_(block_node_freep) BlockNode *n = NULL;
        _cleanup_(mount_table_freep) MountTable *t = NULL;
        static const char text[] = "21 1 7:0 / / rw - ext4 /dev/loop0 rw\n";
        (void) state;

        if (build("loop_luks_on_plain", &root) < 0)
                skip();
        /* "/" on loop0, whose backing file lives on "/": a loop the resolver must stop */
        assert_non_null(mi = path_join(root, "proc/self/mountinfo"));
        assert_int_equal(write_file_atomic(mi, text, strlen(text), 0644), 0);
        resolve(root, "/", &n, &t);
        assert_int_equal(n->verdict, VERDICT_UNKNOWN);
        assert_int_equal(n->children[0]->kind, BLOCK_FILE);
        assert_int_equal(n->children[0]->children[0]->kind, BLOCK_UNRESOLVED);
        assert_string_equal(n->children[0]->children[0]->reason, "\"/\" is stored on itself (a loop)");
}

static void test_btrfs_multi_device(void **state) {
        _cleanup_free_ char *root = NULL;
        _cleanup_(block_node_freep) BlockNode *n = NULL;
        _cleanup_(mount_table_freep) MountTable *t = NULL;
        (void) state;

        if (build("btrfs_multi_one_plain", &root) < 0)
                skip();
        resolve(root, "/", &n, &t);
        assert_int_equal(n->kind, BLOCK_BTRFS);
        assert_int_equal(n->n_children, 2);
        assert_int_equal(n->verdict, VERDICT_NOT_ENCRYPTED);
}

static int teardown(void **state) {
        char cmd[300];
        (void) state;
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        return system(cmd);
}

static int setup(void **state) {
        (void) state;
        return mkdtemp(dir) ? 0 : -1;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_verdicts),
                cmocka_unit_test(test_loop_file_on_plain_root),
                cmocka_unit_test(test_loop_onto_itself_is_unknown),
                cmocka_unit_test(test_btrfs_multi_device),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
