#!/usr/bin/env bash
# The README's first command (`make demo`): the whole lifecycle of examples/movielens against the
# embedded Personalize emulator with local state, in a scratch directory so nothing is left behind.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$here/movielens/." "$work/"
cd "$work"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
start=$(date +%s)

step "perso validate"
perso --local validate
step "perso plan"
perso --local plan
step "perso apply"
perso --local apply --auto-approve
step "perso plan (must show no changes: exit code 0 with --detailed-exitcode)"
perso --local plan --detailed-exitcode
step "perso destroy"
perso --local destroy --auto-approve
step "perso plan --destroy (nothing left)"
perso --local plan --destroy --detailed-exitcode

printf '\n\033[1mDemo finished in %ss.\033[0m\n' "$(( $(date +%s) - start ))"
