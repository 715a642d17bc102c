/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error-util.h"
#include "fs-util.h"
#include "json-strict.h"
#include "json-util.h"
#include "macro.h"
#include "thread-object.h"

/* One tokener per thread, reset between documents: a new one costs ~6 k instructions
 * (its parse stack zeroed, its buffer allocated), as much as parsing a small document. */
static struct json_tokener *tokener_new(void) {
        struct json_tokener *tok = json_tokener_new_ex(JSON_MAX_DEPTH);

        if (tok)
                json_tokener_set_flags(tok, JSON_TOKENER_VALIDATE_UTF8);
        return tok;
}
DEFINE_THREAD_OBJECT(struct json_tokener, thread_tokener, tokener_new, json_tokener_free)

int json_parse(const char *data, size_t size, json_object **ret, char **ret_error) {
        struct json_tokener *tok;
        json_object *j;
        enum json_tokener_error e;
        const char *what;
        size_t end;

        if (size > INT32_MAX)
                return -EFBIG;
        /* Strictness is ours (json-strict.h says why not json-c's); then json-c builds it. */
        if (json_check_grammar(data, size, JSON_MAX_DEPTH, &end, &what) < 0) {
                if (end >= size)
                        json_error(ret_error, "unexpected end of JSON after %zu bytes", size);
                else
                        json_error(ret_error, "malformed JSON at byte %zu: expected %s", end, what);
                return -EBADMSG;
        }
        tok = thread_tokener();
        if (!tok)
                return -ENOMEM;
        j = json_tokener_parse_ex(tok, data, (int) size);
        e = json_tokener_get_error(tok);
        end = json_tokener_get_parse_end(tok);
        json_tokener_reset(tok);
        /* the grammar check leaves json-c nothing but UTF-8 to refuse */
        if (!j || e != json_tokener_success) {
                json_object_put(j);
                if (e == json_tokener_continue)
                        json_error(ret_error, "unexpected end of JSON after %zu bytes", size);
                else
                        json_error(ret_error, "malformed JSON at byte %zu: %s", end,
                                   json_tokener_error_desc(e));
                return -EBADMSG;
        }
        *ret = j;
        return 0;
}

int json_parse_file(const char *path, size_t max, json_object **ret, char **ret_error) {
        _cleanup_free_ char *buf = NULL;
        size_t size;
        int r = read_file_full(path, max, &buf, &size);

        if (r < 0) {
                if (r == -EFBIG)
                        json_error(ret_error, "larger than %zu bytes", max);
                else
                        json_error(ret_error, "%s", strerror(-r));
                return r;
        }
        return json_parse(buf, size, ret, ret_error);
}

const char *json_compact(json_object *j) {
        return json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE);
}

const char *json_type_label(json_object *j) {
        return j ? json_type_to_name(json_object_get_type(j)) : "null";
}

static int lookup(json_object *o, const char *key, json_object **ret) {
        if (!o || !json_object_is_type(o, json_type_object))
                return -EINVAL;
        if (!json_object_object_get_ex(o, key, ret))
                return -ENOENT;
        return 0;
}

#define DOT(path) ((path) && *(path) ? "." : "")

int json_get_bool(json_object *o, const char *path, const char *key, bool *ret,
                  char **ret_error) {
        json_object *v;
        int r = lookup(o, key, &v);
        if (r < 0)
                return r;
        if (!json_object_is_type(v, json_type_boolean))
                return json_error(ret_error, "%s%s%s: expected true or false, got %s",
                                  strempty(path), DOT(path), key, json_type_label(v));
        *ret = json_object_get_boolean(v);
        return 0;
}

int json_get_int(json_object *o, const char *path, const char *key, int64_t min, int64_t max,
                 int64_t *ret, char **ret_error) {
        json_object *v;
        int64_t i;
        int r = lookup(o, key, &v);
        if (r < 0)
                return r;
        if (!json_object_is_type(v, json_type_int))
                return json_error(ret_error, "%s%s%s: expected integer, got %s", strempty(path),
                                  DOT(path), key, json_type_label(v));
        errno = 0;
        i = json_object_get_int64(v);
        if (errno == ERANGE || i < min || i > max)
                return json_error(ret_error, "%s%s%s: %s is out of range (%lld to %lld)",
                                  strempty(path), DOT(path), key, json_object_get_string(v),
                                  (long long) min, (long long) max);
        *ret = i;
        return 0;
}

int json_get_string(json_object *o, const char *path, const char *key, const char **ret,
                    char **ret_error) {
        json_object *v;
        int r = lookup(o, key, &v);
        if (r < 0)
                return r;
        if (!json_object_is_type(v, json_type_string))
                return json_error(ret_error, "%s%s%s: expected string, got %s", strempty(path),
                                  DOT(path), key, json_type_label(v));
        *ret = json_object_get_string(v);
        return 0;
}

int json_get_strv(json_object *o, const char *path, const char *key, char ***ret,
                  char **ret_error) {
        _cleanup_strv_free_ char **l = NULL;
        json_object *v;
        size_t n;
        int r = lookup(o, key, &v);
        if (r < 0)
                return r;
        if (!json_object_is_type(v, json_type_array))
                return json_error(ret_error, "%s%s%s: expected array of strings, got %s",
                                  strempty(path), DOT(path), key, json_type_label(v));
        n = json_object_array_length(v);
        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(v, i);
                if (!json_object_is_type(e, json_type_string))
                        return json_error(ret_error, "%s%s%s[%zu]: expected string, got %s",
                                          strempty(path), DOT(path), key, i, json_type_label(e));
                l[i] = strdup(json_object_get_string(e));
                if (!l[i])
                        return -ENOMEM;
        }
        strv_freep(ret);
        *ret = TAKE_PTR(l);
        return 0;
}

json_object *json_new_strv(char *const *l) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; a && l && l[i]; i++)
                if (json_object_array_add(a, json_object_new_string(l[i])) < 0) {
                        json_object_put(a);
                        return NULL;
                }
        return a;
}

int json_add(json_object *o, const char *key, json_object *value) {
        if (json_object_object_add(o, key, value) < 0) {
                json_object_put(value);
                return -ENOMEM;
        }
        return 0;
}

int json_add_string(json_object *o, const char *key, const char *value) {
        json_object *v = NULL;
        if (value && !(v = json_object_new_string(value)))
                return -ENOMEM;
        return json_add(o, key, v);
}

int json_add_int(json_object *o, const char *key, int64_t value) {
        json_object *v = json_object_new_int64(value);
        return v ? json_add(o, key, v) : -ENOMEM;
}

int json_add_bool(json_object *o, const char *key, bool value) {
        json_object *v = json_object_new_boolean(value);
        return v ? json_add(o, key, v) : -ENOMEM;
}
