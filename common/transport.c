/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "cleanup.h"
#include "http-response.h"
#include "http-url.h"
#include "json-util.h"
#include "jws.h"
#include "resolve.h"
#include "socket-bio.h"
#include "time-util.h"
#include "transport.h"

struct Transport {
        HttpUrl server;
        char *authority; /* "host:port" ([v6]:port), for CONNECT */
        char *host_header;
        char *ca_file;
        bool ca_loaded;   /* into ctx's store, at the first full handshake */
        bool ca_unusable; /* that failed: the handshake's error names the file */
        X509 *cert;       /* decoded from cert_der when a handshake first asks for it */
        uint8_t *cert_der;
        size_t cert_der_size;
        bool cert_unusable; /* not a certificate, or not the key's: the handshake's error says so */
        EVP_PKEY *key;
        usec_t connect_timeout, timeout;
        size_t max_response;
        SSL_CTX *ctx; /* made at the first connection */
        SSL *ssl;     /* the connection kept alive between requests, NULL if none */
        SSL_SESSION *session; /* offered at the next connection, NULL if none */
        int fd;
};

static void transport_disconnect(Transport *t) {
        if (t->ssl) {
                (void) SSL_shutdown(t->ssl); /* one close_notify, never waiting for the reply */
                SSL_free(t->ssl);
                t->ssl = NULL;
        }
        if (t->fd >= 0)
                close(t->fd);
        t->fd = -1;
        ERR_clear_error();
}

Transport *transport_free(Transport *t) {
        if (!t)
                return NULL;
        transport_disconnect(t);
        SSL_SESSION_free(t->session);
        SSL_CTX_free(t->ctx);
        http_url_done(&t->server);
        free(t->authority);
        free(t->host_header);
        free(t->ca_file);
        X509_free(t->cert);
        free(t->cert_der);
        EVP_PKEY_free(t->key);
        free(t);
        return NULL;
}

const uint8_t *transport_client_cert_der(const Transport *t, size_t *ret_size) {
        *ret_size = t->cert_der_size;
        return t->cert_der;
}

void transport_set_session(Transport *t, SSL_SESSION *session) {
        if (session)
                SSL_SESSION_up_ref(session);
        SSL_SESSION_free(t->session);
        t->session = session;
}

void transport_fresh_handshake(Transport *t) {
        if (t->ssl && SSL_session_reused(t->ssl))
                transport_disconnect(t);
        transport_set_session(t, NULL);
}

SSL_SESSION *transport_session(const Transport *t) {
        return t->session;
}

/* The connection's session once a response came (in TLS 1.3 the server's ticket arrives
 * after the handshake, before the response's first byte), or none: the one offered was
 * used or refused, and a server without resumption sends none. */
static void keep_session(Transport *t) {
        SSL_SESSION *s = SSL_get1_session(t->ssl);

        if (s && !SSL_SESSION_is_resumable(s)) {
                SSL_SESSION_free(s);
                s = NULL;
        }
        SSL_SESSION_free(t->session);
        t->session = s;
}

const char *transport_strerror(int r) {
        /* The one error a configuration causes: the rest are resources. */
        if (r == -EINVAL)
                return "the server URL is not https://host[:port][/prefix]: correct it (Server= or --server)";
        return strerror(-r);
}

