/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * xtcp's public header, for applications and the socket layer.
 *
 * Self-contained: it needs nothing included before it. Two sections: the
 * socket option constants, and the libxtcp API.
 */
#ifndef XTCP_XTCP_H
#define XTCP_XTCP_H

/* === Socket options ======================================================
 *
 * Options that Linux also has (TCP_NODELAY, TCP_CORK, TCP_QUICKACK,
 * TCP_KEEPIDLE, TCP_KEEPCNT, TCP_KEEPINTVL, TCP_CONGESTION, TCP_LINGER2,
 * TCP_MAXSEG, TCP_INFO, SO_KEEPALIVE, SO_LINGER, SO_RCVBUF, SO_SNDBUF,
 * SO_OOBINLINE, IP_TOS, IP_TTL, IPV6_TCLASS, IPV6_UNICAST_HOPS) keep their
 * Linux names and numbers: take them from <sys/socket.h>,
 * <netinet/in.h> and <netinet/tcp.h>.
 *
 * The options below exist in illumos tcp(4P) and not in Linux. illumos
 * numbers its TCP-level ones 0x11..0x1b, which Linux uses for other options
 * (TCP_THIN_DUPACK = 17, TCP_NOTSENT_LOWAT = 25, ...), so here they live in
 * a private range: XTCP_SOPT_PRIVATE plus the illumos number. Linux numbers
 * its options from 1 up and has fewer than 100 at either level, so the
 * range cannot collide. SO_EXCLBIND keeps the illumos number, 0x1015, which
 * is far above Linux's SOL_SOCKET options.
 *
 * Values are int (SO_EXCLBIND) or uint32_t (the rest), as in illumos. The
 * section needs no header.
 */
#define XTCP_SOPT_PRIVATE 0x58540000 /* "XT" << 16 */

/* SOL_SOCKET: no other socket may bind the same port (int, boolean). */
#ifndef SO_EXCLBIND
#define SO_EXCLBIND 0x1015
#endif

/* IPPROTO_TCP, milliseconds: give up retransmitting after this long once
 * established (0 = never); default tcp_ip_abort_interval. */
#ifndef TCP_ABORT_THRESHOLD
#define TCP_ABORT_THRESHOLD (XTCP_SOPT_PRIVATE + 0x11)
#endif
/* The same before the connection is established; tcp_ip_abort_cinterval. */
#ifndef TCP_CONN_ABORT_THRESHOLD
#define TCP_CONN_ABORT_THRESHOLD (XTCP_SOPT_PRIVATE + 0x13)
#endif
/* Initial congestion window, in segments (0 = RFC 3390 / system default).
 * Above the RFC 3390 value needs privilege (EPERM otherwise). */
#ifndef TCP_INIT_CWND
#define TCP_INIT_CWND (XTCP_SOPT_PRIVATE + 0x15)
#endif
/* Idle time before the first keep-alive probe, milliseconds, 10 s..10 days;
 * default tcp_keepalive_interval (2 h). */
#ifndef TCP_KEEPALIVE_THRESHOLD
#define TCP_KEEPALIVE_THRESHOLD (XTCP_SOPT_PRIVATE + 0x16)
#endif
/* Abort when keep-alive probes go unanswered this long, milliseconds
 * (0 = never); default tcp_keepalive_abort_interval (8 min). */
#ifndef TCP_KEEPALIVE_ABORT_THRESHOLD
#define TCP_KEEPALIVE_ABORT_THRESHOLD (XTCP_SOPT_PRIVATE + 0x17)
#endif
/* Retransmission timeout: initial, lower and upper bound, milliseconds;
 * defaults tcp_rexmit_interval_initial, _min, _max. */
#ifndef TCP_RTO_INITIAL
#define TCP_RTO_INITIAL (XTCP_SOPT_PRIVATE + 0x19)
#endif
#ifndef TCP_RTO_MIN
#define TCP_RTO_MIN (XTCP_SOPT_PRIVATE + 0x1a)
#endif
#ifndef TCP_RTO_MAX
#define TCP_RTO_MAX (XTCP_SOPT_PRIVATE + 0x1b)
#endif

/* === end of socket options =============================================== */

