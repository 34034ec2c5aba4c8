"""Variants by id: the Alliance variant API (docs/retrieval.md, "Fetching variants") or a
responses file."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import requests

    from pavi_seq_retrieval.model import Variant

__all__ = [
    "API_URL_ENV",
    "DEFAULT_API_URL",
    "VariantApi",
    "VariantError",
    "VariantLookup",
    "fetch_variants",
    "load_variants_file",
    "variant_from_response",
]

DEFAULT_API_URL = "https://www.alliancegenome.org/api/variant/"
API_URL_ENV = "PAVI_VARIANT_API_URL"
#: What stays unescaped in a variant id: requests' safe set less ``/?#%`` (one path segment).
_SEGMENT_SAFE = "!$&'()*+,:;=@[]~"
MAX_WORKERS = 8


class VariantError(Exception):
    """A variant that cannot be obtained or used: fatal (exit 1)."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = " ".join(problem.split())  # one line
        super().__init__(f"{field}: {self.problem}")


def _lookup_error(variant_id: str, problem: str) -> VariantError:
    return VariantError("variant_ids", f"{variant_id}: {problem}")


class _TransientError(Exception):
    """A failure worth retrying (timeout, connection error, HTTP 5xx)."""


def _int_field(variant_id: str, location: Mapping[str, Any], key: str) -> int:
    value = location.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        problem = "is missing" if value is None else f"is not an integer ({value!r})"
        raise _lookup_error(variant_id, f"location.{key} {problem} in the variant API response")
    return value


def _allele(variant_id: str, body: Mapping[str, Any], key: str) -> str:
    value = body.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _lookup_error(variant_id, f"{key} is not a string in the variant API response")
    return value


def variant_from_response(variant_id: str, body: Any) -> Variant:
    """Map one API response body to a ``Variant`` (fields of docs/retrieval.md,
    "Fetching variants")."""
    from pavi_seq_retrieval.model import Variant  # noqa: PLC0415

    if not isinstance(body, dict):
        raise _lookup_error(variant_id, "the variant API response is not a JSON object")
    location = body.get("location")
    if not isinstance(location, dict):
        raise _lookup_error(variant_id, "location is missing from the variant API response")
    chromosome = location.get("chromosome")
    if not isinstance(chromosome, str) or not chromosome:
        raise _lookup_error(
            variant_id, "location.chromosome is missing from the variant API response"
        )
    start = _int_field(variant_id, location, "start")
    end = _int_field(variant_id, location, "end")
    ref = _allele(variant_id, body, "genomicReferenceSequence")
    alt = _allele(variant_id, body, "genomicVariantSequence")
    try:
        return Variant(variant_id, chromosome, start, end, ref, alt)
    except ValueError as err:
        raise _lookup_error(variant_id, f"invalid variant: {err}") from None


