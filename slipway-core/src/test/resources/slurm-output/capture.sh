#!/bin/sh
# usage: cap.sh NAME  -- captures node state outputs
export SLURM_CONF=/tmp/simctl-slurm/slurm.conf
d=/tmp/simctl-slurm/cap
scontrol show node --oneliner > $d/$1.scontrol.txt 2>&1
scontrol --future show node --oneliner > $d/$1.scontrol-future.txt 2>&1
sinfo -h -N -o '%N|%t|%T|%o|%P|%f|%E' > $d/$1.sinfo.txt 2>&1
sinfo -N -l > $d/$1.sinfo-long.txt 2>&1
