/* SPDX-License-Identifier: MIT */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "journal-send.h"
#include "macro.h"

/* One unconnected socket for the process and all its threads (a field's path is given to
 * each sendmsg), made on first use and kept: a log line costs one system call. */
static int journal_fd(void) {
        static int fd_plus_one;
        int fd = __atomic_load_n(&fd_plus_one, __ATOMIC_ACQUIRE);

        if (fd > 0)
                return fd - 1;
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        int expected = 0;
        if (!__atomic_compare_exchange_n(&fd_plus_one, &expected, fd + 1, false, __ATOMIC_ACQ_REL,
                                         __ATOMIC_ACQUIRE)) {
                (void) close(fd); /* another thread made it first */
                return expected - 1;
        }
        return fd;
}

/* The fd in an SCM_RIGHTS message without data, what journald reads a memfd entry from. */
static int send_fd(int sock, const struct sockaddr_un *sa, socklen_t salen, int fd) {
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct msghdr mh = {
                .msg_name = (void *) sa,
                .msg_namelen = salen,
                .msg_control = &control,
                .msg_controllen = sizeof(control),
        };
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
        return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int journal_sendv(const char *path, const struct iovec *iov, size_t n) {
        /* Each field is one line, or (a value with a newline) its name, a newline, the
         * value's size as 64-bit little endian, the value: up to five pieces. */
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        size_t path_len = strlen(path), j = 0;
        _cleanup_free_ struct iovec *w = NULL;
        _cleanup_free_ uint64_t *sizes = NULL;
        _cleanup_close_ int mfd = -1;
        int sock;

        if (n == 0 || path_len >= sizeof(sa.sun_path))
                return -EINVAL;
        memcpy(sa.sun_path, path, path_len);
        socklen_t salen = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + path_len + 1);
        if (n > SIZE_MAX / (5 * sizeof(struct iovec)))
                return -ENOMEM;
        w = malloc(n * 5 * sizeof(struct iovec));
        sizes = malloc(n * sizeof(uint64_t));
        if (!w || !sizes)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const char *f = iov[i].iov_base;
                size_t len = iov[i].iov_len;
                const char *eq = f ? memchr(f, '=', len) : NULL, *nl;

                if (!eq || eq == f)
                        return -EINVAL;
                nl = memchr(f, '\n', len);
                if (nl && nl < eq)
                        return -EINVAL;
                if (nl) {
                        size_t name = (size_t) (eq - f), value = len - name - 1;
                        sizes[i] = htole64((uint64_t) value);
                        w[j++] = (struct iovec) { (void *) f, name };
                        w[j++] = (struct iovec) { (void *) "\n", 1 };
                        w[j++] = (struct iovec) { &sizes[i], sizeof(uint64_t) };
                        w[j++] = (struct iovec) { (void *) (eq + 1), value };
                } else
                        w[j++] = iov[i];
                w[j++] = (struct iovec) { (void *) "\n", 1 };
        }

        sock = journal_fd();
        if (sock < 0)
                return sock;
        struct msghdr mh = { .msg_name = &sa, .msg_namelen = salen, .msg_iov = w, .msg_iovlen = j };
        if (sendmsg(sock, &mh, MSG_NOSIGNAL) >= 0)
                return 0;
        if (errno != EMSGSIZE && errno != ENOBUFS)
                return -errno;

        /* Too large for a datagram: the entry in a memfd, sealed so that journald can map it
         * knowing it will not change under it. */
        mfd = memfd_create("journal-entry", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (mfd < 0)
                return -errno;
        for (size_t k = 0; k < j; k++) {
                const char *p = w[k].iov_base;
                for (size_t left = w[k].iov_len; left > 0;) {
                        ssize_t r = write(mfd, p, left);
                        if (r < 0 && errno == EINTR)
                                continue;
                        if (r < 0)
                                return -errno;
                        p += r;
                        left -= (size_t) r;
                }
        }
        if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
                return -errno;
        return send_fd(sock, &sa, salen, mfd);
}
