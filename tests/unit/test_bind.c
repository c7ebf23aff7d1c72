// SPDX-License-Identifier: BSD-2-Clause
/* The socket layer's binding rules (user/daemon/bind.c), tcp(4P). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "daemon/bind.h"

static const struct bind_limits lim = { .anon_lo = 40000,
					.anon_hi = 40003,
					.nonpriv = 1024 };

static struct ip_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	uint8_t q[4] = { a, b, c, d };
	struct ip_addr r;

	ip_addr_from_v4(&r, q);
	return r;
}

static struct ip_addr v6(uint8_t last)
{
	struct ip_addr r = { .b = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0 } };

	r.b[15] = last;
	return r;
}

static const struct ip_addr any6;

static struct ip_addr any4(void)
{
	return v4(0, 0, 0, 0);
}

static struct ip_addr local[3];

static int setup(void **state)
{
	local[0] = v4(198, 18, 0, 2);
	local[1] = v6(2);
	local[2] = v4(198, 18, 0, 3);
	return 0;
}

/* bind() as a socket with @opts ("r" SO_REUSEADDR, "x" SO_EXCLBIND, "6"
 * IPV6_V6ONLY, "p" SO_REUSEPORT, "u" uid 65534 instead of 0). */
static int bind_as(struct bind_table *bt, int fam, struct ip_addr a,
		   uint16_t port, const char *opts, struct bind_ent **e)
{
	struct bind_req r = { .family = fam, .addr = a, .port = port };
	struct bind_ent *dummy;

	r.reuseaddr = strchr(opts, 'r') != NULL;
	r.exclbind = strchr(opts, 'x') != NULL;
	r.v6only = strchr(opts, '6') != NULL;
	r.reuseport = strchr(opts, 'p') != NULL;
	r.uid = strchr(opts, 'u') ? 65534 : 0;
	return bind_request(bt, &r, local, 3, &lim, NULL, NULL, NULL,
			    e ? e : &dummy);
}

static void wildcard_takes_the_port(void **state)
{
	struct bind_table bt;

	bind_init(&bt);
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 80, "", NULL), 0);
	/* INADDR_ANY compares equal to any address. */
	assert_int_equal(bind_as(&bt, AF_INET, local[0], 80, "", NULL),
			 -EADDRINUSE);
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 80, "", NULL),
			 -EADDRINUSE);
	/* ... and an AF_INET6 wildcard covers IPv4 too. */
	assert_int_equal(bind_as(&bt, AF_INET6, any6, 80, "", NULL),
			 -EADDRINUSE);
	/* Other ports are free. */
	assert_int_equal(bind_as(&bt, AF_INET, local[0], 81, "", NULL), 0);
	bind_fini(&bt);
}

static void specific_then_wildcard(void **state)
{
	struct bind_table bt;

	bind_init(&bt);
	assert_int_equal(bind_as(&bt, AF_INET, local[0], 80, "", NULL), 0);
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 80, "", NULL),
			 -EADDRINUSE);
	/* A different specific address is fine. */
	assert_int_equal(bind_as(&bt, AF_INET, local[2], 80, "", NULL), 0);
	assert_int_equal(bind_as(&bt, AF_INET, local[0], 80, "", NULL),
			 -EADDRINUSE);
	bind_fini(&bt);
}

static void reuseaddr(void **state)
{
	struct bind_table bt;

	bind_init(&bt);
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 80, "", NULL), 0);
	/* With SO_REUSEADDR the wildcard equals only a wildcard. */
	assert_int_equal(bind_as(&bt, AF_INET, local[0], 80, "r", NULL), 0);
	/* Both wildcards, or the same address: still in use. */
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 80, "r", NULL),
			 -EADDRINUSE);
	assert_int_equal(bind_as(&bt, AF_INET, local[0], 80, "r", NULL),
			 -EADDRINUSE);
	/* Without it on the binding socket the old rule holds. */
	assert_int_equal(bind_as(&bt, AF_INET, local[2], 80, "", NULL),
			 -EADDRINUSE);
	bind_fini(&bt);
}

static void exclbind(void **state)
{
	struct bind_table bt;

	bind_init(&bt);
	assert_int_equal(bind_as(&bt, AF_INET, local[0], 80, "x", NULL), 0);
	/* No other socket on that port, SO_REUSEADDR or not. */
	assert_int_equal(bind_as(&bt, AF_INET, local[2], 80, "r", NULL),
			 -EADDRINUSE);
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 80, "r", NULL),
			 -EADDRINUSE);
	/* A socket asking for it does not get a port already shared. */
	assert_int_equal(bind_as(&bt, AF_INET, local[0], 81, "", NULL), 0);
	assert_int_equal(bind_as(&bt, AF_INET, local[2], 81, "x", NULL),
			 -EADDRINUSE);
	bind_fini(&bt);
}

