#!/usr/bin/env bash
# slurm-cluster.sh — a throwaway one-node Slurm cluster in a scratch folder, for the sharding acceptance test.
#
#   slurm-cluster.sh start DIR   install Slurm and munge if missing (root and apt-get needed), write DIR/slurm.conf,
#                                start munged, slurmctld and slurmd with everything (state, spool, logs, pid files,
#                                munge socket) under DIR, wait until the node is idle; prints SLURM_CONF=DIR/slurm.conf
#   slurm-cluster.sh stop DIR    stop the daemons started in DIR by the PIDs in their pid files, and wait for them
#
# Exit status 77 with one line on stderr: Slurm is missing and cannot be installed here (the caller skips with that reason).
# Ports are chosen from DIR's name so that two clusters on one machine do not collide.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then echo "usage: $0 start|stop DIR" >&2; exit 2; fi

stop_pidfile() {
  local f=$1 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f" 2>/dev/null || true)
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}

if [ "$cmd" = stop ]; then
  # read every PID first: the daemons remove their pid files as they exit
  stop_pidfile "$dir/slurmd.pid"
  stop_pidfile "$dir/slurmctld.pid"
  stop_pidfile "$dir/munged.pid"
  exit 0
fi
[ "$cmd" = start ] || { echo "$0: unknown command '$cmd'" >&2; exit 2; }

if ! command -v slurmctld >/dev/null 2>&1 || ! command -v slurmd >/dev/null 2>&1 || ! command -v sbatch >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then echo "Slurm is not installed and this is not root: cannot apt-get install slurmctld slurmd slurm-client munge" >&2; exit 77; fi
  if ! command -v apt-get >/dev/null 2>&1; then echo "Slurm is not installed and there is no apt-get to install it" >&2; exit 77; fi
  export DEBIAN_FRONTEND=noninteractive
  # the package scripts try to start services and are refused without systemd: harmless
  if ! apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >"$dir/apt.log" 2>&1; then
    apt-get update -qq >>"$dir/apt.log" 2>&1 || true
    apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >>"$dir/apt.log" 2>&1 \
      || { echo "apt-get install slurmctld slurmd slurm-client munge failed (see $dir/apt.log)" >&2; exit 77; }
  fi
fi
if [ "$(id -u)" != 0 ]; then echo "the one-node cluster runs slurmd, which needs root" >&2; exit 77; fi

mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
host=$(hostname -s)
nproc=$(nproc)
# ports from the folder's name: 20000..29999 for slurmctld, the next one for slurmd
base=$(( 20000 + ($(printf '%s' "$dir" | cksum | cut -d' ' -f1) % 5000) * 2 ))

# munge: its own key, socket and files under DIR, run as the munge user
if [ ! -f /etc/munge/munge.key ]; then
  mungekey --create --force >/dev/null 2>&1 || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  chown munge:munge /etc/munge/munge.key
  chmod 400 /etc/munge/munge.key
fi
chown munge:munge "$dir/munge"
chmod 700 "$dir/munge"
runuser -u munge -- /usr/sbin/munged --socket="$dir/munge/munge.socket" --pid-file="$dir/munge/munged.pid" \
  --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" --force
# the munge user owns its folder; keep a copy of the pid where `stop` looks
for _ in $(seq 1 50); do [ -s "$dir/munge/munged.pid" ] && break; sleep 0.1; done
cp "$dir/munge/munged.pid" "$dir/munged.pid"

cat >"$dir/slurm.conf" <<EOF
ClusterName=ftsim
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$base
SlurmdPort=$((base + 1))
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
MinJobAge=4
SchedulerParameters=batch_sched_delay=0
NodeName=$host NodeAddr=127.0.0.1 CPUs=$nproc State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$dir/slurm.conf"

slurmctld -c
slurmd
for _ in $(seq 1 100); do
  if [ "$(sinfo -h -o %T 2>/dev/null | head -n1)" = idle ]; then echo "SLURM_CONF=$SLURM_CONF"; exit 0; fi
  sleep 0.2
done
echo "the one-node cluster did not become idle in 20 s (logs in $dir)" >&2
"$0" stop "$dir"
exit 1
