/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "agent-config.h"
#include "backup-source.h"
#include "cleanup.h"
#include "time-util.h"

#define T(s) ({ usec_t _t; assert_int_equal(parse_rfc3339(s, false, &_t), 0); _t; })

static void test_restic(void **state) {
        BackupObservation o = {};
        char *err = NULL;
        const char *two =
                "[{\"time\":\"2026-11-28T10:00:00.123456789+01:00\",\"hostname\":\"lap\",\"tags\":[\"daily\",\"x\"],"
                "\"id\":\"aaa\"},{\"time\":\"2026-11-28T11:00:00Z\",\"hostname\":\"other\",\"id\":\"bbb\"}]";
        (void) state;
        assert_int_equal(restic_parse_snapshots(two, strlen(two), &o, &err), 0);
        assert_int_equal(o.time, T("2026-11-28T11:00:00Z"));
        assert_string_equal(o.id, "bbb");
        assert_string_equal(o.host, "other");
        assert_null(o.tags);
        backup_observation_done(&o);
        assert_int_equal(restic_parse_snapshots(two, 100, &o, &err), -EBADMSG);
        free(err), err = NULL;
        assert_int_equal(restic_parse_snapshots("[]", 2, &o, &err), 0);
        assert_int_equal(o.time, 0);
        assert_true(restic_parse_snapshots("{}", 2, &o, &err) < 0);
        free(err), err = NULL;
        assert_true(restic_parse_snapshots("[{\"time\":\"yesterday\"}]", 22, &o, &err) < 0);
        assert_non_null(strstr(err, "snapshots[0].time"));
        free(err), err = NULL;
        assert_true(restic_parse_snapshots("[{\"time\":\"2026-11-28T11:00:00Z\",\"tags\":[1]}]", 45, &o, &err) < 0);
        free(err);
}

static void test_borg(void **state) {
        BackupObservation o = {};
        char *err = NULL;
        /* real `borg list --json --last 1` output (times are UTC: borg runs with TZ=UTC0) */
        const char *j = "{\"archives\":[{\"archive\":\"a1\",\"barchive\":\"a1\",\"id\":\"c5eb\",\"name\":\"a1\","
                        "\"start\":\"2026-11-28T10:00:00.000000\",\"time\":\"2026-11-28T10:00:00.000000\"}],"
                        "\"encryption\":{\"mode\":\"repokey\"},\"repository\":{\"id\":\"3ff3\","
                        "\"last_modified\":\"2026-11-29T19:22:34.000000\",\"location\":\"/tmp/rx/borg\"}}";
        (void) state;
        assert_int_equal(borg_parse_list(j, strlen(j), &o, &err), 0);
        assert_int_equal(o.time, T("2026-11-28T10:00:00Z"));
        assert_string_equal(o.id, "a1");
        backup_observation_done(&o);
        assert_int_equal(borg_parse_list("{\"archives\":[]}", 15, &o, &err), 0);
        assert_int_equal(o.time, 0);
        assert_true(borg_parse_list("[]", 2, &o, &err) < 0);
        free(err), err = NULL;
        assert_true(borg_parse_list("{}", 2, &o, &err) < 0);
        assert_string_equal(err, "archives: missing");
        free(err);
}

static void test_timeshift(void **state) {
        BackupObservation o = {};
        char *err = NULL;
        const char *j = "{\n  \"created\" : \"1795860000\",\n  \"sys-uuid\" : \"x\",\n  \"tags\" : \"D W\",\n"
                        "  \"comments\" : \"\",\n  \"type\" : \"rsync\"\n}\n";
        (void) state;
        assert_int_equal(timeshift_parse_info(j, strlen(j), &o, &err), 0);
        assert_int_equal(o.time, 1795860000 * USEC_PER_SEC);
        assert_string_equal(o.tags[0], "D");
        assert_string_equal(o.tags[1], "W");
        assert_null(o.tags[2]);
        backup_observation_done(&o);
        assert_true(timeshift_parse_info("{\"created\":\"soon\"}", 18, &o, &err) < 0);
        assert_non_null(strstr(err, "created"));
        free(err), err = NULL;
        assert_true(timeshift_parse_info("{\"created\":\"-5\"}", 16, &o, &err) < 0);
        free(err), err = NULL;
        assert_true(timeshift_parse_info("{\"tags\":\"D\"}", 12, &o, &err) < 0);
        free(err);
}

static void test_stamp(void **state) {
        usec_t t;
        (void) state;
        assert_int_equal(stamp_parse("2026-11-29T02:00:00+01:00\n", 26, &t), 0);
        assert_int_equal(t, T("2026-11-29T01:00:00Z"));
        assert_int_equal(stamp_parse(" \n", 2, &t), -ENODATA);
        assert_int_equal(stamp_parse("done", 4, &t), -EINVAL);
        assert_int_equal(stamp_parse("2026-11-29\0T", 12, &t), -EINVAL);
}

