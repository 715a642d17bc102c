/* SPDX-License-Identifier: MIT */
/* org.kde.StatusNotifierItem at /StatusNotifierItem under the well-known name
 * org.kde.StatusNotifierItem-PID-1, registered with org.kde.StatusNotifierWatcher now
 * and whenever a watcher (the panel) appears later. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "i18n.h"
#include "log.h"
#include "tray.h"

#define SNI_PATH "/StatusNotifierItem"
#define SNI_IFACE "org.kde.StatusNotifierItem"
#define WATCHER_NAME "org.kde.StatusNotifierWatcher"

static int get_string(_unused_ sd_bus *bus, _unused_ const char *path, _unused_ const char *interface, _unused_ const char *property,
                      sd_bus_message *reply, void *userdata, _unused_ sd_bus_error *error) {
        Tray *t = userdata;
        const char *v = "";

        if (streq(property, "Category"))
                v = "SystemServices";
        else if (streq(property, "Id"))
                v = "vigie";
        else if (streq(property, "Title"))
                v = t->notice.title;
        else if (streq(property, "Status"))
                v = t->notice.sni_status;
        else if (streq(property, "IconName") || streq(property, "AttentionIconName"))
                v = t->notice.icon;
        return sd_bus_message_append(reply, "s", strempty(v));
}

/* (sa(iiay)ss): icon name, no pixmaps, title, description. */
static int get_tooltip(_unused_ sd_bus *bus, _unused_ const char *path, _unused_ const char *interface, _unused_ const char *property,
                       sd_bus_message *reply, void *userdata, _unused_ sd_bus_error *error) {
        Tray *t = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'r', "sa(iiay)ss");
        if (r >= 0)
                r = sd_bus_message_append(reply, "s", strempty(t->notice.icon));
        if (r >= 0)
                r = sd_bus_message_append(reply, "a(iiay)", 0);
        if (r >= 0)
                r = sd_bus_message_append(reply, "ss", strempty(t->notice.title), strempty(t->notice.body));
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

/* A click opens the details window; without one installed it shows the notification again. */
static int method_activate(sd_bus_message *m, void *userdata, _unused_ sd_bus_error *error) {
        Tray *t = userdata;

        if (tray_open_details(t) < 0)
                (void) tray_notify(t);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_ignore(sd_bus_message *m, _unused_ void *userdata, _unused_ sd_bus_error *error) {
        return sd_bus_reply_method_return(m, NULL);
}

static const sd_bus_vtable sni_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Category", "s", get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Id", "s", get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Title", "s", get_string, 0, 0),
        SD_BUS_PROPERTY("Status", "s", get_string, 0, 0),
        SD_BUS_PROPERTY("IconName", "s", get_string, 0, 0),
        SD_BUS_PROPERTY("AttentionIconName", "s", get_string, 0, 0),
        SD_BUS_PROPERTY("ToolTip", "(sa(iiay)ss)", get_tooltip, 0, 0),
        SD_BUS_METHOD("Activate", "ii", "", method_activate, 0),
        SD_BUS_METHOD("SecondaryActivate", "ii", "", method_activate, 0),
        SD_BUS_METHOD("ContextMenu", "ii", "", method_ignore, 0),
        SD_BUS_METHOD("Scroll", "is", "", method_ignore, 0),
        SD_BUS_SIGNAL("NewTitle", "", 0),
        SD_BUS_SIGNAL("NewIcon", "", 0),
        SD_BUS_SIGNAL("NewAttentionIcon", "", 0),
        SD_BUS_SIGNAL("NewToolTip", "", 0),
        SD_BUS_SIGNAL("NewStatus", "s", 0),
        SD_BUS_VTABLE_END
};

static int on_registered(sd_bus_message *reply, _unused_ void *userdata, _unused_ sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (!e)
                log_info("Registered with the StatusNotifierWatcher.");
        else if (sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                log_info("No StatusNotifierWatcher (tray host) yet; waiting for one to appear.");
        else
                log_warning("StatusNotifierWatcher refused the item: %s", e->message ?: e->name);
        return 0;
}

static int sni_register(Tray *t) {
        int r;

        r = sd_bus_call_method_async(t->bus, NULL, WATCHER_NAME, "/StatusNotifierWatcher", WATCHER_NAME,
                                     "RegisterStatusNotifierItem", on_registered, t, "s", t->bus_name);
        if (r < 0)
                return log_error_errno(r, "Failed to call RegisterStatusNotifierItem: %m");
        return 0;
}

static int on_watcher_owner(sd_bus_message *m, void *userdata, _unused_ sd_bus_error *ret_error) {
        const char *name, *old_owner, *new_owner;
        Tray *t = userdata;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 || !streq(name, WATCHER_NAME))
                return 0;
        if (!*new_owner)
                return 0;
        log_info("A StatusNotifierWatcher appeared; registering.");
        (void) sni_register(t);
        return 0;
}

/* The match is in place before the first registration, so a watcher that starts in
 * between is not missed. */
static int on_match_installed(sd_bus_message *m, void *userdata, _unused_ sd_bus_error *ret_error) {
        Tray *t = userdata;

        if (sd_bus_message_is_method_error(m, NULL))
                log_warning("Cannot watch for a StatusNotifierWatcher: %s", sd_bus_message_get_error(m)->message);
        (void) sni_register(t);
        return 0;
}

int tray_sni_start(Tray *t) {
        int r;

        if (asprintf(&t->bus_name, "org.kde.StatusNotifierItem-%d-1", (int) getpid()) < 0)
                return log_oom();
        r = sd_bus_add_object_vtable(t->bus, NULL, SNI_PATH, SNI_IFACE, sni_vtable, t);
        if (r < 0)
                return log_error_errno(r, "Failed to add the StatusNotifierItem object: %m");
        r = sd_bus_request_name(t->bus, t->bus_name, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to own \"%s\" on the user bus: %m", t->bus_name);
        r = sd_bus_add_match_async(t->bus, &t->watcher_match,
                                   "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                                   "interface='org.freedesktop.DBus',member='NameOwnerChanged',"
                                   "arg0='" WATCHER_NAME "'",
                                   on_watcher_owner, on_match_installed, t);
        if (r < 0)
                return log_error_errno(r, "Failed to watch for a StatusNotifierWatcher: %m");
        return 0;
}

static void emit(Tray *t, const char *member, const char *sig, const char *arg) {
        int r = sig ? sd_bus_emit_signal(t->bus, SNI_PATH, SNI_IFACE, member, sig, arg)
                    : sd_bus_emit_signal(t->bus, SNI_PATH, SNI_IFACE, member, NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to emit %s: %m", member);
}

void tray_sni_changed(Tray *t, const TrayNotice *old) {
        if (!streq_ptr(old->title, t->notice.title))
                emit(t, "NewTitle", NULL, NULL);
        if (!streq_ptr(old->icon, t->notice.icon)) {
                emit(t, "NewIcon", NULL, NULL);
                emit(t, "NewAttentionIcon", NULL, NULL);
        }
        if (!streq_ptr(old->title, t->notice.title) || !streq_ptr(old->body, t->notice.body) ||
            !streq_ptr(old->icon, t->notice.icon))
                emit(t, "NewToolTip", NULL, NULL);
        if (!streq_ptr(old->sni_status, t->notice.sni_status))
                emit(t, "NewStatus", "s", t->notice.sni_status);
}
