/* SPDX-License-Identifier: MIT */
#pragma once

/* state.json: what the agent remembers between runs (first-seen dates of pending updates,
 * last good backup observations…). Opened under an exclusive lock so `vigie check`, the
 * daemon and `vigie report` never interleave; saved atomically. A corrupt file is moved
 * aside (state.json.corrupt) with a warning rather than aborting the checks. */

#include <stdbool.h>

#include <json-c/json.h>

typedef struct StateFile StateFile;

/* path NULL: an in-memory state that is never saved. */
int state_file_open(const char *path, StateFile **ret);
StateFile *state_file_free(StateFile *s);
static inline void state_file_freep(StateFile **s) {
        state_file_free(*s);
}
/* The object under key (created when missing). Owned by the state. */
json_object *state_file_section(StateFile *s, const char *key);
json_object *state_file_root(StateFile *s);
/* Writes atomically (0600) when the content changed since it was loaded. */
int state_file_save(StateFile *s);
