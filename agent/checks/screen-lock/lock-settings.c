/* SPDX-License-Identifier: MIT */
/* Each desktop's keys and defaults, verified against the shipped schemas:
 * gsettings-desktop-schemas (org.gnome.desktop.session idle-delay u 300 s;
 * org.gnome.desktop.screensaver lock-enabled b true, lock-delay u 0 s, and Ubuntu's
 * ubuntu-lock-on-suspend b true; org.gnome.desktop.lockdown disable-lock-screen b false),
 * cinnamon-desktop-data (org.cinnamon.desktop.session idle-delay u 900 s; …screensaver
 * idle-activation-enabled b true, lock-enabled b true, lock-delay u 0 s; …lockdown
 * disable-lock-screen b false) and cinnamon-settings-daemon (…plugins.power
 * lock-on-suspend b false), mate-session-manager (org.mate.session idle-delay i 5 MINUTES),
 * mate-screensaver (org.mate.screensaver idle-activation-enabled b true, lock-enabled b true,
 * lock-delay i 0 MINUTES), mate-desktop (org.mate.lockdown disable-lock-screen b false),
 * mate-power-manager (org.mate.power-manager lock-suspend b true); kscreenlocker's
 * kscreenlockersettings.kcfg ([Daemon] Autolock true, Timeout 5 min (an Int of at least 1
 * in Plasma 5, a Double in Plasma 6), Lock true, LockGrace 5 s, LockOnResume true; Plasma
 * 6's RequirePassword true);
 * xfce4-screensaver's gs-prefs.h (/saver/enabled true, /saver/idle-activation/enabled true,
 * …/delay 5 min, /lock/enabled true, /lock/saver-activation/enabled true, …/delay 0 min;
 * lock on sleep: xfce4-power-manager's /xfce4-power-manager/lock-screen-suspend-hibernate
 * true); without it, light-locker's apps.light-locker schema as Debian builds it
 * (lock-after-screensaver u 5 s, late-locking b false, lock-on-suspend b true) with
 * xfce4-power-manager 4.18's screen saver timeouts (blank-on-ac 15, blank-on-battery 10
 * minutes: xfpm-power.c before "Remove screensaver timeout management"); without either,
 * xscreensaver's compiled-in resources (timeout 0:10:00, lock False, lockTimeout 0:00:00,
 * mode random), which its xscreensaver-systemd also applies on sleep. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "dconf.h"
#include "error-util.h"
#include "fs-util.h"
#include "kconfig.h"
#include "lock-settings.h"
#include "macro.h"
#include "parse-util.h"
#include "xfconf.h"
#include "xscreensaver.h"

#define CONFIG_FILE_MAX (1024u * 1024)

static const char *const setting_names[_LOCK_SETTING_MAX] = {
        [LOCK_IDLE] = "idle",
        [LOCK_PASSWORD] = "password",
        [LOCK_DELAY] = "lock_delay",
        [LOCK_SUSPEND] = "lock_on_suspend",
};

const char *lock_setting_to_string(LockSettingId id) {
        return id >= 0 && id < _LOCK_SETTING_MAX ? setting_names[id] : NULL;
}

void lock_settings_done(LockSettings *s) {
        for (size_t i = 0; i < _LOCK_SETTING_MAX; i++)
                free(s->s[i].source);
        *s = (LockSettings) {};
}

/* One raw value: the key's value and where it came from. */
typedef struct Raw {
        int64_t value;
        const char *source;    /* borrowed; NULL: the default */
        bool locked;
} Raw;

static int set(LockSetting *s, int64_t value, const Raw *from) {
        s->value = value;
        s->locked = from->locked;
        free(s->source);
        s->source = NULL;
        if (from->source && !(s->source = strdup(from->source)))
                return -ENOMEM;
        return 0;
}

/* The four settings from the raw values: idle blanks only when enabled, the password only
 * when locking is on and not disabled by lockdown, suspend locks only when locking is on. */
