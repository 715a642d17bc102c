/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "apt-lists.h"
#include "apt-sources.h"
#include "cleanup.h"
#include "compress-dl.h"
#include "deb822.h"
#include "fs-util.h"
#include "json-util.h"

#define RELEASE_MAX (64u * 1024 * 1024)
/* Debian's main Packages file is ~50 MB per architecture; leave room, but stop a decompression bomb. */
#define INDEX_DECOMPRESSED_MAX (4ull * 1024 * 1024 * 1024)
#define READ_CHUNK (256u * 1024)
#define STANZA_BUFFER (1u * 1024 * 1024)
#define STANZA_MAX (64u * 1024 * 1024)

static void copy_field(const Deb822Stanza *s, const char *name, char *buf, size_t size) {
        if (!deb822_get(s, name, buf, size))
                buf[0] = 0;
}

int apt_release_parse(const char *data, size_t size, AptRelease *ret) {
        static const char begin[] = "-----BEGIN PGP SIGNED MESSAGE-----";
        const char *p = data, *end = data + size;
        _cleanup_free_ char *body = NULL;
        Deb822Parser parser;
        Deb822Stanza stanza;
        int r;

        if (size >= sizeof(begin) - 1 && memcmp(data, begin, sizeof(begin) - 1) == 0) {
                /* Clear-signed (RFC 4880 §7): armor headers up to a blank line, then the
                 * dash-escaped text up to the signature. */
                const char *nl, *signature = NULL;
                bool escaped = false;

                p += sizeof(begin) - 1;
                for (;;) {
                        nl = memchr(p, '\n', (size_t) (end - p));
                        if (!nl)
                                return -EBADMSG;
                        p = nl + 1;
                        if (p < end && (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'))) {
                                p += *p == '\r' ? 2 : 1;
                                break;
                        }
                }
                for (const char *l = p; l < end; l = nl ? nl + 1 : end) {
                        nl = memchr(l, '\n', (size_t) (end - l));
                        if (*l != '-')
                                continue;
                        if ((size_t) ((nl ? nl : end) - l) >= 29 && memcmp(l, "-----BEGIN PGP SIGNATURE-----", 29) == 0) {
                                signature = l;
                                break;
                        }
                        escaped = true;
                }
                if (!signature)
                        return -EBADMSG; /* truncated */
                /* Release files escape no line (none starts with a dash): their text is
                 * read where it is. An escaped one is copied, unescaped. */
                if (escaped) {
                        char *o = body = malloc((size_t) (signature - p) + 1);

                        if (!body)
                                return -ENOMEM;
                        while (p < signature) {
                                nl = memchr(p, '\n', (size_t) (signature - p));
                                if (nl - p >= 2 && p[0] == '-' && p[1] == ' ')
                                        p += 2;
                                memcpy(o, p, (size_t) (nl - p));
                                o += nl - p;
                                *o++ = '\n';
                                p = nl + 1;
                        }
                        data = body;
                        size = (size_t) (o - body);
                } else {
                        data = p;
                        size = (size_t) (signature - p);
                }
        }

        deb822_parser_init(&parser, data, size);
        r = deb822_next(&parser, &stanza);
        if (r <= 0)
                return -EBADMSG;
        /* A Release file names its distribution; anything else is not one. */
        if (!deb822_find(&stanza, "Suite") && !deb822_find(&stanza, "Codename"))
                return -EBADMSG;
        *ret = (AptRelease) {};
        copy_field(&stanza, "Origin", ret->origin, sizeof(ret->origin));
        copy_field(&stanza, "Label", ret->label, sizeof(ret->label));
        copy_field(&stanza, "Suite", ret->suite, sizeof(ret->suite));
        copy_field(&stanza, "Codename", ret->codename, sizeof(ret->codename));
        copy_field(&stanza, "Version", ret->version, sizeof(ret->version));
        ret->not_automatic = deb822_get_bool(&stanza, "NotAutomatic", false);
        ret->but_automatic_upgrades = deb822_get_bool(&stanza, "ButAutomaticUpgrades", false);
        return 0;
}

void apt_file_done(AptFile *f) {
        free(f->name);
        free(f->site);
        free(f->component);
        free(f->arch);
        *f = (AptFile) {};
}

static const struct {
        const char *suffix;
        AptCompression compression;
} compressions[] = {
        { "", APT_COMPRESSION_NONE },
        { ".lz4", APT_COMPRESSION_LZ4 },
        { ".gz", APT_COMPRESSION_GZ },
        { ".xz", APT_COMPRESSION_XZ },
};

static bool endswith(const char *s, const char *suffix, size_t *ret_stem) {
        size_t l = strlen(s), sl = strlen(suffix);
        if (l < sl || strcmp(s + l - sl, suffix) != 0)
                return false;
        *ret_stem = l - sl;
        return true;
}

/* "…_dists_bookworm_main_binary-amd64_Packages": which compression, and is it an index? */
static int classify(const char *name, AptCompression *ret, size_t *ret_stem) {
        static const char *const unsupported[] = { "_Packages.bz2", "_Packages.lzma", "_Packages.zst" };
        for (size_t i = ELEMENTSOF(compressions); i-- > 0;) {
                char suffix[32];
                size_t stem;
                snprintf(suffix, sizeof(suffix), "_Packages%s", compressions[i].suffix);
                if (endswith(name, suffix, &stem)) {
                        *ret = compressions[i].compression;
                        *ret_stem = stem;
                        return 1;
                }
        }
        for (size_t i = 0; i < ELEMENTSOF(unsupported); i++) {
                size_t stem;
                if (endswith(name, unsupported[i], &stem))
                        return -EPROTONOSUPPORT;
        }
        return 0;
}

static int stat_newest(int dir_fd, const char *name, usec_t *newest) {
        struct stat st;
        if (fstatat(dir_fd, name, &st, 0) < 0)
                return -errno;
        usec_t t = (usec_t) st.st_mtim.tv_sec * USEC_PER_SEC + (usec_t) st.st_mtim.tv_nsec / 1000;
        if (t > *newest)
                *newest = t;
        return 0;
}

/* Mapped, not read: the main suite's InRelease is ~150 KB, which a read would copy into
 * fresh pages of our own, each a page fault (~10 µs in a VM) every cycle; MAP_POPULATE maps
 * the page cache's in one call. apt replaces these files by rename, never in place. */
static int read_release(int dir_fd, const char *name, AptRelease *ret, char **ret_error) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        void *text;
        int r;

        /* Non-blocking: a FIFO there must not hang the run. */
        fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0 || fstat(fd, &st) < 0) {
                r = -errno;
                return json_error(ret_error, "cannot read \"%s\": %s", name, strerror(-r)), r;
        }
        if (!S_ISREG(st.st_mode) || st.st_size == 0 || (uint64_t) st.st_size > RELEASE_MAX)
                return json_error(ret_error, "\"%s\" is not a valid Release file (%s)", name,
                                  !S_ISREG(st.st_mode) ? "not a regular file" : st.st_size == 0 ? "empty" : "too large"),
                       -EBADMSG;
        text = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (text == MAP_FAILED) {
                r = -errno;
                return json_error(ret_error, "cannot read \"%s\": %s", name, strerror(-r)), r;
        }
        r = apt_release_parse(text, (size_t) st.st_size, ret);
        (void) munmap(text, (size_t) st.st_size);
        if (r < 0)
                return json_error(ret_error, "\"%s\" is not a valid Release file (truncated or garbage)", name), r;
        return 0;
}

