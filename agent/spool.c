/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs-util.h"
#include "json-util.h"
#include "parse-util.h"
#include "spool.h"

#define CHAIN_FILE "chain.json"
#define LOCK_FILE ".lock"
#define REJECTED_DIR "rejected"
#define SEQ_DIGITS 20
#define CHAIN_MAX 4096

struct Spool {
        char *dir;
        int lock_fd;
        SpoolLimits limits;
        int64_t next_seq;
        char *prev;
        int64_t dropped;
        int64_t drop_below; /* files below this seq were dropped (and counted) */
        SpoolEntry *entries;
        size_t n_entries;
        /* The report this process appended last, parsed: flushing it right after (the
         * hourly case) compares its file's bytes instead of parsing them again. */
        char *recent_jws;
        size_t recent_len;
        SpoolRecord recent;
};

void spool_record_done(SpoolRecord *r) {
        free(r->prev);
        *r = (SpoolRecord) {};
}

int spool_record_parse(const char *data, size_t size, SpoolRecord *ret, char **ret_error) {
        _cleanup_(jws_freep) Jws *jws = NULL;
        _cleanup_(report_claims_freep) ReportClaims *c = NULL;
        SpoolRecord rec = {};
        int r;

        if (size > SPOOL_RECORD_MAX)
                return json_error(ret_error, "spool record larger than %u bytes", SPOOL_RECORD_MAX), -EBADMSG;
        /* The file is exactly the JWS: no newline, nothing else. */
        if ((r = jws_parse(data, size, &jws, ret_error)) < 0)
                return r == -ENOMEM ? r : -EBADMSG;
        /* The scan, as the server's ingest: the spool needs none of the evidence's tree. */
        if ((r = report_claims_read(jws->payload, jws->payload_size, &c, ret_error)) < 0)
                return r == -ENOMEM ? r : -EBADMSG;
        if ((r = report_hash(data, size, rec.hash)) < 0)
                return r;
        rec.seq = c->seq;
        rec.dropped = c->dropped;
        memcpy(rec.kid, jws->kid, JWS_KID_SIZE);
        if (c->prev && !(rec.prev = strdup(c->prev))) /* inside the claims' one block */
                return -ENOMEM;
        *ret = rec;
        return 0;
}

static char *seq_path(const Spool *s, int64_t seq) {
        char *p;
        return asprintf(&p, "%s/%0*lld.jws", s->dir, SEQ_DIGITS, (long long) seq) < 0 ? NULL : p;
}

/* "00000000000000000042.jws" → 42; anything else → -1. */
static int64_t seq_from_name(const char *name) {
        int64_t seq = 0;

        if (strlen(name) != SEQ_DIGITS + 4 || !streq(name + SEQ_DIGITS, ".jws"))
                return -1;
        for (int i = 0; i < SEQ_DIGITS; i++) {
                if (name[i] < '0' || name[i] > '9' || seq > (REPORT_SEQ_MAX - 9) / 10)
                        return -1;
                seq = seq * 10 + (name[i] - '0');
        }
        return seq >= 1 ? seq : -1;
}

Spool *spool_free(Spool *s) {
        if (!s)
                return NULL;
        if (s->lock_fd >= 0)
                close(s->lock_fd); /* releases the flock */
        free(s->dir);
        free(s->prev);
        free(s->entries);
        free(s->recent_jws);
        spool_record_done(&s->recent);
        free(s);
        return NULL;
}

int64_t spool_next_seq(const Spool *s) {
        return s->next_seq;
}
const char *spool_prev(const Spool *s) {
        return s->prev;
}
int64_t spool_dropped(const Spool *s) {
        return s->dropped;
}
const SpoolEntry *spool_entries(const Spool *s, size_t *ret_n) {
        *ret_n = s->n_entries;
        return s->entries;
}
size_t spool_count(const Spool *s) {
        return s->n_entries;
}

static int chain_save(Spool *s) {
        _cleanup_json_ json_object *j = json_object_new_object();
        _cleanup_free_ char *path = path_join(s->dir, CHAIN_FILE);
        const char *text;

        if (!j || !path || json_add_int(j, "next_seq", s->next_seq) < 0 ||
            json_add_string(j, "prev", s->prev) < 0 || json_add_int(j, "dropped", s->dropped) < 0 ||
            json_add_int(j, "drop_below", s->drop_below) < 0)
                return -ENOMEM;
        text = json_compact(j);
        return write_file_atomic(path, text, strlen(text), 0600);
}

