/* SPDX-License-Identifier: MIT */
/* The tray's status.json reader and notice composer, in the C locale (no catalog). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "tray-notice.h"
#include "tray-status.h"

#define AGENT "\"agent\":{\"pid\":1234,\"state\":\"idle\"}"
#define PASS(id, title) "{\"id\":\"" id "\",\"title\":\"" title "\",\"status\":\"pass\",\"summary\":\"fine\"}"

/* Parses JSON and composes, as if the agent were running (or not). */
static void compose(const char *json, bool running, TrayNotice *ret) {
        TrayStatus s;

        assert_int_equal(tray_status_parse(json, strlen(json), &s), 0);
        s.running = running;
        assert_int_equal(tray_notice_compose(&s, ret), 0);
        tray_status_done(&s);
}

static void test_compliant(void **state) {
        TrayNotice n;
        (void) state;
        compose("{\"enrolled\":true,\"compliant\":true," AGENT ",\"checks\":[" PASS("backup", "Backup") "]}", true, &n);
        assert_int_equal(n.level, NOTICE_COMPLIANT);
        assert_string_equal(n.sni_status, "Active");
        assert_string_equal(n.icon, "security-high");
        assert_string_equal(n.title, "Vigie: compliant");
        assert_string_equal(n.body, "This laptop meets the company's security policy.");
        assert_string_equal(n.key, "0 backup=pass");
        assert_int_equal(tray_notice_urgency(&n), 0);
        char *text = tray_notice_text(&n);
        assert_string_equal(text, "Vigie: compliant\nThis laptop meets the company's security policy.\n");
        free(text);
        tray_notice_done(&n);
}

static void test_noncompliant_with_deadline(void **state) {
        TrayNotice n;
        (void) state;
        compose("{\"enrolled\":true,\"compliant\":false," AGENT ",\"checks\":["
                PASS("disk_encryption", "Disk encryption") ","
                "{\"id\":\"patch_level\",\"title\":\"Patch level\",\"status\":\"warn\",\"summary\":\"2 pending\","
                "\"remediation\":\"run apt\",\"deadline\":\"2026-12-04T00:00:00Z\"},"
                "{\"id\":\"backup\",\"title\":\"Backup\",\"status\":\"fail\",\"summary\":\"old\",\"remediation\":\"back up\"},"
                "{\"id\":\"x\",\"status\":\"bogus\",\"deadline\":\"2026-12-05\"}]}",
                true, &n);
        assert_int_equal(n.level, NOTICE_NONCOMPLIANT);
        assert_string_equal(n.sni_status, "NeedsAttention");
        assert_string_equal(n.icon, "security-low");
        assert_string_equal(n.title, "Not compliant: 3 things to fix");
        /* The bubble: the failing check first, then the others in order; one short line each. */
        assert_string_equal(n.brief, "Backup: old\nPatch level: 2 pending\nx: cannot be checked");
        assert_string_equal(n.first_problem, "backup");
        assert_string_equal(n.body, "This laptop does not meet the company's security policy. To fix:\n"
                                    "Patch level (to fix): 2 pending\n  To fix: run apt — by 12/04/26\n"
                                    "Backup (failing): old\n  To fix: back up\n"
                                    "x (cannot be checked)\n  Deadline: 12/05/26");
        assert_string_equal(n.key, "3 disk_encryption=pass patch_level=warn backup=fail x=unknown");
        assert_int_equal(tray_notice_urgency(&n), 2);
        tray_notice_done(&n);
}

static void test_action_needed(void **state) {
        TrayNotice n;
        (void) state;
        compose("{\"enrolled\":true,\"compliant\":true," AGENT ",\"checks\":["
                "{\"id\":\"backup\",\"title\":\"Backup\",\"status\":\"warn\",\"summary\":\"aging\","
                "\"deadline\":\"2026-12-01T12:00:00Z\"}]}", true, &n);
        assert_int_equal(n.level, NOTICE_ACTION);
        assert_string_equal(n.icon, "security-medium");
        assert_string_equal(n.sni_status, "NeedsAttention");
        assert_non_null(strstr(n.body, "Backup (to fix): aging\n  Deadline: 12/01/26"));
        assert_string_equal(n.title, "1 thing to fix — first by Tue 1 Dec");
        assert_string_equal(n.brief, "Backup: aging");
        assert_int_equal(tray_notice_urgency(&n), 1);
        tray_notice_done(&n);
}

