/* SPDX-License-Identifier: MIT */
#pragma once

/* The fleet query API (admin certificate; devices get 403 from the route table):
 * summary, device list, device detail, stored reports, streamed export, Prometheus
 * metrics, the history and the console. docs/api.md describes every route. */

#include "http.h"

int route_fleet_summary(Request *r);
int route_fleet_devices(Request *r);
/* /v1/fleet/devices/{id} and /v1/fleet/devices/{id}/reports */
int route_fleet_device(Request *r);
/* api-reports.c: /v1/fleet/devices/{id}/reports, id a valid device id */
int route_device_reports(Request *r, const char *id);
int route_fleet_export(Request *r);
int route_metrics(Request *r);
/* console.c: GET / (the console page) and GET /ui/NAME (its script and style) */
int route_console(Request *r);
int route_console_asset(Request *r);
/* api-history.c: /v1/fleet/history?from=&to=&step= */
int route_fleet_history(Request *r);

#include "store-fleet.h"

/* Now's thresholds: stale_before = now − StaleAfter= of server.conf (default 3 × the
 * policy's report interval), flagged_after = now − FlagWindow=. */
int fleet_times(Server *s, FleetTimes *ret);
/* The same from any connection (the alert thread has its own). */
int fleet_times_of(Store *store, const ServerConfig *config, FleetTimes *ret);

/* Adds "devices" (counts per verdict) and "checks" (per check, counts per status) to j:
 * the summary's shape, shared by the summary and the history. */
int fleet_counts_json(json_object *j, const FleetSummary *s);