static int chain_load(Spool *s, char **ret_error) {
        _cleanup_free_ char *path = path_join(s->dir, CHAIN_FILE), *err = NULL;
        _cleanup_json_ json_object *j = NULL;
        const char *prev = NULL;
        json_object *v;
        int r;

        if (!path)
                return -ENOMEM;
        r = json_parse_file(path, CHAIN_MAX, &j, &err);
        if (r == -ENOENT) {
                s->next_seq = 1;
                return 0;
        }
        if (r >= 0 && ((r = json_get_int(j, "", "next_seq", 1, REPORT_SEQ_MAX, &s->next_seq, &err)) < 0 ||
                       (r = json_get_int(j, "", "dropped", 0, REPORT_SEQ_MAX, &s->dropped, &err)) < 0 ||
                       (r = json_get_int(j, "", "drop_below", 0, REPORT_SEQ_MAX, &s->drop_below, &err)) < 0))
                r = r == -ENOENT ? json_error(&err, "missing member") : r;
        if (r >= 0 && json_object_object_get_ex(j, "prev", &v) && v) {
                if (json_get_string(j, "", "prev", &prev, &err) < 0 || !sha256_hex_is_valid(prev))
                        r = json_error(&err, "prev: not a report hash");
                else if (!(s->prev = strdup(prev)))
                        return -ENOMEM;
        }
        if (r < 0) {
                json_error(ret_error, "\"%s\": %s", path, err ? err : strerror(-r));
                return -EBADMSG;
        }
        return 0;
}

