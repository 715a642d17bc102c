/* SPDX-License-Identifier: MIT */
#pragma once

/* The employee knows first: each cycle asks the server for this laptop's own posture
 * (GET /v1/posture/self) and hands status.json this shape (NOTICE's tray reads it):
 *   "access": {"state": "allowed"|"grace"|"blocked", "grace_until": RFC 3339 or null,
 *              "reason": text or null, "checked_at": RFC 3339}
 * Absent while unknown (never fetched, or a server without the posture API). */

#include <stddef.h>

#include <json-c/json.h>

#include "macro.h"
#include "transport.h"

#define POSTURE_REPLY_MAX (64u * 1024)
#define POSTURE_REASON_TEXT_MAX 512

/* The server's reply body → the "access" object. Outside data: strict (state one of the
 * three, grace_until RFC 3339 or null, reason bounded text or null); -EBADMSG otherwise. */
int agent_posture_parse(const char *body, size_t size, usec_t now, json_object **ret);
/* GET /v1/posture/self. -ENOENT when the server has no posture for us (404: an older
 * server), -EACCES refused, -EIO/-EBADMSG other failures with *ret_error set. */
int agent_posture_fetch(Transport *t, json_object **ret, char **ret_error);
/* Fetches and adds "access" to the cycle's result; a failure is logged and leaves the
 * previous value in status.json. */
void agent_posture_update(Transport *t, json_object *out);
