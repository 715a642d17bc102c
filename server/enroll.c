/* SPDX-License-Identifier: MIT */
/* POST /v1/enroll (token + CSR, no client certificate) and POST /v1/renew (CSR, the
 * device's current certificate). Both issue a device certificate, record it, and revoke
 * every other certificate of the device — in the group-commit transaction, so the
 * certificate is only handed out once the records are durable. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cleanup.h"
#include "device-key.h"
#include "enroll-attest.h"
#include "enroll.h"
#include "json-util.h"
#include "log.h"
#include "store-identity.h"
#include "time-util.h"
#include "tokens.h"

_Static_assert(ENROLL_BODY_MAX <= HTTP_BODY_MAX_WITHOUT_CERT, "an enrollment body must be readable without a certificate");

int enroll_request_parse(const char *body, size_t size, bool need_token, EnrollRequest *ret, char **ret_error) {
        _cleanup_json_ json_object *j = NULL;
        EnrollRequest req = {};
        int r;

        if (size > ENROLL_BODY_MAX)
                return json_error(ret_error, "request body over %u bytes", ENROLL_BODY_MAX), -EBADMSG;
        r = json_parse(body, size, &j, ret_error);
        if (r < 0)
                return -EBADMSG;
        if (!json_object_is_type(j, json_type_object))
                return json_error(ret_error, "expected a JSON object {\"token\",\"csr\",\"key\"}"), -EBADMSG;
        json_object_object_foreach(j, key, value) {
                (void) value;
                if (!streq(key, "token") && !streq(key, "csr") && !streq(key, "key") && !streq(key, "attestation"))
                        return json_error(ret_error, "unknown member \"%.32s\"", key), -EBADMSG;
        }
        r = json_get_string(j, "", "csr", &req.csr, ret_error);
        if (r < 0)
                return json_error(ret_error, "missing \"csr\" (a PEM certificate request)"), -EBADMSG;
        r = json_get_string(j, "", "token", &req.token, ret_error);
        if (r == -ENOENT && need_token)
                return json_error(ret_error, "missing \"token\" (the enrollment token)"), -EBADMSG;
        if (r < 0 && r != -ENOENT)
                return -EBADMSG;
        r = json_get_string(j, "", "key", &req.key, ret_error);
        if (r < 0 && r != -ENOENT)
                return -EBADMSG;
        if (req.key && !streq(req.key, "file") && !streq(req.key, "tpm") && !streq(req.key, "provider"))
                return json_error(ret_error, "key: \"%.16s\" is not \"file\", \"tpm\" or \"provider\"", req.key),
                       -EBADMSG;
        if (json_object_object_get_ex(j, "attestation", &req.attestation) && !streq_ptr(req.key, "tpm"))
                return json_error(ret_error, "attestation: only with \"key\": \"tpm\""), -EBADMSG;
        req.json = TAKE_PTR(j);
        *ret = req;
        return 0;
}

void enroll_request_done(EnrollRequest *r) {
        json_object_put(r->json);
        *r = (EnrollRequest) {};
}

static const char *token_refusal(int r, const char **ret_error) {
        switch (r) {
        case -ENOENT:
                *ret_error = "token_unknown";
                return "the enrollment token is not known to this server";
        case -EKEYREVOKED:
                *ret_error = "token_revoked";
                return "the enrollment token was revoked";
        case -EKEYEXPIRED:
                *ret_error = "token_expired";
                return "the enrollment token has expired; ask IT for a new one";
        case -EUSERS:
                *ret_error = "token_used_up";
                return "the enrollment token has no uses left; ask IT for a new one";
        default:
                *ret_error = NULL;
                return NULL;
        }
}

typedef struct EnrollJob {
        bool enroll;
        bool has_token;
        X509_REQ *csr;
        char device_id[UUID_STRING_MAX];
        char hash[SHA256_HEX_SIZE];
        char peer_serial[sizeof(((CertInfo *) NULL)->serial)]; /* a device certificate of this id, or "" */
        const char *event; /* what the identity history records */
        DeviceKey claimed; /* what the request says of the key, or tpm when attested */
        char claim_reason[ATTEST_REASON_MAX]; /* why a tpm claim is not verified */
        bool same_key;     /* the CSR's key is the one of the certificate on this connection */
        DeviceKey key;     /* what is recorded (enroll_job) */
        char key_detail[ATTEST_REASON_MAX + 32];
} EnrollJob;

