/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/pem.h>

#include "cleanup.h"
#include "error-util.h"
#include "fs-util.h"
#include "json-util.h"
#include "jws.h"
#include "macro.h"
#include "tpm-prover.h"
#include "tpm-key.h"
#include "tss-dl.h"

#define TSS2_KEY_PEM_NAME "TSS2 PRIVATE KEY"
#define TSS2_KEY_FILE_MAX (16u * 1024)
#define EK_CERT_MAX 4096
#define NV_CHUNK 512

/* Set by tpm_prover_collect(), which every TpmProver comes from. */
static const TssApi *tss;

struct TpmProver {
        TSS2_TCTI_CONTEXT *tcti;
        ESYS_CONTEXT *esys;
        ESYS_TR ek, ak;
};

/* TCG EK Credential Profile 2.0, B.3.3 and B.3.4: templates L-1 (RSA 2048) and L-2 (ECC
 * P-256), whose keys the vendor's EK certificates (NV 0x01c00002, 0x01c0000a) certify. */
#define EK_ATTRIBUTES                                                                            \
        (TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |     \
         TPMA_OBJECT_ADMINWITHPOLICY | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT)
#define EK_POLICY                                                                                \
        { .size = 32, .buffer = { 0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc, \
                                  0x8d, 0x46, 0xa5, 0xd7, 0x24, 0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, \
                                  0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa } }
#define EK_SYMMETRIC { .algorithm = TPM2_ALG_AES, .keyBits.aes = 128, .mode.aes = TPM2_ALG_CFB }

static const TPM2B_PUBLIC ek_rsa_template = {
        .publicArea = {
                .type = TPM2_ALG_RSA, .nameAlg = TPM2_ALG_SHA256, .objectAttributes = EK_ATTRIBUTES,
                .authPolicy = EK_POLICY,
                .parameters.rsaDetail = { .symmetric = EK_SYMMETRIC, .scheme.scheme = TPM2_ALG_NULL,
                                          .keyBits = 2048, .exponent = 0 },
                .unique.rsa.size = 256,
        },
};

static const TPM2B_PUBLIC ek_ecc_template = {
        .publicArea = {
                .type = TPM2_ALG_ECC, .nameAlg = TPM2_ALG_SHA256, .objectAttributes = EK_ATTRIBUTES,
                .authPolicy = EK_POLICY,
                .parameters.eccDetail = { .symmetric = EK_SYMMETRIC, .scheme.scheme = TPM2_ALG_NULL,
                                          .curveID = TPM2_ECC_NIST_P256, .kdf.scheme = TPM2_ALG_NULL },
                .unique.ecc = { .x.size = 32, .y.size = 32 },
        },
};

/* The AK: ECDSA P-256 with SHA-256, restricted to signing what the TPM itself made. */
static const TPM2B_PUBLIC ak_template = {
        .publicArea = {
                .type = TPM2_ALG_ECC, .nameAlg = TPM2_ALG_SHA256,
                .objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                                    TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT,
                .parameters.eccDetail = { .symmetric.algorithm = TPM2_ALG_NULL,
                                          .scheme = { .scheme = TPM2_ALG_ECDSA,
                                                      .details.ecdsa.hashAlg = TPM2_ALG_SHA256 },
                                          .curveID = TPM2_ECC_NIST_P256, .kdf.scheme = TPM2_ALG_NULL },
        },
};

/* The storage key the tpm2 OpenSSL provider makes its keys under when their parent is the
 * owner hierarchy (tpm2-openssl src/tpm2-provider-pkey.c, primaryEccTemplate). */
static const TPM2B_PUBLIC srk_template = {
        .publicArea = {
                .type = TPM2_ALG_ECC, .nameAlg = TPM2_ALG_SHA256,
                .objectAttributes = TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT |
                                    TPMA_OBJECT_NODA | TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                    TPMA_OBJECT_SENSITIVEDATAORIGIN,
                .parameters.eccDetail = { .symmetric = EK_SYMMETRIC, .scheme.scheme = TPM2_ALG_NULL,
                                          .curveID = TPM2_ECC_NIST_P256, .kdf.scheme = TPM2_ALG_NULL },
        },
};

