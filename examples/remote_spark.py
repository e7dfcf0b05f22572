"""Start Spark away from the Python process: a Spark Connect server, a standalone cluster.

The sparkforge library never builds a session or a server: applications do. This module is
that application-side code for the two remote shapes the library is tested on, used by the
tests (``tests/remote_support.py``) and runnable by hand::

    .venv/bin/python -m examples.remote_spark connect      # serve until Ctrl-C, print the URL
    .venv/bin/python -m examples.remote_spark standalone   # a master and one worker

Both use the JVM launchers of the pip-installed pyspark (``spark-submit``, ``spark-class``
beside the venv's Python); the Delta JARs come from ``$SPARKFORGE_DELTA_JARS`` (see
``scripts/fetch_delta_jars.sh``). Everything binds to 127.0.0.1 and logs to files in the
given work directory. Each process is started in its own process group and stopped through
it, so the JVMs a launcher starts go with it.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from examples.local_spark import DELTA_JARS_ENV

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from pyspark.sql import SparkSession

__all__ = [
    "cluster_session_conf",
    "ConnectServer",
    "DELTA_CONF",
    "delta_jars",
    "free_port",
    "remote_session",
    "SMALL_MACHINE_CONF",
    "start_connect_server",
    "start_standalone_cluster",
    "StandaloneCluster",
]

#: The Spark settings Delta Lake needs in any session (the server's, a cluster driver's).
DELTA_CONF: dict[str, str] = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
}
#: Settings for a small machine: few shuffle partitions, and few listing tasks. VACUUM lists
#: the table's files in ``spark.sql.sources.parallelPartitionDiscovery.parallelism`` tasks
#: (10000 by default), which on two cores costs minutes whatever the table's size.
SMALL_MACHINE_CONF: dict[str, str] = {
    "spark.sql.shuffle.partitions": "2",
    "spark.sql.sources.parallelPartitionDiscovery.parallelism": "2",
    "spark.databricks.delta.snapshotPartitions": "2",
}
#: The class of the Spark Connect server (its JAR ships in the pyspark wheel).
CONNECT_SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
HOST = "127.0.0.1"


class RemoteSparkError(RuntimeError):
    """A server or cluster did not start; the message holds the end of its log."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def delta_jars() -> list[str]:
    """Return the Delta JARs of ``$SPARKFORGE_DELTA_JARS`` (delta-spark and delta-storage).

    Raises
    ------
    RemoteSparkError
        When the directory is unset or lacks either JAR: a remote JVM cannot resolve them
        from Maven the way ``configure_spark_with_delta_pip`` does for a local session.
    """
    jar_dir = os.environ.get(DELTA_JARS_ENV, "")
    jars = sorted(str(p) for p in Path(jar_dir).glob("*.jar")) if jar_dir else []
    names = " ".join(jars)
    if "delta-spark" not in names or "delta-storage" not in names:
        raise RemoteSparkError(
            f"${DELTA_JARS_ENV} must name a directory holding delta-spark and delta-storage "
            f"JARs (scripts/fetch_delta_jars.sh DIR fetches them); got {jar_dir!r}"
        )
    return jars


def _venv_tool(name: str) -> str:
    """Return the pyspark launcher ``name`` installed beside this Python."""
    tool = Path(sys.executable).parent / name
    if not tool.exists():
        raise RemoteSparkError(f"{tool} not found: install pyspark in this environment")
    return str(tool)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class _Process:
    """One launched JVM (through its launcher script), its log, and how to stop it."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    @classmethod
    def start(
        cls, name: str, args: Sequence[str], *, log: Path, env: Mapping[str, str]
    ) -> _Process:
        with log.open("wb") as sink:
            process = subprocess.Popen(
                list(args),
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=dict(env),
                cwd=log.parent,
                start_new_session=True,
            )
        return cls(name=name, process=process, log=log)

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise RemoteSparkError(
                f"{self.name} exited with {self.process.returncode}:\n{_tail(self.log)}"
            )

    def stop(self, timeout: float = 20.0) -> None:
        """Stop the process group (SIGTERM, then SIGKILL); only this process's own group."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout)


