/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>

#include "http.h"

#define ENROLL_BODY_MAX (64u * 1024)

/* The body of POST /v1/enroll ({"token","csr"}; token NULL allowed for renew, which
 * sends {"csr"}). Returns -EBADMSG with a message for the client. Borrowed strings point
 * into *ret_json. */
int enroll_request_parse(const char *body, size_t size, bool need_token, json_object **ret_json,
                         const char **ret_token, const char **ret_csr, char **ret_error);

int route_enroll(Request *r);
int route_renew(Request *r);
int route_policy(Request *r);
