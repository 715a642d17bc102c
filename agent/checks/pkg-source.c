/* SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include "pkg-source.h"
#include "macro.h"
#include "parse-util.h"

static const PkgSource *const sources[] = { &pkg_source_apt, &pkg_source_dnf };

const PkgSource *pkg_source_detect(int root_fd) {
        for (size_t i = 0; i < ELEMENTSOF(sources); i++)
                if (sources[i]->detect(root_fd))
                        return sources[i];
        return NULL;
}

void pkg_state_done(PkgState *s) {
        free(s->updates);
        free(s->reboot_reason);
        json_object_put(s->reboot_packages);
        strv_free(s->warnings);
        if (s->data_free)
                s->data_free(s->data);
        *s = (PkgState) {};
}