TpmProver *tpm_prover_free(TpmProver *e) {
        if (!e)
                return NULL;
        if (e->esys) {
                if (e->ek != ESYS_TR_NONE)
                        (void) tss->Esys_FlushContext(e->esys, e->ek);
                if (e->ak != ESYS_TR_NONE)
                        (void) tss->Esys_FlushContext(e->esys, e->ak);
                tss->Esys_Finalize(&e->esys);
        }
        tss->Tss2_TctiLdr_Finalize(&e->tcti);
        free(e);
        return NULL;
}

static int tss_error(char **ret_error, const char *what, TSS2_RC rc) {
        return error_set(ret_error, -EIO, "%s: %s", what, tss->Tss2_RC_Decode(rc));
}

static int create_primary(ESYS_CONTEXT *esys, ESYS_TR hierarchy, const TPM2B_PUBLIC *template, ESYS_TR *ret,
                          TPM2B_PUBLIC **ret_public) {
        static const TPM2B_SENSITIVE_CREATE sensitive = {};
        static const TPM2B_DATA outside = {};
        static const TPML_PCR_SELECTION pcrs = {};

        return (int) tss->Esys_CreatePrimary(esys, hierarchy, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive,
                                        template, &outside, &pcrs, ret, ret_public, NULL, NULL, NULL);
}

/* The EK certificate in NV (DER), or 0 bytes when the TPM has none at that index. */
static int read_ek_cert(ESYS_CONTEXT *esys, TPM2_HANDLE index, uint8_t *buf, size_t *ret_size) {
        ESYS_TR nv = ESYS_TR_NONE;
        TPM2B_NV_PUBLIC *pub = NULL;
        size_t size, done = 0;
        int r = 0;

        *ret_size = 0;
        if (tss->Esys_TR_FromTPMPublic(esys, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nv) != TSS2_RC_SUCCESS)
                return 0; /* not defined: no certificate */
        if (tss->Esys_NV_ReadPublic(esys, nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, NULL) != TSS2_RC_SUCCESS) {
                r = -EIO;
                goto out;
        }
        size = pub->nvPublic.dataSize;
        if (size > EK_CERT_MAX) {
                r = -EFBIG;
                goto out;
        }
        while (done < size) {
                TPM2B_MAX_NV_BUFFER *data = NULL;
                UINT16 n = (UINT16) MIN((size_t) NV_CHUNK, size - done);

                if (tss->Esys_NV_Read(esys, nv, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, n, (UINT16) done,
                                 &data) != TSS2_RC_SUCCESS || data->size != n) {
                        tss->Esys_Free(data);
                        r = -EIO;
                        goto out;
                }
                memcpy(buf + done, data->buffer, n);
                tss->Esys_Free(data);
                done += n;
        }
        *ret_size = size;
out:
        tss->Esys_Free(pub);
        (void) tss->Esys_TR_Close(esys, &nv);
        return r;
}

/* The blob's public and private parts and its parent handle (TSS2 key file format: SEQUENCE
 * { type OID, [0] emptyAuth OPTIONAL, parent INTEGER, pubkey OCTET STRING, privkey OCTET
 * STRING }). */
