# shellcheck shell=bash
# What scripts/install-agent.sh and scripts/install-collector.sh share: options, the user, folders, files, the
# unit, systemctl, uninstall and purge. Sourced, not run. The sourcing script sets
#
#   PROGRAM         lepton-agent or lepton-collector (binary, unit and state folder are named after it)
#   CONFIG_NAME     agent.yaml or collector.yaml, installed in /etc/lepton/
#   EXAMPLE_CONFIG  the example it starts from, relative to the repository
#
# and defines these functions, then calls `lepton_install_main "$@"`:
#
#   component_usage            prints its own options for --help
#   component_option ARGS...   takes its own option from the front of ARGS (SHIFT_BY = words used); 1 if not its own
#   component_validate         checks its options once all are parsed (install and uninstall)
#   component_folders          creates its folders under /etc/lepton beyond /etc/lepton itself
#   component_cert_paths       sets CERT_DEST and KEY_DEST (target paths; empty when unknown)
#   component_render_config F  edits F, the copy of the example config about to be installed
#   component_config_kept F    compares F, an existing config kept as it is, with the options (warnings only)
#   component_purge            removes its config and certificates (--uninstall --purge)
#
# Every change prints one line (`would …` with --dry-run); what is already right prints `unchanged PATH`.

LEPTON_USER=lepton
ETC_DIR=/etc/lepton
LOG_DIR=/var/log/lepton
BIN_DIR=/usr/local/bin
UNIT_DIR=/etc/systemd/system
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PATH=$PATH:/usr/sbin:/sbin # useradd and friends, when the caller's PATH lacks them
umask 077                  # no file is ever readable by others before its mode is set (parents: make_parent)

SCRIPT_NAME=$(basename "$0" .sh)
ROOT=""         # --root DIR, absolute, without a trailing slash ("" for /)
ROOT_GIVEN=""   # set when --root was given, even --root /
ROOT_ARGS=()    # (--root DIR) for useradd, groupadd, userdel, groupdel
DRY_RUN=""
NO_START=""
UNINSTALL=""
PURGE=""
BINARY=""
CONFIG_SOURCE=""
CA_SRC=""
CERT_SRC=""
KEY_SRC=""
CERT_DEST=""
KEY_DEST=""
SHIFT_BY=1
CHANGES=0       # changes made (or, with --dry-run, that would be made)
SKIP_SYSTEMCTL="" # why systemctl is not called, or "" when it is
WORK_DIR=""
REMOVED=()      # paths removed (or that --dry-run would remove), for remove_dir_if_empty

# --- messages -------------------------------------------------------------------------------------------------

say() { printf '%s\n' "$*"; }
warn() { printf '%s: warning: %s\n' "$SCRIPT_NAME" "$*" >&2; }
die() {
    printf '%s: error: %s\n' "$SCRIPT_NAME" "$*" >&2
    exit 1
}
usage_error() {
    printf '%s: error: %s (see --help)\n' "$SCRIPT_NAME" "$*" >&2
    exit 2
}

usage() {
    cat <<EOF
Usage: $0 [OPTIONS]

Installs $PROGRAM as a systemd service, or removes it (--uninstall):
  user and group $LEPTON_USER; $ETC_DIR/, /var/lib/$PROGRAM/, $LOG_DIR/
  $BIN_DIR/$PROGRAM
  $ETC_DIR/$CONFIG_NAME from $EXAMPLE_CONFIG (an existing config is never overwritten)
  the certificates given (replaced when they differ: that is how they are renewed)
  $UNIT_DIR/$PROGRAM.service, then systemctl enable --now (when it runs already: restart for a new binary or
  unit, reload for new certificates)
Running it again changes nothing that is already right.

Options:
  --binary PATH     the binary to install (default: .build/dist/$PROGRAM in the repository, from make release)
  --config FILE     the config to install when $ETC_DIR/$CONFIG_NAME does not exist
                    (default: $EXAMPLE_CONFIG)
EOF
    component_usage
    cat <<EOF
  --no-start        install, but do not call systemctl
  --root DIR        install under DIR (paths, useradd --root DIR, owners from DIR/etc/passwd and DIR/etc/group);
                    implies --no-start
  --dry-run         print each change it would make, change nothing
  --uninstall       stop and disable the service, remove the unit and the binary; keep config, certificates,
                    state and logs
  --purge           with --uninstall: also remove the config, certificates, state; and the log folder and the
                    user when no other Lepton unit is installed
  -h, --help        print this help

Exit status: 0 done (or nothing to do), 1 failure (a missing file, a config that does not pass
'$PROGRAM check'), 2 wrong usage.
EOF
}

