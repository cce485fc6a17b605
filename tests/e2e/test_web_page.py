"""The web page at /app/ driven in headless Chromium against a running local stack, as a person uses it.

Instance IDs come from the emulator's control plane and expected values from the API itself, so these
tests check what the page shows against what the service says, not against hard-coded data.
"""

from __future__ import annotations

import os
import re
import struct
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.webstack import WebStack

pytestmark = [pytest.mark.browser, pytest.mark.stack, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO / "docs" / "img" / "web-phone.png"
STATUS_ZH = {
    "Running": "运行中",
    "Stopped": "已停止",
    "Starting": "启动中",
    "Stopping": "停止中",
    "Pending": "创建中",
}


def _instances(stack: WebStack, region: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
    found = stack.control.instances(region)
    return [i for i in found if status is None or i["Status"] == status]


def _gib(mib: int) -> str:
    return f"{round(mib / 1024 * 100) / 100:g} GiB"


def _field(page: Any, scope: str, key: str) -> str:
    # text_content, not inner_text: rendering collapses runs of spaces ("Linux  3.2104" in the world data).
    text: str = page.locator(f'{scope} [data-field="{key}"] dd').text_content()
    return text.strip()


def _search(page: Any, instance_id: str) -> None:
    page.fill("#instance-id", instance_id)
    page.press("#instance-id", "Enter")


def test_search_shows_the_instance_fields(stack: WebStack, browser_page: Any) -> None:
    page = browser_page
    running = _instances(stack, "cn-hangzhou", "Running")
    assert len(running) >= 2, "the default world has running instances in cn-hangzhou"
    first, second = running[0]["InstanceId"], running[1]["InstanceId"]
    truth = stack.api("/ecs/getServerInfo", instanceId=first).json()

    page.goto(stack.url + "/app/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    _search(page, f"  {first} ")  # pasted with spaces: trimmed, like the API does
    card = page.locator("#search-result")
    card.wait_for(state="visible")
    assert page.locator("#result-id").inner_text() == first
    assert card.locator(".badge").inner_text() == "运行中"
    assert _field(page, "#search-result", "instanceType") == truth["InstanceType"]
    assert _field(page, "#search-result", "memory") == _gib(truth["Memory"])
    assert _field(page, "#search-result", "cpu") == f"{truth['Cpu']} 核"
    assert _field(page, "#search-result", "osName") == truth["OSName"]
    assert _field(page, "#search-result", "publicIp") == (truth["IpAddress"] or "无公网 IP")
    bandwidth = truth["InternetMaxBandwidthOut"]
    assert _field(page, "#search-result", "bandwidth") == (f"{bandwidth} Mbps" if bandwidth else "未开通公网")
    assert page.locator("#search-error").inner_text() == ""

    # The tutorial's bug hid every second result: search again (another ID, then the first again).
    _search(page, second)
    page.wait_for_function("id => document.querySelector('#result-id')?.textContent === id", arg=second)
    assert card.is_visible()
    _search(page, first)
    page.wait_for_function("id => document.querySelector('#result-id')?.textContent === id", arg=first)
    assert card.is_visible()

    # Recent lookups, newest first, survive a reload and search on click.
    chips = page.locator("#recent-list button")
    assert chips.all_inner_texts()[:2] == [first, second]
    page.reload()
    page.locator("#recent-list button").first.wait_for()
    page.locator("#recent-list button", has_text=second).click()
    page.wait_for_function("id => document.querySelector('#result-id')?.textContent === id", arg=second)

    # The card's detail link opens the full document; "back" returns to the search, not the list.
    page.click("#search-result .detail-link")
    page.locator("#detail-card").wait_for(state="visible")
    assert _field(page, "#detail-card", "instanceId") == second
    assert page.locator("#detail-back").get_attribute("href") == "#/search"
    page.click("#detail-back")
    page.locator("#view-search").wait_for(state="visible")
    assert page.evaluate("document.activeElement.id") == "instance-id"


def test_unknown_and_malformed_ids_show_the_error_not_a_card(stack: WebStack, browser_page: Any) -> None:
    page = browser_page
    unknown = "i-zzzzzzzzzzzzzzzzzzzz"
    expected = stack.api("/ecs/getServerInfo", instanceId=unknown)
    assert expected.status_code == 404
    message = expected.json()["error"]["message"]

    page.goto(stack.url + "/app/")
    _search(page, unknown)
    error = page.locator("#search-error")
    error.locator(".error-text").wait_for()
    assert error.get_attribute("role") == "alert"
    assert error.locator(".error-text").inner_text() == message
    assert page.locator("#search-result").is_hidden()

    # A malformed ID is refused in the page: no request leaves, the field is marked invalid and focused.
    api_calls: list[str] = []
    page.on("request", lambda r: api_calls.append(r.url) if "/ecs/" in r.url or "/api/" in r.url else None)
    _search(page, "i-NOT_AN_ID")
    page.wait_for_function("() => document.querySelector('#search-error').textContent.includes('格式不正确')")
    assert api_calls == []
    assert page.locator("#instance-id").get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "instance-id"
    assert page.locator("#search-result").is_hidden()


def test_list_filters_pages_and_opens_a_detail(stack: WebStack, browser_page: Any) -> None:
    page = browser_page
    page.goto(stack.url + "/app/")
    page.click("#tab-list")
    page.locator("#list-items li").first.wait_for()
    assert page.evaluate("document.activeElement.id") == "list-heading", "focus moves to the new view"
    regions = [o.get_attribute("value") for o in page.locator("#filter-region option").all()]
    assert {"cn-hangzhou", "cn-beijing"} <= set(regions)

    # Region filter: the count matches the emulator's world for that region.
    beijing = _instances(stack, "cn-beijing")
    page.select_option("#filter-region", "cn-beijing")
    page.wait_for_function("() => location.hash.includes('regionId=cn-beijing')")
    page.wait_for_function(
        "n => document.querySelectorAll('#list-items li').length === n", arg=min(len(beijing), 20)
    )
    shown = set(page.locator("#list-items .item-id").all_inner_texts())
    assert shown <= {i["InstanceId"] for i in beijing}

    # Status filter: only stopped ones, each with the stopped badge.
    stopped = _instances(stack, "cn-beijing", "Stopped")
    assert stopped, "the default world has a stopped instance in cn-beijing"
    page.select_option("#filter-status", "Stopped")
    page.wait_for_function("() => location.hash.includes('status=Stopped')")
    page.wait_for_function(
        "n => document.querySelectorAll('#list-items li').length === n", arg=min(len(stopped), 20)
    )
    assert set(page.locator("#list-items .badge").all_inner_texts()) == {"已停止"}

    # Paging: the default world's biggest region, five per page so there are several pages.
    hangzhou = _instances(stack, "cn-hangzhou")
    assert len(hangzhou) > 5
    page.goto(stack.url + "/app/#/list?regionId=cn-hangzhou&pageSize=5")
    page.wait_for_function("() => document.querySelectorAll('#list-items li').length === 5")
    pages = -(-len(hangzhou) // 5)
    assert page.locator("#page-info").inner_text() == f"1 / {pages}"
    assert page.locator("#prev-page").is_disabled()
    first_page = page.locator("#list-items .item-id").all_inner_texts()
    page.click("#next-page")
    page.wait_for_function("() => document.querySelector('#page-info').textContent.startsWith('2 /')")
    second_page = page.locator("#list-items .item-id").all_inner_texts()
    assert len(second_page) == 5
    assert not set(first_page) & set(second_page)
    assert "pageSize=5" in page.evaluate("location.hash"), "paging keeps the page size"
    page.click("#prev-page")
    page.wait_for_function("() => document.querySelector('#page-info').textContent.startsWith('1 /')")
    assert page.locator("#list-items .item-id").all_inner_texts() == first_page

    # Tap an instance: the detail view shows its full document.
    target = page.locator("#list-items .item").first
    instance_id = target.locator(".item-id").inner_text()
    target.click()
    page.locator("#detail-card").wait_for(state="visible")
    doc = stack.api(f"/api/v1/instances/{instance_id}", regionId="cn-hangzhou").json()
    assert _field(page, "#detail-card", "instanceId") == instance_id
    assert _field(page, "#detail-card", "instanceType") == doc["instanceType"]
    assert _field(page, "#detail-card", "zoneId") == doc["zoneId"]
    assert _field(page, "#detail-card", "status") == STATUS_ZH[doc["status"]]
    assert page.evaluate("document.activeElement.id") == "detail-heading"
    page.go_back()
    page.locator("#view-list").wait_for(state="visible")


def test_language_toggle_switches_and_remembers(stack: WebStack, browser_page: Any) -> None:
    page = browser_page
    instance_id = _instances(stack, "cn-hangzhou", "Running")[0]["InstanceId"]
    page.goto(stack.url + "/app/")
    toggle = page.locator("#lang-toggle")
    assert toggle.inner_text() == "English"
    _search(page, instance_id)
    page.locator("#search-result").wait_for(state="visible")
    assert page.locator('#search-result [data-field="memory"] dt').inner_text() == "内存"

    toggle.click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#tab-search").inner_text() == "Look up"
    assert page.locator('#search-result [data-field="memory"] dt').inner_text() == "Memory"
    assert page.locator("#search-result .badge").inner_text() == "Running"
    assert re.fullmatch(r"\d+ vCPU", _field(page, "#search-result", "cpu"))
    assert page.locator("#instance-id").get_attribute("placeholder", timeout=1000).startswith("e.g.")

    page.reload()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#lang-toggle").inner_text() == "中文"
    page.click("#lang-toggle")
    assert page.locator("#tab-list").inner_text() == "实例列表"


def test_keyboard_only_lookup(stack: WebStack, browser_page: Any) -> None:
    page = browser_page
    instance_id = _instances(stack, "cn-hangzhou", "Running")[0]["InstanceId"]
    page.goto(stack.url + "/app/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    for _ in range(6):  # skip link, language, two tabs, then the field
        if page.evaluate("document.activeElement.id") == "instance-id":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "instance-id"
    page.keyboard.type(instance_id)
    page.keyboard.press("Enter")
    page.locator("#search-result").wait_for(state="visible")
    assert page.locator("#search-status").get_attribute("aria-live") == "polite"
    assert instance_id in page.locator("#search-status").inner_text()


def test_phone_screenshot(stack: WebStack, browser_page: Any, tmp_path: Path) -> None:
    """A phone-sized screenshot of a lookup. Written to docs/img/web-phone.png (shown in the docs) only
    when ECS_ASSISTANT_UPDATE_SCREENSHOTS=1, so an ordinary test run leaves the work tree clean."""
    page = browser_page
    candidates = _instances(stack, "cn-hangzhou", "Running")
    with_ip = next(
        (
            i["InstanceId"]
            for i in candidates
            if stack.api("/ecs/getServerInfo", instanceId=i["InstanceId"]).json()["IpAddress"]
        ),
        candidates[0]["InstanceId"],
    )
    page.goto(stack.url + "/app/")
    _search(page, with_ip)
    page.locator("#search-result").wait_for(state="visible")
    page.evaluate("document.activeElement.blur()")
    update = os.environ.get("ECS_ASSISTANT_UPDATE_SCREENSHOTS") == "1"
    target = SCREENSHOT if update else tmp_path / "web-phone.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), full_page=True)
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width == 390 * 2, "phone width at device scale 2"
    assert height >= 844 * 2 * 0.8
