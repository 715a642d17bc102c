/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "i18n.h"
#include "tray-notice.h"

const char *notice_format_date(usec_t t, char *buf, size_t size) {
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

static const char *format_time(usec_t t, const char *format, char *buf, size_t size) {
        time_t sec = (time_t) (t / USEC_PER_SEC);
        struct tm tm;

        if (!localtime_r(&sec, &tm) || strftime(buf, size, format, &tm) == 0)
                return "?";
        return buf;
}

const char *notice_format_day(usec_t t, char *buf, size_t size) {
        /* TRANSLATORS: strftime(3) format of a deadline in a notification title ("Tue 9 Dec"). */
        return format_time(t, _("%a %-d %b"), buf, size);
}

const char *notice_format_minute(usec_t t, char *buf, size_t size) {
        /* TRANSLATORS: strftime(3) format of a day and time ("Tue 9 Dec 09:00"). */
        return format_time(t, _("%a %-d %b %H:%M"), buf, size);
}

const char *notice_status_phrase(CheckStatus s) {
        switch (s) {
        case CHECK_PASS: return _("OK");
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
                fprintf(f, _("\n%s (%s): %s"), title, notice_status_phrase(c->status), c->summary);
        else
                fprintf(f, "\n%s (%s)", title, notice_status_phrase(c->status));
        if (c->remediation && c->deadline)
                fprintf(f, _("\n  To fix: %s — by %s"), c->remediation,
                        notice_format_date(c->deadline, date, sizeof(date)));
        else if (c->remediation)
                fprintf(f, _("\n  To fix: %s"), c->remediation);
        else if (c->deadline)
                fprintf(f, _("\n  Deadline: %s"), notice_format_date(c->deadline, date, sizeof(date)));
}

static NoticeLevel notice_level(const TrayStatus *s, size_t n_problems) {
        if (!s->present || !s->running)
                return NOTICE_NO_AGENT;
        if (s->identity_problem)
                return NOTICE_IDENTITY;
        if (s->enrolled == 0)
                return NOTICE_NOT_ENROLLED;
        if (s->compliant < 0)
                return NOTICE_PENDING;
        if (!s->compliant)
                return NOTICE_NONCOMPLIANT;
        return n_problems > 0 ? NOTICE_ACTION : NOTICE_COMPLIANT;
}

int notice_check_rank(const CheckResult *c) {
        switch (c->status) {
        case CHECK_FAIL: return 0;
        case CHECK_WARN: return 2;
        case CHECK_PASS: return 3;
        default: return 1;
        }
}

/* The check to fix first: by rank, then the earliest deadline. NULL when nothing is to fix. */
static const CheckResult *first_problem(const TrayStatus *s) {
        const CheckResult *best = NULL;

        for (size_t i = 0; i < s->n_checks; i++) {
                const CheckResult *c = s->checks[i];

                if (c->status == CHECK_PASS)
                        continue;
                if (!best || notice_check_rank(c) < notice_check_rank(best) ||
                    (notice_check_rank(c) == notice_check_rank(best) && c->deadline &&
                     (!best->deadline || c->deadline < best->deadline)))
                        best = c;
        }
        return best;
}

/* "Not compliant: 2 things to fix", "1 thing to fix — first by Tue 9 Dec", or the state. */
static char *notice_title(NoticeLevel level, size_t n_problems, const CheckResult *first) {
        char day[64], *t;
        int r;

        switch (level) {
        case NOTICE_COMPLIANT: return strdup(_("Vigie: compliant"));
        case NOTICE_PENDING: return strdup(_("Vigie: not checked yet"));
        case NOTICE_NOT_ENROLLED: return strdup(_("Vigie: laptop not enrolled"));
        case NOTICE_IDENTITY: return strdup(_("Vigie: reports stopped — contact IT"));
        case NOTICE_NO_AGENT: return strdup(_("Vigie: agent not running"));
        case NOTICE_NONCOMPLIANT:
                r = asprintf(&t, ngettext("Not compliant: %zu thing to fix", "Not compliant: %zu things to fix",
                                          n_problems), n_problems);
                break;
        default:
                if (first && first->deadline)
                        r = asprintf(&t, ngettext("%zu thing to fix — first by %s", "%zu things to fix — first by %s",
                                                  n_problems),
                                     n_problems, notice_format_day(first->deadline, day, sizeof(day)));
                else
                        r = asprintf(&t, ngettext("%zu thing to fix", "%zu things to fix", n_problems), n_problems);
        }
        return r < 0 ? NULL : t;
}

/* S, cut before a word with "…" when it has more than WIDTH characters (UTF-8). */
static char *cut_text(const char *s, size_t width) {
        size_t chars = 0, cut = 0, i;
        char *t;

        for (i = 0; s[i]; i++) {
                if (((unsigned char) s[i] & 0xC0) == 0x80)
                        continue; /* continuation byte */
                if (chars == width)
                        break;
                if (s[i] == ' ')
                        cut = i;
                chars++;
        }
        if (!s[i])
                return strdup(s);
        return asprintf(&t, "%.*s…", (int) (cut ?: i), s) < 0 ? NULL : t;
}

static int brief_line(FILE *f, const CheckResult *c) {
        _cleanup_free_ char *text = cut_text(c->summary ?: notice_status_phrase(c->status), NOTICE_BRIEF_WIDTH);

        if (!text)
                return -ENOMEM;
        if (ftell(f) > 0)
                fputc('\n', f);
        /* TRANSLATORS: a check's title and its summary, one line of a notification. */
        fprintf(f, _("%s: %s"), _(c->title), text);
        return 0;
}

/* The first problem, then the others in order; past three lines, "and N more". */
static int compose_brief(FILE *f, const TrayStatus *s, size_t n_problems, const CheckResult *first) {
        size_t shown = 1, room = n_problems > NOTICE_BRIEF_LINES ? NOTICE_BRIEF_LINES - 1 : NOTICE_BRIEF_LINES;
        int r;

        r = brief_line(f, first);
        for (size_t i = 0; r >= 0 && i < s->n_checks && shown < room; i++)
                if (s->checks[i] != first && s->checks[i]->status != CHECK_PASS) {
                        r = brief_line(f, s->checks[i]);
                        shown++;
                }
        if (r >= 0 && n_problems > shown)
                fprintf(f, ngettext("\nand %zu more: see Details", "\nand %zu more: see Details", n_problems - shown),
                        n_problems - shown);
        return r;
}

static const char *notice_intro(const TrayStatus *s, NoticeLevel level) {
        switch (level) {
        case NOTICE_COMPLIANT: return _("This laptop meets the company's security policy.");
        case NOTICE_PENDING: return _("The first compliance check is running.");
        case NOTICE_ACTION: return _("This laptop is compliant for now. Fix the following before the deadline:");
        case NOTICE_NONCOMPLIANT: return _("This laptop does not meet the company's security policy. To fix:");
        case NOTICE_NOT_ENROLLED: return _("This laptop is not enrolled: its compliance is not reported. Contact IT.");
        case NOTICE_IDENTITY:
                return _("This laptop's identity key cannot be used any more, so its compliance is no longer "
                         "reported. Contact IT: they must enroll it again with a device reset token.");
        default:
                if (!s->present)
                        return _("The Vigie agent has never run on this laptop: compliance is not checked. "
                                 "Contact IT.");
                return _("The Vigie agent is stopped: compliance is not checked. "
                         "Start it with \"systemctl start vigie-agent\" or contact IT.");
        }
}

/* The sentence for the level, and for a key that cannot sign, the agent's reason (data). */
static void write_intro(FILE *f, const TrayStatus *s, NoticeLevel level) {
        fputs(notice_intro(s, level), f);
        if (level == NOTICE_IDENTITY)
                fprintf(f, _("\nCause: %s."), s->identity_problem);
}

static bool has_problems(NoticeLevel level) {
        return level == NOTICE_ACTION || level == NOTICE_NONCOMPLIANT;
}

int tray_notice_compose(const TrayStatus *s, TrayNotice *ret) {
        _cleanup_free_ char *body = NULL, *brief = NULL, *key = NULL, *title = NULL, *first_id = NULL,
                            *support = NULL;
        _cleanup_fclose_ FILE *fb = NULL, *fs = NULL, *fk = NULL;
        size_t body_size, brief_size, key_size, n_problems = 0;
        const CheckResult *first = first_problem(s);
        NoticeLevel level;
        int r = 0;

        for (size_t i = 0; i < s->n_checks; i++)
                n_problems += s->checks[i]->status != CHECK_PASS;
        level = notice_level(s, n_problems);

        fb = open_memstream(&body, &body_size);
        fs = open_memstream(&brief, &brief_size);
        fk = open_memstream(&key, &key_size);
        if (!fb || !fs || !fk)
                return -ENOMEM;
        write_intro(fb, s, level);
        /* "never ran" and "stopped" are one level but two different things to say. */
        fprintf(fk, "%d%s", (int) level, s->present ? "" : " absent");
        for (size_t i = 0; i < s->n_checks; i++) {
                const CheckResult *c = s->checks[i];

                fprintf(fk, " %s=%s", c->id, check_status_to_string(c->status));
                if (c->status != CHECK_PASS && level != NOTICE_PENDING)
                        describe_check(fb, c);
        }
        if (has_problems(level) && first) {
                r = compose_brief(fs, s, n_problems, first);
                first_id = strdup(first->id);
                if (!first_id)
                        return -ENOMEM;
        } else
                write_intro(fs, s, level);
        if (r < 0 || fflush(fb) != 0 || ferror(fb) || fflush(fs) != 0 || ferror(fs) || fflush(fk) != 0 ||
            ferror(fk))
                return -ENOMEM;
        fclose(TAKE_PTR(fb));
        fclose(TAKE_PTR(fs));
        fclose(TAKE_PTR(fk));

        title = notice_title(level, n_problems, first);
        if (!title)
                return -ENOMEM;
        if (s->support && !(support = strdup(s->support)))
                return -ENOMEM;
        *ret = (TrayNotice) {
                .level = level,
                .sni_status = level == NOTICE_COMPLIANT || level == NOTICE_PENDING ? "Active" : "NeedsAttention",
                .icon = level == NOTICE_COMPLIANT     ? "security-high"
                        : level == NOTICE_PENDING     ? "security-medium"
                        : level == NOTICE_ACTION      ? "security-medium"
                        : level == NOTICE_NONCOMPLIANT ? "security-low"
                        : level == NOTICE_NOT_ENROLLED ? "security-medium"
                        : level == NOTICE_IDENTITY     ? "security-low"
                                                       : "dialog-warning",
                .title = TAKE_PTR(title),
                .body = TAKE_PTR(body),
                .brief = TAKE_PTR(brief),
                .key = TAKE_PTR(key),
                .first_problem = TAKE_PTR(first_id),
                .support = TAKE_PTR(support),
        };
        return 0;
}

char *notice_access_text(const TrayAccess *a) {
        _cleanup_free_ char *text = NULL;
        char when[64], *t;
        int r;

        switch (a->state) {
        case ACCESS_ALLOWED:
                text = strdup(_("Access to company resources: allowed."));
                break;
        case ACCESS_GRACE:
                if (a->grace_until)
                        r = asprintf(&text, _("Access to company resources is blocked from %s unless the problems "
                                              "below are fixed."),
                                     notice_format_minute(a->grace_until, when, sizeof(when)));
                else
                        r = asprintf(&text, "%s", _("Access to company resources will be blocked unless the problems "
                                                    "below are fixed."));
                if (r < 0)
                        return NULL;
                break;
        case ACCESS_BLOCKED:
                text = strdup(_("Access to company resources is blocked until the problems below are fixed."));
                break;
        default:
                return NULL;
        }
        if (!text || !a->reason)
                return TAKE_PTR(text);
        return asprintf(&t, _("%s\nReason: %s"), text, a->reason) < 0 ? NULL : t;
}

void tray_notice_done(TrayNotice *n) {
        free(n->title);
        free(n->body);
        free(n->brief);
        free(n->key);
        free(n->first_problem);
        free(n->support);
        *n = (TrayNotice) {};
}

char *tray_notice_text(const TrayNotice *n) {
        char *s;
        return asprintf(&s, "%s\n%s\n", n->title, n->body) < 0 ? NULL : s;
}

unsigned char tray_notice_urgency(const TrayNotice *n) {
        switch (n->level) {
        case NOTICE_NONCOMPLIANT:
        case NOTICE_IDENTITY:
        case NOTICE_NO_AGENT: return 2;
        case NOTICE_NOT_ENROLLED:
        case NOTICE_ACTION: return 1;
        default: return 0;
        }
}