static void v6only_and_mapped(void **state)
{
	struct bind_table bt;
	struct bind_ent *e;

	bind_init(&bt);
	/* An IPV6_V6ONLY wildcard leaves IPv4 alone. */
	assert_int_equal(bind_as(&bt, AF_INET6, any6, 80, "6", &e), 0);
	assert_int_equal(e->space, BIND_V6);
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 80, "", NULL), 0);
	assert_int_equal(bind_as(&bt, AF_INET6, v6(2), 80, "", NULL),
			 -EADDRINUSE);
	/* An IPv4-mapped address on an AF_INET6 socket is IPv4. */
	assert_int_equal(bind_as(&bt, AF_INET6, local[0], 81, "", &e), 0);
	assert_int_equal(e->space, BIND_V4);
	assert_int_equal(bind_as(&bt, AF_INET, local[0], 81, "", NULL),
			 -EADDRINUSE);
	/* ... and refused on a v6-only socket. */
	assert_int_equal(bind_as(&bt, AF_INET6, local[0], 82, "6", NULL),
			 -EINVAL);
	/* An IPv6 address on an AF_INET socket: wrong family. */
	assert_int_equal(bind_as(&bt, AF_INET, v6(2), 83, "", NULL),
			 -EAFNOSUPPORT);
	bind_fini(&bt);
}

static void dual_stack_wildcard_then_ipv4(void **state)
{
	struct bind_table bt;

	bind_init(&bt);
	/* Without IPV6_V6ONLY, [::] takes IPv4 too: an AF_INET bind of the
	 * port, wildcard or not, is refused. */
	assert_int_equal(bind_as(&bt, AF_INET6, any6, 80, "", NULL), 0);
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 80, "", NULL),
			 -EADDRINUSE);
	assert_int_equal(bind_as(&bt, AF_INET, local[0], 80, "", NULL),
			 -EADDRINUSE);
	assert_int_equal(bind_as(&bt, AF_INET6, any6, 80, "6", NULL),
			 -EADDRINUSE);
	/* An AF_INET wildcard and a v6-only one share a port. */
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 81, "", NULL), 0);
	assert_int_equal(bind_as(&bt, AF_INET6, any6, 81, "6", NULL), 0);
	assert_int_equal(bind_as(&bt, AF_INET6, any6, 81, "", NULL),
			 -EADDRINUSE);
	bind_fini(&bt);
}

static void reuseport_same_uid(void **state)
{
	struct bind_table bt;
	struct bind_ent *e;

	bind_init(&bt);
	/* Sockets that all set SO_REUSEPORT, same uid: one address, many. */
	for (int i = 0; i < 4; i++) {
		assert_int_equal(bind_as(&bt, AF_INET, any4(), 8080, "p", &e),
				 0);
		assert_true(e->reuseport);
	}
	assert_int_equal(bind_as(&bt, AF_INET6, any6, 8080, "p", NULL), 0);
	assert_int_equal(bind_as(&bt, AF_INET, local[0], 8080, "p", NULL), 0);
	assert_int_equal(bt.n, 6);
	/* Not without it, whatever SO_REUSEADDR says ... */
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 8080, "", NULL),
			 -EADDRINUSE);
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 8080, "r", NULL),
			 -EADDRINUSE);
	/* ... nor for another uid ... */
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 8080, "pu", NULL),
			 -EADDRINUSE);
	/* ... nor with SO_EXCLBIND, which still wins. */
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 8080, "px", NULL),
			 -EADDRINUSE);
	/* Another uid has its own group on another port. */
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 8081, "pu", NULL), 0);
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 8081, "pu", NULL), 0);
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 8081, "p", NULL),
			 -EADDRINUSE);
	bind_fini(&bt);
}

static void reuseport_needs_all(void **state)
{
	struct bind_table bt;

	bind_init(&bt);
	/* The first socket did not set it: nobody joins. */
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 8080, "", NULL), 0);
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 8080, "p", NULL),
			 -EADDRINUSE);
	/* SO_EXCLBIND with SO_REUSEPORT keeps the others out. */
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 8081, "px", NULL), 0);
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 8081, "p", NULL),
			 -EADDRINUSE);
	assert_int_equal(bind_as(&bt, AF_INET, local[0], 8081, "pr", NULL),
			 -EADDRINUSE);
	/* IPv4 and IPv6-only do not meet, SO_REUSEPORT or not. */
	assert_int_equal(bind_as(&bt, AF_INET6, any6, 8080, "6", NULL), 0);
	bind_fini(&bt);
}

