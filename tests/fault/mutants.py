#!/usr/bin/env python3
"""Mutated seed models through `fuze run` (issue 8): never a crash, never a hang.

Each mutant is a seed .pt (a zip archive) with one deterministic mutation:
truncation, byte flips in the zip's central directory or local headers, or
byte flips in one member (data.pkl, constants.pkl, a tensor storage, the
version record...) with the CRC-32 in both headers fixed up so that the bytes
reach libtorch's unpickler and deserializer instead of failing the CRC check.
`fuze run` on each must exit 0 (a harmless mutation) or exit non-zero with
exactly one stderr line starting with "fuze: " (no C++ backtrace); a signal, a
timeout or any other output fails the test. Mutant i of seed S is the same on
every machine, so a failure names its reproducer (--seed S --only i).

  mutants.py --runner build/tests/fault/fuze_mutant_runner --models build/models [--count 600] [--jobs 2]
  mutants.py --fuze build/src/cli/fuze --models build/models --count 50   (the binary itself; slower)
  FUZE_MUTANTS=5000 in the environment overrides --count (the long mode).
"""
import argparse
import collections
import concurrent.futures
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib

INTERESTING = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0x41, 0x2E, 0x71, 0x4B, 0x4D, 0x4A]  # incl. pickle opcodes . q K M J


def members(data):
    """(name, header_offset, data_offset, size, cd_offset_of_entry) per stored member, and the CD range."""
    import io
    zf = zipfile.ZipFile(io.BytesIO(data))
    eocd = data.rfind(b"PK\x05\x06")
    cd_size, cd_off = struct.unpack_from("<II", data, eocd + 12)
    out = []
    cd_entries = {}
    p = cd_off
    while p < cd_off + cd_size and data[p:p + 4] == b"PK\x01\x02":
        n, m, k = struct.unpack_from("<HHH", data, p + 28)
        name = data[p + 46:p + 46 + n].decode("utf-8", "replace")
        cd_entries[name] = p
        p += 46 + n + m + k
    for info in zf.infolist():
        h = info.header_offset
        n, m = struct.unpack_from("<HH", data, h + 26)
        start = h + 30 + n + m
        out.append((info.filename, h, start, info.compress_size, cd_entries.get(info.filename)))
    return out, (cd_off, cd_off + cd_size), eocd


def fix_crc(buf, member):
    name, h, start, size, cd = member
    crc = zlib.crc32(bytes(buf[start:start + size])) & 0xFFFFFFFF
    struct.pack_into("<I", buf, h + 14, crc)
    if cd is not None:
        struct.pack_into("<I", buf, cd + 16, crc)


def flip_bytes(rng, buf, lo, hi, n):
    for _ in range(n):
        if hi <= lo:
            return
        i = rng.randrange(lo, hi)
        r = rng.random()
        if r < 0.5:
            buf[i] ^= 1 << rng.randrange(8)
        elif r < 0.8:
            buf[i] = rng.choice(INTERESTING)
        else:
            buf[i] = rng.randrange(256)


def mutate(seed_bytes, rng):
    """Returns (kind, mutated bytes)."""
    buf = bytearray(seed_bytes)
    mems, (cd_lo, cd_hi), eocd = members(seed_bytes)
    kinds = ["truncate", "central_dir", "eocd", "local_header", "data.pkl", "data.pkl", "constants",
             "storage", "storage", "code", "any_member", "random_bytes", "zero_range"]
    kind = rng.choice(kinds)
    if kind == "truncate":
        return kind, bytes(buf[:rng.randrange(0, len(buf))])
    if kind == "central_dir":
        flip_bytes(rng, buf, cd_lo, cd_hi, rng.randint(1, 3))
        return kind, bytes(buf)
    if kind == "eocd":
        flip_bytes(rng, buf, eocd, len(buf), rng.randint(1, 2))
        return kind, bytes(buf)
    if kind == "local_header":
        m = rng.choice(mems)
        flip_bytes(rng, buf, m[1], m[2], rng.randint(1, 2))
        return kind, bytes(buf)
    if kind == "random_bytes":
        flip_bytes(rng, buf, 0, len(buf), rng.randint(1, 8))
        return kind, bytes(buf)
    if kind == "zero_range":
        a = rng.randrange(0, len(buf))
        b = min(len(buf), a + rng.randint(1, 256))
        buf[a:b] = bytes(b - a)
        return kind, bytes(buf)
    # Member contents, CRC fixed up so that the bytes reach the deserializer.
    def pick(pred):
        c = [m for m in mems if pred(m[0]) and m[3] > 0]
        return rng.choice(c) if c else rng.choice([m for m in mems if m[3] > 0])
    if kind == "data.pkl":
        m = pick(lambda n: n.endswith("/data.pkl"))
    elif kind == "constants":
        m = pick(lambda n: n.endswith("constants.pkl") or "/constants/" in n)
    elif kind == "storage":
        m = pick(lambda n: "/data/" in n)
    elif kind == "code":
        m = pick(lambda n: "/code/" in n)
    else:
        m = rng.choice([m for m in mems if m[3] > 0])
    flip_bytes(rng, buf, m[2], m[2] + m[3], rng.randint(1, 4))
    fix_crc(buf, m)
    return kind + ":" + m[0].split("/", 1)[-1], bytes(buf)


def load_models(models_dir):
    out = []
    with open(os.path.join(models_dir, "models.txt")) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2:
                with open(os.path.join(models_dir, parts[1]), "rb") as g:
                    out.append((parts[0], g.read(), parts[2:]))
    return out


