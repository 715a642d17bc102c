/* SPDX-License-Identifier: MIT */
#pragma once

/* libsystemd's sd-bus, loaded when the backup check first asks systemd about a unit
 * (backup-systemd.c) rather than linked: linked, libsystemd and the five libraries it
 * needs (libcap, libgcrypt, libgpg-error, liblzma, libzstd…) were mapped and relocated at
 * every start of `vigie`, the per-cycle child, for a source few laptops configure.
 * vigie-agent and vigie-tray link it (their event loop is sd-event). Members are named as
 * the functions. */

#include <systemd/sd-bus.h>

#define SD_BUS_FN(f) __typeof__(f) *f
typedef struct SdBusApi {
        SD_BUS_FN(sd_bus_open_system);
        SD_BUS_FN(sd_bus_set_method_call_timeout);
        SD_BUS_FN(sd_bus_call_method);
        SD_BUS_FN(sd_bus_message_read);
        SD_BUS_FN(sd_bus_get_property_string);
        SD_BUS_FN(sd_bus_get_property_trivial);
        SD_BUS_FN(sd_bus_error_is_set);
        SD_BUS_FN(sd_bus_error_free);
        SD_BUS_FN(sd_bus_message_unref);
        SD_BUS_FN(sd_bus_flush_close_unref);
} SdBusApi;
#undef SD_BUS_FN

#define SD_BUS_DL_SONAME "libsystemd.so.0"
#define SD_BUS_DL_INSTALL "install the package libsystemd0 (Debian, Ubuntu) or systemd-libs (Fedora, RHEL)"

/* The loaded library (once per process). Returns 0, or -ELIBACC with *ret_error (when not
 * NULL) saying what could not be loaded and which package to install. */
int sd_bus_api_load(const SdBusApi **ret, const char **ret_error);
