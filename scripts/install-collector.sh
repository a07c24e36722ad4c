#!/usr/bin/env bash
# Installs lepton-collector as a systemd service, or removes it; --help lists the options.
#
#   sudo bash scripts/install-collector.sh --binary lepton-collector   certificates already in /etc/lepton
#       (lepton-collector certs init --dir /etc/lepton), or given with --ca, --cert and --key
#   make install-collector ARGS="…"      the same with the binary from make release
#
# The shared steps are in install-common.sh. docs/operations.md ("Install with the scripts") describes every
# option, --dry-run and --uninstall.
set -euo pipefail

PROGRAM=lepton-collector
CONFIG_NAME=collector.yaml
EXAMPLE_CONFIG=collector-config/collector.yaml

# shellcheck source-path=SCRIPTDIR source=install-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/install-common.sh"

component_usage() {
    cat <<EOF
  --ca FILE         CA certificate, installed as $ETC_DIR/ca.pem (0644)
  --cert FILE       the collector's certificate, installed as $ETC_DIR/collector.pem (0644)
  --key FILE        the collector's private key, installed as $ETC_DIR/collector-key.pem (0640 root:$LEPTON_USER);
                    without --key, an existing one (certs init writes it 0600 root) gets that mode
EOF
}

component_option() { return 1; }
component_validate() { :; }
component_render_config() { :; }
component_config_kept() { :; }
component_folders() { :; }

component_cert_paths() {
    CERT_DEST=$ETC_DIR/collector.pem
    KEY_DEST=$ETC_DIR/collector-key.pem
}

component_purge() {
    remove_path "$ROOT$ETC_DIR/$CONFIG_NAME"
    remove_path "$ROOT$ETC_DIR/collector.pem"
    remove_path "$ROOT$ETC_DIR/collector-key.pem"
    if [ -e "$ROOT$ETC_DIR/ca-key.pem" ]; then
        say "kept $ROOT$ETC_DIR/ca.pem, ca-key.pem and agents/" \
            "(the CA that signs agent certificates: remove it by hand)"
    else
        remove_ca_unless_shared
    fi
}

lepton_install_main "$@"
