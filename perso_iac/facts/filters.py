"""Personalize filter expressions: a parser and the rules CreateFilter applies.

Shared by `perso validate` and the emulator's CreateFilter, so both refuse the same expressions.

Grammar (https://docs.aws.amazon.com/personalize/latest/dg/creating-filter-expressions.html and
the example pages item-recommendation-, user-segment-, action-recommendation-filter-examples.html,
multiple-expression-example.html)::

    filter     := expression ("|" expression)*
    expression := (INCLUDE | EXCLUDE) (ItemID | ActionID | UserID) WHERE condition
                  ((AND | OR) condition)* [IF user_cond (AND user_cond)*]
    condition  := Dataset.FIELD [NOT] IN ( value ("," value)* )
                | Dataset.FIELD [NOT] IN CurrentItem.FIELD
                | Dataset.FIELD (= | < | <= | > | >=) operand
    user_cond  := CurrentUser.FIELD (condition's right-hand sides)
    value      := "string" | number | $PARAMETER | *
    operand    := number | $PARAMETER | ( number | $PARAMETER ) | CurrentItem.FIELD

Case: keywords, ItemID/ActionID/UserID, dataset and field names are matched ignoring case (AWS's
own API reference once gave the format `EXCLUDE itemId WHERE INTERACTIONS.event_type in (...)`,
CreateFilter doc in botocore 1.17); placeholder names are case-sensitive (applied by name at
request time) and so are values, except event types (filter-expression-guidelines-requirements.html).

Rules (filter-expression-guidelines-requirements.html unless noted):
- Item interactions / action interactions: only EVENT_TYPE can be filtered on; `*` only there.
- No boolean fields, no textual fields; no Actions EXPIRATION_TIMESTAMP / REPEAT_FREQUENCY.
- Interactions and Items (or Interactions and Actions) can't meet in one expression: conditions
  joined by AND/OR use the dataset of the first condition ("Conditions chained together using AND
  or OR can only affect fields of the dataset used in the first condition"); combine with `|`.
- No placeholder parameters with NOT IN.
- At most 10 distinct dataset fields per filter, 20 across all filters of a dataset group.
- IF only once, at the end, only on CurrentUser, extended with AND; CurrentItem only as the value
  side of an item condition (it needs related-items recommendations).
- Comparison operators test numerical data ("Use =, <, <=, >, >= operators to test numerical data,
  including data passed in a placeholder parameter"); IN / NOT IN match strings.
- Datasets per filter type: ItemID filters on Items and Interactions (and the current user in IF);
  UserID (user segments) on Users and Interactions; ActionID on Actions and Action_Interactions
  (and the current user in IF) — filter-expressions.html, the dataset list.
- CreateFilter's filterExpression is 1 to 2,500 characters (API_CreateFilter.html).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .avro import NUMERIC, Field, describe_dataset
from .spelling import did_you_mean

MAX_LENGTH = 2500
MAX_FIELDS_PER_FILTER = 10
MAX_FIELDS_PER_DATASET_GROUP = 20
COMPARISONS = ("=", "<", "<=", ">", ">=")

#: dataset names in expressions, folded to lower case -> documented dataset type
DATASET_NAMES = {
    "interactions": "Interactions",
    "items": "Items",
    "users": "Users",
    "actions": "Actions",
    "action_interactions": "Action_Interactions",
    "actioninteractions": "Action_Interactions",
}
CURRENT_USER, CURRENT_ITEM = "CurrentUser", "CurrentItem"
_CURRENT = {"currentuser": CURRENT_USER, "currentitem": CURRENT_ITEM}
#: filter type -> the datasets its WHERE conditions may use
TARGETS = {
    "ItemID": ("Items", "Interactions"),
    "UserID": ("Users", "Interactions"),
    "ActionID": ("Actions", "Action_Interactions"),
}
_TARGET_NAMES = {t.lower(): t for t in TARGETS}
#: datasets whose only filterable field is EVENT_TYPE
INTERACTION_TYPES = ("Interactions", "Action_Interactions")
#: fields AWS applies itself and won't filter on (action recommendations)
UNFILTERABLE = {"Actions": ("EXPIRATION_TIMESTAMP", "REPEAT_FREQUENCY")}
EXAMPLE = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")'


@dataclass(frozen=True)
class FilterIssue:
    message: str
    hint: str | None = None
    offset: int | None = None       # character offset in the expression, when it points somewhere

    def text(self) -> str:
        where = f" (at character {self.offset + 1})" if self.offset is not None else ""
        return self.message + where


@dataclass(frozen=True)
class Token:
    kind: str       # word, string, number, param, op, ( ) , | * end
    text: str
    offset: int


@dataclass(frozen=True)
class Ref:
    dataset: str    # documented dataset type, CurrentUser or CurrentItem
    field: str
    offset: int


@dataclass(frozen=True)
class Value:
    kind: str       # string, number, param, star, ref
    text: str
    offset: int
    ref: Ref | None = None


@dataclass(frozen=True)
class Condition:
    ref: Ref
    op: str         # IN, NOT IN, =, <, <=, >, >=
    values: tuple[Value, ...]
    offset: int
    parenthesized: bool = True


@dataclass
class Expression:
    action: str     # INCLUDE | EXCLUDE
    target: str     # ItemID | UserID | ActionID
    offset: int
    where: list[Condition] = field(default_factory=list)
    user: list[Condition] = field(default_factory=list)     # the IF conditions


class _Error(Exception):
    def __init__(self, issue: FilterIssue) -> None:
        super().__init__(issue.message)
        self.issue = issue


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>"[^"]*")
  | (?P<squote>'[^']*')
  | (?P<param>\$[A-Za-z0-9_]*)
  | (?P<number>-?\d+(?:\.\d+)?(?![A-Za-z_]))
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),|.*])
""", re.VERBOSE)


