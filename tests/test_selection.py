from pathlib import Path

import pytest

from cdkcheck.config import EnvironmentConfig
from cdkcheck.errors import UsageError
from cdkcheck.model import Assembly, Stack, Template
from cdkcheck.engine.selection import names_environment, select_stacks, words


def stack(display: str, name: str | None = None, parent: str | None = None) -> Stack:
    template = Template(path=Path(f"{display}.json"), body={"Resources": {}}, resources={}, sha256="0")
    return Stack(artifact_id=display.replace("/", ""), stack_name=name or display.replace("/", "-"),
                 display_name=display, account=None, region=None, template=template, parent=parent)


ASSEMBLY = Assembly(directory=Path("."), stacks=(
    stack("CourtCase-Staging-Network"),
    stack("CourtCase-Staging-Data"),
    stack("CourtCase-Staging-Data/Search", parent="CourtCase-Staging-Data"),
    stack("CourtCaseProductionNetwork"),
    stack("Production/Queues"),
    stack("Prestaging-Tools"),
))


def names(stacks):
    return [s.display_name for s in stacks]


def test_words_split_separators_and_camel_case():
    assert words("CourtCase-Staging-Network") == ["court", "case", "staging", "network"]
    assert words("CourtCaseProductionNetwork") == ["court", "case", "production", "network"]
    assert words("APIGateway-prod") == ["api", "gateway", "prod"]


def test_environment_must_be_a_whole_word():
    assert names_environment(stack("CourtCase-Staging-Data"), "staging")
    assert not names_environment(stack("Prestaging-Tools"), "staging")
    assert names_environment(stack("CourtCaseProductionNetwork"), "Production")


def test_without_config_the_name_selects_stacks_and_stages_with_nested_ones():
    chosen = select_stacks(ASSEMBLY, EnvironmentConfig(name="staging"))
    assert names(chosen) == ["CourtCase-Staging-Network", "CourtCase-Staging-Data", "CourtCase-Staging-Data/Search"]
    assert names(select_stacks(ASSEMBLY, EnvironmentConfig(name="production"))) == [
        "CourtCaseProductionNetwork", "Production/Queues"]


def test_config_globs_match_ids_and_stage_paths_case_insensitively():
    env = EnvironmentConfig(name="prod", stacks=("production/*", "*productionnetwork"), configured=True)
    assert names(select_stacks(ASSEMBLY, env)) == ["CourtCaseProductionNetwork", "Production/Queues"]


def test_configured_environment_without_globs_takes_every_stack():
    env = EnvironmentConfig(name="all", configured=True)
    assert len(select_stacks(ASSEMBLY, env)) == len(ASSEMBLY.stacks)


def test_cli_globs_narrow_the_selection():
    chosen = select_stacks(ASSEMBLY, EnvironmentConfig(name="staging"), ["*-Data"])
    assert names(chosen) == ["CourtCase-Staging-Data", "CourtCase-Staging-Data/Search"]


def test_no_match_is_a_usage_error_listing_what_was_found():
    with pytest.raises(UsageError) as info:
        select_stacks(ASSEMBLY, EnvironmentConfig(name="qa"))
    message = str(info.value)
    assert "no stacks selected for environment 'qa'" in message
    assert "CourtCase-Staging-Network" in message and "Production/Queues" in message


def test_stack_globs_narrow_the_stacks_named_with_the_environment():
    chosen = select_stacks(ASSEMBLY, EnvironmentConfig(name="staging"), ("*Network*",))
    assert names(chosen) == ["CourtCase-Staging-Network"]  # not CourtCaseProductionNetwork


def test_stack_globs_choose_the_stacks_of_an_environment_no_stack_is_named_with():
    chosen = select_stacks(ASSEMBLY, EnvironmentConfig(name="qa"), ("Prestaging-*",))
    assert names(chosen) == ["Prestaging-Tools"]


def test_the_implicit_environment_takes_every_stack_with_their_nested_stacks():
    from cdkcheck.config import parse_config

    implicit = parse_config({}, None).default_environments()
    assert [e.name for e in implicit] == ["default"] and implicit[0].implicit
    assert len(select_stacks(ASSEMBLY, implicit[0])) == len(ASSEMBLY.stacks)


def test_nothing_matching_a_stack_glob_suggests_one_that_matches():
    with pytest.raises(UsageError) as raised:
        select_stacks(ASSEMBLY, EnvironmentConfig(name="staging"), ("Nope*",))
    assert "`--stack CourtCase-Staging-Network`" in raised.value.hint
