#!/bin/sh
# fuzz/run.sh [SECONDS] [TARGET...] - build the libFuzzer targets with
# clang (-fsanitize=fuzzer,address,undefined) and run each for SECONDS
# (default 60). Prints executions and crashes per target; exits 1 if any
# target crashed (the input is left in $OUT/crashes/TARGET/).
#
#   targets: api (fuzz_api.c, the system calls against the model),
#            scenario (tools/scenario.c), maps (mmk_import_maps),
#            strace (src/strace.c + mmk_replay), elf (mmk_load_elf_mm,
#            when include/mmkit/binfmt.h exists)
#   FUZZ_OUT=dir     build and working corpora (default build/fuzz)
#   CLANG=clang-14   the compiler to use
#   FUZZ_ARGS=...    more libFuzzer options (e.g. -detect_leaks=0)
# Inputs in fuzz/regressions/TARGET/ (every crash found so far) are replayed
# first and must all pass. Seeds are in fuzz/corpus/TARGET/; new inputs go
# to $OUT/corpus/TARGET/, never into the source tree.
set -u
cd "$(dirname "$0")/.." || exit 2
SECS=${1:-60}
[ $# -gt 0 ] && shift
OUT=${FUZZ_OUT:-build/fuzz}

find_clang() {
	for c in ${CLANG:-} clang clang-19 clang-18 clang-17 clang-16 clang-15 clang-14; do
		command -v "$c" >/dev/null 2>&1 && { echo "$c"; return 0; }
	done
	return 1
}
CC=$(find_clang)
if [ -z "$CC" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "fuzz: no clang; installing it with apt-get"
		apt-get update -qq >/dev/null 2>&1
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang >/dev/null 2>&1
		CC=$(find_clang)
	fi
fi
if [ -z "$CC" ]; then
	echo "SKIP fuzz: clang not found (install clang, or run as root with apt-get)"
	exit 0
fi
mkdir -p "$OUT/obj"
# does this clang have libFuzzer?
printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' > "$OUT/probe.c"
if ! "$CC" -fsanitize=fuzzer "$OUT/probe.c" -o "$OUT/probe" >/dev/null 2>&1; then
	echo "SKIP fuzz: $CC cannot link -fsanitize=fuzzer (libFuzzer missing; apt-get install clang / libclang-rt-dev)"
	exit 0
fi

SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CFLAGS="-std=c11 -D_GNU_SOURCE -g -O1 -Iinclude -Isrc -pthread $SAN"

# the library, instrumented for coverage
objs=""
for f in src/*.c; do
	o="$OUT/obj/$(basename "$f" .c).o"
	if [ ! -f "$o" ] || [ "$f" -nt "$o" ] || [ -n "$(find include src -name '*.h' -newer "$o" 2>/dev/null | head -1)" ]; then
		"$CC" $CFLAGS -fsanitize=fuzzer-no-link -c -o "$o" "$f" || { echo "FAIL fuzz: $f does not compile"; exit 2; }
	fi
	objs="$objs $o"
done

targets=${*:-"api scenario maps strace elf"}
total_crash=0
for t in $targets; do
	src="fuzz/fuzz_$t.c"
	extra=""
	case $t in
	scenario)
		# the runner and whatever else the tool is made of, but not its main()
		extra=$(ls tools/*.c | grep -v '^tools/mmkit\.c$' | tr '\n' ' ')
		[ -f tools/report.c ] || extra="$extra fuzz/report_stub.c" ;;
	strace)
		[ -f src/strace.c ] || { echo "SKIP fuzz $t: src/strace.c does not exist yet"; continue; } ;;
	elf)
		if [ ! -f include/mmkit/binfmt.h ] || [ ! -f "$src" ]; then
			echo "SKIP fuzz $t: include/mmkit/binfmt.h or $src does not exist yet"; continue
		fi ;;
	esac
	[ -f "$src" ] || { echo "SKIP fuzz $t: no $src"; continue; }
	bin="$OUT/fuzz_$t"
	if ! "$CC" $CFLAGS -fsanitize=fuzzer -o "$bin" "$src" $extra $objs -pthread 2> "$OUT/$t.build.log"; then
		echo "FAIL fuzz $t: does not build (see $OUT/$t.build.log)"; tail -5 "$OUT/$t.build.log"
		total_crash=$((total_crash + 1)); continue
	fi
	# every crash found so far must stay fixed
	if [ -d "fuzz/regressions/$t" ] && [ -n "$(ls "fuzz/regressions/$t" 2>/dev/null)" ]; then
		if ! "$bin" -runs=0 fuzz/regressions/$t/* > "$OUT/$t.regress.log" 2>&1; then
			echo "FAIL fuzz $t: a regression input crashes again (see $OUT/$t.regress.log)"
			grep -m3 'ERROR\|SUMMARY\|Running' "$OUT/$t.regress.log"
			total_crash=$((total_crash + 1))
		fi
	fi
	rm -rf "$OUT/crashes/$t"
	mkdir -p "$OUT/corpus/$t" "$OUT/crashes/$t"
	seeds=""
	[ -d "fuzz/corpus/$t" ] && seeds="fuzz/corpus/$t"
	dict=""
	[ -f "fuzz/$t.dict" ] && dict="-dict=fuzz/$t.dict"
	"$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 ${FUZZ_ARGS:-} \
		$dict -artifact_prefix="$OUT/crashes/$t/" "$OUT/corpus/$t" $seeds > "$OUT/$t.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/$t.log" | tail -1)
	[ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' "$OUT/$t.log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$OUT/$t.log" | tail -1)
	crashes=$(ls "$OUT/crashes/$t" 2>/dev/null | wc -l)
	[ "$rc" = 0 ] || [ "$crashes" -gt 0 ] || crashes=1
	echo "fuzz $t: ${execs:-0} executions in ${SECS}s, ${cov:-cov: ?}, $crashes crashes"
	if [ "$crashes" -gt 0 ]; then
		total_crash=$((total_crash + crashes))
		grep -m5 'ERROR\|SUMMARY\|^mmkit\|differs\|abort' "$OUT/$t.log"
		echo "  inputs: $OUT/crashes/$t/ (log $OUT/$t.log)"
	fi
done
[ "$total_crash" = 0 ]
