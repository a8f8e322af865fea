# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Sourced by scripts/debug-kernel.sh and scripts/min-kernel.sh.
# check_frag FRAGMENT CONFIG: every line of FRAGMENT must have survived
# olddefconfig into CONFIG; each lost one is named on fd 3.  Returns 1 if any
# was lost.
check_frag() {	# <frag> <.config>
	local l sym val bad=0
	while IFS= read -r l; do
		case $l in ''|'#'*) continue ;; esac
		sym=${l%%=*} val=${l#*=}
		if [[ $val == n ]]; then
			grep -q "^$sym=" "$2" && { echo "lost: $l" >&3; bad=1; }
		else
			grep -qxF "$l" "$2" || { echo "lost: $l (have: $(grep "^$sym=" "$2"))" >&3; bad=1; }
		fi
	done < "$1"
	return $bad
}
