"""Hypothesis strategies from the JSON Schemas of the OpenAPI document.

hypothesis-jsonschema 0.23 does not work with current Hypothesis (it relies on an internal API
that changed), so this covers the subset the collector's document uses: objects with properties,
required and additionalProperties (false or a schema, with propertyNames), strings with
minLength, maxLength, pattern and enum, integers with bounds, numbers, booleans, null, type lists,
and arrays with items, maxItems and uniqueItems.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([from_schema({**schema, "type": k}) for k in kind])
    if kind == "object":
        return _object(schema)
    if kind == "array":
        items = from_schema(schema.get("items", {}))
        return st.lists(
            items,
            min_size=schema.get("minItems", 0),
            max_size=min(schema.get("maxItems", 4), 4),
            unique_by=(lambda x: repr(x)) if schema.get("uniqueItems") else None,
        )
    if kind == "string":
        return _string(schema)
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "number":
        return st.floats(schema.get("minimum"), schema.get("maximum"), allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    raise NotImplementedError(f"no strategy for {schema!r}")


def _string(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    if "pattern" in schema:
        strings = st.from_regex(schema["pattern"], fullmatch=True)
    else:
        strings = st.text(max_size=high if high is not None else 80)
    return strings.filter(lambda s: len(s) >= low and (high is None or len(s) <= high))


def _object(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    properties = schema.get("properties", {})
    required = set(schema.get("required", ()))
    fixed = st.fixed_dictionaries(
        {name: from_schema(properties[name]) for name in properties if name in required},
        optional={
            name: from_schema(properties[name]) for name in properties if name not in required
        },
    )
    extra = schema.get("additionalProperties", True)
    if extra is False:
        return fixed
    names = schema.get("propertyNames", {"type": "string"})
    values = from_schema(extra) if isinstance(extra, dict) else st.none() | st.integers()
    more = st.dictionaries(_string({"type": "string", **names}), values, max_size=6)
    return st.tuples(fixed, more).map(lambda pair: {**pair[1], **pair[0]})
