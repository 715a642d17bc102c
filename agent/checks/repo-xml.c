/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error-util.h"
#include "expat-dl.h"
#include "macro.h"
#include "parse-util.h"
#include "repo-xml.h"

#define TEXT_MAX 4096          /* a name, an arch, an advisory id or severity */
#define DEPTH_MAX 64
#define UPDATE_PACKAGES_MAX 100000 /* per advisory */
#define OBSOLETES_MAX 4096          /* per package */

/* The fields a record is made of, as owned copies. */
enum { F_TYPE, F_HREF, F_ID, F_SEVERITY, F_NAME, F_ARCH, F_EPOCH, F_VERSION, F_RELEASE, _F_MAX };

typedef struct Pkg {
        char *f[_F_MAX];
} Pkg;

struct RepoXml {
        const ExpatApi *xml;
        XML_Parser parser;
        RepoXmlKind kind;
        RepoXmlFunc cb;
        void *userdata;
        int error;             /* the first error, stops the parse */
        unsigned depth;
        unsigned item_depth;   /* depth of the open <data>, <package> or <update>, 0: none */
        int text_field;        /* the field the character data goes to, -1: none */
        char text[TEXT_MAX];
        size_t text_len;
        Pkg cur;               /* the record being built */
        Pkg *pkgs;             /* updateinfo: the packages of the open <update>; primary: the
                                * obsoletes of the open <package> (F_TYPE: the flags) */
        size_t n_pkgs, n_alloc;
        bool in_obsoletes;     /* primary: inside <format><rpm:obsoletes> */
};

static void pkg_done(Pkg *p) {
        for (size_t i = 0; i < _F_MAX; i++)
{
                free(p->f[i]);
                p->f[i] = NULL;
        }
}

static void drop_update_pkgs(RepoXml *x) {
        for (size_t i = 0; i < x->n_pkgs; i++)
                pkg_done(&x->pkgs[i]);
        x->n_pkgs = 0;
}

static void fail(RepoXml *x, int r) {
        if (x->error == 0)
                x->error = r;
        x->xml->XML_StopParser(x->parser, false);
}

/* A new empty entry of x->pkgs, at most max; NULL with *r set when none. */
static Pkg *add_pkg(RepoXml *x, size_t max, int *r) {
        if (x->n_pkgs >= max) {
                *r = -E2BIG;
                return NULL;
        }
        if (x->n_pkgs == x->n_alloc) {
                size_t n = MAX(x->n_alloc * 2, (size_t) 8);
                Pkg *np = reallocarray(x->pkgs, n, sizeof(Pkg));
                if (!np) {
                        *r = -ENOMEM;
                        return NULL;
                }
                x->pkgs = np;
                x->n_alloc = n;
        }
        Pkg *p = &x->pkgs[x->n_pkgs++];
        *p = (Pkg) {};
        return p;
}

static const char *attr(const XML_Char **atts, const char *name) {
        for (size_t i = 0; atts[i]; i += 2)
                if (streq(atts[i], name))
                        return atts[i + 1];
        return NULL;
}

static int set_field(Pkg *p, int f, const char *v) {
        if (!v)
                return 0;
        if (strlen(v) >= TEXT_MAX)
                return -E2BIG;
        free(p->f[f]);
        p->f[f] = strdup(v);
        return p->f[f] ? 0 : -ENOMEM;
}

/* Character data without the surrounding white space. */
static char *strip(char *s) {
        char *e = s + strlen(s);
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
                s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
                *--e = 0;
        return s;
}

static int emit(RepoXml *x, const Pkg *item, const Pkg *pkg) {
        RepoXmlRecord rec = {
                .type = item->f[F_TYPE], .href = item->f[F_HREF], .id = item->f[F_ID],
                .severity = item->f[F_SEVERITY],
        };
        if (pkg)
                rec = (RepoXmlRecord) { .type = rec.type, .id = rec.id, .severity = rec.severity,
                                        .name = pkg->f[F_NAME], .arch = pkg->f[F_ARCH], .epoch = pkg->f[F_EPOCH],
                                        .version = pkg->f[F_VERSION], .release = pkg->f[F_RELEASE] };
        return x->cb(&rec, x->userdata);
}

