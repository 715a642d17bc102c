/* SPDX-License-Identifier: MIT */
/* The claims of a report read in one pass over the payload bytes, without a json-c tree
 * (docs/internals/ingest.md, "Reading the claims"): the server's ingest spends a third of
 * its non-ECDSA instructions building and freeing that tree for ~40 KB of evidence it
 * never reads.
 *
 * The scan must decide exactly as report_claims_parse() does. It does so by owning only
 * the common case: it accepts when the tree reader would accept with the same fields, it
 * refuses when the tree reader would refuse, and for the rest (-EAGAIN) it leaves the
 * decision to the tree reader: a member named twice (json-c keeps the last, so an earlier
 * bad value may be forgiven), evidence that breaks a rule (a later member of the same name
 * may replace it), "\u0000" (json-c cuts names and C strings there), a lone surrogate
 * (json-c writes U+FFFD), an integer beyond int64 (json-c saturates), nesting deeper than
 * a report needs. The grammar is json-strict's, byte for byte; UTF-8 is checked as json-c
 * does (lead byte and continuation bytes only); the field rules are report_claims_check()'s
 * and check_texts_check()'s, shared with the tree reader. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "json-util.h"
#include "macro.h"
#include "report.h"
#include "text-util.h"
#include "thread-object.h"
#include "time-util.h"

/* Containers nested deeper than this are left to the tree reader: a report's deepest
 * evidence value sits at 3 + REPORT_EVIDENCE_DEPTH, json-c's own limit is near 32. */
#define SCAN_MAX_DEPTH 16

/* A thread's scratch buffer is kept for the next report up to this size; a larger
 * payload (JWS_MAX_SIZE allows 2 MiB) takes one of its own. */
#define SCRATCH_KEEP (256U * 1024)

typedef struct Reader {
        const char *p, *end;
        unsigned depth;
        char *buf;       /* the last string decoded, NUL-terminated: past the strings kept */
        size_t len;
        bool plain;      /* that string was all plain_run() bytes: nothing decoded, no control */
        CheckResult *results; /* the checks read: ReportClaims.n_checks of them */
        bool refused;    /* a rule is broken: refused, unless undecided */
        bool undecided;  /* only the tree reader can decide */
} Reader;

typedef enum FieldKind {
        FIELD_TEXT,
        FIELD_TEXT_OR_NULL,
        FIELD_INT,
        FIELD_BOOL,
        FIELD_OBJECT,
        FIELD_CHECKS,
        FIELD_EVIDENCE,
} FieldKind;

typedef struct Fields Fields;

/* A member of an object of the claims, read into the struct being filled at offset. */
typedef struct Field {
        const char *name;
        size_t name_len;      /* strlen(name): a key is matched by length, then bytes */
        FieldKind kind;
        size_t offset;
        int64_t min;          /* FIELD_INT: the tree reader's minimum; maxima are report_claims_check()'s */
        bool optional;
        const Fields *object; /* FIELD_OBJECT: its members, read into the same struct */
} Field;

struct Fields {
        const Field *fields;
        size_t n;
        bool open; /* other members allowed (a check result's, as check_result_from_json) */
};

/* A check result's members as read, before check_result_from_json's conversions. */
typedef struct CheckFields {
        char *id, *title, *status, *summary, *remediation, *deadline;
        int64_t duration_us;
} CheckFields;

#define CLAIM(name, kind, member, ...) { name, sizeof(name) - 1, kind, offsetof(ReportClaims, member), __VA_ARGS__ }
#define OBJECT(name, fields) { name, sizeof(name) - 1, FIELD_OBJECT, 0, .object = &(fields) }
#define OTHER(name, kind) { name, sizeof(name) - 1, kind, 0 }
#define CHECK(name, kind, member, ...) { name, sizeof(name) - 1, kind, offsetof(CheckFields, member), __VA_ARGS__ }
#define FIELDS(table, open) { table, ELEMENTSOF(table), open }

