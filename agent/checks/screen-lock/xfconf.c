/* SPDX-License-Identifier: MIT */
/* As xfconf's perchannel-xml backend reads a channel (xfconf-backend-perchannel-xml.c). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error-util.h"
#include "expat-dl.h"
#include "macro.h"
#include "xfconf.h"

#define DEPTH_MAX 32
#define NAME_LEN_MAX 256

typedef struct Parse {
        const ExpatApi *xml;
        XML_Parser parser;
        XfconfChannel *ch;
        char *path;            /* of the open property */
        size_t path_len[DEPTH_MAX + 1];
        unsigned depth;        /* open <property> elements */
        unsigned skip;         /* inside an element we do not read (<value>, unknown) */
        bool in_channel, channel_locked;
        int error;
} Parse;

static void fail(Parse *p, int r) {
        if (!p->error)
                p->error = r;
        p->xml->XML_StopParser(p->parser, false);
}

static const char *attr(const XML_Char **atts, const char *name) {
        for (size_t i = 0; atts[i]; i += 2)
                if (streq(atts[i], name))
                        return atts[i + 1];
        return NULL;
}

static bool name_is_valid(const char *s) {
        size_t n = strlen(s);

        return n > 0 && n <= NAME_LEN_MAX && !strchr(s, '/');
}

static int add_property(Parse *p, const char *type, const char *value, bool locked) {
        XfconfChannel *c = p->ch;
        XfconfProperty *n;

        if (c->n >= XFCONF_PROPERTIES_MAX)
                return -E2BIG;
        n = reallocarray(c->props, c->n + 1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        c->props = n;
        n = &c->props[c->n];
        *n = (XfconfProperty) { .locked = locked };
        n->path = strdup(p->path);
        n->type = strdup(type);
        n->value = strdup(value);
        c->n++; /* freed by xfconf_done() even when incomplete */
        return n->path && n->type && n->value ? 0 : -ENOMEM;
}

static void on_start(void *ud, const XML_Char *el, const XML_Char **atts) {
        Parse *p = ud;
        const char *name, *type, *value, *locked;
        size_t len;
        char *np;
        int r;

        if (p->skip) {
                p->skip++;
                return;
        }
        if (!p->in_channel) {
                name = attr(atts, "name");
                if (!streq(el, "channel") || !name || p->ch->name)
                        return fail(p, -EBADMSG);
                p->in_channel = true;
                locked = attr(atts, "locked");
                p->channel_locked = locked && streq(locked, "*");
                if (!(p->ch->name = strdup(name)))
                        fail(p, -ENOMEM);
                return;
        }
        if (!streq(el, "property")) {
                p->skip = 1; /* <value> items of an array */
                return;
        }
        name = attr(atts, "name");
        type = attr(atts, "type");
        if (!name || !type || !name_is_valid(name) || p->depth >= DEPTH_MAX)
                return fail(p, -EBADMSG);
        len = p->path_len[p->depth];
        np = realloc(p->path, len + 1 + strlen(name) + 1);
        if (!np)
                return fail(p, -ENOMEM);
        p->path = np;
        np[len] = '/';
        strcpy(np + len + 1, name);
        p->path_len[++p->depth] = len + 1 + strlen(name);
        value = attr(atts, "value");
        locked = attr(atts, "locked");
        if (value && !streq(type, "empty")) {
                r = add_property(p, type, value, p->channel_locked || (locked && streq(locked, "*")));
                if (r < 0)
                        fail(p, r);
        }
}

static void on_end(void *ud, const XML_Char *el) {
        Parse *p = ud;

        (void) el;
        if (p->skip) {
                p->skip--;
                return;
        }
        if (p->depth == 0) {
                p->in_channel = false;
                return;
        }
        p->depth--;
        p->path[p->path_len[p->depth]] = 0;
}

static void on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
                       int has_internal) {
        (void) name, (void) sysid, (void) pubid, (void) has_internal;
        fail(ud, -EBADMSG);
}

int xfconf_parse(const char *text, size_t size, XfconfChannel *ret, char **ret_error) {
        Parse p = { .ch = ret };
        const char *err;
        int r = 0;

        *ret = (XfconfChannel) {};
        if (size > INT_MAX)
                return -EFBIG;
        if (expat_api_load(&p.xml, &err) < 0)
                return error_set(ret_error, -ELIBACC, "%s", err);
        p.parser = p.xml->XML_ParserCreate(NULL);
        p.path = calloc(1, 1);
        if (!p.parser || !p.path) {
                r = -ENOMEM;
                goto out;
        }
        p.xml->XML_SetUserData(p.parser, &p);
        p.xml->XML_SetElementHandler(p.parser, on_start, on_end);
        p.xml->XML_SetStartDoctypeDeclHandler(p.parser, on_doctype);
        if (p.xml->XML_Parse(p.parser, text, (int) size, true) == XML_STATUS_ERROR && !p.error)
                r = error_set(ret_error, -EBADMSG, "line %lu: %s", (unsigned long) p.xml->XML_GetCurrentLineNumber(p.parser),
                              p.xml->XML_ErrorString(p.xml->XML_GetErrorCode(p.parser)));
        else if (p.error == -E2BIG)
                r = error_set(ret_error, p.error, "more than %d properties", XFCONF_PROPERTIES_MAX);
        else if (p.error == -EBADMSG)
                r = error_set(ret_error, p.error, "line %lu: not an xfconf channel (expected <channel name=…> "
                              "holding <property name=… type=…>)", (unsigned long) p.xml->XML_GetCurrentLineNumber(p.parser));
        else
                r = p.error;
        if (r >= 0 && !ret->name)
                r = error_set(ret_error, -EBADMSG, "no <channel> element");
out:
        if (p.parser)
                p.xml->XML_ParserFree(p.parser);
        free(p.path);
        if (r < 0)
                xfconf_done(ret);
        return r;
}

void xfconf_done(XfconfChannel *c) {
        for (size_t i = 0; i < c->n; i++) {
                free(c->props[i].path);
                free(c->props[i].type);
                free(c->props[i].value);
        }
        free(c->props);
        free(c->name);
        *c = (XfconfChannel) {};
}

const XfconfProperty *xfconf_get(const XfconfChannel *c, const char *path) {
        /* The last one wins, as the backend's hash table keeps the last insert. */
        for (size_t i = c->n; i-- > 0;)
                if (streq(c->props[i].path, path))
                        return &c->props[i];
        return NULL;
}
