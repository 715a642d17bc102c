/* SPDX-License-Identifier: MIT */
#pragma once

/* dnf's repository configuration: INI files, /etc/yum.repos.d/NAME.repo (one section per
 * repository) and /etc/dnf/dnf.conf ([main]); only what decides which packages dnf sees:
 * enabled and the exclude globs, and the URLs that name the repository's cache directory.
 * Ids and values have dnf's variables substituted (dnf-vars.h). */

#include <stdbool.h>
#include <stddef.h>

#include "dnf-vars.h"

#define YUM_REPOS_DIR "/etc/yum.repos.d"
#define DNF_CONF_PATH "/etc/dnf/dnf.conf"
#define YUM_REPO_FILE_MAX (1024u * 1024)
#define YUM_REPOS_MAX 1024

typedef struct YumRepo {
        char *id;
        bool enabled;        /* enabled=, default on */
        bool module_hotfixes; /* module_hotfixes=: modular filtering spares its packages */
        char **excludes;     /* exclude= / excludepkgs= globs, NULL: none */
        char *metalink, *mirrorlist, *baseurl; /* baseurl: the first URL; NULL: not set */
} YumRepo;

typedef struct YumRepos {
        YumRepo *repos;
        size_t n_repos;
        char **main_excludes; /* dnf.conf [main] excludes, apply to every repository */
        bool no_obsoletes;    /* dnf.conf [main] obsoletes=0: obsoleting packages are ignored */
        bool no_plugins;      /* dnf.conf [main] plugins=0 */
} YumRepos;

void yum_repos_done(YumRepos *r);
/* Adds the sections of one INI text (name: for messages): repositories, or with is_main
 * the [main] section's excludes; vars (NULL: none) are substituted into ids and values. A
 * repository id seen before is replaced, as dnf's last definition wins; an id with other
 * characters than [A-Za-z0-9_.:-] is skipped, as dnf skips it. Returns 0, -EBADMSG with a
 * "NAME:LINE: …" message, -E2BIG past YUM_REPOS_MAX. */
int yum_repos_parse(YumRepos *r, const char *text, size_t size, const char *name, bool is_main,
                    const DnfVars *vars, char **ret_error);
/* Reads ROOT/etc/dnf/dnf.conf and ROOT/etc/yum.repos.d/NAME.repo (in name order); missing
 * files are empty. */
int yum_repos_load(int root_fd, const DnfVars *vars, YumRepos *ret, char **ret_error);

/* The name of the repository's cache directory, as libdnf's Repo::getHash and dnf5's
 * ConfigRepo::get_unique_id make it: the id, a dash and the first 16 hex digits of the
 * SHA-256 of the metalink, else the mirrorlist, else the first baseurl, else the id. */
#define YUM_CACHE_NAME_MAX 512
int yum_repo_cache_name(const YumRepo *repo, char ret[static YUM_CACHE_NAME_MAX]);
/* The value of key in [section] of an INI text (the last one, stripped), NULL: none. */
int yum_ini_get(const char *text, const char *section, const char *key, char **ret);
/* libdnf's boolean: 1/yes/true/on, 0/no/false/off (any case). -EINVAL otherwise. */
int yum_parse_bool(const char *v, bool *ret);
/* Whether name (or name.arch) matches one of the globs. */
bool yum_excluded(char *const *globs, const char *name, const char *arch);
