#!/bin/bash
# Starts or stops a throwaway single-node Slurm cluster (munged, slurmctld, slurmd) whose
# every file lives under DIR, for the repro tests. Nothing outside DIR is touched, and the
# daemons use their own ports and munge socket, so a real cluster on the host is unaffected.
#
#   local_slurm.sh start DIR   -> prints SLURM_CONF=DIR/slurm.conf; exit 77 if Slurm or
#                                 munge is not installed or does not come up (test skips)
#   local_slurm.sh stop DIR    -> stops the daemons started for DIR (by their pid files)
set -u
action=${1:?start|stop}
dir=${2:?state folder}

unavailable() { echo "local slurm unavailable: $*" >&2; exit 77; }

stop() {
  for name in slurmd slurmctld munged; do
    [[ -f "$dir/$name.pid" ]] || continue
    pid=$(cat "$dir/$name.pid")
    [[ -n "$pid" ]] && kill "$pid" 2>/dev/null
  done
  return 0
}

if [[ "$action" == stop ]]; then stop; exit 0; fi

for tool in /usr/sbin/slurmctld /usr/sbin/slurmd /usr/sbin/munged /usr/bin/sbatch /usr/bin/sinfo; do
  [[ -x "$tool" ]] || unavailable "$tool not found (Debian: apt-get install slurm-wlm munge)"
done
mkdir -p "$dir"/{spool,state,munge}
chmod 700 "$dir/munge"

# munge: a fresh key and its own socket; as root munged needs --force.
dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$dir/munge/munge.key"
force=""; [[ $(id -u) == 0 ]] && force="--force"
/usr/sbin/munged $force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
  --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/munge.seed" \
  || unavailable "munged did not start (see $dir/munged.log)"

host=$(hostname -s)
cpus=$(nproc)
user=$(id -un)
# Ports from the pid so that two test runs never share a controller.
port=$(( 20000 + ($$ % 20000) ))
cat > "$dir/slurm.conf" <<CONF
ClusterName=wqtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/slurmd-%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=wqtest Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"
/usr/sbin/slurmctld -i || { stop; unavailable "slurmctld did not start (see $dir/slurmctld.log)"; }
/usr/sbin/slurmd || { stop; unavailable "slurmd did not start (see $dir/slurmd.log)"; }
for _ in $(seq 60); do
  state=$(sinfo -h -o %t 2>/dev/null | head -1)
  if [[ "$state" == idle* || "$state" == mix* ]]; then echo "SLURM_CONF=$SLURM_CONF"; exit 0; fi
  sleep 1
done
stop
unavailable "node never became idle (state '${state:-none}'; see $dir/slurmctld.log, $dir/slurmd.log)"
