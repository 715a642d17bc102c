/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "cleanup.h"
#include "error-util.h"
#include "enrollment.h"
#include "fs-util.h"
#include "i18n.h"
#include "identity.h"
#include "jws.h"
#include "json-util.h"
#include "log.h"
#include "pki.h"
#include "tpm-prover.h"
#include "transport.h"

int enroll_read_token(const char *path, char **ret, char **ret_error) {
        _cleanup_erase_free_ char *buf = NULL;
        _cleanup_close_ int fd = -1;
        struct stat st;
        size_t size;
        int r;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0 || fstat(fd, &st) < 0)
                return error_set(ret_error, -errno, _("cannot read the enrollment token \"%s\": %s"), path,
                                 strerror(errno));
        if (!S_ISREG(st.st_mode))
                return error_set(ret_error, -EBADMSG, _("the enrollment token \"%s\" is not a regular file"), path);
        /* Whoever reads the token can enroll devices in our name: root's secret only. */
        if (st.st_uid != geteuid() || (st.st_mode & 077))
                return error_set(ret_error, -EPERM,
                                 _("the enrollment token \"%s\" must be owned by root and readable by root only "
                                   "(it is uid %u, mode %04o): run chown root:root and chmod 600 on it"),
                                 path, (unsigned) st.st_uid, (unsigned) (st.st_mode & 07777));
        r = read_fd_full(fd, ENROLL_TOKEN_MAX, &buf, &size);
        if (r < 0)
                return error_set(ret_error, r == -EFBIG ? -EBADMSG : r, _("cannot read the enrollment token \"%s\": %s"),
                                 path, r == -EFBIG ? _("too long for a token") : strerror(-r));
        while (size > 0 && strchr(" \t\r\n", buf[size - 1]))
                buf[--size] = 0;
        if (size == 0 || memchr(buf, 0, size))
                return error_set(ret_error, -EBADMSG, _("the enrollment token \"%s\" is empty or not text"), path);
        *ret = TAKE_PTR(buf);
        return 0;
}

bool enroll_is_enrolled(const AgentConfig *cfg) {
        _cleanup_free_ char *crt = path_join(cfg->state_dir, IDENTITY_CERT_FILE);
        return crt && access(crt, F_OK) == 0;
}

/* Checks what the server sent back against what we asked for, and stores it. */
static int store_enrollment(const AgentConfig *c, EVP_PKEY *key, const char *device_id,
                            json_object *resp, const char *ca_arg, char **ret_error) {
        _cleanup_free_ char *cn = NULL, *crt_path = path_join(c->state_dir, IDENTITY_CERT_FILE),
                            *ca_path = path_join(c->state_dir, IDENTITY_CA_FILE), *ca_tmp = NULL,
                            *err = NULL, *ca_copy = NULL;
        _cleanup_(X509_freep) X509 *cert = NULL;
        _cleanup_(BIO_free_allp) BIO *bio = NULL;
        const char *id = NULL, *pem = NULL, *ca = NULL;
        size_t ca_size;
        int r;

        if (!crt_path || !ca_path)
                return -ENOMEM;
        if (json_get_string(resp, "", "device_id", &id, &err) < 0 ||
            json_get_string(resp, "", "certificate", &pem, &err) < 0 ||
            json_get_string(resp, "", "ca", &ca, &err) < 0)
                return error_set(ret_error, -EBADMSG, _("the server's enrollment answer is incomplete: %s"),
                            err ? err : _("device_id, certificate and ca are required"));
        if (!streq(id, device_id))
                return error_set(ret_error, -EBADMSG, _("the server enrolled device \"%s\", not this device \"%s\""),
                            id, device_id);
        bio = BIO_new_mem_buf(pem, -1);
        cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
        ERR_clear_error();
        if (!cert || cert_common_name(cert, &cn) < 0 || !streq(cn, device_id) ||
            X509_check_private_key(cert, key) != 1) {
                ERR_clear_error();
                return error_set(ret_error, -EBADMSG,
                            _("the certificate the server sent is not for this device's key and id"));
        }
        /* The issued certificate must chain to the CA the server names. */
        if (asprintf(&ca_tmp, "%s/.enroll-ca.pem", c->state_dir) < 0)
                return -ENOMEM;
        r = write_file_atomic(ca_tmp, ca, strlen(ca), 0644);
        if (r >= 0) {
                r = identity_verify_cert(cert, ca_tmp, &err);
                (void) unlink(ca_tmp);
        }
        if (r < 0)
                return error_set(ret_error, r, _("the server's certificate for this device is not valid: %s"),
                            err ? err : strerror(-r));
        /* The CA given is pinned for later runs; device.crt last: its presence means "enrolled". */
        if (ca_arg) {
                r = read_file_full(ca_arg, 1024 * 1024, &ca_copy, &ca_size);
                if (r >= 0 && !streq(ca_arg, ca_path))
                        r = write_file_atomic(ca_path, ca_copy, ca_size, 0644);
                if (r < 0)
                        return error_set(ret_error, r, _("cannot store the CA in \"%s\": %s"), ca_path, strerror(-r));
        }
        r = write_file_atomic(crt_path, pem, strlen(pem), 0644);
        if (r < 0)
                return error_set(ret_error, r, _("cannot store the certificate in \"%s\": %s"), crt_path, strerror(-r));
        return 0;
}

