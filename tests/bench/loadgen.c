/* SPDX-License-Identifier: MIT */
/* Load generator for vigie-server (tests/bench/bench-ingest.sh and scale.py build and run it).
 *
 *   loadgen --port P[,P2…] --ca CA --token T [--concurrency C] [--seconds S]
 *           [--mode keepalive|handshake|resume] [--server-pid PID] [--devices N] [--rate R]
 *           [--burst-at S --burst-seconds S --burst-factor F] [--gzip] [--acks FILE]
 *           [--report FILE]
 *
 * Each of C threads enrolls its devices (N/C each, at least one: P-256 key, CSR, POST
 * /v1/enroll), then posts signed, chained reports for S seconds over OpenSSL directly,
 * device after device: on one kept-alive mTLS connection per device, or with a fresh
 * TLS 1.3 mTLS handshake (no resumption) per report, or a new connection per report that
 * resumes the device's previous TLS session (resume: what an agent daemon keeping its
 * session between hourly cycles makes). --rate paces the total to R reports/s
 * (F times that during the burst). With several ports, a device whose server fails
 * (connection refused or reset, 503) fails over to the next one and resends the same
 * report. Prints reports/s, p50/p99 latency, failovers, and the server's CPU time per
 * report from /proc/PID/stat; --acks writes "DEVICE SEQ HASH" per acknowledged report.
 *
 * Reports carry three checks with empty evidence (1.4 KB of JWS) unless --report FILE names
 * what `vigie check --json` prints (plain or gzip'ed): then every report carries that
 * file's "compliant" and "checks", a real laptop's evidence (~40 KB of JWS), the same from
 * one report to the next as on a stable laptop, but each check's duration_us changed as a
 * real agent's timings change from cycle to cycle. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "cleanup.h"
#include "fs-util.h"
#include "gzip-util.h"
#include "json-util.h"
#include "jws.h"
#include "macro.h"
#include "malloc-tune.h"
#include "report.h"

#define MAX_PORTS 8

static int ports[MAX_PORTS], n_ports, concurrency = 16, seconds = 10, n_devices;
static bool handshake_mode, resume_mode, use_gzip;
static double rate, burst_at, burst_seconds, burst_factor = 1;
static const char *ca_file, *token, *acks_file;
static int server_pid;
static atomic_bool stop;
static uint64_t started_us;

/* --report FILE: each check's JSON without its duration_us and closing brace, and that
 * duration; the text of all of them, for sizing a report's claims. */
typedef struct Template {
        bool compliant;
        size_t n;
        char **head;
        int64_t *duration;
        size_t size;
} Template;
static Template template;

typedef struct Device {
        EVP_PKEY *key;
        X509 *cert;
        SSL_CTX *ctx;
        SSL *ssl;   /* kept alive between reports (keepalive mode) */
        SSL_SESSION *session; /* offered on the next connection (resume mode) */
        int server; /* index in ports[] */
        char id[37], kid[JWS_KID_SIZE], prev[REPORT_HASH_SIZE];
        int64_t seq;
        char *pending; /* the report being sent, resent as is after a failure */
} Device;

typedef struct Ack {
        int device;
        int64_t seq;
        char hash[REPORT_HASH_SIZE];
} Ack;

typedef struct Worker {
        pthread_t thread;
        Device *devs;
        size_t n_devs;
        uint64_t *lat_us;
        size_t n, cap, errors, failovers, resumed;
        size_t jws_bytes, wire_bytes; /* of the reports acknowledged */
        Ack *acks;
} Worker;

static uint64_t now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static SSL_CTX *new_ctx(EVP_PKEY *key, X509 *cert) {
        SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
        if (!ctx || SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1)
                return NULL;
        SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
        /* As the agent's transport: a reply the server ends without a close_notify is not
         * a truncation (OpenSSL 3.2 and later would spoil the session for it). */
        SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        /* A full handshake every time unless resuming: no session cache, no tickets. */
        if (!resume_mode) {
                SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
                SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
        }
        /* Only the device certificate, as the agent sends it (common/transport.c). */
        SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
        if (cert && (SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1))
                return NULL;
        return ctx;
}

