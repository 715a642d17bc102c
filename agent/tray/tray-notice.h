/* SPDX-License-Identifier: MIT */
#pragma once

/* What the tray shows for one status.json: the icon, the StatusNotifierItem status, a
 * title and a body in the user's language — "compliant", or each check to fix, what to do
 * and by when. Pure: no bus, no file, so it is unit-tested and used by --once. */

#include <stdbool.h>

#include "tray-status.h"

typedef enum NoticeLevel {
        NOTICE_COMPLIANT,   /* every check passes */
        NOTICE_PENDING,     /* nothing checked yet */
        NOTICE_ACTION,      /* compliant, but something must be fixed before a deadline */
        NOTICE_NONCOMPLIANT,
        NOTICE_NOT_ENROLLED, /* checked, but reports are not sent */
        NOTICE_NO_AGENT,    /* agent not running: nothing is checked */
        NOTICE_IDENTITY,    /* the device key cannot sign: reports stopped until IT re-enrolls */
} NoticeLevel;

typedef struct TrayNotice {
        NoticeLevel level;
        const char *sni_status; /* "Active" or "NeedsAttention" */
        const char *icon;       /* freedesktop icon name */
        char *title;            /* the state, how many things to fix and the first deadline */
        char *body;             /* every problem in full: the tooltip and --once */
        char *brief;            /* at most three short lines: the notification's body */
        char *key;              /* verdict and each check's status: changes notify */
        char *first_problem;    /* id of the check to fix first (its fix is the bubble's action) */
        char *support;          /* "Contact IT" URL (status.json's support), or NULL */
} TrayNotice;

/* Lines of the notification body: servers cut longer ones, the details window has the rest. */
#define NOTICE_BRIEF_LINES 3
/* Characters of a summary in the brief before it is cut at a word with "…". */
#define NOTICE_BRIEF_WIDTH 56

int tray_notice_compose(const TrayStatus *s, TrayNotice *ret);
void tray_notice_done(TrayNotice *n);
/* The deadline as the user's locale writes a short date ("Tue 9 Dec", "mar. 9 déc."). */
const char *notice_format_day(usec_t t, char *buf, size_t size);
/* A day and time ("Tue 9 Dec 09:00"): the last check, the end of a grace period. */
const char *notice_format_minute(usec_t t, char *buf, size_t size);
/* "Access to company resources is blocked from … unless …" (and the server's reason), or
 * NULL when the state is unknown (or out of memory). */
char *notice_access_text(const TrayAccess *a);
/* The deadline as the user's locale writes a date (%x): 12/04/2026, 04/12/2026… */
const char *notice_format_date(usec_t t, char *buf, size_t size);
/* Which check comes first: failing 0, cannot be checked 1, in its grace period 2, passing 3. */
int notice_check_rank(const CheckResult *c);
/* "to fix", "failing"… in the user's language. */
const char *notice_status_phrase(CheckStatus s);
/* "title\nbody\n", what --once prints. */
char *tray_notice_text(const TrayNotice *n);
/* Notification urgency (0 low, 1 normal, 2 critical). */
unsigned char tray_notice_urgency(const TrayNotice *n);
