# flowmage — build, test, install.   `make help` lists the targets.
#
# Everything is built under $(BUILD) (default build/); `make check` builds a
# second, sanitized copy under $(BUILD)-check and runs every test with it.

BUILD   ?= build
PREFIX  ?= /usr/local
DESTDIR ?=
CC      := gcc
CXX     := g++
CLANG   ?= clang
OPT     ?= -O2 -g
SAN     ?= 0
# CI builds with -Werror (.ci/run sets CI); locally warnings stay warnings.
WERROR  ?= $(if $(CI),1,0)
FUZZ_TIME ?= 60

PLUGIN_DIR := $(shell $(CC) -print-file-name=plugin)
# dpdk-dev: dpdk-testpmd, DPDK's own flow rule parser, checks every rules
# file the tests write (tests/sh/test_rules_testpmd.sh)
DEB_PKGS := gcc g++ make gcc-12-plugin-dev libcurl4-openssl-dev libcjson-dev \
            libelf-dev libpcap-dev zlib1g-dev clang libclang-rt-14-dev dpdk-dev

WARN     := -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror)
SAN_ON   := -fsanitize=address -fsanitize=undefined -fsanitize=float-cast-overflow \
            -fno-omit-frame-pointer -fno-sanitize-recover=undefined,float-cast-overflow
SANFLAGS := $(if $(filter 1,$(SAN)),$(SAN_ON))
# Link-time optimisation: summarize's hot loops call across stages (about
# 5% of its time); not in the sanitized build, which is for finding bugs.
LTO      ?= $(if $(filter 1,$(SAN)),,-flto=auto)
# -I. : a header of another folder is named from the top, "common/json.h".
CPPFLAGS_FM := -Iinclude -I. -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
CFLAGS_FM   := -std=c11 $(OPT) $(LTO) $(WARN) $(SANFLAGS) -MMD -MP
# libcurl and libpcap are opened when first used (common/dynlib.h); tests
# that write traces call libpcap themselves.
LDLIBS_FM   := -lelf -lcjson -lz -lm -lpthread

