/* SPDX-License-Identifier: MIT */
/* modules.yaml's YAML subset (modulemd.c) and dnf 4's modular filtering (dnf-modules.c),
 * as libdnf decides it (checked against Debian's dnf 4.14 in test_patch_level_dnf_modules.py). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cleanup.h"
#include "dnf-modules.h"
#include "modulemd.h"

static const char YAML[] =
        "# comment\n"
        "---\n"
        "document: modulemd\n"
        "version: 2\n"
        "data:\n"
        "  name: nodejs # trailing comment\n"
        "  stream: \"20\"\n"
        "  summary: a plain scalar\n"
        "    name: continued, not a key\n"
        "  description: >-\n"
        "    stream: in a block scalar\n"
        "    \tindented with a tab, inside the scalar\n"
        "\n"
        "    name: still in it\n"
        "  license:\n"
        "    module: [MIT]\n"
        "  references:\n"
        "    documentation: \"a quoted scalar that goes\n"
        "      on over two lines\"\n"
        "  - \"a quoted item that goes\n"
        "    on\"\n"
        "  dependencies:\n"
        "  - buildrequires:\n"
        "      platform: [el9]\n"
        "    name: in a sequence\n"
        "  artifacts:\n"
        "    rpms:\n"
        "    - nodejs-1:20.1-1.el9.x86_64\n"
        "    - 'npm-1:10.0-1.el9.x86_64'\n"
        "    - nodejs-1:20.1-1.el9.src\n"
        "...\n"
        "---\n"
        "document: modulemd\n"
        "version: 2\n"
        "data:\n"
        "  name: nodejs\n"
        "  stream: '18'\n"
        "  artifacts:\n"
        "    rpms: [nodejs-1:18.2-1.el9.x86_64, \"npm-1:9.0-1.el9.x86_64\"]\n"
        "---\n"
        "document: modulemd-defaults\n"
        "version: 1\n"
        "data:\n"
        "  module: nodejs\n"
        "  stream: \"18\"\n"
        "---\n"
        "document: modulemd-translations\n"
        "version: 1\n"
        "data:\n"
        "  module: other\n";

typedef struct Seen {
        int n;
        char text[1024];
} Seen;

static int on_doc(const ModulemdDoc *doc, void *userdata) {
        Seen *s = userdata;
        size_t l = strlen(s->text);
        snprintf(s->text + l, sizeof(s->text) - l, "%s %s:%s", doc->type == MODULEMD_STREAM ? "S" : "D", doc->name,
                 doc->stream ? doc->stream : "-");
        for (size_t i = 0; i < doc->n_artifacts; i++) {
                l = strlen(s->text);
                snprintf(s->text + l, sizeof(s->text) - l, " %s", doc->artifacts[i]);
        }
        l = strlen(s->text);
        snprintf(s->text + l, sizeof(s->text) - l, ";");
        s->n++;
        return 0;
}

static void test_parse(void **state) {
        Seen s = {};
        _cleanup_free_ char *err = NULL;
        (void) state;

        assert_int_equal(modulemd_parse(YAML, strlen(YAML), on_doc, &s, &err), 0);
        assert_int_equal(s.n, 3);
        assert_string_equal(s.text, "S nodejs:20 nodejs-1:20.1-1.el9.x86_64 npm-1:10.0-1.el9.x86_64 "
                                    "nodejs-1:20.1-1.el9.src;"
                                    "S nodejs:18 nodejs-1:18.2-1.el9.x86_64 npm-1:9.0-1.el9.x86_64;"
                                    "D nodejs:18;");
}

static void test_errors(void **state) {
        static const char *const bad[] = {
                "document: modulemd\n\tversion: 2\n",
                "document: modulemd\nversion: 2\ndata:\n  name: \"open\n",
                "document: modulemd\nversion: 2\ndata:\n  artifacts:\n    rpms: [a, b\n",
                "document: modulemd\nversion: 2\ndata:\n  name: a\0b\n",
        };
        (void) state;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                _cleanup_free_ char *err = NULL;
                Seen s = {};
                size_t len = strlen(bad[i]) + (i == 3 ? strlen(bad[i] + strlen(bad[i]) + 1) + 1 : 0);
                assert_int_equal(modulemd_parse(bad[i], len, on_doc, &s, &err), -EBADMSG);
                assert_non_null(err);
                assert_non_null(strstr(err, "line "));
        }
        /* Deeper than the reader goes. */
        char deep[4096] = "";
        for (int d = 0; d < MODULEMD_DEPTH_MAX + 1; d++)
                snprintf(deep + strlen(deep), sizeof(deep) - strlen(deep), "%*sk:\n", 2 * d, "");
        Seen s = {};
        assert_int_equal(modulemd_parse(deep, strlen(deep), on_doc, &s, NULL), -E2BIG);
}

