#!/usr/bin/env bash
# Stages the Windows install tree of vncgate and builds the MSI with wixl.
#
#   stage-and-build-msi.sh --wxs BUILD/packaging/windows/vncgate.wxs
#       (--destdir DIR | --build-dir BUILD) --output vncgate.msi
#       [--stage DIR] [--version X.Y.Z] [--prefix-root DIR] [--dll-path DIR]...
#
# --destdir DIR    a `meson install --destdir DIR` tree; the install root is
#                  the folder that holds bin/vncgate-launcher.exe (whatever
#                  prefix the build used).
# --build-dir DIR  run `meson install --no-rebuild --destdir DIR/msi-destdir`
#                  first (what the `msi` run target does).
# --prefix-root D  the MSYS2 prefix the programs were built against (default:
#                  $MINGW_PREFIX, set in an MSYS2 shell). Its bin/ is searched
#                  for DLLs, windeployqt puts Qt's plugins beside the launcher,
#                  and GTK's pixbuf loaders, GSettings schemas and icons and
#                  the Cyrus SASL plugins are copied from it.
# --dll-path DIR   one more folder to take DLLs from (repeatable).
# --version V      the MSI ProductVersion (default: the one meson configured).
#
# DLLs are found by reading each staged .exe/.dll's import table with
# objdump (static: nothing is run, so this works on Linux for the test as
# on Windows) and copying every import found in a DLL folder, until no new
# one turns up. Imports found in no DLL folder are Windows' own.
set -euo pipefail

die() { echo "stage-and-build-msi: $*" >&2; exit 1; }
log() { echo "stage-and-build-msi: $*" >&2; }

wxs='' destdir='' build_dir='' output='' stage='' version=''
prefix_root=${MINGW_PREFIX:-}
dll_paths=()
while (($#)); do
  case $1 in
    --wxs) wxs=$2; shift 2 ;;
    --destdir) destdir=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --output) output=$2; shift 2 ;;
    --stage) stage=$2; shift 2 ;;
    --version) version=$2; shift 2 ;;
    --prefix-root) prefix_root=$2; shift 2 ;;
    --dll-path) dll_paths+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
[[ -n $wxs && -f $wxs ]] || die "--wxs FILE (the configured vncgate.wxs) is required"
[[ -n $output ]] || die "--output FILE is required"
[[ -n $destdir || -n $build_dir ]] || die "--destdir DIR or --build-dir DIR is required"
[[ -z $version || $version =~ ^[0-9]+(\.[0-9]+){1,3}$ ]] ||
  die "--version must be numeric (MSI ProductVersion): $version"
for tool in wixl wixl-heat; do
  command -v "$tool" >/dev/null || die "$tool not found (Debian: wixl; MSYS2: msitools)"
done
if [[ -n ${OBJDUMP:-} ]]; then objdump=$OBJDUMP
elif command -v x86_64-w64-mingw32-objdump >/dev/null; then objdump=x86_64-w64-mingw32-objdump
else objdump=objdump; fi
command -v "$objdump" >/dev/null || die "objdump not found (binutils)"

wxs=$(realpath "$wxs")
mkdir -p "$(dirname "$output")"
output=$(realpath "$output")
stage=$(realpath -m "${stage:-${output%.msi}-stage}")
[[ -n $prefix_root ]] && dll_paths+=("$prefix_root/bin")

if [[ -n $build_dir ]]; then
  destdir=$build_dir/msi-destdir
  rm -rf "$destdir"
  meson install -C "$build_dir" --no-rebuild --quiet --destdir "$destdir"
fi

# The install root: whichever folder of the DESTDIR tree holds
# bin/vncgate-launcher.exe (meson strips a drive letter from the prefix).
launcher=$(find "$destdir" -path '*/bin/vncgate-launcher.exe' -print -quit)
[[ -n $launcher ]] || die "no bin/vncgate-launcher.exe under $destdir"
root=$(dirname "$(dirname "$launcher")")
log "staging $root -> $stage"
rm -rf "$stage"
mkdir -p "$stage"
cp -a "$root/." "$stage/"
# What a build installs for developers has no place in a desktop package.
rm -rf "$stage/include" "$stage/lib/pkgconfig" "$stage/share/man" "$stage/share/doc"
find "$stage" \( -name '*.a' -o -name '*.dll.a' \) -delete

