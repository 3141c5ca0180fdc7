"""How a check refuses the shortcut an exercise exists to avoid.

Three tools, each independent of how the learner spells the shortcut:

- :func:`without` wraps the learner's function so that, while it runs, the named calls
  (``"jax.hessian"``, ``"numpy.linalg.pinv"``, ``"scipy.optimize.minimize"``...) raise
  :class:`CheckFailed` with the reason. It replaces the attribute on its module *and* any
  global of the learner's module bound to the same object, so ``from jax import hessian``
  is caught too. Oracles the check runs outside the wrapped call are unaffected.
- :func:`primitives` and :func:`intermediate_shapes` trace a function with
  ``jax.make_jaxpr`` and walk every equation, nested jaxprs (jit, scan, while, cond,
  custom_jvp...) included: :func:`assert_no_primitive` refuses, say, ``eigh`` however it was
  reached, and :func:`assert_no_square_intermediate` refuses any (n, n) value, which is how
  "build it from Hessian-vector products, never the Hessian" is checked.
- :func:`raise_if_mistake` compares an answer with the outputs of known wrong formulas
  (no bias correction, eps inside the square root...) and raises that mistake's hint;
  :func:`diagnose` does so only with the mistakes that :func:`distinct_mistakes` finds far
  from the right answer on the inputs at hand.

Only public JAX APIs are used: ``jax.make_jaxpr``, a jaxpr's ``eqns``, each equation's
``primitive.name``, ``outvars[i].aval.shape`` and ``params`` (searched for nested jaxprs by
their ``eqns``/``jaxpr`` attributes, not by parameter names, which change between releases).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any

import jax
import numpy as np

from jlr.course.exercise import CheckFailed, assert_close, f64

# Shortcuts that several checks refuse, with the reason shown to the learner.
HESSIAN_BUILDERS = {
    name: "it builds the whole matrix; the exercise is to get it from jax.jvp / jax.vjp"
    for name in ("jax.hessian", "jax.jacfwd", "jax.jacrev", "jax.jacobian")
}
SCIPY_SOLVERS = {
    name: "the exercise is to write the iteration yourself"
    for name in (
        "scipy.optimize.minimize",
        "scipy.optimize.root",
        "scipy.optimize.fsolve",
        "scipy.optimize.least_squares",
    )
}
CLOSED_FORM_SOLVERS = {
    name: "the exercise is to run the iteration, not to solve in closed form"
    for name in (
        "jax.numpy.linalg.pinv",
        "jax.numpy.linalg.lstsq",
        "jax.numpy.linalg.solve",
        "jax.numpy.linalg.inv",
        "jax.scipy.linalg.solve",
        "numpy.linalg.pinv",
        "numpy.linalg.lstsq",
        "numpy.linalg.solve",
        "numpy.linalg.inv",
        "scipy.linalg.pinv",
        "scipy.linalg.lstsq",
        "scipy.linalg.solve",
    )
}


def _resolve(path: str) -> tuple[Any, str, Any]:
    """'jax.numpy.linalg.pinv' -> (the module jax.numpy.linalg, 'pinv', the function)."""
    module_name, _, attribute = path.rpartition(".")
    module = importlib.import_module(module_name)
    return module, attribute, getattr(module, attribute)


def _refusal(path: str, why: str) -> Callable[..., Any]:
    def refused(*args: Any, **kwargs: Any) -> Any:
        raise CheckFailed(f"{path} is off limits here: {why}")

    return refused


@contextmanager
def forbidden(
    calls: Mapping[str, str],
    learner_globals: dict[str, Any] | None = None,
    *,
    also_in: tuple[dict[str, Any], ...] = (),
):
    """While the block runs, each dotted path in `calls` raises CheckFailed(its reason), as
    do the names in `learner_globals` and in the namespaces `also_in` bound to the same
    object (re-exports, ``from ... import`` names). Restored afterwards."""
    with ExitStack() as stack:
        for path, why in calls.items():
            module, attribute, original = _resolve(path)
            refused = _refusal(path, why)
            namespaces = (vars(module), *also_in, *([learner_globals] if learner_globals else []))
            for namespace in namespaces:
                for name, value in list(namespace.items()):
                    if value is original:
                        stack.enter_context(_patched(namespace, name, refused))
        yield


@contextmanager
def _patched(namespace: dict[str, Any], name: str, value: Any) -> Iterator[None]:
    original = namespace[name]
    namespace[name] = value
    try:
        yield
    finally:
        namespace[name] = original


def without(
    fn: Callable[..., Any], calls: Mapping[str, str], *, also_in: tuple[dict[str, Any], ...] = ()
) -> Callable[..., Any]:
    """`fn`, but each call in `calls` is refused while it runs (see :func:`forbidden`)."""
    learner_globals = getattr(inspect.unwrap(fn), "__globals__", None)

    @functools.wraps(fn)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        with forbidden(calls, learner_globals, also_in=also_in):
            return fn(*args, **kwargs)

    return guarded


def library_answer(solution: Callable[..., Any]) -> dict[str, str]:
    """The jlr library functions a reference solution is, or calls by name: calling one of
    them is handing in the library's answer. Dotted path -> the reason shown."""
    found: dict[str, str] = {}

    def add(value: Any) -> None:
        if value is None or inspect.ismodule(value) or inspect.isclass(value):
            return
        function = inspect.unwrap(value)  # a jax.jit-ed function wraps a plain one
        home = getattr(function, "__module__", "") or ""
        if (
            inspect.isfunction(function)
            and home.startswith("jlr.")
            and not home.startswith("jlr.course")
        ):
            path = f"{home}.{function.__name__}"
            found[path] = f"it is the library's answer ({path}); write it yourself"

    add(solution)
    code = getattr(solution, "__code__", None)
    if code is None or not getattr(solution, "__module__", "").startswith("jlr.course"):
        return found
    names = set()
    codes = [code]
    while codes:
        current = codes.pop()
        names.update(current.co_names)
        codes.extend(c for c in current.co_consts if inspect.iscode(c))
    for name in names:
        value = solution.__globals__.get(name)
        add(value)
        if inspect.ismodule(value) and value.__name__.startswith("jlr."):
            for attribute in names:
                add(getattr(value, attribute, None))
    return found


