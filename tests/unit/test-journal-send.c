/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "journal-send.h"

#define IOV(s) ((struct iovec) { .iov_base = (char *) (s), .iov_len = strlen(s) })

typedef struct Journal {
        char dir[64];
        char path[128];
        int fd;
} Journal;

/* A datagram socket bound where the test says journald is. */
static int journal_open(void **state) {
        Journal *j = calloc(1, sizeof(Journal));
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        assert_non_null(j);
        strcpy(j->dir, "/tmp/test-journal-XXXXXX");
        assert_non_null(mkdtemp(j->dir));
        assert_true(snprintf(j->path, sizeof(j->path), "%s/socket", j->dir) > 0);
        assert_true(strlen(j->path) < sizeof(sa.sun_path));
        memcpy(sa.sun_path, j->path, strlen(j->path));
        j->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        assert_true(j->fd >= 0);
        assert_int_equal(bind(j->fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        *state = j;
        return 0;
}

static int journal_close(void **state) {
        Journal *j = *state;
        (void) close(j->fd);
        (void) unlink(j->path);
        (void) rmdir(j->dir);
        free(j);
        return 0;
}

/* The next entry: the datagram's bytes, or those of the memfd it carries. */
static size_t journal_recv(Journal *j, char *buf, size_t size, bool *ret_memfd) {
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct iovec iov = { buf, size };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                             .msg_controllen = sizeof(control) };
        ssize_t n = recvmsg(j->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        struct cmsghdr *c;

        assert_true(n >= 0);
        c = CMSG_FIRSTHDR(&mh);
        *ret_memfd = c != NULL;
        if (!c)
                return (size_t) n;
        assert_int_equal(n, 0);
        assert_int_equal(c->cmsg_type, SCM_RIGHTS);
        int fd;
        memcpy(&fd, CMSG_DATA(c), sizeof(int));
        /* Sealed, as journald requires of a memfd. */
        assert_int_equal(fcntl(fd, F_GET_SEALS) & (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW),
                         F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW);
        n = pread(fd, buf, size, 0);
        assert_true(n >= 0);
        (void) close(fd);
        return (size_t) n;
}

static void test_fields(void **state) {
        Journal *j = *state;
        const struct iovec iov[] = { IOV("MESSAGE=disk encryption: pass"), IOV("PRIORITY=6"),
                                     IOV("SYSLOG_IDENTIFIER=vigie"), IOV("EMPTY=") };
        static const char expected[] = "MESSAGE=disk encryption: pass\nPRIORITY=6\nSYSLOG_IDENTIFIER=vigie\nEMPTY=\n";
        char buf[512];
        bool memfd;

        assert_int_equal(journal_sendv(j->path, iov, 4), 0);
        assert_int_equal(journal_recv(j, buf, sizeof(buf), &memfd), strlen(expected));
        assert_false(memfd);
        assert_memory_equal(buf, expected, strlen(expected));
}

static void test_newline_in_value(void **state) {
        Journal *j = *state;
        const struct iovec iov[] = { IOV("MESSAGE=two\nlines"), IOV("CODE_LINE=42") };
        /* NAME, newline, 64-bit LE size, the value, newline. */
        static const char expected[] = "MESSAGE\n\x09\0\0\0\0\0\0\0two\nlines\nCODE_LINE=42\n";
        char buf[512];
        bool memfd;

        assert_int_equal(journal_sendv(j->path, iov, 2), 0);
        assert_int_equal(journal_recv(j, buf, sizeof(buf), &memfd), sizeof(expected) - 1);
        assert_memory_equal(buf, expected, sizeof(expected) - 1);
}

static void test_big_entry_in_memfd(void **state) {
        Journal *j = *state;
        size_t big = 1 << 20; /* more than a datagram carries */
        _cleanup_free_ char *field = malloc(big + 9), *buf = malloc(big + 64);
        bool memfd;

        assert_non_null(field);
        assert_non_null(buf);
        memcpy(field, "MESSAGE=", 8);
        memset(field + 8, 'x', big);
        field[big + 8] = 0;
        const struct iovec iov[] = { IOV(field), IOV("PRIORITY=3") };
        assert_int_equal(journal_sendv(j->path, iov, 2), 0);
        assert_int_equal(journal_recv(j, buf, big + 64, &memfd), big + 8 + 1 + strlen("PRIORITY=3\n"));
        assert_true(memfd);
        assert_memory_equal(buf, field, big + 8);
        assert_memory_equal(buf + big + 8, "\nPRIORITY=3\n", 12);
}

static void test_refused(void **state) {
        Journal *j = *state;
        const struct iovec no_name[] = { IOV("=value") }, no_eq[] = { IOV("MESSAGE") },
                           nl_in_name[] = { IOV("MESS\nAGE=x") };

        assert_int_equal(journal_sendv(j->path, no_name, 1), -EINVAL);
        assert_int_equal(journal_sendv(j->path, no_eq, 1), -EINVAL);
        assert_int_equal(journal_sendv(j->path, nl_in_name, 1), -EINVAL);
        assert_int_equal(journal_sendv(j->path, no_eq, 0), -EINVAL);
        /* Nobody listening: said, so that the caller writes the line to stderr. */
        const struct iovec ok[] = { IOV("MESSAGE=x") };
        assert_int_equal(journal_sendv("/nonexistent/journal/socket", ok, 1), -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_fields, journal_open, journal_close),
                cmocka_unit_test_setup_teardown(test_newline_in_value, journal_open, journal_close),
                cmocka_unit_test_setup_teardown(test_big_entry_in_memfd, journal_open, journal_close),
                cmocka_unit_test_setup_teardown(test_refused, journal_open, journal_close),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
