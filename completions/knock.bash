# bash completion for knock. Install: source this file from ~/.bashrc, or copy it to
# ~/.local/share/bash-completion/completions/knock (or print it: knock completion bash).
# Candidates come from knock itself: subcommands, options and your profile names.
_knock_complete() {
  local cur="${COMP_WORDS[COMP_CWORD]}" IFS=$'\n'
  local -a candidates
  # SHELL=bash: yargs formats candidates for zsh when SHELL says zsh.
  candidates=($(SHELL=bash "${COMP_WORDS[0]}" --get-yargs-completions "${COMP_WORDS[@]:0:COMP_CWORD+1}" 2>/dev/null))
  COMPREPLY=($(compgen -W "${candidates[*]}" -- "$cur"))
}
complete -o default -F _knock_complete knock
