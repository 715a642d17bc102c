/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>

#include "cleanup.h"
#include "fs-util.h"
#include "json-util.h"
#include "log.h"
#include "state-file.h"

#define STATE_MAX_SIZE (4u * 1024 * 1024)

struct StateFile {
        char *path;
        int lock_fd;
        json_object *root;
        char *loaded; /* serialisation at load time, to skip needless writes */
};

StateFile *state_file_free(StateFile *s) {
        if (!s)
                return NULL;
        if (s->lock_fd >= 0)
                close(s->lock_fd);
        json_object_put(s->root);
        free(s->path);
        free(s->loaded);
        free(s);
        return NULL;
}

int state_file_open(const char *path, StateFile **ret) {
        _cleanup_(state_file_freep) StateFile *s = calloc(1, sizeof(StateFile));
        _cleanup_free_ char *lock = NULL, *err = NULL;
        int r;

        if (!s)
                return -ENOMEM;
        s->lock_fd = -1;
        if (path) {
                if (!(s->path = strdup(path)) || asprintf(&lock, "%s.lock", path) < 0)
                        return -ENOMEM;
                s->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (s->lock_fd < 0)
                        return -errno;
                if (flock(s->lock_fd, LOCK_EX) < 0)
                        return -errno;
                r = json_parse_file(path, STATE_MAX_SIZE, &s->root, &err);
                if (r < 0 && r != -ENOENT) {
                        _cleanup_free_ char *aside = NULL;
                        if (asprintf(&aside, "%s.corrupt", path) < 0)
                                return -ENOMEM;
                        log_warning("State file \"%s\" is unreadable (%s); moved to \"%s\", starting afresh.",
                                    path, err ? err : strerror(-r), aside);
                        (void) rename(path, aside);
                } else if (r >= 0 && !json_object_is_type(s->root, json_type_object)) {
                        log_warning("State file \"%s\" is not a JSON object; starting afresh.", path);
                        s->root = (json_object_put(s->root), NULL);
                }
        }
        if (!s->root && !(s->root = json_object_new_object()))
                return -ENOMEM;
        if (!(s->loaded = strdup(json_compact(s->root))))
                return -ENOMEM;
        *ret = TAKE_PTR(s);
        return 0;
}

json_object *state_file_root(StateFile *s) {
        return s->root;
}

json_object *state_file_section(StateFile *s, const char *key) {
        json_object *v;

        if (json_object_object_get_ex(s->root, key, &v) && json_object_is_type(v, json_type_object))
                return v;
        v = json_object_new_object();
        if (!v || json_object_object_add(s->root, key, v) < 0) {
                json_object_put(v);
                return NULL;
        }
        return v;
}

int state_file_save(StateFile *s) {
        const char *now;

        if (!s->path)
                return 0;
        /* json-c reuses one buffer per object: compare before serialising again. */
        if (streq(json_compact(s->root), s->loaded))
                return 0;
        now = json_object_to_json_string_ext(s->root, JSON_C_TO_STRING_PRETTY |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE);
        return write_file_atomic(s->path, now, strlen(now), 0600);
}
