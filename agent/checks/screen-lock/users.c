/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "error-util.h"
#include "fs-util.h"
#include "macro.h"
#include "parse-util.h"
#include "users.h"

#define PASSWD_MAX (8u * 1024 * 1024)

/* login.defs: "NAME VALUE" lines; the last one wins, as in shadow's getdef.c. */
static uint64_t login_defs_uint(const char *text, const char *name, uint64_t def) {
        size_t n = strlen(name);
        uint64_t value = def;

        for (const char *p = text; *p;) {
                const char *eol = strchrnul(p, '\n'), *q = p + strspn(p, " \t");
                char buf[32];
                size_t len;
                uint64_t v;

                p = *eol ? eol + 1 : eol;
                if (strncmp(q, name, n) != 0 || (q[n] != ' ' && q[n] != '\t'))
                        continue;
                q += n + strspn(q + n, " \t");
                len = strcspn(q, " \t\r\n#");
                if (len == 0 || len >= sizeof(buf))
                        continue;
                memcpy(buf, q, len);
                buf[len] = 0;
                if (parse_uint64(buf, &v) >= 0 && v <= UINT32_MAX)
                        value = v;
        }
        return value;
}

static bool shell_is_login(const char *shell) {
        const char *base = strrchr(shell, '/');

        base = base ? base + 1 : shell;
        return !streq(base, "nologin") && !streq(base, "false");
}

static int push(LocalUsers *u, const char *name, uid_t uid, const char *home) {
        LocalUser *n;

        if (u->n >= LOCAL_USERS_MAX) {
                u->n_skipped++;
                return 0;
        }
        n = reallocarray(u->users, u->n + 1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        u->users = n;
        n = &u->users[u->n];
        *n = (LocalUser) { .uid = uid, .name = strdup(name), .home = strdup(home) };
        u->n++;
        return n->name && n->home ? 0 : -ENOMEM;
}

int local_users_parse(const char *passwd, const char *login_defs, LocalUsers *ret) {
        uint64_t uid_min = login_defs_uint(strempty(login_defs), "UID_MIN", 1000);
        uint64_t uid_max = login_defs_uint(strempty(login_defs), "UID_MAX", 60000);

        *ret = (LocalUsers) {};
        for (const char *p = passwd; *p;) {
                const char *eol = strchrnul(p, '\n');
                _cleanup_free_ char *line = strndup(p, (size_t) (eol - p));
                char *f[7], *rest;
                uint64_t uid;
                size_t k;
                int r;

                if (!line)
                        return local_users_done(ret), -ENOMEM;
                p = *eol ? eol + 1 : eol;
                /* name:password:uid:gid:gecos:home:shell */
                rest = line;
                for (k = 0; k < 7 && rest; k++)
                        f[k] = strsep(&rest, ":");
                if (k < 7 || rest || !*f[0] || strchr("+-", f[0][0]) || strchr(f[0], '/'))
                        continue;
                if (parse_uint64(f[2], &uid) < 0 || uid < uid_min || uid > uid_max)
                        continue;
                if ((*f[6] && !shell_is_login(f[6])) || f[5][0] != '/')
                        continue;
                r = push(ret, f[0], (uid_t) uid, f[5]);
                if (r < 0)
                        return local_users_done(ret), r;
        }
        return 0;
}

int local_users_load(int root_fd, LocalUsers *ret, char **ret_error) {
        _cleanup_free_ char *passwd = NULL, *defs = NULL;
        size_t kept = 0;
        int r;

        r = root_read_file(root_fd, "/etc/passwd", PASSWD_MAX, &passwd, NULL);
        if (r < 0)
                return error_set(ret_error, r, "cannot read /etc/passwd: %s", strerror(-r));
        r = root_read_file(root_fd, "/etc/login.defs", READ_FILE_MAX, &defs, NULL);
        if (r < 0 && r != -ENOENT)
                return error_set(ret_error, r, "cannot read /etc/login.defs: %s", strerror(-r));
        r = local_users_parse(passwd, defs, ret);
        if (r < 0)
                return r;
        /* A user whose home does not exist has never had a desktop here. */
        for (size_t i = 0; i < ret->n; i++) {
                struct stat st;

                if (root_stat(root_fd, ret->users[i].home, &st) >= 0 && S_ISDIR(st.st_mode))
                        ret->users[kept++] = ret->users[i];
                else {
                        free(ret->users[i].name);
                        free(ret->users[i].home);
                }
        }
        ret->n = kept;
        return 0;
}

void local_users_done(LocalUsers *u) {
        for (size_t i = 0; i < u->n; i++) {
                free(u->users[i].name);
                free(u->users[i].home);
        }
        free(u->users);
        *u = (LocalUsers) {};
}
