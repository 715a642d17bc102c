/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "cleanup.h"
#include "curl-dl.h"
#include "json-util.h"
#include "jws.h"
#include "parse-util.h"
#include "transport.h"

struct Transport {
        const CurlApi *api;
        CURL *curl;
        char *server_url;
        char *ca_file;
        X509 *cert;
        EVP_PKEY *key;
        size_t max_response;
        char errbuf[CURL_ERROR_SIZE];
};

typedef struct Sink {
        char *data;
        size_t size, max;
        bool too_big;
} Sink;

static size_t sink_write(char *ptr, size_t size, size_t nmemb, void *userdata) {
        Sink *s = userdata;
        size_t n = size * nmemb;
        char *d;

        if (n > s->max - s->size) {
                s->too_big = true;
                return 0; /* aborts the transfer */
        }
        d = realloc(s->data, s->size + n + 1);
        if (!d)
                return 0;
        memcpy(d + s->size, ptr, n);
        s->size += n;
        d[s->size] = 0;
        s->data = d;
        return n;
}

static CURLcode ssl_ctx_setup(CURL *curl, void *sslctx, void *userdata) {
        Transport *t = userdata;
        SSL_CTX *ctx = sslctx;

        (void) curl;
        /* Only our own certificate: OpenSSL would otherwise build a chain from the CA file and
         * send the Vigie CA along, which the server has, but decodes again (public key and
         * all: 1.6 M instructions per handshake on OpenSSL 3.0, docs/performance.md). */
        SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
        /* The key may live in a provider (TPM): OpenSSL takes the EVP_PKEY as it is. */
        if (t->cert && (SSL_CTX_use_certificate(ctx, t->cert) != 1 ||
                        SSL_CTX_use_PrivateKey(ctx, t->key) != 1 || SSL_CTX_check_private_key(ctx) != 1)) {
                ERR_clear_error();
                return CURLE_SSL_CERTPROBLEM;
        }
        return CURLE_OK;
}

Transport *transport_free(Transport *t) {
        if (!t)
                return NULL;
        if (t->curl)
                t->api->easy_cleanup(t->curl);
        free(t->server_url);
        free(t->ca_file);
        X509_free(t->cert);
        EVP_PKEY_free(t->key);
        free(t);
        return NULL;
}

X509 *transport_client_cert(const Transport *t) {
        return t->cert;
}

const char *transport_strerror(int r) {
        const char *e = r == -ELIBACC ? curl_api_error() : NULL;
        return e ? e : strerror(-r);
}

