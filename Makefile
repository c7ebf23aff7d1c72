# xtcp build. `make` builds everything; `make test` runs every test tier;
# `make demo` shows it working; `make SAN=1 ...` builds with ASan and UBSan
# into a separate tree; `make V=1` shows the commands.

CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

ifeq ($(SAN),1)
BUILD ?= build/san
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
else
BUILD ?= build
SANFLAGS =
endif

# Install missing Debian packages before anything that needs them.
DEPS_STAMP := $(BUILD)/.deps-ok

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
	  -Wmissing-prototypes -Wstrict-prototypes -Wshadow -Wvla \
	  -D_GNU_SOURCE -Iinclude -Iuser -Itests/lib -I$(BUILD) $(SANFLAGS)
LDFLAGS += $(SANFLAGS)

# -mcpu=v3: the fast-path ACK slots need BPF atomics that return a value
# (compare-and-swap, fetch-add), kernel 5.12 and later.
BPF_CFLAGS = -target bpf -mcpu=v3 -O2 -g -Wall -Werror -Iinclude -I. -I$(BUILD) \
	     -D__TARGET_ARCH_x86

# --- sources -----------------------------------------------------------------
# Files are discovered, so adding a module or a test needs no Makefile edit.
WIRE_SRCS   := $(sort $(wildcard user/wire/*.c))
STACK_SRCS  := $(sort $(wildcard user/stack/*.c user/stack/cc/*.c))
ENGINE_SRCS := $(WIRE_SRCS) $(STACK_SRCS)
ENGINE_OBJS := $(ENGINE_SRCS:%.c=$(BUILD)/%.o)
ENGINE_LIB  := $(BUILD)/libxtcp-engine.a

# The daemon's modules (all but its main) as a library, so unit tests link
# them; main.c becomes xtcpd.
DAEMON_SRCS := $(filter-out user/daemon/main.c,$(sort $(wildcard user/daemon/*.c)))
DAEMON_OBJS := $(DAEMON_SRCS:%.c=$(BUILD)/%.o)
DAEMON_LIB  := $(BUILD)/libxtcp-daemon.a
DAEMON_LIBS := $(shell pkg-config --libs inih jansson libmnl 2>/dev/null || echo -linih -ljansson -lmnl)

# AF_XDP sockets, UMEM, XDP attach (user/io) as a library for xtcpd and the
# namespace tests' programs (tests/ns/*.c, each a main()).
IO_SRCS     := $(sort $(wildcard user/io/*.c))
IO_OBJS     := $(IO_SRCS:%.c=$(BUILD)/%.o)
IO_LIB      := $(BUILD)/libxtcp-io.a
XDP_LIBS    := $(shell pkg-config --libs libxdp libbpf 2>/dev/null || echo -lxdp -lbpf) -lelf -lz
NSPROG_SRCS := $(sort $(wildcard tests/ns/*.c))
NSPROG_BINS := $(NSPROG_SRCS:tests/ns/%.c=$(BUILD)/tests/ns/%)

# libxtcp (user/lib), the applications' side of the socket API: a shared
# and a static library from the same position-independent objects, and a
# pkg-config file. examples/*.c are the man page's examples over it.
LIB_SRCS    := $(filter-out user/lib/preload.c,$(sort $(wildcard user/lib/*.c)))
LIB_OBJS    := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB_SO      := $(BUILD)/libxtcp.so
LIB_A       := $(BUILD)/libxtcp.a
LIB_PC      := $(BUILD)/xtcp.pc
# The LD_PRELOAD shim over the same objects, and xtcp-run next to it.
PRELOAD_SO  := $(BUILD)/libxtcp_preload.so
PRELOAD_RUN := $(BUILD)/xtcp-run
EXAMPLE_SRCS := $(sort $(wildcard examples/*.c))
EXAMPLE_BINS := $(EXAMPLE_SRCS:examples/%.c=$(BUILD)/xtcp-example-%)
PREFIX      ?= /usr/local

BPF_SRCS    := $(sort $(wildcard bpf/*.bpf.c))
BPF_OBJS    := $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/bpf/%.bpf.o)
BPF_SKELS   := $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/bpf/%.skel.h)

UNIT_SRCS   := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS   := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
BPFT_SRCS   := $(sort $(wildcard tests/bpf/test_*.c))
BPFT_BINS   := $(BPFT_SRCS:tests/bpf/%.c=$(BUILD)/tests/bpf/%)
# Helpers shared by test programs (not tests themselves).
TESTLIB_SRCS := $(sort $(wildcard tests/lib/*.c))
TESTLIB_OBJS := $(TESTLIB_SRCS:%.c=$(BUILD)/%.o)

# Programs: one directory per program under tools/ or user/, each a main().
SIM_SRCS    := $(sort $(wildcard tests/sim/*.c))

CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)
BPF_LIBS    := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz)
CRYPTO_LIBS := $(shell pkg-config --libs libcrypto 2>/dev/null || echo -lcrypto)

PROGS :=
ifneq ($(SIM_SRCS),)
PROGS += $(BUILD)/xtcp-sim
endif

# Each tools/<name>/ directory holding C files is one program, $(BUILD)/<name>,
# linked with the daemon's and the engine's libraries.
TOOL_NAMES  := $(sort $(patsubst tools/%/,%,$(dir $(wildcard tools/*/*.c))))
PROGS += $(TOOL_NAMES:%=$(BUILD)/%) $(BUILD)/xtcpd

