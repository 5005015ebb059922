# exit: 2
# sh quoting: quotes keep spaces, a quote or a backslash carries a command onto the next line,
# a glob matching nothing stays as written, and the input ending inside a quote is an error
echo 'two  spaces' "and $?" a\ b
echo "first
second"
echo joined\
line
echo sched* '!func:traceoff:3'
echo -n no newline; echo
echo -e 'tab\there'
echo 'never closed
