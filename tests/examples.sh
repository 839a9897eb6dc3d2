#!/bin/sh
# Builds the example programs in examples/*.c against $O/libmmkit.a exactly
# as docs/emulators.md tells users to (cc -std=c11 -Iinclude FILE LIB -pthread),
# runs them and checks their output. One line per example:
#   PASS examples.NAME / FAIL examples.NAME: why / SKIP examples.NAME: why
# Run by tests/run.sh (every tests/*.sh), for the plain and the ASan build.
O=${O:-build}
CC=${CC:-cc}
lib="$O/libmmkit.a"
if [ ! -f "$lib" ]; then
	echo "FAIL examples: $lib not built"
	exit 1
fi
# a sanitizer build of the library needs the same runtime at link time
san=""
if nm "$lib" 2>/dev/null | grep -q '__asan_'; then
	san="-fsanitize=address,undefined"
elif nm "$lib" 2>/dev/null | grep -q '__tsan_'; then
	san="-fsanitize=thread"
fi
mkdir -p "$O/examples"
rc=0

# check NAME PATTERN...: every fixed string must appear as a whole line of the output
check() {
	name=$1; shift
	for want in "$@"; do
		if ! grep -qxF -- "$want" "$O/examples/$name.out"; then
			echo "FAIL examples.$name: missing line: $want"
			tail -5 "$O/examples/$name.out"
			rc=1
			return 1
		fi
	done
	echo "PASS examples.$name"
}

# ---- emulator.c: docs/emulators.md ----
name=emulator
if [ ! -x /bin/true ]; then
	echo "SKIP examples.$name: /bin/true is not here to exec"
elif ! $CC -std=c11 -Iinclude $san -o "$O/examples/$name" examples/$name.c "$lib" -pthread \
	> "$O/examples/$name.build" 2>&1; then
	echo "FAIL examples.$name: does not compile:"
	head -5 "$O/examples/$name.build"
	rc=1
elif ! "$O/examples/$name" /bin/true > "$O/examples/$name.out" 2>&1; then
	echo "FAIL examples.$name: exit status $?"
	tail -5 "$O/examples/$name.out"
	rc=1
else
	check "$name" \
		'execve /bin/true: 0' \
		'first bytes of the image: 7f ELF' \
		'copy_to_user + copy_from_user: "hello from the guest"' \
		'write to the read-only page: -14, write fault: -14, fault on unmapped: -14' \
		'access_process_vm forced write: 3 bytes, guest now reads "BRK"' \
		'get_user_pages: 1 page, it reads "hello from the guest"' \
		'after fork, child wrote: parent reads "hello", child reads "HELLO"' \
		'mm_users/mm_count: parent 1/1, child 1/1' \
		'leaks: 0 objects or frames, 0 warnings' \
		'ok'
fi
exit $rc
