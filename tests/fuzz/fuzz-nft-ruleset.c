/* SPDX-License-Identifier: MIT */
/* libnftables' JSON ruleset (agent/checks/nft-ruleset.c). */
#include <stdint.h>
#include <stdlib.h>

#include "cleanup.h"
#include "nft-ruleset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *err = NULL;
        NftRuleset *rs = NULL;

        if (nft_ruleset_parse((const char *) data, size, &rs, &err) >= 0)
                for (size_t i = 0; i < rs->n_chains; i++)
                        (void) nft_ruleset_find_chain(rs, rs->chains[i].family, rs->chains[i].table, "input");
        nft_ruleset_free(rs);
        return 0;
}
