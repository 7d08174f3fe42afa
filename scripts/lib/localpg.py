"""A throwaway PostgreSQL server for the integration tests (the Python twin of
tests/store/pg_server.cpp): initdb in a temporary directory, listening only on 127.0.0.1 on a
free port (its unix socket in that directory), fsync off; stopped and deleted by stop().
As root, the server runs as the `postgres` user (PostgreSQL refuses to run as root).
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile

PG_MISSING = ("PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin: "
              "`make deps` installs them (Debian package postgresql)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bindir() -> str:
    env = os.environ.get("RIPOSTE_PG_BINDIR")
    if env:
        return env
    found = [os.path.dirname(p) for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")
             if os.path.exists(os.path.join(os.path.dirname(p), "pg_ctl"))]
    return max(found, key=lambda d: int(d.split("/")[-2]) if d.split("/")[-2].isdigit() else 0) if found else ""


class Postgres:
    def __init__(self, max_connections: int = 100) -> None:
        self.bindir = _bindir()
        if not self.bindir or not os.path.exists(os.path.join(self.bindir, "pg_ctl")):
            raise RuntimeError(PG_MISSING)
        self.dir = tempfile.mkdtemp(prefix="riposte-pg-")
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError("running as root but there is no `postgres` user: " + PG_MISSING)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "server.log")
        r = subprocess.run(self.as_user + [os.path.join(self.bindir, "initdb"), "-D", self.data, "-U", "postgres",
                                           "--auth=trust", "-E", "UTF8", "--no-sync"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("initdb failed: " + r.stdout + r.stderr)
        self.running = False
        for _ in range(5):
            self.port = _free_port()
            opts = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off "
                    f"-c full_page_writes=off -c max_connections={max_connections}")
            r = subprocess.run(self.as_user + [os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-l", self.log,
                                               "-w", "-t", "30", "-o", opts, "start"],
                               capture_output=True, text=True)
            if r.returncode == 0:
                self.running = True
                break
        if not self.running:
            with open(self.log, errors="replace") as f:
                raise RuntimeError("pg_ctl start failed: " + f.read()[-3000:])

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Runs SQL with psql (as the server's user); returns its unaligned, tuples-only output."""
        r = subprocess.run([os.path.join(self.bindir, "psql"), "-h", "127.0.0.1", "-p", str(self.port),
                            "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"psql failed: {sql}: {r.stderr}")
        return r.stdout

    def stop(self) -> None:
        if self.running:
            subprocess.run(self.as_user + [os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-m", "immediate",
                                           "-w", "stop"], capture_output=True)
            self.running = False
        shutil.rmtree(self.dir, ignore_errors=True)
