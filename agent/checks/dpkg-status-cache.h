/* SPDX-License-Identifier: MIT */
#pragma once

/* An on-disk digest of what patch_level takes from dpkg's status (dpkg-status.h): every
 * installed package in stanza order, with its architecture ("all" already made native),
 * version, hold and the apt_stanza_hash() of its stanza. Reading it replaces parsing the
 * whole status (1 MB of text for 1,200 packages here) on every run where dpkg did not run.
 *
 * It is an apt-index-cache.h file (same header, CRC-32, validation before use) named
 * "dpkg-status", whose records mean: Package, Architecture, Version, hash; Size 1 for a
 * held package, else 0; Phased-Update-Percentage always 100. The native architecture is
 * the first "dpkg" record's (what dpkg_native_arch() finds in the status), so a digest is
 * only written when that is where the status got it from. The key is the status file's
 * st_dev, st_ino, st_size, st_mtim and st_ctim (AptIndexKey): dpkg replaces the
 * file by rename (new inode), and a rewrite in place moves the ctime even when the mtime
 * is put back. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "apt-cache.h"

#define DPKG_STATUS_CACHE_DIR "dpkg-status" /* under STATE_DIRECTORY/cache */

/* A new cache holding the digest's packages. st NULL: any status (fuzzing). -EBADMSG for a
 * damaged or foreign digest, -ESTALE when it describes another state of the status,
 * -ENOMEM. */
int dpkg_status_cache_parse(const void *data, size_t size, const struct stat *st, AptCache **ret);
/* The digest cache_dir/status when it describes st: *ret and 1; 0 when none is usable
 * (missing, stale, damaged: the caller parses the status); -ENOMEM. */
int dpkg_status_cache_load(const char *cache_dir, const struct stat *st, AptCache **ret);
/* Writes c's installed packages as the digest of the status st (atomically; a failure only
 * costs the next run a parse, debug log). Nothing when c's first "dpkg" package does not
 * carry the native architecture: the digest could not tell it back. */
void dpkg_status_cache_save(const char *cache_dir, const struct stat *st, const AptCache *c);
/* Whether two stats of the status describe the same state of it (as the digest's key). */
bool dpkg_status_same(const struct stat *a, const struct stat *b);
