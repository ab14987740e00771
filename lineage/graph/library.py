"""Calls of library code: what the specs say a call does to its arguments, to module and object
states, to files, and what its result is."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from lineage._sentinel import Sentinel
from lineage.analysis.records import CallSite, Link, PathExpr
from lineage.analysis.specs import GIVEN, Effect, FileEffect, mode_op
from lineage.graph.records import (
    CWD,
    PLAIN_CONTAINERS,
    WILDCARD_FILE,
    NodeId,
    StatementEffects,
    alone,
    union,
)

if TYPE_CHECKING:
    from lineage.graph.effects import Effects


class LibraryEffects:
    """Applies a library call's spec (:class:`lineage.analysis.specs.Effect`): the arguments and
    receiver it changes, the module and object states it reads and writes (pyplot's current
    figure), the files it reads and writes, and how its result relates to existing objects."""

    def __init__(self, fx: Effects) -> None:
        self.fx = fx  # the interpreter this works for: reads, changes and calls go through it
        self.g = fx.g
        self.st = fx.st
        self.objects = fx.objects

    def absolute(self, text: str) -> str | None:
        """A path (``~`` already expanded) as an absolute, normalised path; None when it is
        relative and the working directory is unknown (after a change of directory the analysis
        could not follow)."""
        if self.fx.cwd is None and not os.path.isabs(text):
            return None
        return os.path.normpath(os.path.join(self.fx.cwd or "", text))

    def may_write_object_state(self, state: str) -> None:
        """A library we know nothing of may draw on pyplot's current figure (seaborn does): the
        call becomes one more writer of it (not a reader, which would tie what the library
        computes to the plots made before), or it makes the figure when there is none."""
        st = self.st
        nid = NodeId(self.fx.nid)
        loc = self.objects.loc(state)
        if loc is None:
            self.bind_object_state(state, self.objects.new_loc(nid), nid)
        else:
            st.writers[loc] = union(st.writers.get(loc, ()), alone(nid))
            self.mark_used(state, loc)

    def apply_effect(
        self,
        effect: Effect,
        call: CallSite,
        eff: StatementEffects,
        rootmap,
        receiver: str | None,
        element: bool = False,
    ) -> None:
        """Apply a spec; ``element``: the receiver is a part of ``receiver`` (a.b.m())."""
        for target in effect.mutates:
            if target == "self":
                if effect.mutates_when is not None:
                    kw, value = effect.mutates_when
                    if (kw, value) not in call.consts and dict(call.consts).get(kw) != value:
                        continue
                plain = receiver is not None and self.objects.type_of(receiver) in PLAIN_CONTAINERS
                self.fx.mutate(receiver, eff, element=element, shallow=plain)
            else:
                self.fx.mutate(self.arg_root(call, target, rootmap), eff)
        nested = call.arg_calls
        roots = (*call.args, *[r for _, r in call.kwargs]) if call.kwargs else call.args
        for i, root in enumerate(roots):
            name = rootmap(root) if root is not None else None
            if name is not None:
                self.fx.read(name, eff)
                # an argument that is a call's result (``f(model.predict(X))``) is not the
                # object its expression starts from: iterating it consumes nothing of that
                if effect.iterates and not (i < len(nested) and nested[i] is not None):
                    self.fx.consume(name, eff)  # sum(it), list(gen): the iterator is used up
        if (effect.reads or effect.writes) and not self._seeded(effect, call, receiver):
            held = self.g.specs.object_states
            if held and (held.intersection(effect.reads) or held.intersection(effect.writes)):
                self.object_state_effect(effect, call, eff, rootmap)
            else:
                eff.pseudo_reads.update(effect.reads)
                eff.pseudo_writes.update(effect.writes)
        if receiver is not None and "self" in effect.mutates:
            self.configure(receiver, call)  # est.set_params(random_state=0)
        for fe in effect.files:
            self.file_effect(fe, call, eff, rootmap, receiver)

    def object_state_effect(
        self, effect: Effect, call: CallSite, eff: StatementEffects, rootmap
    ) -> None:
        """Reads and writes of hidden state, where a state may hold an object (pyplot's current
        figure): reading it reads that object, writing it changes the object (made by this
        statement when the state holds none) unless ``holds`` says it then holds another."""
        held = self.g.specs.object_states
        eff.pseudo_reads.update(s for s in effect.reads if s not in held)
        eff.pseudo_writes.update(s for s in effect.writes if s not in held)
        holds = holds_after(effect, call)
        for state in effect.writes:
            if state in held:
                self.write_object_state(state, holds, call, eff, rootmap)
        for state in effect.reads:
            if state in held and state not in effect.writes:
                self.fx.read(state, eff, apply_func=False)

    def write_object_state(
        self, state: str, holds: str | None, call: CallSite, eff: StatementEffects, rootmap
    ) -> None:
        st = self.st
        nid = NodeId(self.fx.nid)
        if holds in ("new", "none"):
            # a new figure; or none, which the next use makes here (so it depends on this call)
            self.bind_object_state(state, self.objects.new_loc(nid), nid, used=holds == "new")
            if holds == "none":
                st.state_objects[state] = ()
            return
        target: int | None = None
        if holds == "any" and st.state_objects.get(state):
            # any object the state held before may be the one it holds now: they are one value
            target = self.objects.find(st.state_objects[state][0])
            for other in st.state_objects[state][1:]:
                target = self.objects.merge(target, other)
        elif holds is not None and holds.startswith("arg:"):
            which = holds[4:]
            root = self.arg_root(call, int(which) if which.isdigit() else which, rootmap)
            target = self.objects.loc(root) if root is not None else None
        if target is not None:
            eff.mutated.add(target)
            self.bind_object_state(state, target, nid)
            return
        loc = self.objects.loc(state)
        if loc is None:
            self.bind_object_state(state, self.objects.new_loc(nid), nid)  # plt.plot with no figure
            return
        self.fx.mutate(state, eff)  # the object it holds changes
        self.mark_used(state, loc)

    def bind_object_state(self, state: str, loc: int, nid: NodeId, used: bool = True) -> None:
        st = self.st
        st.loc_of[state] = loc
        st.binders[state] = alone(nid)
        if used:
            self.mark_used(state, loc)

    def mark_used(self, state: str, loc: int) -> None:
        """The state's object is a real one (a figure), not the none a reset left."""
        held = self.st.state_objects.get(state, ())
        if all(self.objects.find(h) != self.objects.find(loc) for h in held):
            self.st.state_objects[state] = (*held, loc)

    def _seeded(self, effect: Effect, call: CallSite, receiver: str | None) -> bool:
        """The call, or the making of its receiver, gave the effect's seed keyword a value."""
        kw = effect.seeded_by
        if kw is None:
            return False
        if kw in given_keywords(call):
            return True
        loc = self.objects.loc(receiver) if receiver is not None else None
        return loc is not None and kw in self.st.configured.get(loc, frozenset())

    def configure(self, name: str, call: CallSite) -> None:
        """Record the keywords a call gave ``name``'s object (a literal None takes one back)."""
        loc = self.objects.loc(name)
        if loc is None:
            return
        unset = {kw for kw, value in call.consts if value is None}
        now = (self.st.configured.get(loc, frozenset()) | given_keywords(call)) - unset
        if now:
            self.st.configured[loc] = now
        else:
            self.st.configured.pop(loc, None)

    def arg_root(self, call: CallSite, target: int | str, rootmap) -> str | None:
        if isinstance(target, int):
            if call.starred:
                return None
            root = call.args[target] if target < len(call.args) else None
        else:
            root = dict(call.kwargs).get(target)
        return rootmap(root) if root is not None else None

    def file_effect(
        self, fe: FileEffect, call: CallSite, eff: StatementEffects, rootmap, receiver: str | None
    ) -> None:
        absent = isinstance(fe.path, int) and fe.path >= len(call.paths) and not call.starred
        if absent and (fe.path_kw is None or fe.path_kw not in dict(call.kwargs)):
            return  # no path given: nothing is read or written (df.to_csv() returns text)
        pexpr: PathExpr | None = None
        if fe.path == "self":
            pexpr = ("name", receiver) if receiver else call.receiver_path
        else:
            if isinstance(fe.path, int) and fe.path < len(call.paths):
                pexpr = call.paths[fe.path]
            if pexpr is None and fe.path_kw is not None:
                pexpr = dict(call.kwpaths).get(fe.path_kw)
            if pexpr is not None and pexpr[0] == "name" and rootmap(pexpr[1]) is None:
                pexpr = None
        text = self.objects.fold_text(pexpr) if pexpr is not None else None
        if text is not None:
            text = os.path.expanduser(text)
        if text is None or not os.path.isabs(text):
            eff.pseudo_reads.add(CWD)  # where the path points depends on the working directory
        path = self.absolute(text) if text is not None else None
        loc = f"file:{path}" if path is not None else WILDCARD_FILE
        op = fe.op
        if op == "mode":
            mode = fe.default_mode
            if isinstance(fe.mode, int) and fe.mode < len(call.paths):
                m = call.paths[fe.mode]
                mode = m[1] if m is not None and m[0] == "lit" else mode
            if fe.mode_kw is not None:
                m = dict(call.kwpaths).get(fe.mode_kw)
                if m is not None and m[0] == "lit":
                    mode = m[1]
            reads, writes, truncates = mode_op(mode)
            if reads or not truncates:
                eff.pseudo_reads.add(loc)
            if writes:
                eff.pseudo_writes.add(loc)
        elif op == "read":
            eff.pseudo_reads.add(loc)
        elif op == "chdir":
            eff.pseudo_reads.add(loc)  # the folder must exist
            self.fx.cwd = path  # relative paths from here on, None if unknown
            self.fx.moved = True
        elif op == "append":
            eff.pseudo_reads.add(loc)
            eff.pseudo_writes.add(loc)
        else:  # write, delete
            eff.pseudo_writes.add(loc)

    def result_link(self, effect: Effect, call: CallSite, rootmap, receiver: str | None) -> Link:
        ret = effect.returns
        if ret == "new":  # most specs
            return ("new", "")
        if ret == "self" and receiver is not None:
            return ("same", receiver)
        if ret == "part" and receiver is not None:
            return ("part", receiver)
        if ret.startswith("state:"):
            return ("part", ret) if ret in self.st.loc_of else ("new", "")
        if ret == "copy" and receiver is not None:
            return ("copy", (receiver,))
        if ret.startswith("copy:"):
            which = ret[5:]
            if which == "*":
                return ("copy", self.arg_names(call, rootmap, None))
            names = self.arg_names(call, rootmap, int(which) if which.isdigit() else which)
            return ("copy", names) if names else ("new", "")
        if ret.startswith("holds:"):
            # a lazy view or iterator over the argument (iter(xs)): it holds that object, so a
            # change of it shows in the result, and using the result up leaves it alone
            which = ret[6:]
            names = self.arg_names(
                call, rootmap, None if which == "*" else int(which) if which.isdigit() else which
            )
            return ("holds", names) if names else ("new", "")
        if ret.startswith("arg:"):
            which = ret[4:]
            if which == "*":
                return ("parts", self.arg_names(call, rootmap, None))
            names = self.arg_names(call, rootmap, int(which) if which.isdigit() else which)
            if len(names) == 1:
                return ("part", names[0])
            if names:
                return ("parts", names)
        return ("new", "")

    def arg_names(self, call: CallSite, rootmap, which: int | str | None) -> tuple[str, ...]:
        """The names an argument's value may be (a part of): its root, or for an argument that
        is itself a call (``next(iter(g))``) what that call's result links to; ``which``: a
        position or keyword, None for every argument."""
        out: list[str] = []
        positions = range(len(call.args)) if which is None else (which,)
        for i in positions:
            nested = call.arg_calls[i] if isinstance(i, int) and i < len(call.arg_calls) else None
            link = self.fx.site_links.get(id(nested)) if nested is not None else None
            if link is not None and link[0] not in ("new", "instance"):
                value = link[1]
                out.extend((value,) if isinstance(value, str) else value)
                continue
            root = self.arg_root(call, i, rootmap)
            if root is not None:
                out.append(root)
        if which is None:
            out.extend(n for _, r in call.kwargs if r and (n := rootmap(r)) is not None)
        return tuple(out)


