#!/bin/sh
# The full Windows build's configuration (a Windows host WITH GLib, as in
# MSYS2 UCRT64), checked from Linux without compiling anything: meson setup
# with a mingw-w64 cross file and stand-in .pc files for the libraries
# MSYS2 provides (GLib, GTK 3, gtk-vnc, GnuTLS, nettle, Qt 6, GoogleTest).
# Debian has no mingw builds of them, so nothing is compiled or linked
# here; the stand-ins only say "found". The check: setup succeeds, the
# desktop programs and their daemon-free tests are configured, and nothing
# of the daemon, its system integration or the Linux packages is.
#   usage: check_desktop_configure.sh SOURCE_DIR
# Exit 77 (skip) without mingw-w64, pkg-config, Qt's moc/rcc or python3.
set -eu
src=$1
for tool in x86_64-w64-mingw32-gcc-posix x86_64-w64-mingw32-g++-posix pkg-config meson python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP: $tool not installed" >&2
    exit 77
  fi
done
# The qt6 module runs moc and rcc on the build machine: Linux's are fine.
qt_libexec=/usr/lib/qt6/libexec
if [ ! -x "$qt_libexec/moc" ] || [ ! -x "$qt_libexec/rcc" ]; then
  echo "SKIP: no Qt 6 moc/rcc in $qt_libexec" >&2
  exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/vncgate-windesk.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
pc=$work/pkgconfig
mkdir -p "$pc" "$work/prefix/include" "$work/prefix/lib"

# standin NAME VERSION [REQUIRES] [EXTRA VARIABLE LINES]
standin() {
  {
    echo "prefix=$work/prefix"
    echo "includedir=\${prefix}/include"
    echo "libdir=\${prefix}/lib"
    if [ -n "${4:-}" ]; then printf '%s\n' "$4"; fi
    echo
    echo "Name: $1"
    echo "Description: stand-in for the MSYS2 UCRT64 package (configure check only)"
    echo "Version: $2"
    if [ -n "${3:-}" ]; then echo "Requires: $3"; fi
    echo "Cflags: -I\${includedir}"
    echo "Libs:"
  } >"$pc/$1.pc"
}
# Versions of MSYS2 at the time of writing; what matters is that each
# passes the version the meson.build files require.
standin glib-2.0 2.80.0
standin gobject-2.0 2.80.0 glib-2.0
standin gio-2.0 2.80.0 gobject-2.0
standin gio-windows-2.0 2.80.0 gio-2.0
standin gtk+-3.0 3.24.41 gio-2.0
standin gtk-vnc-2.0 1.3.1 gtk+-3.0
standin gnutls 3.8.4
standin nettle 3.9.1
standin gtest 1.14.0
standin gtest_main 1.14.0 gtest
# The qt6 module wants its tools of the same version as the Qt it found.
qt_version=$("$qt_libexec/moc" --version | sed -n 's/^moc \([0-9.]*\).*/\1/p')
qt_vars="bindir=$qt_libexec
libexecdir=$qt_libexec"
standin Qt6Platform "$qt_version" "" "$qt_vars"
for m in Core Gui Widgets Network Test; do
  standin "Qt6$m" "$qt_version" Qt6Platform "$qt_vars"
done

# A mingw-w64 cross file whose pkg-config sees only the stand-ins (nothing
# of the Linux host's libraries). No exe_wrapper: nothing runs.
cat >"$work/cross.ini" <<EOF
[binaries]
c = 'x86_64-w64-mingw32-gcc-posix'
cpp = 'x86_64-w64-mingw32-g++-posix'
ar = 'x86_64-w64-mingw32-ar'
strip = 'x86_64-w64-mingw32-strip'
windres = 'x86_64-w64-mingw32-windres'
pkgconfig = '$(command -v pkg-config)'

[properties]
pkg_config_libdir = ['$pc']

[host_machine]
system = 'windows'
cpu_family = 'x86_64'
cpu = 'x86_64'
endian = 'little'
EOF

if ! env -u PKG_CONFIG_PATH meson setup --cross-file "$work/cross.ini" "$work/build" "$src" \
    >"$work/setup.log" 2>&1; then
  cat "$work/setup.log"
  echo "FAIL: meson setup of the Windows desktop build failed" >&2
  exit 1
fi
meson introspect --targets "$work/build" >"$work/targets.json"
meson introspect --tests "$work/build" >"$work/tests.json"

python3 - "$work/targets.json" "$work/tests.json" <<'EOF'
import json, os, sys
targets = json.load(open(sys.argv[1]))
tests = json.load(open(sys.argv[2]))
files = {os.path.basename(f) for t in targets for f in t.get('filename', [])}
names = {t['name'] for t in targets}
test_names = {t['name'] for t in tests}
problems = []
for f in ['vncgate-launcher.exe', 'vncgate-viewer.exe']:
    if f not in files:
        problems.append('missing program ' + f)
for n in ['vncgated', 'vncgatectl', 'vncgated-core', 'rfb_test_client']:
    if n in names:
        problems.append('daemon-side target configured: ' + n)
# Translations are built; the daemon's data files and Linux packages are not.
if not any(n.endswith('-gmo') or n.endswith('.mo') or n.startswith('de-') for n in names):
    problems.append('no translation (.mo) targets')
for t in ['link-parser', 'link-parser-edges', 'viewer-helpers', 'windows-command-line',
          'windows-url-registration']:
    if t not in test_names:
        problems.append('missing test ' + t)
for t in ['systemd-unit', 'install-layout', 'unit-config', 'language-de', 'viewer-xvfb',
          'launcher-cli', 'desktop-e2e', 'windows-msi']:
    if t in test_names:
        problems.append('test that needs the daemon or Linux configured: ' + t)
print('programs:', ' '.join(sorted(f for f in files if f.endswith('.exe'))))
print('tests:', ' '.join(sorted(test_names)))
if problems:
    print('\n'.join('FAIL: ' + p for p in problems))
    sys.exit(1)
print('OK: the Windows desktop configuration has the launcher and the viewer, no daemon')
EOF
