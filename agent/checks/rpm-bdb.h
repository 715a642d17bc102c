/* SPDX-License-Identifier: MIT */
#pragma once

/* RHEL 8's rpm database, /var/lib/rpm/Packages: a BerkeleyDB hash database (key: the
 * header number, 4 bytes in the writer's byte order; value: the package header), read
 * directly as rpm's own read-only backend (lib/backend/bdb_ro.c) reads it: the meta page,
 * then every bucket's page chain, values on overflow pages followed. Either byte order. */

#include <stddef.h>
#include <stdint.h>

#define RPM_BDB_VALUE_MAX (64u * 1024 * 1024)

/* Returns 0 to go on, <0 to stop with that error. */
typedef int (*RpmBdbFunc)(uint32_t hdrnum, const uint8_t *value, size_t size, void *userdata);

/* Calls cb with each record but header number 0 (rpm's counter) of the database in fd
 * (read with pread), or, with fd < 0, in mem/size (fuzzing, tests). Returns 0, the
 * callback's error, -EBADMSG when the file is not a BerkeleyDB hash database or is
 * damaged (a page out of range, a loop), -EPROTONOSUPPORT for a hash version rpm does not
 * read either. */
int rpm_bdb_foreach(int fd, const uint8_t *mem, size_t size, RpmBdbFunc cb, void *userdata);
