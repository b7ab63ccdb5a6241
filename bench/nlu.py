"""NLU benchmark on the held-out split, side by side with two baselines trained on the same data.

- intent accuracy and macro-F1: the trained Rasa model (DIET pipeline) vs char n-gram TF-IDF +
  logistic regression vs nearest neighbour over m3e-small sentence embeddings;
- order_id exact match and phones taken for order numbers: our rule extractor (inside the Rasa
  model) vs a naive `\\d{10,20}` regex; remedy exact match;
- turns to reach the confirmation over scripted conversations, through the running stack, vs a
  fixed-order form that asks each fact in turn.

Run: `.venv/bin/python bench/nlu.py` (after `make train`); `--no-dialogue` skips the stack part.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from devstack.settings import StackSettings  # noqa: E402
from devstack.training import model_path, rasa_env  # noqa: E402
from knowledge_base.retrieval.embedder import Embedder  # noqa: E402
from knowledge_base.retrieval.settings import get_retrieval_settings  # noqa: E402
from knowledge_base.textnorm import canonical_order_id, is_mobile_number, mask_identifiers, normalize  # noqa: E402

# Held-out splits, never trained on. A was used for error analysis and tuning (ensemble
# weight, C). B was written later by someone who had not seen the training data; its remedy
# figure was measured twice, so B counts as looked at. C is sealed: written blind in the style of
# real chats (greetings around the request, pasted order cards, long stories), committed before
# the changes it measures, and never used for a decision. D was written blind in the same style
# after C, as a second tuning split (ensemble weight, featurizer choice), so that C stays sealed.
# C's misses were read after its last measurement (2026-12-02), so C counts as looked at since.
# E was written blind by a writer who saw only the taxonomy and the domain spec; it was measured
# once (2026-12-02) and its misses were never read. F was written blind the same way later that
# day, with more remedy phrasing, and committed before the remedy changes it measures; its misses
# were read after the last of them (2026-12-02 20:45), so F counts as looked at since.
# G and H (2026-12-03) were written blind the same way; each was measured three times with no
# decision made on it, and then both moved into training (nlu_data/nlu/realchat_writer_g.yml and
# _h.yml) when I replaced them. I (2026-12-03, evening) was written blind the same way and
# committed before the change it measures; measured three times, its misses were read on
# 2026-12-04 and it then moved into training (nlu_data/nlu/realchat_writer_i.yml). J (2026-12-04)
# was written blind the same way and committed before the change it measures; measured three
# times, its remedy misses were read on 2026-12-04 (evening) and it then moved into training
# (nlu_data/nlu/realchat_writer_j.yml).
# K (2026-12-04, evening) was written blind the same way, with the remedy rule spelt out to the
# writers (mark only a remedy wanted now), and committed before the change it measures; it was
# measured several times (before and after the remedy and intent changes of 2026-12-04 and 2026-12-05)
# and its remedy misses were read on 2026-12-05 to write remedy cues; it moved into training on
# 2026-12-07 (nlu_data/nlu/realchat_writer_k.yml).
# E's remedy lines were used on 2026-12-05 to choose the remedy classifier's thresholds
# (bot/components/remedy_classifier.py), so E is a tuning split since.
# L (2026-12-07) was written blind the same way by six writers and committed before the remedy
# classifier, the cues and the training lines of 2026-12-07 (K, M) it measures; measured twice,
# before and after them, and its misses were then read for the error analysis (docs/performance.md),
# and it moved into training the same day (nlu_data/nlu/realchat_writer_l.yml).
# N (2026-12-07) was written blind the same way by six writers and committed before the changes it
# measures (urgency v10, cues read from L's misses, L in training); measured twice, before and
# after them, and its misses were then read (2026-12-07, morning); it moved into training
# (nlu_data/nlu/realchat_writer_n.yml).
# Q (2026-12-07, morning) was written blind the same way by six writers and committed before the
# changes it measures (hurrying in status questions, cues read from N's misses, N in training);
# measured three times, its misses were then read (2026-12-07, midday) and it moved into training
# (nlu_data/nlu/realchat_writer_q.yml).
# S (2026-12-07, midday) was written blind the same way by six writers (more pasted cards, long
# posts, requests wrapped in politeness, minds changed mid-message, one-word dialect replies) and
# committed before the changes it measures; measured twice, before and after them, its misses were
# then read (2026-12-07, afternoon) and it moved into training (nlu_data/nlu/realchat_writer_s.yml).
# T (2026-12-07, afternoon) was written blind the same way by six writers (voice-input transcripts,
# live-stream comments, replies that lean on context, one remedy refused for another, personal data
# around the request) and committed before the changes it measures; measured twice, before and
# after them, its misses were then read (2026-12-07, evening) and it moved into training
# (nlu_data/nlu/realchat_writer_t.yml).
# V (2026-12-07, evening) was written blind the same way by six writers (rants with the ask buried,
# quoting others, self-corrections, rhetorical questions, numbers that are not order numbers, pasted
# product titles, Cantonese and Taiwanese phrasing) and committed before the changes it measures;
# measured twice, before and after them, its misses were then printed for the error analysis after
# the session's last decision (2026-12-07, evening), so it is looked at; its remedy misses were read
# again to write remedy rules (2026-12-08) and it moved into training (nlu_data/nlu/realchat_writer_v.yml).
# W (2026-12-07, late evening) was written blind the same way by six writers, mixing every shape
# above, after the last change of that session, and committed before the next change it measures;
# measured twice, before and after the changes of 2026-12-08, its misses were then printed for the
# error analysis (2026-12-08), so it is looked at.
# X (2026-12-08) was written blind the same way by six writers (every shape above), at the start of
# that session and committed before any change it measures; sealed.
HOLDOUTS = {
    "A (tuning)": ROOT / "bench" / "data" / "nlu_holdout.yml",
    "B (looked at)": ROOT / "bench" / "data" / "nlu_holdout_b.yml",
    "C (looked at)": ROOT / "bench" / "data" / "nlu_holdout_c.yml",
    "D (tuning)": ROOT / "bench" / "data" / "nlu_tuning_d.yml",
    "E (tuning)": ROOT / "bench" / "data" / "nlu_holdout_e.yml",
    "F (looked at)": ROOT / "bench" / "data" / "nlu_holdout_f.yml",
    "W (looked at)": ROOT / "bench" / "data" / "nlu_holdout_w.yml",
    "X (sealed)": ROOT / "bench" / "data" / "nlu_holdout_x.yml",
}
CONVERSATIONS = ROOT / "bench" / "data" / "intake_conversations.yaml"
_ANNOTATION = re.compile(
    r"\[(?P<text>[^\]]+)\](?:\((?P<entity>\w+)(?::(?P<value>[^)]+))?\)|\{(?P<json>[^}]+)\})"
)
_NAIVE_ORDER = re.compile(r"\d{10,20}")


@dataclass
class Example:
    text: str
    intent: str
    entities: list[tuple[str, str]] = field(default_factory=list)


def parse_example(line: str, intent: str) -> Example:
    entities: list[tuple[str, str]] = []

    def replace(match: re.Match[str]) -> str:
        text = match.group("text")
        if match.group("json"):
            spec = json.loads("{" + match.group("json") + "}")
            entities.append((spec["entity"], str(spec.get("value", text))))
        else:
            entities.append((match.group("entity"), match.group("value") or text))
        return text

    return Example(text=_ANNOTATION.sub(replace, line), intent=intent, entities=entities)


def load_nlu(paths: list[Path]) -> list[Example]:
    examples: list[Example] = []
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu", []):
            if "intent" not in block:
                continue
            for raw in str(block.get("examples", "")).splitlines():
                raw = raw.strip()
                if raw.startswith("- "):
                    examples.append(parse_example(raw[2:].strip(), block["intent"]))
    return examples


def rasa_predictions(
    texts: list[str], model: Path | None = None, extra_env: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """bench/rasa_predict.py's parse of every text, in the Rasa environment."""
    settings = StackSettings()
    model = model or model_path(settings)
    if not model.exists():
        raise SystemExit("no trained Rasa model for the current data: run `make train` first")
    result = subprocess.run(
        [str(settings.rasa_venv / "bin" / "python"), str(ROOT / "bench" / "rasa_predict.py"), str(model)],
        input=json.dumps(texts, ensure_ascii=False),
        capture_output=True,
        text=True,
        env={**rasa_env(settings), **(extra_env or {})},
        check=True,
    )
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


