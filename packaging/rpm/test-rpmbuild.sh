#!/bin/bash
# Builds the RPMs with rpmbuild from a tarball of the source tree and
# checks what they hold.
#
#   test-rpmbuild.sh SRCDIR SPEC VERSION
#
# SPEC is the vncgate.spec meson configured. The tarball holds the files git
# knows (tracked, plus untracked ones that are not ignored) with their
# working-tree contents, so the test sees the tree as it is; on a clean
# clone (CI) that is the commit. rpmbuild runs with --nodeps because on
# Debian the rpm database holds no packages at all, so no BuildRequires
# could be satisfied; the build itself finds the Debian -dev packages with
# pkg-config. Debug packages are off: Fedora makes them with
# redhat-rpm-config, which Debian's rpm does not have.
#
# Exit 77 (skip) without rpmbuild or without a git checkout.
set -euo pipefail

if (($# != 3)); then
  echo "usage: $0 SRCDIR SPEC VERSION" >&2
  exit 2
fi
src=$(realpath "$1") spec=$(realpath "$2") version=$3

for tool in rpmbuild rpm rpm2archive git; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool not found"
    exit 77
  fi
done
if [[ ! -e $src/.git ]]; then
  echo "SKIP: $src is not a git checkout (no file list for the tarball)"
  exit 77
fi
# A checkout owned by another user (a CI container) is still ours to read.
git=(git -c safe.directory="$src" -C "$src")

work=$(mktemp -d "${TMPDIR:-/tmp}/vncgate-rpmbuild.XXXXXX")
trap 'rm -rf "$work"' EXIT
top=$work/rpmbuild
mkdir -p "$top"/{SOURCES,SPECS,BUILD,BUILDROOT,RPMS,SRPMS}

fail=0
bad() {
  echo "FAIL: $*" >&2
  fail=1
}

# --- the source tarball, as Source0 names it --------------------------------
name=vncgate-$version
"${git[@]}" ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do
    # A tracked file deleted in the working tree is not part of it.
    if [[ -e $src/$f || -L $src/$f ]]; then printf '%s\0' "$f"; fi
  done |
  tar -C "$src" --null -T - --transform "s,^,$name/," -cJf "$top/SOURCES/$name.tar.xz"
cp "$spec" "$top/SPECS/vncgate.spec"

# --- rpmbuild ---------------------------------------------------------------
start=$SECONDS
if ! rpmbuild -bb --nodeps \
  --define "_topdir $top" \
  --define "debug_package %{nil}" \
  "$top/SPECS/vncgate.spec" >"$work/rpmbuild.log" 2>&1; then
  tail -n 80 "$work/rpmbuild.log" >&2
  echo "FAIL: rpmbuild -bb (log above)" >&2
  exit 1
fi
echo "rpmbuild -bb took $((SECONDS - start)) s; its %check ran the project's tests:"
grep -E '^(Ok|Fail|Skipped|Timeout): ' "$work/rpmbuild.log" | sed 's/^/    /' || true

arch=$(rpm --eval '%{_arch}')
# awk reads to the end: an early exit would kill rpm with SIGPIPE.
release=$(rpm -q --specfile "$top/SPECS/vncgate.spec" --qf '%{RELEASE}\n' | awk 'NR == 1')
declare -A rpmfile=(
  [common]=$top/RPMS/noarch/vncgate-common-$version-$release.noarch.rpm
  [daemon]=$top/RPMS/$arch/vncgate-daemon-$version-$release.$arch.rpm
  [desktop]=$top/RPMS/$arch/vncgate-desktop-$version-$release.$arch.rpm
)
for p in common daemon desktop; do
  [[ -f ${rpmfile[$p]} ]] || bad "no ${rpmfile[$p]##*/}; built: $(cd "$top/RPMS" && echo */*.rpm)"
done
((fail == 0)) || exit 1
# Nothing else: a stray package (debuginfo, the empty main package) means
# the spec changed shape.
count=$(find "$top/RPMS" -name '*.rpm' | wc -l)
((count == 3)) || bad "expected 3 packages, found $count: $(cd "$top/RPMS" && echo */*.rpm)"

# --- contents ---------------------------------------------------------------
# has PACKAGE PATTERN...: each extended regex matches a path in PACKAGE.
has() {
  local p=$1 re
  shift
  for re in "$@"; do
    grep -Eq "^$re\$" "$work/$p.files" || bad "vncgate-$p lacks $re"
  done
}
# lacks PACKAGE PATTERN...: no path in PACKAGE matches.
lacks() {
  local p=$1 re
  shift
  for re in "$@"; do
    if grep -Eq "^$re\$" "$work/$p.files"; then bad "vncgate-$p holds $re"; fi
  done
}
for p in common daemon desktop; do
  rpm -qpl "${rpmfile[$p]}" >"$work/$p.files"
  echo "--- vncgate-$p:"
  sed 's/^/    /' "$work/$p.files"
done

has common '/usr/share/locale/de/LC_MESSAGES/vncgate\.mo' \
  '/usr/share/locale/fr/LC_MESSAGES/vncgate\.mo'
has daemon /usr/sbin/vncgated /usr/bin/vncgatectl \
  '/usr/lib/systemd/system/vncgated\.service' \
  '/usr/lib/sysusers\.d/vncgate\.conf' '/usr/lib/tmpfiles\.d/vncgate\.conf' \
  '/etc/sasl2/vncgate\.conf' '/etc/vncgate/vncgated\.conf' \
  '/usr/share/man/man8/vncgated\.8(\.gz)?' '/usr/share/man/man5/vncgated\.conf\.5(\.gz)?' \
  '/usr/share/man/man1/vncgatectl\.1(\.gz)?'
has desktop /usr/bin/vncgate-launcher /usr/bin/vncgate-viewer \
  '/usr/share/applications/io\.github\.vncgate\.launcher\.desktop' \
  '/usr/share/applications/io\.github\.vncgate\.viewer\.desktop' \
  '/usr/share/metainfo/.*\.metainfo\.xml' \
  '/usr/share/icons/hicolor/scalable/apps/vncgate\.svg' \
  '/usr/share/man/man1/vncgate-launcher\.1(\.gz)?' '/usr/share/man/man1/vncgate-viewer\.1(\.gz)?'
lacks daemon '/usr/bin/vncgate-(launcher|viewer)' '.*\.mo' '/usr/share/applications/.*'
lacks desktop '/usr/s?bin/vncgated?' '/usr/bin/vncgatectl' '.*\.mo' '/usr/lib/systemd/.*'
lacks common '/usr/s?bin/.*'

# Configuration files are kept on upgrade and removal when edited.
rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "${rpmfile[daemon]}" >"$work/daemon.flags"
for f in /etc/sasl2/vncgate.conf /etc/vncgate/vncgated.conf; do
  grep -Eq "^c[^ ]*n[^ ]* $f\$" "$work/daemon.flags" || bad "$f is not %config(noreplace): $(grep " $f\$" "$work/daemon.flags")"
done
# Every file belongs to root (the service user is made at install time).
for p in common daemon desktop; do
  others=$(rpm -qp --qf '[%{FILEUSERNAME}:%{FILEGROUPNAME} %{FILENAMES}\n]' "${rpmfile[$p]}" | grep -v '^root:root ' || true)
  [[ -z $others ]] || bad "vncgate-$p has files not owned by root: $others"
done

# --- metadata ---------------------------------------------------------------
for p in common daemon desktop; do
  license=$(rpm -qp --qf '%{LICENSE}' "${rpmfile[$p]}")
  [[ $license == GPL-2.0-or-later ]] || bad "vncgate-$p License is '$license'"
  rpm -qp --requires "${rpmfile[$p]}" >"$work/$p.requires"
done
for p in daemon desktop; do
  grep -Fxq "vncgate-common = $version-$release" "$work/$p.requires" ||
    bad "vncgate-$p does not require vncgate-common = $version-$release"
done
# The shared-library dependencies rpm found in the ELF files.
grep -q '^libsasl2\.so\.' "$work/daemon.requires" || bad "vncgate-daemon: no libsasl2 requirement"
grep -q '^libgnutls\.so\.' "$work/daemon.requires" || bad "vncgate-daemon: no libgnutls requirement"
grep -q '^libQt6Widgets\.so\.' "$work/desktop.requires" || bad "vncgate-desktop: no libQt6Widgets requirement"
grep -q '^libgtk-vnc-2\.0\.so\.' "$work/desktop.requires" || bad "vncgate-desktop: no libgtk-vnc-2.0 requirement"

# --- scriptlets -------------------------------------------------------------
# Each is valid sh with every macro expanded (a missing macro would be
# left as %{...} text and fail only on a user's machine).
for tag in PREIN POSTIN PREUN POSTUN; do
  for p in common daemon desktop; do
    rpm -qp --qf "%{$tag}" "${rpmfile[$p]}" >"$work/$p.$tag"
    [[ $(<"$work/$p.$tag") == '(none)' ]] && : >"$work/$p.$tag"
    sh -n "$work/$p.$tag" || bad "vncgate-$p $tag is not valid sh"
    if grep -n '%' "$work/$p.$tag"; then bad "vncgate-$p $tag has unexpanded macros"; fi
  done
done
grep -q 'systemd-sysusers .*/usr/lib/sysusers.d/vncgate.conf' "$work/daemon.POSTIN" || bad "vncgate-daemon %post makes no user"
grep -q 'systemd-tmpfiles --create .*/usr/lib/tmpfiles.d/vncgate.conf' "$work/daemon.POSTIN" || bad "vncgate-daemon %post makes no directories"
grep -q 'preset .*vncgated.service' "$work/daemon.POSTIN" || bad "vncgate-daemon %post does not preset the unit"
grep -q 'disable .*vncgated.service' "$work/daemon.PREUN" || bad "vncgate-daemon %preun does not disable the unit"
grep -q 'vncgated.service' "$work/daemon.POSTUN" || bad "vncgate-daemon %postun does not restart the unit"
echo "--- vncgate-daemon scriptlets:"
rpm -qp --scripts "${rpmfile[daemon]}" | sed 's/^/    /'

# --- the programs run ---------------------------------------------------------
mkdir "$work/root"
for p in common daemon desktop; do
  rpm2archive - <"${rpmfile[$p]}" | tar -xzf - -C "$work/root"
done
out=$("$work/root/usr/sbin/vncgated" --version 2>&1) || bad "vncgated --version failed: $out"
[[ $out == *"$version"* ]] || bad "vncgated --version says '$out', not $version"
echo "vncgated --version: $out"

# --- install and erase them with rpm, in a scratch root ---------------------
# rpm itself then checks that no two packages hold the same file and that
# erasing them leaves nothing behind. Scriptlets stay off: they would run
# systemctl and systemd-sysusers inside a root without systemd. Installing
# with rpm needs root (file owners); as another user this part is left out.
if ((EUID == 0)); then
  inst=$work/install
  mkdir "$inst"
  rpm_root=(rpm --root "$inst" --dbpath /rpmdb)
  # Debian's rpm warns on every install that dpkg owns the system, unless told.
  rpm_help=$(rpm --help 2>&1)
  if [[ $rpm_help == *--force-debian* ]]; then rpm_root+=(--force-debian); fi
  no_scripts=(--nodeps --noscripts --notriggers)
  "${rpm_root[@]}" "${no_scripts[@]}" -i "${rpmfile[@]}" || bad "rpm -i of the three packages failed"
  "${rpm_root[@]}" -V --nodeps vncgate-common vncgate-daemon vncgate-desktop || bad "rpm -V after install"
  "${rpm_root[@]}" "${no_scripts[@]}" -e vncgate-desktop vncgate-daemon vncgate-common || bad "rpm -e failed"
  left=$(cd "$inst" && find . -mindepth 1 -not -path './rpmdb*' -not -type d)
  [[ -z $left ]] || bad "files left after rpm -e: $left"
  echo "rpm -i, -V and -e in a scratch root: done"
else
  echo "not root: rpm -i/-e in a scratch root not run"
fi

# --- rpmlint, where there is one (Debian's rpmlint package) -----------------
# vncgate.rpmlintrc filters the findings that come from Debian's rpmlint
# rules and rpm, with the reasons.
if command -v rpmlint >/dev/null; then
  rpmlint -r "$(dirname "$0")/vncgate.rpmlintrc" "${rpmfile[@]}" "$top/SPECS/vncgate.spec" ||
    bad "rpmlint reports errors"
else
  echo "rpmlint not found: not run"
fi

((fail == 0)) || exit 1
echo "PASS: ${rpmfile[common]##*/} ${rpmfile[daemon]##*/} ${rpmfile[desktop]##*/}"
