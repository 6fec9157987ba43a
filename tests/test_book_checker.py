"""The in-book checker, in the built book: its fields, its files, and Chromium typing answers.

* **Fields**: every exercise whose text names ``python -m verify check-answer CLAIM_ID`` holds
  an ``input[data-claim=CLAIM_ID]``; every claim that takes a typed answer has a field on its
  chapter's page; every field's claim has a reference in ``_static/checker/references.json``;
  each field has a ``.verdict`` beside it.
* **Offline**: Chromium is started with every host but 127.0.0.1 unresolvable, and every
  request to another host is aborted and recorded; none may be made. Nothing of the checker's
  folder is fetched before a field is first used (focused: the checker starts while the
  answer is typed). Times are measured from that first use to the verdict.
* **Verdicts**: a correct and a wrong answer on two chapters (activations, ridge) and on the
  per-student form get the verdicts ``python -m verify check-answer`` gives, in the same words
  (the witness: the point and both values); hostile text gets the CLI's message, in bounded time.
* **Targets** (issue 18), printed: the first check from a cold cache ≤ 15 s, later checks
  ≤ 0.5 s, the added static files ≤ 40 MB. Timings are printed with their target (met or
  MISSED) rather than asserted: they depend on the machine's load; sizes are asserted.
"""

from __future__ import annotations

import json
import time
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from bookserve import CHROMIUM, CHROMIUM_ARGS, HTML, PAGES, TIMEOUT_MS

pytestmark = pytest.mark.browser

CHECKER = HTML / "_static" / "checker"
MAX_BYTES = 40_000_000
FIRST_S, LATER_S = 15.0, 0.5
#: Chromium resolves no host but the test server's: an off-host fetch fails even if it
#: escaped the request routing (a worker's, say).
OFFLINE_ARGS = [*CHROMIUM_ARGS, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]


class _Fields(HTMLParser):
    """Inputs with data-claim, the claims exercises name, and verdict elements, of a page."""

    def __init__(self):
        super().__init__()
        self.claims: list[str] = []
        self.verdicts = 0
        self.student_forms = 0
        self.exercise_depth = 0
        self.depth = 0
        self.exercise_claims: list[list[str]] = []
        self.exercise_text: list[str] = []

    VOID = set("area base br col embed hr img input link meta source track wbr".split())

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.depth += tag not in self.VOID
        classes = (a.get("class") or "").split()
        if tag == "div" and "exercise" in classes and not self.exercise_depth:
            self.exercise_depth = self.depth
            self.exercise_claims.append([])
            self.exercise_text.append("")
        if tag == "input" and "data-claim" in a:
            self.claims.append(a["data-claim"])
            if self.exercise_depth:
                self.exercise_claims[-1].append(a["data-claim"])
        if tag == "form" and "dv-student" in classes:
            self.student_forms += 1
            if self.exercise_depth:
                self.exercise_claims[-1].append("student-form")
        if "verdict" in classes:
            self.verdicts += 1

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if self.exercise_depth and self.depth == self.exercise_depth:
            self.exercise_depth = 0
        self.depth -= 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.depth -= tag not in self.VOID

    def handle_data(self, data):
        if self.exercise_depth:
            self.exercise_text[-1] += data


def _page_fields(page: str) -> _Fields:
    parser = _Fields()
    parser.feed((HTML / f"{page}.html").read_text())
    return parser


@pytest.fixture(scope="module")
def references():
    path = CHECKER / "references.json"
    if not path.is_file():
        from bookserve import _missing_prerequisite

        missing = _missing_prerequisite() or f"no {path}"
        pytest.skip(missing)
    return json.loads(path.read_text())["claims"]


def test_every_exercise_and_typed_claim_has_a_field(references):
    from verify import claims

    typed = {c.id: c for c in claims.all() if c.answer in claims.TYPED_KINDS}
    on_pages: dict[str, set] = {}
    exercises = 0
    for page in PAGES:
        fields = _page_fields(page)
        on_pages[page] = set(fields.claims)
        assert fields.verdicts >= len(fields.claims), page
        for text, found in zip(fields.exercise_text, fields.exercise_claims, strict=True):
            if "check-answer" not in text:
                continue
            exercises += 1
            named = next((w for w in text.replace("'", " ").split() if w in typed), None)
            if "--student-id" in text:
                assert "student-form" in found, f"{page}: an exercise with no per-student form"
            else:
                assert named in found, f"{page}: the exercise naming {named} has no field"
    assert exercises >= 30, exercises
    missing = []
    for cid, c in typed.items():
        page = f"book/{c.topic}"
        if page in on_pages and cid not in on_pages[page]:
            missing.append(cid)
    assert not missing, f"claims with no field on their chapter's page: {missing}"
    every = set().union(*on_pages.values())
    assert every <= set(references), sorted(every - set(references))
    assert set(typed) <= set(references), sorted(set(typed) - set(references))
    assert _page_fields("book/mlp").student_forms >= 4  # the form and three exercises


