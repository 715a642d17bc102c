/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs-util.h"
#include "spawn-util.h"
#include "time-util.h"

/* After the tool's group is killed, how long its pipes may take to reach EOF. */
#define DRAIN_USEC (1 * USEC_PER_SEC)

int spawn_find_executable(const char *name, const char *path, char **ret) {
        const char *p;

        if (!name || !*name)
                return -EINVAL;
        if (strchr(name, '/')) {
                struct stat st;
                char *c;
                if (stat(name, &st) < 0)
                        return -errno;
                if (!S_ISREG(st.st_mode) || access(name, X_OK) < 0)
                        return -ENOENT;
                c = strdup(name);
                if (!c)
                        return -ENOMEM;
                *ret = c;
                return 0;
        }
        for (p = path ? path : SPAWN_SAFE_PATH; *p;) {
                size_t n = strcspn(p, ":");
                _cleanup_free_ char *dir = strndup(p, n), *full = NULL;
                struct stat st;

                if (!dir)
                        return -ENOMEM;
                p += n + (p[n] == ':');
                if (dir[0] != '/') /* "" or relative: never search the working directory */
                        continue;
                full = path_join(dir, name);
                if (!full)
                        return -ENOMEM;
                if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0) {
                        *ret = TAKE_PTR(full);
                        return 0;
                }
        }
        return -ENOENT;
}

void spawn_result_done(SpawnResult *r) {
        free(r->out);
        free(r->err);
        *r = (SpawnResult) {};
}

typedef struct Capture {
        int fd;
        char *buf;
        size_t size, max;
        bool truncated;
} Capture;

/* Reads what is there; returns 1 at EOF, 0 otherwise. */
static int capture_read(Capture *c) {
        char tmp[16384];
        ssize_t n = read(c->fd, tmp, sizeof(tmp));

        if (n < 0)
                return errno == EINTR || errno == EAGAIN ? 0 : 1;
        if (n == 0)
                return 1;
        size_t keep = MIN((size_t) n, c->max - c->size);
        if (keep < (size_t) n)
                c->truncated = true;
        if (keep > 0) {
                memcpy(c->buf + c->size, tmp, keep);
                c->size += keep;
                c->buf[c->size] = 0;
        }
        return 0;
}

static int pidfd_open_(pid_t pid) {
        return (int) syscall(SYS_pidfd_open, pid, 0);
}

static int exit_status(int wstatus) {
        if (WIFEXITED(wstatus))
                return WEXITSTATUS(wstatus);
        if (WIFSIGNALED(wstatus))
                return 128 + WTERMSIG(wstatus);
        return 255;
}

/* Attributes every child gets: FLAGS, an empty signal mask and default dispositions for
 * every signal (ours may be blocked for sd-event, or ignored). */
