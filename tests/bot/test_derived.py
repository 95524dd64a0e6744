"""The cache of trained readers: plain JSON by content digest, never trusted blindly."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from bot.derived import PARSED, DerivedCache, ParsedFiles, build_readers
from bot.serving import ContentHolder, read
from flows import Content, load_content
from flows.loader import default_content_dir, read_content
from flows.understanding import situation
from flows.understanding.readers import FORMAT, Readers, digest_of


@pytest.fixture(scope="module")
def small() -> Content:
    """The shipped content with fewer examples: it trains in about a second."""
    content = load_content(default_content_dir())
    return dataclasses.replace(
        content,
        crisis_examples={"nl": content.crisis_examples["nl"]},
        situation_examples={"nl": content.situation_examples["nl"]},
    )


def test_a_warm_cache_trains_nothing(small: Content, tmp_path: Path) -> None:
    """The second build reads the first one's weights back and reads text the same way."""
    cache = DerivedCache(tmp_path)
    first = build_readers(small, cache)
    assert first.trained
    assert list(tmp_path.glob("readers-*.json"))
    second = build_readers(small, cache)
    assert not second.trained
    story = "mn baas houdt mijn paspoort en ik krijg bijna niks betaald"
    assert second.situation.read(story) == first.situation.read(story)
    assert second.crisis.assess("ik wil dood") == first.crisis.assess("ik wil dood")


def test_a_corrupt_file_is_ignored_with_a_warning(small: Content, tmp_path: Path) -> None:
    cache = DerivedCache(tmp_path)
    digest = digest_of(small)
    (tmp_path / f"readers-{digest}.json").write_text("{not json", encoding="utf-8")
    with capture_logs() as logs:
        assert cache.load(digest) is None
    assert logs[0]["event"] == "derived_cache_ignored"
    readers = build_readers(small, cache)
    assert readers.trained
    assert cache.load(digest) is not None  # written anew


def test_damaged_weights_of_the_right_digest_are_never_trusted(small: Content) -> None:
    """Data that names this content but holds garbage: trained again, not read."""
    data = {"format": FORMAT, "digest": digest_of(small), "crisis": {"weights": "x"}}
    readers = Readers.build(small, data)
    assert readers.trained
    assert readers.crisis.assess("ik wil dood").outcome == "sure"


def test_a_cache_of_another_content_version_is_ignored(small: Content, tmp_path: Path) -> None:
    cache = DerivedCache(tmp_path)
    readers = build_readers(small, cache)
    data = readers.derived()
    data["digest"] = "0" * 24
    (tmp_path / f"readers-{digest_of(small)}.json").write_text(json.dumps(data), "utf-8")
    with capture_logs() as logs:
        assert cache.load(digest_of(small)) is None
    assert logs[0]["reason"] == "another content version"


def test_the_weights_are_packed_and_read_back_exactly(small: Content, tmp_path: Path) -> None:
    """The numbers are stored as arrays, not as JSON lists; read back, they are the same."""
    cache = DerivedCache(tmp_path)
    first = build_readers(small, cache)
    raw = json.loads((tmp_path / f"readers-{first.digest}.json").read_text(encoding="utf-8"))
    assert raw["packed"] == ["crisis.weights", "situation.sparse"]
    assert isinstance(raw["situation"]["sparse"]["values"], str)
    second = build_readers(small, cache)
    assert not second.trained
    assert second.crisis.model == first.crisis.model
    assert second.situation.weights == first.situation.weights


def test_weights_as_plain_json_lists_are_still_read(small: Content, tmp_path: Path) -> None:
    """A file written before the weights were packed."""
    cache = DerivedCache(tmp_path)
    first = build_readers(small, cache)
    path = tmp_path / f"readers-{first.digest}.json"
    path.write_text(json.dumps(first.derived()), encoding="utf-8")
    second = build_readers(small, cache)
    assert not second.trained
    assert second.situation.weights == first.situation.weights


