/* SPDX-License-Identifier: MIT */
#pragma once

/* Which desktops a user may use: the sessions installed for display managers
 * (/usr/share/xsessions, /usr/share/wayland-sessions: NAME.desktop) and the user's last
 * session as AccountsService keeps it (/var/lib/AccountsService/users/NAME, [User]
 * Session= or the older XSession=), or as ~/.dmrc does without it. */

#include <stdbool.h>

typedef enum Desktop {
        DESKTOP_GNOME,         /* and Ubuntu's session */
        DESKTOP_CINNAMON,
        DESKTOP_MATE,
        DESKTOP_KDE,
        DESKTOP_XFCE,
        _DESKTOP_MAX,
        DESKTOP_OTHER = _DESKTOP_MAX, /* a session we cannot read (i3, sway…) */
} Desktop;

/* The desktop of a session name ("gnome-xorg", "ubuntu", "plasmawayland", "xfce"…). */
Desktop desktop_from_session(const char *session);
const char *desktop_to_string(Desktop d);

/* The installed desktops we read, as a mask of 1 << Desktop. */
int sessions_installed(int root_fd, unsigned *ret_mask);
/* The user's last session name (owned): AccountsService's, else ~/.dmrc's [Desktop]
 * Session=; NULL when neither says (or cannot be read). */
int user_last_session(int root_fd, const char *user, const char *home, char **ret);