# --- options --------------------------------------------------------------------------------------------------

# require_value OPTION [VALUE...]: fails unless OPTION is followed by a non-empty value.
require_value() {
    if [ $# -lt 2 ] || [ -z "$2" ]; then usage_error "$1 needs a value"; fi
}

parse_options() {
    while [ $# -gt 0 ]; do
        SHIFT_BY=2
        case $1 in
        -h | --help)
            usage
            exit 0
            ;;
        --binary) require_value "$@" && BINARY=$2 ;;
        --config) require_value "$@" && CONFIG_SOURCE=$2 ;;
        --ca) require_value "$@" && CA_SRC=$2 ;;
        --cert) require_value "$@" && CERT_SRC=$2 ;;
        --key) require_value "$@" && KEY_SRC=$2 ;;
        --root) require_value "$@" && ROOT=$2 && ROOT_GIVEN=1 ;;
        --no-start) NO_START=1 SHIFT_BY=1 ;;
        --dry-run) DRY_RUN=1 SHIFT_BY=1 ;;
        --uninstall) UNINSTALL=1 SHIFT_BY=1 ;;
        --purge) PURGE=1 SHIFT_BY=1 ;;
        *)
            SHIFT_BY=1
            component_option "$@" || usage_error "unknown option: $1"
            ;;
        esac
        shift "$SHIFT_BY"
    done
}

validate_options() {
    [ -z "$PURGE" ] || [ -n "$UNINSTALL" ] || usage_error "--purge goes with --uninstall"
    if [ -n "$ROOT_GIVEN" ]; then
        [ -d "$ROOT" ] || die "--root $ROOT: no such directory"
        ROOT=$(cd "$ROOT" && pwd)
        [ "$ROOT" != / ] || ROOT=""
        ROOT_ARGS=(--root "${ROOT:-/}")
    fi
    component_validate
    if [ -n "$NO_START" ]; then
        SKIP_SYSTEMCTL="--no-start"
    elif [ -n "$ROOT_GIVEN" ]; then
        SKIP_SYSTEMCTL="--root"
    elif [ ! -d /run/systemd/system ] || ! command -v systemctl >/dev/null 2>&1; then
        SKIP_SYSTEMCTL="systemd is not running"
    fi
    if ! is_root && [ -z "$ROOT_GIVEN" ] && [ -z "$DRY_RUN" ]; then
        die "run as root to change /, or use --root DIR or --dry-run"
    fi
}

# require_file WHAT PATH: fails naming PATH unless it is a readable file.
require_file() {
    if [ ! -f "$2" ] || [ ! -r "$2" ]; then die "$1 not found: $2"; fi
}

# --- users and owners -----------------------------------------------------------------------------------------

is_root() { [ "$(id -u)" = 0 ]; }

# lookup_id passwd|group NAME: the numeric id of NAME (in ROOT/etc/… with --root), or nothing.
lookup_id() {
    if [ -n "$ROOT_GIVEN" ]; then
        [ -r "$ROOT/etc/$1" ] || return 0
        awk -F: -v name="$2" '$1 == name { print $3; exit }' "$ROOT/etc/$1"
    else
        getent "$1" "$2" | cut -d: -f3 || true
    fi
}

# owner_ids USER GROUP: "uid:gid"; fails when either is unknown.
owner_ids() {
    local uid gid
    uid=$(lookup_id passwd "$1")
    gid=$(lookup_id group "$2")
    [ -n "$uid" ] || die "user $1 not found${ROOT_GIVEN:+ in $ROOT/etc/passwd}"
    [ -n "$gid" ] || die "group $2 not found${ROOT_GIVEN:+ in $ROOT/etc/group}"
    printf '%s:%s' "$uid" "$gid"
}