@pytest.mark.parametrize(
    ("part", "field", "damage"),
    [
        ("situation", "values", "not base64!"),
        ("situation", "values", "AAAA"),  # 3 bytes: not a whole number
        ("situation", "offsets", [0]),
        ("crisis", "offsets", "x"),
        ("crisis", "features", None),
    ],
)
def test_damaged_packed_weights_are_ignored_with_a_warning(
    small: Content, tmp_path: Path, part: str, field: str, damage: object
) -> None:
    cache = DerivedCache(tmp_path)
    first = build_readers(small, cache)
    path = tmp_path / f"readers-{first.digest}.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    key = "sparse" if part == "situation" else "weights"
    raw[part][key][field] = damage
    path.write_text(json.dumps(raw), encoding="utf-8")
    with capture_logs() as logs:
        assert cache.load(first.digest) is None
    assert (logs[0]["event"], logs[0]["reason"]) == ("derived_cache_ignored", "damaged")


def test_a_folder_that_is_a_file_still_starts(small: Content, tmp_path: Path) -> None:
    """A cache folder that cannot be written (a read-only image; here a file in its place,
    which even root cannot write into): the readers are built in memory."""
    blocked = tmp_path / "cache"
    blocked.write_text("not a folder", encoding="utf-8")
    with capture_logs() as logs:
        readers = build_readers(small, DerivedCache(blocked))
    assert readers.trained
    assert any(e["event"] == "derived_cache_not_written" for e in logs)


