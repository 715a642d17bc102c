/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "i18n.h"
#include "tray-notice.h"

/* The deadline as the user's locale writes a date (%x): 12/04/2026, 04/12/2026… */
static const char *format_deadline(usec_t t, char *buf, size_t size) {
        time_t sec = (time_t) (t / USEC_PER_SEC);
        struct tm tm;

        /* The two-digit year of some locales is what their users read every day. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-y2k"
        if (!localtime_r(&sec, &tm) || strftime(buf, size, "%x", &tm) == 0)
                return "?";
#pragma GCC diagnostic pop
        return buf;
}

static const char *status_phrase(CheckStatus s) {
        switch (s) {
        case CHECK_WARN: return _("to fix");
        case CHECK_FAIL: return _("failing");
        case CHECK_UNKNOWN: return _("cannot be checked");
        default: return _("the check failed");
        }
}

static void describe_check(FILE *f, const CheckResult *c) {
        char date[64];

        /* Titles are the checks' N_() strings when the agent wrote them in English (it runs
         * with the system's locale): the tray shows them in the user's. */
        const char *title = _(c->title);

        if (c->summary)
                fprintf(f, _("\n%s (%s): %s"), title, status_phrase(c->status), c->summary);
        else
                fprintf(f, "\n%s (%s)", title, status_phrase(c->status));
        if (c->remediation && c->deadline)
                fprintf(f, _("\n  To fix: %s — by %s"), c->remediation,
                        format_deadline(c->deadline, date, sizeof(date)));
        else if (c->remediation)
                fprintf(f, _("\n  To fix: %s"), c->remediation);
        else if (c->deadline)
                fprintf(f, _("\n  Deadline: %s"), format_deadline(c->deadline, date, sizeof(date)));
}

static NoticeLevel notice_level(const TrayStatus *s, size_t n_problems) {
        if (!s->present || !s->running)
                return NOTICE_NO_AGENT;
        if (s->enrolled == 0)
                return NOTICE_NOT_ENROLLED;
        if (s->compliant < 0)
                return NOTICE_PENDING;
        if (!s->compliant)
                return NOTICE_NONCOMPLIANT;
        return n_problems > 0 ? NOTICE_ACTION : NOTICE_COMPLIANT;
}

static const char *notice_title(NoticeLevel level) {
        switch (level) {
        case NOTICE_COMPLIANT: return _("Vigie: compliant");
        case NOTICE_PENDING: return _("Vigie: not checked yet");
        case NOTICE_ACTION: return _("Vigie: compliant, action needed");
        case NOTICE_NONCOMPLIANT: return _("Vigie: NOT compliant");
        case NOTICE_NOT_ENROLLED: return _("Vigie: laptop not enrolled");
        default: return _("Vigie: agent not running");
        }
}

static const char *notice_intro(const TrayStatus *s, NoticeLevel level) {
        switch (level) {
        case NOTICE_COMPLIANT: return _("This laptop meets the company's security policy.");
        case NOTICE_PENDING: return _("The first compliance check is running.");
        case NOTICE_ACTION: return _("This laptop is compliant for now. Fix the following before the deadline:");
        case NOTICE_NONCOMPLIANT: return _("This laptop does not meet the company's security policy. To fix:");
        case NOTICE_NOT_ENROLLED: return _("This laptop is not enrolled: its compliance is not reported. Contact IT.");
        default:
                if (!s->present)
                        return _("The Vigie agent has never run on this laptop: compliance is not checked. "
                                 "Contact IT.");
                return _("The Vigie agent is stopped: compliance is not checked. "
                         "Start it with \"systemctl start vigie-agent\" or contact IT.");
        }
}

int tray_notice_compose(const TrayStatus *s, TrayNotice *ret) {
        _cleanup_free_ char *body = NULL, *key = NULL;
        _cleanup_fclose_ FILE *fb = NULL, *fk = NULL;
        size_t body_size, key_size, n_problems = 0;
        NoticeLevel level;

        for (size_t i = 0; i < s->n_checks; i++)
                n_problems += s->checks[i]->status != CHECK_PASS;
        level = notice_level(s, n_problems);

        fb = open_memstream(&body, &body_size);
        fk = open_memstream(&key, &key_size);
        if (!fb || !fk)
                return -ENOMEM;
        fputs(notice_intro(s, level), fb);
        /* "never ran" and "stopped" are one level but two different things to say. */
        fprintf(fk, "%d%s", (int) level, s->present ? "" : " absent");
        for (size_t i = 0; i < s->n_checks; i++) {
                const CheckResult *c = s->checks[i];

                fprintf(fk, " %s=%s", c->id, check_status_to_string(c->status));
                if (c->status != CHECK_PASS && level != NOTICE_PENDING)
                        describe_check(fb, c);
        }
        if (fflush(fb) != 0 || ferror(fb) || fflush(fk) != 0 || ferror(fk))
                return -ENOMEM;
        fclose(TAKE_PTR(fb));
        fclose(TAKE_PTR(fk));

        char *title = strdup(notice_title(level));
        if (!title)
                return -ENOMEM;
        *ret = (TrayNotice) {
                .level = level,
                .sni_status = level == NOTICE_COMPLIANT || level == NOTICE_PENDING ? "Active" : "NeedsAttention",
                .icon = level == NOTICE_COMPLIANT     ? "security-high"
                        : level == NOTICE_PENDING     ? "security-medium"
                        : level == NOTICE_ACTION      ? "security-medium"
                        : level == NOTICE_NONCOMPLIANT ? "security-low"
                        : level == NOTICE_NOT_ENROLLED ? "security-medium"
                                                       : "dialog-warning",
                .title = title,
                .body = TAKE_PTR(body),
                .key = TAKE_PTR(key),
        };
        return 0;
}

void tray_notice_done(TrayNotice *n) {
        free(n->title);
        free(n->body);
        free(n->key);
        *n = (TrayNotice) {};
}

char *tray_notice_text(const TrayNotice *n) {
        char *s;
        return asprintf(&s, "%s\n%s\n", n->title, n->body) < 0 ? NULL : s;
}

unsigned char tray_notice_urgency(const TrayNotice *n) {
        switch (n->level) {
        case NOTICE_NONCOMPLIANT:
        case NOTICE_NO_AGENT: return 2;
        case NOTICE_NOT_ENROLLED:
        case NOTICE_ACTION: return 1;
        default: return 0;
        }
}
