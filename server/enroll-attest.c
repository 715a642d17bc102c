/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <tss2/tss2_mu.h>

#include "ca.h"
#include "cleanup.h"
#include "enroll-attest.h"
#include "enroll.h"
#include "error-util.h"
#include "json-util.h"
#include "jws.h"
#include "log.h"
#include "server.h"
#include "time-util.h"
#include "tpm-attest.h"

#define CREDENTIAL_SIZE 32
#define CHALLENGE_ID_SIZE 16
#define EK_CERT_MAX 4096

typedef struct Challenge {
        char id[2 * CHALLENGE_ID_SIZE + 1]; /* "" when free */
        uint8_t credential[CREDENTIAL_SIZE];
        EVP_PKEY *key;                      /* the CSR's key */
        bool verified;                      /* everything but the credential checked */
        char reason[ATTEST_REASON_MAX];     /* when not */
        usec_t expires;
} Challenge;

struct EnrollAttest {
        X509_STORE *roots;
        Challenge challenges[ATTEST_CHALLENGES_MAX];
};

static void challenge_clear(Challenge *c) {
        EVP_PKEY_free(c->key);
        explicit_bzero(c, sizeof(*c));
}

EnrollAttest *enroll_attest_free(EnrollAttest *a) {
        if (a) {
                for (size_t i = 0; i < ATTEST_CHALLENGES_MAX; i++)
                        challenge_clear(&a->challenges[i]);
                X509_STORE_free(a->roots);
                free(a);
        }
        return NULL;
}

int enroll_attest_new(const char *roots, EnrollAttest **ret, char **ret_error) {
        EnrollAttest *a = calloc(1, sizeof(EnrollAttest));

        if (!a)
                return -ENOMEM;
        if (roots) {
                a->roots = X509_STORE_new();
                if (!a->roots || X509_STORE_load_file(a->roots, roots) != 1) {
                        ERR_clear_error();
                        enroll_attest_free(a);
                        return error_set(ret_error, -EINVAL, "cannot read the TPM vendor CAs \"%s\" (TPMRootCAs=)", roots);
                }
        }
        *ret = a;
        return 0;
}

/* A free or expired slot, else the one that expires first. */
static Challenge *challenge_slot(EnrollAttest *a, usec_t now) {
        Challenge *best = &a->challenges[0];

        for (size_t i = 0; i < ATTEST_CHALLENGES_MAX; i++) {
                Challenge *c = &a->challenges[i];
                if (!c->id[0] || c->expires <= now)
                        return c;
                if (c->expires < best->expires)
                        best = c;
        }
        return best;
}

static int decode(json_object *j, const char *key, bool optional, size_t max, uint8_t **ret, size_t *ret_size,
                  char **ret_error) {
        const char *s;
        int r = json_get_string(j, "", key, &s, NULL);

        if (r == -ENOENT && optional) {
                *ret = NULL;
                *ret_size = 0;
                return 0;
        }
        if (r < 0 || base64url_decode(s, strlen(s), max, ret, ret_size) < 0)
                return error_set(ret_error, -EBADMSG, "\"%s\": expected base64url of a TPM structure", key);
        return 0;
}

