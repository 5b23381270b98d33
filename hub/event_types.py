"""Every event type Kanta sends, each with its one typed definition, and the check that a
payload matches it (docs/realtime.md, "Event types"). As zulip's ``event_schema``: a payload
that drifts from its definition fails the test suite, not a browser.

Three channels, and a type name belongs to one of them only:

- ``socket``: the frames a browser receives. Each socket declares every frame it may receive
  with :func:`register_socket`, in its app's ``realtime.py``, and its consumer names the
  result in ``server_frames`` (the counterpart of ``client_frames``). The frames every
  socket shares (``pong``, ``error``, ``access.revoked``) are hub.realtime's.
- ``control``: events for the consumers themselves, never written to a browser
  (hub.realtime.send_control_on_commit), declared with :func:`register_control`.
- ``layer``: the channel-layer messages that carry the two above, and other probes of the
  layer, declared with :func:`register_layer`.

A definition is a ``TypedDict`` whose ``type`` is a ``Literal``; it defines each name its
literal lists. A type with more than one shape (``question.updated``: one question changed, or
the room's vote counts) is one union of TypedDicts, declared together and registered once.
A type name has one definition on every socket that receives it, except ``session.ready``:
each socket's first frame carries what that socket needs.

With ``KANTA_REALTIME_CHECK_EVENTS`` on (hub/settings/test.py) hub.realtime checks every
payload where it is sent (the send helpers, and every frame written to a socket) and records
the types it saw (``registry.seen``); a payload with a key missing or extra, a value of the wrong
type, or a type its channel does not know raises :class:`EventMismatch`. Off (the default),
nothing is checked, at no cost.
"""

from __future__ import annotations

import json
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints, is_typeddict

from django.conf import settings

Channel = Literal["socket", "control", "layer"]
# A TypedDict class, or a union of them (typing gives no narrower type for either).
Definition = Any

# The one type whose definition depends on the socket that receives it.
PER_SOCKET_TYPES = frozenset({"session.ready"})


class EventMismatch(AssertionError):
    """A payload that does not match its event type's definition, or has no definition."""


# --- checking a value against a definition ---------------------------------------------------------

_hints: dict[type, dict[str, Any]] = {}


def _typeddict_hints(definition: type) -> dict[str, Any]:
    hints = _hints.get(definition)
    if hints is None:
        hints = _hints[definition] = get_type_hints(definition)
    return hints


def _union_members(annotation: Any) -> tuple[Any, ...] | None:
    if get_origin(annotation) in (Union, types.UnionType):
        return get_args(annotation)
    return None


def mismatches(definition: Any, value: object, path: str = "") -> list[str]:
    """What is wrong with ``value`` (decoded JSON) as an instance of ``definition``: [] if
    nothing. Knows TypedDicts (required and optional keys, no others), unions, ``Literal``,
    ``list[...]``, ``dict[str, ...]``, ``str``, ``int``, ``float``, ``bool``, ``None``, and
    ``object`` or ``Any`` for "any JSON value"."""
    where = path or "the payload"
    if definition is Any or definition is object:
        return []
    if definition is None or definition is type(None):
        return [] if value is None else [f"{where}: {value!r} is not null"]
    members = _union_members(definition)
    if members is not None:
        attempts = [mismatches(member, value, path) for member in members]
        if any(not errors for errors in attempts):
            return []
        # The shape that came closest says best what is wrong.
        return min(attempts, key=len)
    origin = get_origin(definition)
    if origin is Literal:
        allowed = get_args(definition)
        ok = any(value == option and type(value) is type(option) for option in allowed)
        return [] if ok else [f"{where}: {value!r} is not one of {list(allowed)!r}"]
    if is_typeddict(definition):
        return _typeddict_mismatches(definition, value, path)
    if origin is list:
        if not isinstance(value, list):
            return [f"{where}: {value!r} is not a list"]
        (item,) = get_args(definition) or (Any,)
        return [
            error
            for index, element in enumerate(value)
            for error in mismatches(item, element, f"{path}[{index}]")
        ]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{where}: {value!r} is not an object"]
        _key, item = get_args(definition) or (str, Any)
        errors = [f"{where}: key {key!r} is not text" for key in value if not isinstance(key, str)]
        for key, element in value.items():
            errors += mismatches(item, element, f"{path}.{key}" if path else str(key))
        return errors
    if definition is bool:
        return [] if isinstance(value, bool) else [f"{where}: {value!r} is not true or false"]
    if definition is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{where}: {value!r} is not a whole number"]
    if definition is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{where}: {value!r} is not a number"]
    if definition is str:
        return [] if isinstance(value, str) else [f"{where}: {value!r} is not text"]
    raise TypeError(f"{where}: event definitions cannot use {definition!r}")