# accounts COMMAND...: useradd and friends with the usual umask (any file they create stays world-readable).
accounts() { (umask 022 && "$@"); }

ensure_user() {
    local uid gid
    uid=$(lookup_id passwd "$LEPTON_USER")
    gid=$(lookup_id group "$LEPTON_USER")
    if [ -n "$uid" ] && [ -n "$gid" ]; then
        say "unchanged user $LEPTON_USER (uid $uid, gid $gid)"
        return
    fi
    if ! is_root; then
        warn "not running as root: user $LEPTON_USER not created, owners left as they are (modes are set)"
        return
    fi
    if [ -n "$ROOT_GIVEN" ] && [ -z "$DRY_RUN" ]; then
        if [ ! -f "$ROOT/etc/passwd" ] || [ ! -f "$ROOT/etc/group" ]; then
            die "--root $ROOT: $ROOT/etc/passwd and $ROOT/etc/group must exist to add user $LEPTON_USER"
        fi
    fi
    if [ -z "$gid" ]; then
        act "create group $LEPTON_USER" "created group $LEPTON_USER" \
            accounts groupadd "${ROOT_ARGS[@]}" --system "$LEPTON_USER"
    fi
    if [ -z "$uid" ]; then
        act "create user $LEPTON_USER" "created user $LEPTON_USER" \
            accounts useradd "${ROOT_ARGS[@]}" --system --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin --gid "$LEPTON_USER" --comment "Lepton services" "$LEPTON_USER"
    fi
}

# --- changes --------------------------------------------------------------------------------------------------

# act WHAT DONE COMMAND...: runs COMMAND and prints DONE, or with --dry-run prints "would WHAT"; counts a change.
act() {
    local what=$1 done=$2
    shift 2
    CHANGES=$((CHANGES + 1))
    if [ -n "$DRY_RUN" ]; then
        say "would $what"
        return
    fi
    "$@"
    say "$done"
}

make_parent() { (umask 022 && mkdir -p -- "$(dirname -- "$1")"); }

# set_meta PATH MODE USER GROUP: chmod, and chown when running as root.
set_meta() {
    if is_root; then chown "$(owner_ids "$3" "$4")" "$1"; fi
    chmod "$2" "$1"
}

make_dir() {
    make_parent "$1"
    mkdir -- "$1"
    set_meta "$@"
}

# put_file SOURCE DEST MODE USER GROUP: copies SOURCE over DEST (a new file, so a running binary is not touched).
put_file() {
    make_parent "$2"
    if is_root; then
        local ids
        ids=$(owner_ids "$4" "$5")
        install -m "$3" -o "${ids%%:*}" -g "${ids##*:}" -- "$1" "$2"
    else
        install -m "$3" -- "$1" "$2"
    fi
}

