#!/usr/bin/env bash
# Installs the Debian packages the tests run against (tests/debian-packages.txt) when any is missing.
# Where that cannot be done (not root, no apt-get), it says so once and the tests that need them skip;
# under CI (CI=true) a missing package is a failure instead.
set -u
cd "$(dirname "$0")"
list="${DUBBO_TEST_PACKAGES:-debian-packages.txt}"  # another list, for the script's own tests
missing=()
for pkg in $(sed -e 's/#.*//' "$list"); do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing the Debian packages the tests need: ${missing[*]}"
    if { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; } >/dev/null; then
        exit 0
    fi
    echo "apt-get could not install ${missing[*]}."
fi
echo "NOTE: the tests that need ${missing[*]} will be SKIPPED: this is not a Debian machine where they can be"
echo "      installed as root. Install them (sudo apt-get install ${missing[*]}) to run those tests."
[ "${CI:-}" = "true" ] && exit 1
exit 0
