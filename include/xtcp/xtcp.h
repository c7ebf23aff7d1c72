/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * xtcp's public header, for applications and the socket layer.
 */
#ifndef XTCP_XTCP_H
#define XTCP_XTCP_H

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
/* FIONREAD, FIONBIO, SIOCATMARK (int *) */
int xtcp_ioctl(int fd, unsigned long req, ...);
/* F_GETFL/F_SETFL (O_NONBLOCK), F_GETOWN/F_SETOWN, F_GETFD/F_SETFD */
int xtcp_fcntl(int fd, int cmd, ...);
/* poll(2) over xtcp sockets and any other descriptors together. */
int xtcp_poll(struct pollfd *fds, nfds_t n, int timeout);
/* 1 if @fd is an xtcp socket of this process, else 0. */
int xtcp_is_socket(int fd);

/* === end of libxtcp ======================================================= */

#endif /* XTCP_XTCP_H */
