#!/usr/bin/env bash
# The MSI under wine: built with stage-and-build-msi.sh from a staged tree of
# stand-in programs (standin.c, cross-compiled with mingw-w64, importing a
# DLL that only the staging script's DLL walk brings along), installed
# per-machine with msiexec, its files, Start menu entry and registry keys
# checked, links started through the registered URL protocols the way
# Windows starts them (wine's `start` is ShellExecuteEx), upgraded to a
# newer MSI, refused a downgrade, and removed without a trace.
#
#   test-msi.sh VNCGATE_WXS STAGE_SCRIPT STANDIN_C [--launcher PATH]
#               [--registration-check PATH]
#
# --launcher: the vncgate-launcher built here; a hostile link's argv as
#   Windows split it is handed to it to see it refused.
# --registration-check: registration_check (registration_check.cpp): the
#   launcher's own Windows registration plan, which the MSI's keys must
#   equal, and its argument check, which must refuse every split link.
# Exit 77 (skip) without wixl, wine or mingw-w64.
set -euo pipefail

wxs=$1 stage_script=$2 standin_c=$3
shift 3
linux_launcher='' regcheck=''
while (($#)); do
  case $1 in
    --launcher) linux_launcher=$2; shift 2 ;;
    --registration-check) regcheck=$2; shift 2 ;;
    *) echo "test-msi.sh: unknown argument $1" >&2; exit 1 ;;
  esac