def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            if text[pos] == '"':
                raise _Error(FilterIssue("unterminated string", 'close it with "', pos))
            raise _Error(FilterIssue(f"unexpected character {text[pos]!r}", None, pos))
        kind = m.lastgroup or ""
        tok = m.group()
        if kind == "squote":
            raise _Error(FilterIssue(f"values are written in double quotes, not {tok}",
                                     f'write "{tok[1:-1]}"', pos))
        if kind == "op" and tok in ("!=", "<>"):
            raise _Error(FilterIssue(f"unsupported operator {tok}", "use NOT IN, or EXCLUDE instead of INCLUDE",
                                     pos))
        if kind == "param" and len(tok) == 1:
            raise _Error(FilterIssue("a placeholder needs a name after $", "e.g. $GENRES", pos))
        if kind != "ws":
            out.append(Token(kind if kind != "punct" else tok, tok, pos))
        pos = m.end()
    out.append(Token("end", "", len(text)))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def take(self) -> Token:
        t = self.toks[self.i]
        self.i += 1
        return t

    def keyword(self, *words: str) -> str | None:
        t = self.tok
        if t.kind == "word" and t.text.upper() in words:
            self.i += 1
            return t.text.upper()
        return None

    def fail(self, message: str, hint: str | None = None, tok: Token | None = None) -> _Error:
        t = tok or self.tok
        shown = "the end of the expression" if t.kind == "end" else repr(t.text)
        return _Error(FilterIssue(f"{message}, found {shown}", hint, t.offset))

    def expect_keyword(self, word: str, hint: str | None = None) -> None:
        if self.keyword(word) is None:
            raise self.fail(f"expected {word}", hint)

    # -- grammar --------------------------------------------------------------------------------
    def parse(self) -> list[Expression]:
        exprs = [self.expression()]
        while self.tok.kind == "|":
            self.take()
            exprs.append(self.expression())
        if self.tok.kind != "end":
            raise self.fail("expected '|' and another expression, or the end",
                            "each expression is INCLUDE|EXCLUDE ... WHERE ...; combine expressions with |")
        return exprs

    def expression(self) -> Expression:
        start = self.tok
        action = self.keyword("INCLUDE", "EXCLUDE")
        if action is None:
            raise self.fail("an expression starts with INCLUDE or EXCLUDE", f"e.g. {EXAMPLE}")
        t = self.tok
        target = _TARGET_NAMES.get(t.text.lower()) if t.kind == "word" else None
        if target is None:
            raise self.fail(f"expected ItemID, ActionID or UserID after {action}",
                            "ItemID filters items, ActionID actions, UserID users of a segment")
        self.take()
        self.expect_keyword("WHERE", f"e.g. {action} {target} WHERE Items.GENRE IN ($GENRE)")
        expr = Expression(action, target, start.offset)
        expr.where.append(self.condition())
        while self.keyword("AND", "OR"):
            expr.where.append(self.condition())
        if self.keyword("IF"):
            expr.user.append(self.condition())
            while True:
                if self.keyword("AND"):
                    expr.user.append(self.condition())
                elif self.tok.kind == "word" and self.tok.text.upper() == "OR":
                    raise self.fail("an IF condition can be extended with AND only")
                else:
                    break
            if self.tok.kind == "word" and self.tok.text.upper() == "IF":
                raise self.fail("IF can be used only once, at the end of an expression")
        return expr

    def ref(self) -> Ref:
        t = self.tok
        if t.kind != "word":
            raise self.fail("expected a dataset field such as Items.GENRE")
        self.take()
        if self.tok.kind != ".":
            raise self.fail(f"expected '.' and a field name after {t.text}",
                            "write dataset.field, e.g. Items.GENRE", self.tok)
        self.take()
        f = self.tok
        if f.kind != "word":
            raise self.fail("expected a field name after '.'")
        self.take()
        low = t.text.lower()
        dataset = DATASET_NAMES.get(low) or _CURRENT.get(low)
        if dataset is None:
            known = ["Interactions", "Items", "Users", "Actions", "Action_Interactions", CURRENT_USER,
                     CURRENT_ITEM]
            guess = did_you_mean(t.text, known)
            raise _Error(FilterIssue(f"unknown dataset '{t.text}'",
                                     f"did you mean '{guess}'?" if guess else f"use one of {', '.join(known)}",
                                     t.offset))
        return Ref(dataset, f.text, t.offset)

    def condition(self) -> Condition:
        ref = self.ref()
        op_tok = self.tok
        if self.keyword("NOT"):
            if self.keyword("IN") is None:
                raise self.fail("expected IN after NOT")
            op = "NOT IN"
        elif self.keyword("IN"):
            op = "IN"
        elif self.tok.kind == "op":
            op = self.take().text
        else:
            raise self.fail(f"expected IN, NOT IN, =, <, <=, > or >= after {ref.dataset}.{ref.field}")
        if op in ("IN", "NOT IN"):
            if self.tok.kind == "(":
                values = self.value_list()
                return Condition(ref, op, values, op_tok.offset)
            if self.tok.kind == "word" and self.tok.text.lower() == "currentitem":
                cur = self.ref()
                return Condition(ref, op, (Value("ref", cur.field, cur.offset, cur),), op_tok.offset, False)
            raise self.fail(f"expected a parenthesized list of values after {op}",
                            f'e.g. {op} ("drama", "comedy") or {op} ($GENRES)')
        return Condition(ref, op, (self.operand(op),), op_tok.offset)

    def value_list(self) -> tuple[Value, ...]:
        self.take()  # (
        values = [self.value()]
        while self.tok.kind == ",":
            self.take()
            values.append(self.value())
        if self.tok.kind != ")":
            raise self.fail("expected ',' or ')' in the list of values")
        self.take()
        return tuple(values)

    def value(self) -> Value:
        t = self.tok
        if t.kind == "string":
            self.take()
            # "*" (quoted, as the docs write it) means every event type, like a bare *
            return Value("star" if t.text == '"*"' else "string", t.text[1:-1], t.offset)
        if t.kind == "number":
            self.take()
            return Value("number", t.text, t.offset)
        if t.kind == "param":
            self.take()
            return Value("param", t.text[1:], t.offset)
        if t.kind == "*":
            self.take()
            return Value("star", "*", t.offset)
        if t.kind == "word" and t.text.lower() == "currentitem":
            cur = self.ref()
            return Value("ref", cur.field, cur.offset, cur)
        hint = f'quote it: "{t.text}"' if t.kind == "word" else None
        raise self.fail('expected a value: "text", a number, a $PLACEHOLDER or *', hint)

    def operand(self, op: str) -> Value:
        if self.tok.kind == "(":
            start = self.tok
            values = self.value_list()
            if len(values) != 1:
                raise _Error(FilterIssue(f"{op} compares with one value, not a list of {len(values)}",
                                         "use IN for a list of values", start.offset))
            return values[0]
        return self.value()


