# the tracefs root as the tree is built today: ls, ls -l, and a count of its entries
ls
ls -l | head -n 1
ls | wc -l
ls /sys/kernel/tracing | grep -c .
pwd