/* The Release files read so far in one listing: a suite's components (main, contrib,
 * non-free, non-free-firmware) and architectures share one, read once. */
typedef struct ReleaseSeen {
        char path[1024];
        AptRelease release;
} ReleaseSeen;

static int read_release_once(int dir_fd, const char *path, ReleaseSeen **seen, size_t *n_seen, AptRelease *ret,
                             char **ret_error) {
        ReleaseSeen *more;
        int r;

        for (size_t i = 0; i < *n_seen; i++)
                if (streq((*seen)[i].path, path)) {
                        *ret = (*seen)[i].release;
                        return 0;
                }
        if ((r = read_release(dir_fd, path, ret, ret_error)) < 0)
                return r;
        more = reallocarray(*seen, *n_seen + 1, sizeof(ReleaseSeen));
        if (!more)
                return 0; /* only a shortcut */
        *seen = more;
        more[*n_seen].release = *ret;
        snprintf(more[*n_seen].path, sizeof(more[*n_seen].path), "%s", path);
        (*n_seen)++;
        return 0;
}

/* The Release file of an index: the longest prefix PREFIX of its name (up to a '_') for
 * which PREFIX_InRelease or PREFIX_Release exists. */
static int find_release(int dir_fd, const char *name, size_t stem, AptFile *f, usec_t *newest,
                        ReleaseSeen **seen, size_t *n_seen, char **ret_error) {
        _cleanup_free_ char *buf = strndup(name, stem);
        if (!buf)
                return -ENOMEM;
        /* The whole stem first: a flat repository ("deb URI ./") keeps its Release
         * beside its Packages. */
        for (char *cut = buf + stem; cut; *cut = 0, cut = strrchr(buf, '_')) {
                static const char *const kinds[] = { "InRelease", "Release" };
                for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
                        char path[1024];
                        if (snprintf(path, sizeof(path), "%.*s_%s", (int) (cut - buf), buf, kinds[k]) >=
                            (int) sizeof(path))
                                continue;
                        if (faccessat(dir_fd, path, F_OK, 0) < 0)
                                continue;
                        int r = read_release_once(dir_fd, path, seen, n_seen, &f->release, ret_error);
                        if (r < 0)
                                return r;
                        (void) stat_newest(dir_fd, path, newest);
                        f->has_release = true;
                        /* What follows the prefix: COMPONENT_binary-ARCH */
                        const char *rest = name + (cut - buf) + 1;
                        const char *bin = strstr(rest, "_binary-");
                        if (bin && bin < name + stem) {
                                f->component = strndup(rest, (size_t) (bin - rest));
                                f->arch = strndup(bin + 8, (size_t) (name + stem - bin - 8));
                        }
                        return 0;
                }
        }
        return 0; /* a flat or local repository without Release: default priority */
}

