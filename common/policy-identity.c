/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "error-util.h"
#include "json-util.h"
#include "macro.h"
#include "policy-identity.h"

static const char *const key_rules[_IDENTITY_KEY_RULE_MAX] = {
        [IDENTITY_KEY_TPM] = "tpm",
        [IDENTITY_KEY_TPM_UNVERIFIED] = "tpm_unverified",
};

int policy_identity_parse(json_object *v, bool strict, PolicyIdentity *ret, char **ret_error) {
        PolicyIdentity p = *ret;
        const char *key;
        int r;

        if (!json_object_is_type(v, json_type_object))
                return error_set(ret_error, -EINVAL, "device_identity: expected an object {\"required\",\"key\"}");
        json_object_object_foreach(v, k, value) {
                (void) value;
                if (strict && !streq(k, "required") && !streq(k, "key"))
                        return error_set(ret_error, -EINVAL, "device_identity.%.32s: unknown key", k);
        }
        r = json_get_bool(v, "device_identity", "required", &p.required, ret_error);
        if (r < 0 && r != -ENOENT)
                return -EINVAL;
        r = json_get_string(v, "device_identity", "key", &key, ret_error);
        if (r < 0 && r != -ENOENT)
                return -EINVAL;
        if (r >= 0) {
                size_t i;
                for (i = 0; i < _IDENTITY_KEY_RULE_MAX && !streq(key, key_rules[i]); i++)
                        ;
                if (i == _IDENTITY_KEY_RULE_MAX)
                        return error_set(ret_error, -EINVAL,
                                         "device_identity.key: \"%.32s\" is not \"tpm\" or \"tpm_unverified\"", key);
                p.key = (IdentityKeyRule) i;
        }
        p.present = true;
        *ret = p;
        return 0;
}

json_object *policy_identity_to_json(const PolicyIdentity *p) {
        json_object *j;

        if (!p->present || !(j = json_object_new_object()))
                return NULL;
        if (json_add_bool(j, "required", p->required) < 0 || json_add_string(j, "key", key_rules[p->key]) < 0) {
                json_object_put(j);
                return NULL;
        }
        return j;
}