def _typeddict_mismatches(definition: type, value: object, path: str) -> list[str]:
    where = path or "the payload"
    if not isinstance(value, dict):
        return [f"{where}: {value!r} is not an object ({definition.__name__})"]
    hints = _typeddict_hints(definition)
    required: frozenset[str] = definition.__required_keys__  # type: ignore[attr-defined]
    errors = [
        f"{where}: {key!r} is missing ({definition.__name__})" for key in sorted(required - value.keys())
    ]
    errors += [
        f"{where}: {key!r} is not in {definition.__name__}" for key in sorted(value.keys() - hints.keys())
    ]
    for key in sorted(value.keys() & hints.keys()):
        errors += mismatches(hints[key], value[key], f"{path}.{key}" if path else key)
    return errors


def type_names(definition: Definition) -> tuple[str, ...]:
    """The event type names a definition defines: its ``type`` literal's values (the same
    for every shape of a union)."""
    members = _union_members(definition)
    if members is not None:
        names = {type_names(member) for member in members}
        if len(names) != 1:
            raise TypeError(f"the shapes of {definition!r} define different types: {sorted(names)}")
        return names.pop()
    if not is_typeddict(definition):
        raise TypeError(f"{definition!r} is not a TypedDict")
    literal = _typeddict_hints(definition).get("type")
    if get_origin(literal) is not Literal or not all(isinstance(name, str) for name in get_args(literal)):
        raise TypeError(f"{definition.__name__}: 'type' must be a Literal of strings")
    if "type" not in definition.__required_keys__:
        raise TypeError(f"{definition.__name__}: 'type' must be required")
    return typing.cast(tuple[str, ...], get_args(literal))


# --- the registry -----------------------------------------------------------------------------------

# (channel, socket, type, shape): the socket is "" for control and layer events, and for a
# frame checked where it was broadcast rather than on a socket; the shape is the TypedDict's
# name (one of the union's, for a type with several).
Entry = tuple[str, str, str, str]


def _shapes(definition: Definition) -> list[str]:
    members = _union_members(definition)
    return [member.__name__ for member in members] if members is not None else [definition.__name__]


def _shape(definition: Definition, value: object) -> str:
    """The name of the shape ``value`` matches (it matches one)."""
    members = _union_members(definition)
    if members is None:
        return str(definition.__name__)
    return next(str(member.__name__) for member in members if not mismatches(member, value))


@dataclass
class SocketFrames:
    """The frames one socket sends to browsers: type name → definition."""

    name: str
    path: str
    frames: dict[str, Definition] = field(default_factory=dict)
    registry: EventRegistry | None = None

    def check(self, frame: object) -> None:
        """Raise :class:`EventMismatch` unless ``frame`` (decoded JSON) is one of this socket's
        frames, exactly as defined."""
        name = frame.get("type") if isinstance(frame, dict) else None
        definition = self.frames.get(name) if isinstance(name, str) else None
        if not isinstance(name, str) or definition is None:
            raise _mismatch(f"socket {self.name!r} has no frame of type {name!r}", frame)
        errors = mismatches(definition, frame)
        if errors:
            raise _mismatch(f"{name!r} on socket {self.name!r}: " + "; ".join(errors), frame)
        if self.registry is not None:
            self.registry.seen.add(("socket", self.name, name, _shape(definition, frame)))


class EventRegistry:
    """Event type names and their definitions, by channel, and the sockets' frames."""

    def __init__(self) -> None:
        self.sockets: dict[str, SocketFrames] = {}
        # type name → (channel, definition); for a per-socket type the definition is None.
        self.types: dict[str, tuple[Channel, Definition]] = {}
        self.seen: set[Entry] = set()

    def _claim(self, channel: Channel, definition: Definition) -> tuple[str, ...]:
        names = type_names(definition)
        per_socket = channel == "socket" and any(name in PER_SOCKET_TYPES for name in names)
        for name in names:
            known = self.types.get(name)
            if known is None:
                continue
            known_channel, known_definition = known
            if known_channel != channel:
                raise TypeError(f"{name!r} is a {known_channel} event already: one name, one meaning")
            if known_definition is not definition and not per_socket:
                raise TypeError(f"{name!r} has a definition already ({known_definition!r}): one is enough")
        for name in names:
            self.types[name] = (channel, None if per_socket else definition)
        return names

    def register_socket(self, name: str, *definitions: Definition, path: str) -> SocketFrames:
        if name in self.sockets:
            raise TypeError(f"socket {name!r} is registered already")
        socket = SocketFrames(name, path, registry=self)
        for definition in definitions:
            for type_name in type_names(definition):
                if type_name in socket.frames:
                    raise TypeError(f"socket {name!r} defines {type_name!r} twice")
            for type_name in self._claim("socket", definition):
                socket.frames[type_name] = definition
        self.sockets[name] = socket
        return socket

    def register(self, channel: Literal["control", "layer"], *definitions: Definition) -> None:
        for definition in definitions:
            self._claim(channel, definition)

    def registered(self) -> set[Entry]:
        """Every (channel, socket, type, shape) there is."""
        entries = {
            ("socket", socket.name, name, shape)
            for socket in self.sockets.values()
            for name, definition in socket.frames.items()
            for shape in _shapes(definition)
        }
        entries |= {
            (channel, "", name, shape)
            for name, (channel, definition) in self.types.items()
            if channel != "socket"
            for shape in _shapes(definition)
        }
        return entries

    def check(self, channel: Channel, event: object) -> None:
        """Raise :class:`EventMismatch` unless ``event`` (decoded JSON) is a ``channel`` event
        of a known type, exactly as defined (a socket frame: as every socket with it has it)."""
        name = event.get("type") if isinstance(event, dict) else None
        known = self.types.get(name) if isinstance(name, str) else None
        if not isinstance(name, str) or known is None or known[0] != channel:
            raise _mismatch(f"no {channel} event has the type {name!r}", event)
        definition = known[1]
        if definition is None:
            raise _mismatch(f"{name!r} differs per socket: a consumer sends it with send_frame", event)
        errors = mismatches(definition, event)
        if errors:
            raise _mismatch(f"{name!r}: " + "; ".join(errors), event)
        self.seen.add((channel, "", name, _shape(definition, event)))

    def reference(self) -> str:
        """Every event type and its fields, as the Markdown of docs/realtime.md's "Event types"."""
        lines: list[str] = []
        for socket in sorted(self.sockets.values(), key=lambda socket: socket.name):
            lines += ["", f"`{socket.name}`: {socket.path}", "", "| type | fields |", "| --- | --- |"]
            lines += [f"| `{name}` | {_fields(d)} |" for name, d in sorted(socket.frames.items())]
        for channel in ("control", "layer"):
            names = sorted(name for name, (kind, _d) in self.types.items() if kind == channel)
            lines += ["", f"{channel} events", "", "| type | fields |", "| --- | --- |"]
            lines += [f"| `{name}` | {_fields(self.types[name][1])} |" for name in names]
        return "\n".join(lines[1:]) + "\n"


