/* SPDX-License-Identifier: MIT */
#pragma once

/* An on-disk digest of one apt Packages list: for every stanza, exactly what the candidate
 * computation keeps (Package, Architecture, Version, Phased-Update-Percentage, the
 * apt_stanza_hash() of the dependency fields and Multi-Arch, Size), in stanza order. Reading
 * it replaces decompressing and parsing the list (~50 MB of text for Debian's main suite).
 *
 * The file is keyed by the list's identity (name, st_dev, st_ino, st_size, st_mtim in ns):
 * apt replaces a list by rename, so any update changes the key. A format version and a
 * CRC-32 over the whole file catch other versions and damage; every length is checked
 * before use, so a hostile file can at worst be refused. All integers are in host byte
 * order (a byte-order mark refuses a file from another machine). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define APT_INDEX_CACHE_DIR "apt-index"         /* under STATE_DIRECTORY/cache */
#define APT_INSTALLED_CACHE_DIR "apt-installed" /* the installed packages' part */
/* A list's digest is ~7 % of its text; refuse to write or read anything absurd. */
#define APT_INDEX_CACHE_MAX (256u * 1024 * 1024)

/* The list's identity as fstat() gives it. The ctime too: nothing but the kernel sets it,
 * where a restore or `touch -r` can give a changed file its old size and mtime back. */
typedef struct AptIndexKey {
        uint64_t dev, ino, size;
        int64_t mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
} AptIndexKey;

/* Where a digest's records begin and where its CRC-32 sits, for tests and fuzz targets
 * that craft files. */
#define APT_INDEX_CACHE_HEADER_SIZE 96u
#define APT_INDEX_CACHE_OFF_CRC 88u

void apt_index_key_from_stat(const struct stat *st, AptIndexKey *ret);

typedef struct AptIndexRecord {
        const char *name;   /* not NUL-terminated */
        size_t name_len;
        const char *arch;
        size_t arch_len;
        const char *version;
        size_t version_len;
        int phased;         /* 0…100 */
        uint32_t hash;      /* apt_stanza_hash() */
        uint64_t size;      /* Size, 0: none */
} AptIndexRecord;

typedef struct AptIndexCacheWriter {
        uint8_t *buf;       /* header space, then the records */
        size_t len, cap;
        uint32_t n;
        bool unusable;      /* a record did not fit the format: do not write this digest */
} AptIndexCacheWriter;

void apt_index_cache_writer_done(AptIndexCacheWriter *w);
/* -ENOMEM only; a record too long for the format (or a stanza the caller could not
 * parse, see unusable) makes the digest unusable instead. */
int apt_index_cache_writer_add(AptIndexCacheWriter *w, const AptIndexRecord *rec);
/* The finished file (pointing into w->buf), for the list called name with key. */
int apt_index_cache_writer_finish(AptIndexCacheWriter *w, const char *name, const AptIndexKey *key,
                                  const uint8_t **ret_data, size_t *ret_size);

typedef int (*AptIndexRecordFunc)(const AptIndexRecord *rec, void *userdata);
/* Validates the whole file first (format, CRC, every record), then calls cb per record in
 * stanza order. name/key NULL: any list (fuzzing). Returns -EBADMSG for a damaged or
 * foreign file, -ESTALE when it describes another list or another state of it, or cb's
 * error. */
int apt_index_cache_parse(const void *data, size_t size, const char *name, const AptIndexKey *key,
                          AptIndexRecordFunc cb, void *userdata);

/* The digest cache_dir/name, when it describes the file with key: calls cb per record and
 * returns 1; 0 when there is none usable (missing, stale, damaged: the caller reads the
 * file itself); <0 for -ENOMEM or cb's error. scope (NULL: none) names what a partial
 * digest was made for (a subset of the records valid for one dpkg status, say): it is
 * stored with the name and must match too. */
int apt_index_cache_load(const char *cache_dir, const char *name, const char *scope, const AptIndexKey *key,
                         AptIndexRecordFunc cb, void *userdata);
/* Writes w's digest as cache_dir/name (directory 0700, file 0600, atomically); a failure
 * only costs the next run a read of the file (debug log). */
void apt_index_cache_save(AptIndexCacheWriter *w, const char *cache_dir, const char *name, const char *scope,
                          const AptIndexKey *key);
