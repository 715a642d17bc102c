/* SPDX-License-Identifier: MIT */
#pragma once

/* dpkg's database, ROOT/var/lib/dpkg/status: one deb822 stanza per package with
 * "Status: WANT FLAG STATE". A package has an installed version, as apt sees it, unless
 * its state is not-installed or config-files (apt also counts half-installed, unpacked,
 * half-configured and trigger states, and so do we to agree with it); "hold" as the want
 * flag is a hold (`apt-mark hold`, `dpkg --set-selections`). */

#include <stddef.h>

#include "apt-cache.h"

#define DPKG_STATUS_PATH "/var/lib/dpkg/status"

/* The native architecture: the Architecture of the dpkg package itself (what
 * `dpkg --print-architecture` prints): 1; else the first line of ROOT/var/lib/dpkg/arch: 0. */
int dpkg_native_arch(int root_fd, const char *status, size_t size, char *buf, size_t bufsize, char **ret_error);
/* Adds every installed package to c. -EBADMSG with "LINE: reason" on a malformed file. */
int dpkg_status_load(AptCache *c, const char *data, size_t size, char **ret_error);
