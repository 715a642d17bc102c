/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fs-util.h"
#include "i18n.h"
#include "macro.h"

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/share/locale"
#endif

void i18n_setup(I18nScope scope) {
        /* Tests point this at the build tree's catalogs; ignored for setuid programs. */
        const char *dir = secure_getenv("VIGIE_LOCALEDIR");

        if (scope == I18N_TEXT_AND_DATES) {
                setlocale(LC_ALL, "");
                /* Numbers in JSON and logs must not take a locale's decimal comma. */
                setlocale(LC_NUMERIC, "C");
        } else {
                setlocale(LC_CTYPE, "");
                setlocale(LC_MESSAGES, "");
        }
        bindtextdomain(GETTEXT_DOMAIN, dir && *dir ? dir : LOCALEDIR);
        bind_textdomain_codeset(GETTEXT_DOMAIN, "UTF-8");
        textdomain(GETTEXT_DOMAIN);
}

/* One KEY=value line of an env-style file (locale.conf(5)), quotes removed. */
int i18n_locale_conf_get(const char *text, const char *key, char **ret) {
        size_t klen = strlen(key);

        for (const char *line = text, *next; line && *line; line = next) {
                const char *p = line + strspn(line, " \t"), *v;
                size_t len, vlen;

                next = strchr(line, '\n');
                next = next ? next + 1 : NULL;
                len = strcspn(p, "\n");
                if (len <= klen || strncmp(p, key, klen) != 0 || p[klen] != '=')
                        continue;
                v = p + klen + 1;
                vlen = len - klen - 1;
                while (vlen > 0 && strchr(" \t\r", v[vlen - 1]))
                        vlen--;
                if (vlen >= 2 && (v[0] == '"' || v[0] == '\'') && v[vlen - 1] == v[0]) {
                        v++;
                        vlen -= 2;
                }
                if (vlen == 0)
                        continue;
                *ret = strndup(v, vlen);
                return *ret ? 1 : -ENOMEM;
        }
        return 0;
}

void i18n_use_system_locale(const char *const *files) {
        static const char *const keys[] = { "LANG", "LANGUAGE", "LC_MESSAGES", "LC_TIME" };

        if (getenv("LC_ALL") || getenv("LC_MESSAGES") || getenv("LANG"))
                return;
        for (const char *const *f = files; *f; f++) {
                _cleanup_free_ char *text = NULL;

                if (read_file_full(*f, 64 * 1024, &text, NULL) < 0)
                        continue;
                for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                        _cleanup_free_ char *v = NULL;
                        if (i18n_locale_conf_get(text, keys[i], &v) > 0)
                                (void) setenv(keys[i], v, 0);
                }
                return;
        }
}
