/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The TCP header (RFC 9293 3.1) and its options: MSS (RFC 9293 3.2),
 * window scale and timestamps (RFC 7323), SACK-permitted and SACK
 * (RFC 2018). Unknown options are skipped by their length.
 */
#ifndef XTCP_WIRE_TCP_H
#define XTCP_WIRE_TCP_H

#include <stddef.h>
#include <stdint.h>

#define TCP_HLEN 20
#define TCP_MAX_HLEN 60
#define TCP_MAX_OPTLEN 40

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20
#define TH_ECE 0x40
#define TH_CWR 0x80

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WSCALE 3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_SACK 5
#define TCPOPT_TS 8

/* Which options are present in struct tcp_opts. */
#define TCP_OPT_MSS (1u << 0)
#define TCP_OPT_WSCALE (1u << 1)
#define TCP_OPT_SACK_PERM (1u << 2)
#define TCP_OPT_SACK (1u << 3)
#define TCP_OPT_TS (1u << 4)

#define TCP_MAX_SACK 4 /* blocks that fit in 40 bytes without timestamps */

struct tcp_sack_block {
	uint32_t start, end; /* host order */
};

struct tcp_opts {
	uint32_t present; /* TCP_OPT_* */
	uint16_t mss;
	uint8_t wscale; /* as sent; the receiver clamps to 14 (RFC 7323 2.3) */
	uint8_t nsack;
	struct tcp_sack_block sack[TCP_MAX_SACK];
	uint32_t ts_val, ts_ecr;
};

/* A TCP header in host order, with its payload located in the buffer. */
struct tcp_hdr {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags; /* TH_* */
	uint8_t doff; /* header length in bytes */
	uint16_t win; /* as on the wire, unscaled */
	uint16_t csum; /* as stored (network order) */
	uint16_t urp;
	struct tcp_opts opts;
};

/*
 * Parse the TCP header and options at @buf (@len bytes of header and
 * payload). Options: EOL ends the list; NOP is skipped; a known option with
 * the wrong length is -WIRE_TCP_OPTLEN; an option that overruns the header
 * or has length < 2 is -WIRE_TCP_OPT. A SACK option with more blocks than
 * fit keeps the first TCP_MAX_SACK. Does not verify the checksum.
 * (SACK lengths are 2 + 8n; 40 option bytes hold n <= 4, so every other
 * length is -WIRE_TCP_OPTLEN or, past the header, -WIRE_TCP_OPT.)
 * Options are recorded whatever the flags; a repeated option overwrites.
 */
int tcp_parse(const uint8_t *buf, size_t len, struct tcp_hdr *out);

/*
 * Verify the checksum of the segment at @buf (@len bytes) given the partial
 * sum of its pseudo-header. Returns 0 or -WIRE_TCP_CSUM.
 */
int tcp_verify_csum(const uint8_t *buf, size_t len, uint32_t pseudo);

/*
 * Length in bytes the options in @o take when emitted (multiple of 4, at
 * most TCP_MAX_OPTLEN), exactly what tcp_emit writes. SACK blocks beyond
 * TCP_MAX_SACK or beyond what fits beside the other options are dropped
 * from the end (3 fit with timestamps, 2 with MSS + TS + window scale);
 * SACK with no blocks emits nothing.
 */
size_t tcp_opts_len(const struct tcp_opts *o);

/*
 * Write the header of @h with the options in h->opts (doff is computed, the
 * checksum field is written as 0). Option layout follows common practice so
 * peers and captures see the familiar form: MSS, SACK-permitted + TS as
 * NOP,NOP or 4,2,8,10, window scale as NOP,3,3,w, SACK blocks as NOP,NOP,5.
 * Returns the header length or -WIRE_NOSPACE.
 * In full: MSS 2,4,mss; SACK-permitted and TS 4,2,8,10,val,ecr; TS alone
 * NOP,NOP,8,10,val,ecr; SACK-permitted alone NOP,NOP,4,2; window scale
 * NOP,3,3,w; SACK NOP,NOP,5,len,blocks. h->doff and h->csum are ignored.
 */
int tcp_emit(uint8_t *buf, size_t cap, const struct tcp_hdr *h);

/*
 * Fill the checksum of the segment at @buf (@len bytes: header + payload)
 * in place, given its pseudo-header partial sum. Does nothing when @len is
 * below TCP_HLEN.
 */
void tcp_fill_csum(uint8_t *buf, size_t len, uint32_t pseudo);

#endif
