/* SPDX-License-Identifier: MIT */
#pragma once

/* A user's effective screen-lock settings on one desktop, each with the file that set it,
 * following that desktop's own precedence (docs/checks.md, screen_lock). */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "desktop.h"

typedef enum LockSettingId {
        LOCK_IDLE,             /* seconds of inactivity before the screen blanks; 0: never */
        LOCK_PASSWORD,         /* 1: the blanked screen locks and asks for the password */
        LOCK_DELAY,            /* seconds after blanking before the password is asked */
        LOCK_SUSPEND,          /* 1: the screen locks when the laptop suspends */
        _LOCK_SETTING_MAX,
} LockSettingId;

typedef struct LockSetting {
        int64_t value;
        char *source;          /* the file that set it (inside the root); NULL: the default */
        bool locked;           /* the system's value, which the user cannot change */
} LockSetting;

/* What locks the screen: the desktop's own locker, or one Xfce runs instead. */
typedef enum Locker {
        LOCKER_DESKTOP,
        LOCKER_LIGHT_LOCKER,       /* after xfce4-power-manager's blank timeouts (Xfce 4.18) */
        LOCKER_LIGHT_LOCKER_ON_X,  /* after the X server's timeout: 4.19.2+ no longer sets it */
        LOCKER_XSCREENSAVER,
        _LOCKER_MAX,
} Locker;

typedef struct LockSettings {
        Desktop desktop;
        Locker locker;
        LockSetting s[_LOCK_SETTING_MAX];
} LockSettings;

const char *lock_setting_to_string(LockSettingId id);

/* Whether the user has this desktop's configuration in their home (or may have: a home
 * that cannot be searched counts). */
bool desktop_configured(int root_fd, Desktop d, const char *home);
/* -EBADMSG (or another -errno) with "FILE: …" in *ret_error when a file is unreadable. */
int lock_settings_read(int root_fd, Desktop d, const char *home, uid_t uid, LockSettings *ret, char **ret_error);
void lock_settings_done(LockSettings *s);
