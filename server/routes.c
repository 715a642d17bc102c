/* SPDX-License-Identifier: MIT */
/* The routing table: one row per route, with the certificate roles it accepts. */
#include "api-fleet.h"
#include "api-posture.h"
#include "enroll-attest.h"
#include "enroll.h"
#include "http.h"
#include "ingest.h"

const Route server_routes[] = {
        { EVHTTP_REQ_POST, "/v1/enroll", false, ROLES_ANYONE, route_enroll },
        { EVHTTP_REQ_POST, "/v1/enroll/challenge", false, ROLES_ANYONE, route_enroll_challenge },
        { EVHTTP_REQ_POST, "/v1/renew", false, ROLE(CERT_ROLE_DEVICE), route_renew },
        { EVHTTP_REQ_GET, "/v1/policy", false, ROLE(CERT_ROLE_DEVICE) | ROLE(CERT_ROLE_ADMIN), route_policy },
        { EVHTTP_REQ_POST, "/v1/reports", false, ROLE(CERT_ROLE_DEVICE), route_reports, true },
        { EVHTTP_REQ_GET, "/v1/fleet/summary", false, ROLE(CERT_ROLE_ADMIN), route_fleet_summary },
        { EVHTTP_REQ_GET, "/v1/fleet/devices", false, ROLE(CERT_ROLE_ADMIN), route_fleet_devices },
        { EVHTTP_REQ_GET, "/v1/fleet/devices/", true, ROLE(CERT_ROLE_ADMIN), route_fleet_device },
        { EVHTTP_REQ_GET, "/v1/fleet/export", false, ROLE(CERT_ROLE_ADMIN), route_fleet_export },
        { EVHTTP_REQ_GET, "/v1/fleet/history", false, ROLE(CERT_ROLE_ADMIN), route_fleet_history },
        { EVHTTP_REQ_GET, "/metrics", false, ROLE(CERT_ROLE_ADMIN) | ROLE(CERT_ROLE_SCRAPER), route_metrics },
        /* /self before the prefix row: first match wins */
        { EVHTTP_REQ_GET, "/v1/posture/self", false, ROLE(CERT_ROLE_DEVICE), route_posture_self },
        { EVHTTP_REQ_GET, "/v1/posture/", true, ROLE(CERT_ROLE_GATEWAY) | ROLE(CERT_ROLE_ADMIN), route_posture_device },
        { EVHTTP_REQ_GET, "/v1/posture", false, ROLE(CERT_ROLE_GATEWAY) | ROLE(CERT_ROLE_ADMIN), route_posture_query },
        { EVHTTP_REQ_GET, "/v1/forward-auth", false, ROLE(CERT_ROLE_GATEWAY) | ROLE(CERT_ROLE_ADMIN), route_forward_auth },
        { EVHTTP_REQ_GET, "/", false, ROLE(CERT_ROLE_ADMIN), route_console },
        { EVHTTP_REQ_GET, "/ui/", true, ROLE(CERT_ROLE_ADMIN), route_console_asset },
        {}
};
