/* SPDX-License-Identifier: MIT */
/* The screen_lock check: for every local human user (users.c), does the desktop lock the
 * screen with a password when left alone, soon enough, and on suspend? Each desktop's
 * settings are read from its files as root, with its own precedence (lock-settings.c:
 * dconf for GNOME, Cinnamon and MATE; kscreenlockerrc for KDE Plasma; xfconf for Xfce).
 * The user's desktop is their last session (AccountsService, ~/.dmrc); unknown, every
 * installed desktop they have configured is judged and the weakest counts. The worst user
 * decides.
 * docs/checks.md lists its knobs, evidence, statuses and the precedence rules. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "cleanup.h"
#include "i18n.h"
#include "json-util.h"
#include "macro.h"
#include "parse-util.h"
#include "screen-lock/desktop.h"
#include "screen-lock/lock-settings.h"
#include "screen-lock/users.h"

typedef struct PolicyScreenLock {
        PolicyCheckHead head;
        int max_idle_minutes;          /* 0: no limit */
        bool require_lock;             /* on idle and on suspend */
        bool require_password;
} PolicyScreenLock;

/* A user's verdict, in increasing severity: the worst user decides. */
typedef enum Verdict {
        V_NOT_APPLICABLE,
        V_PASS,
        V_UNKNOWN,
        V_FAIL,
} Verdict;

static const char *const verdict_names[] = { "not_applicable", "pass", "unknown", "fail" };

typedef struct UserResult {
        Verdict verdict;
        char *reason;                  /* for people */
        Desktop desktop;               /* the one that decided; DESKTOP_OTHER: none */
        Locker locker;
        char *locked_source;           /* the failing value is fixed by this system file */
        json_object *evidence;
} UserResult;

static void user_result_done(UserResult *u) {
        free(u->reason);
        free(u->locked_source);
        json_object_put(u->evidence);
        *u = (UserResult) {};
}

static const char *const desktop_titles[_DESKTOP_MAX] = {
        [DESKTOP_GNOME] = "GNOME",
        [DESKTOP_CINNAMON] = "Cinnamon",
        [DESKTOP_MATE] = "MATE",
        [DESKTOP_KDE] = "KDE Plasma",
        [DESKTOP_XFCE] = "Xfce",
};

/* Minutes from the last input to the password prompt, to the nearest (KDE's 5 seconds of
 * grace do not make 5 minutes 6); -1: never. */
static int64_t lock_minutes(const LockSettings *s) {
        if (s->s[LOCK_IDLE].value == 0)
                return -1;
        return (s->s[LOCK_IDLE].value + s->s[LOCK_DELAY].value + 30) / 60;
}

typedef enum Problem {
        P_NONE,
        P_NO_PASSWORD,
        P_NEVER,
        P_TOO_LONG,
        P_NO_SUSPEND,
} Problem;

static const char *const problem_codes[] = { NULL, "no_password", "never_locks_when_idle", "idle_too_long",
                                             "no_lock_on_suspend" };

static Problem judge(const LockSettings *s, const PolicyScreenLock *p, LockSettingId *ret_culprit) {
        int64_t minutes = lock_minutes(s);

        if ((p->require_password || p->require_lock) && !s->s[LOCK_PASSWORD].value) {
                *ret_culprit = LOCK_PASSWORD;
                return P_NO_PASSWORD;
        }
        if ((p->require_lock || p->max_idle_minutes > 0) && minutes < 0) {
                *ret_culprit = LOCK_IDLE;
                return P_NEVER;
        }
        if (p->max_idle_minutes > 0 && minutes > p->max_idle_minutes) {
                *ret_culprit = s->s[LOCK_IDLE].value / 60 > p->max_idle_minutes ? LOCK_IDLE : LOCK_DELAY;
                return P_TOO_LONG;
        }
        if (p->require_lock && !s->s[LOCK_SUSPEND].value) {
                *ret_culprit = LOCK_SUSPEND;
                return P_NO_SUSPEND;
        }
        return P_NONE;
}

