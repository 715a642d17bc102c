/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs-util.h"
#include "log.h"
#include "macro.h"

static const char *relative(const char *path) {
        while (*path == '/')
                path++;
        return *path ? path : ".";
}

int root_open(const char *root, int *ret_fd) {
        int fd = open(root ? root : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        *ret_fd = fd;
        return 0;
}

int root_openat(int root_fd, const char *path, int flags) {
        struct open_how how = {
                .flags = (uint64_t) (flags | O_CLOEXEC),
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        long fd;

        fd = syscall(SYS_openat2, root_fd, relative(path), &how, sizeof(how));
        if (fd >= 0)
                return (int) fd;
        /* Kernels before 5.6, or a seccomp filter that denies openat2: plain openat, which
         * still confines relative paths but follows absolute symlinks out of the root. */
        if (errno == ENOSYS || errno == EPERM) {
                fd = openat(root_fd, relative(path), flags | O_CLOEXEC);
                if (fd >= 0)
                        return (int) fd;
        }
        return -errno;
}

int read_fd_full(int fd, size_t max, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, alloc = 0, first = 4096;
        struct stat st;

        /* A regular file says how big it is: one allocation, no copies while growing. /proc
         * and /sys files say 0 and take the doubling path. */
        if (fstat(fd, &st) >= 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
                if ((uint64_t) st.st_size > max)
                        return -EFBIG;
                first = (size_t) st.st_size + 2; /* the NUL, and a byte to see EOF */
        }

        for (;;) {
                ssize_t n;

                if (size + 1 >= alloc) {
                        size_t na = alloc ? alloc * 2 : first;
                        char *nb;
                        if (na > max + 2)
                                na = max + 2;
                        if (na <= size + 1)
                                return -EFBIG;
                        nb = realloc(buf, na);
                        if (!nb)
                                return -ENOMEM;
                        buf = nb;
                        alloc = na;
                }
                n = read(fd, buf + size, alloc - size - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                size += (size_t) n;
                if (size > max)
                        return -EFBIG;
        }
        if (!buf && !(buf = malloc(1)))
                return -ENOMEM;
        buf[size] = 0;
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = size;
        return 0;
}

int root_read_file(int root_fd, const char *path, size_t max, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = root_openat(root_fd, path, O_RDONLY | O_NOCTTY);
        if (fd < 0)
                return fd;
        return read_fd_full(fd, max, ret, ret_size);
}

int read_file_full(const char *path, size_t max, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        return read_fd_full(fd, max, ret, ret_size);
}

int read_cache_file(const char *path, size_t max, char **ret, size_t *ret_size) {
        /* Non-blocking: a FIFO put there must not hang the run; only a regular file is read. */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
        struct stat st;

        if (fd < 0 || fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        return read_fd_full(fd, max, ret, ret_size);
}

int cache_file_load(const char *path, size_t max, const char *what,
                    int (*parse)(const char *data, size_t size, void *userdata), void *userdata) {
        _cleanup_free_ char *data = NULL;
        size_t size;
        int r = read_cache_file(path, max, &data, &size);

        if (r == -ENOENT)
                return 0;
        if (r >= 0)
                r = parse(data, size, userdata);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                log_debug("The %s \"%s\" is %s, computing it again.", what, path,
                          r == -ESTALE ? "out of date" : "damaged or unreadable");
                return 0;
        }
        return 1;
}

int root_opendir(int root_fd, const char *path, DIR **ret) {
        int fd = root_openat(root_fd, path, O_RDONLY | O_DIRECTORY);
        DIR *d;

        if (fd < 0)
                return fd;
        d = fdopendir(fd);
        if (!d) {
                int r = -errno;
                close(fd);
                return r;
        }
        *ret = d;
        return 0;
}

int root_stat(int root_fd, const char *path, struct stat *ret) {
        _cleanup_close_ int fd = root_openat(root_fd, path, O_PATH);
        if (fd < 0)
                return fd;
        if (fstat(fd, ret) < 0)
                return -errno;
        return 0;
}

bool root_exists(int root_fd, const char *path) {
        struct stat st;
        return root_stat(root_fd, path, &st) >= 0;
}

int root_readlink(int root_fd, const char *path, char **ret) {
        _cleanup_free_ char *copy = strdup(path), *copy2 = strdup(path);
        _cleanup_close_ int dfd = -1;
        char buf[PATH_MAX];
        ssize_t n;

        if (!copy || !copy2)
                return -ENOMEM;
        /* Resolve the parent inside the root, then read the last component as a link. */
        dfd = root_openat(root_fd, dirname(copy), O_PATH | O_DIRECTORY);
        if (dfd < 0)
                return dfd;
        n = readlinkat(dfd, basename(copy2), buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

static int fd_path(int fd, char **ret) {
        char proc[64], buf[PATH_MAX];
        ssize_t n;

        snprintf(proc, sizeof(proc), "/proc/self/fd/%i", fd);
        n = readlink(proc, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

int root_realpath(int root_fd, const char *path, char **ret) {
        _cleanup_close_ int fd = root_openat(root_fd, path, O_PATH);
        _cleanup_free_ char *full = NULL, *base = NULL;
        size_t bl;
        int r;

        if (fd < 0)
                return fd;
        r = fd_path(fd, &full);
        if (r < 0)
                return r;
        r = fd_path(root_fd, &base);
        if (r < 0)
                return r;
        if (streq(base, "/")) {
                *ret = TAKE_PTR(full);
                return 0;
        }
        bl = strlen(base);
        if (strncmp(full, base, bl) != 0 || (full[bl] != '/' && full[bl] != 0))
                return -EXDEV;
        *ret = strdup(full[bl] ? full + bl : "/");
        return *ret ? 0 : -ENOMEM;
}

char *path_join(const char *a, const char *b) {
        char *r;
        size_t al = strlen(a);

        while (al > 1 && a[al - 1] == '/')
                al--;
        while (*b == '/')
                b++;
        if (asprintf(&r, "%.*s/%s", (int) al, a, b) < 0)
                return NULL;
        if (al == 1 && a[0] == '/')
                memmove(r, r + 1, strlen(r)); /* "/" + "x" -> "/x" */
        return r;
}

int fsync_directory_of(const char *path) {
        _cleanup_free_ char *copy = strdup(path);
        _cleanup_close_ int fd = -1;

        if (!copy)
                return -ENOMEM;
        fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fsync(fd) < 0)
                return -errno;
        return 0;
}

static int write_file_replace(const char *path, const void *data, size_t size, mode_t mode, bool durable) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -1;
        const char *p = data;
        int r;

        if (asprintf(&tmp, "%s.tmp.%d", path, (int) getpid()) < 0)
                return -ENOMEM;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return -errno;
        if (fchmod(fd, mode) < 0) { /* umask must not widen or narrow what we asked */
                r = -errno;
                goto fail;
        }
        while (size > 0) {
                ssize_t n = write(fd, p, size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        goto fail;
                }
                p += n;
                size -= (size_t) n;
        }
        if (durable && fsync(fd) < 0) {
                r = -errno;
                goto fail;
        }
        if (close(TAKE_FD(fd)) < 0) {
                r = -errno;
                goto fail;
        }
        if (rename(tmp, path) < 0) {
                r = -errno;
                goto fail;
        }
        return durable ? fsync_directory_of(path) : 0;
fail:
        (void) unlink(tmp);
        return r;
}

int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode) {
        return write_file_replace(path, data, size, mode, true);
}

int write_cache_file(const char *path, const void *data, size_t size, mode_t mode) {
        return write_file_replace(path, data, size, mode, false);
}

int mkdir_p(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = 0;
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}
