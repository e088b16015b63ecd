"""How much work one GraphQL request may ask for, decided before any resolver runs.

Depth and token counts are limited by strawberry's own extensions (see schema.py); this module
adds a cost limit. The cost of an operation: every selected field costs 1, multiplied by the
page size (`first`, default DEFAULT_PAGE; `top` for tag values) of every paginated field around
it, so `issues(first: 100) { edges { node { events(first: 100) { ... } } } }` costs ten thousand
times its innermost fields, while aliases and repeated fields each add their own cost. A request
over MAX_COST is refused with one clear error, not a 500 after the database did the work.
It never runs a resolver or touches a database.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)
from graphql.validation import ValidationRule
from strawberry.extensions import SchemaExtension

MAX_COST = 10_000
DEFAULT_PAGE = 25  # what a paginated field returns without `first` (types.DEFAULT_PAGE)
DEFAULT_TOP = 5  # tag values per key without `top` (Issue.tags)
PAGE_ARGUMENTS = {"first": DEFAULT_PAGE, "top": DEFAULT_TOP}


def operation_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
) -> int:
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    return _selection_cost(schema, root, operation.selection_set, fragments, variables, set())


def _selection_cost(
    schema: GraphQLSchema,
    parent: GraphQLObjectType | Any,
    selections: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    seen: set[str],
) -> int:
    cost = 0
    for field, field_parent, field_seen in _fields(schema, parent, selections, fragments, seen):
        definition = getattr(field_parent, "fields", {}).get(field.name.value)
        cost += 1
        if definition is None or field.selection_set is None:
            continue
        multiplier = 1
        for name, default in PAGE_ARGUMENTS.items():
            if name in definition.args:
                multiplier = max(multiplier, _int_argument(field, name, variables, default))
        child = get_named_type(definition.type)
        cost += multiplier * _selection_cost(
            schema, child, field.selection_set, fragments, variables, field_seen
        )
    return cost


def _fields(
    schema: GraphQLSchema,
    parent: Any,
    selections: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    seen: set[str],
) -> Iterator[tuple[FieldNode, Any, set[str]]]:
    """The fields selected on `parent`, through inline fragments and fragment spreads, each with
    the fragments it is inside of (a fragment inside itself is not followed again)."""
    for selection in selections.selections if selections else ():
        if isinstance(selection, FieldNode):
            yield selection, parent, seen
        elif isinstance(selection, InlineFragmentNode):
            on = schema.get_type(selection.type_condition.name.value) if selection.type_condition else parent
            yield from _fields(schema, on or parent, selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in seen:  # unknown or cyclic: other validation rules report it
                continue
            on = schema.get_type(fragment.type_condition.name.value) or parent
            yield from _fields(schema, on, fragment.selection_set, fragments, seen | {name})


def _int_argument(field: FieldNode, name: str, variables: Mapping[str, Any], default: int) -> int:
    for argument in field.arguments or ():
        if argument.name.value != name:
            continue
        value: Any = argument.value
        if isinstance(value, VariableNode):
            value = variables.get(value.name.value, default)
        elif isinstance(value, IntValueNode):
            value = int(value.value)
        else:
            value = default
        return max(value, 1) if isinstance(value, int) and not isinstance(value, bool) else default
    return default


def cost_rule(variables: Mapping[str, Any], limit: int) -> type[ValidationRule]:
    class QueryCostRule(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: object) -> None:
            fragments = {
                d.name.value: d
                for d in self.context.document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            cost = operation_cost(self.context.schema, node, fragments, variables)
            if cost > limit:
                self.report_error(
                    GraphQLError(
                        f"query cost {cost:,} exceeds the limit of {limit:,}: every field costs 1, times the "
                        f"page size (first, default {DEFAULT_PAGE}) of each connection around it; ask for "
                        "smaller pages or fewer nested connections",
                        node,
                    )
                )

    return QueryCostRule


class QueryCostLimiter(SchemaExtension):
    def __init__(self, max_cost: int = MAX_COST) -> None:
        self.max_cost = max_cost

    def on_validate(self) -> Iterator[None]:
        variables = self.execution_context.variables or {}
        self.execution_context.validation_rules = (
            *self.execution_context.validation_rules,
            cost_rule(variables, self.max_cost),
        )
        yield