BASELINE_C_GRID = (1.0, 3.0, 10.0, 30.0, 100.0)


def tfidf_baseline(
    train: list[Example], test: list[Example], tuning: list[Example]
) -> tuple[list[str], float]:
    """Char 1-3-gram TF-IDF + logistic regression with the pipeline's identifier masking; C is
    picked on the tuning split A, as ours was. Returns the predictions and the C chosen."""

    def prepare(examples: list[Example]) -> list[str]:
        return [mask_identifiers(normalize(e.text)) for e in examples]

    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)
    features = vectorizer.fit_transform(prepare(train))
    labels = [e.intent for e in train]
    best_c, best_accuracy = BASELINE_C_GRID[0], -1.0
    for c in BASELINE_C_GRID:
        model = LogisticRegression(max_iter=3000, C=c).fit(features, labels)
        accuracy = float(
            accuracy_score([e.intent for e in tuning], model.predict(vectorizer.transform(prepare(tuning))))
        )
        if accuracy > best_accuracy:
            best_c, best_accuracy = c, accuracy
    classifier = LogisticRegression(max_iter=3000, C=best_c).fit(features, labels)
    return list(classifier.predict(vectorizer.transform(prepare(test)))), best_c


def embedding_nn_baseline(train: list[Example], test: list[Example]) -> list[str]:
    settings = get_retrieval_settings()
    embedder = Embedder(settings.embedding_model, settings.max_seq_length)
    train_vectors = embedder.encode([normalize(e.text) for e in train])
    test_vectors = embedder.encode([normalize(e.text) for e in test])
    nearest = np.argmax(test_vectors @ train_vectors.T, axis=1)
    return [train[i].intent for i in nearest]


