/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The contract between xtcpd and applications (libxtcp): a control protocol
 * over an AF_UNIX SOCK_SEQPACKET socket and a shared-memory region per
 * application. Fixed-width types only; both sides include it. Any change
 * that alters a size or a meaning bumps XTCP_IPC_VERSION.
 *
 * Control: one request message, one reply message, in order. Every request
 * is exactly sizeof(struct xtcp_ipc_req) bytes, every reply exactly
 * sizeof(struct xtcp_ipc_rep); file descriptors travel with a reply as
 * SCM_RIGHTS. The daemon identifies the peer with SO_PEERCRED.
 *
 *	HELLO           -> rep.fds = { memfd of the region, doorbell eventfd },
 *	                   rep.data the session's token, val[1] member id 0
 *	ATTACH          a forked process joins the session (see below)
 *	SOCKET          -> a slot (index + generation), rep.fds = { eventfd }
 *	BIND/LISTEN/CONNECT/SHUTDOWN/CLOSE/SETSOCKOPT/GETSOCKOPT/GETNAME/
 *	SEND_OOB/RECV_OOB/ATMARK/SETOWN on (slot, gen)
 *	ACCEPT on a listener's slot -> a new slot, rep.fds = { eventfd }
 *
 * No request ever blocks in the daemon: ACCEPT answers -EAGAIN when the
 * queue is empty, CONNECT answers -EINPROGRESS once the SYN is out; the
 * library waits on the socket's eventfd for the state to change.
 *
 * Data: the region starts with struct xtcp_shm_hdr, then nslots struct
 * xtcp_shm_slot, then the rings. Each connected slot has a receive ring the
 * daemon produces into and the app consumes from, and a send ring the app
 * produces into and the daemon consumes from. Indices are free-running
 * 32-bit byte counters (position = counter & (size - 1)); each has one
 * writer that publishes it with a release store after touching the bytes.
 * The app tells the daemon it moved an index by setting its bit in
 * pending_map and then pending; if daemon_sleeping is set it also writes
 * the doorbell eventfd. It also sets pending after sending a control
 * request, so a daemon busy with traffic serves it at once (it looks at
 * the region every round, at its sockets only now and then). The daemon writes a socket's eventfd only when the
 * slot's want is non-zero (the app is about to sleep), clearing it.
 *
 * The daemon trusts nothing in the region: it keeps its own indices and
 * applies an app's index only when it moved forward by no more than the
 * ring allows.
 *
 * fork. A session (one region, its slots and sockets) may be served over
 * several control connections, one per process: its members. The first
 * is the one that said HELLO (member 0); HELLO's reply carries the
 * session's token, 128 random bits the daemon never shows another
 * session. Before fork() returns (pthread_atfork prepare) libxtcp opens a
 * new connection and sends ATTACH on it with the token and its own member
 * id; the daemon checks the token and that SO_PEERCRED's uid is the
 * session's, and makes the connection a member holding every socket the
 * parent member holds. The child takes that connection (the parent closes
 * its copy), so holds are handed over before the parent can close
 * anything: no window in which a connection has no holder. Memory and
 * eventfds are inherited with the process: the region is MAP_SHARED, the
 * doorbell and the sockets' eventfds are the same files in both.
 *
 * The daemon keeps, per member, which slots it holds, and per slot how
 * many members hold it. CLOSE lets go of the requesting member's hold; the
 * socket is closed (gracefully, or with a RST for SO_LINGER 0) when the
 * last one lets go, as close(2) of the last descriptor of a kernel socket.
 * A member whose connection ends (exit, kill) lets go of all its holds,
 * and a socket nobody else holds is reset, as before. The session and its
 * region end with the last member. Requests on a slot the member does not
 * hold fail with EBADF.
 *
 * Shared sockets behave as kernel sockets shared by fork: any member may
 * accept (the daemon serves one request at a time: one wins, the others
 * get EAGAIN and wait again); a write of a socket's eventfd wakes every
 * process polling it (want is per slot, not per process); two processes
 * reading or writing one connection at once interleave as they would on a
 * kernel socket. The daemon is safe whatever they do: it checks every
 * index moved in the region against its own (above).
 *
 * exec. The shim (preload.c) hands a process's sockets to the new image:
 * the control connection, the region's memfd, the doorbell and every xtcp
 * descriptor without FD_CLOEXEC survive exec, described in the
 * environment variable XTCP_INHERIT_ENV; the new image adopts them
 * without asking the daemon (the connection is the same member).
 */
