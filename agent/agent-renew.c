/* SPDX-License-Identifier: MIT */
/* Certificate renewal: once a third of the device certificate's lifetime is left, a CSR
 * for the same key and device id goes to POST /v1/renew over the current mTLS connection;
 * the answer is checked (our key, our id, the pinned CA) before it replaces device.crt
 * atomically. Runs only after the spool drained: spooled reports carry the old
 * certificate's kid, which the server checks against the connection's certificate. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "agent-renew.h"
#include "cert-info.h"
#include "cleanup.h"
#include "enrollment.h"
#include "error-util.h"
#include "fs-util.h"
#include "json-util.h"
#include "jws.h"
#include "log.h"

int cert_validity(X509 *cert, usec_t *ret_not_before, usec_t *ret_not_after) {
        usec_t nb, na;
        int r;

        r = asn1_time_usec(X509_get0_notBefore(cert), &nb);
        if (r >= 0)
                r = asn1_time_usec(X509_get0_notAfter(cert), &na);
        if (r < 0)
                return r;
        *ret_not_before = nb;
        *ret_not_after = na;
        return 0;
}

bool cert_renewal_due(usec_t not_before, usec_t not_after, usec_t now) {
        if (not_after <= not_before)
                return true;
        return now >= not_after - (not_after - not_before) / 3;
}

int cert_renew(const AgentConfig *c, const Identity *id, Transport *t, usec_t *ret_not_after, char **ret_error) {
        return cert_renew_for(c, id, id->key, id->key_kind, NULL, NULL, t, ret_not_after, ret_error);
}

int cert_renew_for(const AgentConfig *c, const Identity *id, EVP_PKEY *key, const char *key_kind,
                   const char *attest_path, const char *crt_file, Transport *t, usec_t *ret_not_after,
                   char **ret_error) {
        _cleanup_free_ char *csr = NULL, *cn = NULL, *ca_path = NULL, *err = NULL, *desc = NULL,
                            *crt_path = path_join(c->state_dir, crt_file ?: IDENTITY_CERT_FILE);
        _cleanup_json_ json_object *req = json_object_new_object(), *resp_json = NULL;
        _cleanup_(X509_freep) X509 *cert = NULL;
        _cleanup_(BIO_free_allp) BIO *bio = NULL;
        TransportResponse resp = {};
        const char *pem = NULL, *body;
        usec_t nb, na;
        int r;

        if (!crt_path || !req)
                return -ENOMEM;
        r = identity_make_csr(key, id->device_id, &csr);
        if (r < 0)
                return error_set(ret_error, r, "cannot make a CSR: %s", strerror(-r));
        if (json_add_string(req, "csr", csr) < 0 || json_add_string(req, "key", key_kind) < 0)
                return -ENOMEM;
        transport_fresh_handshake(t);
        if (attest_path && (r = enroll_attest_key(c, attest_path, csr, t, req, &err)) < 0) {
                log_warning(ENROLL_ATTEST_FAILED, strnull(err));
                err = (free(err), NULL);
        }
        if (!(body = json_compact(req)))
                return -ENOMEM;
        r = transport_request(t, "POST", "/v1/renew", "application/json", body, strlen(body), NULL, &resp, &err);
        if (r < 0)
                return error_set(ret_error, r, "%s", strnull(err));
        if (resp.status != 200 && resp.status != 201) {
                desc = transport_response_describe(&resp);
                transport_response_done(&resp);
                return error_set(ret_error, -EACCES, "the server refused the renewal: %s", strnull(desc));
        }
        r = json_parse(resp.body, resp.body_size, &resp_json, &err);
        transport_response_done(&resp);
        if (r < 0 || json_get_string(resp_json, "", "certificate", &pem, &err) < 0)
                return error_set(ret_error, -EBADMSG, "the server's renewal answer is unusable: %s", strnull(err));
        bio = BIO_new_mem_buf(pem, -1);
        cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
        if (!cert || cert_common_name(cert, &cn) < 0 || !streq(cn, id->device_id) ||
            X509_check_private_key(cert, key) != 1) {
                ERR_clear_error();
                return error_set(ret_error, -EBADMSG, "the renewed certificate is not for this device's key and id");
        }
        r = identity_ca_path(c, &ca_path);
        if (r >= 0)
                r = identity_verify_cert(cert, ca_path, &err);
        if (r < 0)
                return error_set(ret_error, r, "the renewed certificate does not chain to the pinned CA: %s",
                            err ? err : strerror(-r));
        r = cert_validity(cert, &nb, &na);
        if (r < 0)
                return error_set(ret_error, r, "the renewed certificate has unreadable dates");
        r = write_file_atomic(crt_path, pem, strlen(pem), 0644);
        if (r < 0)
                return error_set(ret_error, r, "cannot store \"%s\": %s", crt_path, strerror(-r));
        *ret_not_after = na;
        return 0;
}
