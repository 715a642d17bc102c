/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <tss2/tss2_mu.h>

#include "cleanup.h"
#include "jws.h"
#include "macro.h"
#include "tpm-attest.h"

#define SHA256_SIZE 32
#define P256_SIZE 32
/* TPM 2.0 Part 1, 24: the label of credential protection (with its NUL). */
static const uint8_t identity_label[] = "IDENTITY";

DEFINE_TRIVIAL_CLEANUP_FUNC(OSSL_PARAM *, OSSL_PARAM_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(OSSL_PARAM_BLD *, OSSL_PARAM_BLD_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(BIGNUM *, BN_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_CIPHER_CTX *, EVP_CIPHER_CTX_free)

/* HMAC-SHA-256 over the concatenation of n pieces (at most 256 bytes in all). */
static int hmac_sha256(const uint8_t *key, size_t key_size, const struct iovec *v, size_t n,
                       uint8_t out[static 32]) {
        uint8_t buf[256];
        size_t len = 0, out_len = 0;
        void *ok;

        for (size_t i = 0; i < n; i++) {
                if (v[i].iov_len > sizeof(buf) - len)
                        return -E2BIG;
                if (v[i].iov_len == 0)
                        continue;
                memcpy(buf + len, v[i].iov_base, v[i].iov_len);
                len += v[i].iov_len;
        }
        ok = EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, key_size, buf, len, out, 32, &out_len);
        explicit_bzero(buf, sizeof(buf));
        return ok && out_len == 32 ? 0 : -ENOMEM;
}

void tpm_evidence_done(TpmEvidence *e) {
        X509_free(e->ek_cert);
        *e = (TpmEvidence) {};
}

/* Exact: trailing bytes are an error too. */
#define DEFINE_EXACT_PARSER(name, type)                                                                 \
        int name(const uint8_t *buf, size_t size, type *ret) {                                          \
                size_t off = 0;                                                                         \
                type v = {};                                                                            \
                if (Tss2_MU_##type##_Unmarshal(buf, size, &off, &v) != TSS2_RC_SUCCESS || off != size)  \
                        return -EBADMSG;                                                                \
                *ret = v;                                                                               \
                return 0;                                                                               \
        }

DEFINE_EXACT_PARSER(tpm_public_parse, TPM2B_PUBLIC)
DEFINE_EXACT_PARSER(tpm_attest_parse, TPMS_ATTEST)
DEFINE_EXACT_PARSER(tpm_signature_parse, TPMT_SIGNATURE)

int tpm_public_name(const TPM2B_PUBLIC *p, TPM2B_NAME *ret) {
        uint8_t buf[sizeof(TPMT_PUBLIC)];
        size_t off = 0;
        TPM2B_NAME n = { .size = 2 + SHA256_SIZE };

        if (p->publicArea.nameAlg != TPM2_ALG_SHA256)
                return -EOPNOTSUPP;
        if (Tss2_MU_TPMT_PUBLIC_Marshal(&p->publicArea, buf, sizeof(buf), &off) != TSS2_RC_SUCCESS)
                return -EBADMSG;
        n.name[0] = TPM2_ALG_SHA256 >> 8;
        n.name[1] = TPM2_ALG_SHA256 & 0xff;
        if (!EVP_Digest(buf, off, n.name + 2, NULL, EVP_sha256(), NULL))
                return -ENOMEM;
        *ret = n;
        return 0;
}

static int pkey_from_params(const char *type, OSSL_PARAM_BLD *bld, EVP_PKEY **ret) {
        _cleanup_(OSSL_PARAM_freep) OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
        _cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
        EVP_PKEY *k = NULL;

        if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
            EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
                ERR_clear_error();
                return -EBADMSG;
        }
        *ret = k;
        return 0;
}

int tpm_public_to_pkey(const TPM2B_PUBLIC *p, EVP_PKEY **ret) {
        const TPMT_PUBLIC *t = &p->publicArea;
        _cleanup_(OSSL_PARAM_BLD_freep) OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        _cleanup_(BN_freep) BIGNUM *n = NULL, *e = NULL;
        uint8_t point[P256_POINT_SIZE] = { POINT_CONVERSION_UNCOMPRESSED };
        int r;

        if (!bld)
                return -ENOMEM;
        if (t->type == TPM2_ALG_RSA) {
                uint32_t exponent = t->parameters.rsaDetail.exponent ?: 65537;

                if (t->unique.rsa.size == 0 || t->unique.rsa.size > sizeof(t->unique.rsa.buffer))
                        return -EBADMSG;
                n = BN_bin2bn(t->unique.rsa.buffer, t->unique.rsa.size, NULL);
                e = BN_new();
                if (!n || !e || !BN_set_word(e, exponent) || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
                    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
                        return -ENOMEM;
                return pkey_from_params("RSA", bld, ret);
        }
        if (t->type != TPM2_ALG_ECC || t->parameters.eccDetail.curveID != TPM2_ECC_NIST_P256)
                return -EOPNOTSUPP;
        if (t->unique.ecc.x.size > P256_SIZE || t->unique.ecc.y.size > P256_SIZE)
                return -EBADMSG;
        /* left-padded coordinates */
        memcpy(point + 1 + P256_SIZE - t->unique.ecc.x.size, t->unique.ecc.x.buffer, t->unique.ecc.x.size);
        memcpy(point + 1 + 2 * P256_SIZE - t->unique.ecc.y.size, t->unique.ecc.y.buffer, t->unique.ecc.y.size);
        r = p256_public_key(point, ret);
        return r == -EINVAL ? -EBADMSG : r;
}

/* ---- the checks ---- */

#define REASON(ret, ...) ({ if (asprintf((ret), __VA_ARGS__) < 0) *(ret) = NULL; *(ret) ? -EPERM : -ENOMEM; })

static bool has(TPMA_OBJECT attrs, TPMA_OBJECT want) {
        return (attrs & want) == want;
}

/* The AK's signature over the TPMS_ATTEST bytes: ECDSA or RSASSA, SHA-256. */
static int verify_signature(const TpmEvidence *e, EVP_PKEY *ak) {
        const TPMT_SIGNATURE *s = &e->signature;
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
        _cleanup_openssl_free_ uint8_t *der = NULL;
        const uint8_t *sig;
        size_t sig_size;
        int len, ok;

        if (!md)
                return -ENOMEM;
        if (s->sigAlg == TPM2_ALG_ECDSA && s->signature.ecdsa.hash == TPM2_ALG_SHA256) {
                ECDSA_SIG *es = ECDSA_SIG_new();
                BIGNUM *r = BN_bin2bn(s->signature.ecdsa.signatureR.buffer,
                                      MIN(s->signature.ecdsa.signatureR.size, (UINT16) P256_SIZE), NULL);
                BIGNUM *ss = BN_bin2bn(s->signature.ecdsa.signatureS.buffer,
                                       MIN(s->signature.ecdsa.signatureS.size, (UINT16) P256_SIZE), NULL);

                if (!es || !r || !ss || !ECDSA_SIG_set0(es, r, ss)) {
                        ECDSA_SIG_free(es);
                        BN_free(r);
                        BN_free(ss);
                        return -ENOMEM;
                }
                len = i2d_ECDSA_SIG(es, &der);
                ECDSA_SIG_free(es);
                if (len <= 0)
                        return -ENOMEM;
                sig = der;
                sig_size = (size_t) len;
        } else if (s->sigAlg == TPM2_ALG_RSASSA && s->signature.rsassa.hash == TPM2_ALG_SHA256) {
                sig = s->signature.rsassa.sig.buffer;
                sig_size = MIN(s->signature.rsassa.sig.size, (UINT16) sizeof(s->signature.rsassa.sig.buffer));
        } else
                return -EOPNOTSUPP;
        ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, ak) == 1 &&
             EVP_DigestVerify(md, sig, sig_size, e->attest_raw, e->attest_size) == 1;
        ERR_clear_error();
        return ok ? 0 : -EBADMSG;
}

static int check_certification(const TpmEvidence *e, EVP_PKEY *csr_key, char **ret_reason) {
        const TPMT_PUBLIC *ak = &e->ak.publicArea, *key = &e->key.publicArea;
        const TPMS_CERTIFY_INFO *ci = &e->attest.attested.certify;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *ak_pkey = NULL, *key_pkey = NULL;
        TPM2B_NAME name;
        int r;

        if (!has(ak->objectAttributes, TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_FIXEDTPM |
                                               TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN) ||
            (ak->objectAttributes & TPMA_OBJECT_DECRYPT))
                return REASON(ret_reason, "the attestation key is not a restricted signing key of the TPM");
        if (tpm_public_to_pkey(&e->ak, &ak_pkey) < 0)
                return REASON(ret_reason, "the attestation key is not an RSA or P-256 key");
        r = verify_signature(e, ak_pkey);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return REASON(ret_reason, "the certification is not signed by the attestation key");
        if (e->attest.magic != TPM2_GENERATED_VALUE || e->attest.type != TPM2_ST_ATTEST_CERTIFY)
                return REASON(ret_reason, "the attestation is not a TPM2_Certify made by a TPM");
        r = tpm_public_name(&e->key, &name);
        if (r < 0)
                return REASON(ret_reason, "the device key's public area has no SHA-256 name");
        if (ci->name.size != name.size || CRYPTO_memcmp(ci->name.name, name.name, name.size) != 0)
                return REASON(ret_reason, "the TPM certified another key than the one sent");
        if (!has(key->objectAttributes, TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                                TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_SIGN_ENCRYPT))
                return REASON(ret_reason, "the device key may leave the TPM (it lacks fixedTPM, fixedParent or "
                                          "sensitiveDataOrigin)");
        if (tpm_public_to_pkey(&e->key, &key_pkey) < 0 || EVP_PKEY_eq(key_pkey, csr_key) != 1) {
                ERR_clear_error();
                return REASON(ret_reason, "the key the TPM certified is not the key of the certificate request");
        }
        return 0;
}

static int check_ek(const TpmEvidence *e, X509_STORE *roots, char **ret_reason) {
        const TPMT_PUBLIC *ek = &e->ek.publicArea;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *ek_pkey = NULL;
        X509_STORE_CTX *ctx;
        int ok, err;

        if (!has(ek->objectAttributes, TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT | TPMA_OBJECT_FIXEDTPM |
                                               TPMA_OBJECT_FIXEDPARENT))
                return REASON(ret_reason, "the endorsement key is not a restricted decryption key of the TPM");
        if (!e->ek_cert)
                return REASON(ret_reason, "the TPM has no endorsement key certificate");
        if (!roots)
                return REASON(ret_reason, "no TPM vendor CA is configured ([Enroll] TPMRootCAs=)");
        if (tpm_public_to_pkey(&e->ek, &ek_pkey) < 0 || EVP_PKEY_eq(X509_get0_pubkey(e->ek_cert), ek_pkey) != 1) {
                ERR_clear_error();
                return REASON(ret_reason, "the endorsement key certificate is for another key");
        }
        ctx = X509_STORE_CTX_new();
        if (!ctx || X509_STORE_CTX_init(ctx, roots, e->ek_cert, NULL) != 1) {
                X509_STORE_CTX_free(ctx);
                return -ENOMEM;
        }
        /* EK certificates name the TPM in a critical subjectAltName OpenSSL does not parse
         * (TCG EK Credential Profile 3.2.9); the chain and the key are what counts here. */
        X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_IGNORE_CRITICAL);
        ok = X509_verify_cert(ctx) == 1;
        err = X509_STORE_CTX_get_error(ctx);
        X509_STORE_CTX_free(ctx);
        ERR_clear_error();
        if (!ok)
                return REASON(ret_reason, "the endorsement key certificate does not chain to a configured TPM "
                                          "vendor CA: %s", X509_verify_cert_error_string(err));
        return 0;
}

