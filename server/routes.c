/* SPDX-License-Identifier: MIT */
/* The routing table: one row per route, with the certificate roles it accepts. */
#include "enroll.h"
#include "http.h"
#include "ingest.h"

const Route server_routes[] = {
        { EVHTTP_REQ_POST, "/v1/enroll", false, ROLES_ANYONE, route_enroll },
        { EVHTTP_REQ_POST, "/v1/renew", false, ROLE(CERT_ROLE_DEVICE), route_renew },
        { EVHTTP_REQ_GET, "/v1/policy", false, ROLE(CERT_ROLE_DEVICE) | ROLE(CERT_ROLE_ADMIN), route_policy },
        { EVHTTP_REQ_POST, "/v1/reports", false, ROLE(CERT_ROLE_DEVICE), route_reports },
        {}
};
