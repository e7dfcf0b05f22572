"""Where a run executes, read from the environment variables orchestrators and CIs set.

Pure Python: `environment_tags` maps an environment (``os.environ`` by default) to run
context tags through the one table `ENVIRONMENT_TAGS`, so the same table drives the
detection, its tests and the documentation (``docs/pipeline.md`` holds
`environment_tags_markdown` verbatim; a test compares them).

Only the variables of the table are read, and a value becomes a tag only when it is a tag the
run log accepts: stripped of surrounding blanks, not empty, at most
`MAX_ENVIRONMENT_TAG_LENGTH` characters, no control characters, valid Unicode (an
undecodable byte of a POSIX environment reaches Python as a lone surrogate). Anything else is
left out, never truncated: a cut commit SHA would name another commit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "ENVIRONMENT_TAGS",
    "environment_tags",
    "environment_tags_markdown",
    "EnvironmentTag",
    "MAX_ENVIRONMENT_TAG_LENGTH",
]

#: The longest value taken from an environment variable; longer values are left out.
MAX_ENVIRONMENT_TAG_LENGTH = 256


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvironmentTag:
    """One tag detected from the environment.

    Parameters
    ----------
    tag
        The key in the run's context tags.
    variables
        The environment variables read, in order: the first one set (to an acceptable value)
        gives the tag.
    platform
        Who sets the variables.
    note
        How they come to be set.
    """

    tag: str
    variables: tuple[str, ...]
    platform: str
    note: str


_DATABRICKS_REF = "set it in the task's environment from the dynamic value reference"

#: Every tag :func:`environment_tags` can return, in documentation order.
ENVIRONMENT_TAGS: tuple[EnvironmentTag, ...] = (
    EnvironmentTag(
        tag="databricks_runtime_version",
        variables=("DATABRICKS_RUNTIME_VERSION",),
        platform="Databricks",
        note="set by Databricks on every cluster",
    ),
    EnvironmentTag(
        tag="databricks_cluster_id",
        variables=("DB_CLUSTER_ID",),
        platform="Databricks",
        note="set by Databricks on every cluster",
    ),
    EnvironmentTag(
        tag="databricks_job_id",
        variables=("DATABRICKS_JOB_ID",),
        platform="Databricks",
        note=f"{_DATABRICKS_REF} `{{{{job.id}}}}`",
    ),
    EnvironmentTag(
        tag="databricks_job_run_id",
        variables=("DATABRICKS_JOB_RUN_ID", "DATABRICKS_RUN_ID"),
        platform="Databricks",
        note=f"{_DATABRICKS_REF} `{{{{job.run_id}}}}`",
    ),
    EnvironmentTag(
        tag="databricks_task_key",
        variables=("DATABRICKS_TASK_KEY",),
        platform="Databricks",
        note=f"{_DATABRICKS_REF} `{{{{task.name}}}}`",
    ),
    EnvironmentTag(
        tag="databricks_task_run_id",
        variables=("DATABRICKS_TASK_RUN_ID",),
        platform="Databricks",
        note=f"{_DATABRICKS_REF} `{{{{task.run_id}}}}`",
    ),
    EnvironmentTag(
        tag="airflow_dag_id",
        variables=("AIRFLOW_CTX_DAG_ID",),
        platform="Airflow",
        note="exported by Airflow to every task it runs",
    ),
    EnvironmentTag(
        tag="airflow_task_id",
        variables=("AIRFLOW_CTX_TASK_ID",),
        platform="Airflow",
        note="exported by Airflow to every task it runs",
    ),
    EnvironmentTag(
        tag="airflow_dag_run_id",
        variables=("AIRFLOW_CTX_DAG_RUN_ID",),
        platform="Airflow",
        note="exported by Airflow to every task it runs",
    ),
    EnvironmentTag(
        tag="airflow_try_number",
        variables=("AIRFLOW_CTX_TRY_NUMBER",),
        platform="Airflow",
        note="exported by Airflow to every task it runs",
    ),
    EnvironmentTag(
        tag="github_repository",
        variables=("GITHUB_REPOSITORY",),
        platform="GitHub Actions",
        note="set by GitHub Actions in every job",
    ),
    EnvironmentTag(
        tag="github_workflow",
        variables=("GITHUB_WORKFLOW",),
        platform="GitHub Actions",
        note="set by GitHub Actions in every job",
    ),
    EnvironmentTag(
        tag="github_run_id",
        variables=("GITHUB_RUN_ID",),
        platform="GitHub Actions",
        note="set by GitHub Actions in every job",
    ),
    EnvironmentTag(
        tag="github_run_attempt",
        variables=("GITHUB_RUN_ATTEMPT",),
        platform="GitHub Actions",
        note="set by GitHub Actions in every job",
    ),
    EnvironmentTag(
        tag="gitlab_project",
        variables=("CI_PROJECT_PATH",),
        platform="GitLab CI",
        note="set by GitLab CI in every job",
    ),
    EnvironmentTag(
        tag="gitlab_pipeline_id",
        variables=("CI_PIPELINE_ID",),
        platform="GitLab CI",
        note="set by GitLab CI in every job",
    ),
    EnvironmentTag(
        tag="gitlab_job_id",
        variables=("CI_JOB_ID",),
        platform="GitLab CI",
        note="set by GitLab CI in every job",
    ),
    EnvironmentTag(
        tag="git_commit",
        variables=("GITHUB_SHA", "CI_COMMIT_SHA", "GIT_COMMIT"),
        platform="GitHub Actions, GitLab CI, Jenkins",
        note="the commit the CI job runs",
    ),
    EnvironmentTag(
        tag="git_branch",
        variables=("GITHUB_REF_NAME", "CI_COMMIT_REF_NAME", "GIT_BRANCH"),
        platform="GitHub Actions, GitLab CI, Jenkins",
        note="the branch or tag the CI job runs",
    ),
)


def _accepted(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > MAX_ENVIRONMENT_TAG_LENGTH:
        return None
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text):
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: an undecodable byte of the environment
        return None
    return text


def environment_tags(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the run context tags the environment tells: orchestrator ids, CI commit ...

    Parameters
    ----------
    environ
        The environment to read; defaults to ``os.environ``. Only the variables of
        `ENVIRONMENT_TAGS` are read.

    Returns
    -------
    dict[str, str]
        One entry per tag of `ENVIRONMENT_TAGS` whose variables hold an acceptable
        value (see the module's docstring); empty outside any known orchestrator or CI.

    Examples
    --------
    >>> environment_tags({"AIRFLOW_CTX_DAG_ID": "orders", "GITHUB_SHA": " 4f2a9c1 ", "HOME": "/"})
    {'airflow_dag_id': 'orders', 'git_commit': '4f2a9c1'}
    >>> environment_tags({"DATABRICKS_RUN_ID": "77", "DATABRICKS_JOB_RUN_ID": ""})
    {'databricks_job_run_id': '77'}
    """
    source: Mapping[str, str] = os.environ if environ is None else environ
    tags: dict[str, str] = {}
    for entry in ENVIRONMENT_TAGS:
        for variable in entry.variables:
            value = _accepted(source.get(variable))
            if value is not None:
                tags[entry.tag] = value
                break
    return tags


def environment_tags_markdown() -> str:
    """Return `ENVIRONMENT_TAGS` as the Markdown table of ``docs/pipeline.md``.

    Examples
    --------
    >>> environment_tags_markdown().splitlines()[0]
    '| Tag | Environment variables (the first one set wins) | Platform | Set by |'
    """
    lines = [
        "| Tag | Environment variables (the first one set wins) | Platform | Set by |",
        "|---|---|---|---|",
    ]
    for entry in ENVIRONMENT_TAGS:
        variables = ", ".join(f"`{name}`" for name in entry.variables)
        lines.append(f"| `{entry.tag}` | {variables} | {entry.platform} | {entry.note} |")
    return "\n".join(lines)
