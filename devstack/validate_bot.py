"""`rasa data validate` with one allowance: responses that only actions or forms utter.

Rasa warns about every response no story or rule names, but utter_ask_<slot> is uttered by
the form and some responses by custom actions. Those are allowed only if the code really
uses them; any other warning fails the check.
"""

from __future__ import annotations

import re
import subprocess
import sys

import yaml

from devstack.settings import REPO_ROOT, StackSettings
from devstack.training import rasa_env, rasa_project_args

_UNUSED = re.compile(r"The utterance '(\w+)' is not used in any story or rule\.")
_WARNING = re.compile(r"(UserWarning|WARNING|ERROR)[: ]")


def uttered_by_code() -> set[str]:
    """Responses named in action code, and utter_ask_<slot> of every form slot."""
    names: set[str] = set()
    for path in (REPO_ROOT / "bot" / "actions").glob("*.py"):
        names |= set(re.findall(r"\"(utter_\w+)\"", path.read_text(encoding="utf-8")))
    slots = yaml.safe_load((REPO_ROOT / "bot" / "domain" / "slots.yml").read_text(encoding="utf-8"))
    for form in slots.get("forms", {}).values():
        names |= {f"utter_ask_{slot}" for slot in form.get("required_slots", [])}
    return names


def main() -> int:
    settings = StackSettings()
    result = subprocess.run(
        [
            str(settings.rasa_venv / "bin" / "rasa"),
            "data",
            "validate",
            *rasa_project_args(),
        ],
        cwd=REPO_ROOT / "bot",
        env=rasa_env(settings),
        capture_output=True,
        text=True,
    )
    output = result.stdout + result.stderr
    allowed = uttered_by_code()
    problems = []
    for line in output.splitlines():
        unused = _UNUSED.search(line)
        if unused and unused.group(1) in allowed:
            continue
        if (unused or _WARNING.search(line)) and "SQLAlchemy" not in line and "MovedIn20Warning" not in line:
            problems.append(line.strip())
    if result.returncode != 0 or problems:
        print(output[-4000:] if result.returncode != 0 else "\n".join(problems))
        print("rasa data validate: FAILED")
        return 1
    print("rasa data validate: clean (responses uttered only by actions or forms are allowed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