.PHONY: all deps test test-unit test-bpf test-ns demo bench clean format format-check fuzz
.DEFAULT_GOAL := all
# Keep objects the pattern rules make on the way (no rebuild on every run).
.PRECIOUS: $(BUILD)/%.o $(BUILD)/bpf/%.bpf.o $(BUILD)/bpf/%.skel.h

all: $(DEPS_STAMP) $(ENGINE_LIB) $(DAEMON_LIB) $(BPF_OBJS) $(PROGS) $(UNIT_BINS) $(BPFT_BINS) \
	$(IO_LIB) $(NSPROG_BINS) $(LIB_SO) $(LIB_A) $(LIB_PC) $(EXAMPLE_BINS) \
	$(PRELOAD_SO) $(PRELOAD_RUN) \
	$(BUILD)/benchtool-xtcp

deps: $(DEPS_STAMP)
$(DEPS_STAMP): tools/install-deps.sh
	$(Q)tools/install-deps.sh -q
	$(Q)mkdir -p $(@D) && touch $@

# --- userspace ---------------------------------------------------------------
$(BUILD)/%.o: %.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(ENGINE_LIB): $(ENGINE_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(DAEMON_LIB): $(DAEMON_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(TESTLIB_OBJS) $(DAEMON_LIB) $(ENGINE_LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(CMOCKA_LIBS) $(DAEMON_LIBS) $(CRYPTO_LIBS)

define tool_rule
$$(BUILD)/$(1): $$(patsubst %.c,$$(BUILD)/%.o,$$(sort $$(wildcard tools/$(1)/*.c))) $$(DAEMON_LIB) $$(ENGINE_LIB)
	$$(call msg,LD,$$@)
	$$(Q)$$(CC) $$(LDFLAGS) $$^ -o $$@ $$(DAEMON_LIBS) $$(CRYPTO_LIBS)
endef
$(foreach t,$(TOOL_NAMES),$(eval $(call tool_rule,$(t))))

$(IO_LIB): $(IO_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# attach.c embeds the XDP program through its skeleton.
$(BUILD)/user/io/attach.o: $(BUILD)/bpf/xtcp.skel.h

# The UMEM allocator is tested alone: no socket, no libxdp.
$(BUILD)/tests/unit/test_umem: $(BUILD)/user/io/umem.o

# libxtcp against the daemon's application side in one process.
$(BUILD)/tests/unit/test_fork_session: $(LIB_A)

# xtcpd: the daemon's main over its modules, the io library and the engine.
$(BUILD)/xtcpd: $(BUILD)/user/daemon/main.o $(DAEMON_LIB) $(IO_LIB) $(ENGINE_LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(DAEMON_LIBS) $(XDP_LIBS) $(CRYPTO_LIBS)

$(BUILD)/tests/ns/%: $(BUILD)/tests/ns/%.o $(DAEMON_LIB) $(IO_LIB) $(ENGINE_LIB) $(LIB_A)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(DAEMON_LIBS) $(XDP_LIBS) $(CRYPTO_LIBS) -lpthread

$(LIB_OBJS): CFLAGS += -fPIC

$(LIB_SO): $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -shared -Wl,-soname,libxtcp.so $^ -o $@ -lpthread

$(LIB_A): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/user/lib/preload.o: CFLAGS += -fPIC

$(PRELOAD_SO): $(BUILD)/user/lib/preload.o $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -shared $^ -o $@ -ldl -lpthread

$(PRELOAD_RUN): tools/xtcp-run
	$(call msg,INSTALL,$@)
	$(Q)mkdir -p $(@D) && install -m 755 $< $@

$(LIB_PC): Makefile
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$${prefix}/lib' \
		'includedir=$${prefix}/include' '' 'Name: xtcp' \
		'Description: POSIX sockets over the xtcp TCP/IP stack (xtcpd)' \
		'Version: 0.1' 'Libs: -L$${libdir} -lxtcp' \
		'Libs.private: -lpthread' 'Cflags: -I$${includedir}' >$@

# The examples link libxtcp statically: they run from the build tree.
$(BUILD)/xtcp-example-%: $(BUILD)/examples/%.o $(LIB_A)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ -lpthread

# The benchmark's tool again, over libxtcp (tools/benchtool is the socket API
# build): the same source, so Linux and xtcp run the same code.
$(BUILD)/tools/benchtool/benchtool-xtcp.o: tools/benchtool/benchtool.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -DBENCH_XTCP -MMD -MP -c $< -o $@

$(BUILD)/benchtool-xtcp: $(BUILD)/tools/benchtool/benchtool-xtcp.o $(LIB_A)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ -lpthread

$(BUILD)/xtcp-sim: $(SIM_SRCS:%.c=$(BUILD)/%.o) $(ENGINE_LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(CRYPTO_LIBS) -lm

# --- BPF ---------------------------------------------------------------------
# Generated from the running kernel's BTF. Builds with different BUILD trees
# may race to make it: each writes its own temporary file and renames it,
# so the file is always whole.
vmlinux.h: | $(DEPS_STAMP)
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.$$$$.tmp && mv $@.$$$$.tmp $@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c vmlinux.h | $(DEPS_STAMP)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

# BPF tests include the skeletons of the programs they load.
$(BPFT_SRCS:tests/bpf/%.c=$(BUILD)/tests/bpf/%.o): $(BPF_SKELS)

# ...and link the io library (the fast-path slot accessors, user/io/fastpath.c).
$(BUILD)/tests/bpf/%: $(BUILD)/tests/bpf/%.o $(TESTLIB_OBJS) $(IO_LIB) $(ENGINE_LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(CMOCKA_LIBS) $(BPF_LIBS) $(CRYPTO_LIBS)

# --- tests -------------------------------------------------------------------
# tests/run.sh runs each tier, prints cmocka's summaries and ends with one line
# over all tiers: "N passed, N failed[, N skipped]".
test: all
	$(Q)BUILD=$(BUILD) tests/run.sh all
test-unit: all
	$(Q)BUILD=$(BUILD) tests/run.sh unit
test-bpf: all
	$(Q)BUILD=$(BUILD) tests/run.sh bpf
test-ns: all
	$(Q)BUILD=$(BUILD) tests/run.sh ns

demo: all
	$(Q)BUILD=$(BUILD) tools/demo.sh

# Linux TCP and xtcp side by side (tools/bench/bench.sh); not part of test.
# BENCH_ARGS=--long for longer runs.
bench: all
	$(Q)BUILD=$(BUILD) tools/bench/bench.sh $(BENCH_ARGS)

# --- fuzzing -----------------------------------------------------------------
# libFuzzer targets under ASan and UBSan, built with clang from the sources
# (not the gcc objects). `make fuzz` runs each for FUZZ_SECONDS.
FUZZ_SECONDS ?= 300
FUZZ_DIR := build/fuzz
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_DIR)/%)
FUZZ_CFLAGS = -g -O1 -std=gnu11 -D_GNU_SOURCE -Iinclude -Iuser \
	      -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(ENGINE_SRCS) | $(DEPS_STAMP)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $< $(ENGINE_SRCS) -o $@

fuzz: $(FUZZ_BINS)
	$(Q)for f in $(FUZZ_BINS); do \
		mkdir -p $$f.corpus && \
		echo "  FUZZ     $$f for $(FUZZ_SECONDS) s" && \
		$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		    -artifact_prefix=$(FUZZ_DIR)/ $$f.corpus 2>$$f.log || \
		{ tail -40 $$f.log; exit 1; }; \
		grep -E 'stat::number_of_executed_units|Done' $$f.log | tail -2; \
	done

# --- housekeeping ------------------------------------------------------------
FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null | grep -v '^vmlinux.h$$')

format:
	$(Q)clang-format -i $(FORMAT_FILES)

format-check:
	$(call msg,FORMAT,check)
	$(Q)clang-format --dry-run -Werror $(FORMAT_FILES)

clean:
	$(call msg,CLEAN,build)
	$(Q)rm -rf build vmlinux.h.tmp

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
