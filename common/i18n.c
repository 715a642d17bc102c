/* SPDX-License-Identifier: MIT */
#include <locale.h>

#include "i18n.h"

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/share/locale"
#endif

void i18n_setup(void) {
        setlocale(LC_ALL, "");
        /* Numbers in JSON and logs must not take a locale's decimal comma. */
        setlocale(LC_NUMERIC, "C");
        bindtextdomain(GETTEXT_DOMAIN, LOCALEDIR);
        bind_textdomain_codeset(GETTEXT_DOMAIN, "UTF-8");
        textdomain(GETTEXT_DOMAIN);
}
