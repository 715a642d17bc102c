/* SPDX-License-Identifier: MIT */
#pragma once

/* Files. Checks read the host only through a root directory (`/` on a laptop, a fixture
 * tree in tests): paths are resolved inside it, symlinks included (openat2
 * RESOLVE_IN_ROOT), so a fixture can never make a check read the real host. Writes are
 * atomic: temp file, fsync, rename, fsync of the directory. */

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Default cap for text files we read (mountinfo, os-release, config…). */
#define READ_FILE_MAX (16u * 1024 * 1024)

int root_open(const char *root, int *ret_fd);
/* Returns an fd (O_CLOEXEC added) or -errno. path is relative to the root; a leading '/'
 * is allowed. */
int root_openat(int root_fd, const char *path, int flags);
int root_read_file(int root_fd, const char *path, size_t max, char **ret, size_t *ret_size);
int root_opendir(int root_fd, const char *path, DIR **ret);
int root_readlink(int root_fd, const char *path, char **ret);
/* The path of `path` inside the root once every symlink is resolved ("/sys/devices/…"). */
int root_realpath(int root_fd, const char *path, char **ret);
int root_stat(int root_fd, const char *path, struct stat *ret);
bool root_exists(int root_fd, const char *path);

/* Reads at most max bytes; -EFBIG when there is more. The buffer is NUL-terminated. */
int read_fd_full(int fd, size_t max, char **ret, size_t *ret_size);
int read_file_full(const char *path, size_t max, char **ret, size_t *ret_size);
/* A cache of ours: a regular file only, not through a symlink, never blocking on a FIFO;
 * -ENOENT when there is none. */
int read_cache_file(const char *path, size_t max, char **ret, size_t *ret_size);
/* A cache of ours read (read_cache_file()) and its bytes handed to parse(): 1 when parse()
 * took them; 0 when there is none, or parse() found it of another key (-ESTALE) or damaged
 * (any other error), said in the debug log with what names it: the caller computes it again.
 * Only -ENOMEM is returned. */
int cache_file_load(const char *path, size_t max, const char *what,
                    int (*parse)(const char *data, size_t size, void *userdata), void *userdata);

/* Replaces path with data: a temp file renamed over it, so a reader sees the old or the
 * new content, never a mix. write_file_atomic() also makes it durable (fsync of the file
 * before the rename, of the directory after): what a crash must not lose. write_cache_file()
 * does not: for caches their reader validates and rebuilds, where a crash may leave the
 * old content, or on some file systems an empty or partial file (never renamed data of
 * another file), and two fsyncs per file would be wasted. */
int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode);
int write_cache_file(const char *path, const void *data, size_t size, mode_t mode);
int fsync_directory_of(const char *path);
int mkdir_p(const char *path, mode_t mode);
/* Joins a and b with exactly one '/'. Returns NULL on OOM. */
char *path_join(const char *a, const char *b);
