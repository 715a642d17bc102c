/* SPDX-License-Identifier: MIT */
#pragma once

/* An HTTP/1.1 response read from a server we do not trust, fed in pieces as they arrive,
 * with no I/O of its own (common/transport.c reads; tests/fuzz/fuzz-http-response.c feeds
 * bytes). Status line, header fields (each line, their total size and their count
 * bounded), 1xx interim responses skipped, a body delimited by Content-Length, chunked
 * transfer coding or the end of the connection, never larger than the caller's limit. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_LINE_MAX 8192u          /* one status, header or chunk-size line */
#define HTTP_HEADERS_SIZE_MAX 65536u /* all header lines of a response (interim ones included) */
#define HTTP_HEADERS_MAX 100u        /* header lines of a response (interim ones included) */
#define HTTP_ETAG_MAX 256u           /* a longer ETag is ignored */

typedef struct HttpResponse {
        /* The caller's settings, before the first http_response_feed(). */
        size_t max_body;
        bool no_body; /* the answer to CONNECT: headers only */

        /* Results. */
        int status;
        bool close;   /* the server closes the connection after this response */
        char *body;   /* NUL-terminated when complete */
        size_t body_size;
        char *etag;
        uint64_t retry_after_s; /* seconds, capped at a day; 0: none or not a number */
        const char *error;      /* after a negative return: what was wrong, for a message */

        /* Parser state. */
        int state;
        bool started;
        char line[HTTP_LINE_MAX];
        size_t line_len;
        size_t headers_size, n_headers;
        bool chunked, have_length;
        uint64_t remaining; /* of the Content-Length body or of the current chunk */
        size_t body_alloc;
} HttpResponse;

/* Feeds size bytes of the connection. Returns 1 once the response is complete (*ret_used:
 * the bytes it took, the rest belongs to what follows), 0 when it needs more (all bytes
 * taken), -EPROTO for a malformed response, -EFBIG for a body over max_body, -ENOMEM. */
int http_response_feed(HttpResponse *r, const char *data, size_t size, size_t *ret_used);
/* The server closed the connection: 1 when that ends the response (a body delimited by
 * the close), -ECONNRESET when the response was cut short. */
int http_response_eof(HttpResponse *r);
/* Whether any byte of the response has arrived (a reused connection closed before that
 * is retried on a new one). */
bool http_response_started(const HttpResponse *r);
void http_response_done(HttpResponse *r);