def remedy_lexicon(train: list[Example]) -> dict[str, str]:
    """Every remedy phrase of the training data (annotations and synonyms.yml) and its value."""
    lexicon: dict[str, str] = {}
    for example in train:
        for kind, value in example.entities:
            if kind == "remedy":
                lexicon.setdefault(value, value)
    data = yaml.safe_load((ROOT / "nlu_data" / "synonyms.yml").read_text(encoding="utf-8")) or {}
    for block in data.get("nlu", []):
        if block.get("synonym") in lexicon:
            for raw in str(block.get("examples", "")).splitlines():
                phrase = raw.strip()[2:].strip().lower() if raw.strip().startswith("- ") else ""
                if len(phrase) >= 2:
                    lexicon[phrase] = block["synonym"]
    return lexicon


def lexicon_remedies(lexicon: dict[str, str], texts: list[str]) -> list[set[str]]:
    """The lookup baseline: every known phrase anywhere in the text, longest first, no overlaps."""
    phrases = sorted(lexicon, key=len, reverse=True)
    found: list[set[str]] = []
    for text in texts:
        lowered, values = normalize(text).lower(), set()
        for phrase in phrases:
            if phrase in lowered:
                values.add(lexicon[phrase])
                lowered = lowered.replace(phrase, "\0" * len(phrase))
        found.append(values)
    return found


def gold_orders(example: Example) -> set[str]:
    return {canonical_order_id(v) or v for kind, v in example.entities if kind == "order_id"}


