#!/bin/bash
# test-packages.sh: the Debian packages, end to end, on this machine.
#
# Builds vncgate-daemon, vncgate-desktop and vncgate-common from the tree
# (build-packages.sh), runs lintian (any E: fails), installs them with
# apt-get, checks the installed system (vncgated runs, the unit verifies
# and is not enabled, sysusers/tmpfiles took effect, the launcher is the
# default vncgate:// handler for a fresh user), purges them and checks that
# nothing is left. Whatever happens, the machine ends as it was: the EXIT
# trap purges every package the test added and removes the system users
# and groups it created.
#
# Needs root (apt-get, dpkg): exits 77 (skip) otherwise. Changes the system,
# so meson runs it alone (is_parallel: false).
#
# Environment: VNCGATE_DEB_SOURCE (worktree or head, see build-packages.sh);
# VNCGATE_DEB_DIR=DIR tests the packages already built into DIR instead.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
pkgs=(vncgate-daemon vncgate-desktop vncgate-common)
handler_types=(x-scheme-handler/vncgate x-scheme-handler/vnc application/x-virt-viewer)

log() { printf '==> %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

if ((EUID != 0)); then
  echo "SKIP: installs packages, needs root"
  exit 77
fi
for tool in git dpkg-buildpackage lintian apt-get dpkg-query systemd-analyze xdg-mime getent; do
  command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool not found"; exit 77; }
done

# A package known to dpkg in any state (installed, config-files, half-...).
known() {
  local s
  s=$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) || return 1
  [[ -n $s && $s != not-installed ]]
}
apt() {
  DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=300 "$@"
}

for p in "${pkgs[@]}"; do
  if known "$p"; then
    fail "$p is already on this machine; the test would replace it: apt-get purge ${pkgs[*]}"
  fi
done

# Files the package makes, or the test makes in its name: they must not be
# here yet, or the purge check could not tell who left them.
owned_paths=(/etc/vncgate /etc/sasl2/vncgate.conf /var/lib/vncgate)
for path in "${owned_paths[@]}"; do
  [[ ! -e $path ]] || fail "$path exists before the packages are installed"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vncgate-debtest.XXXXXX")
export TMPDIR=$tmp  # lintian and dpkg-buildpackage leave temporary files
# What this run installs or creates, filled in as it goes: the cleanup
# touches nothing else (other work on this machine may install packages or
# add users meanwhile).
printf '%s\n' "${pkgs[@]}" >"$tmp/added-packages"
: >"$tmp/added-users"
: >"$tmp/added-groups"

