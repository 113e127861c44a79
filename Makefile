# herd — build, test, run and benchmark.
#
#   make               build herd-node and herd-proxy into build/
#   make SANITIZE=1    the same with ASan+UBSan, into build-sanitize/
#   make test          install what is missing, build, run every test
#   make run           install what is missing, build, start 1 proxy + 3 nodes
#   make bench         benchmarks against redis-server and nutcracker
#   make fuzz          libFuzzer runs of the parsers (FUZZ_SECONDS each)
#   make bench-storage the storage micro-benchmark (bench/results/storage-latest.md)

CC       ?= cc
SANITIZE ?= 0

ifeq ($(SANITIZE),1)
BUILD    := build-sanitize
OPTIMIZE := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDSAN    := -fsanitize=address,undefined
else
BUILD    := build
OPTIMIZE := -O2 -g
LDSAN    :=
endif

CFLAGS_ALL := -std=gnu11 $(OPTIMIZE) -Wall -Wextra -Werror -Wno-unused-parameter \
              -D_GNU_SOURCE -I. $(CFLAGS)
LIBS       := -levent -levent_pthreads -levent_openssl -lhiredis -ltokyocabinet \
              -lssl -lcrypto -lz -lpthread -lm
LDFLAGS_ALL := $(LDSAN) $(LDFLAGS)

SHARED_SRC := $(sort $(wildcard shared/*.c))
NODE_SRC   := $(sort $(wildcard node/*.c))
PROXY_SRC  := $(sort $(wildcard proxy/*.c))
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))

SHARED_OBJ := $(SHARED_SRC:%.c=$(BUILD)/%.o)
NODE_OBJ   := $(NODE_SRC:%.c=$(BUILD)/%.o)
PROXY_OBJ  := $(PROXY_SRC:%.c=$(BUILD)/%.o)
# Unit tests of node or proxy code link everything but their main.c.
NODE_LIB_OBJ  := $(filter-out $(BUILD)/node/main.o,$(NODE_OBJ))
PROXY_LIB_OBJ := $(filter-out $(BUILD)/proxy/main.o,$(PROXY_OBJ))
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps test unit run bench clean fuzz

all: $(BUILD)/herd-node $(BUILD)/herd-proxy $(UNIT_BIN)

deps:
	@bash scripts/install-deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(BUILD)/herd-node: $(NODE_OBJ) $(SHARED_OBJ)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

$(BUILD)/herd-proxy: $(PROXY_OBJ) $(SHARED_OBJ)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

# tests/unit/test_node_*.c link the node's objects, test_proxy_*.c the
# proxy's, every other test only shared/.
$(BUILD)/tests/test_node_%: $(BUILD)/tests/unit/test_node_%.o $(SHARED_OBJ) $(NODE_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS) -lcmocka

$(BUILD)/tests/test_proxy_%: $(BUILD)/tests/unit/test_proxy_%.o $(SHARED_OBJ) $(PROXY_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS) -lcmocka

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(SHARED_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS) -lcmocka

test: deps
	@$(MAKE) --no-print-directory all
	@BUILD_DIR=$(BUILD) bash tests/run-all.sh

unit: all
	@BUILD_DIR=$(BUILD) bash tests/run-all.sh --unit-only

run: deps
	@$(MAKE) --no-print-directory all
	@BUILD_DIR=$(BUILD) bash scripts/run-cluster.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@BUILD_DIR=$(BUILD) bash bench/run.sh

# The storage micro-benchmark (bench/storage_bench.c, linked with the node's
# objects): writes bench/results/storage-latest.md.  Not part of `make test`.
.PHONY: bench-storage

bench-storage:
	@$(MAKE) --no-print-directory $(BUILD)/bench/storage_bench
	@BUILD_DIR=$(BUILD) bash bench/storage.sh

$(BUILD)/bench/storage_bench: $(BUILD)/bench/storage_bench.o $(SHARED_OBJ) $(NODE_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

# libFuzzer targets (clang, into build-fuzz/): FUZZ_SECONDS per target.
fuzz: deps
	@bash tests/fuzz/run.sh

clean:
	rm -rf build build-sanitize build-fuzz

-include $(SHARED_OBJ:.o=.d) $(NODE_OBJ:.o=.d) $(PROXY_OBJ:.o=.d) $(UNIT_BIN:$(BUILD)/tests/%=$(BUILD)/tests/unit/%.d)
-include $(BUILD)/bench/storage_bench.d