static void enroll_job_free(void *userdata) {
        EnrollJob *j = userdata;
        X509_REQ_free(j->csr);
        free(j);
}

/* Issues the certificate and records it; the reply waits for the commit. */
static int issue_device_cert(Server *s, const EnrollJob *j, struct evhttp_request *req) {
        _cleanup_(X509_freep) X509 *cert = NULL;
        _cleanup_json_ json_object *reply = NULL;
        _cleanup_free_ char *pem = NULL;
        int64_t now = (int64_t) (now_realtime() / USEC_PER_SEC);
        CertInfo info;
        int k;

        k = ca_issue(s->ca, X509_REQ_get0_pubkey(j->csr),
                     &(CertRequest) { .cn = j->device_id, .role = "device",
                                      .lifetime = s->config->device_cert_lifetime },
                     &cert);
        if (k >= 0)
                k = cert_get_info(cert, &info);
        if (k < 0 || !(pem = pem_from_cert(cert))) {
                log_error_errno(k ?: ENOMEM, "Cannot issue a certificate for %s: %m", j->device_id);
                return -EIO;
        }
        k = store_device_set_cert(s->store, j->device_id,
                                  &(StoreCert) { .serial = info.serial, .role = CERT_ROLE_DEVICE,
                                                 .subject = j->device_id, .device_id = j->device_id,
                                                 .fingerprint = info.fingerprint,
                                                 .not_before = info.not_before,
                                                 .not_after = info.not_after, .issued_at = now,
                                                 .pem = pem },
                                  device_key_to_string(j->key), j->enroll, now);
        if (k >= 0)
                k = store_identity_event_add(s->store, j->device_id, now, j->event, info.serial, j->key_detail);
        if (k < 0)
                return k;
        reply = json_object_new_object();
        if (!reply || json_add_string(reply, "device_id", j->device_id) < 0 ||
            json_add_string(reply, "certificate", pem) < 0 || json_add_string(reply, "ca", s->ca_pem) < 0 ||
            json_add_string(reply, "serial", info.serial) < 0 ||
            json_add_string(reply, "key", device_key_to_string(j->key)) < 0 ||
            json_add_int(reply, "not_after", info.not_after) < 0)
                return -ENOMEM;
        log_info("%s device %s: certificate %s until %" PRId64 ", key %s.", j->enroll ? "Enrolled" : "Renewed",
                 j->device_id, info.serial, info.not_after, j->key_detail);
        return server_reply_after_commit(s, req, j->enroll ? 201 : 200, http_json_buffer(reply));
}

/* In the batch transaction: what entitles this request to a certificate for the id. A
 * new id needs an enrollment token with a use left; a known id needs its current
 * certificate on this connection, or the one-time reset token an administrator issued for
 * it — a fleet token never takes over a device that exists. -EPERM with the refusal. */
static int enroll_proof(Server *s, EnrollJob *j, const StoreDevice *known, const char **ret_error,
                        const char **ret_why) {
        int64_t now = (int64_t) (now_realtime() / USEC_PER_SEC);
        int k;

        if (known && j->peer_serial[0] && streq(j->peer_serial, known->cert_serial)) {
                j->event = "reenrolled_certificate";
                return 0;
        }
        if (known) {
                k = j->has_token ? store_reset_consume(s->store, j->hash, j->device_id, now) : -ENOENT;
                if (k >= 0)
                        j->event = "reenrolled_reset";
                if (k != -ENOENT)
                        return k;
                *ret_error = "device_enrolled";
                *ret_why = "this device id is already enrolled, and an enrollment token only enrolls new "
                           "devices; re-enroll with the device's current certificate (vigie enroll --force "
                           "on the device), or ask an administrator for a one-time token from "
                           "\"vigie-server device reset ID\"";
                return -EPERM;
        }
        if (!j->has_token) {
                *ret_error = "token_required";
                *ret_why = "a new device needs an enrollment token";
                return -EPERM;
        }
        k = store_token_consume(s->store, j->hash, now, NULL);
        *ret_why = token_refusal(k, ret_error);
        if (*ret_why)
                return -EPERM;
        j->event = "enrolled";
        return k;
}

