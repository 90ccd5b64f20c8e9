"""Which import order crashes llama.cpp's model load, and which library is to blame.

Run by scripts/gpu-check on a machine where `import numpy; import llama_cpp` then
`Llama(model)` ended in a segmentation fault (issue 16: Python 3.12, numpy 2.5, a
CUDA build of llama-cpp-python). Each variant runs in its own process, so a crash is
an exit status (-11), not the end of the probe. Prints one line per variant, the
shared libraries `import numpy` brings in, and a native backtrace when cuda-gdb is
there (the GPU image has no gdb).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def run(name: str, code: str, env: dict[str, str] | None = None) -> int:
    full = {**os.environ, **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-c", code], env=full, capture_output=True, text=True, timeout=120
    )
    tail = (proc.stdout + proc.stderr).strip().splitlines()[-1:] or [""]
    print(f"{name:<46} rc={proc.returncode:<4} {tail[0][:110]}", flush=True)
    return proc.returncode


def numpy_libs() -> list[str]:
    """The shared libraries `import numpy` maps, beyond what Python had already."""
    code = (
        "import re\n"
        "def libs():\n"
        "    return {l.split()[-1] for l in open('/proc/self/maps') if '.so' in l}\n"
        "before = libs()\n"
        "import numpy\n"
        "print('\\n'.join(sorted(libs() - before)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return [line for line in out.stdout.splitlines() if line.strip()]


def main() -> None:
    model = sys.argv[1]
    extra = "embedding=True, " if "minilm" in model.lower() else ""
    load = (
        f"import llama_cpp; llama_cpp.Llama(model_path={model!r}, n_gpu_layers={{ngl}}, "
        f"{extra}verbose=False); print('loaded')"
    )
    cpu, gpu = load.format(ngl=0), load.format(ngl=-1)
    libs = numpy_libs()
    print("libraries numpy maps:", *libs, sep="\n  ")
    cxx = "import ctypes; ctypes.CDLL('libstdc++.so.6'{mode}); "
    local, shared = cxx.format(mode=""), cxx.format(mode=", mode=ctypes.RTLD_GLOBAL")
    kiosk = (
        "from kiosk.llm.runtime import llama_cpp; "
        f"llama_cpp().Llama(model_path={model!r}, n_gpu_layers=0, {extra}verbose=False); "
        "print('loaded')"
    )

    run("llama_cpp alone, CPU", cpu)
    run("llama_cpp alone, GPU", gpu)
    run("numpy first, CPU", "import numpy; " + cpu)
    run("numpy first, GPU", "import numpy; " + gpu)
    run("numpy first, no GPU visible", "import numpy; " + cpu, {"CUDA_VISIBLE_DEVICES": ""})
    run("llama_cpp, then numpy, then load", "import llama_cpp, numpy; " + cpu)
    run("libstdc++ loaded first (RTLD_LOCAL)", local + cpu)
    run("libstdc++ loaded first (RTLD_GLOBAL)", shared + cpu)
    run("numpy, then libstdc++ promoted to GLOBAL", "import numpy; " + shared + cpu)
    run(
        "numpy first, LD_PRELOAD=libstdc++.so.6",
        "import numpy; " + cpu,
        {"LD_PRELOAD": "libstdc++.so.6"},
    )
    run("numpy first, then kiosk.llm.runtime", "import numpy; " + kiosk)
    run("numpy first, kiosk.llm.runtime, GPU", "import numpy; " + kiosk.replace("=0,", "=-1,"))

    debugger = shutil.which("cuda-gdb") or shutil.which("gdb")
    if debugger:
        print(f"\nbacktrace of 'numpy first, CPU' under {Path(debugger).name}:", flush=True)
        proc = subprocess.run(
            [
                debugger,
                "-q",
                "-batch",
                "-ex",
                "run",
                "-ex",
                "bt 25",
                "-ex",
                "info registers rip",
                "--args",
                sys.executable,
                "-c",
                "import numpy; " + cpu,
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        lines = (proc.stdout + proc.stderr).splitlines()
        keep = [
            ln for ln in lines if ln.startswith(("#", "Thread", "Program", "rip")) or "SIG" in ln
        ]
        print("\n".join(keep[-45:]), flush=True)


if __name__ == "__main__":
    main()