copy_from_prefix() {  # relative path under the MSYS2 prefix, if it exists
  local rel=$1
  [[ -e $prefix_root/$rel ]] || { log "not in the prefix (skipped): $rel"; return 0; }
  mkdir -p "$stage/$(dirname "$rel")"
  cp -a "$prefix_root/$rel" "$stage/$(dirname "$rel")/"
}

if [[ -n $prefix_root ]]; then
  # Qt: the platform plugin (qwindows), styles, image formats, TLS backends.
  windeployqt=$(command -v windeployqt6 || command -v windeployqt-qt6 || true)
  [[ -n $windeployqt ]] || die "windeployqt6 not found (MSYS2: qt6-tools)"
  "$windeployqt" --no-translations --no-compiler-runtime --no-system-d3d-compiler \
    --no-opengl-sw --dir "$stage/bin" "$stage/bin/vncgate-launcher.exe"
  # GTK 3 finds these relative to bin\ (the package's installation folder).
  copy_from_prefix lib/gdk-pixbuf-2.0
  copy_from_prefix share/glib-2.0/schemas/gschemas.compiled
  copy_from_prefix share/icons/Adwaita
  copy_from_prefix share/icons/hicolor/index.theme
  # Cyrus SASL mechanisms (GSSAPI, SCRAM, PLAIN) for gtk-vnc's SASL login.
  copy_from_prefix lib/sasl2
  find "$stage/lib/sasl2" -name '*.a' -delete 2>/dev/null || true
fi

# --- DLLs: walk import tables until closed ---------------------------------
find_dll() {  # name -> path in a DLL folder (case-insensitive), or nothing
  local name=$1 dir hit
  for dir in "${dll_paths[@]}"; do
    hit=$(find "$dir" -maxdepth 1 -iname "$name" -print -quit 2>/dev/null || true)
    [[ -n $hit ]] && { echo "$hit"; return 0; }
  done
  return 0
}
if ((${#dll_paths[@]})); then
  declare -A seen=()
  added=1
  while ((added)); do
    added=0
    while IFS= read -r -d '' pe; do
      [[ -n ${seen[$pe]:-} ]] && continue
      seen[$pe]=1
      while IFS= read -r dll; do
        [[ -n $dll ]] || continue
        # Already staged beside the programs (any case)?
        [[ -n $(find "$stage/bin" -maxdepth 1 -iname "$dll" -print -quit) ]] && continue
        src=$(find_dll "$dll")
        [[ -n $src ]] || continue  # a Windows system DLL
        cp "$src" "$stage/bin/"
        log "DLL $dll <- $src"
        added=1
      done < <("$objdump" -p "$pe" | sed -n 's/^[[:space:]]*DLL Name: //p' | tr -d '\r')
    done < <(find "$stage" -type f \( -iname '*.exe' -o -iname '*.dll' \) -print0)
  done
fi

# --- The MSI ---------------------------------------------------------------
work=$(dirname "$stage")
stage_name=$(basename "$stage")
main_wxs=$work/$stage_name.vncgate.wxs
files_wxs=$work/$stage_name.files.wxs
if [[ -n $version ]]; then
  sed "s|<?define ProductVersion = \"[^\"]*\"?>|<?define ProductVersion = \"$version\"?>|" \
    "$wxs" >"$main_wxs"
  grep -qF "<?define ProductVersion = \"$version\"?>" "$main_wxs" ||
    die "no ProductVersion define in $wxs"
else
  cp "$wxs" "$main_wxs"
fi
# wixl-heat names files and components by a hash of their path: stable ids
# from one build to the next, which a major upgrade relies on.
(cd "$work" && find "$stage_name" -type f | LC_ALL=C sort |
  wixl-heat -p "$stage_name/" --component-group CG.staged --var var.StageDir \
    --directory-ref INSTALLDIR --win64) >"$files_wxs"
# wixl resolves sources against its include folders, not absolute paths.
(cd "$work" && wixl --arch x64 -I "$work" -D StageDir="$stage_name" -D Win64=yes \
  -o "$output" "$main_wxs" "$files_wxs")
log "wrote $output ($(find "$stage" -type f | wc -l) files)"