static int file_cmp(const void *a, const void *b) {
        return strcmp(((const AptFile *) a)->name, ((const AptFile *) b)->name);
}

int apt_lists_enumerate(int dir_fd, const AptSources *sources, AptFile **ret, size_t *ret_n, usec_t *ret_newest, char **ret_error) {
        _cleanup_closedir_ DIR *d = NULL;
        _cleanup_free_ ReleaseSeen *seen = NULL;
        AptFile *files = NULL;
        size_t n = 0, n_seen = 0;
        usec_t newest = 0;
        struct dirent *de;
        int r, fd;

        fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                close(fd);
                return r;
        }
        while ((de = readdir(d))) {
                AptCompression c;
                size_t stem;

                if (de->d_name[0] == '.')
                        continue;
                r = classify(de->d_name, &c, &stem);
                if (r == -EPROTONOSUPPORT) {
                        json_error(ret_error, "\"%s\" is compressed in a format Vigie cannot read", de->d_name);
                        goto fail;
                }
                if (r == 0 || !apt_sources_wants(sources, de->d_name))
                        continue;
                /* Two compressions of one index (a transient state during apt update):
                 * keep the first by our preference order. */
                bool dup = false;
                for (size_t i = 0; i < n; i++)
                        if (strncmp(files[i].name, de->d_name, stem) == 0 &&
                            strncmp(files[i].name + stem, "_Packages", 9) == 0) {
                                if (c < files[i].compression) {
                                        free(files[i].name);
                                        files[i].name = strdup(de->d_name);
                                        files[i].compression = c;
                                        if (!files[i].name) {
                                                r = -ENOMEM;
                                                goto fail;
                                        }
                                }
                                dup = true;
                        }
                if (dup)
                        continue;
                AptFile *nf = reallocarray(files, n + 1, sizeof(AptFile));
                if (!nf) {
                        r = -ENOMEM;
                        goto fail;
                }
                files = nf;
                files[n] = (AptFile) { .name = strdup(de->d_name), .compression = c };
                if (!files[n].name) {
                        r = -ENOMEM;
                        goto fail;
                }
                const char *us = strchr(de->d_name, '_');
                files[n].site = strndup(de->d_name, us ? (size_t) (us - de->d_name) : 0);
                n++;
                if (!files[n - 1].site) {
                        r = -ENOMEM;
                        goto fail;
                }
                (void) stat_newest(dir_fd, de->d_name, &newest);
                r = find_release(dir_fd, de->d_name, stem, &files[n - 1], &newest, &seen, &n_seen, ret_error);
                if (r < 0)
                        goto fail;
        }
        if (n > 0)
                qsort(files, n, sizeof(AptFile), file_cmp);
        *ret = files;
        *ret_n = n;
        *ret_newest = newest;
        return 0;
fail:
        for (size_t i = 0; i < n; i++)
                apt_file_done(&files[i]);
        free(files);
        return r;
}

struct AptIndexReader {
        int fd;
        AptCompression compression;
        bool eof, done;
        uint64_t total;
        uint8_t *in;
        size_t in_pos, in_len;
        z_stream z;
        bool z_init;
        lzma_stream x;
        bool x_init;
        LZ4F_dctx *l;
        ZSTD_DCtx *zs;
        /* The library of the compression, when not zlib (compress-dl.h). */
        const XzApi *xz;
        const Lz4Api *lz4;
        const ZstdApi *zstd;
};

