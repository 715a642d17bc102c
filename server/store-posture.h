/* SPDX-License-Identifier: MIT */
#pragma once

/* What a posture decision reads (docs/enforcement.md): the device row, its latest-state
 * row and the latest status of its checks that are not ok. Point lookups by primary key
 * or index only, never the report history, so a decision costs the same whatever the
 * number of reports. */

#include <stdbool.h>

#include "posture.h"
#include "store.h"

#define STORE_POSTURE_FAILING_MAX 64

typedef struct StorePosture {
        PostureInput input;     /* points into the fields below */
        char *verdict;
        PostureCheck *failing;  /* with strdup'ed strings */
        size_t n_failing;
} StorePosture;
void store_posture_done(StorePosture *p);

/* Creates the index for lookups by certificate fingerprint (idempotent). */
int store_posture_schema(Store *s);
/* The device that holds the device certificate with this fingerprint (sha256 hex of the
 * DER), and whether that certificate is revoked. -ENOENT: no such device certificate. */
int store_posture_cert(Store *s, const char *fingerprint, char **ret_device_id, bool *ret_revoked);
/* -ENOENT for an unknown device. stale_before is copied into the input. */
int store_posture_get(Store *s, const char *device_id, int64_t stale_before, StorePosture *ret);