static int emit_package(RepoXml *x) {
        _cleanup_free_ RepoXmlDep *deps = NULL;
        const Pkg *c = &x->cur;

        if (x->n_pkgs > 0 && !(deps = calloc(x->n_pkgs, sizeof(RepoXmlDep))))
                return -ENOMEM;
        for (size_t i = 0; i < x->n_pkgs; i++) {
                const Pkg *p = &x->pkgs[i];
                deps[i] = (RepoXmlDep) { p->f[F_NAME], p->f[F_TYPE], p->f[F_EPOCH], p->f[F_VERSION], p->f[F_RELEASE] };
        }
        RepoXmlRecord rec = { .name = c->f[F_NAME], .arch = c->f[F_ARCH], .epoch = c->f[F_EPOCH],
                              .version = c->f[F_VERSION], .release = c->f[F_RELEASE], .obsoletes = deps,
                              .n_obsoletes = x->n_pkgs };
        return x->cb(&rec, x->userdata);
}

static void on_start(void *ud, const XML_Char *el, const XML_Char **atts) {
        RepoXml *x = ud;
        int r = 0;

        if (x->error)
                return;
        if (++x->depth > DEPTH_MAX)
                return fail(x, -E2BIG);
        x->text_field = -1;
        switch (x->kind) {
        case REPO_XML_REPOMD:
                if (x->depth == 2 && streq(el, "data")) {
                        x->item_depth = x->depth;
                        r = set_field(&x->cur, F_TYPE, attr(atts, "type"));
                } else if (x->item_depth && x->depth == x->item_depth + 1 && streq(el, "location"))
                        r = set_field(&x->cur, F_HREF, attr(atts, "href"));
                break;
        case REPO_XML_PRIMARY:
                if (x->depth == 2 && streq(el, "package"))
                        x->item_depth = x->depth;
                else if (x->item_depth && x->depth == x->item_depth + 1) {
                        if (streq(el, "name"))
                                x->text_field = F_NAME;
                        else if (streq(el, "arch"))
                                x->text_field = F_ARCH;
                        else if (streq(el, "version")) {
                                if ((r = set_field(&x->cur, F_EPOCH, attr(atts, "epoch"))) >= 0 &&
                                    (r = set_field(&x->cur, F_VERSION, attr(atts, "ver"))) >= 0)
                                        r = set_field(&x->cur, F_RELEASE, attr(atts, "rel"));
                        }
                } else if (x->item_depth && x->depth == x->item_depth + 3 && streq(el, "rpm:entry") &&
                           x->in_obsoletes) {
                        Pkg *p = add_pkg(x, OBSOLETES_MAX, &r);
                        if (p && (r = set_field(p, F_NAME, attr(atts, "name"))) >= 0 &&
                            (r = set_field(p, F_TYPE, attr(atts, "flags"))) >= 0 &&
                            (r = set_field(p, F_EPOCH, attr(atts, "epoch"))) >= 0 &&
                            (r = set_field(p, F_VERSION, attr(atts, "ver"))) >= 0)
                                r = set_field(p, F_RELEASE, attr(atts, "rel"));
                        if (r >= 0 && p && !p->f[F_NAME])
                                x->n_pkgs--, pkg_done(p); /* an entry without a name obsoletes nothing */
                } else if (x->item_depth && x->depth == x->item_depth + 2 && streq(el, "rpm:obsoletes"))
                        x->in_obsoletes = true;
                break;
        case REPO_XML_UPDATEINFO:
                if (x->depth == 2 && streq(el, "update")) {
                        x->item_depth = x->depth;
                        r = set_field(&x->cur, F_TYPE, attr(atts, "type"));
                } else if (x->item_depth && x->depth == x->item_depth + 1 && streq(el, "id"))
                        x->text_field = F_ID;
                else if (x->item_depth && x->depth == x->item_depth + 1 && streq(el, "severity"))
                        x->text_field = F_SEVERITY;
                else if (x->item_depth && streq(el, "package")) {
                        Pkg *p = add_pkg(x, UPDATE_PACKAGES_MAX, &r);
                        if (p && (r = set_field(p, F_NAME, attr(atts, "name"))) >= 0 &&
                            (r = set_field(p, F_ARCH, attr(atts, "arch"))) >= 0 &&
                            (r = set_field(p, F_EPOCH, attr(atts, "epoch"))) >= 0 &&
                            (r = set_field(p, F_VERSION, attr(atts, "version"))) >= 0)
                                r = set_field(p, F_RELEASE, attr(atts, "release"));
                }
                break;
        }
        if (r < 0)
                return fail(x, r);
        x->text_len = 0;
}

