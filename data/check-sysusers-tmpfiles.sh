#!/bin/sh
# check-sysusers-tmpfiles.sh SYSUSERS TMPFILES: the generated sysusers.d and
# tmpfiles.d files do what the unit expects, applied to a scratch root:
#  - systemd-sysusers --dry-run accepts the file;
#  - systemd-sysusers --root makes the user vncgate (home /var/lib/vncgate,
#    no login shell), its group and the group vncadm with vncgate in it;
#  - systemd-tmpfiles --root --create makes /var/lib/vncgate 0700
#    vncgate:vncgate and gives an existing /etc/vncgate/sasldb2 to
#    root:vncgate 0640.
# The --root steps change owners, so they need root (CI runs as root);
# as another user only the dry run runs.
set -eu
sysusers=$(realpath "$1")
tmpfiles=$(realpath "$2")
for tool in systemd-sysusers systemd-tmpfiles; do
  command -v $tool >/dev/null 2>&1 || { echo "no $tool: skipped"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

systemd-sysusers --dry-run "$sysusers" >"$tmp/dry.log" 2>&1 || { cat "$tmp/dry.log"; exit 1; }
grep -q "Creating user 'vncgate'" "$tmp/dry.log" || { cat "$tmp/dry.log"; echo "dry run creates no vncgate user"; exit 1; }
echo "sysusers --dry-run: ok"

if [ "$(id -u)" != 0 ]; then
  echo "not root: the --root checks need to change owners; skipped"
  exit 77
fi

root=$tmp/root
mkdir -p "$root/etc"
systemd-sysusers --root="$root" "$sysusers" || { echo "systemd-sysusers --root failed"; exit 1; }
status=0
fail() { echo "$1"; status=1; }
entry=$(grep '^vncgate:' "$root/etc/passwd") || fail "no vncgate in passwd"
echo "passwd: $entry"
[ "$(echo "$entry" | cut -d: -f6)" = /var/lib/vncgate ] || fail "home is not /var/lib/vncgate"
case $(echo "$entry" | cut -d: -f7) in
  */nologin|*/false) ;;
  *) fail "vncgate has a login shell" ;;
esac
uid=$(echo "$entry" | cut -d: -f3)
[ "$uid" -gt 0 ] && [ "$uid" -lt 1000 ] || fail "uid $uid is not a system uid"
gid=$(grep '^vncgate:' "$root/etc/group" | cut -d: -f3) || fail "no group vncgate"
[ "$(echo "$entry" | cut -d: -f4)" = "$gid" ] || fail "vncgate's primary group is not vncgate"
grep -q '^vncadm:[^:]*:[0-9]*:\(.*,\)\{0,1\}vncgate\(,.*\)\{0,1\}$' "$root/etc/group" \
  || fail "vncgate is not a member of vncadm"

mkdir -p "$root/etc/vncgate"
: >"$root/etc/vncgate/sasldb2"
chmod 0600 "$root/etc/vncgate/sasldb2"
systemd-tmpfiles --root="$root" --create "$tmpfiles" || fail "systemd-tmpfiles --create failed"
check_stat() {  # path expected "mode user group"
  got=$(stat -c '%a %u %g' "$root$1" 2>/dev/null) || { fail "$1 missing"; return; }
  [ "$got" = "$2" ] && echo "$1: $got" || fail "$1: $got, expected $2"
}
check_stat /var/lib/vncgate "700 $uid $gid"
check_stat /etc/vncgate/sasldb2 "640 0 $gid"
exit $status
