// SPDX-License-Identifier: CDDL-1.0
/*
 * tcp(4P) Example 1, "Connecting to a server", over libxtcp: the illumos
 * man page's client with its socket calls renamed (socket -> xtcp_socket,
 * connect, setsockopt, read, close likewise) and <xtcp/xtcp.h> included.
 *
 *	xtcp-example-client <host> <port>
 */
/* The man page's text, kept as it is there: */
/* clang-format off */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <xtcp/xtcp.h>

int
main(int argc, char *argv[])
{
	struct addrinfo hints, *gair, *p;
	int fd, rv, rlen;
	char buf[1024];
	int y = 1;

	if (argc != 3) {
		fprintf(stderr, "%s <host> <port>\n", argv[0]);
		return (1);
	}

	memset(&hints, 0, sizeof (hints));
	hints.ai_family = PF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;

	if ((rv = getaddrinfo(argv[1], argv[2], &hints, &gair)) != 0) {
		fprintf(stderr, "getaddrinfo() failed: %s\n",
		    gai_strerror(rv));
		return (1);
	}

	for (p = gair; p != NULL; p = p->ai_next) {
		if ((fd = xtcp_socket(
		    p->ai_family,
		    p->ai_socktype,
		    p->ai_protocol)) == -1) {
			perror("socket() failed");
			continue;
		}

		if (xtcp_connect(fd, p->ai_addr, p->ai_addrlen) == -1) {
			xtcp_close(fd);
			perror("connect() failed");
			continue;
		}

		break;
	}

	if (p == NULL) {
		fprintf(stderr, "failed to connect to server\n");
		return (1);
	}

	freeaddrinfo(gair);

	if (xtcp_setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &y,
	    sizeof (y)) == -1) {
		perror("setsockopt(SO_KEEPALIVE) failed");
		return (1);
	}

	while ((rlen = xtcp_read(fd, buf, sizeof (buf))) > 0) {
		fwrite(buf, rlen, 1, stdout);
	}

	if (rlen == -1) {
		perror("read() failed");
	}

	fflush(stdout);

	if (xtcp_close(fd) == -1) {
		perror("close() failed");
	}

	return (0);
}
