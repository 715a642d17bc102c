/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "desktop.h"
#include "fs-util.h"
#include "kconfig.h"
#include "macro.h"

#define SESSION_DIR_ENTRIES_MAX 1024
#define ACCOUNTS_FILE_MAX (64u * 1024)

static const char *const desktop_names[_DESKTOP_MAX + 1] = {
        [DESKTOP_GNOME] = "gnome",
        [DESKTOP_CINNAMON] = "cinnamon",
        [DESKTOP_MATE] = "mate",
        [DESKTOP_KDE] = "kde",
        [DESKTOP_XFCE] = "xfce",
        [DESKTOP_OTHER] = "other",
};

const char *desktop_to_string(Desktop d) {
        return d >= 0 && d <= DESKTOP_OTHER ? desktop_names[d] : NULL;
}

/* Session file names as the desktops ship them: gnome, gnome-xorg, gnome-wayland, ubuntu,
 * ubuntu-xorg, ubuntu-wayland; cinnamon, cinnamon2d, cinnamon-wayland; mate; plasma,
 * plasmawayland, plasmax11; xfce, xfce-wayland. */
static const struct {
        const char *prefix;
        Desktop desktop;
} session_prefixes[] = {
        { "gnome", DESKTOP_GNOME },     { "ubuntu", DESKTOP_GNOME }, { "cinnamon", DESKTOP_CINNAMON },
        { "mate", DESKTOP_MATE },       { "plasma", DESKTOP_KDE },   { "kde-plasma", DESKTOP_KDE },
        { "xfce", DESKTOP_XFCE },
};

Desktop desktop_from_session(const char *session) {
        for (size_t i = 0; i < ELEMENTSOF(session_prefixes); i++)
                if (startswith_str(session, session_prefixes[i].prefix))
                        return session_prefixes[i].desktop;
        return DESKTOP_OTHER;
}

static int scan(int root_fd, const char *dir, unsigned *mask) {
        _cleanup_closedir_ DIR *d = NULL;
        unsigned n = 0;
        struct dirent *de;
        int r = root_opendir(root_fd, dir, &d);

        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        while ((de = readdir(d)) && n++ < SESSION_DIR_ENTRIES_MAX) {
                size_t len = strlen(de->d_name);
                _cleanup_free_ char *name = NULL;
                Desktop desktop;

                if (len <= 8 || !streq(de->d_name + len - 8, ".desktop"))
                        continue;
                name = strndup(de->d_name, len - 8);
                if (!name)
                        return -ENOMEM;
                desktop = desktop_from_session(name);
                if (desktop != DESKTOP_OTHER)
                        *mask |= 1u << desktop;
        }
        return 0;
}

int sessions_installed(int root_fd, unsigned *ret_mask) {
        int r;

        *ret_mask = 0;
        r = scan(root_fd, "/usr/share/xsessions", ret_mask);
        if (r >= 0)
                r = scan(root_fd, "/usr/share/wayland-sessions", ret_mask);
        return r;
}

/* The first non-empty value of keys[] in group of the key file at path; NULL when the file
 * is absent, unreadable or unparsable: then it tells us nothing. */
static int key_file_value(int root_fd, const char *path, const char *group, const char *const *keys, char **ret) {
        _cleanup_free_ char *text = NULL;
        _cleanup_(kconfig_done) KConfig c = {};
        size_t size;
        int r;

        *ret = NULL;
        r = root_read_file(root_fd, path, ACCOUNTS_FILE_MAX, &text, &size);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || kconfig_parse(&c, text, size, 0, NULL) < 0)
                return 0;
        for (; *keys; keys++) {
                const KConfigEntry *e = kconfig_get(&c, group, *keys);

                if (e && *e->value) {
                        *ret = strdup(e->value);
                        return *ret ? 0 : -ENOMEM;
                }
        }
        return 0;
}

int user_last_session(int root_fd, const char *user, const char *home, char **ret) {
        static const char *const accounts_keys[] = { "Session", "XSession", NULL };
        static const char *const dmrc_keys[] = { "Session", NULL };
        _cleanup_free_ char *path = NULL, *dmrc = NULL;
        int r;

        *ret = NULL;
        if (strchr(user, '/') || streq(user, ".") || streq(user, ".."))
                return 0;
        if (asprintf(&path, "/var/lib/AccountsService/users/%s", user) < 0 || asprintf(&dmrc, "%s/.dmrc", home) < 0)
                return -ENOMEM;
        r = key_file_value(root_fd, path, "User", accounts_keys, ret);
        if (r < 0 || *ret)
                return r;
        /* Display managers without AccountsService (LightDM) keep it in ~/.dmrc. */
        return key_file_value(root_fd, dmrc, "Desktop", dmrc_keys, ret);
}