def test_the_added_files_fit_their_budget(references, capsys):
    files = [p for p in CHECKER.rglob("*") if p.is_file()]
    total = sum(p.stat().st_size for p in files)
    budget = MAX_BYTES / 1e6
    lines = [f"checker files: {len(files)}, {total / 1e6:.1f} MB (target ≤ {budget:.0f} MB)"]
    for p in sorted(files, key=lambda p: -p.stat().st_size)[:6]:
        lines.append(f"  {p.relative_to(CHECKER)}: {p.stat().st_size / 1e6:.2f} MB")
    _say(capsys, lines)
    assert total <= MAX_BYTES
    assert len(references) >= 100


@pytest.fixture(scope="module")
def offline_browser(server):
    missing = None if CHROMIUM.is_file() else f"no Chromium at {CHROMIUM}"
    if missing:
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=OFFLINE_ARGS)
        yield chromium
        chromium.close()


class _Net:
    """Every request of a context; off-host ones are aborted and kept."""

    def __init__(self, context):
        self.urls: list[str] = []
        self.external: list[str] = []
        self.bytes: dict[str, int] = {}
        self.errors: list[str] = []

        def route(r):
            url = r.request.url
            if urlsplit(url).hostname == "127.0.0.1":
                r.continue_()
            else:
                self.external.append(url)
                r.abort()

        context.route("**/*", route)
        context.on("request", lambda r: self.urls.append(r.url))

    def checker_requests(self) -> list[str]:
        return [u for u in self.urls if "/_static/checker/" in u]

    def watch(self, page):
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))


def _verdict(
    page, selector: str, text: str, timeout_ms: float, first: bool = False
) -> tuple[dict, float]:
    """Type ``text`` into the field ``selector``, press Enter, wait for the verdict; returns
    it and the seconds taken: for the ``first`` check from the field's first use (focus) to
    the verdict, measured here; for a later one from Enter to the verdict, as the page
    measured it (``data-ms``), without the test driver's own round trips."""
    field = page.locator(selector).first
    field.scroll_into_view_if_needed()
    out = field.locator("xpath=ancestor::div[contains(@class,'dv-check')][1]").locator(".verdict")
    out.evaluate("o => { o.dataset.verdict = ''; o.textContent = ''; }")
    # from the first use: focusing the field (which fill does) starts the checker
    start = time.perf_counter()
    field.fill(text)
    field.press("Enter")
    page.wait_for_function(
        "o => o.dataset.verdict && o.dataset.verdict !== 'pending'",
        arg=out.element_handle(),
        timeout=timeout_ms,
    )
    seconds = time.perf_counter() - start
    if not first:
        # a later check: from Enter to the verdict on the page, as the page timed it
        seconds = float(out.get_attribute("data-ms")) / 1000
    return {"verdict": out.get_attribute("data-verdict"), "message": out.inner_text()}, seconds


def _target(name: str, seconds: float, target: float) -> str:
    met = "met" if seconds <= target else "MISSED"
    return f"{name}: {seconds:.2f} s (target ≤ {target:g} s: {met})"


def _cli(claim_id: str, text: str) -> dict:
    from verify.answers import check_answer
    from verify.answers.tokens import printable

    try:
        e = check_answer(claim_id, text)
    except (ValueError, TypeError) as exc:  # what `python -m verify check-answer` prints
        return {"verdict": "error", "message": f"error: {printable(str(exc))}"}
    return {"verdict": e.verdict, "message": e.message}


def _field(cid: str) -> str:
    return f'input[data-claim="{cid}"]'


def _say(capsys, lines) -> None:
    """Print on the terminal, also under ``-q`` (the figures are the targets' record)."""
    with capsys.disabled():
        print("\n[checker] " + "\n[checker] ".join(lines))