int transport_new(const TransportOptions *o, Transport **ret) {
        _cleanup_(transport_freep) Transport *t = NULL;
        _cleanup_openssl_free_ unsigned char *encoded = NULL;
        const void *cert_der = o->cert_der;
        size_t cert_der_size = o->cert_der_size;
        int r;

        if (!o->server_url || !o->ca_file != o->system_ca || (o->cert && o->cert_der) ||
            !(o->cert || o->cert_der) != !o->key)
                return -EINVAL;
        t = calloc(1, sizeof(Transport));
        if (!t)
                return -ENOMEM;
        t->fd = -1;
        r = http_url_parse(o->server_url, "https", &t->server);
        if (r < 0)
                return r;
        const char *lb = t->server.ipv6 ? "[" : "", *rb = t->server.ipv6 ? "]" : "";
        if (asprintf(&t->authority, "%s%s%s:%s", lb, t->server.host, rb, t->server.port) < 0)
                return -ENOMEM;
        /* Host: without the default port, as browsers and libcurl send it. */
        if (streq(t->server.port, "443") ? asprintf(&t->host_header, "%s%s%s", lb, t->server.host, rb) < 0
                                         : !(t->host_header = strdup(t->authority)))
                return -ENOMEM;
        if (o->ca_file && !(t->ca_file = strdup(o->ca_file)))
                return -ENOMEM;
        /* The certificate as DER, given or encoded: what a session is bound to and a
         * report's kid hashes, known without decoding the certificate again. */
        if (o->cert) {
                int n = i2d_X509(o->cert, &encoded);

                if (n <= 0)
                        return -EINVAL;
                cert_der = encoded;
                cert_der_size = (size_t) n;
                t->cert = o->cert;
                X509_up_ref(t->cert);
        }
        if (cert_der) {
                if (!(t->cert_der = malloc(cert_der_size)))
                        return -ENOMEM;
                memcpy(t->cert_der, cert_der, cert_der_size);
                t->cert_der_size = cert_der_size;
                t->key = o->key;
                EVP_PKEY_up_ref(t->key);
        }
        t->connect_timeout = o->connect_timeout ?: 10 * USEC_PER_SEC;
        t->timeout = o->timeout ?: 30 * USEC_PER_SEC;
        t->max_response = o->max_response ?: TRANSPORT_RESPONSE_MAX;
        *ret = TAKE_PTR(t);
        return 0;
}

/* The explanation of error r in *error (the request's own, replaced), for the caller. */
static int set_error(char **error, int r, const char *fmt, ...) _printf_(3, 4);
static int set_error(char **error, int r, const char *fmt, ...) {
        va_list ap;

        free(*error);
        va_start(ap, fmt);
        if (vasprintf(error, fmt, ap) < 0)
                *error = NULL;
        va_end(ap);
        return r;
}

/* Waits for events on fd until deadline (CLOCK_MONOTONIC). */
static int wait_fd(int fd, short events, usec_t deadline) {
        for (;;) {
                usec_t now = now_monotonic();
                if (now >= deadline)
                        return -ETIMEDOUT;
                struct pollfd p = { .fd = fd, .events = events };
                int k = poll(&p, 1, (int) MIN((deadline - now + USEC_PER_MSEC - 1) / USEC_PER_MSEC, (usec_t) INT32_MAX));
                if (k > 0)
                        return 0;
                if (k < 0 && errno != EINTR)
                        return -errno;
        }
}

static int connect_one(const struct addrinfo *ai, usec_t deadline, int *ret_fd) {
        _cleanup_close_ int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        socklen_t len = sizeof(int);
        int e = 0, one = 1, r;

        if (fd < 0)
                return -errno;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
                if (errno != EINPROGRESS)
                        return -errno;
                if ((r = wait_fd(fd, POLLOUT, deadline)) < 0)
                        return r;
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
                        return -errno;
                if (e != 0)
                        return -e;
        }
        /* Requests are written whole: no reason to wait for an ACK (libcurl sets it too). */
        (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* A TCP connection to host:port, each address of the name tried in turn. what: "host" or
 * "proxy", for messages. */
static int tcp_connect(const char *what, const char *host, const char *port, usec_t deadline, int *ret_fd,
                       char **ret_error) {
        struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
        struct addrinfo *res = NULL;
        int r = -ECONNREFUSED, k, gai_error = 0;

        k = resolve_host(host, port, &hints, deadline, &res, &gai_error);
        if (k == -ETIMEDOUT)
                return set_error(ret_error, k, "Could not resolve %s: %s (no answer from the name servers in time)",
                                 what, host);
        if (k == -EHOSTUNREACH)
                return set_error(ret_error, k, "Could not resolve %s: %s (%s)", what, host,
                                 gai_error == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai_error));
        if (k < 0)
                return set_error(ret_error, k, "Could not resolve %s: %s (%s)", what, host, strerror(-k));
        for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
                r = connect_one(ai, deadline, ret_fd);
                if (r >= 0 || r == -ETIMEDOUT)
                        break;
        }
        freeaddrinfo(res);
        if (r == -ETIMEDOUT)
                return set_error(ret_error, r, "Connection to %s %s port %s timed out", what, host, port);
        if (r < 0)
                return set_error(ret_error, r == -ENOMEM ? r : -ECONNREFUSED, "Failed to connect to %s port %s: %s",
                                 host, port, strerror(-r));
        return 0;
}

