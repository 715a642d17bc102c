/* SPDX-License-Identifier: MIT */
#include <stddef.h>

#include "dl-util.h"
#include "macro.h"
#include "nft-dl.h"

static NftApi api;
static DlOnce once;

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
        static const DlLibrary lib = { NFT_DL_SONAME, table, ELEMENTSOF(table) };

        /* The checks run one after another in one thread. */
        int r = dl_load_once(&once, &lib, 1, &api, NFT_DL_INSTALL, ret_error);
        if (r < 0)
                return r;
        *ret = &api;
        return 0;
}
