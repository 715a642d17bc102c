/* SPDX-License-Identifier: MIT */
#pragma once

/* Alert delivery (docs/alerts.md, docs/internals/alerts.md): a thread with its own
 * database connection walks the outbox (store-alerts.h) for each [Alert "NAME"], POSTs
 * each matching event over HTTPS, signed, and advances the alert's cursor only once the
 * receiver answered 2xx; failures back off (1 s doubling to 5 min). It also records the
 * stale events, once a minute. */

#include "server-conf.h"

typedef struct Alerts Alerts;

/* NULL *ret (and 0) when no alert is configured. */
int alerts_start(const ServerConfig *config, const char *db_url, Alerts **ret);
Alerts *alerts_stop(Alerts *a);
