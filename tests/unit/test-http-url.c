/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "cleanup.h"
#include "http-url.h"
#include "socket-bio.h"

static void test_server_urls(void **state) {
        _cleanup_(http_url_done) HttpUrl u = {};
        (void) state;

        assert_int_equal(http_url_parse("https://vigie.example.com", "https", &u), 0);
        assert_string_equal(u.host, "vigie.example.com");
        assert_string_equal(u.port, "443");
        assert_string_equal(u.path, "");
        assert_false(u.literal);
        http_url_done(&u);

        assert_int_equal(http_url_parse("https://[::1]:8443/vigie//", "https", &u), 0);
        assert_string_equal(u.host, "::1");
        assert_string_equal(u.port, "8443");
        assert_string_equal(u.path, "/vigie");
        assert_true(u.literal && u.ipv6);
        http_url_done(&u);

        assert_int_equal(http_url_parse("HTTPS://127.0.0.1:1/", "https", &u), 0);
        assert_true(u.literal && !u.ipv6);
        assert_null(u.user);
        http_url_done(&u);

        static const char *const bad[] = {
                "http://h", "https://", "https://:443", "https://h:0", "https://h:65536", "https://h:+1",
                "https://h:x", "https://[::1", "https://[zz]:1", "https://[::1]x", "https://h?q", "https://h/#f",
                "https://u@h", "https://h h", "h:443",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(http_url_parse(bad[i], "https", &u), -EINVAL);
}

static void test_proxy_urls(void **state) {
        _cleanup_(http_url_done) HttpUrl u = {};
        (void) state;

        assert_int_equal(http_url_parse("http://alice:p%40ss%3a@proxy.corp:3128", "http", &u), 0);
        assert_string_equal(u.user, "alice");
        assert_string_equal(u.password, "p@ss:");
        assert_string_equal(u.host, "proxy.corp");
        assert_string_equal(u.port, "3128");
        http_url_done(&u);

        assert_int_equal(http_url_parse("proxy.corp", "http", &u), 0); /* libcurl's defaults */
        assert_string_equal(u.port, "1080");
        assert_null(u.user);
        http_url_done(&u);

        assert_int_equal(http_url_parse("http://bob@[fe80::1]:8080/", "http", &u), 0);
        assert_string_equal(u.user, "bob");
        assert_string_equal(u.password, "");
        assert_string_equal(u.host, "fe80::1");
        http_url_done(&u);

        assert_int_equal(http_url_parse("https://proxy:3128", "http", &u), -EINVAL);
        assert_int_equal(http_url_parse("socks5://proxy:1080", "http", &u), -EINVAL);
        assert_int_equal(http_url_parse("http://a:%zz@proxy", "http", &u), -EINVAL);
        assert_int_equal(http_url_parse("http://a:%00@proxy", "http", &u), -EINVAL);
}

static void test_no_proxy(void **state) {
        (void) state;
        assert_true(http_no_proxy_matches("*", "anything"));
        assert_true(http_no_proxy_matches("example.com", "example.com"));
        assert_true(http_no_proxy_matches("example.com", "vigie.EXAMPLE.com"));
        assert_true(http_no_proxy_matches("other, .example.com ,x", "vigie.example.com"));
        assert_true(http_no_proxy_matches(".example.com", "example.com"));
        assert_false(http_no_proxy_matches("example.com", "badexample.com"));
        assert_false(http_no_proxy_matches("vigie.example.com", "example.com"));
        assert_true(http_no_proxy_matches("localhost,127.0.0.1", "127.0.0.1"));
        assert_false(http_no_proxy_matches("0.0.1", "127.0.0.1")); /* no suffix match on addresses */
        assert_true(http_no_proxy_matches("[::1]", "::1"));
        assert_true(http_no_proxy_matches("::1", "::1"));
        assert_false(http_no_proxy_matches("", "h"));
        assert_false(http_no_proxy_matches(NULL, "h"));
        assert_false(http_no_proxy_matches(" , ,", "h"));
}

static void test_proxy_from_environment(void **state) {
        (void) state;
        assert_int_equal(unsetenv("https_proxy") | unsetenv("HTTPS_PROXY") | unsetenv("no_proxy") | unsetenv("NO_PROXY"), 0);
        assert_null(http_proxy_from_environment("h"));
        assert_int_equal(setenv("HTTPS_PROXY", "http://upper:1", 1), 0);
        assert_string_equal(http_proxy_from_environment("h"), "http://upper:1");
        assert_int_equal(setenv("https_proxy", "http://lower:1", 1), 0);
        assert_string_equal(http_proxy_from_environment("h"), "http://lower:1");
        assert_int_equal(setenv("NO_PROXY", "h", 1), 0);
        assert_null(http_proxy_from_environment("h"));
        assert_string_equal(http_proxy_from_environment("other"), "http://lower:1");
        assert_int_equal(unsetenv("https_proxy") | unsetenv("HTTPS_PROXY") | unsetenv("NO_PROXY"), 0);
}

/* A write to a closed peer is EPIPE, not a SIGPIPE that ends this test program. */
static void test_socket_bio_no_sigpipe(void **state) {
        int sv[2];
        BIO *b;
        char c;
        (void) state;

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
        b = socket_bio_new(sv[0]);
        assert_non_null(b);
        assert_int_equal(BIO_read(b, &c, 1), -1);
        assert_true(BIO_should_retry(b) && BIO_should_read(b));
        assert_int_equal(write(sv[1], "x", 1), 1);
        assert_int_equal(BIO_read(b, &c, 1), 1);
        assert_int_equal(c, 'x');
        close(sv[1]);
        assert_int_equal(BIO_read(b, &c, 1), 0);
        assert_int_equal(BIO_eof(b), 1);
        assert_int_equal(BIO_write(b, "abc", 3), -1);
        assert_int_equal(errno, EPIPE);
        assert_false(BIO_should_retry(b));
        BIO_free(b);
        close(sv[0]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_server_urls),           cmocka_unit_test(test_proxy_urls),
                cmocka_unit_test(test_no_proxy),              cmocka_unit_test(test_proxy_from_environment),
                cmocka_unit_test(test_socket_bio_no_sigpipe),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
