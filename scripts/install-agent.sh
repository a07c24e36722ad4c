#!/usr/bin/env bash
# Installs lepton-agent on an edge box as a systemd service, or removes it; --help lists the options.
#
#   sudo bash scripts/install-agent.sh --binary lepton-agent --id edge-17 --collector collector.example.net:7443 \
#       --ca ca.pem --cert edge-17.pem --key edge-17-key.pem
#   make install-agent ARGS="--id edge-17 …"     the same with the binary from make release
#
# The shared steps are in install-common.sh. docs/operations.md ("Install with the scripts") describes every
# option, enrolling a box, --dry-run and --uninstall.
set -euo pipefail

PROGRAM=lepton-agent
CONFIG_NAME=agent.yaml
EXAMPLE_CONFIG=agent-config/agent.yaml
AGENT_ID=""  # --id
COLLECTOR="" # --collector
AGENT_NAME="" # --id, else agent.id of the installed config: names the certificate files

# shellcheck source-path=SCRIPTDIR source=install-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/install-common.sh"

component_usage() {
    cat <<EOF
  --id ID           the agent's id (agent.id, the name on its certificate); fills in a config written for the
                    first time and names the certificate files
  --collector HOST:PORT
                    the collector's address (collector.address); fills in a config written for the first time
  --ca FILE         CA certificate, installed as $ETC_DIR/ca.pem (0644)
  --cert FILE       this agent's certificate, installed as $ETC_DIR/agents/ID.pem (0644)
  --key FILE        this agent's private key, installed as $ETC_DIR/agents/ID-key.pem (0640 root:$LEPTON_USER)
EOF
}

component_option() {
    case $1 in
    --id) require_value "$@" && AGENT_ID=$2 ;;
    --collector) require_value "$@" && COLLECTOR=$2 ;;
    *) return 1 ;;
    esac
    SHIFT_BY=2
}

component_validate() {
    if [ -n "$AGENT_ID" ] && ! [[ $AGENT_ID =~ ^[A-Za-z0-9._-]{1,128}$ ]]; then
        usage_error "--id $AGENT_ID: use 1 to 128 characters from A-Z a-z 0-9 . _ -"
    fi
    if [ -n "$COLLECTOR" ]; then
        if ! [[ $COLLECTOR =~ ^([A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\]):([0-9]{1,5})$ ]] ||
            [ "${BASH_REMATCH[2]}" -lt 1 ] || [ "${BASH_REMATCH[2]}" -gt 65535 ]; then
            usage_error "--collector $COLLECTOR: expected HOST:PORT, e.g. c.example.net:7443 or [2001:db8::7]:7443"
        fi
    fi
    AGENT_NAME=$AGENT_ID
    if [ -z "$AGENT_NAME" ] && [ -f "$ROOT$ETC_DIR/$CONFIG_NAME" ]; then
        AGENT_NAME=$(config_agent_id "$ROOT$ETC_DIR/$CONFIG_NAME")
    fi
    if [ -z "$UNINSTALL" ] && [ -z "$AGENT_NAME" ] && { [ -n "$CERT_SRC" ] || [ -n "$KEY_SRC" ]; }; then
        usage_error "--cert and --key need --id (the installed files are named after it)"
    fi
}

# config_agent_id FILE: agent.id in FILE, or nothing.
config_agent_id() {
    awk '/^agent:/ { inside = 1; next }
        /^[^[:space:]#]/ { inside = 0 }
        inside && $1 == "id:" { gsub(/["\047]/, "", $2); print $2; exit }' "$1"
}

# set_config_value FILE KEY VALUE NAME: replaces the one line `KEY: …` (KEY with its indentation) of FILE.
set_config_value() {
    local count
    count=$(grep -c "^$2: " "$1" || true)
    [ "$count" = 1 ] ||
        die "$CONFIG_SOURCE: cannot set $4: expected one line starting with '$2: ', found $count"
    sed -i "s|^$2: .*|$2: $3|" "$1"
}

component_render_config() {
    if [ -n "$AGENT_ID" ]; then
        set_config_value "$1" "  id" "$AGENT_ID" agent.id
        set_config_value "$1" "    ca" "$ETC_DIR/ca.pem" collector.tls.ca
        set_config_value "$1" "    cert" "$ETC_DIR/agents/$AGENT_ID.pem" collector.tls.cert
        set_config_value "$1" "    key" "$ETC_DIR/agents/$AGENT_ID-key.pem" collector.tls.key
    fi
    if [ -n "$COLLECTOR" ]; then
        set_config_value "$1" "  address" "$(collector_scalar)" collector.address
        # The example's server_name (localhost) suits its loopback address only; without it the agent checks the
        # host of the address, one of the collector's `certs init --host` names.
        sed -i 's|^  server_name: |  # server_name: |' "$1"
    fi
}

# collector_scalar: --collector as a YAML scalar (an IPv6 address in brackets is quoted).
collector_scalar() {
    case $COLLECTOR in
    \[*) printf '"%s"' "$COLLECTOR" ;;
    *) printf '%s' "$COLLECTOR" ;;
    esac
}

component_config_kept() {
    local id
    id=$(config_agent_id "$1")
    if [ -n "$AGENT_ID" ] && [ "$id" != "$AGENT_ID" ]; then
        warn "$1 is kept with agent.id ${id:-(none)}, not $AGENT_ID: edit agent.id and collector.tls by hand"
    fi
    if [ -n "$COLLECTOR" ] && ! grep -qFx "  address: $(collector_scalar)" "$1"; then
        warn "$1 is kept with another collector.address than $COLLECTOR: edit it by hand"
    fi
}

component_folders() {
    ensure_dir "$ETC_DIR/agents" 0750 root "$LEPTON_USER"
}

component_cert_paths() {
    if [ -n "$AGENT_NAME" ]; then
        CERT_DEST=$ETC_DIR/agents/$AGENT_NAME.pem
        KEY_DEST=$ETC_DIR/agents/$AGENT_NAME-key.pem
    fi
}

component_purge() {
    remove_path "$ROOT$ETC_DIR/$CONFIG_NAME"
    if [ -n "$AGENT_NAME" ]; then
        remove_path "$ROOT$ETC_DIR/agents/$AGENT_NAME.pem"
        remove_path "$ROOT$ETC_DIR/agents/$AGENT_NAME-key.pem"
    elif [ -d "$ROOT$ETC_DIR/agents" ]; then
        warn "agent id unknown (no --id, no agent.id in a config): certificates in $ROOT$ETC_DIR/agents kept"
    fi
    remove_dir_if_empty "$ROOT$ETC_DIR/agents"
    remove_ca_unless_shared
}

lepton_install_main "$@"