#ifndef XTCP_IPC_H
#define XTCP_IPC_H

#include <stdint.h>

#define XTCP_IPC_VERSION 3
#define XTCP_SHM_MAGIC 0x4d485358u /* "XSHM" */
#define XTCP_APP_SOCKET_DEFAULT "/run/xtcp/app.sock"
/* Environment variable libxtcp reads for another socket path. */
#define XTCP_APP_SOCKET_ENV "XTCP_APP_SOCKET"

/* Option values (TCP_INFO: 280 bytes), OOB bytes. */
#define XTCP_IPC_DATA_MAX 512
#define XTCP_IPC_NO_SLOT 0xffffffffu
#define XTCP_TOKEN_LEN 16 /* HELLO's token, ATTACH's proof */
/* Environment variable the shim sets across exec (preload.c). */
#define XTCP_INHERIT_ENV "XTCP_INHERIT"

enum xtcp_ipc_op {
	XTCP_OP_HELLO = 1,
	XTCP_OP_SOCKET, /* arg[0] domain, arg[1] type */
	XTCP_OP_BIND, /* addr */
	XTCP_OP_LISTEN, /* arg[0] backlog */
	XTCP_OP_ACCEPT, /* -> new slot, rep.addr the peer */
	XTCP_OP_CONNECT, /* addr; -> 0, -EINPROGRESS or an error */
	XTCP_OP_SHUTDOWN, /* arg[0] how */
	XTCP_OP_CLOSE, /* arg[0] 1: abortive (SO_LINGER 0) */
	XTCP_OP_SETSOCKOPT, /* arg[0] level, arg[1] name, data/len */
	XTCP_OP_GETSOCKOPT, /* arg[0] level, arg[1] name, len: room */
	XTCP_OP_GETNAME, /* -> addr local, addr2 peer (-ENOTCONN: none) */
	XTCP_OP_SEND_OOB, /* data/len; -> val[0] bytes, val[1] tx head */
	XTCP_OP_RECV_OOB, /* arg[0] flags (MSG_PEEK) -> data/len */
	XTCP_OP_ATMARK, /* -> val[0] 1 at the urgent mark */
	XTCP_OP_SETOWN, /* arg[0] F_OWNER_*, arg[1] id (0: none): SIGURG */
	XTCP_OP_ATTACH, /* data/len the token, arg[0] the parent member id;
			 * -> val[0] nslots, val[1] the new member id */
	XTCP_OP_MAX
};

/* An address as the daemon keeps it: IPv4 as ::ffff:a.b.c.d. */
struct xtcp_ipc_addr {
	uint16_t family; /* AF_INET or AF_INET6 as the app gave it; 0: none */
	uint16_t port; /* host order */
	uint32_t scope_id;
	uint32_t flowinfo;
	uint8_t addr[16];
};

struct xtcp_ipc_req {
	uint16_t version; /* XTCP_IPC_VERSION */
	uint16_t op; /* enum xtcp_ipc_op */
	uint32_t seq; /* echoed in the reply */
	uint32_t slot; /* socket slot index, XTCP_IPC_NO_SLOT for none */
	uint32_t gen; /* the slot's generation when it was handed out */
	int32_t arg[4];
	struct xtcp_ipc_addr addr;
	uint32_t len; /* bytes used in data */
	uint8_t data[XTCP_IPC_DATA_MAX];
};

struct xtcp_ipc_rep {
	uint16_t version;
	uint16_t op;
	uint32_t seq;
	int32_t err; /* 0 or a negative errno */
	uint32_t slot; /* SOCKET, ACCEPT: the new slot */
	uint32_t gen;
	uint32_t nfds; /* descriptors passed with this reply */
	int32_t val[4]; /* HELLO: val[0] nslots; size in u64 */
	uint64_t u64;
	struct xtcp_ipc_addr addr, addr2;
	uint32_t len;
	uint8_t data[XTCP_IPC_DATA_MAX];
};

/* --- shared memory --------------------------------------------------- */

#define XTCP_CACHELINE 64

/* Slot states (st.state); TCP states are enum tcp_state + 1 <= 11. */
#define XTCP_SS_FREE 0
#define XTCP_SS_OPEN 32 /* created, not listening nor connected */
#define XTCP_SS_LISTEN 33
/* Connected sockets carry 64 + the engine's RFC 9293 state (CLOSED = 64). */
#define XTCP_SS_TCP 64

