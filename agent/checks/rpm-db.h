/* SPDX-License-Identifier: MIT */
#pragma once

/* rpm's database of installed packages: ROOT/var/lib/rpm/rpmdb.sqlite (Fedora, RHEL 9 and
 * later; /usr/lib/sysimage/rpm on newer Fedora, where /var/lib/rpm is a symlink to it).
 * RHEL 8's BerkeleyDB "Packages" file otherwise (rpm-bdb.h). */

#include "rpm-header.h"

#define RPMDB_DIRS { "/var/lib/rpm", "/usr/lib/sysimage/rpm" }

typedef int (*RpmDbFunc)(const RpmHeaderInfo *h, void *userdata);

/* Calls cb with each package header (gpg-pubkey pseudo-packages included: arch NULL).
 * Returns 0, the callback's error, -ENOENT without a database, -EBADMSG for a damaged
 * one; *ret_error says which file. */
int rpm_db_foreach(int root_fd, RpmDbFunc cb, void *userdata, char **ret_error);
