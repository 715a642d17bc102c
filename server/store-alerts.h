/* SPDX-License-Identifier: MIT */
#pragma once

/* The alert outbox (docs/internals/alerts.md): fleet events are rows of alert_events,
 * written by triggers on latest and devices, so each is committed in the same transaction
 * as the state change it describes, whoever makes it (ingest, enrollment, vigie-server
 * revoke). Each alert keeps a cursor: the id of the last event it has dealt with. */

#include <stdint.h>

#include "store.h"

int store_alerts_schema(Store *s);

typedef struct AlertEventRow {
        int64_t id;
        const char *kind; /* alert_event_to_string() */
        const char *device_id;
        int64_t at;
        const char *hostname, *os_id, *os_version; /* NULL when unknown */
        const char *failing;                        /* comma-separated check ids, or NULL */
        const char *reason;                         /* flag reason, or NULL */
} AlertEventRow;
typedef int (*AlertEventFn)(const AlertEventRow *e, void *userdata);

/* Events with id > after, oldest first, at most max. */
int store_alert_events(Store *s, int64_t after, unsigned max, AlertEventFn fn, void *userdata);
/* The newest event id (0: none). */
int store_alert_last_id(Store *s, int64_t *ret);
/* -ENOENT when the alert has no cursor yet. */
int store_alert_cursor_get(Store *s, const char *name, int64_t *ret);
int store_alert_cursor_set(Store *s, const char *name, int64_t id);
/* Records a "stale" event for each device, not revoked, whose latest report was received
 * before stale_before and has no stale event yet: once per silence, however many times
 * it is called. Returns the number of new events. Call inside a transaction. */
int store_alert_mark_stale(Store *s, int64_t stale_before, int64_t now);
