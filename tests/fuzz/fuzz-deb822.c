/* SPDX-License-Identifier: MIT */
/* deb822 stanzas as dpkg's status (the whole loader), and as a streamed Packages index. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apt-cache.h"
#include "cleanup.h"
#include "deb822.h"
#include "dpkg-status.h"

static int count(const char *start, const char *end, void *userdata) {
        Deb822Parser p;
        Deb822Stanza s;
        char buf[32];
        deb822_parser_init(&p, start, (size_t) (end - start));
        if (deb822_next(&p, &s) > 0)
                (void) deb822_get(&s, "Package", buf, sizeof(buf));
        (*(size_t *) userdata)++;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(apt_cache_freep) AptCache *c = apt_cache_new("amd64");
        _cleanup_free_ char *err = NULL;
        Deb822Parser p;
        Deb822Stanza s;
        size_t n = 0;
        int fds[2];

        if (!c)
                return 0;
        deb822_parser_init(&p, (const char *) data, size);
        while (deb822_next(&p, &s) > 0)
                for (size_t i = 0; i < s.n_fields; i++)
                        (void) deb822_value_eq(&s.fields[i], "yes");
        (void) dpkg_status_load(c, (const char *) data, size, &err);
        (void) deb822_skip_stanza((const char *) data, (const char *) data + size);

        /* The streaming splitter, through a pipe. */
        if (size < 60000 && pipe2(fds, O_CLOEXEC) == 0) {
                if (write(fds[1], data, size) == (ssize_t) size) {
                        AptIndexReader *r = NULL;
                        close(fds[1]);
                        fds[1] = -1;
                        if (apt_index_reader_new(fds[0], APT_COMPRESSION_NONE, &r, NULL) >= 0) {
                                fds[0] = -1;
                                (void) apt_index_foreach_stanza(r, count, &n);
                                apt_index_reader_free(r);
                        }
                }
                if (fds[0] >= 0)
                        close(fds[0]);
                if (fds[1] >= 0)
                        close(fds[1]);
        }
        return 0;
}