/* A device key the TPM can no longer use: the reason, who to call, above any check. */
static void test_identity_problem(void **state) {
        TrayNotice n;
        (void) state;
        compose("{\"enrolled\":false,\"compliant\":false," AGENT ",\"identity_problem\":\"the TPM was cleared\","
                "\"checks\":[" PASS("backup", "Backup") "]}", true, &n);
        assert_int_equal(n.level, NOTICE_IDENTITY);
        assert_string_equal(n.title, "Vigie: reports stopped — contact IT");
        assert_string_equal(n.sni_status, "NeedsAttention");
        assert_string_equal(n.icon, "security-low");
        assert_string_equal(n.body, "This laptop's identity key cannot be used any more, so its compliance is no "
                                    "longer reported. Contact IT: they must enroll it again with a device reset "
                                    "token.\nCause: the TPM was cleared.");
        assert_string_equal(n.brief, n.body);
        assert_null(n.first_problem);
        assert_int_equal(tray_notice_urgency(&n), 2);
        tray_notice_done(&n);
        /* A stopped agent says nothing current: that comes first. */
        compose("{\"enrolled\":false," AGENT ",\"identity_problem\":\"x\"}", false, &n);
        assert_int_equal(n.level, NOTICE_NO_AGENT);
        tray_notice_done(&n);
}

#define WARN(id, summary, deadline)                                                                     \
        "{\"id\":\"" id "\",\"title\":\"" id "\",\"status\":\"warn\",\"summary\":\"" summary "\","   \
        "\"deadline\":\"" deadline "\"}"

/* Past three problems the bubble says how many more; long summaries are cut at a word;
 * the title's deadline is the earliest. */
static void test_brief_is_short(void **state) {
        TrayNotice n;
        (void) state;
        compose("{\"enrolled\":true,\"compliant\":true," AGENT ",\"checks\":["
                WARN("a", "one two three four five six seven eight nine ten eleven twelve thirteen", "2026-12-09T09:00:00Z") ","
                WARN("b", "é é é é é é é é é é é é é é é é é é é é é é é é é é é é é é é é", "2026-12-08T09:00:00Z") ","
                WARN("c", "c", "2026-12-10T09:00:00Z") "," WARN("d", "d", "2026-12-11T09:00:00Z") "]}",
                true, &n);
        assert_string_equal(n.title, "4 things to fix — first by Tue 8 Dec");
        assert_string_equal(n.first_problem, "b");
        assert_string_equal(n.brief, "b: é é é é é é é é é é é é é é é é é é é é é é é é é é é é…\n"
                                     "a: one two three four five six seven eight nine ten eleven…\n"
                                     "and 2 more: see Details");
        tray_notice_done(&n);
}

static void test_access(void **state) {
        TrayStatus s;
        char *text;
        (void) state;
        const char *j = "{\"last_check\":\"2026-12-02T04:20:00Z\",\"agent\":{\"pid\":1,\"state\":\"cycle\"},"
                        "\"access\":{\"state\":\"grace\",\"grace_until\":\"2026-12-09T09:00:00Z\","
                        "\"reason\":\"backup failing\",\"checked_at\":\"2026-12-02T04:20:00Z\"}}";

        assert_int_equal(tray_status_parse(j, strlen(j), &s), 0);
        assert_true(s.cycle_running);
        assert_int_equal(s.last_check, 1796185200 * USEC_PER_SEC);
        assert_int_equal(s.access.state, ACCESS_GRACE);
        text = notice_access_text(&s.access);
        assert_string_equal(text, "Access to company resources is blocked from Wed 9 Dec 09:00 unless the problems "
                                  "below are fixed.\nReason: backup failing");
        free(text);
        tray_status_done(&s);

        j = "{\"access\":{\"state\":\"blocked\",\"grace_until\":null,\"reason\":null}}";
        assert_int_equal(tray_status_parse(j, strlen(j), &s), 0);
        text = notice_access_text(&s.access);
        assert_string_equal(text, "Access to company resources is blocked until the problems below are fixed.");
        free(text);
        tray_status_done(&s);

        /* Absent, or a state we do not know: nothing is said. */
        j = "{\"access\":{\"state\":\"maybe\"}}";
        assert_int_equal(tray_status_parse(j, strlen(j), &s), 0);
        assert_int_equal(s.access.state, ACCESS_UNKNOWN);
        assert_null(notice_access_text(&s.access));
        tray_status_done(&s);
}

