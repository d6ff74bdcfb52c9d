"""The PEP 517 build backend behind `pip install .` (pyproject.toml).

Why a backend of our own, and not scikit-build-core or torch.utils.cpp_extension:
fuze must be compiled against the torch that the installing Python imports
(torch's C++ ABI changes between minor versions), and that torch is not
visible inside pip's isolated build environment, where both of those would
run; installing torch there would download a second, possibly different,
torch. This backend needs nothing from any package index (build-system
requires nothing, so it also works offline, e.g. on the GPU host), finds the
target torch by running the installing Python outside the isolation, and drives
the same CMake build as every other route (scripts/build.sh), so there is one
build description, not two.

What it does, in build_wheel():
  1. asks the Python that runs pip (or $FUZE_PYTHON) for torch's version and
     directory, and for its wheel tags;
  2. configures and builds the CMake project into
     build-pip/<python tag>-torch<version>/ (kept between installs, so a
     reinstall is incremental; $FUZE_PIP_BUILD_DIR overrides it): the Python
     module, libfuze_torchscript.so and the fuze CLI; tests and benchmarks off;
     $FUZE_CMAKE_ARGS adds CMake arguments, $FUZE_JOBS sets the parallelism;
  3. packs fuze/ (the Python package with its extension), fuze/lib/
     libfuze_torchscript.so and fuze/bin/fuze into a wheel whose entry points
     register the torch.compile backend "fuze" and the `fuze` command.

The wheel runs with the torch it was built against: `import fuze` checks the
version and says what to do when torch changed since.
"""

import base64
import hashlib
import io
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tarfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NAME = "fuze"
SUMMARY = "A JIT fusion compiler for TorchScript: elementwise chains compiled to x86-64 or CUDA at run time"

_PROBE = r"""
import json, os, sys, sysconfig
info = {"python": "cp%d%d" % sys.version_info[:2],
        "platform": sysconfig.get_platform().replace("-", "_").replace(".", "_")}
try:
    import torch
except Exception as e:
    info["error"] = "%s: %s" % (type(e).__name__, e)
else:
    info["torch_version"] = torch.__version__
    info["torch_dir"] = os.path.dirname(os.path.abspath(torch.__file__))
print(json.dumps(info))
"""


class BuildError(RuntimeError):
    pass


def _version():
    with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
        m = re.search(r"project\(\s*fuze\s+VERSION\s+([0-9.]+)", f.read())
    if not m:
        raise BuildError("fuze: no `project(fuze VERSION x.y.z)` in CMakeLists.txt")
    return m.group(1)


def _outside_env():
    """This environment without pip's build isolation (its PYTHONPATH entries and
    PYTHONNOUSERSITE), so that the installing Python sees its own packages."""
    env = dict(os.environ)
    kept = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and "pip-build-env" not in p]
    if kept:
        env["PYTHONPATH"] = os.pathsep.join(kept)
    else:
        env.pop("PYTHONPATH", None)
    env.pop("PYTHONNOUSERSITE", None)
    return env


def _target():
    python = os.environ.get("FUZE_PYTHON") or sys.executable
    out = subprocess.run([python, "-c", _PROBE], env=_outside_env(), capture_output=True, text=True)
    if out.returncode != 0:
        raise BuildError("fuze: cannot run %s: %s" % (python, out.stderr.strip()[-500:]))
    info = json.loads(out.stdout.strip().splitlines()[-1])
    if "error" in info:
        raise BuildError(
            "fuze: `import torch` fails in %s (%s): fuze is built against the torch of the "
            "Python that installs it; install torch first (e.g. pip install torch), then "
            "pip install . again (or set FUZE_PYTHON to a Python that has torch)" % (python, info["error"]))
    info["executable"] = python
    return info


def _run(cmd, cwd=None):
    print("fuze build: " + " ".join(shlex.quote(c) for c in cmd), file=sys.stderr, flush=True)
    res = subprocess.run(cmd, cwd=cwd, env=_outside_env())
    if res.returncode != 0:
        raise BuildError("fuze: command failed (exit %d): %s" % (res.returncode, " ".join(cmd)))


