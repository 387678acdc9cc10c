"""The new account facts record and replay like the others (cdkcheck snapshot, --facts)."""

from __future__ import annotations

from cdkcheck.facts.interface import FACT_QUESTIONS, LambdaConcurrency, OfflineFacts, PermissionDecision
from cdkcheck.facts.live.record import RecordingFacts, ReplayFacts, decode, encode, question_key

NEW = ("simulate_principal_policy", "iam_principals", "registry_type_schema", "cloudformation_exports",
       "export_importers", "apigateway_cloudwatch_role", "lambda_concurrency", "cloudfront_aliases")


class _Account:
    def simulate_principal_policy(self, principal, actions, resources, context=()):
        return tuple(PermissionDecision(a, "*", "implicitDeny", ("Narrow",), ("aws:PrincipalTag/team",), False, None)
                     for a in actions)

    def lambda_concurrency(self):
        return LambdaConcurrency(limit=1000, unreserved=150)

    def iam_principals(self, kind):
        return {"ci-deployer": "arn:aws:iam::123456789012:role/ci-deployer"}


def test_new_questions_are_recorded_and_replayed():
    assert set(NEW) <= set(FACT_QUESTIONS)
    recorder = RecordingFacts(_Account())
    asked = (("simulate_principal_policy", "arn:aws:iam::1:role/x", ("rds:CreateDBInstance",), ("*",), ()),
             ("lambda_concurrency",), ("iam_principals", "role"))
    answers = [getattr(recorder, q[0])(*q[1:]) for q in asked]
    replay = ReplayFacts({question_key(e["question"], tuple(decode({"$tuple": e["args"]}))): e
                          for e in recorder.entries.values()}, "snapshot test.json")
    assert [getattr(replay, q[0])(*q[1:]) for q in asked] == answers
    assert decode(encode(answers[0])) == answers[0]


def test_offline_answers_every_new_question_with_skipped():
    offline = OfflineFacts()
    for name in NEW:
        try:
            getattr(offline, name)()
        except Exception as exc:
            assert getattr(exc, "skipped", False), name