static int entry_compare(const void *a, const void *b) {
        const SpoolEntry *x = a, *y = b;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int spool_scan(Spool *s) {
        _cleanup_closedir_ DIR *d = opendir(s->dir);
        struct dirent *de;

        if (!d)
                return -errno;
        s->n_entries = 0;
        while ((errno = 0, de = readdir(d))) {
                int64_t seq = seq_from_name(de->d_name);
                struct stat st;

                if (seq < 0) {
                        /* A temp file left by a crash in write_file_atomic: never renamed, so
                         * never counted; remove it. */
                        if (strstr(de->d_name, ".tmp."))
                                (void) unlinkat(dirfd(d), de->d_name, 0);
                        continue;
                }
                if (seq < s->drop_below) { /* dropped and counted, the unlink did not happen */
                        (void) unlinkat(dirfd(d), de->d_name, 0);
                        continue;
                }
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                        continue;
                if (s->n_entries % 64 == 0) {
                        SpoolEntry *e = realloc(s->entries, sizeof(SpoolEntry) * (s->n_entries + 64));
                        if (!e)
                                return -ENOMEM;
                        s->entries = e;
                }
                s->entries[s->n_entries++] = (SpoolEntry) { .seq = seq, .size = (uint64_t) st.st_size };
        }
        if (errno)
                return -errno;
        if (s->n_entries > 0)
                qsort(s->entries, s->n_entries, sizeof(SpoolEntry), entry_compare);
        return 0;
}

int spool_read(Spool *s, int64_t seq, char **ret_jws, size_t *ret_len, SpoolRecord *ret_record,
               char **ret_error) {
        _cleanup_free_ char *path = seq_path(s, seq), *data = NULL;
        SpoolRecord rec = {};
        int64_t found;
        size_t size;
        int r;

        if (!path)
                return -ENOMEM;
        r = read_file_full(path, SPOOL_RECORD_MAX, &data, &size);
        if (r < 0)
                return json_error(ret_error, "cannot read \"%s\": %s", path, strerror(-r)), r;
        if (s->recent_jws && s->recent.seq == seq && size == s->recent_len &&
            memcmp(data, s->recent_jws, size) == 0) {
                rec = s->recent;
                if (rec.prev && !(rec.prev = strdup(rec.prev)))
                        return -ENOMEM;
        } else if ((r = spool_record_parse(data, size, &rec, ret_error)) < 0)
                return r;
        found = rec.seq;
        if (found != seq) {
                spool_record_done(&rec);
                return json_error(ret_error, "\"%s\" holds seq %lld", path, (long long) found), -EBADMSG;
        }
        if (ret_record)
                *ret_record = rec;
        else
                spool_record_done(&rec);
        *ret_jws = TAKE_PTR(data);
        *ret_len = size;
        return 0;
}

/* A report spooled after the chain state was last saved (crash between the two writes):
 * the chain continues from it. */
static int spool_reconcile(Spool *s, char **ret_error) {
        _cleanup_free_ char *path = NULL, *data = NULL;
        SpoolRecord rec = {};
        int64_t last;
        size_t size;
        int r;

        if (s->n_entries == 0)
                return 0;
        last = s->entries[s->n_entries - 1].seq;
        if (last < s->next_seq)
                return 0;
        if (!(path = seq_path(s, last)))
                return -ENOMEM;
        if ((r = read_file_full(path, SPOOL_RECORD_MAX, &data, &size)) < 0)
                return r;
        if ((r = spool_record_parse(data, size, &rec, ret_error)) < 0)
                return r;
        free(s->prev);
        s->prev = strdup(rec.hash);
        /* That report carried part of the dropped count. */
        s->dropped = MAX(s->dropped - rec.dropped, 0);
        spool_record_done(&rec);
        if (!s->prev)
                return -ENOMEM;
        s->next_seq = last + 1;
        return chain_save(s);
}

int spool_open(const char *state_dir, const SpoolLimits *limits, SpoolOpenFlags flags, Spool **ret,
               char **ret_error) {
        _cleanup_(spool_freep) Spool *s = calloc(1, sizeof(Spool));
        _cleanup_free_ char *lock = NULL;
        int r;

        if (!s)
                return -ENOMEM;
        s->lock_fd = -1;
        s->limits = limits ? *limits : (SpoolLimits) {};
        s->dir = path_join(state_dir, SPOOL_DIR);
        lock = s->dir ? path_join(s->dir, LOCK_FILE) : NULL;
        if (!lock)
                return -ENOMEM;
        if ((r = mkdir_p(s->dir, 0700)) < 0)
                return json_error(ret_error, "cannot create \"%s\": %s", s->dir, strerror(-r)), r;
        s->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (s->lock_fd < 0) {
                r = -errno;
                return json_error(ret_error, "cannot open \"%s\": %s", lock, strerror(-r)), r;
        }
        while (flock(s->lock_fd, LOCK_EX | (flags & SPOOL_NONBLOCK ? LOCK_NB : 0)) < 0) {
                if (errno == EINTR)
                        continue;
                r = errno == EWOULDBLOCK ? -EBUSY : -errno;
                return json_error(ret_error, "cannot lock \"%s\": %s", lock, strerror(-r)), r;
        }
        _cleanup_free_ char *chain_err = NULL;
        r = chain_load(s, &chain_err);
        if (r < 0 && r != -EBADMSG)
                return r;
        bool damaged = r == -EBADMSG;
        if (damaged) {
                /* Start over from what the spool holds, if anything. */
                s->prev = (free(s->prev), NULL);
                s->next_seq = 1;
                s->dropped = s->drop_below = 0;
        }
        if ((r = spool_scan(s)) < 0 || (r = spool_reconcile(s, ret_error)) < 0)
                return r;
        if (damaged && s->n_entries == 0)
                return json_error(ret_error, "%s: the chain state is damaged and no spooled report shows where the chain stands; restore it or re-enroll",
                                  strnull(chain_err)), -EBADMSG;
        *ret = TAKE_PTR(s);
        return 0;
}

static uint64_t spool_bytes(const Spool *s) {
        uint64_t b = 0;
        for (size_t i = 0; i < s->n_entries; i++)
                b += s->entries[i].size;
        return b;
}

static void entries_remove(Spool *s, size_t i, size_t n) {
        if (n == 0)
                return;
        memmove(s->entries + i, s->entries + i + n, sizeof(SpoolEntry) * (s->n_entries - i - n));
        s->n_entries -= n;
}

static void remember_recent(Spool *s, const char *jws, size_t len, SpoolRecord *rec) {
        s->recent_jws = (free(s->recent_jws), NULL);
        spool_record_done(&s->recent);
        s->recent_jws = malloc(len);
        if (!s->recent_jws)
                return; /* only a shortcut: spool_read parses instead */
        memcpy(s->recent_jws, jws, len);
        s->recent_len = len;
        s->recent = *rec;
        *rec = (SpoolRecord) {};
}

int spool_append(Spool *s, const char *jws, size_t len, uint64_t *ret_dropped, char **ret_error) {
        _cleanup_free_ char *path = NULL;
        _cleanup_(spool_record_done) SpoolRecord rec = {};
        size_t n_drop = 0;
        uint64_t bytes;
        int64_t claimed;
        int r;

        if ((r = spool_record_parse(jws, len, &rec, ret_error)) < 0)
                return r;
        claimed = rec.dropped;
        if (rec.seq != s->next_seq || !streq_ptr(rec.prev, s->prev) || claimed > s->dropped) {
                json_error(ret_error, "report seq %lld does not continue the chain (next seq %lld)",
                           (long long) rec.seq, (long long) s->next_seq);
                return -ESTALE;
        }
        if (!(path = seq_path(s, s->next_seq)))
                return -ENOMEM;
        /* 1. The report, durably. */
        if ((r = write_file_atomic(path, jws, len, 0600)) < 0)
                return json_error(ret_error, "cannot write \"%s\": %s", path, strerror(-r)), r;
        if (s->n_entries % 64 == 0) {
                SpoolEntry *e = realloc(s->entries, sizeof(SpoolEntry) * (s->n_entries + 64));
                if (!e)
                        return -ENOMEM;
                s->entries = e;
        }
        s->entries[s->n_entries++] = (SpoolEntry) { .seq = s->next_seq, .size = len };

        /* 2. Past the bound, the oldest go (never the one just written). */
        bytes = spool_bytes(s);
        while (n_drop + 1 < s->n_entries &&
               ((s->limits.max_reports && s->n_entries - n_drop > s->limits.max_reports) ||
                (s->limits.max_bytes && bytes > s->limits.max_bytes))) {
                bytes -= s->entries[n_drop].size;
                n_drop++;
        }

        /* 3. The chain state, durably; it names what is dropped before anything is unlinked,
         * so a crash in between neither counts twice nor loses the count. */
        free(s->prev);
        if (!(s->prev = strdup(rec.hash)))
                return -ENOMEM;
        s->next_seq++;
        s->dropped = s->dropped - claimed + (int64_t) n_drop;
        if (n_drop > 0)
                s->drop_below = s->entries[n_drop - 1].seq + 1;
        if ((r = chain_save(s)) < 0)
                return json_error(ret_error, "cannot save the chain state in \"%s\": %s", s->dir, strerror(-r)), r;

        for (size_t i = 0; i < n_drop; i++) {
                _cleanup_free_ char *p = seq_path(s, s->entries[i].seq);
                if (p)
                        (void) unlink(p);
        }
        entries_remove(s, 0, n_drop);
        if (n_drop > 0)
                (void) fsync_directory_of(path);
        if (ret_dropped)
                *ret_dropped = n_drop;
        remember_recent(s, jws, len, &rec);
        return 0;
}

static ssize_t entry_index(const Spool *s, int64_t seq) {
        for (size_t i = 0; i < s->n_entries; i++)
                if (s->entries[i].seq == seq)
                        return (ssize_t) i;
        return -1;
}

int spool_remove(Spool *s, int64_t seq) {
        _cleanup_free_ char *path = seq_path(s, seq);
        ssize_t i = entry_index(s, seq);

        if (!path)
                return -ENOMEM;
        if (i < 0)
                return -ENOENT;
        /* Not synced: a crash that undoes the unlink makes the next run resend the same bytes,
         * which the server acknowledges again (docs/internals/spool.md, Sending). */
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        entries_remove(s, (size_t) i, 1);
        return 0;
}

int spool_reject(Spool *s, int64_t seq) {
        _cleanup_free_ char *path = seq_path(s, seq), *dir = path_join(s->dir, REJECTED_DIR), *to = NULL;
        ssize_t i = entry_index(s, seq);
        int r;

        if (!path || !dir)
                return -ENOMEM;
        if (i < 0)
                return -ENOENT;
        if ((r = mkdir_p(dir, 0700)) < 0)
                return r;
        if (asprintf(&to, "%s/%0*lld.jws", dir, SEQ_DIGITS, (long long) seq) < 0)
                return -ENOMEM;
        if (rename(path, to) < 0)
                return -errno;
        entries_remove(s, (size_t) i, 1);
        if ((r = fsync_directory_of(to)) < 0)
                return r;
        return fsync_directory_of(path);
}
