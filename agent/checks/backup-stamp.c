/* SPDX-License-Identifier: MIT */
/* A stamp file that a backup hook touches (its mtime is the time) or writes an ISO 8601 time
 * into (`date -Iseconds > FILE`). Read through the host root. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "backup-source.h"
#include "cleanup.h"
#include "fs-util.h"
#include "i18n.h"
#include "time-util.h"

#define STAMP_MAX 4096

int stamp_parse(const char *text, size_t size, usec_t *ret) {
        _cleanup_free_ char *s = NULL;
        size_t a = 0, b = size;

        while (a < b && isspace((unsigned char) text[a]))
                a++;
        while (b > a && isspace((unsigned char) text[b - 1]))
                b--;
        if (a == b)
                return -ENODATA;
        if (memchr(text + a, 0, b - a) || b - a > 64)
                return -EINVAL;
        s = strndup(text + a, b - a);
        if (!s)
                return -ENOMEM;
        /* No offset: the local time of the laptop, as `date` would have printed it. */
        return parse_rfc3339(s, true, ret);
}

static int validate(const BackupSource *s, char **ret_error) {
        if (!s->path) {
                if (ret_error)
                        *ret_error = strdup("Path= is required for Type=stamp");
                return -EINVAL;
        }
        return 0;
}

static int probe(const BackupSource *s, const CheckContext *ctx, BackupProbe *p) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *text = NULL;
        struct stat st;
        size_t size = 0;
        int r;

        fd = root_openat(ctx->root_fd, s->path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                if (fd == -ENOENT)
                        /* No stamp yet: no backup ever finished. */
                        return p->outcome = PROBE_OK, 0;
                return backup_probe_fail(p, PROBE_BROKEN, _("cannot open stamp file %s: %s"), s->path, strerror(-fd));
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return backup_probe_fail(p, PROBE_BROKEN, _("stamp file %s is not a regular file"), s->path);
        if (s->stamp_format != STAMP_MTIME) {
                r = read_fd_full(fd, STAMP_MAX, &text, &size);
                if (r < 0)
                        return backup_probe_fail(p, PROBE_BROKEN, _("cannot read stamp file %s: %s"), s->path,
                                                 strerror(-r));
                r = stamp_parse(text, size, &p->obs.time);
                if (r == -ENOMEM)
                        return r;
                if (r == -ENODATA && s->stamp_format == STAMP_CONTENT)
                        return backup_probe_fail(p, PROBE_BROKEN, _("stamp file %s is empty; expected an ISO 8601 time"),
                                                 s->path);
                if (r < 0 && r != -ENODATA)
                        return backup_probe_fail(p, PROBE_BROKEN,
                                                 _("stamp file %s does not hold an ISO 8601 time such as 2026-11-29T02:00:00+01:00"),
                                                 s->path);
        }
        if (!p->obs.time)
                p->obs.time = (usec_t) st.st_mtim.tv_sec * USEC_PER_SEC + (usec_t) st.st_mtim.tv_nsec / 1000;
        p->outcome = PROBE_OK;
        return 0;
}

static const char *const keys[] = { "Path", "Format", NULL };

const BackupSourceType backup_stamp = {
        .name = "stamp",
        .keys = keys,
        .validate = validate,
        .probe = probe,
};
