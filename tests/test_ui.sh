#!/bin/sh
# tests/test_ui.sh - the HTML report of `mmkit run --html OUT FILE`.
# Run by tests/run.sh with $O = the build directory; prints one line per
# check: "PASS ui.NAME", "FAIL ui.NAME: why" or "SKIP ui.NAME: reason".
# Reports and screenshots are left in $O/ui/ to look at.
#
# Checks: the report is written; it is self-contained (no remote URL, no
# external script, style sheet, image or font); the embedded JSON parses and
# agrees with `mmkit run --json` (needs python3); text that looks like
# "</script>" cannot end the data element; then, with a headless chromium on
# PATH, the page's script runs and fills #step-info, #mm-table, #timeline,
# #addr-space (checked in --dump-dom), and a screenshot is saved.
O=${O:-build}
MMKIT="$O/mmkit"
UI="$O/ui"

pass() { echo "PASS ui.$1"; }
fail() { echo "FAIL ui.$1${2:+: $2}"; }
skip() { echo "SKIP ui.$1: $2"; }

if [ ! -x "$MMKIT" ]; then
	skip report "$MMKIT not built"
	exit 0
fi
mkdir -p "$UI" || { fail report "cannot create $UI"; exit 0; }
rm -f "$UI"/*.html "$UI"/*.png "$UI"/*.dom

# a scenario whose address spaces change (mmap, fork, exec, exit)
cat > "$UI/mmap.scn" <<'EOF'
# an address space that grows, is shared by a thread, copied by fork, and dies
proc A
exec A
mmap A 0 0x200000 PROT_READ|PROT_EXEC MAP_PRIVATE /etc/passwd 0
mmap A 0 0x10000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS
mmap A 0 0x4000 PROT_NONE MAP_PRIVATE|MAP_ANONYMOUS
mmap A 0 0x3000 PROT_READ|PROT_WRITE MAP_SHARED|MAP_ANONYMOUS
thread A2 A
kthread K
run 0 A
run 0 K
fork B A
exit A2
exit A
run 0 B
exit B
EOF

# ---- writing the report --------------------------------------------------
if ! "$MMKIT" run --html "$UI/seeds.html" examples/seeds.scn > "$UI/seeds.out" 2>&1; then
	if grep -qi 'html' "$UI/seeds.out" && ! grep -q . "$UI/seeds.html" 2>/dev/null; then
		skip report "mmkit run has no --html: $(head -1 "$UI/seeds.out")"
		exit 0
	fi
	fail report "mmkit run --html examples/seeds.scn failed: $(tail -1 "$UI/seeds.out")"
	exit 0
fi
if [ -s "$UI/seeds.html" ]; then pass report; else fail report "$UI/seeds.html is empty"; exit 0; fi

have_mmap=0
if "$MMKIT" run --html "$UI/mmap.html" "$UI/mmap.scn" > "$UI/mmap.out" 2>&1 && [ -s "$UI/mmap.html" ]; then
	have_mmap=1
	pass report_mmap
else
	skip report_mmap "mmkit run cannot play $UI/mmap.scn: $(tail -1 "$UI/mmap.out")"
fi

# a path that contains "</script>" becomes the title: it must stay text
esc_dir="$UI/a</script><b>x"
mkdir -p "$esc_dir" && cp examples/seeds.scn "$esc_dir/t.scn" 2>/dev/null &&
	"$MMKIT" run --html "$UI/escape.html" "$esc_dir/t.scn" > /dev/null 2>&1
if [ ! -s "$UI/escape.html" ]; then
	fail escape "no report for $esc_dir/t.scn"
elif [ "$(grep -o '</script>' "$UI/escape.html" | wc -l)" -ne 2 ]; then
	fail escape "\"</script>\" in the data or title ended a script element early"
else
	pass escape
fi
rm -rf "$UI/a<"

# ---- self-contained ------------------------------------------------------
files="$UI/seeds.html"
[ $have_mmap = 1 ] && files="$files $UI/mmap.html"
bad=""
for f in $files; do
	# the SVG namespace name is an identifier, not something fetched
	urls=$(grep -o 'https\?://[^"'"'"' )<>]*' "$f" | grep -v '^http://www\.w3\.org/2000/svg$' | sort -u | head -3)
	[ -n "$urls" ] && bad="$bad $f: $urls;"
	grep -qiE '<(link|img|iframe|object|embed)[ >]|<script[^>]* src=|@import|url\((["'"'"']?)(https?:|//)|@font-face' "$f" &&
		bad="$bad $f: an external resource;"
	grep -qiE ' (src|href)=["'"'"']?(https?:|//)' "$f" && bad="$bad $f: a remote src/href;"
done
if [ -z "$bad" ]; then pass self_contained; else fail self_contained "$bad"; fi

# ---- the embedded data ---------------------------------------------------
nsteps=$("$MMKIT" run --json examples/seeds.scn 2>/dev/null | grep -c '^{"step"')
if command -v python3 > /dev/null 2>&1; then
	for f in $files; do
		name=$(basename "$f" .html)
		want=""
		[ "$name" = seeds ] && want=$nsteps
		if out=$(python3 - "$f" "$want" <<'EOF' 2>&1
import json, re, sys
path, want = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read()
m = re.search(r'<script type="application/json" id="mmkit-data">(.*?)</script>', text, re.S)
if not m:
    sys.exit("no <script type=\"application/json\" id=\"mmkit-data\">")
if "<" in m.group(1):
    sys.exit("a raw '<' inside the data element")
d = json.loads(m.group(1))
steps, mms, strs, maps = d["steps"], d["mms"], d["strs"], d["maps"]
if want and len(steps) != int(want):
    sys.exit("%d steps in the report, mmkit run --json has %s" % (len(steps), want))
for st in steps:
    for e in st["m"]:
        assert 0 <= e[0] < len(mms), "mm index"
        for k in (4, 5, 6):
            assert 0 <= e[k] < len(strs), "string index"
        assert -1 <= e[7] < len(maps), "maps index"
    for ev in st["ev"]:
        assert 0 <= ev[0] < len(mms), "event mm"
for v in maps:
    assert v[0] < len(maps), "maps base"
    for i in v[3]:
        assert 0 <= i < len(strs), "maps line"
if path.endswith("seeds.html"):
    last = {mms[e[0]]: e for e in steps[-1]["m"]}
    assert last["mm1"][3] & 1, "mm1 should end freed"
    assert last["mm2"][1:3] == [1, 1], "mm2 should end 1/1, got %r" % (last["mm2"][1:3],)
    kinds = {ev[1] for st in steps for ev in st["ev"]}
    for k in ("teardown", "free", "borrow", "clone", "exit"):
        assert k in kinds, "no %s event found in the traces" % k
print("ok")
EOF
		); then
			pass "json_$name"
		else
			fail "json_$name" "$(echo "$out" | tail -1)"
		fi
	done
else
	skip json "python3 not installed"
fi

# the report's trace of each step is the one `mmkit run --json --trace` prints
# (taking the snapshot, which reads every maps file, must not add to it)
if command -v python3 > /dev/null 2>&1; then
	"$MMKIT" run --json --trace examples/seeds.scn 2>/dev/null | grep '^{"step"' > "$UI/seeds.jsonl"
	if out=$(python3 - "$UI/seeds.html" "$UI/seeds.jsonl" <<'EOF' 2>&1
import json, re, sys
text = open(sys.argv[1], encoding="utf-8").read()
d = json.loads(re.search(r'<script type="application/json" id="mmkit-data">(.*?)</script>', text, re.S).group(1))
want = [json.loads(l).get("trace", "") for l in open(sys.argv[2], encoding="utf-8")]
got = [s["trace"] for s in d["steps"]]
for i, (a, b) in enumerate(zip(got, want)):
    if a != b:
        sys.exit("step %d: report has \"%s\", --trace has \"%s\"" % (i + 1, a, b))
if len(got) != len(want):
    sys.exit("%d steps, --json has %d" % (len(got), len(want)))
EOF
	); then
		pass trace
	else
		fail trace "$(echo "$out" | tail -1)"
	fi
fi

# ---- in a browser --------------------------------------------------------
CHROME=""
for c in chromium chromium-browser; do
	if command -v "$c" > /dev/null 2>&1; then CHROME=$c; break; fi
done
if [ -z "$CHROME" ]; then
	skip browser "chromium not installed (make test-ui installs it)"
	exit 0
fi
profile=$(mktemp -d)
chrome() {
	timeout 90 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$profile" "$@" 2>/dev/null
}
abs=$(cd "$UI" && pwd)

# the last step (the default): the table holds the final counters
chrome --virtual-time-budget=3000 --dump-dom "file://$abs/seeds.html" > "$UI/seeds.dom"
dom="$UI/seeds.dom"
why=""
grep -q 'data-ready="1"' "$dom" || why="$why the script did not finish (no data-ready);"
for id in timeline step-slider step-info mm-table addr-space mm-select; do
	grep -q "id=\"$id\"" "$dom" || why="$why no #$id;"
done
grep -q "id=\"step-info\"[^>]*data-steps=\"$nsteps\"" "$dom" || why="$why #step-info has no data-steps=\"$nsteps\";"
grep -q "id=\"step-info\"[^>]*data-step=\"$nsteps\"" "$dom" || why="$why the last step is not selected;"
grep -q '<tr data-mm="mm1" data-users="0" data-count="0" data-freed="1"' "$dom" || why="$why mm1 is not shown freed;"
grep -q '<tr data-mm="mm2" data-users="1" data-count="1" data-freed="0"' "$dom" || why="$why mm2 is not 1/1;"
grep -q '<polyline[^>]*data-mm="mm1"' "$dom" || why="$why no polyline for mm1;"
grep -q 'data-kind="teardown"' "$dom" || why="$why no teardown marker;"
grep -q 'data-kind="free"' "$dom" || why="$why no free marker;"
grep -q 'id="step-cmd"[^>]*>slabinfo<' "$dom" || why="$why the command of the last step is not shown;"
if [ -z "$why" ]; then pass browser_dom; else fail browser_dom "$why"; fi

# step 5 (run 0 K): K borrows mm1 lazily, mm_users 2, mm_count 2
chrome --virtual-time-budget=3000 --dump-dom "file://$abs/seeds.html#step=5" > "$UI/seeds5.dom"
why=""
grep -q 'id="step-info"[^>]*data-step="5"' "$UI/seeds5.dom" || why="$why #step=5 is not selected;"
grep -q '<tr data-mm="mm1" data-users="2" data-count="2" data-freed="0"' "$UI/seeds5.dom" || why="$why mm1 is not 2/2 at step 5;"
grep -q 'id="step-cmd"[^>]*>run 0 K<' "$UI/seeds5.dom" || why="$why step 5 is not \"run 0 K\";"
if [ -z "$why" ]; then pass browser_step; else fail browser_step "$why"; fi

if [ $have_mmap = 1 ]; then
	# step 11 (fork B A): A's address space has its VMAs drawn
	chrome --virtual-time-budget=3000 --dump-dom "file://$abs/mmap.html#step=11" > "$UI/mmap.dom"
	why=""
	grep -q 'id="addr-space"[^>]*data-vmas="[1-9]' "$UI/mmap.dom" || why="$why #addr-space draws no VMA;"
	grep -q 'class="vma' "$UI/mmap.dom" || why="$why no VMA element;"
	grep -q 'data-kind="file"' "$UI/mmap.dom" || why="$why no file VMA;"
	grep -q '<option value="[0-9]*"' "$UI/mmap.dom" || why="$why #mm-select is empty;"
	if [ -z "$why" ]; then pass browser_addr; else fail browser_addr "$why"; fi
fi

chrome --window-size=1280,900 --virtual-time-budget=3000 --screenshot="$abs/seeds.png" "file://$abs/seeds.html#step=9" > /dev/null
[ $have_mmap = 1 ] &&
	chrome --window-size=1280,900 --virtual-time-budget=3000 --screenshot="$abs/mmap.png" "file://$abs/mmap.html#step=11" > /dev/null
if [ -s "$UI/seeds.png" ]; then pass screenshot; else fail screenshot "no $UI/seeds.png"; fi
rm -rf "$profile"
exit 0