def holds_after(effect: Effect, call: CallSite) -> str | None:
    """What the object states a call writes hold afterwards: the first ``holds_when`` case the
    call matches (the argument passed, not as a literal None; or passed as that literal), else
    ``holds``."""
    for index, kw, equals, holds in effect.holds_when:
        value = _argument_value(call, index, kw)
        if value is _ABSENT or value is None:
            continue
        if equals is GIVEN or value == equals:
            return holds
    return effect.holds


_ABSENT = Sentinel("ABSENT")  # the argument is not passed


_UNKNOWN = Sentinel("UNKNOWN")  # it is passed, as an expression


def _argument_value(call: CallSite, index: int | None, kw: str | None) -> object:
    """A passed argument's literal value (strings positionally, any literal by keyword)."""
    if call.starred:
        return _UNKNOWN
    if index is not None and index < len(call.args):
        p = call.paths[index]
        return p[1] if p is not None and p[0] == "lit" else _UNKNOWN
    if kw is not None and kw in dict(call.kwargs):
        consts = dict(call.consts)
        return consts.get(kw, _UNKNOWN)
    return _ABSENT


def given_keywords(call: CallSite) -> frozenset[str]:
    """Keywords a call passes a value other than a literal None."""
    none = {kw for kw, value in call.consts if value is None}
    return frozenset(kw for kw, _ in call.kwargs if kw != "**" and kw not in none)