def test_answers_are_checked_on_the_page_offline(server, offline_browser, capsys):
    context = offline_browser.new_context(service_workers="block")
    net = _Net(context)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    net.watch(page)
    lines = []
    try:
        page.goto(f"{server}/book/activations.html", wait_until="load")
        page.wait_for_timeout(500)
        assert net.checker_requests() == [], "checker files fetched before the first check"
        cid = "activations.sigmoid.derivative"
        right, first = _verdict(
            page, _field(cid), "sigmoid(x)*(1 - sigmoid(x))", 120_000, first=True
        )
        lines.append(_target("first check, cold cache", first, FIRST_S))
        assert right == _cli(cid, "sigmoid(x)*(1 - sigmoid(x))"), right
        assert right["verdict"] == "equivalent"
        wrong_text = "sigmoid(x)*(1 + sigmoid(x))"
        wrong, later = _verdict(page, _field(cid), wrong_text, 30_000)
        lines.append(_target("later check (wrong answer)", later, LATER_S))
        assert wrong["verdict"] == "not equivalent"
        assert wrong == _cli(cid, wrong_text), (wrong, _cli(cid, wrong_text))
        assert "at x = " in wrong["message"] and "the derived result gives" in wrong["message"]
        interval, t = _verdict(page, _field("activations.elu.range"), "[-1, oo)", 30_000)
        lines.append(_target("later check (interval)", t, LATER_S))
        assert interval == _cli("activations.elu.range", "[-1, oo)")
        assert interval["verdict"] == "not equivalent"
        fetched = len(net.checker_requests())
        for hostile in (
            "x^x^x^x^x^x^x^x^x^x^x^x^x^x^x^x",
            "(" * 300 + "x" + ")" * 300,
            "__import__('os').system('echo hi')",
            "10^10^10^10^10",
        ):
            got, t = _verdict(page, _field(cid), hostile, 60_000)
            lines.append(_target(f"hostile {hostile[:24]!r}", t, 5.0))
            assert got == _cli(cid, hostile), (hostile, got, _cli(cid, hostile))
            assert got["verdict"] in ("error", "cannot check", "not equivalent"), got

        page.goto(f"{server}/book/ridge.html", wait_until="load")
        cid = "ridge.optimal_mu"
        right, t = _verdict(page, _field(cid), "d*se2/sw2", 120_000, first=True)
        lines.append(_target("first check on a second page (warm cache)", t, FIRST_S))
        assert right["verdict"] == "equivalent", right
        wrong, t = _verdict(page, _field(cid), "se2/sw2", 30_000)
        lines.append(_target("later check on the second page", t, LATER_S))
        assert wrong == _cli(cid, "se2/sw2") and wrong["verdict"] == "not equivalent"
        assert net.external == [], net.external
        assert not net.errors, net.errors
        _say(capsys, [f"check-on-the-page timings ({fetched} checker files fetched):", *lines])
    finally:
        context.close()


def _submit(page, form, summary, timeout_ms: float) -> None:
    """Press the form's button and wait for its summary verdict."""
    summary.evaluate("o => { o.dataset.verdict = ''; }")
    form.locator(".dv-student-go").click()
    page.wait_for_function(
        "o => o.dataset.verdict && o.dataset.verdict !== 'pending'",
        arg=summary.element_handle(),
        timeout=timeout_ms,
    )


def test_the_per_student_form_marks_each_number_without_showing_the_key(
    server, offline_browser, capsys
):
    from derivations.mlp.key import answer_key

    sid = 4711
    key = answer_key(sid)
    context = offline_browser.new_context(service_workers="block")
    net = _Net(context)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    net.watch(page)
    try:
        page.goto(f"{server}/book/mlp.html", wait_until="load")
        form = page.locator("form.dv-student").first
        form.scroll_into_view_if_needed()
        start = time.perf_counter()  # from the first use: focusing a field of the form
        form.locator("[data-student-id]").fill(str(sid))
        loss = float(key["loss"])
        form.locator('input[data-quantity="loss"]').fill(repr(loss))
        w2 = key["dl_dW2"].tolist()
        w2[0][2] = -w2[0][2] * 1.5  # a sign slip in one entry
        form.locator('input[data-quantity="dl_dW2"]').fill(json.dumps(w2))
        summary = form.locator(".dv-student-summary")
        _submit(page, form, summary, 120_000)
        seconds = time.perf_counter() - start
        _say(capsys, [_target("per-student form, first check (cold cache)", seconds, FIRST_S)])
        row = form.locator('input[data-quantity="loss"]').locator("xpath=ancestor::div[1]")
        assert row.locator(".verdict").get_attribute("data-verdict") == "right"
        row = form.locator('input[data-quantity="dl_dW2"]').locator("xpath=ancestor::div[1]")
        out = row.locator(".verdict")
        assert out.get_attribute("data-verdict") == "wrong"
        assert "[1,3]" in out.inner_text(), out.inner_text()
        assert summary.inner_text().startswith("1 of 2 right"), summary.inner_text()
        text = form.inner_text()
        true_entry = float(key["dl_dW2"][0, 2])
        for shown in (repr(true_entry), f"{true_entry:.6g}", f"{true_entry:.4g}"):
            assert shown not in text, f"the form shows the key: {shown}"
        # a second check: the id alone decides; a wrong id makes the right loss wrong
        form.locator("[data-student-id]").fill(str(sid + 1))
        _submit(page, form, summary, 30_000)
        later = float(summary.get_attribute("data-ms")) / 1000  # as the page timed it
        _say(capsys, [_target("per-student form, later check", later, LATER_S)])
        row = form.locator('input[data-quantity="loss"]').locator("xpath=ancestor::div[1]")
        assert row.locator(".verdict").get_attribute("data-verdict") == "wrong"
        form.locator("[data-student-id]").fill("-3")
        _submit(page, form, summary, 30_000)
        assert "student" in summary.inner_text().lower(), summary.inner_text()
        assert net.external == [], net.external
        assert not net.errors, net.errors
    finally:
        context.close()