/* === libxtcp: the socket API ==============================================
 *
 * POSIX sockets over xtcpd, for AF_INET and AF_INET6 SOCK_STREAM sockets.
 * Each call behaves as its POSIX namesake (return values, errno, blocking
 * and non-blocking behaviour, EINPROGRESS/EALREADY/EISCONN, SO_ERROR) and
 * the addressing rules are those of tcp(4P). The descriptor a socket gets
 * is a real one (an eventfd the daemon signals), so it can sit in
 * poll/epoll/select sets; use xtcp_poll() to get POLLIN/POLLOUT/POLLHUP as
 * for a kernel socket. Thread-safe. The daemon is found at the path in the
 * environment variable XTCP_APP_SOCKET, else /run/xtcp/app.sock. If xtcpd
 * goes away, calls fail with ECONNRESET (reads) or EPIPE (writes).
 *
 * This section needs the system's socket types, so it includes their
 * headers; link with -lxtcp (pkg-config xtcp).
 */
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

int xtcp_socket(int domain, int type, int protocol);
int xtcp_bind(int fd, const struct sockaddr *addr, socklen_t len);
int xtcp_listen(int fd, int backlog);
int xtcp_accept(int fd, struct sockaddr *addr, socklen_t *len);
int xtcp_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
int xtcp_connect(int fd, const struct sockaddr *addr, socklen_t len);
ssize_t xtcp_read(int fd, void *buf, size_t n);
ssize_t xtcp_write(int fd, const void *buf, size_t n);
ssize_t xtcp_readv(int fd, const struct iovec *iov, int cnt);
ssize_t xtcp_writev(int fd, const struct iovec *iov, int cnt);
/* flags: MSG_OOB, MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL, MSG_NOSIGNAL */
ssize_t xtcp_send(int fd, const void *buf, size_t n, int flags);
ssize_t xtcp_recv(int fd, void *buf, size_t n, int flags);
int xtcp_shutdown(int fd, int how);
int xtcp_close(int fd);
int xtcp_setsockopt(int fd, int level, int name, const void *val,
		    socklen_t len);
int xtcp_getsockopt(int fd, int level, int name, void *val, socklen_t *len);
int xtcp_getsockname(int fd, struct sockaddr *addr, socklen_t *len);
int xtcp_getpeername(int fd, struct sockaddr *addr, socklen_t *len);
/* FIONREAD (stream bytes, out-of-band ones left out), FIONBIO, SIOCATMARK,
 * FIOSETOWN/SIOCSPGRP, FIOGETOWN/SIOCGPGRP (int *) */
int xtcp_ioctl(int fd, unsigned long req, ...);
/* F_GETFL/F_SETFL (O_NONBLOCK), F_GETOWN/F_SETOWN and F_GETOWN_EX/
 * F_SETOWN_EX (SIGURG on urgent data, sent by xtcpd: the owner must be
 * one the caller may signal, else EPERM; ESRCH if there is none),
 * F_GETFD/F_SETFD, F_DUPFD/F_DUPFD_CLOEXEC */
int xtcp_fcntl(int fd, int cmd, ...);
/* poll(2) over xtcp sockets and any other descriptors together. */
int xtcp_poll(struct pollfd *fds, nfds_t n, int timeout);
/* 1 if @fd is an xtcp socket of this process, else 0. */
int xtcp_is_socket(int fd);
/*
 * dup(2), dup2(2), dup3(2) for xtcp sockets (fcntl F_DUPFD and
 * F_DUPFD_CLOEXEC through xtcp_fcntl): several descriptors name one
 * socket, which is closed when the last is closed. xtcp_dup2/xtcp_dup3
 * take any two descriptors: an xtcp socket at @nfd loses that descriptor
 * first (closed if it was its last), as close(2) would.
 *
 * fork(2): the child keeps using the sockets it inherits, as with kernel
 * sockets; a socket is closed when no process holds it any more (close in
 * every one, or exit); a process that dies without closing resets only the
 * connections nobody else holds.
 */
int xtcp_dup(int fd);
int xtcp_dup2(int ofd, int nfd);
int xtcp_dup3(int ofd, int nfd, int flags);

/* === end of libxtcp ======================================================= */

#endif /* XTCP_XTCP_H */
