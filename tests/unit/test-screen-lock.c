/* SPDX-License-Identifier: MIT */
/* The screen_lock check's readers: GVDB and GVariant on databases `dconf compile` wrote
 * (the fuzz seed corpus), then damaged on purpose; dconf profiles and precedence; KConfig
 * with its immutability markers; xfconf channels; passwd and login.defs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cleanup.h"
#include "fs-util.h"
#include "macro.h"
#include "screen-lock/dconf.h"
#include "screen-lock/gvdb.h"
#include "screen-lock/kconfig.h"
#include "screen-lock/users.h"
#include "screen-lock/xfconf.h"
#include "screen-lock/xscreensaver.h"

#define CORPUS "tests/fuzz/corpus/gvdb/"
/* A literal and its length. */
#define TEXT(s) (s), strlen(s)

static char *load(const char *name, size_t *ret_size) {
        char *buf = NULL;

        assert_int_equal(read_file_full(name, 1u << 20, &buf, ret_size), 0);
        return buf;
}

/* types-and-locks: [org/gnome/desktop/session] idle-delay=uint32 600 (locked),
 * [org/gnome/desktop/screensaver] lock-enabled=false, [org/mate/desktop/session]
 * idle-delay=-3, [org/vigie] name='café' list=[1, 2]. */
static void test_gvdb_values_and_locks(void **state) {
        _cleanup_free_ char *db = NULL;
        GvdbTable t, locks;
        GVariantValue v;
        size_t size;
        (void) state;

        db = load(CORPUS "types-and-locks", &size);
        assert_int_equal(gvdb_table_open(db, size, &t), 0);
        assert_int_equal(gvdb_table_get_value(&t, "/org/gnome/desktop/session/idle-delay", &v), 0);
        assert_int_equal(v.type, 'u');
        assert_int_equal(v.u, 600);
        assert_int_equal(gvdb_table_get_value(&t, "/org/gnome/desktop/screensaver/lock-enabled", &v), 0);
        assert_true(v.type == 'b' && !v.b);
        assert_int_equal(gvdb_table_get_value(&t, "/org/mate/desktop/session/idle-delay", &v), 0);
        assert_true(v.type == 'i' && v.i == -3);
        assert_int_equal(gvdb_table_get_value(&t, "/org/vigie/name", &v), 0);
        assert_true(v.type == 's');
        assert_string_equal(v.s, "café");
        /* A container: not a basic type. */
        assert_int_equal(gvdb_table_get_value(&t, "/org/vigie/list", &v), -EMEDIUMTYPE);
        /* Absent keys, prefixes and directories are not values. */
        assert_int_equal(gvdb_table_get_value(&t, "/org/vigie/nam", &v), -ENOENT);
        assert_int_equal(gvdb_table_get_value(&t, "/org/vigie/", &v), -ENOENT);
        assert_true(gvdb_table_has(&t, "/org/vigie/"));
        assert_int_equal(gvdb_table_get_value(&t, "", &v), -ENOENT);

        assert_int_equal(gvdb_table_get_table(&t, ".locks", &locks), 0);
        assert_true(gvdb_table_has(&locks, "/org/gnome/desktop/session/idle-delay"));
        assert_false(gvdb_table_has(&locks, "/org/gnome/desktop/screensaver/lock-enabled"));
        assert_int_equal(gvdb_table_get_table(&t, "/org/vigie/name", &locks), -ENOENT);
}

static void test_gvdb_empty_and_refused(void **state) {
        _cleanup_free_ char *db = NULL;
        GvdbTable t;
        GVariantValue v;
        size_t size;
        (void) state;

        db = load(CORPUS "empty", &size);
        assert_int_equal(gvdb_table_open(db, size, &t), 0);
        assert_int_equal(gvdb_table_get_value(&t, "/org/gnome/desktop/session/idle-delay", &v), -ENOENT);
        assert_int_equal(gvdb_table_get_table(&t, ".locks", &t), -ENOENT);

        assert_int_equal(gvdb_table_open("GVariant", 8, &t), -EBADMSG);
        assert_int_equal(gvdb_table_open("", 0, &t), -EBADMSG);
        memcpy(db, "raVGtnai", 8);
        assert_int_equal(gvdb_table_open(db, size, &t), -EPROTONOSUPPORT);
        memcpy(db, "GVariant", 8);
        db[8] = 1; /* version */
        assert_int_equal(gvdb_table_open(db, size, &t), -EBADMSG);
}

