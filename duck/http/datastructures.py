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
    values are ``str`` decoded as latin-1, the encoding of the wire format.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[tuple[str, str]] | Mapping[str, str] | None = None) -> None:
        pairs = items.items() if isinstance(items, Mapping) else (items or ())
        self._items: list[tuple[str, str]] = [(str(k).lower(), str(v)) for k, v in pairs]

    @classmethod
    def from_raw(cls, raw: Iterable[tuple[bytes, bytes]]) -> Headers:
        """Build from wire pairs; names are expected lower-case already (h11 and ASGI give them so)."""
        headers = cls.__new__(cls)
        headers._items = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in raw]
        return headers

    def raw(self) -> list[tuple[bytes, bytes]]:
        return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in self._items]

    @overload
    def get(self, name: str) -> str | None: ...

    @overload
    def get(self, name: str, default: str) -> str: ...

    def get(self, name: str, default: str | None = None) -> str | None:
        name = name.lower()
        for key, value in self._items:
            if key == name:
                return value
        return default

    def getlist(self, name: str) -> list[str]:
        name = name.lower()
        return [value for key, value in self._items if key == name]

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __setitem__(self, name: str, value: str) -> None:
        """Replace every field called ``name`` with one field."""
        name = name.lower()
        self._items = [(k, v) for k, v in self._items if k != name]
        self._items.append((name, str(value)))

    def setdefault(self, name: str, value: str) -> str:
        existing = self.get(name)
        if existing is None:
            self._items.append((name.lower(), str(value)))
            return str(value)
        return existing

    def add(self, name: str, value: str) -> None:
        self._items.append((name.lower(), str(value)))

    def __delitem__(self, name: str) -> None:
        name = name.lower()
        self._items = [(k, v) for k, v in self._items if k != name]

    def pop(self, name: str, default: str | None = None) -> str | None:
        value = self.get(name)
        if value is None:
            value = default
        del self[name]
        return value

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        name = name.lower()
        return any(key == name for key, _ in self._items)

    def __iter__(self) -> Iterator[str]:
        seen: list[str] = []
        for key, _ in self._items:
            if key not in seen:
                seen.append(key)
        return iter(seen)

    def __len__(self) -> int:
        return len(self._items)

    def items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def copy(self) -> Headers:
        return Headers(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return sorted(self._items) == sorted(other._items)
        return NotImplemented

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"
