"""Reading a person's answer safely, and checking it against a claim (verify.answers)."""

from __future__ import annotations

import ast
import builtins
import contextlib
import dataclasses
import sys
import time
from pathlib import Path
from unittest import mock

import pytest
import sympy as sp
import sympy.parsing.sympy_parser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derivations.functions import Phi, sigmoid
from verify import answers, claims
from verify.answers import check_answer, main, parse_expression, parse_interval
from verify.claims import Claim, Evidence

x = sp.Symbol("x", real=True)


# --- parsing what people type ------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("exp(x)/(1+exp(x))", sp.exp(x) / (1 + sp.exp(x))),
        ("1 - tanh(x)^2", 1 - sp.tanh(x) ** 2),
        ("x^2", x**2),
        ("x**2", x**2),
        ("-x^2", -(x**2)),
        ("2^3^2", sp.Integer(512)),  # right-associative: 2^(3^2)
        ("x^-2", x**-2),
        ("0.5*x + 1e-3", x / 2 + sp.Rational(1, 1000)),
        ("sigmoid(x)*(1 - σ(x))", sigmoid(x) * (1 - sigmoid(x))),
        ("sigma(x) + Phi(x) + Φ(x)", sigmoid(x) + 2 * Phi(x)),
        ("max(0, x) - min(x, 1) + abs(x)", sp.Max(0, x) - sp.Min(x, 1) + sp.Abs(x)),
        ("e^x + E + ln(x) + log(2)", sp.exp(x) + sp.E + sp.log(x) + sp.log(2)),
        (
            "sqrt(2*pi) * erf(x) / cosh(x) + sinh(x) + sech(x)",
            sp.sqrt(2 * sp.pi) * sp.erf(x) / sp.cosh(x) + sp.sinh(x) + sp.sech(x),
        ),
        ("x − 1", x - 1),  # U+2212, as pasted from a page
        ("  +x  ", x),
    ],
)
def test_examples_parse_to_the_expected_expression(text, expected):
    got = parse_expression(text)
    assert got == expected
    assert sp.simplify(got - expected) == 0


def test_variables_are_real_symbols_named_by_the_caller():
    z1, z2 = sp.Symbol("z1", real=True), sp.Symbol("z2", real=True)
    assert parse_expression("z1*exp(z2)", variables=("z1", "z2")) == z1 * sp.exp(z2)
    assert parse_expression("3", variables=()) == 3
    with pytest.raises(ValueError, match="unknown name 'x'"):
        parse_expression("x", variables=())


@pytest.mark.parametrize("variables", [("x_1",), ("exp",), ("",), (3,), ("1x",)])
def test_bad_variable_names_are_refused(variables):
    with pytest.raises(ValueError, match="variables"):
        parse_expression("1", variables=variables)


def test_non_string_text_is_a_type_error_naming_the_argument():
    with pytest.raises(TypeError, match="text"):
        parse_expression(2)
    with pytest.raises(TypeError, match="text"):
        parse_interval(None)


# --- what must never get through ---------------------------------------------------------
INJECTIONS = [
    "__import__('os').system('echo hi')",
    "().__class__.__bases__",
    "x.__class__",
    "lambda: 1",
    "exp[0]",
    "open('f')",
    "eval('1')",
    '"x"',
    "x; import os",
    "9^9^9^9",
    "x+" * 5000,  # 10,000 characters
    "(" * 100 + "x" + ")" * 100,
    "getattr(x, 'y')",
    "{x}",
    "x\\n",
    "x = 1",
    "exp(x).func",
    "exp",
    "sin(x)",
    "2x",
    "exp(1, 2)",
    "max(x)",
    "10000001",
    "1e99999999",
    "x^101",
    "((2^100)^100)^100",
    "exp(exp(exp(exp(9))))",
    "1/0",
    "log(0)",
    "",
    "   ",
]


@pytest.mark.parametrize("text", INJECTIONS, ids=lambda t: t[:30])
def test_injection_and_blow_up_attempts_are_refused_quickly(text):
    start = time.perf_counter()
    with pytest.raises(ValueError, match="^text: "):
        parse_expression(text)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(
    "text, position, words",
    [
        ("x.__class__", 1, "attribute access"),
        ("__import__('os')", 0, "'_' is not allowed"),
        ("exp[0]", 3, "brackets"),
        ("2 + open(1)", 4, "allowed: variables (x), functions (exp,"),
        ('"x"', 0, "quotes"),
        ("x; y", 1, "single expression"),
        ("2x", 1, "implicit multiplication"),
        ("exp(1, 2)", 0, "exp takes 1 argument, got 2"),
        ("9^9^9^9", 3, "constant exponents are limited"),
        ("1 + 2000000", 4, "numbers above 1e6"),
        ("(x", 0, "never closed"),
        ("(" * 41 + "x" + ")" * 41, 40, "nesting deeper than 40"),
    ],
)
def test_errors_point_at_the_offending_spot_and_say_what_is_allowed(text, position, words):
    with pytest.raises(ValueError) as info:
        parse_expression(text)
    assert words in str(info.value)
    assert info.value.position == position
    assert f"(at position {position + 1})" in str(info.value)


