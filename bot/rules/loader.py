"""Rule files (YAML) -> validated `Rule` objects, with every error located as file:line:col.

PyYAML's node tree (``yaml.compose``) keeps the position of every key and value, so a typo is
reported where it is, and nothing is accepted silently: unknown keys, duplicate keys, empty groups,
bad wildcards, unknown aliases and duplicate rule names are all errors.

Aliases are shared by every file loaded together (`AliasTable`), so a folder can keep its aliases
by concern (places and names, topics, look-alikes) apart from the rules that use them. A file is
read in two steps (`read`, then `load`) so that a rule may use an alias from a file read after it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.errors import RuleError
from bot.i18n import LOCALES, LocalText
from bot.rules.model import FIELDS, OPS, Example, Group, Near, Node, Op, Rule, Term, TermRef
from bot.rules.ops import ANY, operator, positive_refs
from bot.rules.tables import AliasSite, AliasTable, TermTable
from bot.rules.text import fold_term, has_cjk, is_word_char, normalize_term
from bot.rules.yamlnodes import NodeReader

_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
_ALIAS_NAME = re.compile(f"^{_NAME}$")
#: `$NAME` wherever it is written: a rule's use of an alias, or a verdict naming one
ALIAS_REF = re.compile(rf"\$({_NAME})")
_RULE_KEYS = (
    *("name", "title", "description", *OPS, "near", "field", "weight", "tags", "lang"),
    *("urgent", "min_score", "examples"),
)
#: a group's key -> its operator's name, typed (bot/rules/ops.py)
_GROUP_OPS: dict[str, Op] = {op: op for op in OPS}
_NODE_KEYS = (*OPS, "near", "term", "field", "weight", "fold", "except", "highlight")
_NEAR_KEYS = ("terms", "within", "chars")
_EXAMPLE_KEYS = ("title", "summary", "content", "text", "lang")
_FIELD_NAMES = (*FIELDS, "body")


@dataclass
class _Context:
    """What a condition inherits from its parents."""

    fields: tuple[str, ...] = FIELDS
    weight: float = 1.0
    fold: bool | None = None
    label: str = ""
    highlight: bool = True  # `highlight: false`: a context word, never shown as a reason


class _File(NodeReader):
    def __init__(self, path: Path, table: TermTable, aliases: AliasTable) -> None:
        self.path = path
        self.table = table
        self.aliases = aliases
        self.own: list[str] = []
        self.rules_node: yaml.Node | None = None

    def fields(self, node: yaml.Node) -> tuple[str, ...]:
        out: list[str] = []
        for name in self.strings(node, "field"):
            if name not in _FIELD_NAMES:
                raise self.error(
                    node, f"unknown field {name!r}; expected {', '.join(_FIELD_NAMES)}"
                )
            out.extend(("summary", "content") if name == "body" else (name,))
        return tuple(dict.fromkeys(out))

    # ------------------------------------------------------------------ file level

    def read(self, text: str) -> None:
        """Step 1: parse the file and enter its aliases in the shared table."""
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
            # where PyYAML noticed is often far below the mistake: say where the construct opened
            opened = exc.context_mark
            context = (
                f" ({exc.context} at line {opened.line + 1}, column {opened.column + 1})"
                if exc.context and opened is not None and opened is not mark
                else ""
            )
            raise RuleError(
                f"invalid YAML: {exc.problem or exc}{context}", path=self.path, line=line, col=col
            ) from None
        if root is None:
            raise RuleError("empty rule file (expected 'rules:' or 'aliases:')", path=self.path)
        top = self.mapping(root, "rule file", ("aliases", "define", "rules"))
        for key in ("aliases", "define"):
            if key in top:
                self.read_aliases(top[key])
        if "rules" not in top and not self.own:
            raise self.error(root, "rule file has neither a 'rules:' list nor 'aliases:'")
        self.rules_node = top.get("rules")

    def load(self) -> list[Rule]:
        """Step 2, once every file is read: check this file's aliases, build its rules."""
        for name in self.own:
            site = self.aliases.defined[name]
            self.alias_group(name, site.node, _Context(), site.node)  # validate even if unused
        rules_node = self.rules_node
        if rules_node is None:
            return []
        if not isinstance(rules_node, yaml.SequenceNode) or not rules_node.value:
            raise self.error(rules_node, "'rules:' must be a non-empty list of rules")
        return [self.rule(n) for n in rules_node.value]

    def read_aliases(self, node: yaml.Node) -> None:
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, "aliases must be a mapping of NAME: [terms]")
        if not node.value:
            raise self.error(node, "'aliases:' is empty: give NAME: [terms], or delete it")
        for key_node, value in node.value:
            name = self.string(key_node, "alias name")
            if not _ALIAS_NAME.match(name):
                raise self.error(key_node, f"bad alias name {name!r}: use letters, digits, _ and -")
            first = self.aliases.defined.get(name)
            if first is not None:
                raise self.error(key_node, _twice(name, first, self.path))
            if _is_empty(value):
                raise self.error(value, f"empty group: alias {name!r} has no terms")
            line = key_node.start_mark.line + 1
            self.aliases.defined[name] = AliasSite(value, self, line)
            self.own.append(name)

    # ------------------------------------------------------------------ rules

    def rule(self, node: yaml.Node) -> Rule:
        m = self.mapping(node, "rule", _RULE_KEYS)
        if "name" not in m:
            raise self.error(node, "rule has no 'name'")
        name = self.string(m["name"], "name")
        ctx = _Context()
        if "field" in m:
            ctx.fields = self.fields(m["field"])
        if "weight" in m:
            ctx.weight = self.number(m["weight"], "weight")
        parts: list[Node] = []
        for op in (*OPS, "near"):
            if op in m:
                parts.append(self.op_node(op, m[op], ctx))
        condition = Group("all", tuple(parts))
        positive = positive_refs(condition)
        if not positive:
            raise self.error(node, f"rule {name!r} has no positive condition (all/any/near)")
        match_ex, no_match_ex = self.examples(m["examples"]) if "examples" in m else ((), ())
        lang = tuple(s.lower() for s in self.strings(m["lang"], "lang")) if "lang" in m else ()
        return Rule(
            name=name,
            description=self.scalar(m["description"], "description") if "description" in m else "",
            condition=condition,
            tags=tuple(self.strings(m["tags"], "tags")) if "tags" in m else (),
            lang=lang,
            urgent=self.boolean(m["urgent"], "urgent") if "urgent" in m else False,
            min_score=self.number(m["min_score"], "min_score") if "min_score" in m else 0.0,
            match_examples=match_ex,
            no_match_examples=no_match_ex,
            path=self.path,
            line=m["name"].start_mark.line + 1,
            col=m["name"].start_mark.column + 1,
            positive=tuple(positive),
            title=self.title(m["title"]) if "title" in m else LocalText(),
        )

    def title(self, node: yaml.Node) -> LocalText:
        """`title: "..."`, or one per language: `title: {en: "...", vi: "...", ja: "...", id: "..."}`."""
        if not isinstance(node, yaml.MappingNode):
            return LocalText.of(self.string(node, "title"))
        m = self.mapping(node, "title", LOCALES)
        return LocalText.of({k: self.string(v, f"title.{k}") for k, v in m.items()})

    def examples(self, node: yaml.Node) -> tuple[tuple[Example, ...], tuple[Example, ...]]:
        m = self.mapping(node, "examples", ("match", "no_match"))
        out: dict[str, tuple[Example, ...]] = {}
        for key in ("match", "no_match"):
            items = m.get(key)
            if items is None:
                out[key] = ()
                continue
            if not isinstance(items, yaml.SequenceNode):
                raise self.error(items, f"examples.{key} must be a list")
            out[key] = tuple(self.example(n) for n in items.value)
        return out["match"], out["no_match"]

    def example(self, node: yaml.Node) -> Example:
        line = node.start_mark.line + 1
        if isinstance(node, yaml.ScalarNode):
            # a bare example is body text: a headline-only hit would score higher, never lower
            return Example(summary=self.string(node, "example"), line=line)
        m = self.mapping(node, "example", _EXAMPLE_KEYS)
        get = {k: self.scalar(v, k) for k, v in m.items()}
        return Example(
            title=get.get("title", ""),
            summary=get.get("summary", get.get("text", "")),
            content=get.get("content", ""),
            lang=get.get("lang"),
            line=line,
        )

    # ------------------------------------------------------------------ conditions

    def op_node(self, op: str, value: yaml.Node, ctx: _Context) -> Node:
        if op == "near":
            return self.near(value, ctx)
        if isinstance(value, yaml.SequenceNode):
            items = value.value
        elif isinstance(value, yaml.ScalarNode | yaml.MappingNode):
            items = [value]
        else:  # pragma: no cover - yaml has no other node kinds
            raise self.error(value, f"{op}: expected a list")
        if not items or (isinstance(value, yaml.ScalarNode) and not value.value.strip()):
            raise self.error(value, f"empty group: '{op}:' needs at least one term or group")
        return Group(_GROUP_OPS[op], tuple(self.node(n, ctx) for n in items))

    def node(self, node: yaml.Node, ctx: _Context) -> Node:
        if isinstance(node, yaml.ScalarNode):
            return self.term_or_alias(node, ctx)
        if isinstance(node, yaml.SequenceNode):
            # a bare nested list reads as "any of these"
            return self.op_node("any", node, ctx)
        m = self.mapping(node, "condition", _NODE_KEYS)
        inner = _Context(ctx.fields, ctx.weight, ctx.fold, ctx.label, ctx.highlight)
        if "field" in m:
            inner.fields = self.fields(m["field"])
        if "weight" in m:
            inner.weight = self.number(m["weight"], "weight")
        if "fold" in m:
            inner.fold = self.boolean(m["fold"], "fold")
        if "highlight" in m:
            inner.highlight = self.boolean(m["highlight"], "highlight")
        ops = [k for k in (*OPS, "near", "term") if k in m]
        if len(ops) != 1:
            raise self.error(
                node,
                "a condition needs exactly one of all, any, none, near, term"
                + (f" (found {', '.join(ops)})" if ops else ""),
            )
        if "except" in m and (ops[0] != "term" or self.scalar(m["term"], "term")[:1] == "$"):
            raise self.error(
                m["except"], "'except:' applies to a single term, not a group or alias"
            )
        if ops[0] == "term":
            if "except" in m:
                excepts = [
                    self.term(n, self.string(n, "except"), inner) for n in self.seq(m["except"])
                ]
                return self.term(m["term"], self.scalar(m["term"], "term"), inner, excepts)
            return self.term_or_alias(m["term"], inner)
        return self.op_node(ops[0], m[ops[0]], inner)

    def near(self, node: yaml.Node, ctx: _Context) -> Near:
        m = self.mapping(node, "near", _NEAR_KEYS)
        if "terms" not in m or not isinstance(m["terms"], yaml.SequenceNode):
            raise self.error(node, "near needs 'terms:', a list of two or more terms")
        elements = m["terms"].value
        if len(elements) < 2:
            raise self.error(m["terms"], "near needs at least two terms")
        if "within" not in m:
            raise self.error(node, "near needs 'within: N' (words; characters for CJK)")
        within = int(self.number(m["within"], "within", integer=True))
        chars = int(self.number(m["chars"], "chars", integer=True)) if "chars" in m else within
        alternatives = tuple(tuple(self.flat_refs(e, ctx)) for e in elements)
        return Near(alternatives, within, chars, ctx.fields)

    def flat_refs(self, node: yaml.Node, ctx: _Context) -> list[TermRef]:
        """A near element: a term, an alias or a list of them, flattened to alternatives."""
        found = self.node(node, ctx)
        refs: list[TermRef] = []
        stack: list[Node] = [found]
        while stack:
            cur = stack.pop()
            if isinstance(cur, TermRef):
                refs.append(cur)
            elif isinstance(cur, Group) and operator(cur.op) is ANY:
                stack.extend(cur.children)
            else:
                raise self.error(node, "near terms must be terms, aliases or lists of them")
        return refs[::-1]

    def term_or_alias(self, node: yaml.Node, ctx: _Context) -> Node:
        raw = self.scalar(node, "term")
        if raw.startswith("$"):
            name = raw[1:]
            site = self.aliases.defined.get(name)
            if site is None:
                same_case = [a for a in self.aliases.defined if a.upper() == name.upper()]
                hint = same_case or difflib.get_close_matches(name, list(self.aliases.defined), n=1)
                tip = f" (did you mean ${hint[0]}?)" if hint else ""
                raise self.error(node, f"unknown alias {raw!r}{tip}{self.aliases.missing_hint}")
            return site.owner.alias_group(name, site.node, ctx, node, user=self)
        return self.term(node, raw, ctx)

    def alias_group(
        self,
        name: str,
        value: yaml.Node,
        ctx: _Context,
        use: yaml.Node,
        *,
        user: _File | None = None,
    ) -> Group:
        """Expand an alias defined in this file; a cycle is reported where the alias is used."""
        expanding = self.aliases.expanding
        if name in expanding:
            chain = " -> ".join([*expanding, name])
            raise (user or self).error(use, f"alias cycle: {chain}")
        expanding.append(name)
        try:
            inner = _Context(ctx.fields, ctx.weight, ctx.fold, f"${name}", ctx.highlight)
            group = self.op_node("any", value, inner)
        finally:
            expanding.pop()
        assert isinstance(group, Group)
        return Group("any", group.children, label=f"${name}")

    def seq(self, node: yaml.Node) -> list[yaml.Node]:
        return list(node.value) if isinstance(node, yaml.SequenceNode) else [node]

    def term(
        self, node: yaml.Node, raw: str, ctx: _Context, excepts: Sequence[TermRef] = ()
    ) -> TermRef:
        text = " ".join(raw.split())
        if not text:
            raise self.error(node, "empty term")
        wildcard = text.endswith("*")
        body = text[:-1] if wildcard else text
        if "*" in body or (wildcard and (not body or not is_word_char(body[-1]))):
            raise self.error(
                node,
                f"bad wildcard in {raw!r}: only a trailing '*' right after a letter is "
                "allowed (e.g. mitra*)",
            )
        key = normalize_term(body)
        folded = fold_term(body)
        # a term written with diacritics ("Nhật Bản") also finds the unmarked spelling ("Nhat Ban");
        # a plain term matches as written; `fold:` overrides either way
        fold = ctx.fold if ctx.fold is not None else folded != key
        if not key.strip():
            raise self.error(node, f"term {raw!r} has nothing to match after normalisation")
        term = Term(
            text=text,
            key=folded if fold else key,
            wildcard=wildcard,
            fold=fold,
            check_start=is_word_char(key[0]),
            check_end=is_word_char(key[-1]),
            cjk=has_cjk(key),
            excepts=tuple(sorted({x.term for x in excepts})),
        )
        label = f"{ctx.label}: {text}" if ctx.label else text
        return TermRef(self.table.add(term), ctx.fields, ctx.weight, label, ctx.highlight)


def _is_empty(value: yaml.Node) -> bool:
    """`NAME: []`, or `NAME:` with nothing after it."""
    if isinstance(value, yaml.SequenceNode):
        return not value.value
    return isinstance(value, yaml.ScalarNode) and value.tag.endswith(":null") and not value.value


def _twice(name: str, first: AliasSite, here: Path) -> str:
    """Both places, whichever file was read first, and what to do: the names are shared."""
    where = f"line {first.line}" if first.owner.path == here else f"{first.owner.path}:{first.line}"
    return (
        f"alias {name!r} is defined twice (also at {where}): aliases are shared by every rule file "
        f"loaded together; rename one (e.g. MY_{name.upper().lstrip('_')}) or add its terms to the other"
    )