static int spawn_attr_init(posix_spawnattr_t *attr, short flags) {
        sigset_t none, all;
        int r;

        r = -posix_spawnattr_init(attr);
        if (r < 0)
                return r;
        sigemptyset(&none);
        sigfillset(&all);
        r = -posix_spawnattr_setflags(attr, flags | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        if (r == 0)
                r = -posix_spawnattr_setsigmask(attr, &none);
        if (r == 0)
                r = -posix_spawnattr_setsigdefault(attr, &all);
        if (r < 0)
                posix_spawnattr_destroy(attr);
        return r;
}

int spawn_run(const SpawnOptions *o, SpawnResult *ret) {
        _cleanup_free_ char *exe = NULL;
        _cleanup_close_ int devnull = -1, pidfd = -1, secret = -1;
        int out[2] = { -1, -1 }, err[2] = { -1, -1 };
        Capture cap[2] = {};
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        static char *const empty_env[] = { NULL };
        pid_t pid;
        usec_t deadline;
        bool leader_exited = false, timed_out = false, draining = false;
        int wstatus = 0, r;
        size_t max = o->max_output ? o->max_output : SPAWN_OUTPUT_MAX;

        r = spawn_find_executable(o->argv[0], o->path, &exe);
        if (r < 0)
                return r;
        devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (devnull < 0)
                return -errno;
        if (o->pass_fd >= 0) {
                /* fd 3 in the child; a copy above it so that dup2 never maps an fd onto itself
                 * (which would keep its close-on-exec flag). */
                secret = fcntl(o->pass_fd, F_DUPFD_CLOEXEC, 10);
                if (secret < 0)
                        return -errno;
        }
        if (pipe2(out, O_CLOEXEC) < 0)
                return -errno;
        if (pipe2(err, O_CLOEXEC) < 0) {
                r = -errno;
                goto close_pipes;
        }
        for (int i = 0; i < 2; i++) {
                cap[i] = (Capture) { .fd = i == 0 ? out[0] : err[0], .max = max };
                cap[i].buf = malloc(max + 1);
                if (!cap[i].buf) {
                        r = -ENOMEM;
                        goto close_pipes;
                }
                cap[i].buf[0] = 0;
        }

        r = -posix_spawn_file_actions_init(&fa);
        if (r < 0)
                goto close_pipes;
        r = spawn_attr_init(&attr, POSIX_SPAWN_SETPGROUP);
        if (r < 0) {
                posix_spawn_file_actions_destroy(&fa);
                goto close_pipes;
        }
        /* Our own fds are O_CLOEXEC, but ones inherited from whoever started us may not be:
         * the child gets exactly 0, 1, 2 (and 3). */
        r = -posix_spawn_file_actions_adddup2(&fa, devnull, STDIN_FILENO);
        if (r == 0)
                r = -posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
        if (r == 0)
                r = -posix_spawn_file_actions_adddup2(&fa, err[1], STDERR_FILENO);
        if (r == 0 && secret >= 0)
                r = -posix_spawn_file_actions_adddup2(&fa, secret, 3);
        if (r == 0)
                r = -posix_spawn_file_actions_addclosefrom_np(&fa, secret >= 0 ? 4 : 3);
        if (r == 0)
                r = -posix_spawnattr_setpgroup(&attr, 0);
        if (r == 0)
                r = -posix_spawn(&pid, exe, &fa, &attr, o->argv, o->env ? o->env : empty_env);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        if (r < 0)
                goto close_pipes;
        close(out[1]);
        close(err[1]);
        out[1] = err[1] = -1;

        for (int i = 0; i < 2; i++)
                (void) fcntl(cap[i].fd, F_SETFL, O_NONBLOCK);
        pidfd = pidfd_open_(pid);
        deadline = o->timeout ? now_monotonic() + o->timeout : USEC_INFINITY;

        /* Read until both pipes are at EOF and the leader is gone. When the leader exits
         * first, whatever it left behind in its group is killed so that the pipes close. */
        for (;;) {
                struct pollfd p[3];
                nfds_t n = 0;
                int idx[3];
                usec_t now = now_monotonic();
                int wait_ms;

                for (int i = 0; i < 2; i++)
                        if (cap[i].fd >= 0) {
                                idx[n] = i;
                                p[n++] = (struct pollfd) { .fd = cap[i].fd, .events = POLLIN };
                        }
                if (!leader_exited && pidfd >= 0) {
                        idx[n] = 2;
                        p[n++] = (struct pollfd) { .fd = pidfd, .events = POLLIN };
                }
                if (n == 0 && leader_exited)
                        break;
                if (now >= deadline) {
                        if (draining)
                                break; /* someone outside the group holds our pipes: stop */
                        timed_out = draining = true;
                        (void) kill(-pid, SIGKILL);
                        deadline = now + DRAIN_USEC;
                        continue;
                }
                wait_ms = deadline == USEC_INFINITY ? -1 : (int) MIN((deadline - now + 999) / 1000, (usec_t) 60000);
                if (pidfd < 0 && !leader_exited && (wait_ms < 0 || wait_ms > 10))
                        wait_ms = 10; /* no pidfd (kernel < 5.3): look for the leader's exit */
                if (poll(p, n, wait_ms) < 0 && errno != EINTR) {
                        r = -errno;
                        (void) kill(-pid, SIGKILL);
                        break;
                }
                for (nfds_t k = 0; k < n; k++) {
                        if (!p[k].revents)
                                continue;
                        if (idx[k] == 2) {
                                leader_exited = true;
                                continue;
                        }
                        Capture *c = &cap[idx[k]];
                        if (capture_read(c) > 0) {
                                close(c->fd);
                                c->fd = -1;
                        }
                }
                if (!leader_exited && pidfd < 0) {
                        siginfo_t si = {};
                        if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid)
                                leader_exited = true;
                }
                if (leader_exited && !draining) {
                        /* The leader is a zombie, so its pid still names the group: kill
                         * any child it left holding our pipes, and read what is left. */
                        (void) kill(-pid, SIGKILL);
                        draining = true;
                        deadline = MIN(deadline, now_monotonic() + DRAIN_USEC);
                }
        }
        (void) kill(-pid, SIGKILL);
        while (waitpid(pid, &wstatus, 0) < 0)
                if (errno != EINTR) {
                        r = -errno;
                        break;
                }
        for (int i = 0; i < 2; i++)
                if (cap[i].fd >= 0) {
                        close(cap[i].fd);
                        cap[i].fd = -1;
                }
        if (r < 0)
                goto free_bufs;
        *ret = (SpawnResult) {
                .status = exit_status(wstatus),
                .timed_out = timed_out,
                .truncated = cap[0].truncated || cap[1].truncated,
                .out = cap[0].buf,
                .out_size = cap[0].size,
                .err = cap[1].buf,
                .err_size = cap[1].size,
        };
        return timed_out ? -ETIMEDOUT : ret->status;

close_pipes:
        for (int i = 0; i < 2; i++) {
                if (out[i] >= 0)
                        close(out[i]);
                if (err[i] >= 0)
                        close(err[i]);
        }
free_bufs:
        free(cap[0].buf);
        free(cap[1].buf);
        return r;
}

int spawn_detached(char *const *argv, const char *path, pid_t *ret_pid) {
        _cleanup_free_ char *exe = NULL;
        _cleanup_close_ int devnull = -1;
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        pid_t pid;
        int r;

        r = spawn_find_executable(argv[0], path, &exe);
        if (r < 0)
                return r;
        devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (devnull < 0)
                return -errno;
        r = -posix_spawn_file_actions_init(&fa);
        if (r < 0)
                return r;
        r = spawn_attr_init(&attr, POSIX_SPAWN_SETSID);
        if (r < 0) {
                posix_spawn_file_actions_destroy(&fa);
                return r;
        }
        r = -posix_spawn_file_actions_adddup2(&fa, devnull, STDIN_FILENO);
        if (r == 0)
                r = -posix_spawn_file_actions_addclosefrom_np(&fa, 3);
        if (r == 0)
                r = -posix_spawn(&pid, exe, &fa, &attr, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        if (r < 0)
                return r;
        *ret_pid = pid;
        return 0;
}
