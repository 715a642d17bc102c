/* SPDX-License-Identifier: MIT */
#pragma once

/* The rpm-md repository metadata dnf caches (createrepo_c's formats), parsed as a stream
 * with expat: repomd.xml (where each metadata file is), primary.xml (the packages) and
 * updateinfo.xml (the advisories). Records are handed to a callback; strings live until
 * it returns. A document type declaration is refused (no entities). */

#include <stdbool.h>
#include <stddef.h>

typedef enum RepoXmlKind {
        REPO_XML_REPOMD,
        REPO_XML_PRIMARY,
        REPO_XML_UPDATEINFO,
} RepoXmlKind;

/* A dependency of a package (primary's <rpm:obsoletes> entries). */
typedef struct RepoXmlDep {
        const char *name;
        const char *flags;     /* "LT", "LE", "EQ", "GE", "GT"; NULL: any version */
        const char *epoch;
        const char *version;
        const char *release;   /* NULL: not compared */
} RepoXmlDep;

typedef struct RepoXmlRecord {
        const char *type;      /* repomd: the data type ("primary"); updateinfo: the advisory type */
        const char *href;      /* repomd: the file, relative to the repository */
        const char *id;        /* updateinfo: the advisory id */
        const char *severity;  /* updateinfo: NULL when absent */
        const char *name;      /* primary, updateinfo: one package */
        const char *arch;
        const char *epoch;
        const char *version;
        const char *release;
        const RepoXmlDep *obsoletes; /* primary: what the package obsoletes */
        size_t n_obsoletes;
} RepoXmlRecord;

/* Returns 0 to go on, <0 to stop the parse with that error. */
typedef int (*RepoXmlFunc)(const RepoXmlRecord *rec, void *userdata);

typedef struct RepoXml RepoXml;

/* -ELIBACC with *ret_error saying which package to install when libexpat cannot be
 * loaded (expat-dl.h). */
int repo_xml_new(RepoXmlKind kind, RepoXmlFunc cb, void *userdata, RepoXml **ret, char **ret_error);
RepoXml *repo_xml_free(RepoXml *x);
static inline void repo_xml_freep(RepoXml **x) {
        repo_xml_free(*x);
}
/* Feeds the next bytes (last: the end of the document). Returns 0, the callback's error,
 * -EBADMSG on malformed XML (*ret_error says where) or -E2BIG past the limits. */
int repo_xml_feed(RepoXml *x, const char *buf, size_t size, bool last, char **ret_error);
/* One whole document in memory. */
int repo_xml_parse(RepoXmlKind kind, const char *buf, size_t size, RepoXmlFunc cb, void *userdata,
                   char **ret_error);