static char *problem_text(Problem pb, const char *user, const LockSettings *s, const PolicyScreenLock *p) {
        const char *d = desktop_titles[s->desktop];
        char *t = NULL;
        int r = -1;

        switch (pb) {
        case P_NONE:
                r = asprintf(&t, _("%s's screen locks after %lld minutes idle (%s)."), user,
                             (long long) lock_minutes(s), d);
                break;
        case P_NO_PASSWORD:
                r = asprintf(&t, _("%s's screen does not ask for a password when it locks (%s)."), user, d);
                break;
        case P_NEVER:
                r = asprintf(&t, _("%s's screen never locks when left idle (%s)."), user, d);
                break;
        case P_TOO_LONG:
                r = asprintf(&t, _("%s's screen locks only after %lld minutes idle (%s); the policy allows %d."),
                             user, (long long) lock_minutes(s), d, p->max_idle_minutes);
                break;
        case P_NO_SUSPEND:
                r = asprintf(&t, _("%s's screen does not lock when the laptop suspends (%s)."), user, d);
                break;
        }
        return r < 0 ? NULL : t;
}

static json_object *settings_to_json(const LockSettings *s) {
        _cleanup_json_ json_object *o = json_object_new_object(), *src = json_object_new_object();
        _cleanup_json_ json_object *locked = json_object_new_array();
        int64_t minutes = lock_minutes(s);

        if (!o || !src || !locked)
                return NULL;
        if (json_add_string(o, "desktop", desktop_to_string(s->desktop)) < 0 ||
            (minutes < 0 ? json_add(o, "idle_minutes", NULL) : json_add_int(o, "idle_minutes", minutes)) < 0 ||
            json_add_int(o, "idle_seconds", s->s[LOCK_IDLE].value) < 0 ||
            json_add_bool(o, "password", s->s[LOCK_PASSWORD].value) < 0 ||
            json_add_int(o, "lock_delay_seconds", s->s[LOCK_DELAY].value) < 0 ||
            json_add_bool(o, "lock_on_idle", minutes >= 0 && s->s[LOCK_PASSWORD].value) < 0 ||
            json_add_bool(o, "lock_on_suspend", s->s[LOCK_SUSPEND].value) < 0 ||
            ((s->locker == LOCKER_LIGHT_LOCKER || s->locker == LOCKER_LIGHT_LOCKER_ON_X) &&
             json_add_string(o, "locker", "light-locker") < 0) ||
            (s->locker == LOCKER_XSCREENSAVER && json_add_string(o, "locker", "xscreensaver") < 0))
                return NULL;
        for (LockSettingId i = 0; i < _LOCK_SETTING_MAX; i++) {
                if (json_add_string(src, lock_setting_to_string(i), s->s[i].source ? s->s[i].source : "default") < 0)
                        return NULL;
                if (s->s[i].locked &&
                    json_object_array_add(locked, json_object_new_string(lock_setting_to_string(i))) < 0)
                        return NULL;
        }
        if (json_add(o, "sources", TAKE_PTR(src)) < 0 || json_add(o, "locked", TAKE_PTR(locked)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

/* Judges one desktop for one user into res (replacing it when this one is weaker). */
static int evaluate_desktop(const CheckContext *ctx, const LocalUser *u, const char *name, Desktop d,
                            UserResult *res) {
        const PolicyScreenLock *p = ctx->policy;
        _cleanup_(lock_settings_done) LockSettings s = {};
        _cleanup_free_ char *err = NULL;
        UserResult n = { .desktop = d };
        LockSettingId culprit = LOCK_IDLE;
        Problem pb;
        int r;

        r = lock_settings_read(ctx->root_fd, d, u->home, u->uid, &s, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                n.verdict = V_UNKNOWN;
                if (asprintf(&n.reason, _("%s's screen lock settings (%s) cannot be read: %s."), name,
                             desktop_titles[d], err ? err : strerror(-r)) < 0)
                        return -ENOMEM;
                n.evidence = json_object_new_object();
                if (!n.evidence || json_add_string(n.evidence, "desktop", desktop_to_string(d)) < 0 ||
                    json_add_string(n.evidence, "reason", "unreadable") < 0 ||
                    json_add_string(n.evidence, "error", err ? err : strerror(-r)) < 0)
                        return user_result_done(&n), -ENOMEM;
        } else {
                pb = judge(&s, p, &culprit);
                n.verdict = pb == P_NONE ? V_PASS : V_FAIL;
                n.reason = problem_text(pb, name, &s, p);
                n.evidence = settings_to_json(&s);
                n.locker = s.locker;
                if (!n.reason || !n.evidence || json_add_string(n.evidence, "reason", problem_codes[pb]) < 0)
                        return user_result_done(&n), -ENOMEM;
                if (pb != P_NONE && s.s[culprit].locked && !(n.locked_source = strdup(s.s[culprit].source)))
                        return user_result_done(&n), -ENOMEM;
        }
        /* The weakest desktop counts: the worst verdict (the first one among equals). */
        if (res->evidence && n.verdict <= res->verdict) {
                user_result_done(&n);
                return 0;
        }
        user_result_done(res);
        *res = n;
        return 0;
}

/* A user name as people read it: a name with control characters is shown by its uid. */
static char *display_name(const LocalUser *u) {
        char *s = NULL;

        if (!string_has_cc(u->name))
                return strdup(u->name);
        return asprintf(&s, "uid %u", (unsigned) u->uid) < 0 ? NULL : s;
}

static int set_simple(UserResult *res, Verdict v, const char *code, char *reason) {
        res->verdict = v;
        res->reason = reason;
        res->evidence = json_object_new_object();
        if (!reason || !res->evidence || json_add_string(res->evidence, "reason", code) < 0)
                return -ENOMEM;
        return 0;
}

/* The desktops to judge: the user's last session, else the installed ones they configured. */
static int evaluate_user(const CheckContext *ctx, const LocalUser *u, unsigned installed, UserResult *res) {
        _cleanup_free_ char *session = NULL, *name = display_name(u);
        char *reason = NULL;
        unsigned mask = 0;
        int r;

        *res = (UserResult) { .desktop = DESKTOP_OTHER };
        if (!name)
                return -ENOMEM;
        r = user_last_session(ctx->root_fd, u->name, u->home, &session);
        if (r < 0)
                return r;
        if (session && desktop_from_session(session) == DESKTOP_OTHER) {
                /* The session's name is data: shown only when it is short, printable text. */
                bool shown = !string_has_cc(session) && strlen(session) <= 64;

                r = asprintf(&reason, _("%s uses the session \"%s\", whose screen lock Vigie cannot read."), name,
                             shown ? session : "?");
                r = set_simple(res, V_UNKNOWN, "unknown_desktop", r < 0 ? NULL : reason);
        } else {
                if (session)
                        mask = 1u << desktop_from_session(session);
                else
                        for (Desktop d = 0; d < _DESKTOP_MAX; d++)
                                if ((installed & (1u << d)) && desktop_configured(ctx->root_fd, d, u->home))
                                        mask |= 1u << d;
                for (Desktop d = 0; d < _DESKTOP_MAX && r >= 0; d++)
                        if (mask & (1u << d))
                                r = evaluate_desktop(ctx, u, name, d, res);
                if (r >= 0 && mask == 0)
                        r = set_simple(res, V_NOT_APPLICABLE, "no_desktop",
                                       asprintf(&reason, _("%s has no desktop session."), name) < 0 ? NULL : reason);
        }
        if (r >= 0 && (json_add_string(res->evidence, "user", u->name) < 0 ||
                       json_add_int(res->evidence, "uid", u->uid) < 0 ||
                       json_add_string(res->evidence, "session", session) < 0 ||
                       json_add_string(res->evidence, "status", verdict_names[res->verdict]) < 0))
                r = -ENOMEM;
        if (r < 0)
                user_result_done(res);
        return r;
}

static const char *fix_text(Desktop d, Locker l) {
        static const char *const fixes[_DESKTOP_MAX] = {
                [DESKTOP_GNOME] = N_("Open Settings → Privacy → Screen Lock (Privacy & Security on Ubuntu): turn "
                                     "Automatic Screen Lock and Lock Screen on Suspend on, and set Blank Screen "
                                     "Delay to %d minutes or less. Or in a terminal: gsettings set "
                                     "org.gnome.desktop.session idle-delay %d; gsettings set "
                                     "org.gnome.desktop.screensaver lock-enabled true"),
                [DESKTOP_CINNAMON] = N_("Open System Settings → Screensaver: start the screensaver after %d "
                                        "minutes or less, lock the computer as soon as it starts and when put to "
                                        "sleep. Or in a terminal: gsettings set org.cinnamon.desktop.session "
                                        "idle-delay %d; gsettings set org.cinnamon.desktop.screensaver "
                                        "lock-enabled true"),
                [DESKTOP_MATE] = N_("Open Control Center → Screensaver: regard the computer as idle after %d "
                                    "minutes or less and check \"Lock screen when screensaver is active\". Or in "
                                    "a terminal: gsettings set org.mate.session idle-delay %d; gsettings set "
                                    "org.mate.screensaver lock-enabled true"),
                [DESKTOP_KDE] = N_("Open System Settings → Screen Locking: lock the screen automatically after %d "
                                   "minutes or less, and after waking from sleep."),
                [DESKTOP_XFCE] = N_("Open Xfce Screensaver (xfce4-screensaver-preferences): turn the screensaver "
                                    "on and make it start after %d minutes or less; on the Lock Screen tab, lock "
                                    "with the screensaver and on sleep."),
        };
        static const char *const locker_fixes[_LOCKER_MAX] = {
                [LOCKER_LIGHT_LOCKER] = N_("Open Power Manager (xfce4-power-manager-settings): on the Display tab, "
                                           "blank the screen after %d minutes or less; on the Security tab, lock "
                                           "the session when the screensaver is activated and when the system goes "
                                           "to sleep."),
                [LOCKER_LIGHT_LOCKER_ON_X] = N_("Light Locker locks when the X screen saver starts, which Xfce 4.20 "
                                                "leaves to the X server: after 10 minutes. In a terminal: gsettings "
                                                "set apps.light-locker lock-after-screensaver 0; gsettings set "
                                                "apps.light-locker lock-on-suspend true. To lock within %d minutes "
                                                "when that is less, install Xfce Screensaver (xfce4-screensaver) "
                                                "and turn it on, or ask IT."),
                [LOCKER_XSCREENSAVER] = N_("Open the screensaver settings (xscreensaver-settings): blank after %d "
                                           "minutes or less and check \"Lock screen after\"."),
        };
        if (l > LOCKER_DESKTOP && l < _LOCKER_MAX)
                return locker_fixes[l];
        return d >= 0 && d < _DESKTOP_MAX ? fixes[d] : NULL;
}

static int remediation(CheckResult *res, const UserResult *u, const PolicyScreenLock *p) {
        int minutes = p->max_idle_minutes > 0 ? p->max_idle_minutes : 15;
        /* The gsettings value: GNOME's and Cinnamon's idle-delay are seconds, MATE's minutes
         * (KDE's and Xfce's texts have no second number). */
        int arg2 = u->desktop == DESKTOP_MATE ? minutes : minutes * 60;

        if (u->locked_source)
                return check_result_set_remediation(res, _("Ask IT: this setting is fixed by the system "
                                                           "configuration (%s)."), u->locked_source);
        if (!fix_text(u->desktop, u->locker))
                return check_result_set_remediation(res, "%s", _("Turn on your desktop's automatic screen lock "
                                                                  "with a password, or ask IT."));
        return check_result_set_remediation(res, _(fix_text(u->desktop, u->locker)), minutes, arg2);
}

/* The overall result: the worst user's verdict and reason, with the count of the others;
 * users left unchecked (past LOCAL_USERS_MAX) forbid a pass. */
static int conclude(CheckResult *res, UserResult *users, size_t n, size_t n_skipped, const PolicyScreenLock *p) {
        UserResult *worst = NULL;
        size_t count = 0;

        for (size_t i = 0; i < n; i++)
                if (!worst || users[i].verdict > worst->verdict)
                        worst = &users[i];
        if (n_skipped > 0 && (!worst || worst->verdict < V_UNKNOWN))
                return check_result_set(res, CHECK_UNKNOWN,
                                        ngettext("There are more than %d local users: %zu was not checked.",
                                                 "There are more than %d local users: %zu were not checked.",
                                                 n_skipped),
                                        LOCAL_USERS_MAX, n_skipped);
        if (!worst || worst->verdict == V_NOT_APPLICABLE)
                return check_result_set(res, CHECK_PASS, "%s", _("No local user has a desktop session: there is "
                                                                  "no screen to lock."));
        for (size_t i = 0; i < n; i++)
                count += users[i].verdict == worst->verdict;
        if (worst->verdict == V_PASS) {
                if (count == 1)
                        return check_result_set(res, CHECK_PASS, "%s", worst->reason);
                return check_result_set(res, CHECK_PASS, _("The screen locks with a password for all %zu users "
                                                           "with a desktop."), count);
        }
        if (worst->verdict == V_FAIL) {
                int r = remediation(res, worst, p);
                if (r < 0)
                        return r;
        }
        if (count > 1)
                return check_result_set(res, worst->verdict == V_FAIL ? CHECK_FAIL : CHECK_UNKNOWN,
                                        _("%s (%zu users in all)"), worst->reason, count);
        return check_result_set(res, worst->verdict == V_FAIL ? CHECK_FAIL : CHECK_UNKNOWN, "%s", worst->reason);
}

static int run(const CheckContext *ctx, CheckResult *res) {
        const PolicyScreenLock *p = ctx->policy;
        _cleanup_(local_users_done) LocalUsers users = {};
        unsigned installed;
        _cleanup_free_ UserResult *results = NULL;
        _cleanup_free_ char *err = NULL;
        json_object *list, *desktops;
        size_t n = 0;
        int r;

        r = local_users_load(ctx->root_fd, &users, &err);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return check_result_set(res, CHECK_UNKNOWN, _("The local users cannot be listed: %s."), err);
        r = sessions_installed(ctx->root_fd, &installed);
        if (r < 0)
                return r;
        results = calloc(MAX(users.n, 1u), sizeof(UserResult));
        if (!results || !(list = json_object_new_array()) || json_add(res->evidence, "users", list) < 0 ||
            !(desktops = json_object_new_array()) || json_add(res->evidence, "installed_desktops", desktops) < 0)
                return -ENOMEM; /* json_add() took (and on failure freed) each array */
        for (Desktop d = 0; d < _DESKTOP_MAX; d++)
                if ((installed & (1u << d)) &&
                    json_object_array_add(desktops, json_object_new_string(desktop_to_string(d))) < 0)
                        return -ENOMEM;
        for (; n < users.n && r >= 0; n++) {
                r = evaluate_user(ctx, &users.users[n], installed, &results[n]);
                if (r >= 0 && json_object_array_add(list, json_object_get(results[n].evidence)) < 0)
                        r = -ENOMEM;
        }
        if (r >= 0 && users.n_skipped && json_add_int(res->evidence, "users_not_checked", users.n_skipped) < 0)
                r = -ENOMEM;
        if (r >= 0)
                r = conclude(res, results, users.n, users.n_skipped, p);
        for (size_t i = 0; i < n; i++)
                user_result_done(&results[i]);
        return r;
}

#define F(x) offsetof(PolicyScreenLock, x)
static const PolicyField policy_fields[] = {
        /* Not required by default: a new check must not turn a fleet non-compliant overnight. */
        { "required", POLICY_BOOL, F(head.required), "false" },
        { "max_idle_minutes", POLICY_INT, F(max_idle_minutes), "15", 0, 24 * 60 },
        { "require_lock", POLICY_BOOL, F(require_lock), "true" },
        { "require_password", POLICY_BOOL, F(require_password), "true" },
};

const Check check_screen_lock = {
        .policy = { "screen_lock", policy_fields, ELEMENTSOF(policy_fields), sizeof(PolicyScreenLock) },
        .title = N_("Screen lock"),
        .run = run,
};