static SSL *connect_tls(SSL_CTX *ctx, int port, SSL_SESSION *session) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        SSL *ssl;

        inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                if (fd >= 0)
                        close(fd);
                return NULL;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int) { 1 }, sizeof(int));
        ssl = SSL_new(ctx);
        SSL_set_fd(ssl, fd);
        SSL_set_tlsext_host_name(ssl, "localhost");
        if (session)
                SSL_set_session(ssl, session);
        if (SSL_connect(ssl) != 1) {
                SSL_free(ssl);
                close(fd);
                return NULL;
        }
        return ssl;
}

static void close_tls(SSL *ssl) {
        int fd = SSL_get_fd(ssl);
        /* A close_notify, as the agent sends: without it OpenSSL takes the session for
         * a broken one and will not offer it again. */
        if (resume_mode)
                (void) SSL_shutdown(ssl);
        SSL_free(ssl);
        close(fd);
}

/* One request; returns the HTTP status (0 on a transport error). body_out: the reply body;
 * sent_out: the body's bytes on the wire (compressed or not). */
static int http_post(SSL *ssl, const char *path, const char *body, bool close_after, char **body_out,
                     size_t *sent_out) {
        char head[512], buf[16384];
        char *gz = NULL, *req;
        size_t have = 0, size = strlen(body);
        int n, status = 0;
        long clen = -1;
        char *end;

        if (use_gzip && strcmp(path, "/v1/reports") == 0) {
                if (gzip_compress(body, size, &gz, &size) < 0)
                        return 0;
                body = gz;
        }
        n = snprintf(head, sizeof(head),
                     "POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n%s%s\r\n", path, size,
                     close_after ? "Connection: close\r\n" : "", gz ? "Content-Encoding: gzip\r\n" : "");
        /* Headers and body in one buffer, one TLS record, as the agent sends them
         * (common/transport.c build_request()): the server reads what laptops send. */
        req = malloc((size_t) n + size);
        if (req) {
                memcpy(req, head, (size_t) n);
                memcpy(req + n, body, size);
        }
        free(gz);
        if (sent_out)
                *sent_out = size;
        if (!req || SSL_write(ssl, req, n + (int) size) != n + (int) size) {
                free(req);
                return 0;
        }
        free(req);
        for (;;) {
                n = SSL_read(ssl, buf + have, (int) (sizeof(buf) - 1 - have));
                if (n <= 0)
                        return 0;
                have += n;
                buf[have] = 0;
                end = strstr(buf, "\r\n\r\n");
                if (!end)
                        continue;
                if (status == 0) {
                        char *cl = strcasestr(buf, "Content-Length:");
                        status = (int) strtol(buf + 9, NULL, 10);
                        clen = cl ? strtol(cl + 15, NULL, 10) : 0;
                }
                if ((long) (have - (end + 4 - buf)) >= clen)
                        break;
        }
        if (body_out)
                *body_out = strdup(end + 4);
        return status;
}

static int enroll(Device *w) {
        X509_REQ *req = X509_REQ_new();
        X509_NAME *name = X509_NAME_new();
        BIO *b = BIO_new(BIO_s_mem());
        unsigned char u[16];
        char *pem, *reply = NULL;
        json_object *j, *c;
        SSL_CTX *ctx;
        SSL *ssl;
        long len;
        int status;

        RAND_bytes(u, sizeof(u));
        u[6] = (u[6] & 0x0f) | 0x40;
        u[8] = (u[8] & 0x3f) | 0x80;
        snprintf(w->id, sizeof(w->id),
                 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
                 u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
        w->key = EVP_EC_gen("P-256");
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (unsigned char *) w->id, -1, -1, 0);
        X509_REQ_set_subject_name(req, name);
        X509_REQ_set_pubkey(req, w->key);
        X509_REQ_sign(req, w->key, EVP_sha256());
        PEM_write_bio_X509_REQ(b, req);
        len = BIO_get_mem_data(b, &pem);
        j = json_object_new_object();
        json_object_object_add(j, "token", json_object_new_string(token));
        json_object_object_add(j, "csr", json_object_new_string_len(pem, (int) len));
        ctx = new_ctx(NULL, NULL);
        ssl = ctx ? connect_tls(ctx, ports[w->server], NULL) : NULL;
        status = ssl ? http_post(ssl, "/v1/enroll", json_object_to_json_string(j), true, &reply, NULL) : 0;
        json_object_put(j);
        if (ssl)
                close_tls(ssl);
        SSL_CTX_free(ctx);
        X509_REQ_free(req);
        X509_NAME_free(name);
        BIO_free(b);
        if (status != 201) {
                fprintf(stderr, "loadgen: enrollment failed (HTTP %d): %s\n", status, reply ? reply : "");
                free(reply);
                return -1;
        }
        j = json_tokener_parse(reply);
        free(reply);
        if (!j || !json_object_object_get_ex(j, "certificate", &c))
                return -1;
        b = BIO_new_mem_buf(json_object_get_string(c), -1);
        w->cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
        BIO_free(b);
        json_object_put(j);
        if (!w->cert || cert_kid(w->cert, w->kid) < 0)
                return -1;
        w->ctx = new_ctx(w->key, w->cert);
        return w->ctx ? 0 : -1;
}

