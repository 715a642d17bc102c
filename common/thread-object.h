/* SPDX-License-Identifier: MIT */
#pragma once

#include <pthread.h>

/* DEFINE_THREAD_OBJECT(type, name, make, destroy) defines `static type *name(void)`: this
 * thread's object, made by make() on the thread's first call and destroyed when the thread
 * exits; NULL when it cannot be made. For state that costs more to make than to use and is
 * reused call after call (a JSON tokener, digest contexts, a decompressor): one per thread,
 * so never shared. The main thread's object is never destroyed (valgrind: "still
 * reachable"), as no key destructor runs for it. */
#define DEFINE_THREAD_OBJECT(type, name, make, destroy)                                  \
        static pthread_key_t name##_key;                                                 \
        static pthread_once_t name##_once = PTHREAD_ONCE_INIT;                           \
        static int name##_key_error;                                                     \
        static void name##_destroy(void *o) {                                            \
                destroy(o);                                                              \
        }                                                                                \
        static void name##_key_make(void) {                                              \
                name##_key_error = pthread_key_create(&name##_key, name##_destroy);      \
        }                                                                                \
        static type *name(void) {                                                        \
                type *o;                                                                 \
                                                                                         \
                (void) pthread_once(&name##_once, name##_key_make);                      \
                if (name##_key_error)                                                    \
                        return NULL;                                                     \
                o = pthread_getspecific(name##_key);                                     \
                if (o)                                                                   \
                        return o;                                                        \
                o = make();                                                              \
                if (o && pthread_setspecific(name##_key, o) != 0) {                      \
                        destroy(o);                                                      \
                        return NULL;                                                     \
                }                                                                        \
                return o;                                                                \
        }