int enroll_challenge_parse(const char *body, size_t size, TpmEvidence *e, EVP_PKEY **ret_key, char **ret_error) {
        static const char *const members[] = { "csr", "ek_public", "ek_certificate", "ak_public", "key_public",
                                               "attest", "signature", NULL };
        _cleanup_json_ json_object *j = NULL;
        _cleanup_(X509_REQ_freep) X509_REQ *csr = NULL;
        _cleanup_free_ uint8_t *ek = NULL, *cert = NULL, *ak = NULL, *key = NULL, *att = NULL, *sig = NULL;
        size_t ek_n, cert_n, ak_n, key_n, att_n, sig_n;
        char cn[UUID_STRING_MAX];
        const unsigned char *p;
        const char *pem;
        int r;

        if (size > ENROLL_BODY_MAX || json_parse(body, size, &j, ret_error) < 0 ||
            !json_object_is_type(j, json_type_object))
                return error_set(ret_error, -EBADMSG, "expected a JSON object of at most %u bytes", ENROLL_BODY_MAX);
        json_object_object_foreach(j, k, v) {
                size_t i;
                (void) v;
                for (i = 0; members[i] && !streq(members[i], k); i++)
                        ;
                if (!members[i])
                        return error_set(ret_error, -EBADMSG, "unknown member \"%.32s\"", k);
        }
        if (json_get_string(j, "", "csr", &pem, NULL) < 0)
                return error_set(ret_error, -EBADMSG, "missing \"csr\" (the certificate request to enroll with)");
        r = csr_parse(pem, strlen(pem), &csr, ret_error);
        if (r >= 0)
                r = csr_check(csr, cn, ret_error);
        if (r < 0)
                return r;
        if ((r = decode(j, "ek_public", false, sizeof(TPM2B_PUBLIC), &ek, &ek_n, ret_error)) < 0 ||
            (r = decode(j, "ek_certificate", true, EK_CERT_MAX, &cert, &cert_n, ret_error)) < 0 ||
            (r = decode(j, "ak_public", false, sizeof(TPM2B_PUBLIC), &ak, &ak_n, ret_error)) < 0 ||
            (r = decode(j, "key_public", false, sizeof(TPM2B_PUBLIC), &key, &key_n, ret_error)) < 0 ||
            (r = decode(j, "attest", false, sizeof(e->attest_raw), &att, &att_n, ret_error)) < 0 ||
            (r = decode(j, "signature", false, sizeof(TPMT_SIGNATURE), &sig, &sig_n, ret_error)) < 0)
                return r;
        if (tpm_public_parse(ek, ek_n, &e->ek) < 0 || tpm_public_parse(ak, ak_n, &e->ak) < 0 ||
            tpm_public_parse(key, key_n, &e->key) < 0)
                return error_set(ret_error, -EBADMSG, "a public area is not a TPM2B_PUBLIC");
        if (tpm_attest_parse(att, att_n, &e->attest) < 0)
                return error_set(ret_error, -EBADMSG, "\"attest\" is not a TPMS_ATTEST");
        if (tpm_signature_parse(sig, sig_n, &e->signature) < 0)
                return error_set(ret_error, -EBADMSG, "\"signature\" is not a TPMT_SIGNATURE");
        memcpy(e->attest_raw, att, att_n);
        e->attest_size = att_n;
        p = cert;
        if (cert && !(e->ek_cert = d2i_X509(NULL, &p, (long) cert_n))) {
                ERR_clear_error();
                return error_set(ret_error, -EBADMSG, "\"ek_certificate\" is not a DER certificate");
        }
        *ret_key = X509_REQ_get_pubkey(csr);
        return *ret_key ? 0 : -ENOMEM;
}

static int add_b64(json_object *o, const char *key, const uint8_t *buf, size_t size) {
        _cleanup_free_ char *s = NULL;
        int r = base64url_encode(buf, size, &s, NULL);
        return r < 0 ? r : json_add_string(o, key, s);
}

