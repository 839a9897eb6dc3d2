#!/bin/sh
# tests/replay.sh - `mmkit replay` end to end, against the running kernel.
#
# Records real programs with `strace -f -o T setarch -R CMD`, replays each
# trace with `$O/mmkit replay --check T`, and compares the maps the model
# prints with the maps the real program printed, line by line, ignoring only
# the [stack] start address and the inode of shared anonymous memory
# ("/dev/zero (deleted)" lines). Prints PASS/FAIL/SKIP lines; on a failure,
# the differences (--check --keep-going) and the first lines of the diff.
#
# Environment: O (build directory, default build), CC (compiler for the
# randomized program, default cc), REPLAY_SEEDS (default "1 2 3 4 5 6"),
# REPLAY_KEEP=1 keeps the work directory.
O=${O:-build}
MMKIT=$O/mmkit
here=$(cd "$(dirname "$0")" && pwd)
CC=${CC:-cc}
SEEDS=${REPLAY_SEEDS:-1 2 3 4 5 6}

names="cat_maps cat_maps_y_tt_T cat_maps_ttt cat_maps_no_f sh_fork_exec sh_fork_exec_y sh_fork_exec_no_o script_exec"
for s in $SEEDS; do names="$names prog_seed$s"; done
names="$names prog_threads"

skip_all() {
	for n in $names; do echo "SKIP replay.$n: $1"; done
	exit 0
}

command -v strace >/dev/null 2>&1 || skip_all "strace is not installed"
command -v setarch >/dev/null 2>&1 || skip_all "setarch is not installed"
if [ ! -x "$MMKIT" ]; then
	for n in $names; do echo "FAIL replay.$n: $MMKIT was not built"; done
	exit 1
fi
MMKIT=$(cd "$(dirname "$MMKIT")" && pwd)/mmkit
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mmkit-replay.XXXXXX") || skip_all "cannot make a temporary directory"
if [ "${REPLAY_KEEP:-0}" = 1 ]; then echo "# work directory: $tmp" >&2; else trap 'rm -rf "$tmp"' EXIT; fi

strace -f -o "$tmp/probe" true >/dev/null 2>&1 || skip_all "strace cannot trace here (ptrace not permitted?)"
setarch -R true >/dev/null 2>&1 || skip_all "setarch -R is not permitted here (personality)"
# the kernel must really stop randomizing: two runs must agree
a=$(setarch -R cat /proc/self/maps 2>/dev/null | head -1)
b=$(setarch -R cat /proc/self/maps 2>/dev/null | head -1)
[ -n "$a" ] && [ "$a" = "$b" ] || skip_all "setarch -R does not give a fixed layout here"

# the fields that may differ: the [stack] start (the replay's environment
# stands for the traced one) and the inode of shared anonymous memory
normalize() {
	sed -e 's/^[0-9a-f]*-\([0-9a-f]* .*\[stack\]\)$/STACK-\1/' \
	    -e 's/^\([^ ]* [^ ]* [^ ]* [^ ]*\) [0-9]* *\(\/dev\/zero (deleted)\)$/\1 INODE \2/' "$1"
}

# check NAME TRACE REAL-OUTPUT: replay TRACE and compare
check() {
	name=$1 trace=$2 real=$3
	"$MMKIT" replay --check "$trace" > "$tmp/$name.model" 2> "$tmp/$name.err"
	rc=$?
	normalize "$real" > "$tmp/$name.real.n"
	normalize "$tmp/$name.model" > "$tmp/$name.model.n"
	if ! [ -s "$tmp/$name.real.n" ]; then
		echo "FAIL replay.$name: the real program printed no maps"
		return
	fi
	if [ $rc -eq 0 ] && cmp -s "$tmp/$name.real.n" "$tmp/$name.model.n"; then
		echo "PASS replay.$name"
		return
	fi
	# diagnosis: every difference, and the maps of a replay that does not stop
	"$MMKIT" replay --check --keep-going "$trace" > "$tmp/$name.model2" 2> "$tmp/$name.err2"
	normalize "$tmp/$name.model2" > "$tmp/$name.model2.n"
	nl=$(diff "$tmp/$name.real.n" "$tmp/$name.model2.n" | grep -c '^[<>]')
	nd=$(grep -c 'returned .*, trace says' "$tmp/$name.err2")
	echo "FAIL replay.$name: mmkit replay --check exit $rc; $nd results differ; $nl maps lines differ (< real, > model)"
	grep -v 'ASLR on' "$tmp/$name.err2" | head -15 | sed "s|$tmp/||; s/^/  /"
	diff "$tmp/$name.real.n" "$tmp/$name.model2.n" | head -20 | sed 's/^/  /'
}

