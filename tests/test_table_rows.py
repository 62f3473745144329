"""Every row of the bundled table is exercised: in a context made for it, the engine proposes it.

A row that can never be proposed is dead weight (the build drops rows the engine prunes); a row
whose guard or protected phrases block it in a neutral context would be a table bug.
"""

from __future__ import annotations

import pytest

from unspin.engine import candidates
from unspin.guards import ago_rule, article_rule
from unspin.options import Options
from unspin.table import Rule, default_table

RULES = default_table()
SNIPPET = Options(use_document_model=False, min_confidence=0.0)


def contexts_for(rule: Rule) -> list[tuple[str, int]]:
    """Short texts that hold the rule's spun phrase where its guard allows it (several, so one
    of them avoids the row's protected phrases), with the offset of the phrase."""
    spun = rule.spun
    if rule.guard == "name_only" or rule.family == "name":
        spun = " ".join(w[:1].upper() + w[1:] for w in spun.split())
        lead = "A report by the "
        return [(f"{lead}{spun} Office was published on Monday.", len(lead))]
    if rule.guard == "numeric":
        leads = ["Officials said 3 "]
    elif rule.guard == "attribution":
        leads = ["Officials "]
    elif ago_rule(rule):  # "ago" follows a duration
        leads = ["Officials said two days "]
    else:
        leads = ["Officials said the ", "Officials said that "]
    # the row may live only in one letter case ("US" for "United States", "Home" in a name)
    forms = [spun, " ".join(w[:1].upper() + w[1:] for w in spun.split()), spun.upper()]
    # a row that restores an article ("since the") needs a noun after it
    noun = " budget" if article_rule(rule) else ""
    texts = [(f"{lead}{form}{noun} was discussed on Monday.", len(lead)) for form in forms for lead in leads]
    start = "Officials met on Monday. "  # or only at the start of a sentence ("That" -> "This")
    return [*texts, (f"{start}{spun[:1].upper() + spun[1:]}{noun} was discussed.", len(start))]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_row_is_proposed_in_context(rule: Rule) -> None:
    tried = []
    for text, at in contexts_for(rule):
        proposed = candidates(text, SNIPPET)
        hits = [r for r in proposed if r.rule == rule.id and r.start == at]
        if hits:
            assert all(0.0 < r.confidence <= 1.0 for r in hits)
            return
        tried.append((text, [(r.found, r.rule) for r in proposed]))
    pytest.fail(f"{rule.id} never proposed: {tried}")


def test_table_is_large_enough() -> None:
    """Issue 2 asks for breadth: at least 2,000 rows, every family represented."""
    assert len(RULES) >= 2000, len(RULES)
    families = {r.family for r in RULES}
    assert {"saying", "war", "military", "politics", "health", "economy", "function", "number",
            "contraction", "name", "everyday"} <= families, families


def test_digits_rows_leave_amounts_percentages_and_times() -> None:
    """A row that turns digits into a word ("2" -> "two") is proposed for a standalone "2", never
    for digits glued to a currency or percent sign or a colon: "$two", "two%" and "two:30" are no
    one's English, so those digits were digits in the original too."""
    rows = [r for r in RULES if r.spun == "2" and r.original == "two"]
    assert rows, "the bundled table has no '2' -> 'two' row"
    rule_ids = {r.id for r in rows}
    text = "They paid $2 for 2 tickets, 2% more, at 2:30 and 10:2."
    proposed = {(c.start, c.end) for c in candidates(text, SNIPPET) if c.rule in rule_ids}
    standalone = text.index("2 tickets")
    assert proposed == {(standalone, standalone + 1)}