int route_enroll_challenge(Request *r) {
        EnrollAttest *a = r->server->attest;
        _cleanup_(tpm_evidence_done) TpmEvidence e = {};
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_free_ char *error = NULL, *reason = NULL;
        _cleanup_json_ json_object *reply = json_object_new_object();
        uint8_t id[CHALLENGE_ID_SIZE], blob_buf[sizeof(TPM2B_ID_OBJECT)], seed_buf[sizeof(TPM2B_ENCRYPTED_SECRET)];
        size_t blob_n = 0, seed_n = 0;
        TPM2B_ID_OBJECT blob;
        TPM2B_ENCRYPTED_SECRET seed;
        TPM2B_NAME ak_name;
        usec_t now = now_monotonic();
        Challenge *c;
        int k;

        if (!reply)
                return http_error(r, 503, "out_of_memory", "retry later");
        k = enroll_challenge_parse(r->body, r->body_size, &e, &key, &error);
        if (k == -ENOMEM)
                return http_error(r, 503, "out_of_memory", "retry later");
        if (k < 0)
                return http_error(r, 400, "malformed_attestation", "%s", strnull(error));
        k = tpm_evidence_check(&e, key, a->roots, &reason);
        if (k == -ENOMEM)
                return http_error(r, 503, "out_of_memory", "retry later");
        if (tpm_public_name(&e.ak, &ak_name) < 0)
                return http_error(r, 400, "malformed_attestation", "the attestation key has no SHA-256 name");
        c = challenge_slot(a, now);
        challenge_clear(c);
        if (RAND_bytes(id, sizeof(id)) != 1 || RAND_bytes(c->credential, sizeof(c->credential)) != 1)
                return http_error(r, 503, "out_of_memory", "retry later");
        /* Made whatever the checks said: the device learns nothing from the answer's
         * shape, and its enrollment records why it is not tpm. */
        k = tpm_make_credential(&e.ek, &ak_name, c->credential, sizeof(c->credential), &blob, &seed);
        if (k < 0) {
                challenge_clear(c);
                return http_error(r, 400, "malformed_attestation", "cannot make a credential for this endorsement "
                                  "key (RSA 2048 or ECC P-256 with AES-128-CFB and SHA-256 are supported)");
        }
        for (size_t i = 0; i < sizeof(id); i++)
                snprintf(c->id + 2 * i, 3, "%02x", id[i]);
        c->key = TAKE_PTR(key);
        c->verified = !reason;
        snprintf(c->reason, sizeof(c->reason), "%s", strempty(reason));
        c->expires = now + ATTEST_CHALLENGE_TTL_USEC;
        if (Tss2_MU_TPM2B_ID_OBJECT_Marshal(&blob, blob_buf, sizeof(blob_buf), &blob_n) != TSS2_RC_SUCCESS ||
            Tss2_MU_TPM2B_ENCRYPTED_SECRET_Marshal(&seed, seed_buf, sizeof(seed_buf), &seed_n) != TSS2_RC_SUCCESS ||
            json_add_string(reply, "challenge", c->id) < 0 || add_b64(reply, "credential_blob", blob_buf, blob_n) < 0 ||
            add_b64(reply, "secret", seed_buf, seed_n) < 0)
                return http_error(r, 503, "out_of_memory", "retry later");
        if (reason)
                log_info("A TPM attestation will not be trusted: %s.", reason);
        return http_reply_json(r, 200, reply);
}

int enroll_attest_redeem(EnrollAttest *a, json_object *attestation, X509_REQ *csr, DeviceKey *ret_key,
                         char ret_reason[static ATTEST_REASON_MAX]) {
        _cleanup_free_ uint8_t *cred = NULL;
        const char *id, *b64;
        size_t n = 0;
        Challenge *c = NULL;
        bool ok;

        *ret_key = DEVICE_KEY_TPM_UNVERIFIED;
        if (!attestation) {
                snprintf(ret_reason, ATTEST_REASON_MAX, "the agent sent no TPM attestation");
                return 0;
        }
        if (!json_object_is_type(attestation, json_type_object) ||
            json_get_string(attestation, "", "challenge", &id, NULL) < 0 ||
            json_get_string(attestation, "", "credential", &b64, NULL) < 0 ||
            base64url_decode(b64, strlen(b64), CREDENTIAL_SIZE, &cred, &n) < 0)
                return -EBADMSG;
        for (size_t i = 0; i < ATTEST_CHALLENGES_MAX && !c; i++)
                if (a->challenges[i].id[0] && streq(a->challenges[i].id, id) &&
                    a->challenges[i].expires > now_monotonic())
                        c = &a->challenges[i];
        if (!c) {
                snprintf(ret_reason, ATTEST_REASON_MAX, "the attestation challenge is unknown or expired");
                return 0;
        }
        ok = n == CREDENTIAL_SIZE && CRYPTO_memcmp(cred, c->credential, CREDENTIAL_SIZE) == 0;
        if (!ok)
                snprintf(ret_reason, ATTEST_REASON_MAX, "the TPM did not recover the credential: the attestation "
                                                        "key is not in the TPM of that endorsement key");
        else if (EVP_PKEY_eq(X509_REQ_get0_pubkey(csr), c->key) != 1)
                snprintf(ret_reason, ATTEST_REASON_MAX, "the attestation was made for another certificate request");
        else if (!c->verified)
                snprintf(ret_reason, ATTEST_REASON_MAX, "%s", c->reason);
        else
                *ret_key = DEVICE_KEY_TPM;
        ERR_clear_error();
        challenge_clear(c); /* one use, whatever the outcome */
        return 0;
}
