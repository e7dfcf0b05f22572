"""Environment tags: orchestrator and CI variables -> run context tags, pure Python."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sparkforge.models import ExecutionContext, PipelineReport, RunMode, RunStatus, utc_now
from sparkforge.pipeline import environment_tags
from sparkforge.pipeline.run_environment import (
    ENVIRONMENT_TAGS,
    MAX_ENVIRONMENT_TAG_LENGTH,
    environment_tags_markdown,
)
from sparkforge.writer.models import report_problems

KNOWN_VARIABLES = sorted({v for entry in ENVIRONMENT_TAGS for v in entry.variables})
KNOWN_TAGS = {entry.tag for entry in ENVIRONMENT_TAGS}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "pipeline.md"


def _report_with(tags: dict[str, str]) -> PipelineReport:
    now = utc_now()
    context = ExecutionContext(
        run_id="r", pipeline_name="p", mode=RunMode.INITIAL, started_at=now, tags=tags
    )
    return PipelineReport(
        run_id="r",
        pipeline_name="p",
        mode=RunMode.INITIAL,
        status=RunStatus.SUCCESS,
        started_at=now,
        ended_at=now,
        context=context,
    )


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        (
            {
                "DATABRICKS_RUNTIME_VERSION": "15.4",
                "DB_CLUSTER_ID": "0101-abc",
                "DATABRICKS_JOB_ID": "42",
                "DATABRICKS_JOB_RUN_ID": "9001",
                "DATABRICKS_TASK_KEY": "load_orders",
                "DATABRICKS_TASK_RUN_ID": "9002",
            },
            {
                "databricks_runtime_version": "15.4",
                "databricks_cluster_id": "0101-abc",
                "databricks_job_id": "42",
                "databricks_job_run_id": "9001",
                "databricks_task_key": "load_orders",
                "databricks_task_run_id": "9002",
            },
        ),
        (
            {
                "AIRFLOW_CTX_DAG_ID": "orders_daily",
                "AIRFLOW_CTX_TASK_ID": "load",
                "AIRFLOW_CTX_DAG_RUN_ID": "scheduled__2026-01-05T00:00:00+00:00",
                "AIRFLOW_CTX_TRY_NUMBER": "2",
                "AIRFLOW_CTX_DAG_OWNER": "data",
            },
            {
                "airflow_dag_id": "orders_daily",
                "airflow_task_id": "load",
                "airflow_dag_run_id": "scheduled__2026-01-05T00:00:00+00:00",
                "airflow_try_number": "2",
            },
        ),
        (
            {
                "GITHUB_ACTIONS": "true",
                "GITHUB_SHA": "4f2a9c1e0d",
                "GITHUB_RUN_ID": "123",
                "GITHUB_RUN_ATTEMPT": "1",
                "GITHUB_REPOSITORY": "acme/shop",
                "GITHUB_WORKFLOW": "nightly",
                "GITHUB_REF_NAME": "main",
            },
            {
                "git_commit": "4f2a9c1e0d",
                "git_branch": "main",
                "github_run_id": "123",
                "github_run_attempt": "1",
                "github_repository": "acme/shop",
                "github_workflow": "nightly",
            },
        ),
        (
            {
                "GITLAB_CI": "true",
                "CI_COMMIT_SHA": "abc123",
                "CI_COMMIT_REF_NAME": "release",
                "CI_PIPELINE_ID": "77",
                "CI_JOB_ID": "78",
                "CI_PROJECT_PATH": "acme/shop",
            },
            {
                "git_commit": "abc123",
                "git_branch": "release",
                "gitlab_pipeline_id": "77",
                "gitlab_job_id": "78",
                "gitlab_project": "acme/shop",
            },
        ),
        ({"HOME": "/root", "PATH": "/bin"}, {}),
        ({}, {}),
    ],
    ids=["databricks", "airflow", "github", "gitlab", "unrelated", "empty"],
)
def test_environment_tags_maps_each_platform(
    environ: dict[str, str], expected: dict[str, str]
) -> None:
    assert environment_tags(environ) == expected


def test_environment_tags_first_set_variable_wins() -> None:
    assert environment_tags({"DATABRICKS_RUN_ID": "2", "DATABRICKS_JOB_RUN_ID": "1"}) == {
        "databricks_job_run_id": "1"
    }
    # A blank first variable is not "set": the next one is taken.
    assert environment_tags({"GITHUB_SHA": "  ", "CI_COMMIT_SHA": "c0ffee"}) == {
        "git_commit": "c0ffee"
    }


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "x" * (MAX_ENVIRONMENT_TAG_LENGTH + 1),
        "bad\x00byte",
        "two\nlines",
        "undecodable \udcff byte",
    ],
    ids=["empty", "blank", "too-long", "nul", "newline", "lone-surrogate"],
)
def test_environment_tags_leaves_out_unacceptable_values(value: str) -> None:
    assert environment_tags({"AIRFLOW_CTX_DAG_ID": value}) == {}


def test_environment_tags_keeps_a_value_at_the_length_limit_stripped() -> None:
    value = "d" * MAX_ENVIRONMENT_TAG_LENGTH
    assert environment_tags({"AIRFLOW_CTX_DAG_ID": f"  {value}\t"}) == {"airflow_dag_id": value}


def test_environment_tags_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in KNOWN_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AIRFLOW_CTX_TASK_ID", "from_os")
    assert environment_tags() == {"airflow_task_id": "from_os"}


_env_maps = st.dictionaries(
    st.one_of(st.sampled_from(KNOWN_VARIABLES), st.text(max_size=20)),
    st.text(max_size=MAX_ENVIRONMENT_TAG_LENGTH + 20),
    max_size=30,
)


@given(_env_maps)
def test_environment_tags_any_environment_gives_only_valid_known_tags(
    environ: dict[str, str],
) -> None:
    tags = environment_tags(environ)
    assert set(tags) <= KNOWN_TAGS
    for entry in ENVIRONMENT_TAGS:
        if entry.tag in tags:
            value = tags[entry.tag]
            assert 0 < len(value) <= MAX_ENVIRONMENT_TAG_LENGTH
            assert value == value.strip()
            # The value is one of the entry's variables, stripped.
            assert value in {environ[v].strip() for v in entry.variables if v in environ}
    # The run log accepts every detected tag.
    assert report_problems(_report_with(tags)) == []


def test_environment_tags_table_is_in_the_docs() -> None:
    table = environment_tags_markdown()
    assert table in DOCS.read_text(encoding="utf-8")
    rows = table.splitlines()[2:]
    assert [re.match(r"\| `([a-z_]+)`", row).group(1) for row in rows] == [  # type: ignore[union-attr]
        entry.tag for entry in ENVIRONMENT_TAGS
    ]


def test_environment_tags_table_has_unique_tags_and_variables() -> None:
    tags = [entry.tag for entry in ENVIRONMENT_TAGS]
    assert len(tags) == len(set(tags))
    variables = [v for entry in ENVIRONMENT_TAGS for v in entry.variables]
    assert len(variables) == len(set(variables))
