# exit: 3
# bash's messages, with the shell's name; $? after each
cd nope
echo $?
cd /sys/kernel/tracing/nope/deeper
nosuchcommand --flag
echo $?
cat no_such_file
echo $?
ls no_such_file
echo $?
echo x > no_such_file
echo $?
echo x > /sys/kernel
echo x > /nodir/file
mkdir /sys/kernel/x
rmdir /sys
echo >
echo "a quoted 'word'" | grep -c quoted
false || echo recovered
exit 3
echo this line never runs