int transport_new(const TransportOptions *o, Transport **ret) {
        _cleanup_(transport_freep) Transport *t = NULL;
        long connect_ms = (long) ((o->connect_timeout ?: 10 * USEC_PER_SEC) / USEC_PER_MSEC);
        long total_ms = (long) ((o->timeout ?: 30 * USEC_PER_SEC) / USEC_PER_MSEC);
        size_t n;

        if (!o->server_url || strncmp(o->server_url, "https://", 8) != 0 || !o->ca_file ||
            !o->cert != !o->key)
                return -EINVAL;
        const CurlApi *api;
        int k = curl_api_load(&api);
        if (k < 0)
                return k;
        if (api->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return -EIO;
        t = calloc(1, sizeof(Transport));
        if (!t)
                return -ENOMEM;
        t->api = api;
        t->server_url = strdup(o->server_url);
        t->ca_file = strdup(o->ca_file);
        t->curl = api->easy_init();
        if (!t->server_url || !t->ca_file || !t->curl)
                return -ENOMEM;
        n = strlen(t->server_url);
        while (n > 8 && t->server_url[n - 1] == '/')
                t->server_url[--n] = 0;
        if (o->cert) {
                t->cert = o->cert;
                t->key = o->key;
                X509_up_ref(t->cert);
                EVP_PKEY_up_ref(t->key);
        }
        t->max_response = o->max_response ?: TRANSPORT_RESPONSE_MAX;

        /* CURLOPT_NOSIGNAL stays off: libcurl then ignores SIGPIPE during each transfer,
         * so a server that closes mid-write is an error, not our death. */
        if (t->api->easy_setopt(t->curl, CURLOPT_ERRORBUFFER, t->errbuf) != CURLE_OK ||
            t->api->easy_setopt(t->curl, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK ||
            t->api->easy_setopt(t->curl, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
            t->api->easy_setopt(t->curl, CURLOPT_SSLVERSION, (long) CURL_SSLVERSION_TLSv1_2) != CURLE_OK ||
            t->api->easy_setopt(t->curl, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
            t->api->easy_setopt(t->curl, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
            /* The pinned CA and nothing else: no system store. */
            t->api->easy_setopt(t->curl, CURLOPT_CAINFO, t->ca_file) != CURLE_OK ||
            t->api->easy_setopt(t->curl, CURLOPT_CAPATH, NULL) != CURLE_OK ||
            t->api->easy_setopt(t->curl, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_setup) != CURLE_OK ||
            t->api->easy_setopt(t->curl, CURLOPT_SSL_CTX_DATA, t) != CURLE_OK ||
            t->api->easy_setopt(t->curl, CURLOPT_CONNECTTIMEOUT_MS, connect_ms) != CURLE_OK ||
            t->api->easy_setopt(t->curl, CURLOPT_TIMEOUT_MS, total_ms) != CURLE_OK ||
            t->api->easy_setopt(t->curl, CURLOPT_USERAGENT, "vigie/" VERSION) != CURLE_OK ||
            t->api->easy_setopt(t->curl, CURLOPT_WRITEFUNCTION, sink_write) != CURLE_OK)
                return -EIO;
        *ret = TAKE_PTR(t);
        return 0;
}

static int curl_error_to_errno(CURLcode c) {
        switch (c) {
        case CURLE_COULDNT_CONNECT: return -ECONNREFUSED;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY: return -EHOSTUNREACH;
        case CURLE_OPERATION_TIMEDOUT: return -ETIMEDOUT;
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CIPHER: return -EPROTO;
        case CURLE_GOT_NOTHING:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR: return -ECONNRESET;
        default: return -EIO;
        }
}

/* A key held by a provider (the TPM's) must sign the TLS handshake in that provider: libssl
 * fetches its signature with the SSL_CTX's property query, and curl makes the SSL_CTX with
 * none, so OpenSSL 3.0 would pick the default provider's ECDSA on an exported public key
 * ("missing private key"). For the request only, the provider is preferred. */
static CURLcode perform_with_key_provider(Transport *t) {
        char propq[EVP_PKEY_PROPQ_MAX];
        const char *q = t->key ? evp_pkey_sign_propq(t->key, propq) : NULL;
        unsigned char seed;
        CURLcode c;

        /* The random generators are made at first use: from the default provider, before. */
        if (q && (RAND_bytes(&seed, 1) != 1 || RAND_priv_bytes(&seed, 1) != 1 ||
                  EVP_set_default_properties(NULL, q) != 1))
                return CURLE_SSL_CERTPROBLEM;
        c = t->api->easy_perform(t->curl);
        if (q)
                (void) EVP_set_default_properties(NULL, "");
        return c;
}

int transport_request(Transport *t, const char *method, const char *path, const char *content_type,
                      const void *body, size_t body_size, char *const *headers,
                      TransportResponse *ret, char **ret_error) {
        _cleanup_(curl_api_slist_freep) struct curl_slist *list = NULL;
        _cleanup_free_ char *url = NULL, *ct = NULL;
        Sink sink = { .max = t->max_response };
        struct curl_header *h = NULL;
        CURLcode c;
        long status = 0;

        if (asprintf(&url, "%s%s", t->server_url, path) < 0)
                return -ENOMEM;
        if (content_type) {
                if (asprintf(&ct, "Content-Type: %s", content_type) < 0)
                        return -ENOMEM;
                if (!(list = t->api->slist_append(list, ct)))
                        return -ENOMEM;
        }
        for (char *const *i = headers; i && *i; i++) {
                struct curl_slist *l = t->api->slist_append(list, *i);
                if (!l)
                        return -ENOMEM;
                list = l;
        }
        /* No "Expect: 100-continue" round trip for our small bodies. */
        {
                struct curl_slist *l = t->api->slist_append(list, "Expect:");
                if (!l)
                        return -ENOMEM;
                list = l;
        }
        t->errbuf[0] = 0;
        if (t->api->easy_setopt(t->curl, CURLOPT_URL, url) != CURLE_OK ||
            t->api->easy_setopt(t->curl, CURLOPT_HTTPHEADER, list) != CURLE_OK ||
            t->api->easy_setopt(t->curl, CURLOPT_WRITEDATA, &sink) != CURLE_OK)
                return -EIO;
        if (streq(method, "GET"))
                c = t->api->easy_setopt(t->curl, CURLOPT_HTTPGET, 1L);
        else {
                c = t->api->easy_setopt(t->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) body_size);
                if (c == CURLE_OK)
                        c = t->api->easy_setopt(t->curl, CURLOPT_POSTFIELDS, body ? body : "");
                if (c == CURLE_OK)
                        c = t->api->easy_setopt(t->curl, CURLOPT_CUSTOMREQUEST, streq(method, "POST") ? NULL : method);
        }
        if (c != CURLE_OK)
                return -EIO;
        c = perform_with_key_provider(t);
        (void) t->api->easy_setopt(t->curl, CURLOPT_CUSTOMREQUEST, NULL);
        (void) t->api->easy_setopt(t->curl, CURLOPT_HTTPHEADER, NULL);
        if (c != CURLE_OK) {
                int r = sink.too_big ? -EFBIG : curl_error_to_errno(c);
                free(sink.data);
                if (ret_error && asprintf(ret_error, "%s", sink.too_big ? "response larger than the limit" :
                                          t->errbuf[0] ? t->errbuf : t->api->easy_strerror(c)) < 0)
                        *ret_error = NULL;
                return r;
        }
        (void) t->api->easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
        *ret = (TransportResponse) { .status = status, .body = sink.data ? sink.data : strdup(""),
                                     .body_size = sink.size };
        if (!ret->body)
                return -ENOMEM;
        if (t->api->easy_header(t->curl, "ETag", 0, CURLH_HEADER, -1, &h) == CURLHE_OK && h->value &&
            strlen(h->value) <= 256)
                ret->etag = strdup(h->value);
        if (t->api->easy_header(t->curl, "Retry-After", 0, CURLH_HEADER, -1, &h) == CURLHE_OK && h->value) {
                int64_t v;
                /* Seconds only (what vigie-server sends), capped at a day. */
                if (parse_int64(h->value, &v) >= 0 && v > 0)
                        ret->retry_after_s = (uint64_t) MIN(v, (int64_t) 86400);
        }
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