static void test_agent_states(void **state) {
        TrayNotice n;
        TrayStatus s;
        (void) state;

        assert_int_equal(tray_status_load("/nonexistent/vigie/status.json", &s), 0);
        assert_false(s.present);
        assert_int_equal(tray_notice_compose(&s, &n), 0);
        assert_int_equal(n.level, NOTICE_NO_AGENT);
        assert_string_equal(n.icon, "dialog-warning");
        assert_string_equal(n.title, "Vigie: agent not running");
        assert_non_null(strstr(n.body, "never run"));
        assert_string_equal(n.key, "5 absent");
        tray_notice_done(&n);

        compose("{\"compliant\":true," AGENT ",\"checks\":[]}", false, &n);
        assert_int_equal(n.level, NOTICE_NO_AGENT);
        assert_non_null(strstr(n.body, "systemctl start vigie-agent"));
        assert_string_equal(n.key, "5");
        tray_notice_done(&n);

        compose("{\"enrolled\":false,\"compliant\":true," AGENT "}", true, &n);
        assert_int_equal(n.level, NOTICE_NOT_ENROLLED);
        assert_string_equal(n.title, "Vigie: laptop not enrolled");
        tray_notice_done(&n);

        /* The first cycle has not ended: checks listed are not judged yet. */
        compose("{\"enrolled\":true," AGENT ",\"checks\":[{\"id\":\"backup\",\"status\":\"fail\"}]}", true, &n);
        assert_int_equal(n.level, NOTICE_PENDING);
        assert_string_equal(n.body, "The first compliance check is running.");
        assert_string_equal(n.sni_status, "Active");
        tray_notice_done(&n);
}

static void test_parse_defensive(void **state) {
        TrayStatus s;
        (void) state;

        assert_int_equal(tray_status_parse("[1,2]", 5, &s), -EBADMSG);
        assert_int_equal(tray_status_parse("{\"a\":", 5, &s), -EBADMSG);
        assert_int_equal(tray_status_parse("", 0, &s), -EBADMSG);

        /* Wrong types are absent, not errors; checks without an id are skipped. */
        const char *j = "{\"enrolled\":\"yes\",\"compliant\":1,\"agent\":{\"pid\":\"12\"},"
                        "\"checks\":[1,{\"title\":\"no id\"},{\"id\":\"a\",\"title\":7,\"status\":\"pass\","
                        "\"deadline\":\"tomorrow\",\"required\":false}]}";
        assert_int_equal(tray_status_parse(j, strlen(j), &s), 0);
        assert_int_equal(s.enrolled, -1);
        assert_int_equal(s.compliant, -1);
        assert_int_equal(s.pid, 0);
        assert_int_equal(s.n_checks, 1);
        assert_string_equal(s.checks[0]->id, "a");
        assert_string_equal(s.checks[0]->title, "a");
        assert_int_equal(s.checks[0]->deadline, 0);
        assert_false(s.checks[0]->required);
        tray_status_done(&s);
}

static void test_checks_capped(void **state) {
        char buf[16384];
        size_t len = 0;
        TrayStatus s;
        (void) state;

        len += (size_t) snprintf(buf, sizeof(buf), "{\"checks\":[");
        for (int i = 0; i < TRAY_CHECKS_MAX + 10; i++)
                len += (size_t) snprintf(buf + len, sizeof(buf) - len, "%s{\"id\":\"c%d\"}", i ? "," : "", i);
        len += (size_t) snprintf(buf + len, sizeof(buf) - len, "]}");
        assert_true(len < sizeof(buf));
        assert_int_equal(tray_status_parse(buf, len, &s), 0);
        assert_int_equal(s.n_checks, TRAY_CHECKS_MAX);
        tray_status_done(&s);
}

static void test_pid_is_vigie_agent(void **state) {
        (void) state;
        assert_false(pid_is_vigie_agent(0));
        assert_false(pid_is_vigie_agent(-1));
        assert_false(pid_is_vigie_agent((int64_t) 1 << 40));
        assert_false(pid_is_vigie_agent(getpid())); /* we are test-tray-notice */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_compliant),
                cmocka_unit_test(test_noncompliant_with_deadline),
                cmocka_unit_test(test_action_needed),
                cmocka_unit_test(test_brief_is_short),
                cmocka_unit_test(test_access),
                cmocka_unit_test(test_identity_problem),
                cmocka_unit_test(test_agent_states),
                cmocka_unit_test(test_parse_defensive),
                cmocka_unit_test(test_checks_capped),
                cmocka_unit_test(test_pid_is_vigie_agent),
        };
        setenv("TZ", "UTC", 1);
        tzset();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
