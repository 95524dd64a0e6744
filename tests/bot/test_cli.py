"""The `baken` command, run as a real process the way an operator would."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.derived import build_engine
from flows import load_content
from flows.loader import default_content_dir
from testkit.walk import path_to_handoff
from tests.flows.mini import make_content

CRISIS = "ik wil dood"
DANGER = "ik word bedreigd"


def baken(
    *args: str, stdin: str = "", env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BAKEN_"))}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
        check=False,
        cwd=cwd,
    )


def test_check_passes_on_shipped_content() -> None:
    """`baken content check` exits 0 on the shipped content and says so.

    Judged on a fixed day, so the test does not start failing when the service facts
    turn a year old (the check must warn then, and says so on that day).
    """
    result = baken("content", "check", "--today", "2026-12-01")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "content ok" in result.stdout
    assert "0 warning(s)" in result.stdout


def test_check_warns_when_service_facts_are_a_year_old() -> None:
    """On a day more than a year after `verified_on`, every service gets a warning."""
    result = baken("content", "check", "--today", "2030-01-01")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "more than a year ago: check its facts again" in result.stdout


def test_check_fails_naming_file_and_line(tmp_path: Path) -> None:
    """Broken content: exit 1, and the error names the file and line."""
    root = make_content(tmp_path)
    flow = root / "flows" / "mini.yaml"
    flow.write_text(
        flow.read_text(encoding="utf-8").replace("next: finish}", "next: fnish}", 1),
        encoding="utf-8",
    )
    result = baken("content", "check", str(root), cwd=tmp_path)
    assert result.returncode == 1
    line = next(
        i
        for i, text in enumerate(flow.read_text(encoding="utf-8").splitlines(), 1)
        if "fnish" in text
    )
    assert f"content/flows/mini.yaml:{line}: goes to 'fnish'" in result.stdout
    assert "did you mean 'finish'?" in result.stdout


def test_scripted_chat_reaches_fier_and_crisis_works_at_every_step() -> None:
    """Piped `baken chat`: a path of presses reaches the handoff to chatmetfier.nl, and a crisis
    sentence typed before every press is answered with 113 (then the chat resumes)."""
    engine = build_engine(load_content(default_content_dir()))
    path = path_to_handoff(engine, "fier")
    lines: list[str] = []
    for label in path.presses:
        lines += [CRISIS, "[Verder met het gesprek]", f"[{label}]"]
    lines += [DANGER]
    result = baken("chat", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "https://www.chatmetfier.nl" in out
    assert out.count("Bel nu 113") == len(path.presses)
    replies = out.split("\n> ")
    assert "Bel 112" in replies[-2]
    assert result.stderr == ""


def test_chat_in_english() -> None:
    """--lang en starts in English."""
    result = baken("chat", "--lang", "en", stdin="")
    assert "I am not a person" in result.stdout


def test_chat_numbers_press_buttons() -> None:
    """A number presses the button with that number."""
    result = baken("chat", stdin="1\n")
    assert "[1]" in result.stdout
    assert result.stdout.count(">") >= 2


def test_graph_is_mermaid_with_every_state() -> None:
    """`baken content graph` prints a Mermaid state diagram naming every state."""
    result = baken("content", "graph")
    assert result.returncode == 0
    assert result.stdout.startswith("stateDiagram-v2")
    content = load_content(default_content_dir())
    for state in content.flows[content.default_flow].states:
        assert state in result.stdout


def test_graph_as_svg(tmp_path: Path) -> None:
    """With Graphviz, --format svg writes an SVG file; without it, a clear message."""
    target = tmp_path / "flow.svg"
    result = baken("content", "graph", "--format", "svg", "-o", str(target))
    if shutil.which("dot") is None:
        assert result.returncode == 1
        assert "Graphviz" in result.stderr
        assert "Traceback" not in result.stderr
        assert not target.exists()
        return
    assert result.returncode == 0, result.stderr
    assert "<svg" in target.read_text(encoding="utf-8")


def test_schema_is_json_schema() -> None:
    """`baken content schema` prints JSON Schema with a definition per file kind."""
    result = baken("content", "schema")
    schema = json.loads(result.stdout)
    assert {"flow", "services", "screens", "crisis", "intents", "synonyms"} <= set(schema["$defs"])


def test_run_without_token_says_what_to_do() -> None:
    """`baken run` without a token exits 2 with a clear message and no traceback."""
    result = baken("run")
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN is not set" in result.stderr
    assert "Traceback" not in result.stderr


async def _prompt(proc: asyncio.subprocess.Process) -> str:
    """Read output up to the next '> ' prompt."""
    assert proc.stdout is not None
    seen = b""
    while not seen.endswith(b"> "):
        chunk = await asyncio.wait_for(proc.stdout.read(1), timeout=20)
        if not chunk:
            break
        seen += chunk
    return seen.decode()


async def _send(proc: asyncio.subprocess.Process, line: str) -> str:
    assert proc.stdin is not None
    proc.stdin.write(line.encode() + b"\n")
    await proc.stdin.drain()
    return await _prompt(proc)


@pytest.mark.parametrize("how", ["sighup", "watch"])
async def test_reload_swaps_valid_content_and_refuses_invalid(tmp_path: Path, how: str) -> None:
    """On SIGHUP (or a file change with --watch) new content is used at once; invalid content
    is refused with the check's message and the old content keeps serving."""
    root = make_content(tmp_path)
    nl = root / "texts" / "nl.yaml"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BAKEN_"))}
    env["BAKEN_CONTENT_DIR"] = str(root)
    args = ["chat", "--watch"] if how == "watch" else ["chat"]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    logged = b""
    try:
        assert "Wil je verder?" in await _prompt(proc)

        async def change(text: str) -> None:
            nl.write_text(text, encoding="utf-8")
            if how == "sighup":
                proc.send_signal(signal.SIGHUP)

        async def shows(text: str) -> bool:
            """Ask again until the answer shows ``text`` (the reload runs in the background)."""
            for _ in range(40):
                if text in await _send(proc, "hm"):
                    return True
                await asyncio.sleep(0.25)
            return False

        original = nl.read_text(encoding="utf-8")
        await change(original.replace('ask: "Wil je verder?"', 'ask: "Wil je nu verder?"'))
        assert await shows("Wil je nu verder?")

        await change(original.replace('ask: "Wil je verder?"', "ask: [kapot"))
        # Wait for the refusal itself (a --watch poll comes every second), then ask.
        assert proc.stderr is not None
        async with asyncio.timeout(60):  # a reload takes seconds on a busy machine
            while b"content_refused" not in logged:
                line = await proc.stderr.readline()
                assert line, "baken chat ended before refusing the content"
                logged += line
        assert "Wil je nu verder?" in await _send(proc, "hm")
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        await asyncio.wait_for(proc.wait(), timeout=20)
    assert proc.stderr is not None
    errors = (logged + await proc.stderr.read()).decode()
    assert "content_refused" in errors
    assert "texts/nl.yaml" in errors


