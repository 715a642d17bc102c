/* SPDX-License-Identifier: MIT */
/* dnf's cached metadata: the first byte picks repomd, primary or updateinfo and the size of
 * the pieces the document is fed in (a stream crosses chunk boundaries anywhere). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "repo-xml.h"

static int on_record(const RepoXmlRecord *rec, void *userdata) {
        size_t *n = userdata;
        for (size_t i = 0; i < rec->n_obsoletes; i++)
                *n += strlen(rec->obsoletes[i].name) > 0 ? 0 : 1; /* every entry has a name */
        return ++*n > 1000000 ? -E2BIG : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(repo_xml_freep) RepoXml *x = NULL;
        size_t n = 0, chunk;

        if (size < 1 || size > 1024 * 1024)
                return 0;
        chunk = (data[0] >> 2) + 1;
        if (repo_xml_new((RepoXmlKind) (data[0] % 3), on_record, &n, &x, NULL) < 0)
                return 0;
        data++, size--;
        for (;;) {
                _cleanup_free_ char *err = NULL;
                size_t len = size < chunk ? size : chunk;
                if (repo_xml_feed(x, (const char *) data, len, len == size, &err) < 0 || len == size)
                        break;
                data += len;
                size -= len;
        }
        return 0;
}