LIB_SRC    := $(sort $(wildcard common/*.c summarize/*.c llm/*.c solver/*.c solver/click/*.c solver/rss/*.c check/*.c simulate/*.c))
CLI_SRC    := $(sort $(wildcard cli/*.c))
PLUGIN_SRC := $(sort $(wildcard plugin/*.cc))
TEST_SRC   := $(sort $(wildcard tests/unit/test_*.c))
TSUP_SRC   := $(sort $(wildcard tests/unit/support/*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
LIB_OBJ  := $(call obj,$(LIB_SRC))
CLI_OBJ  := $(call obj,$(CLI_SRC))
TSUP_OBJ := $(call obj,$(TSUP_SRC))
TEST_OBJ := $(call obj,$(TEST_SRC))
TEST_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRC))
# T=substring: only the tests whose name contains it are built and run.
TEST_SEL := $(if $(T),$(foreach b,$(TEST_BIN),$(if $(findstring $(T),$(notdir $(b))),$(b))),$(TEST_BIN))
# make -jN runs N tests at a time too (-j alone: one per core).
JOBS_FLAG = $(filter -j%,$(MAKEFLAGS))
TEST_JOBS = $(if $(JOBS_FLAG),$(or $(patsubst -j%,%,$(firstword $(JOBS_FLAG))),$(shell nproc)),1)

FLOWMAGE := $(BUILD)/flowmage
PLUGIN   := $(BUILD)/flowmage.so
LIBFM    := $(BUILD)/libflowmage.a

.PHONY: all help deps check run-tests tests demo bench fuzz install \
        uninstall clean regen-golden
.DEFAULT_GOAL := all

all: $(FLOWMAGE) $(PLUGIN)

help:
	@echo "make            build the flowmage CLI and the GCC plugin into $(BUILD)/"
	@echo "make deps       install the missing Debian packages (apt-get)"
	@echo "make demo       deps + build + run the whole pipeline on examples/"
	@echo "make check      run every test (sanitized build in $(BUILD)-check/);"
	@echo "                T=NAME: only tests whose name contains NAME; -jN: N at a time"
	@echo "make bench      benchmarks; each prints a ratio measured in the same run"
	@echo "make fuzz       run every fuzz harness FUZZ_TIME=$(FUZZ_TIME) s (F=\"attrs nic\": some)"
	@echo "make install    install into DESTDIR/PREFIX and GCC's plugin directory"
	@echo "make regen-golden   rewrite golden files after a reviewed change"

deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all Debian packages present"; exit 0; fi; \
	echo "deps: installing$$missing"; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi; \
	$$sudo apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing

# ---- library, CLI, plugin ----

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_FM) $(CFLAGS_FM) $(CFLAGS) -c $< -o $@

$(LIBFM): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && gcc-ar rcs $@ $^

$(FLOWMAGE): $(CLI_OBJ) $(LIBFM)
	$(CC) $(CFLAGS_FM) $(CFLAGS) $(LDFLAGS) $(CLI_OBJ) $(LIBFM) $(LDLIBS_FM) -o $@

# The plugin is C-like C++ against GCC's own headers: -fno-rtti like cc1plus,
# never sanitized (it runs inside the compiler).
PLUGIN_CXXFLAGS := -std=gnu++17 -fPIC -fno-rtti -fno-exceptions -O2 -g \
                   -Wall -Wextra -Wno-unused-parameter $(if $(filter 1,$(WERROR)),-Werror) \
                   -Iinclude -I$(PLUGIN_DIR)/include
PLUGIN_OBJ := $(patsubst %.cc,$(BUILD)/obj/%.o,$(PLUGIN_SRC))

$(BUILD)/obj/plugin/%.o: plugin/%.cc
	@mkdir -p $(dir $@)
	$(CXX) $(PLUGIN_CXXFLAGS) -MMD -MP -c $< -o $@

$(PLUGIN): $(PLUGIN_OBJ)
	$(CXX) -shared $(PLUGIN_OBJ) -lz -o $@

# ---- tests ----

# Test objects are compiled once and kept (.SECONDARY: make would delete
# them as intermediate files, and then relink every test on the next run).
.SECONDARY: $(TEST_OBJ) $(TSUP_OBJ)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(TSUP_OBJ) $(LIBFM)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_FM) $(CFLAGS) $(LDFLAGS) $< $(TSUP_OBJ) $(LIBFM) $(LDLIBS_FM) -lpcap -o $@

# The fixtures compiled with the plugin, once per level, shared by tests.
FIXTURE_LEVELS := O0 O2 O3
FIXTURE_SRC := $(shell find tests/fixtures -type f \( -name '*.cc' -o -name '*.c' -o -name '*.hh' -o -name '*.h' -o -name '*.sh' \))
FIXTURES := $(foreach l,$(FIXTURE_LEVELS),$(BUILD)/fixtures/$(l)/.built)

$(BUILD)/fixtures/%/.built: $(PLUGIN) $(FIXTURE_SRC)
	@rm -rf $(dir $@) && mkdir -p $(dir $@)
	sh tests/fixtures/build.sh $(abspath $(dir $@)) -fplugin=$(abspath $(PLUGIN)) -$*
	@touch $@

tests: all $(TEST_SEL) $(FIXTURES)

# T=substring runs only the tests whose name contains it.
run-tests: tests
	@FM_BUILD=$(abspath $(BUILD)) FM_ROOT=$(CURDIR) CLANG=$(CLANG) sh tests/run.sh -j $(TEST_JOBS) $(T)

# The wall time of the whole run is the last line.
check:
	@start=$$(date +%s.%N); \
	$(MAKE) --no-print-directory BUILD=$(BUILD)-check SAN=1 run-tests T=$(T); rc=$$?; \
	awk -v a="$$start" -v b="$$(date +%s.%N)" 'BEGIN { printf "make check: %.1f s wall\n", b - a }'; \
	exit $$rc

regen-golden: all
	@FM_BUILD=$(abspath $(BUILD)) FM_ROOT=$(CURDIR) FM_REGEN=1 sh tests/run.sh golden

# ---- the main job ----

demo: deps
	@$(MAKE) --no-print-directory all
	@FM_BUILD=$(abspath $(BUILD)) sh examples/demo.sh

bench: all
	@FM_BUILD=$(abspath $(BUILD)) FM_ROOT=$(CURDIR) sh bench/run.sh $(B)

fuzz:
	@FM_BUILD=$(abspath $(BUILD)) CLANG=$(CLANG) FUZZ_TIME=$(FUZZ_TIME) sh tests/fuzz/run.sh $(F)

# ---- install ----

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/flowmage \
	           $(DESTDIR)$(PREFIX)/share/flowmage/profiles/nics \
	           $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PLUGIN_DIR)
	install -m 755 $(FLOWMAGE) $(DESTDIR)$(PREFIX)/bin/flowmage
	install -m 644 $(PLUGIN) $(DESTDIR)$(PREFIX)/lib/flowmage/flowmage.so
	install -m 644 $(PLUGIN) $(DESTDIR)$(PLUGIN_DIR)/flowmage.so
	install -m 644 profiles/*.json $(DESTDIR)$(PREFIX)/share/flowmage/profiles/
	install -m 644 profiles/nics/*.json $(DESTDIR)$(PREFIX)/share/flowmage/profiles/nics/
	install -m 644 docs/flowmage.1 $(DESTDIR)$(PREFIX)/share/man/man1/flowmage.1

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/flowmage $(DESTDIR)$(PLUGIN_DIR)/flowmage.so \
	      $(DESTDIR)$(PREFIX)/share/man/man1/flowmage.1
	rm -rf $(DESTDIR)$(PREFIX)/lib/flowmage $(DESTDIR)$(PREFIX)/share/flowmage

clean:
	rm -rf $(BUILD) $(BUILD)-check

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(PLUGIN_OBJ:.o=.d) $(TSUP_OBJ:.o=.d) \
         $(TEST_OBJ:.o=.d)
