"""The one way the kiosk loads llama.cpp (llama-cpp-python), whatever was imported first.

Why (issue 16, seen on a GPU machine: Python 3.12, numpy 2.5, llama-cpp-python 0.3.36
built with -DGGML_CUDA=on): `import numpy` and then loading any model ended in a
segmentation fault inside llama.cpp's tokenizer (std::regex, at `std::use_facet`),
while loading llama.cpp first worked. The CUDA build's libggml-cuda.so, whose host
code nvcc compiles, defines and exports its own copies of libstdc++ symbols (the
locale facets' ids among them). ctypes loads libllama.so RTLD_LOCAL, so libllama binds
those symbols to the first definition in its own dependency list: libggml-cuda's.
When libllama brings libstdc++ in with it, libstdc++ is bound the same way and every
party agrees on one copy. When libstdc++ is already there (numpy 2's core is C++ and
loads it), libstdc++ keeps its own copy, libllama uses libggml-cuda's, and a locale
built by one is read with the other's ids: a wrong facet, then a crash.

The fix here: before llama.cpp loads, make the C++ runtime that is (or will be) in the
process global (`RTLD_GLOBAL`, which also promotes one that is already loaded). The
global scope is searched before a library's own dependencies, so libllama and
libggml-cuda then bind to libstdc++'s symbols, the same ones libstdc++ and numpy use,
in either import order. CPU builds export no such symbols and are unaffected. A build
can also be made safe at link time (see README, "GPU"); this guard keeps the kiosk
safe with the builds people already have.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
import threading
from types import ModuleType

_CXX_RUNTIME = ("libstdc++.so.6",)

# llama-cpp-python silences llama.cpp while it loads a model by pointing the process's
# file descriptors 1 and 2 at /dev/null and back (`suppress_stdout_stderr`, dup2). Two
# threads doing that at once (the screen loading the chat model while a turn loads the
# embedding model; `kiosk bench serve`'s simulated kiosks) can leave stdout on
# /dev/null for good: everything printed after, a screen included, vanishes. Every
# model load and anything else that swaps those descriptors holds this lock.
QUIET_LOCK = threading.Lock()
_pinned: list[ctypes.CDLL] = []


def share_cxx_runtime() -> bool:
    """Load (or promote) the C++ runtime with RTLD_GLOBAL; True if done. Linux only."""
    if not sys.platform.startswith("linux") or _pinned:
        return bool(_pinned)
    for name in _CXX_RUNTIME:
        try:
            _pinned.append(ctypes.CDLL(name, mode=ctypes.RTLD_GLOBAL))
            return True
        except OSError:
            continue
    return False


def llama_cpp() -> ModuleType:
    """`import llama_cpp`, with the C++ runtime shared first (see the module docstring).

    Raises ImportError when llama-cpp-python is not installed, like the import itself.
    """
    if "llama_cpp" not in sys.modules:
        share_cxx_runtime()
    import llama_cpp as module

    return module
