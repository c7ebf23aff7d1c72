/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * linkem's event log: one text line per frame the emulator drops or
 * corrupts, with enough of the frame to find it again in a capture taken
 * on either side (tests/lib/capture.sh matches them). Written only when an
 * event happens, through a stdio buffer, and bounded: after @max lines it
 * says "truncated" once and only counts.
 *
 * A line (keys in this order, the TCP ones only for TCP over IPv4/IPv6
 * whose header is in the frame):
 *   t=SEC.NSEC dir=ab|ba ev=lost|ge_lost|qdrop|oversize|tx_err|corrupt
 *   copy=0|1 len=BYTES crc=CRC32 [bit=N] src=MAC dst=MAC
 *   l3=ip4|ip6|0xTYPE [saddr=A daddr=A proto=P
 *   [sport=P dport=P seq=S ack=A flags=0xFF plen=N [sack=L-R,...]]]
 * t is CLOCK_REALTIME (the clock of pcap timestamps); crc is the CRC-32
 * (ISO-HDLC, zlib's) of the frame as linkem received it, after a partial
 * checksum was completed and before any bit was flipped; bit is the bit
 * corrupt flipped: byte bit/8 from the start of the frame, mask
 * 1 << (bit % 8). The header fields are the original frame's.
 */
#ifndef LINKEM_EVLOG_H
#define LINKEM_EVLOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct lem_evlog {
	FILE *f;
	uint64_t max; /* lines before "truncated" */
	uint64_t logged;
	uint64_t missed; /* events not logged: truncated, or unknowable */
	bool truncated;
};

#define LEM_EVLOG_DEFAULT_MAX 1000000

/* CRC-32 (reflected 0xEDB88320, init and final xor ~0): zlib's crc32(). */
uint32_t lem_crc32(const uint8_t *p, uint32_t len);

/* Open @path for writing (truncated). Returns 0 or a negative errno. */
int lem_evlog_open(struct lem_evlog *e, const char *path, uint64_t max);

/*
 * Log one event of direction @dir on @frame (@len bytes). @bit >= 0: the
 * frame has that bit flipped already; it is logged as it was before.
 * No-op when the log is closed.
 */
void lem_evlog_event(struct lem_evlog *e, const char *dir, const char *ev,
		     int copy, uint8_t *frame, uint32_t len, long bit);

/* Drops that happened where no frame can be logged (counted only). */
void lem_evlog_missed(struct lem_evlog *e, uint64_t n);

/* Write out the buffer; 0 or a negative errno. */
int lem_evlog_flush(struct lem_evlog *e);

void lem_evlog_close(struct lem_evlog *e);

#endif
