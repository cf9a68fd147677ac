# fish completion for knock. Install: copy to ~/.config/fish/completions/knock.fish, or
# knock completion fish > ~/.config/fish/completions/knock.fish
# Candidates come from knock itself: subcommands, options and your profile names. Where it
# has none (import FILE, --config FILE, serve --knockd-conf FILE, ...), file names, as
# bash's `complete -o default` and zsh's _files give.
function __knock_complete
    set -l current (commandline -ct)
    set -l words (commandline -opc) "$current"  # quoted: an empty word still counts
    set -l candidates (SHELL=fish $words[1] --get-yargs-completions $words 2>/dev/null)
    if test (count $candidates) -gt 0
        printf '%s\n' $candidates
    else
        __fish_complete_path "$current"
    end
end
complete -c knock -f -a '(__knock_complete)'
