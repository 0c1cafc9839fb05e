"""A string wrapper that cannot leak by accident.

Secrets from ``decryptedSecureJsonData`` travel through settings objects that get logged, put in
error messages and hashed into cache keys; wrapping them makes ``str``/``repr``/f-strings print a
mask, so only code that deliberately calls ``reveal()`` ever sees the value.
"""

from __future__ import annotations


class Secret:
    """An opaque secret value; ``reveal()`` is the only way to read it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('****')" if self._value else "Secret('')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> str:
        raise TypeError("secrets are never pickled")
