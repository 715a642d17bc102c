/* SPDX-License-Identifier: MIT */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "rpm-version.h"

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

static bool is_alpha(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int rpm_vercmp(const char *a, const char *b) {
        const char *one = a, *two = b;

        if (strcmp(a, b) == 0)
                return 0;
        while (*one || *two) {
                while (*one && !is_digit(*one) && !is_alpha(*one) && *one != '~' && *one != '^')
                        one++;
                while (*two && !is_digit(*two) && !is_alpha(*two) && *two != '~' && *two != '^')
                        two++;
                if (*one == '~' || *two == '~') {
                        if (*one != '~')
                                return 1;
                        if (*two != '~')
                                return -1;
                        one++, two++;
                        continue;
                }
                if (*one == '^' || *two == '^') {
                        if (!*one)
                                return -1;
                        if (!*two)
                                return 1;
                        if (*one != '^')
                                return 1;
                        if (*two != '^')
                                return -1;
                        one++, two++;
                        continue;
                }
                if (!*one || !*two)
                        break;

                const char *e1 = one, *e2 = two;
                bool num = is_digit(*one);
                bool (*same)(char) = num ? is_digit : is_alpha;
                while (*e1 && same(*e1))
                        e1++;
                while (*e2 && same(*e2))
                        e2++;
                /* A digit segment against a letter one: the digits are newer. */
                if (e2 == two)
                        return num ? 1 : -1;
                if (num) {
                        while (*one == '0' && one < e1)
                                one++;
                        while (*two == '0' && two < e2)
                                two++;
                        if (e1 - one != e2 - two)
                                return e1 - one > e2 - two ? 1 : -1;
                }
                size_t l1 = (size_t) (e1 - one), l2 = (size_t) (e2 - two);
                int rc = memcmp(one, two, l1 < l2 ? l1 : l2);
                if (rc == 0 && l1 != l2)
                        rc = l1 < l2 ? -1 : 1;
                if (rc)
                        return rc < 0 ? -1 : 1;
                one = e1;
                two = e2;
        }
        if (!*one && !*two)
                return 0;
        return !*one ? -1 : 1;
}

static const char *epoch_or_zero(const char *e) {
        return e && *e ? e : "0";
}

int rpm_evr_compare(const RpmEvr *a, const RpmEvr *b) {
        int r = rpm_vercmp(epoch_or_zero(a->epoch), epoch_or_zero(b->epoch));
        if (r == 0)
                r = rpm_vercmp(a->version ? a->version : "", b->version ? b->version : "");
        if (r == 0)
                r = rpm_vercmp(a->release ? a->release : "", b->release ? b->release : "");
        return r;
}
