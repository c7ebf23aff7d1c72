// SPDX-License-Identifier: BSD-2-Clause
/* SipHash-2-4 against the paper's vectors and OpenSSL's implementation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "stack/siphash.h"

/*
 * The reference vectors (vectors.h of the SipHash reference code, from the
 * paper's appendix): key 00 01 .. 0f, message 00 01 .. (i-1) for i = 0..63,
 * written here as the 64-bit values (the table lists their little-endian
 * bytes; entry 0 is 31 0e 0e dd 47 db 6f 72).
 */
static const uint64_t vectors[64] = {
	0x726fdb47dd0e0e31ull, 0x74f839c593dc67fdull, 0x0d6c8009d9a94f5aull,
	0x85676696d7fb7e2dull, 0xcf2794e0277187b7ull, 0x18765564cd99a68dull,
	0xcbc9466e58fee3ceull, 0xab0200f58b01d137ull, 0x93f5f5799a932462ull,
	0x9e0082df0ba9e4b0ull, 0x7a5dbbc594ddb9f3ull, 0xf4b32f46226bada7ull,
	0x751e8fbc860ee5fbull, 0x14ea5627c0843d90ull, 0xf723ca908e7af2eeull,
	0xa129ca6149be45e5ull, 0x3f2acc7f57c29bdbull, 0x699ae9f52cbe4794ull,
	0x4bc1b3f0968dd39cull, 0xbb6dc91da77961bdull, 0xbed65cf21aa2ee98ull,
	0xd0f2cbb02e3b67c7ull, 0x93536795e3a33e88ull, 0xa80c038ccd5ccec8ull,
	0xb8ad50c6f649af94ull, 0xbce192de8a85b8eaull, 0x17d835b85bbb15f3ull,
	0x2f2e6163076bcfadull, 0xde4daaaca71dc9a5ull, 0xa6a2506687956571ull,
	0xad87a3535c49ef28ull, 0x32d892fad841c342ull, 0x7127512f72f27cceull,
	0xa7f32346f95978e3ull, 0x12e0b01abb051238ull, 0x15e034d40fa197aeull,
	0x314dffbe0815a3b4ull, 0x027990f029623981ull, 0xcadcd4e59ef40c4dull,
	0x9abfd8766a33735cull, 0x0e3ea96b5304a7d0ull, 0xad0c42d6fc585992ull,
	0x187306c89bc215a9ull, 0xd4a60abcf3792b95ull, 0xf935451de4f21df2ull,
	0xa9538f0419755787ull, 0xdb9acddff56ca510ull, 0xd06c98cd5c0975ebull,
	0xe612a3cb9ecba951ull, 0xc766e62cfcadaf96ull, 0xee64435a9752fe72ull,
	0xa192d576b245165aull, 0x0a8787bf8ecb74b2ull, 0x81b3e73d20b49b6full,
	0x7fa8220ba3b2eceaull, 0x245731c13ca42499ull, 0xb78dbfaf3a8d83bdull,
	0xea1ad565322a1a0bull, 0x60e61c23a3795013ull, 0x6606d7e446282b93ull,
	0x6ca4ecb15c5f91e1ull, 0x9f626da15c9625f3ull, 0xe51b38608ef25f57ull,
	0x958a324ceb064572ull,
};

static void key00_0f(uint8_t key[16])
{
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
}

static void paper_example(void **state)
{
	uint8_t key[16], msg[15];

	/* Paper, appendix A: 15-byte message 00..0e gives a129ca6149be45e5. */
	key00_0f(key);
	for (int i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	assert_int_equal(siphash24(key, msg, sizeof(msg)),
			 0xa129ca6149be45e5ull);
}

static void reference_vectors(void **state)
{
	uint8_t key[16], msg[64];

	key00_0f(key);
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		assert_int_equal(siphash24(key, msg, (size_t)i), vectors[i]);
}

/* Alignment must not matter (the loads are bytewise). */
static void unaligned_input(void **state)
{
	uint8_t key[16], buf[64 + 8];

	key00_0f(key);
	for (int off = 1; off < 8; off++) {
		for (int i = 0; i < 64; i++)
			buf[off + i] = (uint8_t)i;
		for (int i = 0; i < 64; i++)
			assert_int_equal(siphash24(key, buf + off, (size_t)i),
					 vectors[i]);
	}
}

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* OpenSSL 3's SIPHASH MAC (c = 2, d = 4, 8-byte output, little-endian). */
static uint64_t openssl_siphash(const uint8_t key[16], const uint8_t *m,
				size_t len)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
	EVP_MAC_CTX *ctx;
	size_t size = 8, outl = 0;
	uint8_t out[8];
	uint64_t v = 0;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
		OSSL_PARAM_construct_end(),
	};

	assert_non_null(mac);
	ctx = EVP_MAC_CTX_new(mac);
	assert_non_null(ctx);
	assert_int_equal(EVP_MAC_init(ctx, key, 16, params), 1);
	assert_int_equal(EVP_MAC_update(ctx, m, len), 1);
	assert_int_equal(EVP_MAC_final(ctx, out, &outl, sizeof(out)), 1);
	assert_int_equal(outl, 8);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	for (int i = 7; i >= 0; i--)
		v = v << 8 | out[i];
	return v;
}

static void random_vs_openssl(void **state)
{
	uint64_t seed = 2024;
	uint8_t key[16], msg[300];

	for (int iter = 0; iter < 2000; iter++) {
		size_t len = (size_t)(rng_next(&seed) % sizeof(msg));

		for (int i = 0; i < 16; i++)
			key[i] = (uint8_t)rng_next(&seed);
		for (size_t i = 0; i < len; i++)
			msg[i] = (uint8_t)rng_next(&seed);
		assert_int_equal(siphash24(key, msg, len),
				 openssl_siphash(key, msg, len));
	}
	/* The length byte is len mod 256: lengths 256 apart must differ. */
	memset(msg, 0, sizeof(msg));
	key00_0f(key);
	assert_int_not_equal(siphash24(key, msg, 3), siphash24(key, msg, 259));
	assert_int_equal(siphash24(key, msg, 259),
			 openssl_siphash(key, msg, 259));
}

static void key_and_message_sensitivity(void **state)
{
	uint8_t key[16], msg[36] = { 0 };
	uint64_t base;

	key00_0f(key);
	base = siphash24(key, msg, sizeof(msg));
	for (size_t i = 0; i < sizeof(msg) * 8; i++) {
		msg[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_not_equal(siphash24(key, msg, sizeof(msg)), base);
		msg[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	for (size_t i = 0; i < 128; i++) {
		key[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_not_equal(siphash24(key, msg, sizeof(msg)), base);
		key[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	assert_int_equal(siphash24(key, msg, sizeof(msg)), base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(paper_example),
		cmocka_unit_test(reference_vectors),
		cmocka_unit_test(unaligned_input),
		cmocka_unit_test(random_vs_openssl),
		cmocka_unit_test(key_and_message_sensitivity),
	};

	return cmocka_run_group_tests_name("siphash", tests, NULL, NULL);
}