def test_limits_sit_exactly_at_their_documented_values():
    assert parse_expression("x^100") == x**100
    assert parse_expression("1e6") == 10**6
    assert parse_expression("(" * 40 + "x" + ")" * 40) == x
    assert parse_expression("x" + "+x" * 149) == 150 * x  # 299 characters
    with pytest.raises(ValueError, match="at most 300 characters"):
        parse_expression("x" + "+x" * 150)


def test_the_module_calls_nothing_that_reads_text_as_code():
    tree = ast.parse(Path(answers.__file__).read_text(encoding="utf-8"))
    banned = {"eval", "exec", "compile", "sympify", "parse_expr", "S", "__import__"}
    called = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            called.add(f.id if isinstance(f, ast.Name) else getattr(f, "attr", ""))
    assert called & banned == set()


# --- fuzzing: an expression or a ValueError, nothing run, quickly -------------------------
class Ran(BaseException):
    """Raised by the traps; a BaseException so no `except Exception` can swallow it."""


def _from_import_machinery() -> bool:
    # Importing a module execs its code object; that is Python loading code, not our text.
    return sys._getframe(2).f_globals.get("__name__", "").startswith("importlib")


@contextlib.contextmanager
def nothing_runs():
    """Trap eval/exec/compile and SymPy's string readers; yield the list of trapped calls."""
    calls: list[str] = []

    def trap(name, original, *, only_text=False):
        def trapped(*args, **kwargs):
            if _from_import_machinery() or (only_text and not isinstance(args[0], str)):
                return original(*args, **kwargs)
            calls.append(name)
            raise Ran(name)

        return trapped

    targets = [
        (builtins, "eval", False),
        (builtins, "exec", False),
        (builtins, "compile", False),
        (sp, "sympify", True),  # SymPy sympifies its own objects all the time; text is the risk
        (sympy.parsing.sympy_parser, "parse_expr", False),
    ]
    with contextlib.ExitStack() as stack:
        for module, name, only_text in targets:
            original = getattr(module, name)
            stack.enter_context(
                mock.patch.object(module, name, trap(name, original, only_text=only_text))
            )
        yield calls


def test_the_traps_fire():
    with nothing_runs() as calls, pytest.raises(Ran):
        eval("1")
    assert calls == ["eval"]
    with nothing_runs() as calls, pytest.raises(Ran):
        sp.sympify("x")
    with nothing_runs() as calls, pytest.raises(Ran):
        sympy.parsing.sympy_parser.parse_expr("x")
    assert calls == ["parse_expr"]


# Warm SymPy's lazy imports and caches so the fuzz measures parsing alone.
parse_expression("max(exp(x), log(2)) + sqrt(abs(x)) * erf(x)^2 / Phi(x) - sigmoid(oo) + pi")
parse_interval("[-0.5, oo)")

GRAMMAR_PIECES = [
    "x",
    "y",
    "2",
    "0.5",
    "1e-3",
    "9",
    "1e6",
    "1e999",
    "e",
    "E",
    "pi",
    "oo",
    "inf",
    "exp",
    "log",
    "ln",
    "sqrt",
    "tanh",
    "sigmoid",
    "σ",
    "Phi",
    "erf",
    "abs",
    "max",
    "min",
    "(",
    ")",
    ",",
    "+",
    "-",
    "*",
    "/",
    "^",
    "**",
    " ",
    "_",
    ".",
    "[",
    "]",
    "'",
    '"',
    ";",
    ":",
    "=",
    "\\",
    "{",
    "}",
    "__import__",
    "__class__",
    "lambda",
    "os",
    "open",
    "0",
    "−",
]
DANGEROUS_ALPHABET = "0123456789.eExy+-*/^(), _[]'\";:=\\{}σΦπ∞"

well_formed = st.recursive(
    st.sampled_from(["x", "y", "2", "0.5", "9", "1e6", "1e-3", "100", "0", "e", "pi", "oo"]),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "^"]), inner).map(
            lambda t: f"({t[0]}{t[1]}{t[2]})"
        ),
        st.tuples(
            st.sampled_from(["exp", "log", "sqrt", "tanh", "sigmoid", "Phi", "abs"]), inner
        ).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(["max", "min"]), inner, inner).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})"
        ),
    ),
    max_leaves=30,
)
texts = st.one_of(
    well_formed,
    st.text(max_size=400),
    st.text(alphabet=DANGEROUS_ALPHABET, max_size=120),
    st.lists(st.sampled_from(GRAMMAR_PIECES), max_size=60).map("".join),
)
fuzz = settings(
    max_examples=250, deadline=2000, suppress_health_check=[HealthCheck.too_slow], database=None
)


