/* SPDX-License-Identifier: MIT */
#pragma once

/* The apt package source's result, kept between runs in STATE_DIRECTORY/cache/apt-result:
 * what apt_state_load() computes from dpkg's status, apt's configuration, pins, sources
 * and lists, reduced to what patch_level reports (the upgradable packages with their
 * candidates, security suites, holds and phasing; the native architecture; the newest
 * list's time; whether unattended-upgrades runs; the ignored pins; the installed kernel
 * packages). A run where none of those inputs changed reads it instead of computing it
 * again; what it still reads itself is what the clock or a reboot moves (apt's success
 * stamp, /run/reboot-required, the running kernel).
 *
 * The key is the inputs' identity: for each file, and each directory with every entry in
 * it, st_dev, st_ino, st_size, st_mode, st_mtim and st_ctim (or the errno of a missing
 * one), with the root's and the running binary's identity. Any write, rename, creation,
 * removal or chmod moves one of them; ctime cannot be put back. The key is stored whole
 * and compared byte for byte; a format version, a byte-order mark and a CRC-32 catch
 * other versions and damage, and every length is checked before use, so a damaged or
 * hostile file is refused (the result is computed), never trusted. */

#include <stdbool.h>
#include <stddef.h>

#include "time-util.h"

#define APT_RESULT_CACHE_FILE "apt-result" /* under STATE_DIRECTORY/cache */
#define APT_RESULT_CACHE_MAX (64u * 1024 * 1024)

typedef struct AptResultUpdate {
        char *name, *arch, *installed, *candidate;
        char *origin;           /* the security suite; NULL: not a security update */
        bool held;
        int phased;             /* 0…100 */
} AptResultUpdate;

typedef struct AptResult {
        char *native_arch;
        usec_t lists_newest;    /* newest mtime in apt's lists, 0: none */
        bool automatic;         /* unattended-upgrades installed and enabled */
        char **warnings;        /* preference records apt ignores, NULL: none */
        char **kernels;         /* installed "linux-image-<release>" package names, NULL: none */
        AptResultUpdate *updates;
        size_t n_updates;
} AptResult;

AptResult *apt_result_free(AptResult *r);
static inline void apt_result_freep(AptResult **r) {
        apt_result_free(*r);
}

/* The key of the inputs under root_fd, as text. *ret_racy: an input changed less than a
 * second ago (or has a time in the future), so a second change within the same timestamp
 * tick could leave its stat as it is: a result computed now must not be kept. -ENOMEM, or
 * -errno when the clock cannot be read (no key: compute); an input that cannot be stat'ed
 * is part of the key as its errno. */
int apt_result_key(int root_fd, char **ret_key, bool *ret_racy);

/* The file's bytes. -ENOMEM, or -E2BIG past APT_RESULT_CACHE_MAX. */
int apt_result_serialize(const AptResult *r, const char *key, char **ret, size_t *ret_size);
/* key NULL: any (fuzzing). -EBADMSG for a damaged or foreign file, -ESTALE when it was
 * kept for other inputs, -ENOMEM. */
int apt_result_parse(const void *data, size_t size, const char *key, AptResult **ret);

/* cache_dir/apt-result when it was kept for key: *ret and 1; 0 when none is usable
 * (missing, stale, damaged: the caller computes the result); -ENOMEM. */
int apt_result_load(const char *cache_dir, const char *key, AptResult **ret);
/* Writes r for key (atomically, 0600); a failure only costs the next run the computation
 * (debug log). */
void apt_result_save(const char *cache_dir, const char *key, const AptResult *r);
