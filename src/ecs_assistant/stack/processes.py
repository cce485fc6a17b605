"""Child processes of the stack, each in its own process group, stopped and killed by PID.

Every program starts under `setsid` (its own session and process group), so a terminal Ctrl-C reaches
only the supervising Python process, which then stops the children in order; and a whole program (master
plus workers) can be killed with one `killpg`, which signals every member at once — no window in which
a master respawns a worker that was killed first (deployment.md §5.1).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path


class ManagedProcess:
    """One started program (nginx master, uWSGI master, HAProxy, emulator) and its log file."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self._popen: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen is not None else None

    def start(self) -> None:
        """Start the program in a new session, output appended to its log file."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
            )

    def alive(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    def returncode(self) -> int | None:
        return self._popen.poll() if self._popen is not None else None

    def last_log_line(self) -> str:
        """The most telling line of the log for a one-line start failure message.

        The last line naming an error (e.g. a traceback's "ModuleNotFoundError: ..." or nginx's
        "[emerg] ...") beats the last line, which is often a shutdown message.
        """
        try:
            lines = [
                ln.strip() for ln in self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
            ]
        except OSError:
            return ""
        lines = [ln for ln in lines if ln]
        for index in range(len(lines) - 1, -1, -1):
            line = lines[index]
            if "Error" in line or "[emerg]" in line or "[ALERT]" in line:
                # A message that continues as a list ("invalid settings:" / "- NAME: problem").
                details = []
                for follow in lines[index + 1 :]:
                    if not follow.startswith("- "):
                        break
                    details.append(follow[2:])
                return " ".join([line, "; ".join(details)]).strip() if details else line
        return lines[-1] if lines else ""

    def kill(self) -> None:
        """SIGKILL the whole process group (master and workers at once) and reap the master."""
        if self._popen is None:
            return
        self._killpg(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._popen.wait(timeout=5)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
        """Ask the master to stop with `sig`; SIGKILL the group if it is not gone within `timeout`.

        Workers left behind by a master that exited are killed too, so nothing keeps a port open.
        """
        if self._popen is None:
            return
        if self._popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self._popen.send_signal(sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._popen.wait(timeout=timeout)
        self._killpg(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._popen.wait(timeout=5)
        self._wait_group_gone(timeout=5)

    def wait(self, timeout: float) -> bool:
        """Wait for the master to exit; True if it did."""
        if self._popen is None:
            return True
        try:
            self._popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def group_members(self) -> list[int]:
        """PIDs still in this program's process group (scanned from /proc)."""
        if self._popen is None:
            return []
        return processes_in_group(self._popen.pid)

    def _killpg(self, sig: int) -> None:
        assert self._popen is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._popen.pid, sig)

    def _wait_group_gone(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.group_members() and time.monotonic() < deadline:
            time.sleep(0.05)


def processes_in_group(pgid: int) -> list[int]:
    """Living (non-zombie) processes whose process group is `pgid`."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Field 2 (comm) may contain spaces; the fields after the closing parenthesis are fixed.
        fields = stat[stat.rfind(")") + 2 :].split()
        state, group = fields[0], int(fields[2])
        if group == pgid and state != "Z":
            members.append(int(entry.name))
    return members


def group_alive(pgid: int) -> bool:
    """True when any living process is in the group (used by `down` to clean up after a lost `up`)."""
    return bool(processes_in_group(pgid))


def kill_group(pgid: int) -> None:
    """SIGKILL a process group recorded by an earlier `up` (no Popen object here)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