def library_namespaces() -> tuple[dict[str, Any], ...]:
    """The namespaces of every loaded jlr module outside jlr.course (where re-exports live)."""
    return tuple(
        vars(module)
        for name, module in list(sys.modules.items())
        if module is not None
        and (name == "jlr" or name.startswith("jlr."))
        and not name.startswith("jlr.course")
    )


# -- Inside the jaxpr ---------------------------------------------------------------------


def _nested_jaxprs(value: Any) -> Iterator[Any]:
    """Jaxprs held by an equation parameter: a Jaxpr, a ClosedJaxpr, or tuples of them."""
    if hasattr(value, "eqns"):
        yield value
    elif hasattr(value, "jaxpr") and hasattr(value.jaxpr, "eqns"):
        yield value.jaxpr
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _nested_jaxprs(item)


def _equations(jaxpr: Any) -> Iterator[Any]:
    for eqn in jaxpr.eqns:
        yield eqn
        for value in eqn.params.values():
            for nested in _nested_jaxprs(value):
                yield from _equations(nested)


def traced(fn: Callable[..., Any], *args: Any) -> Any:
    """jax.make_jaxpr(fn)(*args).jaxpr, or CheckFailed if fn cannot be traced."""
    try:
        return jax.make_jaxpr(fn)(*args).jaxpr
    except (CheckFailed, NotImplementedError):  # a stub stays a TODO, a refusal its own hint
        raise
    except Exception as error:  # e.g. float() of a tracer, numpy on a traced array
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise CheckFailed(
            "your function must run under JAX tracing (jax.make_jaxpr) for this check: keep "
            f"it in jax.numpy, with no float() or numpy on its arrays ({type(error).__name__}: "
            f"{first[:80]})"
        ) from None


def primitives(fn: Callable[..., Any], *args: Any) -> set[str]:
    """The names of every primitive fn(*args) binds, nested jaxprs included."""
    return {eqn.primitive.name for eqn in _equations(traced(fn, *args))}


def intermediate_shapes(fn: Callable[..., Any], *args: Any) -> list[tuple[int, ...]]:
    """The shape of every value fn(*args) computes, nested jaxprs included."""
    shapes = []
    for eqn in _equations(traced(fn, *args)):
        for var in eqn.outvars:
            shape = getattr(getattr(var, "aval", None), "shape", None)
            if shape is not None:
                shapes.append(tuple(shape))
    return shapes


