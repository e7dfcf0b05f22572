"""Unit tests of the writer's commit engine: transaction ids, markers, outcomes, batches."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone

from hypothesis import given
from hypothesis import strategies as st

from sparkforge.table_operations import Commit
from sparkforge.writer._commit import (
    Found,
    Outcome,
    PreparedRun,
    Progress,
    classify,
    marker_for,
    plan_batches,
    transaction_for,
)

_AT = datetime(2026, 1, 1, tzinfo=timezone.utc)
_ids = st.text(st.characters(codec="utf-8", min_codepoint=32), min_size=1, max_size=12)
_nonces = st.text("0123456789abcdef", min_size=1, max_size=8)
_batches_and_orders = st.lists(_ids, min_size=2, max_size=8, unique=True).flatmap(
    lambda ids: st.tuples(st.just(ids), st.permutations(ids))
)


def _commit(version: int, user_metadata: str | None, rows: int | None = 3) -> Commit:
    return Commit(
        version=version,
        operation="WRITE",
        num_output_rows=rows,
        user_metadata=user_metadata,
        timestamp=_AT,
    )


# --------------------------------------------------------------------------- transaction_for


def test_transaction_for_one_run_names_the_run() -> None:
    app_id = transaction_for(["2f1c-run"]).app_id
    assert "2f1c-run" in app_id
    assert transaction_for(["other-run"]).app_id != app_id


@given(_batches_and_orders)
def test_transaction_for_a_batch_ignores_run_order(batch: tuple[list[str], list[str]]) -> None:
    run_ids, shuffled = batch
    assert transaction_for(shuffled).app_id == transaction_for(run_ids).app_id
    assert all(transaction_for([r]).app_id != transaction_for(run_ids).app_id for r in run_ids)


@given(
    st.lists(_ids, min_size=2, max_size=6, unique=True),
    st.lists(_ids, min_size=2, max_size=6, unique=True),
)
def test_transaction_for_another_batch_differs(first: list[str], second: list[str]) -> None:
    same = set(first) == set(second)
    assert (transaction_for(first).app_id == transaction_for(second).app_id) == same


@given(st.lists(_ids, min_size=1, max_size=6, unique=True), st.integers(0, 5))
def test_transaction_for_an_overwrite_is_not_an_append_of_the_same_runs(
    run_ids: list[str], index: int
) -> None:
    overwrite = transaction_for(run_ids[:1], overwrite_of=run_ids, index=index)
    assert overwrite.app_id != transaction_for(run_ids[:1]).app_id
    assert overwrite.app_id != transaction_for(run_ids).app_id
    assert overwrite != transaction_for(run_ids[:1], overwrite_of=run_ids, index=index + 1)


def test_transaction_for_overwrites_of_different_calls_differ() -> None:
    # The first batch of overwrite([A, B]) must not be skipped because overwrite([A]) ran.
    first = transaction_for(["A"], overwrite_of=["A"], index=0)
    second = transaction_for(["A"], overwrite_of=["A", "B"], index=0)
    assert first != second


# --------------------------------------------------------------------------- classify


def test_classify_finds_its_own_marker_as_written() -> None:
    marker = marker_for(transaction_for(["r1"]), "n1")
    found = classify([_commit(7, "other"), _commit(6, marker, rows=12)], marker)
    assert found == Found(Outcome.WRITTEN, 6, 12)


def test_classify_an_unknown_row_count_stays_unknown() -> None:
    marker = marker_for(None, "n1")
    found = classify([_commit(2, marker, rows=None)], marker)
    assert found == Found(Outcome.WRITTEN, 2, None)


def test_classify_another_attempt_of_the_transaction_is_skipped() -> None:
    txn = transaction_for(["r1"])
    earlier = marker_for(txn, "first-attempt")
    found = classify([_commit(9, "x"), _commit(4, earlier)], marker_for(txn, "retry"))
    assert found == Found(Outcome.SKIPPED, 4, None)


def test_classify_without_transaction_is_never_skipped() -> None:
    # deduplication="none": Delta never skips, so another attempt's marker proves nothing.
    earlier = marker_for(None, "first-attempt")
    assert classify([_commit(4, earlier)], marker_for(None, "retry")) is None


def test_classify_a_missing_marker_is_not_skipped() -> None:
    txn = transaction_for(["r1"])
    commits = [_commit(5, marker_for(transaction_for(["r2"]), "n")), _commit(4, None)]
    assert classify(commits, marker_for(txn, "n1")) is None


@given(st.lists(_ids, min_size=1, max_size=4, unique=True), _nonces, _nonces)
def test_classify_tells_a_transaction_only_by_its_own_id(
    run_ids: list[str], nonce: str, other_nonce: str
) -> None:
    txn = transaction_for(run_ids)
    others = [transaction_for([f"{r}-other"]) for r in run_ids]
    commits = [_commit(i, marker_for(t, other_nonce)) for i, t in enumerate(others)]
    assert classify(commits, marker_for(txn, nonce)) is None


# --------------------------------------------------------------------------- Progress


def test_progress_keeps_the_three_outcomes_apart() -> None:
    progress = Progress(run_ids=("a", "b", "c"))
    progress.record(["a"], Found(Outcome.WRITTEN, 3, 10))
    progress.record(["b"], Found(Outcome.SKIPPED, 1, None))
    progress.record(["c"], Found(Outcome.UNCONFIRMED))
    result = progress.result(0.5)
    assert result.written_run_ids == ("a",)
    assert result.skipped_run_ids == ("b",)
    assert result.unconfirmed_run_ids == ("c",)
    assert result.table_versions == (3,)
    assert result.rows_written == 10


def test_progress_an_unknown_row_count_stays_unknown_not_zero() -> None:
    progress = Progress(run_ids=("a", "b"))
    progress.record(["a"], Found(Outcome.WRITTEN, 3, 10))
    progress.record(["b"], Found(Outcome.WRITTEN, 4, None))
    result = progress.result(0.1)
    assert result.commit_rows_written == (10, None)
    assert result.rows_unknown_commits == 1
    assert result.rows_written == 10


# --------------------------------------------------------------------------- plan_batches


def _runs(sizes: list[int]) -> list[PreparedRun]:
    # Rows are opaque to the batching: placeholders are enough.
    return [PreparedRun(f"run-{i}", [object()] * size) for i, size in enumerate(sizes)]  # type: ignore[list-item]


def test_plan_batches_example() -> None:
    batches = plan_batches(_runs([2, 2, 1, 5, 1]), 4)
    assert [[run.run_id for run in batch] for batch in batches] == [
        ["run-0", "run-1"],
        ["run-2"],
        ["run-3"],
        ["run-4"],
    ]


def test_plan_batches_of_nothing_is_nothing() -> None:
    assert plan_batches([], 3) == []


@given(st.lists(st.integers(1, 12), max_size=25), st.integers(1, 10))
def test_plan_batches_keep_runs_whole_in_order_within_the_size(
    sizes: list[int], batch_size: int
) -> None:
    runs = _runs(sizes)
    batches = plan_batches(runs, batch_size)
    assert [run for batch in batches for run in batch] == runs
    for batch in batches:
        rows = sum(len(run.rows) for run in batch)
        assert batch, "empty batch"
        assert rows <= batch_size or len(batch) == 1
    for batch, following in itertools.pairwise(batches):
        rows = sum(len(run.rows) for run in batch)
        assert rows + len(following[0].rows) > batch_size


# --------------------------------------------------------------------------- the error


def test_unconfirmed_error_carries_its_runs_through_pickling() -> None:
    import pickle

    from sparkforge.writer import WriterCommitUnconfirmedError, WriterTableError

    error = WriterCommitUnconfirmedError(("a", "b"), table="ops.log", reason="history unreadable")
    copy = pickle.loads(pickle.dumps(error))

    assert isinstance(copy, WriterTableError)
    assert isinstance(copy, WriterCommitUnconfirmedError)
    assert copy.run_ids == ("a", "b")
    assert copy.code == "WRITER_COMMIT_UNCONFIRMED"
    assert str(copy) == str(error)
    assert "a, b" in str(error)
    assert "deduplication='transaction'" in str(error)
