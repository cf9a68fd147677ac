# bash completion for knock. Install: source this file from ~/.bashrc, or copy it to
# ~/.local/share/bash-completion/completions/knock (or print it: knock completion bash).
# Candidates come from knock itself: subcommands, options, your profile names and @groups.
_knock_complete() {
  local IFS=$'\n' line="${COMP_LINE:0:COMP_POINT}"
  local -a words candidates
  # The words as typed: COMP_WORDS would split "@group" at '@' (it is in COMP_WORDBREAKS).
  IFS=$' \t\n' read -r -a words <<< "$line"
  [[ -z "$line" || "$line" == *[[:space:]] ]] && words+=("")
  local cur="${words[${#words[@]}-1]}"
  # SHELL=bash: yargs formats candidates for zsh when SHELL says zsh.
  candidates=($(SHELL=bash "${words[0]}" --get-yargs-completions "${words[@]}" 2>/dev/null))
  COMPREPLY=($(compgen -W "${candidates[*]}" -- "$cur"))
  # bash replaces only what follows the last word break ('@'): reply with that part.
  if [[ "$cur" == *@* ]]; then
    local prefix="${cur%"${cur##*@}"}" i
    for i in "${!COMPREPLY[@]}"; do COMPREPLY[i]="${COMPREPLY[i]#"$prefix"}"; done
  fi
}
complete -o default -F _knock_complete knock
