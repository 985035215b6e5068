# wine_prefix.sh — sourced by the tests that run Windows programs under wine
# (tests/windows/run_cross_tests.sh, packaging/windows/test-msi.sh).
#
# wine_isolate DIR   everything wine touches stays in DIR: the prefix, HOME
#                    and XDG folders, TMPDIR (wineserver's socket folder); no
#                    display, no Mono/Gecko installer prompts, no host menu
#                    entries (winemenubuilder), no crash debugger (winedbg
#                    attaching to a crashed service can wait forever).
# wine_boot LOG      creates the prefix, bounded; a prefix whose creation
#                    hangs (seen under load: a service crashes during
#                    wineboot) is killed and made once more.
# wine_stop          ends this prefix's wineserver and its processes.

wine_isolate() {
  WINEPREFIX=$1/prefix
  WINEDEBUG=-all
  WINEARCH=win64
  WINEDLLOVERRIDES='winemenubuilder.exe=d;winedbg.exe=d;mscoree=;mshtml='
  HOME=$1/home
  XDG_DATA_HOME=$1/home/.local/share
  XDG_CONFIG_HOME=$1/home/.config
  XDG_CACHE_HOME=$1/home/.cache
  TMPDIR=$1/tmp
  export WINEPREFIX WINEDEBUG WINEARCH WINEDLLOVERRIDES HOME XDG_DATA_HOME \
    XDG_CONFIG_HOME XDG_CACHE_HOME TMPDIR
  unset DISPLAY WAYLAND_DISPLAY
  mkdir -p "$HOME" "$TMPDIR"
}

wine_stop() {
  [ -n "${WINEPREFIX:-}" ] || return 0  # never the user's own ~/.wine
  wineserver -k >/dev/null 2>&1 || true
  wineserver -w >/dev/null 2>&1 || true
}

wine_boot() {
  for attempt in 1 2; do
    if timeout 150 wine wineboot --init </dev/null >>"$1" 2>&1 &&
      [ -d "$WINEPREFIX/drive_c/windows" ]; then
      return 0
    fi
    echo "wineboot attempt $attempt did not finish within 150 s" >>"$1"
    wine_stop
    rm -rf "$WINEPREFIX"
  done
  return 1
}
