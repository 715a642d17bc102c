/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "error-util.h"
#include "glib-keyfile.h"
#include "macro.h"

/* g_ascii_isspace(): no vertical tab. */
static bool glib_space(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static bool glib_cntrl(char c) {
        return (unsigned char) c < 0x20 || c == 0x7f;
}

/* g_utf8_find_next_char() steps over the continuation bytes of a character. */
static const char *next_char(const char *p) {
        for (p++; ((unsigned char) *p & 0xc0) == 0x80; p++)
                ;
        return p;
}

/* g_key_file_line_is_group(): "[", up to the first "]", then only blanks and tabs. */
static bool line_is_group(const char *p) {
        if (*p != '[')
                return false;
        for (p++; *p && *p != ']'; p = next_char(p))
                ;
        if (*p != ']')
                return false;
        for (p = next_char(p); *p == ' ' || *p == '\t'; p = next_char(p))
                ;
        return *p == '\0';
}

/* g_key_file_is_group_name(): not empty, no bracket, no control character. */
static bool group_name_valid(const char *name) {
        if (!*name)
                return false;
        for (const char *p = name; *p; p++)
                if (*p == '[' || *p == ']' || glib_cntrl(*p))
                        return false;
        return true;
}

static bool locale_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
               c == '_' || c == '.' || c == '@';
}

/* g_key_file_is_key_name(): a name without brackets, then at most one "[locale]" ending it. */
static bool key_name_valid(const char *name, size_t len, bool *ret_localised) {
        size_t i = 0;

        while (i < len && name[i] != '[' && name[i] != ']')
                i++;
        if (i == 0)
                return false;
        *ret_localised = i < len;
        if (i < len && name[i] == '[') {
                for (i++; i < len && locale_char(name[i]); i++)
                        ;
                if (i >= len || name[i] != ']')
                        return false;
                i++;
        }
        return i == len;
}

typedef struct Parser {
        GlibKeyFile *k;
        char *group;       /* the current one */
        char *start_group; /* the first one, where only UTF-8 may be the Encoding */
        unsigned line_no;
} Parser;

static int add_entry(GlibKeyFile *k, const char *group, const char *key, size_t key_len, const char *value) {
        GlibKeyFileEntry e = {};

        if (k->n >= GLIB_KEYFILE_ENTRIES_MAX)
                return -E2BIG;
        if (k->n % 64 == 0) {
                GlibKeyFileEntry *more = realloc(k->entries, (k->n + 64) * sizeof(*more));
                if (!more)
                        return -ENOMEM;
                k->entries = more;
        }
        e.group = strdup(group);
        e.key = strndup(key, key_len);
        e.value = strdup(value);
        if (!e.group || !e.key || !e.value) {
                free(e.group), free(e.key), free(e.value);
                return -ENOMEM;
        }
        k->entries[k->n++] = e;
        return 0;
}

/* g_key_file_parse_group(): the name ends at the line's last "]", even past a NUL. */
static int parse_group(Parser *ps, const char *start, const char *line_end, char **ret_error) {
        const char *name_end = line_end - 1;
        char *name;

        while (*name_end != ']')
                name_end--;
        name = strndup(start + 1, (size_t) (name_end - start - 1));
        if (!name)
                return -ENOMEM;
        if (!group_name_valid(name)) {
                free(name);
                return error_set(ret_error, -EBADMSG, "line %u: an invalid group name", ps->line_no);
        }
        free(ps->group);
        ps->group = name;
        if (!ps->start_group && !(ps->start_group = strdup(name)))
                return -ENOMEM;
        return 0;
}

/* g_key_file_parse_key_value_pair(). */
static int parse_key_value(Parser *ps, const char *start, char **ret_error) {
        const char *eq = strchr(start, '='), *key_end = eq - 1, *value = eq + 1;
        bool localised;

        if (!ps->group)
                return error_set(ret_error, -EBADMSG, "line %u: a key before the first group", ps->line_no);
        while (glib_space(*key_end))
                key_end--;
        if (!key_name_valid(start, (size_t) (key_end - start + 1), &localised))
                return error_set(ret_error, -EBADMSG, "line %u: an invalid key name", ps->line_no);
        while (glib_space(*value))
                value++;
        if (streq(ps->group, ps->start_group) && key_end - start + 1 == 8 && memcmp(start, "Encoding", 8) == 0 &&
            strcasecmp(value, "UTF-8") != 0)
                return error_set(ret_error, -EBADMSG, "line %u: an Encoding other than UTF-8", ps->line_no);
        if (localised) /* "key[fr]": a translation, never one of dconf's keys */
                return 0;
        return add_entry(ps->k, ps->group, start, (size_t) (key_end - start + 1), value);
}

/* g_key_file_parse_line(), on one line as GLib holds it: NUL-terminated, possibly with a
 * NUL inside that ends what the C-string calls see. */
static int parse_line(Parser *ps, const char *line, size_t len, char **ret_error) {
        const char *start = line;

        while (glib_space(*start))
                start++;
        if (*start == '#' || *start == '\0')
                return 0;
        if (line_is_group(start))
                return parse_group(ps, start, line + len, ret_error);
        if (strchr(start, '=') && *start != '=')
                return parse_key_value(ps, start, ret_error);
        return error_set(ret_error, -EBADMSG, "line %u: neither a [group], a key=value nor a # comment",
                         ps->line_no);
}

int glib_keyfile_parse(GlibKeyFile *k, const char *text, size_t size, char **ret_error) {
        Parser ps = { .k = k };
        const char *p = text, *end = text + size;
        _cleanup_free_ char *line = malloc(size + 1); /* each line in turn, NUL-terminated */
        int r = line ? 0 : -ENOMEM;

        *k = (GlibKeyFile) {};
        while (r >= 0 && p < end) {
                const char *eol = memchr(p, '\n', (size_t) (end - p));
                size_t len = (size_t) ((eol ? eol : end) - p);

                /* g_key_file_parse_data() drops a CR before each LF, not at the end. */
                if (eol && len > 0 && p[len - 1] == '\r')
                        len--;
                ps.line_no++;
                memcpy(line, p, len);
                line[len] = '\0';
                r = parse_line(&ps, line, len, ret_error);
                p = eol ? eol + 1 : end;
        }
        free(ps.group);
        free(ps.start_group);
        if (r < 0)
                glib_keyfile_done(k);
        return r;
}

void glib_keyfile_done(GlibKeyFile *k) {
        for (size_t i = 0; i < k->n; i++) {
                free(k->entries[i].group);
                free(k->entries[i].key);
                free(k->entries[i].value);
        }
        free(k->entries);
        *k = (GlibKeyFile) {};
}

const char *glib_keyfile_get(const GlibKeyFile *k, const char *group, const char *key) {
        for (size_t i = k->n; i-- > 0;)
                if (streq(k->entries[i].key, key) && streq(k->entries[i].group, group))
                        return k->entries[i].value;
        return NULL;
}