@fuzz
@given(texts)
def test_fuzz_parse_expression_returns_an_expression_or_raises_value_error(text):
    with nothing_runs() as calls:
        try:
            result = parse_expression(text, variables=("x", "y"))
        except ValueError:
            result = None
    assert calls == []
    assert result is None or isinstance(result, sp.Expr)


@fuzz
@given(
    st.one_of(
        texts,
        st.tuples(st.sampled_from("(["), texts, texts, st.sampled_from(")]")).map(
            lambda t: f"{t[0]}{t[1]}, {t[2]}{t[3]}"
        ),
    )
)
def test_fuzz_parse_interval_returns_an_interval_or_raises_value_error(text):
    with nothing_runs() as calls:
        try:
            result = parse_interval(text)
        except ValueError:
            result = None
    assert calls == []
    assert result is None or isinstance(result, sp.Interval)


# --- ranges ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("(0, oo)", sp.Interval.open(0, sp.oo)),
        ("[0, inf)", sp.Interval(0, sp.oo)),
        ("(-1, 1)", sp.Interval.open(-1, 1)),
        ("[-0.5, 2]", sp.Interval(sp.Rational(-1, 2), 2)),
        ("(0, 1]", sp.Interval.Lopen(0, 1)),
        ("R", sp.Interval(-sp.oo, sp.oo)),
        ("(-inf, inf)", sp.Interval(-sp.oo, sp.oo)),
        ("(-oo, 0]", sp.Interval(-sp.oo, 0)),
        ("[sqrt(2), pi)", sp.Interval.Ropen(sp.sqrt(2), sp.pi)),
    ],
)
def test_intervals_parse_with_their_open_and_closed_ends(text, expected):
    got = parse_interval(text)
    assert got == expected
    assert (got.left_open, got.right_open) == (expected.left_open, expected.right_open)


@pytest.mark.parametrize(
    "text, words",
    [
        ("(1, 0)", "lower end must be below"),
        ("[1, 1]", "lower end must be below"),
        ("(0, 1", "ends too early"),
        ("0, 1", "starts with '(' or '['"),
        ("(x, 1)", "unknown name 'x'"),
        ("(0, 1, 2)", "unexpected ','"),
        ("[[0, 1]]", "unexpected '['"),
        ("(0, 1) + 1", "nothing may follow"),
        ("(sqrt(-1), 2)", "not a real number"),
        ("(0, 1).__class__", "attribute access"),
        ("", "empty"),
    ],
)
def test_bad_intervals_are_refused_with_a_reason(text, words):
    with pytest.raises(ValueError, match="^text: ") as info:
        parse_interval(text)
    assert words in str(info.value)


# --- check_answer against claims registered here ------------------------------------------
SQUARE = "test.answers.square"  # d/dx x^2 = 2x
POINTS = (-1.5, 0.25, 2.0, 7.0)


def _square_check(candidate, seed):
    chosen = 2 * x if candidate is None else candidate
    for p in POINTS:
        got, want = complex(chosen.subs(x, p).evalf()), 2 * p
        if not abs(got - want) <= 1e-12 * max(1.0, abs(want)):
            shown = got.real if got.imag == 0 else got
            return Evidence(
                SQUARE,
                "exact",
                False,
                error=abs(got - want),
                n=len(POINTS),
                message=f"differs at x = {p}",
                details={"point": p, "candidate_value": shown, "reference_value": want},
            )
    return Evidence(SQUARE, "exact", True, error=0.0, n=len(POINTS), message="agrees with 2*x")


def _unit_interval_check(candidate, seed):
    chosen = sp.Interval(0, 1) if candidate is None else candidate
    ok = chosen == sp.Interval(0, 1)
    return Evidence("test.answers.unit", "exact", ok, message="" if ok else f"{chosen} != [0, 1]")


def _half_check(candidate, seed):
    chosen = sp.Rational(1, 2) if candidate is None else candidate
    return Evidence("test.answers.half", "exact", chosen == sp.Rational(1, 2))


def _broken_check(candidate, seed):
    raise RuntimeError("the check itself broke")


FAKES = [
    Claim(SQUARE, "test", "d/dx x^2 = 2x", "exact", _square_check),
    Claim(
        "test.answers.unit",
        "test",
        "range is [0, 1]",
        "exact",
        _unit_interval_check,
        answer="interval",
    ),
    Claim(
        "test.answers.half", "test", "one half", "exact", _half_check, answer="number", variables=()
    ),
    Claim("test.answers.matrix", "test", "a matrix", "exact", _half_check, answer="matrix"),
    Claim("test.answers.broken", "test", "breaks", "exact", _broken_check),
]


