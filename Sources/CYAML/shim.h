// libyaml 0.2 (Debian: libyaml-dev), linked statically by LeptonCore: the configuration loader's YAML parser.
#include <yaml.h>
