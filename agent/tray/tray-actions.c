/* SPDX-License-Identifier: MIT */
/* What the notification's buttons do: "Details" opens vigie-details, the fix button starts
 * the desktop's own tool for the first problem (its updater, its backup program). All run
 * as the user, detached, with the session's environment: nothing here asks for root. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs-util.h"
#include "i18n.h"
#include "log.h"
#include "spawn-util.h"
#include "tray.h"

/* Per check, the desktop tools that fix it, the preferred first; the first installed wins. */
static const TrayFix fixes[] = {
        { "patch_level", N_("Install updates"), { "gnome-software", "--mode=updates", NULL } },
        { "patch_level", N_("Install updates"), { "update-manager", NULL } },
        { "patch_level", N_("Install updates"), { "plasma-discover", "--mode", "update", NULL } },
        { "patch_level", N_("Install updates"), { "mintupdate", NULL } },
        { "backup", N_("Back up now"), { "deja-dup", "--backup", NULL } },
};

/* Otherwise the site's support page or address, opened by the desktop (URL last). */
static const TrayFix contact_it = { NULL, N_("Contact IT"), { "xdg-open", NULL } };

const TrayFix *tray_fix_find(const char *check_id, const char *support, const char *path) {
        _cleanup_free_ char *exe = NULL;

        for (size_t i = 0; check_id && i < ELEMENTSOF(fixes); i++) {
                _cleanup_free_ char *tool = NULL;

                if (streq(fixes[i].check, check_id) && spawn_find_executable(fixes[i].argv[0], path, &tool) >= 0)
                        return &fixes[i];
        }
        if (support && spawn_find_executable(contact_it.argv[0], path, &exe) >= 0)
                return &contact_it;
        return NULL;
}

static int on_child_exit(_unused_ sd_event_source *s, const siginfo_t *si, _unused_ void *userdata) {
        log_debug("Process %d exited (status %d).", (int) si->si_pid, si->si_status);
        return 0;
}

static int tray_spawn(Tray *t, char *const *argv) {
        pid_t pid;
        int r;

        r = spawn_detached(argv, getenv("PATH") ?: SPAWN_SAFE_PATH, &pid);
        if (r < 0)
                return log_warning_errno(r, "Cannot start \"%s\": %m", argv[0]);
        log_info("Started %s (pid %d).", argv[0], (int) pid);
        /* Floating: sd-event reaps it and frees the source. */
        r = sd_event_add_child(t->event, NULL, pid, WEXITED, on_child_exit, NULL);
        if (r < 0)
                log_debug_errno(r, "Cannot watch process %d, it stays a zombie until we exit: %m", (int) pid);
        return 0;
}

/* vigie-details sits beside vigie-tray (BINDIR, or the build tree in tests). */
int tray_details_path(char **ret) {
        _cleanup_free_ char *p = NULL;
        char self[PATH_MAX];
        ssize_t n;

        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n < 0)
                return -errno;
        self[n] = 0;
        p = path_join(dirname(self), "vigie-details");
        if (!p)
                return -ENOMEM;
        if (access(p, X_OK) < 0)
                return -errno;
        *ret = TAKE_PTR(p);
        return 0;
}

int tray_open_details(Tray *t) {
        _cleanup_free_ char *exe = NULL;
        int r;

        r = tray_details_path(&exe);
        if (r < 0)
                return log_debug_errno(r, "No vigie-details beside vigie-tray: %m");
        return tray_spawn(t, (char *const[]) { exe, (char *) "--status", t->status_path, NULL });
}

int tray_run_fix(Tray *t) {
        if (!t->fix)
                return 0;
        if (t->fix == &contact_it)
                return t->notice.support ? tray_spawn(t, (char *const[]) { (char *) "xdg-open", t->notice.support, NULL })
                                         : 0;
        return tray_spawn(t, (char *const *) t->fix->argv);
}