static int combine(LockSettings *s, const Raw *idle_enabled, const Raw *idle, const Raw *lock, const Raw *lock_off,
                   const Raw *delay, const Raw *suspend) {
        const Raw *no_lock = !lock->value ? lock : lock_off->value ? lock_off : NULL;
        int r;

        r = idle_enabled->value ? set(&s->s[LOCK_IDLE], idle->value, idle) : set(&s->s[LOCK_IDLE], 0, idle_enabled);
        if (r >= 0)
                r = no_lock ? set(&s->s[LOCK_PASSWORD], 0, no_lock) : set(&s->s[LOCK_PASSWORD], 1, lock);
        if (r >= 0)
                r = set(&s->s[LOCK_DELAY], delay->value, delay);
        if (r >= 0)
                r = no_lock ? set(&s->s[LOCK_SUSPEND], 0, no_lock) : set(&s->s[LOCK_SUSPEND], suspend->value, suspend);
        return r;
}

/* dconf desktops: one row per raw value. */
typedef struct DconfKey {
        const char *key;       /* NULL: the constant def */
        char type;
        int64_t def;
        int64_t scale;         /* to seconds */
} DconfKey;

enum { K_IDLE_ENABLED, K_IDLE, K_LOCK, K_LOCK_OFF, K_DELAY, K_SUSPEND, _K_MAX };

static const DconfKey dconf_keys[][_K_MAX] = {
        [DESKTOP_GNOME] = {
                [K_IDLE_ENABLED] = { NULL, 'b', 1, 1 },
                [K_IDLE] = { "/org/gnome/desktop/session/idle-delay", 'u', 300, 1 },
                [K_LOCK] = { "/org/gnome/desktop/screensaver/lock-enabled", 'b', 1, 1 },
                [K_LOCK_OFF] = { "/org/gnome/desktop/lockdown/disable-lock-screen", 'b', 0, 1 },
                [K_DELAY] = { "/org/gnome/desktop/screensaver/lock-delay", 'u', 0, 1 },
                /* Ubuntu's key; upstream GNOME locks on suspend whenever it locks. */
                [K_SUSPEND] = { "/org/gnome/desktop/screensaver/ubuntu-lock-on-suspend", 'b', 1, 1 },
        },
        [DESKTOP_CINNAMON] = {
                [K_IDLE_ENABLED] = { "/org/cinnamon/desktop/screensaver/idle-activation-enabled", 'b', 1, 1 },
                [K_IDLE] = { "/org/cinnamon/desktop/session/idle-delay", 'u', 900, 1 },
                [K_LOCK] = { "/org/cinnamon/desktop/screensaver/lock-enabled", 'b', 1, 1 },
                [K_LOCK_OFF] = { "/org/cinnamon/desktop/lockdown/disable-lock-screen", 'b', 0, 1 },
                [K_DELAY] = { "/org/cinnamon/desktop/screensaver/lock-delay", 'u', 0, 1 },
                [K_SUSPEND] = { "/org/cinnamon/settings-daemon/plugins/power/lock-on-suspend", 'b', 0, 1 },
        },
        [DESKTOP_MATE] = {
                [K_IDLE_ENABLED] = { "/org/mate/screensaver/idle-activation-enabled", 'b', 1, 1 },
                [K_IDLE] = { "/org/mate/desktop/session/idle-delay", 'i', 5, 60 },
                [K_LOCK] = { "/org/mate/screensaver/lock-enabled", 'b', 1, 1 },
                [K_LOCK_OFF] = { "/org/mate/desktop/lockdown/disable-lock-screen", 'b', 0, 1 },
                [K_DELAY] = { "/org/mate/screensaver/lock-delay", 'i', 0, 60 },
                [K_SUSPEND] = { "/org/mate/power-manager/lock-suspend", 'b', 1, 1 },
        },
};

static int dconf_raw(const Dconf *d, const DconfKey *k, Raw *ret, char **ret_error) {
        GVariantValue v;
        const char *source = NULL;
        bool locked = false;
        int64_t value;
        int r;

        *ret = (Raw) { .value = k->def * k->scale };
        if (!k->key)
                return 0;
        r = dconf_read(d, k->key, k->type, &v, &source, &locked);
        if (r < 0)
                return error_set(ret_error, r, "%s: the value of %s cannot be decoded", source ? source : "dconf",
                                 k->key);
        if (r == 0)
                return 0;
        value = v.type == 'b' ? v.b : v.type == 'u' ? (int64_t) v.u : (int64_t) v.i;
        /* A negative count of minutes (MATE's i) reads as 0: never, as the screensaver does. */
        *ret = (Raw) { .value = MAX(value, 0) * k->scale, .source = source, .locked = locked };
        return 0;
}