static int read_key_blob(const char *path, TPM2B_PUBLIC *ret_pub, TPM2B_PRIVATE *ret_priv, uint32_t *ret_parent) {
        _cleanup_free_ char *pem = NULL;
        _cleanup_(BIO_free_allp) BIO *bio = NULL;
        char *name = NULL, *header = NULL;
        unsigned char *der = NULL;
        const unsigned char *p;
        long len = 0;
        size_t size, off;
        STACK_OF(ASN1_TYPE) *seq = NULL;
        const ASN1_OCTET_STRING *parts[2] = {};
        int64_t parent = -1;
        int r = read_file_full(path, TSS2_KEY_FILE_MAX, &pem, &size), n = 0;

        if (r < 0)
                return r;
        bio = BIO_new_mem_buf(pem, (int) size);
        if (!bio)
                return -ENOMEM;
        if (PEM_read_bio(bio, &name, &header, &der, &len) != 1 || !streq(name, TSS2_KEY_PEM_NAME)) {
                r = -EBADMSG;
                goto out;
        }
        p = der;
        seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, len);
        r = -EBADMSG;
        for (int i = 0; seq && i < sk_ASN1_TYPE_num(seq); i++) {
                const ASN1_TYPE *t = sk_ASN1_TYPE_value(seq, i);

                if (t->type == V_ASN1_INTEGER && ASN1_INTEGER_get_int64(&parent, t->value.integer) != 1)
                        goto out;
                if (t->type == V_ASN1_OCTET_STRING && n < 2)
                        parts[n++] = t->value.octet_string;
        }
        if (n != 2 || parent < 0 || parent > UINT32_MAX)
                goto out;
        off = 0;
        if (tss->Tss2_MU_TPM2B_PUBLIC_Unmarshal(parts[0]->data, (size_t) parts[0]->length, &off, ret_pub) !=
                    TSS2_RC_SUCCESS)
                goto out;
        off = 0;
        if (tss->Tss2_MU_TPM2B_PRIVATE_Unmarshal(parts[1]->data, (size_t) parts[1]->length, &off, ret_priv) !=
                    TSS2_RC_SUCCESS)
                goto out;
        *ret_parent = (uint32_t) parent;
        r = 0;
out:
        sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(der);
        return r;
}

/* base64url of a marshalled structure, added to o under key. */
static int add_b64(json_object *o, const char *key, const uint8_t *buf, size_t size) {
        _cleanup_free_ char *s = NULL;
        int r = base64url_encode(buf, size, &s, NULL);
        return r < 0 ? r : json_add_string(o, key, s);
}

#define ADD_MARSHALLED(o, key, type, value)                                                             \
        ({                                                                                              \
                uint8_t _b[sizeof(*(value)) + 16];                                                      \
                size_t _off = 0;                                                                        \
                tss->Tss2_MU_##type##_Marshal((value), _b, sizeof(_b), &_off) == TSS2_RC_SUCCESS             \
                        ? add_b64((o), (key), _b, _off)                                                 \
                        : -EINVAL;                                                                      \
        })

/* The EK whose certificate the TPM has (RSA first), or the RSA one when it has none. */
static int load_ek(TpmProver *e, json_object *j, char **ret_error) {
        static const struct { const TPM2B_PUBLIC *template; TPM2_HANDLE cert; } eks[] = {
                { &ek_rsa_template, 0x01c00002 },
                { &ek_ecc_template, 0x01c0000a },
        };
        uint8_t cert[EK_CERT_MAX];
        size_t cert_size = 0, which = 0;
        TPM2B_PUBLIC *pub = NULL;
        TSS2_RC rc;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(eks); i++) {
                r = read_ek_cert(e->esys, eks[i].cert, cert, &cert_size);
                if (r < 0)
                        return error_set(ret_error, r, "cannot read the endorsement key certificate from NV 0x%08x",
                                         (unsigned) eks[i].cert);
                if (cert_size > 0) {
                        which = i;
                        break;
                }
        }
        rc = create_primary(e->esys, ESYS_TR_RH_ENDORSEMENT, eks[which].template, &e->ek, &pub);
        if (rc != TSS2_RC_SUCCESS)
                return tss_error(ret_error, "cannot load the endorsement key", rc);
        r = ADD_MARSHALLED(j, "ek_public", TPM2B_PUBLIC, pub);
        tss->Esys_Free(pub);
        if (r >= 0 && cert_size > 0)
                r = add_b64(j, "ek_certificate", cert, cert_size);
        return r;
}

