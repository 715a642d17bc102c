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
} NoticeLevel;

typedef struct TrayNotice {
        NoticeLevel level;
        const char *sni_status; /* "Active" or "NeedsAttention" */
        const char *icon;       /* freedesktop icon name */
        char *title;
        char *body;
        char *key;              /* verdict and each check's status: changes notify */
} TrayNotice;

int tray_notice_compose(const TrayStatus *s, TrayNotice *ret);
void tray_notice_done(TrayNotice *n);
/* "title\nbody\n", what --once prints. */
char *tray_notice_text(const TrayNotice *n);
/* Notification urgency (0 low, 1 normal, 2 critical). */
unsigned char tray_notice_urgency(const TrayNotice *n);
