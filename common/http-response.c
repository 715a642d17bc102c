/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http-response.h"
#include "macro.h"
#include "parse-util.h"

enum {
        STATE_STATUS,      /* the status line (again after a 1xx) */
        STATE_HEADER,      /* header lines until the empty one */
        STATE_BODY_LENGTH, /* Content-Length bytes */
        STATE_BODY_CLOSE,  /* everything until the server closes */
        STATE_CHUNK_SIZE,
        STATE_CHUNK_DATA,
        STATE_CHUNK_END,   /* the CRLF after a chunk's data */
        STATE_TRAILER,     /* trailer lines until the empty one */
        STATE_DONE,
};

static int fail(HttpResponse *r, int error, const char *why) {
        r->error = why;
        return error;
}

static bool is_token_char(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               strchr("!#$%&'*+-.^_`|~", c);
}

/* Room for size more body bytes (and the final NUL) within max_body. */
static int body_reserve(HttpResponse *r, uint64_t size) {
        size_t want;
        char *b;

        if (size > r->max_body - r->body_size)
                return fail(r, -EFBIG, "response larger than the limit");
        want = r->body_size + (size_t) size + 1;
        if (want <= r->body_alloc)
                return 0;
        if (!r->have_length)
                want = MAX(want, MIN(MAX(r->body_alloc * 2, (size_t) 4096), r->max_body + 1));
        b = realloc(r->body, want);
        if (!b)
                return fail(r, -ENOMEM, "out of memory");
        r->body = b;
        r->body_alloc = want;
        return 0;
}

static int finish(HttpResponse *r) {
        int k = body_reserve(r, 0);
        if (k < 0)
                return k;
        r->body[r->body_size] = 0;
        r->state = STATE_DONE;
        return 1;
}

static int parse_status_line(HttpResponse *r, const char *l) {
        /* "HTTP/1.1 200 OK": the reason phrase may be empty or missing. */
        if (strncmp(l, "HTTP/1.", 7) != 0 || (l[7] != '0' && l[7] != '1') || l[8] != ' ' ||
            l[9] < '1' || l[9] > '5' || l[10] < '0' || l[10] > '9' || l[11] < '0' || l[11] > '9' ||
            (l[12] != ' ' && l[12] != 0))
                return fail(r, -EPROTO, "the server's answer is not an HTTP/1.x status line");
        r->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
        /* HTTP/1.0 closes unless told otherwise; we never ask it to keep the connection. */
        r->close = l[7] == '0';
        r->chunked = r->have_length = false;
        r->remaining = 0;
        free(r->etag);
        r->etag = NULL;
        r->retry_after_s = 0;
        return 0;
}

static bool has_token(const char *list, const char *token) {
        size_t n = strlen(token);
        for (const char *p = list; *p;) {
                p += strspn(p, " \t,");
                size_t k = strcspn(p, " \t,");
                if (k == n && strncasecmp(p, token, n) == 0)
                        return true;
                p += k;
        }
        return false;
}

static int parse_header_line(HttpResponse *r, char *l) {
        char *colon, *v, *end;

        if (l[0] == ' ' || l[0] == '\t')
                return fail(r, -EPROTO, "the server folded a header line (obsolete, refused)");
        colon = strchr(l, ':');
        if (!colon || colon == l)
                return fail(r, -EPROTO, "the server sent a header line without a name");
        for (char *p = l; p < colon; p++)
                if (!is_token_char(*p))
                        return fail(r, -EPROTO, "the server sent a header name with a forbidden character");
        *colon = 0;
        v = colon + 1 + strspn(colon + 1, " \t");
        end = v + strlen(v);
        while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
                *--end = 0;

        if (strcasecmp(l, "Content-Length") == 0) {
                uint64_t n;
                if (v[0] < '0' || v[0] > '9' || parse_uint64(v, &n) < 0)
                        return fail(r, -EPROTO, "the server sent a Content-Length that is not a number");
                if (r->have_length && n != r->remaining)
                        return fail(r, -EPROTO, "the server sent two different Content-Length");
                if (n > r->max_body)
                        return fail(r, -EFBIG, "response larger than the limit");
                r->have_length = true;
                r->remaining = n;
        } else if (strcasecmp(l, "Transfer-Encoding") == 0) {
                /* We send no TE: chunked is the only coding a server may use. */
                if (strcasecmp(v, "chunked") != 0)
                        return fail(r, -EPROTO, "the server used a transfer coding other than chunked");
                r->chunked = true;
        } else if (strcasecmp(l, "Connection") == 0) {
                if (has_token(v, "close"))
                        r->close = true;
                else if (has_token(v, "keep-alive"))
                        r->close = false;
        } else if (strcasecmp(l, "ETag") == 0) {
                free(r->etag);
                r->etag = NULL;
                if (end - v <= (ptrdiff_t) HTTP_ETAG_MAX && !(r->etag = strdup(v)))
                        return fail(r, -ENOMEM, "out of memory");
        } else if (strcasecmp(l, "Retry-After") == 0) {
                int64_t s;
                /* Seconds only (what vigie-server sends), capped at a day. */
                r->retry_after_s = parse_int64(v, &s) >= 0 && s > 0 ? (uint64_t) MIN(s, (int64_t) 86400) : 0;
        }
        return 0;
}

