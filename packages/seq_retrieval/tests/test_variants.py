"""The variant client: response mapping, the API over HTTP (local server), the responses file."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from pavi_seq_retrieval.model import Variant
from pavi_seq_retrieval.variants import (
    DEFAULT_API_URL,
    VariantApi,
    VariantError,
    fetch_variants,
    load_variants_file,
    variant_from_response,
)
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

SNV = {
    "location": {"chromosome": "X", "start": 5, "end": 5},
    "genomicReferenceSequence": "C",
    "genomicVariantSequence": "T",
    "id": "ignored",
}


def api(server: HTTPServer, **options: Any) -> VariantApi:
    return VariantApi(base_url=server.url_for("/api/variant/"), backoff=0.01, **options)


def test_mapping_of_the_response_fields() -> None:
    assert variant_from_response("my-id", SNV) == Variant("my-id", "X", 5, 5, "C", "T")
    deletion = {
        "location": {"chromosome": "X", "start": 3, "end": 4},
        "genomicReferenceSequence": "GA",
        "genomicVariantSequence": None,
    }
    assert variant_from_response("d", deletion) == Variant("d", "X", 3, 4, "GA", "")
    insertion = {
        "location": {"chromosome": "X", "start": 3, "end": 4},
        "genomicVariantSequence": "acg",
    }
    assert variant_from_response("i", insertion) == Variant("i", "X", 3, 4, "", "acg")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ([], "is not a JSON object"),
        ({}, "location is missing"),
        ({"location": {"start": 1, "end": 1}}, "location.chromosome is missing"),
        ({"location": {"chromosome": "X", "end": 1}}, "location.start is missing"),
        ({"location": {"chromosome": "X", "start": 1}}, "location.end is missing"),
        ({"location": {"chromosome": "X", "start": "1", "end": 1}}, "location.start is not an"),
        ({**SNV, "genomicReferenceSequence": 5}, "genomicReferenceSequence is not a string"),
        (
            {"location": {"chromosome": "X", "start": 1, "end": 1}, "genomicVariantSequence": "A"},
            "invalid variant: insertion must be given by its two flanking bases",
        ),
        (
            {"location": {"chromosome": "X", "start": 2, "end": 1}, "genomicVariantSequence": "A"},
            "invalid variant: start 2 is greater than end 1",
        ),
        ({"location": {"chromosome": "X", "start": 1, "end": 1}}, "invalid variant: reference"),
    ],
)
def test_unusable_responses(body: Any, expected: str) -> None:
    with pytest.raises(VariantError) as info:
        variant_from_response("v1", body)
    assert info.value.field == "variant_ids"
    assert str(info.value).startswith("variant_ids: v1: ")
    assert expected in str(info.value)


def test_url_quoting_like_the_original() -> None:
    client = VariantApi()
    assert client.base_url == DEFAULT_API_URL
    assert client.url_for("NC_003284.9:g.5114224C>T") == (
        "https://www.alliancegenome.org/api/variant/NC_003284.9:g.5114224C%3ET"
    )
    assert VariantApi(base_url="http://h/v").url_for("a b") == "http://h/v/a%20b"


@pytest.mark.parametrize(
    ("variant_id", "segment"),
    [
        ("../../admin", "..%2F..%2Fadmin"),
        ("a/b?c=1#d", "a%2Fb%3Fc=1%23d"),
        ("x%2Fy", "x%252Fy"),
        ("g.(?_234)del", "g.(%3F_234)del"),
        ("NC_1:g.[5C>T;7A>G]", "NC_1:g.%5B5C%3ET;7A%3EG%5D"),  # as the original sent it
    ],
)
def test_ids_stay_one_segment_of_the_api_path(
    httpserver: HTTPServer, variant_id: str, segment: str
) -> None:
    def answer(request: Request) -> Response:
        return Response(json.dumps(SNV), content_type="application/json")

    httpserver.expect_request(re.compile("^/")).respond_with_handler(answer)
    api(httpserver).fetch(variant_id)
    ((request, _),) = httpserver.log
    assert request.environ["RAW_URI"] == f"/api/variant/{segment}"
    assert request.path == f"/api/variant/{variant_id}"  # the server decodes the id back


def test_base_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAVI_VARIANT_API_URL", "http://example.invalid/api/")
    assert VariantApi.from_env().base_url == "http://example.invalid/api/"
    assert VariantApi.from_env("http://other/").base_url == "http://other/"


def test_fetch_from_the_api(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/variant/NC_1:g.5C>T").respond_with_json(SNV)
    assert api(httpserver).fetch("NC_1:g.5C>T") == Variant("NC_1:g.5C>T", "X", 5, 5, "C", "T")
    ((request, _),) = httpserver.log
    assert request.environ["RAW_URI"] == "/api/variant/NC_1:g.5C%3ET"


def test_500_then_200_is_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/api/variant/v").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/api/variant/v").respond_with_data("oops", status=500)
    httpserver.expect_ordered_request("/api/variant/v").respond_with_json(SNV)
    assert api(httpserver, attempts=3).fetch("v").seq_id == "X"
    assert len(httpserver.log) == 3


def test_persistent_500_fails_after_the_attempts(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/variant/v").respond_with_data("down", status=500)
    with pytest.raises(VariantError) as info:
        api(httpserver, attempts=2).fetch("v")
    assert "v: variant API failed after 2 attempts: HTTP 500" in str(info.value)
    assert len(httpserver.log) == 2


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (404, "no such variant", "v: unknown variant (HTTP 404 from "),
        (403, "forbidden", "v: HTTP 403 from "),
        (200, "<html>not json</html>", "is not JSON"),
    ],
)
def test_fatal_answers_are_not_retried(
    httpserver: HTTPServer, status: int, body: str, expected: str
) -> None:
    httpserver.expect_request("/api/variant/v").respond_with_data(body, status=status)
    with pytest.raises(VariantError) as info:
        api(httpserver, attempts=3).fetch("v")
    assert expected in str(info.value)
    assert len(httpserver.log) == 1


def test_timeout_is_retried_then_fails(httpserver: HTTPServer) -> None:
    def slow(_request: Request) -> Response:
        time.sleep(0.6)
        return Response(json.dumps(SNV), content_type="application/json")

    httpserver.expect_request("/api/variant/v").respond_with_handler(slow)
    with pytest.raises(VariantError) as info:
        api(httpserver, attempts=2, timeout=0.2).fetch("v")
    assert "failed after 2 attempts: no answer within 0.2 s" in str(info.value)


def test_unreachable_api_fails_with_one_line() -> None:
    client = VariantApi(base_url="http://127.0.0.1:9/api/", attempts=2, backoff=0.01, timeout=1)
    with pytest.raises(VariantError) as info:
        client.fetch("v")
    assert "cannot reach http://127.0.0.1:9/api/v" in str(info.value)
    assert "\n" not in str(info.value)


def test_several_ids_are_fetched_concurrently_and_deduplicated(httpserver: HTTPServer) -> None:
    active, peak = 0, 0
    lock = threading.Lock()

    def answer(request: Request) -> Response:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.2)
        with lock:
            active -= 1
        position = int(request.path.rsplit("/", 1)[1][1:])
        body = {
            "location": {"chromosome": "X", "start": position, "end": position},
            "genomicReferenceSequence": "A",
            "genomicVariantSequence": "G",
        }
        return Response(json.dumps(body), content_type="application/json")

    server = HTTPServer(threaded=True)
    server.start()
    try:
        server.expect_request("/api/variant/p1").respond_with_handler(answer)
        server.expect_request("/api/variant/p2").respond_with_handler(answer)
        server.expect_request("/api/variant/p3").respond_with_handler(answer)
        client = VariantApi(base_url=server.url_for("/api/variant/"))
        variants = fetch_variants(["p3", "p1", "p3", "p2"], client)
    finally:
        server.clear()
        server.stop()
    assert [v.variant_id for v in variants] == ["p3", "p1", "p2"]
    assert [v.start for v in variants] == [3, 1, 2]
    assert peak >= 2


def test_responses_file_wins_and_the_api_serves_the_rest(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    path = tmp_path / "variants.json"
    path.write_text(json.dumps({"a": SNV}))
    httpserver.expect_request("/api/variant/b").respond_with_json(
        {**SNV, "location": {"chromosome": "II", "start": 9, "end": 9}}
    )
    variants = fetch_variants(["a", "b"], api(httpserver), load_variants_file(str(path)))
    assert [(v.variant_id, v.seq_id) for v in variants] == [("a", "X"), ("b", "II")]
    assert len(httpserver.log) == 1


def test_responses_file_from_s3(s3_bucket: str, testdata: Path) -> None:
    import boto3

    source = testdata / "cases" / "syn-substitutions" / "variants.json"
    boto3.client("s3").put_object(
        Bucket=s3_bucket, Key="in/variants.json", Body=source.read_bytes()
    )
    responses = load_variants_file(f"s3://{s3_bucket}/in/variants.json")
    assert responses == json.loads(source.read_text())


@pytest.mark.parametrize(
    ("content", "expected"), [("[1]", "must hold a JSON object"), ("{", "invalid JSON")]
)
def test_bad_responses_file(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "v.json"
    path.write_text(content)
    with pytest.raises(VariantError) as info:
        load_variants_file(str(path))
    assert info.value.field == "variants_file"
    assert expected in str(info.value)


def test_missing_responses_file(tmp_path: Path) -> None:
    with pytest.raises(VariantError) as info:
        load_variants_file(str(tmp_path / "none.json"))
    assert str(info.value).startswith("variants_file: ")
