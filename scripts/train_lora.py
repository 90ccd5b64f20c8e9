"""Train a LoRA adapter for the kiosk's chat model on `kiosk train-data` pairs (PEFT).

Not part of the kiosk: it needs torch, transformers and peft, which the kiosk never
imports. Run it in its own virtual environment, on a GPU box or (slowly) on a CPU:

    python3 -m venv /tmp/train && /tmp/train/bin/pip install torch transformers peft gguf
    /tmp/train/bin/python scripts/train_lora.py train.jsonl --out lora-out \\
        --base models/SmolLM2-135M-Instruct.Q4_1.gguf --steps 100

`--base` is the kiosk's own GGUF (transformers dequantizes it with `gguf_file=`) or a
Hugging Face model directory or id (HuggingFaceTB/SmolLM2-135M-Instruct, the same
model in full precision). The loss counts the assistant's answer only. `--out` gets
the PEFT adapter (adapter_model.safetensors, adapter_config.json) and `base/`, the
base model's config.json, which llama.cpp's converter reads:

    python convert_lora_to_gguf.py --base lora-out/base --outtype f16 \\
        --outfile lora.gguf lora-out

Prints the time per step and for the whole run.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path
from typing import Any

# Every projection of a llama block: attention (q, k, v, o) and the feed-forward's three.
TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def _load(base: str) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = Path(base)
    if path.suffix == ".gguf":
        kw = {"gguf_file": path.name}
        return (
            AutoTokenizer.from_pretrained(str(path.parent), **kw),
            AutoModelForCausalLM.from_pretrained(str(path.parent), **kw),
        )
    return AutoTokenizer.from_pretrained(base), AutoModelForCausalLM.from_pretrained(base)


def _examples(tok: Any, rows: list[dict[str, Any]], max_len: int) -> list[tuple[list[int], int]]:
    """(token ids, where the answer starts) for each pair, cut to max_len tokens."""
    out = []
    for row in rows:
        messages = row["messages"]
        prompt = tok.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
        full = tok.apply_chat_template(messages, tokenize=False)
        p_ids = tok(prompt, add_special_tokens=False)["input_ids"]
        ids = tok(full, add_special_tokens=False)["input_ids"][:max_len]
        if len(p_ids) < len(ids):
            out.append((ids, len(p_ids)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", help="JSONL from `kiosk train-data`")
    ap.add_argument("--base", required=True, help="the kiosk's GGUF, or a HF model dir or id")
    ap.add_argument("--out", required=True, help="folder for the PEFT adapter")
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--alpha", type=float, default=16)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--max-len", type=int, default=256)
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    import torch
    from peft import LoraConfig, get_peft_model

    if args.threads:
        torch.set_num_threads(args.threads)
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    started = time.perf_counter()
    tok, model = _load(args.base)
    loaded = time.perf_counter() - started
    rows = [json.loads(line) for line in Path(args.data).read_text("utf-8").splitlines() if line]
    data = _examples(tok, rows, args.max_len)
    config = LoraConfig(
        r=args.rank,
        lora_alpha=args.alpha,
        lora_dropout=0.0,
        target_modules=list(TARGETS),
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(model, config).to(device)
    model.train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr)
    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    times: list[float] = []
    tokens = 0
    order: list[int] = []
    for step in range(args.steps):
        if len(order) < args.batch:
            order += random.sample(range(len(data)), len(data))
        batch = [data[order.pop()] for _ in range(args.batch)]
        width = max(len(ids) for ids, _ in batch)
        tokens += sum(len(ids) for ids, _ in batch)
        ids = torch.full((len(batch), width), pad)
        labels = torch.full((len(batch), width), -100)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for i, (seq, start) in enumerate(batch):
            ids[i, : len(seq)] = torch.tensor(seq)
            labels[i, start : len(seq)] = torch.tensor(seq[start:])
            mask[i, : len(seq)] = 1
        t = time.perf_counter()
        loss = model(
            input_ids=ids.to(device), attention_mask=mask.to(device), labels=labels.to(device)
        ).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
        times.append(time.perf_counter() - t)
        if step % 10 == 0 or step == args.steps - 1:
            print(f"step {step + 1}/{args.steps} loss {loss.item():.4f} {times[-1]:.2f} s/step")
    out = Path(args.out)
    model.save_pretrained(str(out))
    base = model.base_model.model
    # llama.cpp's converter picks its writer by `architectures`, which a GGUF-loaded config lacks.
    base.config.architectures = base.config.architectures or [type(base).__name__]
    base.config.save_pretrained(str(out / "base"))
    saved = out / "base" / "config.json"
    hparams = json.loads(saved.read_text("utf-8"))
    hparams.pop("quantization_config", None)  # the GGUF it was read from; the converter balks
    saved.write_text(json.dumps(hparams, indent=2), "utf-8")
    total = time.perf_counter() - started
    per = sorted(times)[len(times) // 2]
    print(
        f"{len(data)} pairs, {args.steps} steps of {args.batch} on {device} "
        f"({torch.get_num_threads()} threads, {tokens / args.steps:.0f} tokens a step): "
        f"median {per:.2f} s/step, "
        f"{sum(times):.0f} s training, {total:.0f} s in all (model load {loaded:.0f} s); "
        f"adapter in {out}"
    )


if __name__ == "__main__":
    main()
