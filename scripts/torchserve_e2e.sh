#!/usr/bin/env bash
# End to end: TorchServe from PyPI serves a TorchScript model fused by
# libfuze_torchscript.so, loaded by examples/torchserve/fuze_handler.py.
#
#   scripts/torchserve_e2e.sh
#
# Needs a Java runtime (17) and the torch 2.11 venv with fuze pip-installed
# (scripts/torch2.sh makes it: ${FUZE_TORCH2_VENV:-<cache>/venv}, where <cache>
# is ${FUZE_TORCH2_CACHE:-~/.cache/fuze/torch-2.11.0}). Steps:
#   1. once: a separate venv for TorchServe, <cache>/venv-torchserve, made from
#      /usr/bin/python3 (no system site-packages: Debian's torch would leak in)
#      with torchserve and torch-model-archiver 0.12.0 and their dependencies
#      from wheels cached in <cache>/wheels-torchserve (a rerun needs no
#      network); a .pth file makes the torch venv's torch and fuze visible in it;
#   2. a GEGLU MLP (two linears, gelu(tanh) * up, linear, tanh * 2 + 0.5),
#      traced, saved, archived with the handler into a model store (temp dir);
#   3. torchserve on free 127.0.0.1 ports with one worker; inference requests
#      with batches of several sizes, each response compared with the eager
#      model (rtol 1e-5, atol 1e-6); the last request asks the handler for
#      torch.ops.fuze.stats(): fused kernel calls > 0, no compile failure, no
#      fallback; the worker's log must show the handler's "fuze: loaded" and
#      "fuze stats:" lines (FUZE_STATS_LOG_EVERY=4);
#   4. torchserve stopped on every exit (trap).
# Ends with one line: "torchserve e2e: ..." (exit 0) or "torchserve e2e FAILED:
# <reason>" (non-zero). FUZE_KEEP_TMP=1 keeps the temp dir (logs, model store).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/torch2_paths.sh"
ts_venv="$cache/venv-torchserve"
wheel_dir="$cache/wheels-torchserve"
base_python="${FUZE_TORCH2_BASE_PYTHON:-/usr/bin/python3}"
ts_version=0.12.0
# pyyaml: the worker imports yaml (ts/utils/util.py) but torchserve's wheel does
# not declare it.
wheels=("torchserve==$ts_version" "torch-model-archiver==$ts_version" pyyaml)

log() { echo "torchserve_e2e: $*" >&2; }
fail() { echo "torchserve e2e FAILED: $*"; exit 1; }

command -v "${JAVA_HOME:+$JAVA_HOME/bin/}java" >/dev/null || fail "no java (TorchServe's frontend needs Java 11+; set JAVA_HOME or PATH)"
[ -x "$venv/bin/python" ] || fail "no torch venv at $venv (run scripts/torch2.sh first)"
torch_site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
"$venv/bin/python" -c 'import fuze, os; assert os.path.exists(fuze.torchscript_library())' 2>/dev/null \
  || fail "fuze is not installed in $venv (run scripts/torch2.sh, which pip-installs it there)"
[ "$("$venv/bin/python" -c 'import sys; print(sys.version_info[:2])')" = \
  "$("$base_python" -c 'import sys; print(sys.version_info[:2])')" ] \
  || fail "$base_python and $venv/bin/python are different Python versions"

# 1. The TorchServe venv (rebuilt when the torch venv's path or the wheel list changes).
stamp="$(printf '%s\n' "$base_python" "$torch_site" "${wheels[@]}" | sha1sum | cut -c1-12)"
if [ ! -f "$ts_venv/.fuze-$stamp" ]; then
  log "making $ts_venv"
  rm -rf "$ts_venv"
  "$base_python" -m venv "$ts_venv"
  pip=("$ts_venv/bin/python" -m pip --disable-pip-version-check --quiet)
  mkdir -p "$wheel_dir"
  if ! "${pip[@]}" install --no-index --find-links "$wheel_dir" "${wheels[@]}" >/dev/null 2>&1; then
    log "downloading TorchServe's wheels into $wheel_dir"
    "${pip[@]}" download --only-binary=:all: -d "$wheel_dir" "${wheels[@]}" >&2
    "${pip[@]}" install --no-index --find-links "$wheel_dir" "${wheels[@]}" >&2
  fi
  ts_site="$("$ts_venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  echo "$torch_site" > "$ts_site/fuze-torch2.pth"
  check="$("$ts_venv/bin/python" -c 'import torch, fuze, yaml, ts.model_service_worker, ts.torch_handler.base_handler