def parse(text: str) -> tuple[list[Expression], list[FilterIssue]]:
    """The expressions of a filter, or the first syntax issue."""
    if not text.strip():
        return [], [FilterIssue("filterExpression is empty", f"e.g. {EXAMPLE}")]
    try:
        return _Parser(text).parse(), []
    except _Error as exc:
        return [], [exc.issue]


# ---------------------------------------------------------------------- rules
#: documented dataset type -> the fields its schema has, or None when the fields are unknown
Datasets = Mapping[str, Sequence[Field] | None]


def _find(fields: Sequence[Field] | None, name: str) -> Field | None:
    if fields is None:
        return None
    return next((f for f in fields if f.name.upper() == name.upper()), None)


def _kind(f: Field | None) -> str | None:
    """numeric, string, textual, boolean, or None when unknown."""
    if f is None or f.base is None:
        return None
    if f.base == "boolean":
        return "boolean"
    if f.textual:
        return "textual"
    return "numeric" if f.base in NUMERIC else "string"


def fields_used(expressions: Iterable[Expression]) -> set[tuple[str, str]]:
    """Distinct (dataset, FIELD) pairs; CurrentUser is the Users dataset, CurrentItem the Items one."""
    alias = {CURRENT_USER: "Users", CURRENT_ITEM: "Items"}
    out: set[tuple[str, str]] = set()
    for e in expressions:
        for c in [*e.where, *e.user]:
            refs = [c.ref] + [v.ref for v in c.values if v.ref is not None]
            out.update((alias.get(r.dataset, r.dataset), r.field.upper()) for r in refs)
    return out


