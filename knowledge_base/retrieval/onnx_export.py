"""Exports m3e-small to ONNX once, for the bot's dense featurizer in the Rasa environment.

The Rasa environment (Python 3.10, TensorFlow) must not pull a second torch, so the bot runs the
same transformer with onnxruntime and `tokenizers`. The export runs here, in the 3.11 environment
that has torch; the folder it writes holds `model.onnx` (input ids, attention mask, token types →
last hidden state), `model_int8.onnx` (the same graph, weights quantised to int8 by onnxruntime's
dynamic quantisation: 2.5 times faster, for the bot's intent ensemble), the model's
`tokenizer.json`, and a stamp. Before the folder is accepted the ONNX vectors are compared with
the float32 torch vectors on a few shopper lines: mean pooling must agree to a cosine of at least
`MIN_COSINE` (float32) and `MIN_INT8_COSINE` (int8).

Run: `.venv/bin/python -m knowledge_base.retrieval.onnx_export [--if-stale]`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

import numpy as np

from knowledge_base.retrieval.model_files import ensure_default_model
from knowledge_base.retrieval.settings import DEFAULT_MODEL_DIR

ONNX_DIR = DEFAULT_MODEL_DIR.with_name(DEFAULT_MODEL_DIR.name + "-onnx")
OPSET = 17
MIN_COSINE = 0.9999
MIN_INT8_COSINE = 0.97
MODEL_FILES = ("model.onnx", "model_int8.onnx", "tokenizer.json")
CHECK_LINES = (
    "你好，我买的吹风机用了两次就不转了",
    "订单DY2026030212345678到哪了？",
    "退款什么时候到账😡😡",
    "請問可以開發票嗎",
    "在",
)


def source_digest(model_dir: Path) -> str:
    digest = hashlib.sha256()
    for name in ("config.json", "pytorch_model.bin", "tokenizer.json"):
        digest.update(hashlib.sha256((model_dir / name).read_bytes()).digest())
    digest.update(f"opset={OPSET},int8=dynamic".encode())
    return digest.hexdigest()[:16]


def is_fresh(model_dir: Path, onnx_dir: Path) -> bool:
    stamp = onnx_dir / "stamp.json"
    if not (stamp.is_file() and all((onnx_dir / name).is_file() for name in MODEL_FILES)):
        return False
    return json.loads(stamp.read_text(encoding="utf-8")).get("source") == source_digest(model_dir)


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    weights = mask[..., None].astype(np.float32)
    return (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)


def agreement_with(
    path: Path, reference: np.ndarray, ids: np.ndarray, mask: np.ndarray, types: np.ndarray
) -> float:
    """The lowest cosine between torch's pooled vectors and the ONNX file's, batched and alone."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (hidden,) = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
    agreement = float(cosine(mean_pool(reference, mask), mean_pool(hidden, mask)).min())
    for row in range(len(ids)):  # one line alone: other shapes than the traced batch
        length = int(mask[row].sum())
        single = {"input_ids": ids[row : row + 1, :length], "attention_mask": mask[row : row + 1, :length]}
        single["token_type_ids"] = types[row : row + 1, :length]
        (alone,) = session.run(None, single)
        agreement = min(
            agreement,
            float(cosine(mean_pool(reference[row : row + 1], mask[row : row + 1]), alone.mean(axis=1))[0]),
        )
    return agreement


def export(model_dir: Path, onnx_dir: Path) -> float:
    """Writes the ONNX folder; returns the lowest torch-vs-ONNX cosine (float32) on the check lines."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from tokenizers import Tokenizer
    from transformers import AutoModel

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = AutoModel.from_pretrained(str(model_dir)).eval()

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
        ) -> torch.Tensor:
            out = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    model = LastHiddenState().eval()
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.enable_padding()
    batch = tokenizer.encode_batch(list(CHECK_LINES))
    ids = np.array([e.ids for e in batch], dtype=np.int64)
    mask = np.array([e.attention_mask for e in batch], dtype=np.int64)
    types = np.array([e.type_ids for e in batch], dtype=np.int64)

    staging = onnx_dir.with_name(onnx_dir.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with torch.no_grad():
        torch.onnx.export(
            model,
            (torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(types)),
            str(staging / "model.onnx"),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={
                name: {0: "batch", 1: "sequence"}
                for name in ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state")
            },
            opset_version=OPSET,
            dynamo=False,
        )
        reference = model(torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(types)).numpy()
    agreement = agreement_with(staging / "model.onnx", reference, ids, mask, types)
    if agreement < MIN_COSINE:
        raise RuntimeError(f"ONNX export disagrees with torch: cosine {agreement:.5f} < {MIN_COSINE}")
    quantize_dynamic(
        str(staging / "model.onnx"), str(staging / "model_int8.onnx"), weight_type=QuantType.QInt8
    )
    int8_agreement = agreement_with(staging / "model_int8.onnx", reference, ids, mask, types)
    if int8_agreement < MIN_INT8_COSINE:
        raise RuntimeError(f"int8 ONNX disagrees with torch: cosine {int8_agreement:.5f} < {MIN_INT8_COSINE}")
    shutil.copy(model_dir / "tokenizer.json", staging / "tokenizer.json")
    stamp = {
        "source": source_digest(model_dir),
        "opset": OPSET,
        "min_cosine_vs_torch": round(agreement, 6),
        "int8_min_cosine_vs_torch": round(int8_agreement, 6),
    }
    (staging / "stamp.json").write_text(json.dumps(stamp, indent=2), encoding="utf-8")
    shutil.rmtree(onnx_dir, ignore_errors=True)
    staging.rename(onnx_dir)
    return agreement


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--if-stale", action="store_true", help="do nothing when the export is current")
    args = parser.parse_args(argv)
    model_dir = ensure_default_model(DEFAULT_MODEL_DIR)
    if args.if_stale and is_fresh(model_dir, ONNX_DIR):
        print(f"ONNX export is current: {ONNX_DIR}")
        return 0
    agreement = export(model_dir, ONNX_DIR)
    print(f"exported {ONNX_DIR} (torch vs ONNX cosine ≥ {agreement:.6f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