@dataclass
class VariantApi:
    """GET ``{base_url}{variant_id}``, with a timeout and bounded retries (exponential backoff)."""

    base_url: str = DEFAULT_API_URL
    timeout: float = 30.0
    attempts: int = 4
    backoff: float = 0.5
    _session: requests.Session | None = field(default=None, init=False, repr=False)

    @classmethod
    def from_env(cls, base_url: str | None = None, **options: Any) -> VariantApi:
        """``base_url`` if given, else ``$PAVI_VARIANT_API_URL``, else the Alliance API."""
        url = base_url or os.environ.get(API_URL_ENV) or DEFAULT_API_URL
        return cls(base_url=url, **options)

    def url_for(self, variant_id: str) -> str:
        """The request URL: the id as one path segment, quoted like requests does, except that
        ``/``, ``?``, ``#`` and ``%`` are escaped too (they would leave the API's path)."""
        from urllib.parse import quote  # noqa: PLC0415

        from requests.utils import requote_uri  # noqa: PLC0415

        base = self.base_url if self.base_url.endswith("/") else self.base_url + "/"
        return str(requote_uri(base)) + quote(variant_id, safe=_SEGMENT_SAFE)

    def _get_session(self) -> requests.Session:
        import requests  # noqa: PLC0415 (slow import, only when variants are fetched)

        if self._session is None:
            self._session = requests.Session()
            self._session.headers.update(
                {"Accept": "application/json", "User-Agent": "pavi-seq-retrieval"}
            )
        return self._session

    def _get_once(self, variant_id: str, url: str) -> Any:
        import requests  # noqa: PLC0415

        try:
            response = self._get_session().get(url, timeout=self.timeout)
        except requests.Timeout:
            raise _TransientError(f"no answer within {self.timeout:g} s from {url}") from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as err:
            raise _TransientError(f"cannot reach {url} ({type(err).__name__})") from None
        except requests.RequestException as err:
            raise _lookup_error(variant_id, f"request to {url} failed: {err}") from None
        status = response.status_code
        if status >= 500:
            raise _TransientError(f"HTTP {status} from {url}")
        if status == 404:
            raise _lookup_error(variant_id, f"unknown variant (HTTP 404 from {url})")
        if not 200 <= status < 300:
            raise _lookup_error(variant_id, f"HTTP {status} from {url}")
        try:
            return response.json()
        except ValueError:
            raise _lookup_error(variant_id, f"the answer from {url} is not JSON") from None

    def fetch_response(self, variant_id: str) -> Any:
        """The decoded JSON body for one id (retrying transient failures)."""
        from tenacity import (  # noqa: PLC0415
            Retrying,
            retry_if_exception_type,
            stop_after_attempt,
            wait_exponential,
        )

        url = self.url_for(variant_id)
        retrying = Retrying(
            stop=stop_after_attempt(max(1, self.attempts)),
            wait=wait_exponential(multiplier=self.backoff, max=10),
            retry=retry_if_exception_type(_TransientError),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._get_once(variant_id, url)
        except _TransientError as err:
            raise _lookup_error(
                variant_id, f"variant API failed after {max(1, self.attempts)} attempts: {err}"
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def fetch(self, variant_id: str) -> Variant:
        """One variant by id."""
        return variant_from_response(variant_id, self.fetch_response(variant_id))


def load_variants_file(uri: str) -> dict[str, Any]:
    """A JSON object mapping variant id -> API response body, from a path or s3:// URI."""
    from pavi_common_s3 import StorageError, read_json  # noqa: PLC0415

    try:
        data = read_json(uri)
    except StorageError as err:
        raise VariantError("variants_file", str(err)) from None
    if not isinstance(data, dict):
        raise VariantError(
            "variants_file", f"{uri}: must hold a JSON object (variant id -> response)"
        )
    return data


class VariantLookup:
    """Variants of one job's entries, each distinct id looked up once.

    Responses from the variants file win over the API; ids missing there are fetched from the
    API, several at a time. A failed lookup is remembered and raised for every entry using it.
    """

    def __init__(self, responses: Mapping[str, Any], api: Callable[[], VariantApi]) -> None:
        self._responses = responses
        self._api = api
        self._found: dict[str, Variant | VariantError] = {}

    def prefetch(self, variant_ids: Iterable[str]) -> None:
        """Look up every id not seen yet (API ids concurrently); failures are kept, not raised."""
        ids = [vid for vid in dict.fromkeys(variant_ids) if vid not in self._found]
        remote = [vid for vid in ids if vid not in self._responses]
        for vid in ids:
            if vid in self._responses:
                self._found[vid] = _or_error(
                    partial(variant_from_response, vid, self._responses[vid])
                )
        if not remote:
            return
        client = self._api()
        if len(remote) == 1:
            self._found[remote[0]] = _or_error(lambda: client.fetch(remote[0]))
            return
        with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(remote))) as pool:
            futures: dict[str, Future[Variant | VariantError]] = {
                vid: pool.submit(_or_error, partial(client.fetch, vid)) for vid in remote
            }
            try:
                for vid, future in futures.items():
                    self._found[vid] = future.result()
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise

    def variants(self, variant_ids: Iterable[str]) -> list[Variant]:
        """The variants of the distinct ids in first-seen order; the first failing id raises."""
        ids = list(dict.fromkeys(variant_ids))
        self.prefetch(ids)
        found = []
        for vid in ids:
            variant = self._found[vid]
            if isinstance(variant, VariantError):
                raise variant
            found.append(variant)
        return found


def _or_error(lookup: Callable[[], Variant]) -> Variant | VariantError:
    try:
        return lookup()
    except VariantError as err:
        return err


def fetch_variants(
    variant_ids: Iterable[str],
    api: VariantApi | None = None,
    responses: Mapping[str, Any] | None = None,
) -> list[Variant]:
    """The variants of the distinct ids, in first-seen order; file responses win over the API.

    Ids missing from ``responses`` are fetched from the API, several at a time. The first failing
    id (in id order) raises ``VariantError``.
    """
    return VariantLookup(responses or {}, lambda: api or VariantApi.from_env()).variants(
        variant_ids
    )
