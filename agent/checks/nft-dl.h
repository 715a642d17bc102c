/* SPDX-License-Identifier: MIT */
#pragma once

/* libnftables, loaded when the firewall check first lists the ruleset (dl-util.h) rather
 * than linked: it and what it pulls in (libnftnl, libmnl, libxtables, libjansson, libgmp)
 * are six of the agent's shared objects, mapped and relocated at every start, while most
 * runs of vigie (`vigie check --only patch_level`, `vigie status`, a cycle whose policy
 * has no firewall check) never list a ruleset. */

#include <nftables/libnftables.h>

typedef struct NftApi {
        __typeof__(nft_ctx_new) *ctx_new;
        __typeof__(nft_ctx_free) *ctx_free;
        __typeof__(nft_ctx_output_set_flags) *ctx_output_set_flags;
        __typeof__(nft_ctx_buffer_output) *ctx_buffer_output;
        __typeof__(nft_ctx_buffer_error) *ctx_buffer_error;
        __typeof__(nft_ctx_get_output_buffer) *ctx_get_output_buffer;
        __typeof__(nft_ctx_get_error_buffer) *ctx_get_error_buffer;
        __typeof__(nft_run_cmd_from_buffer) *run_cmd_from_buffer;
} NftApi;

#define NFT_DL_SONAME "libnftables.so.1"
#define NFT_DL_INSTALL "install the package libnftables1 (Debian, Ubuntu) or nftables (Fedora, RHEL)"

/* The loaded library (once per process). Returns 0, or -ELIBACC with *ret_error (when not
 * NULL) saying what could not be loaded and which package to install. */
int nft_api_load(const NftApi **ret, const char **ret_error);
