#!/bin/sh
# Installs into a temporary prefix, builds a small program against it with
# pkg-config, runs it, then uninstalls. Prints PASS/FAIL/SKIP lines.
[ -n "$O" ] || O=build
case "$O" in *asan*|*tsan*) exit 0 ;; esac   # once, for the plain build
if ! command -v pkg-config >/dev/null 2>&1; then
	echo "SKIP install.pkgconfig: pkg-config not installed (apt-get install pkg-config)"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! make --no-print-directory -s install O="$O" PREFIX="$tmp/prefix" > "$tmp/log" 2>&1; then
	echo "FAIL install.install"; tail -5 "$tmp/log"; exit 0
fi
echo "PASS install.install"
cat > "$tmp/hello.c" <<'EOC'
#include <mmkit/mmkit.h>
#include <stdio.h>
int main(void)
{
	if (mmk_boot(4))
		return 1;
	struct task_struct *a = mmk_spawn("a");
	struct task_struct *b = kernel_clone(a, CLONE_VM | CLONE_SIGHAND | CLONE_THREAD, "b");
	printf("users=%d count=%d\n", mm_users(a->mm), mm_count(a->mm));
	do_exit(b);
	do_exit(a);
	return mmk_shutdown() != 0;
}
EOC
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
if cc -o "$tmp/hello" "$tmp/hello.c" $(pkg-config --cflags mmkit) $(pkg-config --libs --static mmkit) -Wl,-rpath,"$tmp/prefix/lib" 2> "$tmp/cc.log" &&
   [ "$("$tmp/hello")" = "users=2 count=1" ]; then
	echo "PASS install.pkgconfig"
else
	echo "FAIL install.pkgconfig"; cat "$tmp/cc.log" | tail -5
fi
if [ -f "$tmp/prefix/share/man/man1/mmkit.1" ] && [ -f "$tmp/prefix/share/man/man5/mmkit-scenario.5" ] &&
   [ -L "$tmp/prefix/lib/libmmkit.so.0" ] && "$tmp/prefix/bin/mmkit" --version | grep -q mmkit; then
	echo "PASS install.files"
else
	echo "FAIL install.files"
fi
make --no-print-directory -s uninstall PREFIX="$tmp/prefix" > /dev/null 2>&1
if [ -z "$(find "$tmp/prefix" -type f 2>/dev/null)" ]; then
	echo "PASS install.uninstall"
else
	echo "FAIL install.uninstall: left $(find "$tmp/prefix" -type f | head -3)"
fi
