/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs-util.h"
#include "spawn-util.h"
#include "time-util.h"

static int run_sh(const char *script, char *const *env, usec_t timeout, size_t max, int pass_fd,
                  SpawnResult *ret) {
        char *argv[] = { (char *) "sh", (char *) "-c", (char *) script, NULL };
        SpawnOptions o = { .argv = argv, .env = env, .timeout = timeout, .max_output = max, .pass_fd = pass_fd };
        return spawn_run(&o, ret);
}

static void test_output_and_status(void **state) {
        _cleanup_(spawn_result_done) SpawnResult r = {};
        (void) state;
        assert_int_equal(run_sh("echo out; echo err >&2; exit 7", NULL, 0, 0, -1, &r), 7);
        assert_string_equal(r.out, "out\n");
        assert_string_equal(r.err, "err\n");
        assert_false(r.timed_out);
        assert_false(r.truncated);
}

static void test_signal_status(void **state) {
        _cleanup_(spawn_result_done) SpawnResult r = {};
        (void) state;
        assert_int_equal(run_sh("kill -TERM $$", NULL, 0, 0, -1, &r), 128 + SIGTERM);
}

static void test_clean_env_and_stdin(void **state) {
        _cleanup_(spawn_result_done) SpawnResult r = {};
        char *env[] = { (char *) "ONLY=this", NULL };
        (void) state;
        setenv("VIGIE_LEAK", "secret", 1);
        assert_int_equal(run_sh("env | grep -v '^PWD=' | grep -v '^SHLVL=' | grep -v '^_='; cat; "
                                "ls /proc/self/fd | wc -l", env, 0, 0, -1, &r), 0);
        unsetenv("VIGIE_LEAK");
        /* the environment is exactly ours, stdin is empty, and only 0 1 2 (+ the fd ls
         * opens) are open */
        assert_string_equal(r.out, "ONLY=this\n4\n");
}

static void test_pass_fd(void **state) {
        _cleanup_(spawn_result_done) SpawnResult r = {};
        _cleanup_close_ int fd = -1;
        char path[] = "/tmp/vigie-spawn-XXXXXX";
        (void) state;
        fd = mkostemp(path, O_CLOEXEC);
        assert_true(fd >= 0);
        unlink(path);
        assert_int_equal(write(fd, "hunter2\n", 8), 8);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        assert_int_equal(run_sh("cat <&3", NULL, 0, 0, fd, &r), 0);
        assert_string_equal(r.out, "hunter2\n");
}

static void test_cap(void **state) {
        _cleanup_(spawn_result_done) SpawnResult r = {};
        (void) state;
        assert_int_equal(run_sh("head -c 100000 /dev/zero | tr '\\0' x", NULL, 0, 1000, -1, &r), 0);
        assert_int_equal(r.out_size, 1000);
        assert_true(r.truncated);
}

static bool alive(pid_t pid) {
        _cleanup_free_ char *p = NULL, *text = NULL;
        const char *s;
        if (asprintf(&p, "/proc/%d/stat", (int) pid) < 0 || read_file_full(p, 4096, &text, NULL) < 0)
                return false;
        s = strrchr(text, ')');
        return s && s[1] == ' ' && s[2] != 'Z';
}

static void test_timeout_kills_group(void **state) {
        _cleanup_(spawn_result_done) SpawnResult r = {};
        usec_t start = now_monotonic();
        int child;
        (void) state;
        /* a tool that starts a child and hangs: both must be gone when spawn_run returns */
        assert_int_equal(run_sh("sleep 300 & echo $!; exec sleep 300", NULL, 300 * USEC_PER_MSEC, 0, -1, &r),
                         -ETIMEDOUT);
        assert_true(r.timed_out);
        assert_true(now_monotonic() - start < 60 * USEC_PER_SEC);
        child = (int) strtol(r.out, NULL, 10);
        assert_true(child > 0);
        for (int i = 0; i < 100 && alive(child); i++)
                usleep(10000); /* reparented zombies are reaped by init, not by us */
        assert_false(alive(child));
}

static void test_leader_exit_kills_leftovers(void **state) {
        _cleanup_(spawn_result_done) SpawnResult r = {};
        (void) state;
        /* the leader exits at once but leaves a child holding stdout: no wait for it */
        assert_int_equal(run_sh("sleep 300 & echo started", NULL, 60 * USEC_PER_SEC, 0, -1, &r), 0);
        assert_false(r.timed_out);
        assert_string_equal(r.out, "started\n");
}

static void test_escaped_child_does_not_block(void **state) {
        _cleanup_(spawn_result_done) SpawnResult r = {};
        int child;
        (void) state;
        /* a child that left the group (setsid) keeps stdout open: we stop reading anyway, and
         * return while it still runs */
        assert_int_equal(run_sh("setsid sleep 120 & c=$!; "
                                "while [ \"$(cut -d' ' -f5 /proc/$c/stat)\" = $$ ]; do sleep 0.01; done; echo $c",
                                NULL, 300 * USEC_PER_SEC, 0, -1, &r), 0);
        child = (int) strtol(r.out, NULL, 10);
        assert_true(child > 0);
        assert_true(alive(child));
        kill(child, SIGKILL);
}

static void test_not_found(void **state) {
        _cleanup_(spawn_result_done) SpawnResult r = {};
        _cleanup_free_ char *p = NULL;
        char *argv[] = { (char *) "vigie-no-such-tool", NULL };
        char *argv2[] = { (char *) "sh", NULL };
        SpawnOptions o = { .argv = argv, .pass_fd = -1 };
        (void) state;
        assert_int_equal(spawn_run(&o, &r), -ENOENT);
        /* relative and empty PATH entries are never searched */
        o.argv = argv2;
        o.path = ":bin:.";
        assert_int_equal(spawn_run(&o, &r), -ENOENT);
        assert_int_equal(spawn_find_executable("sh", "/nonexistent:/bin", &p), 0);
        assert_string_equal(p, "/bin/sh");
        free(p);
        p = NULL;
        assert_int_equal(spawn_find_executable("/etc/passwd", NULL, &p), -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_output_and_status),
                cmocka_unit_test(test_signal_status),
                cmocka_unit_test(test_clean_env_and_stdin),
                cmocka_unit_test(test_pass_fd),
                cmocka_unit_test(test_cap),
                cmocka_unit_test(test_timeout_kills_group),
                cmocka_unit_test(test_leader_exit_kills_leftovers),
                cmocka_unit_test(test_escaped_child_does_not_block),
                cmocka_unit_test(test_not_found),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
