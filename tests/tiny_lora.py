"""A small LoRA adapter in GGUF, written in the test run for any llama-architecture GGUF.

It is laid out as llama.cpp's convert_lora_to_gguf.py writes one (vendor/llama.cpp in
the llama-cpp-python 0.3.36 sdist; src/llama-adapter.cpp reads it): general.type
"adapter", adapter.type "lora", adapter.lora.alpha, and for each changed weight W
(ggml shape [n_in, n_out]) a pair `W.lora_a` (numpy rank x n_in, as PEFT's lora_A)
and `W.lora_b` (numpy n_out x rank, as PEFT's lora_B). The weights are random, not
trained: big enough that the model's greedy output changes, which is all a test of
loading needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from gguf import GGUFReader, GGUFType, GGUFWriter

TARGETS = ("attn_q", "attn_v", "ffn_up")


def write_lora(
    base: Path,
    out: Path,
    *,
    rank: int = 4,
    alpha: float = 8.0,
    blocks: Sequence[int] = (0, 1, 2, 3),
    targets: Sequence[str] = TARGETS,
    std: float = 0.1,
    seed: int = 0,
    architecture: str | None = None,
    width: int | None = None,
) -> Path:
    """Write a LoRA GGUF for the model `base` to `out`. `architecture` overrides the
    model's (an adapter for another kind of model); `width` gives every changed weight
    that many inputs and outputs (an adapter for a model of another size)."""
    reader = GGUFReader(str(base))
    arch = reader.fields["general.architecture"].contents()
    shapes = {t.name: [int(n) for n in t.shape] for t in reader.tensors}
    rng = np.random.default_rng(seed)
    writer = GGUFWriter(str(out), architecture or arch)
    writer.add_type(GGUFType.ADAPTER)
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", alpha)
    for block in blocks:
        for target in targets:
            name = f"blk.{block}.{target}.weight"
            n_in, n_out = (width, width) if width else shapes[name]
            a = (rng.standard_normal((rank, n_in)) * std).astype(np.float32)
            b = (rng.standard_normal((n_out, rank)) * std).astype(np.float32)
            writer.add_tensor(f"{name}.lora_a", a)
            writer.add_tensor(f"{name}.lora_b", b)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out
