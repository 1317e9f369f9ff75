#compdef dt
# zsh completion for dt; load with: source <(dt completion zsh)
_dt() {
  local -a candidates
  candidates=("${(@f)$(dt __complete "${(@)words[2,CURRENT-1]}" 2>/dev/null)}")
  candidates=(${candidates:#})
  if (( ${#candidates} )); then
    compadd -- "${candidates[@]}"
  else
    _files
  fi
}
if (( $+functions[compdef] )); then
  compdef _dt dt
fi