int tpm_evidence_check(const TpmEvidence *e, EVP_PKEY *csr_key, X509_STORE *roots, char **ret_reason) {
        int r = check_certification(e, csr_key, ret_reason);
        return r < 0 ? r : check_ek(e, roots, ret_reason);
}

/* ---- TPM2_MakeCredential ---- */

/* SP 800-108 counter-mode KDF with HMAC-SHA-256, as TPM 2.0 Part 1 11.4.10.2 (KDFa): the
 * label includes its NUL. */
static int kdfa(const uint8_t *key, size_t key_size, const char *label, const uint8_t *context_u,
                size_t u_size, uint8_t *out, size_t out_size) {
        uint8_t bits[4] = { (uint8_t) ((out_size * 8) >> 24), (uint8_t) ((out_size * 8) >> 16),
                            (uint8_t) ((out_size * 8) >> 8), (uint8_t) (out_size * 8) };

        for (uint32_t i = 1, done = 0; done < out_size; i++, done += SHA256_SIZE) {
                uint8_t counter[4] = { (uint8_t) (i >> 24), (uint8_t) (i >> 16), (uint8_t) (i >> 8), (uint8_t) i };
                uint8_t block[SHA256_SIZE];
                const struct iovec v[] = { { counter, 4 }, { (void *) label, strlen(label) + 1 },
                                           { (void *) context_u, u_size }, { bits, 4 } };
                int r = hmac_sha256(key, key_size, v, ELEMENTSOF(v), block);

                if (r < 0)
                        return r;
                memcpy(out + done, block, MIN((size_t) SHA256_SIZE, out_size - done));
                explicit_bzero(block, sizeof(block));
        }
        return 0;
}

