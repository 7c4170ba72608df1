"""A real Label Studio server for the tests, one per session.

Found through KMNER_LABEL_STUDIO_BIN, then ``.venv-ls/bin/label-studio`` in the
repo, then ``label-studio`` on PATH. It listens on 127.0.0.1 only, on a free
port, with a temporary data dir and a user and legacy token created from the
environment. The first start runs ~30 s of migrations; the migrated data dir is
then cached under ``.cache/ls-template/`` (git-ignored) so later sessions start in
a few seconds. In CI (CI set) a missing or broken server fails the tests with the
reason; elsewhere the tests are skipped with the reason.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TEMPLATE_ROOT = Path(os.environ.get("KMNER_LS_TEMPLATE_DIR", REPO / ".cache" / "ls-template"))
USERNAME = "kmner-tests@example.com"
PASSWORD = "kmner-tests-password"
# A fixed legacy token: the cached template already holds the user with it.
TOKEN = "kmnertests0123456789abcdef0123456789abcd"
COLD_START_TIMEOUT_S = 240
WARM_START_TIMEOUT_S = 90


@dataclass
class LabelStudioServer:
    url: str
    api_key: str
    username: str
    password: str
    data_dir: Path
    log_path: Path
    version: str | None
    pid: int

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def find_binary() -> tuple[str | None, str]:
    """Path of the label-studio executable and how it was found (or why not)."""
    env = os.environ.get("KMNER_LABEL_STUDIO_BIN")
    if env:
        if Path(env).is_file() and os.access(env, os.X_OK):
            return env, "KMNER_LABEL_STUDIO_BIN"
        return None, f"KMNER_LABEL_STUDIO_BIN={env} is not an executable file"
    local = REPO / ".venv-ls" / "bin" / "label-studio"
    if local.is_file():
        return str(local), ".venv-ls"
    on_path = shutil.which("label-studio")
    if on_path:
        return on_path, "PATH"
    return None, ("no Label Studio server: set KMNER_LABEL_STUDIO_BIN, run `make ls-venv`, or "
                  "put label-studio on PATH")


def installed_version(binary: str) -> str | None:
    """label-studio's version from its venv's dist-info, without starting Python."""
    venv = Path(binary).resolve().parent.parent
    for dist in venv.glob("lib/python*/site-packages/label_studio-*.dist-info"):
        return dist.name[len("label_studio-"):-len(".dist-info")]
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    # Label Studio reads these unprefixed names as its own settings.
    for name in ("USERNAME", "PASSWORD", "PORT", "HOST", "LABEL_STUDIO_HOST",
                 "LABEL_STUDIO_PORT"):
        env.pop(name, None)
    env.update({
        "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
        "LABEL_STUDIO_USERNAME": USERNAME,
        "LABEL_STUDIO_PASSWORD": PASSWORD,
        "LABEL_STUDIO_USER_TOKEN": TOKEN,
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
        "COLLECT_ANALYTICS": "false",
        "LATEST_VERSION_CHECK": "false",
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
    })
    return env


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start(binary: str, data_dir: Path, log_path: Path, timeout_s: float
          ) -> tuple[subprocess.Popen, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(log_path, "ab")
    proc = subprocess.Popen(
        [binary, "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(port),
         "--data-dir", str(data_dir)],
        env=server_env(data_dir), stdout=log, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, cwd=str(data_dir.parent))
    log.close()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"label-studio exited with code {proc.returncode} during start-up; "
                               f"last log lines:\n{_tail(log_path)}")
        if _healthy(url):
            return proc, url
        time.sleep(0.5)
    stop(proc)
    raise RuntimeError(f"label-studio did not answer {url}/health within {timeout_s:.0f} s; "
                       f"last log lines:\n{_tail(log_path)}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _tail(path: Path, n: int = 25) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


def template_dir(binary: str, version: str | None) -> Path:
    key = hashlib.sha1(f"{Path(binary).resolve()}|{version}|{USERNAME}|{TOKEN}".encode()
                       ).hexdigest()[:12]
    return TEMPLATE_ROOT / f"{version or 'unknown'}-{key}"


def _save_template(data_dir: Path, target: Path) -> None:
    tmp = target.with_name(target.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(data_dir, tmp)
    (tmp / "kmner-template-ready").write_text("migrated\n")
    try:
        tmp.rename(target)
    except OSError:  # another session saved it first
        shutil.rmtree(tmp, ignore_errors=True)


def _unavailable(reason: str):
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(f"Label Studio server required in CI: {reason}", pytrace=False)
    pytest.skip(f"Label Studio server unavailable: {reason}")


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory) -> LabelStudioServer:
    binary, how = find_binary()
    if binary is None:
        _unavailable(how)
    version = installed_version(binary)
    root = tmp_path_factory.mktemp("label-studio")
    data_dir = root / "data"
    log_path = root / "server.log"
    template = template_dir(binary, version)
    warm = (template / "kmner-template-ready").exists()
    try:
        if warm:
            shutil.copytree(template, data_dir)
            proc, url = start(binary, data_dir, log_path, WARM_START_TIMEOUT_S)
        else:
            data_dir.mkdir()
            proc, url = start(binary, data_dir, log_path, COLD_START_TIMEOUT_S)
            # Migrations done and user created: keep a copy of this state for next time.
            stop(proc)
            template.parent.mkdir(parents=True, exist_ok=True)
            _save_template(data_dir, template)
            proc, url = start(binary, data_dir, log_path, WARM_START_TIMEOUT_S)
    except (RuntimeError, OSError) as exc:
        _unavailable(f"{binary} (found via {how}): {exc}")
    server = LabelStudioServer(url, TOKEN, USERNAME, PASSWORD, data_dir, log_path, version,
                               proc.pid)
    try:
        yield server
    finally:
        stop(proc)
