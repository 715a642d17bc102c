/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "parse-util.h"
#include "xscreensaver.h"

#define VALUE_MAX 64

/* As xscreensaver's get_minutes_resource()/get_seconds_resource() read them. */
static int parse_time(const char *s, int64_t *ret) {
        unsigned h = 0, m = 0, sec = 0;
        char c;

        if (sscanf(s, "%u:%u:%u%c", &h, &m, &sec, &c) == 3 ||
            (h = 0, sscanf(s, "%u:%u%c", &m, &sec, &c) == 2)) {
                if (h > 24 * 365 || m > 59 || sec > 59)
                        return -1;
                *ret = (int64_t) h * 3600 + m * 60 + sec;
                return 0;
        }
        if (sscanf(s, "%u%c", &m, &c) == 1 && m <= 24u * 365 * 60) {
                *ret = (int64_t) m * 60;
                return 0;
        }
        return -1;
}

static void set(XssPrefs *p, const char *key, const char *value) {
        static const char *const names[_XSS_KEY_MAX] = {
                [XSS_TIMEOUT] = "timeout", [XSS_LOCK] = "lock", [XSS_LOCK_TIMEOUT] = "lockTimeout",
                [XSS_MODE_OFF] = "mode",
        };
        int64_t v;
        bool b;

        for (XssKey k = 0; k < _XSS_KEY_MAX; k++) {
                if (!streq(key, names[k]))
                        continue;
                if (k == XSS_LOCK) {
                        if (parse_boolean(value, &b) < 0)
                                return;
                        v = b;
                } else if (k == XSS_MODE_OFF)
                        v = strcasecmp(value, "off") == 0;
                else if (parse_time(value, &v) < 0)
                        return;
                p->value[k] = v;
                p->set[k] = true;
                return;
        }
}

void xscreensaver_parse(const char *text, XssPrefs *ret) {
        bool continued = false;

        *ret = (XssPrefs) {};
        for (const char *p = text; *p;) {
                const char *eol = strchrnul(p, '\n'), *colon, *v, *e = eol;
                char key[VALUE_MAX], value[VALUE_MAX];
                bool cont = e > p && e[-1] == '\\';

                if (continued || *p == '#' || *p == '!') {
                        continued = cont;
                        p = *eol ? eol + 1 : eol;
                        continue;
                }
                continued = cont;
                colon = memchr(p, ':', (size_t) (eol - p));
                if (colon && colon > p && (size_t) (colon - p) < sizeof(key)) {
                        memcpy(key, p, (size_t) (colon - p));
                        key[colon - p] = 0;
                        for (v = colon + 1; v < e && strchr(" \t", *v); v++)
                                ;
                        while (e > v && strchr(" \t\r\\", e[-1]))
                                e--;
                        if ((size_t) (e - v) < sizeof(value)) {
                                memcpy(value, v, (size_t) (e - v));
                                value[e - v] = 0;
                                set(ret, key[0] == '*' ? key + 1 : key, value);
                        }
                }
                p = *eol ? eol + 1 : eol;
        }
}