def entity_scores(
    test: list[Example], predicted: list[dict[str, object]], looked_up: list[set[str]]
) -> dict[str, float]:
    order_total = order_exact = naive_exact = phones_taken = naive_phones = 0
    remedy_total = remedy_exact = lookup_exact = spurious = lookup_spurious = 0
    for example, prediction, lookup in zip(test, predicted, looked_up, strict=True):
        entities = prediction["entities"]
        assert isinstance(entities, list)
        found_orders = {str(e["value"]) for e in entities if e["entity"] == "order_id"}
        naive = set(_NAIVE_ORDER.findall(normalize(example.text)))
        phones_taken += sum(1 for value in found_orders if is_mobile_number(value))
        naive_phones += sum(1 for value in naive if is_mobile_number(value))
        gold = gold_orders(example)
        if gold or found_orders:
            order_total += 1
            order_exact += found_orders == gold
            naive_exact += {v for v in naive} == {re.sub(r"\D", "", g) for g in gold}
        gold_remedy = {v for kind, v in example.entities if kind == "remedy"}
        found_remedy = {str(e["value"]) for e in entities if e["entity"] == "remedy"}
        if gold_remedy:
            remedy_total += 1
            remedy_exact += found_remedy == gold_remedy
            lookup_exact += lookup == gold_remedy
        else:
            spurious += bool(found_remedy)
            lookup_spurious += bool(lookup)
    return {
        "order_exact": order_exact / max(order_total, 1),
        "naive_order_exact": naive_exact / max(order_total, 1),
        "order_cases": float(order_total),
        "phones_taken": float(phones_taken),
        "naive_phones_taken": float(naive_phones),
        "remedy_exact": remedy_exact / max(remedy_total, 1),
        "remedy_cases": float(remedy_total),
        "lookup_remedy_exact": lookup_exact / max(remedy_total, 1),
        "remedy_spurious": float(spurious),
        "lookup_remedy_spurious": float(lookup_spurious),
        "no_remedy_cases": float(len(test) - remedy_total),
    }


# What the bot asks for, recognised in its reply, and the key of the shopper's scripted answer.
_ASKS = (("遇到了什么问题", "issue"), ("订单号", "order_id"), ("怎么处理", "remedy"))
_MAX_TURNS = 6


def turns_to_confirmation(stack: Any, sender: str, conversation: dict[str, Any]) -> int | None:
    """Send the shopper's messages; once they run out, answer what the bot asks from `answers`.

    A shopper answers a question; a misunderstanding therefore costs turns rather than ending
    the conversation. None when the bot never shows the confirmation summary.
    """
    import httpx

    pending = list(conversation["messages"])
    answers = dict(conversation.get("answers") or {})
    reply_text = ""
    for turn in range(1, _MAX_TURNS + 1):
        if pending:
            message = pending.pop(0)
        else:
            asked = next((key for cue, key in _ASKS if cue in reply_text and key in answers), None)
            if asked is None:
                return None
            message = answers.pop(asked)
        reply = httpx.post(
            f"{stack.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": message, "metadata": {"channel": "app_chat"}},
            timeout=60,
        ).json()
        reply_text = "".join(m.get("text") or "" for m in reply)
        if "核对" in reply_text:
            return turn
    return None


def remedy_phrases() -> list[str]:
    data = yaml.safe_load((ROOT / "nlu_data" / "synonyms.yml").read_text(encoding="utf-8"))
    return [
        normalize(line.strip()[2:])
        for block in data["nlu"]
        if "synonym" in block
        for line in str(block["examples"]).splitlines()
        if line.strip().startswith("- ")
    ]


def fixed_form_turns(conversation: dict[str, Any], phrases: list[str]) -> int | None:
    """A fixed-order form, simulated: it asks the issue, then the order number (accepted when a
    10-20 digit run that is not a mobile number is in the answer), then the remedy (accepted when
    a remedy word is), and shows the summary after the last. The shopper sends the scripted
    messages, then answers what is asked, exactly as in our run. None when the summary is never
    reached within the turn limit."""
    pending = list(conversation["messages"])
    answers = dict(conversation.get("answers") or {})
    asks = ("issue", "order_id", "remedy")
    step = 0
    for turn in range(1, _MAX_TURNS + 1):
        message = pending.pop(0) if pending else answers.get(asks[step])
        if message is None:
            return None
        text = normalize(str(message))
        accepted = {
            "issue": True,
            "order_id": any(not is_mobile_number(run) for run in _NAIVE_ORDER.findall(text)),
            "remedy": any(phrase and phrase in text for phrase in phrases),
        }
        step += accepted[asks[step]]
        if step == len(asks):
            return turn
    return None