static const Field agent_fields[] = {
        CLAIM("version", FIELD_TEXT, agent_version),
        CLAIM("key", FIELD_TEXT, agent_key),
};
static const Fields agent_object = FIELDS(agent_fields, false);
static const Field os_fields[] = {
        CLAIM("id", FIELD_TEXT, os_id),
        CLAIM("version_id", FIELD_TEXT, os_version_id),
        CLAIM("pretty", FIELD_TEXT, os_pretty),
};
static const Fields os_object = FIELDS(os_fields, false);
static const Field host_fields[] = {
        CLAIM("hostname", FIELD_TEXT, hostname),
        OBJECT("os", os_object),
        CLAIM("kernel", FIELD_TEXT, kernel),
};
static const Fields host_object = FIELDS(host_fields, false);
static const Field policy_fields[] = {
        CLAIM("id", FIELD_TEXT, policy_id),
        CLAIM("version", FIELD_INT, policy_version, .min = 0),
};
static const Fields policy_object = FIELDS(policy_fields, false);
static const Field claims_fields[] = {
        CLAIM("sub", FIELD_TEXT, sub),
        CLAIM("iat", FIELD_INT, iat, .min = 0),
        CLAIM("seq", FIELD_INT, seq, .min = 1),
        CLAIM("prev", FIELD_TEXT_OR_NULL, prev),
        OBJECT("agent", agent_object),
        OBJECT("host", host_object),
        OBJECT("policy", policy_object),
        CLAIM("compliant", FIELD_BOOL, compliant),
        CLAIM("dropped", FIELD_INT, dropped, .min = 1, .optional = true),
        OTHER("checks", FIELD_CHECKS),
};
static const Fields claims_object = FIELDS(claims_fields, false);
static const Field check_fields[] = {
        CHECK("id", FIELD_TEXT, id),
        CHECK("title", FIELD_TEXT, title),
        CHECK("status", FIELD_TEXT, status),
        CHECK("summary", FIELD_TEXT, summary),
        CHECK("remediation", FIELD_TEXT_OR_NULL, remediation),
        CHECK("deadline", FIELD_TEXT_OR_NULL, deadline),
        OTHER("evidence", FIELD_EVIDENCE),
        CHECK("duration_us", FIELD_INT, duration_us, .min = 0, .optional = true),
};
static const Fields check_object = FIELDS(check_fields, true);

/* A rule is broken by a value (consumed); the scan goes on to learn whether it is final. */
static int refuse(Reader *rd) {
        rd->refused = true;
        return 0;
}

static int undecide(Reader *rd) {
        rd->undecided = true;
        return 0;
}

static void skip_ws(Reader *rd) {
        while (rd->p < rd->end && (*rd->p == ' ' || *rd->p == '\t' || *rd->p == '\n' || *rd->p == '\r'))
                rd->p++;
}

static bool at(Reader *rd, char c) {
        return rd->p < rd->end && *rd->p == c;
}

static int hex4(const char *p, unsigned *ret) {
        unsigned v = 0;

        for (int i = 0; i < 4; i++) {
                char c = p[i];
                unsigned d = c >= '0' && c <= '9' ? (unsigned) (c - '0')
                           : c >= 'a' && c <= 'f' ? (unsigned) (c - 'a' + 10)
                           : c >= 'A' && c <= 'F' ? (unsigned) (c - 'A' + 10) : 16;
                if (d == 16)
                        return -EBADMSG;
                v = v << 4 | d;
        }
        *ret = v;
        return 0;
}

/* After the backslash of "\uXXXX": its UTF-8 into *o (json-c's encoding; a pair of
 * surrogates is one code point). */
