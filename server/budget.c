/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"

#define BUDGET_KEY_MAX 64

typedef struct BudgetEntry {
        char key[BUDGET_KEY_MAX + 1]; /* "" = free */
        usec_t tat;                   /* theoretical arrival time of the next request */
} BudgetEntry;

struct Budget {
        usec_t interval, tolerance; /* tolerance = (burst - 1) × interval */
        BudgetEntry *entries;
        size_t size, used;          /* size: a power of two */
};

Budget *budget_new(unsigned burst, usec_t interval) {
        Budget *b = calloc(1, sizeof(Budget));

        if (!b)
                return NULL;
        b->interval = interval;
        b->tolerance = (usec_t) (burst > 0 ? burst - 1 : 0) * interval;
        b->size = 64;
        b->entries = calloc(b->size, sizeof(BudgetEntry));
        if (!b->entries) {
                free(b);
                return NULL;
        }
        return b;
}

Budget *budget_free(Budget *b) {
        if (b) {
                free(b->entries);
                free(b);
        }
        return NULL;
}

static size_t hash(const char *s) {
        size_t h = 14695981039346656037ULL; /* FNV-1a */
        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 1099511628211ULL;
        return h;
}

static BudgetEntry *slot(BudgetEntry *entries, size_t size, const char *key) {
        for (size_t i = hash(key) & (size - 1);; i = (i + 1) & (size - 1))
                if (!entries[i].key[0] || strcmp(entries[i].key, key) == 0)
                        return &entries[i];
}

/* At half full: rehash what is still within its budget window, doubling if needed. */
static int grow(Budget *b, usec_t now) {
        size_t live = 0, size = b->size;
        BudgetEntry *n;

        for (size_t i = 0; i < b->size; i++)
                live += b->entries[i].key[0] && b->entries[i].tat > now;
        while (live + 1 > size / 4)
                size *= 2;
        n = calloc(size, sizeof(BudgetEntry));
        if (!n)
                return -ENOMEM;
        for (size_t i = 0; i < b->size; i++)
                if (b->entries[i].key[0] && b->entries[i].tat > now)
                        *slot(n, size, b->entries[i].key) = b->entries[i];
        free(b->entries);
        b->entries = n;
        b->size = size;
        b->used = live;
        return 0;
}

int budget_take(Budget *b, const char *key, usec_t now, uint64_t *ret_retry_after_s) {
        size_t len = strlen(key);
        BudgetEntry *e;
        usec_t tat;

        if (len == 0 || len > BUDGET_KEY_MAX)
                return -EINVAL;
        if (b->used + 1 > b->size / 2 && grow(b, now) < 0)
                return -ENOMEM;
        e = slot(b->entries, b->size, key);
        if (!e->key[0]) {
                memcpy(e->key, key, len + 1);
                e->tat = now;
                b->used++;
        }
        tat = e->tat > now ? e->tat : now;
        if (tat - now > b->tolerance) {
                *ret_retry_after_s = (tat - now - b->tolerance + USEC_PER_SEC - 1) / USEC_PER_SEC;
                return -EBUSY;
        }
        e->tat = tat + b->interval;
        return 0;
}
