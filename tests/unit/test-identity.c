/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <systemd/sd-id128.h>

#include "cleanup.h"
#include "fs-util.h"
#include "identity.h"
#include "report.h"

static void test_device_id(void **state) {
        char a[DEVICE_ID_SIZE], b[DEVICE_ID_SIZE], c[DEVICE_ID_SIZE], m[DEVICE_ID_SIZE];
        (void) state;

        assert_int_equal(unsetenv("VIGIE_DEVICE_ID_SEED"), 0);
        assert_int_equal(device_id_get("laptop-1", a), 0);
        assert_int_equal(device_id_get("laptop-1", b), 0);
        assert_int_equal(device_id_get("laptop-2", c), 0);
        assert_string_equal(a, b);
        assert_string_not_equal(a, c);
        assert_true(uuid_string_is_valid(a));
        assert_int_equal(a[14], '4'); /* a version 4 UUID, like the machine-derived one */
        /* The environment wins over the configuration's seed. */
        assert_int_equal(setenv("VIGIE_DEVICE_ID_SEED", "laptop-2", 1), 0);
        assert_int_equal(device_id_get("laptop-1", b), 0);
        assert_string_equal(b, c);
        assert_int_equal(unsetenv("VIGIE_DEVICE_ID_SEED"), 0);
        /* From the machine id: stable, and not the machine id itself. */
        if (device_id_get(NULL, m) >= 0) {
                _cleanup_free_ char *machine = NULL;
                size_t n;
                assert_int_equal(device_id_get("", b), 0);
                assert_string_equal(m, b);
                assert_true(uuid_string_is_valid(m));
                if (read_file_full("/etc/machine-id", 64, &machine, &n) >= 0)
                        assert_null(strstr(machine, m));
        }
        /* The same id as libsystemd's on this machine (the test links it; vigie does not). */
        {
                sd_id128_t sd;
                char s[SD_ID128_UUID_STRING_MAX];
                int r = sd_id128_get_machine_app_specific(
                        SD_ID128_MAKE(5e, 3a, 0c, 7d, 91, b2, 4f, 6e, a8, 17, c4, d9, 2b, 60, f1, 83), &sd);
                if (r >= 0) {
                        assert_int_equal(device_id_get(NULL, m), 0);
                        assert_string_equal(m, sd_id128_to_uuid_string(sd, s));
                } else
                        assert_int_equal(device_id_get(NULL, m), r == -EUCLEAN ? -EINVAL : r);
        }
}

/* Ids computed by libsystemd 252 itself (sd_id128_get_machine_app_specific() with Vigie's
 * app id, /etc/machine-id bind-mounted over with each text) and its refusals: an enrolled
 * device's id must never change. */
static void test_device_id_from_machine_id(void **state) {
        static const struct {
                const char *machine_id;
                const char *device_id; /* or NULL */
                int error;
        } vectors[] = {
                { "3d1219c7c4c5404aaa1f6d2a48adfda4\n", "b97d1b5e-97d1-430f-9618-d3fb86f6e552", 0 },
                { "0123456789abcdef0123456789abcdef\n", "4f283b07-ccaf-4d58-9434-24adfc18b549", 0 },
                { "0123456789ABCDEF0123456789ABCDEF\n", "4f283b07-ccaf-4d58-9434-24adfc18b549", 0 },
                { "ffffffffffffffffffffffffffffffff", "15080ea9-6a11-4484-98ce-d2e0d284b0c8", 0 },
                { "00000000000000000000000000000001\n", "55062c39-9063-427e-96ac-ecc2f6ca3a6b", 0 },
                { "b08dfa6083e7567a1921a715000001fb\n", "20298bfe-a444-4441-af8a-d5e74601e611", 0 },
                { "00000000000000000000000000000000\n", NULL, -ENOMEDIUM },
                { "", NULL, -ENOMEDIUM },
                { "uninitialized\n", NULL, -ENOPKG },
                { "uninitialized", NULL, -ENOPKG },
                { "0123456789abcdef0123456789abcde\n", NULL, -EINVAL },
                { "0123456789abcdef0123456789abcdefx", NULL, -EINVAL },
                { "01234567-89ab-cdef-0123-456789abcdef\n", NULL, -EINVAL },
                { "0123456789abcdef0123456789abcdeg\n", NULL, -EINVAL },
                { "0123456789abcdef0123456789abcdef\n\n", NULL, -EINVAL },
        };
        (void) state;

        for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
                char id[DEVICE_ID_SIZE] = "";
                int r = device_id_from_machine_id(vectors[i].machine_id, strlen(vectors[i].machine_id), id);
                assert_int_equal(r, vectors[i].error);
                if (vectors[i].device_id)
                        assert_string_equal(id, vectors[i].device_id);
        }
}