/* The empty line after the header fields: what delimits the body. */
static int end_of_headers(HttpResponse *r) {
        if (r->status < 200) {
                if (r->status == 101)
                        return fail(r, -EPROTO, "the server switched protocols, which we never asked");
                r->state = STATE_STATUS; /* 100 Continue, 103 Early Hints…: the real one follows */
                return 0;
        }
        if (r->no_body || r->status == 204 || r->status == 304)
                return finish(r);
        if (r->chunked) {
                r->have_length = false; /* chunked wins over a Content-Length (RFC 9112 6.3) */
                r->state = STATE_CHUNK_SIZE;
                return 0;
        }
        if (r->have_length) {
                int k = body_reserve(r, r->remaining);
                if (k < 0)
                        return k;
                if (r->remaining == 0)
                        return finish(r);
                r->state = STATE_BODY_LENGTH;
                return 0;
        }
        r->close = true;
        r->state = STATE_BODY_CLOSE;
        return 0;
}

static int parse_chunk_size(HttpResponse *r, const char *l) {
        uint64_t n = 0;
        const char *p = l;

        for (; *p && *p != ';' && *p != ' ' && *p != '\t'; p++) {
                int d = unhexchar(*p);
                if (d < 0 || p - l >= 15)
                        return fail(r, -EPROTO, "the server sent a malformed chunk size");
                n = n * 16 + (uint64_t) d;
        }
        if (p == l)
                return fail(r, -EPROTO, "the server sent a malformed chunk size");
        if (n == 0) {
                r->state = STATE_TRAILER;
                return 0;
        }
        int k = body_reserve(r, n);
        if (k < 0)
                return k;
        r->remaining = n;
        r->state = STATE_CHUNK_DATA;
        return 0;
}

/* One complete line (CRLF or a bare LF taken off) in the current state. */
static int parse_line(HttpResponse *r, char *l) {
        switch (r->state) {
        case STATE_STATUS:
                r->state = STATE_HEADER;
                return parse_status_line(r, l);
        case STATE_HEADER:
        case STATE_TRAILER:
                if (l[0] == 0)
                        return r->state == STATE_TRAILER ? finish(r) : end_of_headers(r);
                if (++r->n_headers > HTTP_HEADERS_MAX)
                        return fail(r, -EPROTO, "the server sent too many header lines");
                return r->state == STATE_TRAILER ? 0 : parse_header_line(r, l);
        case STATE_CHUNK_SIZE:
                return parse_chunk_size(r, l);
        case STATE_CHUNK_END:
                if (l[0] != 0)
                        return fail(r, -EPROTO, "the server sent a chunk longer than its size");
                r->state = STATE_CHUNK_SIZE;
                return 0;
        }
        return fail(r, -EPROTO, "internal error: no line expected");
}

/* Line bytes from data: a complete line is parsed, the rest kept for the next call. */
static int feed_line(HttpResponse *r, const char *data, size_t size, size_t *used) {
        const char *nl = memchr(data, '\n', size);
        size_t n = nl ? (size_t) (nl - data) + 1 : size;
        bool headers = r->state == STATE_STATUS || r->state == STATE_HEADER || r->state == STATE_TRAILER;

        *used = n;
        if (headers && n > HTTP_HEADERS_SIZE_MAX - r->headers_size)
                return fail(r, -EPROTO, "the server sent more header bytes than the limit");
        if (n > sizeof(r->line) - 1 - r->line_len)
                return fail(r, -EPROTO, "the server sent a header line longer than the limit");
        if (headers)
                r->headers_size += n;
        memcpy(r->line + r->line_len, data, n);
        r->line_len += n;
        if (!nl)
                return 0;
        r->line_len--; /* the LF */
        if (r->line_len > 0 && r->line[r->line_len - 1] == '\r')
                r->line_len--;
        r->line[r->line_len] = 0;
        if (memchr(r->line, 0, r->line_len) || memchr(r->line, '\r', r->line_len))
                return fail(r, -EPROTO, "the server sent a control character in a header line");
        r->line_len = 0;
        return parse_line(r, r->line);
}

static size_t feed_body(HttpResponse *r, const char *data, size_t size) {
        size_t n = r->state == STATE_BODY_CLOSE ? size : (size_t) MIN((uint64_t) size, r->remaining);
        memcpy(r->body + r->body_size, data, n);
        r->body_size += n;
        return n;
}

int http_response_feed(HttpResponse *r, const char *data, size_t size, size_t *ret_used) {
        size_t done = 0;
        int k = 0;

        if (size > 0)
                r->started = true;
        while (done < size && r->state != STATE_DONE) {
                size_t n;
                switch (r->state) {
                case STATE_BODY_LENGTH:
                case STATE_CHUNK_DATA:
                        n = feed_body(r, data + done, size - done);
                        r->remaining -= n;
                        if (r->remaining > 0)
                                break;
                        if (r->state == STATE_BODY_LENGTH)
                                k = finish(r);
                        else
                                r->state = STATE_CHUNK_END;
                        break;
                case STATE_BODY_CLOSE:
                        k = body_reserve(r, size - done);
                        n = k < 0 ? 0 : feed_body(r, data + done, size - done);
                        break;
                default:
                        k = feed_line(r, data + done, size - done, &n);
                }
                if (k < 0)
                        return k;
                done += n;
        }
        if (ret_used)
                *ret_used = done;
        return r->state == STATE_DONE;
}

int http_response_eof(HttpResponse *r) {
        if (r->state == STATE_DONE)
                return 1;
        if (r->state == STATE_BODY_CLOSE)
                return finish(r);
        return fail(r, -ECONNRESET, r->started ? "the server closed the connection before the end of its response"
                                               : "the server closed the connection without answering");
}

bool http_response_started(const HttpResponse *r) {
        return r->started;
}

void http_response_done(HttpResponse *r) {
        free(r->body);
        free(r->etag);
        r->body = r->etag = NULL;
        r->body_size = r->body_alloc = 0;
}
