# fish completion for dt; load with: dt completion fish | source
function __dt_complete
    set -l tokens (commandline -opc)
    dt __complete $tokens[2..-1] 2>/dev/null
end
complete -c dt -f -a '(__dt_complete)'
