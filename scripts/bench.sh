#!/usr/bin/env bash
# bench.sh times `pdnsx ingest` on the two benchmark captures of issue 6
# (resolver-like and gateway-like, written by cmd/pdnsx-gen from a seed),
# checks every case it writes against the generator's truth file, times
# tshark and dnscap on the same captures when they are installed, and
# prints one Markdown table of medians.
#
# Run it from anywhere inside the repository: scripts/bench.sh --help.
# Progress goes to standard error, the report to standard output.
set -euo pipefail

usage() {
	cat <<'EOF'
usage: scripts/bench.sh [flags]

  --seed N            seed of the generated captures (env BENCH_SEED, default 1)
  --pairs N           lookups of the resolver capture (env BENCH_PAIRS, default 1000000)
  --gateway-bytes N   size of the gateway capture (env BENCH_GATEWAY_BYTES,
                      default 2000000000)
  --runs N            timed runs of each tool on each capture; medians are
                      reported (env BENCH_RUNS, default 3)
  --dir DIR           work directory for captures and cases (env BENCH_DIR,
                      default /tmp/pdnsx-bench); captures there are reused when
                      made by the same generator from the same seed and size
  --no-peers          time pdnsx only (env BENCH_PEERS=0)
  --gateway-peers     also time tshark and dnscap on the gateway capture
                      (env BENCH_GATEWAY_PEERS=1; tshark takes minutes on 2 GB)
  --dnscap-flags STR  extra dnscap flags, e.g. "-T -f -L 4095" to read TCP,
                      fragments and VLAN-tagged frames too (env BENCH_DNSCAP_FLAGS)

Needs go, sqlite3 and GNU time (/usr/bin/time; without it, or with
BENCH_TIMER=bash, bash's time and VmHWM sampled every 20 ms are used). Quick check: scripts/bench.sh --pairs 20000
--gateway-bytes 100000000 --runs 1 --no-peers
EOF
}

die() {
	echo "bench: $*" >&2
	exit 1
}

usage_error() {
	echo "bench: $* (see --help)" >&2
	exit 2
}

say() {
	echo "bench: $*" >&2
}

seed=${BENCH_SEED:-1}
pairs=${BENCH_PAIRS:-1000000}
gateway_bytes=${BENCH_GATEWAY_BYTES:-2000000000}
runs=${BENCH_RUNS:-3}
dir=${BENCH_DIR:-/tmp/pdnsx-bench}
peers=${BENCH_PEERS:-1}
gateway_peers=${BENCH_GATEWAY_PEERS:-0}
dnscap_flags=${BENCH_DNSCAP_FLAGS:-}
timer=${BENCH_TIMER:-}

# The command line as given, with the BENCH_ variables that were set.
command_line=""
for var in BENCH_SEED BENCH_PAIRS BENCH_GATEWAY_BYTES BENCH_RUNS BENCH_DIR BENCH_PEERS \
	BENCH_GATEWAY_PEERS BENCH_DNSCAP_FLAGS BENCH_TIMER; do
	if [[ -n ${!var+set} ]]; then
		command_line+="$var=$(printf '%q' "${!var}") "
	fi
done
command_line+=$(printf '%q ' "$0" "$@")
command_line=${command_line% }

while (($# > 0)); do
	case $1 in
	--seed) seed=${2:?--seed needs a value}; shift ;;
	--pairs) pairs=${2:?--pairs needs a value}; shift ;;
	--gateway-bytes) gateway_bytes=${2:?--gateway-bytes needs a value}; shift ;;
	--runs) runs=${2:?--runs needs a value}; shift ;;
	--dir) dir=${2:?--dir needs a value}; shift ;;
	--no-peers) peers=0 ;;
	--gateway-peers) gateway_peers=1 ;;
	--dnscap-flags) dnscap_flags=${2?--dnscap-flags needs a value}; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done

for value in "$seed" "$pairs" "$gateway_bytes" "$runs"; do
	[[ $value =~ ^[0-9]+$ ]] || usage_error "not a number: $value"
done
((pairs > 0 && gateway_bytes > 0 && runs > 0)) ||
	usage_error "--pairs, --gateway-bytes and --runs must be positive"
read -r -a dnscap_extra <<<"$dnscap_flags"

if [[ -z $timer ]]; then
	timer=bash
	if [[ -x /usr/bin/time ]] && /usr/bin/time -f '%M' true >/dev/null 2>&1; then
		timer=gnu
	fi