static int unicode_escape(Reader *rd, const char **p, char **o) {
        unsigned cp, lo;

        if (rd->end - *p < 5 || hex4(*p + 1, &cp) < 0)
                return -EBADMSG;
        *p += 5;
        if (cp >= 0xd800 && cp <= 0xdbff && rd->end - *p >= 6 && (*p)[0] == '\\' && (*p)[1] == 'u' &&
            hex4(*p + 2, &lo) >= 0 && lo >= 0xdc00 && lo <= 0xdfff) {
                *p += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        } else if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
                return undecide(rd);
        if (cp < 0x80)
                *(*o)++ = (char) cp;
        else if (cp < 0x800) {
                *(*o)++ = (char) (0xc0 | cp >> 6);
                *(*o)++ = (char) (0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
                *(*o)++ = (char) (0xe0 | cp >> 12);
                *(*o)++ = (char) (0x80 | ((cp >> 6) & 0x3f));
                *(*o)++ = (char) (0x80 | (cp & 0x3f));
        } else {
                *(*o)++ = (char) (0xf0 | cp >> 18);
                *(*o)++ = (char) (0x80 | ((cp >> 12) & 0x3f));
                *(*o)++ = (char) (0x80 | ((cp >> 6) & 0x3f));
                *(*o)++ = (char) (0x80 | (cp & 0x3f));
        }
        return 0;
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS (ONES * 0x80)

/* Whether any byte of x is below n (n ≤ 0x80; exact as a whole, not byte by byte). */
static inline uint64_t has_less(uint64_t x, uint8_t n) {
        return (x - ONES * n) & ~x & HIGHS;
}

/* How many bytes from p a JSON string holds as they are: printable ASCII but '"' and '\\'.
 * Such bytes need no decoding and are no control character (text_is_safe()); they are
 * most of a report, whose evidence is package names, versions and paths. Eight at a time. */
static inline size_t plain_run(const char *p, const char *end) {
        const char *s = p;

        for (; end - p >= 8; p += 8) {
                uint64_t x, bad;

                memcpy(&x, p, sizeof(x));
                bad = (x | has_less(x, 0x20) | has_less(x ^ (ONES * '"'), 1) | has_less(x ^ (ONES * '\\'), 1) |
                       has_less(x ^ (ONES * 0x7f), 1)) & HIGHS;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                /* The lowest flag is exact (a borrow only runs to higher bytes): the first
                 * byte that is not plain, without the loop below. */
                if (bad)
                        return (size_t) (p - s) + (size_t) __builtin_ctzll(bad) / 8;
#else
                if (bad)
                        break;
#endif
        }
        while (p < end && *p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
                p++;
        return (size_t) (p - s);
}

/* The string at rd->p, decoded into rd->buf (never longer than its JSON form); its first
 * run bytes are plain_run()'s. */
static int read_string_from(Reader *rd, size_t run) {
        const char *p = rd->p + 1;
        char *o = rd->buf;
        int r;

        rd->plain = true;
        for (;; run = plain_run(p, rd->end)) {
                unsigned char c;

                o = mempcpy(o, p, run);
                p += run;
                if (p >= rd->end)
                        return -EBADMSG;
                c = (unsigned char) *p;
                if (c == '"')
                        break;
                rd->plain = false;
                if (c < 0x20)
                        return -EBADMSG;
                if (c == '\\') {
                        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
                        const char *e;

                        if (++p >= rd->end)
                                return -EBADMSG;
                        if (*p == 'u') {
                                if ((r = unicode_escape(rd, &p, &o)) < 0)
                                        return r;
                                continue;
                        }
                        if (!*p || !(e = strchr(from, *p)))
                                return -EBADMSG;
                        *o++ = to[e - from];
                        p++;
                } else if (c >= 0x80) {
                        /* json-c's JSON_TOKENER_VALIDATE_UTF8: a lead byte, then as many continuations */
                        int n = (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : -1;
                        if (n < 0 || rd->end - p <= n)
                                return -EBADMSG;
                        *o++ = *p++;
                        for (; n > 0; n--) {
                                if (((unsigned char) *p & 0xc0) != 0x80)
                                        return -EBADMSG;
                                *o++ = *p++;
                        }
                } else
                        *o++ = *p++; /* DEL */
        }
        *o = 0;
        rd->len = (size_t) (o - rd->buf);
        rd->p = p + 1;
        return 0;
}

static int read_string(Reader *rd) {
        return read_string_from(rd, plain_run(rd->p + 1, rd->end));
}

/* text_is_safe() of the string just read. */
static bool read_is_safe(const Reader *rd, size_t max, TextFlags flags) {
        if (rd->plain)
                return rd->len <= max && (rd->len > 0 || (flags & TEXT_EMPTY_OK));
        return text_is_safe(rd->buf, max, flags);
}

/* json-strict's number grammar; *ret_int when it has neither fraction nor exponent, then
 * *ret_fits when its value fits in int64 (*ret). */
static int read_number(Reader *rd, bool *ret_int, bool *ret_fits, int64_t *ret) {
        bool neg = at(rd, '-'), integer = true, fits = true;
        uint64_t v = 0;

        if (neg)
                rd->p++;
        if (rd->p >= rd->end || *rd->p < '0' || *rd->p > '9')
                return -EBADMSG;
        if (*rd->p == '0')
                rd->p++;
        else
                for (; rd->p < rd->end && *rd->p >= '0' && *rd->p <= '9'; rd->p++)
                        fits = fits && !__builtin_mul_overflow(v, 10, &v) &&
                               !__builtin_add_overflow(v, (uint64_t) (*rd->p - '0'), &v) && v <= INT64_MAX;
        if (at(rd, '.')) {
                integer = false;
                if (++rd->p >= rd->end || *rd->p < '0' || *rd->p > '9')
                        return -EBADMSG;
                while (rd->p < rd->end && *rd->p >= '0' && *rd->p <= '9')
                        rd->p++;
        }
        if (at(rd, 'e') || at(rd, 'E')) {
                integer = false;
                rd->p++;
                if (at(rd, '+') || at(rd, '-'))
                        rd->p++;
                if (rd->p >= rd->end || *rd->p < '0' || *rd->p > '9')
                        return -EBADMSG;
                while (rd->p < rd->end && *rd->p >= '0' && *rd->p <= '9')
                        rd->p++;
        }
        *ret_int = integer;
        *ret_fits = fits;
        *ret = neg ? -(int64_t) v : (int64_t) v;
        return 0;
}

static int literal(Reader *rd, const char *word) {
        size_t n = strlen(word);

        if ((size_t) (rd->end - rd->p) < n || memcmp(rd->p, word, n) != 0)
                return -EBADMSG;
        rd->p += n;
        return 0;
}

typedef int (*ElementFn)(Reader *rd, const char *key, void *userdata);

/* The members (key set) or elements (key NULL) of the container at rd->p, each read by fn
 * positioned at its value. Nesting is json-strict's limit, or undecided past ours. */
static int read_container(Reader *rd, bool object, ElementFn fn, void *userdata) {
        char close = object ? '}' : ']';
        int r;

        if (++rd->depth > JSON_MAX_DEPTH)
                return -EBADMSG;
        if (rd->depth > SCAN_MAX_DEPTH)
                undecide(rd);
        rd->p++;
        skip_ws(rd);
        if (!at(rd, close))
                for (;;) {
                        skip_ws(rd);
                        if (object) {
                                if (!at(rd, '"') || (r = read_string(rd)) < 0)
                                        return -EBADMSG;
                                skip_ws(rd);
                                if (!at(rd, ':'))
                                        return -EBADMSG;
                                rd->p++;
                        }
                        skip_ws(rd);
                        if ((r = fn(rd, object ? rd->buf : NULL, userdata)) < 0)
                                return r;
                        skip_ws(rd);
                        if (!at(rd, ','))
                                break;
                        rd->p++;
                }
        if (!at(rd, close))
                return -EBADMSG;
        rd->p++;
        rd->depth--;
        return 0;
}

static int skip_value(Reader *rd);

static int skip_element(Reader *rd, const char *key, void *userdata) {
        (void) key, (void) userdata;
        return skip_value(rd);
}

static int skip_value(Reader *rd) {
        bool integer, fits;
        int64_t v;

        if (rd->p >= rd->end)
                return -EBADMSG;
        switch (*rd->p) {
        case '{': return read_container(rd, true, skip_element, NULL);
        case '[': return read_container(rd, false, skip_element, NULL);
        case '"': return read_string(rd);
        case 't': return literal(rd, "true");
        case 'f': return literal(rd, "false");
        case 'n': return literal(rd, "null");
        default:  return read_number(rd, &integer, &fits, &v);
        }
}

/* Evidence is validated as evidence_check() does, not built. Where it breaks a rule the
 * tree reader decides: the value may be replaced by a later member of the same name. */
static int read_evidence(Reader *rd, unsigned depth);

static int evidence_element(Reader *rd, const char *key, void *userdata) {
        unsigned depth = *(unsigned *) userdata;

        if (key && !read_is_safe(rd, REPORT_EVIDENCE_KEY_MAX, 0)) /* key: the string just read */
                undecide(rd);
        return read_evidence(rd, depth + 1);
}

static int read_evidence(Reader *rd, unsigned depth) {
        int r;

        if (depth > REPORT_EVIDENCE_DEPTH) {
                undecide(rd);
                return skip_value(rd);
        }
        if (at(rd, '{') || at(rd, '['))
                return read_container(rd, at(rd, '{'), evidence_element, &depth);
        if (at(rd, '"')) {
                size_t run = plain_run(rd->p + 1, rd->end);

                /* A plain string is safe as it stands: not copied, not checked again. */
                if (rd->end - rd->p > (ptrdiff_t) (run + 1) && rd->p[run + 1] == '"') {
                        rd->p += run + 2;
                        return run <= REPORT_EVIDENCE_STRING_MAX ? 0 : undecide(rd);
                }
                if ((r = read_string_from(rd, run)) < 0)
                        return r;
                if (!read_is_safe(rd, REPORT_EVIDENCE_STRING_MAX, TEXT_MULTILINE | TEXT_EMPTY_OK))
                        undecide(rd);
                return 0;
        }
        return skip_value(rd);
}

static int read_object(Reader *rd, const Fields *fs, void *base);

/* A string kept: left where it was decoded, the next one goes after it. */
static int read_text(Reader *rd, char **field) {
        int r;

        if (!at(rd, '"'))
                return skip_value(rd) < 0 ? -EBADMSG : refuse(rd);
        if ((r = read_string(rd)) < 0)
                return r;
        *field = rd->buf;
        rd->buf += rd->len + 1;
        return 0;
}

static int read_int(Reader *rd, int64_t min, int64_t *field) {
        bool integer, fits;
        int r;

        if (rd->p >= rd->end || !(*rd->p == '-' || (*rd->p >= '0' && *rd->p <= '9')))
                return skip_value(rd) < 0 ? -EBADMSG : refuse(rd);
        if ((r = read_number(rd, &integer, &fits, field)) < 0)
                return r;
        if (!integer || (fits && *field < min))
                return refuse(rd);
        return fits ? 0 : undecide(rd);
}

static int read_check(Reader *rd, const char *key, void *userdata) {
        ReportClaims *c = userdata;
        CheckResult *res = &rd->results[c->n_checks];
        CheckFields f = {};
        int r;

        (void) key;
        if (c->n_checks == REPORT_MAX_CHECKS || !at(rd, '{'))
                return skip_value(rd) < 0 ? -EBADMSG : refuse(rd);
        r = read_object(rd, &check_object, &f);
        if (r < 0 || rd->refused)
                return r;
        /* check_result_from_json's conversions */
        *res = (CheckResult) { .id = f.id, .title = f.title, .summary = f.summary, .remediation = f.remediation,
                               .status = check_status_from_string(f.status),
                               .duration_us = (uint64_t) f.duration_us };
        if (res->status < 0 || (f.deadline && parse_rfc3339(f.deadline, false, &res->deadline) < 0))
                return refuse(rd);
        c->checks[c->n_checks++] = res;
        return 0;
}

static int read_field(Reader *rd, const Field *f, void *base) {
        void *field = (uint8_t *) base + f->offset;

        switch (f->kind) {
        case FIELD_TEXT_OR_NULL:
                if (at(rd, 'n'))
                        return literal(rd, "null");
                return read_text(rd, field);
        case FIELD_TEXT:
                return read_text(rd, field);
        case FIELD_INT:
                return read_int(rd, f->min, field);
        case FIELD_BOOL:
                if (at(rd, 't') || at(rd, 'f')) {
                        *(bool *) field = at(rd, 't');
                        return literal(rd, *(bool *) field ? "true" : "false");
                }
                return skip_value(rd) < 0 ? -EBADMSG : refuse(rd);
        case FIELD_OBJECT:
                return read_object(rd, f->object, base);
        case FIELD_CHECKS:
                if (!at(rd, '['))
                        return skip_value(rd) < 0 ? -EBADMSG : refuse(rd);
                return read_container(rd, false, read_check, base);
        case FIELD_EVIDENCE:
                if (!at(rd, '{'))
                        return skip_value(rd) < 0 ? -EBADMSG : refuse(rd);
                return read_evidence(rd, 0);
        }
        return -EINVAL;
}

typedef struct ObjectState {
        const Fields *fs;
        void *base;
        uint32_t seen;
} ObjectState;

static int object_member(Reader *rd, const char *key, void *userdata) {
        ObjectState *o = userdata;

        for (size_t i = 0; i < o->fs->n; i++) {
                if (o->fs->fields[i].name_len != rd->len || memcmp(o->fs->fields[i].name, key, rd->len) != 0)
                        continue;
                if (o->seen & (UINT32_C(1) << i)) {
                        /* json-c keeps the last value: the tree reader decides */
                        undecide(rd);
                        return skip_value(rd);
                }
                o->seen |= UINT32_C(1) << i;
                return read_field(rd, &o->fs->fields[i], o->base);
        }
        if (!o->fs->open)
                refuse(rd);
        return skip_value(rd);
}

/* An object whose members are fs, read into base: unknown members and missing required
 * ones refuse it. */
static int read_object(Reader *rd, const Fields *fs, void *base) {
        ObjectState o = { .fs = fs, .base = base };
        int r;

        if (!at(rd, '{'))
                return skip_value(rd) < 0 ? -EBADMSG : refuse(rd);
        if ((r = read_container(rd, true, object_member, &o)) < 0)
                return r;
        for (size_t i = 0; i < fs->n; i++)
                if (!(o.seen & (UINT32_C(1) << i)) && !fs->fields[i].optional)
                        refuse(rd);
        return 0;
}

static char *scratch_make(void) {
        return malloc(SCRATCH_KEEP);
}

/* The scan decodes into a buffer as large as the payload. A thread keeps one of
 * SCRATCH_KEEP bytes between reports: a ~40 KB malloc and free per report is what drives
 * glibc's malloc_consolidate. A larger payload gets one of its own, in *ret_own. */
DEFINE_THREAD_OBJECT(char, thread_scratch, scratch_make, free)

static char *scratch_get(size_t size, char **ret_own) {
        char *b = size <= SCRATCH_KEEP ? thread_scratch() : NULL;

        *ret_own = NULL;
        return b ? b : (*ret_own = malloc(size));
}

/* A kept string of the scratch, at the same offset in the copy. */
static void relocate(char **field, const char *from, char *to) {
        if (*field)
                *field = to + (*field - from);
}

static void relocate_fields(const Fields *fs, void *base, const char *from, char *to) {
        for (size_t i = 0; i < fs->n; i++) {
                const Field *f = &fs->fields[i];
                if (f->kind == FIELD_TEXT || f->kind == FIELD_TEXT_OR_NULL)
                        relocate((char **) ((uint8_t *) base + f->offset), from, to);
                else if (f->kind == FIELD_OBJECT)
                        relocate_fields(f->object, base, from, to);
        }
}

/* The claims as read (strings in the scratch, checks on the stack) copied into one
 * allocation: the struct, its checks, then the strings kept (report_claims_free()). */
static int claims_copy(const ReportClaims *c, const char *scratch, size_t used, ReportClaims **ret) {
        size_t n = c->n_checks;
        ReportClaims *k;
        CheckResult **ptrs, *res;
        char *strings;

        k = malloc(sizeof(ReportClaims) + (n + 1) * sizeof(CheckResult *) + n * sizeof(CheckResult) + used);
        if (!k)
                return -ENOMEM;
        ptrs = (CheckResult **) (k + 1);
        res = (CheckResult *) (ptrs + n + 1);
        strings = memcpy(res + n, scratch, used);
        *k = *c;
        k->one_block = true;
        k->checks = ptrs;
        relocate_fields(&claims_object, k, scratch, strings);
        for (size_t i = 0; i < n; i++) {
                res[i] = *c->checks[i];
                relocate(&res[i].id, scratch, strings);
                relocate(&res[i].title, scratch, strings);
                relocate(&res[i].summary, scratch, strings);
                relocate(&res[i].remediation, scratch, strings);
                ptrs[i] = &res[i];
        }
        ptrs[n] = NULL;
        *ret = k;
        return 0;
}

int report_claims_scan(const void *data, size_t size, ReportClaims **ret) {
        CheckResult results[REPORT_MAX_CHECKS], *ptrs[REPORT_MAX_CHECKS + 1] = {};
        ReportClaims c = { .checks = ptrs };
        Reader rd = { .p = data, .end = (const char *) data + size, .results = results };
        _cleanup_free_ char *own = NULL;
        char *scratch;
        int r;

        if (size > JWS_MAX_SIZE)
                return -EINVAL;
        scratch = scratch_get(size + 1, &own);
        if (!scratch)
                return -ENOMEM;
        rd.buf = scratch;
        skip_ws(&rd);
        if ((r = read_object(&rd, &claims_object, &c)) < 0)
                return r;
        skip_ws(&rd);
        if (rd.p != rd.end)
                return -EBADMSG;
        if (rd.undecided)
                return -EAGAIN;
        if (rd.refused || report_claims_check(&c, NULL) < 0)
                return -EINVAL;
        return claims_copy(&c, scratch, (size_t) (rd.buf - scratch), ret);
}

int report_claims_read(const void *data, size_t size, ReportClaims **ret, char **ret_error) {
        int r = report_claims_scan(data, size, ret);

        if (r == 0 || r == -ENOMEM)
                return r;
        /* refused or undecided: the tree reader decides, and words the refusal */
        return report_claims_parse(data, size, ret, ret_error);
}