/* Reads FILE as `vigie check --json` prints it (gzip'ed or not) into template. */
static int template_load(const char *path) {
        _cleanup_free_ char *text = NULL, *plain = NULL;
        _cleanup_json_ json_object *j = NULL;
        json_object *checks, *compliant;
        size_t size;
        int r = read_file_full(path, 16 << 20, &text, &size);

        if (r < 0) {
                fprintf(stderr, "loadgen: cannot read \"%s\": %s\n", path, strerror(-r));
                return -1;
        }
        if (size >= 2 && (uint8_t) text[0] == 0x1f && (uint8_t) text[1] == 0x8b &&
            gzip_inflate(text, size, 16 << 20, &plain, &size) < 0) {
                fprintf(stderr, "loadgen: \"%s\" is not valid gzip\n", path);
                return -1;
        }
        j = json_tokener_parse(plain ?: text);
        if (!j || !json_object_object_get_ex(j, "checks", &checks) || !json_object_is_type(checks, json_type_array) ||
            !json_object_object_get_ex(j, "compliant", &compliant)) {
                fprintf(stderr, "loadgen: \"%s\" is not what \"vigie check --json\" prints\n", path);
                return -1;
        }
        template.compliant = json_object_get_boolean(compliant);
        template.n = json_object_array_length(checks);
        template.head = calloc(template.n, sizeof(char *));
        template.duration = calloc(template.n, sizeof(int64_t));
        if (!template.head || !template.duration)
                return -1;
        for (size_t i = 0; i < template.n; i++) {
                json_object *c = json_object_array_get_idx(checks, i), *d;
                size_t len;

                if (json_object_object_get_ex(c, "duration_us", &d))
                        template.duration[i] = json_object_get_int64(d);
                json_object_object_del(c, "duration_us");
                template.head[i] = strdup(json_compact(c));
                if (!template.head[i])
                        return -1;
                len = strlen(template.head[i]);
                template.head[i][len - 1] = 0; /* the closing brace */
                template.size += len + 40;
        }
        return 0;
}

/* The claims of a report of a real laptop's checks (--report). The durations differ from
 * one report to the next and between devices, as real timings do: each report stores the
 * chunks around them anew, as a real agent's does. */
static char *real_claims(const char *head, const char *id, int64_t seq) {
        uint64_t mix = strtoull((const char[9]) { id[0], id[1], id[2], id[3], id[4], id[5], id[6], id[7] }, NULL, 16);
        size_t size = strlen(head) + template.size + 32, at;
        char *claims = malloc(size);

        if (!claims)
                return NULL;
        at = (size_t) snprintf(claims, size, "%s\"compliant\":%s,\"checks\":[", head,
                               template.compliant ? "true" : "false");
        for (size_t i = 0; i < template.n; i++)
                at += (size_t) snprintf(claims + at, size - at, "%s%s,\"duration_us\":%" PRId64 "}", i ? "," : "",
                                        template.head[i],
                                        template.duration[i] + (int64_t) ((mix + (uint64_t) seq * 7919 * (i + 1)) % 100003));
        snprintf(claims + at, size - at, "]}");
        return claims;
}