def check(text: str, datasets: Datasets | None = None, group_filters: Iterable[str] = ()) -> list[FilterIssue]:
    """Every reason CreateFilter refuses `text`.

    `datasets` maps the dataset group's dataset types to their schema fields (None: fields
    unknown); without it only the syntax and the dataset-independent rules are checked.
    `group_filters`: the expressions of the group's other filters, for the group's field quota.
    """
    if len(text) > MAX_LENGTH:
        return [FilterIssue(f"filterExpression is {len(text)} characters long; AWS allows {MAX_LENGTH}")]
    exprs, issues = parse(text)
    if issues:
        return issues
    targets = {e.target for e in exprs}
    if len(targets) > 1:
        issues.append(FilterIssue(f"a filter filters one kind of thing, this one mixes {' and '.join(sorted(targets))}",
                                  "use the same ItemID, ActionID or UserID in every expression", exprs[1].offset))
    for e in exprs:
        issues.extend(_check_expression(e, datasets))
    used = fields_used(exprs)
    if len(used) > MAX_FIELDS_PER_FILTER:
        issues.append(FilterIssue(f"the filter uses {len(used)} distinct dataset fields; AWS allows "
                                  f"{MAX_FIELDS_PER_FILTER} per filter", "split it into several filters"))
    others = list(group_filters)
    over = check_group([*others, text]) if others else None
    return issues + ([over] if over else [])


def check_group(texts: Iterable[str]) -> FilterIssue | None:
    """The dataset-group quota on distinct fields across all of its filters."""
    used: set[tuple[str, str]] = set()
    for text in texts:
        exprs, _ = parse(text)
        used |= fields_used(exprs)
    if len(used) > MAX_FIELDS_PER_DATASET_GROUP:
        return FilterIssue(f"the dataset group's filters use {len(used)} distinct dataset fields; AWS allows "
                           f"{MAX_FIELDS_PER_DATASET_GROUP} across all filters of a dataset group",
                           "reuse fields across filters, or drop a filter")
    return None


def _check_expression(e: Expression, datasets: Datasets | None) -> list[FilterIssue]:
    issues: list[FilterIssue] = []
    allowed = TARGETS[e.target]
    first = e.where[0].ref.dataset
    for c in e.where:
        ds = c.ref.dataset
        if ds == CURRENT_USER:
            issues.append(FilterIssue("CurrentUser can be used only in an IF condition at the end of the expression",
                                      f"e.g. ... IF CurrentUser.{c.ref.field} > $VALUE", c.ref.offset))
            continue
        if ds == CURRENT_ITEM:
            issues.append(FilterIssue("CurrentItem can be used only as the value a field is compared with",
                                      f"e.g. Items.{c.ref.field} IN CurrentItem.{c.ref.field}", c.ref.offset))
            continue
        if ds not in allowed:
            issues.append(FilterIssue(f"{e.target} filters can't use {ds} data",
                                      _target_hint(e.target, ds), c.ref.offset))
            continue
        if ds != first and first in allowed:
            issues.append(FilterIssue(f"one expression can't use both {first} and {ds} data",
                                      f"combine two expressions with |: {e.action} {e.target} WHERE "
                                      f"{first}... | {e.action} {e.target} WHERE {ds}...", c.ref.offset))
            continue
        issues.extend(_check_condition(e, c, datasets))
    for c in e.user:
        if c.ref.dataset != CURRENT_USER:
            issues.append(FilterIssue("an IF condition checks the current user: use CurrentUser.FIELD",
                                      f"e.g. IF CurrentUser.{c.ref.field} = $VALUE", c.ref.offset))
            continue
        if e.target == "UserID":
            issues.append(FilterIssue("IF CurrentUser conditions apply to item and action recommendations, not "
                                      "to user segments", "move the condition into WHERE Users.FIELD ...",
                                      c.ref.offset))
            continue
        issues.extend(_check_condition(e, c, datasets))
    return issues


