"""`make bench`: runs every benchmark once and writes what it printed into docs/performance.md.

The part of docs/performance.md between `<!-- make bench: begin -->` and `<!-- make bench: end -->`
is generated: for each benchmark its command, when and on which commit it ran, how long it took,
the machine's load before and after, and the tables it printed (each benchmark prints its own
baseline or ceiling beside our figures, measured in the same run). Everything outside the markers
is hand-written history and analysis, dated, and is left alone.

Run: `.venv/bin/python bench/report.py [--only nlu urgency …] [--print]`; `--only` reruns some
benchmarks and keeps the other sections as they were; `--print` writes to stdout, not the file.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- make bench: begin -->", "<!-- make bench: end -->"
TIMEOUT_SECONDS = 1800


@dataclass(frozen=True)
class Bench:
    key: str
    title: str
    args: tuple[str, ...]


BENCHES = (
    Bench("nlu", "NLU: intents, entities and scripted conversations", ("bench/nlu.py", "--no-misses")),
    Bench("urgency", "Urgency reading", ("bench/urgency_reading.py",)),
    Bench("retrieval", "Knowledge-base retrieval", ("bench/retrieval.py",)),
    Bench("triage", "Triage API under load", ("bench/triage_load.py",)),
    Bench("relay", "Relay and push to the shopper's screen", ("bench/relay.py",)),
    Bench("turns", "Bot turns, one Rasa process", ("bench/load.py", "--quick")),
    Bench(
        "turns2",
        "Bot turns, two Rasa processes on shared Redis",
        ("bench/load.py", "--quick", "--rasa-instances", "2"),
    ),
)


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line), "?"
    )
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    found = re.search(r"MemTotal:\s+(\d+) kB", meminfo)
    memory = f"{int(found.group(1)) / 2**20:.0f} GiB" if found else "?"
    return (
        f"{os.cpu_count()} CPUs ({model}), {memory} RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()} for the benchmarks"
    )


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    # The report's own file is being rewritten by this run: it does not count as a change.
    changed = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!docs/performance.md")
    dirty = " with uncommitted changes" if changed else ""
    return (git("rev-parse", "--short", "HEAD") or "?") + dirty


def load_average() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def run(bench: Bench) -> tuple[str, bool]:
    """Runs one benchmark; its section of the report, and whether it ran to the end."""
    command = " ".join((".venv/bin/python", *bench.args))
    print(f"== {command}", flush=True)
    before, started = load_average(), time.monotonic()
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    # Its own process group: a benchmark stopped for taking too long is asked to stop (SIGINT, so
    # that it stops the stack it started), then killed with everything it started.
    process = subprocess.Popen(
        [sys.executable, *bench.args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT_SECONDS)
        status = f"exit {process.returncode}"
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGINT)
        try:
            stdout, stderr = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
        status = f"stopped after {TIMEOUT_SECONDS} s"
    output = stdout
    if status != "exit 0":
        output += "\n[stderr, last lines]\n" + "\n".join(stderr.splitlines()[-15:])
    seconds = time.monotonic() - started
    print(output, flush=True)
    return "\n".join(
        [
            f"<!-- bench:{bench.key} -->",
            f"### {bench.title}",
            "",
            f"`{command}` — {when}, commit {commit()}, {seconds:.0f} s, {status}; "
            f"1-minute load average {before} before, {load_average()} after.",
            "",
            "```text",
            output.strip("\n"),
            "```",
            f"<!-- /bench:{bench.key} -->",
        ]
    ), status == "exit 0"


def sections_of(block: str) -> dict[str, str]:
    return {
        found.group(1): found.group(0)
        for found in re.finditer(r"<!-- bench:(\w+) -->.*?<!-- /bench:\1 -->", block, flags=re.S)
    }


def generated(sections: dict[str, str]) -> str:
    ordered = [sections[b.key] for b in BENCHES if b.key in sections]
    return "\n".join(
        [
            BEGIN,
            "## Figures of the last `make bench`",
            "",
            "Generated by `make bench` (`bench/report.py`); do not edit by hand. Machine: "
            + machine()
            + ". Each benchmark prints its baseline or ceiling beside our figures, measured in the "
            "same run; the sections below explain the methods and keep the dated history.",
            "",
            "\n\n".join(ordered),
            END,
        ]
    )


def check_markers(text: str) -> None:
    """Either no generated part yet (then a `## ` section to put it before) or exactly one, in order."""
    begins, ends = text.count(BEGIN), text.count(END)
    if (begins, ends) == (0, 0):
        if "\n## " not in text:
            raise ValueError("docs/performance.md has no `## ` section to put the figures before")
        return
    if (begins, ends) != (1, 1) or text.index(BEGIN) > text.index(END):
        raise ValueError("docs/performance.md: the make bench markers are broken; mend them by hand")


def rewrite(text: str, fresh: dict[str, str]) -> str:
    """The document with its generated part holding `fresh` sections and the earlier ones kept;
    the hand-written text around the markers unchanged."""
    check_markers(text)
    if BEGIN in text:
        head, rest = text.split(BEGIN, 1)
        block, tail = rest.split(END, 1)
    else:  # first run: the generated part goes after the introduction, before the first section
        cut = text.index("\n## ")
        head, block, tail = text[: cut + 1], "", "\n" + text[cut + 1 :]
    return head + generated({**sections_of(block), **fresh}) + tail


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=[b.key for b in BENCHES], help="rerun these only")
    parser.add_argument("--print", action="store_true", help="print the report, leave the file alone")
    args = parser.parse_args()
    check_markers(DOC.read_text(encoding="utf-8"))  # before half an hour of benchmarks, not after
    results = {b.key: run(b) for b in BENCHES if args.only is None or b.key in args.only}
    fresh = {key: section for key, (section, _) in results.items()}
    failed = [key for key, (_, ok) in results.items() if not ok]
    text = rewrite(DOC.read_text(encoding="utf-8"), fresh)
    if args.print:
        print(text.split(BEGIN, 1)[1].split(END, 1)[0])
    else:
        DOC.write_text(text, encoding="utf-8")
        print(f"wrote {DOC.relative_to(ROOT)}", flush=True)
    if failed:  # written all the same, so that the failure is on record beside its output
        print(f"failed: {', '.join(failed)}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
