/* SPDX-License-Identifier: MIT */
#pragma once

/* What dconf gives one user, read from the files as dconf's engine does, without a session
 * bus: the profile (/etc/dconf/profile/user; `user-db:user` alone when there is none)
 * names the databases in order: the user's (`user-db:NAME`, ~/.config/dconf/NAME), the
 * system ones (`system-db:NAME`, /etc/dconf/db/NAME, compiled by `dconf compile`, with
 * their ".locks" table), one at a path (`file-db:PATH`), and one a service keeps
 * (`service-db:NAME`: its compiled copy in /run/user/UID/dconf-service/NAME while the
 * user's session runs; for the keyfile service of NFS homes, `service-db:keyfile/NAME`,
 * the text it keeps in ~/.config/dconf/NAME.txt when that copy is gone: read as GLib reads
 * it, so that a text GLib refuses gives no values, as the service then applies none). */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "glib-keyfile.h"
#include "gvdb.h"

#define DCONF_SOURCES_MAX 16

typedef struct DconfSource {
        char *path;            /* inside the root */
        char *keyfile_path;    /* service-db:keyfile/NAME: the service's text, read when path is absent */
        char *data;            /* the file, read once; NULL when it does not exist */
        size_t size;
        bool user;             /* a user-db (locks are only read from the others) */
        GvdbTable values;
        GvdbTable locks;
        bool has_locks;
        GlibKeyFile keyfile;   /* keyfile_path's values, when it was read and GLib takes it */
        bool has_keyfile;
} DconfSource;

typedef struct Dconf {
        char *profile;         /* the profile file read; NULL: the built-in default */
        DconfSource sources[DCONF_SOURCES_MAX];
        size_t n_sources;
} Dconf;

/* Reads the profile and every database it names. A database that does not exist is empty
 * (as for dconf); one that is not a GVDB file is -EBADMSG with "PATH: …" in *ret_error. */
int dconf_load(int root_fd, const char *home, uid_t uid, Dconf *ret, char **ret_error);
void dconf_done(Dconf *d);
/* The profile's text: its sources, in order, into d (paths inside the root). */
int dconf_profile_parse(const char *text, const char *home, uid_t uid, Dconf *d, char **ret_error);
/* A value as the keyfile service's text holds it (GVariant's text format): the booleans,
 * and integers, int32 unless annotated (`uint32 300`, `@u 300`); 1 with *ret, 0 for
 * another type (its key then reads as the schema's default, as for a GVDB value of the
 * wrong type), -EINVAL for text dconf could not parse (its key is skipped). Not all of
 * GVariant's text is parsed: some text it refuses (a bare word) is 0 here, never 1. */
int dconf_keyfile_value(const char *text, GVariantValue *ret);

/* The effective value of key, with dconf's precedence: the lowest source that locks the
 * key decides where reading starts (a system lock beats the user's value); then the first
 * source holding the key wins. A value of another type than `type` is ignored, as
 * GSettings does (the schema default applies). Returns 1 with the value and its source's
 * path (*ret_locked: a lock applied), 0 when no database sets it (the schema default), or
 * -EBADMSG when the value cannot be decoded. */
int dconf_read(const Dconf *d, const char *key, char type, GVariantValue *ret, const char **ret_source,
               bool *ret_locked);