int apt_index_reader_new(int fd, AptCompression c, AptIndexReader **ret, const char **ret_error) {
        _cleanup_(apt_index_reader_freep) AptIndexReader *r = calloc(1, sizeof(AptIndexReader));
        int k;

        if (!r)
                return -ENOMEM;
        r->fd = -EBADF;
        r->compression = c;
        if (c != APT_COMPRESSION_NONE) {
                r->in = malloc(READ_CHUNK);
                if (!r->in)
                        return -ENOMEM;
        }
        switch (c) {
        case APT_COMPRESSION_GZ:
                /* 15+32: zlib or gzip header, detected. */
                if (inflateInit2(&r->z, 15 + 32) != Z_OK)
                        return -ENOMEM;
                r->z_init = true;
                break;
        case APT_COMPRESSION_XZ:
                k = xz_api_load(&r->xz, ret_error);
                if (k < 0)
                        return k;
                r->x = (lzma_stream) LZMA_STREAM_INIT;
                if (r->xz->lzma_stream_decoder(&r->x, 256u << 20, LZMA_CONCATENATED) != LZMA_OK)
                        return -ENOMEM;
                r->x_init = true;
                break;
        case APT_COMPRESSION_LZ4:
                k = lz4_api_load(&r->lz4, ret_error);
                if (k < 0)
                        return k;
                if (r->lz4->LZ4F_isError(r->lz4->LZ4F_createDecompressionContext(&r->l, LZ4F_VERSION)))
                        return -ENOMEM;
                break;
        case APT_COMPRESSION_ZST:
                k = zstd_api_load(&r->zstd, ret_error);
                if (k < 0)
                        return k;
                r->zs = r->zstd->ZSTD_createDCtx();
                if (!r->zs)
                        return -ENOMEM;
                break;
        default:
                break;
        }
        r->fd = fd;
        *ret = TAKE_PTR(r);
        return 0;
}

AptIndexReader *apt_index_reader_free(AptIndexReader *r) {
        if (!r)
                return NULL;
        if (r->z_init)
                inflateEnd(&r->z);
        if (r->x_init)
                r->xz->lzma_end(&r->x);
        if (r->l)
                r->lz4->LZ4F_freeDecompressionContext(r->l);
        if (r->zs)
                r->zstd->ZSTD_freeDCtx(r->zs);
        if (r->fd >= 0)
                close(r->fd);
        free(r->in);
        free(r);
        return NULL;
}

static int fill(AptIndexReader *r) {
        if (r->in_pos < r->in_len || r->eof)
                return 0;
        ssize_t n = read(r->fd, r->in, READ_CHUNK);
        if (n < 0)
                return -errno;
        r->in_pos = 0;
        r->in_len = (size_t) n;
        if (n == 0)
                r->eof = true;
        return 0;
}

