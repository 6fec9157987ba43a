"""Checking a person's typed answer against a claim: safely, boundedly, and fairly.

``verify.answers`` reads the text with its own parser (:mod:`~verify.answers.parsing`,
:mod:`~verify.answers.forms`; nothing typed is ever executed), decides whether it equals the
claim's derived result (:mod:`~verify.answers.equivalence`: an exact SymPy proof under a time
budget, otherwise float64 evaluation over the whole domain, refereed by mpmath), and reports
one of three verdicts with a witness (:mod:`~verify.answers.checking`). The command line is
:mod:`~verify.answers.cli`.

>>> parse_expression("sech(x)^2")
sech(x)**2
"""

from verify.answers.checking import check_answer
from verify.answers.cli import add_arguments, main, run
from verify.answers.forms import (
    parse_answer,
    parse_distribution,
    parse_interval,
    parse_matrix,
    parse_number,
    parse_sequence,
)
from verify.answers.parsing import CONSTANTS, FUNCTIONS, parse_expression
from verify.answers.tokens import ALIASES, MAX_LENGTH

__all__ = [
    "ALIASES",
    "CONSTANTS",
    "FUNCTIONS",
    "MAX_LENGTH",
    "add_arguments",
    "check_answer",
    "main",
    "parse_answer",
    "parse_distribution",
    "parse_expression",
    "parse_interval",
    "parse_matrix",
    "parse_number",
    "parse_sequence",
    "run",
]
