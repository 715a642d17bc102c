/* SPDX-License-Identifier: MIT */
#pragma once

/* The Vigie certificate authority (ECDSA P-256): the server's own certificate, device
 * certificates issued from enrollment CSRs, admin and scraper client certificates. A
 * certificate's role is its subject OU ("device", "admin", "scraper", "server"), which
 * only this CA writes: we never copy a subject from a CSR. */

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "hash-util.h"
#include "macro.h"
#include "store.h"

#define CA_KEY_FILE "ca.key"
#define CA_CERT_FILE "ca.pem"
#define SERVER_KEY_FILE "server.key"
#define SERVER_CERT_FILE "server.pem"
#define UUID_STRING_MAX 37
#define CSR_PEM_MAX (16u * 1024)

typedef struct Ca {
        EVP_PKEY *key;
        X509 *cert;
} Ca;

Ca *ca_free(Ca *ca);
static inline void ca_freep(Ca **ca) {
        ca_free(*ca);
}
/* A new self-signed CA named "Vigie CA (name)", valid 20 years. */
int ca_create(const char *name, Ca **ret);
int ca_load(const char *dir, Ca **ret);
int ca_save(const Ca *ca, const char *dir);

int key_new_p256(EVP_PKEY **ret);
/* The key is written 0600. */
int pem_write_key(const char *path, EVP_PKEY *key);
int pem_write_cert(const char *path, X509 *cert, X509 *chain);
char *pem_from_cert(X509 *cert);

typedef struct CertRequest {
        const char *cn;
        const char *role; /* the OU */
        bool server;      /* serverAuth EKU and SANs, else clientAuth */
        char *const *dns; /* SANs, server only */
        char *const *ips;
        usec_t not_before; /* 0: now */
        usec_t lifetime;
} CertRequest;
int ca_issue(const Ca *ca, EVP_PKEY *subject_key, const CertRequest *req, X509 **ret);

/* What the store records of a certificate. serial and fingerprint (sha256 of the DER,
 * which is also the JWS kid) are hex. */
typedef struct CertInfo {
        char serial[2 * 20 + 1];
        char fingerprint[SHA256_HEX_SIZE];
        char cn[128];
        char ou[32];
        int64_t not_before, not_after;
} CertInfo;
int cert_get_info(X509 *cert, CertInfo *ret);
CertRole cert_role(const CertInfo *info);

/* Enrollment CSRs: PEM, one request, self-signature valid, an EC P-256 key, CN a lowercase
 * UUID. -EBADMSG with a message for the client in *ret_error. */
int csr_parse(const char *pem, size_t size, X509_REQ **ret, char **ret_error);
int csr_check(X509_REQ *csr, char ret_cn[static UUID_STRING_MAX], char **ret_error);
