#!/usr/bin/env bash
# Print the [tunables] list of xtcpd.conf(5) as mdoc, from tunable_table, or
# with --update FILE replace the part of FILE between the lines
# ".\" BEGIN TUNABLES" and ".\" END TUNABLES" with it.
# Needs the engine library: make BUILD=... first (BUILD defaults to build).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/gen.c" <<'C'
#include <stdio.h>
#include <string.h>
#include "stack/tunables.h"

int main(void)
{
	struct tunables def;
	char v[64];

	tunables_defaults(&def);
	puts(".Bl -tag -width Ds");
	for (size_t i = 0; i < tunable_count; i++) {
		const struct tunable_desc *d = &tunable_table[i];

		tunable_get(&def, d, v, sizeof(v));
		if (*d->unit)
			printf(".It Cm %s Pq %s\n", d->name, d->unit);
		else
			printf(".It Cm %s\n", d->name);
		printf("%c%s.\n", d->help[0] >= 'a' && d->help[0] <= 'z' ?
			       d->help[0] - 'a' + 'A' : d->help[0], d->help + 1);
		if (d->type == TUN_STR)
			printf("Default\n.Cm %s .\n", v);
		else if (d->type == TUN_BOOL)
			printf("Default %s; 0 or 1.\n", v);
		else
			printf("Default %s; range %u to %u.\n", v, d->min, d->max);
	}
	puts(".El");
	return 0;
}
C
${CC:-gcc} -std=gnu11 -D_GNU_SOURCE -Iuser -Iinclude "$tmp/gen.c" \
	"$BUILD/libxtcp-engine.a" -o "$tmp/gen"
"$tmp/gen" >"$tmp/out"

if [ "${1:-}" = --update ]; then
	f=$2
	awk -v gen="$tmp/out" '
		/^\.\\" BEGIN TUNABLES/ { print; while ((getline l < gen) > 0) print l; skip = 1; next }
		/^\.\\" END TUNABLES/ { skip = 0 }
		!skip { print }' "$f" >"$tmp/new"
	cat "$tmp/new" >"$f"
else
	cat "$tmp/out"
fi