# record NAME STRACE-OPTIONS -- CMD...: trace CMD under setarch -R
record() {
	name=$1; shift
	opts=
	while [ "$1" != "--" ]; do opts="$opts $1"; shift; done
	shift
	# shellcheck disable=SC2086
	if ! strace -f $opts -o "$tmp/$name.trace" setarch -R "$@" > "$tmp/$name.real" 2> "$tmp/$name.stderr"; then
		echo "FAIL replay.$name: the traced command failed: $(tail -1 "$tmp/$name.stderr")"
		return 1
	fi
	return 0
}

cd "$tmp" || exit 1
record cat_maps -- cat /proc/self/maps && check cat_maps "$tmp/cat_maps.trace" "$tmp/cat_maps.real"
record cat_maps_y_tt_T -y -tt -T -- cat /proc/self/maps &&
	check cat_maps_y_tt_T "$tmp/cat_maps_y_tt_T.trace" "$tmp/cat_maps_y_tt_T.real"
record cat_maps_ttt -ttt -- cat /proc/self/maps && check cat_maps_ttt "$tmp/cat_maps_ttt.trace" "$tmp/cat_maps_ttt.real"
record sh_fork_exec -- sh -c 'cat /proc/self/maps; true' &&
	check sh_fork_exec "$tmp/sh_fork_exec.trace" "$tmp/sh_fork_exec.real"
record sh_fork_exec_y -y -- sh -c 'cat /proc/self/maps; true' &&
	check sh_fork_exec_y "$tmp/sh_fork_exec_y.trace" "$tmp/sh_fork_exec_y.real"
# strace -o without -f (no pids at all), and -f without -o (the trace on
# stderr: "[pid N]" only while several processes are traced)
if strace -o "$tmp/cat_maps_no_f.trace" setarch -R cat /proc/self/maps > "$tmp/cat_maps_no_f.real" 2>/dev/null; then
	check cat_maps_no_f "$tmp/cat_maps_no_f.trace" "$tmp/cat_maps_no_f.real"
else
	echo "FAIL replay.cat_maps_no_f: the traced command failed"
fi
if strace -f setarch -R sh -c 'cat /proc/self/maps; true' > "$tmp/sh_fork_exec_no_o.real" 2> "$tmp/sh_fork_exec_no_o.trace"; then
	check sh_fork_exec_no_o "$tmp/sh_fork_exec_no_o.trace" "$tmp/sh_fork_exec_no_o.real"
else
	echo "FAIL replay.sh_fork_exec_no_o: the traced command failed"
fi
# a "#!" script exec'd directly (binfmt_script), by a relative path
printf '#!/bin/sh -e\ncat /proc/self/maps\n' > "$tmp/script.sh" && chmod +x "$tmp/script.sh"
record script_exec -- ./script.sh && check script_exec "$tmp/script_exec.trace" "$tmp/script_exec.real"

if ! command -v "$CC" >/dev/null 2>&1; then
	for s in $SEEDS threads; do echo "SKIP replay.prog_seed$s: no C compiler ($CC)" | sed 's/seedthreads/threads/'; done
	exit 0
fi
if ! "$CC" -O1 -pthread -o "$tmp/replay_prog" "$here/replay_prog.c" 2> "$tmp/cc.err"; then
	for s in $SEEDS threads; do
		echo "FAIL replay.prog_seed$s: tests/replay_prog.c does not compile: $(head -1 "$tmp/cc.err")" | sed 's/seedthreads/threads/'
	done
	exit 0
fi
for s in $SEEDS; do
	record "prog_seed$s" -- "$tmp/replay_prog" "$s" 300 30 &&
		check "prog_seed$s" "$tmp/prog_seed$s.trace" "$tmp/prog_seed$s.real"
done
# threads sharing the mm, /proc/thread-self/maps, and a non-leader thread
# that execs (strace: "+++ superseded by execve in pid N +++")
record prog_threads -- "$tmp/replay_prog" threads &&
	check prog_threads "$tmp/prog_threads.trace" "$tmp/prog_threads.real"
exit 0