static char *next_report(Device *w) {
        static const char small_checks[] =
                "\"compliant\":true,\"checks\":["
                "{\"id\":\"disk_encryption\",\"status\":\"pass\",\"title\":\"Disk encryption\","
                "\"summary\":\"/ is on LUKS2\",\"remediation\":null,\"deadline\":null,\"evidence\":{},\"duration_us\":5},"
                "{\"id\":\"patch_level\",\"status\":\"pass\",\"title\":\"Patch level\",\"summary\":\"up to date\","
                "\"remediation\":null,\"deadline\":null,\"evidence\":{},\"duration_us\":5},"
                "{\"id\":\"backup\",\"status\":\"pass\",\"title\":\"Backup\",\"summary\":\"2 h ago\","
                "\"remediation\":null,\"deadline\":null,\"evidence\":{},\"duration_us\":5}]}";
        _cleanup_free_ char *big = NULL;
        char head[1536], prev[80], *claims = head;
        char *jws = NULL;

        if (w->seq == 0)
                snprintf(prev, sizeof(prev), "null");
        else
                snprintf(prev, sizeof(prev), "\"%s\"", w->prev);
        snprintf(head, sizeof(head),
                 "{\"sub\":\"%s\",\"iat\":%lld,\"seq\":%" PRId64 ",\"prev\":%s,"
                 "\"agent\":{\"version\":\"0.1.0\",\"key\":\"file\"},"
                 "\"host\":{\"hostname\":\"bench-%.8s\",\"os\":{\"id\":\"debian\",\"version_id\":\"12\","
                 "\"pretty\":\"Debian GNU/Linux 12 (bookworm)\"},\"kernel\":\"6.1.0\"},"
                 "\"policy\":{\"id\":\"default\",\"version\":1},%s",
                 w->id, (long long) time(NULL), w->seq + 1, prev, w->id, template.head ? "" : small_checks);
        if (template.head && !(claims = big = real_claims(head, w->id, w->seq + 1)))
                return NULL;
        if (jws_sign(w->key, w->kid, NULL, claims, strlen(claims), &jws) < 0)
                return NULL;
        return jws;
}

/* Paces this worker's share of --rate, F times faster during the burst. */
static void pace(uint64_t *next) {
        double share = rate / concurrency, t = (double) (now_us() - started_us) / 1e6;
        uint64_t now;

        if (rate <= 0)
                return;
        if (burst_seconds > 0 && t >= burst_at && t < burst_at + burst_seconds)
                share *= burst_factor;
        *next += (uint64_t) (1e6 / share);
        now = now_us();
        if (*next > now)
                usleep((useconds_t) (*next - now));
        else if (now - *next > 1000000)
                *next = now; /* fell behind by a second: do not catch up in a flood */
}

static void send_one(Worker *w, size_t i) {
        Device *d = &w->devs[i];
        uint64_t t0 = now_us();
        size_t sent = 0;
        int status;

        if (!d->pending && !(d->pending = next_report(d)))
                return;
        if (!d->ssl)
                d->ssl = connect_tls(d->ctx, ports[d->server], d->session);
        status = d->ssl ? http_post(d->ssl, "/v1/reports", d->pending, handshake_mode, NULL, &sent) : 0;
        if (status == 202 || status == 200) {
                d->seq++;
                w->jws_bytes += strlen(d->pending);
                w->wire_bytes += sent;
                report_hash(d->pending, strlen(d->pending), d->prev);
                if (w->n == w->cap) {
                        w->cap = w->cap ? w->cap * 2 : 4096;
                        w->lat_us = realloc(w->lat_us, w->cap * sizeof(uint64_t));
                        w->acks = realloc(w->acks, w->cap * sizeof(Ack));
                }
                w->acks[w->n] = (Ack) { .device = (int) i, .seq = d->seq };
                memcpy(w->acks[w->n].hash, d->prev, REPORT_HASH_SIZE);
                w->lat_us[w->n++] = now_us() - t0;
                free(d->pending);
                d->pending = NULL;
        } else {
                w->errors++;
                if ((status == 0 || status == 503) && n_ports > 1) {
                        d->server = (d->server + 1) % n_ports;
                        w->failovers++;
                }
        }
        if (d->ssl && (handshake_mode || status != 202)) {
                if (resume_mode) {
                        if (SSL_session_reused(d->ssl))
                                w->resumed++;
                        SSL_SESSION_free(d->session);
                        d->session = SSL_get1_session(d->ssl); /* the ticket came with the reply */
                }
                close_tls(d->ssl);
                d->ssl = NULL;
        }
}