static void reuseport_ephemeral_not_shared(void **state)
{
	struct bind_table bt;
	struct bind_ent *e1, *e2;

	bind_init(&bt);
	/* bind(port 0) never hands out a port another socket has ... */
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 0, "p", &e1), 0);
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 0, "p", &e2), 0);
	assert_int_not_equal(e1->port, e2->port);
	/* ... but a socket may join one by its number. */
	assert_int_equal(bind_as(&bt, AF_INET, any4(), e1->port, "p", NULL), 0);
	bind_fini(&bt);
}

/* A listener on (@a, @port) with @opts accepted a connection at @la. */
static struct bind_ent *accepted(struct bind_table *bt, int fam,
				 struct ip_addr a, uint16_t port,
				 const char *opts, struct ip_addr la,
				 struct bind_ent **lis)
{
	struct bind_ent *c;

	assert_int_equal(bind_as(bt, fam, a, port, opts, lis), 0);
	c = bind_add_conn(bt, &la, port, *lis, NULL);
	assert_non_null(c);
	assert_true(c->conn);
	assert_false(c->wildcard);
	return c;
}

static void time_wait_needs_reuseaddr(void **state)
{
	struct bind_table bt;
	struct bind_ent *lis, *c;

	for (int closed = 0; closed < 2; closed++) {
		bind_init(&bt);
		c = accepted(&bt, AF_INET, any4(), 8080, "", local[0], &lis);
		assert_int_equal(c->space, BIND_V4);
		/* The server exits; its connection goes on (open, then
		 * closed and in TIME-WAIT) and holds the port. */
		bind_remove(&bt, lis);
		c->closed = closed;
		assert_int_equal(bind_as(&bt, AF_INET, any4(), 8080, "", NULL),
				 -EADDRINUSE);
		assert_int_equal(bind_as(&bt, AF_INET, local[0], 8080, "",
					 NULL),
				 -EADDRINUSE);
		assert_int_equal(bind_as(&bt, AF_INET6, any6, 8080, "", NULL),
				 -EADDRINUSE);
		/* With SO_REUSEADDR a restarted server binds again at once,
		 * the wildcard or the connection's own address. */
		assert_int_equal(bind_as(&bt, AF_INET, any4(), 8080, "r", &lis),
				 0);
		bind_remove(&bt, lis);
		assert_int_equal(
			bind_as(&bt, AF_INET, local[0], 8080, "r", &lis), 0);
		bind_remove(&bt, lis);
		/* IPv6 only, or another specific address: no overlap. */
		assert_int_equal(bind_as(&bt, AF_INET6, any6, 8080, "6", NULL),
				 0);
		assert_int_equal(
			bind_as(&bt, AF_INET, local[2], 8080, "", NULL), 0);
		bind_fini(&bt);
	}
}

static void time_wait_and_exclbind(void **state)
{
	struct bind_table bt;
	struct bind_ent *lis, *c;

	bind_init(&bt);
	c = accepted(&bt, AF_INET, any4(), 8080, "x", local[0], &lis);
	assert_true(c->exclbind);
	bind_remove(&bt, lis);
	/* An open connection of an SO_EXCLBIND listener keeps everyone out. */
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 8080, "r", NULL),
			 -EADDRINUSE);
	assert_int_equal(bind_as(&bt, AF_INET, local[2], 8080, "r", NULL),
			 -EADDRINUSE);
	/* Once closed (past ESTABLISHED) it is exempt, as in illumos; the
	 * SO_REUSEADDR rule remains, and so does a new SO_EXCLBIND's. */
	c->closed = true;
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 8080, "", NULL),
			 -EADDRINUSE);
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 8080, "x", NULL),
			 -EADDRINUSE);
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 8080, "xr", &lis), 0);
	/* ... which then keeps the rest out. */
	assert_int_equal(bind_as(&bt, AF_INET, local[2], 8080, "r", NULL),
			 -EADDRINUSE);
	bind_fini(&bt);
}

