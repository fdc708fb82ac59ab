"""`refverify check`: table, JSON and NDJSON output on stdout, progress on stderr, errors as exit status 2."""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx
import pytest

from app.cli import Progress, check, main
from app.models import Result, Verdict
from app.settings import Settings

REFS = ["10.1000/a", "10.1000/b", "10.1000/c"]


def offline(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("network unreachable", request=request)


OFFLINE = httpx.MockTransport(offline)


@pytest.fixture
def refs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A request-body file of three DOIs; the environment the CLI reads turns throttling off (no waiting)."""
    monkeypatch.setenv("REFVERIFY_THROTTLE", "false")
    path = tmp_path / "refs.json"
    path.write_text(json.dumps({"references": REFS}), encoding="utf-8")
    return path


def result(index: int) -> Result:
    return Result(index=index, input="x", reference={}, verdict=Verdict.UNVERIFIED, confidence=0.5, explanation="")


async def test_check_returns_results_in_input_order_and_reports_each_as_decided(refs: Path, settings: Settings) -> None:
    seen: list[int] = []
    results = await check(refs, settings, on_result=lambda r: seen.append(r.index), transport=OFFLINE)
    assert [r.index for r in results] == [0, 1, 2]
    assert sorted(seen) == [0, 1, 2]
    assert all(r.verdict is Verdict.UNVERIFIED for r in results)


def test_ndjson_prints_one_result_per_line_then_the_summary(refs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(refs), "--format", "ndjson", "--quiet"], transport=OFFLINE) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(line["index"] for line in lines[:-1]) == [0, 1, 2]
    assert lines[-1] == {"summary": {"total": 3, "verified": 0, "miscited": 0, "not_found": 0, "unverified": 3}}


def test_json_output_is_the_api_response(refs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(refs), "--json"], transport=OFFLINE) == 0
    body = json.loads(capsys.readouterr().out)
    assert [r["index"] for r in body["results"]] == [0, 1, 2]
    assert body["summary"]["unverified"] == 3


def test_the_table_ends_with_the_summary(refs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(refs)], transport=OFFLINE) == 0
    assert capsys.readouterr().out.rstrip().endswith("3 references: 0 verified, 0 miscited, 0 not found, 3 unverified")


def test_progress_goes_to_stderr_and_never_to_stdout(refs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", str(refs), "--json"], transport=OFFLINE)
    captured = capsys.readouterr()
    assert "verified 3/3 (100%)" in captured.err
    json.loads(captured.out)


def test_quiet_shows_no_progress(refs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", str(refs), "--quiet"], transport=OFFLINE)
    assert capsys.readouterr().err == ""


def test_an_unreadable_file_exits_with_status_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "missing.bib")], transport=OFFLINE) == 2
    assert capsys.readouterr().err.startswith("refverify: ")


def test_without_a_terminal_progress_is_one_line_per_tenth() -> None:
    out = io.StringIO()
    progress = Progress(20, out, tty=False)
    for i in range(20):
        progress(result(i))
    lines = out.getvalue().splitlines()
    assert lines[0] == "verified 2/20 (10%)"
    assert lines[-1] == "verified 20/20 (100%)"
    assert len(lines) == 10


def test_small_batches_report_each_tenth_they_cross_once() -> None:
    out = io.StringIO()
    progress = Progress(3, out, tty=False)
    for i in range(3):
        progress(result(i))
    assert out.getvalue().splitlines() == ["verified 1/3 (30%)", "verified 2/3 (60%)", "verified 3/3 (100%)"]


def test_on_a_terminal_the_bar_is_redrawn_in_place_and_ends_the_line() -> None:
    out = io.StringIO()
    progress = Progress(4, out, tty=True)
    progress(result(0))
    assert out.getvalue() == "\r[#######.......................] 1/4"
    for i in range(1, 4):
        progress(result(i))
    assert out.getvalue().endswith("\r[##############################] 4/4\n")