/* Every truncation and every single-byte change of a real database is read without a
 * crash (ASan in make check SANITIZE=1): refused, or answered. */
static void test_gvdb_damaged(void **state) {
        _cleanup_free_ char *db = NULL, *copy = NULL;
        size_t size;
        (void) state;

        db = load(CORPUS "desktop-mix", &size);
        for (size_t n = 0; n <= size; n++) {
                GvdbTable t, locks;
                GVariantValue v;

                copy = realloc(copy, MAX(n, 1u));
                assert_non_null(copy);
                memcpy(copy, db, n);
                if (gvdb_table_open(copy, n, &t) >= 0) {
                        (void) gvdb_table_get_value(&t, "/org/gnome/desktop/session/idle-delay", &v);
                        (void) gvdb_table_get_table(&t, ".locks", &locks);
                }
        }
        for (size_t i = 0; i < size; i++)
                for (unsigned bit = 0; bit < 8; bit += 3) {
                        GvdbTable t;
                        GVariantValue v;

                        memcpy(copy, db, size);
                        copy[i] ^= (char) (1u << bit);
                        if (gvdb_table_open(copy, size, &t) >= 0)
                                (void) gvdb_table_get_value(&t, "/org/gnome/desktop/session/idle-delay", &v);
                }
}

static void test_gvariant_decode(void **state) {
        GVariantValue v;
        (void) state;

        assert_int_equal(gvariant_decode_variant((const uint8_t *) "\x01\0b", 3, &v), 0);
        assert_true(v.type == 'b' && v.b);
        assert_int_equal(gvariant_decode_variant((const uint8_t *) "\x02\0b", 3, &v), -EBADMSG);
        assert_int_equal(gvariant_decode_variant((const uint8_t *) "\x2c\x01\0\0\0u", 6, &v), 0);
        assert_int_equal(v.u, 300);
        assert_int_equal(gvariant_decode_variant((const uint8_t *) "\x2c\x01\0\0u", 5, &v), -EBADMSG);
        assert_int_equal(gvariant_decode_variant((const uint8_t *) "hi\0\0s", 5, &v), 0);
        assert_string_equal(v.s, "hi");
        assert_int_equal(gvariant_decode_variant((const uint8_t *) "h\0i\0\0s", 6, &v), -EBADMSG);
        assert_int_equal(gvariant_decode_variant((const uint8_t *) "hi\0s", 4, &v), -EBADMSG);
        assert_int_equal(gvariant_decode_variant((const uint8_t *) "\0\0\0\0\0\0\0\0\0d", 10, &v), -EMEDIUMTYPE);
        assert_int_equal(v.type, 'd');
        assert_int_equal(gvariant_decode_variant((const uint8_t *) "\x01\0", 2, &v), -EBADMSG);
        assert_int_equal(gvariant_decode_variant((const uint8_t *) "", 0, &v), -EBADMSG);
        assert_int_equal(gvariant_decode_variant((const uint8_t *) "abc", 3, &v), -EBADMSG);
}

