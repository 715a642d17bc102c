/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent-posture.h"
#include "cleanup.h"
#include "error-util.h"
#include "json-util.h"
#include "log.h"
#include "parse-util.h"
#include "time-util.h"

/* A string member that may be null; absent counts as null. */
static int nullable_string(json_object *j, const char *key, const char **ret) {
        json_object *v;

        if (!json_object_object_get_ex(j, key, &v) || json_object_is_type(v, json_type_null)) {
                *ret = NULL;
                return 0;
        }
        if (!json_object_is_type(v, json_type_string))
                return -EBADMSG;
        *ret = json_object_get_string(v);
        return 0;
}

int agent_posture_parse(const char *body, size_t size, usec_t now, json_object **ret) {
        _cleanup_json_ json_object *j = NULL, *access = NULL;
        const char *state, *grace, *reason;
        char buf[RFC3339_MAX];
        usec_t until;

        if (size > POSTURE_REPLY_MAX || json_parse(body, size, &j, NULL) < 0 ||
            !json_object_is_type(j, json_type_object))
                return -EBADMSG;
        if (nullable_string(j, "state", &state) < 0 || !state ||
            (!streq(state, "allowed") && !streq(state, "grace") && !streq(state, "blocked")) ||
            nullable_string(j, "grace_until", &grace) < 0 || nullable_string(j, "reason", &reason) < 0)
                return -EBADMSG;
        if (grace && parse_rfc3339(grace, false, &until) < 0)
                return -EBADMSG;
        if (reason && (strlen(reason) > POSTURE_REASON_TEXT_MAX || string_has_cc(reason)))
                return -EBADMSG;
        access = json_object_new_object();
        if (!access || json_add_string(access, "state", state) < 0 ||
            json_add_string(access, "grace_until", grace ? format_rfc3339(until, buf) : NULL) < 0 ||
            json_add_string(access, "reason", reason) < 0 ||
            json_add_string(access, "checked_at", format_rfc3339(now, buf)) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(access);
        return 0;
}

int agent_posture_fetch(Transport *t, json_object **ret, char **ret_error) {
        _cleanup_(transport_response_done) TransportResponse resp = {};
        int r = transport_request(t, "GET", "/v1/posture/self", NULL, NULL, 0, NULL, &resp, ret_error);

        if (r < 0)
                return r;
        if (resp.status == 404)
                return -ENOENT;
        if (resp.status != 200) {
                _cleanup_free_ char *d = transport_response_describe(&resp);
                return error_set(ret_error, resp.status == 401 || resp.status == 403 ? -EACCES : -EIO,
                                 "GET /v1/posture/self: %s", strnull(d));
        }
        r = agent_posture_parse(resp.body, resp.body_size, now_realtime(), ret);
        if (r == -EBADMSG)
                return error_set(ret_error, r, "GET /v1/posture/self: the server's reply is not a posture");
        return r;
}

void agent_posture_update(Transport *t, json_object *out) {
        _cleanup_json_ json_object *access = NULL;
        _cleanup_free_ char *err = NULL;
        int r = agent_posture_fetch(t, &access, &err);

        if (r == -ENOENT)
                return; /* a server without the posture API: "access" stays unknown */
        if (r < 0) {
                log_info("Cannot learn this laptop's access posture: %s", err ? err : strerror(-r));
                return;
        }
        (void) json_add(out, "access", TAKE_PTR(access));
}
