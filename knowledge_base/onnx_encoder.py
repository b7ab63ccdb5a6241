"""m3e-small run with onnxruntime: the bot's intent ensemble and the urgency reader's meaning model.

The knowledge base's embedding model, exported once to ONNX by
`knowledge_base.retrieval.onnx_export` (its vectors checked against torch's), so neither the
Rasa environment nor the action server needs torch or a second copy of the model's code. Only
numpy, onnxruntime and `tokenizers` are imported. `model.onnx` is the float32 export;
`model_int8.onnx` the same graph with its weights quantised to int8 (about 3.5 ms a message on
one thread against 9 ms; the export checks it against torch too).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import List

import numpy as np

ENCODER_DIR_ENV = "BOT_SENTENCE_ENCODER_DIR"
DEFAULT_ENCODER_DIR = str(Path(__file__).resolve().parents[1] / "var" / "models" / "m3e-small-onnx")
M3E_SMALL_WIDTH = 512


class OnnxSentenceEncoder:
    """Hidden states per model token and m3e's mean-pooled sentence vectors."""

    def __init__(
        self,
        model_dir: str = DEFAULT_ENCODER_DIR,
        model_file: str = "model.onnx",
        max_length: int = 128,
        threads: int = 1,
    ) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        folder = Path(os.environ.get(ENCODER_DIR_ENV) or model_dir)
        if not (folder / model_file).is_file():
            raise FileNotFoundError(
                f"no ONNX sentence encoder {model_file} in {folder.resolve()}: run "
                "`.venv/bin/python -m knowledge_base.retrieval.onnx_export` (make encoder does)"
            )
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            str(folder / model_file), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length)
        width = self.session.get_outputs()[0].shape[-1]
        self.dim = width if isinstance(width, int) else M3E_SMALL_WIDTH

    def hidden_states(self, texts: List[str]) -> List[tuple[np.ndarray, list[tuple[int, int]]]]:
        """Hidden states per model token (special tokens included) and their character offsets."""
        encodings = self.tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encodings)

        def padded(rows: List[List[int]]) -> np.ndarray:
            return np.array([row + [0] * (width - len(row)) for row in rows], dtype=np.int64)

        inputs = {
            "input_ids": padded([e.ids for e in encodings]),
            "attention_mask": padded([e.attention_mask for e in encodings]),
            "token_type_ids": padded([e.type_ids for e in encodings]),
        }
        (hidden,) = self.session.run(None, inputs)
        return [(hidden[i, : len(e.ids)], list(e.offsets)) for i, e in enumerate(encodings)]

    def sentence_vectors(self, texts: List[str], batch: int = 32) -> np.ndarray:
        """One unit-length vector a text (m3e pooling: the mean over every position, [CLS] and
        [SEP] too); a blank text gets zeros. Texts are batched by length to pad little."""
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted((i for i, t in enumerate(texts) if t.strip()), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch):
            rows = order[start : start + batch]
            for row, (hidden, _) in zip(rows, self.hidden_states([texts[i] for i in rows]), strict=True):
                pooled = hidden.mean(axis=0)
                vectors[row] = pooled / max(float(np.linalg.norm(pooled)), 1e-9)
        return vectors
