/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "tray.h"

/* The agent replaces status.json by rename(), so the directory is what we watch. */
#define DIR_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF)

int tray_new(const char *status_path, Tray **ret) {
        _cleanup_(tray_freep) Tray *t = calloc(1, sizeof(Tray));
        _cleanup_free_ char *d = NULL, *b = NULL;

        if (!t)
                return -ENOMEM;
        d = strdup(status_path);
        b = strdup(status_path);
        t->status_path = strdup(status_path);
        if (!d || !b || !t->status_path)
                return -ENOMEM;
        t->status_dir = strdup(dirname(d));
        t->status_name = strdup(basename(b));
        if (!t->status_dir || !t->status_name)
                return -ENOMEM;
        *ret = TAKE_PTR(t);
        return 0;
}

Tray *tray_free(Tray *t) {
        if (!t)
                return NULL;
        sd_event_source_disable_unref(t->dir_watch);
        sd_event_source_disable_unref(t->parent_watch);
        sd_event_source_disable_unref(t->agent_exit);
        sd_bus_slot_unref(t->watcher_match);
        sd_bus_slot_unref(t->action_match);
        sd_bus_flush_close_unref(t->bus);
        sd_event_unref(t->event);
        tray_notice_done(&t->notice);
        free(t->status_path);
        free(t->status_dir);
        free(t->status_name);
        free(t->bus_name);
        free(t);
        return NULL;
}

static int on_agent_exit(_unused_ sd_event_source *s, _unused_ int fd, _unused_ uint32_t revents, void *userdata) {
        Tray *t = userdata;

        t->agent_exit = sd_event_source_disable_unref(t->agent_exit);
        (void) tray_reload(t);
        return 0;
}

/* A crashed agent leaves status.json as it was: its pidfd tells us instead. Returns whether
 * pid is a live vigie-agent. The pidfd is opened before the name is checked, so both speak
 * of the same process even if it exits meanwhile (then the pidfd is already readable). */
static bool watch_agent(Tray *t, int64_t pid, bool present) {
        struct pollfd pfd;
        int fd, r;

        if (present && pid == t->agent_pid && t->agent_exit)
                return true; /* its exit, if any, is already queued on the pidfd */
        t->agent_exit = sd_event_source_disable_unref(t->agent_exit);
        t->agent_pid = pid;
        if (!present || pid <= 0 || pid > INT32_MAX)
                return false;
        fd = (int) syscall(SYS_pidfd_open, (pid_t) pid, 0);
        if (fd < 0) {
                if (errno == ESRCH)
                        return false;
                log_debug_errno(errno, "pidfd_open(%d) failed, agent exit not watched: %m", (int) pid);
                return pid_is_vigie_agent(pid);
        }
        pfd = (struct pollfd) { .fd = fd, .events = POLLIN };
        if (!pid_is_vigie_agent(pid) || poll(&pfd, 1, 0) != 0) {
                close(fd); /* another program, or an agent that already exited */
                return false;
        }
        r = sd_event_add_io(t->event, &t->agent_exit, fd, EPOLLIN, on_agent_exit, t);
        if (r < 0) {
                close(fd);
                log_debug_errno(r, "Cannot watch the agent's exit: %m");
                return true;
        }
        (void) sd_event_source_set_io_fd_own(t->agent_exit, true);
        return true;
}

int tray_reload(Tray *t) {
        TrayStatus s;
        TrayNotice n, old;
        bool first = !t->have_notice, changed;
        int r;

        r = tray_status_load(t->status_path, &s);
        if (r < 0)
                /* Keep showing what we had: the next write will bring a whole file. */
                return log_warning_errno(r, "Cannot read \"%s\": %m", t->status_path);
        s.running = watch_agent(t, s.pid, s.present);
        r = tray_notice_compose(&s, &n);
        tray_status_done(&s);
        if (r < 0)
                return log_oom();

        old = t->notice;
        t->notice = n;
        t->have_notice = true;
        changed = first || !streq(old.key, n.key);
        tray_sni_changed(t, &old);
        tray_notice_done(&old);
        log_debug("status.json: %s", t->notice.key);
        /* A compliant laptop at login is no news; anything else, and every change, is. */
        if (changed && !(first && t->notice.level == NOTICE_COMPLIANT))
                (void) tray_notify(t);
        return 0;
}