def _fields(definition: Any) -> str:
    """A definition's keys and value types, in one line of Markdown (a ``?`` marks a key that
    may be left out)."""
    members = _union_members(definition)
    if members is not None and all(is_typeddict(member) for member in members):
        return " <br>or ".join(_fields(member) for member in members)
    hints = _typeddict_hints(definition)
    optional = definition.__optional_keys__
    keys = [key for key in hints if key != "type"]
    if not keys:
        return "none"
    return ", ".join(f"`{key}{'?' if key in optional else ''}`: {_describe(hints[key])}" for key in keys)


def _describe(annotation: Any) -> str:
    if annotation is Any or annotation is object:
        return "any"
    if annotation is None or annotation is type(None):
        return "null"
    members = _union_members(annotation)
    if members is not None:
        return " \\| ".join(_describe(member) for member in members)
    origin = get_origin(annotation)
    if origin is Literal:
        return " \\| ".join(json.dumps(option) for option in get_args(annotation))
    if is_typeddict(annotation):
        hints = _typeddict_hints(annotation)
        return "{" + ", ".join(f"`{key}`: {_describe(value)}" for key, value in hints.items()) + "}"
    if origin is list:
        return f"[{_describe(get_args(annotation)[0])}]"
    if origin is dict:
        return f"{{string: {_describe(get_args(annotation)[1])}}}"
    names = {bool: "bool", int: "int", float: "number", str: "string"}
    return names[annotation]


registry = EventRegistry()


def register_socket(name: str, *definitions: Definition, path: str) -> SocketFrames:
    """Declare every frame the socket ``name`` (served at ``path``) sends to browsers. Once per
    socket, in the realtime module of the app that owns it."""
    return registry.register_socket(name, *definitions, path=path)


def register_control(*definitions: Definition) -> None:
    """Declare control events (hub.realtime.send_control_on_commit)."""
    registry.register("control", *definitions)


def register_layer(*definitions: Definition) -> None:
    """Declare channel-layer messages."""
    registry.register("layer", *definitions)


# --- checking payloads where they are sent --------------------------------------------------------

_violations: list[str] = []


def checking() -> bool:
    return bool(getattr(settings, "KANTA_REALTIME_CHECK_EVENTS", False))


def _mismatch(message: str, payload: object) -> EventMismatch:
    text = f"{message}\n  payload: {json.dumps(payload, default=str)[:2000]}"
    # Kept as well as raised: a background task (a presence count) logs its errors and goes
    # on, and the test suite must fail all the same (tests/conftest.py looks here).
    _violations.append(text)
    return EventMismatch(text)


def check_broadcast(event: object) -> None:
    """An event for the browsers of a group (hub.realtime.send_event_on_commit and the like),
    as decoded JSON: it must be a frame some socket declares."""
    registry.check("socket", event)


def check_control(event: object) -> None:
    registry.check("control", event)


def check_layer(message: object) -> None:
    registry.check("layer", message)


def violations() -> list[str]:
    """Every mismatch raised since :func:`forget_violations`, even one a caller swallowed."""
    return list(_violations)


def forget_violations() -> None:
    _violations.clear()
