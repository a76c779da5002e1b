"""The module base class, the endpoint marker, and the schema read from type hints."""

import collections.abc
import inspect
import json
import typing

_ENDPOINT_ATTR = "__modulus_endpoint__"


class Module:
    """Base of every Python module.

    The host creates one instance per load, sets ``name``, ``version`` and ``directory``
    (the module's folder: read weights relative to it) and then calls :meth:`setup`.
    """

    name = "detached"
    version = "0.0.0"
    directory = "."

    def setup(self):
        """Called once after loading, before the first call: load weights here."""

    def teardown(self):
        """Called when the module is unloaded, after its last call."""


def endpoint(func=None, *, name=None, description=None, idempotent=False):
    """Marks a method as an endpoint: ``@endpoint`` or ``@endpoint(name="other")``.

    ``idempotent=True`` says that running it twice with the same arguments does no more than running
    it once (a pure function, a lookup), so a failover client may send a call that may have run on a
    host that failed to another host. Leave it False for anything with an effect.
    """

    def mark(f):
        setattr(f, _ENDPOINT_ATTR, {"name": name or f.__name__, "description": description, "idempotent": bool(idempotent)})
        return f

    return mark(func) if func is not None else mark


def _type_name(hint):
    """The Modulus type name of a type hint: int, float, string, list[int], map[float], tensor?, ..."""
    if hint is inspect.Parameter.empty or hint is typing.Any or hint is object:
        return "any"
    if hint is None or hint is type(None):
        return "null"
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union or (origin is not None and getattr(origin, "__name__", "") == "UnionType"):
        rest = [a for a in args if a is not type(None)]
        inner = _type_name(rest[0]) if len(rest) == 1 else "any"
        return inner if inner in ("any", "null") or len(rest) == len(args) else inner + "?"
    simple = {bool: "bool", int: "int", float: "float", str: "string", bytes: "bytes", bytearray: "bytes"}
    if hint in simple:
        return simple[hint]
    if hint in (list, tuple):
        return "list"
    if origin in (list, tuple, collections.abc.Sequence):
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            return "list"
        return f"list[{_type_name(args[0])}]" if args else "list"
    if hint is dict:
        return "map"
    if origin in (dict, collections.abc.Mapping):
        return f"map[{_type_name(args[1])}]" if len(args) == 2 else "map"
    qualified = f"{getattr(hint, '__module__', '')}.{getattr(hint, '__name__', '')}"
    if qualified in ("numpy.ndarray", "modulus.tensor.Tensor") or getattr(origin, "__name__", "") == "ndarray":
        return "tensor"
    return "any"


def _item_hint(hint):
    """T of Iterator[T], Iterable[T] or Generator[T, ...]; 'any' otherwise."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    streams = (collections.abc.Iterator, collections.abc.Iterable, collections.abc.Generator)
    return args[0] if origin in streams and args else inspect.Parameter.empty


def _default_json(value):
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return None


def endpoints_of(cls):
    """The endpoints of a module class: a list of dicts with name, parameters, returns, streaming, description, idempotent."""
    found = []
    seen = set()
    for attr in dir(cls):
        member = getattr(cls, attr, None)
        if not callable(member) or attr.startswith("__"):
            continue
        marker = getattr(member, _ENDPOINT_ATTR, None)
        if marker is None and attr != "forward":
            continue
        name = marker["name"] if marker else "forward"
        if name in seen:
            raise TypeError(f"two methods of {cls.__name__} serve the endpoint {name!r}")
        seen.add(name)
        signature = inspect.signature(member)
        try:
            hints = typing.get_type_hints(member)
        except Exception:  # unresolvable forward references: fall back to 'any'
            hints = {}
        parameters = []
        for index, parameter in enumerate(signature.parameters.values()):
            if index == 0 and parameter.name in ("self", "cls"):
                continue
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                continue
            has_default = parameter.default is not inspect.Parameter.empty
            parameters.append({
                "name": parameter.name,
                "type": _type_name(hints.get(parameter.name, inspect.Parameter.empty)),
                "required": not has_default,
                "default": _default_json(parameter.default) if has_default else None,
            })
        doc = (marker or {}).get("description") or inspect.getdoc(member) or ""
        # A generator endpoint streams its items; its declared type is the item's.
        streaming = inspect.isgeneratorfunction(member)
        returns = hints.get("return", inspect.Parameter.empty)
        if streaming:
            returns = _item_hint(returns)
        found.append({
            "name": name,
            "method": attr,
            "parameters": parameters,
            "returns": _type_name(returns),
            "streaming": streaming,
            "description": doc.strip().splitlines()[0] if doc.strip() else "",
            "idempotent": bool((marker or {}).get("idempotent", False)),
        })
    return found
