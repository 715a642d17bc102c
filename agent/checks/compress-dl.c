/* SPDX-License-Identifier: MIT */
#include <stddef.h>

#include "compress-dl.h"
#include "dl-util.h"
#include "macro.h"

/* The checks run one after another in one thread: dl_load_once() is enough. */
#define SYM(Api, f) { #f, offsetof(Api, f) }

int xz_api_load(const XzApi **ret, const char **ret_error) {
        static const DlSymbol table[] = { SYM(XzApi, lzma_stream_decoder), SYM(XzApi, lzma_code),
                                          SYM(XzApi, lzma_end) };
        static const DlLibrary lib = { XZ_DL_SONAME, table, ELEMENTSOF(table) };
        static XzApi api;
        static DlOnce once;

        int r = dl_load_once(&once, &lib, 1, &api, XZ_DL_INSTALL, ret_error);
        if (r >= 0)
                *ret = &api;
        return r;
}

int lz4_api_load(const Lz4Api **ret, const char **ret_error) {
        static const DlSymbol table[] = { SYM(Lz4Api, LZ4F_isError), SYM(Lz4Api, LZ4F_createDecompressionContext),
                                          SYM(Lz4Api, LZ4F_freeDecompressionContext), SYM(Lz4Api, LZ4F_decompress) };
        static const DlLibrary lib = { LZ4_DL_SONAME, table, ELEMENTSOF(table) };
        static Lz4Api api;
        static DlOnce once;

        int r = dl_load_once(&once, &lib, 1, &api, LZ4_DL_INSTALL, ret_error);
        if (r >= 0)
                *ret = &api;
        return r;
}

int zstd_api_load(const ZstdApi **ret, const char **ret_error) {
        static const DlSymbol table[] = { SYM(ZstdApi, ZSTD_isError), SYM(ZstdApi, ZSTD_createDCtx),
                                          SYM(ZstdApi, ZSTD_freeDCtx), SYM(ZstdApi, ZSTD_decompressStream) };
        static const DlLibrary lib = { ZSTD_DL_SONAME, table, ELEMENTSOF(table) };
        static ZstdApi api;
        static DlOnce once;

        int r = dl_load_once(&once, &lib, 1, &api, ZSTD_DL_INSTALL, ret_error);
        if (r >= 0)
                *ret = &api;
        return r;
}