/* The device key under its parent (the provider's storage key, or a persistent one). */
static int load_key(TpmProver *e, const char *key_path, ESYS_TR *ret_key, TPM2B_PUBLIC *ret_pub, char **ret_error) {
        TPM2B_PRIVATE priv = {};
        ESYS_TR parent = ESYS_TR_NONE;
        uint32_t parent_handle;
        TSS2_RC rc;
        int r;

        r = read_key_blob(key_path, ret_pub, &priv, &parent_handle);
        if (r < 0)
                return error_set(ret_error, r, "cannot read the TPM key blob \"%s\"", key_path);
        if (parent_handle == TPM2_RH_OWNER)
                rc = create_primary(e->esys, ESYS_TR_RH_OWNER, &srk_template, &parent, NULL);
        else
                rc = tss->Esys_TR_FromTPMPublic(e->esys, parent_handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &parent);
        if (rc != TSS2_RC_SUCCESS)
                return tss_error(ret_error, "cannot load the storage key of the device key", rc);
        rc = tss->Esys_Load(e->esys, parent, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &priv, ret_pub, ret_key);
        if (parent_handle == TPM2_RH_OWNER)
                (void) tss->Esys_FlushContext(e->esys, parent);
        else
                (void) tss->Esys_TR_Close(e->esys, &parent);
        explicit_bzero(&priv, sizeof(priv));
        return rc == TSS2_RC_SUCCESS ? 0 : tss_error(ret_error, "the TPM cannot load the device key", rc);
}

static int certify(TpmProver *e, const char *key_path, json_object *j, char **ret_error) {
        static const TPM2B_DATA qualifying = {};
        static const TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL };
        TPM2B_PUBLIC key_pub = {};
        TPM2B_ATTEST *attest = NULL;
        TPMT_SIGNATURE *sig = NULL;
        ESYS_TR key = ESYS_TR_NONE;
        TSS2_RC rc;
        int r;

        r = load_key(e, key_path, &key, &key_pub, ret_error);
        if (r < 0)
                return r;
        rc = tss->Esys_Certify(e->esys, key, e->ak, ESYS_TR_PASSWORD, ESYS_TR_PASSWORD, ESYS_TR_NONE, &qualifying, &scheme,
                          &attest, &sig);
        (void) tss->Esys_FlushContext(e->esys, key);
        if (rc != TSS2_RC_SUCCESS)
                return tss_error(ret_error, "TPM2_Certify of the device key failed", rc);
        r = ADD_MARSHALLED(j, "key_public", TPM2B_PUBLIC, &key_pub);
        if (r >= 0)
                r = add_b64(j, "attest", attest->attestationData, attest->size);
        if (r >= 0)
                r = ADD_MARSHALLED(j, "signature", TPMT_SIGNATURE, sig);
        tss->Esys_Free(attest);
        tss->Esys_Free(sig);
        return r;
}

