/* SPDX-License-Identifier: MIT */
#pragma once

/* Which files of the lists directory apt uses: those that sources.list(5) names. apt
 * ignores (and `apt update` deletes) lists of repositories no longer configured; reading
 * them would make us disagree with apt. Both formats are read: one-line
 * `deb [opts] URI SUITE COMPONENT…` in ROOT/etc/apt/sources.list and sources.list.d/NAME.list,
 * and deb822 `Types/URIs/Suites/Components/Enabled` stanzas in sources.list.d/NAME.sources.
 * Each binary source becomes the prefix of its index file names, built as apt's
 * URItoFileName does: the URI without scheme and credentials, special characters
 * %-escaped, '/' turned into '_'. */

#include <stdbool.h>
#include <stddef.h>

typedef struct AptSources {
        char **prefixes;   /* "deb.debian.org_debian_dists_bookworm_main_binary-" */
        bool configured;   /* some sources file exists */
        bool unknown;      /* a URI we cannot map (cdrom:, mirror+…): do not filter */
} AptSources;

void apt_sources_done(AptSources *s);
/* Adds the binary sources of one file; format by name (.sources: deb822). Junk lines are
 * skipped, as apt would refuse them loudly and we only filter. */
int apt_sources_parse(AptSources *s, const char *name, const char *text, size_t size);
int apt_sources_load(int root_fd, AptSources *ret);
/* The lists-directory file-name prefix of one source entry (NULL component: flat). */
char *apt_sources_prefix(const char *uri, const char *suite, const char *component);
/* Whether apt would read the index file of this name. */
bool apt_sources_wants(const AptSources *s, const char *list_name);