static void test_dconf_profile(void **state) {
        _cleanup_(dconf_done) Dconf d = {};
        _cleanup_free_ char *err = NULL;
        (void) state;

        assert_int_equal(dconf_profile_parse("# site\n user-db:user \nsystem-db:local # IT\n\nservice-db:x\n"
                                             "file-db:/usr/share/gdm/defaults\nsystem-db:site\n",
                                             "/home/alice", 1000, &d, &err),
                         0);
        assert_int_equal(d.n_sources, 5);
        assert_string_equal(d.sources[0].path, "/home/alice/.config/dconf/user");
        assert_true(d.sources[0].user);
        assert_string_equal(d.sources[1].path, "/etc/dconf/db/local");
        assert_string_equal(d.sources[2].path, "/run/user/1000/dconf-service/x");
        assert_null(d.sources[2].keyfile_path);
        assert_string_equal(d.sources[3].path, "/usr/share/gdm/defaults");
        assert_string_equal(d.sources[4].path, "/etc/dconf/db/site");
        dconf_done(&d);
        assert_int_equal(dconf_profile_parse("service-db:keyfile/user\n", "/home/b", 1001, &d, &err), 0);
        assert_string_equal(d.sources[0].path, "/run/user/1001/dconf-service/keyfile/user");
        assert_string_equal(d.sources[0].keyfile_path, "/home/b/.config/dconf/user.txt");
        dconf_done(&d);
        assert_int_equal(dconf_profile_parse("system-db:../../home/x\n", "/h", 1000, &d, &err), -EINVAL);
        assert_string_equal(err, "invalid database name \"../../home/x\"");
        dconf_done(&d);
        free(err), err = NULL;
        assert_int_equal(dconf_profile_parse("service-db:keyfile/../x\n", "/h", 1000, &d, &err), -EINVAL);
        assert_string_equal(err, "invalid database name \"keyfile/../x\"");
        dconf_done(&d);
        free(err), err = NULL;
        assert_int_equal(dconf_profile_parse("file-db:db/local\n", "/h", 1000, &d, &err), -EINVAL);
        assert_string_equal(err, "file-db \"db/local\" is not an absolute path");
        dconf_done(&d);
        free(err), err = NULL;
        assert_int_equal(dconf_profile_parse("user-db:user\nbogus\n", "/h", 1000, &d, &err), -EINVAL);
        assert_string_equal(err, "line 2: unknown source \"bogus\"");
}

/* A system database locking the key beats the user's; the wrong type falls back to the
 * default. The databases come from the corpus, in a root made for the test. */
static void test_dconf_precedence(void **state) {
        char dir[] = "/tmp/test-screen-lock-XXXXXX";
        _cleanup_free_ char *user = NULL, *sys = NULL, *cmd = NULL;
        _cleanup_(dconf_done) Dconf d = {};
        _cleanup_free_ char *err = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *source;
        GVariantValue v;
        bool locked;
        (void) state;

        assert_non_null(mkdtemp(dir));
        assert_true(asprintf(&cmd, "mkdir -p %s/home/a/.config/dconf %s/etc/dconf/db %s/etc/dconf/profile && "
                             "cp " CORPUS "desktop-mix %s/home/a/.config/dconf/user && "
                             "cp " CORPUS "types-and-locks %s/etc/dconf/db/local && "
                             "printf 'user-db:user\\nsystem-db:local\\n' > %s/etc/dconf/profile/user",
                             dir, dir, dir, dir, dir, dir) > 0);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(root_open(dir, &fd), 0);
        assert_int_equal(dconf_load(fd, "/home/a", 1000, &d, &err), 0);
        /* Locked in local (600) although the user says 300. */
        assert_int_equal(dconf_read(&d, "/org/gnome/desktop/session/idle-delay", 'u', &v, &source, &locked), 1);
        assert_true(v.u == 600 && locked);
        assert_string_equal(source, "/etc/dconf/db/local");
        /* Not locked: the user's true beats local's false. */
        assert_int_equal(dconf_read(&d, "/org/gnome/desktop/screensaver/lock-enabled", 'b', &v, &source, &locked), 1);
        assert_true(v.b && !locked);
        assert_string_equal(source, "/home/a/.config/dconf/user");
        /* The user's int32 where a uint32 is expected: the default, as GSettings. */
        assert_int_equal(dconf_read(&d, "/org/mate/desktop/session/idle-delay", 'u', &v, &source, &locked), 0);
        assert_int_equal(dconf_read(&d, "/org/nowhere", 'u', &v, &source, &locked), 0);
        free(cmd);
        assert_true(asprintf(&cmd, "rm -rf %s", dir) > 0);
        assert_int_equal(system(cmd), 0);
}

/* service-db:keyfile/user (NFS homes): the service's compiled copy in /run/user while the
 * session runs, else its text in ~/.config/dconf/user.txt; a system lock still wins. */
