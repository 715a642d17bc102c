/* SPDX-License-Identifier: MIT */
#pragma once

/* Text for people goes through gettext: _() translates now, N_() marks a string that is
 * translated later (tables, static initialisers), ngettext() when a count decides the
 * form. Catalogs live in po/; $VIGIE_LOCALEDIR overrides where they are read (tests). */
#include <libintl.h>

#define GETTEXT_DOMAIN "vigie"
#define _(s) gettext(s)
#define N_(s) (s)

typedef enum I18nScope {
        /* Translated messages only: what the command-line programs and daemons need. Each of
         * the locale's other categories is a file to load (~0.3 ms per process with C.UTF-8,
         * at every agent cycle), and their times and numbers are RFC 3339 and "C". */
        I18N_TEXT,
        /* And the locale's dates, for the windows people read (tray, details). */
        I18N_TEXT_AND_DATES,
} I18nScope;

void i18n_setup(I18nScope scope);

/* Where the system's locale is set: systemd's locale.conf(5), then Debian's file. */
#define I18N_SYSTEM_LOCALE_FILES ((const char *const[]) { "/etc/locale.conf", "/etc/default/locale", NULL })
/* A service started by systemd often has no LANG: take the system's (locale.conf) so the
 * texts a daemon writes for people follow the laptop's language. Call before i18n_setup();
 * does nothing when LANG, LC_MESSAGES or LC_ALL is set. Children inherit the result. */
void i18n_use_system_locale(const char *const *files);
/* KEY's value in a locale.conf-style text: 1 found, 0 absent, -ENOMEM. */
int i18n_locale_conf_get(const char *text, const char *key, char **ret);