fi
[[ $timer == gnu || $timer == bash ]] || usage_error "BENCH_TIMER must be gnu or bash"

command -v go >/dev/null || die "go is not installed"
command -v sqlite3 >/dev/null || die "sqlite3 is not installed (the case counts are read with it)"

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Build the tools once, outside the timings.
say "building pdnsx and pdnsx-gen in $tmp"
(cd "$root" && go build -o "$tmp/pdnsx" ./cmd/pdnsx && go build -o "$tmp/pdnsx-gen" ./cmd/pdnsx-gen)

# gen_hash identifies the generator's source, so that a capture written by
# an older generator is not reused.
gen_hash() {
	local f files=()
	for f in "$root"/internal/capgen/*.go "$root"/cmd/pdnsx-gen/*.go; do
		[[ $f == *_test.go ]] || files+=("$f")
	done
	cat "${files[@]}" | sha256sum | cut -c1-16
}
generator=$(gen_hash)

# truth FILE FIELD... prints the fields of FILE.truth.json on one line.
truth() {
	local file=$1 sql="" field
	shift
	for field in "$@"; do
		sql+="${sql:+, }json_extract(t, '\$.$field')"
	done
	sqlite3 -batch -noheader -separator ' ' :memory: \
		"SELECT $sql FROM (SELECT CAST(readfile('${file//\'/\'\'}.truth.json') AS TEXT) AS t)"
}

# capture KIND SIZE_FLAG SIZE prints the path of the capture, writing it
# unless the work directory holds one from the same generator, seed and size.
capture() {
	local kind=$1 flag=$2 size=$3
	local file="$dir/$kind-seed$seed-$size.pcap"
	local stamp="kind=$kind seed=$seed $flag=$size generator=$generator"
	if [[ -f $file && -f $file.truth.json && -f $file.params ]] &&
		[[ $(<"$file.params") == "$stamp" ]] &&
		[[ $(truth "$file" kind seed file_size) == "$kind $seed $(stat -c %s "$file")" ]]; then
		say "reusing $file"
	else
		say "writing $file"
		rm -f "$file.params"
		"$tmp/pdnsx-gen" bench -kind "$kind" -seed "$seed" "$flag" "$size" -o "$file" >&2
		echo "$stamp" >"$file.params"
	fi
	echo "$file"
}

# measure RESULTS OUT ERR CMD... runs CMD once with its output sent to OUT
# and ERR, and appends "wall_s cpu_s peak_rss_kb" to RESULTS.
measure() {
	local results=$1 out=$2 err=$3
	shift 3
	local wall user sys rss status=0
	if [[ $timer == gnu ]]; then
		/usr/bin/time -o "$tmp/time" -f '%e %U %S %M' "$@" >"$out" 2>"$err" || status=$?
		read -r wall user sys rss < <(tail -n 1 "$tmp/time")
	else
		measure_bash "$out" "$err" "$@" || status=$?
		read -r wall user sys < <(tail -n 1 "$tmp/time")
		rss=$(<"$tmp/hwm")
	fi
	((status == 0)) || die "${1##*/} exited with status $status (its stderr: $err)"
	awk -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" \
		'BEGIN { printf "%s %.3f %s\n", w, u + s, r }' >>"$results"
}

# measure_bash OUT ERR CMD... times CMD with bash's time and samples its
# VmHWM every 20 ms from a poller outside the timing (a lower bound that
# misses at most the last 20 ms). Used only without GNU time.
measure_bash() {
	local out=$1 err=$2 TIMEFORMAT='%3R %3U %3S' status=0
	shift 2
	rm -f "$tmp/pid"
	poll_hwm "$tmp/pid" >"$tmp/hwm" &
	local poller=$!
	{ time bash -c 'echo $$ >"$0" && exec "$@"' "$tmp/pid" "$@" \
		>"$out" 2>"$err"; } 2>"$tmp/time" || status=$?
	wait "$poller"
	return "$status"
}

# poll_hwm PIDFILE prints the largest VmHWM (kB) of the process whose pid
# PIDFILE will hold, sampled until it exits.
poll_hwm() {
	local pidfile=$1 pid key value rest hwm=0
	until [[ -s $pidfile ]]; do sleep 0.005; done
	pid=$(<"$pidfile")
	while [[ -r /proc/$pid/status ]]; do
		while read -r key value rest; do
			if [[ $key == VmHWM: ]] && ((value > hwm)); then hwm=$value; fi
		done 2>/dev/null <"/proc/$pid/status" || true
		sleep 0.02
	done
	echo "$hwm"
}