def _build(target, config_settings):
    cmake = shutil.which("cmake")
    if cmake is None:
        raise BuildError("fuze: cmake (3.22 or newer) is needed: apt-get install cmake, or pip install cmake")
    torch_version = target["torch_version"].split("+")[0]
    build = os.environ.get("FUZE_PIP_BUILD_DIR") or os.path.join(
        ROOT, "build-pip", "%s-torch%s" % (target["python"], torch_version))
    args = [cmake, "-S", ROOT, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
            "-DFUZE_BUILD_TESTS=OFF", "-DFUZE_BUILD_BENCH=OFF", "-DFUZE_WITH_PYTHON=ON",
            "-DFUZE_PYTHON=" + target["executable"]]
    if shutil.which("ninja") and not os.path.exists(os.path.join(build, "Makefile")):
        args += ["-G", "Ninja"]
    torch_dir = target["torch_dir"]
    if os.path.exists(os.path.join(torch_dir, "lib", "libtorch_cpu.so")):
        args.append("-DFUZE_TORCH_DIR=" + torch_dir)  # a PyPI wheel: its lib/ and include/
    # else a distribution's torch (Debian's python3-torch): find_package(Torch) finds its libtorch
    args += shlex.split(os.environ.get("FUZE_CMAKE_ARGS", ""))
    args += shlex.split((config_settings or {}).get("cmake-args", ""))
    _run(args)
    jobs = os.environ.get("FUZE_JOBS") or str(os.cpu_count() or 1)
    _run([cmake, "--build", build, "-j", jobs, "--target", "fuze_python", "fuze_torchscript", "fuze_cli"])
    return build


def _metadata():
    return ("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: %s\nRequires-Python: >=3.8\n"
            "License: see the source repository\n" % (NAME, _version(), SUMMARY))


def _entry_points():
    with open(os.path.join(ROOT, "python", "entry_points.txt")) as f:
        text = f.read().rstrip("\n")
    return text + "\n\n[console_scripts]\nfuze = fuze._cli:main\n"


def _dist_info():
    return "%s-%s.dist-info" % (NAME, _version())


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    path = os.path.join(metadata_directory, _dist_info())
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "METADATA"), "w") as f:
        f.write(_metadata())
    with open(os.path.join(path, "entry_points.txt"), "w") as f:
        f.write(_entry_points())
    return _dist_info()


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def _record_line(arcname, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (arcname, digest, len(data))


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    target = _target()
    build = _build(target, config_settings)
    package = os.path.join(build, "python", "fuze")
    files = []  # (arcname, path)
    for name in sorted(os.listdir(package)):
        if name.endswith(".py") or name.endswith(".so"):
            files.append(("fuze/" + name, os.path.join(package, name)))
    files.append(("fuze/lib/libfuze_torchscript.so", os.path.join(build, "lib", "libfuze_torchscript.so")))
    files.append(("fuze/bin/fuze", os.path.join(build, "src", "cli", "fuze")))
    for _, path in files:
        if not os.path.isfile(path):
            raise BuildError("fuze: the build did not produce %s" % path)

    tag = "%s-%s-%s" % (target["python"], target["python"], target["platform"])
    dist_info = _dist_info()
    wheel_name = "%s-%s-%s.whl" % (NAME, _version(), tag)
    generated = {
        dist_info + "/METADATA": _metadata(),
        dist_info + "/entry_points.txt": _entry_points(),
        dist_info + "/WHEEL": "Wheel-Version: 1.0\nGenerator: fuze_build\nRoot-Is-Purelib: false\nTag: %s\n" % tag,
    }
    record = []
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel_name), "w", zipfile.ZIP_DEFLATED) as whl:
        for arcname, path in files:
            with open(path, "rb") as f:
                data = f.read()
            info = zipfile.ZipInfo(arcname, date_time=(2020, 1, 1, 0, 0, 0))
            # A regular file's full mode: installers (pip) make a file
            # executable only when the mode says S_IFREG and an x bit.
            info.external_attr = (stat.S_IFREG | (0o755 if os.access(path, os.X_OK) else 0o644)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            whl.writestr(info, data)
            record.append(_record_line(arcname, data))
        for arcname, text in generated.items():
            whl.writestr(arcname, text)
            record.append(_record_line(arcname, text.encode()))
        record.append(dist_info + "/RECORD,,")
        whl.writestr(dist_info + "/RECORD", "\n".join(record) + "\n")
    print("fuze build: %s (torch %s at %s)" % (wheel_name, target["torch_version"], target["torch_dir"]),
          file=sys.stderr)
    return wheel_name


_SDIST_SKIP = re.compile(r"^(\.git|build[^/]*|__pycache__|.*\.egg-info)$")


def build_sdist(sdist_directory, config_settings=None):
    base = "%s-%s" % (NAME, _version())
    name = base + ".tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz") as tar:
        for dirpath, dirnames, filenames in os.walk(ROOT):
            dirnames[:] = sorted(d for d in dirnames if not _SDIST_SKIP.match(d))
            for fn in sorted(filenames):
                path = os.path.join(dirpath, fn)
                tar.add(path, arcname=os.path.join(base, os.path.relpath(path, ROOT)))
        data = _metadata().encode()
        info = tarfile.TarInfo(base + "/PKG-INFO")
        info.size = len(data)
        tar.addfile(info, fileobj=io.BytesIO(data))
    return name
