/* SPDX-License-Identifier: MIT */
#pragma once

/* liblzma, liblz4 and libzstd, each loaded when a list or metadata file compressed with it
 * is first read (apt-lists.c's reader: apt's .xz and .lz4 lists, dnf's .xz and .zst
 * metadata) rather than linked: apt keeps its lists uncompressed unless configured to
 * (Acquire::GzipIndexes), and the kept result (apt-result-cache.h) and the digests
 * (apt-index-cache.h) spare most runs the reading, while a linked library is
 * mapped and relocated at every start of `vigie`, the per-cycle child. zlib stays linked:
 * every report is gzipped. Members are named as the functions. */

#include <lz4frame.h>
#include <lzma.h>
#include <zstd.h>

#define COMPRESS_FN(f) __typeof__(f) *f
typedef struct XzApi {
        COMPRESS_FN(lzma_stream_decoder);
        COMPRESS_FN(lzma_code);
        COMPRESS_FN(lzma_end);
} XzApi;

typedef struct Lz4Api {
        COMPRESS_FN(LZ4F_isError);
        COMPRESS_FN(LZ4F_createDecompressionContext);
        COMPRESS_FN(LZ4F_freeDecompressionContext);
        COMPRESS_FN(LZ4F_decompress);
} Lz4Api;

typedef struct ZstdApi {
        COMPRESS_FN(ZSTD_isError);
        COMPRESS_FN(ZSTD_createDCtx);
        COMPRESS_FN(ZSTD_freeDCtx);
        COMPRESS_FN(ZSTD_decompressStream);
} ZstdApi;
#undef COMPRESS_FN

#define XZ_DL_SONAME "liblzma.so.5"
#define XZ_DL_INSTALL "install the package liblzma5 (Debian, Ubuntu) or xz-libs (Fedora, RHEL)"
#define LZ4_DL_SONAME "liblz4.so.1"
#define LZ4_DL_INSTALL "install the package liblz4-1 (Debian, Ubuntu) or lz4-libs (Fedora, RHEL)"
#define ZSTD_DL_SONAME "libzstd.so.1"
#define ZSTD_DL_INSTALL "install the package libzstd1 (Debian, Ubuntu) or libzstd (Fedora, RHEL)"

/* The loaded library (once per process). Each returns 0, or -ELIBACC with *ret_error (when
 * not NULL) saying what could not be loaded and which package to install. */
int xz_api_load(const XzApi **ret, const char **ret_error);
int lz4_api_load(const Lz4Api **ret, const char **ret_error);
int zstd_api_load(const ZstdApi **ret, const char **ret_error);
