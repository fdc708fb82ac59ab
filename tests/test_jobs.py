"""The job store, each test run against SQLite and against a real redis-server (skipped when none is installed)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.cache.redis import connect
from app.jobs import Job, JobStatus, JobStore, RedisJobStore, SqliteJobStore, UnknownJob, open_job_store
from tests.cache import Clock, flush, redis_server

Opener = Callable[[], JobStore]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite", "redis"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    server: str = request.getfixturevalue("redis_url")
    flush(server)
    return server


@pytest.fixture
async def reopen(url: str, clock: Clock) -> AsyncIterator[Opener]:
    """Opens another store on the same backing data, as a restarted service would."""
    opened: list[JobStore] = []

    def opener() -> JobStore:
        opened.append(open_job_store(url, clock=clock))
        return opened[-1]

    yield opener
    for store in opened:
        await store.close()


@pytest.fixture
def store(reopen: Opener) -> JobStore:
    return reopen()


def verdict(v: str) -> dict[str, object]:
    return {"verdict": v, "discrepancies": []}


async def job(store: JobStore, job_id: str) -> Job:
    snapshot = await store.get(job_id)
    assert snapshot is not None
    return snapshot


async def test_backend_follows_the_url(store: JobStore, url: str) -> None:
    assert isinstance(store, SqliteJobStore if url.startswith("sqlite") else RedisJobStore)


async def test_new_job_is_queued_with_nothing_done(store: JobStore, clock: Clock) -> None:
    job_id = await store.create(3, ["a", "b", "c"])
    assert len(job_id) == 32
    assert int(job_id, 16) >> 76 & 0xF == 4  # uuid4
    assert await job(store, job_id) == Job(
        id=job_id,
        created=datetime.fromtimestamp(clock.now, UTC),
        total=3,
        done=0,
        status=JobStatus.QUEUED,
        counts={},
        results=[],
    )


async def test_items_come_back_as_given(store: JobStore) -> None:
    items = [{"title": "Über Zahlen", "year": 1921}, "raw citation text"]
    job_id = await store.create(2, items)
    assert await store.items(job_id) == items


async def test_results_added_out_of_order_are_listed_by_index_with_counts(store: JobStore) -> None:
    job_id = await store.create(4, [0, 1, 2, 3])
    await store.add_result(job_id, 2, verdict("verified"))
    await store.add_result(job_id, 0, verdict("not_found"))
    await store.add_result(job_id, 3, verdict("verified"))
    snapshot = await job(store, job_id)
    assert snapshot.done == 3
    assert [r.index for r in snapshot.results] == [0, 2, 3]
    assert (snapshot.results[0].index, snapshot.results[0].result) == (0, verdict("not_found"))
    assert snapshot.counts == {"not_found": 1, "verified": 2}


async def test_result_for_the_same_index_replaces_the_earlier_one(store: JobStore) -> None:
    job_id = await store.create(2, [0, 1])
    await store.add_result(job_id, 0, verdict("unverifiable"))
    await store.add_result(job_id, 0, verdict("verified"))
    snapshot = await job(store, job_id)
    assert (snapshot.done, snapshot.counts) == (1, {"verified": 1})


async def test_status_runs_on_the_first_result_and_is_done_on_the_last(store: JobStore) -> None:
    job_id = await store.create(2, [0, 1])
    await store.add_result(job_id, 1, verdict("verified"))
    assert (await job(store, job_id)).status == JobStatus.RUNNING
    await store.add_result(job_id, 0, verdict("verified"))
    assert (await job(store, job_id)).status == JobStatus.DONE


async def test_failed_job_stays_failed_when_results_arrive(store: JobStore) -> None:
    job_id = await store.create(1, [0])
    await store.set_status(job_id, JobStatus.FAILED, error="worker crashed")
    await store.add_result(job_id, 0, verdict("verified"))
    snapshot = await job(store, job_id)
    assert (snapshot.status, snapshot.error) == (JobStatus.FAILED, "worker crashed")


async def test_set_status_without_error_clears_the_old_one(store: JobStore) -> None:
    job_id = await store.create(1, [0])
    await store.set_status(job_id, JobStatus.FAILED, error="boom")
    await store.set_status(job_id, JobStatus.RUNNING)
    snapshot = await job(store, job_id)
    assert (snapshot.status, snapshot.error) == (JobStatus.RUNNING, None)


async def test_pending_lists_the_undecided_indexes(store: JobStore) -> None:
    job_id = await store.create(5, list(range(5)))
    await store.add_result(job_id, 3, verdict("verified"))
    await store.add_result(job_id, 0, verdict("verified"))
    assert await store.pending(job_id) == [1, 2, 4]


async def test_results_survive_a_restart(store: JobStore, reopen: Opener) -> None:
    job_id = await store.create(3, ["a", "b", "c"])
    await store.add_result(job_id, 1, verdict("verified"))
    await store.close()
    restarted = reopen()
    assert await restarted.unfinished() == [job_id]
    assert await restarted.items(job_id) == ["a", "b", "c"]
    assert await restarted.pending(job_id) == [0, 2]
    assert [(r.index, r.result) for r in (await job(restarted, job_id)).results] == [(1, verdict("verified"))]


async def test_unfinished_lists_queued_and_running_jobs_oldest_first(store: JobStore, clock: Clock) -> None:
    ids = []
    for _ in range(4):
        ids.append(await store.create(1, [0]))
        clock.now += 1
    await store.add_result(ids[0], 0, verdict("verified"))  # done
    await store.set_status(ids[1], JobStatus.FAILED, error="boom")
    await store.set_status(ids[3], JobStatus.RUNNING)
    assert await store.unfinished() == [ids[2], ids[3]]


async def test_unknown_job_is_none_to_read_and_an_error_to_change(store: JobStore) -> None:
    assert await store.get("0" * 32) is None
    assert await store.items("0" * 32) is None
    with pytest.raises(UnknownJob):
        await store.add_result("0" * 32, 0, verdict("verified"))
    with pytest.raises(UnknownJob):
        await store.set_status("0" * 32, JobStatus.RUNNING)
    with pytest.raises(UnknownJob):
        await store.pending("0" * 32)


@pytest.mark.parametrize("index", [-1, 2])
async def test_index_outside_the_job_is_rejected(store: JobStore, index: int) -> None:
    job_id = await store.create(2, [0, 1])
    with pytest.raises(ValueError, match=f"no index {index}"):
        await store.add_result(job_id, index, verdict("verified"))
    assert (await job(store, job_id)).done == 0


async def test_total_must_match_the_items(store: JobStore) -> None:
    with pytest.raises(ValueError, match="total is 3 but 2 items"):
        await store.create(3, [0, 1])


async def test_a_result_comes_back_as_the_json_text_it_was_stored_as(store: JobStore) -> None:
    job_id = await store.create(1, [0])
    await store.add_result(job_id, 0, {"verdict": "verified", "title": "Über Zahlen"})
    (result,) = (await job(store, job_id)).results
    assert result.text == '{"verdict":"verified","title":"Über Zahlen"}'


async def test_a_page_holds_the_decided_results_of_its_indexes_and_progress_counts_the_whole_job(
    store: JobStore,
) -> None:
    job_id = await store.create(6, list(range(6)))
    for index, v in [(0, "verified"), (2, "not_found"), (3, "verified"), (5, "miscited")]:
        await store.add_result(job_id, index, verdict(v))
    page = await store.get(job_id, offset=2, limit=3)
    assert page is not None
    assert [r.index for r in page.results] == [2, 3]  # 4 is undecided
    assert (page.done, page.counts) == (4, {"miscited": 1, "not_found": 1, "verified": 2})
    assert [r.index for r in (await job(store, job_id)).results] == [0, 2, 3, 5]  # no limit: to the end
    empty = await store.get(job_id, offset=0, limit=0)
    assert empty is not None
    assert (empty.results, empty.done) == ([], 4)


async def test_counts_follow_a_replaced_result(store: JobStore) -> None:
    job_id = await store.create(2, [0, 1])
    await store.add_result(job_id, 0, verdict("unverified"))
    await store.add_result(job_id, 1, verdict("unverified"))
    await store.add_result(job_id, 0, verdict("verified"))
    snapshot = await job(store, job_id)
    assert (snapshot.done, snapshot.counts, snapshot.status) == (2, {"unverified": 1, "verified": 1}, JobStatus.DONE)


# The SQLite layout before progress was counted in `jobs`.
_OLD_SCHEMA = """
CREATE TABLE jobs (
    id TEXT PRIMARY KEY, created REAL NOT NULL, total INTEGER NOT NULL, status TEXT NOT NULL, error TEXT,
    items TEXT NOT NULL
);
CREATE TABLE job_results (
    job_id TEXT NOT NULL REFERENCES jobs (id), idx INTEGER NOT NULL, result TEXT NOT NULL,
    PRIMARY KEY (job_id, idx)
) WITHOUT ROWID;
INSERT INTO jobs VALUES ('a', 1.0, 3, 'running', NULL, '[0, 1, 2]');
INSERT INTO job_results VALUES ('a', 0, '{"verdict":"verified"}'), ('a', 2, '{"verdict":"not_found"}');
"""


async def test_a_sqlite_file_from_before_counting_gets_its_progress_counted(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(_OLD_SCHEMA)
    store = SqliteJobStore(str(path))
    try:
        snapshot = await job(store, "a")
        assert (snapshot.done, snapshot.counts) == (2, {"not_found": 1, "verified": 1})
        await store.add_result("a", 1, verdict("verified"))
        snapshot = await job(store, "a")
        assert (snapshot.done, snapshot.counts, snapshot.status) == (3, {"not_found": 1, "verified": 2}, "done")
    finally:
        await store.close()


async def test_a_redis_job_from_before_counting_is_counted_when_read(redis_url: str) -> None:
    flush(redis_url)
    client = connect(redis_url)
    store = RedisJobStore(connect(redis_url))
    try:
        await client.hset("refverify:job:a", mapping={"created": "1.0", "total": 3, "status": "running", "items": "[]"})
        await client.hset("refverify:job:a:results", mapping={"0": '{"verdict":"verified"}', "2": '{"verdict":"x"}'})
        snapshot = await job(store, "a")
        assert (snapshot.done, snapshot.counts) == (2, {"verified": 1, "x": 1})
    finally:
        await client.aclose()
        await store.close()


async def test_results_added_together_are_stored_and_counted_like_results_added_one_by_one(store: JobStore) -> None:
    job_id = await store.create(3, [0, 1, 2])
    await store.add_result(job_id, 1, verdict("unverified"))
    await store.add_results(job_id, [(0, verdict("verified")), (1, verdict("verified")), (2, verdict("not_found"))])
    snapshot = await job(store, job_id)
    assert [(r.index, r.result) for r in snapshot.results] == [
        (0, verdict("verified")),
        (1, verdict("verified")),
        (2, verdict("not_found")),
    ]
    assert (snapshot.done, snapshot.counts, snapshot.status) == (3, {"not_found": 1, "verified": 2}, JobStatus.DONE)