def _wait_for(
    what: str, ready: object, processes: Sequence[_Process], *, timeout: float, log: Path
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            process.check_alive()
        if ready():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise RemoteSparkError(f"{what} not ready after {timeout:.0f} s:\n{_tail(log)}")


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PYSPARK_PYTHON", sys.executable)
    # The machine's name may resolve to another interface: keep every JVM on loopback.
    env["SPARK_LOCAL_IP"] = HOST
    return env


@dataclass
class ConnectServer:
    """A running local Spark Connect server with Delta Lake.

    Attributes
    ----------
    url : str
        ``sc://127.0.0.1:<port>``, for ``SparkSession.builder.remote``.
    startup_secs : float
        From launch until the server accepted connections, measured.
    """

    url: str
    port: int
    startup_secs: float
    work_dir: Path
    _process: _Process = field(repr=False)

    def stop(self) -> None:
        """Stop the server's JVM."""
        self._process.stop()


def start_connect_server(
    work_dir: str | os.PathLike[str],
    *,
    port: int | None = None,
    extra_conf: Mapping[str, str] | None = None,
    timeout: float = 180.0,
) -> ConnectServer:
    """Start a Spark Connect server (``local[2]``) with Delta's extension and catalog.

    Parameters
    ----------
    work_dir
        Where the warehouse, the Derby metastore and ``connect-server.log`` go.
    port
        The gRPC port; a free one when None.
    extra_conf
        More server settings, applied last.
    timeout
        Seconds to wait for the port to accept connections.

    Returns
    -------
    ConnectServer
        The running server; call :meth:`ConnectServer.stop`.
    """
    work = Path(work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    port = free_port() if port is None else port
    conf = {
        **DELTA_CONF,
        **SMALL_MACHINE_CONF,
        "spark.connect.grpc.binding.port": str(port),
        "spark.connect.grpc.binding.address": HOST,
        "spark.ui.enabled": "false",
        "spark.sql.warehouse.dir": str(work / "warehouse"),
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={work}",
        **(extra_conf or {}),
    }
    args = [
        _venv_tool("spark-submit"),
        "--class",
        CONNECT_SERVER_CLASS,
        "--name",
        "sparkforge-connect",
        "--master",
        "local[2]",
        "--jars",
        ",".join(delta_jars()),
    ]
    for key, value in conf.items():
        args += ["--conf", f"{key}={value}"]
    log = work / "connect-server.log"
    began = time.monotonic()
    process = _Process.start("Spark Connect server", args, log=log, env=_env())
    try:
        _wait_for(
            "Spark Connect server", lambda: _accepts(port), [process], timeout=timeout, log=log
        )
    except BaseException:
        process.stop()
        raise
    return ConnectServer(
        url=f"sc://{HOST}:{port}",
        port=port,
        startup_secs=time.monotonic() - began,
        work_dir=work,
        _process=process,
    )


def cluster_session_conf() -> dict[str, str]:
    """Return the settings of a driver using a :class:`StandaloneCluster` of this module.

    The driver listens on 127.0.0.1 (where the executors call it back), asks for the one
    worker's core and less memory than it offers, and ships the Delta JARs to the executors
    (``spark.jars``); :data:`SMALL_MACHINE_CONF` keeps tasks few.
    """
    return {
        **SMALL_MACHINE_CONF,
        "spark.driver.host": HOST,
        "spark.driver.bindAddress": HOST,
        "spark.executor.memory": "512m",
        "spark.executor.cores": "1",
        "spark.cores.max": "1",
        "spark.jars": ",".join(delta_jars()),
    }


def remote_session(url: str) -> SparkSession:
    """Return a Spark Connect session to ``url`` (``sc://host:port``).

    PySpark marks the whole process as a Connect client when it builds one
    (``SPARK_CONNECT_MODE_ENABLED``): every ``pyspark.sql.functions`` call then makes Connect
    columns. Stop it with :func:`stop_remote_session`, which lifts that mark again.
    """
    from pyspark.sql import SparkSession

    return SparkSession.builder.remote(url).getOrCreate()


def stop_remote_session(session: SparkSession) -> None:
    """Stop a Connect session and let this process build and use classic sessions again."""
    try:
        session.stop()
    finally:
        os.environ.pop("SPARK_CONNECT_MODE_ENABLED", None)
        os.environ.pop("SPARK_LOCAL_REMOTE", None)


@dataclass
class StandaloneCluster:
    """A running Spark standalone cluster: one master, one worker (1 core, 1 GiB).

    Attributes
    ----------
    master_url : str
        ``spark://127.0.0.1:<port>``.
    startup_secs : float
        From launching the master until the worker registered with it, measured.
    """

    master_url: str
    startup_secs: float
    work_dir: Path
    _processes: list[_Process] = field(repr=False)

    def stop(self) -> None:
        """Stop the worker, then the master."""
        for process in reversed(self._processes):
            process.stop()


def start_standalone_cluster(
    work_dir: str | os.PathLike[str], *, timeout: float = 180.0
) -> StandaloneCluster:
    """Start a standalone master and one worker on 127.0.0.1 (their web UIs on free ports).

    Parameters
    ----------
    work_dir
        Where ``master.log``, ``worker.log`` and the worker's directory go.
    timeout
        Seconds to wait for the worker to register with the master.

    Returns
    -------
    StandaloneCluster
        The running cluster; call :meth:`StandaloneCluster.stop`.
    """
    work = Path(work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    spark_class = _venv_tool("spark-class")
    env = _env()
    began = time.monotonic()
    master_log = work / "master.log"
    master = _Process.start(
        "Spark master",
        [
            spark_class,
            "org.apache.spark.deploy.master.Master",
            "--host",
            HOST,
            "--port",
            str(port),
            "--webui-port",
            "0",
        ],
        log=master_log,
        env=env,
    )
    processes = [master]
    try:
        _wait_for(
            "Spark master", lambda: _accepts(port), processes, timeout=timeout, log=master_log
        )
        master_url = f"spark://{HOST}:{port}"
        worker_log = work / "worker.log"
        worker = _Process.start(
            "Spark worker",
            [
                spark_class,
                "org.apache.spark.deploy.worker.Worker",
                master_url,
                "--host",
                HOST,
                "--cores",
                "1",
                "--memory",
                "1g",
                "--webui-port",
                "0",
                "--work-dir",
                str(work / "worker"),
            ],
            log=worker_log,
            env=env,
        )
        processes.append(worker)
        _wait_for(
            "Spark worker",
            lambda: "Successfully registered with master" in _tail(worker_log, 200),
            processes,
            timeout=timeout,
            log=worker_log,
        )
    except BaseException:
        for process in reversed(processes):
            process.stop()
        raise
    return StandaloneCluster(
        master_url=master_url,
        startup_secs=time.monotonic() - began,
        work_dir=work,
        _processes=processes,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Start a server or a cluster and keep it until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m examples.remote_spark")
    parser.add_argument("shape", choices=["connect", "standalone"])
    parser.add_argument("--work-dir", default="remote-spark")
    args = parser.parse_args(argv)
    running: ConnectServer | StandaloneCluster
    if args.shape == "connect":
        running = start_connect_server(args.work_dir)
        url = running.url
    else:
        running = start_standalone_cluster(args.work_dir)
        url = running.master_url
    print(f"{url} (started in {running.startup_secs:.1f} s); Ctrl-C stops it", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
