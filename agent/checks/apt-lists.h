/* SPDX-License-Identifier: MIT */
#pragma once

/* apt's downloaded indexes under ROOT/var/lib/apt/lists/: every `*_Packages` file (plain or
 * kept compressed as .gz, .xz or .lz4) with the `*_InRelease`/`*_Release` file of its
 * repository, which says where the packages come from (Origin, Label, Suite, Codename) and
 * how apt prioritises them (NotAutomatic, ButAutomaticUpgrades). */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "macro.h"

#define APT_LISTS_DIR "/var/lib/apt/lists"

typedef struct AptRelease {
        char origin[128];
        char label[128];
        char suite[128];    /* "Suite", apt's "archive" (a=) */
        char codename[128]; /* n= */
        char version[64];   /* v= */
        bool not_automatic;
        bool but_automatic_upgrades;
} AptRelease;

/* Parses a Release or InRelease file (a PGP clear-signed message: the signed body is read,
 * the signature is not checked — apt checked it when it downloaded the file). Returns 0,
 * or -EBADMSG when the text is not a Release file. */
int apt_release_parse(const char *data, size_t size, AptRelease *ret);

typedef enum AptCompression {
        APT_COMPRESSION_NONE,
        APT_COMPRESSION_GZ,
        APT_COMPRESSION_XZ,
        APT_COMPRESSION_LZ4,
        APT_COMPRESSION_ZST, /* dnf's metadata; apt's lists are not read as .zst */
        _APT_COMPRESSION_MAX,
} AptCompression;

/* One package index, or (is_status) dpkg's status file, as apt's policy sees it. */
typedef struct AptFile {
        char *name;         /* file name in the lists directory */
        bool is_status;
        AptCompression compression;
        char *site;         /* "deb.debian.org": Pin: origin */
        char *component;    /* "main": c= */
        char *arch;         /* "amd64": b= */
        bool has_release;
        AptRelease release;
        int priority;       /* filled by the policy */
} AptFile;

void apt_file_done(AptFile *f);

typedef struct AptSources AptSources;

/* Lists the package indexes of dir_fd (the lists directory) that sources (NULL: all) names,
 * sorted by name, with their Release data. *ret_newest is the newest mtime (µs) of the Release/InRelease/Packages
 * files, 0 when none. An unreadable Release file is an error naming the file. */
int apt_lists_enumerate(int dir_fd, const AptSources *sources, AptFile **ret, size_t *ret_n, usec_t *ret_newest, char **ret_error);

/* Stream of decompressed bytes of one index file: takes fd on success. Returns 0, -ENOMEM,
 * or -ELIBACC when the library of the compression cannot be loaded, with *ret_error (when
 * not NULL) saying which and the package to install (compress-dl.h). */
typedef struct AptIndexReader AptIndexReader;
int apt_index_reader_new(int fd, AptCompression c, AptIndexReader **ret, const char **ret_error);
AptIndexReader *apt_index_reader_free(AptIndexReader *r);
static inline void apt_index_reader_freep(AptIndexReader **r) {
        apt_index_reader_free(*r);
}
/* Returns bytes read (0 at the end), -EBADMSG on corrupt or truncated data, -EFBIG past
 * the decompressed size limit. */
ssize_t apt_index_reader_read(AptIndexReader *r, void *buf, size_t size);

/* Calls cb with each stanza (from its first byte to the end of its blank line) while
 * streaming through the file with a bounded buffer. cb returns <0 to stop with that
 * error. */
typedef int (*AptStanzaFunc)(const char *start, const char *end, void *userdata);
int apt_index_foreach_stanza(AptIndexReader *r, AptStanzaFunc cb, void *userdata);