cleanup() {
  local rc=$?
  trap - EXIT
  set +e
  local p purge=()
  for p in $(cat "$tmp/added-packages"); do known "$p" && purge+=("$p"); done
  if ((${#purge[@]})); then
    log "cleanup: purging ${purge[*]}"
    apt purge "${purge[@]}" >"$tmp/cleanup.log" 2>&1 || { cat "$tmp/cleanup.log"; rc=1; }
  fi
  # systemd-sysusers made the package's users; Debian keeps system users on
  # purge, the test removes the ones it caused.
  local u g
  for u in $(cat "$tmp/added-users"); do
    getent passwd "$u" >/dev/null || continue
    log "cleanup: removing user $u"
    userdel "$u" || rc=1
  done
  for g in $(cat "$tmp/added-groups"); do
    getent group "$g" >/dev/null || continue
    log "cleanup: removing group $g"
    groupdel "$g" || rc=1
  done
  # What the test wrote as the operator, if a failed purge left it.
  rm -rf "${owned_paths[@]}"
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP

# xdg-mime as a user who never chose a handler: an empty home, no desktop
# environment, the system's XDG data and config directories only.
fresh_user_handler() {
  local home=$tmp/home-$RANDOM
  mkdir -p "$home"
  env -i PATH=/usr/bin:/bin HOME="$home" xdg-mime query default "$1" 2>/dev/null || true
  rm -rf "$home"
}
if [[ $(fresh_user_handler x-scheme-handler/vncgate) == io.github.vncgate.launcher.desktop ]]; then
  fail "io.github.vncgate.launcher.desktop handles vncgate:// before the package is installed"
fi

# --- build ------------------------------------------------------------
if [[ -n ${VNCGATE_DEB_DIR:-} ]]; then
  # Packages built before (build-packages.sh DIR): test those.
  mkdir "$tmp/out"
  cp "$VNCGATE_DEB_DIR"/*.deb "$VNCGATE_DEB_DIR"/*.changes "$VNCGATE_DEB_DIR"/*.buildinfo "$tmp/out/"
else
  log "building the packages"
  start=$SECONDS
  if ! "$here/build-packages.sh" "$tmp/out" >"$tmp/build.log" 2>&1; then
    tail -n 100 "$tmp/build.log"
    fail "dpkg-buildpackage failed"
  fi
  log "built in $((SECONDS - start)) s:"
fi
ls -1 "$tmp/out"
debs=()
for p in "${pkgs[@]}"; do
  f=("$tmp/out/${p}_"*.deb)
  [[ -f ${f[0]} ]] || fail "no $p package was built"
  debs+=("${f[0]}")
done

# --- lintian ------------------------------------------------------------
log "lintian"
changes=("$tmp/out/"*.changes)
lintian_rc=0
lintian -I --fail-on error "${changes[0]}" >"$tmp/lintian.log" 2>&1 || lintian_rc=$?
grep -v 'running with root privileges' "$tmp/lintian.log" || true
if ((lintian_rc != 0)) || grep -q '^E: ' "$tmp/lintian.log"; then
  fail "lintian reports errors"
fi

# --- install ------------------------------------------------------------
log "apt-get install ${debs[*]##*/}"
# The packages apt is about to add (ours and missing dependencies; "Inst"
# also lists upgrades, which are not ours to purge), and the users and
# groups the package's sysusers.d will add.
apt install -s "${debs[@]}" >"$tmp/simulate.log" 2>&1 || { cat "$tmp/simulate.log"; fail "apt-get install -s"; }
for p in $(awk '$1 == "Inst" { print $2 }' "$tmp/simulate.log"); do
  known "$p" || grep -qx "$p" "$tmp/added-packages" || echo "$p" >>"$tmp/added-packages"
done
mkdir "$tmp/root"
dpkg-deb -x "${debs[0]}" "$tmp/root"
for f in "$tmp"/root/usr/lib/sysusers.d/*.conf; do
  [[ -f $f ]] || continue
  while read -r type name _; do
    case $type in
      u) getent passwd "$name" >/dev/null || echo "$name" >>"$tmp/added-users"
         getent group "$name" >/dev/null || echo "$name" >>"$tmp/added-groups" ;;
      g) getent group "$name" >/dev/null || echo "$name" >>"$tmp/added-groups" ;;
    esac
  done <"$f"
done
apt install "${debs[@]}" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "apt-get install"; }
for p in "${pkgs[@]}"; do
  [[ $(dpkg-query -W -f='${db:Status-Status}' "$p") == installed ]] || fail "$p is not installed"
done
dpkg -L "${pkgs[@]}" | sort -u >"$tmp/files"

log "vncgated --version"
version=$(/usr/sbin/vncgated --version) || fail "vncgated --version exits $?"
echo "$version"
deb_version=$(dpkg-query -W -f='${Version}' vncgate-daemon)
[[ $version == *" ${deb_version%-*}"* ]] || fail "vncgated says '$version', the package is $deb_version"

log "translations"
# vncgate-common's catalogs reach the installed programs (LOCALEDIR is
# /usr/share/locale). gettext ignores LANGUAGE in the C locale: C.UTF-8.
for lang in de fr; do
  english=$(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 /usr/sbin/vncgated --help 2>&1 || true)
  translated=$(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 LANGUAGE=$lang /usr/sbin/vncgated --help 2>&1 || true)
  [[ -n $english && $translated != "$english" ]] || fail "vncgated --help with LANGUAGE=$lang is not translated"
  echo "vncgated --help speaks $lang"
done

log "systemd unit"
unit=$(grep -E '^(/usr)?/lib/systemd/system/vncgated\.service$' "$tmp/files" | head -n1) \
  || fail "vncgate-daemon ships no vncgated.service"
out=$(systemd-analyze verify --man=no "$unit" 2>&1) || { echo "$out"; fail "systemd-analyze verify $unit"; }
# verify exits 0 on some warnings: any line about the unit is a failure.
if grep -q vncgated <<<"$out"; then echo "$out"; fail "systemd-analyze verify $unit warns"; fi
echo "$unit: verified"
# Installed disabled: the gateway needs /etc/vncgate/vncgated.conf first.
if compgen -G "/etc/systemd/system/*.wants/vncgated.service" >/dev/null; then
  fail "vncgated.service was enabled on install"
fi

sysusers=$(grep -E '^/usr/lib/sysusers\.d/.+\.conf$' "$tmp/files" || true)
for f in $sysusers; do
  while read -r type name third _; do
    case $type in
      u) getent passwd "$name" >/dev/null || fail "$f: user $name was not created"
         echo "sysusers: user $name exists" ;;
      g) getent group "$name" >/dev/null || fail "$f: group $name was not created"
         echo "sysusers: group $name exists" ;;
      m) id -nG "$name" | tr ' ' '\n' | grep -qx "$third" || fail "$f: $name is not in group $third"
         echo "sysusers: $name is in group $third" ;;
    esac
  done <"$f"
done
tmpfiles=$(grep -E '^/usr/lib/tmpfiles\.d/.+\.conf$' "$tmp/files" || true)
for f in $tmpfiles; do
  while read -r type path _ user _; do
    case $type in
      d | D)
        [[ -d $path ]] || fail "$f: $path was not created"
        if [[ -n $user && $user != - ]]; then
          [[ $(stat -c %U "$path") == "$user" ]] || fail "$f: $path is not owned by $user"
        fi
        echo "tmpfiles: $path exists" ;;
    esac
  done <"$f"
done

dpkg-query -W -f='${Conffiles}\n' vncgate-daemon | grep -q ' /etc/sasl2/vncgate.conf ' \
  || fail "/etc/sasl2/vncgate.conf is not a conffile of vncgate-daemon"

log "URL handler for a fresh user"
# The package ships only its desktop files; desktop-file-utils' dpkg trigger
# on /usr/share/applications runs update-desktop-database, whose
# mimeinfo.cache is what xdg-mime and GLib fall back to when the user chose
# nothing. No /usr/share/applications/mimeapps.list: defaults across
# applications are the distribution's and the administrator's choice.
for t in "${handler_types[@]}"; do
  grep -q "^$t=.*io\.github\.vncgate\.launcher\.desktop" /usr/share/applications/mimeinfo.cache \
    || fail "mimeinfo.cache does not list io.github.vncgate.launcher.desktop for $t"
done
handler=$(fresh_user_handler x-scheme-handler/vncgate)
echo "xdg-mime query default x-scheme-handler/vncgate: $handler"
[[ $handler == io.github.vncgate.launcher.desktop ]] || fail "the vncgate:// handler is '$handler'"

# --- purge ----------------------------------------------------------------
log "purge"
# What an operator and the daemon add after installing: a configuration,
# a password database, state, an edited conffile. Purge removes them all.
mkdir -p /etc/vncgate /var/lib/vncgate
cp /usr/share/doc/vncgate-daemon/examples/vncgated.conf.example /etc/vncgate/vncgated.conf
: >/etc/vncgate/sasldb2
: >/var/lib/vncgate/state
echo '# edited by the operator' >>/etc/sasl2/vncgate.conf

apt purge "${pkgs[@]}" >"$tmp/purge.log" 2>&1 || { cat "$tmp/purge.log"; fail "apt-get purge"; }

left=0
for p in "${pkgs[@]}"; do
  if known "$p"; then echo "dpkg still knows $p: $(dpkg-query -W -f='${db:Status-Status}' "$p")"; left=1; fi
  if compgen -G "/var/lib/dpkg/info/$p.*" >/dev/null; then echo "left: /var/lib/dpkg/info/$p.*"; left=1; fi
done
while IFS= read -r path; do
  [[ -e $path || -L $path ]] || continue
  # A directory stays when another package owns it or holds files in it.
  if [[ -d $path ]]; then
    dpkg-query -S "$path" >/dev/null 2>&1 && continue
    [[ -n $(ls -A "$path") ]] && continue
  fi
  echo "left: $path"
  left=1
done <"$tmp/files"
for path in "${owned_paths[@]}"; do
  if [[ -e $path ]]; then echo "left: $path"; left=1; fi
done
((left == 0)) || fail "purge left files or package records behind"
handler=$(fresh_user_handler x-scheme-handler/vncgate)
[[ $handler != io.github.vncgate.launcher.desktop ]] || fail "vncgate:// still opens io.github.vncgate.launcher.desktop after purge"
echo "nothing left behind"

log "ok"
