"""``gitnews export`` end to end, on archives made by real runs against the loopback replay
server (tests/data/scenarios: the BBC 2009 story that loses two paragraphs, the Guardian
seed story with one word corrected), opened with sqlite-utils, Datasette's Python API
and pyarrow."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import DATA, init_test_archive, run_gitnews, start_replay

from gitnews.versions.diff import count_words

BBC_FEED = "http://newsrss.bbc.co.uk/rss/newsonline_uk_edition/uk_politics/rss.xml"
BBC_PATH = "news.bbc.co.uk/1/hi/uk_politics/7984711.txt"
BBC_OTHER = "news.bbc.co.uk/1/hi/england/bradford/6072486.txt"
SEED_FEED = "http://www.theguardian.com/society/rss"
SEED_PATH = ("theguardian.com/society/2016/sep/29/"
             "gaps-remain-in-tackling-child-sexual-exploitation-ofsted.txt")


def _build(folder: Path, scenario: str, feed: str, steps: int) -> Path:
    server = start_replay(DATA / "scenarios" / scenario, folder)
    try:
        env = server.env()
        archive = init_test_archive(folder / "archive")
        run_gitnews("add", "--archive", str(archive), feed, env=env, check=True)
        for step in range(steps):
            server.step(step)
            run_gitnews("run", "--all", "--archive", str(archive), env=env, check=True)
    finally:
        server.stop()
    return archive


@pytest.fixture(scope="module")
def bbc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bbc-2009 archive: 7984711 in two versions (two paragraphs removed), 6072486 in one."""
    return _build(tmp_path_factory.mktemp("bbc"), "bbc-2009", BBC_FEED, 2)


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed-guardian archive: one article, version 2 corrects one word."""
    return _build(tmp_path_factory.mktemp("seed"), "seed-guardian", SEED_FEED, 2)


def export(archive: Path, *args: str) -> subprocess.CompletedProcess:
    return run_gitnews("export", "--archive", str(archive), *args)


def test_jsonl_one_version_per_line_same_bytes_twice(bbc: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    done = export(bbc, "jsonl", str(first))
    assert done.returncode == 0, done.stderr
    assert "Exported 3 versions of 2 articles (1 changes" in done.stdout
    assert export(bbc, "jsonl", str(second)).returncode == 0
    assert first.read_bytes() == second.read_bytes()
    rows = [json.loads(line) for line in first.read_text(encoding="utf-8").splitlines()]
    assert [(r["article"], r["number"]) for r in rows] == [
        (BBC_OTHER, 1), (BBC_PATH, 1), (BBC_PATH, 2)]
    story = rows[1]
    assert story["url"] == "http://news.bbc.co.uk/1/hi/uk_politics/7984711.stm"
    assert story["trailers"]["Article-Url"] == story["url"]
    assert story["trailers"]["Version"] == "1"
    assert story["time"].endswith("Z") and story["time"] == story["trailers"]["Fetched-At"]
    text = subprocess.run(["git", "-C", str(bbc), "show", f"{story['commit']}:{BBC_PATH}"],
                          capture_output=True, text=True, check=True).stdout
    assert story["text"] == text
    assert story["headline"] == text.split("\n", 1)[0]
    assert "£" in story["text"]
    assert rows[2]["change_kind"] == "body"


def test_csv_folder_without_text_and_changes(bbc: Path, tmp_path: Path) -> None:
    out = tmp_path / "csv"
    assert export(bbc, "csv", str(out)).returncode == 0, "csv export failed"
    again = tmp_path / "csv2"
    assert export(bbc, "csv", str(again)).returncode == 0
    for name in ("versions.csv", "changes.csv", "sentence_edits.csv"):
        assert (out / name).read_bytes() == (again / name).read_bytes(), name
    with (out / "versions.csv").open(encoding="utf-8", newline="") as f:
        versions = list(csv.DictReader(f))
    assert len(versions) == 3 and "text" not in versions[0]
    assert json.loads(versions[2]["trailers"])["Version"] == "2"
    with (out / "changes.csv").open(encoding="utf-8", newline="") as f:
        changes = list(csv.DictReader(f))
    assert len(changes) == 1
    change = changes[0]
    assert (change["article"], change["number"], change["previous_number"]) == (BBC_PATH, "2", "1")
    assert change["sentences_deleted"] == "2" and change["sentences_added"] == "0"
    expected = json.loads((DATA / "scenarios" / "bbc-2009" / "expected.json").read_text())
    removed = sum(count_words(p) for p in expected["removed_paragraphs_in_step1"])
    assert (int(change["words_removed"]), change["words_added"]) == (removed, "0")
    assert change["kind"] == "body"


def test_sentence_edits_of_the_bbc_pair_are_the_removed_paragraphs(bbc: Path,
                                                                 tmp_path: Path) -> None:
    """The two paragraphs version 2 lost are deletions, sentence by sentence; nothing else."""
    from gitnews.output.export.sentences import split_paragraph

    out = tmp_path / "csv"
    assert export(bbc, "csv", str(out)).returncode == 0
    with (out / "sentence_edits.csv").open(encoding="utf-8", newline="") as f:
        edits = list(csv.DictReader(f))
    expected = json.loads((DATA / "scenarios" / "bbc-2009" / "expected.json").read_text())
    removed = [s for p in expected["removed_paragraphs_in_step1"] for s in split_paragraph(p)]
    assert removed and {e["action"] for e in edits} == {"deletion"}
    assert [e["old_sentence"] for e in edits] == removed
    assert all(e["new_index"] == "" and e["new_sentence"] == "" for e in edits)
    indexes = [int(e["old_index"]) for e in edits]
    assert indexes == sorted(indexes)


def test_sqlite_with_sqlite_utils(bbc: Path, seed: Path, tmp_path: Path) -> None:
    import sqlite_utils

    out = tmp_path / "seed.db"
    assert export(seed, "sqlite", str(out)).returncode == 0
    db = sqlite_utils.Database(out)
    assert {"articles", "versions", "changes", "sentence_edits"} <= set(db.table_names())
    fks = {(fk.table, fk.column, fk.other_table, fk.other_column)
           for name in ("versions", "changes", "sentence_edits")
           for fk in db[name].foreign_keys}  # type: ignore[union-attr]
    assert ("versions", "article", "articles", "path") in fks
    assert ("changes", "version_id", "versions", "id") in fks
    assert ("changes", "previous_id", "versions", "id") in fks
    assert ("sentence_edits", "change_id", "changes", "id") in fks
    assert db["versions"].detect_fts() == "versions_fts"  # type: ignore[union-attr]
    # The one corrected word: "operundi" became "operandi"; FTS finds each version.
    old = list(db["versions"].search("operundi", columns=["number"]))  # type: ignore[union-attr]
    new = list(db["versions"].search("operandi", columns=["number"]))  # type: ignore[union-attr]
    assert (old, new) == ([{"number": 1}], [{"number": 2}])
    edits = list(db["sentence_edits"].rows)
    assert [e["action"] for e in edits] == ["edit"]
    assert "operundi" in edits[0]["old_sentence"] and "operandi" in edits[0]["new_sentence"]
    assert edits[0]["old_index"] == edits[0]["new_index"] and edits[0]["ratio"] > 0.9
    change = next(iter(db["changes"].rows))
    assert (change["words_added"], change["words_removed"], change["sentences_edited"]) == (1, 1, 1)
    article = next(iter(db["articles"].rows))
    assert (article["path"], article["versions"], article["changes"]) == (SEED_PATH, 2, 1)
    # Same archive, same rows.
    again = tmp_path / "again.db"
    assert export(seed, "sqlite", str(again)).returncode == 0
    db2 = sqlite_utils.Database(again)
    for name in ("articles", "versions", "changes", "sentence_edits"):
        assert list(db[name].rows) == list(db2[name].rows), name


def test_sqlite_in_datasette(bbc: Path, tmp_path: Path) -> None:
    from datasette.app import Datasette

    out = tmp_path / "bbc.db"
    assert export(bbc, "sqlite", str(out)).returncode == 0

    async def ask() -> tuple[dict, dict, list]:
        ds = Datasette([str(out)])
        search = await ds.client.get(
            "/bbc/versions.json?_search=admiralty&_shape=objects&_col=article&_col=number")
        table = await ds.client.get("/bbc/sentence_edits.json?_shape=objects&action=deletion")
        result = await ds.execute(
            "bbc", "select c.number, count(*) from changes c join sentence_edits e "
                   "on e.change_id = c.id group by c.id")
        return search.json(), table.json(), [tuple(r) for r in result.rows]

    search, table, rows = asyncio.run(ask())
    # "Admiralty" was in a paragraph version 2 removed: only version 1 has it.
    assert [(r["article"], r["number"]) for r in search["rows"]] == [(BBC_PATH, 1)]
    assert table["rows"] and all(r["action"] == "deletion" for r in table["rows"])
    assert rows == [(2, len(table["rows"]))]


def test_parquet_read_back(seed: Path, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "pq"
    done = export(seed, "parquet", str(out))
    assert done.returncode == 0, done.stderr
    versions = pq.read_table(out / "versions.parquet").to_pylist()
    assert [v["number"] for v in versions] == [1, 2]
    assert dict(versions[0]["trailers"])["Version"] == "1"
    assert "operundi" in versions[0]["text"]
    edits = pq.read_table(out / "sentence_edits.parquet").to_pylist()
    assert [e["action"] for e in edits] == ["edit"]


def test_selection_article_host_and_time(bbc: Path, tmp_path: Path) -> None:
    out = tmp_path / "one.jsonl"
    done = export(bbc, "jsonl", str(out), "http://news.bbc.co.uk/1/hi/uk_politics/7984711.stm")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["article"], r["number"]) for r in rows] == [(BBC_PATH, 1), (BBC_PATH, 2)]
    out = tmp_path / "host.jsonl"
    assert export(bbc, "jsonl", str(out), "--host", "theguardian.com").returncode == 0
    assert out.read_text(encoding="utf-8") == ""
    assert export(bbc, "jsonl", str(tmp_path / "h2.jsonl"), "--host", "bbc.co.uk").returncode == 0
    assert len((tmp_path / "h2.jsonl").read_text(encoding="utf-8").splitlines()) == 3
    # --since after the last version: nothing; --until before the first: nothing.
    late = tmp_path / "late.jsonl"
    assert export(bbc, "jsonl", str(late), "--since", "2100-01-01").returncode == 0
    assert late.read_text(encoding="utf-8") == ""
    # Only version 2 in range: its change is exported with it (version 1 is read for it).
    v2 = [r for r in rows if r["number"] == 2][0]
    out = tmp_path / "v2"
    assert export(bbc, "csv", str(out), BBC_PATH, "--since", v2["time"]).returncode == 0
    with (out / "changes.csv").open(encoding="utf-8", newline="") as f:
        changes = list(csv.DictReader(f))
    assert [(c["number"], c["sentences_deleted"]) for c in changes] == [("2", "2")]
    assert changes[0]["previous_id"] == ""  # version 1 is read for the change, not exported


def test_refusals(bbc: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.jsonl"
    out.write_text("keep me\n")
    done = export(bbc, "jsonl", str(out))
    assert done.returncode == 2 and "already exists" in done.stderr and "--force" in done.stderr
    assert "Traceback" not in done.stderr and out.read_text() == "keep me\n"
    assert export(bbc, "jsonl", str(out), "--force").returncode == 0
    assert out.read_text(encoding="utf-8").count("\n") == 3
    missing = tmp_path / "no" / "such" / "x.db"
    done = export(bbc, "sqlite", str(missing))
    assert done.returncode == 2 and "does not exist" in done.stderr
    assert not (tmp_path / "no").exists()
    done = export(bbc, "xml", str(tmp_path / "x.xml"))
    assert done.returncode == 2 and "unknown export format 'xml'" in done.stderr
    assert "jsonl, csv, sqlite, parquet" in done.stderr
    folder = tmp_path / "folder"
    folder.mkdir()
    done = export(bbc, "sqlite", str(folder), "--force")
    assert done.returncode == 2 and "is a folder" in done.stderr
    done = export(bbc, "jsonl", str(tmp_path / "y.jsonl"), "no such article anywhere")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "y.jsonl").exists()
    # Nothing left behind by the refusals and the failure (no temporary files).
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "x.jsonl"]


def test_parquet_without_pyarrow_names_the_extra(bbc: Path, tmp_path: Path) -> None:
    """A Python where pyarrow cannot be imported (a module that fails on import
    earlier on the path) gets the extra's name, exit 2."""
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "pyarrow.py").write_text("raise ImportError('no pyarrow here')\n")
    import os

    env = dict(os.environ, PYTHONPATH=str(fake) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = run_gitnews("export", "--archive", str(bbc), "parquet", str(tmp_path / "pq"),
                       env=env)
    assert done.returncode == 2, done.stderr
    assert "gitnews[parquet]" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "pq").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["fake"]


def test_exports_follow_the_umask_like_any_new_file(bbc: Path, tmp_path: Path) -> None:
    """The temporary file or folder an export is written in is private to its owner
    (mkstemp, mkdtemp); the export itself gets what the umask gives a new file."""
    import stat

    old = os.umask(0o022)
    try:
        for fmt, name in (("jsonl", "v.jsonl"), ("csv", "csv"), ("warc", "c.warc.gz")):
            done = export(bbc, fmt, str(tmp_path / name))
            assert done.returncode in (0, 1), done.stderr  # warc: 1 when versions lack captures
            mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
            assert mode == (0o755 if fmt == "csv" else 0o644), (fmt, oct(mode))
        inner = stat.S_IMODE((tmp_path / "csv" / "versions.csv").stat().st_mode)
        assert inner == 0o644
        os.umask(0o077)
        export(bbc, "jsonl", str(tmp_path / "private.jsonl"))
        assert stat.S_IMODE((tmp_path / "private.jsonl").stat().st_mode) == 0o600
    finally:
        os.umask(old)
