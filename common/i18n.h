/* SPDX-License-Identifier: MIT */
#pragma once

/* Text for people goes through gettext: _() translates now, N_() marks a string that is
 * translated later (tables, static initialisers). Catalogs live in po/. */
#include <libintl.h>

#define GETTEXT_DOMAIN "vigie"
#define _(s) gettext(s)
#define N_(s) (s)

void i18n_setup(void);
