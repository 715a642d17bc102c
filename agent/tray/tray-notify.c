/* SPDX-License-Identifier: MIT */
/* Desktop notifications (org.freedesktop.Notifications): one bubble, replaced on each
 * change, critical when the laptop is not compliant. Calls are asynchronous: a slow or
 * missing notification server never blocks the tray. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "i18n.h"
#include "log.h"
#include "tray.h"

#define NOTIFY_NAME "org.freedesktop.Notifications"
#define NOTIFY_PATH "/org/freedesktop/Notifications"

static void read_capabilities(Tray *t, sd_bus_message *reply) {
        const char *cap;

        if (sd_bus_message_is_method_error(reply, NULL))
                return; /* no server yet: it is D-Bus activated by the first Notify */
        if (sd_bus_message_enter_container(reply, 'a', "s") < 0)
                return;
        while (sd_bus_message_read(reply, "s", &cap) > 0)
                if (streq(cap, "body-markup"))
                        t->markup = true;
                else if (streq(cap, "actions"))
                        t->actions = true;
}

/* The first bubble waits for this answer: its body and buttons depend on it. */
static int on_capabilities(sd_bus_message *reply, void *userdata, _unused_ sd_bus_error *ret_error) {
        Tray *t = userdata;

        read_capabilities(t, reply);
        t->capabilities_known = true;
        if (t->notify_pending) {
                t->notify_pending = false;
                (void) tray_notify(t);
        }
        return 0;
}

/* A button of our bubble: "default" is a click on the bubble itself. */
static int on_action_invoked(sd_bus_message *m, void *userdata, _unused_ sd_bus_error *ret_error) {
        Tray *t = userdata;
        const char *key;
        uint32_t id;

        if (sd_bus_message_read(m, "us", &id, &key) < 0 || id != t->notification_id || id == 0)
                return 0;
        log_debug("Notification action \"%s\".", key);
        if (streq(key, "details") || streq(key, "default"))
                (void) tray_open_details(t);
        else if (streq(key, "fix"))
                (void) tray_run_fix(t);
        return 0;
}

int tray_notify_start(Tray *t) {
        int r = sd_bus_match_signal_async(t->bus, &t->action_match, NOTIFY_NAME, NOTIFY_PATH, NOTIFY_NAME,
                                          "ActionInvoked", on_action_invoked, NULL, t);
        if (r < 0)
                return log_error_errno(r, "Failed to listen for notification actions: %m");
        r = sd_bus_call_method_async(t->bus, NULL, NOTIFY_NAME, NOTIFY_PATH, NOTIFY_NAME, "GetCapabilities",
                                         on_capabilities, t, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to ask the notification server's capabilities: %m");
        return 0;
}

static int on_notified(sd_bus_message *reply, void *userdata, _unused_ sd_bus_error *ret_error) {
        Tray *t = userdata;
        uint32_t id;

        if (sd_bus_message_is_method_error(reply, NULL)) {
                log_warning("Cannot show a desktop notification: %s", sd_bus_message_get_error(reply)->message);
                return 0;
        }
        if (sd_bus_message_read(reply, "u", &id) >= 0)
                t->notification_id = id;
        return 0;
}

/* Servers with body-markup read the body as a subset of XML: remediations such as
 * "sudo apt update && sudo apt upgrade" must not vanish. */
static char *escape_markup(const char *s) {
        _cleanup_free_ char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);

        if (!f)
                return NULL;
        for (; *s; s++)
                switch (*s) {
                case '&': fputs("&amp;", f); break;
                case '<': fputs("&lt;", f); break;
                case '>': fputs("&gt;", f); break;
                default: fputc(*s, f);
                }
        if (fclose(f) != 0)
                return NULL;
        return TAKE_PTR(out);
}

/* Details (and a click on the bubble) when vigie-details is installed; the fix for the
 * first problem when its tool is. */
static int append_actions(Tray *t, sd_bus_message *m) {
        _cleanup_free_ char *details = NULL;
        int r;

        bool something_to_do = t->notice.level != NOTICE_COMPLIANT && t->notice.level != NOTICE_PENDING;

        t->fix = t->actions && something_to_do
                         ? tray_fix_find(t->notice.first_problem, t->notice.support, getenv("PATH"))
                         : NULL;
        r = sd_bus_message_open_container(m, 'a', "s");
        if (r >= 0 && t->actions && tray_details_path(&details) >= 0)
                r = sd_bus_message_append(m, "ssss", "default", _("Details"), "details", _("Details"));
        if (r >= 0 && t->fix)
                r = sd_bus_message_append(m, "ss", "fix", _(t->fix->label));
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

int tray_notify(Tray *t) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_free_ char *escaped = NULL;
        const char *body = t->notice.brief;
        int r;

        if (!t->have_notice)
                return 0;
        if (!t->capabilities_known) {
                t->notify_pending = true;
                return 0;
        }
        if (t->markup) {
                escaped = escape_markup(body);
                if (!escaped)
                        return log_oom();
                body = escaped;
        }
        r = sd_bus_message_new_method_call(t->bus, &m, NOTIFY_NAME, NOTIFY_PATH, NOTIFY_NAME, "Notify");
        if (r >= 0)
                r = sd_bus_message_append(m, "susss", "Vigie", t->notification_id, t->notice.icon,
                                          t->notice.title, body);
        if (r >= 0)
                r = append_actions(t, m);
        if (r >= 0)
                r = sd_bus_message_append(m, "a{sv}", 2, "urgency", "y", tray_notice_urgency(&t->notice),
                                          "desktop-entry", "s", "vigie-tray");
        if (r >= 0)
                r = sd_bus_message_append(m, "i", -1);
        if (r >= 0)
                r = sd_bus_call_async(t->bus, NULL, m, on_notified, t, 0);
        if (r < 0)
                return log_warning_errno(r, "Failed to send a desktop notification: %m");
        return 0;
}
