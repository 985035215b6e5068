#!/bin/sh
# check-icon.sh SVG...: each icon is well-formed XML with an <svg> root and
# a square viewBox, and renders to PNG with rsvg-convert (librsvg, what GTK
# and most icon caches use) at 16 and 128 pixels.
set -eu
command -v rsvg-convert >/dev/null 2>&1 || { echo "no rsvg-convert (librsvg2-bin): skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for svg in "$@"; do
  if command -v xmllint >/dev/null 2>&1; then xmllint --noout "$svg"; fi
  python3 - "$svg" <<'PY'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
if root.tag != '{http://www.w3.org/2000/svg}svg':
    sys.exit(f'root element is {root.tag}, not svg')
box = root.get('viewBox', '').split()
if len(box) != 4 or box[2] != box[3]:
    sys.exit(f'viewBox {box} is not square')
PY
  for size in 16 128; do
    rsvg-convert -w $size -h $size -o "$tmp/icon.png" "$svg"
    got=$(python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); print(*struct.unpack(">II", d[16:24]))' "$tmp/icon.png")
    [ "$got" = "$size $size" ] || { echo "$svg: rendered $got at $size"; exit 1; }
  done
  echo "$svg: ok"
done
