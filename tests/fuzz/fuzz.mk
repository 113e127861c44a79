# fuzz.mk -- builds herd's libFuzzer targets with clang into build-fuzz/.
#
#   make -f tests/fuzz/fuzz.mk          (run from the repository root;
#                                        tests/fuzz/run.sh does this)
#
# The code under test is compiled with coverage instrumentation
# (-fsanitize=fuzzer-no-link) plus ASan and UBSan; each fuzz_*.c is linked
# with -fsanitize=fuzzer, which brings libFuzzer's main().  Objects live
# in build-fuzz/, apart from build/ and build-sanitize/.
#
# Each target links only the objects it exercises (listed below), so a
# half-written file elsewhere in shared/ or proxy/ cannot break the fuzz
# build.

CLANG      ?= clang
FUZZ_BUILD ?= build-fuzz

FUZZ_SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS   := -std=gnu11 -O1 -g -fno-omit-frame-pointer $(FUZZ_SANITIZE) \
                 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE -I.

TARGETS := fuzz_resp fuzz_arguments fuzz_config fuzz_framer fuzz_glob

# What each target links besides its own fuzz_*.c.
fuzz_resp_OBJ      := shared/resp.o shared/arguments.o shared/number.o
fuzz_arguments_OBJ := shared/arguments.o
fuzz_config_OBJ    := shared/config-sandboxed.o shared/arguments.o
fuzz_framer_OBJ    := proxy/framer.o
fuzz_glob_OBJ      := shared/glob.o

fuzz_resp_LIBS      :=
fuzz_arguments_LIBS :=
fuzz_config_LIBS    :=
fuzz_framer_LIBS    := -lhiredis -levent
fuzz_glob_LIBS      :=

BINARIES := $(TARGETS:%=$(FUZZ_BUILD)/%)

.PHONY: all
all: $(BINARIES)

# Code under test: coverage-instrumented, not linked with libFuzzer yet.
$(FUZZ_BUILD)/%.o: %.c tests/fuzz/fuzz.mk
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

# The fuzz targets themselves: sanitized but without coverage, so that
# libFuzzer steers by the code under test only, and the reference
# checks in the targets run at full speed.
$(FUZZ_BUILD)/tests/fuzz/%.o: tests/fuzz/%.c tests/fuzz/fuzz.mk
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

# config.o with its calls to fopen() renamed to sandboxed_fopen(), so that
# `include` lines cannot leave fuzz_config's private directory (only
# config.o's calls: libFuzzer itself still writes its files with fopen).
$(FUZZ_BUILD)/shared/config-sandboxed.o: $(FUZZ_BUILD)/shared/config.o
	objcopy --redefine-sym fopen=sandboxed_fopen $< $@

.SECONDEXPANSION:
$(BINARIES): $(FUZZ_BUILD)/%: $(FUZZ_BUILD)/tests/fuzz/%.o $$(addprefix $(FUZZ_BUILD)/,$$($$*_OBJ))
	$(CLANG) $(FUZZ_SANITIZE) -fsanitize=fuzzer -o $@ $^ $($*_LIBS)

ALL_OBJ := $(foreach target,$(TARGETS),$(FUZZ_BUILD)/tests/fuzz/$(target).o \
             $(addprefix $(FUZZ_BUILD)/,$($(target)_OBJ)))
-include $(sort $(ALL_OBJ:.o=.d))