static int watch_dir(Tray *t);

static int on_dir_event(_unused_ sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        Tray *t = userdata;

        if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
                t->dir_watch = sd_event_source_disable_unref(t->dir_watch);
                (void) watch_dir(t);
                (void) tray_reload(t);
                return 0;
        }
        if (ev->len > 0 && streq(ev->name, t->status_name))
                (void) tray_reload(t);
        return 0;
}

static int on_parent_event(_unused_ sd_event_source *s, _unused_ const struct inotify_event *ev, void *userdata) {
        Tray *t = userdata;

        if (t->dir_watch || watch_dir(t) < 0 || !t->dir_watch)
                return 0;
        t->parent_watch = sd_event_source_disable_unref(t->parent_watch);
        (void) tray_reload(t);
        return 0;
}

/* Watches the directory, or — while it does not exist (agent not installed or its
 * runtime directory not created yet) — its parent, for the directory to appear. */
static int watch_dir(Tray *t) {
        _cleanup_free_ char *p = NULL;
        int r;

        r = sd_event_add_inotify(t->event, &t->dir_watch, t->status_dir, DIR_EVENTS | IN_ONLYDIR, on_dir_event, t);
        if (r >= 0)
                return 0;
        if (r != -ENOENT)
                return log_error_errno(r, "Cannot watch \"%s\": %m", t->status_dir);
        if (t->parent_watch)
                return 0;
        p = strdup(t->status_dir);
        if (!p)
                return log_oom();
        r = sd_event_add_inotify(t->event, &t->parent_watch, dirname(p), IN_CREATE | IN_MOVED_TO | IN_ONLYDIR,
                                 on_parent_event, t);
        if (r < 0)
                return log_error_errno(r, "Cannot watch \"%s\" nor its parent: %m", t->status_dir);
        return 0;
}

int tray_start(Tray *t) {
        sigset_t mask;
        int r;

        r = sd_event_default(&t->event);
        if (r < 0)
                return log_error_errno(r, "Failed to create the event loop: %m");
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGCHLD); /* the programs our buttons start are reaped by sd-event */
        /* sd-event takes them through a signalfd: they must not be delivered the old way. */
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(errno, "Failed to block signals: %m");
        if ((r = sd_event_add_signal(t->event, NULL, SIGTERM, NULL, NULL)) < 0 ||
            (r = sd_event_add_signal(t->event, NULL, SIGINT, NULL, NULL)) < 0)
                return log_error_errno(r, "Failed to handle SIGTERM: %m");
        r = sd_bus_open_user(&t->bus);
        if (r < 0)
                return log_error_errno(r, "Cannot connect to the session bus (is DBUS_SESSION_BUS_ADDRESS set?): %m");
        /* Without its bus the tray is useless: the loop ends with EXIT_FAILURE, and systemd
         * restarts us if the session goes on. */
        r = sd_bus_set_exit_on_disconnect(t->bus, true);
        if (r >= 0)
                r = sd_bus_attach_event(t->bus, t->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");
        /* One tray per session, whether the unit or the autostart entry started it. */
        r = sd_bus_request_name(t->bus, TRAY_BUS_NAME, 0);
        if (r == -EEXIST) {
                log_notice("Another vigie-tray already runs in this session (it owns %s).", TRAY_BUS_NAME);
                return r;
        }
        if (r < 0)
                return log_error_errno(r, "Failed to own %s on the session bus: %m", TRAY_BUS_NAME);
        r = watch_dir(t);
        if (r < 0)
                return r;
        /* An unreadable file is logged; the item shows once the agent writes a good one. */
        (void) tray_reload(t);
        r = tray_sni_start(t);
        if (r < 0)
                return r;
        return tray_notify_start(t);
}

int tray_run(Tray *t) {
        int r = sd_event_loop(t->event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        return r;
}
