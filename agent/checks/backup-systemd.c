/* SPDX-License-Identifier: MIT */
/* A systemd service that makes the backup (restic/borgmatic .service started by a timer):
 * its last successful run, read over sd-bus from org.freedesktop.systemd1 on the system bus.
 * A oneshot service that succeeded ends inactive with Result "success", ExecMainStatus 0
 * and ExecMainExitTimestamp (µs, realtime) = when it finished. systemd forgets the last
 * success once a run fails, which is why the check remembers it (backup.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backup-source.h"
#include "cleanup.h"
#include "i18n.h"
#include "json-util.h"
#include "sd-bus-dl.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define SD_UNIT "org.freedesktop.systemd1.Unit"
#define SD_SERVICE "org.freedesktop.systemd1.Service"

static int validate(const BackupSource *s, char **ret_error) {
        if (!s->unit)
                return json_error(ret_error, "Unit= is required for Type=systemd");
        return 0;
}

/* One conversation with systemd, through the loaded library: what it frees at the end. */
typedef struct BusCall {
        const SdBusApi *sd;
        sd_bus *bus;
        sd_bus_message *reply;
        sd_bus_error e;
} BusCall;

static void bus_call_done(BusCall *c) {
        if (!c->sd)
                return;
        c->sd->sd_bus_message_unref(c->reply);
        c->sd->sd_bus_flush_close_unref(c->bus);
        c->sd->sd_bus_error_free(&c->e);
}

static int bus_fail(BackupProbe *p, ProbeOutcome o, const char *what, const BusCall *c, int r) {
        return backup_probe_fail(p, o, "%s: %s", what,
                                 c->sd->sd_bus_error_is_set(&c->e) ? c->e.message : strerror(-r));
}

static int probe(const BackupSource *s, const CheckContext *ctx, BackupProbe *p) {
        _cleanup_(bus_call_done) BusCall c = { .e = SD_BUS_ERROR_NULL };
        _cleanup_free_ char *load = NULL, *active = NULL, *result = NULL;
        const char *path, *err;
        uint64_t exit_ts = 0, inactive_ts = 0;
        int32_t status = 0;
        int r;

        (void) ctx;
        if (sd_bus_api_load(&c.sd, &err) < 0)
                return backup_probe_fail(p, PROBE_BROKEN, "%s", err);
        const SdBusApi *sd = c.sd;
        r = sd->sd_bus_open_system(&c.bus);
        if (r < 0)
                return bus_fail(p, PROBE_UNREACHABLE, _("cannot connect to the system bus"), &c, r);
        (void) sd->sd_bus_set_method_call_timeout(c.bus, s->timeout);
        r = sd->sd_bus_call_method(c.bus, SD_DEST, SD_PATH, SD_MANAGER, "LoadUnit", &c.e, &c.reply, "s", s->unit);
        if (r < 0)
                return bus_fail(p, PROBE_UNREACHABLE, _("cannot ask systemd about the unit"), &c, r);
        r = sd->sd_bus_message_read(c.reply, "o", &path);
        if (r < 0)
                return bus_fail(p, PROBE_BROKEN, _("unexpected reply from systemd"), &c, r);

        r = sd->sd_bus_get_property_string(c.bus, SD_DEST, path, SD_UNIT, "LoadState", &c.e, &load);
        if (r < 0)
                return bus_fail(p, PROBE_UNREACHABLE, _("cannot read the unit's properties"), &c, r);
        if (!streq(load, "loaded"))
                return backup_probe_fail(p, PROBE_BROKEN, _("unit %s is not loaded (LoadState=%s): is it installed?"),
                                         s->unit, load);
        if ((r = sd->sd_bus_get_property_string(c.bus, SD_DEST, path, SD_UNIT, "ActiveState", &c.e, &active)) < 0 ||
            (r = sd->sd_bus_get_property_string(c.bus, SD_DEST, path, SD_SERVICE, "Result", &c.e, &result)) < 0 ||
            (r = sd->sd_bus_get_property_trivial(c.bus, SD_DEST, path, SD_SERVICE, "ExecMainExitTimestamp", &c.e, 't', &exit_ts)) < 0 ||
            (r = sd->sd_bus_get_property_trivial(c.bus, SD_DEST, path, SD_SERVICE, "ExecMainStatus", &c.e, 'i', &status)) < 0 ||
            (r = sd->sd_bus_get_property_trivial(c.bus, SD_DEST, path, SD_UNIT, "InactiveEnterTimestamp", &c.e, 't', &inactive_ts)) < 0)
                return bus_fail(p, PROBE_UNREACHABLE, _("cannot read the unit's properties"), &c, r);

        if (!streq(result, "success") || status != 0)
                /* The last run failed: the previous success is what backup.c remembered. */
                return backup_probe_fail(p, PROBE_UNREACHABLE, _("the last run of %s failed (Result=%s, exit status %d)"),
                                         s->unit, result, (int) status);
        /* Running now, or never ran since boot: nothing new to learn. */
        if (!streq(active, "inactive") && !streq(active, "failed"))
                return backup_probe_fail(p, PROBE_UNREACHABLE, _("%s is %s; its previous run is not known to systemd"),
                                         s->unit, active);
        p->obs.time = exit_ts ? exit_ts : inactive_ts;
        if (!p->obs.time)
                return backup_probe_fail(p, PROBE_UNREACHABLE, _("%s has not run since the system started"), s->unit);
        p->outcome = PROBE_OK;
        return 0;
}

static const char *const keys[] = { "Unit", NULL };

const BackupSourceType backup_systemd = {
        .name = "systemd",
        .keys = keys,
        .validate = validate,
        .probe = probe,
};