/* Event flags (st.flags), written by the daemon. */
#define XTCP_SF_READABLE (1u << 0) /* rx data, or a connection to accept */
#define XTCP_SF_WRITABLE (1u << 1) /* can send (not: tx space, see ring) */
#define XTCP_SF_FIN (1u << 2) /* the peer's FIN: rx ends at rx_head */
#define XTCP_SF_CLOSED (1u << 3) /* the connection is over */
#define XTCP_SF_ERROR (1u << 4) /* so_error holds an error */
#define XTCP_SF_URGENT (1u << 5) /* urgent data pending (SIGURG) */
#define XTCP_SF_CONNECTED (1u << 6) /* the handshake completed */
#define XTCP_SF_SHUT_WR (1u << 7) /* our FIN is queued: writes fail */

/* Urgent mark flags (urg_mark >> 32), written by the daemon. */
#define XTCP_UM_MARK (1u << 0) /* a mark at or ahead of the reader */
#define XTCP_UM_ARRIVED (1u << 1) /* the urgent byte is in the ring */
#define XTCP_UM_READ (1u << 2) /* and was taken with MSG_OOB */
#define XTCP_UM_INLINE (1u << 3) /* SO_OOBINLINE: it is read in the stream */

struct xtcp_shm_slot {
	/* Line 0: written by the daemon. */
	uint32_t gen; /* bumped every time the slot is handed out */
	uint32_t state; /* XTCP_SS_* */
	uint32_t flags; /* XTCP_SF_* */
	int32_t so_error; /* positive errno; the app takes it (xchg 0) */
	uint32_t changes; /* bumped on every publication */
	uint32_t rx_off, rx_size, rx_cap; /* ring offset, size (2^n), usable */
	uint32_t tx_off, tx_size, tx_cap;
	uint32_t urg_count; /* urgent marks seen so far */
	/*
	 * Urgent data, stored before rx_head moves past the urgent byte (the
	 * app loads rx_head first): urg_mark is the ring counter of the
	 * urgent byte (low 32 bits) and XTCP_UM_* (high 32); urg_skip the
	 * ring counter (low) and number (high) of bytes at the reader that
	 * are not part of the stream (out-of-band bytes of older marks).
	 * Reads stop before the mark and skip those bytes, and the urgent
	 * byte unless XTCP_UM_INLINE; each is a single 64-bit store.
	 */
	uint64_t urg_mark, urg_skip;
	/* Line 1: written by the app. */
	uint32_t want; /* non-zero: write my eventfd on the next change */
	uint8_t pad1[XTCP_CACHELINE - 4];
	/* Line 2: receive ring head, daemon. */
	uint32_t rx_head;
	uint8_t pad2[XTCP_CACHELINE - 4];
	/* Line 3: receive ring tail, app. */
	uint32_t rx_tail;
	uint8_t pad3[XTCP_CACHELINE - 4];
	/* Line 4: send ring head, app. */
	uint32_t tx_head;
	uint8_t pad4[XTCP_CACHELINE - 4];
	/* Line 5: send ring tail, daemon. */
	uint32_t tx_tail;
	uint8_t pad5[XTCP_CACHELINE - 4];
};

_Static_assert(sizeof(struct xtcp_shm_slot) == 6 * XTCP_CACHELINE,
	       "one cache line per writer");

#define XTCP_SHM_SLOTS_MAX 4096

struct xtcp_shm_hdr {
	uint32_t magic; /* XTCP_SHM_MAGIC */
	uint32_t version; /* XTCP_IPC_VERSION */
	uint64_t size; /* bytes in the region */
	uint32_t nslots; /* <= XTCP_SHM_SLOTS_MAX */
	uint32_t slot_off; /* offset of slot 0 */
	uint32_t slot_size; /* sizeof(struct xtcp_shm_slot) */
	uint32_t data_off; /* first byte of ring memory */
	uint8_t pad0[XTCP_CACHELINE - 24];
	/* Line 1: daemon. Non-zero while it sleeps in poll(). */
	uint32_t daemon_sleeping;
	uint8_t pad1[XTCP_CACHELINE - 4];
	/* Line 2: app sets, daemon clears: some bit of pending_map is set. */
	uint32_t pending;
	uint8_t pad2[XTCP_CACHELINE - 4];
	/* Slots whose indices the app moved (bit i: slot i). */
	uint64_t pending_map[XTCP_SHM_SLOTS_MAX / 64];
};

#endif
