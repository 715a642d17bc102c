/* SPDX-License-Identifier: MIT */
/* Preferences: parse, then match every pin against a few files, packages and versions. */
#include <stdint.h>
#include <stdlib.h>

#include "apt-prefs.h"
#include "cleanup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(apt_prefs_freep) AptPrefs *p = apt_prefs_new();
        _cleanup_free_ char *err = NULL;
        AptFile f = { .site = (char *) "deb.debian.org", .component = (char *) "main", .arch = (char *) "amd64",
                      .has_release = true,
                      .release = { .origin = "Debian", .label = "Debian-Security", .suite = "stable-security",
                                   .codename = "bookworm-security", .version = "12" } };
        AptFile status = { .is_status = true };
        const AptFile *files[] = { &f, &status };

        if (!p || size > 65536)
                return 0;
        if (apt_prefs_parse(p, "fuzz", (const char *) data, size, &err) < 0)
                return 0;
        for (size_t i = 0; i < p->n_pins && i < 64; i++) {
                (void) apt_pin_matches_file(&p->pins[i], &f);
                (void) apt_pin_matches_file(&p->pins[i], &status);
                (void) apt_pin_matches_package(&p->pins[i], "libssl3", "i386", "amd64");
                (void) apt_pin_matches_version(&p->pins[i], "3.0.15-1~deb12u1", files, 2);
        }
        return 0;
}