static void test_repository_display(void **state) {
        _cleanup_free_ char *a = backup_repository_display("rest:https://user:s3cret@backup.example:8000/lap"),
                            *b = backup_repository_display("sftp:user@host:/srv/restic"),
                            *c = backup_repository_display("ssh://borg@host:22/./repo"),
                            *d = backup_repository_display("/srv/repo");
        (void) state;
        assert_string_equal(a, "rest:https://backup.example:8000/lap");
        assert_string_equal(b, "sftp:user@host:/srv/restic");
        assert_string_equal(c, "ssh://host:22/./repo");
        assert_string_equal(d, "/srv/repo");
        char line[] = "Fatal: rest:http://u:pw@h:1/x and s3:https://k:pw2@s3.example/b: dial tcp";
        backup_scrub_credentials(line);
        assert_string_equal(line, "Fatal: rest:http://h:1/x and s3:https://s3.example/b: dial tcp");
}

static void test_environment_file(void **state) {
        _cleanup_strv_free_ char **l = NULL;
        char *err = NULL;
        const char *t = "# cloud keys\n\nAWS_ACCESS_KEY_ID=AKIA1\r\nAWS_SECRET_ACCESS_KEY=a=b c \n";
        (void) state;
        assert_int_equal(backup_parse_environment_file(t, strlen(t), &l, &err), 0);
        assert_string_equal(l[0], "AWS_ACCESS_KEY_ID=AKIA1");
        assert_string_equal(l[1], "AWS_SECRET_ACCESS_KEY=a=b c");
        assert_null(l[2]);
        assert_true(backup_parse_environment_file("A=1\nnot an assignment\n", 22, &l, &err) < 0);
        assert_string_equal(err, "line 2: expected NAME=value");
        free(err), err = NULL;
        assert_true(backup_parse_environment_file("PATH=/tmp\n", 10, &l, &err) < 0);
        assert_string_equal(err, "line 1: PATH is set by Vigie itself; use the dedicated key");
        free(err);
}

static void expect_config_error(const char *text, const char *msg) {
        _cleanup_(agent_config_freep) AgentConfig *c = NULL;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(agent_config_load_string(text, &c, &err), -EINVAL);
        if (!strstr(err, msg))
                fail_msg("\"%s\" does not contain \"%s\"", err, msg);
}

static void test_config(void **state) {
        _cleanup_(agent_config_freep) AgentConfig *c = NULL;
        BackupSource *s = NULL;
        size_t n = 0;
        char *err = NULL;
        (void) state;
        assert_int_equal(agent_config_load_string("[Backup \"home\"]\nType=restic\nRepository=sftp:u@h:/r\n"
                                                  "PasswordFile=/etc/vigie/restic.pw\nTag=a\nTag=b\n"
                                                  "ProbeInterval=2h\n[Backup \"st\"]\nType=stamp\nPath=/var/x\n",
                                                  &c, &err), 0);
        assert_int_equal(backup_sources_from_config(c->sections, c->n_sections, &s, &n, &err), 0);
        assert_int_equal(n, 2);
        assert_string_equal(s[0].type->name, "restic");
        assert_true(backup_source_is_remote(&s[0]));
        assert_int_equal(s[0].probe_interval, 2 * USEC_PER_HOUR);
        assert_string_equal(s[0].tags[1], "b");
        assert_string_equal(s[1].path, "/var/x");
        assert_false(backup_source_is_remote(&s[1]));
        backup_sources_free(s, n);

        expect_config_error("[Backup \"x\"]\nRepository=/r\n", "[Backup \"x\"] has no Type= (one of restic, borg,");
        expect_config_error("[Backup \"x\"]\nType=tape\n", "<string>:2: [Backup \"x\"] Type=\"tape\": unknown source type");
        expect_config_error("[Backup \"x\"]\nType=restic\nRepository=r\n", "<string>:3: [Backup \"x\"] Repository=\"r\"");
        expect_config_error("[Backup \"x\"]\nType=restic\nRepository=/r\n", "exactly one of PasswordFile=");
        expect_config_error("[Backup \"x\"]\nType=borg\nRepository=/r\nUnit=a.service\n",
                            "<string>:4: [Backup \"x\"] Unit=\"a.service\": not a key of Type=borg");
        expect_config_error("[Backup \"x\"]\nType=borg\nRepository=/r\nProbeInterval=often\n", "ProbeInterval=\"often\"");
        expect_config_error("[Backup \"x\"]\nType=borg\nRepository=/r\nEnvironment=BORG_PASSPHRASE=x\n",
                            "set by Vigie itself");
        expect_config_error("[Backup \"x\"]\nType=borg\nRepository=/r\nEnvironmentFile=env\n", "EnvironmentFile=\"env\"");
        expect_config_error("[Backup \"x\"]\nType=systemd\nUnit=backup.timer\n", "expected a service unit name");
        expect_config_error("[Backup \"x\"]\nType=timeshift\nMode=zfs\n", "expected rsync or btrfs");
        expect_config_error("[Backup \"x\"]\nType=timeshift\n", "Mount= ");
        expect_config_error("[Backup \"x\"]\nType=stamp\nPath=relative\n", "expected an absolute path");
        expect_config_error("[Backup \"x\"]\nType=restic\nSearchPath=/bin:.\n", "SearchPath=");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_restic),
                cmocka_unit_test(test_borg),
                cmocka_unit_test(test_timeshift),
                cmocka_unit_test(test_stamp),
                cmocka_unit_test(test_repository_display),
                cmocka_unit_test(test_environment_file),
                cmocka_unit_test(test_config),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