def judge(signal, code, err, secs):
    """Outcome of one run: signal number (or None), exit code, stderr text."""
    lines = [l for l in err.splitlines() if l.strip()]
    if signal is not None:
        return "FAIL", "killed by signal %d; stderr: %s" % (signal, err[-400:]), secs
    if code == 0:
        return "ok", "", secs
    if len(lines) != 1 or not lines[0].startswith("fuze: ") or "Exception raised from" in err:
        return "FAIL", "exit %d with stderr: %r" % (code, err[-600:]), secs
    if "crashed" in lines[0]:
        return "crash_caught", lines[0], secs
    return "error", lines[0], secs


def check(fuze, path, shapes, timeout):
    cmd = [fuze, "run", path]
    for s in shapes:
        cmd += ["--input", s]
    t0 = time.time()
    try:
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "FAIL", "timeout after %ds" % timeout, time.time() - t0
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode < 0:
        return judge(-p.returncode, None, err, time.time() - t0)
    return judge(None, p.returncode, err, time.time() - t0)


def run_with_runner(runner, cases, jobs, timeout, tmp):
    """cases: [(path, shapes)]; one fuze_mutant_runner process for all of them."""
    lst = os.path.join(tmp, "list.txt")
    with open(lst, "w") as f:
        for path, shapes in cases:
            f.write(" ".join([path] + list(shapes)) + "\n")
    p = subprocess.run([runner, lst, str(jobs), str(timeout)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout * 4 + 10 * len(cases))
    out = {}
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        parts = line.split("\t", 2)
        if len(parts) < 3:
            continue
        i, status, err = int(parts[0]), parts[1], parts[2].replace("\\n", "\n").replace("\\t", "\t")
        if status == "timeout":
            out[i] = ("FAIL", "timeout after %ds" % timeout, 0.0)
        elif status.startswith("signal "):
            out[i] = judge(int(status.split()[1]), None, err, 0.0)
        elif status.startswith("exit "):
            out[i] = judge(None, int(status.split()[1]), err, 0.0)
        else:
            out[i] = ("FAIL", status, 0.0)
    if p.returncode != 0:
        print("runner exited with %d: %s" % (p.returncode, p.stderr.decode("utf-8", "replace")[-400:]))
    return [out.get(i, ("FAIL", "no result from the runner", 0.0)) for i in range(len(cases))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fuze", help="the fuze binary: one process per mutant")
    ap.add_argument("--runner", help="fuze_mutant_runner: one forked process per mutant (fast)")
    ap.add_argument("--models", required=True)
    ap.add_argument("--count", type=int, default=600)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--only", type=int, default=None, help="run mutant i only, and keep it")
    ap.add_argument("--keep", default=None, help="copy failing mutants here")
    args = ap.parse_args()
    if not args.fuze and not args.runner:
        ap.error("give --fuze or --runner")
    count = int(os.environ.get("FUZE_MUTANTS", args.count))
    models = load_models(args.models)
    tmp = tempfile.mkdtemp(prefix="fuze_mutants_")
    indices = [args.only] if args.only is not None else list(range(count))

    def make(i):
        rng = random.Random(args.seed * 1000003 + i)
        name, data, shapes = models[rng.randrange(len(models))]
        kind, mutant = mutate(data, rng)
        path = os.path.join(tmp, "m%05d_%s.pt" % (i, name))
        with open(path, "wb") as f:
            f.write(mutant)
        return name, kind, path, shapes

    t0 = time.time()
    made = [make(i) for i in indices]
    if args.runner:
        outcomes = run_with_runner(args.runner, [(m[2], m[3]) for m in made], args.jobs, args.timeout, tmp)
    else:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
            outcomes = list(ex.map(lambda m: check(args.fuze, m[2], m[3], args.timeout), made))
    elapsed = time.time() - t0
    results = []
    for i, m, o in zip(indices, made, outcomes):
        results.append((i, m[0], m[1]) + tuple(o))
        if o[0] == "FAIL" and args.keep:
            os.makedirs(args.keep, exist_ok=True)
            shutil.copy(m[2], args.keep)
    if args.only is None:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print("mutant kept at", made[0][2])

    by_outcome = collections.Counter(r[3] for r in results)
    by_kind = collections.defaultdict(collections.Counter)
    for r in results:
        by_kind[r[2].split(":")[0]][r[3]] += 1
    messages = collections.Counter(r[4].split("'")[0][:70] for r in results if r[3] in ("error", "crash_caught"))
    print("%d mutants of %d seed models (seed %d) in %.1f s, %d jobs, %s" %
          (len(results), len(models), args.seed, elapsed, args.jobs,
           "fuze_mutant_runner (fork per mutant)" if args.runner else "fuze binary (process per mutant)"))
    for k in ("ok", "error", "crash_caught", "FAIL"):
        print("  %-13s %d" % (k, by_outcome.get(k, 0)))
    print("by mutation:")
    for kind in sorted(by_kind):
        print("  %-14s %s" % (kind, dict(by_kind[kind])))
    print("most common errors:")
    for m, n in messages.most_common(8):
        print("  %4d  %s" % (n, m))
    for r in results:
        if r[3] == "crash_caught":
            print("crash in the child (caught): mutant %d (%s, %s): %s" % (r[0], r[1], r[2], r[4]))
    fails = [r for r in results if r[3] == "FAIL"]
    for r in fails[:20]:
        print("FAIL mutant %d (%s, %s): %s  [reproduce: --seed %d --only %d]" % (r[0], r[1], r[2], r[4], args.seed, r[0]))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
