#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder's image (Ubuntu 22.04,
# Python 3.10): bubblewrap and util-linux (setpriv) for the sandbox, then this
# project from the wheel beside this script, at the version that built the zip.
set -euo pipefail
SOURCE="${AUTOGRADER_ROOT:-/autograder}/source"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq bubblewrap util-linux python3-pip
python3 -m pip install --quiet "$SOURCE"/optigrade-*.whl
grader --version
