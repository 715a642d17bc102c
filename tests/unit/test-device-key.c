/* SPDX-License-Identifier: MIT */
/* Key kinds the server records, what reports may say against them, the policy's
 * device_identity section and its verdict for each kind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cleanup.h"
#include "device-key.h"
#include "json-util.h"
#include "policy.h"

static void test_kinds_and_claims(void **state) {
        DeviceKey k;
        (void) state;

        for (int i = 0; i < _DEVICE_KEY_MAX; i++)
                assert_int_equal(device_key_from_string(device_key_to_string(i)), i);
        assert_int_equal(device_key_from_string("ec-p256"), DEVICE_KEY_UNKNOWN);
        assert_int_equal(device_key_from_string(NULL), DEVICE_KEY_UNKNOWN);
        assert_int_equal(device_key_from_claim("tpm", &k), 0);
        assert_int_equal(k, DEVICE_KEY_TPM_UNVERIFIED); /* a claim is never proof */
        assert_int_equal(device_key_from_claim("file", &k), 0);
        assert_int_equal(k, DEVICE_KEY_FILE);
        assert_int_equal(device_key_from_claim("tpm_unverified", &k), -EINVAL);
        assert_int_equal(device_key_from_claim(NULL, &k), -EINVAL);

        assert_true(device_key_matches_claim(DEVICE_KEY_TPM, "tpm"));
        assert_true(device_key_matches_claim(DEVICE_KEY_TPM_UNVERIFIED, "tpm"));
        assert_false(device_key_matches_claim(DEVICE_KEY_TPM, "file"));
        assert_false(device_key_matches_claim(DEVICE_KEY_FILE, "tpm"));
        assert_false(device_key_matches_claim(DEVICE_KEY_FILE, "provider"));
        assert_true(device_key_matches_claim(DEVICE_KEY_PROVIDER, "provider"));
        assert_true(device_key_matches_claim(DEVICE_KEY_UNKNOWN, "tpm"));
}

static Policy *parse(const char *json, PolicyFlags flags, char **ret_error) {
        _cleanup_json_ json_object *j = NULL;
        Policy *p = NULL;

        assert_int_equal(json_parse(json, strlen(json), &j, NULL), 0);
        return policy_from_json(j, flags, &p, ret_error) < 0 ? NULL : p;
}

static void test_policy_section(void **state) {
        _cleanup_(policy_freep) Policy *p = NULL, *none = NULL, *lenient = NULL;
        _cleanup_json_ json_object *j = NULL;
        _cleanup_free_ char *err = NULL;
        json_object *v;
        (void) state;

        none = parse("{}", POLICY_STRICT, &err);
        assert_non_null(none);
        assert_false(none->identity.present);
        j = policy_to_json(none);
        assert_false(json_object_object_get_ex(j, "device_identity", &v)); /* policies without it stay as they were */
        json_object_put(TAKE_PTR(j));

        p = parse("{\"device_identity\":{\"required\":true}}", POLICY_STRICT, &err);
        assert_non_null(p);
        assert_true(p->identity.present && p->identity.required);
        assert_int_equal(p->identity.key, IDENTITY_KEY_TPM); /* the default: proven */
        j = policy_to_json(p);
        assert_true(json_object_object_get_ex(j, "device_identity", &v));
        assert_string_equal(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
                            "{\"required\":true,\"key\":\"tpm\"}");

        assert_null(parse("{\"device_identity\":{\"key\":\"hsm\"}}", POLICY_STRICT, &err));
        assert_string_equal(err, "device_identity.key: \"hsm\" is not \"tpm\" or \"tpm_unverified\"");
        err = (free(err), NULL);
        assert_null(parse("{\"device_identity\":{\"required\":1}}", POLICY_STRICT, &err));
        assert_non_null(strstr(err, "device_identity.required: expected true or false"));
        err = (free(err), NULL);
        assert_null(parse("{\"device_identity\":[]}", POLICY_STRICT, &err));
        err = (free(err), NULL);
        assert_null(parse("{\"device_identity\":{\"later\":1}}", POLICY_STRICT, &err));
        assert_string_equal(err, "device_identity.later: unknown key");
        /* an agent reads what a newer server may add */
        lenient = parse("{\"device_identity\":{\"later\":1,\"key\":\"tpm_unverified\"}}", 0, &err);
        assert_non_null(lenient);
        assert_int_equal(lenient->identity.key, IDENTITY_KEY_TPM_UNVERIFIED);
}

static void test_judge(void **state) {
        PolicyIdentity tpm = { .present = true, .required = true, .key = IDENTITY_KEY_TPM };
        PolicyIdentity any_tpm = { .present = true, .required = true, .key = IDENTITY_KEY_TPM_UNVERIFIED };
        const char *why;
        (void) state;

        assert_int_equal(device_key_judge(DEVICE_KEY_TPM, &tpm, &why), CHECK_PASS);
        assert_int_equal(device_key_judge(DEVICE_KEY_TPM_UNVERIFIED, &tpm, &why), CHECK_FAIL);
        assert_non_null(strstr(why, "could not verify"));
        assert_int_equal(device_key_judge(DEVICE_KEY_TPM_UNVERIFIED, &any_tpm, &why), CHECK_PASS);
        assert_int_equal(device_key_judge(DEVICE_KEY_FILE, &any_tpm, &why), CHECK_FAIL);
        assert_string_equal(why, "device key is a file; this policy requires a TPM-held key — see runbook");
        assert_int_equal(device_key_judge(DEVICE_KEY_PROVIDER, &tpm, &why), CHECK_FAIL);
        assert_int_equal(device_key_judge(DEVICE_KEY_UNKNOWN, &any_tpm, &why), CHECK_FAIL);
        assert_non_null(strstr(why, "re-enroll"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kinds_and_claims),
                cmocka_unit_test(test_policy_section),
                cmocka_unit_test(test_judge),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
