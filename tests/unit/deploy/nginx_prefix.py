"""An nginx prefix in a temp folder for the deploy tests: the shipped main config with every path inside it.

Both `nginx -t` on the installed files and the serving smoke test need the same sandbox, so that nothing
under the host's /etc/nginx, /var/log/nginx or /var/lib/nginx is read for writing or created.
"""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
NGINX_MAIN = REPO / "deploy" / "nginx" / "nginx.conf.in"
TEMP_KINDS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def make_prefix(tmp_path: Path) -> Path:
    """A prefix with conf.d/, logs/ and the distribution's mime.types and uwsgi_params."""
    prefix = tmp_path / "nginx"
    (prefix / "conf.d").mkdir(parents=True)
    (prefix / "logs").mkdir()
    for name in ("mime.types", "uwsgi_params"):
        shutil.copy(Path("/etc/nginx") / name, prefix / name)
    return prefix


def main_config(prefix: Path, user: str | None) -> str:
    """The shipped main config filled in for `prefix`; `user=None` drops the user directive (non-root)."""
    text = NGINX_MAIN.read_text()
    text = text.replace("@NGINX_USER@", user) if user else text.replace("user @NGINX_USER@;\n", "")
    # The distribution's compiled-in temp paths live under /var/lib/nginx: keep them in the prefix too.
    temp_paths = "".join(f"    {kind}_temp_path {prefix}/tmp_{kind};\n" for kind in TEMP_KINDS)
    return (
        text.replace("@CONF_DIR@", str(prefix))
        .replace("@LOG_DIR@", str(prefix / "logs"))
        .replace("@PID_FILE@", str(prefix / "nginx.pid"))
        .replace("http {\n", "http {\n" + temp_paths, 1)
    )