/* What the server records of the key: tpm after an answered attestation (enroll-attest.h);
 * otherwise a certificate for the same key keeps what was recorded (a renewal proves
 * nothing new, and loses nothing), and a new key is what the agent says, with "tpm"
 * unverified — a CSR alone proves nothing about where its key lives. */
static void record_key(EnrollJob *j, const StoreDevice *known) {
        DeviceKey before = device_key_from_string(known->key_kind);

        j->key = j->claimed == DEVICE_KEY_TPM ? DEVICE_KEY_TPM
                 : j->same_key && before != DEVICE_KEY_UNKNOWN ? before : j->claimed;
        if (j->key == DEVICE_KEY_TPM_UNVERIFIED)
                snprintf(j->key_detail, sizeof(j->key_detail), "%s: %s", device_key_to_string(j->key),
                         j->key != j->claimed ? "the key was recorded so before" : j->claim_reason);
        else
                snprintf(j->key_detail, sizeof(j->key_detail), "%s", device_key_to_string(j->key));
}

/* In the batch transaction: the device is not revoked, the request proves its right. */
static int enroll_job(Server *s, void *userdata, struct evhttp_request *req) {
        EnrollJob *j = userdata;
        _cleanup_(store_device_done) StoreDevice dev = {};
        const char *refusal = NULL, *why = NULL;
        int k;

        k = server_tx_begin(s);
        if (k < 0)
                goto fail;
        k = store_device_get(s->store, j->device_id, &dev);
        if (k < 0 && k != -ENOENT)
                goto fail_tx;
        if (k >= 0 && dev.revoked_at) {
                server_tx_end(s, false);
                return server_reply_after_commit(
                        s, req, 403,
                        http_error_buffer("revoked", "device %s is revoked; an operator must remove the revocation",
                                          j->device_id));
        }
        if (j->enroll) {
                k = enroll_proof(s, j, k >= 0 ? &dev : NULL, &refusal, &why);
                if (k == -EPERM) {
                        server_tx_end(s, false);
                        log_notice("Refused enrollment of %s: %s.", j->device_id, why);
                        return server_reply_after_commit(s, req, 403, http_error_buffer(refusal, "%s", why));
                }
                if (k < 0)
                        goto fail_tx;
        }
        record_key(j, &dev); /* zeroed for a new device: nothing recorded */
        k = issue_device_cert(s, j, req);
        if (k < 0)
                goto fail_tx;
        server_tx_end(s, true);
        if (j->enroll)
                s->stats.enrollments++;
        return 0;

fail_tx:
        server_tx_end(s, false);
fail:
        log_error_errno(k, "Cannot record the certificate of %s: %s", j->device_id, store_error(s->store));
        return server_reply_after_commit(
                s, req, 503, http_error_buffer("storage_unavailable", "cannot record the certificate now; retry later"));
}

