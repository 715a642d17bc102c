/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "parse-util.h"
#include "store-alerts.h"

#define EVENT_COLUMNS "kind TEXT NOT NULL, device_id TEXT NOT NULL, at BIGINT NOT NULL, " \
        "hostname TEXT, os_id TEXT, os_version TEXT, failing TEXT, reason TEXT)"

static const char alerts_tables_sqlite[] =
        "CREATE TABLE IF NOT EXISTS alert_events (id INTEGER PRIMARY KEY AUTOINCREMENT, " EVENT_COLUMNS ";";
static const char alerts_tables_postgres[] =
        "CREATE TABLE IF NOT EXISTS alert_events (id BIGSERIAL PRIMARY KEY, " EVENT_COLUMNS ";";

static const char alerts_tables_common[] =
        "CREATE TABLE IF NOT EXISTS alert_cursors (name TEXT PRIMARY KEY, last_id BIGINT NOT NULL);"
        /* the received_at of the silence a stale event was sent for */
        "CREATE TABLE IF NOT EXISTS alert_stale (device_id TEXT PRIMARY KEY, received_at BIGINT NOT NULL);";

#define LATEST_EVENT(row)                                                                   \
        "INSERT INTO alert_events(kind, device_id, at, hostname, os_id, os_version, failing) " \
        "VALUES (" row ".verdict, " row ".device_id, " row ".received_at, " row ".hostname, "  \
        row ".os_id, " row ".os_version, " row ".failing);"
#define DEVICE_EVENT(kind, row, at, reason)                                                 \
        "INSERT INTO alert_events(kind, device_id, at, hostname, os_id, os_version, reason) " \
        "SELECT '" kind "', " row ".id, " at ", l.hostname, l.os_id, l.os_version, " reason   \
        " FROM (SELECT 1) AS one LEFT JOIN latest l ON l.device_id = " row ".id;"

static const char alerts_triggers_sqlite[] =
        "CREATE TRIGGER IF NOT EXISTS alert_latest_insert AFTER INSERT ON latest BEGIN "
        LATEST_EVENT("new") " END;"
        "CREATE TRIGGER IF NOT EXISTS alert_latest_update AFTER UPDATE OF verdict ON latest "
        "WHEN old.verdict <> new.verdict BEGIN " LATEST_EVENT("new") " END;"
        "CREATE TRIGGER IF NOT EXISTS alert_device_insert AFTER INSERT ON devices BEGIN "
        DEVICE_EVENT("enrolled", "new", "new.enrolled_at", "NULL") " END;"
        "CREATE TRIGGER IF NOT EXISTS alert_device_enrolled AFTER UPDATE OF enrolled_at ON devices "
        "WHEN new.enrolled_at IS NOT old.enrolled_at BEGIN "
        DEVICE_EVENT("enrolled", "new", "new.enrolled_at", "NULL") " END;"
        "CREATE TRIGGER IF NOT EXISTS alert_device_flagged AFTER UPDATE OF flagged_at ON devices "
        "WHEN new.flagged_at IS NOT NULL AND new.flagged_at IS NOT old.flagged_at BEGIN "
        DEVICE_EVENT("flagged", "new", "new.flagged_at", "new.flag_reason") " END;"
        "CREATE TRIGGER IF NOT EXISTS alert_device_revoked AFTER UPDATE OF revoked_at ON devices "
        "WHEN new.revoked_at IS NOT NULL AND old.revoked_at IS NULL BEGIN "
        DEVICE_EVENT("revoked", "new", "new.revoked_at", "NULL") " END;";

static const char alerts_triggers_postgres[] =
        "CREATE OR REPLACE FUNCTION alert_latest() RETURNS trigger AS $$ BEGIN"
        " " LATEST_EVENT("NEW")
        "  RETURN NULL;"
        "END $$ LANGUAGE plpgsql;"
        /* Not called for an upsert that keeps the verdict (store-fleet.c: fleet_totals). */
        "CREATE OR REPLACE TRIGGER alert_latest AFTER INSERT ON latest"
        "  FOR EACH ROW EXECUTE FUNCTION alert_latest();"
        "CREATE OR REPLACE TRIGGER alert_latest_update AFTER UPDATE OF verdict ON latest"
        "  FOR EACH ROW WHEN (OLD.verdict <> NEW.verdict) EXECUTE FUNCTION alert_latest();"
        "CREATE OR REPLACE FUNCTION alert_devices() RETURNS trigger AS $$ BEGIN"
        "  IF TG_OP = 'INSERT' OR NEW.enrolled_at IS DISTINCT FROM OLD.enrolled_at THEN "
        DEVICE_EVENT("enrolled", "NEW", "NEW.enrolled_at", "NULL") " END IF;"
        "  IF TG_OP = 'UPDATE' AND NEW.flagged_at IS NOT NULL AND NEW.flagged_at IS DISTINCT FROM OLD.flagged_at THEN "
        DEVICE_EVENT("flagged", "NEW", "NEW.flagged_at", "NEW.flag_reason") " END IF;"
        "  IF TG_OP = 'UPDATE' AND NEW.revoked_at IS NOT NULL AND OLD.revoked_at IS NULL THEN "
        DEVICE_EVENT("revoked", "NEW", "NEW.revoked_at", "NULL") " END IF;"
        "  RETURN NULL;"
        "END $$ LANGUAGE plpgsql;"
        "CREATE OR REPLACE TRIGGER alert_devices AFTER INSERT OR UPDATE OF enrolled_at, flagged_at, revoked_at"
        "  ON devices FOR EACH ROW EXECUTE FUNCTION alert_devices();";