/* Why a TLS operation (what: "TLS handshake with …") failed: the certificate check's own
 * reason (OpenSSL's verify error string), OpenSSL's error, or the connection's end. */
static int tls_failure(Transport *t, int k, const char *what, char **error) {
        int saved_errno = errno, e = SSL_get_error(t->ssl, k), r;
        long v = SSL_get_verify_result(t->ssl);
        unsigned long ossl = ERR_peek_last_error();
        char buf[256];

        if (t->ca_unusable)
                r = set_error(error, -EPROTO, "cannot use the CA file \"%s\": not readable or not PEM certificates",
                              t->ca_file);
        else if (t->cert_unusable)
                r = set_error(error, -EPROTO, "cannot use the client certificate: %s",
                              t->cert ? "its key does not match it" : "it is not a certificate");
        else if (v != X509_V_OK && e == SSL_ERROR_SSL)
                r = set_error(error, -EPROTO, "SSL certificate problem: %s (server %s)", X509_verify_cert_error_string(v),
                              t->authority);
        else if (e == SSL_ERROR_SSL) {
                ERR_error_string_n(ossl, buf, sizeof buf);
                r = set_error(error, -EPROTO, "%s %s: %s", what, t->authority, ossl ? buf : "TLS protocol error");
        } else if (e == SSL_ERROR_SYSCALL && saved_errno != 0)
                r = set_error(error, -ECONNRESET, "%s %s: %s", what, t->authority, strerror(saved_errno));
        else
                r = set_error(error, -ECONNRESET, "%s %s: the server closed the connection", what, t->authority);
        ERR_clear_error();
        return r;
}

/* After SSL_ERROR_WANT_READ/WRITE: waits for the socket; 1 when it should be retried, 0
 * for another error (to report with tls_failure), -ETIMEDOUT. */
static int tls_wait(Transport *t, int k, usec_t deadline) {
        int e = SSL_get_error(t->ssl, k), r;

        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                return 0;
        r = wait_fd(t->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
        return r < 0 ? r : 1;
}

/* The pinned CA is decoded when a full handshake needs it, not when the context is made: a
 * resumed session (docs/agent.md, "TLS resumption") checks no certificate, and the decode
 * is ~1.2 M instructions on OpenSSL 3.0. */
static int verify_with_pinned_ca(X509_STORE_CTX *x, void *userdata) {
        Transport *t = userdata;

        if (!t->ca_loaded) {
                t->ca_loaded = X509_STORE_load_file(SSL_CTX_get_cert_store(t->ctx), t->ca_file) == 1;
                t->ca_unusable = !t->ca_loaded;
                if (t->ca_unusable) {
                        ERR_clear_error();
                        X509_STORE_CTX_set_error(x, X509_V_ERR_UNSPECIFIED);
                        return 0;
                }
        }
        return X509_verify_cert(x);
}

/* The client certificate, when the server asks for one: a resumed handshake does not, and
 * decoding the certificate (its public key) costs a fresh process OpenSSL 3.0's decoders,
 * ~5 M instructions. */
static int present_client_cert(SSL *ssl, void *userdata) {
        Transport *t = userdata;
        const unsigned char *p = t->cert_der;

        if (!t->cert)
                t->cert = d2i_X509(NULL, &p, (long) t->cert_der_size);
        t->cert_unusable = !t->cert || SSL_use_certificate(ssl, t->cert) != 1 ||
                           SSL_use_PrivateKey(ssl, t->key) != 1 || SSL_check_private_key(ssl) != 1;
        return !t->cert_unusable;
}

/* The SSL_CTX of every connection of this transport: TLS 1.2 at least, the pinned CA and
 * nothing else, the client certificate. */
static int tls_context(Transport *t, char **error) {
        char propq[EVP_PKEY_PROPQ_MAX];
        SSL_CTX *ctx;

        if (t->ctx)
                return 0;
        /* A key held by a provider (the TPM's) signs the handshake in that provider: libssl
         * fetches its algorithms with the SSL_CTX's property query ("?provider=tpm2": a
         * preference, the default provider for what the TPM does not do). */
        ctx = SSL_CTX_new_ex(NULL, t->key ? evp_pkey_sign_propq(t->key, propq) : NULL, TLS_client_method());
        if (!ctx)
                return set_error(error, -ENOMEM, "cannot set up TLS: out of memory");
        t->ctx = ctx;
        /* Only our own certificate: OpenSSL would otherwise build a chain from the CA file and
         * send the Vigie CA along, which the server has, but decodes again (public key and
         * all: 1.6 M instructions per handshake on OpenSSL 3.0, docs/performance.md). */
        SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
        /* A response delimited by the connection's end needs no close_notify (libcurl too);
         * Content-Length and chunked responses still catch a truncation. */
        SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
                ERR_clear_error();
                return set_error(error, -EPROTO, "cannot require TLS 1.2");
        }
        /* The pinned CA, never the system's store (unless a webhook asked for it). */
        if (!t->ca_file) {
                if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
                        ERR_clear_error();
                        return set_error(error, -EPROTO, "cannot use the system's trusted certificates");
                }
        } else
                SSL_CTX_set_cert_verify_callback(ctx, verify_with_pinned_ca, t);
        if (t->cert_der)
                SSL_CTX_set_cert_cb(ctx, present_client_cert, t);
        return 0;
}