static int read_dconf(int root_fd, Desktop desktop, const char *home, uid_t uid, LockSettings *ret,
                      char **ret_error) {
        _cleanup_(dconf_done) Dconf d = {};
        Raw raw[_K_MAX];
        int r;

        r = dconf_load(root_fd, home, uid, &d, ret_error);
        if (r < 0)
                return r;
        for (size_t i = 0; i < _K_MAX; i++) {
                r = dconf_raw(&d, &dconf_keys[desktop][i], &raw[i], ret_error);
                if (r < 0)
                        return r;
        }
        return combine(ret, &raw[K_IDLE_ENABLED], &raw[K_IDLE], &raw[K_LOCK], &raw[K_LOCK_OFF], &raw[K_DELAY],
                       &raw[K_SUSPEND]);
}

/* Reads path, up to max bytes; absent files are skipped (0, *ret NULL). */
static int read_file_max(int root_fd, const char *path, size_t max, char **ret, size_t *ret_size, char **ret_error) {
        int r = root_read_file(root_fd, path, max, ret, ret_size);

        if (r == -ENOENT) {
                *ret = NULL;
                return 0;
        }
        if (r < 0)
                return error_set(ret_error, r, "%s: %s", path, strerror(-r));
        return 1;
}

/* Reads path into a parser; absent files are skipped. */
static int read_config(int root_fd, const char *path, char **ret, size_t *ret_size, char **ret_error) {
        return read_file_max(root_fd, path, CONFIG_FILE_MAX, ret, ret_size, ret_error);
}

#define KDE_SYSTEM "/etc/xdg/kscreenlockerrc"

typedef enum KdeType {
        KDE_BOOL,
        KDE_SECONDS,           /* an Int of seconds */
        KDE_MINUTES,           /* Timeout: an Int of minutes (Plasma 5), a Double (Plasma 6) */
} KdeType;

/* Minutes, whole or not ("7.5"), into seconds; -EINVAL for anything else. */
static int parse_minutes(const char *s, int64_t *ret) {
        char *end = NULL;
        double m;

        errno = 0;
        m = strtod(s, &end);
        if (errno != 0 || end == s || *end || m != m)
                return -EINVAL;
        *ret = (int64_t) (MIN(MAX(m, 0.0), 24.0 * 60) * 60 + 0.5);
        return 0;
}

static Raw kde_raw(const KConfig *c, const char *const *paths, const char *key, KdeType type, int64_t def) {
        const KConfigEntry *e = kconfig_get(c, "Daemon", key);
        Raw raw = { .value = def };
        int64_t v;

        if (!e)
                return raw;
        if (type == KDE_BOOL)
                v = kconfig_value_bool(e->value);
        else if ((type == KDE_MINUTES ? parse_minutes(e->value, &v) : parse_int64(e->value, &v)) < 0)
                return raw; /* KConfig falls back to the default */
        raw.value = MIN(MAX(v, 0), 24 * 3600);
        raw.source = paths[e->file];
        raw.locked = e->immutable && e->file == 0;
        return raw;
}

