/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "cleanup.h"
#include "deb822.h"
#include "dpkg-status.h"
#include "fs-util.h"
#include "json-util.h"

int dpkg_native_arch(int root_fd, const char *status, size_t size, char *buf, size_t bufsize, char **ret_error) {
        _cleanup_free_ char *arch = NULL;
        Deb822Parser parser;
        Deb822Stanza s;
        char name[16];
        int r;

        deb822_parser_init(&parser, status, size);
        while ((r = deb822_next(&parser, &s)) > 0)
                if (deb822_get(&s, "Package", name, sizeof(name)) && streq(name, "dpkg") &&
                    deb822_get(&s, "Architecture", buf, bufsize) && buf[0] && !streq(buf, "all"))
                        return 1;
        if (r < 0)
                return json_error(ret_error, "%u: not a field, a continuation or a comment", parser.error_line), r;
        if (root_read_file(root_fd, "/var/lib/dpkg/arch", 4096, &arch, NULL) >= 0) {
                size_t l = strcspn(arch, "\n \t");
                if (l > 0 && l < bufsize) {
                        memcpy(buf, arch, l);
                        buf[l] = 0;
                        return 0;
                }
        }
        return json_error(ret_error, "cannot tell the native architecture: no dpkg package in it"), -ENOENT;
}

int dpkg_status_load(AptCache *c, const char *data, size_t size, char **ret_error) {
        Deb822Parser parser;
        Deb822Stanza s;
        int r;

        deb822_parser_init(&parser, data, size);
        while ((r = deb822_next(&parser, &s)) > 0) {
                char name[256], arch[64], version[256], status[128];
                char want[32], flag[32], state[64];

                if (!deb822_get(&s, "Package", name, sizeof(name)) || !name[0])
                        return json_error(ret_error, "%u: stanza without a Package field", s.line), -EBADMSG;
                if (!deb822_get(&s, "Status", status, sizeof(status)) ||
                    sscanf(status, "%31s %31s %63s", want, flag, state) != 3)
                        return json_error(ret_error, "%u: package \"%s\" has no valid Status field", s.line, name), -EBADMSG;
                if (streq(state, "not-installed") || streq(state, "config-files"))
                        continue;
                if (!deb822_get(&s, "Version", version, sizeof(version)) || !version[0])
                        return json_error(ret_error, "%u: installed package \"%s\" has no Version", s.line, name), -EBADMSG;
                if (!deb822_get(&s, "Architecture", arch, sizeof(arch)) || !arch[0])
                        return json_error(ret_error, "%u: installed package \"%s\" has no Architecture", s.line, name), -EBADMSG;
                r = apt_cache_add_installed(c, name, arch, version, streq(want, "hold"), apt_stanza_hash(&s));
                if (r == -EEXIST)
                        return json_error(ret_error, "%u: package \"%s:%s\" is listed twice", s.line, name, arch), -EBADMSG;
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return json_error(ret_error, "%u: not a field, a continuation or a comment", parser.error_line), r;
        return 0;
}