/* NIST SP 800-56A concatenation KDF with SHA-256 (TPM 2.0 Part 1 11.4.10.3, KDFe). */
static int kdfe(const uint8_t *z, size_t z_size, const uint8_t *party_u, const uint8_t *party_v, size_t p_size,
                uint8_t out[static SHA256_SIZE]) {
        uint8_t counter[4] = { 0, 0, 0, 1 };
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();

        if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL) || !EVP_DigestUpdate(md, counter, 4) ||
            !EVP_DigestUpdate(md, z, z_size) || !EVP_DigestUpdate(md, identity_label, sizeof(identity_label)) ||
            !EVP_DigestUpdate(md, party_u, p_size) || !EVP_DigestUpdate(md, party_v, p_size) ||
            !EVP_DigestFinal_ex(md, out, NULL))
                return -ENOMEM;
        return 0;
}

/* RSA EK: a random seed, OAEP-SHA-256 encrypted with the label "IDENTITY". */
static int seed_rsa(EVP_PKEY *ek, uint8_t seed[static SHA256_SIZE], TPM2B_ENCRYPTED_SECRET *ret) {
        _cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(ek, NULL);
        void *label = OPENSSL_memdup(identity_label, sizeof(identity_label));
        size_t len = sizeof(ret->secret);

        if (!ctx || !label || RAND_bytes(seed, SHA256_SIZE) != 1 || EVP_PKEY_encrypt_init(ctx) <= 0 ||
            EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
            EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) <= 0) {
                OPENSSL_free(label);
                return -ENOMEM;
        }
        if (EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, label, sizeof(identity_label)) <= 0) {
                OPENSSL_free(label);
                return -ENOMEM;
        }
        if (EVP_PKEY_encrypt(ctx, ret->secret, &len, seed, SHA256_SIZE) <= 0)
                return -EBADMSG;
        ret->size = (UINT16) len;
        return 0;
}

