/* SPDX-License-Identifier: MIT */
/* POST /v1/enroll body: the JSON envelope, then the CSR PEM inside it (parse and the
 * checks the server applies: P-256 key, self-signature, CN a UUID). Raw input that is not
 * JSON is also fed to the CSR parser directly. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "ca.h"
#include "cleanup.h"
#include "enroll.h"

static void csr(const char *pem, size_t size) {
        _cleanup_(X509_REQ_freep) X509_REQ *req = NULL;
        _cleanup_free_ char *err = NULL, *err2 = NULL;
        char cn[UUID_STRING_MAX];

        if (csr_parse(pem, size, &req, &err) < 0)
                return;
        if (csr_check(req, cn, &err2) >= 0 && strlen(cn) != UUID_STRING_MAX - 1)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(enroll_request_done) EnrollRequest req = {};
        _cleanup_free_ char *err = NULL;

        if (enroll_request_parse((const char *) data, size, true, &req, &err) >= 0) {
                if (!req.token || !req.csr)
                        abort();
                csr(req.csr, strlen(req.csr));
        } else
                csr((const char *) data, size);
        ERR_clear_error();
        return 0;
}
