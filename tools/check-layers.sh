#!/bin/bash
# tools/check-layers.sh: no file of user/ includes a header of a layer above
# its own.  The layers, lowest first (README.md, "Layout"):
#   util < target < sym < trace < report < export < serve < cli < main (user/main.c)
# A lower layer that needs something from a higher one takes it as an
# argument (a config struct, a callback), never by including it.
set -euo pipefail
cd "$(dirname "$0")/.."

layers=(util target sym trace report export serve cli)
rank() {
	local i
	for i in "${!layers[@]}"; do
		[ "${layers[$i]}" = "$1" ] && { echo "$i"; return; }
	done
	echo 99
}

bad=0
for f in user/*/*.[ch]; do
	own=$(basename "$(dirname "$f")")
	own_rank=$(rank "$own")
	if [ "$own_rank" = 99 ]; then
		echo "check-layers: $f is in no known layer folder" >&2
		bad=1
		continue
	fi
	while IFS= read -r inc; do
		layer=${inc%%/*}
		r=$(rank "$layer")
		if [ "$r" != 99 ] && [ "$r" -gt "$own_rank" ]; then
			echo "check-layers: $f ($own) includes \"$inc\" from a higher layer ($layer)" >&2
			bad=1
		fi
	done < <(sed -n 's/^#include "\([a-z_]*\/[^"]*\)".*/\1/p' "$f")
done
[ "$bad" = 0 ] && echo "check-layers: every include points down or across"
exit "$bad"