/* ECC EK: an ephemeral P-256 key; seed = KDFe(ECDH x, "IDENTITY", ephemeral x, EK x); the
 * secret is the ephemeral point. */
static int seed_ecc(EVP_PKEY *ek, const TPM2B_PUBLIC *ek_pub, uint8_t seed[static SHA256_SIZE],
                    TPM2B_ENCRYPTED_SECRET *ret) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *eph = EVP_EC_gen("P-256");
        _cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx = NULL;
        uint8_t point[1 + 2 * P256_SIZE], z[P256_SIZE], ek_x[P256_SIZE] = {};
        const TPM2B_ECC_PARAMETER *x = &ek_pub->publicArea.unique.ecc.x;
        TPMS_ECC_POINT q = { .x.size = P256_SIZE, .y.size = P256_SIZE };
        size_t len = sizeof(point), zlen = sizeof(z), off = 0;
        int r;

        if (!eph || !EVP_PKEY_get_octet_string_param(eph, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point), &len) ||
            len != sizeof(point))
                return -ENOMEM;
        memcpy(q.x.buffer, point + 1, P256_SIZE);
        memcpy(q.y.buffer, point + 1 + P256_SIZE, P256_SIZE);
        ctx = EVP_PKEY_CTX_new(eph, NULL);
        if (!ctx || EVP_PKEY_derive_init(ctx) <= 0 || EVP_PKEY_derive_set_peer(ctx, ek) <= 0 ||
            EVP_PKEY_derive(ctx, z, &zlen) <= 0 || zlen != sizeof(z)) {
                ERR_clear_error();
                return -EBADMSG;
        }
        memcpy(ek_x + P256_SIZE - x->size, x->buffer, x->size); /* size checked by tpm_public_to_pkey */
        r = kdfe(z, sizeof(z), q.x.buffer, ek_x, P256_SIZE, seed);
        explicit_bzero(z, sizeof(z));
        if (r < 0)
                return r;
        if (Tss2_MU_TPMS_ECC_POINT_Marshal(&q, ret->secret, sizeof(ret->secret), &off) != TSS2_RC_SUCCESS)
                return -ENOMEM;
        ret->size = (UINT16) off;
        return 0;
}