/* The device's certificate for this key, if it has one: proof of identity for the server
 * when the device enrolls again. */
static X509 *current_certificate(const AgentConfig *cfg, EVP_PKEY *key) {
        _cleanup_free_ char *path = path_join(cfg->state_dir, IDENTITY_CERT_FILE);
        X509 *cert = NULL;

        if (!path || pki_load_cert(path, &cert) < 0)
                return NULL;
        if (X509_check_private_key(cert, key) != 1) {
                ERR_clear_error();
                X509_free(cert);
                return NULL;
        }
        return cert;
}

int enroll_attest_key(const AgentConfig *cfg, const char *key_path, const char *csr, Transport *t,
                      json_object *req, char **ret_error) {
        _cleanup_(tpm_prover_freep) TpmProver *ev = NULL;
        _cleanup_json_ json_object *body = NULL, *resp_json = NULL, *att = NULL;
        _cleanup_free_ char *err = NULL, *describe = NULL, *credential = NULL;
        TransportResponse resp = {};
        const char *s, *id, *blob, *secret;
        int r;

        r = tpm_prover_collect(cfg->tpm_tcti, key_path, &ev, &body, ret_error);
        if (r < 0)
                return r;
        if (json_add_string(body, "csr", csr) < 0 || !(s = json_compact(body)))
                return -ENOMEM;
        r = transport_request(t, "POST", "/v1/enroll/challenge", "application/json", s, strlen(s), NULL, &resp, &err);
        if (r < 0)
                return error_set(ret_error, r, "%s", strnull(err));
        if (resp.status != 200) {
                describe = transport_response_describe(&resp);
                transport_response_done(&resp);
                return error_set(ret_error, -EACCES, "the server refused the challenge: %s", strnull(describe));
        }
        r = json_parse(resp.body, resp.body_size, &resp_json, &err);
        transport_response_done(&resp);
        if (r < 0 || json_get_string(resp_json, "", "challenge", &id, &err) < 0 ||
            json_get_string(resp_json, "", "credential_blob", &blob, &err) < 0 ||
            json_get_string(resp_json, "", "secret", &secret, &err) < 0)
                return error_set(ret_error, -EBADMSG, "the server's challenge is unusable: %s", strnull(err));
        r = tpm_prover_activate(ev, blob, secret, &credential, ret_error);
        if (r < 0)
                return r;
        att = json_object_new_object();
        if (!att || json_add_string(att, "challenge", id) < 0 || json_add_string(att, "credential", credential) < 0 ||
            json_add(req, "attestation", TAKE_PTR(att)) < 0)
                return -ENOMEM;
        return 0;
}

