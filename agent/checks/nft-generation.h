/* SPDX-License-Identifier: MIT */
#pragma once

/* The nftables ruleset's generation in this network namespace: the number every committed
 * nftables transaction moves, which nft itself reads to see a ruleset change under its
 * listing (nfnetlink's NFT_MSG_GETGEN, one request and one answer). */

#include <stddef.h>
#include <stdint.h>

/* The generation, and the network namespace's cookie (SO_NETNS_COOKIE, Linux 5.14: never
 * given to another namespace, unlike its inode number; 0 on older kernels). -errno without
 * a netlink socket or without CAP_NET_ADMIN (nfnetlink answers -EPERM). */
int nft_generation(uint32_t *ret, uint64_t *ret_netns_cookie);
/* The generation in nfnetlink's answer buf (n bytes) to the request numbered seq; -errno
 * from the kernel's error answer, -EBADMSG for anything else. */
int nft_generation_parse(const void *buf, size_t n, uint32_t seq, uint32_t *ret);