static void time_wait_and_reuseport(void **state)
{
	struct bind_table bt;
	struct bind_ent *lis, *c;

	bind_init(&bt);
	c = accepted(&bt, AF_INET, any4(), 8080, "p", local[0], &lis);
	assert_true(c->reuseport);
	bind_remove(&bt, lis);
	/* A restarted SO_REUSEPORT server of the same uid needs nothing
	 * else; another uid waits while the connection is open ... */
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 8080, "pu", NULL),
			 -EADDRINUSE);
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 8080, "p", &lis), 0);
	bind_remove(&bt, lis);
	/* ... but not for one closed (Linux: TIME-WAIT has no owner). */
	c->closed = true;
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 8080, "pu", NULL), 0);
	bind_fini(&bt);
}

static void addrnotavail(void **state)
{
	struct bind_table bt;

	bind_init(&bt);
	assert_int_equal(bind_as(&bt, AF_INET, v4(198, 18, 99, 99), 80, "",
				 NULL),
			 -EADDRNOTAVAIL);
	assert_int_equal(bind_as(&bt, AF_INET6, v6(99), 80, "", NULL),
			 -EADDRNOTAVAIL);
	/* Loopback is always there (served inside the daemon). */
	assert_int_equal(bind_as(&bt, AF_INET, v4(127, 0, 0, 1), 80, "", NULL),
			 0);
	assert_int_equal(bind_as(&bt, AF_INET, v4(127, 1, 2, 3), 80, "", NULL),
			 0);
	assert_int_equal(bind_as(&bt, AF_INET6, v6(2), 80, "", NULL), 0);
	bind_fini(&bt);
}

static void eacces(void **state)
{
	struct bind_table bt;

	bind_init(&bt);
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 80, "u", NULL), -EACCES);
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 1023, "u", NULL),
			 -EACCES);
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 1024, "u", NULL), 0);
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 80, "", NULL), 0);
	/* Port 0 (an ephemeral one) needs no privilege. */
	assert_int_equal(bind_as(&bt, AF_INET, any4(), 0, "u", NULL), 0);
	/* EADDRNOTAVAIL comes before EACCES, as illumos checks. */
	assert_int_equal(bind_as(&bt, AF_INET, v4(1, 2, 3, 4), 80, "u", NULL),
			 -EADDRNOTAVAIL);
	bind_fini(&bt);
}

static bool taken_40001(void *arg, uint16_t port)
{
	return port == 40001;
}

static void ephemeral(void **state)
{
	struct bind_table bt;
	struct bind_req r = { .family = AF_INET, .addr = local[0] };
	struct bind_ent *e[5];

	bind_init(&bt);
	assert_int_equal(bind_request(&bt, &r, local, 3, &lim, taken_40001,
				      NULL, NULL, &e[0]),
			 0);
	assert_int_equal(e[0]->port, 40000);
	assert_int_equal(bind_request(&bt, &r, local, 3, &lim, taken_40001,
				      NULL, NULL, &e[1]),
			 0);
	assert_int_equal(e[1]->port, 40002); /* 40001 is taken elsewhere */
	assert_int_equal(bind_request(&bt, &r, local, 3, &lim, taken_40001,
				      NULL, NULL, &e[2]),
			 0);
	assert_int_equal(e[2]->port, 40003);
	/* The range is used up. */
	assert_int_equal(bind_request(&bt, &r, local, 3, &lim, taken_40001,
				      NULL, NULL, &e[3]),
			 -EADDRINUSE);
	/* A port comes back when its socket goes. */
	bind_remove(&bt, e[1]);
	assert_int_equal(bind_request(&bt, &r, local, 3, &lim, taken_40001,
				      NULL, NULL, &e[3]),
			 0);
	assert_int_equal(e[3]->port, 40002);
	assert_int_equal(bt.n, 3);
	/* An explicit port in the range collides as any other. */
	r.port = 40000;
	assert_int_equal(bind_request(&bt, &r, local, 3, &lim, NULL, NULL, NULL,
				      &e[4]),
			 -EADDRINUSE);
	bind_fini(&bt);
	assert_int_equal(bt.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wildcard_takes_the_port),
		cmocka_unit_test(specific_then_wildcard),
		cmocka_unit_test(reuseaddr),
		cmocka_unit_test(exclbind),
		cmocka_unit_test(v6only_and_mapped),
		cmocka_unit_test(dual_stack_wildcard_then_ipv4),
		cmocka_unit_test(reuseport_same_uid),
		cmocka_unit_test(reuseport_needs_all),
		cmocka_unit_test(reuseport_ephemeral_not_shared),
		cmocka_unit_test(time_wait_needs_reuseaddr),
		cmocka_unit_test(time_wait_and_exclbind),
		cmocka_unit_test(time_wait_and_reuseport),
		cmocka_unit_test(addrnotavail),
		cmocka_unit_test(eacces),
		cmocka_unit_test(ephemeral),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