int enroll_device(const AgentConfig *cfg, const char *token, const char *ca_file,
                  char **ret_device_id, char **ret_error) {
        _cleanup_free_ char *key_uri = NULL, *csr = NULL, *ca = NULL, *err = NULL, *describe = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_(transport_freep) Transport *t = NULL;
        _cleanup_(X509_freep) X509 *current = NULL;
        _cleanup_json_ json_object *req = NULL, *resp_json = NULL;
        char device_id[DEVICE_ID_SIZE];
        TransportResponse resp = {};
        const char *body, *recorded;
        bool provider;
        int r;

        if (!cfg->server_url || strncmp(cfg->server_url, "https://", 8) != 0)
                return error_set(ret_error, -EINVAL, _("no https:// server: give --server URL or set Server= in [Agent]"));
        if ((r = mkdir_p(cfg->state_dir, 0700)) < 0)
                return error_set(ret_error, -EINVAL, _("cannot create the state directory \"%s\": %s"),
                            cfg->state_dir, strerror(-r));
        if ((r = device_id_get(cfg->device_id_seed, device_id)) < 0)
                return error_set(ret_error, r, _("cannot derive the device id from the machine id: %s"), strerror(-r));
        if ((r = identity_key_uri(cfg, &key_uri, &provider)) < 0)
                return r;
        if (!provider) {
                const char *kind;
                r = identity_create_key(cfg, key_uri + strlen("file:"), &kind, ret_error);
                if (r < 0 && r != -EEXIST)
                        return r;
        }
        r = identity_open_key(cfg, key_uri, provider, &key, ret_error);
        if (r < 0)
                return r == -ENODEV ? r : -EINVAL;
        if ((r = identity_make_csr(key, device_id, &csr)) < 0)
                return error_set(ret_error, r, _("cannot make the certificate request: %s"), strerror(-r));
        req = json_object_new_object();
        if (!req || (token && json_add_string(req, "token", token) < 0) || json_add_string(req, "csr", csr) < 0 ||
            json_add_string(req, "key", identity_key_kind(key_uri, provider)) < 0)
                return -ENOMEM;
        current = current_certificate(cfg, key);
        if (!token && !current)
                return error_set(ret_error, -EINVAL, _("this device has no certificate to re-enroll with: give an enrollment token"));
        if (ca_file && access(ca_file, R_OK) < 0)
                return error_set(ret_error, -EINVAL, _("cannot read the CA \"%s\": %s"), ca_file, strerror(errno));
        if (!ca_file && identity_ca_path(cfg, &ca) < 0)
                return -ENOMEM;
        TransportOptions o = {
                .server_url = cfg->server_url,
                .ca_file = ca_file ? ca_file : ca,
                .cert = current,
                .key = current ? key : NULL,
                .connect_timeout = cfg->connect_timeout,
                .timeout = cfg->timeout,
        };
        if ((r = transport_new(&o, &t)) < 0)
                return error_set(ret_error, r, _("cannot set up HTTPS: %s"), transport_strerror(r));
        if (streq(identity_key_kind(key_uri, provider), "tpm") &&
            (r = enroll_attest_key(cfg, key_uri + strlen("file:"), csr, t, req, &err)) < 0) {
                log_warning(ENROLL_ATTEST_FAILED, strnull(err));
                err = (free(err), NULL);
        }
        body = json_compact(req);
        r = transport_request(t, "POST", "/v1/enroll", "application/json", body, strlen(body), NULL, &resp, &err);
        explicit_bzero((char *) body, strlen(body)); /* it held the token */
        if (r < 0)
                return error_set(ret_error, r, _("cannot reach \"%s\": %s"), cfg->server_url, strnull(err));
        if (resp.status != 200 && resp.status != 201) {
                describe = transport_response_describe(&resp);
                transport_response_done(&resp);
                return error_set(ret_error, -EACCES, _("the server refused the enrollment: %s"), strnull(describe));
        }
        r = json_parse(resp.body, resp.body_size, &resp_json, &err);
        transport_response_done(&resp);
        if (r < 0)
                return error_set(ret_error, r, _("the server's answer is not JSON: %s"), strnull(err));
        r = store_enrollment(cfg, key, device_id, resp_json, ca_file, ret_error);
        if (r < 0)
                return r;
        /* The server's record of the key wins (docs/server.md, "Key kind"): say when it differs. */
        if (json_get_string(resp_json, "", "key", &recorded, NULL) >= 0 &&
            streq(recorded, "tpm_unverified"))
                log_notice(_("The server could not verify that the TPM holds the device key: it records it as "
                             "\"tpm_unverified\" (its identity history says why)."));
        if (ret_device_id && !(*ret_device_id = strdup(device_id)))
                return -ENOMEM;
        return 0;
}
