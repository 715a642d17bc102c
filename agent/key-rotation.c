/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent-renew.h"
#include "cleanup.h"
#include "error-util.h"
#include "fs-util.h"
#include "i18n.h"
#include "identity.h"
#include "key-rotation.h"
#include "reporter.h"

int key_rotate(const AgentConfig *c, const char **ret_kind, char **ret_error) {
        _cleanup_free_ char *key_new = path_join(c->state_dir, IDENTITY_KEY_NEW_FILE),
                            *crt_new = path_join(c->state_dir, IDENTITY_CERT_NEW_FILE),
                            *key_path = path_join(c->state_dir, IDENTITY_KEY_FILE),
                            *crt_path = path_join(c->state_dir, IDENTITY_CERT_FILE), *uri = NULL, *err = NULL;
        _cleanup_(identity_freep) Identity *id = NULL;
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_(transport_freep) Transport *t = NULL;
        usec_t not_after;
        int r;

        if (!key_new || !crt_new || !key_path || !crt_path)
                return -ENOMEM;
        r = identity_load(c, &id, &err);
        if (r == -ENODEV)
                return error_set(ret_error, r, _("%s: the key cannot prove this laptop's identity any more, so it cannot be rotated; IT must re-enroll this laptop with a device reset token"),
                                 err);
        if (r < 0)
                return error_set(ret_error, r, r == -ENOENT ? _("this device is not enrolled: run \"vigie enroll\"")
                                                           : _("the device identity in \"%s\" is unusable: %s"),
                                 c->state_dir, strnull(err));
        if (id->provider)
                return error_set(ret_error, -EINVAL, _("the device key is KeyURI=%s: rotate it with its provider's tools"),
                                 id->key_uri);
        /* Leftovers of an interrupted rotation are never trusted. */
        (void) unlink(key_new);
        (void) unlink(crt_new);
        r = identity_create_key(c, key_new, ret_kind, ret_error);
        if (r < 0)
                return r;
        if (asprintf(&uri, "file:%s", key_new) < 0)
                return -ENOMEM;
        if ((r = identity_open_key(c, uri, false, &key, ret_error)) < 0 ||
            (r = reporter_transport(c, id, &t, ret_error)) < 0)
                goto fail;
        r = cert_renew_for(c, id, key, *ret_kind, streq(*ret_kind, "tpm") ? key_new : NULL, IDENTITY_CERT_NEW_FILE,
                           t, &not_after, ret_error);
        if (r < 0)
                goto fail;
        if (rename(key_new, key_path) < 0 || fsync_directory_of(key_path) < 0 || rename(crt_new, crt_path) < 0 ||
            fsync_directory_of(crt_path) < 0) {
                r = -errno;
                return error_set(ret_error, r, _("cannot put the new key in place in \"%s\": %s"), c->state_dir,
                                 strerror(-r));
        }
        return 0;
fail:
        (void) unlink(key_new);
        (void) unlink(crt_new);
        return r;
}
