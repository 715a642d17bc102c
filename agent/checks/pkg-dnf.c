/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "error-util.h"
#include "fs-util.h"
#include "pkg-source.h"

static bool dnf_detect(int root_fd) {
        return root_exists(root_fd, "/var/lib/rpm") || root_exists(root_fd, "/usr/lib/sysimage/rpm");
}

static int dnf_load(const CheckContext *ctx, PkgState *ret, char **ret_error) {
        (void) ctx;
        (void) ret;
        return error_set(ret_error, -EOPNOTSUPP, "this is an RPM-based system, which Vigie does not read yet");
}

const PkgSource pkg_source_dnf = {
        .id = "dnf",
        .detect = dnf_detect,
        .load = dnf_load,
};
