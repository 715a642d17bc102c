/* SPDX-License-Identifier: MIT */
/* /etc/crypttab (crypttab(5)): the line of one mapping, its options, and whether its key is
 * made at random at each boot. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "crypttab.h"
#include "macro.h"
#include "parse-util.h"

/* Next field of *p separated by any of `sep`, NUL-terminated in place; NULL at the end. */
static char *split_next(char **p, const char *sep) {
        char *s = *p + strspn(*p, sep), *e;

        if (!*s)
                return NULL;
        e = s + strcspn(s, sep);
        *p = *e ? e + 1 : e;
        *e = 0;
        return s;
}

void crypttab_entry_done(CrypttabEntry *e) {
        free(e->line);
        *e = (CrypttabEntry) {};
}

int crypttab_find(const char *crypttab, const char *name, CrypttabEntry *ret) {
        const char *p = crypttab;

        *ret = (CrypttabEntry) {};
        while (name && p && *p) {
                size_t len = strcspn(p, "\n");
                _cleanup_free_ char *line = strndup(p, len);
                char *f[4] = {}, *q;
                size_t n = 0;

                if (!line)
                        return -ENOMEM;
                p += len + (p[len] == '\n');
                q = line;
                while (n < ELEMENTSOF(f) && (f[n] = split_next(&q, " \t")))
                        n++;
                if (n < 2 || f[0][0] == '#' || !streq(f[0], name))
                        continue;
                *ret = (CrypttabEntry) { .key_file = f[2], .options = f[3], .line = TAKE_PTR(line) };
                return 1;
        }
        return 0;
}

int crypttab_option(const char *options, const char *key, char **ret) {
        _cleanup_free_ char *copy = NULL;
        size_t k = strlen(key);
        char *rest, *o;

        *ret = NULL;
        if (!options)
                return 0;
        rest = copy = strdup(options);
        if (!copy)
                return -ENOMEM;
        while ((o = split_next(&rest, ",")))
                if (strncmp(o, key, k) == 0 && o[k] == '=')
                        return (*ret = strdup(o + k + 1)) ? 0 : -ENOMEM;
        return 0;
}

/* crypttab(5): the textbook encrypted swap, plain dm-crypt with nothing to unlock. */
bool crypttab_key_is_random(const CrypttabEntry *e) {
        return e->line && e->key_file &&
               (streq(e->key_file, "/dev/urandom") || streq(e->key_file, "/dev/random") ||
                streq(e->key_file, "/dev/hw_random"));
}
