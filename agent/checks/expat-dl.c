/* SPDX-License-Identifier: MIT */
#include <stddef.h>

#include "dl-util.h"
#include "expat-dl.h"
#include "macro.h"

#define SYM(f) { #f, offsetof(ExpatApi, f) }

static ExpatApi api;
static DlOnce once;

int expat_api_load(const ExpatApi **ret, const char **ret_error) {
        static const DlSymbol table[] = {
                SYM(XML_ParserCreate), SYM(XML_ParserFree), SYM(XML_SetUserData), SYM(XML_SetElementHandler),
                SYM(XML_SetCharacterDataHandler), SYM(XML_SetStartDoctypeDeclHandler), SYM(XML_Parse),
                SYM(XML_StopParser), SYM(XML_GetCurrentLineNumber), SYM(XML_GetErrorCode), SYM(XML_ErrorString),
        };
        static const DlLibrary lib = { EXPAT_DL_SONAME, table, ELEMENTSOF(table) };

        /* The checks run one after another in one thread. */
        int r = dl_load_once(&once, &lib, 1, &api, EXPAT_DL_INSTALL, ret_error);
        if (r < 0)
                return r;
        *ret = &api;
        return 0;
}