static void test_key_and_csr(void **state) {
        char dir[] = "/tmp/test-identity-XXXXXX";
        _cleanup_free_ char *path = NULL, *uri = NULL, *csr = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_(X509_REQ_freep) X509_REQ *req = NULL;
        _cleanup_(BIO_free_allp) BIO *bio = NULL;
        struct stat st;
        char cn[64];
        (void) state;

        assert_non_null(mkdtemp(dir));
        path = path_join(dir, "device.key");
        assert_int_equal(identity_generate_key(path), 0);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        assert_int_equal(identity_generate_key(path), -EEXIST); /* never overwritten */
        assert_true(asprintf(&uri, "file:%s", path) > 0);
        assert_int_equal(pki_load_key(uri, &key), 0);
        assert_true(evp_pkey_is_p256(key));
        assert_int_equal(identity_make_csr(key, "6f1c2a9e-3b4d-4e5f-8a9b-0c1d2e3f4a5b", &csr), 0);
        bio = BIO_new_mem_buf(csr, -1);
        req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
        assert_non_null(req);
        assert_int_equal(X509_REQ_verify(req, key), 1);
        assert_true(X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req), NID_commonName, cn, sizeof cn) > 0);
        assert_string_equal(cn, "6f1c2a9e-3b4d-4e5f-8a9b-0c1d2e3f4a5b");

        /* A missing key file, and a key that is not P-256. */
        {
                _cleanup_(EVP_PKEY_freep) EVP_PKEY *k = NULL, *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
                _cleanup_free_ char *rsa_path = path_join(dir, "rsa.key"), *rsa_uri = NULL;
                _cleanup_fclose_ FILE *f = NULL;
                assert_int_equal(pki_load_key("file:/nonexistent/device.key", &k), -ENOENT);
                f = fopen(rsa_path, "we");
                assert_non_null(f);
                assert_int_equal(PEM_write_PrivateKey(f, rsa, NULL, NULL, 0, NULL, NULL), 1);
                assert_int_equal(fflush(f), 0);
                assert_true(asprintf(&rsa_uri, "file:%s", rsa_path) > 0);
                assert_int_equal(pki_load_key(rsa_uri, &k), -EINVAL);
                assert_int_equal(unlink(rsa_path), 0);
        }
        /* The PEM EC keys pki_load_key decodes without OSSL_STORE, and those it leaves to it:
         * each loads as the same key, or is refused as before. */
        {
                _cleanup_(EVP_PKEY_freep) EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
                _cleanup_free_ char *other = path_join(dir, "other.key"), *other_uri = NULL;
                assert_true(asprintf(&other_uri, "file:%s", other) > 0);
                for (int form = 0; form < 4; form++) {
                        _cleanup_(EVP_PKEY_freep) EVP_PKEY *k = NULL;
                        _cleanup_fclose_ FILE *f = fopen(other, "we");
                        assert_non_null(f);
                        if (form == 1) /* text before the PEM block: OSSL_STORE's */
                                assert_true(fputs("a comment\n", f) >= 0);
                        if (form == 3)
                                assert_int_equal(PEM_write_PrivateKey(f, p384, NULL, NULL, 0, NULL, NULL), 1);
                        else if (form == 2) { /* SEC1, "EC PRIVATE KEY" */
                                _cleanup_(BIO_free_allp) BIO *b = BIO_new_fp(f, BIO_NOCLOSE);
                                assert_int_equal(PEM_write_bio_PrivateKey_traditional(b, key, NULL, NULL, 0, NULL, NULL), 1);
                        }
                        else
                                assert_int_equal(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
                        assert_int_equal(fflush(f), 0);
                        if (form == 3) {
                                assert_int_equal(pki_load_key(other_uri, &k), -EINVAL);
                                continue;
                        }
                        assert_int_equal(pki_load_key(other_uri, &k), 0);
                        assert_int_equal(EVP_PKEY_eq(k, key), 1);
                }
                assert_int_equal(unlink(other), 0);
        }
        assert_int_equal(unlink(path), 0);
        assert_int_equal(rmdir(dir), 0);
}

static void test_key_uri(void **state) {
        _cleanup_(agent_config_freep) AgentConfig *c = agent_config_new();
        _cleanup_free_ char *uri = NULL;
        bool provider = true;
        (void) state;

        assert_int_equal(identity_key_uri(c, &uri, &provider), 0);
        assert_string_equal(uri, "file:" LOCALSTATEDIR "/lib/vigie/device.key");
        assert_false(provider);
        free(uri);
        c->key_uri = strdup("handle:0x81000001");
        assert_int_equal(identity_key_uri(c, &uri, &provider), 0);
        assert_string_equal(uri, "handle:0x81000001");
        assert_true(provider);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_device_id),
                cmocka_unit_test(test_device_id_from_machine_id),
                cmocka_unit_test(test_key_and_csr),
                cmocka_unit_test(test_key_uri),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
