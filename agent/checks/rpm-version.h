/* SPDX-License-Identifier: MIT */
#pragma once

/* rpm's version comparison (rpmvercmp in rpm's lib/rpmvercmp.c): alternating digit and
 * letter segments, '~' sorts before everything (even the end: 1.0~rc1 < 1.0), '^' after the
 * end but before anything else (1.0 < 1.0^git1 < 1.0.1). Returns <0, 0 or >0. */
int rpm_vercmp(const char *a, const char *b);

/* epoch:version-release, an absent epoch (NULL or "") being 0. */
typedef struct RpmEvr {
        const char *epoch;
        const char *version;
        const char *release;
} RpmEvr;

int rpm_evr_compare(const RpmEvr *a, const RpmEvr *b);
