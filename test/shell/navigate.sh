# cd, pwd and ls outside and at the mount; relative paths
pwd
cd /
pwd
ls
ls -l
cd sys
ls
cd kernel/tracing
pwd
cd ../..
pwd
cd -
cd /sys/kernel/tracing/.
pwd
ls /sys /sys/kernel
