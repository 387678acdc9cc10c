"""cdkcheck's own deploy-failure rules, one per module, registered explicitly here."""

from __future__ import annotations

from cdkcheck_rules import capacity_default_quotas, deploy_duration, vpc_subnet_capacity, vpc_subnet_cidr
from cdkcheck_rules import cfn_template_limits
from cdkcheck_rules import rds_iops
from cdkcheck_rules import rds_parameter_group_family
from cdkcheck_rules import rds_storage_range
from cdkcheck_rules import rds_subnet_group_azs
from cdkcheck_rules import opensearch_data_node_count
from cdkcheck_rules import opensearch_zone_subnets
from cdkcheck_rules import opensearch_master_count
from cdkcheck_rules import opensearch_domain_name
from cdkcheck_rules import opensearch_fgac_prerequisites
from cdkcheck_rules import opensearch_instance_features
from cdkcheck_rules import opensearch_ebs_limits
from cdkcheck_rules import (live_bootstrap_version, live_credentials, live_name_collisions, live_opensearch_instances,
                           live_quotas, live_rds_orderable, live_service_linked_roles, live_stack_state,
                           live_subnet_ips)
from cdkcheck_rules import cross_environment_names
from cdkcheck_rules import elasticache_encryption, elasticache_multi_az, elasticache_node_count, elasticache_node_type
from cdkcheck_rules import opensearch_access_policy, opensearch_standby_prerequisites
from cdkcheck_rules import live_referenced_secrets
from cdkcheck_rules import (update_data_loss, update_engine_downgrade, update_logical_id_refactor,
                           update_named_replacement, update_protected_replacement, update_storage_decrease)
from cdkcheck.ruleset import Rule

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
)

# Rules over every environment of a run at once (cdkcheck.engine.cross_environment runs them).
CROSS_ENVIRONMENT_RULES = (
    cross_environment_names.RULE,
)
