#!/usr/bin/env bash
# Stops what .ci/slurm-up.sh started (slurmd, slurmctld, munged) by their pid files and removes its folder.
set -uo pipefail
dir="${NLMC_SLURM_DIR:-/tmp/nlmc-slurm}"
for pidfile in "$dir/run/slurmd.pid" "$dir/run/slurmctld.pid"; do
  [ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
done
[ -s /run/munge/munged.pid ] && kill "$(cat /run/munge/munged.pid)" 2>/dev/null
sleep 1
rm -rf "$dir"
exit 0
