#!/usr/bin/env bash
# Regenerate requirements.lock: every Python package of the development venv and of the bundled
# runtime (install_requires and the spark and dev extras of setup.cfg, with everything they pull
# in), at one exact version with the hashes of its files. The build and the test command install
# from it and nothing else. pip-compile keeps the versions already locked unless setup.cfg asks
# for others; `bash scripts/lock.sh --upgrade` takes the newest versions setup.cfg allows.
# pip-tools runs from its own venv under build/, so it is not one of the locked packages.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tools="$REPO/build/lock-tools"
if [[ ! -x "$tools/bin/pip-compile" ]]; then
  "$BASE_PYTHON" -m venv "$tools"
  "$tools/bin/pip" install --quiet --disable-pip-version-check pip==25.3 pip-tools==7.6.2
fi
cd "$REPO"
"$tools/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-find-links \
  --extra spark --extra dev --output-file requirements.lock "$@" setup.cfg