int store_alerts_schema(Store *s) {
        bool pg = streq(s->backend->scheme, "postgres");
        int r = s->backend->exec(s, pg ? alerts_tables_postgres : alerts_tables_sqlite);
        if (r >= 0)
                r = s->backend->exec(s, alerts_tables_common);
        if (r >= 0)
                r = s->backend->exec(s, pg ? alerts_triggers_postgres : alerts_triggers_sqlite);
        return r;
}

/* Statement ids: after store-history.c's. */
enum {
        Q_ALERT_EVENTS = 960,
        Q_ALERT_LAST_ID,
        Q_ALERT_CURSOR_GET,
        Q_ALERT_CURSOR_SET,
        Q_ALERT_STALE_EVENTS,
        Q_ALERT_STALE_MARK,
};

typedef struct EventRows {
        AlertEventFn fn;
        void *userdata;
} EventRows;

static int row_event(const char *const *c, size_t n, void *userdata) {
        EventRows *e = userdata;
        if (n < 9 || !c[0] || !c[1] || !c[2])
                return -EIO;
        return e->fn(&(AlertEventRow) { .id = store_col_int(c[0]), .kind = c[1], .device_id = c[2],
                                        .at = store_col_int(c[3]), .hostname = c[4], .os_id = c[5],
                                        .os_version = c[6], .failing = c[7], .reason = c[8] },
                     e->userdata);
}

int store_alert_events(Store *s, int64_t after, unsigned max, AlertEventFn fn, void *userdata) {
        EventRows e = { fn, userdata };
        const StoreValue p[] = { SV_INT(after), SV_INT(max) };
        int r = store_query(s, Q_ALERT_EVENTS,
                      "SELECT id, kind, device_id, at, hostname, os_id, os_version, failing, reason "
                      "FROM alert_events WHERE id > $1 ORDER BY id LIMIT $2",
                      p, 2, row_event, &e);
        return r < 0 ? r : 0;
}

static int row_int(const char *const *c, size_t n, void *userdata) {
        *(int64_t *) userdata = n > 0 ? store_col_int(c[0]) : 0;
        return 0;
}

int store_alert_last_id(Store *s, int64_t *ret) {
        int64_t v = 0;
        int r = store_query(s, Q_ALERT_LAST_ID, "SELECT COALESCE(max(id), 0) FROM alert_events", NULL, 0,
                      row_int, &v);
        if (r < 0)
                return r;
        *ret = v;
        return 0;
}

int store_alert_cursor_get(Store *s, const char *name, int64_t *ret) {
        const StoreValue p[] = { SV_TEXT(name) };
        int64_t v = 0;
        int r = store_query(s, Q_ALERT_CURSOR_GET, "SELECT last_id FROM alert_cursors WHERE name = $1", p, 1,
                      row_int, &v);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        *ret = v;
        return 0;
}

int store_alert_cursor_set(Store *s, const char *name, int64_t id) {
        const StoreValue p[] = { SV_TEXT(name), SV_INT(id) };
        int r = store_query(s, Q_ALERT_CURSOR_SET,
                      "INSERT INTO alert_cursors(name, last_id) VALUES ($1, $2) "
                      "ON CONFLICT (name) DO UPDATE SET last_id = excluded.last_id",
                      p, 2, NULL, NULL);
        return r < 0 ? r : 0;
}

#define STALE_DEVICES                                                                       \
        "FROM latest l JOIN devices d ON d.id = l.device_id "                               \
        "LEFT JOIN alert_stale s ON s.device_id = l.device_id "                             \
        "WHERE l.received_at < $1 AND d.revoked_at IS NULL "                                \
        "AND (s.received_at IS NULL OR s.received_at <> l.received_at)"

int store_alert_mark_stale(Store *s, int64_t stale_before, int64_t now) {
        const StoreValue p[] = { SV_INT(stale_before), SV_INT(now) };
        int n = store_query(s, Q_ALERT_STALE_EVENTS,
                      "INSERT INTO alert_events(kind, device_id, at, hostname, os_id, os_version, failing) "
                      "SELECT 'stale', l.device_id, $2, l.hostname, l.os_id, l.os_version, l.failing "
                      STALE_DEVICES, p, 2, NULL, NULL);
        if (n <= 0)
                return n;
        int r = store_query(s, Q_ALERT_STALE_MARK,
                      "INSERT INTO alert_stale(device_id, received_at) SELECT l.device_id, l.received_at "
                      STALE_DEVICES " ON CONFLICT (device_id) DO UPDATE SET received_at = excluded.received_at",
                      p, 1, NULL, NULL);
        return r < 0 ? r : n;
}
