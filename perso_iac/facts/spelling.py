"""A did-you-mean for names the facts know (datasets, fields, hyperparameters)."""

from __future__ import annotations

from collections.abc import Sequence


def did_you_mean(word: str, choices: Sequence[str]) -> str | None:
    """The closest choice, compared ignoring case, or None."""
    import difflib  # only when something is misspelled: not at every start-up

    folded = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(word.lower(), list(folded), n=1, cutoff=0.6)
    return folded[close[0]] if close else None
