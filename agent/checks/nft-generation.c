/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "cleanup.h"
#include "nft-generation.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71 /* asm-generic/socket.h, Linux 5.14 */
#endif

#define NFT_MSG(type) ((NFNL_SUBSYS_NFTABLES << 8) | (type))

int nft_generation_parse(const void *buf, size_t n, uint32_t seq, uint32_t *ret) {
        const uint8_t *p = buf;

        while (n >= NLMSG_HDRLEN) {
                struct nlmsghdr h;
                size_t len, step;
                const uint8_t *a;

                memcpy(&h, p, sizeof(h)); /* the fuzzer's bytes need not be aligned */
                if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > n)
                        return -EBADMSG;
                step = NLMSG_ALIGN(h.nlmsg_len) < n ? NLMSG_ALIGN(h.nlmsg_len) : n;
                if (h.nlmsg_seq != seq) {
                        p += step, n -= step;
                        continue;
                }
                if (h.nlmsg_type == NLMSG_ERROR) {
                        struct nlmsgerr e;
                        if (h.nlmsg_len < NLMSG_LENGTH(sizeof(e)))
                                return -EBADMSG;
                        memcpy(&e, p + NLMSG_HDRLEN, sizeof(e));
                        return e.error < 0 && e.error > -4096 ? e.error : -EBADMSG;
                }
                if (h.nlmsg_type != NFT_MSG(NFT_MSG_NEWGEN) ||
                    h.nlmsg_len < NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct nfgenmsg))))
                        return -EBADMSG;
                a = p + NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct nfgenmsg)));
                len = h.nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct nfgenmsg)));
                while (len >= NLA_HDRLEN) {
                        struct nlattr nla;
                        uint32_t v;

                        memcpy(&nla, a, sizeof(nla));
                        if (nla.nla_len < NLA_HDRLEN || nla.nla_len > len)
                                return -EBADMSG;
                        if ((nla.nla_type & NLA_TYPE_MASK) == NFTA_GEN_ID) {
                                if (nla.nla_len != NLA_HDRLEN + sizeof(v))
                                        return -EBADMSG;
                                memcpy(&v, a + NLA_HDRLEN, sizeof(v));
                                *ret = ntohl(v);
                                return 0;
                        }
                        if ((size_t) NLA_ALIGN(nla.nla_len) >= len)
                                break;
                        a += NLA_ALIGN(nla.nla_len);
                        len -= NLA_ALIGN(nla.nla_len);
                }
                return -EBADMSG;
        }
        return -EBADMSG;
}

/* The ruleset's generation, asked of nfnetlink as nft does (one request, one answer). */
int nft_generation(uint32_t *ret, uint64_t *ret_netns_cookie) {
        _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
        const uint32_t seq = 1;
        struct {
                struct nlmsghdr h;
                struct nfgenmsg g;
        } req = {
                .h = { .nlmsg_len = sizeof(req), .nlmsg_type = NFT_MSG(NFT_MSG_GETGEN), .nlmsg_flags = NLM_F_REQUEST,
                       .nlmsg_seq = seq },
                .g = { .nfgen_family = AF_UNSPEC, .version = NFNETLINK_V0 },
        };
        struct sockaddr_nl kernel = { .nl_family = AF_NETLINK }, from;
        socklen_t from_len = sizeof(from);
        struct timeval tv = { .tv_sec = 1 }; /* the kernel answers at once; never hang a cycle */
        socklen_t cookie_len = sizeof(*ret_netns_cookie);
        uint8_t buf[1024]; /* nft_generation_parse() copies what it reads: no alignment needed */
        ssize_t n;

        if (fd < 0)
                return -errno;
        if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, ret_netns_cookie, &cookie_len) < 0)
                *ret_netns_cookie = 0;
        if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
            sendto(fd, &req, sizeof(req), 0, (struct sockaddr *) &kernel, sizeof(kernel)) < 0)
                return -errno;
        n = recvfrom(fd, buf, sizeof(buf), MSG_TRUNC, (struct sockaddr *) &from, &from_len);
        if (n < 0)
                return -errno;
        if ((size_t) n > sizeof(buf) || from_len != sizeof(from) || from.nl_pid != 0)
                return -EBADMSG; /* truncated, or not from the kernel */
        return nft_generation_parse(buf, (size_t) n, seq, ret);
}
