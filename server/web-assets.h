/* SPDX-License-Identifier: MIT */
#pragma once

/* The console's files (server/web/), compiled into vigie-server by scripts/embed-web.sh. */

#include <stddef.h>

typedef struct WebAsset {
        const char *name;         /* file name, "console.js" */
        const char *content_type;
        const unsigned char *data; /* NUL-terminated */
        size_t size;
} WebAsset;

/* Terminated by an entry whose name is NULL. */
extern const WebAsset web_assets[];