def _target_hint(target: str, ds: str) -> str:
    if target != "UserID" and ds == "Users":
        return "filter on the current user's data with IF CurrentUser.FIELD at the end, or use UserID for segments"
    return f"{target} filters use {' or '.join(TARGETS[target])} data"


def _check_condition(e: Expression, c: Condition, datasets: Datasets | None) -> list[FilterIssue]:
    ds = "Users" if c.ref.dataset == CURRENT_USER else c.ref.dataset
    name = c.ref.field
    shown = f"{c.ref.dataset}.{name}"
    issues: list[FilterIssue] = []
    fields: Sequence[Field] | None = None
    if datasets is not None:
        if ds not in datasets:
            return [FilterIssue(f"the filter uses {ds} data, and the dataset group has no {ds} dataset",
                                f"create {describe_dataset(ds)}, or change the expression", c.ref.offset)]
        fields = datasets[ds]
    if ds in INTERACTION_TYPES and name.upper() != "EVENT_TYPE":
        return [FilterIssue(f"{ds} data can be filtered by EVENT_TYPE only, not {name}",
                            f"e.g. {ds}.EVENT_TYPE IN (\"click\")", c.ref.offset)]
    if name.upper() in UNFILTERABLE.get(ds, ()):
        return [FilterIssue(f"{shown} can't be used in a filter: Amazon Personalize applies it to action "
                            "recommendations itself", None, c.ref.offset)]
    f = _find(fields, name)
    if fields is not None and f is None:
        guess = did_you_mean(name, [g.name for g in fields])
        return [FilterIssue(f"the {ds} schema has no field {name}",
                            f"did you mean '{guess}'?" if guess else
                            f"fields: {', '.join(g.name for g in fields)}", c.ref.offset)]
    kind = _kind(f)
    if kind == "boolean":
        return [FilterIssue(f"{shown} is a boolean field, and filters can't use boolean fields",
                            "make it a string (\"True\"/\"False\") or an int (0/1) in the schema", c.ref.offset)]
    if kind == "textual":
        return [FilterIssue(f"{shown} is a textual field, and filters can't use unstructured text",
                            "filter on a categorical field instead", c.ref.offset)]
    for v in c.values:
        if v.kind == "star" and not (ds in INTERACTION_TYPES and c.op in ("IN", "NOT IN")):
            issues.append(FilterIssue("* (all event types) can be used only with Interactions.EVENT_TYPE IN",
                                      None, v.offset))
        if v.kind == "ref":
            issues.extend(_check_current_item(e, c, v, datasets))
    if c.op == "NOT IN" and any(v.kind == "param" for v in c.values):
        issues.append(FilterIssue("placeholder parameters can't be used with NOT IN",
                                  "use IN with the opposite action (EXCLUDE instead of INCLUDE, or the reverse)",
                                  c.offset))
    if c.op in COMPARISONS:
        v = c.values[0]
        if kind == "string" or (kind is None and ds in INTERACTION_TYPES):
            issues.append(FilterIssue(f"{c.op} compares numbers, and {shown} is a string field",
                                      f"use IN: {shown} IN (...)", c.offset))
        elif v.kind in ("string", "star"):
            issues.append(FilterIssue(f"{c.op} compares numbers, not {v.text!r}",
                                      "use a number or a $PLACEHOLDER", v.offset))
    return issues


def _check_current_item(e: Expression, c: Condition, v: Value, datasets: Datasets | None) -> list[FilterIssue]:
    assert v.ref is not None
    if v.ref.dataset != CURRENT_ITEM:
        return [FilterIssue(f"{v.ref.dataset}.{v.ref.field} can't be a value; only CurrentItem.FIELD can",
                            None, v.offset)]
    if e.target != "ItemID" or c.ref.dataset != "Items":
        return [FilterIssue("CurrentItem compares an item with the current item: use it with ItemID and Items "
                            "fields", f"e.g. INCLUDE ItemID WHERE Items.{v.ref.field} IN CurrentItem.{v.ref.field}",
                            v.offset)]
    if datasets is not None and datasets.get("Items") is not None:
        fields = datasets["Items"]
        f = _find(fields, v.ref.field)
        if f is None:
            return [FilterIssue(f"the Items schema has no field {v.ref.field}", None, v.offset)]
        if _kind(f) in ("boolean", "textual"):
            return [FilterIssue(f"CurrentItem.{v.ref.field} is a {_kind(f)} field, and filters can't use it",
                                None, v.offset)]
    return []