int tpm_prover_collect(const char *tcti, const char *key_path, TpmProver **ret, json_object **ret_json,
                         char **ret_error) {
        _cleanup_(tpm_prover_freep) TpmProver *e = NULL;
        _cleanup_json_ json_object *j = NULL;
        TPM2B_PUBLIC *ak_pub = NULL;
        const char *err;
        TSS2_RC rc;
        int r;

        if ((r = tss_api_load(&tss, &err)) < 0)
                return error_set(ret_error, r, "%s", err);
        e = calloc(1, sizeof(TpmProver));
        j = json_object_new_object();
        if (!e || !j)
                return -ENOMEM;
        e->ek = e->ak = ESYS_TR_NONE;
        /* tpm2-tss logs a warning on stderr for every absent NV index probed: we say what
         * matters ourselves ($TSS2_LOG, when set, wins). */
        (void) setenv("TSS2_LOG", "all+NONE", 0);
        tcti = tpm_tcti_resolve(tcti);
        rc = tss->Tss2_TctiLdr_Initialize(tcti, &e->tcti);
        if (rc == TSS2_RC_SUCCESS)
                rc = tss->Esys_Initialize(&e->esys, e->tcti, NULL);
        if (rc != TSS2_RC_SUCCESS)
                return tss_error(ret_error, "cannot open the TPM", rc);
        r = load_ek(e, j, ret_error);
        if (r < 0)
                return r;
        rc = create_primary(e->esys, ESYS_TR_RH_ENDORSEMENT, &ak_template, &e->ak, &ak_pub);
        if (rc != TSS2_RC_SUCCESS)
                return tss_error(ret_error, "cannot create the attestation key", rc);
        r = ADD_MARSHALLED(j, "ak_public", TPM2B_PUBLIC, ak_pub);
        tss->Esys_Free(ak_pub);
        if (r >= 0)
                r = certify(e, key_path, j, ret_error);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(e);
        *ret_json = TAKE_PTR(j);
        return 0;
}

/* base64url of a marshalled TPM2B into *ret (exact, no trailing bytes). */
#define DECODE_MARSHALLED(s, type, ret)                                                                 \
        ({                                                                                              \
                _cleanup_free_ uint8_t *_b = NULL;                                                      \
                size_t _n = 0, _off = 0;                                                                \
                base64url_decode((s), strlen(s), sizeof(*(ret)) + 16, &_b, &_n) >= 0 &&                 \
                                tss->Tss2_MU_##type##_Unmarshal(_b, _n, &_off, (ret)) == TSS2_RC_SUCCESS &&  \
                                _off == _n                                                              \
                        ? 0                                                                             \
                        : -EBADMSG;                                                                     \
        })

int tpm_prover_activate(TpmProver *e, const char *blob, const char *secret, char **ret, char **ret_error) {
        static const TPMT_SYM_DEF no_sym = { .algorithm = TPM2_ALG_NULL };
        TPM2B_ID_OBJECT id = {};
        TPM2B_ENCRYPTED_SECRET seed = {};
        TPM2B_DIGEST *cred = NULL;
        ESYS_TR session = ESYS_TR_NONE;
        TSS2_RC rc;
        int r;

        if (DECODE_MARSHALLED(blob, TPM2B_ID_OBJECT, &id) < 0 ||
            DECODE_MARSHALLED(secret, TPM2B_ENCRYPTED_SECRET, &seed) < 0)
                return error_set(ret_error, -EBADMSG, "the server's credential is not a TPM credential");
        /* The EK is used through its policy: PolicySecret of the endorsement hierarchy. */
        rc = tss->Esys_StartAuthSession(e->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                   NULL, TPM2_SE_POLICY, &no_sym, TPM2_ALG_SHA256, &session);
        if (rc == TSS2_RC_SUCCESS)
                rc = tss->Esys_PolicySecret(e->esys, ESYS_TR_RH_ENDORSEMENT, session, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                       ESYS_TR_NONE, NULL, NULL, NULL, 0, NULL, NULL);
        if (rc == TSS2_RC_SUCCESS)
                rc = tss->Esys_ActivateCredential(e->esys, e->ak, e->ek, ESYS_TR_PASSWORD, session, ESYS_TR_NONE, &id,
                                             &seed, &cred);
        if (session != ESYS_TR_NONE)
                (void) tss->Esys_FlushContext(e->esys, session);
        if (rc != TSS2_RC_SUCCESS)
                return tss_error(ret_error, "TPM2_ActivateCredential failed", rc);
        r = base64url_encode(cred->buffer, cred->size, ret, NULL);
        explicit_bzero(cred->buffer, cred->size);
        tss->Esys_Free(cred);
        return r;
}