@pytest.fixture(scope="module", autouse=True)
def fake_claims():
    """Register the fakes for this module only: other tests walk every registered claim."""
    with contextlib.suppress(ImportError):
        claims.all()  # load the topics first, or restoring the registry would drop them
    with mock.patch.dict(claims._REGISTRY):
        for claim in FAKES:
            claims.register(claim)
        yield


def test_an_equivalent_answer_passes_and_says_so():
    for text in ("2*x", "x + x", "4*x/2", "(x+1)^2 - x^2 - 1"):
        evidence = check_answer(SQUARE, text)
        assert evidence.passed, text
        assert evidence.message == "equivalent: agrees with 2*x"
        assert evidence.details["answer"] == text


def test_a_wrong_answer_fails_showing_the_point_and_both_values():
    evidence = check_answer(SQUARE, "x^2")
    assert not evidence.passed
    assert (
        evidence.message
        == "not equivalent: at x = -1.5 your answer gives 2.25, the reference gives -3"
    )
    assert evidence.details["parsed"] == "x**2"


def test_check_answer_reads_each_kind_of_claim_its_own_way():
    assert check_answer("test.answers.unit", "[0, 1]").passed
    assert not check_answer("test.answers.unit", "(0, 1]").passed
    assert check_answer("test.answers.unit", "[0, 1]").details["parsed"] == "[0, 1]"
    assert check_answer("test.answers.half", "0.5").passed
    assert check_answer("test.answers.half", "1/2").message == "equivalent"
    with pytest.raises(ValueError, match="unknown name 'x'"):
        check_answer("test.answers.half", "x")
    with pytest.raises(ValueError, match="takes a matrix answer, which cannot be typed"):
        check_answer("test.answers.matrix", "1")


def test_check_answer_refuses_bad_input_before_checking():
    with pytest.raises(ValueError, match="attribute access"):
        check_answer(SQUARE, "x.__class__")
    with pytest.raises(ValueError, match="unknown claim"):
        check_answer("test.answers.no_such_claim", "2*x")
    with pytest.raises(TypeError, match="text"):
        check_answer(SQUARE, 2)
    with pytest.raises(ValueError, match="seed"):
        check_answer(SQUARE, "2*x", seed=-1)


def test_a_check_that_raises_is_reported_as_a_failure():
    evidence = check_answer("test.answers.broken", "x")
    assert not evidence.passed
    assert "RuntimeError: the check itself broke" in evidence.message


def test_check_answer_leaves_the_claim_untouched():
    claim = claims.get(SQUARE)
    before = dataclasses.asdict(claim)
    check_answer(SQUARE, "x^2", seed=3)
    assert dataclasses.asdict(claim) == before


# --- the command line ----------------------------------------------------------------------
def test_main_exit_codes_and_output(capsys):
    assert main([SQUARE, "2*x"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("equivalent")
    assert main(["check-answer", SQUARE, "-x + 3*x", "--seed", "4"]) == 0  # "-x" is no option
    capsys.readouterr()
    assert main([SQUARE, "x^2"]) == 1
    assert capsys.readouterr().out.startswith("not equivalent: at x = -1.5")


@pytest.mark.parametrize(
    "argv, words",
    [
        ([SQUARE, "x.__class__"], "attribute access"),
        (["test.answers.no_such_claim", "x"], "unknown claim"),
        ([SQUARE], "expected CLAIM_ID and EXPR"),
        ([SQUARE, "2*x", "--seed", "-1"], "--seed"),
        ([SQUARE, "2*x", "--bogus"], "unknown option"),
    ],
)
def test_main_reports_errors_on_stderr_with_exit_code_2(argv, words, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert words in captured.err
    assert captured.out == ""


def test_main_points_at_the_offending_character(capsys):
    main([SQUARE, "x.__class__"])
    err = capsys.readouterr().err.splitlines()
    assert err[-2:] == ["  x.__class__", "   ^"]


# --- against the real activation claims --------------------------------------------------


def test_real_sigmoid_derivative_answers():
    good = check_answer("activations.sigmoid.derivative", "exp(x)/(1+exp(x))^2")
    assert good.passed and good.message.startswith("equivalent")
    bad = check_answer("activations.sigmoid.derivative", "sigmoid(x)^2")
    assert not bad.passed
    assert bad.message.startswith("not equivalent: at x = ")


def test_real_tanh_derivative_answer():
    assert check_answer("activations.tanh.derivative", "1 - tanh(x)^2").passed


def test_real_relu_range_answers():
    assert check_answer("activations.relu.range", "[0, oo)").passed
    assert not check_answer("activations.relu.range", "(0, oo)").passed