# median prints the median of the numbers on its input.
median() {
	sort -g | awk '{ v[NR] = $1 }
		END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# check_case CASE CAPTURE fails loudly unless the case holds exactly the
# lookups, records, frames and messages the generator wrote.
check_case() {
	local case=$1 file=$2 want got
	want=$(truth "$file" answered unanswered unsolicited records malformed frames messages)
	got=$(sqlite3 -batch -noheader -separator ' ' "$case" "SELECT
		(SELECT count(*) FROM lookups WHERE kind = 'answered'),
		(SELECT count(*) FROM lookups WHERE kind = 'unanswered'),
		(SELECT count(*) FROM lookups WHERE kind = 'unsolicited'),
		(SELECT count(*) FROM records),
		(SELECT count(*) FROM malformed),
		(SELECT sum(frames) FROM captures),
		(SELECT sum(dns_messages) FROM captures)")
	local -a w g
	read -r -a w <<<"$want"
	read -r -a g <<<"$got"
	local total
	total=$(sqlite3 -batch -noheader "$case" "SELECT count(*) FROM lookups")
	if [[ $got != "$want" ]] || ((total != w[0] + w[1] + w[2])); then
		echo "bench: COUNT MISMATCH in $case for $file" >&2
		echo "  (answered unanswered unsolicited records malformed frames messages)" >&2
		echo "  case:  $got (lookups of every kind: $total)" >&2
		echo "  truth: $want" >&2
		exit 1
	fi
	checked[$file]="lookups $total = truth (answered ${g[0]} + unanswered ${g[1]}"
	checked[$file]+=" + unsolicited ${g[2]}), records ${g[3]} = truth, malformed ${g[4]},"
	checked[$file]+=" frames ${g[5]}, DNS messages ${g[6]}"
}

declare -A checked=()
rows=()
ratio_notes=()

# report CAPTURE TOOL RESULTS FILE adds the table row of a tool's medians.
report() {
	local capture=$1 tool=$2 results=$3 file=$4
	local wall cpu rss size messages base
	wall=$(cut -d' ' -f1 "$results" | median)
	cpu=$(cut -d' ' -f2 "$results" | median)
	rss=$(cut -d' ' -f3 "$results" | median)
	size=$(stat -c %s "$file")
	messages=$(truth "$file" messages)
	base=$(cut -d' ' -f1 "$dir/results.$capture.pdnsx" | median)
	rows+=("$(awk -v c="$capture" -v t="$tool" -v w="$wall" -v u="$cpu" -v r="$rss" \
		-v s="$size" -v m="$messages" -v b="$base" 'BEGIN {
			w0 = (w > 0) ? w : 0.01
			printf "| %s | %s | %.2f | %.2f | %.0f | %.1f | %.0f | %.1f |",
				c, t, w, u, r * 1024 / 1e6, s / 1e6 / w0, m / w0, w / ((b > 0) ? b : 0.01)
		}')")
}

# bench_pdnsx CAPTURE FILE times pdnsx ingest into a fresh case per run and
# checks each case.
bench_pdnsx() {
	local capture=$1 file=$2 results="$dir/results.$1.pdnsx" case="$dir/case.sqlite" i
	: >"$results"
	cat "$file" >/dev/null
	for ((i = 1; i <= runs; i++)); do
		rm -f "$case" "$case-wal" "$case-shm" "$case-journal"
		say "$capture: pdnsx run $i/$runs"
		measure "$results" /dev/null "$dir/pdnsx.$capture.log" \
			"$tmp/pdnsx" ingest --quiet -o "$case" "$file"
		check_case "$case" "$file"
	done
	report "$capture" pdnsx "$results" "$file"
}

# bench_peer CAPTURE TOOL FILE CMD... times a peer tool on a capture.
bench_peer() {
	local capture=$1 tool=$2 file=$3 results="$dir/results.$1.$2" i
	shift 3
	: >"$results"
	cat "$file" >/dev/null
	for ((i = 1; i <= runs; i++)); do
		say "$capture: $tool run $i/$runs"
		if [[ $tool == dnscap ]]; then
			# -g writes its dig-style dump on stderr.
			measure "$results" /dev/null /dev/null "$@"
		else
			measure "$results" /dev/null "$dir/$tool.$capture.log" "$@"
		fi
	done
	report "$capture" "$tool" "$results" "$file"
	local ratio
	ratio=$(awk -v p="$(cut -d' ' -f1 "$results" | median)" \
		-v b="$(cut -d' ' -f1 "$dir/results.$capture.pdnsx" | median)" \
		'BEGIN { printf "%.1f", p / ((b > 0) ? b : 0.01) }')
	ratio_notes+=("$capture: $tool wall / pdnsx wall = $ratio")
}

# tshark_fields are the columns tshark prints: time, addresses, name, type,
# rcode, answers and TTLs.
tshark_fields=(-e frame.time_epoch -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst
	-e dns.qry.name -e dns.qry.type -e dns.flags.rcode -e dns.a -e dns.aaaa -e dns.cname
	-e dns.resp.ttl)
declare -A peer_commands=()

# bench_peers CAPTURE FILE times every installed peer.
bench_peers() {
	local capture=$1 file=$2 version
	if command -v tshark >/dev/null; then
		bench_peer "$capture" tshark "$file" tshark -n -r "$file" -Y dns -T fields \
			"${tshark_fields[@]}"
		version=$(tshark --version | awk 'NR == 1 { print $3 }')
		peer_commands[tshark]="$version: tshark -n -r FILE -Y dns -T fields ${tshark_fields[*]}"
		peer_commands[tshark]+=" > /dev/null"
	else
		say "tshark is not installed: skipped"
	fi
	if command -v dnscap >/dev/null; then
		bench_peer "$capture" dnscap "$file" dnscap -g "${dnscap_extra[@]}" -r "$file"
		version=$(dnscap -V 2>&1 | awk 'NR == 1 { print $3 }')
		peer_commands[dnscap]="$version: dnscap -g${dnscap_flags:+ $dnscap_flags} -r FILE"
		peer_commands[dnscap]+=" 2> /dev/null"
	else
		say "dnscap is not installed: skipped"
	fi
}

resolver=$(capture resolver -pairs "$pairs")
gateway=$(capture gateway -bytes "$gateway_bytes")

bench_pdnsx resolver "$resolver"
if ((peers)); then
	bench_peers resolver "$resolver"
fi
bench_pdnsx gateway "$gateway"
if ((peers && gateway_peers)); then
	bench_peers gateway "$gateway"
fi

describe() {
	local name=$1 file=$2 frames messages
	read -r frames messages < <(truth "$file" frames messages)
	awk -v n="$name" -v f="$file" -v s="$(stat -c %s "$file")" -v fr="$frames" \
		-v m="$messages" 'BEGIN {
			printf "- %s: `%s`, %.1f MB, %d frames, %d DNS messages\n", n, f, s / 1e6, fr, m
		}'
	echo "  - case check: ${checked[$file]}"
}

revision=$(git -C "$root" describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)
model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
memory=$(awk '/^MemTotal/ { printf "%.1f GB", $2 * 1024 / 1e9 }' /proc/meminfo)
timing="GNU time (/usr/bin/time)"
[[ $timer == gnu ]] || timing="bash time, peak RSS from VmHWM sampled every 20 ms"

cat <<EOF

## pdnsx benchmark

Medians of $runs run(s) on a warm page cache. MB = 10^6 bytes; MB/s is the
capture size over the median wall time; DNS msg/s is the capture's DNS
messages (from the generator's truth) over it; ratio is the tool's wall time
over pdnsx's on the same capture (pdnsx's speed-up).

| capture | tool | wall s | CPU s | peak RSS MB | MB/s | DNS msg/s | ratio |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |
EOF
printf '%s\n' "${rows[@]}"
echo
describe resolver "$resolver"
describe gateway "$gateway"
for note in "${ratio_notes[@]}"; do
	echo "- $note"
done
cat <<EOF

- command: \`$command_line\`
- pdnsx: \`pdnsx ingest --quiet -o CASE FILE\` into a fresh case per run
EOF
for tool in tshark dnscap; do
	if [[ -n ${peer_commands[$tool]:-} ]]; then
		echo "- $tool ${peer_commands[$tool]%%:*}: \`${peer_commands[$tool]#*: }\`"
	fi
done
cat <<EOF
- machine: $(nproc) cores, $model, $memory RAM, Linux $(uname -r), $(go version | cut -d' ' -f3)
- load average: $load_start before, $(cut -d' ' -f1-3 /proc/loadavg) after
- timing: $timing
- revision: $revision
EOF
if awk -v l="${load_start%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
	echo "- warning: the machine was busy (load $load_start on $(nproc) cores):" \
		"these figures are not to be quoted"
fi
