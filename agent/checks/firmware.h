/* SPDX-License-Identifier: MIT */
#pragma once

/* What the firmware and the kernel say about the boot chain, parsed from the files they
 * expose: UEFI variables through efivarfs (a 4-byte little-endian attribute word, then the
 * variable's data) and the kernel's lockdown mode. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EFI_GLOBAL_VARIABLE_GUID "8be4df61-93ca-11d2-aa0d-00e098032b8c"
#define EFIVARS_DIR "/sys/firmware/efi/efivars"

/* A one-byte boolean UEFI variable as efivarfs shows it (SecureBoot, SetupMode): -EBADMSG
 * unless it is 4 attribute bytes then exactly one byte 0 or 1. */
int efivar_parse_bool(const uint8_t *data, size_t size, uint32_t *ret_attributes, bool *ret);

/* /sys/kernel/security/lockdown: "none [integrity] confidentiality" → "integrity" (the
 * bracketed word). -EBADMSG when no single bracketed known mode is there. */
int lockdown_parse(const char *text, const char **ret_mode);