static void test_dconf_keyfile_service(void **state) {
        char dir[] = "/tmp/test-screen-lock-XXXXXX";
        _cleanup_free_ char *cmd = NULL;
        _cleanup_(dconf_done) Dconf d = {};
        _cleanup_free_ char *err = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *source;
        GVariantValue v;
        bool locked;
        (void) state;

        assert_non_null(mkdtemp(dir));
        assert_true(asprintf(&cmd, "mkdir -p %s/home/a/.config/dconf %s/etc/dconf/db %s/etc/dconf/profile && "
                             "cp " CORPUS "types-and-locks %s/etc/dconf/db/local && "
                             "printf 'service-db:keyfile/user\\nsystem-db:local\\n' > %s/etc/dconf/profile/user && "
                             "printf '[org/gnome/desktop/screensaver]\\nlock-enabled=false\\nlock-delay=uint32 30\\n"
                             "[org/gnome/desktop/session]\\nidle-delay=uint32 900\\n[/]\\ntop=7\\n' "
                             "> %s/home/a/.config/dconf/user.txt",
                             dir, dir, dir, dir, dir, dir) > 0);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(root_open(dir, &fd), 0);
        assert_int_equal(dconf_load(fd, "/home/a", 1000, &d, &err), 0);
        assert_true(d.sources[0].has_keyfile);
        assert_int_equal(dconf_read(&d, "/org/gnome/desktop/screensaver/lock-enabled", 'b', &v, &source, &locked), 1);
        assert_true(!v.b && !locked);
        assert_string_equal(source, "/home/a/.config/dconf/user.txt");
        assert_int_equal(dconf_read(&d, "/org/gnome/desktop/screensaver/lock-delay", 'u', &v, &source, &locked), 1);
        assert_int_equal(v.u, 30);
        assert_int_equal(dconf_read(&d, "/top", 'i', &v, &source, &locked), 1);
        assert_int_equal(v.i, 7);
        /* Locked in local (600): the keyfile's 900 does not count. */
        assert_int_equal(dconf_read(&d, "/org/gnome/desktop/session/idle-delay", 'u', &v, &source, &locked), 1);
        assert_true(v.u == 600 && locked);
        dconf_done(&d);

        /* The session's compiled copy, when there is one, is what dconf reads. */
        free(cmd);
        assert_true(asprintf(&cmd, "mkdir -p %s/run/user/1000/dconf-service/keyfile && "
                             "cp " CORPUS "desktop-mix %s/run/user/1000/dconf-service/keyfile/user", dir, dir) > 0);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(dconf_load(fd, "/home/a", 1000, &d, &err), 0);
        assert_false(d.sources[0].has_keyfile);
        assert_int_equal(dconf_read(&d, "/org/gnome/desktop/screensaver/lock-enabled", 'b', &v, &source, &locked), 1);
        assert_true(v.b);
        free(cmd);
        assert_true(asprintf(&cmd, "rm -rf %s", dir) > 0);
        assert_int_equal(system(cmd), 0);
}

static void test_dconf_keyfile_value(void **state) {
        GVariantValue v;
        (void) state;

        assert_int_equal(dconf_keyfile_value("true", &v), 1);
        assert_true(v.type == 'b' && v.b);
        assert_int_equal(dconf_keyfile_value(" false ", &v), 1);
        assert_true(v.type == 'b' && !v.b);
        assert_int_equal(dconf_keyfile_value("uint32 300", &v), 1);
        assert_true(v.type == 'u' && v.u == 300);
        assert_int_equal(dconf_keyfile_value("@u 0x10", &v), 1);
        assert_true(v.type == 'u' && v.u == 16);
        assert_int_equal(dconf_keyfile_value("300", &v), 1); /* unannotated: int32 */
        assert_true(v.type == 'i' && v.i == 300);
        assert_int_equal(dconf_keyfile_value("-5", &v), 1);
        assert_true(v.type == 'i' && v.i == -5);
        assert_int_equal(dconf_keyfile_value("'a string'", &v), 0);
        assert_int_equal(dconf_keyfile_value("1.5", &v), 0);
        assert_int_equal(dconf_keyfile_value("int64 5", &v), 0);
        assert_int_equal(dconf_keyfile_value("uint32 -1", &v), -EINVAL);
        assert_int_equal(dconf_keyfile_value("3000000000", &v), -EINVAL);
        assert_int_equal(dconf_keyfile_value("uint32 true", &v), -EINVAL);
        assert_int_equal(dconf_keyfile_value("12abc", &v), -EINVAL);
        assert_int_equal(dconf_keyfile_value("", &v), -EINVAL);
}