done
for tool in wixl wixl-heat wine wineserver x86_64-w64-mingw32-gcc x86_64-w64-mingw32-objdump; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vncgate-msi.XXXXXX")
# Everything wine touches stays in $tmp (see tests/windows/wine_prefix.sh):
# no display, no installer prompts, and no winemenubuilder, which would
# mirror the Start menu and URL handlers into the host desktop.
# shellcheck source=tests/windows/wine_prefix.sh
. "$(dirname "$0")/../../tests/windows/wine_prefix.sh"
wine_isolate "$tmp"
cleanup() {
  wine_stop  # this prefix's wineserver only
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 143' TERM INT  # so that a timeout still runs cleanup

failures=0
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
not() { ! "$@"; }
check() {  # description, command...
  local what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
t0=$SECONDS
step() { echo "--- $* (t=$((SECONDS - t0))s)"; }

# --- stand-in programs and a stand-in MSYS2 prefix with their DLL --------
step "cross-compiling the stand-ins"
prefix=$tmp/fake-msys2-prefix
mkdir -p "$prefix/bin"
x86_64-w64-mingw32-gcc -O2 -shared -DSTANDIN_DLL -o "$prefix/bin/libvncgate-standin-1.dll" "$standin_c"
standin_exe=$tmp/standin.exe
x86_64-w64-mingw32-gcc -O2 -o "$standin_exe" "$standin_c" "$prefix/bin/libvncgate-standin-1.dll"

make_destdir() {  # dir, version tag: a `meson install --destdir` look-alike
  local d=$1/vncgate-root  # the prefix part under DESTDIR
  mkdir -p "$d/bin" "$d/share/vncgate" "$d/share/locale/de/LC_MESSAGES" \
    "$d/include/vncgate" "$d/lib/pkgconfig"
  cp "$standin_exe" "$d/bin/vncgate-launcher.exe"
  cp "$standin_exe" "$d/bin/vncgate-viewer.exe"
  echo "$2" >"$d/share/vncgate/version.txt"
  echo "stand-in catalog" >"$d/share/locale/de/LC_MESSAGES/vncgate.mo"
  echo "only in $2" >"$d/share/vncgate/only-in-$2.txt"
  echo "/* not for Windows desktops */" >"$d/include/vncgate/x.h"
  echo "Name: x" >"$d/lib/pkgconfig/x.pc"
}
build_msi() {  # version tag, MSI version
  make_destdir "$tmp/destdir-$1" "$1"
  "$stage_script" --wxs "$wxs" --destdir "$tmp/destdir-$1" --dll-path "$prefix/bin" \
    --version "$2" --output "$tmp/out/vncgate-$1.msi" --stage "$tmp/out/stage-$1"
}

step "building two MSIs with wixl"
build_msi v1 0.1.0
build_msi v2 0.2.0
check "the DLL walk staged libvncgate-standin-1.dll" test -f "$tmp/out/stage-v1/bin/libvncgate-standin-1.dll"
check "developer files are not staged" test ! -e "$tmp/out/stage-v1/include" -a ! -e "$tmp/out/stage-v1/lib/pkgconfig"

# --- wine helpers ----------------------------------------------------------
drive_c=$WINEPREFIX/drive_c
install_dir="$drive_c/Program Files/vncgate"
launcher_win='C:\Program Files\vncgate\bin\vncgate-launcher.exe'
msiexec() { wine msiexec "$@" </dev/null >"$tmp/msiexec.log" 2>&1; }
# The value of one registry value in the 64-bit view ("" for the default);
# fails when the key or value is missing.
reg_value() {
  local key=$1 name=$2 out
  if [[ -z $name ]]; then
    out=$(wine reg query "$key" /ve /reg:64 </dev/null 2>/dev/null) || return 1
  else
    out=$(wine reg query "$key" /v "$name" /reg:64 </dev/null 2>/dev/null) || return 1
  fi
  # "    <name>    REG_SZ    <value>"; the name may hold spaces.
  printf '%s\n' "$out" | tr -d '\r' | sed -n 's/^    .*    REG_[A-Z_]*    \{0,1\}//p' | head -n1
  printf '%s\n' "$out" | tr -d '\r' | grep -q '    REG_'
}
reg_is() {  # key, name, expected
  local got
  got=$(reg_value "$1" "$2") || { echo "     $1 [$2] missing"; return 1; }
  [[ $got == "$3" ]] || { echo "     $1 [$2] = '$got', expected '$3'"; return 1; }
}
key_missing() { ! wine reg query "$1" /reg:64 >/dev/null 2>&1 && ! wine reg query "$1" /reg:32 >/dev/null 2>&1; }
arp_entries() {  # DisplayVersion of every ARP entry named vncgate
  wine reg query 'HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall' /s /reg:64 2>/dev/null |
    tr -d '\r' | awk '/^HKEY/ {name=""; ver=""} /    DisplayName    REG_SZ    vncgate$/ {name=1}
      /    DisplayVersion    REG_SZ/ {ver=$NF} name && ver {print ver; name=""; ver=""}'
}
start_menu_link() {
  find "$drive_c/ProgramData/Microsoft/Windows/Start Menu" "$drive_c/users" \
    -ipath '*Start Menu/Programs/vncgate/vncgate.lnk' 2>/dev/null | head -n1
}

step "creating the wine prefix"
if ! wine_boot "$tmp/wineboot.log"; then
  fail "wineboot created the prefix"
  cat "$tmp/wineboot.log"
  exit 1
fi
pass "wineboot created the prefix"

# --- install ----------------------------------------------------------------
step "installing v1 (msiexec /i /qn)"
check "msiexec /i v1 exits 0" msiexec /i "$tmp/out/vncgate-v1.msi" /qn
for f in bin/vncgate-launcher.exe bin/vncgate-viewer.exe bin/libvncgate-standin-1.dll \
  share/vncgate/version.txt share/locale/de/LC_MESSAGES/vncgate.mo; do
  check "installed: C:\\Program Files\\vncgate\\$f" test -f "$install_dir/$f"
done
check "nothing under Program Files (x86)" test ! -e "$drive_c/Program Files (x86)/vncgate"
lnk=$(start_menu_link)
check "Start menu shortcut vncgate\\vncgate.lnk" test -n "$lnk"
echo "     (at ${lnk#"$drive_c/"})"

command="\"$launcher_win\" \"%1\""
icon="\"$launcher_win\",0"
for scheme in vncgate vnc; do
  k="HKLM\\Software\\Classes\\$scheme"
  desc='URL:vncgate console link'
  [[ $scheme == vnc ]] && desc='URL:VNC console link'
  check "$k default = $desc" reg_is "$k" "" "$desc"
  check "$k URL Protocol = ''" reg_is "$k" "URL Protocol" ""
  check "$k\\DefaultIcon" reg_is "$k\\DefaultIcon" "" "$icon"
  check "$k\\shell\\open\\command" reg_is "$k\\shell\\open\\command" "" "$command"
  check "$k is not in the 32-bit view" not wine reg query "$k" /reg:32 >/dev/null 2>&1
done
check ".vv -> vncgate.vv" reg_is 'HKLM\Software\Classes\.vv' "" vncgate.vv
check ".vv Content Type" reg_is 'HKLM\Software\Classes\.vv' "Content Type" application/x-virt-viewer
check "vncgate.vv default" reg_is 'HKLM\Software\Classes\vncgate.vv' "" "virt-viewer connection file"
check "vncgate.vv\\DefaultIcon" reg_is 'HKLM\Software\Classes\vncgate.vv\DefaultIcon' "" "$icon"
check "vncgate.vv\\shell\\open\\command" reg_is 'HKLM\Software\Classes\vncgate.vv\shell\open\command' "" "$command"
check "one ARP entry, version 0.1.0" test "$(arp_entries)" = 0.1.0

# The launcher's per-user registration (HKCU) and the MSI (HKLM) must write
# the same values: compare with the launcher's own plan, both ways.
if [[ -n $regcheck ]]; then
  plan_values=0
  while IFS= read -r line; do  # key TAB name TAB data; name may be empty
    key=${line%%$'\t'*} rest=${line#*$'\t'}
    name=${rest%%$'\t'*} data=${rest#*$'\t'}
    plan_values=$((plan_values + 1))
    check "launcher plan: $key [${name:-(default)}] in HKLM" \
      reg_is "HKLM\\Software\\Classes\\$key" "$name" "$data"
  done < <("$regcheck" plan "$launcher_win")
  msi_values=0
  for k in vncgate vnc .vv vncgate.vv; do
    n=$(wine reg query "HKLM\\Software\\Classes\\$k" /s /reg:64 2>/dev/null | tr -d '\r' | grep -c '    REG_' || true)
    msi_values=$((msi_values + n))
  done
  check "the MSI writes no value the plan lacks ($msi_values = $plan_values)" \
    test "$msi_values" = "$plan_values" -a "$plan_values" -gt 0
fi

# --- links through the registry ---------------------------------------------
# `start` hands the link to ShellExecuteEx, which looks the scheme up in
# HKCR (HKLM\Software\Classes here), puts the link in place of %1 and
# starts the command; /wait waits for the stand-in to exit.
argv_log=$drive_c/argv.txt
export ARGV_LOG='C:\argv.txt'
open_via_shell() {  # link or file -> $argv_log, exit status of `start`
  rm -f "$argv_log"
  wine start /wait "$1" </dev/null >"$tmp/start.log" 2>&1
}
argv_is() {  # expected arguments after argv[0]
  local got want
  [[ -f $argv_log ]] || { echo "     the launcher did not run"; return 1; }
  got=$(tr -d '\r' <"$argv_log")
  want=$(printf '%s\n' vncgate-standin "$launcher_win" "$@")
  [[ $got == "$want" ]] || { echo "     argv:"; printf '       %s\n' "$got"; return 1; }
}
# What the launcher's Windows argument check makes of the argv received.
handler_says() {  # expected first field (link/refused), [expected link]
  local out
  mapfile -t args < <(tr -d '\r' <"$argv_log" | tail -n +3)
  out=$("$regcheck" args "${args[@]}") || true
  [[ ${out%%$'\t'*} == "$1" && (-z ${2:-} || ${out#*$'\t'} == "$2") ]] ||
    { echo "     check_handler_arguments: $out"; return 1; }
}
check_handler() {  # only with registration_check
  [[ -z $regcheck ]] || check "$@"
}
[[ -n $regcheck ]] || echo "     (no registration_check: the launcher's argument check is not run)"
step "opening links through the registered protocols"
link='vncgate://gw.example.test:8443/console/lpar-7?token=Ab0_-x&tls=x509&title=DB%20one'
open_via_shell "$link" || true
check "vncgate:// link reaches the launcher as one argument" argv_is "$link"
check_handler "  and the launcher takes it" handler_says link "$link"
link='vnc://gw.example.test:5901'
open_via_shell "$link" || true
check "vnc:// link reaches the launcher" argv_is "$link"
link='vncgate://gw/console/a%22%20--register%20%22b'
open_via_shell "$link" || true
check "percent-encoded quotes stay inside the one argument" argv_is "$link"
echo "[virt-viewer]" >"$drive_c/console.vv"
open_via_shell 'C:\console.vv' || true
check ".vv file reaches the launcher as its path" argv_is 'C:\console.vv'
check_handler "  and the launcher takes it" handler_says link 'C:\console.vv'

# A raw quote in a link splits it: ShellExecute substitutes %1 verbatim.
# Whatever the split adds follows the link, and the launcher refuses a link
# followed by anything.
hostile='vncgate://gw/console/x" --register "y'
open_via_shell "$hostile" || true
check "a raw quote splits the link" argv_is 'vncgate://gw/console/x' --register 'y'
check_handler "  and the launcher refuses the split link" handler_says refused
if [[ -n $linux_launcher && -x $linux_launcher && -f $argv_log ]]; then
  mapfile -t split < <(tr -d '\r' <"$argv_log" | tail -n +3)
  rc=0
  QT_QPA_PLATFORM=offscreen "$linux_launcher" --no-gui "${split[@]}" \
    >"$tmp/launcher.log" 2>&1 || rc=$?
  check "  (the Linux launcher's option parser refuses it too: exit 2)" test "$rc" = 2
  sed 's/^/     /' "$tmp/launcher.log"
fi
# One known option after the link and nothing else: an option parser alone
# would accept this argv; the handler check must not.
hostile='vncgate://gw/console/x" --no-gui'
open_via_shell "$hostile" || true
check "a link can append an option" argv_is 'vncgate://gw/console/x' --no-gui
check_handler "  and the launcher refuses it" handler_says refused
hostile='vnc://gw" & calc.exe & "'
open_via_shell "$hostile" || true
check "shell metacharacters stay arguments (no cmd.exe in the command)" \
  argv_is 'vnc://gw' '&' calc.exe '&' ''
check_handler "  and the launcher refuses them" handler_says refused

# --- upgrade, downgrade, uninstall ------------------------------------------
step "upgrading to v2"
check "msiexec /i v2 over v1 exits 0" msiexec /i "$tmp/out/vncgate-v2.msi" /qn
check "v2's files are installed" grep -qx v2 "$install_dir/share/vncgate/version.txt"
check "v2 adds its new file" test -f "$install_dir/share/vncgate/only-in-v2.txt"
check "v1-only files are gone" test ! -e "$install_dir/share/vncgate/only-in-v1.txt"
check "one ARP entry, version 0.2.0" test "$(arp_entries)" = 0.2.0
step "installing v1 over v2 (a downgrade)"
check "the downgrade is refused (msiexec fails)" not msiexec /i "$tmp/out/vncgate-v1.msi" /qn
check "v2 stays installed" grep -qx v2 "$install_dir/share/vncgate/version.txt"
check "still one ARP entry, version 0.2.0" test "$(arp_entries)" = 0.2.0

step "uninstalling (msiexec /x /qn)"
check "msiexec /x v2 exits 0" msiexec /x "$tmp/out/vncgate-v2.msi" /qn
check "C:\\Program Files\\vncgate is gone" test ! -e "$install_dir"
check "the Start menu entry is gone" test -z "$(start_menu_link)"
for k in vncgate vncgate\\shell\\open\\command vnc vnc\\DefaultIcon .vv vncgate.vv; do
  check "HKLM\\Software\\Classes\\$k is gone" key_missing "HKLM\\Software\\Classes\\$k"
done
check "HKLM\\Software\\vncgate is gone" key_missing 'HKLM\Software\vncgate'
check "no ARP entry left" test -z "$(arp_entries)"
open_via_shell 'vncgate://gw/console/x' || true
check "a vncgate:// link no longer starts anything" test ! -e "$argv_log"

step "done"
if ((failures)); then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed in $((SECONDS - t0)) s"
