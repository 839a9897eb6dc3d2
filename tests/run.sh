#!/bin/sh
# Runs every test binary of build $O and every scenario file; appends one
# PASS/FAIL/SKIP line per test to $O/results.txt and echoes failures.
# TESTS="test_a test_b" limits the binaries.
O=${O:-build}
res="$O/results.txt"
: > "$res"
for t in $O/tests/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	if [ -n "$TESTS" ]; then
		case " $TESTS " in *" $name "*) ;; *) continue ;; esac
	fi
	MMK_BUILD=$O "$t" > "$O/$name.out" 2>&1
	cat "$O/$name.out" >> "$res"
	grep -A20 '^FAIL' "$O/$name.out" | head -60
	grep -q '^\(PASS\|FAIL\|SKIP\)' "$O/$name.out" || {
		echo "FAIL $name: crashed before reporting"; echo "FAIL $name: crashed before reporting" >> "$res"; cat "$O/$name.out" | tail -20; }
done
[ -n "$TESTS" ] && exit 0
# scenario files: each checks itself with `expect`; tests/scenarios/bad/*.scn must
# be rejected with exit 2 and the message named on their first line (# error: TEXT)
for f in tests/scenarios/*.scn examples/*.scn; do
	[ -f "$f" ] || continue
	if out=$($O/mmkit run --check "$f" 2>&1); then
		echo "PASS scenario.$f" >> "$res"
	else
		echo "FAIL scenario.$f" >> "$res"; echo "FAIL scenario.$f"; echo "$out" | tail -5
	fi
done
for f in tests/scenarios/bad/*.scn; do
	[ -f "$f" ] || continue
	want=$(sed -n '1s/^# error: //p' "$f")
	want_rc=$(sed -n '2s/^# exit: //p' "$f"); want_rc=${want_rc:-2}
	out=$($O/mmkit run --check "$f" 2>&1); rc=$?
	if [ "$rc" = "$want_rc" ] && echo "$out" | grep -qF -- "$want"; then
		echo "PASS badscenario.$f" >> "$res"
	else
		echo "FAIL badscenario.$f (exit $rc)" >> "$res"; echo "FAIL badscenario.$f (exit $rc, want $want_rc: $want)"; echo "$out" | tail -3
	fi
done
for s in tests/*.sh; do
	case "$s" in tests/run.sh|tests/summary.sh) continue ;; esac
	O=$O sh "$s" >> "$res" 2>&1 || true
done
! grep -q '^FAIL' "$res"
