#!/bin/sh
# Adds up results files; prints failures and the closing line
# "N passed, N failed[, N skipped]". Exit 1 if anything failed or no test ran.
p=0; f=0; s=0
for r in "$@"; do
	if [ ! -f "$r" ]; then echo "FAIL $r missing: that build did not run"; f=$((f+1)); continue; fi
	p=$((p + $(grep -c '^PASS' "$r")))
	f=$((f + $(grep -c '^FAIL' "$r")))
	s=$((s + $(grep -c '^SKIP' "$r")))
	grep '^SKIP' "$r"
	grep '^FAIL' "$r"
done
if [ "$s" -gt 0 ]; then echo "$p passed, $f failed, $s skipped"; else echo "$p passed, $f failed"; fi
[ "$f" -eq 0 ] && [ "$p" -gt 0 ]
