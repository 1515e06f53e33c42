"""How reports put numbers into words: a count with its noun, never a templated "(s)"."""

from __future__ import annotations

__all__ = ["counted", "listed"]


def counted(n: int | float, noun: str, plural: str | None = None) -> str:
    """``n`` and its noun: ``noun`` for exactly one, ``plural`` (default ``noun + "s"``) otherwise.

    Thousands are separated with commas, as in the report tables.

    Parameters
    ----------
    n
        The count (a float is taken as a whole number).
    noun
        The noun for one ("visitor").
    plural
        The plural where it is not ``noun + "s"`` ("public body" -> ``"public bodies"``).

    Returns
    -------
    str

    Examples
    --------
    >>> counted(1, "visitor"), counted(0, "follow-up"), counted(1234, "public body", "public bodies")
    ('1 visitor', '0 follow-ups', '1,234 public bodies')
    """
    n = int(n)
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"


def listed(items: list[str] | tuple[str, ...]) -> str:
    """Items joined as in a sentence: ``"A"``, ``"A and B"``, ``"A, B and C"``; ``""`` for none.

    >>> listed(["FRK1"]), listed(["FRK1", "FRK2"]), listed(["A", "B", "C"])
    ('FRK1', 'FRK1 and FRK2', 'A, B and C')
    """
    items = [str(i) for i in items]
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)
