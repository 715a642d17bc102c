/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse-util.h"
#include "time-util.h"

static usec_t timespec_usec(clockid_t clock) {
        struct timespec ts;
        clock_gettime(clock, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

usec_t now_realtime(void) {
#ifdef VIGIE_TEST_HOOKS
        /* Test builds only (make TEST_HOOKS=1, docs/hardening.md): the tests move the
         * clock with $VIGIE_NOW (seconds since the epoch, or RFC 3339). Installed binaries
         * have no such variable: nothing in their environment changes their time. */
        const char *e = getenv("VIGIE_NOW");
        if (e && *e) {
                uint64_t s;
                usec_t t;
                if (parse_uint64(e, &s) >= 0)
                        return s * USEC_PER_SEC;
                if (parse_rfc3339(e, false, &t) >= 0)
                        return t;
        }
#endif
        return timespec_usec(CLOCK_REALTIME);
}

usec_t now_monotonic(void) {
        return timespec_usec(CLOCK_MONOTONIC);
}

usec_t now_process_cpu(void) {
        return timespec_usec(CLOCK_PROCESS_CPUTIME_ID);
}

char *format_rfc3339(usec_t t, char buf[static RFC3339_MAX]) {
        time_t s = (time_t) (t / USEC_PER_SEC);
        struct tm tm;

        if (!gmtime_r(&s, &tm) || strftime(buf, RFC3339_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                snprintf(buf, RFC3339_MAX, "invalid");
        return buf;
}

static int digits(const char **p, int n, int *ret) {
        int v = 0;
        for (int i = 0; i < n; i++) {
                if (!isdigit((unsigned char) (*p)[i]))
                        return -EINVAL;
                v = v * 10 + ((*p)[i] - '0');
        }
        *p += n;
        *ret = v;
        return 0;
}

int parse_rfc3339(const char *s, bool assume_local, usec_t *ret) {
        struct tm tm = {};
        int year, mon, day, hh = 0, mm = 0, ss = 0, off = 0;
        long usec = 0;
        bool have_offset = false;
        const char *p = s;
        time_t t;

        if (!s)
                return -EINVAL;
        while (isspace((unsigned char) *p))
                p++;
        if (digits(&p, 4, &year) < 0 || *p++ != '-' || digits(&p, 2, &mon) < 0 || *p++ != '-' ||
            digits(&p, 2, &day) < 0)
                return -EINVAL;
        if (*p == 'T' || *p == 't' || *p == ' ') {
                p++;
                if (digits(&p, 2, &hh) < 0 || *p++ != ':' || digits(&p, 2, &mm) < 0)
                        return -EINVAL;
                if (*p == ':') {
                        p++;
                        if (digits(&p, 2, &ss) < 0)
                                return -EINVAL;
                        if (*p == '.' || *p == ',') {
                                long scale = 100000;
                                p++;
                                if (!isdigit((unsigned char) *p))
                                        return -EINVAL;
                                for (; isdigit((unsigned char) *p); p++, scale /= 10)
                                        usec += (*p - '0') * scale;
                        }
                }
                if (*p == 'Z' || *p == 'z') {
                        have_offset = true;
                        p++;
                } else if (*p == '+' || *p == '-') {
                        int sign = *p == '-' ? -1 : 1, oh, om = 0;
                        p++;
                        if (digits(&p, 2, &oh) < 0)
                                return -EINVAL;
                        if (*p == ':')
                                p++;
                        if (isdigit((unsigned char) *p) && digits(&p, 2, &om) < 0)
                                return -EINVAL;
                        if (oh > 23 || om > 59)
                                return -EINVAL;
                        off = sign * (oh * 3600 + om * 60);
                        have_offset = true;
                }
        }
        while (isspace((unsigned char) *p))
                p++;
        if (*p)
                return -EINVAL;
        if (year < 1970 || mon < 1 || mon > 12 || day < 1 || day > 31 || hh > 23 || mm > 59 ||
            ss > 60)
                return -EINVAL;

        tm.tm_year = year - 1900;
        tm.tm_mon = mon - 1;
        tm.tm_mday = day;
        tm.tm_hour = hh;
        tm.tm_min = mm;
        tm.tm_sec = ss;
        if (!have_offset && assume_local) {
                tm.tm_isdst = -1;
                t = mktime(&tm);
        } else
                t = timegm(&tm);
        if (t == (time_t) -1 || t < off)
                return -EINVAL;
        *ret = (usec_t) (t - off) * USEC_PER_SEC + (usec_t) usec;
        return 0;
}