def test_a_warm_process_never_imports_the_training_libraries(tmp_path: Path) -> None:
    """With the cache filled, building the engine imports neither scikit-learn nor SciPy."""
    code = (
        "import sys\n"
        "from bot.derived import DerivedCache, build_engine\n"
        "from flows.loader import default_content_dir, load_content\n"
        "from pathlib import Path\n"
        f"cache = DerivedCache(Path({str(tmp_path)!r}))\n"
        "build_engine(load_content(default_content_dir()), cache)\n"
        "print('sklearn' in sys.modules, 'scipy' in sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    warm = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert warm.stdout.split() == ["False", "False"]


def _without_locator(content: Content) -> dict[str, object]:
    return {
        f.name: getattr(content, f.name) for f in dataclasses.fields(content) if f.name != "locator"
    }


def test_parsed_files_give_the_same_content(tmp_path: Path) -> None:
    """A load from the kept parsed files gives the content a load from the YAML gives,
    dates included, and parses nothing again."""
    plain, _ = read(default_content_dir())
    cache = DerivedCache(tmp_path)
    first, _ = read(default_content_dir(), cache=cache)
    assert (tmp_path / PARSED).is_file()
    kept = ParsedFiles(cache)
    warm, problems = read_content(default_content_dir(), parsed=kept)
    assert not [p for p in problems if p.severity == "error"]
    assert kept.used.keys() == kept.known.keys()  # every file found, none parsed anew
    assert plain is not None
    assert first is not None
    assert warm is not None
    assert _without_locator(warm) == _without_locator(plain) == _without_locator(first)
    assert warm.version == plain.version


def test_a_changed_file_is_parsed_again(tmp_path: Path) -> None:
    """Kept parsed files are found by the bytes of the file: an edit is never missed."""
    root = tmp_path / "content"
    shutil.copytree(default_content_dir(), root)
    cache = DerivedCache(tmp_path / "cache")
    read(root, cache=cache)
    texts = root / "texts" / "en.yaml"
    texts.write_text(texts.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    screens = root / "screens.yaml"
    screens.write_text(screens.read_text(encoding="utf-8") + "\nunknown_field: 1\n", "utf-8")
    content, problems = read(root, cache=cache)
    assert content is None
    assert any("screens.yaml" in str(p) for p in problems)


@pytest.mark.parametrize("damage", ["{not json", '{"format": 99, "files": {}}', "[1, 2]"])
def test_damaged_parsed_files_are_ignored(tmp_path: Path, damage: str) -> None:
    cache = DerivedCache(tmp_path)
    (tmp_path / PARSED).write_text(damage, encoding="utf-8")
    with capture_logs() as logs:
        content, _ = read(default_content_dir(), cache=cache)
    assert content is not None
    assert logs[0]["event"] == "derived_cache_ignored"
    assert ParsedFiles(cache).known  # written anew


def test_a_damaged_entry_is_parsed_again(tmp_path: Path) -> None:
    """An entry that is not what the file parsed into is never trusted blindly: JSON that
    does not decode is parsed again (and the content is validated as always)."""
    cache = DerivedCache(tmp_path)
    read(default_content_dir(), cache=cache)
    data = json.loads((tmp_path / PARSED).read_text(encoding="utf-8"))
    data["files"] = dict.fromkeys(data["files"], "{broken")
    (tmp_path / PARSED).write_text(json.dumps(data), encoding="utf-8")
    content, _ = read(default_content_dir(), cache=cache)
    plain, _ = read(default_content_dir())
    assert content is not None
    assert plain is not None
    assert _without_locator(content) == _without_locator(plain)


def test_a_read_only_cache_still_loads(tmp_path: Path) -> None:
    blocked = tmp_path / "cache"
    blocked.write_text("not a folder", encoding="utf-8")
    content, _ = read(default_content_dir(), cache=DerivedCache(blocked))
    assert content is not None


def _dutch_only(tmp_path: Path) -> Path:
    """A copy of the shipped content with only the Dutch examples: it trains in seconds."""
    root = tmp_path / "content"
    shutil.copytree(default_content_dir(), root)
    for folder in ("crisis-examples", "situation-examples"):
        for path in (root / "phrases" / folder).glob("*.yaml"):
            if path.stem != "nl":
                path.unlink()
    return root


def test_a_start_on_a_damaged_file_of_the_right_digest_trains_anew(tmp_path: Path) -> None:
    """A serving process lets the examples go before it reads the readers from the cache;
    when the file names this content but cannot be used after all, the folder is read
    again and the readers trained (and written back), as without that shortcut."""
    root = _dutch_only(tmp_path)
    cache = DerivedCache(tmp_path / "cache")
    assert ContentHolder(root, cache=cache).engine.readers.trained
    assert not ContentHolder(root, cache=cache).engine.readers.trained
    [file] = (tmp_path / "cache").glob("readers-*.json")
    data = json.loads(file.read_text("utf-8"))
    data["situation"]["labels"] = ["not", "these"]
    file.write_text(json.dumps(data), "utf-8")
    engine = ContentHolder(root, cache=cache).engine
    assert engine.readers.trained
    assert engine.content.crisis_examples == {}  # served without them all the same
    assert engine.crisis("ik wil dood").outcome == "sure"
    assert not ContentHolder(root, cache=cache).engine.readers.trained  # written anew


def test_a_sign_taught_only_by_examples_still_starts_warm(tmp_path: Path) -> None:
    """A serving process reads the readers from the cache with content that lost its
    examples; a sign that only examples teach (no pattern names it) must not make the
    cache look damaged: no training, no scikit-learn, as for any warm start."""
    root = _dutch_only(tmp_path)
    concepts = root / "phrases" / "situation-concepts.yaml"
    lines = concepts.read_text("utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.lstrip().startswith("- {means: sig_parties")]
    assert len(kept) < len(lines)
    concepts.write_text("".join(kept), "utf-8")
    cache = DerivedCache(tmp_path / "cache")
    assert ContentHolder(root, cache=cache).engine.readers.trained
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from bot.derived import DerivedCache\n"
        "from bot.serving import ContentHolder\n"
        f"cache = DerivedCache(Path({str(tmp_path / 'cache')!r}))\n"
        f"engine = ContentHolder(Path({str(root)!r}), cache=cache).engine\n"
        "print(engine.readers.trained, 'sklearn' in sys.modules,"
        " 'sig_parties' in engine.readers.situation.labels)\n"
    )
    warm = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert warm.stdout.split() == ["False", "False", "True"]


def test_the_situation_readers_training_settings_are_part_of_the_digest(
    small: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader cached with other training settings is never loaded: they are in the digest."""
    before = digest_of(small)
    monkeypatch.setattr(situation, "SITUATION_C", situation.SITUATION_C * 2)
    assert digest_of(small) != before
    monkeypatch.undo()
    monkeypatch.setattr(situation, "ORDERED_PAIRS", not situation.ORDERED_PAIRS)
    assert digest_of(small) != before