static int read_kde(int root_fd, const char *home, LockSettings *ret, char **ret_error) {
        _cleanup_free_ char *user = NULL;
        _cleanup_(kconfig_done) KConfig c = {};
        const char *paths[2] = { KDE_SYSTEM, NULL };
        Raw enabled, idle, lock, require, grace, resume, never = { .value = 0 };
        int r;

        if (asprintf(&user, "%s/.config/kscreenlockerrc", home) < 0)
                return -ENOMEM;
        paths[1] = user;
        for (unsigned i = 0; i < ELEMENTSOF(paths); i++) {
                _cleanup_free_ char *text = NULL, *err = NULL;
                size_t size;

                r = read_config(root_fd, paths[i], &text, &size, ret_error);
                if (r > 0 && (r = kconfig_parse(&c, text, size, i, &err)) < 0 && err)
                        r = error_set(ret_error, r, "%s: %s", paths[i], err);
                if (r < 0)
                        return r;
        }
        enabled = kde_raw(&c, paths, "Autolock", KDE_BOOL, 1);
        /* A Timeout of 0 or less never locks (Plasma 6 checks timeout > 0). */
        idle = kde_raw(&c, paths, "Timeout", KDE_MINUTES, 5 * 60);
        lock = kde_raw(&c, paths, "Lock", KDE_BOOL, 1);
        require = kde_raw(&c, paths, "RequirePassword", KDE_BOOL, 1);
        grace = kde_raw(&c, paths, "LockGrace", KDE_SECONDS, 5);
        resume = kde_raw(&c, paths, "LockOnResume", KDE_BOOL, 1);
        /* Lock=false means an endless grace: the password is never asked. */
        return combine(ret, &enabled, &idle, lock.value ? &require : &lock, &never, &grace, &resume);
}

#define XFCONF_SYSTEM "/etc/xdg/xfce4/xfconf/xfce-perchannel-xml/"
#define XFCONF_USER "/.config/xfce4/xfconf/xfce-perchannel-xml/"

typedef struct Channel {
        XfconfChannel c[2];    /* system, user */
        char *paths[2];
} Channel;

static void channel_done(Channel *ch) {
        for (size_t i = 0; i < 2; i++) {
                xfconf_done(&ch->c[i]);
                free(ch->paths[i]);
        }
}

