/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>

#include "http.h"

#define ENROLL_BODY_MAX (64u * 1024)

/* The body of POST /v1/enroll and /v1/renew: {"token","csr","key","attestation"}. token
 * may be absent for renew and for a re-enrollment with the current certificate; key
 * (optional) is how the agent says its key is held: "file", "tpm" or "provider";
 * attestation (with "tpm" only) answers a challenge (enroll-attest.h). Borrowed pointers
 * into json. */
typedef struct EnrollRequest {
        json_object *json;
        const char *token;
        const char *csr;
        const char *key;
        json_object *attestation;
} EnrollRequest;

/* -EBADMSG with a message for the client. */
int enroll_request_parse(const char *body, size_t size, bool need_token, EnrollRequest *ret, char **ret_error);
void enroll_request_done(EnrollRequest *r);

int route_enroll(Request *r);
int route_renew(Request *r);
int route_policy(Request *r);
