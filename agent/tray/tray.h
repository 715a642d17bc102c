/* SPDX-License-Identifier: MIT */
#pragma once

/* The Tray: one user-session process that owns an sd-event loop, a user-bus connection,
 * a StatusNotifierItem and the desktop notification it keeps up to date. It wakes only
 * when status.json changes (inotify on its directory) or the agent exits (pidfd). */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "tray-notice.h"

#define TRAY_BUS_NAME "org.vigie.Tray"

/* A desktop tool that fixes a check, run as the user (tray-actions.c). */
typedef struct TrayFix {
        const char *check;     /* check id */
        const char *label;     /* N_(): the button */
        const char *argv[5];
} TrayFix;

typedef struct Tray {
        sd_event *event;
        sd_bus *bus;
        char *status_path, *status_dir, *status_name;
        sd_event_source *dir_watch;    /* the directory of status.json */
        sd_event_source *parent_watch; /* its parent, while the directory does not exist */
        sd_event_source *agent_exit;   /* pidfd of the running agent */
        int64_t agent_pid;
        char *bus_name;                /* org.kde.StatusNotifierItem-PID-1 */
        sd_bus_slot *watcher_match;
        TrayNotice notice;
        bool have_notice;
        uint32_t notification_id; /* replaces_id: one bubble, updated */
        bool markup;              /* the notification server parses body markup */
        bool actions;             /* … and shows buttons */
        bool capabilities_known;  /* GetCapabilities answered (or failed) */
        bool notify_pending;      /* a bubble waits for that answer */
        const TrayFix *fix;       /* the bubble's fix button, NULL when none */
        sd_bus_slot *action_match;
} Tray;

int tray_new(const char *status_path, Tray **ret);
Tray *tray_free(Tray *t);
static inline void tray_freep(Tray **t) {
        tray_free(*t);
}
/* -EEXIST when another tray already runs in this session. */
int tray_start(Tray *t);
/* The loop's exit code (0 after SIGTERM, EXIT_FAILURE when the bus went away) or -errno. */
int tray_run(Tray *t);
/* Re-reads status.json; updates the item and notifies when the verdict changed. */
int tray_reload(Tray *t);

/* tray-sni.c: the StatusNotifierItem object, and its registration with the watcher. */
int tray_sni_start(Tray *t);
/* Emits NewStatus/NewIcon/NewToolTip/NewTitle for what differs from OLD. */
void tray_sni_changed(Tray *t, const TrayNotice *old);

/* tray-notify.c: org.freedesktop.Notifications. */
int tray_notify_start(Tray *t);
int tray_notify(Tray *t);

/* tray-actions.c: the notification's buttons. */
/* The first tool installed in PATH that fixes the check, else "Contact IT" when the site
 * gave a support URL, or NULL. */
const TrayFix *tray_fix_find(const char *check_id, const char *support, const char *path);
/* vigie-details beside our own executable; -ENOENT when not installed. */
int tray_details_path(char **ret);
/* Starts vigie-details on our status file. */
int tray_open_details(Tray *t);
int tray_run_fix(Tray *t);
