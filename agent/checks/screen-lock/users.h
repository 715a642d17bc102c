/* SPDX-License-Identifier: MIT */
#pragma once

/* The local human users: /etc/passwd entries with a uid in [UID_MIN, UID_MAX]
 * (/etc/login.defs; 1000 and 60000 by default), a login shell (not nologin or false; an
 * empty one is /bin/sh) and a home directory that exists, all under the check's root. */

#include <stddef.h>
#include <sys/types.h>

/* Each user's evidence is a few hundred bytes: 256 keep a report far below the server's
 * 1 MB body limit. */
#define LOCAL_USERS_MAX 256

typedef struct LocalUser {
        char *name;
        uid_t uid;
        char *home;
} LocalUser;

typedef struct LocalUsers {
        LocalUser *users;
        size_t n;
        size_t n_skipped;      /* human users past LOCAL_USERS_MAX */
} LocalUsers;

int local_users_load(int root_fd, LocalUsers *ret, char **ret_error);
/* From the texts, without the home test (tests and the fuzzer). */
int local_users_parse(const char *passwd, const char *login_defs, LocalUsers *ret);
void local_users_done(LocalUsers *u);
