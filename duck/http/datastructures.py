"""Small containers shared by requests and responses: a multi-value dict and case-insensitive headers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Generic, TypeVar, overload

V = TypeVar("V")
_MISSING: Any = object()


class MultiDict(Generic[V]):
    """A mapping where a key may carry several values, in arrival order.

    ``md[key]`` and ``md.get(key)`` give the *last* value (as Django's QueryDict does), ``getlist(key)``
    gives all of them; iteration yields each key once.
    """

    __slots__ = ("_data",)

    def __init__(self, items: Iterable[tuple[str, V]] | Mapping[str, V] = ()) -> None:
        self._data: dict[str, list[V]] = {}
        pairs = items.items() if isinstance(items, Mapping) else items
        for key, value in pairs:
            self._data.setdefault(key, []).append(value)

    def __getitem__(self, key: str) -> V:
        try:
            return self._data[key][-1]
        except KeyError:
            raise KeyError(key) from None

    @overload
    def get(self, key: str) -> V | None: ...
    @overload
    def get(self, key: str, default: Any) -> V | Any: ...
    def get(self, key: str, default: Any = None) -> Any:
        values = self._data.get(key)
        return values[-1] if values else default

    def getlist(self, key: str, default: list[V] | None = None) -> list[V]:
        values = self._data.get(key)
        return list(values) if values is not None else ([] if default is None else default)

    def add(self, key: str, value: V) -> None:
        self._data.setdefault(key, []).append(value)

    def __setitem__(self, key: str, value: V) -> None:
        self._data[key] = [value]

    def setlist(self, key: str, values: list[V]) -> None:
        self._data[key] = list(values)

    def __delitem__(self, key: str) -> None:
        del self._data[key]

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def keys(self) -> Iterable[str]:
        return self._data.keys()

    def items(self) -> Iterator[tuple[str, V]]:
        """(key, last value) per key, like a plain dict."""
        for key, values in self._data.items():
            yield key, values[-1]

    def multi_items(self) -> Iterator[tuple[str, V]]:
        """Every (key, value) pair, repeated keys included."""
        for key, values in self._data.items():
            for value in values:
                yield key, value

    def lists(self) -> Iterator[tuple[str, list[V]]]:
        for key, values in self._data.items():
            yield key, list(values)

    def values(self) -> Iterator[V]:
        for values in self._data.values():
            yield values[-1]

    def dict(self) -> dict[str, V]:
        return {key: values[-1] for key, values in self._data.items()}

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MultiDict):
            return self._data == other._data
        if isinstance(other, Mapping):
            return self.dict() == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {list(self.multi_items())!r}>"


class Headers:
    """Case-insensitive HTTP headers that keep repeated fields and their order.

    Names are stored lower-cased (HTTP/1.1 field names are case-insensitive, RFC 9110 §5.1);
    values are ``str`` decoded as latin-1, the encoding of the wire format. Backed by a dict of
    name to values (names in first-set order, each name's values in arrival order), so lookups,
    ``in``, setting and deleting cost the same however many headers there are; the wire form
    (:meth:`raw`) is rendered once until the headers change.
    """

    __slots__ = ("_count", "_data", "_raw")

    def __init__(self, items: Iterable[tuple[str, str]] | Mapping[str, str] | None = None) -> None:
        pairs = items.items() if isinstance(items, Mapping) else (items or ())
        self._data: dict[str, list[str]] = {}
        self._count = 0
        self._raw: list[tuple[bytes, bytes]] | None = None
        for name, value in pairs:
            self.add(str(name), value)

    @classmethod
    def from_raw(cls, raw: Iterable[tuple[bytes, bytes]]) -> Headers:
        """Build from wire pairs; names are expected lower-case already (h11 and ASGI give them so)."""
        headers = cls()
        data = headers._data
        count = 0
        for name, value in raw:
            key = name.decode("latin-1").lower()
            values = data.get(key)
            if values is None:
                data[key] = [value.decode("latin-1")]
            else:
                values.append(value.decode("latin-1"))
            count += 1
        headers._count = count
        return headers

    def raw(self) -> list[tuple[bytes, bytes]]:
        """The fields as wire pairs (a new list each time; the rendering is kept until a change)."""
        if self._raw is None:
            self._raw = [
                (name.encode("latin-1"), value.encode("latin-1"))
                for name, values in self._data.items()
                for value in values
            ]
        return list(self._raw)

    def _values(self, name: str) -> list[str] | None:
        values = self._data.get(name)
        return values if values is not None else self._data.get(name.lower())

    @overload
    def get(self, name: str) -> str | None: ...

    @overload
    def get(self, name: str, default: str) -> str: ...

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first field called ``name``, or ``default``."""
        values = self._values(name)
        return values[0] if values is not None else default

    def getlist(self, name: str) -> list[str]:
        values = self._values(name)
        return list(values) if values is not None else []

    def __getitem__(self, name: str) -> str:
        values = self._values(name)
        if values is None:
            raise KeyError(name)
        return values[0]

    def __setitem__(self, name: str, value: str) -> None:
        """Replace every field called ``name`` with one field (placed last, as a new field is)."""
        name = name.lower()
        old = self._data.pop(name, None)
        self._data[name] = [str(value)]
        self._count += 1 - (len(old) if old is not None else 0)
        self._raw = None

    def setdefault(self, name: str, value: str) -> str:
        existing = self.get(name)
        if existing is None:
            self.add(name, value)
            return str(value)
        return existing

    def add(self, name: str, value: str) -> None:
        """Add a field, keeping any others of the same name."""
        name = name.lower()
        values = self._data.get(name)
        if values is None:
            self._data[name] = [str(value)]
        else:
            values.append(str(value))
        self._count += 1
        self._raw = None

    def add_missing(self, fields: Iterable[tuple[str, str]]) -> None:
        """Add each ``(lower-case name, value)`` whose name is not set yet: defaults, in one pass."""
        data = self._data
        added = 0
        for name, value in fields:
            if name not in data:
                data[name] = [value]
                added += 1
        if added:
            self._count += added
            self._raw = None

    def __delitem__(self, name: str) -> None:
        """Remove every field called ``name`` (nothing happens if there is none)."""
        old = self._data.pop(name.lower(), None)
        if old is not None:
            self._count -= len(old)
            self._raw = None

    def pop(self, name: str, default: str | None = None) -> str | None:
        value = self.get(name)
        if value is None:
            value = default
        del self[name]
        return value

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        return name in self._data or name.lower() in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._data))

    def __len__(self) -> int:
        return self._count

    def items(self) -> list[tuple[str, str]]:
        return [(name, value) for name, values in self._data.items() for value in values]

    def copy(self) -> Headers:
        return Headers(self.items())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return sorted(self.items()) == sorted(other.items())
        return NotImplemented

    def __repr__(self) -> str:
        return f"Headers({self.items()!r})"
