#!/bin/bash
# tests/packaging/complete.sh COMPLETION WORD...: what bash completes for the
# command line WORD... as readline splits it (the last word is the one being
# completed, "" for a new one; "--unwind=f" is "--unwind" "=" "f"), one
# candidate a line, sorted: COMPLETION sourced after Debian's
# bash-completion, its function called as bash calls it on Tab.
set -u
completion=$1
shift
source /usr/share/bash-completion/bash_completion || exit 3
source "$completion" || exit 3
# Options of the reply (nospace, filenames) matter to the line editor only;
# outside of a completion compopt fails.
compopt() { :; }
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
# The line as typed: readline splits "--unwind=fp" into three words, the
# "=" one of them, with no blank around it.
COMP_LINE=$1
for ((i = 1; i < $#; i++)); do
	w=${COMP_WORDS[i]}
	[[ $w == = || ${COMP_WORDS[i - 1]} == = ]] || COMP_LINE+=" "
	COMP_LINE+=$w
done
COMP_POINT=${#COMP_LINE}
fn=$(complete -p "$1" 2>/dev/null | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
[ -n "$fn" ] || exit 4
"$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]+"${COMPREPLY[@]}"}" | sort