static void *work(void *userdata) {
        Worker *w = userdata;
        uint64_t next = now_us();

        for (size_t i = 0; !atomic_load(&stop); i = (i + 1) % w->n_devs) {
                pace(&next);
                send_one(w, i);
        }
        for (size_t i = 0; i < w->n_devs; i++)
                if (w->devs[i].ssl)
                        close_tls(w->devs[i].ssl);
        return NULL;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

/* The server's CPU seconds (utime + stime) and minor page faults, from /proc/PID/stat: a
 * fault costs ~10 µs in this machine's VM, so they tell where kernel time goes. */
typedef struct ServerUsage {
        double cpu;
        unsigned long faults;
} ServerUsage;

static ServerUsage server_usage(void) {
        char path[64], buf[1024], *p;
        unsigned long flt = 0, ut = 0, st = 0;
        FILE *f;

        if (server_pid <= 0)
                return (ServerUsage) {};
        snprintf(path, sizeof(path), "/proc/%d/stat", server_pid);
        f = fopen(path, "re");
        if (!f || !fgets(buf, sizeof(buf), f)) {
                if (f)
                        fclose(f);
                return (ServerUsage) {};
        }
        fclose(f);
        p = strrchr(buf, ')'); /* fields after the command name: state is field 3 */
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %lu %*u %*u %*u %lu %lu", &flt, &ut, &st) != 3)
                return (ServerUsage) {};
        return (ServerUsage) { (double) (ut + st) / (double) sysconf(_SC_CLK_TCK), flt };
}

/* This process's CPU seconds: the generator shares the machine with what it measures. */
static double own_cpu_seconds(void) {
        struct rusage ru;

        getrusage(RUSAGE_SELF, &ru);
        return (double) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (double) (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void parse_ports(const char *arg) {
        char *end;

        for (const char *p = arg; *p && n_ports < MAX_PORTS; p = end + strspn(end, ",")) {
                ports[n_ports++] = (int) strtol(p, &end, 10);
                if (end == p)
                        break;
        }
}

static int write_acks(Worker *w) {
        FILE *f = fopen(acks_file, "we");
        if (!f)
                return -1;
        for (int i = 0; i < concurrency; i++)
                for (size_t j = 0; j < w[i].n; j++)
                        fprintf(f, "%s %" PRId64 " %s\n", w[i].devs[w[i].acks[j].device].id, w[i].acks[j].seq,
                                w[i].acks[j].hash);
        return fclose(f);
}

int main(int argc, char *argv[]) {
        static const struct option opts[] = {
                { "port", required_argument, NULL, 'p' }, { "ca", required_argument, NULL, 'c' },
                { "token", required_argument, NULL, 't' }, { "concurrency", required_argument, NULL, 'n' },
                { "seconds", required_argument, NULL, 's' }, { "mode", required_argument, NULL, 'm' },
                { "server-pid", required_argument, NULL, 'P' }, { "devices", required_argument, NULL, 'd' },
                { "rate", required_argument, NULL, 'r' }, { "burst-at", required_argument, NULL, 'a' },
                { "burst-seconds", required_argument, NULL, 'b' }, { "burst-factor", required_argument, NULL, 'f' },
                { "gzip", no_argument, NULL, 'z' }, { "acks", required_argument, NULL, 'A' },
                { "report", required_argument, NULL, 'R' }, {}
        };
        Worker *w;
        uint64_t *all, t0, t1;
        size_t total = 0, errors = 0, failovers = 0, resumed = 0, k = 0, jws_bytes = 0, wire_bytes = 0;
        double own0, own1, secs;
        ServerUsage use0, use1;
        int c;

        /* The generator shares the server's cores: its reports' buffers kept mapped, it does
         * not fault them in again for each report (malloc-tune.h). */
        (void) malloc_keep_freed(16u << 20, 2u << 20);
        while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0)
                switch (c) {
                case 'p': parse_ports(optarg); break;
                case 'c': ca_file = optarg; break;
                case 't': token = optarg; break;
                case 'n': concurrency = (int) strtol(optarg, NULL, 10); break;
                case 's': seconds = (int) strtol(optarg, NULL, 10); break;
                case 'm':
                        resume_mode = strcmp(optarg, "resume") == 0;
                        handshake_mode = resume_mode || strcmp(optarg, "handshake") == 0;
                        break;
                case 'P': server_pid = (int) strtol(optarg, NULL, 10); break;
                case 'd': n_devices = (int) strtol(optarg, NULL, 10); break;
                case 'r': rate = strtod(optarg, NULL); break;
                case 'a': burst_at = strtod(optarg, NULL); break;
                case 'b': burst_seconds = strtod(optarg, NULL); break;
                case 'f': burst_factor = strtod(optarg, NULL); break;
                case 'z': use_gzip = true; break;
                case 'A': acks_file = optarg; break;
                case 'R':
                        if (template_load(optarg) < 0)
                                return 1;
                        break;
                default: return 2;
                }
        if (!n_ports || !ca_file || !token || concurrency < 1) {
                fprintf(stderr, "usage: loadgen --port P[,P2…] --ca CA --token T [--concurrency C] [--seconds S] "
                                "[--mode keepalive|handshake|resume] [--server-pid PID] [--devices N] [--rate R] "
                                "[--burst-at S --burst-seconds S --burst-factor F] [--gzip] [--acks FILE] [--report FILE]\n");
                return 2;
        }
        signal(SIGPIPE, SIG_IGN); /* a killed server: EPIPE on a kept-alive connection, then failover */
        w = calloc(concurrency, sizeof(Worker));
        for (int i = 0; i < concurrency; i++) {
                int n = n_devices > concurrency ? n_devices / concurrency + (i < n_devices % concurrency) : 1;
                w[i].devs = calloc((size_t) n, sizeof(Device));
                w[i].n_devs = (size_t) n;
                for (int j = 0; j < n; j++) {
                        w[i].devs[j].server = (i + j) % n_ports;
                        if (enroll(&w[i].devs[j]) < 0)
                                return 1;
                }
        }
        fprintf(stderr, "loadgen: load starts\n"); /* scale.py times its kill -9 from here */
        fflush(stderr);
        use0 = server_usage();
        own0 = own_cpu_seconds();
        t0 = started_us = now_us();
        for (int i = 0; i < concurrency; i++)
                pthread_create(&w[i].thread, NULL, work, &w[i]);
        sleep((unsigned) seconds);
        atomic_store(&stop, true);
        for (int i = 0; i < concurrency; i++) {
                pthread_join(w[i].thread, NULL);
                total += w[i].n;
                errors += w[i].errors;
                failovers += w[i].failovers;
                resumed += w[i].resumed;
                jws_bytes += w[i].jws_bytes;
                wire_bytes += w[i].wire_bytes;
        }
        t1 = now_us();
        use1 = server_usage();
        own1 = own_cpu_seconds();
        all = malloc((total + 1) * sizeof(uint64_t));
        for (int i = 0; i < concurrency; i++)
                for (size_t j = 0; j < w[i].n; j++)
                        all[k++] = w[i].lat_us[j];
        qsort(all, total, sizeof(uint64_t), cmp_u64);
        secs = (double) (t1 - t0) / 1e6;
        printf("mode=%s concurrency=%d devices=%d reports=%zu errors=%zu failovers=%zu seconds=%.2f "
               "reports_per_s=%.0f p50_ms=%.2f p99_ms=%.2f server_cpu_us_per_report=%.0f server_faults_per_report=%.2f "
               "loadgen_cpu_us_per_report=%.0f jws_bytes_per_report=%zu wire_bytes_per_report=%zu%s",
               resume_mode ? "resume" : handshake_mode ? "handshake" : "keepalive", concurrency, MAX(n_devices, concurrency), total, errors,
               failovers, secs, (double) total / secs, total ? (double) all[total / 2] / 1000 : 0,
               total ? (double) all[(size_t) ((double) total * 0.99)] / 1000 : 0,
               total && server_pid ? (use1.cpu - use0.cpu) * 1e6 / (double) total : 0,
               total && server_pid ? (double) (use1.faults - use0.faults) / (double) total : 0,
               total ? (own1 - own0) * 1e6 / (double) total : 0, total ? jws_bytes / total : 0,
               total ? wire_bytes / total : 0, resume_mode ? "" : "\n");
        if (resume_mode) /* the first connection of each device has nothing to resume */
                printf(" resumed=%zu\n", resumed);
        if (acks_file && write_acks(w) < 0) {
                fprintf(stderr, "loadgen: cannot write %s\n", acks_file);
                return 1;
        }
        return 0;
}