static void test_kconfig(void **state) {
        _cleanup_(kconfig_done) KConfig c = {};
        _cleanup_free_ char *err = NULL;
        const KConfigEntry *e;
        static const char sys[] = "[Daemon][$i]\nTimeout=10\n[Greeter]\nTheme=a\nWall[$i]=x\n";
        static const char usr[] = "# user\n[Daemon]\nTimeout=60\nAutolock = false \n[Greeter]\nTheme=b\n"
                                  "Wall=y\nName[fr]=Verrou\nEsc=a\\sb\\tc\\x41\\\\\n[A][B]\nk=v\n";
        (void) state;

        assert_int_equal(kconfig_parse(&c, sys, strlen(sys), 0, &err), 0);
        assert_int_equal(kconfig_parse(&c, usr, strlen(usr), 1, &err), 0);
        e = kconfig_get(&c, "Daemon", "Timeout");
        assert_true(e && e->immutable && e->file == 0);
        assert_string_equal(e->value, "10");
        assert_null(kconfig_get(&c, "Daemon", "Autolock")); /* the whole group was immutable */
        e = kconfig_get(&c, "Greeter", "Theme");
        assert_true(e && e->file == 1 && !e->immutable);
        e = kconfig_get(&c, "Greeter", "Wall");
        assert_true(e && e->file == 0 && e->immutable);
        assert_null(kconfig_get(&c, "Greeter", "Name"));
        assert_string_equal(kconfig_get(&c, "Greeter", "Esc")->value, "a b\tcA\\");
        assert_string_equal(kconfig_get(&c, "A/B", "k")->value, "v");
        assert_false(kconfig_value_bool("FALSE"));
        assert_false(kconfig_value_bool("off"));
        assert_true(kconfig_value_bool("yes"));
        assert_true(kconfig_value_bool("maybe")); /* KConfig: anything not negative */
        kconfig_done(&c);

        assert_int_equal(kconfig_parse(&c, TEXT("[$i]\n[Daemon]\nTimeout=5\n"), 0, &err), 0);
        assert_int_equal(kconfig_parse(&c, TEXT("[Daemon]\nTimeout=50\n"), 1, &err), 0);
        assert_string_equal(kconfig_get(&c, "Daemon", "Timeout")->value, "5");
        kconfig_done(&c);

        assert_int_equal(kconfig_parse(&c, TEXT("[Daemon]\nno equals sign\n"), 0, &err), -EBADMSG);
        assert_string_equal(err, "line 2: expected Key=Value");
        free(err), err = NULL;
        assert_int_equal(kconfig_parse(&c, TEXT("[Daemon\n"), 0, &err), -EBADMSG);
        assert_string_equal(err, "line 1: a malformed group header");
        free(err), err = NULL;
        assert_int_equal(kconfig_parse(&c, TEXT("[D]\nk=\\x00\n"), 0, &err), -EBADMSG);
}

static void test_xfconf(void **state) {
        _cleanup_(xfconf_done) XfconfChannel c = {};
        _cleanup_free_ char *err = NULL, *text = NULL;
        const XfconfProperty *p;
        size_t size;
        (void) state;

        text = load("tests/fuzz/corpus/xfconf/xfce4-screensaver.xml", &size);
        assert_int_equal(xfconf_parse(text, size, &c, &err), 0);
        assert_string_equal(c.name, "xfce4-screensaver");
        p = xfconf_get(&c, "/saver/idle-activation/delay");
        assert_true(p && streq(p->type, "int") && streq(p->value, "10") && !p->locked);
        p = xfconf_get(&c, "/lock/saver-activation/delay");
        assert_string_equal(p->value, "1");
        assert_null(xfconf_get(&c, "/saver/themes/list"));
        assert_null(xfconf_get(&c, "/saver"));
        xfconf_done(&c);

        free(text);
        text = load("tests/fuzz/corpus/xfconf/system-locked.xml", &size);
        assert_int_equal(xfconf_parse(text, size, &c, &err), 0);
        assert_true(xfconf_get(&c, "/lock/enabled")->locked);
        xfconf_done(&c);

        assert_int_equal(xfconf_parse(TEXT("<channel name="), &c, &err), -EBADMSG);
        free(err), err = NULL;
        assert_int_equal(xfconf_parse(TEXT("<x/>"), &c, &err), -EBADMSG);
        free(err), err = NULL;
        assert_int_equal(xfconf_parse(TEXT("<!DOCTYPE channel [<!ENTITY a \"b\">]><channel name=\"c\"/>"), &c, &err),
                         -EBADMSG);
        free(err), err = NULL;
        assert_int_equal(xfconf_parse(TEXT("<channel name=\"c\"><property name=\"a/b\" type=\"int\" value=\"1\"/>"
                                           "</channel>"),
                                      &c, &err),
                         -EBADMSG);
}