static int aes_cfb(const uint8_t key[static 16], const uint8_t *in, size_t size, uint8_t *out) {
        static const uint8_t iv[16];
        _cleanup_(EVP_CIPHER_CTX_freep) EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
        int len = 0, fin = 0;

        if (!c || !EVP_EncryptInit_ex(c, EVP_aes_128_cfb(), NULL, key, iv) ||
            !EVP_EncryptUpdate(c, out, &len, in, (int) size) || !EVP_EncryptFinal_ex(c, out + len, &fin) ||
            (size_t) (len + fin) != size)
                return -ENOMEM;
        return 0;
}

int tpm_make_credential(const TPM2B_PUBLIC *ek, const TPM2B_NAME *ak_name, const uint8_t *secret,
                        size_t secret_size, TPM2B_ID_OBJECT *ret_blob, TPM2B_ENCRYPTED_SECRET *ret_seed) {
        const TPMT_PUBLIC *t = &ek->publicArea;
        const TPMT_SYM_DEF_OBJECT *sym = t->type == TPM2_ALG_RSA ? &t->parameters.rsaDetail.symmetric
                                                                  : &t->parameters.eccDetail.symmetric;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *ek_pkey = NULL;
        uint8_t seed[SHA256_SIZE], sym_key[16], hmac_key[SHA256_SIZE], plain[2 + SHA256_SIZE];
        uint8_t enc[sizeof(plain)], mac[SHA256_SIZE];
        TPM2B_ID_OBJECT blob = {};
        TPM2B_ENCRYPTED_SECRET enc_seed = {};
        int r;

        if (t->nameAlg != TPM2_ALG_SHA256 || sym->algorithm != TPM2_ALG_AES || sym->keyBits.aes != 128 ||
            sym->mode.aes != TPM2_ALG_CFB || secret_size == 0 || secret_size > SHA256_SIZE)
                return -EOPNOTSUPP;
        r = tpm_public_to_pkey(ek, &ek_pkey);
        if (r < 0)
                return r;
        r = t->type == TPM2_ALG_RSA ? seed_rsa(ek_pkey, seed, &enc_seed) : seed_ecc(ek_pkey, ek, seed, &enc_seed);
        /* symKey = KDFa(seed, "STORAGE", name), HMACkey = KDFa(seed, "INTEGRITY") */
        if (r >= 0)
                r = kdfa(seed, sizeof(seed), "STORAGE", ak_name->name, ak_name->size, sym_key, sizeof(sym_key));
        if (r >= 0)
                r = kdfa(seed, sizeof(seed), "INTEGRITY", NULL, 0, hmac_key, sizeof(hmac_key));
        explicit_bzero(seed, sizeof(seed));
        /* encIdentity = AES-CFB(TPM2B_DIGEST of the secret), IV 0 */
        plain[0] = (uint8_t) (secret_size >> 8);
        plain[1] = (uint8_t) secret_size;
        memcpy(plain + 2, secret, secret_size);
        if (r >= 0)
                r = aes_cfb(sym_key, plain, 2 + secret_size, enc);
        explicit_bzero(plain, sizeof(plain));
        explicit_bzero(sym_key, sizeof(sym_key));
        /* outerHMAC = HMAC(HMACkey, encIdentity || name); blob = TPM2B(outerHMAC) || encIdentity */
        if (r >= 0) {
                const struct iovec v[] = { { enc, 2 + secret_size }, { (void *) ak_name->name, ak_name->size } };
                r = hmac_sha256(hmac_key, sizeof(hmac_key), v, ELEMENTSOF(v), mac);
        }
        explicit_bzero(hmac_key, sizeof(hmac_key));
        if (r < 0)
                return r;
        blob.credential[0] = 0;
        blob.credential[1] = SHA256_SIZE;
        memcpy(blob.credential + 2, mac, SHA256_SIZE);
        memcpy(blob.credential + 2 + SHA256_SIZE, enc, 2 + secret_size);
        blob.size = (UINT16) (2 + SHA256_SIZE + 2 + secret_size);
        *ret_blob = blob;
        *ret_seed = enc_seed;
        return 0;
}