static void test_filter(void **state) {
        _cleanup_(dnf_modules_done) DnfModules m = {};
        _cleanup_free_ char *err = NULL;
        (void) state;

        assert_int_equal(dnf_modules_add_yaml(&m, YAML, strlen(YAML), &err), 0);
        assert_int_equal(m.n_streams, 2);
        /* No state: the default stream 18. */
        assert_int_equal(dnf_modules_resolve(&m), 0);
        assert_false(dnf_modules_hides(&m, "nodejs", "1", "18.2", "1.el9", "x86_64"));
        assert_true(dnf_modules_hides(&m, "nodejs", "1", "20.1", "1.el9", "x86_64"));
        /* A non-modular package of an active name is hidden; other names are not. */
        assert_true(dnf_modules_hides(&m, "npm", "0", "11.0", "1.fc", "x86_64"));
        assert_false(dnf_modules_hides(&m, "bash", NULL, "5.2", "1", "x86_64"));
}

static void test_states(void **state) {
        static const struct {
                const char *stream, *state;
                bool hides_18, hides_20;
        } cases[] = {
                { "20", "enabled", true, false },
                { "20", "1", true, false },
                { "18", "disabled", true, true },
                /* Enabled with a stream that is not offered: the default is not taken. */
                { "22", "enabled", true, true },
                /* An unknown state: the default stream. */
                { "", "", false, true },
        };
        (void) state;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                _cleanup_(dnf_modules_done) DnfModules m = {};
                assert_int_equal(dnf_modules_add_yaml(&m, YAML, strlen(YAML), NULL), 0);
                assert_int_equal(dnf_modules_set_state(&m, "nodejs", cases[i].stream, cases[i].state), 0);
                assert_int_equal(dnf_modules_resolve(&m), 0);
                assert_int_equal(dnf_modules_hides(&m, "nodejs", "1", "18.2", "1.el9", "x86_64"), cases[i].hides_18);
                assert_int_equal(dnf_modules_hides(&m, "nodejs", "1", "20.1", "1.el9", "x86_64"), cases[i].hides_20);
        }
}

static void test_conflicting_defaults(void **state) {
        static const char other[] = "document: modulemd-defaults\nversion: 1\ndata:\n  module: nodejs\n  stream: '20'\n";
        static const char same[] = "document: modulemd-defaults\nversion: 1\ndata:\n  module: nodejs\n  stream: '18'\n";
        (void) state;

        for (int agree = 0; agree < 2; agree++) {
                _cleanup_(dnf_modules_done) DnfModules m = {};
                const char *second = agree ? same : other;
                assert_int_equal(dnf_modules_add_yaml(&m, YAML, strlen(YAML), NULL), 0);
                assert_int_equal(dnf_modules_add_yaml(&m, second, strlen(second), NULL), 0);
                assert_int_equal(dnf_modules_resolve(&m), 0);
                /* Two repositories that disagree: no default stream at all. */
                assert_int_equal(dnf_modules_hides(&m, "nodejs", "1", "18.2", "1.el9", "x86_64"), !agree);
                assert_true(dnf_modules_hides(&m, "nodejs", "1", "20.1", "1.el9", "x86_64"));
        }
}

static void test_no_defaults(void **state) {
        static const char yaml[] = "document: modulemd\nversion: 2\ndata:\n  name: m\n  stream: s\n  artifacts:\n"
                                   "    rpms: [m-0:1.0-1.noarch]\n";
        _cleanup_(dnf_modules_done) DnfModules m = {};
        (void) state;

        /* A stream with neither a default nor a state: not active. */
        assert_int_equal(dnf_modules_add_yaml(&m, yaml, strlen(yaml), NULL), 0);
        assert_int_equal(dnf_modules_resolve(&m), 0);
        assert_true(dnf_modules_hides(&m, "m", "0", "1.0", "1", "noarch"));
        assert_false(dnf_modules_hides(&m, "m", "0", "1.1", "1", "noarch"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_filter),
                cmocka_unit_test(test_states),
                cmocka_unit_test(test_conflicting_defaults),
                cmocka_unit_test(test_no_defaults),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
