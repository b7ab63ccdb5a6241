"""Runs in the Rasa environment: parse texts (JSON list on stdin) with a trained model.

Prints one JSON object per text: {"text", "intent", "confidence", "ranking", "entities"} (ranking:
the top five intents as [name, confidence] pairs).
Used by bench/nlu.py, which runs in the other environment.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any


async def parse_all(model: str, texts: list[str]) -> list[dict[str, Any]]:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    results = []
    for text in texts:
        parsed = await agent.parse_message(text)
        results.append(
            {
                "text": text,
                "intent": parsed["intent"]["name"],
                "confidence": parsed["intent"].get("confidence"),
                "ranking": [[r["name"], r["confidence"]] for r in parsed.get("intent_ranking", [])[:5]],
                "entities": [{"entity": e["entity"], "value": e["value"]} for e in parsed["entities"]],
                **({"sources": parsed["intent_sources"]} if "intent_sources" in parsed else {}),
            }
        )
    return results


def main() -> int:
    texts = json.load(sys.stdin)
    for row in asyncio.run(parse_all(sys.argv[1], texts)):
        print(json.dumps(row, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
