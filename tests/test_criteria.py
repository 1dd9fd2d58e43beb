"""gmmkit.criteria: the one table of model-selection criteria."""

from gmmkit.cli import build_parser
from gmmkit.criteria import CRITERIA, INFORMATION_CRITERIA
from gmmkit.selection import TABLE_COLUMNS


def test_every_criterion_is_held_in_a_column_of_the_selection_table():
    assert {criterion.column for criterion in CRITERIA.values()} <= set(TABLE_COLUMNS)


def test_information_criteria_are_bic_aic_icl_and_lower_is_better():
    assert INFORMATION_CRITERIA == ("bic", "aic", "icl")
    assert not any(CRITERIA[name].higher_is_better for name in INFORMATION_CRITERIA)


def test_the_command_line_offers_exactly_the_tables_criteria():
    select = build_parser()._subparsers._group_actions[0].choices["select"]
    criterion = next(action for action in select._actions if action.dest == "criterion")
    assert tuple(criterion.choices) == tuple(CRITERIA)
