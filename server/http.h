/* SPDX-License-Identifier: MIT */
#pragma once

/* The HTTP layer: evhttp over bufferevent_openssl, one routing table (routes.c), the
 * client-certificate gate per route, JSON error replies {"error","detail"} with the
 * status codes of DESIGN.md, and the limits that keep slow or greedy clients from
 * starving the others (body size, request and idle timeouts, connection count). */

#include <stdbool.h>
#include <stddef.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <json-c/json.h>

#include "server.h"
#include "tls.h"

typedef struct Request {
        Server *server;
        struct evhttp_request *req;
        Conn *conn;
        const char *path;
        struct evkeyvalq query; /* decoded ?a=b&c=d */
        const char *body;       /* not NUL-terminated; inflated if it came gzip'ed */
        size_t body_size;
        char *inflated;         /* owns body when it came with Content-Encoding: gzip */
        const TlsPeer *peer;    /* verified client certificate; on open routes one that chains to
                                 * our CA but is not yet checked against the store; else NULL */
} Request;

typedef int (*RouteHandler)(Request *r);

#define ROLE(r) (1u << (r))
#define ROLES_ANYONE 0u /* no client certificate needed */
/* The most evhttp reads of a request on a connection without a client certificate: the
 * enrollment body (ENROLL_BODY_MAX), nothing larger needs no certificate. */
#define HTTP_BODY_MAX_WITHOUT_CERT (64u * 1024)
#define HTTP_HEADERS_MAX (16u * 1024)

typedef struct Route {
        enum evhttp_cmd_type method;
        const char *path;
        bool prefix; /* path is a prefix ("/v1/fleet/devices/") */
        unsigned roles;
        RouteHandler handler;
        /* The handler looks the certificate's status up itself, in its transaction
         * (POST /v1/reports: with the chain head, no lookup of its own per request). */
        bool status_in_handler;
} Route;

/* routes.c: the table, terminated by { .path = NULL }. */
extern const Route server_routes[];

int http_setup(Server *s);

/* Value of a query parameter, or NULL. */
const char *http_query(Request *r, const char *key);

/* Replies now. The handler's return value is only logged. */
int http_reply_json(Request *r, int code, json_object *j);
int http_reply_text(Request *r, int code, const char *content_type, const char *data, size_t size);
/* {"error": error, "detail": printf(...)} */
int http_error(Request *r, int code, const char *error, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* For group commit: the same body, sent by server.c once the batch is durable. */
struct evbuffer *http_json_buffer(json_object *j);
struct evbuffer *http_error_buffer(const char *error, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* A reply sent in chunks (the fleet export) is complete: the connection's request timer
 * starts again, and a request sent behind it is read. http_send() does this for whole
 * replies. */
void conn_request_done(Conn *c);
/* From a chunked reply's close callback: the client went away before the reply ended. A
 * request whose reply was not finished is detached from its failing connection, and
 * libevent leaves it to us to free; one still attached is freed with its connection. */
void http_stream_abandoned(struct evhttp_request *req);
/* Sends a prepared reply and frees body; the request may have lost its connection. */
void http_send(struct evhttp_request *req, int code, struct evbuffer *body, bool close);

/* For the HTTP status reasons used here. */
const char *http_reason(int code);
