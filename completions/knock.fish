# fish completion for knock. Install: copy to ~/.config/fish/completions/knock.fish, or
# knock completion fish > ~/.config/fish/completions/knock.fish
# Candidates come from knock itself: subcommands, options and your profile names.
function __knock_complete
    set -l current (commandline -ct)
    set -l words (commandline -opc) "$current"  # quoted: an empty word still counts
    SHELL=fish $words[1] --get-yargs-completions $words 2>/dev/null
end
complete -c knock -f -a '(__knock_complete)'