def dialogue_turns() -> list[tuple[str, int | None, int | None]]:
    """(conversation, turns to the confirmation or None, turns of the simulated fixed-order form)."""
    from devstack.stack import Stack

    conversations = yaml.safe_load(CONVERSATIONS.read_text(encoding="utf-8"))["conversations"]
    base = StackSettings()
    settings = StackSettings(
        rasa_port=base.rasa_port + 200,
        action_server_port=base.action_server_port + 200,
        triage_port=base.triage_port + 200,
        redis_port=base.redis_port + 200,
        data_dir=Path(tempfile.mkdtemp(prefix="bench-nlu-")),
    )
    stack = Stack(settings)
    phrases = remedy_phrases()
    results: list[tuple[str, int | None, int | None]] = []
    try:
        stack.start()
        for number, conversation in enumerate(conversations):
            ours = turns_to_confirmation(stack, f"bench-{number}", conversation)
            results.append((conversation["name"], ours, fixed_form_turns(conversation, phrases)))
    finally:
        stack.stop()
    return results


def intent_scores(gold: list[str], predicted: list[str]) -> tuple[float, float]:
    """Accuracy and macro-F1 over the intents of the gold labels.

    A fallback prediction counts as a miss of the true intent; it is not averaged in as a
    class of its own (which would put a zero into the mean for every split with a fallback).
    """
    labels = sorted(set(gold))
    return (
        float(accuracy_score(gold, predicted)),
        float(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0)),
    )


