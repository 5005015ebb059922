# run lets the paused machine go: its console shows what the kernel printed
run 1ms
run 500us
run soon
run
echo $?
run 1 2
echo $?
