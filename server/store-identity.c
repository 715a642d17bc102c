/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include "cleanup.h"
#include "macro.h"
#include "parse-util.h"
#include "store-identity.h"

static const char identity_schema_sql[] =
        "CREATE TABLE IF NOT EXISTS device_resets ("
        "  hash TEXT PRIMARY KEY, device_id TEXT NOT NULL, created_at BIGINT NOT NULL,"
        "  expires_at BIGINT NOT NULL, used_at BIGINT);"
        "CREATE TABLE IF NOT EXISTS identity_events ("
        "  device_id TEXT NOT NULL, at BIGINT NOT NULL, kind TEXT NOT NULL, cert_serial TEXT, detail TEXT);"
        "CREATE INDEX IF NOT EXISTS identity_events_device ON identity_events(device_id, at);"
        /* the device list's key= filter, in device id order (store-fleet.c) */
        "CREATE INDEX IF NOT EXISTS devices_key_kind ON devices(key_kind, id);";

/* Statement ids 800…: apart from store.c's and store-fleet.c's. */
enum {
        Q_RESET_ADD = 800,
        Q_RESET_CONSUME,
        Q_EVENT_ADD,
        Q_EVENTS,
};

/* Version 2 recorded "ec-p256" (the algorithm every device key has) as the key kind, and
 * identity events without a detail: key kinds are now how the key is held, unknown for the
 * devices enrolled before, and an event says why a key was not recorded as tpm. */
static int migrate_key_kinds(Store *s) {
        _cleanup_free_ char *version = NULL;
        int r = store_meta_get(s, "schema_version", &version);

        if (r < 0 || !streq(version, "2"))
                return r;
        r = s->backend->exec(s, "UPDATE devices SET key_kind = 'unknown' WHERE key_kind = 'ec-p256'");
        /* The table is new (with the column) when version 2 never opened it. */
        if (r >= 0 && streq(s->backend->scheme, "postgres"))
                r = s->backend->exec(s, "ALTER TABLE identity_events ADD COLUMN IF NOT EXISTS detail TEXT");
        else if (r >= 0 && (r = store_has_column(s, "identity_events", "detail")) == 0)
                r = s->backend->exec(s, "ALTER TABLE identity_events ADD COLUMN detail TEXT");
        return r < 0 ? r : store_meta_set(s, "schema_version", "3");
}

int store_identity_schema(Store *s) {
        int r = s->backend->exec(s, identity_schema_sql);
        return r < 0 ? r : migrate_key_kinds(s);
}

int store_reset_add(Store *s, const char hash[static SHA256_HEX_SIZE], const char *device_id,
                    int64_t now, int64_t expires_at) {
        int r = STORE_QUERY(s, Q_RESET_ADD,
                      "INSERT INTO device_resets(hash, device_id, created_at, expires_at) "
                      "VALUES ($1, $2, $3, $4)",
                      NULL, NULL, SV_TEXT(hash), SV_TEXT(device_id), SV_INT(now), SV_INT(expires_at));
        return r < 0 ? r : 0;
}

int store_reset_consume(Store *s, const char hash[static SHA256_HEX_SIZE], const char *device_id,
                        int64_t now) {
        /* One conditional UPDATE: two requests cannot both use it. */
        int r = STORE_QUERY(s, Q_RESET_CONSUME,
                      "UPDATE device_resets SET used_at = $3 WHERE hash = $1 AND device_id = $2 "
                      "AND used_at IS NULL AND expires_at > $3",
                      NULL, NULL, SV_TEXT(hash), SV_TEXT(device_id), SV_INT(now));
        if (r < 0)
                return r;
        return r == 0 ? -ENOENT : 0;
}

int store_identity_event_add(Store *s, const char *device_id, int64_t at, const char *kind,
                             const char *cert_serial, const char *detail) {
        int r = STORE_QUERY(s, Q_EVENT_ADD,
                      "INSERT INTO identity_events(device_id, at, kind, cert_serial, detail) "
                      "VALUES ($1, $2, $3, $4, $5)",
                      NULL, NULL, SV_TEXT(device_id), SV_INT(at), SV_TEXT(kind), SV_TEXT(cert_serial),
                      SV_TEXT(detail));
        return r < 0 ? r : 0;
}

typedef struct EventList {
        StoreIdentityEventFn fn;
        void *userdata;
} EventList;

static int row_event(const char *const *c, size_t n, void *userdata) {
        EventList *l = userdata;
        StoreIdentityEvent e = {};

        if (n < 4 || !c[0] || !c[1] || parse_int64(c[0], &e.at) < 0)
                return -EIO;
        e.kind = c[1];
        e.cert_serial = c[2];
        e.detail = c[3];
        return l->fn(&e, l->userdata);
}

/* Oldest first; within one second, in the only order they can happen. */
int store_identity_events(Store *s, const char *device_id, StoreIdentityEventFn fn, void *userdata) {
        EventList l = { fn, userdata };
        int r = STORE_QUERY(s, Q_EVENTS,
                      "SELECT at, kind, cert_serial, detail FROM identity_events WHERE device_id = $1 "
                      "ORDER BY at, CASE kind WHEN 'enrolled' THEN 0 WHEN 'reset_issued' THEN 1 ELSE 2 END",
                      row_event, &l, SV_TEXT(device_id));
        return r < 0 ? r : 0;
}
