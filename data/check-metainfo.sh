#!/bin/sh
# check-metainfo.sh METAINFO ID VERSION DESKTOP-ID: the merged AppStream file
#  - passes appstreamcli validate --no-net without errors or warnings
#    (infos and pedantic notes are fine);
#  - has the component id ID, and the file is named ID.metainfo.xml;
#  - lists VERSION (the project's) as its newest release;
#  - launches DESKTOP-ID, the launcher's desktop file, named after ID.
set -eu
file=$1
id=$2
version=$3
desktop_id=$4
[ "$desktop_id" = "$id.desktop" ] || { echo "the desktop file $desktop_id is not named after the id $id"; exit 1; }
command -v appstreamcli >/dev/null 2>&1 || { echo "no appstreamcli: skipped"; exit 77; }
status=0
out=$(appstreamcli validate --no-net --pedantic "$file" 2>&1) || status=$?
echo "$out"
# appstreamcli exits 0 on infos only, 3 on warnings; look at the lines too.
if [ $status != 0 ] || printf '%s\n' "$out" | grep -q '^[EW]:'; then
  echo "$file: errors or warnings"
  exit 1
fi
[ "$(basename "$file")" = "$id.metainfo.xml" ] || { echo "file name is not $id.metainfo.xml"; exit 1; }
python3 - "$file" "$id" "$version" "$desktop_id" <<'PY'
import sys
import xml.etree.ElementTree as ET
path, want_id, want_version, want_launchable = sys.argv[1:]
root = ET.parse(path).getroot()
got_id = root.findtext('id')
if got_id != want_id:
    sys.exit(f'<id> is {got_id!r}, expected {want_id!r}')
releases = root.findall('releases/release')
if not releases or releases[0].get('version') != want_version:
    sys.exit(f'newest release is not {want_version}')
launchable = root.findtext("launchable[@type='desktop-id']")
if launchable != want_launchable:
    sys.exit(f'launchable is {launchable!r}')
types = {m.text for m in root.findall('provides/mediatype')}
need = {'x-scheme-handler/vncgate', 'x-scheme-handler/vnc', 'application/x-virt-viewer'}
if not need <= types:
    sys.exit(f'missing mediatypes: {sorted(need - types)}')
print(f'{path}: id, release {want_version}, launchable and mediatypes ok')
PY
