/* SPDX-License-Identifier: MIT */
/* The TPM structures a device sends at enrollment (server/tpm-attest.h): the first byte
 * picks the parser — 0 a TPM2B_PUBLIC (then its name, its OpenSSL key and, as for an EK,
 * a credential made for it), 1 a TPMS_ATTEST, 2 a TPMT_SIGNATURE, 3 the whole body of POST
 * /v1/enroll/challenge (then the checks) — the rest is the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "cleanup.h"
#include "enroll-attest.h"
#include "tpm-attest.h"

static void public_area(const uint8_t *data, size_t size) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *k = NULL;
        static const uint8_t secret[32] = { 1 };
        TPM2B_ENCRYPTED_SECRET seed;
        TPM2B_ID_OBJECT blob;
        TPM2B_PUBLIC p;
        TPM2B_NAME name;

        if (tpm_public_parse(data, size, &p) < 0)
                return;
        if (tpm_public_name(&p, &name) >= 0 && name.size != 34)
                abort();
        if (tpm_public_to_pkey(&p, &k) < 0)
                return;
        if (tpm_make_credential(&p, &name, secret, sizeof(secret), &blob, &seed) >= 0 && blob.size != 2 + 32 + 2 + 32)
                abort();
}

static void challenge(const char *body, size_t size) {
        _cleanup_(tpm_evidence_done) TpmEvidence e = {};
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_free_ char *err = NULL, *reason = NULL;

        if (enroll_challenge_parse(body, size, &e, &key, &err) < 0)
                return;
        if (tpm_evidence_check(&e, key, NULL, &reason) == 0)
                abort(); /* without vendor CAs nothing is verified */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        TPMS_ATTEST a;
        TPMT_SIGNATURE s;

        if (size < 1)
                return 0;
        switch (data[0]) {
        case 0:
                public_area(data + 1, size - 1);
                break;
        case 1:
                if (tpm_attest_parse(data + 1, size - 1, &a) >= 0 && a.extraData.size > sizeof(a.extraData.buffer))
                        abort();
                break;
        case 2:
                (void) tpm_signature_parse(data + 1, size - 1, &s);
                break;
        case 3:
                challenge((const char *) data + 1, size - 1);
                break;
        }
        ERR_clear_error();
        return 0;
}