static ssize_t read_some(AptIndexReader *r, uint8_t *buf, size_t size) {
        int k;

        for (;;) {
                size_t produced = 0;

                if (r->done)
                        return 0;
                if (r->compression == APT_COMPRESSION_NONE) {
                        ssize_t n = read(r->fd, buf, size);
                        return n < 0 ? -errno : n;
                }
                k = fill(r);
                if (k < 0)
                        return k;
                switch (r->compression) {
                case APT_COMPRESSION_GZ: {
                        r->z.next_in = r->in + r->in_pos;
                        r->z.avail_in = (uInt) (r->in_len - r->in_pos);
                        r->z.next_out = buf;
                        r->z.avail_out = (uInt) MIN(size, (size_t) UINT32_MAX);
                        int z = inflate(&r->z, Z_NO_FLUSH);
                        r->in_pos = r->in_len - r->z.avail_in;
                        produced = (size_t) (r->z.next_out - buf);
                        if (z == Z_STREAM_END) {
                                /* Concatenated gzip members continue; otherwise done. */
                                if (fill(r) < 0 || (r->eof && r->in_pos >= r->in_len))
                                        r->done = true;
                                else if (inflateReset(&r->z) != Z_OK)
                                        return -EBADMSG;
                        } else if (z != Z_OK && z != Z_BUF_ERROR)
                                return -EBADMSG;
                        else if (z == Z_BUF_ERROR && r->eof && produced == 0)
                                return -EBADMSG; /* truncated */
                        break;
                }
                case APT_COMPRESSION_XZ: {
                        r->x.next_in = r->in + r->in_pos;
                        r->x.avail_in = r->in_len - r->in_pos;
                        r->x.next_out = buf;
                        r->x.avail_out = size;
                        lzma_ret x = r->xz->lzma_code(&r->x, r->eof ? LZMA_FINISH : LZMA_RUN);
                        r->in_pos = r->in_len - r->x.avail_in;
                        produced = (size_t) (r->x.next_out - buf);
                        if (x == LZMA_STREAM_END)
                                r->done = true;
                        else if (x == LZMA_BUF_ERROR && r->eof && produced == 0)
                                return -EBADMSG;
                        else if (x != LZMA_OK && x != LZMA_BUF_ERROR)
                                return -EBADMSG;
                        break;
                }
                case APT_COMPRESSION_LZ4: {
                        size_t dst = size, src = r->in_len - r->in_pos;
                        size_t hint = r->lz4->LZ4F_decompress(r->l, buf, &dst, r->in + r->in_pos, &src, NULL);
                        if (r->lz4->LZ4F_isError(hint))
                                return -EBADMSG;
                        r->in_pos += src;
                        produced = dst;
                        if (hint == 0) {
                                /* End of a frame; another may follow. */
                                if (fill(r) < 0 || (r->eof && r->in_pos >= r->in_len))
                                        r->done = true;
                        } else if (r->eof && r->in_pos >= r->in_len && produced == 0)
                                return -EBADMSG; /* truncated */
                        break;
                }
                case APT_COMPRESSION_ZST: {
                        ZSTD_inBuffer in = { r->in, r->in_len, r->in_pos };
                        ZSTD_outBuffer out = { buf, size, 0 };
                        size_t hint = r->zstd->ZSTD_decompressStream(r->zs, &out, &in);
                        if (r->zstd->ZSTD_isError(hint))
                                return -EBADMSG;
                        r->in_pos = in.pos;
                        produced = out.pos;
                        if (hint == 0) {
                                /* End of a frame; another may follow. */
                                if (fill(r) < 0 || (r->eof && r->in_pos >= r->in_len))
                                        r->done = true;
                        } else if (r->eof && r->in_pos >= r->in_len && produced == 0)
                                return -EBADMSG; /* truncated */
                        break;
                }
                default:
                        return -EINVAL;
                }
                if (produced > 0)
                        return (ssize_t) produced;
                if (r->eof && r->in_pos >= r->in_len && !r->done)
                        return -EBADMSG;
        }
}

ssize_t apt_index_reader_read(AptIndexReader *r, void *buf, size_t size) {
        ssize_t n = read_some(r, buf, size);
        if (n > 0) {
                r->total += (uint64_t) n;
                if (r->total > INDEX_DECOMPRESSED_MAX)
                        return -EFBIG;
        }
        return n;
}

/* Hands every complete stanza in [p, end) to cb; returns where the incomplete tail
 * starts. */
static int dispatch(const char *p, const char *end, bool last, AptStanzaFunc cb, void *userdata,
                    const char **ret_tail) {
        while (p < end) {
                /* Skip blank lines between stanzas. */
                while (p < end && (*p == '\n' || *p == '\r'))
                        p++;
                if (p >= end)
                        break;
                const char *e = deb822_skip_stanza(p, end);
                if (e == end && !last) {
                        /* Without the terminating blank line we cannot know it ended. */
                        break;
                }
                int r = cb(p, e, userdata);
                if (r < 0)
                        return r;
                p = e;
        }
        *ret_tail = p;
        return 0;
}

int apt_index_foreach_stanza(AptIndexReader *r, AptStanzaFunc cb, void *userdata) {
        size_t cap = STANZA_BUFFER, len = 0;
        _cleanup_free_ char *buf = malloc(cap);
        int k;

        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (len == cap) {
                        /* One stanza larger than the buffer: grow, within reason. */
                        if (cap >= STANZA_MAX)
                                return -EFBIG;
                        char *nb = realloc(buf, cap * 2);
                        if (!nb)
                                return -ENOMEM;
                        buf = nb;
                        cap *= 2;
                }
                ssize_t n = apt_index_reader_read(r, buf + len, cap - len);
                if (n < 0)
                        return (int) n;
                len += (size_t) n;
                const char *tail;
                k = dispatch(buf, buf + len, n == 0, cb, userdata, &tail);
                if (k < 0)
                        return k;
                if (n == 0)
                        return 0;
                len -= (size_t) (tail - buf);
                memmove(buf, tail, len);
        }
}
