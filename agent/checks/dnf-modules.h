/* SPDX-License-Identifier: MIT */
#pragma once

/* dnf 4's modular filtering (libdnf dnf-sack.cpp setModuleExcludes), for RHEL 8/9 and
 * Fedora before 39: the repositories' module streams (modulemd.h) and the local module
 * state, /etc/dnf/modules.d/NAME.module (INI [NAME]: stream, profiles, state). A stream is
 * active when its module is enabled with that stream, or, neither enabled nor disabled,
 * when it is the module's default stream. Then, for the packages of the repositories:
 * the artifacts of active streams are visible, the artifacts of the other streams are
 * not, and a non-modular package with the name of an active artifact is hidden too. */

#include <stdbool.h>
#include <stddef.h>

#define DNF_MODULES_DIR "/etc/dnf/modules.d"
#define DNF_MODULES_ARTIFACTS_MAX 1000000 /* over every repository */
#define DNF_MODULES_STATES_MAX 4096

typedef struct DnfModuleStream DnfModuleStream;
typedef struct DnfModuleState DnfModuleState;

typedef struct DnfModules {
        DnfModuleStream *streams;
        size_t n_streams, n_artifacts;
        char **defaults;       /* module, stream, module, stream, … */
        size_t n_defaults;
        DnfModuleState *states;
        size_t n_states;
        /* dnf_modules_resolve(): sorted */
        char **include, **exclude, **names;
        size_t n_include, n_exclude, n_names;
} DnfModules;

void dnf_modules_done(DnfModules *m);
/* Adds the documents of one modules.yaml. Returns 0, -E2BIG past the limits, -EBADMSG with
 * *ret_error. */
int dnf_modules_add_yaml(DnfModules *m, const char *text, size_t size, char **ret_error);
/* Reads ROOT/etc/dnf/modules.d/\*.module as libdnf's module persistor does: a file that
 * lacks stream=, profiles= or state= (enabled=) says nothing. */
int dnf_modules_load_state(DnfModules *m, int root_fd, char **ret_error);
/* Sets the state of a module ("enabled", "disabled", …: libdnf's words), for tests. */
int dnf_modules_set_state(DnfModules *m, const char *name, const char *stream, const char *state);
/* Decides the active streams and the visible packages, once everything is added. */
int dnf_modules_resolve(DnfModules *m);
/* Whether modular filtering hides a package a repository (without module_hotfixes) offers. */
bool dnf_modules_hides(const DnfModules *m, const char *name, const char *epoch, const char *version,
                       const char *release, const char *arch);