static int channel_load(int root_fd, const char *home, const char *name, Channel *ret, char **ret_error) {
        int r;

        *ret = (Channel) {};
        if (asprintf(&ret->paths[0], XFCONF_SYSTEM "%s.xml", name) < 0 ||
            asprintf(&ret->paths[1], "%s" XFCONF_USER "%s.xml", home, name) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < 2; i++) {
                _cleanup_free_ char *text = NULL, *err = NULL;
                size_t size;

                r = read_config(root_fd, ret->paths[i], &text, &size, ret_error);
                if (r > 0 && (r = xfconf_parse(text, size, &ret->c[i], &err)) < 0 && err)
                        r = error_set(ret_error, r, "%s: %s", ret->paths[i], err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The user's value, unless the system file locks the property; then the system's; then
 * the default. */
static Raw xfconf_raw(const Channel *ch, const char *path, bool is_bool, int64_t def, int64_t scale) {
        const XfconfProperty *sys = xfconf_get(&ch->c[0], path), *usr = xfconf_get(&ch->c[1], path), *p;
        Raw raw = { .value = def * scale };
        int64_t v;
        bool b;

        p = sys && sys->locked ? sys : usr ? usr : sys;
        if (!p)
                return raw;
        if (is_bool ? parse_boolean(p->value, &b) < 0 : parse_int64(p->value, &v) < 0)
                return raw;
        raw.value = is_bool ? b : MAX(v, 0) * scale;
        raw.source = p == sys ? ch->paths[0] : ch->paths[1];
        raw.locked = p == sys && sys->locked;
        return raw;
}

static int read_xscreensaver(int root_fd, const char *home, LockSettings *ret, char **ret_error) {
        static const int64_t defaults[_XSS_KEY_MAX] = { [XSS_TIMEOUT] = 600 };
        _cleanup_free_ char *path = NULL, *text = NULL;
        Raw raw[_XSS_KEY_MAX], on;
        XssPrefs x;
        size_t size;
        int r;

        if (asprintf(&path, "%s/.xscreensaver", home) < 0)
                return -ENOMEM;
        r = read_config(root_fd, path, &text, &size, ret_error);
        if (r < 0)
                return r;
        xscreensaver_parse(strempty(text), &x);
        ret->locker = LOCKER_XSCREENSAVER;
        for (XssKey k = 0; k < _XSS_KEY_MAX; k++)
                raw[k] = x.set[k] ? (Raw) { .value = x.value[k], .source = path } : (Raw) { .value = defaults[k] };
        on = (Raw) { .value = !raw[XSS_MODE_OFF].value, .source = raw[XSS_MODE_OFF].source };
        /* xscreensaver-systemd locks before sleep exactly when locking is on. */
        return combine(ret, &on, &raw[XSS_TIMEOUT], &raw[XSS_LOCK], &(Raw) { .value = 0 }, &raw[XSS_LOCK_TIMEOUT],
                       &raw[XSS_LOCK]);
}

/* The worse of two idle times: 0 is never. */
static const Raw *longer_idle(const Raw *a, const Raw *b) {
        return a->value == 0 || (b->value != 0 && a->value >= b->value) ? a : b;
}

#define POWER_MANAGER "/usr/bin/xfce4-power-manager"
#define POWER_MANAGER_MAX (16u << 20)
#define X_SCREEN_SAVER_DEFAULT 600 /* the X server's own timeout, in seconds */

/* xfce4-power-manager up to 4.18 sets the X screen saver's timeout from blank-on-ac and
 * blank-on-battery; from 4.19.2 (Xfce 4.20) it leaves the X server's own ("Remove
 * screensaver timeout management", xfce4-power-manager 4e8c3386). Told apart by whether the
 * installed program still holds the key's name: 1 it sets the timeout, 0 it does not (or
 * is not installed). */
static int power_manager_times_saver(int root_fd, char **ret_error) {
        _cleanup_free_ char *data = NULL;
        size_t size;
        int r = read_file_max(root_fd, POWER_MANAGER, POWER_MANAGER_MAX, &data, &size, ret_error);

        if (r <= 0)
                return r;
        return memmem(data, size, "blank-on-ac", strlen("blank-on-ac")) != NULL;
}

/* light-locker (Debian's Xfce) locks when the X screen saver starts, timed as above (the X
 * server's own timeout, 10 minutes, when xfce4-power-manager does not; its changes by
 * xorg.conf's BlankTime, `X -s` or `xset s` are not read); its own keys are GSettings, in
 * dconf. */
static int read_light_locker(int root_fd, const char *home, uid_t uid, const Channel *power, LockSettings *ret,
                             char **ret_error) {
        static const DconfKey keys[] = {
                { "/apps/light-locker/lock-after-screensaver", 'u', 5, 1 },
                { "/apps/light-locker/late-locking", 'b', 0, 1 },
                { "/apps/light-locker/lock-on-suspend", 'b', 1, 1 },
        };
        _cleanup_(dconf_done) Dconf d = {};
        Raw after, late, suspend, ac, battery, sleep, on, idle = { .value = X_SCREEN_SAVER_DEFAULT };
        bool power_manager_times;
        int r;

        r = power_manager_times_saver(root_fd, ret_error);
        if (r < 0)
                return r;
        power_manager_times = r > 0;
        if (power_manager_times) {
                ac = xfconf_raw(power, "/xfce4-power-manager/blank-on-ac", false, 15, 60);
                battery = xfconf_raw(power, "/xfce4-power-manager/blank-on-battery", false, 10, 60);
                idle = *longer_idle(&ac, &battery);
        }
        r = dconf_load(root_fd, home, uid, &d, ret_error);
        if (r >= 0)
                r = dconf_raw(&d, &keys[0], &after, ret_error);
        if (r >= 0)
                r = dconf_raw(&d, &keys[1], &late, ret_error);
        if (r >= 0)
                r = dconf_raw(&d, &keys[2], &suspend, ret_error);
        if (r < 0)
                return r;
        sleep = xfconf_raw(power, "/xfce4-power-manager/lock-screen-suspend-hibernate", true, 1, 1);
        /* Locking after the screen saver (after N s), or when it ends (late-locking). */
        on = after.value > 0 || !late.value ? after : late;
        ret->locker = power_manager_times ? LOCKER_LIGHT_LOCKER : LOCKER_LIGHT_LOCKER_ON_X;
        return combine(ret, &(Raw) { .value = 1 }, &idle, &on, &(Raw) { .value = 0 },
                       after.value > 0 ? &after : &(Raw) { .value = 0, .source = late.source },
                       /* xflock4, on xfce4-power-manager's behalf, asks light-locker too */
                       suspend.value ? &suspend : &sleep);
}

static int read_xfce(int root_fd, const char *home, uid_t uid, LockSettings *ret, char **ret_error) {
        _cleanup_(channel_done) Channel saver = {}, power = {};
        Raw saver_on, idle_on, idle, lock_on, lock_saver, delay, sleep;
        bool xfce_saver = root_exists(root_fd, "/usr/bin/xfce4-screensaver");
        int r;

        /* Xfce's own locker first, then light-locker (Debian's task), then xscreensaver. */
        if (!xfce_saver && !root_exists(root_fd, "/usr/bin/light-locker") &&
            root_exists(root_fd, "/usr/bin/xscreensaver"))
                return read_xscreensaver(root_fd, home, ret, ret_error);
        r = channel_load(root_fd, home, "xfce4-power-manager", &power, ret_error);
        if (r >= 0 && !xfce_saver && root_exists(root_fd, "/usr/bin/light-locker"))
                return read_light_locker(root_fd, home, uid, &power, ret, ret_error);
        if (r >= 0)
                r = channel_load(root_fd, home, "xfce4-screensaver", &saver, ret_error);
        if (r < 0)
                return r;
        saver_on = xfconf_raw(&saver, "/saver/enabled", true, 1, 1);
        idle_on = xfconf_raw(&saver, "/saver/idle-activation/enabled", true, 1, 1);
        idle = xfconf_raw(&saver, "/saver/idle-activation/delay", false, 5, 60);
        lock_on = xfconf_raw(&saver, "/lock/enabled", true, 1, 1);
        lock_saver = xfconf_raw(&saver, "/lock/saver-activation/enabled", true, 1, 1);
        delay = xfconf_raw(&saver, "/lock/saver-activation/delay", false, 0, 60);
        sleep = xfconf_raw(&power, "/xfce4-power-manager/lock-screen-suspend-hibernate", true, 1, 1);
        r = combine(ret, saver_on.value ? &idle_on : &saver_on, &idle, lock_on.value ? &lock_saver : &lock_on,
                    &(Raw) { .value = 0 }, &delay, &sleep);
        /* Locking with the screensaver off still locks on sleep. */
        if (r >= 0 && !lock_saver.value && lock_on.value)
                r = set(&ret->s[LOCK_SUSPEND], sleep.value, &sleep);
        return r;
}

bool desktop_configured(int root_fd, Desktop d, const char *home) {
        static const char *const files[_DESKTOP_MAX] = {
                [DESKTOP_GNOME] = "/.config/dconf", /* user, or user.txt (keyfile service) */
                [DESKTOP_CINNAMON] = "/.config/dconf",
                [DESKTOP_MATE] = "/.config/dconf",
                [DESKTOP_KDE] = "/.config/kscreenlockerrc",
                [DESKTOP_XFCE] = "/.config/xfce4/xfconf/xfce-perchannel-xml",
        };
        _cleanup_free_ char *path = NULL;
        struct stat st;
        int r;

        if (d < 0 || d >= _DESKTOP_MAX || asprintf(&path, "%s%s", home, files[d]) < 0)
                return false;
        r = root_stat(root_fd, path, &st);
        /* A home the agent may not enter (no CAP_DAC_READ_SEARCH) may hold settings: such a
         * desktop is judged, and then unknown, never skipped as absent. */
        return r >= 0 || (r != -ENOENT && r != -ENOTDIR);
}

int lock_settings_read(int root_fd, Desktop d, const char *home, uid_t uid, LockSettings *ret, char **ret_error) {
        int r;

        *ret = (LockSettings) { .desktop = d };
        switch (d) {
        case DESKTOP_GNOME:
        case DESKTOP_CINNAMON:
        case DESKTOP_MATE:
                r = read_dconf(root_fd, d, home, uid, ret, ret_error);
                break;
        case DESKTOP_KDE:
                r = read_kde(root_fd, home, ret, ret_error);
                break;
        case DESKTOP_XFCE:
                r = read_xfce(root_fd, home, uid, ret, ret_error);
                break;
        default:
                r = -EOPNOTSUPP;
        }
        if (r < 0)
                lock_settings_done(ret);
        return r;
}
