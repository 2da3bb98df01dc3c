# Sourced first by every script: strict mode, and a line on stderr naming the command, file and
# line that failed, so a script never exits silently (set -e alone prints nothing).
set -Eeuo pipefail
trap 'rc=$?; echo "${0##*/}: \`${BASH_COMMAND}\` failed with exit code $rc (${BASH_SOURCE[0]##*/} line $LINENO)" >&2; exit $rc' ERR