assert torch.__version__.startswith("'"$version"'"), torch.__version__' 2>&1)" \
    || fail "torch $version + fuze + TorchServe's worker not importable in $ts_venv: $(tail -n 1 <<<"$check")"
  touch "$ts_venv/.fuze-$stamp"
fi
py="$ts_venv/bin/python"
export PATH="$ts_venv/bin:$PATH"

# 2. Model, eager reference, archive.
work="$(mktemp -d /tmp/fuze-torchserve.XXXXXX)"
# TorchServe keeps its pid file in the temp dir and key_file.json/logs in the
# working directory: both private to this run.
export TMPDIR="$work" TEMP="$work" LOG_LOCATION="$work/logs" METRICS_LOCATION="$work/logs"
# The handler also logs its stats every FUZE_STATS_LOG_EVERY-th batch.
export FUZE_STATS_LOG_EVERY=4
cd "$work"
ts_pid=""
cleanup() {
  local status=$?
  if [ -n "$ts_pid" ]; then
    torchserve --stop >/dev/null 2>&1 || true
    for _ in $(seq 60); do kill -0 "$ts_pid" 2>/dev/null || break; sleep 0.5; done
    # The frontend and its workers run in their own process group (setsid).
    kill -TERM -- "-$ts_pid" 2>/dev/null || true
    sleep 1
    kill -KILL -- "-$ts_pid" 2>/dev/null || true
  fi
  cd /
  if [ "${FUZE_KEEP_TMP:-0}" = "1" ]; then log "kept $work"; else rm -rf "$work"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$py" - "$work" <<'EOF'
import sys, torch, torch.nn.functional as F

class GegluMLP(torch.nn.Module):
    def __init__(self, d=16, hidden=64, out=4):
        super().__init__()
        self.gate = torch.nn.Linear(d, hidden)
        self.up = torch.nn.Linear(d, hidden)
        self.down = torch.nn.Linear(hidden, out)

    def forward(self, x):
        h = F.gelu(self.gate(x), approximate="tanh") * self.up(x)
        return torch.tanh(self.down(h)) * 2.0 + 0.5

work = sys.argv[1]
torch.manual_seed(0)
model = GegluMLP().eval()
torch.jit.save(torch.jit.trace(model, torch.randn(4, 16)), f"{work}/mlp.pt")
cases = []
with torch.no_grad():
    for batch in (4, 4, 1, 3, 8, 8, 2, 4):
        x = torch.randn(batch, 16)
        cases.append((x, model(x)))   # eager, no TorchScript, no fuze
torch.save(cases, f"{work}/cases.pt")
EOF
mkdir -p "$work/model_store"
torch-model-archiver --model-name mlp --version 1.0 --serialized-file "$work/mlp.pt" \
  --handler "$root/examples/torchserve/fuze_handler.py" --export-path "$work/model_store" \
  || fail "torch-model-archiver"

# 3. Serve.
read -r inference_port management_port metrics_port < <("$py" -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')
cat > "$work/config.properties" <<EOF
inference_address=http://127.0.0.1:$inference_port
management_address=http://127.0.0.1:$management_port
metrics_address=http://127.0.0.1:$metrics_port
default_workers_per_model=1
number_of_netty_threads=1
job_queue_size=16
EOF
start=$SECONDS
setsid torchserve --start --foreground --ncs --disable-token-auth --ts-config "$work/config.properties" \
  --model-store "$work/model_store" --models mlp=mlp.mar >"$work/torchserve.out" 2>&1 &
ts_pid=$!

client_status=0
result="$("$py" - "$work" "$inference_port" "$management_port" "$ts_pid" 2>"$work/client.log" <<'EOF'
import json, os, sys, time, urllib.request, urllib.error
import torch

work, inference_port, management_port, ts_pid = sys.argv[1], *map(int, sys.argv[2:])
errors = open(f"{work}/client.err", "w")

def die(reason):
    print(reason, file=errors, flush=True)
    print(reason, file=sys.stderr)
    sys.exit(1)

def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.load(r)

def alive():
    try:
        os.kill(ts_pid, 0)
        return True
    except OSError:
        return False

started = time.time()
deadline = started + 180
while True:
    try:
        workers = get(f"http://127.0.0.1:{management_port}/models/mlp")[0]["workers"]
        if workers and all(w["status"] == "READY" for w in workers):
            break
    except (urllib.error.URLError, ConnectionError, OSError, KeyError, IndexError, ValueError):
        pass
    if not alive():
        die("torchserve exited before the model was ready (see torchserve.out, logs/)")
    if time.time() > deadline:
        last = [l.split("MODEL_LOG - ", 1)[-1].strip() for l in open(f"{work}/logs/model_log.log", errors="replace")
                if "Error" in l] if os.path.exists(f"{work}/logs/model_log.log") else []
        die("model mlp not READY after 180 s" + (f"; worker: {last[-1]}" if last else ""))
    time.sleep(0.5)
ping = get(f"http://127.0.0.1:{inference_port}/ping")
if ping.get("status") != "Healthy":
    die(f"/ping: {ping}")

cases = torch.load(f"{work}/cases.pt")
stats = None
for i, (x, expected) in enumerate(cases):
    body = {"data": x.tolist()}
    if i == len(cases) - 1:
        body["fuze_stats"] = True
    request = urllib.request.Request(
        f"http://127.0.0.1:{inference_port}/predictions/mlp",
        data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            response = json.load(r)
    except urllib.error.HTTPError as e:
        die(f"request {i}: HTTP {e.code}: {e.read()[:200]!r}")
    got = torch.tensor(response["output"], dtype=torch.float32)
    if got.shape != expected.shape or not torch.allclose(got, expected, rtol=1e-5, atol=1e-6):
        diff = (got - expected).abs().max().item() if got.shape == expected.shape else "shape"
        die(f"request {i} (batch {x.shape[0]}): response differs from eager (max |diff| {diff})")
    stats = response.get("fuze_stats", stats)
if stats is None:
    die("no fuze_stats in the last response")
print(json.dumps({"requests": len(cases), "seconds": round(time.time() - started, 1), **stats}))
EOF
)" || client_status=$?
if [ "$client_status" -ne 0 ]; then
  cat "$work/client.log" >&2
  fail "$(tail -n 1 "$work/client.err" 2>/dev/null || echo "client exited $client_status")"
fi
grep -rqs "fuze: loaded" "$work/logs" || fail "no 'fuze: loaded' line in TorchServe's model log"
grep -qs "fuze stats: " "$work/logs/model_log.log" || fail "no 'fuze stats:' line in TorchServe's model log"

# 4. Verdict (torchserve is stopped by the trap).
summary="$("$py" - "$result" <<'EOF'
import json, sys
s = json.loads(sys.argv[1])
problems = []
if s["enabled"] != 1: problems.append("fuze disabled in the worker")
if s["kernel_calls"] <= 0: problems.append("no fused kernel call")
if s["fallbacks"] != 0: problems.append(f"{s['fallbacks']} fallbacks")
if s["compile_failures"] != 0: problems.append(f"{s['compile_failures']} compile failures")
if problems:
    print("FAILED: " + ", ".join(problems) + f" (stats {s})")
else:
    print(f"{s['requests']} requests equal to eager, {s['kernel_calls']} fused kernel calls "
          f"({s['compiles']} kernels compiled), {s['fallbacks']} fallbacks")
EOF
)"
case "$summary" in
  FAILED:*) fail "${summary#FAILED: }" ;;
esac
echo "torchserve e2e: $summary (torchserve $ts_version, torch $version, $((SECONDS - start)) s from start)"
