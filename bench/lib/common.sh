# bench/lib/common.sh — shared by bench/payments.sh and bench/fanout.sh (sourced, not run).
# Process bookkeeping (everything started is stopped by PID on exit), the bench database, our
# gateway in production mode, CPU accounting from /proc (the way peer-bench/bench.sh does it)
# and a machine description. Needs ROOT, DB_URL, PORT, SECRET, WORK set by the caller.

log() { echo "[$BENCH_KIND $(date -u +%H:%M:%S)] $*" >&2; }

PIDS=()
stop_pid() { # pid name
  if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
    log "stopping $2 (PID $1)"; kill "$1" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.5; done
    log "$2 did not stop in 30 s; SIGKILL"; kill -9 "$1" 2>/dev/null || true
  fi
}
cleanup() { local p; for p in "${PIDS[@]}"; do stop_pid "${p%%:*}" "${p#*:}"; done; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- database --------------------------------------------------------------------------------
db_name() { node -e 'console.log(decodeURIComponent(new URL(process.argv[1]).pathname.slice(1)))' "$1"; }
ensure_database() { # url
  local name admin
  name="$(db_name "$1")"
  admin="$(node -e 'const u=new URL(process.argv[1]); u.pathname="/postgres"; console.log(u.href)' "$1")"
  [[ "$name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || { echo "unexpected database name: $name" >&2; exit 2; }
  case "$name" in gateway_bench|gateway_ci|*_test*) echo "refusing to use database $name (not ours)" >&2; exit 2 ;; esac
  if [ -z "$(psql -XAtq "$admin" -c "select 1 from pg_database where datname = '$name'")" ]; then
    log "creating database $name"
    psql -XAtq "$admin" -c "create database $name"
  fi
}
q() { psql -XAtq "$DB_URL" -v ON_ERROR_STOP=1 -c "$1"; }

# ---- our gateway (production mode) -----------------------------------------------------------
start_gateway() { # extra env assignments (VAR=value ...); node flags in GW_NODE_FLAGS
  if ss -ltn "sport = :$PORT" | grep -q LISTEN; then echo "port $PORT is busy" >&2; exit 1; fi
  env NODE_ENV=production DATABASE_URL="$DB_URL" JWT_SECRET="$SECRET" SEED_DEMO=false LOG_LEVEL=warn \
    PORT="$PORT" HOST=127.0.0.1 "$@" setsid nohup node ${GW_NODE_FLAGS:-} --import tsx src/main.ts \
    >>"$WORK/gateway.log" 2>&1 </dev/null &
  GW_PID=$!
  PIDS+=("$GW_PID:gateway")
  for _ in $(seq 1 120); do
    kill -0 "$GW_PID" 2>/dev/null || { cat "$WORK/gateway.log" >&2; echo "gateway died at startup" >&2; exit 1; }
    curl -sf -m 2 "http://127.0.0.1:$PORT/readyz" >/dev/null && { log "gateway up (PID $GW_PID)"; return 0; }
    sleep 0.5
  done
  echo "gateway not ready after 60 s" >&2; exit 1
}

# ---- CPU accounting --------------------------------------------------------------------------
CLK=$(getconf CLK_TCK)
ticks() { # utime+stime+cutime+cstime of one pid, in clock ticks (0 if gone)
  local s; s="$(cat "/proc/$1/stat" 2>/dev/null)" || { echo 0; return; }
  s="${s##*) }"; set -- $s
  echo $(( ${12} + ${13} + ${14} + ${15} ))
}
PG_PORT="$(node -e 'console.log(new URL(process.argv[1]).port || 5432)' "$DB_URL")"
PM_PID="$(ss -ltnpH "sport = :$PG_PORT" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2 || true)"
pg_cluster_ticks() { # postmaster + all its children (exited backends are in the postmaster's cutime)
  [ -n "$PM_PID" ] || { echo 0; return; }
  local t p; t=$(ticks "$PM_PID")
  for p in $(ps -o pid= --ppid "$PM_PID"); do t=$(( t + $(ticks "$p") )); done
  echo "$t"
}
our_backends() { # PIDs of the backends connected to our database (the gateway's pool)
  psql -XAtq "$DB_URL" -c "select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()"
}
machine_ticks() { # busy_ticks total_ticks steal_ticks (all cpus)
  awk '/^cpu /{ total=0; for(i=2;i<=NF;i++) total+=$i; print total-$5-$6, total, $9 }' /proc/stat
}
cores() { awk -v t="$1" -v w="$2" -v c="$CLK" 'BEGIN{ printf "%.2f", t/c/w }'; }

# ---- machine ---------------------------------------------------------------------------------
machine_json() { # -> JSON object on stdout
  node -e '
    const [nproc, cpu, mem, nodev, pg, kernel] = process.argv.slice(1);
    console.log(JSON.stringify({ nproc: Number(nproc), cpu, memory_gib: Number(mem), node: nodev, postgres: pg, kernel }));' \
    "$(nproc)" "$(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)" \
    "$(awk '/MemTotal/{printf "%.1f", $2/1048576}' /proc/meminfo)" "$(node -v)" \
    "$(q 'select version()')" "$(uname -srm)"
}
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
top_procs() { ps -eo pid,pcpu,etime,comm --sort=-pcpu | head -8; }
