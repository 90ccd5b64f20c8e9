"""llama.cpp loads in the kiosk's real import order (numpy first) without crashing.

Issue 16: on a GPU machine (Python 3.12, numpy 2.5, llama-cpp-python built with CUDA),
`import numpy` then loading a model segfaulted: the CUDA build's libggml-cuda.so
exports its own copies of libstdc++'s locale symbols, and libllama bound to them while
libstdc++ (already loaded by numpy) kept its own. kiosk.llm.runtime makes the C++
runtime global before llama.cpp loads, so every library binds to libstdc++'s copy.

The crash itself needs that CUDA build; these tests run wherever CI runs and check
(1) the kiosk's own order, numpy before llama.cpp, loads and answers with the real
model, (2) the mechanism: after the guard, libstdc++'s symbols are what the process's
global scope resolves, including the facet ids the CUDA build exported, and
(3) nothing in the kiosk imports llama_cpp except through the guard.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import models
from kiosk.catalog.demo import seed_demo
from kiosk.config import load

ROOT = Path(__file__).resolve().parents[1]


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}, **env},
    )


def test_the_kiosk_imports_numpy_before_llama_cpp_and_still_answers(tmp_path: Path) -> None:
    """`kiosk ask` with the bundled model, in a fresh process, in the kiosk's real order."""
    assert seed_demo(tmp_path / "catalog.sqlite3")
    code = (
        "import sys, json\n"
        "from kiosk.cli import main\n"
        "order = [m for m in ('numpy', 'llama_cpp') if m in sys.modules]\n"
        "rc = main(['ask', '--json', 'do you have tents?'])\n"
        "print(json.dumps({'rc': rc, 'before': order, 'numpy_first': "
        "list(sys.modules).index('numpy') < list(sys.modules).index('llama_cpp')}))\n"
    )
    # A store that turned the model's phrasing on: the chat model loads in this turn.
    proc = _python(code, KIOSK_HOME=str(tmp_path), KIOSK_ASSISTANT_PHRASING="lead")
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    reply, summary = json.loads(lines[0]), json.loads(lines[-1])
    assert summary["numpy_first"], "the test lost the order it guards: numpy before llama_cpp"
    assert reply["intent"] == "find_product"
    assert any("Tent" in p["name"] for p in reply["products"])


def test_numpy_then_model_load_in_a_fresh_process() -> None:
    bundled_llm = models.resolve(load(env={}), "llm")
    code = (
        "import numpy\n"
        "from kiosk.llm.runtime import llama_cpp\n"
        f"llm = llama_cpp().Llama(model_path={str(bundled_llm)!r}, n_gpu_layers=0, "
        "n_ctx=256, verbose=False)\n"
        "print(llm.tokenize(b'hello tents'))\n"
    )
    proc = _python(code)
    assert proc.returncode == 0, f"rc {proc.returncode}: {proc.stderr[-2000:]}"
    assert re.search(r"\[\d+(, \d+)+\]", proc.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF symbol scopes: Linux only")
def test_after_the_guard_libstdcxx_owns_the_global_locale_symbols() -> None:
    """The guard's mechanism, checkable on any Linux build: std::collate<char>::id (one of
    the ids the CUDA build exported) resolves globally, and to libstdc++'s own copy."""
    code = r"""
import ctypes, json
import numpy  # loads libstdc++ the way the crash needed: RTLD_LOCAL, before llama.cpp
glob = ctypes.CDLL(None)
class Info(ctypes.Structure):
    _fields_ = [("fname", ctypes.c_char_p), ("fbase", ctypes.c_void_p),
                ("sname", ctypes.c_char_p), ("saddr", ctypes.c_void_p)]
dl = ctypes.CDLL("libc.so.6")
def where(name):
    try:
        addr = ctypes.cast(getattr(glob, name), ctypes.c_void_p).value
    except AttributeError:
        return None
    info = Info()
    dl.dladdr(ctypes.c_void_p(addr), ctypes.byref(info))
    return info.fname.decode()
sym = "_ZNSt7collateIcE2idE"
before = where(sym)
from kiosk.llm.runtime import llama_cpp
llama_cpp()
print(json.dumps({"before": before, "after": where(sym)}))
"""
    proc = _python(code)
    assert proc.returncode == 0, proc.stderr[-2000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["before"] is None, "numpy alone should leave libstdc++ out of the global scope"
    assert seen["after"] is not None and "libstdc++" in seen["after"], seen


def test_only_the_guard_imports_llama_cpp() -> None:
    """Every load of llama.cpp in the kiosk goes through kiosk.llm.runtime."""
    offenders = []
    for path in (ROOT / "kiosk").rglob("*.py"):
        if path.name == "runtime.py" and path.parent.name == "llm":
            continue
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"^\s*import llama_cpp\b", text, flags=re.M):
            offenders.append(f"{path.relative_to(ROOT)}:{text[: m.start()].count(chr(10)) + 1}")
    assert not offenders, f"import llama_cpp outside kiosk.llm.runtime: {offenders}"


def test_models_loaded_at_once_leave_stdout_alone() -> None:
    """llama-cpp-python points fd 1 and 2 at /dev/null while it loads a model; two loads
    at once (a screen loading the chat model while a turn loads the embedding model)
    left stdout on /dev/null for good. Loads go one at a time (runtime.QUIET_LOCK).
    Unguarded, this same code printed nothing three runs out of three."""
    code = (
        "import os, threading\n"
        "from kiosk.config import load\n"
        "from kiosk.llm.embed import Embedder\n"
        "from kiosk.models.paths import resolve\n"
        "cfg = load(env={})\n"
        "def one():\n"
        "    Embedder(resolve(cfg, 'embed'), cfg, n_threads=1).close()\n"
        "for _ in range(3):\n"
        "    ts = [threading.Thread(target=one) for _ in range(4)]\n"
        "    [t.start() for t in ts]\n"
        "    [t.join() for t in ts]\n"
        "os.write(1, b'still here\\n')\n"
    )
    proc = _python(code)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().endswith("still here"), (proc.stdout, proc.stderr[-500:])