static int send_all(int fd, const char *buf, size_t n, usec_t deadline) {
        while (n > 0) {
                ssize_t k = send(fd, buf, n, MSG_NOSIGNAL);
                if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
                        int r = wait_fd(fd, POLLOUT, deadline);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (k < 0)
                        return -errno;
                buf += k;
                n -= (size_t) k;
        }
        return 0;
}

/* Through the proxy p already connected on fd: CONNECT to the server, the tunnel that TLS
 * then runs in. */
static int proxy_tunnel(Transport *t, int fd, const HttpUrl *p, usec_t deadline, char **error) {
        _cleanup_(http_response_done) HttpResponse resp = { .no_body = true };
        _cleanup_erase_free_ char *credentials = NULL, *auth = NULL;
        _cleanup_free_ char *req = NULL;
        char buf[4096];
        size_t used;
        int r, n;

        if (p->user) {
                n = asprintf(&credentials, "%s:%s", p->user, strempty(p->password));
                if (n < 0 || !(auth = malloc(4 * ((size_t) n + 2) / 3 + 1)))
                        return set_error(error, -ENOMEM, "out of memory");
                (void) EVP_EncodeBlock((unsigned char *) auth, (const unsigned char *) credentials, n);
        }
        n = asprintf(&req, "CONNECT %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: vigie/" VERSION "\r\n%s%s%s\r\n",
                     t->authority, t->authority, auth ? "Proxy-Authorization: Basic " : "", strempty(auth),
                     auth ? "\r\n" : "");
        if (n < 0)
                return set_error(error, -ENOMEM, "out of memory");
        r = send_all(fd, req, (size_t) n, deadline);
        if (r < 0)
                return set_error(error, r == -ETIMEDOUT ? r : -ECONNRESET, "cannot send CONNECT to the proxy %s:%s: %s",
                                 p->host, p->port, strerror(-r));
        for (;;) {
                ssize_t k = recv(fd, buf, sizeof buf, 0);
                if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
                        if ((r = wait_fd(fd, POLLIN, deadline)) < 0)
                                return set_error(error, r, "the proxy %s:%s did not answer CONNECT in time", p->host,
                                                 p->port);
                        continue;
                }
                if (k < 0)
                        return set_error(error, -ECONNRESET, "cannot read the proxy %s:%s's answer: %m", p->host, p->port);
                r = k == 0 ? http_response_eof(&resp) : http_response_feed(&resp, buf, (size_t) k, &used);
                if (r < 0)
                        return set_error(error, r == -ENOMEM ? r : r == -ECONNRESET ? r : -EPROTO,
                                         "the proxy %s:%s answered CONNECT wrongly: %s", p->host, p->port, resp.error);
                if (r == 0)
                        continue;
                if (resp.status < 200 || resp.status > 299)
                        return set_error(error, -ECONNREFUSED, "the proxy %s:%s refused the tunnel to %s: HTTP %d",
                                         p->host, p->port, t->authority, resp.status);
                if (used < (size_t) k) /* the server speaks after our ClientHello only */
                        return set_error(error, -EPROTO, "the proxy %s:%s sent bytes after its answer to CONNECT",
                                         p->host, p->port);
                return 0;
        }
}

/* A TCP connection to the server, or to the proxy the environment sets and a tunnel
 * through it. */