def print_intent_table(systems: dict[str, list[str]], splits: dict[str, list[Example]]) -> None:
    bounds: dict[str, slice] = {}
    start = 0
    for name, examples in splits.items():
        bounds[name] = slice(start, start + len(examples))
        start += len(examples)
    bounds["all"] = slice(0, start)
    gold = [e.intent for examples in splits.values() for e in examples]
    header = "".join(f" {name + ' acc':>16} {'F1':>6}" for name in bounds)
    print(f"\n{'intent (accuracy, macro-F1)':<24}{header}")
    for system, labels in systems.items():
        cells = ""
        for part in bounds.values():
            accuracy, macro = intent_scores(gold[part], labels[part])
            cells += f" {accuracy:>16.3f} {macro:>6.3f}"
        print(f"{system:<24}{cells}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-dialogue", action="store_true", help="skip the scripted conversations")
    parser.add_argument("--model", type=Path, help="a trained model other than the current one")
    parser.add_argument(
        "--sealed-misses",
        action="store_true",
        help="also print the sealed split's misses (error analysis after the last decision only)",
    )
    parser.add_argument("--no-misses", action="store_true", help="figures only (make bench's report)")
    parser.add_argument(
        "--remedy-misses", action="store_true", help="print remedy misses of the splits that are not sealed"
    )
    parser.add_argument(
        "--splits", default="ABCDEFWX", help="which held-out splits to score (e.g. A while tuning)"
    )
    args = parser.parse_args()
    train = load_nlu(sorted((ROOT / "nlu_data" / "nlu").glob("*.yml")))
    splits = {name: load_nlu([path]) for name, path in HOLDOUTS.items() if name[0] in args.splits}
    tuning = load_nlu([HOLDOUTS["A (tuning)"]])
    test = [example for examples in splits.values() for example in examples]
    gold = [e.intent for e in test]
    sizes = ", ".join(f"{name} {len(examples)}" for name, examples in splits.items())
    print(f"training examples {len(train)}, held-out {len(test)} ({sizes}), intents {len(set(gold))}")

    predicted = rasa_predictions([e.text for e in test], args.model)
    baseline, baseline_c = tfidf_baseline(train, test, tuning)
    systems = {
        "Rasa pipeline (ours)": [str(p["intent"]) for p in predicted],
        f"TF-IDF+LR, masked, C={baseline_c:g}": baseline,
        "m3e nearest neighbour": embedding_nn_baseline(train, test),
    }
    print_intent_table(systems, splits)

    names = [*(name.split()[0] for name in splits), "all"]
    print(f"\n{'entities':<40} " + " ".join(f"{n:>13}" for n in names))
    by_split: list[dict[str, float]] = []
    looked_up = lexicon_remedies(remedy_lexicon(train), [e.text for e in test])
    offset = 0
    for examples in splits.values():
        window = slice(offset, offset + len(examples))
        by_split.append(entity_scores(examples, predicted[window], looked_up[window]))
        offset += len(examples)
    by_split.append(entity_scores(test, predicted, looked_up))
    rows = [
        ("order_id exact, rule extractor (ours)", "order_exact", "order_cases"),
        ("order_id exact, naive \\d{10,20} regex", "naive_order_exact", "order_cases"),
        ("remedy exact (ours)", "remedy_exact", "remedy_cases"),
        ("remedy exact, phrase lookup", "lookup_remedy_exact", "remedy_cases"),
    ]
    for label, key, cases in rows:
        cells = " ".join(f"{f'{s[key]:.3f} ({int(s[cases])})':>13}" for s in by_split)
        print(f"{label:<40} {cells}")
    for label, key in (
        ("remedy where none was asked, ours", "remedy_spurious"),
        ("remedy where none was asked, lookup", "lookup_remedy_spurious"),
    ):
        cells = " ".join(f"{str(int(s[key])) + '/' + str(int(s['no_remedy_cases'])):>13}" for s in by_split)
        print(f"{label:<40} {cells}")
    for label, key in (("phones taken, ours", "phones_taken"), ("phones taken, naive", "naive_phones_taken")):
        cells = " ".join(f"{int(s[key]):>13}" for s in by_split)
        print(f"{label:<40} {cells}")

    offset = 0
    for name, examples in splits.items():
        part = predicted[offset : offset + len(examples)]
        offset += len(examples)
        if args.no_misses or ("sealed" in name and not args.sealed_misses):
            continue
        misses = [
            (e.text, e.intent, p["intent"])
            for e, p in zip(examples, part, strict=True)
            if e.intent != p["intent"]
        ]
        if misses:
            print(f"\nRasa misclassifications, {name}:")
            for text, want, got in misses:
                print(f"  {want:<28} -> {got!s:<28} {text}")
        if args.remedy_misses:
            print(f"\nremedy misses, {name}:")
            for e, p in zip(examples, part, strict=True):
                gold_values = sorted(v for kind, v in e.entities if kind == "remedy")
                read = sorted({str(x["value"]) for x in p["entities"] if x["entity"] == "remedy"})
                if gold_values != read:
                    wanted, found = ",".join(gold_values) or "-", ",".join(read) or "-"
                    print(f"  {wanted:<24} -> {found:<24} {e.intent:<26} {e.text}")

    if not args.no_dialogue:
        turns = dialogue_turns()
        never = (
            _MAX_TURNS + 1
        )  # a conversation that never reaches the summary counts as one turn over the limit
        print(f"\n{'scripted conversation':<40} {'ours':>5} {'fixed form':>11}")
        for name, reached, fixed in turns:
            shown = ("never" if t is None else t for t in (reached, fixed))
            print(f"{name:<40} {next(shown):>5} {next(shown):>11}")
        ours_mean = np.mean([t if t is not None else never for _, t, _ in turns])
        fixed_mean = np.mean([f if f is not None else never for _, _, f in turns])
        reached_ours = sum(t is not None for _, t, _ in turns)
        reached_fixed = sum(f is not None for _, _, f in turns)
        print(
            f"{'mean turns to confirmation':<40} {ours_mean:>5.2f} {fixed_mean:>11.2f}   "
            f"(reached: ours {reached_ours}/{len(turns)}, fixed form {reached_fixed}/{len(turns)};"
            f" never = {never})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
