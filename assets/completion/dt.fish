# fish completion for dt; load with: dt completion fish | source
function __dt_complete
    set -l tokens (commandline -opc)
    dt __complete $tokens[2..-1] 2>/dev/null
end
# Erase first: `dt setenv | source` runs on every prompt of some setups, and fish adds a
# completion each time it is declared.
complete -c dt -e
complete -c dt -f -a '(__dt_complete)'
