/* SPDX-License-Identifier: MIT */
#pragma once

/* libexpat, loaded when a check first parses XML rather than linked: only dnf's
 * repository metadata (repo-xml.c) and XFCE's xfconf channels (screen-lock/xfconf.c) are
 * XML, which a Debian or Ubuntu laptop with another desktop never reads, while a linked
 * library is mapped and relocated at every start of `vigie`, the per-cycle child. Members
 * are named as the functions. */

#include <expat.h>

#define EXPAT_FN(f) __typeof__(f) *f
typedef struct ExpatApi {
        EXPAT_FN(XML_ParserCreate);
        EXPAT_FN(XML_ParserFree);
        EXPAT_FN(XML_SetUserData);
        EXPAT_FN(XML_SetElementHandler);
        EXPAT_FN(XML_SetCharacterDataHandler);
        EXPAT_FN(XML_SetStartDoctypeDeclHandler);
        EXPAT_FN(XML_Parse);
        EXPAT_FN(XML_StopParser);
        /* Spelled out, not __typeof__'d: expat 2.9 (Debian 13's) deprecates it for
         * XML_GetCurrentLineNumber64, which Debian 12's 2.5 lacks; both export it. */
        XML_Size (*XML_GetCurrentLineNumber)(XML_Parser parser);
        EXPAT_FN(XML_GetErrorCode);
        EXPAT_FN(XML_ErrorString);
} ExpatApi;
#undef EXPAT_FN

#define EXPAT_DL_SONAME "libexpat.so.1"
#define EXPAT_DL_INSTALL "install the package libexpat1 (Debian, Ubuntu) or expat (Fedora, RHEL)"

/* The loaded library (once per process). Returns 0, or -ELIBACC with *ret_error (when not
 * NULL) saying what could not be loaded and which package to install. */
int expat_api_load(const ExpatApi **ret, const char **ret_error);
