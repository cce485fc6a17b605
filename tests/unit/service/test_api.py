"""The HTTP layer with a fake directory: one error envelope for every error path, headers, auth, CORS."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from flask.testing import FlaskClient

from ecs_assistant.api import create_app
from ecs_assistant.cloud.ecs import BatchLookup, InstancePage, ListFilters, Lookup
from ecs_assistant.cloud.errors import (
    CredentialsUnavailable,
    InstanceNotFound,
    ServiceError,
    UpstreamError,
    UpstreamPermissionDenied,
    UpstreamThrottled,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from ecs_assistant.instances import instance_from_api
from ecs_assistant.settings import Settings

from .documents import EIP_ONLY

GOOD_ID = "i-bp19y1z08hlzzldsdod2"


class FakeDirectory:
    """Answers from one document, or raises the error it is told to; records what it was asked."""

    regions = ("cn-hangzhou", "cn-beijing")

    def __init__(self) -> None:
        self.error: ServiceError | None = None
        self.calls: list[tuple[str, Any]] = []
        self.instance = instance_from_api(EIP_ONLY)

    def _maybe_fail(self) -> None:
        if self.error is not None:
            raise self.error

    def get(self, instance_id: str, region: str | None = None) -> Lookup:
        self.calls.append(("get", (instance_id, region)))
        self._maybe_fail()
        if instance_id != GOOD_ID:
            raise InstanceNotFound(f"No instance {instance_id}.")
        return Lookup(self.instance, "HIT")

    def get_many(self, instance_ids: list[str], region: str | None = None) -> BatchLookup:
        self.calls.append(("get_many", (list(instance_ids), region)))
        self._maybe_fail()
        found = [self.instance for i in instance_ids if i == GOOD_ID]
        return BatchLookup(found, [i for i in instance_ids if i != GOOD_ID], "MISS")

    def list_instances(
        self,
        region: str | None = None,
        filters: ListFilters | None = None,
        page_number: int = 1,
        page_size: int = 20,
    ) -> InstancePage:
        self.calls.append(("list", (region, filters, page_number, page_size)))
        self._maybe_fail()
        return InstancePage([self.instance], 1, page_number, page_size, region or self.regions[0])

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        self._maybe_fail()
        return True, {"credentials": {"ok": True}}


@pytest.fixture
def fake() -> FakeDirectory:
    return FakeDirectory()


def make_client(fake: FakeDirectory, **settings: Any) -> FlaskClient:
    base = Settings(regions=fake.regions, node_name="node-test", access_log=False)
    app = create_app(base.replace(**settings) if settings else base, directory=fake)
    return app.test_client()


@pytest.fixture
def client(fake: FakeDirectory) -> FlaskClient:
    return make_client(fake)


def assert_envelope(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.data
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "requestId"}
    assert body["error"]["code"] == code
    assert body["error"]["message"] and isinstance(body["error"]["message"], str)
    assert body["error"]["requestId"] == response.headers["X-Request-Id"]
    assert response.headers["X-Served-By"] == "node-test"
    return body


INPUT_ERRORS = [
    ("/ecs/getServerInfo", 400, "MissingParameter"),
    ("/ecs/getServerInfo?instanceId=", 400, "MissingParameter"),
    ("/ecs/getServerInfo?instanceId=%20%20", 400, "MissingParameter"),
    ("/ecs/getServerInfo?instanceId=i-abc", 400, "InvalidInstanceId"),
    ("/ecs/getServerInfo?instanceId=I-BP19Y1Z08HLZZLDSDOD2", 400, "InvalidInstanceId"),
    (f"/ecs/getServerInfo?instanceId={GOOD_ID}&regionId=mars-1", 400, "InvalidRegion"),
    ("/api/v1/instances/not-an-id", 400, "InvalidInstanceId"),
    (f"/api/v1/instances/{GOOD_ID}?regionId=cn-shenzhen", 400, "InvalidRegion"),
    ("/api/v1/instances?ids=", 400, "MissingParameter"),
    ("/api/v1/instances?ids=,,", 400, "MissingParameter"),
    (f"/api/v1/instances?ids={GOOD_ID}&status=Running", 400, "InvalidParameter"),
    (f"/api/v1/instances?ids={GOOD_ID}&tag=env:prod", 400, "InvalidParameter"),
    (f"/api/v1/instances?ids={GOOD_ID},nope", 400, "InvalidInstanceId"),
    ("/api/v1/instances?ids=" + ",".join(f"i-{n:020d}" for n in range(101)), 400, "TooManyInstanceIds"),
    ("/api/v1/instances?pageSize=101", 400, "InvalidParameter"),
    ("/api/v1/instances?pageSize=abc", 400, "InvalidParameter"),
    ("/api/v1/instances?pageNumber=0", 400, "InvalidParameter"),
    ("/api/v1/instances?status=Deleted", 400, "InvalidParameter"),
    ("/api/v1/instances?tag=:prod", 400, "InvalidParameter"),
    ("/api/v1/instances?name=%01bad", 400, "InvalidParameter"),
    ("/api/v1/instances?tag=" + "&tag=".join(f"k{n}:v" for n in range(21)), 400, "InvalidParameter"),
    ("/api/v1/instances?regionId=eu-west-1", 400, "InvalidRegion"),
    ("/no/such/route", 404, "NotFound"),
    ("/ecs/getServerInfo?instanceId=i-bp1doesnotexist00000", 404, "InstanceNotFound"),
]


@pytest.mark.parametrize(("url", "status", "code"), INPUT_ERRORS)
def test_input_errors_are_rejected_before_any_upstream_call(
    fake: FakeDirectory, client: FlaskClient, url: str, status: int, code: str
) -> None:
    assert_envelope(client.get(url), status, code)
    if code not in ("InstanceNotFound",):
        assert fake.calls == []


UPSTREAM_ERRORS = [
    (CredentialsUnavailable("No RAM role is attached."), 503, "CredentialsUnavailable", True),
    (UpstreamPermissionDenied("role lacks ecs:DescribeInstances"), 503, "UpstreamPermissionDenied", True),
    (UpstreamThrottled("throttled", retry_after=4.2), 503, "UpstreamThrottled", True),
    (UpstreamUnavailable("down"), 503, "UpstreamUnavailable", True),
    (UpstreamTimeout("slow"), 504, "UpstreamTimeout", True),
    (UpstreamError("bad keys"), 502, "UpstreamError", False),
]


LOOKUP_URLS = [
    f"/ecs/getServerInfo?instanceId={GOOD_ID}",
    f"/api/v1/instances/{GOOD_ID}",
    f"/api/v1/instances?ids={GOOD_ID}",
    "/api/v1/instances?regionId=cn-beijing",
]


@pytest.mark.parametrize(("error", "status", "code", "retry_after"), UPSTREAM_ERRORS)
@pytest.mark.parametrize("url", LOOKUP_URLS)
def test_upstream_errors_keep_the_envelope_and_a_truthful_status(
    fake: FakeDirectory,
    client: FlaskClient,
    url: str,
    error: ServiceError,
    status: int,
    code: str,
    retry_after: bool,
) -> None:
    fake.error = error
    response = client.get(url)
    assert_envelope(response, status, code)
    if retry_after:
        assert int(response.headers["Retry-After"]) >= 1
    if code == "UpstreamThrottled":
        assert response.headers["Retry-After"] == "5"


def test_method_not_allowed_and_unexpected_errors(fake: FakeDirectory, client: FlaskClient) -> None:
    response = client.post("/ecs/getServerInfo")
    assert_envelope(response, 405, "MethodNotAllowed")
    assert "GET" in response.headers["Allow"]
    fake.error = RuntimeError("boom: secret detail")  # type: ignore[assignment]
    response = client.get(f"/api/v1/instances/{GOOD_ID}")
    body = assert_envelope(response, 500, "InternalError")
    assert "secret detail" not in json.dumps(body)


def test_server_info_contract(client: FlaskClient) -> None:
    response = client.get(f"/ecs/getServerInfo?instanceId=%20{GOOD_ID}%20")
    assert response.status_code == 200
    assert response.get_json() == {
        "Cpu": 2,
        "Memory": 2048,
        "OSName": "Alibaba Cloud Linux  3.2104 LTS 64位",
        "InstanceType": "ecs.t6-c1m1.large",
        "IpAddress": "47.96.1.180",
        "InternetMaxBandwidthOut": 199,
        "instanceStatus": "Running",
    }
    assert response.headers["X-Cache"] == "HIT"


def test_batch_and_listing_shapes(fake: FakeDirectory, client: FlaskClient) -> None:
    other = "i-bp1aaaaaaaaaaaaaaaaa"
    batch = client.get(f"/api/v1/instances?ids={GOOD_ID},{other},{GOOD_ID}&regionId=cn-hangzhou")
    assert batch.status_code == 200
    assert batch.get_json()["notFound"] == [other]
    assert [i["instanceId"] for i in batch.get_json()["instances"]] == [GOOD_ID]
    assert fake.calls[-1] == ("get_many", ([GOOD_ID, other], "cn-hangzhou"))
    listing = client.get(
        "/api/v1/instances?status=Running&name=web*&tag=env:prod&tag=team:ops&pageSize=5&pageNumber=2"
    )
    body = listing.get_json()
    assert listing.status_code == 200
    assert body["totalCount"] == 1 and body["pageNumber"] == 2 and body["pageSize"] == 5
    assert body["regionId"] == "cn-hangzhou"
    _, (region, filters, page, size) = fake.calls[-1]
    assert (region, page, size) == (None, 2, 5)
    assert filters == ListFilters(status="Running", name="web*", tags=(("env", "prod"), ("team", "ops")))


def test_health_regions_and_readiness(client: FlaskClient) -> None:
    for path in ("/", "/healthz"):
        response = client.get(path)
        assert response.data == b"ok" and response.mimetype == "text/plain"
        assert client.head(path).status_code == 200
    regions = client.get("/api/v1/regions").get_json()
    assert regions == {
        "regions": [
            {"regionId": "cn-hangzhou", "localName": "华东1（杭州）"},
            {"regionId": "cn-beijing", "localName": "华北2（北京）"},
        ]
    }
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["status"] == "ready"


def test_request_id_is_echoed_when_sane_and_replaced_otherwise(client: FlaskClient) -> None:
    assert client.get("/", headers={"X-Request-Id": "abc-123"}).headers["X-Request-Id"] == "abc-123"
    replaced = client.get("/", headers={"X-Request-Id": "bad id\u2028<script>"}).headers["X-Request-Id"]
    assert replaced != "bad id" and len(replaced) == 32


def test_api_keys(fake: FakeDirectory) -> None:
    client = make_client(fake, api_keys=("k1-secret",))
    assert_envelope(client.get(f"/api/v1/instances/{GOOD_ID}"), 401, "Unauthorized")
    assert_envelope(
        client.get(f"/api/v1/instances/{GOOD_ID}", headers={"X-API-Key": "wrong"}), 401, "Unauthorized"
    )
    assert client.get(f"/api/v1/instances/{GOOD_ID}", headers={"X-API-Key": "k1-secret"}).status_code == 200
    assert (
        client.get(f"/api/v1/instances/{GOOD_ID}", headers={"Authorization": "Bearer k1-secret"}).status_code
        == 200
    )
    assert client.get("/healthz").status_code == 200  # health checks stay open
    assert client.get("/metrics").status_code == 200


def test_cors(fake: FakeDirectory) -> None:
    client = make_client(fake, cors_origins=("https://app.example",))
    allowed = client.get("/api/v1/regions", headers={"Origin": "https://app.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert "X-Request-Id" in allowed.headers["Access-Control-Expose-Headers"]
    other = client.get("/api/v1/regions", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = client.options(
        "/api/v1/regions", headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 200
    assert "X-API-Key" in preflight.headers["Access-Control-Allow-Headers"]
    assert (
        "Access-Control-Allow-Origin"
        not in make_client(fake).get("/", headers={"Origin": "https://x"}).headers
    )


def test_metrics_count_requests(client: FlaskClient) -> None:
    client.get(f"/api/v1/instances/{GOOD_ID}")
    text = client.get("/metrics").get_data(as_text=True)
    assert (
        'ecs_assistant_http_requests_total{method="GET",route="/api/v1/instances/<instance_id>",status="200"}'
        in text
    )
    assert "ecs_assistant_http_request_duration_seconds_bucket" in text


def test_metrics_method_label_is_bounded(client: FlaskClient) -> None:
    """A client choosing arbitrary HTTP methods must not mint a new metric series per request."""
    for n in range(3):
        response = client.open(f"/api/v1/instances/{GOOD_ID}", method=f"MADEUP{n}")
        assert_envelope(response, 405, "MethodNotAllowed")
    text = client.get("/metrics").get_data(as_text=True)
    assert "MADEUP" not in text
    assert 'method="other",route="unmatched",status="405"' in text


def test_access_log_is_json_with_request_id_and_no_secrets(
    fake: FakeDirectory, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(Settings(regions=fake.regions, api_keys=("k1-secret",)), directory=fake)
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Collect()
    logger = logging.getLogger("ecs_assistant.api.access")
    logger.addHandler(handler)
    try:
        app.test_client().get(
            f"/api/v1/instances/{GOOD_ID}?token=abc",
            headers={"X-API-Key": "k1-secret", "X-Request-Id": "req-1"},
        )
    finally:
        logger.removeHandler(handler)
    formatted = [logger.handlers[0].format(record) for record in records]
    line = json.loads(formatted[-1])
    assert line["requestId"] == "req-1"
    assert line["status"] == 200 and line["path"] == f"/api/v1/instances/{GOOD_ID}"
    assert "k1-secret" not in formatted[-1] and "abc" not in line["query"]


def test_web_page_is_served_or_404(client: FlaskClient) -> None:
    from ecs_assistant.api.routes import WEB_DIR

    response = client.get("/app/")
    if (WEB_DIR / "index.html").exists():
        assert response.status_code == 200 and response.mimetype == "text/html"
    else:
        assert_envelope(response, 404, "NotFound")
    assert client.get("/app").status_code == 308
    assert_envelope(client.get("/app/../../settings.py"), 404, "NotFound")


def test_openapi_describes_every_route(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    for path in (
        "/ecs/getServerInfo",
        "/api/v1/instances/{instance_id}",
        "/api/v1/instances",
        "/api/v1/regions",
        "/readyz",
    ):
        assert path in spec["paths"], path
    assert "ErrorOut" in spec["components"]["schemas"]
