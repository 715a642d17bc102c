/* SPDX-License-Identifier: MIT */
#include <stddef.h>

#include "dl-util.h"
#include "macro.h"
#include "nft-dl.h"

static NftApi api;
static int api_state; /* 0: not loaded yet, 1: loaded, <0: failed */
static char api_error[512];

int nft_api_load(const NftApi **ret, const char **ret_error) {
        static const DlSymbol table[] = {
                { "nft_ctx_new", offsetof(NftApi, ctx_new) },
                { "nft_ctx_free", offsetof(NftApi, ctx_free) },
                { "nft_ctx_output_set_flags", offsetof(NftApi, ctx_output_set_flags) },
                { "nft_ctx_buffer_output", offsetof(NftApi, ctx_buffer_output) },
                { "nft_ctx_buffer_error", offsetof(NftApi, ctx_buffer_error) },
                { "nft_ctx_get_output_buffer", offsetof(NftApi, ctx_get_output_buffer) },
                { "nft_ctx_get_error_buffer", offsetof(NftApi, ctx_get_error_buffer) },
                { "nft_run_cmd_from_buffer", offsetof(NftApi, run_cmd_from_buffer) },
        };

        /* The checks run one after another in one thread: no once-guard needed. */
        if (api_state == 0) {
                int r = dl_load(NFT_DL_SONAME, table, ELEMENTSOF(table), &api, NFT_DL_INSTALL, api_error,
                                sizeof(api_error));
                api_state = r < 0 ? r : 1;
        }
        if (api_state < 0) {
                if (ret_error)
                        *ret_error = api_error;
                return api_state;
        }
        *ret = &api;
        return 0;
}
