#!/usr/bin/env bash
# A one-node Slurm cluster on this machine for test/cli/slurm-executor.test.ts: Debian's slurm-wlm and munge,
# started directly (no systemd), with a slurm.conf generated for this host. Everything the cluster writes (state,
# spool, logs, pid files, the munge socket) lives under $NLMC_SLURM_DIR (default /tmp/nlmc-slurm); .ci/slurm-down.sh
# stops the daemons and removes it. Cgroup-free settings (proctrack/linuxproc, task/none) because containers and CI
# machines often have no writable cgroup hierarchy. Run as root; installs the packages when they are missing.
#
# Prints the environment the clients need (SLURM_CONF) as `export` lines on stdout, for `eval "$(.ci/slurm-up.sh)"`.
set -euo pipefail
dir="${NLMC_SLURM_DIR:-/tmp/nlmc-slurm}"
log() { echo "slurm-up: $*" >&2; }

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  log "installing slurm-wlm and munge (Debian's packages)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null </dev/null
fi

host="$(hostname -s)"
cpus="$(nproc)"
# RealMemory in MiB, a little under what the machine has, so the node is not drained for lack of memory.
mem="$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)"
mkdir -p "$dir"/{state,spool,log,munge,run}
chown -R slurm:slurm "$dir"/{state,spool,log}
chown munge:munge "$dir/munge"
chmod 700 "$dir/munge"

# munge: a key if the package did not make one, then the daemon with its socket under $dir.
[ -s /etc/munge/munge.key ] || { dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none; chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key; }
mkdir -p /run/munge && chown munge:munge /run/munge
if ! pgrep -u munge -x munged >/dev/null; then
  runuser -u munge -- /usr/sbin/munged --force
fi

conf="$dir/slurm.conf"
cat >"$conf" <<CONF
ClusterName=nlmc-ci
SlurmctldHost=$host(127.0.0.1)
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
MpiDefault=none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=30
KillWait=5
Waittime=0
MaxArraySize=10001
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
chown slurm:slurm "$conf"

export SLURM_CONF="$conf"
if ! pgrep -x slurmctld >/dev/null; then /usr/sbin/slurmctld -f "$conf"; fi
if ! pgrep -x slurmd >/dev/null; then /usr/sbin/slurmd -f "$conf"; fi

# Wait until the node takes jobs.
for _ in $(seq 1 60); do
  if state="$(sinfo -h -n "$host" -o %T 2>/dev/null)" && [[ "$state" =~ ^(idle|mixed|allocated) ]]; then
    log "node $host is $state ($cpus CPUs); SLURM_CONF=$conf"
    echo "export SLURM_CONF=$conf"
    exit 0
  fi
  sleep 1
done
log "the node did not come up; logs:"
tail -n 20 "$dir"/log/*.log >&2 || true
exit 1
