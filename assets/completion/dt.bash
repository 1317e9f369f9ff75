# bash completion for dt; load with: source <(dt completion bash)
_dt_complete() {
  local IFS=$'\n'
  local words=("${COMP_WORDS[@]:1:COMP_CWORD-1}")
  COMPREPLY=($(compgen -W "$(dt __complete "${words[@]}" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}"))
}
complete -o default -F _dt_complete dt