def assert_no_primitive(fn: Callable[..., Any], args: tuple, names: set[str], why: str) -> None:
    """CheckFailed(why) if fn(*args) binds any primitive in `names` (e.g. {'eigh', 'svd'})."""
    used = sorted(primitives(fn, *args) & set(names))
    if used:
        raise CheckFailed(f"your function computes {', '.join(used)}: {why}")


def assert_no_square_intermediate(fn: Callable[..., Any], args: tuple, n: int, why: str) -> None:
    """CheckFailed(why) if fn(*args) computes any value with two axes of length n."""
    for shape in intermediate_shapes(fn, *args):
        if sum(1 for size in shape if size == n) >= 2:
            raise CheckFailed(f"your function builds a {shape} array: {why}")


# -- Known wrong formulas -----------------------------------------------------------------


def raise_if_mistake(
    actual: Any, mistakes: Mapping[str, Any], *, rtol: float = 1e-4, atol: float = 1e-7
) -> None:
    """CheckFailed(hint) if `actual` matches the output of a known mistake.

    mistakes: hint -> what that wrong formula returns on the same inputs. Call it before the
    comparison with the right answer, and pick inputs where the right and wrong answers are
    far apart, so a match is evidence of the mistake.
    """
    actual_arr = np.asarray(actual, dtype=np.float64)
    for hint, wrong in mistakes.items():
        wrong_arr = np.asarray(wrong, dtype=np.float64)
        if actual_arr.shape == wrong_arr.shape and np.allclose(
            actual_arr, wrong_arr, rtol=rtol, atol=atol
        ):
            raise CheckFailed(hint)


def distinct_mistakes(
    expected: Any, mistakes: Mapping[str, Any], *, rtol: float, atol: float
) -> dict[str, Any]:
    """The mistakes whose answer, on these inputs, is far from the right one (10x the matching
    tolerance), so that a match is evidence of that mistake."""
    right = f64(expected)

    def far(wrong) -> bool:
        wrong = f64(wrong)
        return wrong.shape != right.shape or not np.allclose(
            wrong, right, rtol=10 * rtol, atol=10 * atol
        )

    return {hint: wrong for hint, wrong in mistakes.items() if far(wrong)}


def diagnose(
    actual: Any,
    expected: Any,
    mistakes: Mapping[str, Any],
    *,
    rtol: float = 1e-4,
    atol: float = 1e-7,
) -> None:
    """:func:`raise_if_mistake` on the mistakes that are distinct from the right answer
    `expected` here (:func:`distinct_mistakes`); no verdict on a right or a generic wrong
    answer, which the caller's own comparison gives."""
    distinct = distinct_mistakes(expected, mistakes, rtol=rtol, atol=atol)
    raise_if_mistake(actual, distinct, rtol=rtol, atol=atol)


def assert_close_or_mistake(
    actual: Any, expected: Any, mistakes: Mapping[str, Any], *, rtol: float, atol: float, what: str
) -> None:
    """Pass if actual ~ expected; else the hint of a known mistake it matches (see
    :func:`raise_if_mistake`); else the generic mismatch. A right answer is never mistaken
    for a mistake, since the right answer is tried first."""
    actual_arr = np.asarray(actual, dtype=np.float64)
    expected_arr = np.asarray(expected, dtype=np.float64)
    if actual_arr.shape == expected_arr.shape and np.allclose(
        actual_arr, expected_arr, rtol=rtol, atol=atol
    ):
        return
    raise_if_mistake(actual_arr, mistakes, rtol=rtol, atol=atol)
    assert_close(actual_arr, expected_arr, rtol=rtol, atol=atol, what=what)


def assert_close_or_distinct_mistake(
    actual: Any,
    expected: Any,
    mistakes: Mapping[str, Any],
    *,
    rtol: float = 1e-4,
    atol: float = 1e-6,
    what: str = "result",
) -> None:
    """`assert_close_or_mistake` with only the mistakes that `distinct_mistakes` keeps: those
    whose answer on these inputs is far from the right one."""
    distinct = distinct_mistakes(expected, mistakes, rtol=rtol, atol=atol)
    assert_close_or_mistake(actual, expected, distinct, rtol=rtol, atol=atol, what=what)
