/* SPDX-License-Identifier: MIT */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>

#include "dl-util.h"

int dl_load(const char *soname, const DlSymbol *table, size_t n, void *api, const char *install_hint,
            char *errbuf, size_t errsize) {
        void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

        if (!h) {
                const char *e = dlerror();
                (void) snprintf(errbuf, errsize, "cannot load %s (%s): %s", soname, e ? e : "not found",
                                install_hint);
                return -ELIBACC;
        }
        for (size_t i = 0; i < n; i++) {
                void *f = dlsym(h, table[i].name);
                if (!f) {
                        (void) snprintf(errbuf, errsize, "%s has no %s (too old): %s (a newer one)", soname,
                                        table[i].name, install_hint);
                        /* Nothing of it will be called: the caller's state is the error. */
                        (void) dlclose(h);
                        return -ELIBACC;
                }
                *(void **) ((char *) api + table[i].offset) = f;
        }
        return 0;
}

int dl_load_once(DlOnce *o, const DlLibrary *libs, size_t n, void *api, const char *install_hint,
                 const char **ret_error) {
        for (size_t i = 0; o->state == 0 && i < n; i++) {
                int r = dl_load(libs[i].soname, libs[i].table, libs[i].n, api, install_hint, o->error,
                                sizeof(o->error));
                if (r < 0)
                        o->state = r;
        }
        if (o->state == 0)
                o->state = 1;
        if (o->state < 0 && ret_error)
                *ret_error = o->error;
        return o->state < 0 ? o->state : 0;
}