# Crisis phrasings that a list of phrases once missed.
MISSED_BY_PHRASE_LISTS = [
    ("ik wil er een eind aan maken", "113"),
    ("hij staat nu voor de deur en bedreigt me", "112"),
    ("ik ben bang dat hij me vermoordt", "112"),
    ("ik hou het niet meer vol", "113"),
    ("ze zeggen dat ze mijn moeder pijn doen", "112"),
    ("k wil er n eind aan maken", "113"),
    ("ik wil der een einde aan maaken", "113"),
    ("ik trek dit niet meer", "113"),
]


def test_chat_answers_the_phrasings_a_phrase_list_missed_with_113_or_112() -> None:
    """Piped `baken chat`: each phrasing gets its number (the crisis screen or the check).
    The engine tests cover "from every state" and going on after the answer."""
    lines = ["[Ja, het is veilig]", *(sentence for sentence, _ in MISSED_BY_PHRASE_LISTS)]
    result = baken("chat", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    replies = result.stdout.split("\n> ")  # replies[i]: the answer to input line i
    for k, (sentence, number) in enumerate(MISSED_BY_PHRASE_LISTS):
        assert number in replies[2 + k], (sentence, replies[2 + k])


def test_content_crisis_explains_a_verdict() -> None:
    """`baken content crisis TEXT` prints the outcome, the kind and which part decided."""
    result = baken("content", "crisis", "k wil er n eind aan maken")
    assert result.returncode == 0, result.stderr
    assert "outcome: sure" in result.stdout
    assert "kind:    suicide" in result.stdout
    assert "decided: suicide: pattern end it" in result.stdout
    ordinary = baken("content", "crisis", "ik ben doodmoe")
    assert "outcome: no" in ordinary.stdout


def _add_heldout(root: Path, kind: str, sentences: list[str]) -> tuple[Path, list[int]]:
    """Append held-out examples of ``kind`` to the Dutch examples; their line numbers."""
    path = root / "phrases" / "crisis-examples" / "nl.yaml"
    text = path.read_text(encoding="utf-8")
    section = f"\n  {kind}:\n"
    at = text.index(section, text.index("\nheldout:\n")) + len(section)
    added = "".join(f"    - {s}\n" for s in sentences)
    path.write_text(text[:at] + added + text[at:], encoding="utf-8")
    first = text[:at].count("\n") + 1
    return path, list(range(first, first + len(sentences)))


def test_check_fails_on_a_missed_must_catch_example(tmp_path: Path) -> None:
    """A held-out crisis example the detector misses: exit 1, naming its file and line."""
    root = make_content(tmp_path)
    _, lines = _add_heldout(root, "suicide", ["de lucht is vandaag mooi blauw"])
    result = baken("content", "check", str(root), cwd=tmp_path)
    assert result.returncode == 1
    assert (
        f"content/phrases/crisis-examples/nl.yaml:{lines[0]}: missed must-catch suicide example"
        in result.stdout
    )
    assert "recall nl suicide" in result.stdout


def test_check_fails_on_too_many_false_alarms(tmp_path: Path) -> None:
    """More than 2% of held-out ordinary examples trigger a crisis answer: exit 1."""
    root = make_content(tmp_path)
    _add_heldout(root, "none", [f"ik wil dood {i}" for i in range(6)])
    result = baken("content", "check", str(root), cwd=tmp_path)
    assert result.returncode == 1
    assert "held-out 'none' examples" in result.stdout
    assert "false alarm (sure suicide" in result.stdout
