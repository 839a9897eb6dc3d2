# mmkit - GNU make build.
#   make            build/libmmkit.a, build/libmmkit.so, build/mmkit
#   make demo       run the seeds' example
#   make test       every test, then again under ASan+UBSan; ends "N passed, N failed"
#   make tsan       the concurrency tests under ThreadSanitizer
#   make clean
CC ?= cc
ifeq ($(origin CC),default)
CC := gcc
endif
O ?= build
SAN ?=
OPT ?= -O2
CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -g $(OPT) -Wall -Wextra -Werror -Wno-unused-parameter \
	-Iinclude -Isrc -fPIC -pthread
ifeq ($(SAN),asan)
CFLAGS_BASE += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS_SAN := -fsanitize=address,undefined
endif
ifeq ($(SAN),tsan)
CFLAGS_BASE += -fsanitize=thread -fno-omit-frame-pointer
LDFLAGS_SAN := -fsanitize=thread
endif
CFLAGS_ALL = $(CFLAGS_BASE) $(CFLAGS)
LDLIBS := -pthread

LIB_SRC := $(sort $(wildcard src/*.c))
LIB_OBJ := $(patsubst src/%.c,$(O)/obj/%.o,$(LIB_SRC))
TOOL_SRC := $(sort $(wildcard tools/*.c))
TOOL_OBJ := $(patsubst tools/%.c,$(O)/tools/%.o,$(TOOL_SRC)) $(O)/tools/demo_scn.o
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_BIN := $(patsubst tests/%.c,$(O)/tests/%,$(TEST_SRC))
LIB_HDRS := $(wildcard include/mmkit/*.h src/*.h)
HDRS := $(LIB_HDRS) $(wildcard tools/*.h tests/*.h fuzz/*.h)

.PHONY: all lib tool tests test test-plain test-asan tsan demo clean bench install uninstall soak test-ui stress fuzz lockdep
VERSION := 0.1.0
PREFIX ?= /usr/local
DESTDIR ?=
all: lib tool

lib: $(O)/libmmkit.a $(O)/libmmkit.so
tool: $(O)/mmkit
tests: $(TEST_BIN) $(O)/mmkit

$(O)/obj/%.o: src/%.c $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<
$(O)/tools/%.o: tools/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<
# the demo plays examples/seeds.scn, compiled into the tool as a string
$(O)/tools/demo_scn.c: examples/seeds.scn
	@mkdir -p $(@D)
	{ echo 'const char mmk_demo_scenario[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; echo ';'; } > $@
$(O)/tools/demo_scn.o: $(O)/tools/demo_scn.c
	$(CC) $(CFLAGS_ALL) -c -o $@ $<
$(O)/libmmkit.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(O)/libmmkit.so: $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libmmkit.so.0 $(LDFLAGS_SAN) -o $@ $^ $(LDLIBS)
$(O)/mmkit: $(TOOL_OBJ) $(O)/libmmkit.a
	$(CC) $(LDFLAGS_SAN) -o $@ $(TOOL_OBJ) $(O)/libmmkit.a $(LDLIBS)
$(O)/tests/%: tests/%.c $(O)/libmmkit.a $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_SAN) -o $@ $< $(O)/libmmkit.a $(LDLIBS)

demo: $(O)/mmkit
	$(O)/mmkit demo

# the whole suite for one build; writes $(O)/results.txt (PASS/FAIL/SKIP lines)
test-plain: tests
	@O=$(O) sh tests/run.sh

test-asan:
	@$(MAKE) --no-print-directory O=build/asan SAN=asan OPT=-O1 test-plain

test:
	@rm -f build/results.txt build/asan/results.txt build/lockdep/results.txt
	@$(MAKE) --no-print-directory test-plain || true
	@$(MAKE) --no-print-directory test-asan || true
	@$(MAKE) --no-print-directory O=build/lockdep CFLAGS=-DMMK_LOCKDEP build/lockdep/tests/test_lockdep > /dev/null
	@O=build/lockdep TESTS=test_lockdep sh tests/run.sh || true
	@sh tests/summary.sh build/results.txt build/asan/results.txt build/lockdep/results.txt

# ThreadSanitizer, with the lock validator on: the concurrency suites and a stress run
tsan:
	@rm -f build/tsan/results.txt
	@$(MAKE) --no-print-directory O=build/tsan SAN=tsan OPT=-O1 CFLAGS=-DMMK_LOCKDEP tests build/tsan/stress
	@O=build/tsan TESTS="test_stress test_slab test_lockdep test_lifecycle test_swap test_memory test_cow" sh tests/run.sh || true
	@if build/tsan/stress -q -n 5000 > build/tsan/stress.out 2>&1; then echo "PASS stress.tsan" >> build/tsan/results.txt; \
	 else echo "FAIL stress.tsan" >> build/tsan/results.txt; tail -30 build/tsan/stress.out; fi
	@sh tests/summary.sh build/tsan/results.txt

# the whole suite with the lock validator (lockdep in miniature) built in
lockdep:
	@rm -f build/lockdep/results.txt
	@$(MAKE) --no-print-directory O=build/lockdep CFLAGS=-DMMK_LOCKDEP tests build/lockdep/stress
	@O=build/lockdep sh tests/run.sh || true
	@if build/lockdep/stress -q -n 5000; then echo "PASS stress.lockdep" >> build/lockdep/results.txt; \
	 else echo "FAIL stress.lockdep" >> build/lockdep/results.txt; fi
	@sh tests/summary.sh build/lockdep/results.txt

# make stress STRESS_ARGS="-t 4 -n 1000000": N threads x M random operations on shared mms
$(O)/stress: stress/stress.c $(O)/libmmkit.a $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_SAN) -o $@ $< $(O)/libmmkit.a $(LDLIBS)
stress: $(O)/stress
	$(O)/stress $(STRESS_ARGS)

# libFuzzer targets (clang; installed with apt-get when missing and possible)
FUZZ_SECONDS ?= 60
fuzz:
	sh fuzz/run.sh $(FUZZ_SECONDS)

# benchmarks: optimised, no sanitizers, assertions compiled out
bench:
	@$(MAKE) --no-print-directory O=build/bench OPT="-O2 -DNDEBUG" build/bench/libmmkit.a
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -DNDEBUG -g -Wall -Wextra -Werror -Wno-unused-parameter -Iinclude -Isrc -pthread -o build/bench/bench bench/bench.c build/bench/libmmkit.a
	$(CC) -std=c11 -O2 -o build/bench/replay_prog tests/replay_prog.c -pthread
	@mkdir -p build
	build/bench/bench -o build/bench.json

# the HTML report in a real browser: installs Debian's chromium when it can
test-ui: $(O)/mmkit
	@if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update && apt-get install -y chromium; \
	  else \
	    echo "test-ui: chromium is missing and cannot be installed here (needs root and apt-get); the browser checks will be SKIPped"; \
	  fi; \
	fi
	@O=$(O) sh tests/test_ui.sh

# make soak SEEDS=N: the differential test against the running kernel, seeds 1..N
soak: $(O)/kdiff_soak
	$(O)/kdiff_soak $(or $(SEEDS),200)
$(O)/kdiff_soak: tests/kdiff_soak.c $(O)/libmmkit.a $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_SAN) -o $@ $< $(O)/libmmkit.a $(LDLIBS)

install: lib tool
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/mmkit \
		$(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 644 $(O)/libmmkit.a $(DESTDIR)$(PREFIX)/lib/libmmkit.a
	install -m 755 $(O)/libmmkit.so $(DESTDIR)$(PREFIX)/lib/libmmkit.so.$(VERSION)
	ln -sf libmmkit.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libmmkit.so.0
	ln -sf libmmkit.so.0 $(DESTDIR)$(PREFIX)/lib/libmmkit.so
	install -m 644 include/mmkit/*.h $(DESTDIR)$(PREFIX)/include/mmkit/
	install -m 755 $(O)/mmkit $(DESTDIR)$(PREFIX)/bin/mmkit
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' mmkit.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/mmkit.pc
	install -m 644 docs/man/mmkit.1 $(DESTDIR)$(PREFIX)/share/man/man1/mmkit.1
	install -m 644 docs/man/mmkit-scenario.5 $(DESTDIR)$(PREFIX)/share/man/man5/mmkit-scenario.5

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/lib/libmmkit.a $(DESTDIR)$(PREFIX)/lib/libmmkit.so \
		$(DESTDIR)$(PREFIX)/lib/libmmkit.so.0 $(DESTDIR)$(PREFIX)/lib/libmmkit.so.$(VERSION) \
		$(DESTDIR)$(PREFIX)/bin/mmkit $(DESTDIR)$(PREFIX)/lib/pkgconfig/mmkit.pc \
		$(DESTDIR)$(PREFIX)/share/man/man1/mmkit.1 $(DESTDIR)$(PREFIX)/share/man/man5/mmkit-scenario.5
	rm -rf $(DESTDIR)$(PREFIX)/include/mmkit

clean:
	rm -rf build
