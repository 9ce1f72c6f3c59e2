#!/bin/sh
# A one-node Slurm cluster on this machine, private to one folder, for the shard test.
#   local-cluster.sh start DIR   writes DIR/slurm.conf, starts munged, slurmctld and slurmd
#   local-cluster.sh stop DIR    stops them
# Use the cluster with SLURM_CONF=DIR/slurm.conf. Needs root (slurmd) and Debian's slurm-wlm + munge.
set -eu
action=$1
dir=$(realpath "$2")
case $action in
start)
  for tool in munged slurmctld slurmd sbatch; do
    command -v "$tool" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
    command -v "$tool" >/dev/null 2>&1 || { echo "local-cluster: $tool not found: apt-get install slurm-wlm munge" >&2; exit 3; }
  done
  mkdir -p "$dir/munge" "$dir/spool" "$dir/state" "$dir/log"
  chmod 700 "$dir/munge"
  [ -f "$dir/munge/munge.key" ] || { dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 2>/dev/null; chmod 400 "$dir/munge/munge.key"; }
  munged --key-file="$dir/munge/munge.key" --socket="$dir/munge/socket" --pid-file="$dir/munge/pid" \
         --log-file="$dir/log/munged.log" --seed-file="$dir/munge/seed" --force
  host=$(hostname -s)
  cpus=$(nproc)
  # Ports from the folder's name keep two clusters on one machine apart.
  base=$(( 20000 + $(printf '%s' "$dir" | cksum | cut -d' ' -f1) % 20000 ))
  cat > "$dir/slurm.conf" <<CONF
ClusterName=stylize-test
SlurmctldHost=$host
SlurmctldPort=$base
SlurmdPort=$((base + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
MailProg=/bin/true
MessageTimeout=5
JobAcctGatherType=jobacct_gather/none
MinJobAge=300
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
  export SLURM_CONF="$dir/slurm.conf"
  slurmctld -i
  slurmd
  # Ready when the node takes jobs; a daemon that died says why in its log.
  for _ in $(seq 1 60); do
    for pidfile in slurmctld.pid slurmd.pid; do
      pid=$(cat "$dir/$pidfile" 2>/dev/null || true)
      if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
        sleep 0.5
        pid=$(cat "$dir/$pidfile" 2>/dev/null || true)
        if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
          echo "local-cluster: ${pidfile%.pid} is not running:" >&2; grep -E 'fatal|error' "$dir/log/${pidfile%.pid}.log" | tail -3 >&2; exit 4
        fi
      fi
    done
    if timeout 5 sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then exit 0; fi
    sleep 0.5
  done
  echo "local-cluster: the node did not come up; see $dir/log" >&2
  sinfo >&2 || true
  exit 4
  ;;
stop)
  for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/pid"; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  ;;
*)
  echo "usage: local-cluster.sh start|stop DIR" >&2; exit 2 ;;
esac
