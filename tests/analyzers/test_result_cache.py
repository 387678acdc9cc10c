from __future__ import annotations

import json

from cdkcheck.analyzers.cache import CacheKey, ResultCache
from cdkcheck.serialize import finding_from_dict, finding_to_dict
from cdkcheck.model import Finding, Severity, Source, SourceLocation, Suppression

FULL = Finding(
    rule_id="CKV_AWS_16", source=Source.CHECKOV, severity=Severity.WARNING,
    message="Ensure all data stored in the RDS is securely encrypted at rest",
    stack="Prod/Orders", logical_id="Database", construct_path="Prod/Orders/Database",
    property_path="Properties/StorageEncrypted", fix="https://example.com/guide",
    evidence={"evaluated_keys": ["Properties/StorageEncrypted"], "column": 5},
    blocking=True, suppression=Suppression(reason="reviewed", origin="checkov", expires="2030-01-01"),
    location=SourceLocation(file="/x/ProdOrders.template.json", line=12, kind="template"), suppressible=False,
)
MINIMAL = Finding(rule_id="E3034", source=Source.CFN_LINT, severity=Severity.ERROR, message="too big")


def key(sha="a" * 64, **changes) -> CacheKey:
    fields = dict(analyzer="cfn-lint", version="1.58.0", template_sha256=sha, region="eu-west-1",
                  options={"ignore": ["W3005"], "format": "1"})
    fields.update(changes)
    return CacheKey(**fields)


def test_finding_round_trips_through_json_with_enums_as_values():
    data = json.loads(json.dumps(finding_to_dict(FULL)))
    assert data["source"] == "checkov" and data["severity"] == "warning"
    back = finding_from_dict(data)
    assert back == FULL
    assert back.evidence == FULL.evidence  # not part of ==, so checked on its own
    assert back.source is Source.CHECKOV and back.severity is Severity.WARNING
    assert finding_from_dict(finding_to_dict(MINIMAL)) == MINIMAL


def test_put_then_get_returns_the_findings(tmp_path):
    cache = ResultCache(tmp_path)
    assert cache.get(key()) is None
    cache.put(key(), [FULL, MINIMAL])
    assert cache.get(key()) == (FULL, MINIMAL)
    assert cache.get(key())[0].evidence == FULL.evidence


def test_an_empty_result_is_a_hit_not_a_miss(tmp_path):
    cache = ResultCache(tmp_path)
    cache.put(key(), [])
    assert cache.get(key()) == ()


def test_every_part_of_the_key_separates_entries(tmp_path):
    cache = ResultCache(tmp_path)
    cache.put(key(), [MINIMAL])
    for other in (key(sha="b" * 64), key(version="1.59.0"), key(region="us-east-1"), key(analyzer="checkov"),
                  key(options={"ignore": ["W3005", "W2001"], "format": "1"})):
        assert cache.get(other) is None, other


def test_options_order_does_not_matter(tmp_path):
    cache = ResultCache(tmp_path)
    cache.put(key(options={"a": 1, "b": [1, 2]}), [MINIMAL])
    assert cache.get(key(options={"b": (1, 2), "a": 1})) == (MINIMAL,)


def test_corrupt_and_foreign_entries_are_misses(tmp_path):
    cache = ResultCache(tmp_path)
    cache.put(key(), [MINIMAL])
    path = cache.path_for(key())
    path.write_text('{"format": 1, "key": ', encoding="utf-8")
    assert cache.get(key()) is None
    path.write_text(json.dumps({"format": 1, "key": key(sha="c" * 64).as_dict(), "findings": []}))
    assert cache.get(key()) is None
    path.write_text(json.dumps({"format": 1, "key": key().as_dict(), "findings": [{"rule_id": "X"}]}))
    assert cache.get(key()) is None
    path.write_text(json.dumps({"format": 1, "key": key().as_dict(),
                                "findings": [dict(finding_to_dict(MINIMAL), severity="fatal")]}))
    assert cache.get(key()) is None
    path.write_bytes(b"\xff\xfe")
    assert cache.get(key()) is None


def test_writes_leave_no_temporary_files(tmp_path):
    cache = ResultCache(tmp_path)
    cache.put(key(), [MINIMAL])
    cache.put(key(), [FULL])
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files == [cache.path_for(key())]
    assert cache.get(key()) == (FULL,)


def test_an_unwritable_cache_is_silently_skipped(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    cache = ResultCache(blocker)
    cache.put(key(), [MINIMAL])  # must not raise
    assert cache.get(key()) is None