static void on_text(void *ud, const XML_Char *s, int len) {
        RepoXml *x = ud;

        if (x->error || x->text_field < 0)
                return;
        if ((size_t) len >= TEXT_MAX - x->text_len)
                return fail(x, -E2BIG);
        memcpy(x->text + x->text_len, s, (size_t) len);
        x->text_len += (size_t) len;
}

static void on_end(void *ud, const XML_Char *el) {
        RepoXml *x = ud;
        int r = 0;

        if (x->error)
                return;
        if (x->in_obsoletes && x->depth == x->item_depth + 2 && streq(el, "rpm:obsoletes"))
                x->in_obsoletes = false;
        if (x->text_field >= 0) {
                x->text[x->text_len] = 0;
                r = set_field(&x->cur, x->text_field, strip(x->text));
                x->text_field = -1;
        }
        if (r >= 0 && x->item_depth && x->depth == x->item_depth) {
                x->item_depth = 0;
                if (x->kind == REPO_XML_UPDATEINFO) {
                        for (size_t i = 0; r >= 0 && i < x->n_pkgs; i++)
                                r = emit(x, &x->cur, &x->pkgs[i]);
                        drop_update_pkgs(x);
                } else if (x->kind == REPO_XML_PRIMARY) {
                        r = emit_package(x);
                        drop_update_pkgs(x);
                } else
                        r = emit(x, &x->cur, NULL);
                pkg_done(&x->cur);
        }
        x->depth--;
        if (r < 0)
                fail(x, r);
}

static void on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
                       int has_internal) {
        (void) name, (void) sysid, (void) pubid, (void) has_internal;
        fail(ud, -EBADMSG);
}

int repo_xml_new(RepoXmlKind kind, RepoXmlFunc cb, void *userdata, RepoXml **ret, char **ret_error) {
        const ExpatApi *xml;
        const char *err;
        RepoXml *x;

        if (expat_api_load(&xml, &err) < 0)
                return error_set(ret_error, -ELIBACC, "%s", err);
        x = calloc(1, sizeof(RepoXml));
        if (!x)
                return -ENOMEM;
        *x = (RepoXml) { .xml = xml, .kind = kind, .cb = cb, .userdata = userdata, .text_field = -1 };
        x->parser = xml->XML_ParserCreate(NULL);
        if (!x->parser) {
                free(x);
                return -ENOMEM;
        }
        xml->XML_SetUserData(x->parser, x);
        xml->XML_SetElementHandler(x->parser, on_start, on_end);
        xml->XML_SetCharacterDataHandler(x->parser, on_text);
        xml->XML_SetStartDoctypeDeclHandler(x->parser, on_doctype);
        *ret = x;
        return 0;
}

RepoXml *repo_xml_free(RepoXml *x) {
        if (!x)
                return NULL;
        x->xml->XML_ParserFree(x->parser);
        pkg_done(&x->cur);
        drop_update_pkgs(x);
        free(x->pkgs);
        free(x);
        return NULL;
}

int repo_xml_feed(RepoXml *x, const char *buf, size_t size, bool last, char **ret_error) {
        if (x->error)
                return x->error;
        while (size > 0 || last) {
                int n = (int) MIN(size, (size_t) INT_MAX);
                if (x->xml->XML_Parse(x->parser, buf, n, last && (size_t) n == size) == XML_STATUS_ERROR) {
                        if (x->error)
                                return x->error;
                        x->error = -EBADMSG;
                        return error_set(ret_error, -EBADMSG, "line %lu: %s",
                                         (unsigned long) x->xml->XML_GetCurrentLineNumber(x->parser),
                                         x->xml->XML_ErrorString(x->xml->XML_GetErrorCode(x->parser)));
                }
                if (x->error)
                        return x->error;
                buf += n;
                size -= (size_t) n;
                if (size == 0)
                        break;
        }
        return 0;
}

int repo_xml_parse(RepoXmlKind kind, const char *buf, size_t size, RepoXmlFunc cb, void *userdata,
                   char **ret_error) {
        _cleanup_(repo_xml_freep) RepoXml *x = NULL;
        int r = repo_xml_new(kind, cb, userdata, &x, ret_error);
        return r < 0 ? r : repo_xml_feed(x, buf, size, true, ret_error);
}