static void test_users(void **state) {
        _cleanup_(local_users_done) LocalUsers u = {};
        (void) state;

        assert_int_equal(local_users_parse("root:x:0:0:root:/root:/bin/bash\n"
                                           "alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n"
                                           "bob:x:1001:1001::/home/bob:\n"
                                           "svc:x:1002:1002::/srv:/usr/sbin/nologin\n"
                                           "f:x:1003:1003::/home/f:/bin/false\n"
                                           "+nis::::::\n"
                                           "short:x:1004\n"
                                           "big:x:70000:1::/home/big:/bin/sh\n"
                                           "rel:x:1005:1::home/rel:/bin/sh\n"
                                           "junk:x:10x5:1::/home/j:/bin/sh\n"
                                           "extra:x:1006:1::/home/e:/bin/sh:more\n"
                                           "zed:x:1007:1::/home/zed:/bin/zsh",
                                           "UID_MIN 1000 # comment\nUID_MAX\t60000\n", &u),
                         0);
        assert_int_equal(u.n, 3);
        assert_string_equal(u.users[0].name, "alice");
        assert_string_equal(u.users[0].home, "/home/alice");
        assert_int_equal(u.users[0].uid, 1000);
        assert_string_equal(u.users[1].name, "bob");
        assert_string_equal(u.users[2].name, "zed");
        local_users_done(&u);
        assert_int_equal(local_users_parse("alice:x:1000:1000::/home/alice:/bin/bash\n"
                                           "bob:x:1001:1001::/home/bob:/bin/bash\n",
                                           "UID_MIN 500\nUID_MIN 1001\n", &u),
                         0);
        assert_int_equal(u.n, 1);
        assert_string_equal(u.users[0].name, "bob");
}

static void test_xscreensaver(void **state) {
        _cleanup_free_ char *text = NULL;
        XssPrefs p;
        size_t size;
        (void) state;

        text = load("tests/fuzz/corpus/xscreensaver/xscreensaver-settings", &size);
        xscreensaver_parse(text, &p);
        assert_true(p.set[XSS_TIMEOUT] && p.value[XSS_TIMEOUT] == 600);
        assert_true(p.set[XSS_LOCK] && p.value[XSS_LOCK] == 1);
        assert_true(p.set[XSS_LOCK_TIMEOUT] && p.value[XSS_LOCK_TIMEOUT] == 0);
        assert_true(p.set[XSS_MODE_OFF] && p.value[XSS_MODE_OFF] == 0);
        /* Minutes alone, MM:SS, mode off; a continued line is not a key; junk is skipped. */
        xscreensaver_parse("timeout: 30\nprograms: a \\\nlock: True\n*lockTimeout:\t2:30\nmode: Off\n"
                           "lock: maybe\n", &p);
        assert_int_equal(p.value[XSS_TIMEOUT], 1800);
        assert_false(p.set[XSS_LOCK]);
        assert_int_equal(p.value[XSS_LOCK_TIMEOUT], 150);
        assert_int_equal(p.value[XSS_MODE_OFF], 1);
        xscreensaver_parse("timeout: 0:99:00\n", &p);
        assert_false(p.set[XSS_TIMEOUT]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_gvdb_values_and_locks),
                cmocka_unit_test(test_gvdb_empty_and_refused),
                cmocka_unit_test(test_gvdb_damaged),
                cmocka_unit_test(test_gvariant_decode),
                cmocka_unit_test(test_dconf_profile),
                cmocka_unit_test(test_dconf_precedence),
                cmocka_unit_test(test_dconf_keyfile_service),
                cmocka_unit_test(test_dconf_keyfile_value),
                cmocka_unit_test(test_kconfig),
                cmocka_unit_test(test_xfconf),
                cmocka_unit_test(test_users),
                cmocka_unit_test(test_xscreensaver),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
