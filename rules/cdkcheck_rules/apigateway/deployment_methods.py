"""CDKC-A1: a REST API deployment is created while its API has no method."""

from __future__ import annotations

from typing import Iterator

from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, SourcedFact
from cdkcheck.template.intrinsics import ResourceRef, follow
from cdkcheck_rules.iam.support import waits_for
from cdkcheck_rules.toolkit import Resolution, violation_or_undetermined

API = "AWS::ApiGateway::RestApi"
DEPLOYMENT = "AWS::ApiGateway::Deployment"
METHOD = "AWS::ApiGateway::Method"

META = RuleMeta(
    id="CDKC-A1",
    name="apigateway-deployment-without-methods",
    summary="An API Gateway deployment of a REST API with no method, or one not ordered after any of the API's "
            "methods.",
    severity=Severity.ERROR,
    resource_types=(DEPLOYMENT, API, METHOD),
    rationale=(
        "CreateDeployment refuses a REST API without methods: 'The REST API doesn't contain any methods' "
        "(BadRequestException). In a template that happens when the API defines no AWS::ApiGateway::Method (and "
        "no OpenAPI Body), or when the Deployment does not depend on any of its methods: CloudFormation then may "
        "create it right after the RestApi (cloudtools/troposphere#496, mapbox lambda-cfn#32). CDK's RestApi adds "
        "the dependencies itself. APIs defined by Body/BodyS3Location or outside the template are not checked."
    ),
    docs_url="https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-apigateway-deployment.html",
    fix="Add at least one method to the API and make the deployment depend on the methods (DependsOn, or CDK's "
        "RestApi / deployment.node.add_dependency(method)).",
    example="CfnRestApi + CfnDeployment(rest_api_id=api.ref) with the methods added in another construct and no "
            "dependency between them.",
    facts=(
        SourcedFact("the deployment needs the methods to exist: add a DependsOn on them",
                    "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-apigateway-deployment.html"),
        SourcedFact("'The REST API doesn't contain any methods' on a CloudFormation create",
                    "https://github.com/cloudtools/troposphere/issues/496"),
    ),
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    resolution = Resolution(ctx)
    methods: dict[tuple[int, str], list[tuple[int, str]]] = {}
    for view, method in resolution.resources(METHOD):
        api_ref = view.prop(method, "RestApiId")
        if isinstance(api_ref, ResourceRef) and follow(api_ref) is not None:
            methods.setdefault((id(api_ref.template), api_ref.logical_id), []).append(
                (id(view.template), method.logical_id))
    for view, deployment in resolution.resources(DEPLOYMENT):
        api_ref = view.prop(deployment, "RestApiId")
        api = follow(api_ref)
        if not isinstance(api_ref, ResourceRef) or api is None or api.type != API:
            continue
        home = resolution.view_of(api_ref.template) or view
        if any(home.prop(api, key) is not None for key in ("Body", "BodyS3Location", "CloneFrom")):
            continue  # methods come from the OpenAPI definition or the cloned API
        own = methods.get((id(api_ref.template), api.logical_id), [])
        if not own:
            message = (f"REST API {api.construct_path or api.logical_id} has no method in the template: "
                       "'The REST API doesn't contain any methods'")
        elif all(t == id(view.template) for t, _ in own) and not any(
                waits_for(deployment, m, view.template.resources) for _, m in own):
            message = (f"the deployment does not depend on any of the {len(own)} method(s) of REST API "
                       f"{api.construct_path or api.logical_id}: CloudFormation may create it first and API Gateway "
                       "refuses it ('The REST API doesn't contain any methods')")
        else:
            continue
        yield violation_or_undetermined(view, deployment, message, evidence={"rest_api": api.logical_id,
                                                                            "methods": [m for _, m in own]},
                                        property_path="Properties/RestApiId")


RULE = Rule(meta=META, evaluate=evaluate)