# meta_matches PATH MODE USER GROUP: the mode (and, as root, the owners) are already these.
meta_matches() {
    local mode wanted
    mode=$(stat -c '%a' -- "$1")
    [ "$mode" = "$(printf '%o' "$((8#$2))")" ] || return 1
    is_root || return 0
    wanted=$(lookup_id passwd "$3"):$(lookup_id group "$4")
    [ "$(stat -c '%u:%g' -- "$1")" = "$wanted" ]
}

# ensure_meta PATH MODE USER GROUP: fixes mode and owners; prints "unchanged PATH" when they were right.
ensure_meta() {
    if meta_matches "$@"; then
        say "unchanged $1"
    else
        act "set $1 to $2 $3:$4" "set $1 to $2 $3:$4" set_meta "$@"
    fi
}

# ensure_dir PATH MODE USER GROUP (PATH without ROOT).
ensure_dir() {
    local dir=$ROOT$1
    shift
    if [ -d "$dir" ]; then
        ensure_meta "$dir" "$@"
    else
        act "create $dir ($1 $2:$3)" "created $dir ($1 $2:$3)" make_dir "$dir" "$@"
    fi
}

# ensure_file SOURCE DEST MODE USER GROUP [keep] (DEST without ROOT): installs SOURCE unless DEST has the same
# bytes; a different DEST is replaced, or with `keep` left as it is.
ensure_file() {
    local source=$1 dest=$ROOT$2 mode=$3 user=$4 group=$5 policy=${6:-replace}
    if [ ! -e "$dest" ]; then
        act "install $dest ($mode $user:$group)" "installed $dest ($mode $user:$group)" \
            put_file "$source" "$dest" "$mode" "$user" "$group"
    elif cmp -s -- "$source" "$dest"; then
        ensure_meta "$dest" "$mode" "$user" "$group"
    elif [ "$policy" = keep ]; then
        say "kept $dest (it exists: not overwritten)"
        meta_matches "$dest" "$mode" "$user" "$group" ||
            act "set $dest to $mode $user:$group" "set $dest to $mode $user:$group" \
                set_meta "$dest" "$mode" "$user" "$group"
    else
        act "replace $dest ($mode $user:$group)" "replaced $dest ($mode $user:$group)" \
            put_file "$source" "$dest" "$mode" "$user" "$group"
    fi
}

# remove_path PATH (with ROOT): removes a file.
remove_path() {
    REMOVED+=("$1")
    if [ -e "$1" ] || [ -L "$1" ]; then
        act "remove $1" "removed $1" rm -f -- "$1"
    else
        say "unchanged $1 (not there)"
    fi
}

# remove_tree PATH (with ROOT): removes a folder and everything in it.
remove_tree() {
    case $1 in "" | / | "$ROOT" | "$ROOT/") die "refusing to remove '$1'" ;; esac
    REMOVED+=("$1")
    if [ -e "$1" ]; then
        act "remove $1 and everything in it" "removed $1 and everything in it" rm -rf -- "$1"
    else
        say "unchanged $1 (not there)"
    fi
}

# remove_dir_if_empty PATH (with ROOT): removes the folder when nothing else is left in it (with --dry-run: when
# every file in it is one that would be removed).
remove_dir_if_empty() {
    [ -d "$1" ] || return 0
    local left="" file removed
    while IFS= read -r -d '' file; do
        left=$file
        for removed in "${REMOVED[@]}"; do
            if [ "$file" = "$removed" ]; then
                left=""
                break
            fi
        done
        [ -z "$left" ] || break
    done < <(find "$1" -mindepth 1 ! -type d -print0)
    if [ -n "$left" ] || { [ -z "$DRY_RUN" ] && [ -n "$(ls -A -- "$1")" ]; }; then
        say "kept $1 (not empty)"
        return
    fi
    REMOVED+=("$1")
    act "remove $1" "removed $1" rmdir -- "$1"
}

# other_units: the other Lepton units installed in ROOT/etc/systemd/system, one a line.
other_units() {
    local unit
    for unit in "$ROOT$UNIT_DIR"/lepton-*.service; do
        [ -e "$unit" ] && [ "$(basename "$unit")" != "$PROGRAM.service" ] && basename "$unit"
    done
    return 0
}

# other_configs: the other Lepton configs (ROOT/etc/lepton/*.yaml), one a line.
other_configs() {
    local config
    for config in "$ROOT$ETC_DIR"/*.yaml; do
        [ -e "$config" ] && [ "$(basename "$config")" != "$CONFIG_NAME" ] && basename "$config"
    done
    return 0
}

# --- systemctl ------------------------------------------------------------------------------------------------

start_service() {
    local unit=$PROGRAM.service unit_changed=$1 binary_changed=$2 active="" enabled=""
    if [ -n "$SKIP_SYSTEMCTL" ]; then
        say "skipped systemctl ($SKIP_SYSTEMCTL): start it with systemctl daemon-reload && systemctl enable --now $unit"
        return
    fi
    if [ -n "$unit_changed" ]; then
        act "run systemctl daemon-reload" "ran systemctl daemon-reload" systemctl daemon-reload
    fi
    if systemctl is-active --quiet "$unit"; then active=1; fi
    if systemctl is-enabled --quiet "$unit" 2>/dev/null; then enabled=1; fi
    if [ -n "$active" ] && [ -n "$enabled" ] && [ "$CHANGES" -eq 0 ]; then
        say "unchanged $unit (enabled, running)"
        return
    fi
    local changed=$CHANGES
    if [ -z "$active" ] || [ "$changed" -gt 0 ]; then
        check_config
    fi
    if [ -n "$active" ]; then
        [ -n "$enabled" ] || act "enable $unit" "enabled $unit" systemctl enable --quiet "$unit"
        if [ "$changed" -gt 0 ]; then
            if [ -n "$unit_changed$binary_changed" ]; then
                act "restart $unit" "restarted $unit" systemctl restart "$unit"
            else
                # Certificates (or permissions) only: SIGHUP picks them up without dropping the sessions.
                act "reload $unit" "reloaded $unit" systemctl reload "$unit"
            fi
        fi
    else
        act "enable and start $unit" "enabled and started $unit" systemctl enable --quiet --now "$unit"
    fi
}

# check_config: `PROGRAM check` on the installed config before systemd (re)starts it, so a config that cannot
# start leaves a running service as it is.
check_config() {
    [ -z "$DRY_RUN" ] || return 0
    local binary=$BIN_DIR/$PROGRAM config=$ETC_DIR/$CONFIG_NAME
    "$binary" check --config "$config" && return 0
    die "$config does not pass '$binary check' (above): $PROGRAM.service not (re)started." \
        "Fix it (or the files it names), then: systemctl restart $PROGRAM.service"
}

stop_service() {
    local unit=$PROGRAM.service
    if [ -n "$SKIP_SYSTEMCTL" ]; then
        say "skipped systemctl ($SKIP_SYSTEMCTL): stop it with systemctl disable --now $unit"
        return
    fi
    if systemctl is-active --quiet "$unit" || systemctl is-enabled --quiet "$unit" 2>/dev/null; then
        act "stop and disable $unit" "stopped and disabled $unit" systemctl disable --quiet --now "$unit"
    else
        say "unchanged $unit (not running, not enabled)"
    fi
}

# --- install and uninstall ------------------------------------------------------------------------------------

install_component() {
    BINARY=${BINARY:-$REPO_ROOT/.build/dist/$PROGRAM}
    CONFIG_SOURCE=${CONFIG_SOURCE:-$REPO_ROOT/$EXAMPLE_CONFIG}
    local unit_source=$REPO_ROOT/systemd/$PROGRAM.service
    require_file binary "$BINARY"
    require_file config "$CONFIG_SOURCE"
    require_file unit "$unit_source"
    [ -z "$CA_SRC" ] || require_file "CA certificate (--ca)" "$CA_SRC"
    [ -z "$CERT_SRC" ] || require_file "certificate (--cert)" "$CERT_SRC"
    [ -z "$KEY_SRC" ] || require_file "private key (--key)" "$KEY_SRC"

    WORK_DIR=$(mktemp -d)
    trap 'rm -rf -- "$WORK_DIR"' EXIT
    local config=$WORK_DIR/$CONFIG_NAME
    cp -- "$CONFIG_SOURCE" "$config"
    component_render_config "$config"

    ensure_user
    ensure_dir "$ETC_DIR" 0750 root "$LEPTON_USER"
    component_folders
    ensure_dir "/var/lib/$PROGRAM" 0700 "$LEPTON_USER" "$LEPTON_USER"
    ensure_dir "$LOG_DIR" 0750 "$LEPTON_USER" "$LEPTON_USER"
    local before_binary=$CHANGES binary_changed=""
    ensure_file "$BINARY" "$BIN_DIR/$PROGRAM" 0755 root root
    [ "$CHANGES" -eq "$before_binary" ] || binary_changed=1
    if [ -e "$ROOT$ETC_DIR/$CONFIG_NAME" ] && ! cmp -s -- "$config" "$ROOT$ETC_DIR/$CONFIG_NAME"; then
        component_config_kept "$ROOT$ETC_DIR/$CONFIG_NAME"
    fi
    ensure_file "$config" "$ETC_DIR/$CONFIG_NAME" 0640 root "$LEPTON_USER" keep

    component_cert_paths
    [ -z "$CA_SRC" ] || ensure_file "$CA_SRC" "$ETC_DIR/ca.pem" 0644 root root
    [ -z "$CERT_SRC" ] || ensure_file "$CERT_SRC" "$CERT_DEST" 0644 root root
    if [ -n "$KEY_SRC" ]; then
        ensure_file "$KEY_SRC" "$KEY_DEST" 0640 root "$LEPTON_USER"
    elif [ -n "$KEY_DEST" ] && [ -e "$ROOT$KEY_DEST" ]; then
        # A key written by `lepton-collector certs` is 0600 root: the service reads it through its group.
        ensure_meta "$ROOT$KEY_DEST" 0640 root "$LEPTON_USER"
    fi

    local before=$CHANGES unit_changed=""
    ensure_file "$unit_source" "$UNIT_DIR/$PROGRAM.service" 0644 root root
    [ "$CHANGES" -eq "$before" ] || unit_changed=1
    start_service "$unit_changed" "$binary_changed"
}

uninstall_component() {
    stop_service
    local before=$CHANGES
    remove_path "$ROOT$UNIT_DIR/$PROGRAM.service"
    if [ -z "$SKIP_SYSTEMCTL" ] && [ "$CHANGES" -gt "$before" ]; then
        act "run systemctl daemon-reload" "ran systemctl daemon-reload" systemctl daemon-reload
    fi
    remove_path "$ROOT$BIN_DIR/$PROGRAM"
    if [ -z "$PURGE" ]; then
        say "kept $ROOT$ETC_DIR/$CONFIG_NAME, the certificates in $ROOT$ETC_DIR, $ROOT/var/lib/$PROGRAM and" \
            "$ROOT$LOG_DIR (--uninstall --purge removes them)"
        return
    fi
    component_purge
    remove_tree "$ROOT/var/lib/$PROGRAM"
    local others
    others=$(other_units | tr '\n' ' ')
    if [ -n "$others" ]; then
        say "kept $ROOT$LOG_DIR and user $LEPTON_USER (still used by ${others% })"
    else
        remove_tree "$ROOT$LOG_DIR"
        remove_user
    fi
    remove_dir_if_empty "$ROOT$ETC_DIR"
}

remove_user() {
    local uid gid
    uid=$(lookup_id passwd "$LEPTON_USER")
    gid=$(lookup_id group "$LEPTON_USER")
    if [ -z "$uid" ] && [ -z "$gid" ]; then
        say "unchanged user $LEPTON_USER (not there)"
        return
    fi
    if ! is_root; then
        warn "not running as root: user $LEPTON_USER not removed"
        return
    fi
    [ -z "$uid" ] || act "remove user $LEPTON_USER" "removed user $LEPTON_USER" \
        accounts userdel "${ROOT_ARGS[@]}" "$LEPTON_USER"
    # userdel removes the group too only where login.defs says USERGROUPS_ENAB yes.
    if [ -n "$gid" ] && { [ -n "$DRY_RUN" ] || [ -n "$(lookup_id group "$LEPTON_USER")" ]; }; then
        act "remove group $LEPTON_USER" "removed group $LEPTON_USER" accounts groupdel "${ROOT_ARGS[@]}" "$LEPTON_USER"
    fi
}

# remove_ca_unless_shared: removes ROOT/etc/lepton/ca.pem unless another Lepton config or unit still uses it.
remove_ca_unless_shared() {
    local users
    users=$( (other_configs && other_units) | tr '\n' ' ')
    if [ -n "$users" ]; then
        say "kept $ROOT$ETC_DIR/ca.pem (still used by ${users% })"
    else
        remove_path "$ROOT$ETC_DIR/ca.pem"
    fi
}

lepton_install_main() {
    parse_options "$@"
    validate_options
    if [ -n "$UNINSTALL" ]; then
        uninstall_component
    else
        install_component
    fi
    local verb=${UNINSTALL:+uninstall} changes="$CHANGES changes"
    verb=${verb:-install}
    [ "$CHANGES" -ne 1 ] || changes="1 change"
    if [ "$CHANGES" -eq 0 ]; then
        say "$PROGRAM: unchanged (nothing to $verb)"
    elif [ -n "$DRY_RUN" ]; then
        say "$PROGRAM: dry run, $changes would be made, nothing changed"
    else
        say "$PROGRAM: $changes made"
    fi
}