static int tunnel_or_direct(Transport *t, usec_t deadline, int *ret_fd, char **error) {
        _cleanup_(http_url_done) HttpUrl p = {};
        _cleanup_close_ int fd = -1;
        const char *proxy = http_proxy_from_environment(t->server.host);
        int r;

        if (!proxy)
                return tcp_connect("host", t->server.host, t->server.port, deadline, ret_fd, error);
        if (http_url_parse(proxy, "http", &p) < 0)
                return set_error(error, -EINVAL, "the proxy \"%s\" (https_proxy) is not an http://[user:password@]host[:port] URL",
                                 proxy);
        r = tcp_connect("proxy", p.host, p.port, deadline, &fd, error);
        if (r < 0)
                return r;
        r = proxy_tunnel(t, fd, &p, deadline, error);
        if (r < 0)
                return r;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static int transport_connect(Transport *t, usec_t deadline, char **error) {
        usec_t connect_deadline = MIN(deadline, now_monotonic() + t->connect_timeout);
        BIO *bio;
        int r, k;

        r = tls_context(t, error);
        if (r < 0)
                return r;
        r = tunnel_or_direct(t, connect_deadline, &t->fd, error);
        if (r < 0)
                return r;
        t->ssl = SSL_new(t->ctx);
        bio = socket_bio_new(t->fd);
        if (!t->ssl || !bio) {
                BIO_free(bio);
                return set_error(error, -ENOMEM, "cannot set up TLS: out of memory");
        }
        SSL_set_bio(t->ssl, bio, bio);
        SSL_set_hostflags(t->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        /* The certificate names the server: an address literal as an IP SAN; SNI is for
         * names only (RFC 6066). */
        if (t->server.literal ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), t->server.host) != 1
                              : SSL_set1_host(t->ssl, t->server.host) != 1 ||
                                        SSL_set_tlsext_host_name(t->ssl, t->server.host) != 1) {
                ERR_clear_error();
                return set_error(error, -ENOMEM, "cannot set up TLS: out of memory");
        }
        /* A session the server does not know (restarted, another instance, expired) only
         * costs it the full handshake it would have made anyway. */
        if (t->session && SSL_set_session(t->ssl, t->session) != 1)
                ERR_clear_error();
        while ((k = SSL_connect(t->ssl)) != 1) {
                r = tls_wait(t, k, connect_deadline);
                if (r == -ETIMEDOUT)
                        return set_error(error, r, "TLS handshake with %s timed out after %llu ms", t->authority,
                                         (unsigned long long) (t->connect_timeout / USEC_PER_MSEC));
                if (r <= 0)
                        return tls_failure(t, k, "TLS handshake with", error);
        }
        return 0;
}

static int tls_write_all(Transport *t, const char *buf, size_t n, usec_t deadline, char **error) {
        while (n > 0) {
                int k = SSL_write(t->ssl, buf, (int) MIN(n, (size_t) INT_MAX));
                if (k > 0) {
                        buf += k;
                        n -= (size_t) k;
                        continue;
                }
                int r = tls_wait(t, k, deadline);
                if (r == -ETIMEDOUT)
                        return set_error(error, r, "Operation timed out after %llu ms sending the request to %s",
                                         (unsigned long long) (t->timeout / USEC_PER_MSEC), t->authority);
                if (r <= 0)
                        return tls_failure(t, k, "Failure sending the request to", error);
        }
        return 0;
}

static int read_response(Transport *t, HttpResponse *resp, usec_t deadline, char **error) {
        char buf[16384];
        size_t used = 0;
        int k, r;

        for (;;) {
                k = SSL_read(t->ssl, buf, sizeof buf);
                if (k > 0)
                        r = http_response_feed(resp, buf, (size_t) k, &used);
                else if (SSL_get_error(t->ssl, k) == SSL_ERROR_ZERO_RETURN) {
                        ERR_clear_error();
                        r = http_response_eof(resp);
                } else {
                        r = tls_wait(t, k, deadline);
                        if (r == -ETIMEDOUT)
                                return set_error(error, r, "Operation timed out after %llu ms with %zu bytes of the "
                                                 "response from %s", (unsigned long long) (t->timeout / USEC_PER_MSEC),
                                                 resp->body_size, t->authority);
                        if (r <= 0)
                                return tls_failure(t, k, "Failure reading the response from", error);
                        continue;
                }
                if (r == -EFBIG)
                        return set_error(error, r, "response larger than the limit");
                if (r < 0)
                        return set_error(error, r, "%s (%s)", resp->error, t->authority);
                if (r == 1) {
                        if (k > 0 && used < (size_t) k)
                                resp->close = true; /* bytes beyond the response: not a connection to reuse */
                        return 0;
                }
        }
}

