/* SPDX-License-Identifier: MIT */
#pragma once

/* xscreensaver's ~/.xscreensaver (X resource lines "name: value"), the keys that say when
 * it blanks and locks: timeout, lock, lockTimeout, mode. Times are "H:MM:SS", "MM:SS" or a
 * number of minutes. Like xscreensaver, unknown lines and unreadable values are skipped. */

#include <stdbool.h>
#include <stdint.h>

typedef enum XssKey {
        XSS_TIMEOUT,           /* seconds */
        XSS_LOCK,              /* 0/1 */
        XSS_LOCK_TIMEOUT,      /* seconds */
        XSS_MODE_OFF,          /* 1: mode "off", the screen saver disabled */
        _XSS_KEY_MAX,
} XssKey;

typedef struct XssPrefs {
        int64_t value[_XSS_KEY_MAX];
        bool set[_XSS_KEY_MAX];
} XssPrefs;

void xscreensaver_parse(const char *text, XssPrefs *ret);
