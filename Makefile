# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# moat: build the daemon, its BPF programs, its tests and its demo.

VERSION ?= 0.1.0
OUTPUT := .output
PREFIX ?= /usr/local
DESTDIR ?=

CC ?= gcc
CLANG ?= clang
# Ubuntu's bpftool is a wrapper that wants tools for the running kernel;
# any version generates skeletons, so take whichever one runs.
BPFTOOL ?= $(shell bpftool version >/dev/null 2>&1 && echo bpftool || \
	ls /usr/lib/linux-tools/*/bpftool /usr/lib/linux-tools-*/bpftool \
	2>/dev/null | tail -1)
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wformat-signedness \
	-Wstrict-prototypes -Wmissing-prototypes -Wold-style-definition \
	-Wundef -Wpointer-arith -Wvla -Wcast-qual -Wwrite-strings \
	-Wimplicit-fallthrough -Wno-unused-parameter
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 $(WARNINGS) -D_GNU_SOURCE -DMOAT_VERSION='"$(VERSION)"' \
	-fstack-protector-strong -D_FORTIFY_SOURCE=2
# Generated headers are not ours to lint: include them as system headers.
INCLUDES := -isystem $(OUTPUT) -Isrc -Ibpf
LDLIBS := -lbpf -lelf -lz

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Wextra \
	-Werror -Wshadow -Wno-unused-parameter -Wdeclaration-after-statement
# Let BPF code find asm/ headers the way the host compiler does.
CLANG_BPF_SYS_INCLUDES := $(shell $(CLANG) -v -E - </dev/null 2>&1 | \
	sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')

SRCS := $(wildcard src/*.c)
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
OBJS := $(patsubst src/%.c,$(OUTPUT)/%.o,$(SRCS))
LIB_OBJS := $(patsubst src/%.c,$(OUTPUT)/%.o,$(LIB_SRCS))
BPF_HDRS := bpf/moat.h $(wildcard bpf/lib/*.h)
SKELS := $(OUTPUT)/moat.skel.h

# Unit tests run with AddressSanitizer and UndefinedBehaviorSanitizer.
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
SAN_OBJS := $(patsubst src/%.c,$(OUTPUT)/san/%.o,$(LIB_SRCS))
UNIT_TESTS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,\
	$(wildcard tests/unit/test_*.c))
BPF_TESTS := $(patsubst tests/bpf/%.c,$(OUTPUT)/tests/%,\
	$(wildcard tests/bpf/test_*.c))
FUZZERS := $(patsubst tests/fuzz/%.c,$(OUTPUT)/fuzz/%,\
	$(wildcard tests/fuzz/fuzz_*.c))
BENCHES := $(patsubst bench/%.c,$(OUTPUT)/bench/%,\
	$(wildcard bench/bench_*.c))

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.PHONY: all static check bench unit-tests bpf-tests fuzzers format-check \
	install uninstall demo deps clean
all: moat

moat: $(OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# One file that runs on any glibc-based runner of its architecture: what
# the release ships. The BPF object is inside, in the skeleton.
static: moat-static
moat-static: $(OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -static $^ \
		$$(pkg-config --static --libs libbpf 2>/dev/null || \
		echo $(LDLIBS)) -o $@

$(OUTPUT) $(OUTPUT)/san $(OUTPUT)/tests $(OUTPUT)/fuzz $(OUTPUT)/bench:
	$(Q)mkdir -p $@

# vmlinux.h is generated from the running kernel's BTF, which every kernel
# moat supports carries; CO-RE relocates the programs onto other kernels.
$(OUTPUT)/vmlinux.h: | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(OUTPUT)/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -I$(OUTPUT) -Ibpf $(CLANG_BPF_SYS_INCLUDES) \
		-c $< -o $(@:.bpf.o=.tmp.bpf.o)
	$(Q)$(BPFTOOL) gen object $@ $(@:.bpf.o=.tmp.bpf.o)

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(notdir $*)_bpf > $@

$(OUTPUT)/%.o: src/%.c $(wildcard src/*.h) $(SKELS) | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -c $< -o $@

$(OUTPUT)/san/%.o: src/%.c $(wildcard src/*.h) $(SKELS) | $(OUTPUT)/san
	$(call msg,CC-SAN,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN) $(INCLUDES) -c $< -o $@

# The daemon itself under both sanitizers, for a second run of the lab.
# It keeps the name moat: wait-ready and stop know the daemon by it.
SAN_MOAT := $(OUTPUT)/san/moat
$(SAN_MOAT): $(SAN_OBJS) $(OUTPUT)/san/main.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN) $^ $(LDLIBS) -o $@

$(OUTPUT)/tests/%: tests/unit/%.c tests/test.h $(SAN_OBJS) | $(OUTPUT)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN) $(INCLUDES) -Itests $< $(SAN_OBJS) \
		$(LDLIBS) -o $@

$(OUTPUT)/tests/%: tests/bpf/%.c tests/test.h tests/pktgen.h tests/bpf/fixture.h \
		$(LIB_OBJS) | $(OUTPUT)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -Itests $< $(LIB_OBJS) $(LDLIBS) -o $@

# Fuzzers build the parsers they exercise straight from source, with
# clang's libFuzzer and both sanitizers.
FUZZ_CFLAGS := -g -O1 -std=gnu11 -D_GNU_SOURCE -DMOAT_VERSION='"fuzz"' \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	$(INCLUDES)
FUZZ_dns_SRCS := src/dns.c src/addr.c src/cache.c src/htable.c
FUZZ_json_SRCS := src/json.c
FUZZ_diag_SRCS := src/diag.c src/json.c
FUZZ_policy_SRCS := src/policy.c src/policy_file.c src/hostmatch.c \
	src/portset.c src/json.c src/addr.c
.SECONDEXPANSION:
$(OUTPUT)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $$(FUZZ_$$*_SRCS) \
		$(wildcard src/*.h) | $(OUTPUT)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $< $(FUZZ_$*_SRCS) -o $@

# Benchmarks link the daemon's objects, built as the release is (-O2).
$(OUTPUT)/bench/%: bench/%.c bench/bench.h tests/pktgen.h $(LIB_OBJS) \
		| $(OUTPUT)/bench
	$(call msg,BENCH,$@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -Itests -Ibench $< $(LIB_OBJS) \
		$(LDLIBS) -o $@

unit-tests: $(UNIT_TESTS)
bpf-tests: $(BPF_TESTS)
fuzzers: $(FUZZERS)

# The whole suite: unit tests under sanitizers, BPF tests, fuzzers, the
# network-namespace lab and the format check. Needs root for the BPF and
# lab parts; they skip with a reason without it.
check:
	$(Q)scripts/install-deps.sh
	$(Q)$(MAKE) --no-print-directory moat $(SAN_MOAT) unit-tests \
		bpf-tests fuzzers
	$(Q)tests/run.sh

# Benchmarks, side by side in one run: a markdown report on stdout and
# in bench/results/latest.md. They time things, so they are not tests.
bench:
	$(Q)scripts/install-deps.sh --bench
	$(Q)$(MAKE) --no-print-directory moat $(BENCHES)
	$(Q)bench/run.sh

format-check:
	$(Q)scripts/check-format.sh

demo:
	$(Q)scripts/install-deps.sh
	$(Q)$(MAKE) --no-print-directory moat
	$(Q)tests/lab/demo.sh

deps:
	$(Q)scripts/install-deps.sh

install: moat
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 moat $(DESTDIR)$(PREFIX)/bin/moat

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/moat

clean:
	rm -rf $(OUTPUT) moat moat-static

.DELETE_ON_ERROR:
.SECONDARY:
