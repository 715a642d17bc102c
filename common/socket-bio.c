/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "socket-bio.h"

typedef struct SocketBio {
        int fd;
        bool eof;
} SocketBio;

static BIO_METHOD *method;
static pthread_once_t method_once = PTHREAD_ONCE_INIT;

static int sb_write(BIO *b, const char *buf, int n) {
        SocketBio *s = BIO_get_data(b);
        ssize_t k = send(s->fd, buf, (size_t) n, MSG_NOSIGNAL);

        BIO_clear_retry_flags(b);
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
                BIO_set_retry_write(b);
        return (int) k;
}

static int sb_read(BIO *b, char *buf, int n) {
        SocketBio *s = BIO_get_data(b);
        ssize_t k = recv(s->fd, buf, (size_t) n, 0);

        BIO_clear_retry_flags(b);
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
                BIO_set_retry_read(b);
        else if (k == 0)
                s->eof = true; /* libssl asks BIO_eof() to tell a close from an error */
        return (int) k;
}

static long sb_ctrl(BIO *b, int cmd, long num, void *ptr) {
        SocketBio *s = BIO_get_data(b);

        (void) num;
        (void) ptr;
        switch (cmd) {
        case BIO_CTRL_FLUSH:
                return 1;
        case BIO_CTRL_EOF:
                return s && s->eof;
        default:
                return 0;
        }
}

static int sb_destroy(BIO *b) {
        free(BIO_get_data(b));
        BIO_set_data(b, NULL);
        return 1;
}

static void make_method(void) {
        BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "vigie socket");
        if (m && (BIO_meth_set_write(m, sb_write) != 1 || BIO_meth_set_read(m, sb_read) != 1 ||
                  BIO_meth_set_ctrl(m, sb_ctrl) != 1 || BIO_meth_set_destroy(m, sb_destroy) != 1)) {
                BIO_meth_free(m);
                m = NULL;
        }
        method = m;
}

BIO *socket_bio_new(int fd) {
        SocketBio *s;
        BIO *b;

        (void) pthread_once(&method_once, make_method);
        if (!method || !(b = BIO_new(method)))
                return NULL;
        s = calloc(1, sizeof(SocketBio));
        if (!s) {
                BIO_free(b);
                return NULL;
        }
        *s = (SocketBio) { .fd = fd };
        BIO_set_data(b, s);
        BIO_set_init(b, 1);
        return b;
}
