def texts(result: dict, key: str, **where) -> list[str]:
    """The span texts of one kind, optionally filtered by attribute values."""
    return [m["text"] for m in result[key] if all(m.get(k) == v for k, v in where.items())]


def one(result: dict, key: str, text: str) -> dict:
    """The single mention of a kind whose span text is ``text``."""
    found = [m for m in result[key] if m["text"] == text]
    assert len(found) == 1, (text, result[key])
    return found[0]
