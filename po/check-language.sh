#!/bin/sh
# check-language.sh LANG PODIR VNCGATED VNCGATECTL VIEWER LAUNCHER
# Runs the real programs with LANGUAGE=LANG and the catalogs built in PODIR
# (<build>/po, which holds LANG/LC_MESSAGES/vncgate.mo) and checks that
# what a user reads comes out in that language: vncgated --help and
# --check-config (a good and a bad file), vncgatectl's usage, and a refused
# link in vncgate-viewer and vncgate-launcher (the link parser's own reason
# included). VIEWER may be "-" when the viewer is not built.
#
# gettext ignores LANGUAGE in the C locale, so the locale is C.UTF-8 (always
# present in glibc >= 2.35); VNCGATE_LOCALEDIR points the programs'
# bindtextdomain() at PODIR instead of the installed catalogs.
set -u
lang=$1 podir=$2 vncgated=$3 vncgatectl=$4 viewer=$5 launcher=$6

if [ ! -f "$podir/$lang/LC_MESSAGES/vncgate.mo" ]; then
  echo "no catalog $podir/$lang/LC_MESSAGES/vncgate.mo" >&2
  exit 1
fi
if ! locale -a 2>/dev/null | grep -qix 'c.utf-\{0,1\}8'; then
  echo "no C.UTF-8 locale: skipped" >&2
  exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vncgate-i18n.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
unset LC_ALL LC_MESSAGES LANG
export LANG=C.UTF-8 LANGUAGE=$lang VNCGATE_LOCALEDIR=$podir
export HOME=$tmp XDG_CONFIG_HOME=$tmp/config XDG_DATA_HOME=$tmp/data
export QT_QPA_PLATFORM=offscreen
unset DISPLAY WAYLAND_DISPLAY

case $lang in
  de)
    help='Die Konfigurationsdatei prüfen und beenden'
    bad_number='eine ganze Zahl von 1 bis 3600 erwartet, »soon« erhalten'
    bad_section='unbekannter Abschnitt'
    ok='Konfiguration in Ordnung (1 Konsole)'
    usage='Aufruf: vncgatectl'
    viewer_summary='Der Konsolen-Link ist ungültig.'
    launcher_refused='Der Link wurde abgelehnt:'
    link_reason='ungültiger Rechner im Link'
    link_filled='unbekannter Link-Parameter »colour«'
    ;;
  fr)
    help='Vérifier le fichier de configuration et quitter'
    bad_number='nombre entier de 1 à 3600 attendu, « soon » reçu'
    bad_section='section inconnue'
    ok='configuration correcte (1 console)'
    usage='usage : vncgatectl'
    viewer_summary='Le lien de console n’est pas valide.'
    launcher_refused='Le lien a été refusé :'
    link_reason='hôte non valide dans le lien'
    link_filled='paramètre de lien inconnu « colour »'
    ;;
  *) echo "no expectations for language $lang" >&2; exit 1 ;;
esac

failures=0
# expect NAME TEXT FILE: FILE (a program's output) contains TEXT.
expect() {
  if grep -qF -- "$2" "$3"; then
    echo "ok: $1"
  else
    echo "FAIL: $1: expected \"$2\" in:" >&2
    sed 's/^/  | /' "$3" >&2
    failures=$((failures + 1))
  fi
}
# refuse NAME TEXT FILE: FILE does not contain TEXT (the English original).
refuse() {
  if grep -qF -- "$2" "$3"; then
    echo "FAIL: $1: still English (\"$2\")" >&2
    failures=$((failures + 1))
  fi
}

"$vncgated" --help >"$tmp/help" 2>&1
expect 'vncgated --help' "$help" "$tmp/help"
refuse 'vncgated --help' 'Check the configuration file and exit' "$tmp/help"

printf '[gateway]\nlisten = 127.0.0.1:5999\n[console:one]\nbackend = 127.0.0.1:5900\n' >"$tmp/good.conf"
"$vncgated" --check-config --config "$tmp/good.conf" >"$tmp/good" 2>&1
expect 'vncgated --check-config (good file)' "$ok" "$tmp/good"

printf '[gateway]\nhandshake-timeout = soon\n' >"$tmp/bad.conf"
if "$vncgated" --check-config --config "$tmp/bad.conf" >"$tmp/bad" 2>&1; then
  echo "FAIL: vncgated --check-config accepted a bad file" >&2
  failures=$((failures + 1))
fi
expect 'vncgated --check-config (bad number)' "$bad_number" "$tmp/bad"

printf '[nonsense]\n' >"$tmp/bad2.conf"
"$vncgated" --check-config --config "$tmp/bad2.conf" >"$tmp/bad2" 2>&1
expect 'vncgated --check-config (unknown section)' "$bad_section" "$tmp/bad2"

"$vncgatectl" >"$tmp/ctl" 2>&1
expect 'vncgatectl usage' "$usage" "$tmp/ctl"

# A host starting with '-' is option-like: the link parser refuses it. Its
# reasons are English texts translated by the launcher and the viewer; the
# second link's reason is a template with the parameter filled in.
bad_link='vncgate://-gw.example/console/one'
bad_param='vncgate://gw.example/console/one?colour=red'
if [ "$viewer" != - ]; then
  "$viewer" "$bad_link" >"$tmp/viewer" 2>&1
  expect 'vncgate-viewer bad link' "$viewer_summary" "$tmp/viewer"
  expect 'vncgate-viewer link reason' "$link_reason" "$tmp/viewer"
  "$viewer" "$bad_param" >"$tmp/viewer2" 2>&1
  expect 'vncgate-viewer link reason with a parameter' "$link_filled" "$tmp/viewer2"
fi

"$launcher" --no-gui -- "$bad_link" >"$tmp/launcher" 2>&1
expect 'vncgate-launcher bad link' "$launcher_refused" "$tmp/launcher"
expect 'vncgate-launcher link reason' "$link_reason" "$tmp/launcher"
"$launcher" --no-gui -- "$bad_param" >"$tmp/launcher2" 2>&1
expect 'vncgate-launcher link reason with a parameter' "$link_filled" "$tmp/launcher2"

[ "$failures" -eq 0 ]
