/* SPDX-License-Identifier: MIT */
#pragma once

/* The posture API (docs/enforcement.md, docs/api.md): gateways (role gateway, or admin)
 * ask whether a device may reach company resources; a device asks about itself; reverse
 * proxies use the forward-auth route. Every answer is a posture_decide() over the
 * latest-state tables and the current policy, counted in /metrics. */

#include "http.h"

/* GET /v1/posture/{device_id} */
int route_posture_device(Request *r);
/* GET /v1/posture?fingerprint=SHA256HEX */
int route_posture_query(Request *r);
/* GET /v1/posture/self (device certificate) */
int route_posture_self(Request *r);
/* GET /v1/forward-auth: the certificate the proxy verified, in X-Client-Cert or
 * X-Forwarded-Tls-Client-Cert → 200 with X-Vigie-* headers, or 403 with a page. */
int route_forward_auth(Request *r);
