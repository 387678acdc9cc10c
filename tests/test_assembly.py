"""Reading cloud assemblies CDK really wrote: Stages, nested stacks, missing lookups."""


import pytest

from cdkcheck.app.assembly import load_assembly, load_template
from cdkcheck.errors import AssemblyError
from cdkcheck.app.synth import read_cdk_app, synthesize
from timeouts import scaled


def synth(app_dir, cache):
    outcome = synthesize(read_cdk_app(app_dir), extra_context={}, extra_env={}, cache_root=cache,
                         timeout=scaled(120))
    assert outcome.failure is None, outcome.failure
    return load_assembly(outcome.assembly_dir)


@pytest.mark.slow
def test_stages_become_stage_paths(apps, synth_cache):
    assembly = synth(apps / "staged", synth_cache)
    by_name = {s.display_name: s for s in assembly.stacks}
    assert set(by_name) == {"Staging/Storage", "Staging/Queues", "Production/Storage", "Production/Queues"}
    queues = by_name["Staging/Queues"]
    assert queues.stack_name == "Staging-Queues"
    assert (queues.account, queues.region) == ("111111111111", "us-east-1")
    assert queues.requires_bootstrap_version == 6
    paths = {r.construct_path for r in queues.template.resources.values()}
    assert "Staging/Queues/Jobs/Resource" in paths


@pytest.mark.slow
def test_nested_stacks_are_read_with_their_parent(apps, synth_cache):
    assembly = synth(apps / "nested", synth_cache)
    nested = assembly.stack("Nested-Staging/Storage")
    assert nested.parent == "Nested-Staging" and nested.is_nested
    assert nested.template.path.name.endswith(".nested.template.json")
    assert {r.type for r in nested.template.resources.values()} >= {"AWS::S3::Bucket", "AWS::SQS::Queue"}
    assert nested.construct_path_of("ArchiveDA4CB258") == "Nested-Staging/Storage/Archive/Resource"


@pytest.mark.slow
def test_unresolved_lookups_are_listed(apps, synth_cache):
    assembly = synth(apps / "missing_context", synth_cache)
    providers = {m.provider for m in assembly.missing_context}
    assert providers == {"vpc-provider", "availability-zones"}


def test_template_problems_name_the_file(tmp_path):
    truncated = tmp_path / "A.template.json"
    truncated.write_text('{"Resources": {"Q": {"Type": "AWS::SQS::Queue"')
    with pytest.raises(AssemblyError) as info:
        load_template(truncated)
    assert str(truncated) in str(info.value) and "not valid JSON" in str(info.value)
    with pytest.raises(AssemblyError, match="template file is missing"):
        load_template(tmp_path / "absent.template.json")
    resources_a_list = tmp_path / "B.template.json"
    resources_a_list.write_text('{"Resources": []}')
    with pytest.raises(AssemblyError, match="no Resources object"):
        load_template(resources_a_list)
    empty_file = tmp_path / "C.template.json"
    empty_file.write_text("")
    with pytest.raises(AssemblyError, match="template file is empty") as info:
        load_template(empty_file)
    assert str(empty_file) in str(info.value)


def test_a_template_without_resources_is_an_empty_stack_not_an_error(tmp_path):
    # What CDK writes for a stack without constructs: the bootstrap-version parameter and rule, no Resources.
    path = tmp_path / "Empty.template.json"
    path.write_text('{"Parameters": {"BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>", '
                    '"Default": "/cdk-bootstrap/hnb659fds/version"}}, "Rules": {}}')
    template = load_template(path)
    assert dict(template.resources) == {}
    assert "BootstrapVersion" in template.parameters


def test_yaml_templates_are_read(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Ref AWS::StackName\n")
    template = load_template(path)
    assert template.resources["Q"].properties == {"QueueName": {"Ref": "AWS::StackName"}}


@pytest.mark.parametrize("manifest, fragment", [
    (None, "cloud assembly manifest not found"),
    ("{broken", "is not valid JSON"),
    ('{"version": "999.0.0", "artifacts": {}}', "newer than cdkcheck understands"),
    ('{"artifacts": []}', "not a cloud assembly manifest"),
])
def test_bad_manifests_name_the_file(tmp_path, manifest, fragment):
    if manifest is not None:
        (tmp_path / "manifest.json").write_text(manifest)
    with pytest.raises(AssemblyError) as info:
        load_assembly(tmp_path)
    assert fragment in str(info.value) and "manifest.json" in str(info.value)
