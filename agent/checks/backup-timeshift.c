/* SPDX-License-Identifier: MIT */
/* timeshift: every snapshot is a folder with an info.json that timeshift writes when the
 * snapshot is complete ({"created": "<unix seconds>", "tags": "D W", …}). rsync mode keeps
 * them in MOUNT/timeshift/snapshots/, btrfs mode in MOUNT/timeshift-btrfs/snapshots/, where
 * MOUNT is where the backup device (btrfs: its top-level subvolume) is mounted. Read
 * through the host root. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <inttypes.h>
#include <string.h>

#include "backup-source.h"
#include "cleanup.h"
#include "fs-util.h"
#include "i18n.h"
#include "json-util.h"
#include "parse-util.h"

#define INFO_JSON_MAX (64u * 1024)
#define SNAPSHOTS_MAX 100000

int timeshift_parse_info(const char *json, size_t size, BackupObservation *ret, char **ret_error) {
        _cleanup_json_ json_object *j = NULL;
        _cleanup_strv_free_ char **tags = NULL;
        json_object *created;
        const char *t;
        int64_t secs;
        int r;

        r = backup_parse_object(json, size, &j, ret_error);
        if (r < 0)
                return r;
        if (!json_object_object_get_ex(j, "created", &created))
                return json_error(ret_error, "created: missing");
        /* timeshift writes a string; accept a number too. */
        if (json_object_is_type(created, json_type_int))
                secs = json_object_get_int64(created);
        else if (!json_object_is_type(created, json_type_string) ||
                 parse_int64(json_object_get_string(created), &secs) < 0)
                return json_error(ret_error, "created: expected unix seconds, got %s \"%.40s\"",
                                  json_type_label(created), json_object_get_string(created));
        if (secs <= 0 || (uint64_t) secs > UINT64_MAX / USEC_PER_SEC / 2)
                return json_error(ret_error, "created: %" PRIi64 " is out of range", secs);
        r = json_get_string(j, NULL, "tags", &t, ret_error);
        if (r == -EINVAL)
                return r;
        if (r >= 0)
                for (const char *p = t; *p;) {
                        size_t n = strcspn(p, " ");
                        if (n > 0) {
                                char *tag = strndup(p, n);
                                if (!tag || strv_push(&tags, tag) < 0)
                                        return -ENOMEM;
                        }
                        p += n + (p[n] == ' ');
                }
        *ret = (BackupObservation) { .time = (usec_t) secs * USEC_PER_SEC, .tags = TAKE_PTR(tags) };
        return 0;
}

static int validate(const BackupSource *s, char **ret_error) {
        if (!s->mount)
                return json_error(ret_error, "Mount= (where the backup device is mounted) is required for Type=timeshift");
        return 0;
}

static int probe(const BackupSource *s, const CheckContext *ctx, BackupProbe *p) {
        _cleanup_free_ char *dir = NULL, *bad = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        unsigned n_bad = 0, seen = 0;
        int r;

        dir = path_join(s->mount, s->mode == TIMESHIFT_BTRFS ? "timeshift-btrfs/snapshots" : "timeshift/snapshots");
        if (!dir)
                return -ENOMEM;
        r = root_opendir(ctx->root_fd, dir, &d);
        if (r < 0)
                return backup_probe_fail(p, PROBE_UNREACHABLE,
                                         _("no timeshift snapshots at %s (%s): is the backup device mounted there?"),
                                         dir, strerror(-r));
        p->outcome = PROBE_OK;
        while ((de = readdir(d)) && seen < SNAPSHOTS_MAX) {
                _cleanup_free_ char *info = NULL, *text = NULL, *err = NULL;
                _cleanup_(backup_observation_done) BackupObservation o = {};
                size_t size;

                if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
                        continue;
                seen++;
                info = path_join(dir, de->d_name);
                if (!info || !(text = path_join(info, "info.json")))
                        return -ENOMEM;
                free(info);
                info = TAKE_PTR(text);
                r = root_read_file(ctx->root_fd, info, INFO_JSON_MAX, &text, &size);
                if (r == -ENOENT || r == -ENOTDIR)
                        continue; /* not a snapshot, or one being written */
                if (r >= 0)
                        r = timeshift_parse_info(text, size, &o, &err);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        /* One broken snapshot does not hide the others; the first is named. */
                        if (n_bad++ == 0 && asprintf(&bad, "%s: %s", info, err ? err : strerror(-r)) < 0)
                                return -ENOMEM;
                        continue;
                }
                if (o.time > p->obs.time) {
                        backup_observation_done(&p->obs);
                        p->obs = o;
                        o = (BackupObservation) {};
                        p->obs.id = strdup(de->d_name);
                        if (!p->obs.id)
                                return -ENOMEM;
                }
        }
        if (n_bad > 0 && asprintf(&p->error,
                                  ngettext("%u snapshot with an unreadable info.json: %s",
                                           "%u snapshots with an unreadable info.json, first %s", n_bad),
                                  n_bad, bad) < 0)
                return -ENOMEM;
        return 0;
}

static const char *const keys[] = { "Mount", "Mode", NULL };

const BackupSourceType backup_timeshift = {
        .name = "timeshift",
        .keys = keys,
        .validate = validate,
        .probe = probe,
};
