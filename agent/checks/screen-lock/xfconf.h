/* SPDX-License-Identifier: MIT */
#pragma once

/* xfconf's per-channel XML files (~/.config/xfce4/xfconf/xfce-perchannel-xml/CHANNEL.xml,
 * and the system defaults under /etc/xdg/xfce4/…): <channel name=…> holding nested
 * <property name= type= value=…/>; a property's path is its names joined by '/'
 * ("/lock/saver-activation/delay"). Array values (<value> children) are skipped: the
 * screen lock needs none. */

#include <stdbool.h>
#include <stddef.h>

#define XFCONF_PROPERTIES_MAX 4096

typedef struct XfconfProperty {
        char *path;
        char *type;            /* "bool", "int", "uint", "string", … */
        char *value;
        bool locked;           /* locked="*" on it or the channel (kiosk, for everyone) */
} XfconfProperty;

typedef struct XfconfChannel {
        char *name;
        XfconfProperty *props;
        size_t n;
} XfconfChannel;

/* -EBADMSG with "line N: …" in *ret_error when it is not such a document (a DOCTYPE is
 * refused: no entities); -ELIBACC with what to install when libexpat cannot be loaded. */
int xfconf_parse(const char *text, size_t size, XfconfChannel *ret, char **ret_error);
void xfconf_done(XfconfChannel *c);
const XfconfProperty *xfconf_get(const XfconfChannel *c, const char *path);