/* On the loop: everything that needs no database. */
static int enroll_or_renew(Request *r, bool enroll) {
        _cleanup_(enroll_request_done) EnrollRequest body = {};
        _cleanup_free_ char *error = NULL;
        _cleanup_free_ EnrollJob *j = calloc(1, sizeof(EnrollJob));
        int k;

        if (!j)
                return http_error(r, 503, "out_of_memory", "retry later");
        /* A certificate for a key, on a certificate's word: only once the connection's own
         * handshake proved that certificate's key. A resumed session proves no key, and
         * could have been copied off the laptop (a TPM-held key cannot). */
        if (r->peer && r->peer->resumed)
                return http_error(r, 401, "handshake_required",
                                  "a certificate is issued only on a connection whose handshake used the "
                                  "device's key, not a resumed TLS session: connect again without it");
        j->enroll = enroll;
        j->event = "renewed";
        /* A device re-enrolling with its certificate needs no token. */
        k = enroll_request_parse(r->body, r->body_size, enroll && !r->peer, &body, &error);
        if (k < 0)
                return http_error(r, 400, "malformed_request", "%s", strnull(error));
        j->has_token = enroll && body.token;
        if (j->has_token && token_hash(body.token, j->hash) < 0)
                return http_error(r, 403, "token_unknown", "the enrollment token is not known to this server");
        /* An agent that does not say is one from before key kinds: it has a key file. */
        if (device_key_from_claim(body.key ?: "file", &j->claimed) < 0)
                return http_error(r, 400, "malformed_request", "key: unknown kind");
        k = csr_parse(body.csr, strlen(body.csr), &j->csr, &error);
        if (k >= 0)
                k = csr_check(j->csr, j->device_id, &error);
        if (k < 0) {
                X509_REQ_free(j->csr);
                return http_error(r, 400, "malformed_csr", "%s", strnull(error));
        }
        /* "tpm" is recorded as proven only with an answered challenge for this CSR's key. */
        if (j->claimed == DEVICE_KEY_TPM_UNVERIFIED &&
            enroll_attest_redeem(r->server->attest, body.attestation, j->csr, &j->claimed, j->claim_reason) < 0) {
                X509_REQ_free(j->csr);
                return http_error(r, 400, "malformed_request",
                                  "attestation: expected {\"challenge\",\"credential\"} (base64url)");
        }
        if (r->peer && r->peer->role == CERT_ROLE_DEVICE && streq(j->device_id, r->peer->info.cn))
                j->same_key = EVP_PKEY_eq(X509_REQ_get0_pubkey(j->csr), r->peer->key) == 1;
        if (enroll && r->peer && r->peer->role == CERT_ROLE_DEVICE && streq(j->device_id, r->peer->info.cn))
                snprintf(j->peer_serial, sizeof(j->peer_serial), "%s", r->peer->info.serial);
        if (!enroll && !streq(j->device_id, r->peer->info.cn)) {
                k = http_error(r, 403, "wrong_identity", "the CSR is for \"%s\" but this certificate is \"%s\"",
                               j->device_id, r->peer->info.cn);
                X509_REQ_free(j->csr);
                return k;
        }
        return server_submit(r->server, r->req, enroll_job, TAKE_PTR(j), enroll_job_free);
}

int route_enroll(Request *r) {
        return enroll_or_renew(r, true);
}

int route_renew(Request *r) {
        return enroll_or_renew(r, false);
}

/* GET /v1/policy: the current policy, with a strong ETag of its bytes. */
int route_policy(Request *r) {
        _cleanup_free_ char *policy = NULL;
        char hash[SHA256_HEX_SIZE], etag[2 + 32 + 1];
        const char *inm;
        int k;

        k = store_meta_get(r->server->store_ro, "policy", &policy);
        if (k == -ENOENT)
                return http_error(r, 404, "no_policy", "no policy is set; run \"vigie-server policy set FILE\"");
        if (k < 0)
                return http_error(r, 503, "storage_unavailable", "cannot read the policy now");
        if (sha256_hex(policy, strlen(policy), hash) < 0)
                return http_error(r, 503, "internal", "cannot hash the policy");
        snprintf(etag, sizeof(etag), "\"%.32s\"", hash);
        evhttp_add_header(evhttp_request_get_output_headers(r->req), "ETag", etag);
        evhttp_add_header(evhttp_request_get_output_headers(r->req), "Cache-Control", "no-cache");
        inm = evhttp_find_header(evhttp_request_get_input_headers(r->req), "If-None-Match");
        if (inm && (streq(inm, etag) || streq(inm, "*"))) {
                http_send(r->req, 304, NULL, false);
                return 0;
        }
        return http_reply_text(r, 200, "application/json", policy, strlen(policy));
}
