"""cdkcheck's own deploy-failure rules: one folder per family, one module per rule, registered explicitly here.

Rules import only cdkcheck.model, cdkcheck.ruleset, cdkcheck.facts.interface, cdkcheck.template,
cdkcheck.updates and this package (the toolkit and their family's helpers); tests/test_layers.py holds them to it.
"""

from __future__ import annotations

from cdkcheck.ruleset import Rule
from cdkcheck_rules.apigateway import deployment_methods as apigateway_deployment_methods
from cdkcheck_rules.cloudfront import certificate_region as cloudfront_certificate_region
from cdkcheck_rules.cloudfront import edge_functions as cloudfront_edge_functions
from cdkcheck_rules.cloudfront import log_bucket_acl as cloudfront_log_bucket_acl
from cdkcheck_rules.ecs import target_type as ecs_target_type
from cdkcheck_rules.elasticache import encryption as elasticache_encryption
from cdkcheck_rules.elasticache import multi_az as elasticache_multi_az
from cdkcheck_rules.elasticache import node_count as elasticache_node_count
from cdkcheck_rules.elasticache import node_type as elasticache_node_type
from cdkcheck_rules.iam import policy_size as iam_policy_size
from cdkcheck_rules.iam import principal_order as iam_principal_order
from cdkcheck_rules.live import apigateway_cloudwatch_role as live_apigateway_cloudwatch_role
from cdkcheck_rules.live import bootstrap_version as live_bootstrap_version
from cdkcheck_rules.live import cloudfront_aliases as live_cloudfront_aliases
from cdkcheck_rules.live import credentials as live_credentials
from cdkcheck_rules.live import export_in_use as live_export_in_use
from cdkcheck_rules.live import lambda_concurrency_floor as live_lambda_concurrency_floor
from cdkcheck_rules.live import name_collisions as live_name_collisions
from cdkcheck_rules.live import opensearch_instances as live_opensearch_instances
from cdkcheck_rules.live import quotas as live_quotas
from cdkcheck_rules.live import rds_orderable as live_rds_orderable
from cdkcheck_rules.live import referenced_secrets as live_referenced_secrets
from cdkcheck_rules.live import service_linked_roles as live_service_linked_roles
from cdkcheck_rules.live import stack_state as live_stack_state
from cdkcheck_rules.live import subnet_ips as live_subnet_ips
from cdkcheck_rules.opensearch import access_policy as opensearch_access_policy
from cdkcheck_rules.opensearch import data_node_count as opensearch_data_node_count
from cdkcheck_rules.opensearch import domain_name as opensearch_domain_name
from cdkcheck_rules.opensearch import ebs_limits as opensearch_ebs_limits
from cdkcheck_rules.opensearch import fgac_prerequisites as opensearch_fgac_prerequisites
from cdkcheck_rules.opensearch import instance_features as opensearch_instance_features
from cdkcheck_rules.opensearch import master_count as opensearch_master_count
from cdkcheck_rules.opensearch import standby_prerequisites as opensearch_standby_prerequisites
from cdkcheck_rules.opensearch import zone_subnets as opensearch_zone_subnets
from cdkcheck_rules.permissions import deploy_role as permissions_deploy_role
from cdkcheck_rules.permissions import ecs_execution_secrets as permissions_ecs_execution_secrets
from cdkcheck_rules.permissions import lambda_vpc_eni as permissions_lambda_vpc_eni
from cdkcheck_rules.permissions import log_group_key_policy as permissions_log_group_key_policy
from cdkcheck_rules.permissions import policy_principals as permissions_policy_principals
from cdkcheck_rules.rds import iops as rds_iops
from cdkcheck_rules.rds import parameter_group_family as rds_parameter_group_family
from cdkcheck_rules.rds import storage_range as rds_storage_range
from cdkcheck_rules.rds import subnet_group_azs as rds_subnet_group_azs
from cdkcheck_rules.route53 import duplicate_records as route53_duplicate_records
from cdkcheck_rules.s3 import public_policy_blocked as s3_public_policy_blocked
from cdkcheck_rules.stack import cross_environment_names
from cdkcheck_rules.stack import deploy_duration
from cdkcheck_rules.stack import template_limits as cfn_template_limits
from cdkcheck_rules.update import cognito_schema as update_cognito_schema
from cdkcheck_rules.update import data_loss as update_data_loss
from cdkcheck_rules.update import engine_downgrade as update_engine_downgrade
from cdkcheck_rules.update import gsi_changes as update_gsi_changes
from cdkcheck_rules.update import logical_id_refactor as update_logical_id_refactor
from cdkcheck_rules.update import named_replacement as update_named_replacement
from cdkcheck_rules.update import protected_replacement as update_protected_replacement
from cdkcheck_rules.update import storage_decrease as update_storage_decrease
from cdkcheck_rules.vpc import default_quotas as capacity_default_quotas
from cdkcheck_rules.vpc import subnet_capacity as vpc_subnet_capacity
from cdkcheck_rules.vpc import subnet_cidr as vpc_subnet_cidr

# Explicit registry: adding a rule is its module plus one line here.
ALL_RULES: tuple[Rule, ...] = (
    deploy_duration.RULE,
    cfn_template_limits.RULE,
    vpc_subnet_capacity.RULE,
    vpc_subnet_cidr.RULE,
    capacity_default_quotas.RULE,
    rds_storage_range.RULE,
    rds_iops.RULE,
    rds_parameter_group_family.RULE,
    rds_subnet_group_azs.RULE,
    opensearch_data_node_count.RULE,
    opensearch_zone_subnets.RULE,
    opensearch_master_count.RULE,
    opensearch_domain_name.RULE,
    opensearch_fgac_prerequisites.RULE,
    opensearch_instance_features.RULE,
    opensearch_ebs_limits.RULE,
    live_quotas.RULE,
    live_subnet_ips.RULE,
    live_rds_orderable.RULE,
    live_opensearch_instances.RULE,
    live_service_linked_roles.RULE,
    live_name_collisions.RULE,
    live_stack_state.RULE,
    live_bootstrap_version.RULE,
    live_credentials.RULE,
    elasticache_encryption.RULE,
    elasticache_node_count.RULE,
    elasticache_multi_az.RULE,
    elasticache_node_type.RULE,
    opensearch_access_policy.RULE,
    opensearch_standby_prerequisites.RULE,
    live_referenced_secrets.RULE,
    update_named_replacement.RULE,
    update_protected_replacement.RULE,
    update_storage_decrease.RULE,
    update_engine_downgrade.RULE,
    update_data_loss.RULE,
    update_logical_id_refactor.RULE,
    update_gsi_changes.RULE,
    update_cognito_schema.RULE,
    cloudfront_certificate_region.RULE,
    cloudfront_log_bucket_acl.RULE,
    cloudfront_edge_functions.RULE,
    iam_policy_size.RULE,
    iam_principal_order.RULE,
    route53_duplicate_records.RULE,
    s3_public_policy_blocked.RULE,
    ecs_target_type.RULE,
    apigateway_deployment_methods.RULE,
    permissions_deploy_role.RULE,
    permissions_lambda_vpc_eni.RULE,
    permissions_log_group_key_policy.RULE,
    permissions_ecs_execution_secrets.RULE,
    permissions_policy_principals.RULE,
    live_cloudfront_aliases.RULE,
    live_apigateway_cloudwatch_role.RULE,
    live_export_in_use.RULE,
    live_lambda_concurrency_floor.RULE,
)

# Rules over every environment of a run at once (cdkcheck.engine.cross_environment runs them).
CROSS_ENVIRONMENT_RULES = (
    cross_environment_names.RULE,
)
