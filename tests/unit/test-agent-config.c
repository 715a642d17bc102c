/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent-config.h"
#include "cleanup.h"
#include "fs-util.h"

static void test_defaults_and_keys(void **state) {
        _cleanup_(agent_config_freep) AgentConfig *c = NULL;
        _cleanup_free_ char *err = NULL;
        (void) state;
        assert_int_equal(agent_config_load_string("# comment\n[Agent]\nServer = https://vigie.example:8443\n"
                                                  "StateDirectory=/tmp/x\nLogLevel=debug\n", &c, &err), 0);
        assert_string_equal(c->server_url, "https://vigie.example:8443");
        assert_string_equal(c->state_dir, "/tmp/x");
        assert_string_equal(c->root, "/");
        assert_int_equal(c->log_level, 7);
}

static void test_sections(void **state) {
        _cleanup_(agent_config_freep) AgentConfig *c = NULL;
        _cleanup_free_ char *err = NULL;
        unsigned line;
        (void) state;
        assert_int_equal(agent_config_load_string("[Backup \"home\"]\nType=restic\nRepository=/srv/r\n"
                                                  "[Backup \"stamp\"]\nType=stamp\nPath=/var/lib/b\n[Backup \"home\"]\nType=borg\n",
                                                  &c, &err), 0);
        assert_int_equal(c->n_sections, 2);
        assert_string_equal(c->sections[0].kind, "Backup");
        assert_string_equal(c->sections[0].name, "home");
        /* a later value overrides */
        assert_string_equal(config_section_get(&c->sections[0], "Type", &line), "borg");
        assert_int_equal(line, 8);
        assert_null(config_section_get(&c->sections[1], "Repository", NULL));
}

static void expect_error(const char *text, const char *message) {
        _cleanup_(agent_config_freep) AgentConfig *c = NULL;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(agent_config_load_string(text, &c, &err), -EINVAL);
        assert_non_null(err);
        assert_string_equal(err, message);
}

static void test_errors(void **state) {
        (void) state;
        expect_error("[Agent]\n\nLogLevel=loud\n",
                     "<string>:3: [Agent] LogLevel=\"loud\": invalid value, expected err, warning, notice, info or debug");
        expect_error("[Agent]\nColour=blue\n", "<string>:2: unknown key \"Colour\" in section [Agent]");
        expect_error("[Nope]\nA=b\n", "<string>:2: unknown section [Nope]");
        expect_error("[Agent]\nthis is not ini\n",
                     "<string>:2: syntax error (expected \"[Section]\", \"Key=Value\" or a comment)");
        expect_error("[Agent]\nServer=http://x\n",
                     "[Agent] Server=\"http://x\": the server URL must start with https://");
        expect_error("[Agent]\nStateDirectory=relative/dir\n",
                     "<string>:2: [Agent] StateDirectory=\"relative/dir\": invalid value, expected an absolute path");
}

static void test_dropins(void **state) {
        char dir[] = "/tmp/vigie-test-XXXXXX";
        _cleanup_free_ char *main_conf = NULL, *d = NULL, *a = NULL, *b = NULL, *err = NULL;
        _cleanup_(agent_config_freep) AgentConfig *c = NULL;
        (void) state;
        assert_non_null(mkdtemp(dir));
        main_conf = path_join(dir, "agent.conf");
        d = path_join(dir, "agent.conf.d");
        a = path_join(d, "10-a.conf");
        b = path_join(d, "20-b.conf");
        assert_int_equal(mkdir(d, 0755), 0);
        assert_int_equal(write_file_atomic(main_conf, "[Agent]\nServer=https://a\nRoot=/r\n", strlen("[Agent]\nServer=https://a\nRoot=/r\n"), 0644), 0);
        assert_int_equal(write_file_atomic(a, "[Agent]\nServer=https://b\n", strlen("[Agent]\nServer=https://b\n"), 0644), 0);
        assert_int_equal(write_file_atomic(b, "[Agent]\nServer=https://c\n", strlen("[Agent]\nServer=https://c\n"), 0644), 0);
        assert_int_equal(agent_config_load(main_conf, &c, &err), 0);
        assert_string_equal(c->server_url, "https://c");
        assert_string_equal(c->root, "/r");
        c = agent_config_free(c);
        /* an error in a drop-in names the drop-in */
        assert_int_equal(write_file_atomic(b, "[Agent]\nRoot=x\n", strlen("[Agent]\nRoot=x\n"), 0644), 0);
        assert_int_equal(agent_config_load(main_conf, &c, &err), -EINVAL);
        assert_non_null(strstr(err, "20-b.conf:2: [Agent] Root=\"x\""));
        unlink(a); unlink(b); rmdir(d); unlink(main_conf); rmdir(dir);
}

static void test_missing_main_file_is_fine(void **state) {
        _cleanup_(agent_config_freep) AgentConfig *c = NULL;
        _cleanup_free_ char *err = NULL;
        (void) state;
        assert_int_equal(agent_config_load("/nonexistent/agent.conf", &c, &err), 0);
        assert_string_equal(c->ca_file, SYSCONFDIR "/vigie/ca.pem");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults_and_keys),
                cmocka_unit_test(test_sections),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_dropins),
                cmocka_unit_test(test_missing_main_file_is_fine),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