/* "METHOD /prefix/path HTTP/1.1", our headers and the caller's, the body: one buffer, so
 * that a small request is one TLS record. */
static int build_request(Transport *t, const char *method, const char *path, const char *content_type,
                         const void *body, size_t body_size, char *const *headers, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        size_t size = 0;

        if (!method[0] || strpbrk(method, " \r\n") || path[0] != '/' || strpbrk(path, " \r\n") ||
            (content_type && strpbrk(content_type, "\r\n")))
                return -EINVAL;
        for (char *const *h = headers; h && *h; h++)
                if (strpbrk(*h, "\r\n") || !strchr(*h, ':'))
                        return -EINVAL;
        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fprintf(f, "%s %s%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: vigie/" VERSION "\r\nAccept: */*\r\n", method,
                t->server.path, path, t->host_header);
        if (content_type)
                fprintf(f, "Content-Type: %s\r\n", content_type);
        for (char *const *h = headers; h && *h; h++)
                fprintf(f, "%s\r\n", *h);
        if (!streq(method, "GET") || body_size > 0)
                fprintf(f, "Content-Length: %zu\r\n", body_size);
        fputs("\r\n", f);
        if (body_size > 0)
                fwrite(body, 1, body_size, f);
        if (fclose(TAKE_PTR(f)) != 0)
                return -ENOMEM;
        *ret_size = size;
        *ret = TAKE_PTR(buf);
        return 0;
}

int transport_request(Transport *t, const char *method, const char *path, const char *content_type,
                      const void *body, size_t body_size, char *const *headers,
                      TransportResponse *ret, char **ret_error) {
        _cleanup_(http_response_done) HttpResponse resp = {};
        _cleanup_free_ char *req = NULL, *error = NULL;
        usec_t deadline = now_monotonic() + t->timeout;
        size_t req_size;
        int r;

        r = build_request(t, method, path, content_type, body, body_size, headers, &req, &req_size);
        if (r < 0)
                return r;
        /* A kept connection the server closed in the meantime fails before any byte of the
         * response: then once more on a new connection (libcurl does the same). */
        for (unsigned attempt = 0;; attempt++) {
                bool reused = t->ssl;

                http_response_done(&resp);
                resp = (HttpResponse) { .max_body = t->max_response };
                r = t->ssl ? 0 : transport_connect(t, deadline, &error);
                if (r >= 0)
                        r = tls_write_all(t, req, req_size, deadline, &error);
                if (r >= 0)
                        r = read_response(t, &resp, deadline, &error);
                if (r >= 0) {
                        keep_session(t);
                        break;
                }
                transport_disconnect(t);
                if (!(reused && attempt == 0 && r == -ECONNRESET && !http_response_started(&resp))) {
                        if (ret_error)
                                *ret_error = TAKE_PTR(error);
                        return r;
                }
        }
        if (resp.close)
                transport_disconnect(t);
        *ret = (TransportResponse) { .status = resp.status, .body = TAKE_PTR(resp.body), .body_size = resp.body_size,
                                     .etag = TAKE_PTR(resp.etag), .retry_after_s = resp.retry_after_s };
        return 0;
}

void transport_response_done(TransportResponse *r) {
        free(r->body);
        free(r->etag);
        *r = (TransportResponse) {};
}

char *transport_response_describe(const TransportResponse *r) {
        _cleanup_json_ json_object *j = NULL;
        const char *error = NULL, *detail = NULL;
        char *s;

        if (json_parse(r->body, r->body_size, &j, NULL) >= 0) {
                (void) json_get_string(j, "", "error", &error, NULL);
                (void) json_get_string(j, "", "detail", &detail, NULL);
        }
        if (error)
                return asprintf(&s, "HTTP %ld: %.200s%s%.300s%s", r->status, error, detail ? " (" : "",
                                strempty(detail), detail ? ")" : "") < 0 ? NULL : s;
        return asprintf(&s, "HTTP %ld: \"%.200s\"", r->status, r->body) < 0 ? NULL : s;
}
