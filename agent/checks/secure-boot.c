/* SPDX-License-Identifier: MIT */
/* The secure_boot check: does the firmware verify what it boots? UEFI Secure Boot must be
 * on and out of setup mode (the SecureBoot and SetupMode variables of efivarfs); a laptop
 * that starts in legacy BIOS mode has no Secure Boot at all. Optionally the running kernel's
 * lockdown mode (/sys/kernel/security/lockdown) must be integrity or confidentiality.
 * docs/checks.md lists its knobs, evidence and statuses. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "cleanup.h"
#include "firmware.h"
#include "fs-util.h"
#include "i18n.h"
#include "json-util.h"
#include "macro.h"

#define LOCKDOWN_PATH "/sys/kernel/security/lockdown"

typedef struct PolicySecureBoot {
        PolicyCheckHead head;
        bool require_lockdown;
} PolicySecureBoot;

/* One boolean UEFI variable: 1/0, -ENOENT when absent, else why it cannot be read. */
static int read_var(int root_fd, const char *name, const char *key, json_object *evidence) {
        _cleanup_free_ char *path = NULL, *data = NULL;
        size_t size = 0;
        uint32_t attributes;
        bool value;
        int r;

        if (asprintf(&path, EFIVARS_DIR "/%s-" EFI_GLOBAL_VARIABLE_GUID, name) < 0)
                return -ENOMEM;
        r = root_read_file(root_fd, path, 64, &data, &size);
        if (r >= 0)
                r = efivar_parse_bool((const uint8_t *) data, size, &attributes, &value);
        if (r < 0)
                return r;
        if (json_add_bool(evidence, key, value) < 0)
                return -ENOMEM;
        return value;
}

static int unreadable(CheckResult *res, const char *name, int r) {
        if (r == -EBADMSG)
                return check_result_set(res, CHECK_UNKNOWN, _("The UEFI variable %s has an unexpected size or value."),
                                        name);
        return check_result_set(res, CHECK_UNKNOWN, _("Cannot read the UEFI variable %s: %s."), name, strerror(-r));
}

static int lockdown_mode(int root_fd, const char **ret) {
        _cleanup_free_ char *text = NULL;
        int r = root_read_file(root_fd, LOCKDOWN_PATH, 256, &text, NULL);

        *ret = NULL;
        if (r == -ENOENT)
                return 0; /* securityfs not mounted, or a kernel without the lockdown LSM */
        if (r < 0)
                return r;
        return lockdown_parse(text, ret) < 0 ? 0 : 1;
}

static int run(const CheckContext *ctx, CheckResult *res) {
        const PolicySecureBoot *p = ctx->policy;
        json_object *ev = res->evidence;
        const char *lockdown = NULL;
        int on, setup, r;

        if (!root_exists(ctx->root_fd, "/sys/firmware/efi")) {
                if (json_add_string(ev, "boot_mode", "legacy") < 0)
                        return -ENOMEM;
                check_result_set_remediation(res, "%s", _("Ask IT to switch the firmware to UEFI boot with Secure "
                                                          "Boot on (the boot loader may need reinstalling)."));
                return check_result_set(res, CHECK_FAIL, "%s", _("This laptop starts in legacy BIOS mode, where "
                                                                  "Secure Boot does not exist."));
        }
        if (json_add_string(ev, "boot_mode", "uefi") < 0)
                return -ENOMEM;
        r = lockdown_mode(ctx->root_fd, &lockdown);
        if (r < 0)
                return r;
        if (json_add_string(ev, "lockdown", lockdown) < 0)
                return -ENOMEM;

        on = read_var(ctx->root_fd, "SecureBoot", "secure_boot", ev);
        if (on == -ENOENT && !root_exists(ctx->root_fd, EFIVARS_DIR "/."))
                return check_result_set(res, CHECK_UNKNOWN, "%s", _("The UEFI variables cannot be read: efivarfs is "
                                                                     "not mounted on /sys/firmware/efi/efivars."));
        if (on == -ENOENT) {
                check_result_set_remediation(res, "%s", _("Ask IT: this firmware may need an update to offer "
                                                          "Secure Boot."));
                return check_result_set(res, CHECK_FAIL, "%s", _("The firmware does not offer Secure Boot."));
        }
        if (on < 0)
                return on == -ENOMEM ? on : unreadable(res, "SecureBoot", on);
        setup = read_var(ctx->root_fd, "SetupMode", "setup_mode", ev);
        if (setup < 0 && setup != -ENOENT)
                return setup == -ENOMEM ? setup : unreadable(res, "SetupMode", setup);

        if (!on) {
                check_result_set_remediation(res, "%s", _("Turn Secure Boot on in the firmware setup (UEFI "
                                                          "settings), then restart."));
                return check_result_set(res, CHECK_FAIL, "%s", _("Secure Boot is off."));
        }
        if (setup == 1) {
                check_result_set_remediation(res, "%s", _("Ask IT to enroll the platform keys, or restore the "
                                                          "factory keys in the firmware setup."));
                return check_result_set(res, CHECK_FAIL, "%s", _("Secure Boot is in setup mode: no platform key "
                                                                  "is enrolled, so any software can enroll its "
                                                                  "own keys."));
        }
        if (p->require_lockdown && (!lockdown || streq(lockdown, "none"))) {
                check_result_set_remediation(res, "%s", _("Start a kernel with lockdown on (lockdown=integrity "
                                                          "on its command line), or ask IT."));
                return check_result_set(res, CHECK_FAIL, _("Secure Boot is on, but the kernel's lockdown is %s; "
                                                           "the policy requires it."),
                                        lockdown ? _("off") : _("not available"));
        }
        if (lockdown)
                return check_result_set(res, CHECK_PASS, _("Secure Boot is on (kernel lockdown: %s)."), lockdown);
        return check_result_set(res, CHECK_PASS, "%s", _("Secure Boot is on."));
}

#define F(x) offsetof(PolicySecureBoot, x)
static const PolicyField policy_fields[] = {
        /* Not required by default: a new check must not turn a fleet non-compliant overnight. */
        { "required", POLICY_BOOL, F(head.required), "false" },
        { "require_lockdown", POLICY_BOOL, F(require_lockdown), "false" },
};

const Check check_secure_boot = {
        .policy = { "secure_boot", policy_fields, ELEMENTSOF(policy_fields), sizeof(PolicySecureBoot) },
        .title = N_("Secure Boot"),
        .run = run,
};
