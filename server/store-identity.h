/* SPDX-License-Identifier: MIT */
#pragma once

/* A device id's identity records: the one-time reset tokens an administrator issues for
 * one device id ("vigie-server device reset ID"), and the history of how the device got
 * each of its certificates (enrolled, re-enrolled with its certificate or with a reset
 * token, renewed). Both in the store's group-commit transaction with the certificate. */

#include <stdint.h>

#include "hash-util.h"
#include "store.h"

/* Creates the tables (idempotent); store_open calls it. */
int store_identity_schema(Store *s);

/* Records a reset token (only its hash) bound to device_id, usable once until expires_at. */
int store_reset_add(Store *s, const char hash[static SHA256_HEX_SIZE], const char *device_id,
                    int64_t now, int64_t expires_at);
/* Takes the reset token for device_id, atomically: 0, or -ENOENT when it is unknown, bound
 * to another device, expired or already used. */
int store_reset_consume(Store *s, const char hash[static SHA256_HEX_SIZE], const char *device_id,
                        int64_t now);

/* kind: "enrolled", "reenrolled_certificate", "reenrolled_reset", "renewed", "reset_issued".
 * detail (or NULL): the key kind recorded with the certificate, and why it is not tpm. */
int store_identity_event_add(Store *s, const char *device_id, int64_t at, const char *kind,
                             const char *cert_serial, const char *detail);

typedef struct StoreIdentityEvent {
        int64_t at;
        const char *kind;
        const char *cert_serial; /* NULL for reset_issued */
        const char *detail;      /* or NULL */
} StoreIdentityEvent;
typedef int (*StoreIdentityEventFn)(const StoreIdentityEvent *e, void *userdata);
/* Oldest first. */
int store_identity_events(Store *s, const char *device_id, StoreIdentityEventFn fn, void *userdata);
