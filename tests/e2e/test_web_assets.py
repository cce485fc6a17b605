"""Static checks of the web page's files (no browser, no stack): they are fast and catch broken wiring."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WEB = REPO / "src" / "ecs_assistant" / "api" / "web"
SHARED = REPO / "clients" / "alipay-miniprogram" / "utils" / "format.js"


def test_web_format_module_is_the_mini_program_file() -> None:
    """One file for both clients: the web copy is a symlink to the mini program's module."""
    link = WEB / "format.js"
    assert link.is_symlink()
    assert link.resolve() == SHARED.resolve()
    assert link.read_bytes() == SHARED.read_bytes()


def test_index_references_existing_files_in_load_order() -> None:
    html = (WEB / "index.html").read_text(encoding="utf-8")
    refs = re.findall(r'(?:src|href)="([^"#:]+)"', html)
    assert refs, "index.html references its assets"
    for ref in refs:
        assert (WEB / ref).is_file(), f"index.html references missing {ref}"
    order = [html.index(name) for name in ('src="cjs-shim.js"', 'src="format.js"', 'src="app.js"')]
    assert order == sorted(order), "the shim loads before format.js, which loads before app.js"
    assert '<script type="module" src="app.js">' in html


def test_no_third_party_or_remote_assets() -> None:
    """Everything the page needs ships in this directory: no CDN, no web fonts, no trackers."""
    for path in WEB.iterdir():
        if path.suffix not in {".html", ".js", ".css"}:
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"https?://", text.replace("http://127.0.0.1", "")), path.name


def test_every_form_control_has_a_label() -> None:
    html = (WEB / "index.html").read_text(encoding="utf-8")
    ids = re.findall(r"<(?:input|select)\b[^>]*\bid=\"([^\"]+)\"", html)
    assert ids
    for control in ids:
        assert f'for="{control}"' in html, f"#{control} has no <label for>"
    for live in ("search-status", "list-summary", "detail-status"):
        assert re.search(rf'id="{live}"[^>]*aria-live="polite"', html), live
    for alert in ("search-error", "list-error", "detail-error"):
        assert re.search(rf'id="{alert}"[^>]*role="alert"', html), alert
