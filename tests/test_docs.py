"""Every example in README.md and docs/*.md runs as written.

Design (the details are in tests/docs_runner.py, shared with
tools/docs-refresh.py):

- Each ```python block runs in a FRESH NAMESPACE of its own, so that every
  example works when pasted alone: it carries its own imports.  Its stdout
  is compared with the ```text block that follows it, when there is one.
- Where an example names a real cluster ("hv-cluster", or None for the
  local one), a TEST-ONLY fixture puts a fresh `clusupgrade.Simulator` of
  that name there, by replacing clusupgrade.target.resolve in every module
  that imported it; the package has no switch of its own for this.  Within
  one block, one name is one simulator, so a check and then a raise of
  "hv-cluster" see the same cluster.
- Each ```console transcript (a console block with a ``$ clusupgrade``
  line; other console blocks are only shown) runs its commands, each in a
  child interpreter of its own (with the same stand-in where a real cluster
  is named, fresh for each command), all of one block in one scratch
  directory holding the shipped estate files (so an estate's state carries
  from one command to the next, as it does for a user), and compares its
  stdout, timings masked (stderr is not part of a transcript, as in
  tests/test_cli_docs.py; a mismatch shows it); ``$ echo $?`` checks the
  exit code.
- Each ```powershell block is checked against the remedy table
  (clusupgrade.remedies.CMDLETS): only cmdlets in it, only their parameters.
- ``<!-- docs-test: skip (reason) -->`` before a block skips it; a reason
  is required, and this file fails on a marker without one.

A mismatch shows the whole actual output, ready to paste; to regenerate
every transcript and output block from the real program at once:
``python tools/docs-refresh.py``.

Linux stage only: under Wine the suite runs from an installed wheel, away
from the Markdown files, and the transcripts' stand-in needs the tests
package on the child's path.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from . import docs_runner
from .docs_runner import Block

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the docs examples are checked in the Linux stage")


def _ids(found: list[Block]) -> list[str]:
    return [b.where for b in found]


PYTHON = docs_runner.all_blocks("python")
CONSOLE = docs_runner.transcripts()
POWERSHELL = docs_runner.all_blocks("powershell")


def _skip_if_marked(block: Block) -> None:
    if block.skip is not None:
        pytest.skip(f"{block.where}: {block.skip}")


def _diff(where: str, expected: str, actual: str) -> str:
    return (
        f"{where}: the output differs from the docs (timings masked).\n"
        f"--- expected (docs) ---\n{expected}\n"
        f"--- actual (the program printed) ---\n{actual}\n"
        "--- regenerate with: python tools/docs-refresh.py ---"
    )


@pytest.fixture
def stand(monkeypatch: pytest.MonkeyPatch) -> docs_runner.Stand:
    """A simulator wherever a real cluster is named, for one example."""
    stand = docs_runner.Stand()
    docs_runner.install(stand, monkeypatch.setattr)
    return stand


def test_the_docs_have_examples_of_each_kind() -> None:
    assert PYTHON and CONSOLE and POWERSHELL


def test_every_skip_marker_gives_a_reason() -> None:
    found = [b for path in docs_runner.DOC_FILES if path.exists() for b in docs_runner.blocks(path)]
    unexplained = [b.where for b in found if b.skip == ""]
    assert not unexplained, f"<!-- docs-test: skip (reason) --> needs its reason: {unexplained}"


def test_the_stand_in_is_a_simulator_only_inside_the_fixture(stand: docs_runner.Stand) -> None:
    import clusupgrade
    from clusupgrade import target

    assert target.resolve("hv-cluster")[1] is stand.simulator("hv-cluster")
    assert isinstance(target.resolve(None)[1], clusupgrade.Simulator)
    with pytest.raises(ValueError):
        target.resolve("")  # the package's own validation still applies


def test_without_the_fixture_a_name_is_a_real_cluster() -> None:
    from clusupgrade import target

    assert target.resolve("hv-cluster") == ("hv-cluster", None)


@pytest.mark.parametrize("block", PYTHON, ids=_ids(PYTHON))
def test_python_example(block: Block, stand: docs_runner.Stand) -> None:
    _skip_if_marked(block)
    printed = docs_runner.run_python(block, stand)
    for sim in stand.clusters.values():
        assert sim.wait(30), f"{block.where}: a simulated call was still running at the end of the example"
    if block.output is not None:
        expected = docs_runner.mask(block.output.text)
        actual = docs_runner.mask(printed)
        assert actual == expected, _diff(block.where, block.output.text, printed.rstrip("\n"))


@pytest.mark.parametrize("block", CONSOLE, ids=_ids(CONSOLE))
def test_console_transcript(block: Block) -> None:
    _skip_if_marked(block)
    transcript = docs_runner.run_transcript(block)
    expected = "\n".join(f"{s.shown}\n{s.expected}" for s in transcript.steps)
    actual = transcript.actual_text()
    mismatched = [
        s.shown for s in transcript.steps
        if docs_runner.mask(s.actual, unordered=docs_runner.several_clusters(s.command))
        != docs_runner.mask(s.expected, unordered=docs_runner.several_clusters(s.command))
    ]
    stderr = "".join(f"\n--- stderr of {s.shown} ---\n{s.stderr.rstrip()}" for s in transcript.steps if s.stderr)
    assert not mismatched, _diff(block.where, expected, actual) + f"\nsteps that differ: {mismatched}{stderr}"


@pytest.mark.parametrize("block", POWERSHELL, ids=_ids(POWERSHELL))
def test_powershell_lines_use_the_remedy_table(block: Block) -> None:
    _skip_if_marked(block)
    problems = docs_runner.powershell_problems(block, docs_runner.remedy_table())
    assert not problems, "\n".join(problems)


def test_the_powershell_check_catches_a_wrong_parameter() -> None:
    block = Block(docs_runner.ROOT / "README.md", 1, "powershell",
                  "Start-Cluster -Cluster hv-cluster\nFrobnicate-Cluster\nStop-Cluster -Cluster hv-cluster", 2)
    table = {"Start-Cluster": frozenset({"Name"}), "Stop-Cluster": frozenset({"Cluster"})}
    problems = docs_runner.powershell_problems(block, table)
    assert len(problems) == 2
    assert "Start-Cluster has no parameter -Cluster" in problems[0]
    assert "Frobnicate-Cluster is not in" in problems[1]


def test_masking_ignores_timings_only() -> None:
    a = "  [   0.40 s] step 2 of 5: Validating upgrade\nDone in 1.60 s: raised"
    b = "  [  10.41 s] step 2 of 5: Validating upgrade\nDone in 2.03 s: raised"
    assert docs_runner.mask(a) == docs_runner.mask(b)
    assert docs_runner.mask("Done in 1.60 s: raised") != docs_runner.mask("Done in 1.60 s: failed")
    assert docs_runner.mask('{"duration": 0.000332, "x": 1}') == docs_runner.mask('{"duration": 1.5, "x": 1}')


def test_markdown_is_read_as_the_docs_test_promises(tmp_path: Path) -> None:
    text = (
        "<!-- docs-test: skip (needs a real cluster) -->\n"
        "```python\nprint(1)\n```\n\n```text\n1\n```\n"
        "1. item\n\n   ```powershell\n   Get-ClusterNode -Cluster x\n   ```\n"
    )
    md = tmp_path / "page.md"
    md.write_text(text, encoding="utf-8")
    found = docs_runner.blocks(md)
    assert [b.lang for b in found] == ["python", "text", "powershell"]
    assert found[0].skip == "needs a real cluster"
    assert found[0].output is found[1]
    assert found[2].text == "Get-ClusterNode -Cluster x" and found[2].indent == 3


def test_a_transcript_runs_only_clusupgrade_and_echo() -> None:
    ok = Block(docs_runner.ROOT / "README.md", 1, "console",
               "$ clusupgrade check \\\n    --cluster a\nout\n$ echo $?\n3", 6)
    steps = docs_runner.parse_transcript(ok).steps
    assert [s.command for s in steps] == [["check", "--cluster", "a"], ["echo", "$?"]]
    assert steps[0].expected == "out" and steps[1].expected == "3"
    bad = Block(docs_runner.ROOT / "README.md", 1, "console", "$ rm -rf /\n", 3)
    with pytest.raises(ValueError, match="only"):
        docs_runner.parse_transcript(bad)


def test_several_clusters_compare_unordered_one_cluster_in_order() -> None:
    a, b = "  hv-a  raised\n  hv-b  not ready", "  hv-b  not ready\n  hv-a  raised"
    assert docs_runner.mask(a, unordered=True) == docs_runner.mask(b, unordered=True)
    assert docs_runner.mask(a) != docs_runner.mask(b)
    assert docs_runner.several_clusters(["run", "--cluster", "a", "--cluster", "b"])
    assert not docs_runner.several_clusters(["run", "--cluster", "a"])


def test_an_estate_file_a_doc_names_is_one_it_copied_first() -> None:
    """A reader pastes the examples of one file in order, without the
    scratch directory of copies the transcripts run in: an estate file
    named by ``--simulate NAME.toml`` must be one that file copied before
    with copy_example('NAME', ...) (else ``example:NAME`` says it)."""
    import re

    missing = []
    for doc in [docs_runner.ROOT / "README.md", *sorted((docs_runner.ROOT / "docs").glob("*.md"))]:
        text = doc.read_text(encoding="utf-8")
        for found in re.finditer(r"--simulate (?:\.[\\/])?([\w-]+)\.toml\b", text):
            if f"copy_example('{found[1]}'" not in text[: found.start()]:
                line = text.count("\n", 0, found.start()) + 1
                missing.append(f"{doc.name}:{line}: {found[0]}")
    assert not missing, missing
