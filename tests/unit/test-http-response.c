/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "http-response.h"

/* Feeds s in pieces of step bytes (0: whole); returns the last verdict, eof included. */
static int feed(HttpResponse *r, const char *s, size_t step, size_t *ret_used) {
        size_t size = strlen(s), done = 0, used = 0;
        int k = 0;

        while (done < size) {
                size_t n = step && size - done > step ? step : size - done;
                k = http_response_feed(r, s + done, n, &used);
                done += used;
                if (k != 0)
                        break;
        }
        if (ret_used)
                *ret_used = done;
        return k;
}

static void test_content_length_in_any_pieces(void **state) {
        const char *s = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\netag:  \"abc\" \r\nRetry-After: 99999999\r\n\r\nhelloNEXT";
        (void) state;
        for (size_t step = 0; step < 8; step++) {
                HttpResponse r = { .max_body = 100 };
                size_t used;
                assert_int_equal(feed(&r, s, step, &used), 1);
                assert_int_equal(used, strlen(s) - 4); /* "NEXT" belongs to what follows */
                assert_int_equal(r.status, 200);
                assert_int_equal(r.body_size, 5);
                assert_string_equal(r.body, "hello");
                assert_string_equal(r.etag, "\"abc\"");
                assert_int_equal(r.retry_after_s, 86400);
                assert_false(r.close);
                http_response_done(&r);
        }
}

static void test_chunked_and_interim(void **state) {
        const char *s = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n"
                        "Content-Length: 1\r\n\r\n3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-T: y\r\n\r\n";
        HttpResponse r = { .max_body = 13 };
        (void) state;
        assert_int_equal(feed(&r, s, 3, NULL), 1);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, "abc0123456789");
        http_response_done(&r);

        r = (HttpResponse) { .max_body = 12 };
        assert_int_equal(feed(&r, s, 0, NULL), -EFBIG);
        assert_string_equal(r.error, "response larger than the limit");
        http_response_done(&r);
}

static void test_close_delimited_and_eof(void **state) {
        HttpResponse r = { .max_body = 100 };
        (void) state;
        assert_int_equal(feed(&r, "HTTP/1.0 200 OK\r\n\r\nall of it", 0, NULL), 0);
        assert_true(http_response_started(&r));
        assert_int_equal(http_response_eof(&r), 1);
        assert_string_equal(r.body, "all of it");
        assert_true(r.close);
        http_response_done(&r);

        r = (HttpResponse) { .max_body = 100 };
        assert_int_equal(feed(&r, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", 0, NULL), 0);
        assert_int_equal(http_response_eof(&r), -ECONNRESET);
        http_response_done(&r);

        r = (HttpResponse) { .max_body = 100 };
        assert_false(http_response_started(&r));
        assert_int_equal(http_response_eof(&r), -ECONNRESET);
        assert_string_equal(r.error, "the server closed the connection without answering");

        r = (HttpResponse) { .max_body = 100 };
        assert_int_equal(feed(&r, "HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n", 0, NULL), 1);
        assert_int_equal(r.body_size, 0);
        assert_true(r.close);
        http_response_done(&r);

        r = (HttpResponse) { .max_body = 0, .no_body = true };
        assert_int_equal(feed(&r, "HTTP/1.1 200 Connection established\r\n\r\n", 0, NULL), 1);
        http_response_done(&r);
}

static void test_malformed(void **state) {
        static const struct {
                const char *input;
                int error;
        } cases[] = {
                { "HTTP/2 200\r\n\r\n", -EPROTO },
                { "HTTP/1.1 2000 OK\r\n\r\n", -EPROTO },
                { "HTTP/1.1 099 OK\r\n\r\n", -EPROTO },
                { "HTTP/1.1 200 OK\r\n folded\r\n\r\n", -EPROTO },
                { "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", -EPROTO },
                { "HTTP/1.1 200 OK\r\nno colon\r\n\r\n", -EPROTO },
                { "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", -EPROTO },
                { "HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\n", -EPROTO },
                { "HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n", -EFBIG },
                { "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", -EPROTO },
                { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n", -EPROTO },
                { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n;x\r\n", -EPROTO },
                { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", -EPROTO },
                { "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", -EPROTO },
                { "HTTP/1.1 101 Switching Protocols\r\n\r\n", -EPROTO },
        };
        (void) state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                HttpResponse r = { .max_body = 100 };
                assert_int_equal(feed(&r, cases[i].input, 0, NULL), cases[i].error);
                assert_non_null(r.error);
                http_response_done(&r);
        }
}

static void test_header_bounds(void **state) {
        HttpResponse r = { .max_body = 100 };
        char line[HTTP_LINE_MAX + 16];
        int k = 0;
        (void) state;

        assert_int_equal(feed(&r, "HTTP/1.1 200 OK\r\n", 0, NULL), 0);
        for (unsigned i = 0; i < HTTP_HEADERS_MAX + 1 && k == 0; i++)
                k = feed(&r, "X: y\r\n", 0, NULL);
        assert_int_equal(k, -EPROTO);
        assert_string_equal(r.error, "the server sent too many header lines");
        http_response_done(&r);

        r = (HttpResponse) { .max_body = 100 };
        memset(line, 'a', sizeof line - 1);
        line[sizeof line - 1] = 0;
        assert_int_equal(feed(&r, line, 7, NULL), -EPROTO);
        http_response_done(&r);

        /* Interim responses count too: a server cannot send 1xx for ever. */
        r = (HttpResponse) { .max_body = 100 };
        k = 0;
        for (unsigned i = 0; i < 100000 && k == 0; i++)
                k = feed(&r, "HTTP/1.1 100 Continue\r\n\r\n", 0, NULL);
        assert_int_equal(k, -EPROTO);
        http_response_done(&r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_content_length_in_any_pieces), cmocka_unit_test(test_chunked_and_interim),
                cmocka_unit_test(test_close_delimited_and_eof),      cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_header_bounds),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
